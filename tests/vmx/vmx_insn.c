/* Every VMX instruction's #UD / #GP / VMfail paths with exact error
 * numbers and RFLAGS (shared/spec/vmx-instructions.md §2-§17; SDM Vol. 3C
 * §30.2-§30.4), the basic VM-entry checks BASIC-1..8
 * (vm-entry-checks.md §1), VMPTRST, and a VMCLEAR/VMPTRLD round trip
 * through memory including a byte copy of a cleared VMCS.
 *
 * Every instruction runs with all six arithmetic flags preset to 1, so a
 * result proves the instruction cleared the ones it must clear. */
#include "vmcs_good.h"

#define PRESET (RFLAGS_ARITH)

static uint8_t region_b[4096] __attribute__((aligned(4096)));
static uint8_t region_c[4096] __attribute__((aligned(4096)));
static uint64_t ptr;

static void result(uint64_t fl, int kind, uint32_t err, const char *name)
{
	bool ok;
	if (kind == 0)
		ok = vm_succeeded(fl);
	else if (kind == 1)
		ok = vm_failed_invalid(fl);
	else
		ok = vm_failed_valid(fl, err);
	const char *k[] = { "VMsucceed", "VMfailInvalid", "VMfailValid" };
	if (kind == 2)
		tap_ok(ok, "%s -> %s(%u)", name, k[kind], err);
	else
		tap_ok(ok, "%s -> %s", name, k[kind]);
	if (!ok) {
		uint64_t e = 0;
		vmread_flags(VMCS_VM_INSTRUCTION_ERROR, &e, 0);
		tap_diag("rflags 0x%lx, VM-instruction error field %lu", fl, e);
	}
}
#define SUCCEED(fl, name) result(fl, 0, 0, name)
#define FAIL_INVALID(fl, name) result(fl, 1, 0, name)
#define FAIL_VALID(fl, n, name) result(fl, 2, n, name)

/* Instructions run under trap_try, for the exception paths. */
static struct vmx_inv_desc desc;
static void do_vmxon(void *p) { (void)p; vmxon_flags(&ptr, PRESET); }
static void do_vmxoff(void *p) { (void)p; vmxoff_flags(PRESET); }
static void do_vmclear(void *p) { (void)p; vmclear_flags(&ptr, PRESET); }
static void do_vmptrld(void *p) { (void)p; vmptrld_flags(&ptr, PRESET); }
static void do_vmptrst(void *p) { (void)p; vmptrst_flags(&ptr, PRESET); }
static void do_vmread(void *p) { (void)p; uint64_t v = 0; vmread_flags(VMCS_GUEST_RIP, &v, PRESET); }
static void do_vmwrite(void *p) { (void)p; vmwrite_flags(VMCS_GUEST_RIP, 0, PRESET); }
static void do_vmlaunch(void *p) { (void)p; vmlaunch_flags(PRESET); }
static void do_vmresume(void *p) { (void)p; vmresume_flags(PRESET); }
static void do_vmcall(void *p) { (void)p; vmcall_flags(PRESET); }
static void do_invept(void *p) { (void)p; invept_flags(2, &desc, PRESET); }
static void do_invvpid(void *p) { (void)p; invvpid_flags(2, &desc, PRESET); }
static void do_vmfunc(void *p) { (void)p; asm volatile("xor %%eax, %%eax; xor %%ecx, %%ecx; vmfunc" ::: "eax", "ecx", "memory"); }
static void do_vmxon_reg(void *p)
{
	(void)p;
	/* F3 0F C7 /6 with mod = 11 (register operand). */
	asm volatile(".byte 0xf3, 0x0f, 0xc7, 0xf0" ::: "memory");
}
/* NP 0F C7 /6 with mod = 11: RDRAND EAX where CPUID.01H:ECX[30] is set
 * (SDM Vol. 2B RDRAND), so EAX and the flags are clobbered. */
static void do_vmptrld_reg(void *p) { (void)p; asm volatile(".byte 0x0f, 0xc7, 0xf0" ::: "eax", "cc", "memory"); }

struct insn_case {
	const char *name;
	void (*fn)(void *);
};

