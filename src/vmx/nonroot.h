/* What VM entry (entry.c), VM exit (exit.c) and the boundary events
 * (window.c) share: the control bits they act on, the cycle charges, and
 * the few internal calls between them.  Private to those three files.
 */
#ifndef SOFTVTX_VMX_NONROOT_H
#define SOFTVTX_VMX_NONROOT_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct vmx_diag;

/* Control bits (shared/spec/vmx-capabilities.md §5). */
#define VMX_PIN_NMI_EXITING        (1u << 3)
#define VMX_PIN_VIRTUAL_NMIS       (1u << 5)
#define VMX_PIN_PREEMPT_TIMER      (1u << 6)

#define VMX_PROC_INTR_WINDOW       (1u << 2)
#define VMX_PROC_NMI_WINDOW        (1u << 22)
#define VMX_PROC_MTF               (1u << 27)

#define VMX_PROC2_EPT              (1u << 1)

#define VMX_EXIT_SAVE_DEBUG        (1u << 2)
#define VMX_EXIT_HOST_ADDR64       (1u << 9)   /* "host address-space size" (HASS) */
#define VMX_EXIT_SAVE_PAT          (1u << 18)
#define VMX_EXIT_LOAD_PAT          (1u << 19)
#define VMX_EXIT_SAVE_EFER         (1u << 20)
#define VMX_EXIT_LOAD_EFER         (1u << 21)
#define VMX_EXIT_SAVE_TIMER        (1u << 22)
#define VMX_EXIT_SAVE_PERF_GLOBAL  (1u << 30)

#define VMX_ENTRY_LOAD_DEBUG       (1u << 2)
#define VMX_ENTRY_IA32E_GUEST      (1u << 9)
#define VMX_ENTRY_LOAD_PERF_GLOBAL (1u << 13)
#define VMX_ENTRY_LOAD_PAT         (1u << 14)
#define VMX_ENTRY_LOAD_EFER        (1u << 15)

/* Interruption-information fields (shared/spec/vm-exits.md §4)
 *   31     30:12     11          10:8   7:0
 *  valid  reserved  error code  type   vector */
#define VMX_INTR_VALID             (1u << 31)
#define VMX_INTR_ERROR             (1u << 11)
#define VMX_INTR_TYPE(i)           (((i) >> 8) & 7u)
#define VMX_INTR_VECTOR(i)         ((i) & 0xffu)
enum {
	VMX_INTR_EXTERNAL = 0, VMX_INTR_NMI = 2, VMX_INTR_HW_EXC = 3, VMX_INTR_SOFT_INT = 4,
	VMX_INTR_PRIV_SOFT_EXC = 5, VMX_INTR_SOFT_EXC = 6, VMX_INTR_OTHER = 7,
};

/* Guest interruptibility state (shared/spec/vmcs-fields.md §4.2). */
#define VMX_INTR_STATE_STI         (1u << 0)
#define VMX_INTR_STATE_MOV_SS      (1u << 1)
#define VMX_INTR_STATE_NMI         (1u << 3)

/* Guest activity state (vmcs-fields.md §4.3). */
enum { VMX_ACTIVE = 0, VMX_HLT = 1, VMX_SHUTDOWN = 2, VMX_WAIT_SIPI = 3 };

/* vmx->mtf_icount before the first boundary after an entry sampled it. */
#define VMX_MTF_UNSAMPLED          (~0ull)

/* IA32_VMX_MISC fields (vmx-capabilities.md §6). */
#define VMX_MISC_TIMER_RATE(m)     ((unsigned)(m) & 0x1fu)
#define VMX_MISC_STORE_LMA         (1ull << 5)

/* Cycle charges (docs/internals.md, "Cycle accounting").  A VM entry and
 * a VM exit each move several hundred bytes of state and serialise the
 * processor; on Skylake a VMCALL round trip costs about a thousand
 * cycles, split evenly here.  The MSR lists cost an MSR access per
 * entry on top. */
#define VMX_ENTRY_CYCLES           500
#define VMX_EXIT_CYCLES            500
#define VMX_MSR_ENTRY_CYCLES       30

/* exit.c: a VM-entry failure (shared/spec/vm-entry-checks.md §8): exit
 * reason `reason` | 0x80000000 and `qual`, no guest state saved, host
 * state and the VM-exit MSR-load list loaded.  `diag` says which check
 * failed.  Returns X_VMEXIT, or X_STOP after a VMX abort. */
int vmx_exit_entry_fail(struct cpu *cpu, uint32_t reason, uint64_t qual,
                        const struct vmx_diag *diag);

/* window.c: the VMX-preemption timer's value at the current cycle count
 * (0 once it has expired), and cpu->vmx_events recomputed from what is
 * armed. */
uint32_t vmx_timer_value(const struct cpu *cpu);
void vmx_events_update(struct cpu *cpu);

#endif
