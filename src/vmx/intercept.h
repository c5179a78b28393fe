/* Intercept decisions in VMX non-root operation: the control bits they
 * read, and the decision functions behind vmx_intercept() and
 * vmx_exception_intercept() (vmx.h), exposed so that the unit tests can
 * check a decision without performing the exit.
 *
 *   intercept.c       instructions: which exit, qualification, information
 *   intercept_io.c    I/O and MSR bitmaps, INS/OUTS information
 *   intercept_exc.c   exceptions, pending EPT exits, triple fault,
 *                     IDT-vectoring information
 *   intercept_cr.c    changed behaviour without an exit: CR0/CR4 read
 *                     shadows and masks, TSC offsetting/scaling, CR8 and
 *                     the TPR shadow
 *
 * shared/spec/vm-exits.md §1-§6, vmx-capabilities.md §5.
 */
#ifndef SOFTVTX_VMX_INTERCEPT_H
#define SOFTVTX_VMX_INTERCEPT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx.h"

struct cpu;
struct insn;

/* Pin-based controls (field 0x4000), vmx-capabilities.md §5.1. */
#define PIN_EXT_INTR_EXITING     (1u << 0)
#define PIN_NMI_EXITING          (1u << 3)
#define PIN_VIRTUAL_NMIS         (1u << 5)

/* Primary processor-based controls (0x4002), §5.2. */
#define PROC_USE_TSC_OFFSETTING  (1u << 3)
#define PROC_HLT_EXITING         (1u << 7)
#define PROC_INVLPG_EXITING      (1u << 9)
#define PROC_MWAIT_EXITING       (1u << 10)
#define PROC_RDPMC_EXITING       (1u << 11)
#define PROC_RDTSC_EXITING       (1u << 12)
#define PROC_CR3_LOAD_EXITING    (1u << 15)
#define PROC_CR3_STORE_EXITING   (1u << 16)
#define PROC_CR8_LOAD_EXITING    (1u << 19)
#define PROC_CR8_STORE_EXITING   (1u << 20)
#define PROC_USE_TPR_SHADOW      (1u << 21)
#define PROC_MOV_DR_EXITING      (1u << 23)
#define PROC_UNCOND_IO_EXITING   (1u << 24)
#define PROC_USE_IO_BITMAPS      (1u << 25)
#define PROC_USE_MSR_BITMAPS     (1u << 28)
#define PROC_MONITOR_EXITING     (1u << 29)
#define PROC_PAUSE_EXITING       (1u << 30)
#define PROC_SECONDARY           (1u << 31)

/* Secondary processor-based controls (0x401E), §5.3. */
#define PROC2_DESC_TABLE_EXITING (1u << 2)
#define PROC2_ENABLE_RDTSCP      (1u << 3)
#define PROC2_WBINVD_EXITING     (1u << 6)
#define PROC2_VIRT_INTR_DELIVERY (1u << 9)
#define PROC2_PAUSE_LOOP_EXITING (1u << 10)
#define PROC2_RDRAND_EXITING     (1u << 11)
#define PROC2_ENABLE_INVPCID     (1u << 12)
#define PROC2_RDSEED_EXITING     (1u << 16)
#define PROC2_USE_TSC_SCALING    (1u << 25)

/* IA32_VMX_BASIC[54]: INS/OUTS exits store instruction information. */
#define VMX_BASIC_INS_OUTS_INFO  (1ull << 54)

/* Interruption-information format (vm-exits.md §4), shared by the
 * VM-exit interruption information, IDT-vectoring information and
 * VM-entry interruption information:
 *
 *   31     30:14    13     12          11         10:8   7:0
 *   valid  reserved FRED   NMI unblk   error code  type   vector
 */
#define INTR_INFO_VECTOR_MASK    0xffu
#define INTR_INFO_TYPE_SHIFT     8
#define INTR_INFO_ERROR_VALID    (1u << 11)
#define INTR_INFO_NMI_UNBLOCK    (1u << 12)
#define INTR_INFO_VALID          (1u << 31)

enum intr_type {
	INTR_TYPE_EXT = 0,        /* external interrupt */
	INTR_TYPE_NMI = 2,
	INTR_TYPE_HW_EXC = 3,     /* hardware exception */
	INTR_TYPE_SOFT_INT = 4,   /* INT n */
	INTR_TYPE_PRIV_SOFT = 5,  /* INT1 (ICEBP) */
	INTR_TYPE_SOFT_EXC = 6,   /* INT3, INTO */
	INTR_TYPE_OTHER = 7,
};

static inline uint32_t intr_info(unsigned vector, unsigned type, bool has_error)
{
	return INTR_INFO_VALID | (has_error ? INTR_INFO_ERROR_VALID : 0) |
	       (type << INTR_INFO_TYPE_SHIFT) | (vector & INTR_INFO_VECTOR_MASK);
}

/* A decided VM exit, before it is performed: the reason, the
 * qualification and the exit-information fields that go with it. */
struct vmx_exit_decision {
	bool exit;             /* false: the instruction executes */
	uint32_t reason;
	uint64_t qual;
	bool has_info;         /* VM-exit instruction information is written */
	uint32_t info;
	bool has_gla;          /* guest-linear address is written */
	uint64_t gla;
};

/* The secondary controls in force: 0 unless "activate secondary
 * controls" is set (vm-exits.md §2.3). */
uint32_t vmx_proc2(const struct vmx *v);

/* intercept.c: the decision for an F_VMX_EXIT instruction.  X_OK with
 * *d filled (d->exit false: execute it), or X_FAULT when a fault that
 * ranks above the exit was found (I/O permission #GP, an operand fetch,
 * an instruction not enabled: vm-exits.md §2.5). */
int vmx_intercept_decide(struct cpu *cpu, const struct insn *in, struct vmx_exit_decision *d);

/* intercept_io.c */
/* Do the I/O bitmaps (or unconditional I/O exiting) make an access of
 * `size` bytes at `port` exit?  vm-exits.md §2.2. */
bool vmx_io_exits(struct cpu *cpu, uint16_t port, unsigned size);
/* Does RDMSR (write = false) or WRMSR of `msr` exit?  vmcs-fields.md
 * §4.10 for the bitmap layout. */
bool vmx_msr_exits(struct cpu *cpu, uint32_t msr, bool write);
/* The I/O-instruction decision (IN, OUT, INS, OUTS), after the I/O
 * permission check. */
int vmx_io_decide(struct cpu *cpu, const struct insn *in, struct vmx_exit_decision *d);

/* intercept_exc.c */
/* Does an exception of `vector` with #PF error code `pfec` exit through
 * the exception bitmap (with the #PF mask/match rule)?  vm-exits.md §2.4. */
bool vmx_exception_exits(const struct vmx *v, unsigned vector, uint32_t pfec);

/* nmi.c: did the IRET whose fault is being handled remove (virtual-)NMI
 * blocking?  Clears the record: only the first exit for that fault reports
 * "NMI unblocking due to IRET". */
bool vmx_iret_take_unblocked(struct vmx *v);

/* Write the exit-information fields of an exit not caused by an event
 * (exit interruption information and IDT-vectoring information invalid),
 * then perform the exit. */
int vmx_exit_plain(struct cpu *cpu, uint32_t reason, uint64_t qual);

#endif