static void expect_exc(void (*fn)(void *), bool user, int vector, const char *fmt, const char *name)
{
	struct trap_info t;
	if (user)
		user_try(fn, 0, 0, &t);
	else
		trap_try(fn, 0, &t);
	bool ok = t.vector == vector && (vector != EXC_GP || t.error == 0);
	tap_ok(ok, fmt, name);
	if (!ok)
		tap_diag("got vector %d error 0x%lx", t.vector, t.error);
}

/* BASIC-1: VMLAUNCH in compatibility mode. */
void compat_vmlaunch(void);
asm(".text\n.code32\ncompat_vmlaunch:\n\tvmlaunch\n\tret\n.code64\n");
static void do_compat_vmlaunch(void *p) { (void)p; compat_call((uint32_t)(uintptr_t)compat_vmlaunch, 0, 0); }

/* BASIC-6: VMLAUNCH directly after MOV SS (blocking by MOV SS). */
static uint64_t vmlaunch_after_mov_ss(void)
{
	uint64_t fl = PRESET | RFLAGS_FIXED1;
	asm volatile("push %0; popfq; mov %%ss, %%ax; mov %%ax, %%ss; vmlaunch; pushfq; pop %0"
		     : "+r"(fl) : : "rax", "cc", "memory");
	return fl;
}

/* 16-bit code for the real-mode and virtual-8086 guests. */
static const uint8_t code16_vmxon[] = { 0xf3, 0x0f, 0xc7, 0x37, 0xf4 };   /* VMXON [BX]; HLT */
static const uint8_t code16_vmcall[] = { 0x0f, 0x01, 0xc1, 0xf4 };        /* VMCALL; HLT */
static bool ud_exit(struct entry_result r)
{
	return r.exited && r.reason == 0 && (uint32_t)vmr(VMCS_EXIT_INTR_INFO) == 0x80000306;
}

/* Exceptions from memory operands leave RFLAGS as they were (§2). */
#define NOT_PRESENT 0x200000000ull     /* beyond the boot identity map */
static uint64_t fault_preset = RFLAGS_CF | RFLAGS_ZF | RFLAGS_SF;
static void do_vmread_pf(void *p)
{
	(void)p;
	uint64_t fl = fault_preset | RFLAGS_FIXED1;
	asm volatile("push %0; popfq; vmread %1, (%2)" : "+r"(fl) : "r"((uint64_t)VMCS_GUEST_RIP),
		     "r"(NOT_PRESENT) : "cc", "memory");
}
static void do_vmwrite_pf(void *p)
{
	(void)p;
	uint64_t fl = fault_preset | RFLAGS_FIXED1;
	asm volatile("push %0; popfq; vmwrite (%2), %1" : "+r"(fl) : "r"(0x7ffeull), "r"(NOT_PRESENT) : "cc", "memory");
}
static void do_vmptrld_gp(void *p)
{
	(void)p;
	asm volatile("vmptrld (%0)" : : "r"(NOT_CANONICAL) : "cc", "memory");
}
static void do_vmclear_pf(void *p)
{
	(void)p;
	asm volatile("vmclear (%0)" : : "r"(NOT_PRESENT) : "cc", "memory");
}
static void do_lock_vmcall(void *p) { (void)p; asm volatile(".byte 0xf0, 0x0f, 0x01, 0xc1" ::: "memory"); }
void compat_vmxon(void);
asm(".text\n.code32\ncompat_vmxon:\n\tvmxon (%eax)\n\tret\n.code64\n");
static void do_compat_vmxon(void *p) { (void)p; compat_call((uint32_t)(uintptr_t)compat_vmxon, 0, 0); }

void guest_vmlaunch(void);
void guest_vmresume(void);
asm(".text\nguest_vmlaunch:\n\tvmlaunch\n\thlt\nguest_vmresume:\n\tvmresume\n\thlt\n");

