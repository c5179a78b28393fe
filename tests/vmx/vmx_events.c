/* Event injection on VM entry and the events around it
 * (shared/spec/vm-entry-checks.md §7, vm-exits.md §2.4, §4; SDM Vol. 3C
 * §26.5-26.6, §27.2): injected exceptions, software interrupts, NMIs and
 * external interrupts delivered through the guest's own IDT, IDT-vectoring
 * information for an exit during delivery, pending debug exceptions, the
 * NMI window, TPR-below-threshold, APIC-access exits and VM functions;
 * IRET in the NMI handler and NMI blocking (SDM §25.3: IRET removes the
 * blocking an injected NMI set, even if it faults; vm-exits.md §4 and
 * ept.md §6: a fault on that IRET reports "NMI unblocking due to IRET" in
 * bit 12). */
#include "vmcs_good.h"

/* The guest's IDT: 64-bit interrupt gates to one-instruction handlers
 * that VMCALL, so the exit shows where delivery went. */
struct gate64 {
	uint64_t lo, hi;
};
static struct gate64 gidt[256] __attribute__((aligned(16)));
void h_gp(void), h_sw(void), h_nmi(void), h_ext(void), h_ud(void), h_db(void);
asm(".text\nh_gp:\n\tvmcall\n\thlt\nh_sw:\n\tvmcall\n\thlt\nh_nmi:\n\tvmcall\n\thlt\n"
    "h_ext:\n\tvmcall\n\thlt\nh_ud:\n\tvmcall\n\thlt\nh_db:\n\tvmcall\n\thlt\n");

static void gate(int vec, void (*fn)(void))
{
	uint64_t off = (uintptr_t)fn;
	gidt[vec].lo = (off & 0xffff) | (uint64_t)SEL_KCODE64 << 16 | (uint64_t)0x8e << 40 |
		       ((off >> 16) & 0xffff) << 48;
	gidt[vec].hi = off >> 32;
}

void g_nop(void), g_cr8(void), g_cr8_after(void), g_apic_read(void), g_apic_write(void);
void g_apic_read_at(void), g_apic_write_at(void);
uint64_t apic_page;
void g_vmfunc0(void), g_vmfunc_512(void), g_vmfunc_64(void);
asm(".text\ng_nop:\n\tnop\n\tvmcall\n\thlt\n"
    "g_cr8:\n\tmov $1, %eax\n\tmov %rax, %cr8\ng_cr8_after:\n\tvmcall\n\thlt\n"
    "g_apic_read:\n\tmov apic_page(%rip), %rbx\n" "g_apic_read_at:\n\tmov 0x80(%rbx), %eax\n\tvmcall\n\thlt\n"
    "g_apic_write:\n\tmov apic_page(%rip), %rbx\n" "g_apic_write_at:\n\tmovl $0, 0x300(%rbx)\n\tvmcall\n\thlt\n"
    "g_vmfunc0:\n\txor %eax, %eax\n\txor %ecx, %ecx\n\tvmfunc\n\tvmcall\n\thlt\n"
    "g_vmfunc_512:\n\txor %eax, %eax\n\tmov $512, %ecx\n\tvmfunc\n\tvmcall\n\thlt\n"
    "g_vmfunc_64:\n\tmov $64, %eax\n\txor %ecx, %ecx\n\tvmfunc\n\tvmcall\n\thlt\n");

/* NMI handlers that return with IRETQ: at once; from RSP = 4 GiB, which
 * the boot page tables do not map (#PF on the frame read); from RSP =
 * 0xC0000100, whose EPT leaf the EPT case removes. */
void h_nmi_iret(void), h_nmi_pf(void), h_nmi_pf_iret(void), h_nmi_ept(void), h_nmi_ept_iret(void);
void g_pf_iret(void), g_pf_iret_at(void);
asm(".text\nh_nmi_iret:\n\tiretq\n"
    "h_nmi_pf:\n\tmovabs $0x100000000, %rsp\nh_nmi_pf_iret:\n\tiretq\n"
    "h_nmi_ept:\n\tmov $0xC0000100, %esp\nh_nmi_ept_iret:\n\tiretq\n"
    "g_pf_iret:\n\tmovabs $0x100000000, %rsp\ng_pf_iret_at:\n\tiretq\n");

/* The EPT PD for 3-4 GiB of the known-good identity map. */
static uint64_t *ept_pd3(void)
{
	const uint64_t mask = 0xffffffffff000ull;
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(ept_identity_eptp() & ~0xfffull);
	uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[0] & mask);

	return (uint64_t *)(uintptr_t)(pdpt[3] & mask);
}

