/* VMX availability checks that hold on every CPU (SDM Vol. 3C §24.6,
 * §24.7; Vol. 3C VMXON): with CR4.VMXE=0, VMXON and the other VMX
 * instructions are #UD; setting CR4.VMXE is #GP(0) unless CPUID.1:ECX.VMX
 * is 1.  When VMX exists: VMXON with a region whose revision ID is wrong
 * is VMfailInvalid, VMXON needs IA32_FEATURE_CONTROL to allow it, and
 * VMPTRST before any VMPTRLD stores FFFFFFFF_FFFFFFFFH. */
#include "guest.h"
#include "vmx.h"

#define CPUID_1_ECX_VMX 5
#define MSR_IA32_VMX_BASIC 0x480

static uint8_t region[4096] __attribute__((aligned(4096)));
static uint64_t region_pa;

static void do_vmxon(void *p) { (void)p; vmxon_flags(&region_pa, 0); }
static void do_vmxoff(void *p) { (void)p; vmxoff_flags(0); }
static void do_vmptrst(void *p) { vmptrst_flags(p, 0); }
static void set_vmxe(void *p) { (void)p; write_cr4(read_cr4() | CR4_VMXE); }

int main(void)
{
	struct trap_info t;
	bool vmx = cpu_has(1, 'c', CPUID_1_ECX_VMX);
	tap_plan(7);

	region_pa = (uintptr_t)region;
	write_cr4(read_cr4() & ~CR4_VMXE);
	trap_try(do_vmxon, 0, &t);
	tap_check_u64(t.vector, EXC_UD, "vmxon with CR4.VMXE=0 -> #UD");
	trap_try(do_vmxoff, 0, &t);
	tap_check_u64(t.vector, EXC_UD, "vmxoff outside VMX operation with CR4.VMXE=0 -> #UD");
	uint64_t cur = 0;
	trap_try(do_vmptrst, &cur, &t);
	tap_check_u64(t.vector, EXC_UD, "vmptrst with CR4.VMXE=0 -> #UD");

	/* QEMU 7.2 TCG hangs on this MOV to CR4 (see
	 * qemu-expected-differences.txt). */
	if (cpu_is_qemu_tcg() && !vmx) {
		tap_skip("known TCG difference, see qemu-expected-differences.txt",
			 "setting CR4.VMXE without CPUID.1:ECX.VMX -> #GP(0)");
		for (int i = 0; i < 3; i++)
			tap_skip("CPUID.1:ECX.VMX = 0", "VMX operation %d", i);
		return tap_done();
	}
	trap_try(set_vmxe, 0, &t);
	if (!vmx) {
		tap_ok(t.vector == EXC_GP && t.error == 0,
		       "setting CR4.VMXE without CPUID.1:ECX.VMX -> #GP(0) (got %d)", t.vector);
		for (int i = 0; i < 3; i++)
			tap_skip("CPUID.1:ECX.VMX = 0", "VMX operation %d", i);
		return tap_done();
	}
	tap_check_u64(t.vector, (uint64_t)-1, "setting CR4.VMXE with VMX available");
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	/* Lock bit (0) with VMXON outside SMX (2) allows VMXON. */
	if (!(fc & 1)) {
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc | 5);
		fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	}
	if (!(fc & 4)) {
		for (int i = 0; i < 3; i++)
			tap_skip("IA32_FEATURE_CONTROL forbids VMXON", "VMX operation %d", i);
		write_cr4(read_cr4() & ~CR4_VMXE);
		return tap_done();
	}
	write_cr0(read_cr0() | CR0_NE);
	/* A region whose revision ID does not match IA32_VMX_BASIC[30:0]. */
	uint32_t rev = (uint32_t)rdmsr(MSR_IA32_VMX_BASIC) & 0x7fffffff;
	*(uint32_t *)region = rev ^ 1;
	uint64_t fl = vmxon_flags(&region_pa, RFLAGS_ZF);
	tap_check_u64(vmx_outcome(fl), VMX_FAIL_INVALID, "vmxon with a wrong revision ID -> VMfailInvalid");
	*(uint32_t *)region = rev;
	fl = vmxon_flags(&region_pa, RFLAGS_CF | RFLAGS_ZF);
	tap_check_u64(vmx_outcome(fl), VMX_SUCCEED, "vmxon -> VMsucceed (clears preset CF and ZF)");
	cur = 0;
	vmptrst_flags(&cur, 0);
	tap_check_u64(cur, ~0ull, "vmptrst with no current VMCS stores FFFFFFFF_FFFFFFFFH");
	vmxoff_flags(0);
	write_cr4(read_cr4() & ~CR4_VMXE);
	return tap_done();
}
