/* VM entry after the basic checks (entry.h): the CTL/HOST/GUEST checks,
 * loading guest state, the VM-entry MSR-load list, and completing the
 * entry (launch state, non-root operation, preemption timer, MTF, event
 * injection).  shared/spec/vm-entry-checks.md §2-§8, SDM Vol. 3C §26.
 *
 *   vmx_vmentry
 *     CTL checks   -> VMfailValid(7)
 *     HOST checks  -> VMfailValid(8)
 *     GUEST checks -> exit 33 | 0x80000000
 *     load_guest_state            (§5)
 *     load_msr_list               (§6)  -> exit 34 | 0x80000000, qual = index
 *     complete                    (§7)  -> X_JUMP into the guest
 */
#include "entry.h"

#include <string.h>

#include "../cpu/cpu.h"
#include "../cpu/cr.h"
#include "../cpu/debug.h"
#include "../cpu/flags.h"
#include "../cpu/msr.h"
#include "../mem/bus.h"
#include "apicv.h"
#include "checks.h"
#include "ept.h"
#include "exit.h"
#include "nonroot.h"
#include "profile.h"
#include "vmx.h"

/* CR0 bits that VM entry and VM exit leave as they are (vm-entry-checks.md
 * §5 step 1, vm-exits.md §9): 63:32, 30 CD, 29 NW, 28:19, 17, 15:6, 4 ET. */
#define CR0_KEEP 0xffffffff7ffaffd0ull

/* DR7 on entry (vm-entry-checks.md §5 step 2): bits 15:14 read 0, bit 10
 * reads 1. */
#define DR7_ENTRY_CLEAR 0xc000ull

/* VMfailValid(n) (shared/spec/vmx-instructions.md §2): ZF = 1, CF = PF =
 * AF = SF = OF = 0, VM-instruction error <- n.  The entry failed before
 * anything was loaded; the instruction retires. */
static int entry_vmfail(struct cpu *cpu, bool launch, unsigned err, const struct vmx_diag *d)
{
	struct vmx *v = cpu->vmx;
	struct vmx_event ev = { .kind = VMX_EV_ENTRY_FAIL, .error = err, .launch = launch,
	                        .diag = &v->last_fail };

	v->last_fail = *d;
	VMCS_SET(v, VM_INSTRUCTION_ERROR, err);
	flags_set_bits(cpu, RFLAGS_ARITH, RFLAGS_ZF);
	vmx_emit(v, &ev);
	return X_OK;
}

/* One segment register from its four fields (SDM §26.3.2.2).  The VMCS
 * access-rights layout is struct seg's (arch.h).  An unusable register
 * keeps its selector, base and, for SS, the DPL that gives the CPL; the
 * interpreter treats it as a null segment. */
static void load_seg(struct cpu *cpu, unsigned sreg, uint16_t sel, uint64_t base, uint32_t limit,
                     uint32_t ar)
{
	struct seg *s = &cpu->seg[sreg];

	s->sel = sel;
	s->base = base;
	s->limit = limit;
	if (ar & SEG_UNUSABLE)
		s->attr = SEG_UNUSABLE | (sreg == SEG_SS ? ar & SEG_DPL_MASK : 0);
	else
		s->attr = ar & 0xf0ffu;
}

