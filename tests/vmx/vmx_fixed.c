/* CR0/CR4 fixed bits at every enforcement point
 * (shared/spec/vmx-capabilities.md §7, §11; SDM Vol. 3C §23.8): VMXON,
 * MOV to CR0/CR4 in VMX root and non-root operation, VM entry (host and
 * guest state; the unrestricted-guest exemption for PE/PG), and VMXOFF
 * releasing them. */
#include "vmcs_good.h"

static uint64_t ptr;
static void do_vmxon(void *p) { (void)p; vmxon_flags(&ptr, 0); }
static void clear_ne(void *p) { (void)p; write_cr0(read_cr0() & ~CR0_NE); }
static void clear_vmxe(void *p) { (void)p; write_cr4(read_cr4() & ~CR4_VMXE); }
static void lock_fc(void *p) { (void)p; wrmsr(MSR_IA32_FEATURE_CONTROL, 5); }
static uint64_t cr4_bit;
static void set_cr4_bit(void *p) { (void)p; write_cr4(read_cr4() | cr4_bit); }

/* Guests that break the fixed bits, then VMCALL. */
void guest_clear_ne(void), guest_clear_vmxe(void), guest_set_ts(void);
asm(".text\nguest_clear_ne:\n\tmov %cr0, %rbx\n\tand $~0x20, %rbx\n\tmov %rbx, %cr0\n\tvmcall\n\thlt\n"
    "guest_clear_vmxe:\n\tmov %cr4, %rdx\n\tand $~0x2000, %rdx\n\tmov %rdx, %cr4\n\tvmcall\n\thlt\n"
    "guest_set_ts:\n\tmov %cr0, %rbx\n\tor $8, %rbx\n\tmov %rbx, %cr0\n\tvmcall\n\thlt\n");

/* A CR4 bit the CPU lets software set but VMX operation forbids
 * (0 in CR4_FIXED1), or 0 if there is none. */
static uint64_t settable_forbidden_cr4_bit(void)
{
	struct trap_info t;
	for (int b = 0; b < 32; b++) {
		cr4_bit = 1ull << b;
		if ((caps.cr4_fixed1 & cr4_bit) || (read_cr4() & cr4_bit) || b == 12 || b == 17)
			continue;    /* LA57 and PCIDE cannot be toggled here */
		uint64_t old = read_cr4();
		if (trap_try(set_cr4_bit, 0, &t) < 0) {
			write_cr4(old);
			return cr4_bit;
		}
	}
	return 0;
}

static void check_gp_exit(struct entry_result r, const char *what)
{
	/* A #GP(0) in the guest, exiting through exception-bitmap bit 13:
	 * interruption info valid | error code | type 3 | vector 13. */
	bool ok = r.exited && r.reason == 0 && (uint32_t)vmr(VMCS_EXIT_INTR_INFO) == 0x80000B0D &&
		  vmr(VMCS_EXIT_INTR_ERROR_CODE) == 0;
	tap_ok(ok, "%s in VMX non-root with mask 0 -> #GP(0) in the guest (exit 0, info 0x80000B0D)", what);
	if (!ok)
		tap_diag("reason 0x%x info 0x%lx", r.reason, vmr(VMCS_EXIT_INTR_INFO));
}

