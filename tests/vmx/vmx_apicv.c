/* APIC virtualization (SDM Vol. 3C chapter 29; shared/spec/vm-exits.md
 * reasons 43, 44, 45, 56): memory-mapped accesses to the APIC-access page
 * with "use TPR shadow", APIC-register virtualization and virtual-interrupt
 * delivery (§29.4), the x2APIC MSRs with "virtualize x2APIC mode" (§29.5),
 * EOI and self-IPI virtualization (§29.1) and virtual-interrupt delivery
 * through the guest's IDT (§29.2).  Each guest is a few instructions
 * ending in VMCALL; results it reads go to `result` in memory. */
#include "vmcs_good.h"

#define GUEST(name, body) \
	void name(void); extern const char name##_at[]; \
	asm(".text\n" #name ":\n\tmov apic_page(%rip), %rbx\n" body "\n\tvmcall\n\thlt\n")

uint64_t apic_page;
uint64_t result;

GUEST(g_rd80, "\tmov 0x80(%rbx), %eax\n\tmov %rax, result(%rip)\n" "g_rd80_at:");
GUEST(g_wr80, "\tmovl $0xffffff30, 0x80(%rbx)\n" "g_wr80_at:");
GUEST(g_wr80_low, "\tmovl $0x10, 0x80(%rbx)\n" "g_wr80_low_at:\tnop");
GUEST(g_rd84, "g_rd84_at:\tmov 0x84(%rbx), %eax");
GUEST(g_rd30, "\tmov 0x30(%rbx), %eax\n\tmov %rax, result(%rip)\n" "g_rd30_at:");
GUEST(g_wr380, "\tmovl $0x1234, 0x380(%rbx)\n" "g_wr380_at:\tnop");
GUEST(g_wr310, "\tmovl $0x05abcdef, 0x310(%rbx)\n" "g_wr310_at:");
GUEST(g_eoi, "\tmovl $0, 0xb0(%rbx)\n" "g_eoi_at:\tnop");
GUEST(g_selfipi, "\tsti\n\tnop\n\tmovl $0x40061, 0x300(%rbx)\n" "g_selfipi_at:\tnop");
GUEST(g_cr8, "\txor %eax, %eax\n\tmov %rax, %cr8\n" "g_cr8_at:\tnop");
GUEST(g_first, "g_first_at:\tnop");
GUEST(g_rdmsr808, "\tmov $0x808, %ecx\n\trdmsr\n\tmov %rax, result(%rip)\n" "g_rdmsr808_at:");
GUEST(g_wrmsr83f, "\tmov $0x83f, %ecx\n\tmov $0x0e, %eax\n\txor %edx, %edx\n\twrmsr\n" "g_wrmsr83f_at:\tnop");
GUEST(g_walk, "\tlea result(%rip), %rcx\n\tinvlpg (%rcx)\n" "g_walk_at:\tmov (%rcx), %eax");
GUEST(g_wrmsr808gp, "\tmov $0x808, %ecx\n\tmov $0x100, %eax\n\txor %edx, %edx\n" "g_wrmsr808gp_at:\twrmsr");

/* The guest's IDT: vector 0x61 leads to a handler that VMCALLs. */
struct gate64 {
	uint64_t lo, hi;
};
static struct gate64 gidt[256] __attribute__((aligned(16)));
void h_vi(void);
asm(".text\nh_vi:\n\tvmcall\n\thlt\n");

static void gate(int vec, void (*fn)(void))
{
	uint64_t off = (uintptr_t)fn;

	gidt[vec].lo = (off & 0xffff) | (uint64_t)SEL_KCODE64 << 16 | (uint64_t)0x8e << 40 |
	               ((off >> 16) & 0xffff) << 48;
	gidt[vec].hi = off >> 32;
}

/* The virtual-APIC page and the APIC-access page. */
#define VAPIC  scratch_pages[0]
#define APICP  scratch_pages[1]

static uint32_t vapic32(unsigned off) { return *(volatile uint32_t *)&VAPIC[off]; }
static void set_vapic32(unsigned off, uint32_t v) { *(volatile uint32_t *)&VAPIC[off] = v; }

/* The good VMCS with the TPR shadow, the two pages, the secondary
 * controls `proc2`, the guest IDT and, for virtual-interrupt delivery,
 * external-interrupt exiting (CTL-20). */
static void apicv_vmcs(void (*guest)(void), uint32_t proc2)
{
	memset(VAPIC, 0, 4096);
	apic_page = (uintptr_t)APICP;
	result = ~0ull;
	vmcs_good(GOOD_DEFAULT, guest);
	vmw_or(VMCS_PROC_CONTROLS, PROC_TPR_SHADOW);
	vmw_clear(VMCS_PROC_CONTROLS, PROC_CR8_LOAD | PROC_CR8_STORE);
	vmw(VMCS_VIRTUAL_APIC_ADDR, (uintptr_t)VAPIC);
	vmw(VMCS_TPR_THRESHOLD, 0);
	vmw_or(VMCS_PROC2_CONTROLS, proc2);
	if (proc2 & PROC2_VAPIC)
		vmw(VMCS_APIC_ACCESS_ADDR, (uintptr_t)APICP);
	if (proc2 & PROC2_VID) {
		vmw_or(VMCS_PIN_CONTROLS, PIN_EXTINT);
		vmw(VMCS_GUEST_INTR_STATUS, 0);
		for (unsigned i = 0; i < 4; i++)
			vmw(VMCS_EOI_EXIT_BITMAP0 + 2 * i, 0);
	}
	vmw(VMCS_GUEST_IDTR_BASE, (uintptr_t)gidt);
	vmw(VMCS_GUEST_IDTR_LIMIT, sizeof(gidt) - 1);
}

static bool exited_at(struct entry_result r, uint32_t reason, uint64_t qual, const char *at)
{
	return r.exited && r.reason == reason && r.qual == qual && vmr(VMCS_GUEST_RIP) == (uintptr_t)at;
}

/* The interrupt frame of the handler: [RSP] = RIP (no error code). */
static uint64_t frame_rip(void) { return ((uint64_t *)(uintptr_t)vmr(VMCS_GUEST_RSP))[0]; }

static bool can_tpr(void) { return can_set(caps.proc, PROC_TPR_SHADOW) && has_proc2(PROC2_VAPIC); }
static bool can_regvirt(void) { return can_tpr() && has_proc2(PROC2_APIC_REG); }
static bool can_vid(void) { return can_tpr() && has_proc2(PROC2_VID) && can_set(caps.pin, PIN_EXTINT); }
static bool can_x2apic(void) { return can_set(caps.proc, PROC_TPR_SHADOW) && has_proc2(PROC2_X2APIC); }

static void tpr_shadow_only(void)
{
	struct entry_result r;

	if (!can_tpr()) {
		for (int i = 0; i < 5; i++)
			tap_skip("no TPR shadow / APIC-access virtualization", "TPR virtualization %d", i);
		return;
	}
	/* §29.4.2: "a read access is virtualized if its page offset is 080H";
	 * it "returns data from the corresponding page offset on the
	 * virtual-APIC page". */
	apicv_vmcs(g_rd80, PROC2_VAPIC);
	set_vapic32(0x80, 0x50);
	*(volatile uint32_t *)&APICP[0x80] = 0xdead;
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "read of offset 080H with TPR shadow does not exit (got 0x%x)", r.reason);
	tap_check_u64(result, 0x50, "read of offset 080H returns VTPR from the virtual-APIC page");
	/* §29.4.3.2: "the processor clears bytes 3:1 of VTPR and then causes
	 * TPR virtualization". */
	apicv_vmcs(g_wr80, PROC2_VAPIC);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && vapic32(0x80) == 0x30,
	       "write of 0xFFFFFF30 to offset 080H leaves VTPR = 0x30 (exit 0x%x, VTPR 0x%x)", r.reason, vapic32(0x80));
	/* §29.1.2: VTPR[7:4] below the TPR threshold: exit 43, trap-like. */
	apicv_vmcs(g_wr80_low, PROC2_VAPIC);
	vmw(VMCS_TPR_THRESHOLD, 2);
	r = vmx_enter(false);
	tap_ok(exited_at(r, 43, 0, g_wr80_low_at),
	       "write of 0x10 to offset 080H with threshold 2 -> exit 43 after the write (got 0x%x)", r.reason);
	/* §29.4.2: "not entirely contained within the low 4 bytes of a
	 * naturally aligned 16-byte region" -> APIC-access exit. */
	apicv_vmcs(g_rd84, PROC2_VAPIC);
	r = vmx_enter(false);
	tap_ok(exited_at(r, 44, 0x084, g_rd84_at), "read of offset 084H -> exit 44 qual 0x084 (got 0x%x qual 0x%lx)",
	       r.reason, r.qual);
}

