/* Instructions in VMX non-root operation: the behaviour that changes
 * without a VM exit (CR0/CR4 read shadows and guest/host masks, TSC
 * offsetting, the TPR shadow: SDM Vol. 3C §25.3, §29.3) and the exit
 * information of exits that the plain exit table (vmx_exits.c) does not
 * cover: IDT-vectoring information, software exceptions, LMSW, INS/OUTS,
 * descriptor-table exiting, TPR below threshold.  Expected values come
 * from shared/spec/vm-exits.md §2-§6.  Guests write what they read to
 * nr_out (same identity map as the host), then execute VMCALL. */
#include "vmcs_good.h"

#define GUEST(name, body) \
	void name(void); extern const char name##_at[]; \
	asm(".text\n" #name ":\n" body "\n\tvmcall\n\thlt\n")

uint64_t nr_out[4];

GUEST(g_readcr, "\tmov %cr0, %rax\n\tmov %rax, nr_out(%rip)\n"
                "\tsmsw %rbx\n\tmov %rbx, nr_out+8(%rip)\n"
                "\tmov %cr4, %rcx\n\tmov %rcx, nr_out+16(%rip)\n" "g_readcr_at:");
GUEST(g_writecr0, "\tmov %cr0, %rax\n\tor $2, %rax\n\tmov %rax, %cr0\n" "g_writecr0_at:");
GUEST(g_rdtsc, "\trdtsc\n\tshl $32, %rdx\n\tor %rdx, %rax\n\tmov %rax, nr_out(%rip)\n" "g_rdtsc_at:");
GUEST(g_int21, "\tnop\n" "g_int21_at:\tint $0x21");
GUEST(g_int3, "\tnop\n" "g_int3_at:\tint3");
GUEST(g_lmsw, "\tmov $1, %eax\n" "g_lmsw_at:\tlmsw %ax");
GUEST(g_outsb, "\tmov $0x80, %edx\n\tlea nr_out(%rip), %rsi\n\tmov $1, %ecx\n"
               "g_outsb_at:\trep outsb");
GUEST(g_sgdt, "\tlea nr_out(%rip), %rbx\n" "g_sgdt_at:\tsgdt 0x10(%rbx)");
GUEST(g_cr8, "\tmov $7, %eax\n\tmov %rax, %cr8\n\tmov %cr8, %rbx\n\tmov %rbx, nr_out(%rip)\n"
             "g_cr8_at:");
GUEST(g_cr8_low, "\tmov $5, %eax\n\tmov %rax, %cr8\n" "g_cr8_low_at:\tnop");

static uint8_t io_bm[4096] __attribute__((aligned(4096)));

/* The defined bits of the §5.1-§5.4 instruction-information formats:
 * address size, segment, index and its invalid bit, base and its invalid
 * bit, instruction identity. */
#define II_DEFINED ((7u << 7) | (7u << 15) | (1u << 22) | (0xfu << 23) | (1u << 27) | (3u << 28))

static struct entry_result enter(void (*guest)(void), void (*setup)(void))
{
	vmcs_good(GOOD_DEFAULT, guest);
	memset(nr_out, 0, sizeof(nr_out));
	if (setup)
		setup();
	return vmx_enter(false);
}

static bool exited_at(struct entry_result r, uint32_t reason, const char *at)
{
	return r.exited && r.reason == reason && vmr(VMCS_GUEST_RIP) == (uintptr_t)at;
}

/* §2.2: MOV from CR0/CR4 and SMSW read (real & ~mask) | (shadow & mask). */
static void s_shadows(void)
{
	vmw(VMCS_CR0_GUEST_HOST_MASK, CR0_TS | CR0_EM | CR0_NE);
	vmw(VMCS_CR0_READ_SHADOW, CR0_TS | CR0_EM | CR0_MP);
	vmw(VMCS_CR4_GUEST_HOST_MASK, CR4_VMXE);
	vmw(VMCS_CR4_READ_SHADOW, 0);
}

static void t_shadows(void)
{
	struct entry_result r = enter(g_readcr, s_shadows);
	uint64_t cr0 = vmr(VMCS_GUEST_CR0), cr4 = vmr(VMCS_GUEST_CR4);
	uint64_t m0 = CR0_TS | CR0_EM | CR0_NE, want0 = (cr0 & ~m0) | (CR0_TS | CR0_EM);

	tap_ok(exited_at(r, 18, g_readcr_at), "guest reading CR0/CR4 does not exit (got %u)", r.reason);
	tap_check_u64(nr_out[0], want0, "MOV from CR0 reads the shadow in host-owned bits");
	tap_check_u64(nr_out[1] & 0xffff, want0 & 0xffff, "SMSW reads the shadow in host-owned bits");
	tap_check_u64(nr_out[2], cr4 & ~(uint64_t)CR4_VMXE, "MOV from CR4 reads VMXE from its shadow (0)");
}

/* §2.2: a MOV to CR0 that does not exit leaves host-owned bits alone. */
static void s_ts_owned(void)
{
	vmw_clear(VMCS_GUEST_CR0, CR0_TS | CR0_MP);
	vmw(VMCS_CR0_GUEST_HOST_MASK, CR0_TS);
	vmw(VMCS_CR0_READ_SHADOW, CR0_TS);
}

static void t_write_cr0(void)
{
	struct entry_result r = enter(g_writecr0, s_ts_owned);
	uint64_t cr0 = vmr(VMCS_GUEST_CR0);

	tap_ok(exited_at(r, 18, g_writecr0_at), "MOV to CR0 matching the TS shadow does not exit (got %u)",
	       r.reason);
	tap_ok(!(cr0 & CR0_TS) && (cr0 & CR0_MP),
	       "the host-owned TS keeps its value, the guest's MP is written (CR0 0x%lx)", cr0);
}

/* SDM §25.3: RDTSC with "use TSC offsetting" reads TSC + offset. */
#define TSC_OFF ((uint64_t)1 << 40)
static void s_tsc(void)
{
	vmw_or(VMCS_PROC_CONTROLS, PROC_TSC_OFFSET);
	vmw(VMCS_TSC_OFFSET, TSC_OFF);
}

static uint64_t host_tsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static void t_tsc(void)
{
	uint64_t t0, t1;
	struct entry_result r;

	vmcs_good(GOOD_DEFAULT, g_rdtsc);
	s_tsc();
	t0 = host_tsc();
	r = vmx_enter(false);
	t1 = host_tsc();
	tap_ok(exited_at(r, 18, g_rdtsc_at) && nr_out[0] >= t0 + TSC_OFF && nr_out[0] <= t1 + TSC_OFF,
	       "RDTSC in the guest reads TSC + offset (0x%lx in [0x%lx, 0x%lx])", nr_out[0],
	       t0 + TSC_OFF, t1 + TSC_OFF);
}

/* §4, §6: a #GP while delivering INT 21H (IDT limit 0) exits through
 * bitmap bit 13 with the INT n as IDT-vectoring information (type 4) and
 * the INT's length; the saved RIP is the INT's. */
static void s_int_gp(void)
{
	vmw(VMCS_GUEST_IDTR_LIMIT, 0);
	vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_GP);
}

