/* The known-good VMCS and the single-field corruption runner (see
 * vmcs_good.h).  Field values follow shared/spec/vm-entry-checks.md §2-§4
 * so that a correct CPU enters; where a value is a choice, the comment
 * says which check it satisfies. */
#include "vmcs_good.h"

struct vmx_caps caps;
uint64_t vmxon_pa;

static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));
uint8_t vmcs_region[4096] __attribute__((aligned(4096)));
uint8_t scratch_pages[8][4096] __attribute__((aligned(4096)));
uint8_t guest_stack[8192] __attribute__((aligned(16)));
uint64_t host_rip_override;
bool vmx_leave_feature_control;
uint64_t vmx_exit_rflags;

/* Bitmaps: all zero, so no I/O port or MSR exits by them (vmcs-fields.md
 * §4.9, §4.10). */
static uint8_t io_bitmap_a[4096] __attribute__((aligned(4096)));
static uint8_t io_bitmap_b[4096] __attribute__((aligned(4096)));
static uint8_t msr_bitmap[4096] __attribute__((aligned(4096)));

/* EPT identity map of 0-4 GiB with 2 MiB write-back pages (ept.md §3,
 * §4.2): R|W|X, memory type 6, page-size bit. */
static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept_pd[4][512] __attribute__((aligned(4096)));

asm(".text\n.globl guest_vmcall\nguest_vmcall:\n\tvmcall\n\thlt\n\tjmp guest_vmcall\n");

static int vm_errors;

uint64_t vmr(uint32_t field)
{
	uint64_t v = 0, fl = vmread_flags(field, &v, 0);
	if (vmx_outcome(fl) != VMX_SUCCEED && vm_errors++ < 8)
		tap_diag("vmread 0x%x failed (rflags 0x%lx)", field, fl);
	return v;
}

void vmw(uint32_t field, uint64_t value)
{
	uint64_t fl = vmwrite_flags(field, value, 0);
	if (vmx_outcome(fl) != VMX_SUCCEED && vm_errors++ < 8)
		tap_diag("vmwrite 0x%x <- 0x%lx failed (rflags 0x%lx)", field, value, fl);
}

bool vm_succeeded(uint64_t fl) { return (fl & RFLAGS_ARITH) == 0; }
bool vm_failed_invalid(uint64_t fl) { return (fl & RFLAGS_ARITH) == RFLAGS_CF; }

bool vm_failed_valid(uint64_t fl, uint32_t error)
{
	if ((fl & RFLAGS_ARITH) != RFLAGS_ZF)
		return false;
	uint64_t e = 0;
	vmread_flags(VMCS_VM_INSTRUCTION_ERROR, &e, 0);
	return e == error;
}

void vmx_prepare(void)
{
	if (!cpu_has(1, 'c', 5))
		tap_bail("CPUID.1:ECX.VMX = 0: no VMX on this CPU");
	caps.basic = rdmsr(MSR_VMX_BASIC);
	caps.true_msrs = caps.basic >> 55 & 1;
	caps.revision = (uint32_t)caps.basic & 0x7fffffff;
	/* BASIC[55]: the TRUE MSRs describe the controls (SDM A.2). */
	caps.pin = rdmsr(caps.true_msrs ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED);
	caps.proc = rdmsr(caps.true_msrs ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED);
	caps.exit = rdmsr(caps.true_msrs ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT);
	caps.entry = rdmsr(caps.true_msrs ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY);
	caps.misc = rdmsr(MSR_VMX_MISC);
	caps.cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	caps.cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	caps.cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	caps.cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	/* 0x48B/0x48C/0x491 exist only with secondary controls (INV-8). */
	if (allowed1(caps.proc) & PROC_SECONDARY) {
		caps.proc2 = rdmsr(MSR_VMX_PROCBASED2);
		if (allowed1(caps.proc2) & (PROC2_EPT | PROC2_VPID))
			caps.ept_vpid = rdmsr(MSR_VMX_EPT_VPID_CAP);
		if (allowed1(caps.proc2) & PROC2_VMFUNC)
			caps.vmfunc = rdmsr(MSR_VMX_VMFUNC);
	}
	caps.maxphyaddr = cpu_maxphyaddr();

	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & 1) && !vmx_leave_feature_control) {
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc | 5);
		fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	}
	if (!(fc & 4) && !vmx_leave_feature_control)
		tap_bail("IA32_FEATURE_CONTROL forbids VMXON outside SMX");
	/* CR0/CR4 must satisfy the fixed bits before VMXON (VMXON.7/8). */
	write_cr0((read_cr0() | caps.cr0_fixed0) & caps.cr0_fixed1);
	write_cr4(((read_cr4() | CR4_VMXE) | caps.cr4_fixed0) & caps.cr4_fixed1);
	*(uint32_t *)vmxon_region = caps.revision;
	vmxon_pa = (uintptr_t)vmxon_region;

	for (int i = 0; i < 4; i++) {
		ept_pdpt[i] = (uintptr_t)ept_pd[i] | 7;
		for (int j = 0; j < 512; j++)
			ept_pd[i][j] = ((uint64_t)i << 30 | (uint64_t)j << 21) | 7 | 6 << 3 | 1 << 7;
	}
	ept_pml4[0] = (uintptr_t)ept_pdpt | 7;
}

