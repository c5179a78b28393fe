/* IRET and NMI blocking in VMX non-root operation.  NMIs reach a guest here
 * only by VM-entry injection (entry.c), which sets blocking by NMI, or
 * virtual-NMI blocking when "virtual NMIs" = 1; this file is what removes
 * it again.
 *
 * SDM Vol. 3C §25.3, IRET: with "NMI exiting" = 0, IRET unblocks NMIs as
 * it does outside VMX (Vol. 3A §6.7.1); with "NMI exiting" = 1 it leaves
 * blocking by NMI alone, and with "virtual NMIs" = 1 it removes virtual-
 * NMI blocking instead.  "The unblocking ... occurs even if IRET causes a
 * fault": op_iret() calls vmx_iret_begin() before any of its checks.
 *
 * §27.1: a VM exit from a fault, EPT violation or misconfiguration met
 * while executing that IRET happens with the blocking already cleared, so
 * the saved interruptibility state has bit 3 = 0.  §27.2 (vm-exits.md §4,
 * ept.md §6): the exit then reports "NMI unblocking due to IRET" -- the
 * blocking was in effect before the IRET -- in bit 12 of the VM-exit
 * interruption information (exception exits) or of the qualification (EPT
 * violation, PML full), and the VMM sets interruptibility bit 3 again
 * before it lets the IRET run again (the SDM's VMM programming chapter,
 * "Resuming Guest Software after Handling an Exception").  vmx->iret_nmi_unblocked carries that fact from
 * the IRET to its fault: vmx_exception_intercept() takes it, and
 * vmx_iret_end() drops it when the IRET did not fault.
 *
 * Bit 12 is undefined when the exit records IDT-vectoring information or
 * is a #DF, and when "NMI exiting" = 1 with "virtual NMIs" = 0: softvtx
 * writes 0 there.  The NMI window (window.c) opens at the boundary after
 * the IRET, as virtual-NMI blocking is gone.
 */
#include "intercept.h"

#include "../cpu/cpu.h"
#include "nonroot.h"

void vmx_iret_begin(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	uint32_t pin = (uint32_t)VMCS_GET(v, PIN_CONTROLS);

	if (pin & VMX_PIN_VIRTUAL_NMIS) {
		v->iret_nmi_unblocked = v->nmi_blocked_virtual;
		v->nmi_blocked_virtual = false;
	} else if (!(pin & VMX_PIN_NMI_EXITING)) {
		v->iret_nmi_unblocked = v->nmi_blocked;
		v->nmi_blocked = false;
	} else {
		/* "NMI exiting" = 1, "virtual NMIs" = 0: NMIs are the host's
		 * and IRET does not affect their blocking. */
		v->iret_nmi_unblocked = false;
	}
}

void vmx_iret_end(struct cpu *cpu, int st)
{
	/* Only the IRET's own fault may report the unblocking; a task-switch
	 * exit (X_VMEXIT) has no such bit, and a completed IRET none to
	 * report. */
	if (st != X_FAULT)
		cpu->vmx->iret_nmi_unblocked = false;
}

bool vmx_iret_take_unblocked(struct vmx *v)
{
	bool u = v->iret_nmi_unblocked;

	v->iret_nmi_unblocked = false;
	return u;
}