static void register_virtualization(void)
{
	struct entry_result r;

	if (!can_regvirt()) {
		for (int i = 0; i < 4; i++)
			tap_skip("no APIC-register virtualization", "APIC-register virtualization %d", i);
		return;
	}
	apicv_vmcs(g_rd30, PROC2_VAPIC | PROC2_APIC_REG);
	set_vapic32(0x30, 0x00050014);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && result == 0x00050014,
	       "APIC-register virtualization: read of 030H (version) from the virtual-APIC page (got 0x%lx)",
	       (unsigned long)result);
	/* §29.4.3.3: an APIC-write exit, qualification = page offset, RIP
	 * after the instruction. */
	apicv_vmcs(g_wr380, PROC2_VAPIC | PROC2_APIC_REG);
	r = vmx_enter(false);
	tap_ok(exited_at(r, 56, 0x380, g_wr380_at),
	       "write of 380H (initial count) -> exit 56 qual 0x380 after the write (got 0x%x qual 0x%lx)", r.reason, r.qual);
	tap_check_u64(vapic32(0x380), 0x1234, "the write went to the virtual-APIC page");
	/* 310H-313H: "clears bytes 2:0 of VICR_HI.  No other virtualization
	 * or VM exit occurs." */
	apicv_vmcs(g_wr310, PROC2_VAPIC | PROC2_APIC_REG);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && vapic32(0x310) == 0x05000000,
	       "write of 310H keeps only VICR_HI[31:24], no exit (exit 0x%x, VICR_HI 0x%x)", r.reason, vapic32(0x310));
}

