/* VM-entry checks on the host-state area (SDM Vol. 3C §26.2.2-26.2.4;
 * shared/spec/vm-entry-checks.md §3): each case corrupts one host field
 * of the known-good VMCS and expects VMfailValid(8), "VM entry with
 * invalid host-state field(s)".  Most cases run from the image's 64-bit
 * host; HOST-19, 25, 26, 29 and 30 need VMLAUNCH outside IA-32e mode, so
 * they leave VMX operation, drop to 32-bit protected mode with 4 MiB
 * paging (legacy_call), VMXON and VMLAUNCH there, and come back. */
#include "vmcs_good.h"

/* --- the 32-bit host ------------------------------------------------- */
extern uint64_t idt32[];
static uint32_t pd32[1024] __attribute__((aligned(4096)));
uint64_t host32_vmxon_ptr, host32_vmcs_ptr;
uint32_t host32_cr3, host32_cr4, host32_flags, host32_error, host32_reason, host32_vmxon_flags;
void host32_launch(void), host32_landing(void);
/* In legacy protected mode (paging off): enable 4 MiB paging, VMXON,
 * VMPTRLD, HOST_RSP = ESP, VMLAUNCH.  host32_flags = RFLAGS after a
 * VMfail, 0 after a VM exit (which lands at host32_landing with ESP =
 * HOST_RSP); then read the error and exit reason, VMXOFF, paging off. */
asm(".text\n.code32\n.globl host32_launch, host32_landing\nhost32_launch:\n"
    "\tpush %ebp\n\tpush %ebx\n\tpush %esi\n\tpush %edi\n"
    "\tmov host32_cr4, %eax\n\tmov %eax, %cr4\n"
    "\tmov host32_cr3, %eax\n\tmov %eax, %cr3\n"
    "\tmov %cr0, %eax\n\tor $0x80000020, %eax\n\tmov %eax, %cr0\n"
    "\tvmxon host32_vmxon_ptr\n\tpushf\n\tpop %eax\n\tmov %eax, host32_vmxon_flags\n"
    "\tvmptrld host32_vmcs_ptr\n"
    "\tmov $0x6C14, %eax\n\tvmwrite %esp, %eax\n"
    "\tvmlaunch\n\tpushf\n\tpop %eax\n\tmov %eax, host32_flags\n\tjmp 2f\n"
    "host32_landing:\n\tmovl $0, host32_flags\n"
    "2:\tmov $0x4400, %eax\n\tvmread %eax, %ebx\n\tmov %ebx, host32_error\n"
    "\tmov $0x4402, %eax\n\tvmread %eax, %ebx\n\tmov %ebx, host32_reason\n"
    "\tvmxoff\n"
    "\tmov %cr0, %eax\n\tand $0x7fffffff, %eax\n\tmov %eax, %cr0\n"
    "\tpop %edi\n\tpop %esi\n\tpop %ebx\n\tpop %ebp\n\txor %eax, %eax\n\tret\n.code64\n");

/* The known-good VMCS turned into a 32-bit host (HASS = 0) running a
 * 32-bit guest (IA32E = 0), both on the same 4 MiB-page directory. */
static void make_32bit(void)
{
	uint64_t cr4 = CR4_VMXE | CR4_PSE | caps.cr4_fixed0;
	for (int i = 0; i < 1024; i++)
		pd32[i] = (uint32_t)i << 22 | 0x87;
	host32_cr3 = (uint32_t)(uintptr_t)pd32;
	host32_cr4 = (uint32_t)cr4;
	vmw_clear(VMCS_EXIT_CONTROLS, EXIT_HASS);
	vmw_clear(VMCS_ENTRY_CONTROLS, ENTRY_IA32E);
	vmw(VMCS_HOST_CR3, host32_cr3);
	vmw(VMCS_HOST_CR4, cr4);
	vmw(VMCS_HOST_CS_SELECTOR, SEL_KCODE32);
	vmw(VMCS_HOST_IDTR_BASE, (uintptr_t)idt32);
	vmw(VMCS_HOST_RIP, (uintptr_t)host32_landing);
	vmw(VMCS_GUEST_CR3, host32_cr3);
	vmw(VMCS_GUEST_CR4, cr4);
	vmw(VMCS_GUEST_CS_SELECTOR, SEL_KCODE32);
	vmw(VMCS_GUEST_CS_AR_BYTES, 0xC09B);
	vmw(VMCS_GUEST_IDTR_BASE, (uintptr_t)idt32);
	vmw(VMCS_GUEST_IDTR_LIMIT, 64 * 8 - 1);
}

