/* APIC virtualization (src/vmx/apicv.c): the SDM Vol. 3C chapter 29 rules
 * for the APIC-access page (§29.4), the x2APIC MSRs (§29.5), TPR, EOI and
 * self-IPI virtualization (§29.1) and virtual-interrupt delivery (§29.2).
 * Every expected value is the SDM's (quoted above each test), not
 * softvtx's output.
 *
 * The machine is put into non-root operation by hand, as in
 * test_vmx_intercept.c: a 64-bit guest with the fixture's identity map, no
 * EPT, the APIC-access page at APIC_PA (so linear = host-physical), the
 * virtual-APIC page at VAPIC_PA, an IDT whose vector v handler is a HLT at
 * T_HBASE + 16 v, and a host state that continues at a HLT at
 * HOST_RIP_ADDR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cpu/msr.h"
#include "tm_events.h"
#include "vmx/apicv.h"
#include "vmx/exit.h"
#include "vmx/intercept.h"
#include "vmx/nonroot.h"
#include "vmx/vmcs.h"

#define HOST_RIP_ADDR 0x1ff000ull
#define VMCS_REGION   0x400000ull
#define MSR_BITMAP_PA 0x502000ull
#define VAPIC_PA      0x503000ull
#define APIC_PA       0x600000ull

#define PROC_INTR_WINDOW (1u << 2)
#define P2_VAPIC      (1u << 0)
#define P2_X2APIC     (1u << 4)
#define P2_REGVIRT    (1u << 8)
#define P2_VID        (1u << 9)

static struct tm *machine_mode(enum tm_mode mode, uint32_t proc, uint32_t proc2)
{
	struct tm *tm = tm_new(mode);
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;

	tm_nonroot(tm, VMCS_REGION, HOST_RIP_ADDR);
	VMCS_SET(v, PIN_CONTROLS, PIN_EXT_INTR_EXITING);
	VMCS_SET(v, PROC_CONTROLS, proc | PROC_USE_TPR_SHADOW | PROC_USE_MSR_BITMAPS |
	                           (proc2 ? PROC_SECONDARY : 0));
	VMCS_SET(v, PROC2_CONTROLS, proc2);
	VMCS_SET(v, MSR_BITMAP, MSR_BITMAP_PA);
	VMCS_SET(v, VIRTUAL_APIC_ADDR, VAPIC_PA);
	VMCS_SET(v, APIC_ACCESS_ADDR, APIC_PA);
	t_idt(tm, 256);
	cpu->gpr[R_RBX] = APIC_PA;
	cpu->gpr[R_RSP] = TM_STACK;
	return tm;
}

static struct tm *machine(uint32_t proc, uint32_t proc2)
{
	return machine_mode(TM_LONG64, proc, proc2);
}

static uint64_t field(struct tm *tm, enum vmcs_index i)
{
	return tm->cpu->vmx->vmcs.val[i];
}

static enum cpu_stop run_code(struct tm *tm, const uint8_t *code, size_t n)
{
	tm_code(tm, code, n);
	return tm_run(tm, 100);
}

#define RUN(tm, ...) ({ \
		static const uint8_t code_[] = { __VA_ARGS__ }; \
		run_code((tm), code_, sizeof(code_)); \
	})

/* The run exited with `reason` and `qual`, the saved guest RIP being
 * TM_CODE + off, and stopped at the host's HLT. */
static void assert_exit(struct tm *tm, enum cpu_stop stop, uint32_t reason, uint64_t qual,
                        uint64_t off)
{
	assert_int_equal(stop, STOP_HALT);
	assert_false(tm->cpu->vmx_nonroot);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_REASON), reason);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), qual);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_RIP), TM_CODE + off);
	assert_int_equal(tm->cpu->rip, HOST_RIP_ADDR + 1);
}

/* The run stopped at the guest's own HLT, TM_CODE + off - 1. */
static void assert_guest_hlt(struct tm *tm, enum cpu_stop stop, uint64_t off)
{
	assert_int_equal(stop, STOP_HALT);
	assert_true(tm->cpu->vmx_nonroot);
	assert_int_equal(tm->cpu->rip, TM_CODE + off);
}

static uint32_t vapic(struct tm *tm, unsigned off)
{
	return (uint32_t)tm_read(tm, VAPIC_PA + off, 4);
}

/* Little-endian disp32 bytes. */
#define D32(x) (x) & 0xff, ((x) >> 8) & 0xff, ((x) >> 16) & 0xff, ((x) >> 24) & 0xff
/* MOV EAX, [RBX + off]; MOV [RBX + off], EAX; MOV [RBX + off], AL */
#define LOAD(off)    0x8b, 0x83, D32(off)
#define STORE(off)   0x89, 0x83, D32(off)
#define STORE8(off)  0x88, 0x83, D32(off)
#define INC_ECX      0xff, 0xc1
#define HLT          0xf4