static void load_segments(struct cpu *cpu)
{
	const struct vmx *v = cpu->vmx;

	load_seg(cpu, SEG_ES, (uint16_t)VMCS_GET(v, GUEST_ES_SELECTOR), VMCS_GET(v, GUEST_ES_BASE),
	         (uint32_t)VMCS_GET(v, GUEST_ES_LIMIT), (uint32_t)VMCS_GET(v, GUEST_ES_AR_BYTES));
	load_seg(cpu, SEG_CS, (uint16_t)VMCS_GET(v, GUEST_CS_SELECTOR), VMCS_GET(v, GUEST_CS_BASE),
	         (uint32_t)VMCS_GET(v, GUEST_CS_LIMIT), (uint32_t)VMCS_GET(v, GUEST_CS_AR_BYTES));
	load_seg(cpu, SEG_SS, (uint16_t)VMCS_GET(v, GUEST_SS_SELECTOR), VMCS_GET(v, GUEST_SS_BASE),
	         (uint32_t)VMCS_GET(v, GUEST_SS_LIMIT), (uint32_t)VMCS_GET(v, GUEST_SS_AR_BYTES));
	load_seg(cpu, SEG_DS, (uint16_t)VMCS_GET(v, GUEST_DS_SELECTOR), VMCS_GET(v, GUEST_DS_BASE),
	         (uint32_t)VMCS_GET(v, GUEST_DS_LIMIT), (uint32_t)VMCS_GET(v, GUEST_DS_AR_BYTES));
	load_seg(cpu, SEG_FS, (uint16_t)VMCS_GET(v, GUEST_FS_SELECTOR), VMCS_GET(v, GUEST_FS_BASE),
	         (uint32_t)VMCS_GET(v, GUEST_FS_LIMIT), (uint32_t)VMCS_GET(v, GUEST_FS_AR_BYTES));
	load_seg(cpu, SEG_GS, (uint16_t)VMCS_GET(v, GUEST_GS_SELECTOR), VMCS_GET(v, GUEST_GS_BASE),
	         (uint32_t)VMCS_GET(v, GUEST_GS_LIMIT), (uint32_t)VMCS_GET(v, GUEST_GS_AR_BYTES));
	load_seg(cpu, SEG_LDTR, (uint16_t)VMCS_GET(v, GUEST_LDTR_SELECTOR),
	         VMCS_GET(v, GUEST_LDTR_BASE), (uint32_t)VMCS_GET(v, GUEST_LDTR_LIMIT),
	         (uint32_t)VMCS_GET(v, GUEST_LDTR_AR_BYTES));
	load_seg(cpu, SEG_TR, (uint16_t)VMCS_GET(v, GUEST_TR_SELECTOR), VMCS_GET(v, GUEST_TR_BASE),
	         (uint32_t)VMCS_GET(v, GUEST_TR_LIMIT), (uint32_t)VMCS_GET(v, GUEST_TR_AR_BYTES));
	cpu->gdtr.base = VMCS_GET(v, GUEST_GDTR_BASE);
	cpu->gdtr.limit = (uint32_t)VMCS_GET(v, GUEST_GDTR_LIMIT);
	cpu->idtr.base = VMCS_GET(v, GUEST_IDTR_BASE);
	cpu->idtr.limit = (uint32_t)VMCS_GET(v, GUEST_IDTR_LIMIT);
}

/* Blocking by STI / MOV SS and pending debug exceptions (§5 step 9, §7
 * step 5).  MOV-SS blocking also holds #DB traps until after the next
 * instruction (SDM Vol. 3A §6.8.3): the run loop's dbg_held does that.
 * Returns X_OK, or the status of delivering a pending #DB now. */
static int load_blocking(struct cpu *cpu, bool injecting)
{
	struct vmx *v = cpu->vmx;
	uint32_t intr = (uint32_t)VMCS_GET(v, GUEST_INTERRUPTIBILITY);
	uint64_t pend = VMCS_GET(v, GUEST_PENDING_DBG_EXCEPTIONS);
	unsigned b = (unsigned)(pend & DR6_B0_B3);
	bool bs = (pend & DR6_BS) != 0;

	cpu->intr_shadow = 0;
	cpu->dbg_held = 0;
	/* SDM §26.6.1: an injected event leaves no STI/MOV-SS blocking. */
	if (!injecting && (intr & (VMX_INTR_STATE_STI | VMX_INTR_STATE_MOV_SS))) {
		cpu->intr_shadow = 1;
		cpu->shadow_mov_ss = (intr & VMX_INTR_STATE_MOV_SS) != 0;
	}
	if (!injecting && (intr & VMX_INTR_STATE_MOV_SS))
		cpu->dbg_held = (uint8_t)(DEBUG_HELD_SHADOW | b | (bs ? DEBUG_HELD_BS : 0));
	else if (!injecting && (b || bs) && v->guest_activity < VMX_SHUTDOWN) {
		/* Delivered before the first guest instruction; it wakes a
		 * guest entered in HLT. */
		cpu->halted = false;
		debug_raise(cpu, b, bs);
		return cpu_deliver_fault(cpu);
	}
	return X_OK;
}

