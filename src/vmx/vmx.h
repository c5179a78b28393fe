/* VMX operation: the per-processor VMX state and the hooks the
 * interpreter (src/cpu) calls.  Everything VMX lives in src/vmx; src/cpu
 * sees only this header.
 *
 *   vmx.c        state, lifecycle, tracing of VMX events
 *   profile.c    CPU profiles: capability MSRs (profile.h)
 *   caps.c       RDMSR of the capability MSRs, FEATURE_CONTROL, fixed CR bits
 *   vmcs.c       field table, cache, region layout (vmcs.h)
 *   insn.c       the VMX instructions (rows in ops_vmx.def)
 *   checks.c     VM-entry checks CTL/HOST/GUEST with IDs and rule texts
 *   entry.c      guest-state loading, MSR loading, event injection
 *   exit.c       VM exits: saving guest state, loading host state, abort
 *   intercept.c  which instructions and events exit in non-root operation
 *   ept.c        EPT translation, VPID/EPT-tagged TLB contexts
 */
#ifndef SOFTVTX_VMX_VMX_H
#define SOFTVTX_VMX_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "vmcs.h"

struct cpu;
struct insn;
struct vmx_profile;

#define VMCS_NONE (~0ull)   /* "no current VMCS" */

/* shared/spec/vmx-instructions.md §1 */
enum vmx_op { VMX_OUTSIDE = 0, VMX_ROOT, VMX_NONROOT };

/* A VM-entry failure, explained: the check ID of shared/spec, the rule in
 * plain words and the offending values, e.g.
 *   "GUEST-12: CR0.PG=1 requires CR0.PE=1 (guest CR0=0x80000011, unrestricted guest=0)" */
struct vmx_diag {
	char id[16];          /* "GUEST-12", "" if none */
	char text[240];       /* the whole sentence, starting with the id */
};

/* What a trace hook is told (vtx_trace.c turns it into a record). */
enum vmx_event_kind {
	VMX_EV_ENTRY,         /* VMLAUNCH/VMRESUME entered non-root operation */
	VMX_EV_EXIT,          /* VM exit (reason, qualification) */
	VMX_EV_ENTRY_FAIL,    /* VMfailValid(7/8) or exit 33/34: diag says why */
	VMX_EV_VMFAIL,        /* any other VMfail (error number in `error`) */
	VMX_EV_ABORT,         /* VMX abort (indicator in `error`): shutdown */
};

struct vmx_event {
	enum vmx_event_kind kind;
	uint32_t reason;      /* exit reason field (bit 31 for entry failures) */
	uint64_t qual;        /* exit qualification */
	uint64_t guest_rip;   /* for exits: the saved guest RIP */
	uint32_t error;       /* VM-instruction error or abort indicator */
	bool launch;          /* entries: VMLAUNCH (else VMRESUME) */
	const struct vmx_diag *diag; /* entry failures */
};

typedef void vmx_event_fn(void *opaque, const struct cpu *cpu, const struct vmx_event *ev);

struct vmx {
	struct cpu *cpu;
	const struct vmx_profile *profile;
	enum vmx_op op;
	uint64_t vmxon_ptr;
	uint64_t current_vmcs;     /* VMCS_NONE when there is none */
	bool current_launched;     /* launch state of the current VMCS (cached) */
	bool current_shadow;       /* its revision dword has bit 31 set */
	struct vmcs_cache vmcs;    /* the current VMCS's fields */

	/* Non-root operation (entry.c/exit.c/intercept.c). */
	uint64_t preempt_deadline; /* cycle count at which the timer fires */
	bool preempt_armed;
	bool nmi_blocked_virtual;  /* virtual-NMI blocking */
	uint32_t pending_exit_reason; /* EPT violation/misconfig raised inside a
	                                 memory access (see VMX_FAULT_VMEXIT) */
	uint64_t pending_exit_qual;

	struct vmx_diag last_fail; /* the last VM-entry failure */

	/* Statistics and tracing. */
	uint64_t exits_by_reason[96];
	uint64_t entries;
	vmx_event_fn *event_fn;
	void *event_opaque;
};

/* cpu->fault.vector value meaning "a VM exit is pending" rather than an
 * exception: set by EPT (a violation or misconfiguration found during a
 * memory access, which must not commit anything); cpu_deliver_fault()
 * turns it into the exit in vmx->pending_exit_*. */
#define VMX_FAULT_VMEXIT 0xff

/* --- vmx.c ---------------------------------------------------------- */
struct vmx *vmx_new(struct cpu *cpu);
void vmx_free(struct vmx *v);
/* Power-on: outside VMX operation, no current VMCS. */
void vmx_reset(struct vmx *v);
void vmx_set_profile(struct vmx *v, const struct vmx_profile *p);
void vmx_emit(struct vmx *v, const struct vmx_event *ev);

/* --- caps.c: discovery and fixed bits (shared/spec/vmx-capabilities.md) */
/* RDMSR of 0x480..0x493.  Returns false for #GP(0) (absent MSR, or VMX
 * not advertised). */
bool vmx_rdmsr_cap(const struct cpu *cpu, uint32_t msr, uint64_t *val);
/* §11: CR0/CR4 values allowed while in VMX operation (FIXED0 bits set,
 * FIXED1 bits clear).  `ug` relaxes CR0.PE/PG for unrestricted guests. */
bool vmx_cr0_fixed_ok(const struct vmx_profile *p, uint64_t cr0, bool ug);
bool vmx_cr4_fixed_ok(const struct vmx_profile *p, uint64_t cr4);

/* --- intercept.c: non-root decisions ---------------------------------- */
/* Called by the run loop's central checks for rows with F_VMX_EXIT while
 * cpu->vmx_nonroot: X_OK to execute the instruction, X_VMEXIT if it
 * exited (host state already loaded). */
int vmx_intercept(struct cpu *cpu, const struct insn *in);
/* Called by cpu_deliver_fault() in non-root operation before delivering
 * cpu->fault: X_OK to deliver it to the guest, X_VMEXIT if the exception
 * bitmap (or a pending EPT exit) made it a VM exit. */
int vmx_exception_intercept(struct cpu *cpu);
/* A triple fault in non-root operation: exit reason 2 instead of
 * shutdown. */
int vmx_triple_fault(struct cpu *cpu);
/* At a block boundary while cpu->vmx_events is set: preemption timer,
 * interrupt and NMI windows.  X_OK or X_VMEXIT. */
int vmx_boundary(struct cpu *cpu);

#endif