/* --- §29.4.2 / §29.4.3.1: which accesses are virtualized ---------------- */

/* "A read access ... causes an APIC-access VM exit if ... the access is
 * more than 32 bits in size; the access is not entirely contained within
 * the low 4 bytes of a naturally aligned 16-byte region."  Without
 * APIC-register virtualization "a read access is virtualized if its page
 * offset is 080H"; writes likewise, plus 0B0H and 300H with virtual-
 * interrupt delivery.  With APIC-register virtualization the SDM lists the
 * offsets (reads: 020-023, 030-033, 080-083, 0B0-0B3, 0D0-0F3 by register,
 * 100-273 ISR/TMR/IRR, 280, 300, 310, 320-370, 380, 3E0; writes: the same
 * without 030, ISR, TMR and IRR). */
static void decision_table(void **state)
{
	static const struct {
		uint32_t proc2;
		unsigned off, size;
		bool write, virt;
	} t[] = {
		{ 0, 0x080, 4, false, true },  { 0, 0x080, 1, true, true },
		{ 0, 0x080, 8, false, false }, { 0, 0x081, 1, false, false },
		{ 0, 0x084, 4, false, false }, { 0, 0x0b0, 4, true, false },
		{ 0, 0x030, 4, false, false }, { 0, 0x300, 4, true, false },
		{ P2_VID, 0x0b0, 4, true, true },   { P2_VID, 0x300, 4, true, true },
		{ P2_VID, 0x310, 4, true, false },  { P2_VID, 0x0b0, 4, false, false },
		{ P2_VID, 0x302, 2, true, false },
		{ P2_REGVIRT, 0x020, 4, false, true }, { P2_REGVIRT, 0x030, 4, false, true },
		{ P2_REGVIRT, 0x030, 4, true, false }, { P2_REGVIRT, 0x090, 4, false, false },
		{ P2_REGVIRT, 0x0a0, 4, false, false }, { P2_REGVIRT, 0x0c0, 4, false, false },
		{ P2_REGVIRT, 0x081, 2, false, true },  { P2_REGVIRT, 0x082, 4, false, false },
		{ P2_REGVIRT, 0x170, 4, false, true },  { P2_REGVIRT, 0x170, 4, true, false },
		{ P2_REGVIRT, 0x1f0, 4, false, true },  { P2_REGVIRT, 0x270, 4, false, true },
		{ P2_REGVIRT, 0x280, 4, true, true },   { P2_REGVIRT, 0x290, 4, false, false },
		{ P2_REGVIRT, 0x310, 4, true, true },   { P2_REGVIRT, 0x370, 4, true, true },
		{ P2_REGVIRT, 0x380, 4, true, true },   { P2_REGVIRT, 0x390, 4, false, false },
		{ P2_REGVIRT, 0x3e0, 4, true, true },   { P2_REGVIRT, 0x3f0, 4, false, false },
		{ P2_REGVIRT, 0x480, 4, false, false }, { P2_REGVIRT, 0x0b4, 4, true, false },
		{ P2_REGVIRT | P2_VID, 0x0b2, 1, true, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (apicv_virtualizes(t[i].proc2, t[i].off, t[i].size, t[i].write) != t[i].virt)
			fail_msg("row %zu: proc2 %#x off %#x size %u %s", i, t[i].proc2, t[i].off,
			         t[i].size, t[i].write ? "write" : "read");
	}
}

/* §29.4: without "use TPR shadow" every access to the APIC-access page is
 * an APIC-access exit (fault-like; qualification: offset, and access type
 * 0 for a read, 1 for a write, vm-exits.md §3.7). */
static void no_tpr_shadow_exits(void **state)
{
	struct tm *tm = machine(0, P2_VAPIC);
	enum cpu_stop stop;

	(void)state;
	VMCS_SET(tm->cpu->vmx, PROC_CONTROLS, PROC_SECONDARY | PROC_USE_MSR_BITMAPS);
	tm->cpu->gpr[R_RCX] = 7;
	stop = RUN(tm, INC_ECX, LOAD(0x80), HLT);
	assert_exit(tm, stop, EXIT_APIC_ACCESS, 0x080, 2);
	assert_int_equal(tm->cpu->gpr[R_RCX], 8);
	tm_free(tm);
}

/* §29.4.2, §29.4.3: with the TPR shadow, reads and writes of offset 080H
 * use VTPR; "the processor clears bytes 3:1 of VTPR and then causes TPR
 * virtualization", whose TPR-below-threshold exit is trap-like (§29.1.2).
 * Other offsets, and 080H+1, exit. */
static void tpr_only(void **state)
{
	struct tm *tm = machine(0, P2_VAPIC);
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	(void)state;
	tm_write(tm, VAPIC_PA + 0x80, 4, 0x12345670);
	tm_write(tm, APIC_PA + 0x80, 4, 0xdead);
	stop = RUN(tm, LOAD(0x80), HLT);
	assert_guest_hlt(tm, stop, 7);
	assert_int_equal(cpu->gpr[R_RAX], 0x12345670);

	/* A write: VTPR <- 0x20 after the emulation; threshold 2 not crossed.
	 * The INC after it in the same block still runs. */
	cpu->halted = false;
	cpu->gpr[R_RAX] = 0xabcdef20;
	cpu->gpr[R_RCX] = 0;
	VMCS_SET(cpu->vmx, TPR_THRESHOLD, 2);
	stop = RUN(tm, STORE(0x80), INC_ECX, HLT);
	assert_guest_hlt(tm, stop, 9);
	assert_int_equal(vapic(tm, 0x80), 0x20);
	assert_int_equal(cpu->gpr[R_RCX], 1);
	assert_int_equal(tm_read(tm, APIC_PA + 0x80, 4), 0xdead);

	/* VTPR 0x10 < threshold 2: exit 43 after the store, before the INC. */
	cpu->halted = false;
	cpu->gpr[R_RAX] = 0x10;
	cpu->gpr[R_RCX] = 0;
	stop = RUN(tm, STORE(0x80), INC_ECX, HLT);
	assert_exit(tm, stop, EXIT_TPR_BELOW_THRESHOLD, 0, 6);
	assert_int_equal(vapic(tm, 0x80), 0x10);
	assert_int_equal(cpu->gpr[R_RCX], 0);
	tm_free(tm);

	/* A byte write at 081H exits: its page offset is not 080H. */
	tm = machine(0, P2_VAPIC);
	stop = RUN(tm, STORE8(0x81), HLT);
	assert_exit(tm, stop, EXIT_APIC_ACCESS, 0x1081, 0);
	tm_free(tm);

	/* A read of 0B0H exits (type 0). */
	tm = machine(0, P2_VAPIC);
	stop = RUN(tm, LOAD(0xb0), HLT);
	assert_exit(tm, stop, EXIT_APIC_ACCESS, 0x00b0, 0);
	tm_free(tm);
}

/* §29.4.2 with APIC-register virtualization: reads of listed registers
 * come from the virtual-APIC page; §29.4.3.2: a virtualized write to a
 * register without its own emulation is an APIC-write exit (reason 56,
 * qualification = page offset), trap-like: "the value of CS:RIP saved in
 * the guest-state area of the VMCS references the next instruction". */
static void register_virtualization(void **state)
{
	struct tm *tm = machine(0, P2_VAPIC | P2_REGVIRT);
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	(void)state;
	tm_write(tm, VAPIC_PA + 0x30, 4, 0x00050014);
	tm_write(tm, VAPIC_PA + 0x150, 4, 0x80000001);
	stop = RUN(tm, LOAD(0x30), 0x8b, 0x8b, D32(0x150), HLT);  /* MOV ECX, [RBX+150H] */
	assert_guest_hlt(tm, stop, 13);
	assert_int_equal(cpu->gpr[R_RAX], 0x00050014);
	assert_int_equal(cpu->gpr[R_RCX], 0x80000001);

	cpu->halted = false;
	cpu->gpr[R_RAX] = 0x000100ef;
	cpu->gpr[R_RCX] = 0;
	stop = RUN(tm, STORE(0x320), INC_ECX, HLT);
	assert_exit(tm, stop, EXIT_APIC_WRITE, 0x320, 6);
	assert_int_equal(vapic(tm, 0x320), 0x000100ef);
	assert_int_equal(cpu->gpr[R_RCX], 0);
	tm_free(tm);

	/* 310H-313H: "The processor clears bytes 2:0 of VICR_HI.  No other
	 * virtualization or VM exit occurs." */
	tm = machine(0, P2_VAPIC | P2_REGVIRT);
	tm->cpu->gpr[R_RAX] = 0x07123456;
	stop = RUN(tm, STORE(0x310), HLT);
	assert_guest_hlt(tm, stop, 7);
	assert_int_equal(vapic(tm, 0x310), 0x07000000);
	tm_free(tm);

	/* 0B0H without virtual-interrupt delivery: an APIC-write exit. */
	tm = machine(0, P2_VAPIC | P2_REGVIRT);
	stop = RUN(tm, STORE(0xb0), HLT);
	assert_exit(tm, stop, EXIT_APIC_WRITE, 0xb0, 6);
	tm_free(tm);

	/* A write to a read-only register (030H version) exits, fault-like. */
	tm = machine(0, P2_VAPIC | P2_REGVIRT);
	stop = RUN(tm, STORE(0x30), HLT);
	assert_exit(tm, stop, EXIT_APIC_ACCESS, 0x1030, 0);
	tm_free(tm);
}

/* A write crossing into the APIC-access page is not contained in a
 * register: an APIC-access exit, and the bytes of the other page are not
 * written (the exit is fault-like). */
static void split_write_exits(void **state)
{
	struct tm *tm = machine(0, P2_VAPIC | P2_REGVIRT);
	enum cpu_stop stop;

	(void)state;
	tm_write(tm, APIC_PA - 4, 4, 0x11111111);
	tm->cpu->gpr[R_RAX] = 0xffffffff;
	stop = RUN(tm, STORE((uint32_t)-2), HLT);
	assert_exit(tm, stop, EXIT_APIC_ACCESS, 0x1000, 0);
	assert_int_equal(tm_read(tm, APIC_PA - 4, 4), 0x11111111);
	tm_free(tm);
}

/* --- §29.1.4: EOI virtualization ---------------------------------------- */

/* "Vector <- SVI; VISR[Vector] <- 0; IF any bits set in VISR THEN SVI <-
 * highest index of bit set in VISR ELSE SVI <- 0; perform PPR
 * virtualization; IF EOI_exit_bitmap[Vector] = 1 THEN cause EOI-induced VM
 * exit with Vector as exit qualification; ELSE evaluate pending virtual
 * interrupts."  The exit is trap-like. */
static void eoi_virtualization(void **state)
{
	struct tm *tm = machine(0, P2_VAPIC | P2_VID);
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	(void)state;
	/* In service: 0x31 and 0x52 (VISR bit x at 100H | (x & E0H) >> 1). */
	tm_write(tm, VAPIC_PA + 0x110, 4, 1u << 0x11);
	tm_write(tm, VAPIC_PA + 0x120, 4, 1u << 0x12);
	tm_write(tm, VAPIC_PA + 0x80, 4, 0x20);
	VMCS_SET(cpu->vmx, GUEST_INTR_STATUS, 0x5200);
	VMCS_SET(cpu->vmx, EOI_EXIT_BITMAP1, 1ull << (0x52 - 64));
	cpu->gpr[R_RAX] = 0;
	stop = RUN(tm, STORE(0xb0), INC_ECX, HLT);
	assert_exit(tm, stop, EXIT_VIRTUALIZED_EOI, 0x52, 6);
	assert_int_equal(vapic(tm, 0x120), 0);
	assert_int_equal(vapic(tm, 0x110), 1u << 0x11);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTR_STATUS), 0x3100);
	/* PPR virtualization: VTPR[7:4] = 2 < SVI[7:4] = 3: VPPR = 30H. */
	assert_int_equal(vapic(tm, 0xa0), 0x30);
	tm_free(tm);

	/* Not in the bitmap: no exit; the next EOI empties VISR (SVI 0,
	 * VPPR = VTPR). */
	tm = machine(0, P2_VAPIC | P2_VID);
	cpu = tm->cpu;
	tm_write(tm, VAPIC_PA + 0x110, 4, 1u << 0x11);
	tm_write(tm, VAPIC_PA + 0x80, 4, 0x20);
	VMCS_SET(cpu->vmx, GUEST_INTR_STATUS, 0x3100);
	stop = RUN(tm, STORE(0xb0), HLT);
	assert_guest_hlt(tm, stop, 7);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTR_STATUS), 0);
	assert_int_equal(vapic(tm, 0xa0), 0x20);
	assert_int_equal(vapic(tm, 0x110), 0);
	tm_free(tm);
}