/* Runs the current VMCS from the 32-bit host and comes back to VMX root
 * in 64-bit mode with it current again. */
static struct entry_result launch_from_32bit(void)
{
	struct entry_result r = { 0 };
	uint64_t pa = (uintptr_t)vmcs_region;
	vmclear_flags(&pa, 0);
	vmxoff_flags(0);
	host32_vmxon_ptr = vmxon_pa;
	host32_vmcs_ptr = pa;
	uint32_t ret = legacy_call((uint32_t)(uintptr_t)host32_launch, 0, 0);
	if (ret)
		tap_diag("32-bit host: exception, legacy_call returned 0x%x (vector %u at 0x%x)", ret,
			 legacy_trap.vector, legacy_trap.eip);
	if (!vm_succeeded(host32_vmxon_flags))
		tap_diag("32-bit host: VMXON rflags 0x%x", host32_vmxon_flags);
	if (!vm_succeeded(vmxon_flags(&vmxon_pa, 0)))
		tap_bail("VMXON after the 32-bit host failed");
	vmptrld_flags(&pa, 0);
	r.exited = host32_flags == 0 && !ret;
	r.rflags = host32_flags;
	r.reason = host32_reason;
	r.insn_error = host32_error;
	return r;
}

static void check32(const struct entry_case *c)
{
	vmcs_good(GOOD_DEFAULT, 0);
	make_32bit();
	c->mutate();
	struct entry_result r = launch_from_32bit();
	bool ok = c->expect == X_EXIT ? r.exited && r.reason == c->num :
		  !r.exited && (r.rflags & RFLAGS_ARITH) == RFLAGS_ZF && r.insn_error == c->num;
	if (c->expect == X_EXIT)
		tap_ok(ok, "%s %s -> exit %u", c->id, c->what, c->num);
	else
		tap_ok(ok, "%s %s -> VMfailValid(%u)", c->id, c->what, c->num);
	if (!ok)
		tap_diag("got: exited %d reason 0x%x rflags 0x%lx error %u", r.exited, r.reason, r.rflags,
			 r.insn_error);
}

static void h32_none(void) {}
static void host19(void) { vmw(VMCS_HOST_SS_SELECTOR, 0); }
static void host25(void) { vmw_or(VMCS_ENTRY_CONTROLS, ENTRY_IA32E); }
static void host26(void) { vmw_or(VMCS_EXIT_CONTROLS, EXIT_HASS); }
static void host29(void) { vmw_or(VMCS_HOST_CR4, CR4_PCIDE); }
static void host30(void) { vmw(VMCS_HOST_RIP, 1ull << 32 | (uintptr_t)host32_landing); }
static const struct entry_case cases32[] = {
	{ "", "", 0, h32_none, X_EXIT, 18, 0, 0 },
	{ "HOST-19", "32-bit host (HASS = 0) with SS selector 0", 0, host19, X_VMFAIL_VALID, 8, 0, 0 },
	{ "HOST-25", "IA-32e mode guest from a host with EFER.LMA = 0", 0, host25, X_VMFAIL_VALID, 8, 0, 0 },
	{ "HOST-26", "host address-space size 1 with EFER.LMA = 0", 0, host26, X_VMFAIL_VALID, 8, 0, 0 },
	{ "HOST-29", "32-bit host (HASS = 0) with CR4.PCIDE = 1", 0, host29, X_VMFAIL_VALID, 8, 0, 0 },
	{ "HOST-30", "32-bit host (HASS = 0) with host RIP bit 32", 0, host30, X_VMFAIL_VALID, 8, 0, 0 },
};

#define VMFAIL8 X_VMFAIL_VALID, 8, 0

static uint64_t lowest64(uint64_t m) { return m & -m; }

static const char *no_cr0_fixed1(void) { return ~caps.cr0_fixed1 ? 0 : "CR0_FIXED1 is all ones"; }
static const char *no_cr4_fixed1(void) { return ~caps.cr4_fixed1 ? 0 : "CR4_FIXED1 is all ones"; }
static const char *no_cet(void) { return caps.cr4_fixed1 >> 23 & 1 ? 0 : "[opt] CET not supported (CR4_FIXED1[23] = 0)"; }
static const char *no_cet_exit(void) { return can_set(caps.exit, 1u << 28) ? 0 : "[opt] load-CET-state exit control not supported"; }
static const char *no_pkrs(void) { return can_set(caps.exit, 1u << 29) ? 0 : "[opt] load-PKRS exit control not supported"; }
static const char *no_perf(void) { return can_set(caps.exit, EXIT_LOAD_PERF) ? 0 : "no load IA32_PERF_GLOBAL_CTRL"; }
static const char *no_pat(void) { return can_set(caps.exit, EXIT_LOAD_PAT) ? 0 : "no load IA32_PAT"; }
static const char *no_efer(void) { return can_set(caps.exit, EXIT_LOAD_EFER) ? 0 : "no load IA32_EFER"; }