/* §5: everything after the GUEST checks, in the spec's order.  Nothing here
 * can fail (GUEST-101, the PDPTEs, is a check). */
static void load_guest_state(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	uint32_t entry = (uint32_t)VMCS_GET(v, ENTRY_CONTROLS);
	uint64_t cr0 = VMCS_GET(v, GUEST_CR0);

	/* 1. CR0 (CR0_KEEP bits stay), CR4, CR3. */
	cpu->cr0 = (cpu->cr0 & CR0_KEEP) | (cr0 & ~CR0_KEEP);
	cpu->cr4 = VMCS_GET(v, GUEST_CR4);
	cpu->cr3 = VMCS_GET(v, GUEST_CR3);
	/* 2. Debug controls.  IA32_DEBUGCTL is not modelled by the
	 * interpreter (no MSR 0x1D9): the field is checked (GUEST-7) but has
	 * nowhere to go. */
	if (entry & VMX_ENTRY_LOAD_DEBUG) {
		cpu->dr[7] = (VMCS_GET(v, GUEST_DR7) & ~DR7_ENTRY_CLEAR) | DR7_FIXED1;
		debug_update(cpu);
	}
	/* 3-4. SYSENTER always; PAT per control (PERF_GLOBAL_CTRL is not
	 * modelled). */
	cpu->sysenter_cs = VMCS_GET(v, GUEST_IA32_SYSENTER_CS);
	cpu->sysenter_esp = VMCS_GET(v, GUEST_IA32_SYSENTER_ESP);
	cpu->sysenter_eip = VMCS_GET(v, GUEST_IA32_SYSENTER_EIP);
	if (entry & VMX_ENTRY_LOAD_PAT)
		cpu->pat = VMCS_GET(v, GUEST_IA32_PAT);
	/* 5. EFER: the field, or LMA <- IA32E and LME <- IA32E when the guest
	 * has paging on (with CR0.PG = 0 LME keeps its value). */
	if (entry & VMX_ENTRY_LOAD_EFER) {
		cpu->efer = VMCS_GET(v, GUEST_IA32_EFER);
	} else {
		bool ia32e = (entry & VMX_ENTRY_IA32E_GUEST) != 0;

		cpu->efer = (cpu->efer & ~EFER_LMA) | (ia32e ? EFER_LMA : 0);
		if (cr0 & CR0_PG)
			cpu->efer = (cpu->efer & ~EFER_LME) | (ia32e ? EFER_LME : 0);
	}
	/* 6. Segment registers and descriptor tables; CPL <- SS.DPL comes
	 * from cpu_update_mode(). */
	load_segments(cpu);
	/* 7. RIP, RSP, RFLAGS. */
	cpu->rip = VMCS_GET(v, GUEST_RIP);
	cpu->gpr[R_RSP] = VMCS_GET(v, GUEST_RSP);
	flags_write(cpu, VMCS_GET(v, GUEST_RFLAGS));
	cpu_update_mode(cpu);
	cpu_update_ac(cpu);
	/* 8. PDPTEs: the page walker reads them from guest memory at CR3
	 * (GUEST-101 checked them); not copied from the VMCS fields. */
	/* 9. Activity state and NMI blocking; STI/MOV-SS blocking waits for
	 * the injection decision (load_blocking). */
	v->guest_activity = (uint8_t)VMCS_GET(v, GUEST_ACTIVITY_STATE);
	cpu->halted = v->guest_activity != VMX_ACTIVE;
	if (VMCS_GET(v, PIN_CONTROLS) & VMX_PIN_VIRTUAL_NMIS)
		v->nmi_blocked_virtual = (VMCS_GET(v, GUEST_INTERRUPTIBILITY) & VMX_INTR_STATE_NMI) != 0;
	else
		v->nmi_blocked = (VMCS_GET(v, GUEST_INTERRUPTIBILITY) & VMX_INTR_STATE_NMI) != 0;
	/* 10. The TLB context is switched once the entry can no longer fail
	 * (complete_entry). */
	/* 11. Address-range monitoring (MONITOR/MWAIT) is cleared. */
	cpu->monitor_armed = false;
}