/* --- §29.1.5, §29.2: self-IPI and delivery ------------------------------ */

/* §29.4.3.2, offset 300H: a fixed, edge, self-shorthand ICR write with a
 * vector >= 16 is self-IPI virtualization ("VIRR[Vector] <- 1; RVI <-
 * max{RVI, Vector}; evaluate pending virtual interrupts"); §29.2.2: the
 * recognized interrupt is delivered at the next instruction boundary with
 * RFLAGS.IF = 1: "VISR[Vector] <- 1; SVI <- Vector; VPPR <- Vector & F0H;
 * VIRR[Vector] <- 0; RVI <- highest index of bit set in VIRR or 0; deliver
 * interrupt with Vector through IDT". */
static void self_ipi_delivered(void **state)
{
	struct tm *tm = machine(0, P2_VAPIC | P2_VID);
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	(void)state;
	t_flags(tm, RFLAGS_FIXED1 | RFLAGS_IF);
	tm_write(tm, VAPIC_PA + 0x210, 4, 1u << 0x08);    /* VIRR: 0x28 waits too */
	VMCS_SET(cpu->vmx, GUEST_INTR_STATUS, 0x0028);
	cpu->gpr[R_RAX] = (1u << 18) | 0x61;
	cpu->gpr[R_RCX] = 0;
	stop = RUN(tm, STORE(0x300), INC_ECX, HLT);
	assert_int_equal(stop, STOP_HALT);
	assert_true(cpu->vmx_nonroot);
	assert_int_equal(t_vector(tm), 0x61);
	/* Delivered right after the store: the INC did not run, and the
	 * return address is the INC. */
	assert_int_equal(cpu->gpr[R_RCX], 0);
	assert_int_equal(tm_read(tm, TM_STACK - 40, 8), TM_CODE + 6);
	assert_int_equal(vapic(tm, 0x130), 1u << 1);       /* VISR[0x61] */
	assert_int_equal(vapic(tm, 0x230), 0);             /* VIRR[0x61] cleared */
	assert_int_equal(vapic(tm, 0x210), 1u << 0x08);    /* 0x28 still waits */
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTR_STATUS), 0x6128);
	assert_int_equal(vapic(tm, 0xa0), 0x60);
	tm_free(tm);
}