static void t_idt_vectoring(void)
{
	struct entry_result r = enter(g_int21, s_int_gp);

	tap_ok(exited_at(r, 0, g_int21_at), "#GP delivering INT 21H -> exit 0 at the INT (got %u)",
	       r.reason);
	tap_check_u64(vmr(VMCS_EXIT_INTR_INFO), INTR_VALID | INTR_ERRCODE | INTR_TYPE(3) | EXC_GP,
	              "interruption information: #GP, type 3, error code");
	tap_check_u64(vmr(VMCS_EXIT_INTR_ERROR_CODE), 0x21 * 8 + 2,
	              "error code: IDT entry 21H (IDT bit set, EXT clear)");
	tap_check_u64(vmr(VMCS_IDT_VECTORING_INFO), INTR_VALID | INTR_TYPE(4) | 0x21,
	              "IDT-vectoring information: INT 21H, type 4");
	tap_check_u64(vmr(VMCS_EXIT_INSTRUCTION_LEN), 2, "instruction length of the INT n");
}

/* §1 row 0: INT3 is a software exception (type 6), with its length. */
static void s_bp(void) { vmw(VMCS_EXCEPTION_BITMAP, 1u << EXC_BP); }

static void t_int3(void)
{
	struct entry_result r = enter(g_int3, s_bp);

	tap_ok(exited_at(r, 0, g_int3_at) &&
	       (uint32_t)vmr(VMCS_EXIT_INTR_INFO) == (INTR_VALID | INTR_TYPE(6) | EXC_BP) &&
	       vmr(VMCS_EXIT_INSTRUCTION_LEN) == 1,
	       "INT3 with bitmap bit 3 -> exit 0, type 6, length 1 (info 0x%lx)", vmr(VMCS_EXIT_INTR_INFO));
}

/* §2.2, §3.2: LMSW setting PE while PE is host-owned with shadow 0:
 * type 3, register operand, source in 31:16. */
static void s_lmsw(void)
{
	vmw(VMCS_CR0_GUEST_HOST_MASK, CR0_PE);
	vmw(VMCS_CR0_READ_SHADOW, 0);
}

static void t_lmsw(void)
{
	struct entry_result r = enter(g_lmsw, s_lmsw);

	tap_ok(exited_at(r, 28, g_lmsw_at) && r.qual == ((1u << 16) | (3u << 4)),
	       "LMSW setting host-owned PE against shadow 0 -> exit 28 qual 0x10030 (got %u qual 0x%lx)",
	       r.reason, r.qual);
}