static void virtual_interrupts(void)
{
	struct entry_result r;

	if (!can_vid()) {
		for (int i = 0; i < 6; i++)
			tap_skip("no virtual-interrupt delivery", "virtual interrupts %d", i);
		return;
	}
	/* §29.1.4: EOI of SVI 0x52 with its EOI-exit bit set: VISR[0x52] <-
	 * 0, SVI <- 0x31 (the next in service), exit 45 with qualification
	 * 0x52, trap-like. */
	apicv_vmcs(g_eoi, PROC2_VAPIC | PROC2_VID);
	set_vapic32(0x110, 1u << 0x11);
	set_vapic32(0x120, 1u << 0x12);
	vmw(VMCS_GUEST_INTR_STATUS, 0x5200);
	vmw(VMCS_EOI_EXIT_BITMAP1, 1ull << (0x52 - 64));
	r = vmx_enter(false);
	tap_ok(exited_at(r, 45, 0x52, g_eoi_at), "EOI of vector 0x52 in the EOI-exit bitmap -> exit 45 qual 0x52 (got 0x%x qual 0x%lx)",
	       r.reason, r.qual);
	tap_ok(vmr(VMCS_GUEST_INTR_STATUS) == 0x3100 && vapic32(0x120) == 0 && vapic32(0xa0) == 0x30,
	       "EOI virtualization: SVI 0x31, VISR[0x52] clear, VPPR 0x30 (status 0x%lx, VPPR 0x%x)",
	       (unsigned long)vmr(VMCS_GUEST_INTR_STATUS), vapic32(0xa0));
	/* §29.1.5 + §29.2.2: a self-IPI written to ICR low is delivered
	 * through the guest IDT right after the write (RFLAGS.IF = 1). */
	apicv_vmcs(g_selfipi, PROC2_VAPIC | PROC2_VID);
	gate(0x61, h_vi);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && vmr(VMCS_GUEST_RIP) == (uintptr_t)h_vi && frame_rip() == (uintptr_t)g_selfipi_at,
	       "self-IPI 0x61 through ICR low is delivered after the write (exit 0x%x at 0x%lx)", r.reason,
	       (unsigned long)vmr(VMCS_GUEST_RIP));
	tap_ok(vmr(VMCS_GUEST_INTR_STATUS) == 0x6100 && vapic32(0x130) == 2 && vapic32(0x230) == 0 && vapic32(0xa0) == 0x60,
	       "delivery: SVI 0x61, RVI 0, VISR[0x61] set, VIRR clear, VPPR 0x60 (status 0x%lx)",
	       (unsigned long)vmr(VMCS_GUEST_INTR_STATUS));
	/* §29.1.2 + §29.3: MOV to CR8 lowering VTPR below the pending
	 * interrupt's class makes it deliverable before the next
	 * instruction. */
	apicv_vmcs(g_cr8, PROC2_VAPIC | PROC2_VID);
	set_vapic32(0x80, 0x70);
	set_vapic32(0x230, 2);
	vmw(VMCS_GUEST_INTR_STATUS, 0x0061);
	vmw(VMCS_GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_IF);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && vmr(VMCS_GUEST_RIP) == (uintptr_t)h_vi && frame_rip() == (uintptr_t)g_cr8_at,
	       "MOV to CR8 below the pending class delivers vector 0x61 after it (exit 0x%x at 0x%lx)", r.reason,
	       (unsigned long)vmr(VMCS_GUEST_RIP));
	/* §26.3.2.5: VM entry evaluates pending virtual interrupts; one
	 * recognized is delivered before the first guest instruction. */
	apicv_vmcs(g_first, PROC2_VAPIC | PROC2_VID);
	set_vapic32(0x230, 2);
	vmw(VMCS_GUEST_INTR_STATUS, 0x0061);
	vmw(VMCS_GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_IF);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && vmr(VMCS_GUEST_RIP) == (uintptr_t)h_vi && frame_rip() == (uintptr_t)g_first,
	       "RVI 0x61 above VPPR at VM entry is delivered before the first instruction (exit 0x%x)", r.reason);
}