/* An ICR write that is not a self-IPI of vector >= 16 is an APIC-write
 * exit (qualification 300H); with RFLAGS.IF = 0 a recognized interrupt
 * waits (§29.2.2 condition 1). */
static void icr_not_self_and_if_clear(void **state)
{
	struct tm *tm = machine(0, P2_VAPIC | P2_VID);
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	(void)state;
	cpu->gpr[R_RAX] = (1u << 18) | 0x0f;           /* vector 15 */
	stop = RUN(tm, STORE(0x300), HLT);
	assert_exit(tm, stop, EXIT_APIC_WRITE, 0x300, 6);
	tm_free(tm);

	tm = machine(0, P2_VAPIC | P2_VID);
	tm->cpu->gpr[R_RAX] = (3u << 18) | 0x61;      /* all-excluding-self */
	stop = RUN(tm, STORE(0x300), HLT);
	assert_exit(tm, stop, EXIT_APIC_WRITE, 0x300, 6);
	tm_free(tm);

	tm = machine(0, P2_VAPIC | P2_VID);
	cpu = tm->cpu;
	t_flags(tm, RFLAGS_FIXED1);
	cpu->gpr[R_RAX] = (1u << 18) | 0x61;
	stop = RUN(tm, STORE(0x300), HLT);
	assert_guest_hlt(tm, stop, 7);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTR_STATUS), 0x0061);
	assert_int_equal(vapic(tm, 0x230), 1u << 1);
	assert_true(cpu->vmx->vintr_recognized);
	tm_free(tm);
}