static void host1(void) { vmw_clear(VMCS_HOST_CR0, CR0_NE); }
static void host1pg(void) { vmw_clear(VMCS_HOST_CR0, CR0_PG); }
static void host2(void) { vmw_or(VMCS_HOST_CR0, lowest64(~caps.cr0_fixed1)); }
static void host3(void) { vmw_clear(VMCS_HOST_CR4, CR4_VMXE); }
static void host4(void) { vmw_or(VMCS_HOST_CR4, lowest64(~caps.cr4_fixed1)); }
static void host5(void) { vmw_or(VMCS_HOST_CR4, 1ull << 23); vmw_clear(VMCS_HOST_CR0, CR0_WP); }
static void host6(void) { vmw_or(VMCS_HOST_CR3, 1ull << caps.maxphyaddr); }
static void host7(void) { vmw(VMCS_HOST_IA32_SYSENTER_ESP, NOT_CANONICAL); }
static void host8(void) { vmw(VMCS_HOST_IA32_SYSENTER_EIP, 0x8000000000001000ull >> 4 | NOT_CANONICAL); }
static void host9(void) { vmw_or(VMCS_EXIT_CONTROLS, 1u << 28); vmw(VMCS_HOST_IA32_S_CET, NOT_CANONICAL); }
static void host10(void)
{
	/* Bit 40 is reserved in IA32_PERF_GLOBAL_CTRL on every CPU (the
	 * profile's valid bits are 3:0 and 34:32). */
	vmw_or(VMCS_EXIT_CONTROLS, EXIT_LOAD_PERF);
	vmw(VMCS_HOST_IA32_PERF_GLOBAL_CTRL, 1ull << 40);
}
static void host11(void)
{
	vmw_or(VMCS_EXIT_CONTROLS, EXIT_LOAD_PAT);
	vmw(VMCS_HOST_IA32_PAT, (vmr(VMCS_HOST_IA32_PAT) & ~0xffull) | 2);
}
static void host12(void) { vmw_or(VMCS_EXIT_CONTROLS, EXIT_LOAD_EFER); vmw_or(VMCS_HOST_IA32_EFER, 1 << 1); }
static void host13(void) { vmw_or(VMCS_EXIT_CONTROLS, EXIT_LOAD_EFER); vmw_clear(VMCS_HOST_IA32_EFER, EFER_LMA); }
static void host14(void) { vmw_or(VMCS_EXIT_CONTROLS, EXIT_LOAD_EFER); vmw_clear(VMCS_HOST_IA32_EFER, EFER_LME); }
static void host15(void) { vmw_or(VMCS_EXIT_CONTROLS, 1u << 29); vmw(VMCS_HOST_IA32_PKRS, 1ull << 32); }
static void host16cs(void) { vmw(VMCS_HOST_CS_SELECTOR, SEL_KCODE64 | 1); }
static void host16ss(void) { vmw(VMCS_HOST_SS_SELECTOR, SEL_KDATA | 4); }
static void host16tr(void) { vmw(VMCS_HOST_TR_SELECTOR, SEL_TSS | 3); }
static void host16fs(void) { vmw(VMCS_HOST_FS_SELECTOR, 4); }
static void host17(void) { vmw(VMCS_HOST_CS_SELECTOR, 0); }
static void host18(void) { vmw(VMCS_HOST_TR_SELECTOR, 0); }
static void host20(void) { vmw(VMCS_HOST_FS_BASE, NOT_CANONICAL); }
static void host21(void) { vmw(VMCS_HOST_GS_BASE, 0xfffe000000000000ull); }
static void host22(void) { vmw(VMCS_HOST_GDTR_BASE, vmr(VMCS_HOST_GDTR_BASE) | NOT_CANONICAL); }
static void host23(void) { vmw(VMCS_HOST_IDTR_BASE, vmr(VMCS_HOST_IDTR_BASE) | NOT_CANONICAL); }
static void host24(void) { vmw(VMCS_HOST_TR_BASE, vmr(VMCS_HOST_TR_BASE) | NOT_CANONICAL); }
static void host27(void) { vmw_clear(VMCS_EXIT_CONTROLS, EXIT_HASS); }
static void host31(void) { vmw_clear(VMCS_HOST_CR4, CR4_PAE); }
static void host32(void) { host_rip_override = NOT_CANONICAL | 0x1000; }