/* §6 (SDM §26.4): the VM-entry MSR-load list, in order, with no rollback.
 * vmentry_check_msr_entry() makes MSR-1..5 and MSR-7 (the list length);
 * MSR-6 is the WRMSR itself.  Returns 0, or the 1-based index of the
 * entry that failed (diag in *d). */
static unsigned load_msr_list(struct cpu *cpu, struct vmx_diag *d)
{
	struct vmx *v = cpu->vmx;
	uint64_t addr = VMCS_GET(v, ENTRY_MSR_LOAD_ADDR);
	uint32_t count = (uint32_t)VMCS_GET(v, ENTRY_MSR_LOAD_COUNT);

	for (uint32_t i = 0; i < count; i++) {
		uint64_t lo = bus_read(cpu->bus, addr + 16ull * i, 8);
		uint64_t val = bus_read(cpu->bus, addr + 16ull * i + 8, 8);
		uint32_t msr = (uint32_t)lo, rsvd = (uint32_t)(lo >> 32);

		cpu->cycles += VMX_MSR_ENTRY_CYCLES;
		if (!vmentry_check_msr_entry(cpu, msr, rsvd, val, i + 1, d))
			return i + 1;
		/* MSR-6: a WRMSR of this index and value at CPL 0 would #GP. */
		if (msr_write(cpu, msr, val) != X_OK) {
			vmentry_msr_write_failed(msr, val, i + 1, d);
			return i + 1;
		}
	}
	return 0;
}

/* The VMX-preemption timer starts with the field's value (§7 step 3).  It
 * decrements each time bit X of the cycle count changes, X =
 * IA32_VMX_MISC[4:0] (vmx-capabilities.md §6): it reaches 0 at the V-th
 * multiple of 2^X after the entry.  V = 0 expires at once. */
static void arm_timer(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	unsigned x = VMX_MISC_TIMER_RATE(vmx_cap(v->profile, MSR_IA32_VMX_MISC));
	uint64_t val = (uint32_t)VMCS_GET(v, PREEMPTION_TIMER_VALUE);

	v->preempt_armed = (VMCS_GET(v, PIN_CONTROLS) & VMX_PIN_PREEMPT_TIMER) != 0;
	v->preempt_deadline = ((cpu->cycles >> x) + val) << x;
}

/* §7 step 4: deliver the event of the VM-entry interruption-information
 * field through the guest IDT (not subject to the exception bitmap).
 * Types 4, 5 and 6 push RIP + the VM-entry instruction length.  Type 7
 * vector 0 only makes an MTF exit pending.  An injected NMI blocks NMIs;
 * any injection wakes a halted guest. */
static int inject_event(struct cpu *cpu, uint32_t info)
{
	struct vmx *v = cpu->vmx;
	unsigned type = VMX_INTR_TYPE(info), vector = VMX_INTR_VECTOR(info);
	uint64_t ret = cpu->rip;

	if (type == VMX_INTR_OTHER) {
		v->mtf_pending = true;
		return X_OK;
	}
	cpu->halted = false;
	v->guest_activity = VMX_ACTIVE;
	if (type == VMX_INTR_NMI) {
		if (VMCS_GET(v, PIN_CONTROLS) & VMX_PIN_VIRTUAL_NMIS)
			v->nmi_blocked_virtual = true;
		else
			v->nmi_blocked = true;
	}
	if (type == VMX_INTR_SOFT_INT || type == VMX_INTR_PRIV_SOFT_EXC || type == VMX_INTR_SOFT_EXC)
		ret += VMCS_GET(v, ENTRY_INSTRUCTION_LEN);
	return cpu_deliver_event(cpu, vector, type, (info & VMX_INTR_ERROR) != 0,
	                         (uint32_t)VMCS_GET(v, ENTRY_EXCEPTION_ERROR_CODE), ret);
}