int main(void)
{
	struct trap_info t;
	tap_plan(109);
	vmx_prepare();
	uint64_t pa = (uintptr_t)vmcs_region;

	/* --- outside VMX operation (CR4.VMXE = 1): #UD ---------------- */
	static const struct insn_case ud_out[] = {
		{ "VMXOFF.1 vmxoff", do_vmxoff }, { "VMCLEAR.1 vmclear", do_vmclear },
		{ "VMPTRLD.1 vmptrld", do_vmptrld }, { "VMPTRST.1 vmptrst", do_vmptrst },
		{ "VMREAD.1 vmread", do_vmread }, { "VMWRITE.1 vmwrite", do_vmwrite },
		{ "BASIC-1 vmlaunch", do_vmlaunch }, { "BASIC-1 vmresume", do_vmresume },
		{ "VMCALL.1 vmcall", do_vmcall }, { "INVEPT.1 invept", do_invept },
		{ "INVVPID.1 invvpid", do_invvpid }, { "VMFUNC.1 vmfunc", do_vmfunc },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(ud_out); i++)
		expect_exc(ud_out[i].fn, false, EXC_UD, "%s outside VMX operation -> #UD", ud_out[i].name);
	expect_exc(do_vmxon_reg, false, EXC_UD, "%s", "VMXON.1 register operand -> #UD");

	/* --- VMXON ---------------------------------------------------- */
	ptr = vmxon_pa;
	expect_exc(do_vmxon, true, EXC_GP, "%s", "VMXON.5 at CPL 3 outside VMX operation -> #GP(0)");
	ptr = vmxon_pa + 0x800;
	FAIL_INVALID(vmxon_flags(&ptr, PRESET), "VMXON.12 pointer not 4K-aligned");
	ptr = vmxon_pa | 1ull << caps.maxphyaddr;
	FAIL_INVALID(vmxon_flags(&ptr, PRESET), "VMXON.12 pointer bit MAXPHYADDR");
	ptr = (uintptr_t)region_b;
	*(uint32_t *)region_b = caps.revision ^ 1;
	FAIL_INVALID(vmxon_flags(&ptr, PRESET), "VMXON.13 wrong revision identifier");
	*(uint32_t *)region_b = caps.revision | 1u << 31;
	FAIL_INVALID(vmxon_flags(&ptr, PRESET), "VMXON.13 revision bit 31 set");
	ptr = vmxon_pa;
	SUCCEED(vmxon_flags(&ptr, PRESET), "VMXON.14 valid region");
	uint64_t cur = 0;
	SUCCEED(vmptrst_flags(&cur, PRESET), "VMPTRST.4 with no current VMCS");
	tap_check_u64(cur, ~0ull, "VMPTRST.4 stores FFFFFFFF_FFFFFFFFH when no VMCS is current");
	FAIL_INVALID(vmxon_flags(&ptr, PRESET), "VMXON.4 in VMX root, no current VMCS: VMfail(15)");
	expect_exc(do_vmxon, true, EXC_GP, "%s", "VMXON.3 at CPL 3 in VMX root -> #GP(0)");

	/* --- no current VMCS: VMfail degenerates to VMfailInvalid ------- */
	uint64_t v = 0;
	FAIL_INVALID(vmread_flags(VMCS_GUEST_RIP, &v, PRESET), "VMREAD.4 no current VMCS");
	FAIL_INVALID(vmwrite_flags(VMCS_GUEST_RIP, 0, PRESET), "VMWRITE.4 no current VMCS");
	FAIL_INVALID(vmlaunch_flags(PRESET), "BASIC-4 VMLAUNCH with no current VMCS");
	FAIL_INVALID(vmresume_flags(PRESET), "BASIC-4 VMRESUME with no current VMCS");
	FAIL_INVALID(vmcall_flags(PRESET), "VMCALL.5 in VMX root, no current VMCS: VMfail(1)");
	ptr = pa + 8;
	FAIL_INVALID(vmclear_flags(&ptr, PRESET), "VMCLEAR.5 pointer not 4K-aligned, no current VMCS");
	ptr = vmxon_pa;
	FAIL_INVALID(vmclear_flags(&ptr, PRESET), "VMCLEAR.6 VMXON pointer, no current VMCS");
	ptr = pa + 8;
	FAIL_INVALID(vmptrld_flags(&ptr, PRESET), "VMPTRLD.5 pointer not 4K-aligned, no current VMCS");
	ptr = vmxon_pa;
	FAIL_INVALID(vmptrld_flags(&ptr, PRESET), "VMPTRLD.6 VMXON pointer, no current VMCS");
	if (cpu_has(1, 'c', 30))
		expect_exc(do_vmptrld_reg, false, -1, "%s",
			   "VMPTRLD.1: 0F C7 /6 with a register operand is RDRAND here -> no #UD");
	else
		expect_exc(do_vmptrld_reg, false, EXC_UD, "%s", "VMPTRLD.1 register operand -> #UD");

	/* --- make a VMCS current -------------------------------------- */
	*(uint32_t *)vmcs_region = caps.revision;
	ptr = pa;
	SUCCEED(vmclear_flags(&ptr, PRESET), "VMCLEAR.7 valid region");
	SUCCEED(vmptrld_flags(&ptr, PRESET), "VMPTRLD.8 cleared region");
	cur = 0;
	SUCCEED(vmptrst_flags(&cur, PRESET), "VMPTRST.4 with a current VMCS");
	tap_check_u64(cur, pa, "VMPTRST.4 stores the current-VMCS pointer");
	SUCCEED(vmptrld_flags(&ptr, PRESET), "VMPTRLD.8 reloading the current VMCS");

	/* --- VMfailValid paths with a current VMCS ------------------------ */
	ptr = vmxon_pa;
	FAIL_VALID(vmxon_flags(&ptr, PRESET), 15, "VMXON.4 in VMX root with a current VMCS");
	FAIL_VALID(vmcall_flags(PRESET), 1, "VMCALL.5 in VMX root with a current VMCS");
	ptr = pa + 0x10;
	FAIL_VALID(vmclear_flags(&ptr, PRESET), 2, "VMCLEAR.5 pointer not 4K-aligned");
	ptr = pa | 1ull << caps.maxphyaddr;
	FAIL_VALID(vmclear_flags(&ptr, PRESET), 2, "VMCLEAR.5 pointer bit MAXPHYADDR");
	ptr = vmxon_pa;
	FAIL_VALID(vmclear_flags(&ptr, PRESET), 3, "VMCLEAR.6 VMXON pointer");
	ptr = pa + 0x10;
	FAIL_VALID(vmptrld_flags(&ptr, PRESET), 9, "VMPTRLD.5 pointer not 4K-aligned");
	ptr = pa | 1ull << caps.maxphyaddr;
	FAIL_VALID(vmptrld_flags(&ptr, PRESET), 9, "VMPTRLD.5 pointer bit MAXPHYADDR");
	ptr = vmxon_pa;
	FAIL_VALID(vmptrld_flags(&ptr, PRESET), 10, "VMPTRLD.6 VMXON pointer");
	*(uint32_t *)region_b = caps.revision ^ 1;
	ptr = (uintptr_t)region_b;
	FAIL_VALID(vmptrld_flags(&ptr, PRESET), 11, "VMPTRLD.7 wrong revision identifier");
	cur = 0;
	vmptrst_flags(&cur, 0);
	tap_check_u64(cur, pa, "VMPTRLD.7 failure leaves the current VMCS current");
	if (!can_set(caps.proc2, PROC2_SHADOW) || !can_set(caps.proc, PROC_SECONDARY)) {
		*(uint32_t *)region_b = caps.revision | 1u << 31;
		FAIL_VALID(vmptrld_flags(&ptr, PRESET), 11, "VMPTRLD.7 shadow VMCS without VMCS shadowing");
	} else {
		tap_skip("VMCS shadowing is supported", "VMPTRLD.7 shadow VMCS without VMCS shadowing");
	}

	/* --- VMREAD / VMWRITE ------------------------------------------- */
	FAIL_VALID(vmread_flags(0x7ffe, &v, PRESET), 12, "VMREAD.5 unsupported encoding 0x7FFE");
	FAIL_VALID(vmread_flags(1ull << 32 | VMCS_GUEST_RIP, &v, PRESET), 12, "VMREAD.5 encoding with bit 32 set");
	FAIL_VALID(vmwrite_flags(0x7ffe, 0, PRESET), 12, "VMWRITE.6 unsupported encoding 0x7FFE");
	if (caps.misc >> 29 & 1) {
		SUCCEED(vmwrite_flags(VMCS_EXIT_QUALIFICATION, 0x1234, PRESET),
			"VMWRITE.8 exit-information field with MISC[29] = 1");
		tap_check_u64(vmr(VMCS_EXIT_QUALIFICATION), 0x1234, "VMWRITE of exit qualification reads back");
	} else {
		FAIL_VALID(vmwrite_flags(VMCS_EXIT_QUALIFICATION, 0x1234, PRESET), 13,
			   "VMWRITE.7 exit-information field with MISC[29] = 0");
		tap_skip("MISC[29] = 0", "VMWRITE of exit qualification reads back");
	}
	SUCCEED(vmwrite_flags(VMCS_GUEST_ES_SELECTOR, 0xabcd1234, PRESET), "VMWRITE.8 16-bit field");
	tap_check_u64(vmr(VMCS_GUEST_ES_SELECTOR), 0x1234, "VMREAD of a 16-bit field returns the low 16 bits written");
	vmw(VMCS_TSC_OFFSET, 0x1122334455667788ull);
	tap_check_u64(vmr(VMCS_TSC_OFFSET + 1), 0x11223344, "VMREAD of a 64-bit field's high half");
	vmw(VMCS_TSC_OFFSET + 1, 0xaabbccdd99ull);
	tap_check_u64(vmr(VMCS_TSC_OFFSET), 0xbbccdd9955667788ull,
		      "VMWRITE of a high half changes only bits 63:32");
	vmw(VMCS_GUEST_ES_SELECTOR, 0);
	FAIL_VALID(vmread_flags(0x7ffe, &v, PRESET), 12, "VM-instruction error field holds the last error");
	tap_check_u64(vmr(VMCS_VM_INSTRUCTION_ERROR), 12, "VMREAD of the VM-instruction error field");

	/* --- CPL 3 in VMX root: #GP(0) -------------------------------- */
	expect_exc(do_vmlaunch, true, EXC_GP, "%s", "BASIC-3 VMLAUNCH at CPL 3 -> #GP(0)");
	expect_exc(do_vmread, true, EXC_GP, "%s", "VMREAD.3 at CPL 3 -> #GP(0)");
	expect_exc(do_vmptrst, true, EXC_GP, "%s", "VMPTRST.3 at CPL 3 -> #GP(0)");
	expect_exc(do_vmxoff, true, EXC_GP, "%s", "VMXOFF.3 at CPL 3 -> #GP(0)");
	expect_exc(do_vmcall, true, EXC_GP, "%s", "VMCALL.4 at CPL 3 in root -> #GP(0)");
	expect_exc(do_compat_vmlaunch, false, EXC_UD, "%s", "BASIC-1 VMLAUNCH in compatibility mode -> #UD");
	expect_exc(do_vmfunc, false, EXC_UD, "%s", "VMFUNC.1 in VMX root -> #UD");

	/* --- launch state: BASIC-5..8 --------------------------------- */
	vmcs_good(GOOD_DEFAULT, 0);
	FAIL_VALID(vmresume_flags(PRESET), 5, "BASIC-8 VMRESUME of a clear VMCS");
	FAIL_VALID(vmlaunch_after_mov_ss(), 26, "BASIC-6 VMLAUNCH blocked by MOV SS");
	struct entry_result r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "known-good VMCS launches (exit reason 0x%x)", r.reason);
	FAIL_VALID(vmlaunch_flags(PRESET), 4, "BASIC-7 VMLAUNCH of a launched VMCS");
	vmw(VMCS_GUEST_RIP, vmr(VMCS_GUEST_RIP) + vmr(VMCS_EXIT_INSTRUCTION_LEN));
	r = vmx_enter(true);
	tap_ok(r.exited && r.reason == 12, "VMRESUME of the launched VMCS runs the guest on to HLT (exit 0x%x)", r.reason);
	if (has_proc2(PROC2_SHADOW)) {
		*(uint32_t *)region_c = caps.revision | 1u << 31;
		ptr = (uintptr_t)region_c;
		vmclear_flags(&ptr, 0);
		SUCCEED(vmptrld_flags(&ptr, PRESET), "VMPTRLD.8 shadow VMCS with VMCS shadowing supported");
		FAIL_INVALID(vmlaunch_flags(PRESET), "BASIC-5 VMLAUNCH with a shadow VMCS current");
	} else {
		tap_skip("no VMCS shadowing", "VMPTRLD.8 shadow VMCS");
		tap_skip("no VMCS shadowing", "BASIC-5 VMLAUNCH with a shadow VMCS current");
	}

	/* --- BASIC-2: VMLAUNCH / VMRESUME in non-root exit ------------ */
	vmcs_good(GOOD_DEFAULT, guest_vmlaunch);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 20, "BASIC-2 VMLAUNCH in VMX non-root -> exit 20 (got 0x%x)", r.reason);
	vmcs_good(GOOD_DEFAULT, guest_vmresume);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 24, "BASIC-2 VMRESUME in VMX non-root -> exit 24 (got 0x%x)", r.reason);

	/* --- VMCLEAR / VMPTRLD round trip through memory -------------- */
	vmcs_good(GOOD_DEFAULT, 0);
	vmw(VMCS_GUEST_RSP, 0x1230);
	vmw(VMCS_TSC_OFFSET, 0x5a5a5a5a01020304ull);
	vmw(VMCS_GUEST_ES_SELECTOR, 0x28);
	ptr = pa;
	SUCCEED(vmclear_flags(&ptr, PRESET), "VMCLEAR writes the VMCS back to memory");
	cur = 0;
	vmptrst_flags(&cur, 0);
	tap_check_u64(cur, ~0ull, "VMCLEAR.7 of the current VMCS leaves no current VMCS");
	memcpy(region_b, vmcs_region, sizeof(region_b));
	tap_check_u64(*(uint32_t *)region_b, caps.revision, "the cleared region keeps its revision identifier");
	ptr = (uintptr_t)region_b;
	SUCCEED(vmptrld_flags(&ptr, PRESET), "VMPTRLD of a byte copy of the cleared VMCS");
	tap_check_u64(vmr(VMCS_GUEST_RSP), 0x1230, "the copy holds guest RSP");
	tap_check_u64(vmr(VMCS_TSC_OFFSET), 0x5a5a5a5a01020304ull, "the copy holds the 64-bit TSC offset");
	tap_check_u64(vmr(VMCS_GUEST_ES_SELECTOR), 0x28, "the copy holds the ES selector");
	vmw(VMCS_GUEST_ES_SELECTOR, SEL_KDATA);
	vmw(VMCS_GUEST_RSP, (uintptr_t)(guest_stack + sizeof(guest_stack)));
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "the copy is clear: VMLAUNCH enters it (exit 0x%x)", r.reason);
	ptr = pa;
	SUCCEED(vmptrld_flags(&ptr, PRESET), "VMPTRLD of the original region again");
	tap_check_u64(vmr(VMCS_GUEST_RSP), 0x1230, "the original still holds guest RSP");
	FAIL_VALID(vmresume_flags(PRESET), 5, "the original is still clear (VMRESUME -> 5)");

	/* --- INVEPT / INVVPID ----------------------------------------- */
	if (has_proc2(PROC2_EPT) && (caps.ept_vpid >> 20 & 1)) {
		desc = (struct vmx_inv_desc){ ept_identity_eptp(), 0 };
		FAIL_VALID(invept_flags(0, &desc, PRESET), 28, "INVEPT.4 type 0");
		FAIL_VALID(invept_flags(3, &desc, PRESET), 28, "INVEPT.4 type 3");
		desc.lo = (ept_identity_eptp() & ~7ull) | 3;
		if (caps.ept_vpid >> 25 & 1)
			FAIL_VALID(invept_flags(1, &desc, PRESET), 28, "INVEPT.6 type 1 with EPTP memory type 3");
		else
			tap_skip("no single-context INVEPT", "INVEPT.6");
		desc.lo = ept_identity_eptp();
		if (caps.ept_vpid >> 26 & 1)
			SUCCEED(invept_flags(2, &desc, PRESET), "INVEPT.8 all-context");
		else
			tap_skip("no all-context INVEPT", "INVEPT.8");
	} else {
		for (int i = 0; i < 4; i++)
			tap_skip("no INVEPT", "INVEPT %d", i);
	}
	if (has_proc2(PROC2_VPID) && (caps.ept_vpid >> 32 & 1)) {
		desc = (struct vmx_inv_desc){ 1, 0 };
		FAIL_VALID(invvpid_flags(4, &desc, PRESET), 28, "INVVPID.4 type 4");
		desc = (struct vmx_inv_desc){ 1 | 1ull << 16, 0 };
		FAIL_VALID(invvpid_flags(2, &desc, PRESET), 28, "INVVPID.6 descriptor bit 16");
		desc = (struct vmx_inv_desc){ 0, 0 };
		FAIL_VALID(invvpid_flags(1, &desc, PRESET), 28, "INVVPID.8 single-context with VPID 0");
		desc = (struct vmx_inv_desc){ 1, NOT_CANONICAL };
		FAIL_VALID(invvpid_flags(0, &desc, PRESET), 28, "INVVPID.7 individual address not canonical");
		desc = (struct vmx_inv_desc){ 0, 0 };
		SUCCEED(invvpid_flags(2, &desc, PRESET), "INVVPID.9 all-context");
	} else {
		for (int i = 0; i < 5; i++)
			tap_skip("no INVVPID", "INVVPID %d", i);
	}

	/* --- faults from operands, LOCK, modes ----------------------------- */
	vmcs_good(GOOD_DEFAULT, 0);
	trap_try(do_vmread_pf, 0, &t);
	tap_ok(t.vector == EXC_PF && (t.rflags & RFLAGS_ARITH) == fault_preset,
	       "VMREAD.6 store to a non-present page -> #PF, RFLAGS unchanged (got %d, rflags 0x%lx)", t.vector, t.rflags);
	trap_try(do_vmwrite_pf, 0, &t);
	tap_ok(t.vector == EXC_PF && (t.rflags & RFLAGS_ARITH) == fault_preset,
	       "VMWRITE.5 faulting source with a bad encoding -> #PF before VMfail(12) (got %d)", t.vector);
	trap_try(do_vmptrld_gp, 0, &t);
	tap_ok(t.vector == EXC_GP && t.error == 0, "VMPTRLD.4 non-canonical operand -> #GP(0) (got %d)", t.vector);
	trap_try(do_vmclear_pf, 0, &t);
	tap_ok(t.vector == EXC_PF && t.cr2 == NOT_PRESENT, "VMCLEAR.4 operand on a non-present page -> #PF (got %d)", t.vector);
	expect_exc(do_lock_vmcall, false, EXC_UD, "%s", "LOCK VMCALL -> #UD");
	expect_exc(do_compat_vmxon, false, EXC_UD, "%s", "VMXON.1 in compatibility mode -> #UD");
	if (has_proc2(PROC2_UG | PROC2_EPT)) {
		vmcs_real_mode_guest((uintptr_t)code16_vmxon);
		vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_UD);
		tap_ok(ud_exit(vmx_enter(false)), "VMXON.1 in a real-mode guest -> #UD (not an exit)");
		vmcs_real_mode_guest((uintptr_t)code16_vmcall);
		struct entry_result rr = vmx_enter(false);
		tap_ok(rr.exited && rr.reason == 18, "VMCALL.2 in a real-mode guest -> exit 18 (got 0x%x)", rr.reason);
	} else {
		tap_skip("no unrestricted guest", "VMXON.1 in a real-mode guest");
		tap_skip("no unrestricted guest", "VMCALL.2 in a real-mode guest");
	}
	vmcs_v86_guest(code16_vmxon, sizeof(code16_vmxon));
	vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_UD);
	tap_ok(ud_exit(vmx_enter(false)), "VMXON.1 in a virtual-8086 guest -> #UD (not an exit)");
	vmcs_v86_guest(code16_vmcall, sizeof(code16_vmcall));
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "VMCALL.2 in a virtual-8086 guest -> exit 18 (got 0x%x)", r.reason);

	/* --- VMXOFF ----------------------------------------------------- */
	SUCCEED(vmxoff_flags(PRESET), "VMXOFF.5");
	trap_try(do_vmptrst, 0, &t);
	tap_check_u64(t.vector, EXC_UD, "VMPTRST after VMXOFF -> #UD");
	write_cr4(read_cr4() & ~CR4_VMXE);
	tap_check_u64(read_cr4() & CR4_VMXE, 0, "CR4.VMXE can be cleared after VMXOFF");
	return tap_done();
}