/* §3.4, §5.1: REP OUTSB to a port whose bitmap bit is set: string and
 * REP bits, the guest-linear address of DS:RSI, and (BASIC[54]) address
 * size 64-bit and segment DS. */
static void s_outsb(void)
{
	memset(io_bm, 0, sizeof(io_bm));
	io_bm[0x80 / 8] |= 1 << (0x80 % 8);
	vmw(VMCS_IO_BITMAP_A, (uintptr_t)io_bm);
}

static void t_outsb(void)
{
	struct entry_result r = enter(g_outsb, s_outsb);

	tap_ok(exited_at(r, 30, g_outsb_at) && r.qual == ((0x80u << 16) | (1u << 5) | (1u << 4)),
	       "REP OUTSB -> exit 30 qual 0x800030 (got %u qual 0x%lx)", r.reason, r.qual);
	tap_check_u64(vmr(VMCS_GUEST_LINEAR_ADDRESS), (uintptr_t)nr_out,
	              "guest-linear address of the OUTS source");
	if (caps.basic & (1ull << 54))
		tap_check_u64(vmr(VMCS_EXIT_INSTRUCTION_INFO) & ((7u << 7) | (7u << 15)),
		              (2u << 7) | (3u << 15), "INS/OUTS information: 64-bit, DS");
	else
		tap_skip("IA32_VMX_BASIC[54] = 0", "INS/OUTS information");
}

/* §3.6, §5.3: SGDT with descriptor-table exiting: displacement
 * qualification; base RBX, no index, DS, identity 0. */
static void s_desc(void) { vmw_or(VMCS_PROC2_CONTROLS, PROC2_DESC); }

static void t_sgdt(void)
{
	struct entry_result r;

	if (!has_proc2(PROC2_DESC)) {
		tap_skip("no descriptor-table exiting", "SGDT exit");
		return;
	}
	r = enter(g_sgdt, s_desc);
	tap_ok(exited_at(r, 46, g_sgdt_at) && r.qual == 0x10 &&
	       ((uint32_t)vmr(VMCS_EXIT_INSTRUCTION_INFO) & II_DEFINED) ==
	       ((2u << 7) | (3u << 15) | (1u << 22) | (3u << 23)),
	       "SGDT 0x10(%%rbx) -> exit 46 qual 0x10, information base RBX, DS (got %u info 0x%lx)",
	       r.reason, vmr(VMCS_EXIT_INSTRUCTION_INFO));
}

/* SDM §29.3: with "use TPR shadow", MOV to CR8 writes VTPR[7:4] (virtual-
 * APIC page offset 80H, the rest cleared) and MOV from CR8 reads it; a
 * VTPR[7:4] below TPR threshold[3:0] is a trap-like exit 43. */
static void s_tpr(void)
{
	uint8_t *vapic = scratch_pages[0];

	memset(vapic, 0, 4096);
	vapic[0x80] = 0x80;
	vmw_or(VMCS_PROC_CONTROLS, PROC_TPR_SHADOW);
	vmw(VMCS_VIRTUAL_APIC_ADDR, (uintptr_t)vapic);
	vmw(VMCS_TPR_THRESHOLD, 0);
}

static void s_tpr_threshold(void)
{
	s_tpr();
	vmw(VMCS_TPR_THRESHOLD, 6);
}

static void t_tpr(void)
{
	volatile uint32_t *vtpr = (volatile uint32_t *)(scratch_pages[0] + 0x80);
	struct entry_result r;

	if (!can_set(caps.proc, PROC_TPR_SHADOW)) {
		tap_skip("no TPR shadow", "TPR shadow %d", 1);
		tap_skip("no TPR shadow", "TPR shadow %d", 2);
		return;
	}
	r = enter(g_cr8, s_tpr);
	tap_ok(exited_at(r, 18, g_cr8_at) && nr_out[0] == 7 && *vtpr == 0x70,
	       "MOV CR8 with the TPR shadow writes and reads VTPR (VTPR 0x%x, read %lu)", *vtpr,
	       nr_out[0]);
	r = enter(g_cr8_low, s_tpr_threshold);
	tap_ok(exited_at(r, 43, g_cr8_low_at) && r.qual == 0 && *vtpr == 0x50,
	       "VTPR 5 below threshold 6 -> trap-like exit 43 after the MOV (got %u)", r.reason);
}

int main(void)
{
	tap_plan(20);
	vmx_test_init();
	t_shadows();
	t_write_cr0();
	t_tsc();
	t_idt_vectoring();
	t_int3();
	t_lmsw();
	t_outsb();
	t_sgdt();
	t_tpr();
	return tap_done();
}