/* §29.2.1: "IF 'interrupt-window exiting' is 0 AND RVI[7:4] > VPPR[7:4]
 * THEN recognize a pending virtual interrupt", evaluated at VM entry after
 * PPR virtualization (SDM §26.3.2.5), and after TPR virtualization (MOV to
 * CR8, §29.3): a VTPR that masked the interrupt, lowered, lets it in
 * before the next instruction. */
static void evaluation_at_entry_and_cr8(void **state)
{
	struct tm *tm = machine(0, P2_VAPIC | P2_VID);
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	(void)state;
	t_flags(tm, RFLAGS_FIXED1 | RFLAGS_IF);
	tm_write(tm, VAPIC_PA + 0x220, 4, 1u << 5);         /* VIRR[0x45] */
	tm_write(tm, VAPIC_PA + 0x80, 4, 0x50);
	VMCS_SET(cpu->vmx, GUEST_INTR_STATUS, 0x0045);
	apicv_entry(cpu);
	assert_int_equal(vapic(tm, 0xa0), 0x50);
	assert_false(cpu->vmx->vintr_recognized);
	/* §29.1.2: with virtual-interrupt delivery the TPR threshold plays no
	 * part (no exit 43 however low VTPR goes). */
	VMCS_SET(cpu->vmx, TPR_THRESHOLD, 0xf);
	cpu->gpr[R_RAX] = 3;
	cpu->gpr[R_RCX] = 0;
	/* MOV CR8, RAX; INC ECX; HLT */
	stop = RUN(tm, 0x44, 0x0f, 0x22, 0xc0, INC_ECX, HLT);
	assert_int_equal(stop, STOP_HALT);
	assert_int_equal(t_vector(tm), 0x45);
	assert_int_equal(cpu->gpr[R_RCX], 0);
	assert_int_equal(tm_read(tm, TM_STACK - 40, 8), TM_CODE + 4);
	assert_int_equal(vapic(tm, 0x80), 0x30);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTR_STATUS), 0x4500);
	tm_free(tm);

	/* Recognized at entry: delivered before the first instruction. */
	tm = machine(0, P2_VAPIC | P2_VID);
	cpu = tm->cpu;
	t_flags(tm, RFLAGS_FIXED1 | RFLAGS_IF);
	tm_write(tm, VAPIC_PA + 0x220, 4, 1u << 5);
	VMCS_SET(cpu->vmx, GUEST_INTR_STATUS, 0x0045);
	apicv_entry(cpu);
	assert_true(cpu->vmx->vintr_recognized);
	stop = RUN(tm, INC_ECX, HLT);
	assert_int_equal(t_vector(tm), 0x45);
	assert_int_equal(tm_read(tm, TM_STACK - 40, 8), TM_CODE);
	tm_free(tm);

	/* With interrupt-window exiting, nothing is recognized. */
	tm = machine(PROC_INTR_WINDOW, P2_VAPIC | P2_VID);
	cpu = tm->cpu;
	tm_write(tm, VAPIC_PA + 0x220, 4, 1u << 5);
	VMCS_SET(cpu->vmx, GUEST_INTR_STATUS, 0x0045);
	apicv_entry(cpu);
	assert_false(cpu->vmx->vintr_recognized);
	tm_free(tm);
}

