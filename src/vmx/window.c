/* Events decided at instruction boundaries in VMX non-root operation
 * (vmx.h): the monitor trap flag, the VMX-preemption timer, NMI-window and
 * interrupt-window exiting.  The run loop calls vmx_boundary() at the top
 * of each block while cpu->vmx_events is set, after a finished STI/MOV SS
 * shadow has been dropped.  While MTF is on, blocks are one instruction
 * long (vmx->step_one); while the preemption timer runs, a block stops at
 * the first instruction that reaches the deadline by the instructions'
 * own cycle costs (page walks inside it can make the exit a little late).
 * The windows open only through instructions that end a block (STI, POPF,
 * IRET, MOV SS...), so looking at them per block is exact.
 *
 * Priority among them (SDM Vol. 3C §26.7 / shared/spec/vm-entry-checks.md
 * §7 step 7): APIC-write emulation > MTF > preemption timer > NMI window >
 * interrupt window = virtual-interrupt delivery (apicv.c).
 *
 * External-interrupt exiting and NMI exiting need an interrupt source; the
 * platform has no interrupt controller yet, so the only external
 * interrupts and NMIs a guest sees are those VM entry injects, and those
 * are delivered, never exited on.
 */
#include "vmx.h"

#include "../cpu/cpu.h"
#include "apicv.h"
#include "exit.h"
#include "nonroot.h"
#include "profile.h"

uint32_t vmx_timer_value(const struct cpu *cpu)
{
	const struct vmx *v = cpu->vmx;
	unsigned x = VMX_MISC_TIMER_RATE(vmx_cap(v->profile, MSR_IA32_VMX_MISC));

	if (!v->preempt_armed || cpu->cycles >= v->preempt_deadline)
		return 0;
	return (uint32_t)((v->preempt_deadline >> x) - (cpu->cycles >> x));
}

void vmx_events_update(struct cpu *cpu)
{
	const struct vmx *v = cpu->vmx;
	uint32_t proc = (uint32_t)VMCS_GET(v, PROC_CONTROLS);

	cpu->vmx_events = cpu->vmx_nonroot &&
	                  (v->preempt_armed || v->mtf_pending || apicv_wants_boundary(v) ||
	                   (proc & (VMX_PROC_MTF | VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW)));
}

/* SDM §25.5.2: with the monitor trap flag, an MTF exit is pending after
 * the guest completed an instruction (or had an event delivered, which
 * also moves RIP) since the entry, or right after an injected event.  A
 * guest that executed HLT exits with activity state HLT.  Injecting type 7
 * ("pending MTF VM exit") makes one pending whatever the control says.
 * The first boundary after the entry, before any guest instruction,
 * samples the instruction count and RIP (the VMLAUNCH or VMRESUME itself
 * retires after vmx_vmentry() returned). */
static bool mtf_due(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;

	if (v->mtf_pending)
		return true;
	if (!v->step_one)
		return false;
	if (v->mtf_icount == VMX_MTF_UNSAMPLED) {
		v->mtf_icount = cpu->icount;
		v->mtf_rip = cpu->rip;
		return false;
	}
	return cpu->icount != v->mtf_icount || cpu->rip != v->mtf_rip;
}

/* NMI window (exit 8): no NMI blocking (virtual-NMI blocking when "virtual
 * NMIs" = 1), no MOV-SS blocking and, a model-specific choice the spec
 * takes (vm-exits.md §12), no STI blocking either.  An injected NMI sets
 * the blocking (entry.c), the guest's IRET removes it (nmi.c). */
static bool nmi_window_open(const struct cpu *cpu, uint32_t pin)
{
	const struct vmx *v = cpu->vmx;
	bool blocked = (pin & VMX_PIN_VIRTUAL_NMIS) ? v->nmi_blocked_virtual : v->nmi_blocked;

	return !blocked && cpu->intr_shadow == 0;
}

/* Interrupt window (exit 7): RFLAGS.IF = 1 and no STI/MOV-SS blocking. */
static bool intr_window_open(const struct cpu *cpu)
{
	return (cpu->rflags & RFLAGS_IF) && cpu->intr_shadow == 0;
}

int vmx_boundary(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	uint32_t proc, pin;
	/* Shutdown and wait-for-SIPI accept neither window. */
	bool asleep = cpu->halted && v->guest_activity >= VMX_SHUTDOWN;

	if (!cpu->vmx_nonroot) {
		cpu->vmx_events = false;
		return X_OK;
	}
	proc = (uint32_t)VMCS_GET(v, PROC_CONTROLS);
	pin = (uint32_t)VMCS_GET(v, PIN_CONTROLS);
	/* APIC-write emulation of the operation that just completed ranks
	 * above everything here (apicv.c). */
	if (v->apic_write_pending || v->apic_solo) {
		int st = apicv_boundary_writes(cpu);

		if (st != X_OK)
			return st;
	}
	if (mtf_due(cpu))
		return vmx_exit(cpu, EXIT_MONITOR_TRAP_FLAG, 0);
	if (v->preempt_armed && cpu->cycles >= v->preempt_deadline)
		return vmx_exit(cpu, EXIT_PREEMPTION_TIMER, 0);
	if ((proc & VMX_PROC_NMI_WINDOW) && !asleep && nmi_window_open(cpu, pin))
		return vmx_exit(cpu, EXIT_NMI_WINDOW, 0);
	if ((proc & VMX_PROC_INTR_WINDOW) && !asleep && intr_window_open(cpu))
		return vmx_exit(cpu, EXIT_INTERRUPT_WINDOW, 0);
	/* Virtual-interrupt delivery has the interrupt window's priority
	 * (SDM §29.2.2; the two exclude each other). */
	if (v->vintr_recognized) {
		int st = apicv_boundary_deliver(cpu);

		if (st != X_OK)
			return st;
	}
	/* A halted guest waits: with the timer armed, time runs on to its
	 * expiry, which wakes it with a timer exit (activity state saved as
	 * HLT).  Without it nothing can wake the guest, and the run loop
	 * stops at the halt. */
	if (cpu->halted && v->preempt_armed) {
		cpu->cycles = v->preempt_deadline;
		return vmx_exit(cpu, EXIT_PREEMPTION_TIMER, 0);
	}
	vmx_events_update(cpu);
	return X_OK;
}
