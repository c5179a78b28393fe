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
 *   nmi.c        IRET and NMI blocking in non-root operation
 *   ept.c        EPT translation, VPID/EPT-tagged TLB contexts
 *   apicv.c      APIC virtualization: APIC-access page, x2APIC MSRs,
 *                virtual-interrupt delivery (apicv.h)
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
#define VMX_TLBCTX_COUNT 16 /* TLB contexts kept (ept.c) */

/* shared/spec/vmx-instructions.md §1 */
enum vmx_op { VMX_OUTSIDE = 0, VMX_ROOT, VMX_NONROOT };

/* A VM-entry failure, explained: the check ID of shared/spec, the rule in
 * plain words and the offending values, e.g.
 *   "GUEST-3: guest CR0.PG=1 requires CR0.PE=1 (guest CR0=0x80000030, unrestricted guest=1)" */
struct vmx_diag {
	char id[16];          /* "GUEST-3", "" if none */
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

/* An event as events.c delivers it, in the terms of the interruption-
 * information format (shared/spec/vm-exits.md §4). */
struct vmx_intr {
	uint8_t vector;
	uint8_t type;         /* 0 external, 2 NMI, 3 hardware exception, 4 INT n,
	                         5 INT1, 6 INT3/INTO */
	bool has_error;       /* an error code is pushed */
	uint32_t error;
	uint8_t len;          /* types 4-6: the instruction's length */
};

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
	/* entry.c/exit.c/window.c (nonroot.h) */
	bool nmi_blocked;          /* blocking by NMI (interruptibility bit 3)
	                              while "virtual NMIs" = 0 */
	bool iret_nmi_unblocked;   /* nmi.c: the IRET being executed removed
	                              (virtual-)NMI blocking; its fault's exit
	                              reports it in bit 12 */
	uint8_t guest_activity;    /* activity state the guest was entered in
	                              (HLT, shutdown, wait-for-SIPI) while
	                              cpu->halted holds it */
	bool mtf_pending;          /* an MTF exit is due at the next boundary */
	uint64_t mtf_icount;       /* icount and RIP at the first boundary */
	uint64_t mtf_rip;          /* after the entry: a change means a guest
	                              instruction ran (window.c) */
	bool step_one;             /* run.c: one instruction per block (MTF) */
	/* intercept.c: PAUSE-loop exiting (SDM Vol. 3C §25.1.3) */
	uint64_t ple_first;        /* cycle count of the first PAUSE of the loop */
	uint64_t ple_last;         /* cycle count of the previous PAUSE */
	uint64_t ple_entry;        /* `entries` when it ran: the first PAUSE
	                              after a VM entry starts a new loop */
	/* apicv.c: APIC virtualization (SDM Vol. 3C chapter 29) */
	bool vintr_recognized;     /* a pending virtual interrupt is recognized
	                              (§29.2.1); cleared by its delivery */
	bool apic_solo;            /* the next block runs one instruction: it
	                              writes the APIC-access page, and the
	                              APIC-write emulation follows it */
	uint64_t apic_solo_icount; /* icount and RIP when it was restarted: */
	uint64_t apic_solo_rip;    /* until they change it has not run */
	bool apic_write_pending;   /* a virtualized write awaits APIC-write
	                              emulation (§29.4.3.2) */
	uint16_t apic_write_off;   /* its page offset and size */
	uint8_t apic_write_size;
	struct vmx_intr task_event; /* events.c: the event being delivered
	                              through a task gate (task-switch exit's
	                              IDT-vectoring information) */