#define D GOOD_DEFAULT
static const struct entry_case cases[] = {
	{ "HOST-1", "host CR0.NE = 0", D, host1, VMFAIL8, 0 },
	{ "HOST-1", "host CR0.PG = 0", D, host1pg, VMFAIL8, 0 },
	{ "HOST-2", "host CR0 bit outside CR0_FIXED1 set", D, host2, VMFAIL8, no_cr0_fixed1 },
	{ "HOST-3", "host CR4.VMXE = 0", D, host3, VMFAIL8, 0 },
	{ "HOST-4", "host CR4 bit outside CR4_FIXED1 set", D, host4, VMFAIL8, no_cr4_fixed1 },
	{ "HOST-5", "host CR4.CET without CR0.WP", D, host5, VMFAIL8, no_cet },
	{ "HOST-6", "host CR3 bit MAXPHYADDR set", D, host6, VMFAIL8, 0 },
	{ "HOST-7", "host SYSENTER_ESP not canonical", D, host7, VMFAIL8, 0 },
	{ "HOST-8", "host SYSENTER_EIP not canonical", D, host8, VMFAIL8, 0 },
	{ "HOST-9", "host S_CET not canonical", D, host9, VMFAIL8, no_cet_exit },
	{ "HOST-10", "host PERF_GLOBAL_CTRL reserved bit 40", D, host10, VMFAIL8, no_perf },
	{ "HOST-11", "host PAT entry 0 = 2", D, host11, VMFAIL8, no_pat },
	{ "HOST-12", "host EFER reserved bit 1", D, host12, VMFAIL8, no_efer },
	{ "HOST-13", "host EFER.LMA = 0 with HASS = 1", D, host13, VMFAIL8, no_efer },
	{ "HOST-14", "host EFER.LME = 0 with HASS = 1", D, host14, VMFAIL8, no_efer },
	{ "HOST-15", "host PKRS bit 32", D, host15, VMFAIL8, no_pkrs },
	{ "HOST-16", "host CS selector RPL 1", D, host16cs, VMFAIL8, 0 },
	{ "HOST-16", "host SS selector TI 1", D, host16ss, VMFAIL8, 0 },
	{ "HOST-16", "host TR selector RPL 3", D, host16tr, VMFAIL8, 0 },
	{ "HOST-16", "host FS selector TI 1", D, host16fs, VMFAIL8, 0 },
	{ "HOST-17", "host CS selector 0", D, host17, VMFAIL8, 0 },
	{ "HOST-18", "host TR selector 0", D, host18, VMFAIL8, 0 },
	{ "HOST-20", "host FS base not canonical", D, host20, VMFAIL8, 0 },
	{ "HOST-21", "host GS base not canonical", D, host21, VMFAIL8, 0 },
	{ "HOST-22", "host GDTR base not canonical", D, host22, VMFAIL8, 0 },
	{ "HOST-23", "host IDTR base not canonical", D, host23, VMFAIL8, 0 },
	{ "HOST-24", "host TR base not canonical", D, host24, VMFAIL8, 0 },
	{ "HOST-27", "host address-space size 0 while EFER.LMA = 1", D, host27, VMFAIL8, 0 },
	{ "HOST-31", "host CR4.PAE = 0 with HASS = 1", D, host31, VMFAIL8, 0 },
	{ "HOST-32", "host RIP not canonical", D, host32, VMFAIL8, 0 },
};

int main(void)
{
	tap_plan(1 + (int)ARRAY_SIZE(cases) + (int)ARRAY_SIZE(cases32));
	vmx_test_init();
	check_good(GOOD_DEFAULT, "EPT, VPID, I/O and MSR bitmaps");
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		run_entry_cases(&cases[i], 1);
		host_rip_override = 0;
	}
	/* From a 32-bit host: first the unmodified VMCS (a 32-bit guest whose
	 * VMCALL exits back to the 32-bit host), then one rule per case. */
	struct entry_case good = cases32[0];
	good.id = "32-bit host:";
	good.what = "known-good VMCS with HASS = 0 enters; the guest's VMCALL";
	check32(&good);
	for (unsigned i = 1; i < ARRAY_SIZE(cases32); i++)
		check32(&cases32[i]);
	return tap_done();
}