static void with_idt(void (*guest)(void))
{
	vmcs_good(GOOD_DEFAULT, guest);
	vmw(VMCS_GUEST_IDTR_BASE, (uintptr_t)gidt);
	vmw(VMCS_GUEST_IDTR_LIMIT, sizeof(gidt) - 1);
}

/* The interrupt frame the guest's handler got: [RSP] error code (if any),
 * then RIP, CS, RFLAGS. */
static uint64_t frame(int i) { return ((uint64_t *)(uintptr_t)vmr(VMCS_GUEST_RSP))[i]; }

int main(void)
{
	tap_plan(38);
	vmx_test_init();
	gate(EXC_GP, h_gp);
	gate(0x30, h_sw);
	gate(EXC_NMI, h_nmi);
	gate(0x20, h_ext);
	gate(EXC_UD, h_ud);
	gate(EXC_DB, h_db);
	gate(0x31, h_sw);
	gidt[0x31].lo &= ~(1ull << 47);     /* a valid gate, not present */
	struct entry_result r;

	/* Hardware exception with error code. */
	with_idt(g_nop);
	vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(3) | INTR_ERRCODE | EXC_GP);
	vmw(VMCS_ENTRY_EXCEPTION_ERROR_CODE, 0x1234);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && vmr(VMCS_GUEST_RIP) == (uintptr_t)h_gp,
	       "injected #GP is delivered through the guest IDT (exit 0x%x at 0x%lx)", r.reason, vmr(VMCS_GUEST_RIP));
	tap_check_u64(frame(0), 0x1234, "injected #GP pushes the error code from field 0x4018");
	tap_check_u64(frame(1), (uintptr_t)g_nop, "injected #GP pushes the guest RIP from the VMCS");
	tap_check_u64(vmr(VMCS_ENTRY_INTR_INFO) >> 31, 0, "a VM exit clears the valid bit of the entry interruption information");

	/* Software interrupt: pushed RIP = guest RIP + entry instruction length. */
	with_idt(g_nop);
	vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(4) | 0x30);
	vmw(VMCS_ENTRY_INSTRUCTION_LEN, 2);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && vmr(VMCS_GUEST_RIP) == (uintptr_t)h_sw,
	       "injected INT 0x30 runs its handler (exit 0x%x)", r.reason);
	tap_check_u64(frame(0), (uintptr_t)g_nop + 2, "injected INT 0x30 pushes RIP + instruction length 2");

	/* The exception bitmap does not apply to injected events. */
	with_idt(g_nop);
	vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_UD);
	vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(3) | EXC_UD);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && vmr(VMCS_GUEST_RIP) == (uintptr_t)h_ud,
	       "injected #UD is delivered despite exception-bitmap bit 6 (exit 0x%x)", r.reason);

	/* NMI: delivered, and NMI blocking is in effect afterwards. */
	with_idt(g_nop);
	vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(2) | EXC_NMI);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && vmr(VMCS_GUEST_RIP) == (uintptr_t)h_nmi,
	       "injected NMI runs the NMI handler (exit 0x%x)", r.reason);
	tap_check_u64(vmr(VMCS_GUEST_INTERRUPTIBILITY) & 8, 8, "an injected NMI leaves NMI blocking set");

	/* External interrupt with RFLAGS.IF = 1: IF pushed 1, cleared in the handler. */
	with_idt(g_nop);
	vmw_or(VMCS_GUEST_RFLAGS, RFLAGS_IF);
	vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(0) | 0x20);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && vmr(VMCS_GUEST_RIP) == (uintptr_t)h_ext,
	       "injected external interrupt 0x20 runs its handler (exit 0x%x)", r.reason);
	tap_ok((frame(2) & RFLAGS_IF) && !(vmr(VMCS_GUEST_RFLAGS) & RFLAGS_IF),
	       "interrupt gate: pushed RFLAGS.IF = 1, handler runs with IF = 0");

	/* A fault while delivering an injected event: #NP for a not-present
	 * gate, intercepted; IDT-vectoring information describes the event. */
	with_idt(g_nop);
	vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_NP);
	vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(4) | 0x31);
	vmw(VMCS_ENTRY_INSTRUCTION_LEN, 2);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 0 && (uint32_t)vmr(VMCS_EXIT_INTR_INFO) == 0x80000B0B,
	       "injected INT 0x31 through a not-present gate -> exit 0, #NP (got 0x%x info 0x%lx rip 0x%lx)",
	       r.reason, vmr(VMCS_EXIT_INTR_INFO), vmr(VMCS_GUEST_RIP));
	tap_check_u64((uint32_t)vmr(VMCS_IDT_VECTORING_INFO), 0x80000431,
		      "IDT-vectoring information = the injected software interrupt");
	tap_check_u64(vmr(VMCS_EXIT_INTR_ERROR_CODE) & ~1ull, 0x31 * 8 + 2, "#NP error code names IDT vector 0x31");
	tap_check_u64(vmr(VMCS_EXIT_INSTRUCTION_LEN), 2, "exit during software-interrupt delivery records its length");

	/* Pending debug exceptions (BS) without injection: #DB before the
	 * first instruction, intercepted; qualification carries BS. */
	with_idt(g_nop);
	vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_DB);
	vmw(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 1u << 14);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 0 && (uint32_t)vmr(VMCS_EXIT_INTR_INFO) == 0x80000301 && r.qual == 0x4000,
	       "pending BS debug exception -> exit 0, #DB, qualification 0x4000 (info 0x%lx qual 0x%lx)",
	       vmr(VMCS_EXIT_INTR_INFO), r.qual);
	tap_check_u64(vmr(VMCS_GUEST_RIP), (uintptr_t)g_nop, "the #DB comes before the first guest instruction");

	/* NMI window (reason 8): open at once without virtual-NMI blocking. */
	if (can_set(caps.pin, PIN_NMI | PIN_VNMI) && can_set(caps.proc, PROC_NMIWIN)) {
		vmcs_good(GOOD_DEFAULT, g_nop);
		vmw_or(VMCS_PIN_CONTROLS, PIN_NMI | PIN_VNMI);
		vmw_or(VMCS_PROC_CONTROLS, PROC_NMIWIN);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 8 && vmr(VMCS_GUEST_RIP) == (uintptr_t)g_nop,
		       "NMI-window exiting without blocking -> exit 8 before the first instruction (got 0x%x)", r.reason);
	} else {
		tap_skip("no virtual NMIs / NMI-window exiting", "NMI window");
	}

	/* TPR below threshold (reason 43, trap-like). */
	if (can_set(caps.proc, PROC_TPR_SHADOW)) {
		vmcs_good(GOOD_DEFAULT, g_cr8);
		scratch_pages[0][0x80] = 0x20;
		vmw_or(VMCS_PROC_CONTROLS, PROC_TPR_SHADOW);
		vmw_clear(VMCS_PROC_CONTROLS, PROC_CR8_LOAD | PROC_CR8_STORE);
		vmw(VMCS_VIRTUAL_APIC_ADDR, (uintptr_t)scratch_pages[0]);
		vmw(VMCS_TPR_THRESHOLD, 2);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 43 && vmr(VMCS_GUEST_RIP) == (uintptr_t)g_cr8_after,
		       "MOV to CR8 dropping VTPR below the threshold -> exit 43 after it (got 0x%x)", r.reason);
		tap_check_u64(scratch_pages[0][0x80], 0x10, "MOV to CR8 with TPR shadow writes VTPR[7:4]");
	} else {
		tap_skip("no TPR shadow", "TPR below threshold");
		tap_skip("no TPR shadow", "VTPR write");
	}

	/* APIC access (reason 44): qualification = offset | access type. */
	if (has_proc2(PROC2_VAPIC)) {
		apic_page = (uintptr_t)scratch_pages[1];
		vmcs_good(GOOD_DEFAULT, g_apic_read);
		vmw_or(VMCS_PROC2_CONTROLS, PROC2_VAPIC);
		vmw(VMCS_APIC_ACCESS_ADDR, apic_page);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 44 && r.qual == 0x080 && vmr(VMCS_GUEST_RIP) == (uintptr_t)g_apic_read_at,
		       "read of APIC-access page offset 0x80 -> exit 44 qual 0x080 (got 0x%x qual 0x%lx)", r.reason, r.qual);
		vmcs_good(GOOD_DEFAULT, g_apic_write);
		vmw_or(VMCS_PROC2_CONTROLS, PROC2_VAPIC);
		vmw(VMCS_APIC_ACCESS_ADDR, apic_page);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 44 && r.qual == 0x1300 && vmr(VMCS_GUEST_RIP) == (uintptr_t)g_apic_write_at,
		       "write of APIC-access page offset 0x300 -> exit 44 qual 0x1300 (got 0x%x qual 0x%lx)", r.reason, r.qual);
	} else {
		tap_skip("no APIC-access virtualization", "APIC-access read");
		tap_skip("no APIC-access virtualization", "APIC-access write");
	}

	/* VM functions (reason 59). */
	if (has_proc2(PROC2_VMFUNC | PROC2_EPT) && (caps.vmfunc & 1)) {
		uint64_t *list = (uint64_t *)scratch_pages[4];
		memset(list, 0, 4096);
		list[0] = ept_identity_eptp();
		vmcs_good(GOOD_DEFAULT, g_vmfunc0);
		vmw_or(VMCS_PROC2_CONTROLS, PROC2_VMFUNC);
		vmw(VMCS_VMFUNC_CONTROLS, 0);
		vmw(VMCS_EPTP_LIST_ADDR, (uintptr_t)list);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 59 && vmr(VMCS_GUEST_RIP) == (uintptr_t)g_vmfunc0 + 4,
		       "VMFUNC 0 with the function disabled -> exit 59 (got 0x%x)", r.reason);
		vmcs_good(GOOD_DEFAULT, g_vmfunc0);
		vmw_or(VMCS_PROC2_CONTROLS, PROC2_VMFUNC);
		vmw(VMCS_VMFUNC_CONTROLS, 1);
		vmw(VMCS_EPTP_LIST_ADDR, (uintptr_t)list);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 18, "VMFUNC 0 (EPTP switching) to a valid entry completes (got 0x%x)", r.reason);
		vmcs_good(GOOD_DEFAULT, g_vmfunc_512);
		vmw_or(VMCS_PROC2_CONTROLS, PROC2_VMFUNC);
		vmw(VMCS_VMFUNC_CONTROLS, 1);
		vmw(VMCS_EPTP_LIST_ADDR, (uintptr_t)list);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 59, "VMFUNC 0 with ECX = 512 -> exit 59 (got 0x%x)", r.reason);
		vmcs_good(GOOD_DEFAULT, g_vmfunc_64);
		vmw_or(VMCS_PROC2_CONTROLS, PROC2_VMFUNC);
		vmw(VMCS_VMFUNC_CONTROLS, 1);
		vmw(VMCS_EPTP_LIST_ADDR, (uintptr_t)list);
		vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_UD);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 0 && ((uint32_t)vmr(VMCS_EXIT_INTR_INFO) & 0xff) == EXC_UD,
		       "VMFUNC with EAX = 64 -> #UD (exit 0 vector 6; got 0x%x)", r.reason);
	} else {
		for (int i = 0; i < 4; i++)
			tap_skip("no VM functions", "VMFUNC %d", i);
	}

	/* IRET and NMI blocking.  "virtual NMIs": the injected NMI blocks
	 * virtual NMIs, so the NMI window stays shut through the handler; its
	 * IRETQ removes the blocking and the window opens right after it,
	 * at the interrupted RIP. */
	gate(EXC_NMI, h_nmi_iret);
	bool vnmi = can_set(caps.pin, PIN_NMI | PIN_VNMI);
	if (vnmi && can_set(caps.proc, PROC_NMIWIN)) {
		with_idt(g_nop);
		vmw_or(VMCS_PIN_CONTROLS, PIN_NMI | PIN_VNMI);
		vmw_or(VMCS_PROC_CONTROLS, PROC_NMIWIN);
		vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(2) | EXC_NMI);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 8 && vmr(VMCS_GUEST_RIP) == (uintptr_t)g_nop,
		       "IRET of the injected NMI's handler opens the NMI window -> exit 8 at the interrupted RIP (got 0x%x at 0x%lx)",
		       r.reason, vmr(VMCS_GUEST_RIP));
		tap_check_u64(vmr(VMCS_GUEST_INTERRUPTIBILITY) & 8, 0, "no virtual-NMI blocking after the handler's IRET");
		/* The VMM injects the NMI the window was for: allowed now
		 * (GUEST-88), and its handler's IRET unblocks again. */
		vmw_clear(VMCS_PROC_CONTROLS, PROC_NMIWIN);
		vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(2) | EXC_NMI);
		r = vmx_enter(true);
		tap_ok(r.exited && r.reason == 18 && vmr(VMCS_GUEST_RIP) == (uintptr_t)g_nop + 1,
		       "a second injected NMI is delivered and its handler returns (got 0x%x at 0x%lx)",
		       r.reason, vmr(VMCS_GUEST_RIP));
		tap_check_u64(vmr(VMCS_GUEST_INTERRUPTIBILITY) & 8, 0, "no virtual-NMI blocking after the second IRET");
	} else {
		for (int i = 0; i < 4; i++)
			tap_skip("no virtual NMIs / NMI-window exiting", "IRET and the NMI window %d", i);
	}

	/* "NMI exiting" = 0: IRET unblocks NMIs as outside VMX. */
	if (!(allowed0(caps.pin) & (PIN_NMI | PIN_VNMI))) {
		with_idt(g_nop);
		vmw_clear(VMCS_PIN_CONTROLS, PIN_NMI | PIN_VNMI);
		vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(2) | EXC_NMI);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 18 && vmr(VMCS_GUEST_RIP) == (uintptr_t)g_nop + 1,
		       "injected NMI whose handler IRETs returns to the guest (got 0x%x at 0x%lx)",
		       r.reason, vmr(VMCS_GUEST_RIP));
		tap_check_u64(vmr(VMCS_GUEST_INTERRUPTIBILITY) & 8, 0, "IRET removed blocking by NMI (NMI exiting = 0)");
	} else {
		tap_skip("NMI exiting is fixed to 1", "IRET unblocks NMIs");
		tap_skip("NMI exiting is fixed to 1", "blocking by NMI after IRET");
	}

	/* A #PF on the handler's IRET, intercepted: exit 0 with bit 12 of the
	 * interruption information (the IRET ran with virtual-NMI blocking),
	 * fault-like, and the blocking already removed (SDM §27.1). */
	if (vnmi) {
		with_idt(g_nop);
		vmw_or(VMCS_PIN_CONTROLS, PIN_NMI | PIN_VNMI);
		vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_PF);
		gate(EXC_NMI, h_nmi_pf);
		vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(2) | EXC_NMI);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 0 && (uint32_t)vmr(VMCS_EXIT_INTR_INFO) == 0x80001B0E,
		       "#PF on the NMI handler's IRET -> exit 0, info 0x80001B0E with NMI unblocking (got 0x%x info 0x%lx)",
		       r.reason, vmr(VMCS_EXIT_INTR_INFO));
		tap_check_u64(r.qual, 0x100000000ull, "#PF on IRET: qualification = the frame's address");
		tap_check_u64(vmr(VMCS_GUEST_RIP), (uintptr_t)h_nmi_pf_iret, "#PF on IRET: RIP = the IRET");
		tap_check_u64(vmr(VMCS_GUEST_INTERRUPTIBILITY) & 8, 0,
			      "#PF on IRET: virtual-NMI blocking saved as removed (the VMM restores it)");
		/* The same IRET without blocking: bit 12 = 0. */
		with_idt(g_pf_iret);
		vmw_or(VMCS_PIN_CONTROLS, PIN_NMI | PIN_VNMI);
		vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_PF);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 0 && (uint32_t)vmr(VMCS_EXIT_INTR_INFO) == 0x80000B0E &&
		       vmr(VMCS_GUEST_RIP) == (uintptr_t)g_pf_iret_at,
		       "#PF on an IRET without NMI blocking -> info 0x80000B0E, bit 12 clear (got 0x%x info 0x%lx)",
		       r.reason, vmr(VMCS_EXIT_INTR_INFO));
	} else {
		for (int i = 0; i < 5; i++)
			tap_skip("no virtual NMIs", "#PF on IRET %d", i);
	}

	/* An EPT violation on the handler's IRET: bit 12 of the qualification
	 * (ept.md §6), with the read bit. */
	if (vnmi && has_proc2(PROC2_EPT)) {
		uint64_t *pd = ept_pd3(), saved = pd[0];
		pd[0] = 0;
		with_idt(g_nop);
		vmw_or(VMCS_PIN_CONTROLS, PIN_NMI | PIN_VNMI);
		gate(EXC_NMI, h_nmi_ept);
		vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(2) | EXC_NMI);
		if (caps.ept_vpid >> 20 & 1) {
			struct vmx_inv_desc d = { 0, 0 };
			invept_flags(2, &d, 0);
		}
		r = vmx_enter(false);
		pd[0] = saved;
		tap_ok(r.exited && r.reason == 48 && (r.qual & 0x1007) == 0x1001 &&
		       vmr(VMCS_GUEST_RIP) == (uintptr_t)h_nmi_ept_iret,
		       "EPT violation on the NMI handler's IRET -> exit 48, qualification bit 12 (got 0x%x qual 0x%lx)",
		       r.reason, r.qual);
	} else {
		tap_skip("no virtual NMIs or no EPT", "EPT violation on IRET");
	}
	gate(EXC_NMI, h_nmi);
	return tap_done();
}