	/* TLB contexts (ept.c): the tag (cpu->tlb_asid) under which the
	 * software TLB holds the translations of the host and of each
	 * VPID/EPTP combination, so that VM entries and exits switch tags
	 * instead of flushing (SDM Vol. 3C §28.3). */
	struct vmx_tlbctx {
		uint64_t eptrta;     /* EPTP[51:12] with EPT on, ~0 with EPT off */
		uint64_t cr3, ctl;   /* paging state its entries were made under
		                        (ctl = 0: none made since its last flush) */
		uint32_t stamp;      /* last use (LRU); 0: the slot is free */
		uint16_t vpid;       /* VPID, 0 with "enable VPID" = 0 */
		uint16_t asid;       /* its tag: bits 11:1 of every TLB tag */
	} tlbctx[VMX_TLBCTX_COUNT]; /* [0] is the host's */
	unsigned tlbctx_cur;       /* the context in force (0: host) */
	uint32_t tlbctx_clock;     /* LRU stamps */
	uint16_t asid_next;        /* next tag to hand out, in units of 2 */

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
/* IA32_VMX_CR4_FIXED1 as this processor reports it: the profile's value
 * without the CR4 bits of features CPUID does not report (§7, INV-14). */
uint64_t vmx_cr4_fixed1(const struct cpu *cpu);
/* MOV to CR0/CR4 (LMSW, CLTS) by cr.c: is `val` allowed in the current
 * VMX operation (§11)?  Always true outside VMX operation; false (#GP(0))
 * when it breaks the fixed bits or clears CR4.VMXE.  In non-root operation
 * call it after the guest/host-mask exit decision; PE/PG are exempt under
 * unrestricted guest. */
bool vmx_cr_write_ok(const struct cpu *cpu, unsigned cr, uint64_t val);

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

/* Non-root: INT3, INTO (type 6) and INT1 (type 5) about to be delivered
 * go through the exception bitmap.  X_OK to deliver, X_VMEXIT. */
int vmx_event_intercept(struct cpu *cpu, const struct vmx_intr *ev);
/* Non-root: delivering `during` raised cpu->fault.  A pending EPT exit or,
 * when `during` is #DF, a triple fault exits; otherwise the next event --
 * #DF when `becomes_df` (SDM Vol. 3A Table 6-5), else cpu->fault -- goes
 * through the exception bitmap, with `during` as IDT-vectoring
 * information.  X_OK: deliver the next event as without VMX. */
int vmx_delivery_fault(struct cpu *cpu, const struct vmx_intr *during, bool becomes_df);
/* Non-root: a task switch, after the checks that precede it (SDM Vol. 3C
 * §25.4.2), is exit reason 9.  `source`: 0 CALL, 1 IRET, 2 JMP, 3 task
 * gate in the IDT (then vmx->task_event is the event); `len`: the length
 * of the CALL, JMP or IRET. */
int vmx_task_switch(struct cpu *cpu, uint16_t sel, unsigned source, unsigned len);

/* --- intercept_cr.c: changed behaviour without an exit (SDM §25.3) ---
 * Called by src/cpu only while cpu->vmx_nonroot. */
/* MOV from CR0/CR4 and SMSW see the read shadow in host-owned bits; MOV
 * from CR8 with "use TPR shadow" reads VTPR[7:4].  `val` is the real
 * register. */
uint64_t vmx_cr_read(const struct cpu *cpu, unsigned cr, uint64_t val);
/* MOV to CR0/CR4, CLTS and LMSW that did not exit: the value to write,
 * with the host-owned bits kept from the real register. */
uint64_t vmx_cr_write_value(const struct cpu *cpu, unsigned cr, uint64_t val);
/* "use TPR shadow": MOV to CR8 goes to vmx_tpr_write() instead of CR8. */
bool vmx_tpr_shadow(const struct cpu *cpu);
/* MOV to CR8 with the TPR shadow: #GP(0) for reserved bits, VTPR write,
 * TPR-below-threshold exit (trap-like, RIP += len).  X_OK, X_FAULT or
 * X_VMEXIT. */
int vmx_tpr_write(struct cpu *cpu, uint64_t val, unsigned len);
/* The TSC the guest reads: offset and scaled per the VMCS. */
uint64_t vmx_guest_tsc(const struct cpu *cpu, uint64_t tsc);

/* --- apicv.c: the APIC-access page (SDM Vol. 3C §29.4) -----------------
 * Called by the memory-access slow path (src/cpu/access.c, tlb.c) only
 * while cpu->vmx_nonroot. */
/* Is host-physical `hpa` in the APIC-access page while "virtualize APIC
 * accesses" is on?  tlb_fill() keeps such a page out of the TLB and leaves
 * the access to vmx_apic_read()/vmx_apic_write(), which know its size. */
bool vmx_apic_page(const struct cpu *cpu, uint64_t hpa);
/* A linear read or write of `size` bytes (within one page) at `hpa` in
 * the APIC-access page: virtualized on the virtual-APIC page (X_OK), or
 * an APIC-access VM exit recorded like an EPT exit (X_FAULT with
 * VMX_FAULT_VMEXIT).  A virtualized write met in the middle of a block
 * returns X_RESTART without writing: the instruction runs again alone,
 * so that the APIC-write emulation follows it at the next boundary. */
int vmx_apic_read(struct cpu *cpu, uint64_t hpa, unsigned size, uint64_t *val);
int vmx_apic_write(struct cpu *cpu, uint64_t hpa, unsigned size, uint64_t val);
/* A write that crosses a page boundary into or out of the APIC-access
 * page (`hpa` is its part there): never virtualized, an APIC-access exit
 * before anything is written. */
int vmx_apic_split_write(struct cpu *cpu, uint64_t hpa);

/* --- nmi.c: IRET and NMI blocking (SDM Vol. 3C §25.3) -----------------
 * Called by op_iret() only while cpu->vmx_nonroot. */
/* Before IRET's checks: remove blocking by NMI ("NMI exiting" = 0) or
 * virtual-NMI blocking ("virtual NMIs" = 1), even if the IRET faults. */
void vmx_iret_begin(struct cpu *cpu);
/* After it, with its status: unless it faulted, nothing is left for an
 * exit to report. */
void vmx_iret_end(struct cpu *cpu, int st);

/* --- window.c ----------------------------------------------------------
 * At a block boundary while cpu->vmx_events is set: preemption timer,
 * interrupt and NMI windows.  X_OK or X_VMEXIT. */
int vmx_boundary(struct cpu *cpu);

#endif