/* §7: the entry can no longer fail.  Enter non-root operation, arm the
 * boundary events, then inject. */
static int complete_entry(struct cpu *cpu, bool launch)
{
	struct vmx *v = cpu->vmx;
	uint32_t info = (uint32_t)VMCS_GET(v, ENTRY_INTR_INFO);
	bool injecting = (info & VMX_INTR_VALID) != 0;
	struct vmx_event ev = { .kind = VMX_EV_ENTRY, .launch = launch };
	int st;

	if (launch)
		v->current_launched = true;
	cpu->vmx_nonroot = true;
	v->op = VMX_NONROOT;
	/* The guest's TLB context (it also loads the PAE PDPTE registers
	 * when EPT is on).  Block links made under the host's translations
	 * must not be followed in the guest, whatever the context keeps. */
	ept_context_enter(cpu);
	cpu->xlat_gen++;
	/* The exit-information fields that only some exits write start out
	 * invalid, so an exit that does not write them reports "not valid"
	 * (vm-exits.md §4, §6). */
	VMCS_SET(v, EXIT_INTR_INFO, 0);
	VMCS_SET(v, IDT_VECTORING_INFO, 0);
	cpu->cycles += VMX_ENTRY_CYCLES;
	arm_timer(cpu);
	v->mtf_pending = false;
	v->step_one = (VMCS_GET(v, PROC_CONTROLS) & VMX_PROC_MTF) != 0;
	/* The MTF exit follows the injected event's delivery (§7 step 6). */
	if (v->step_one && injecting)
		v->mtf_pending = true;
	v->mtf_icount = VMX_MTF_UNSAMPLED;
	/* SDM §26.3.2.5: with virtual-interrupt delivery, RVI/SVI come from
	 * the guest interrupt status; PPR virtualization and the evaluation
	 * of pending virtual interrupts follow (apicv.c).  A recognized one
	 * is delivered at the first boundary, after any injected event. */
	apicv_entry(cpu);
	ev.guest_rip = cpu->rip;
	vmx_emit(v, &ev);

	st = load_blocking(cpu, injecting);
	/* The MTF exit also follows the delivery of a pending #DB, which
	 * moved RIP to its handler. */
	if (st == X_OK && v->step_one && cpu->rip != ev.guest_rip)
		v->mtf_pending = true;
	if (st == X_OK && injecting)
		st = inject_event(cpu, info);
	vmx_events_update(cpu);
	return st == X_OK ? X_JUMP : st;
}

int vmx_vmentry(struct cpu *cpu, bool launch, unsigned len)
{
	struct vmx_diag d;
	uint64_t qual = 0;
	unsigned bad;

	/* The length of VMLAUNCH/VMRESUME matters only for the VMfailValid
	 * path, where the run loop retires the instruction. */
	(void)len;
	memset(&d, 0, sizeof(d));
	/* §2, SDM §26.2.1: VMX controls. */
	if (!vmentry_check_controls(cpu, &d))
		return entry_vmfail(cpu, launch, 7, &d);
	/* §3, SDM §26.2.2-§26.2.4: host-state area. */
	if (!vmentry_check_host(cpu, &d))
		return entry_vmfail(cpu, launch, 8, &d);
	/* §4, SDM §26.3.1: guest-state area. */
	if (!vmentry_check_guest(cpu, &d, &qual))
		return vmx_exit_entry_fail(cpu, EXIT_INVALID_GUEST_STATE, qual, &d);
	load_guest_state(cpu);
	/* §6, SDM §26.4. */
	bad = load_msr_list(cpu, &d);
	if (bad)
		return vmx_exit_entry_fail(cpu, EXIT_MSR_LOADING, bad, &d);
	return complete_entry(cpu, launch);
}