/* §29.2.2: "Virtual-interrupt delivery wakes a logical processor from the
 * same inactive activity states as would an external interrupt.
 * Specifically, it wakes a logical processor from the states entered using
 * the HLT and MWAIT instructions.  It does not wake a logical processor in
 * the shutdown state or in the wait-for-SIPI state." */
static void delivery_and_activity_states(void **state)
{
	struct tm *tm = machine(0, P2_VAPIC | P2_VID);
	struct cpu *cpu = tm->cpu;

	(void)state;
	tm_code(tm, (const uint8_t[]){ HLT }, 1);
	t_flags(tm, RFLAGS_FIXED1 | RFLAGS_IF);
	tm_write(tm, VAPIC_PA + 0x220, 4, 1u << 5);
	VMCS_SET(cpu->vmx, GUEST_INTR_STATUS, 0x0045);
	cpu->halted = true;
	cpu->vmx->guest_activity = VMX_HLT;
	apicv_entry(cpu);
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), 0x45);
	/* The return address is where the halted processor would resume. */
	assert_int_equal(tm_read(tm, TM_STACK - 40, 8), TM_CODE);
	tm_free(tm);

	tm = machine(0, P2_VAPIC | P2_VID);
	cpu = tm->cpu;
	tm_code(tm, (const uint8_t[]){ HLT }, 1);
	t_flags(tm, RFLAGS_FIXED1 | RFLAGS_IF);
	tm_write(tm, VAPIC_PA + 0x220, 4, 1u << 5);
	VMCS_SET(cpu->vmx, GUEST_INTR_STATUS, 0x0045);
	cpu->halted = true;
	cpu->vmx->guest_activity = VMX_SHUTDOWN;
	apicv_entry(cpu);
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->rip, TM_CODE);
	assert_true(cpu->vmx->vintr_recognized);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTR_STATUS), 0x0045);
	tm_free(tm);
}

/* §29.4: "an operation can be an iteration of a REP-prefixed string
 * instruction, an execution of any other instruction, or delivery of an
 * event through the IDT"; APIC-write emulation follows the operation. */
static void one_operation_rules(void **state)
{
	struct tm *tm = machine(0, P2_VAPIC | P2_REGVIRT);
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	(void)state;
	/* REP STOSD from 300H: the first iteration is virtualized, and its
	 * APIC-write exit follows it, with RIP still at the REP STOSD and RCX
	 * counting the rest. */
	cpu->gpr[R_RDI] = APIC_PA + 0x300;
	cpu->gpr[R_RCX] = 3;
	cpu->gpr[R_RAX] = 0x1234;
	stop = RUN(tm, 0xf3, 0xab, HLT);
	assert_exit(tm, stop, EXIT_APIC_WRITE, 0x300, 0);
	assert_int_equal(vapic(tm, 0x300), 0x1234);
	assert_int_equal(vapic(tm, 0x304), 0);
	assert_int_equal(cpu->gpr[R_RCX], 2);
	assert_int_equal(cpu->gpr[R_RDI], APIC_PA + 0x304);
	tm_free(tm);

	/* MOVSD from 080H to 380H: a virtualized read, then a virtualized
	 * write, then the write's APIC-write exit. */
	tm = machine(0, P2_VAPIC | P2_REGVIRT);
	cpu = tm->cpu;
	tm_write(tm, VAPIC_PA + 0x80, 4, 0x40);
	cpu->gpr[R_RSI] = APIC_PA + 0x80;
	cpu->gpr[R_RDI] = APIC_PA + 0x380;
	stop = RUN(tm, 0xa5, HLT);
	assert_exit(tm, stop, EXIT_APIC_WRITE, 0x380, 1);
	assert_int_equal(vapic(tm, 0x380), 0x40);
	tm_free(tm);

	/* PUSH QWORD [RBX+80H]: an 8-byte read is more than 32 bits. */
	tm = machine(0, P2_VAPIC | P2_REGVIRT);
	stop = RUN(tm, 0xff, 0xb3, D32(0x80), HLT);
	assert_exit(tm, stop, EXIT_APIC_ACCESS, 0x0080, 0);
	tm_free(tm);
}