void vmx_test_init(void)
{
	vmx_prepare();
	uint64_t fl = vmxon_flags(&vmxon_pa, 0);
	if (!vm_succeeded(fl))
		tap_bail("VMXON failed (rflags 0x%lx)", fl);
}

uint64_t ept_identity_eptp(void)
{
	/* CTL-26: WB if CAP[14], else UC (CAP[8]); CTL-27: 4-level. */
	uint64_t memtype = caps.ept_vpid >> 14 & 1 ? 6 : 0;
	return (uintptr_t)ept_pml4 | memtype | 3 << 3;
}

struct desc_reg {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t tss_base(void)
{
	uint64_t lo = gdt[SEL_TSS / 8], hi = gdt[SEL_TSS / 8 + 1];
	return (lo >> 16 & 0xffffff) | (lo >> 56 & 0xff) << 24 | (hi & 0xffffffff) << 32;
}

static void good_controls(unsigned opts)
{
	uint32_t proc = PROC_SECONDARY | PROC_HLT;
	if (!(opts & GOOD_NO_BITMAPS))
		proc |= PROC_IO_BITMAPS | PROC_MSR_BITMAPS;
	uint32_t proc2 = 0;
	if ((opts & (GOOD_EPT | GOOD_UG)) && has_proc2(PROC2_EPT))
		proc2 |= PROC2_EPT;
	if ((opts & GOOD_VPID) && has_proc2(PROC2_VPID))
		proc2 |= PROC2_VPID;
	if ((opts & GOOD_UG) && (proc2 & PROC2_EPT) && has_proc2(PROC2_UG))
		proc2 |= PROC2_UG;
	/* A control the CPU forces on (allowed-0) is on whatever we want. */
	proc2 = ctl_adjust(caps.proc2, proc2);
	bool ept = proc2 & PROC2_EPT;

	vmw(VMCS_PIN_CONTROLS, ctl_adjust(caps.pin, 0));
	proc = ctl_adjust(caps.proc, proc);
	vmw(VMCS_PROC_CONTROLS, proc);
	if (proc & PROC_SECONDARY)
		vmw(VMCS_PROC2_CONTROLS, proc2);
	/* HOST-27: this host runs in IA-32e mode. */
	vmw(VMCS_EXIT_CONTROLS, ctl_adjust(caps.exit, EXIT_HASS));
	vmw(VMCS_ENTRY_CONTROLS, ctl_adjust(caps.entry, ENTRY_IA32E));
	vmw(VMCS_EXCEPTION_BITMAP, 0);
	vmw(VMCS_PF_ERROR_CODE_MASK, 0);
	vmw(VMCS_PF_ERROR_CODE_MATCH, 0);
	vmw(VMCS_CR3_TARGET_COUNT, 0);
	vmw(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmw(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmw(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmw(VMCS_ENTRY_INTR_INFO, 0);
	vmw(VMCS_ENTRY_EXCEPTION_ERROR_CODE, 0);
	vmw(VMCS_ENTRY_INSTRUCTION_LEN, 0);
	vmw(VMCS_CR0_GUEST_HOST_MASK, 0);
	vmw(VMCS_CR4_GUEST_HOST_MASK, 0);
	vmw(VMCS_CR0_READ_SHADOW, 0);
	vmw(VMCS_CR4_READ_SHADOW, 0);
	if (proc & PROC_IO_BITMAPS) {
		vmw(VMCS_IO_BITMAP_A, (uintptr_t)io_bitmap_a);
		vmw(VMCS_IO_BITMAP_B, (uintptr_t)io_bitmap_b);
	}
	if (proc & PROC_MSR_BITMAPS)
		vmw(VMCS_MSR_BITMAP, (uintptr_t)msr_bitmap);
	if (ept)
		vmw(VMCS_EPT_POINTER, ept_identity_eptp());
	if (can_set(caps.proc2, PROC2_VPID) && (proc & PROC_SECONDARY))
		vmw(VMCS_VPID, 1);     /* CTL-25 */
}

static void good_host(void)
{
	struct desc_reg g, i;
	asm volatile("sgdt %0; sidt %1" : "=m"(g), "=m"(i));
	vmw(VMCS_HOST_CR0, read_cr0());
	vmw(VMCS_HOST_CR3, read_cr3());
	vmw(VMCS_HOST_CR4, read_cr4());
	vmw(VMCS_HOST_CS_SELECTOR, SEL_KCODE64);
	vmw(VMCS_HOST_SS_SELECTOR, SEL_KDATA);
	vmw(VMCS_HOST_DS_SELECTOR, SEL_KDATA);
	vmw(VMCS_HOST_ES_SELECTOR, SEL_KDATA);
	vmw(VMCS_HOST_FS_SELECTOR, 0);
	vmw(VMCS_HOST_GS_SELECTOR, 0);
	vmw(VMCS_HOST_TR_SELECTOR, SEL_TSS);
	vmw(VMCS_HOST_FS_BASE, 0);
	vmw(VMCS_HOST_GS_BASE, 0);
	vmw(VMCS_HOST_TR_BASE, tss_base());
	vmw(VMCS_HOST_GDTR_BASE, g.base);
	vmw(VMCS_HOST_IDTR_BASE, i.base);
	vmw(VMCS_HOST_IA32_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
	vmw(VMCS_HOST_IA32_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
	vmw(VMCS_HOST_IA32_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
	vmw(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmw(VMCS_HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	vmw(VMCS_HOST_IA32_PERF_GLOBAL_CTRL, 0);
	/* HOST_RSP / HOST_RIP are written by vmx_enter_asm. */
}

static void guest_seg(uint32_t sel_f, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
	/* The selector, limit, AR and base fields of one register sit at
	 * fixed distances from its selector field (vmcs-fields.md §3). */
	uint32_t idx = sel_f - VMCS_GUEST_ES_SELECTOR;
	vmw(sel_f, sel);
	vmw(VMCS_GUEST_ES_LIMIT + idx, limit);
	vmw(VMCS_GUEST_ES_AR_BYTES + idx, ar);
	vmw(VMCS_GUEST_ES_BASE + idx, base);
}

static void good_guest(void (*rip)(void))
{
	struct desc_reg g, i;
	asm volatile("sgdt %0; sidt %1" : "=m"(g), "=m"(i));
	vmw(VMCS_GUEST_CR0, read_cr0());
	vmw(VMCS_GUEST_CR3, read_cr3());
	vmw(VMCS_GUEST_CR4, read_cr4());
	vmw(VMCS_GUEST_DR7, 0x400);
	vmw(VMCS_GUEST_RSP, (uintptr_t)(guest_stack + sizeof(guest_stack)));
	vmw(VMCS_GUEST_RIP, (uintptr_t)(rip ? rip : guest_vmcall));
	vmw(VMCS_GUEST_RFLAGS, RFLAGS_FIXED1);
	guest_seg(VMCS_GUEST_CS_SELECTOR, SEL_KCODE64, 0, 0xffffffff, AR_CODE64);
	guest_seg(VMCS_GUEST_SS_SELECTOR, SEL_KDATA, 0, 0xffffffff, AR_DATA);
	guest_seg(VMCS_GUEST_DS_SELECTOR, SEL_KDATA, 0, 0xffffffff, AR_DATA);
	guest_seg(VMCS_GUEST_ES_SELECTOR, SEL_KDATA, 0, 0xffffffff, AR_DATA);
	guest_seg(VMCS_GUEST_FS_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	guest_seg(VMCS_GUEST_GS_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	guest_seg(VMCS_GUEST_LDTR_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	guest_seg(VMCS_GUEST_TR_SELECTOR, SEL_TSS, tss_base(), 0x67, AR_TSS_BUSY);
	vmw(VMCS_GUEST_GDTR_BASE, g.base);
	vmw(VMCS_GUEST_GDTR_LIMIT, g.limit);
	vmw(VMCS_GUEST_IDTR_BASE, i.base);
	vmw(VMCS_GUEST_IDTR_LIMIT, i.limit);
	vmw(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	vmw(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	vmw(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	vmw(VMCS_GUEST_IA32_DEBUGCTL, 0);
	vmw(VMCS_GUEST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmw(VMCS_GUEST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	vmw(VMCS_GUEST_IA32_PERF_GLOBAL_CTRL, 0);
	vmw(VMCS_VMCS_LINK_POINTER, ~0ull);     /* GUEST-94..98 do not apply */
	vmw(VMCS_GUEST_ACTIVITY_STATE, 0);
	vmw(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmw(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	if (allowed1(caps.pin) & PIN_PREEMPT)
		vmw(VMCS_PREEMPTION_TIMER_VALUE, 0);
	if (has_proc2(PROC2_EPT)) {
		vmw(VMCS_GUEST_PDPTE0, 0);
		vmw(VMCS_GUEST_PDPTE1, 0);
		vmw(VMCS_GUEST_PDPTE2, 0);
		vmw(VMCS_GUEST_PDPTE3, 0);
	}
}

void vmcs_good(unsigned opts, void (*guest_rip)(void))
{
	uint64_t pa = (uintptr_t)vmcs_region;
	*(uint32_t *)vmcs_region = caps.revision;
	uint64_t fl = vmclear_flags(&pa, 0);
	if (!vm_succeeded(fl))
		tap_diag("vmclear of the test VMCS failed (rflags 0x%lx)", fl);
	fl = vmptrld_flags(&pa, 0);
	if (!vm_succeeded(fl))
		tap_diag("vmptrld of the test VMCS failed (rflags 0x%lx)", fl);
	good_controls(opts);
	good_host();
	good_guest(guest_rip);
	if (opts & GOOD_UG) {
		/* An unrestricted guest still starts in 64-bit mode here. */
		vmw(VMCS_GUEST_CR0, read_cr0());
	}
}

static void flat16(uint32_t sel_f, uint16_t sel, uint64_t base, uint32_t ar)
{
	uint32_t idx = sel_f - VMCS_GUEST_ES_SELECTOR;
	vmw(sel_f, sel);
	vmw(VMCS_GUEST_ES_LIMIT + idx, 0xffff);
	vmw(VMCS_GUEST_ES_AR_BYTES + idx, ar);
	vmw(VMCS_GUEST_ES_BASE + idx, base);
}

void vmcs_real_mode_guest(uint64_t code)
{
	/* Unrestricted guest with CR0.PE = PG = 0 (GUEST-1 exempts them),
	 * IA32E = 0, CS base = the code, 16-bit segments; SS.DPL = 0
	 * (GUEST-45) and real-mode-looking but well-formed access rights. */
	vmcs_good(GOOD_UG | GOOD_VPID, 0);
	vmw_clear(VMCS_ENTRY_CONTROLS, ENTRY_IA32E);
	vmw(VMCS_GUEST_CR0, read_cr0() & ~(CR0_PE | CR0_PG));
	vmw(VMCS_GUEST_CR4, caps.cr4_fixed0);
	flat16(VMCS_GUEST_CS_SELECTOR, 0, code, 0x9B);
	flat16(VMCS_GUEST_SS_SELECTOR, 0, 0, 0x93);
	flat16(VMCS_GUEST_DS_SELECTOR, 0, 0, 0x93);
	flat16(VMCS_GUEST_ES_SELECTOR, 0, 0, 0x93);
	vmw(VMCS_GUEST_RIP, 0);
	vmw(VMCS_GUEST_RSP, 0x7000);
}

void vmcs_v86_guest(const void *code, size_t len)
{
	/* Virtual-8086 mode needs base = selector x 16 (GUEST-27), so the
	 * code is copied below 1 MiB.  A 32-bit protected-mode guest (IA32E
	 * = 0) with PAE paging over the boot page directories and RFLAGS.VM. */
	extern uint64_t boot_pd[4][512];
	static uint64_t pdpt[4] __attribute__((aligned(32)));
	memcpy((void *)(uintptr_t)V86_CODE, code, len);
	vmcs_good(GOOD_DEFAULT, 0);
	vmw_clear(VMCS_ENTRY_CONTROLS, ENTRY_IA32E);
	for (int i = 0; i < 4; i++) {
		pdpt[i] = (uintptr_t)boot_pd[i] | 1;
		if (has_proc2(PROC2_EPT))
			vmw(VMCS_GUEST_PDPTE0 + 2 * i, pdpt[i]);
	}
	vmw(VMCS_GUEST_CR3, (uintptr_t)pdpt);
	vmw_clear(VMCS_GUEST_CR4, CR4_PCIDE);
	vmw(VMCS_GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_VM);
	uint32_t sels[] = { VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_SS_SELECTOR,
			    VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_GS_SELECTOR };
	for (int i = 0; i < 6; i++)
		flat16(sels[i], V86_CODE >> 4, V86_CODE, 0xF3);
	vmw(VMCS_GUEST_RIP, 0);
	vmw(VMCS_GUEST_RSP, 0xff0);
}

/* vmx_enter_asm(preset, resume, host_rip): HOST_RSP = RSP after the
 * callee-saved pushes, HOST_RIP = host_rip if non-zero, else 1f;
 * RFLAGS = preset; VMLAUNCH or VMRESUME.  After a VMfail returns RFLAGS
 * (bit 1 is always set); after a VM exit (at 1f, RFLAGS = 2) returns 0. */
asm(".text\n.globl vmx_enter_asm\nvmx_enter_asm:\n"
    "\tpush %rbp\n\tpush %rbx\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n"
    "\tmov $0x6C14, %eax\n\tvmwrite %rsp, %rax\n"
    "\tlea 1f(%rip), %rcx\n\ttest %rdx, %rdx\n\tcmovnz %rdx, %rcx\n"
    "\tmov $0x6C16, %eax\n\tvmwrite %rcx, %rax\n"
    "\ttest %esi, %esi\n\tjnz 2f\n"
    "\tpush %rdi\n\tpopfq\n\tvmlaunch\n\tjmp 3f\n"
    "2:\tpush %rdi\n\tpopfq\n\tvmresume\n"
    "3:\tpushfq\n\tpop %rax\n\tjmp 4f\n"
    "1:\tpushfq\n\tpop vmx_exit_rflags(%rip)\n\txor %eax, %eax\n"
    "4:\tpop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbx\n\tpop %rbp\n\tret\n");

struct entry_result vmx_enter(bool resume)
{
	struct entry_result r = { 0 };
	uint64_t fl = vmx_enter_asm(RFLAGS_FIXED1 | RFLAGS_ARITH, resume, host_rip_override);
	if (fl == 0) {
		r.exited = true;
		r.reason = (uint32_t)vmr(VMCS_EXIT_REASON);
		r.qual = vmr(VMCS_EXIT_QUALIFICATION);
	} else {
		r.rflags = fl;
		if ((fl & RFLAGS_ARITH) == RFLAGS_ZF)
			r.insn_error = (uint32_t)vmr(VMCS_VM_INSTRUCTION_ERROR);
	}
	return r;
}

static void describe(const struct entry_result *r)
{
	if (r->exited)
		tap_diag("got: VM exit, reason 0x%x qualification 0x%lx", r->reason, r->qual);
	else
		tap_diag("got: no exit, rflags 0x%lx, VM-instruction error %u", r->rflags,
			 r->insn_error);
}

void check_entry(const struct entry_case *c)
{
	struct entry_result r = vmx_enter(false);
	bool ok;
	switch (c->expect) {
	case X_VMFAIL_VALID:
		/* VMfailValid(n): ZF = 1, CF PF AF SF OF = 0 (§2). */
		ok = !r.exited && (r.rflags & RFLAGS_ARITH) == RFLAGS_ZF && r.insn_error == c->num;
		tap_ok(ok, "%s %s -> VMfailValid(%u)", c->id, c->what, c->num);
		break;
	case X_ENTRY_FAIL:
		ok = r.exited && r.reason == (0x80000000u | c->num) && r.qual == c->qual;
		tap_ok(ok, "%s %s -> exit %u|0x80000000 qual %lu", c->id, c->what, c->num, c->qual);
		break;
	default:
		ok = r.exited && r.reason == c->num && r.qual == c->qual;
		tap_ok(ok, "%s %s -> exit %u qual 0x%lx", c->id, c->what, c->num, c->qual);
		break;
	}
	if (!ok)
		describe(&r);
}

void check_good(unsigned opts, const char *label)
{
	vmcs_good(opts, 0);
	struct entry_result r = vmx_enter(false);
	bool ok = r.exited && r.reason == 18;
	tap_ok(ok, "known-good VMCS (%s) enters; the guest's VMCALL exits with reason 18", label);
	if (!ok)
		describe(&r);
}

void run_entry_cases(const struct entry_case *c, int n)
{
	for (int i = 0; i < n; i++) {
		const char *why = c[i].unsupported ? c[i].unsupported() : 0;
		if (why) {
			tap_skip(why, "%s not testable: %s", c[i].id, c[i].what);
			continue;
		}
		vmcs_good(c[i].opts, 0);
		c[i].mutate();
		check_entry(&c[i]);
	}
}
