/* Instructions whose behaviour changes in VMX non-root operation without a
 * VM exit (SDM Vol. 3C §25.3, §29.3; shared/spec/vm-exits.md §2.2 "CR-read
 * behaviour without an exit"): reads of CR0/CR4 see the read shadows for
 * host-owned bits, writes keep the host-owned bits, the TSC is offset and
 * scaled, and with "use TPR shadow" CR8 is the virtual-APIC page's VTPR.
 * cr.c, ops_sys.c and msr.h call these only while cpu->vmx_nonroot. */
#include "intercept.h"

#include "../cpu/cpu.h"
#include "../mem/bus.h"
#include "apicv.h"
#include "exit.h"
#include "vmcs.h"

/* VTPR: offset 0x80 of the virtual-APIC page (SDM §29.1.1). */
#define VAPIC_VTPR 0x80

/* MOV from CR0/CR4, SMSW: (real & ~mask) | (shadow & mask).  With the TPR
 * shadow, MOV from CR8 reads VTPR[7:4]. */
uint64_t vmx_cr_read(const struct cpu *cpu, unsigned cr, uint64_t val)
{
	const struct vmx *v = cpu->vmx;

	switch (cr) {
	case 0:
		return (val & ~VMCS_GET(v, CR0_GUEST_HOST_MASK)) |
		       (VMCS_GET(v, CR0_READ_SHADOW) & VMCS_GET(v, CR0_GUEST_HOST_MASK));
	case 4:
		return (val & ~VMCS_GET(v, CR4_GUEST_HOST_MASK)) |
		       (VMCS_GET(v, CR4_READ_SHADOW) & VMCS_GET(v, CR4_GUEST_HOST_MASK));
	case 8:
		if (VMCS_GET(v, PROC_CONTROLS) & PROC_USE_TPR_SHADOW)
			return (bus_read(cpu->bus, VMCS_GET(v, VIRTUAL_APIC_ADDR) + VAPIC_VTPR, 4) >> 4) &
			       0xf;
		return val;
	default:
		return val;
	}
}

/* MOV to CR0/CR4, CLTS, LMSW that did not exit: the value written is
 * (old & mask) | (new & ~mask) -- the guest cannot change a host-owned
 * bit.  It is still checked against the fixed bits (cr.c). */
uint64_t vmx_cr_write_value(const struct cpu *cpu, unsigned cr, uint64_t val)
{
	const struct vmx *v = cpu->vmx;
	uint64_t mask;

	if (cr == 0)
		mask = VMCS_GET(v, CR0_GUEST_HOST_MASK);
	else if (cr == 4)
		mask = VMCS_GET(v, CR4_GUEST_HOST_MASK);
	else
		return val;
	return ((cr == 0 ? cpu->cr0 : cpu->cr4) & mask) | (val & ~mask);
}

bool vmx_tpr_shadow(const struct cpu *cpu)
{
	return (VMCS_GET(cpu->vmx, PROC_CONTROLS) & PROC_USE_TPR_SHADOW) != 0;
}

/* MOV to CR8 with "use TPR shadow" (SDM §29.3): bits 63:4 of the source
 * are still reserved (#GP(0)); VTPR[7:4] <- source[3:0], the rest of
 * VTPR cleared.  Then TPR virtualization (§29.1.2, apicv.c): without
 * virtual-interrupt delivery, a VTPR[7:4] below TPR threshold[3:0] is a
 * trap-like exit, reason 43, with RIP past the instruction; with it, PPR
 * virtualization and the evaluation of pending virtual interrupts. */
int vmx_tpr_write(struct cpu *cpu, uint64_t val, unsigned len)
{
	struct vmx *v = cpu->vmx;
	uint64_t vapic = VMCS_GET(v, VIRTUAL_APIC_ADDR);

	if (val & ~0xfull)
		return cpu_gp0(cpu);
	bus_write(cpu->bus, vapic + VAPIC_VTPR, 4, (val & 0xf) << 4);
	return apicv_tpr_virtualize(cpu, len);
}

/* RDTSC, RDTSCP and RDMSR of IA32_TSC (SDM §25.3): with "use TSC
 * offsetting" the guest reads TSC + offset; with "use TSC scaling" too,
 * ((TSC * multiplier) >> 48) + offset (the multiplier is 16.48 fixed
 * point). */
uint64_t vmx_guest_tsc(const struct cpu *cpu, uint64_t tsc)
{
	const struct vmx *v = cpu->vmx;

	if (!(VMCS_GET(v, PROC_CONTROLS) & PROC_USE_TSC_OFFSETTING))
		return tsc;
	if (vmx_proc2(v) & PROC2_USE_TSC_SCALING)
		tsc = (uint64_t)(((unsigned __int128)tsc * VMCS_GET(v, TSC_MULTIPLIER)) >> 48);
	return tsc + VMCS_GET(v, TSC_OFFSET);
}