/* §29.4: "an operation can be ... delivery of an event through the IDT";
 * §29.4.3.1: a write that "is part of an operation for which the
 * processor has already virtualized a write (with a different page offset
 * or a different size)" is an APIC-access exit, here of type 3 ("linear
 * access during event delivery"); §29.4.3.2: "If an operation causes a VM
 * exit ... after a write access to the APIC-access page and before
 * APIC-write emulation, the APIC-write emulation does not occur".  A
 * 32-bit INT 30H with ESP at 084H of the page pushes EFLAGS to 080H
 * (virtualized), then CS to 07CH. */
static void event_delivery_writes(void **state)
{
	struct tm *tm = machine_mode(TM_PROT32, 0, P2_VAPIC);
	struct cpu *cpu = tm->cpu;

	(void)state;
	t_flags(tm, RFLAGS_FIXED1 | RFLAGS_IF);
	cpu->gpr[R_RSP] = APIC_PA + 0x84;
	tm_code(tm, (const uint8_t[]){ 0xcd, 0x30, HLT }, 3);
	tm_run(tm, 10);
	assert_false(cpu->vmx_nonroot);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_REASON), EXIT_APIC_ACCESS);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0x307c);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_RIP), TM_CODE);
	/* vm-exits.md §4: the INT 30H being delivered, type 4. */
	assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO), INTR_INFO_VALID | 4u << 8 | 0x30);
	/* EFLAGS went to the virtual-APIC page; no emulation cleared bytes
	 * 3:1 of VTPR. */
	assert_int_equal(vapic(tm, 0x80), RFLAGS_FIXED1 | RFLAGS_IF);
	tm_free(tm);
}

/* --- §29.5: x2APIC MSRs ------------------------------------------------- */

/* RDMSR of 808H reads bytes 87H:80H of the virtual-APIC page; with
 * APIC-register virtualization any 800H-8FFH reads offset (ECX & FFH) << 4
 * ("This occurs even if the local APIC is not in x2APIC mode"); without
 * it the others run normally (#GP(0) here, no x2APIC). */
static void x2apic_reads(void **state)
{
	struct tm *tm = machine(0, P2_X2APIC);
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	(void)state;
	tm_write(tm, VAPIC_PA + 0x80, 8, 0x0000000900000040ull);
	tm_write(tm, VAPIC_PA + 0x300, 8, 0x0000000500040061ull);
	cpu->gpr[R_RCX] = 0x808;
	stop = RUN(tm, 0x0f, 0x32, HLT);
	assert_guest_hlt(tm, stop, 3);
	assert_int_equal(cpu->gpr[R_RAX], 0x40);
	assert_int_equal(cpu->gpr[R_RDX], 9);

	cpu->halted = false;
	cpu->gpr[R_RCX] = 0x830;
	stop = RUN(tm, 0x0f, 0x32, HLT);
	assert_int_equal(t_vector(tm), EXC_GP);
	tm_free(tm);

	tm = machine(0, P2_X2APIC | P2_REGVIRT);
	cpu = tm->cpu;
	tm_write(tm, VAPIC_PA + 0x300, 8, 0x0000000500040061ull);
	cpu->gpr[R_RCX] = 0x830;
	stop = RUN(tm, 0x0f, 0x32, HLT);
	assert_guest_hlt(tm, stop, 3);
	assert_int_equal(cpu->gpr[R_RAX], 0x00040061);
	assert_int_equal(cpu->gpr[R_RDX], 5);
	tm_free(tm);

	/* The MSR bitmap decides first: a set read bit is an RDMSR exit. */
	tm = machine(0, P2_X2APIC);
	tm_write(tm, MSR_BITMAP_PA + 0x808 / 8, 1, 1u << (0x808 & 7));
	tm->cpu->gpr[R_RCX] = 0x808;
	stop = RUN(tm, 0x0f, 0x32, HLT);
	assert_exit(tm, stop, EXIT_RDMSR, 0, 0);
	tm_free(tm);
}