int main(void)
{
	struct trap_info t;
	tap_plan(20);
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	vmx_leave_feature_control = true;
	vmx_prepare();
	ptr = vmxon_pa;

	/* IA32_FEATURE_CONTROL (vmx-capabilities.md §3): only testable when
	 * the firmware left it unlocked (softvtx --feature-control 0).  Once
	 * locked without VMX the rest of this image cannot run. */
	if (fc & 1) {
		for (int i = 0; i < 3; i++)
			tap_skip("IA32_FEATURE_CONTROL already locked by the firmware",
				 "VMXON.9/10 feature-control check %d", i);
	} else {
		trap_try(do_vmxon, 0, &t);
		tap_ok(t.vector == EXC_GP && t.error == 0,
		       "VMXON.9 with IA32_FEATURE_CONTROL unlocked -> #GP(0) (got %d)", t.vector);
		wrmsr(MSR_IA32_FEATURE_CONTROL, 1);
		trap_try(do_vmxon, 0, &t);
		tap_ok(t.vector == EXC_GP && t.error == 0,
		       "VMXON.10 locked without VMX outside SMX -> #GP(0) (got %d)", t.vector);
		trap_try(lock_fc, 0, &t);
		tap_ok(t.vector == EXC_GP && rdmsr(MSR_IA32_FEATURE_CONTROL) == 1,
		       "WRMSR to a locked IA32_FEATURE_CONTROL -> #GP(0) (got %d)", t.vector);
		for (int i = 0; i < 17; i++)
			tap_skip("IA32_FEATURE_CONTROL locked without VMX by this run", "fixed-bit check %d", i);
		return tap_done();
	}

	/* VMXON: CR4.VMXE = 0 is #UD, other fixed-bit violations #GP(0). */
	write_cr4(read_cr4() & ~CR4_VMXE);
	trap_try(do_vmxon, 0, &t);
	tap_check_u64(t.vector, EXC_UD, "VMXON.1 with CR4.VMXE = 0 -> #UD");
	write_cr4(read_cr4() | CR4_VMXE);
	write_cr0(read_cr0() & ~CR0_NE);
	trap_try(do_vmxon, 0, &t);
	tap_ok(t.vector == EXC_GP && t.error == 0, "VMXON.7 with CR0.NE = 0 -> #GP(0) (got %d)", t.vector);
	write_cr0(read_cr0() | CR0_NE);
	uint64_t bad4 = settable_forbidden_cr4_bit();
	if (bad4) {
		write_cr4(read_cr4() | bad4);
		trap_try(do_vmxon, 0, &t);
		tap_ok(t.vector == EXC_GP && t.error == 0,
		       "VMXON.8 with CR4 bit 0x%lx outside CR4_FIXED1 -> #GP(0) (got %d)", bad4, t.vector);
		write_cr4(read_cr4() & ~bad4);
	} else {
		tap_skip("no CR4 bit outside CR4_FIXED1 can be set", "VMXON.8 CR4 outside CR4_FIXED1");
	}
	tap_ok(vm_succeeded(vmxon_flags(&ptr, RFLAGS_ARITH)), "VMXON with CR0/CR4 within the fixed bits succeeds");

	/* MOV to CR in VMX root operation. */
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();
	trap_try(clear_ne, 0, &t);
	tap_ok(t.vector == EXC_GP && t.error == 0 && read_cr0() == cr0,
	       "MOV CR0 clearing NE in VMX root -> #GP(0), CR0 unchanged (got %d)", t.vector);
	trap_try(clear_vmxe, 0, &t);
	tap_ok(t.vector == EXC_GP && t.error == 0 && read_cr4() == cr4,
	       "MOV CR4 clearing VMXE in VMX root -> #GP(0), CR4 unchanged (got %d)", t.vector);
	if (bad4) {
		cr4_bit = bad4;
		trap_try(set_cr4_bit, 0, &t);
		tap_ok(t.vector == EXC_GP && read_cr4() == cr4,
		       "MOV CR4 setting bit 0x%lx outside CR4_FIXED1 in VMX root -> #GP(0)", bad4);
	} else {
		tap_skip("no CR4 bit outside CR4_FIXED1 can be set", "MOV CR4 outside CR4_FIXED1 in VMX root");
	}

	/* MOV to CR in VMX non-root: not owned by the host (mask 0) ->
	 * checked against the fixed bits -> #GP(0) in the guest. */
	vmcs_good(GOOD_DEFAULT, guest_clear_ne);
	vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
	check_gp_exit(vmx_enter(false), "MOV CR0 clearing NE");
	vmcs_good(GOOD_DEFAULT, guest_clear_vmxe);
	vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
	check_gp_exit(vmx_enter(false), "MOV CR4 clearing VMXE");
	/* Owned by the host (mask NE = 1, shadow NE = 1): the write that
	 * changes the shadowed bit exits first (reason 28, qual: CR0, MOV to
	 * CR, register RBX = 3). */
	vmcs_good(GOOD_DEFAULT, guest_clear_ne);
	vmw(VMCS_CR0_GUEST_HOST_MASK, CR0_NE);
	vmw(VMCS_CR0_READ_SHADOW, CR0_NE);
	struct entry_result r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 28 && r.qual == 0x300,
	       "MOV CR0 changing a host-owned bit -> exit 28 qual 0x300 (got 0x%x qual 0x%lx)", r.reason, r.qual);
	/* A legal change (CR0.TS) does not exit and keeps the fixed bits. */
	vmcs_good(GOOD_DEFAULT, guest_set_ts);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && (vmr(VMCS_GUEST_CR0) & (CR0_TS | CR0_NE)) == (CR0_TS | CR0_NE),
	       "MOV CR0 setting TS in the guest is allowed (exit 0x%x)", r.reason);

	/* VM entry: the unrestricted-guest exemption for CR0.PE/PG (GUEST-1):
	 * a real-mode guest enters and its VMCALL exits. */
	if (has_proc2(PROC2_UG | PROC2_EPT)) {
		vmcs_real_mode_guest((uintptr_t)guest_vmcall);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 18,
		       "unrestricted guest with CR0.PE = PG = 0 enters (real mode) and VMCALL exits (got 0x%x)", r.reason);
	} else {
		tap_skip("no unrestricted guest", "unrestricted guest with CR0.PE = PG = 0 enters");
	}
	/* Without unrestricted guest PE and PG are required (GUEST-1 is the
	 * ID; vmx_entry_guest counts it). */
	vmcs_good(GOOD_DEFAULT, 0);
	vmw_clear(VMCS_GUEST_CR0, CR0_PE);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 0x80000021, "guest CR0.PE = 0 without unrestricted guest -> exit 33 (got 0x%x)", r.reason);

	/* VM exit loads host CR0 except ET, NW and CD (vm-exits.md §9), and
	 * VM entry loads guest CR0 except them too (vm-entry-checks.md §5):
	 * fields with CD = NW = 1 leave the real CR0's CD/NW as they were
	 * (cleared here first: the reset value of CR0 has both set). */
	write_cr0(read_cr0() & ~(CR0_CD | CR0_NW));
	vmcs_good(GOOD_DEFAULT, 0);
	vmw_or(VMCS_HOST_CR0, CR0_CD | CR0_NW);
	vmw_or(VMCS_GUEST_CR0, CR0_CD | CR0_NW);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && !(read_cr0() & (CR0_CD | CR0_NW)),
	       "host CR0 field with CD|NW: the exit leaves CR0.CD/NW clear (exit 0x%x, CR0 0x%lx)", r.reason, read_cr0());
	tap_check_u64(vmr(VMCS_GUEST_CR0) & (CR0_CD | CR0_NW), 0,
		      "guest CR0 field with CD|NW: entry did not load them (saved guest CR0)");

	/* VMXOFF releases the fixed bits. */
	tap_ok(vm_succeeded(vmxoff_flags(RFLAGS_ARITH)), "VMXOFF succeeds");
	write_cr4(read_cr4() & ~CR4_VMXE);
	tap_check_u64(read_cr4() & CR4_VMXE, 0, "after VMXOFF CR4.VMXE can be cleared");
	return tap_done();
}