static void x2apic_msrs(void)
{
	struct entry_result r;

	if (!can_x2apic()) {
		for (int i = 0; i < 3; i++)
			tap_skip("no virtualize x2APIC mode", "x2APIC %d", i);
		return;
	}
	/* §29.5: RDMSR 808H reads bytes 87H:80H of the virtual-APIC page,
	 * "even if the local APIC is not in x2APIC mode". */
	apicv_vmcs(g_rdmsr808, PROC2_X2APIC);
	set_vapic32(0x80, 0x40);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && result == 0x40, "RDMSR 808H reads VTPR (exit 0x%x, got 0x%lx)", r.reason,
	       (unsigned long)result);
	/* WRMSR 808H with EDX:EAX[63:8] != 0: #GP(0) (here through the
	 * exception bitmap: exit 0, vector 13). */
	apicv_vmcs(g_wrmsr808gp, PROC2_X2APIC);
	vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 0 && (vmr(VMCS_EXIT_INTR_INFO) & 0xff) == EXC_GP &&
	       vmr(VMCS_GUEST_RIP) == (uintptr_t)g_wrmsr808gp_at,
	       "WRMSR 808H of 0x100 -> #GP(0) (exit 0x%x)", r.reason);
	/* WRMSR 83FH of a vector below 16: APIC-write exit, qualification
	 * 3F0H, trap-like. */
	if (can_set(caps.pin, PIN_EXTINT) && has_proc2(PROC2_VID)) {
		apicv_vmcs(g_wrmsr83f, PROC2_X2APIC | PROC2_VID);
		r = vmx_enter(false);
		tap_ok(exited_at(r, 56, 0x3f0, g_wrmsr83f_at) && vapic32(0x3f0) == 0x0e,
		       "WRMSR 83FH (self IPI) of vector 14 -> exit 56 qual 0x3F0 (got 0x%x qual 0x%lx)", r.reason, r.qual);
	} else {
		tap_skip("no virtual-interrupt delivery", "WRMSR 83FH");
	}
}

/* §29.4.6.1: "Every guest-physical access to an address on the
 * APIC-access page causes an APIC-access VM exit.  Such accesses are never
 * virtualized regardless of the page offset."  A guest page walk that
 * reads the PML4 (here the APIC-access page) is one: access type 15
 * (vm-exits.md §3.7), fault-like.  INVLPG makes sure a walk happens by
 * the last instruction at the latest; a TLB that starts cold walks at the
 * first fetch already. */
static void guest_physical(void)
{
	struct entry_result r;

	if (!can_tpr() || !has_proc2(PROC2_EPT)) {
		tap_skip("no EPT / APIC-access virtualization", "guest-physical APIC access");
		return;
	}
	apicv_vmcs(g_walk, PROC2_VAPIC);
	vmw(VMCS_APIC_ACCESS_ADDR, vmr(VMCS_GUEST_CR3) & ~0xfffull);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 44 && ((r.qual >> 12) & 0xf) == 15 &&
	       vmr(VMCS_GUEST_RIP) >= (uintptr_t)g_walk && vmr(VMCS_GUEST_RIP) <= (uintptr_t)g_walk_at,
	       "guest page walk reading the APIC-access page -> exit 44, access type 15 (got 0x%x qual 0x%lx)", r.reason,
	       r.qual);
}

int main(void)
{
	tap_plan(19);
	vmx_test_init();
	tpr_shadow_only();
	register_virtualization();
	virtual_interrupts();
	x2apic_msrs();
	guest_physical();
	return tap_done();
}