/* WRMSR 808H: #GP(0) if EDX:EAX[63:8] != 0, else bytes 87H:80H <- EDX:EAX
 * and TPR virtualization (exit 43 below the threshold, trap-like).
 * 80BH with virtual-interrupt delivery: #GP(0) unless EDX:EAX = 0, else
 * EOI virtualization.  83FH: bytes 3F7H:3F0H <- EDX:EAX, then an APIC-write
 * exit (qualification 3F0H) for a vector below 16, self-IPI
 * virtualization otherwise. */
static void x2apic_writes(void **state)
{
	struct tm *tm = machine(0, P2_X2APIC);
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	(void)state;
	cpu->gpr[R_RCX] = 0x808;
	cpu->gpr[R_RAX] = 0x100;
	cpu->gpr[R_RDX] = 0;
	stop = RUN(tm, 0x0f, 0x30, HLT);
	assert_int_equal(t_vector(tm), EXC_GP);

	cpu->halted = false;
	tm_write(tm, VAPIC_PA + 0x84, 4, 0xffffffff);
	VMCS_SET(cpu->vmx, TPR_THRESHOLD, 4);
	cpu->gpr[R_RCX] = 0x808;
	cpu->gpr[R_RAX] = 0x30;
	cpu->gpr[R_RDX] = 0;
	stop = RUN(tm, 0x0f, 0x30, HLT);
	assert_exit(tm, stop, EXIT_TPR_BELOW_THRESHOLD, 0, 2);
	assert_int_equal(tm_read(tm, VAPIC_PA + 0x80, 8), 0x30);
	tm_free(tm);

	/* EOI without virtual-interrupt delivery is not virtualized: #GP(0)
	 * (no x2APIC). */
	tm = machine(0, P2_X2APIC);
	tm->cpu->gpr[R_RCX] = 0x80b;
	tm->cpu->gpr[R_RAX] = 0;
	tm->cpu->gpr[R_RDX] = 0;
	stop = RUN(tm, 0x0f, 0x30, HLT);
	assert_int_equal(t_vector(tm), EXC_GP);
	tm_free(tm);

	tm = machine(0, P2_X2APIC | P2_VID);
	cpu = tm->cpu;
	tm_write(tm, VAPIC_PA + 0x110, 4, 1u << 0x11);
	VMCS_SET(cpu->vmx, GUEST_INTR_STATUS, 0x3100);
	cpu->gpr[R_RCX] = 0x80b;
	cpu->gpr[R_RAX] = 1;
	cpu->gpr[R_RDX] = 0;
	stop = RUN(tm, 0x0f, 0x30, HLT);
	assert_int_equal(t_vector(tm), EXC_GP);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTR_STATUS), 0x3100);
	cpu->halted = false;
	cpu->gpr[R_RAX] = 0;
	stop = RUN(tm, 0x0f, 0x30, HLT);
	assert_guest_hlt(tm, stop, 3);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTR_STATUS), 0);
	assert_int_equal(vapic(tm, 0x110), 0);

	cpu->halted = false;
	cpu->gpr[R_RCX] = 0x83f;
	cpu->gpr[R_RAX] = 0x0e;
	stop = RUN(tm, 0x0f, 0x30, HLT);
	assert_exit(tm, stop, EXIT_APIC_WRITE, 0x3f0, 2);
	assert_int_equal(tm_read(tm, VAPIC_PA + 0x3f0, 8), 0x0e);
	tm_free(tm);

	tm = machine(0, P2_X2APIC | P2_VID);
	cpu = tm->cpu;
	cpu->gpr[R_RCX] = 0x83f;
	cpu->gpr[R_RAX] = 0x9a;
	cpu->gpr[R_RDX] = 0;
	stop = RUN(tm, 0x0f, 0x30, HLT);
	assert_guest_hlt(tm, stop, 3);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTR_STATUS), 0x9a);
	assert_int_equal(vapic(tm, 0x240), 1u << 0x1a);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decision_table),
		cmocka_unit_test(no_tpr_shadow_exits),
		cmocka_unit_test(tpr_only),
		cmocka_unit_test(register_virtualization),
		cmocka_unit_test(split_write_exits),
		cmocka_unit_test(eoi_virtualization),
		cmocka_unit_test(self_ipi_delivered),
		cmocka_unit_test(icr_not_self_and_if_clear),
		cmocka_unit_test(evaluation_at_entry_and_cr8),
		cmocka_unit_test(delivery_and_activity_states),
		cmocka_unit_test(one_operation_rules),
		cmocka_unit_test(event_delivery_writes),
		cmocka_unit_test(x2apic_reads),
		cmocka_unit_test(x2apic_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
