/* VMXON and the VMCS of the bench images: the known-good VMCS of
 * tests/vmx/vmcs_good.c (a 64-bit guest in the host's page tables, every
 * control adjusted from the capability MSRs: allowed-0 forced on,
 * allowed-1 respected, the TRUE MSRs when IA32_VMX_BASIC[55] = 1), with
 * the guest's entry point and stack chosen here. */
#include "vmcs_good.h"
#include "vmxhost.h"

void bench_vmx_setup(unsigned opts, void (*guest_rip)(void), uint64_t guest_rsp)
{
	unsigned good = 0;

	if (opts & BENCH_VMX_EPT)
		good |= GOOD_EPT;
	if (opts & BENCH_VMX_VPID)
		good |= GOOD_VPID;
	/* Bails out ("Bail out! VMXON failed ...") when VMX is absent or
	 * VMXON fails; vmcs_good() checks VMCLEAR, VMPTRLD and each VMWRITE. */
	vmx_test_init();
	vmcs_good(good, guest_rip);
	vmw(VMCS_GUEST_RSP, guest_rsp);
}

void bench_vmx_write(const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		serial_putc(s[i]);
}

void bench_vmx_report_features(void)
{
	uint64_t proc2 = vmr(VMCS_PROC_CONTROLS) & PROC_SECONDARY ? vmr(VMCS_PROC2_CONTROLS) : 0;

	printf("bench-vmx ept %d vpid %d\n", (proc2 & PROC2_EPT) != 0, (proc2 & PROC2_VPID) != 0);
}
