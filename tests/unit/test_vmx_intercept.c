/* Exit decisions in VMX non-root operation and the changed behaviour of
 * instructions there (src/vmx/intercept*.c).  Expected values come from
 * shared/spec/vm-exits.md (§2 causes, §3 qualifications, §4
 * interruption information, §5 instruction information, §6 recording)
 * and vmcs-fields.md §4.10 (MSR bitmap).
 *
 * The machine is put into non-root operation by hand: a 64-bit guest with
 * the fixture's identity map, and a host state that continues at a HLT
 * (HOST_RIP_ADDR), so a run that exits stops there with STOP_HALT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cpu/decode.h"
#include "cpu/msr.h"
#include "cpu/task.h"
#include "tm_events.h"
#include "vmx/exit.h"
#include "vmx/intercept.h"
#include "vmx/vmcs.h"

#define HOST_RIP_ADDR 0x180000ull
#define VMCS_REGION   0x400000ull
#define IO_A          0x500000ull
#define IO_B          0x501000ull
#define MSR_BITMAP_PA 0x502000ull
#define VAPIC_PA      0x503000ull


static struct tm *nr_machine_mode(enum tm_mode mode)
{
	struct tm *tm = tm_new(mode);
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;

	tm_nonroot(tm, VMCS_REGION, HOST_RIP_ADDR);
	VMCS_SET(v, IO_BITMAP_A, IO_A);
	VMCS_SET(v, IO_BITMAP_B, IO_B);
	VMCS_SET(v, MSR_BITMAP, MSR_BITMAP_PA);
	VMCS_SET(v, VIRTUAL_APIC_ADDR, VAPIC_PA);
	return tm;
}

static struct tm *nr_machine(void)
{
	return nr_machine_mode(TM_LONG64);
}

/* The decision for one instruction at TM_CODE, without performing it. */
static int decide_bytes(struct tm *tm, const uint8_t *bytes, size_t n,
                        struct vmx_exit_decision *d)
{
	struct decoder *dec = decode_new();
	struct insn in;
	int st;

	assert_non_null(dec);
	assert_int_equal(decode_one(dec, bytes, n, 8, &in), DEC_OK);
	decode_free(dec);
	tm->cpu->rip = TM_CODE;
	st = vmx_intercept_decide(tm->cpu, &in, d);
	return st;
}

#define DECIDE(tm, d, ...) do { \
		static const uint8_t code_[] = { __VA_ARGS__ }; \
		assert_int_equal(decide_bytes((tm), code_, sizeof(code_), (d)), X_OK); \
	} while (0)

static void set_proc(struct tm *tm, uint32_t proc, uint32_t proc2)
{
	VMCS_SET(tm->cpu->vmx, PROC_CONTROLS, proc | (proc2 ? PROC_SECONDARY : 0));
	VMCS_SET(tm->cpu->vmx, PROC2_CONTROLS, proc2);
}

/* Run code at TM_CODE until the host's HLT (or the guest's). */
static enum cpu_stop run_code(struct tm *tm, const uint8_t *code, size_t n)
{
	tm_code(tm, code, n);
	return tm_run(tm, 100);
}

static uint64_t field(struct tm *tm, enum vmcs_index i)
{
	return tm->cpu->vmx->vmcs.val[i];
}

/* Check that the run exited with `reason` from the instruction at
 * TM_CODE + off, and is now at the host's HLT in root operation. */
static void assert_exited(struct tm *tm, enum cpu_stop stop, uint32_t reason, uint64_t off)
{
	assert_int_equal(stop, STOP_HALT);
	assert_false(tm->cpu->vmx_nonroot);
	assert_int_equal(tm->cpu->vmx->op, VMX_ROOT);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_REASON), reason);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_RIP), TM_CODE + off);
	assert_int_equal(tm->cpu->rip, HOST_RIP_ADDR + 1);
}

/* --- §2.1: CPUID exits unconditionally -------------------------------- */

static void cpuid_always_exits(void **state)
{
	static const uint8_t code[] = { 0x0f, 0xa2, 0xf4 };   /* CPUID; HLT */
	struct tm *tm = nr_machine();
	enum cpu_stop stop;

	(void)state;
	set_proc(tm, 0, 0);
	tm->cpu->gpr[R_RAX] = 0x11;
	stop = run_code(tm, code, sizeof(code));
	assert_exited(tm, stop, EXIT_CPUID, 0);
	/* §1: qualification 0, length recorded; §4: no interruption info. */
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_LEN), 2);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO) & INTR_INFO_VALID, 0);
	assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO) & INTR_INFO_VALID, 0);
	/* Fault-like: CPUID did not run (EAX is the guest's). */
	assert_int_equal(tm->cpu->gpr[R_RAX], 0x11);
	tm_free(tm);
}

/* INVD always; WBINVD under PROC2 bit 6; XSETBV #UDs first while
 * CR4.OSXSAVE = 0. */
static void invd_wbinvd_xsetbv(void **state)
{
	struct tm *tm = nr_machine();
	struct vmx_exit_decision d;

	(void)state;
	set_proc(tm, 0, 0);
	DECIDE(tm, &d, 0x0f, 0x08);                   /* INVD */
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_INVD);
	DECIDE(tm, &d, 0x0f, 0x09);                   /* WBINVD */
	assert_false(d.exit);
	set_proc(tm, 0, PROC2_WBINVD_EXITING);
	DECIDE(tm, &d, 0x0f, 0x09);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_WBINVD);
	DECIDE(tm, &d, 0x0f, 0x01, 0xd1);             /* XSETBV */
	assert_false(d.exit);
	tm_free(tm);
}

/* --- §2.2: HLT under PROC bit 7 ---------------------------------------- */

static void hlt_with_and_without_control(void **state)
{
	static const uint8_t code[] = { 0xf4 };
	struct tm *tm = nr_machine();
	struct vmx_exit_decision d;
	enum cpu_stop stop;

	(void)state;
	set_proc(tm, 0, 0);
	DECIDE(tm, &d, 0xf4);
	assert_false(d.exit);
	/* Without the control the guest halts in non-root operation. */
	stop = run_code(tm, code, sizeof(code));
	assert_int_equal(stop, STOP_HALT);
	assert_true(tm->cpu->vmx_nonroot);
	assert_int_equal(tm->cpu->rip, TM_CODE + 1);

	tm->cpu->halted = false;
	set_proc(tm, PROC_HLT_EXITING, 0);
	DECIDE(tm, &d, 0xf4);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_HLT);
	stop = run_code(tm, code, sizeof(code));
	assert_exited(tm, stop, EXIT_HLT, 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_LEN), 1);
	tm_free(tm);
}

/* RDPMC, RDTSC, INVLPG, MOV DR, PAUSE, descriptor tables. */
static void control_dependent_exits(void **state)
{
	struct tm *tm = nr_machine();
	struct vmx_exit_decision d;

	(void)state;
	set_proc(tm, 0, 0);
	DECIDE(tm, &d, 0x0f, 0x33);                   /* RDPMC */
	assert_false(d.exit);
	DECIDE(tm, &d, 0x0f, 0x31);                   /* RDTSC */
	assert_false(d.exit);
	DECIDE(tm, &d, 0x0f, 0x01, 0x38);             /* INVLPG [rax] */
	assert_false(d.exit);
	DECIDE(tm, &d, 0xf3, 0x90);                   /* PAUSE */
	assert_false(d.exit);

	set_proc(tm, PROC_RDPMC_EXITING | PROC_RDTSC_EXITING | PROC_INVLPG_EXITING |
	             PROC_MOV_DR_EXITING | PROC_PAUSE_EXITING, PROC2_DESC_TABLE_EXITING);
	DECIDE(tm, &d, 0x0f, 0x33);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_RDPMC);
	DECIDE(tm, &d, 0x0f, 0x31);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_RDTSC);
	DECIDE(tm, &d, 0xf3, 0x90);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_PAUSE);
	/* §3.6: INVLPG's qualification is the linear address. */
	tm->cpu->gpr[R_RAX] = 0x123456789ull;
	DECIDE(tm, &d, 0x0f, 0x01, 0x38);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_INVLPG);
	assert_int_equal(d.qual, 0x123456789ull);
	/* §3.3: MOV RDX, DR7 (0F 21 FA): DR 7, from DR (bit 4), GPR 2. */
	DECIDE(tm, &d, 0x0f, 0x21, 0xfa);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_DR_ACCESS);
	assert_int_equal(d.qual, 7 | (1u << 4) | (2u << 8));
	/* MOV DR3, R9 (41 0F 23 D9): DR 3, to DR, GPR 9. */
	DECIDE(tm, &d, 0x41, 0x0f, 0x23, 0xd9);
	assert_true(d.exit);
	assert_int_equal(d.qual, 3 | (9u << 8));
	/* §3.6 and §5.3: SGDT [rbx + rsi*4 + 0x10] (0F 01 44 B3 10):
	 * displacement qualification; scaling 2, address size 2 (64-bit),
	 * segment DS (3), index 6, base 3, identity 0 (SGDT). */
	DECIDE(tm, &d, 0x0f, 0x01, 0x44, 0xb3, 0x10);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_GDTR_IDTR);
	assert_int_equal(d.qual, 0x10);
	assert_int_equal(d.info, 2u | (2u << 7) | (1u << 11) | (3u << 15) | (6u << 18) |
	                         (3u << 23) | (0u << 28));
	/* LIDT [rip + 0x100] (0F 01 1D 00 01 00 00, 7 bytes): qualification
	 * = displacement + next RIP; no base, no index; identity 3. */
	DECIDE(tm, &d, 0x0f, 0x01, 0x1d, 0x00, 0x01, 0x00, 0x00);
	assert_int_equal(d.qual, TM_CODE + 7 + 0x100);
	assert_int_equal(d.info & ((1u << 22) | (1u << 27) | (3u << 28)),
	                 (1u << 22) | (1u << 27) | (3u << 28));
	/* §5.4: SLDT AX (0F 00 C0): register operand (bit 10), reg1 0,
	 * identity 0; LTR CX (0F 00 D9): reg1 1, identity 3. */
	DECIDE(tm, &d, 0x0f, 0x00, 0xc0);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_LDTR_TR);
	assert_int_equal(d.info, 1u << 10);
	DECIDE(tm, &d, 0x0f, 0x00, 0xd9);
	assert_int_equal(d.info, (1u << 10) | (1u << 3) | (3u << 28));
	tm_free(tm);
}

/* §2.3: RDTSCP and INVPCID are #UD in non-root operation unless enabled. */
static void not_enabled_is_ud(void **state)
{
	static const uint8_t rdtscp[] = { 0x0f, 0x01, 0xf9 };
	static const uint8_t invpcid[] = { 0x66, 0x0f, 0x38, 0x82, 0x03 }; /* INVPCID rax, [rbx] */
	struct tm *tm = nr_machine();
	struct vmx_exit_decision d;

	(void)state;
	set_proc(tm, PROC_RDTSC_EXITING | PROC_INVLPG_EXITING, 0);
	assert_int_equal(decide_bytes(tm, rdtscp, sizeof(rdtscp), &d), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_UD);
	assert_int_equal(decide_bytes(tm, invpcid, sizeof(invpcid), &d), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_UD);
	set_proc(tm, PROC_RDTSC_EXITING | PROC_INVLPG_EXITING,
	         PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID);
	assert_int_equal(decide_bytes(tm, rdtscp, sizeof(rdtscp), &d), X_OK);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_RDTSCP);
	assert_int_equal(decide_bytes(tm, invpcid, sizeof(invpcid), &d), X_OK);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_INVPCID);
	/* §5.2: base RBX (3), no index, type register RAX in 31:28. */
	assert_int_equal(d.info, (2u << 7) | (3u << 15) | (1u << 22) | (3u << 23) | (0u << 28));
	tm_free(tm);
}

/* §2.5 item 1: privilege and #UD conditions of the instruction itself
 * rank above the exit; the decision leaves them to the handler. */
static void faults_rank_above_exits(void **state)
{
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	struct vmx_exit_decision d;

	(void)state;
	set_proc(tm, PROC_RDTSC_EXITING | PROC_RDPMC_EXITING | PROC_MOV_DR_EXITING |
	             PROC_CR3_STORE_EXITING, 0);
	/* MOV RDX, DR4 with CR4.DE = 1 is #UD, not an exit. */
	cpu->cr4 |= CR4_DE;
	DECIDE(tm, &d, 0x0f, 0x21, 0xe2);
	assert_false(d.exit);
	cpu->cr4 &= ~CR4_DE;
	DECIDE(tm, &d, 0x0f, 0x21, 0xe2);
	assert_true(d.exit);
	assert_int_equal(d.qual, 4 | (1u << 4) | (2u << 8));
	/* MOV RAX, CR5 is #UD. */
	DECIDE(tm, &d, 0x0f, 0x20, 0xe8);
	assert_false(d.exit);
	t_user(tm);
	assert_int_equal(cpu->cpl, 3);
	/* At CPL 3: MOV CR and MOV DR are #GP(0). */
	DECIDE(tm, &d, 0x0f, 0x20, 0xd8);             /* MOV RAX, CR3 */
	assert_false(d.exit);
	DECIDE(tm, &d, 0x0f, 0x21, 0xfa);
	assert_false(d.exit);
	/* RDTSC: #GP only under CR4.TSD; RDPMC: #GP unless CR4.PCE. */
	DECIDE(tm, &d, 0x0f, 0x31);
	assert_true(d.exit);
	cpu->cr4 |= CR4_TSD;
	DECIDE(tm, &d, 0x0f, 0x31);
	assert_false(d.exit);
	DECIDE(tm, &d, 0x0f, 0x33);
	assert_false(d.exit);
	cpu->cr4 |= CR4_PCE;
	DECIDE(tm, &d, 0x0f, 0x33);
	assert_true(d.exit);
	/* CPUID exits at any CPL (§2.1). */
	DECIDE(tm, &d, 0x0f, 0xa2);
	assert_true(d.exit);
	tm_free(tm);
}

/* PAUSE-loop exiting (SDM §25.1.3): PAUSEs closer than PLE_Gap form one
 * loop, which exits once it has lasted more than PLE_Window; only at
 * CPL 0. */
static void pause_loop_exiting(void **state)
{
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	struct vmx_exit_decision d;
	uint64_t t0;

	(void)state;
	set_proc(tm, 0, PROC2_PAUSE_LOOP_EXITING);
	VMCS_SET(v, PLE_GAP, 10);
	VMCS_SET(v, PLE_WINDOW, 100);
	t0 = cpu->cycles = 5000;
	for (unsigned i = 0; i <= 10; i++) {
		cpu->cycles = t0 + 10 * i;
		DECIDE(tm, &d, 0xf3, 0x90);
		assert_false(d.exit);
	}
	cpu->cycles = t0 + 101;                       /* 1 after the last */
	DECIDE(tm, &d, 0xf3, 0x90);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_PAUSE);
	/* A gap longer than PLE_Gap starts a new loop. */
	cpu->cycles = t0 + 200;
	DECIDE(tm, &d, 0xf3, 0x90);
	assert_false(d.exit);
	cpu->cycles = t0 + 290;
	DECIDE(tm, &d, 0xf3, 0x90);
	assert_false(d.exit);
	/* The first PAUSE after a VM entry starts one too. */
	v->entries++;
	cpu->cycles = t0 + 300;
	DECIDE(tm, &d, 0xf3, 0x90);
	assert_false(d.exit);
	for (uint64_t c = t0 + 310; c <= t0 + 400; c += 10) {
		cpu->cycles = c;
		DECIDE(tm, &d, 0xf3, 0x90);
		assert_false(d.exit);
	}
	cpu->cycles = t0 + 401;
	DECIDE(tm, &d, 0xf3, 0x90);
	assert_true(d.exit);
	/* Not at CPL 3. */
	t_user(tm);
	DECIDE(tm, &d, 0xf3, 0x90);
	assert_false(d.exit);
	tm_free(tm);
}

/* --- I/O (§2.2, §3.4, §5.1) --------------------------------------------- */

static void set_io_bit(struct tm *tm, unsigned port)
{
	uint64_t a = (port < 0x8000 ? IO_A : IO_B) + (port & 0x7fff) / 8;

	tm_write(tm, a, 1, tm_read(tm, a, 1) | (1u << (port & 7)));
}

static void io_bitmaps(void **state)
{
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	struct vmx_exit_decision d;

	(void)state;
	set_proc(tm, PROC_USE_IO_BITMAPS, 0);
	/* Nothing set: no exit, except an access that wraps past FFFF. */
	cpu->gpr[R_RDX] = 0xfffc;
	DECIDE(tm, &d, 0xed);                         /* IN EAX, DX */
	assert_false(d.exit);
	cpu->gpr[R_RDX] = 0xfffe;
	DECIDE(tm, &d, 0xed);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_IO_INSTRUCTION);
	/* size 4 -> 3, IN (bit 3), DX (bit 6 clear), port in 31:16. */
	assert_int_equal(d.qual, 3 | (1u << 3) | (0xfffeull << 16));

	/* Last bit of bitmap A and first bit of bitmap B. */
	set_io_bit(tm, 0x7fff);
	cpu->gpr[R_RDX] = 0x7fff;
	DECIDE(tm, &d, 0xee);                         /* OUT DX, AL */
	assert_true(d.exit);
	assert_int_equal(d.qual, 0x7fffull << 16);
	cpu->gpr[R_RDX] = 0x7ffe;
	DECIDE(tm, &d, 0xee);
	assert_false(d.exit);
	/* A 16-bit access at 7FFE touches 7FFF. */
	DECIDE(tm, &d, 0x66, 0xed);                   /* IN AX, DX */
	assert_true(d.exit);
	assert_int_equal(d.qual, 1 | (1u << 3) | (0x7ffeull << 16));
	set_io_bit(tm, 0x8000);
	cpu->gpr[R_RDX] = 0x8000;
	DECIDE(tm, &d, 0xec);                         /* IN AL, DX */
	assert_true(d.exit);
	assert_int_equal(d.qual, (1u << 3) | (0x8000ull << 16));
	cpu->gpr[R_RDX] = 0x8001;
	DECIDE(tm, &d, 0xec);
	assert_false(d.exit);

	/* Immediate port: bit 6. */
	DECIDE(tm, &d, 0xe6, 0x80);                   /* OUT 0x80, AL */
	assert_false(d.exit);
	set_io_bit(tm, 0x80);
	DECIDE(tm, &d, 0xe6, 0x80);
	assert_true(d.exit);
	assert_int_equal(d.qual, (1u << 6) | (0x80ull << 16));

	/* With the bitmaps in use, "unconditional I/O exiting" is ignored. */
	set_proc(tm, PROC_USE_IO_BITMAPS | PROC_UNCOND_IO_EXITING, 0);
	DECIDE(tm, &d, 0xe6, 0x81);
	assert_false(d.exit);
	set_proc(tm, PROC_UNCOND_IO_EXITING, 0);
	DECIDE(tm, &d, 0xe6, 0x81);
	assert_true(d.exit);
	set_proc(tm, 0, 0);
	DECIDE(tm, &d, 0xe6, 0x80);
	assert_false(d.exit);
	tm_free(tm);
}

/* INS/OUTS: string and REP bits, the guest-linear address and the
 * instruction information of §5.1. */
static void io_string(void **state)
{
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	struct vmx_exit_decision d;

	(void)state;
	set_proc(tm, PROC_UNCOND_IO_EXITING, 0);
	cpu->gpr[R_RDX] = 0x3f8;
	cpu->gpr[R_RSI] = 0x2000;
	cpu->gpr[R_RDI] = 0x3000;
	cpu->seg[SEG_FS].base = 0x100000;
	DECIDE(tm, &d, 0xf3, 0x6e);                   /* REP OUTSB */
	assert_true(d.exit);
	assert_int_equal(d.qual, (1u << 4) | (1u << 5) | (0x3f8ull << 16));
	assert_true(d.has_gla);
	assert_int_equal(d.gla, 0x2000);
	assert_true(d.has_info);
	assert_int_equal(d.info, (2u << 7) | (SEG_DS << 15));
	DECIDE(tm, &d, 0x64, 0x6f);                   /* OUTSD with FS: */
	assert_int_equal(d.qual, 3 | (1u << 4) | (0x3f8ull << 16));
	assert_int_equal(d.gla, 0x102000);
	assert_int_equal(d.info, (2u << 7) | (SEG_FS << 15));
	DECIDE(tm, &d, 0x66, 0x6d);                   /* INSW */
	assert_int_equal(d.qual, 1 | (1u << 3) | (1u << 4) | (0x3f8ull << 16));
	assert_int_equal(d.gla, 0x3000);
	assert_int_equal(d.info, (2u << 7) | (SEG_ES << 15));
	tm_free(tm);
}

/* §2.5: the TSS I/O-permission #GP ranks above the exit. */
static void io_permission_before_exit(void **state)
{
	struct tm *tm = nr_machine();
	struct vmx_exit_decision d;
	static const uint8_t out_dx[] = { 0xee };

	(void)state;
	set_proc(tm, PROC_UNCOND_IO_EXITING, 0);
	t_tss(tm, 0x67);                              /* no room for a bitmap */
	t_user(tm);
	assert_int_equal(tm->cpu->cpl, 3);
	tm->cpu->gpr[R_RDX] = 0x80;
	assert_int_equal(decide_bytes(tm, out_dx, sizeof(out_dx), &d), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_GP);
	/* IOPL 3 grants the access: then it exits. */
	t_flags(tm, RFLAGS_FIXED1 | RFLAGS_IOPL);
	assert_int_equal(decide_bytes(tm, out_dx, sizeof(out_dx), &d), X_OK);
	assert_true(d.exit);
	tm_free(tm);
}

/* --- MSR bitmaps (vmcs-fields.md §4.10) --------------------------------- */

static void set_msr_bit(struct tm *tm, uint32_t msr, bool write)
{
	uint64_t base = MSR_BITMAP_PA + (write ? 0x800 : 0) + (msr >= 0xc0000000u ? 0x400 : 0);
	uint32_t bit = msr & 0x1fff;

	tm_write(tm, base + bit / 8, 1, tm_read(tm, base + bit / 8, 1) | (1u << (bit & 7)));
}

static void msr_bitmaps(void **state)
{
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	struct vmx_exit_decision d;

	(void)state;
	/* Without MSR bitmaps every RDMSR and WRMSR exits. */
	set_proc(tm, 0, 0);
	assert_true(vmx_msr_exits(cpu, MSR_IA32_TSC, false));
	assert_true(vmx_msr_exits(cpu, MSR_IA32_EFER, true));

	set_proc(tm, PROC_USE_MSR_BITMAPS, 0);
	assert_false(vmx_msr_exits(cpu, MSR_IA32_TSC, false));
	assert_false(vmx_msr_exits(cpu, 0x1fff, false));
	assert_false(vmx_msr_exits(cpu, 0xc0001fff, true));
	/* Outside both ranges: always. */
	assert_true(vmx_msr_exits(cpu, 0x2000, false));
	assert_true(vmx_msr_exits(cpu, 0xbfffffff, true));
	assert_true(vmx_msr_exits(cpu, 0xc0002000, false));
	assert_true(vmx_msr_exits(cpu, 0x40000000, true));

	/* Read-low bit for TSC: reads exit, writes do not. */
	set_msr_bit(tm, MSR_IA32_TSC, false);
	assert_true(vmx_msr_exits(cpu, MSR_IA32_TSC, false));
	assert_false(vmx_msr_exits(cpu, MSR_IA32_TSC, true));
	assert_false(vmx_msr_exits(cpu, MSR_IA32_TSC + 1, false));
	/* Write-high bit for EFER: writes exit, reads do not; the read-low
	 * bit of 0x80 is a different MSR. */
	set_msr_bit(tm, MSR_IA32_EFER, true);
	assert_true(vmx_msr_exits(cpu, MSR_IA32_EFER, true));
	assert_false(vmx_msr_exits(cpu, MSR_IA32_EFER, false));
	assert_false(vmx_msr_exits(cpu, 0x80, true));
	/* Ends of the ranges. */
	set_msr_bit(tm, 0x1fff, false);
	set_msr_bit(tm, 0xc0001fff, false);
	assert_true(vmx_msr_exits(cpu, 0x1fff, false));
	assert_true(vmx_msr_exits(cpu, 0xc0001fff, false));
	assert_false(vmx_msr_exits(cpu, 0xc0001fff, true));

	/* Through the instruction: RDMSR (0F 32), WRMSR (0F 30). */
	cpu->gpr[R_RCX] = MSR_IA32_EFER;
	DECIDE(tm, &d, 0x0f, 0x32);
	assert_false(d.exit);
	DECIDE(tm, &d, 0x0f, 0x30);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_WRMSR);
	cpu->gpr[R_RCX] = MSR_IA32_TSC;
	DECIDE(tm, &d, 0x0f, 0x32);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_RDMSR);
	assert_int_equal(d.qual, 0);
	tm_free(tm);
}

/* --- Control registers (§2.2, §3.2) ------------------------------------- */

static void cr0_shadow_read(void **state)
{
	/* MOV RAX, CR0; SMSW CX; HLT */
	static const uint8_t code[] = { 0x0f, 0x20, 0xc0, 0x0f, 0x01, 0xe1, 0xf4 };
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	uint64_t real = cpu->cr0, mask = CR0_TS | CR0_NE, shadow = CR0_TS | CR0_MP | CR0_AM;

	(void)state;
	set_proc(tm, 0, 0);
	VMCS_SET(cpu->vmx, CR0_GUEST_HOST_MASK, mask);
	VMCS_SET(cpu->vmx, CR0_READ_SHADOW, shadow);
	assert_int_equal(run_code(tm, code, sizeof(code)), STOP_HALT);
	assert_true(cpu->vmx_nonroot);
	assert_int_equal(cpu->gpr[R_RAX], (real & ~mask) | (shadow & mask));
	assert_int_equal(cpu->gpr[R_RCX] & 0xffff, ((real & ~mask) | (shadow & mask)) & 0xffff);
	/* The real register is unchanged. */
	assert_int_equal(cpu->cr0, real);
	tm_free(tm);
}

static void cr0_write_decision(void **state)
{
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	struct vmx_exit_decision d;

	(void)state;
	set_proc(tm, 0, 0);
	VMCS_SET(cpu->vmx, CR0_GUEST_HOST_MASK, CR0_TS | CR0_MP);
	VMCS_SET(cpu->vmx, CR0_READ_SHADOW, CR0_TS);
	/* Masked bits equal to the shadow: no exit, whatever the others. */
	cpu->gpr[R_RAX] = (cpu->cr0 & ~CR0_MP) | CR0_TS | CR0_AM;
	DECIDE(tm, &d, 0x0f, 0x22, 0xc0);             /* MOV CR0, RAX */
	assert_false(d.exit);
	/* TS differs from its shadow: exit; §3.2 CR 0, MOV to CR, GPR 0. */
	cpu->gpr[R_RAX] = cpu->cr0 & ~CR0_TS;
	DECIDE(tm, &d, 0x0f, 0x22, 0xc0);
	assert_true(d.exit);
	assert_int_equal(d.reason, EXIT_CR_ACCESS);
	assert_int_equal(d.qual, 0);
	/* MP set against a clear shadow, source RCX: GPR 1 in 11:8. */
	cpu->gpr[R_RCX] = cpu->cr0 | CR0_TS | CR0_MP;
	DECIDE(tm, &d, 0x0f, 0x22, 0xc1);
	assert_true(d.exit);
	assert_int_equal(d.qual, 1u << 8);
	/* CR4 uses its own mask and shadow: MOV CR4, RDX (0F 22 E2). */
	VMCS_SET(cpu->vmx, CR4_GUEST_HOST_MASK, CR4_VMXE);
	VMCS_SET(cpu->vmx, CR4_READ_SHADOW, 0);
	cpu->gpr[R_RDX] = cpu->cr4;
	DECIDE(tm, &d, 0x0f, 0x22, 0xe2);
	assert_true(d.exit);
	assert_int_equal(d.qual, 4 | (2u << 8));
	cpu->gpr[R_RDX] = cpu->cr4 & ~CR4_VMXE;
	DECIDE(tm, &d, 0x0f, 0x22, 0xe2);
	assert_false(d.exit);

	/* CLTS: exits iff TS is host-owned and its shadow is 1 (§3.2 type 2). */
	DECIDE(tm, &d, 0x0f, 0x06);
	assert_true(d.exit);
	assert_int_equal(d.qual, 2u << 4);
	VMCS_SET(cpu->vmx, CR0_READ_SHADOW, 0);
	DECIDE(tm, &d, 0x0f, 0x06);
	assert_false(d.exit);

	/* LMSW AX (0F 01 F0), mask PE|MP, shadow PE = 0, MP = 0: setting PE
	 * exits; MP differing exits; clearing TS (not masked) does not. */
	VMCS_SET(cpu->vmx, CR0_GUEST_HOST_MASK, CR0_PE | CR0_MP);
	cpu->gpr[R_RAX] = CR0_PE;
	DECIDE(tm, &d, 0x0f, 0x01, 0xf0);
	assert_true(d.exit);
	assert_int_equal(d.qual, (3u << 4) | ((uint64_t)CR0_PE << 16));
	cpu->gpr[R_RAX] = CR0_MP;
	DECIDE(tm, &d, 0x0f, 0x01, 0xf0);
	assert_true(d.exit);
	cpu->gpr[R_RAX] = CR0_EM;
	DECIDE(tm, &d, 0x0f, 0x01, 0xf0);
	assert_false(d.exit);
	/* PE = 0 in the source never exits (LMSW cannot clear PE). */
	VMCS_SET(cpu->vmx, CR0_READ_SHADOW, CR0_PE);
	cpu->gpr[R_RAX] = 0;
	DECIDE(tm, &d, 0x0f, 0x01, 0xf0);
	assert_false(d.exit);
	/* LMSW [rbx] (0F 01 33): memory operand bit 6, its linear address. */
	VMCS_SET(cpu->vmx, CR0_READ_SHADOW, 0);
	tm_write(tm, TM_DATA, 2, 0x0001);
	cpu->gpr[R_RBX] = TM_DATA;
	DECIDE(tm, &d, 0x0f, 0x01, 0x33);
	assert_true(d.exit);
	assert_int_equal(d.qual, (3u << 4) | (1u << 6) | (1ull << 16));
	assert_true(d.has_gla);
	assert_int_equal(d.gla, TM_DATA);
	tm_free(tm);
}

/* A MOV to CR0 that does not exit keeps the host-owned bits. */
static void cr0_write_keeps_host_bits(void **state)
{
	static const uint8_t code[] = { 0x0f, 0x22, 0xc0, 0xf4 };  /* MOV CR0, RAX; HLT */
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;

	(void)state;
	set_proc(tm, 0, 0);
	cpu->cr0 |= CR0_TS;
	VMCS_SET(cpu->vmx, CR0_GUEST_HOST_MASK, CR0_TS);
	VMCS_SET(cpu->vmx, CR0_READ_SHADOW, 0);
	/* TS = 0 matches the shadow; MP is the guest's. */
	cpu->gpr[R_RAX] = (cpu->cr0 & ~CR0_TS) | CR0_MP;
	assert_int_equal(run_code(tm, code, sizeof(code)), STOP_HALT);
	assert_true(cpu->vmx_nonroot);
	assert_true(cpu->cr0 & CR0_TS);
	assert_true(cpu->cr0 & CR0_MP);
	tm_free(tm);
}

/* MOV to CR3 with CR3-target values; MOV from CR3; CR8. */
static void cr3_targets_and_cr8(void **state)
{
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	struct vmx_exit_decision d;

	(void)state;
	set_proc(tm, 0, 0);
	cpu->gpr[R_RAX] = 0x30000;
	DECIDE(tm, &d, 0x0f, 0x22, 0xd8);             /* MOV CR3, RAX */
	assert_false(d.exit);
	set_proc(tm, PROC_CR3_LOAD_EXITING, 0);
	VMCS_SET(v, CR3_TARGET_COUNT, 2);
	VMCS_SET(v, CR3_TARGET_VALUE0, 0x10000);
	VMCS_SET(v, CR3_TARGET_VALUE1, 0x20000);
	VMCS_SET(v, CR3_TARGET_VALUE2, 0x30000);
	/* The third target is beyond the count. */
	DECIDE(tm, &d, 0x0f, 0x22, 0xd8);
	assert_true(d.exit);
	assert_int_equal(d.qual, 3);
	cpu->gpr[R_RAX] = 0x20000;
	DECIDE(tm, &d, 0x0f, 0x22, 0xd8);
	assert_false(d.exit);
	VMCS_SET(v, CR3_TARGET_COUNT, 3);
	cpu->gpr[R_RAX] = 0x30000;
	DECIDE(tm, &d, 0x0f, 0x22, 0xd8);
	assert_false(d.exit);
	VMCS_SET(v, CR3_TARGET_COUNT, 0);
	cpu->gpr[R_RAX] = 0x10000;
	DECIDE(tm, &d, 0x0f, 0x22, 0xd8);
	assert_true(d.exit);
	/* MOV R10, CR3 (41 0F 20 DA) with CR3-store exiting: CR 3, type 1,
	 * GPR 10. */
	DECIDE(tm, &d, 0x41, 0x0f, 0x20, 0xda);
	assert_false(d.exit);
	set_proc(tm, PROC_CR3_STORE_EXITING | PROC_CR8_LOAD_EXITING, 0);
	DECIDE(tm, &d, 0x41, 0x0f, 0x20, 0xda);
	assert_true(d.exit);
	assert_int_equal(d.qual, 3 | (1u << 4) | (10u << 8));
	/* MOV CR8, RAX (44 0F 22 C0) and MOV RAX, CR8 (44 0F 20 C0). */
	DECIDE(tm, &d, 0x44, 0x0f, 0x22, 0xc0);
	assert_true(d.exit);
	assert_int_equal(d.qual, 8);
	DECIDE(tm, &d, 0x44, 0x0f, 0x20, 0xc0);
	assert_false(d.exit);
	set_proc(tm, PROC_CR8_STORE_EXITING, 0);
	DECIDE(tm, &d, 0x44, 0x0f, 0x20, 0xc0);
	assert_true(d.exit);
	assert_int_equal(d.qual, 8 | (1u << 4));
	tm_free(tm);
}

/* "Use TPR shadow": MOV CR8 reads and writes VTPR (virtual-APIC page
 * offset 80H, bits 7:4); a VTPR[7:4] below the TPR threshold is a
 * trap-like exit 43 (RIP past the MOV). */
static void tpr_shadow(void **state)
{
	/* MOV CR8, RAX; MOV RCX, CR8; HLT */
	static const uint8_t code[] = { 0x44, 0x0f, 0x22, 0xc0, 0x44, 0x0f, 0x20, 0xc1, 0xf4 };
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	(void)state;
	set_proc(tm, PROC_USE_TPR_SHADOW, 0);
	tm_write(tm, VAPIC_PA + 0x80, 4, 0xffffffff);
	cpu->cr8 = 0;
	cpu->gpr[R_RAX] = 5;
	VMCS_SET(cpu->vmx, TPR_THRESHOLD, 5);
	assert_int_equal(run_code(tm, code, sizeof(code)), STOP_HALT);
	assert_true(cpu->vmx_nonroot);
	assert_int_equal(tm_read(tm, VAPIC_PA + 0x80, 4), 0x50);
	assert_int_equal(cpu->gpr[R_RCX], 5);
	assert_int_equal(cpu->cr8, 0);

	cpu->halted = false;
	cpu->gpr[R_RAX] = 4;
	stop = run_code(tm, code, sizeof(code));
	assert_exited(tm, stop, EXIT_TPR_BELOW_THRESHOLD, 4);
	assert_int_equal(tm_read(tm, VAPIC_PA + 0x80, 4), 0x40);
	tm_free(tm);
}

/* --- Exceptions (§2.4, §3.1, §4) ---------------------------------------- */

static void exception_bitmap_pf_rule(void **state)
{
	static const struct {
		uint32_t bit, mask, match, pfec;
		bool exits;
	} t[] = {
		{ 1, 0, 0, PFEC_W, true },               /* mask 0, match 0: all match */
		{ 0, 0, 0, PFEC_P, false },
		{ 1, PFEC_W, PFEC_W, PFEC_W | PFEC_P, true },
		{ 1, PFEC_W, PFEC_W, PFEC_P, false },
		{ 0, PFEC_W, PFEC_W, PFEC_W, false },
		{ 0, PFEC_W, PFEC_W, PFEC_U, true },
		{ 0, 0, 1, PFEC_P, true },               /* nothing can match */
		{ 1, 0, 1, PFEC_P, false },
		{ 1, PFEC_U | PFEC_P, PFEC_U, PFEC_U, true },
		{ 1, PFEC_U | PFEC_P, PFEC_U, PFEC_U | PFEC_P, false },
	};
	struct tm *tm = nr_machine();
	struct vmx *v = tm->cpu->vmx;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		VMCS_SET(v, EXCEPTION_BITMAP, t[i].bit << EXC_PF);
		VMCS_SET(v, PF_ERROR_CODE_MASK, t[i].mask);
		VMCS_SET(v, PF_ERROR_CODE_MATCH, t[i].match);
		assert_int_equal(vmx_exception_exits(v, EXC_PF, t[i].pfec), t[i].exits);
	}
	/* Other vectors: the bit alone, whatever the #PF fields say. */
	VMCS_SET(v, EXCEPTION_BITMAP, 1u << EXC_UD);
	VMCS_SET(v, PF_ERROR_CODE_MATCH, 1);
	assert_true(vmx_exception_exits(v, EXC_UD, 0));
	assert_false(vmx_exception_exits(v, EXC_GP, 0));
	tm_free(tm);
}

/* #UD through the bitmap: reason 0, type 3, no error code, fault-like. */
static void exception_ud_exits(void **state)
{
	static const uint8_t code[] = { 0x90, 0x0f, 0x0b };  /* NOP; UD2 */
	struct tm *tm = nr_machine();
	enum cpu_stop stop;

	(void)state;
	set_proc(tm, 0, 0);
	VMCS_SET(tm->cpu->vmx, EXCEPTION_BITMAP, 1u << EXC_UD);
	stop = run_code(tm, code, sizeof(code));
	assert_exited(tm, stop, EXIT_EXCEPTION_NMI, 1);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO), INTR_INFO_VALID | (3u << 8) | EXC_UD);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0);
	assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO) & INTR_INFO_VALID, 0);
	tm_free(tm);
}

/* #PF: qualification = the faulting address, CR2 not written, error code
 * in the companion field. */
static void exception_pf_exits(void **state)
{
	static const uint8_t code[] = { 0x48, 0x8b, 0x03 };  /* MOV RAX, [RBX] */
	struct tm *tm = nr_machine();
	enum cpu_stop stop;

	(void)state;
	set_proc(tm, 0, 0);
	VMCS_SET(tm->cpu->vmx, EXCEPTION_BITMAP, 1u << EXC_PF);
	tm->cpu->cr2 = 0x1234;
	tm->cpu->gpr[R_RBX] = 0x40000010;             /* beyond the identity map */
	stop = run_code(tm, code, sizeof(code));
	assert_exited(tm, stop, EXIT_EXCEPTION_NMI, 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO),
	                 INTR_INFO_VALID | INTR_INFO_ERROR_VALID | (3u << 8) | EXC_PF);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_ERROR_CODE), 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0x40000010);
	assert_int_equal(tm->cpu->cr2, 0x1234);
	tm_free(tm);
}

/* INT3 is a software exception (type 6) with its instruction length;
 * INT n is never intercepted by itself, but a #GP while delivering it
 * exits with the INT n as IDT-vectoring information (type 4). */
static void software_events(void **state)
{
	static const uint8_t int3[] = { 0xcc };
	static const uint8_t int21[] = { 0x90, 0xcd, 0x21 };
	struct tm *tm = nr_machine();
	enum cpu_stop stop;

	(void)state;
	set_proc(tm, 0, 0);
	VMCS_SET(tm->cpu->vmx, EXCEPTION_BITMAP, (1u << EXC_BP) | (1u << EXC_GP));
	stop = run_code(tm, int3, sizeof(int3));
	assert_exited(tm, stop, EXIT_EXCEPTION_NMI, 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO), INTR_INFO_VALID | (6u << 8) | EXC_BP);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_LEN), 1);

	tm_free(tm);
	tm = nr_machine();
	set_proc(tm, 0, 0);
	VMCS_SET(tm->cpu->vmx, EXCEPTION_BITMAP, 1u << EXC_GP);
	/* The fixture's IDT limit is 0: vector 21H is outside it, #GP with
	 * error code 21H * 8 + 2 (IDT bit), EXT clear for INT n. */
	stop = run_code(tm, int21, sizeof(int21));
	assert_exited(tm, stop, EXIT_EXCEPTION_NMI, 1);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO),
	                 INTR_INFO_VALID | INTR_INFO_ERROR_VALID | (3u << 8) | EXC_GP);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_ERROR_CODE), 0x21 * 8 + 2);
	assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO), INTR_INFO_VALID | (4u << 8) | 0x21);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_LEN), 2);
	tm_free(tm);
}

/* #DB (§3.1): DR7.GD makes MOV DR a #DB fault with BD; through bitmap bit
 * 1 it exits with BD in the qualification and DR6 left as it was.  INT1
 * is a privileged software exception (type 5) with its length. */
static void debug_exceptions(void **state)
{
	static const uint8_t movdr[] = { 0x0f, 0x21, 0xc0 };   /* MOV RAX, DR0 */
	static const uint8_t int1[] = { 0xf1 };
	struct tm *tm = nr_machine();
	enum cpu_stop stop;

	(void)state;
	set_proc(tm, 0, 0);
	VMCS_SET(tm->cpu->vmx, EXCEPTION_BITMAP, 1u << EXC_DB);
	tm->cpu->dr[7] = 0x400 | (1u << 13);          /* GD */
	tm->cpu->dr[6] = 0xffff0ff0;
	stop = run_code(tm, movdr, sizeof(movdr));
	assert_exited(tm, stop, EXIT_EXCEPTION_NMI, 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO), INTR_INFO_VALID | (3u << 8) | EXC_DB);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 1u << 13);
	assert_int_equal(tm->cpu->dr[6], 0xffff0ff0);
	tm_free(tm);

	tm = nr_machine();
	set_proc(tm, 0, 0);
	VMCS_SET(tm->cpu->vmx, EXCEPTION_BITMAP, 1u << EXC_DB);
	stop = run_code(tm, int1, sizeof(int1));
	assert_exited(tm, stop, EXIT_EXCEPTION_NMI, 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO), INTR_INFO_VALID | (5u << 8) | EXC_DB);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_LEN), 1);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0);
	tm_free(tm);
}

/* With no IDT and an empty bitmap, #UD -> #GP -> #DF -> triple fault:
 * exit reason 2, not a shutdown; not "during delivery". */
static void triple_fault_exits(void **state)
{
	static const uint8_t code[] = { 0x0f, 0x0b };
	struct tm *tm = nr_machine();
	enum cpu_stop stop;

	(void)state;
	set_proc(tm, 0, 0);
	VMCS_SET(tm->cpu->vmx, EXCEPTION_BITMAP, 0);
	stop = run_code(tm, code, sizeof(code));
	assert_exited(tm, stop, EXIT_TRIPLE_FAULT, 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0);
	assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO) & INTR_INFO_VALID, 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO) & INTR_INFO_VALID, 0);
	tm_free(tm);
}

/* A #DF made of two contributory exceptions exits through bit 8 without
 * IDT-vectoring information. */
static void double_fault_exits(void **state)
{
	static const uint8_t code[] = { 0x0f, 0x0b };
	struct tm *tm = nr_machine();
	enum cpu_stop stop;

	(void)state;
	set_proc(tm, 0, 0);
	VMCS_SET(tm->cpu->vmx, EXCEPTION_BITMAP, 1u << EXC_DF);
	stop = run_code(tm, code, sizeof(code));
	assert_exited(tm, stop, EXIT_EXCEPTION_NMI, 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO),
	                 INTR_INFO_VALID | INTR_INFO_ERROR_VALID | (3u << 8) | EXC_DF);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_ERROR_CODE), 0);
	assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO) & INTR_INFO_VALID, 0);
	tm_free(tm);
}

/* --- TSC (SDM §25.3) ---------------------------------------------------- */

static void rdtsc_offset_and_scaling(void **state)
{
	static const uint8_t code[] = { 0x0f, 0x31, 0xf4 };  /* RDTSC; HLT */
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	uint64_t before, after, got;

	(void)state;
	VMCS_SET(v, TSC_OFFSET, 0x100000000000ull);
	VMCS_SET(v, TSC_MULTIPLIER, 3ull << 47);      /* 1.5 */
	set_proc(tm, 0, 0);
	assert_int_equal(vmx_guest_tsc(cpu, 1000), 1000);
	set_proc(tm, PROC_USE_TSC_OFFSETTING, 0);
	assert_int_equal(vmx_guest_tsc(cpu, 1000), 0x100000000000ull + 1000);
	set_proc(tm, PROC_USE_TSC_OFFSETTING, PROC2_USE_TSC_SCALING);
	assert_int_equal(vmx_guest_tsc(cpu, 1000), 0x100000000000ull + 1500);
	/* Scaling applies only together with offsetting. */
	set_proc(tm, 0, PROC2_USE_TSC_SCALING);
	assert_int_equal(vmx_guest_tsc(cpu, 1000), 1000);

	set_proc(tm, PROC_USE_TSC_OFFSETTING, 0);
	before = cpu_tsc(cpu);
	assert_int_equal(run_code(tm, code, sizeof(code)), STOP_HALT);
	after = cpu_tsc(cpu);
	got = (cpu->gpr[R_RDX] << 32) | (uint32_t)cpu->gpr[R_RAX];
	assert_true(before >= 0x100000000000ull);
	assert_in_range(got, before, after);
	/* Back in root operation the offset does not apply. */
	cpu->vmx_nonroot = false;
	assert_true(cpu_tsc(cpu) < 0x100000000000ull);
	tm_free(tm);
}

/* --- Pending EPT exits and task switches (§1 rows 9, 48; §3.5; §6) ------ */

/* An EPT exit left pending by a memory access (VMX_FAULT_VMEXIT): performed
 * with the recorded reason and qualification; during the delivery of INT n
 * it carries the INT n as IDT-vectoring information with its length. */
static void pending_ept_exit(void **state)
{
	struct tm *tm = nr_machine();
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	const struct vmx_intr during = { .vector = 0x30, .type = INTR_TYPE_SOFT_INT, .len = 2 };

	(void)state;
	set_proc(tm, 0, 0);
	cpu->rip = TM_CODE;
	v->pending_exit_reason = EXIT_EPT_VIOLATION;
	v->pending_exit_qual = 0x181;
	cpu->fault.vector = VMX_FAULT_VMEXIT;
	assert_int_equal(vmx_exception_intercept(cpu), X_VMEXIT);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_REASON), EXIT_EPT_VIOLATION);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0x181);
	assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO) & INTR_INFO_VALID, 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO) & INTR_INFO_VALID, 0);
	/* §8: not during delivery, RF is saved as 1. */
	assert_true(field(tm, VMCS_IDX_GUEST_RFLAGS) & RFLAGS_RF);
	tm_free(tm);

	tm = nr_machine();
	cpu = tm->cpu;
	v = cpu->vmx;
	set_proc(tm, 0, 0);
	cpu->rip = TM_CODE;
	v->pending_exit_reason = EXIT_EPT_MISCONFIG;
	v->pending_exit_qual = 0;
	cpu->fault.vector = VMX_FAULT_VMEXIT;
	assert_int_equal(vmx_delivery_fault(cpu, &during, false), X_VMEXIT);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_REASON), EXIT_EPT_MISCONFIG);
	assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO), INTR_INFO_VALID | (4u << 8) | 0x30);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_LEN), 2);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_RIP), TM_CODE);
	tm_free(tm);
}

/* A 32-bit TSS descriptor (available, DPL 0) for selector 0x48 at T_TSS. */
static uint64_t tss_desc(struct tm *tm)
{
	uint64_t d = 0x67 | ((T_TSS & 0xffffff) << 16) | ((uint64_t)(SEG_P | SYS_TSS_AVAIL) << 40);

	tm_write(tm, 0x1000 + 0x48, 8, d);
	tm->cpu->gdtr.limit = 0x4f;
	return d;
}

/* Any task switch exits (reason 9) after the trigger's checks:
 * qualification = TSS selector | source << 30 (§3.5), with the length of
 * the CALL or JMP; through a task gate in the IDT, source 3 and the event
 * as IDT-vectoring information. */
static void task_switch_exits(void **state)
{
	struct tm *tm = nr_machine_mode(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	uint64_t d = tss_desc(tm);

	(void)state;
	set_proc(tm, 0, 0);
	t_tss(tm, 0x67);
	cpu->rip = TM_CODE;
	assert_int_equal(task_far(cpu, 0x48, d, false, TM_CODE + 7), X_VMEXIT);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_REASON), EXIT_TASK_SWITCH);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0x48 | (2ull << 30));
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_LEN), 7);
	assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO) & INTR_INFO_VALID, 0);
	/* Nothing of the switch happened: the old TSS's EIP slot is
	 * unwritten. */
	assert_int_equal(tm_read(tm, T_TSS + 0x20, 4), 0);
	tm_free(tm);

	tm = nr_machine_mode(TM_PROT32);
	cpu = tm->cpu;
	d = tss_desc(tm);
	set_proc(tm, 0, 0);
	t_tss(tm, 0x67);
	cpu->rip = TM_CODE;
	assert_int_equal(task_far(cpu, 0x48, d, true, TM_CODE + 7), X_VMEXIT);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0x48);
	tm_free(tm);

	/* A busy TSS is #GP(selector), before any exit (SDM §25.4.2). */
	tm = nr_machine_mode(TM_PROT32);
	cpu = tm->cpu;
	d = tss_desc(tm) | (2ull << 40);
	set_proc(tm, 0, 0);
	t_tss(tm, 0x67);
	cpu->rip = TM_CODE;
	assert_int_equal(task_far(cpu, 0x48, d, false, TM_CODE + 7), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_GP);
	assert_int_equal(cpu->fault.error, 0x48);
	assert_true(cpu->vmx_nonroot);
	tm_free(tm);

	tm = nr_machine_mode(TM_PROT32);
	cpu = tm->cpu;
	tss_desc(tm);
	set_proc(tm, 0, 0);
	t_tss(tm, 0x67);
	t_idt(tm, 0x40);
	t_gate(tm, 0x30, SYS_TASKGATE, 0, 0x48, 0, 0, 1);
	cpu->rip = TM_CODE;
	assert_int_equal(cpu_deliver_interrupt(cpu, 0x30, 1, TM_CODE + 2), X_VMEXIT);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_REASON), EXIT_TASK_SWITCH);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0x48 | (3ull << 30));
	assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO), INTR_INFO_VALID | (4u << 8) | 0x30);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_LEN), 2);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpuid_always_exits),
		cmocka_unit_test(invd_wbinvd_xsetbv),
		cmocka_unit_test(hlt_with_and_without_control),
		cmocka_unit_test(control_dependent_exits),
		cmocka_unit_test(not_enabled_is_ud),
		cmocka_unit_test(faults_rank_above_exits),
		cmocka_unit_test(pause_loop_exiting),
		cmocka_unit_test(io_bitmaps),
		cmocka_unit_test(io_string),
		cmocka_unit_test(io_permission_before_exit),
		cmocka_unit_test(msr_bitmaps),
		cmocka_unit_test(cr0_shadow_read),
		cmocka_unit_test(cr0_write_decision),
		cmocka_unit_test(cr0_write_keeps_host_bits),
		cmocka_unit_test(cr3_targets_and_cr8),
		cmocka_unit_test(tpr_shadow),
		cmocka_unit_test(exception_bitmap_pf_rule),
		cmocka_unit_test(exception_ud_exits),
		cmocka_unit_test(exception_pf_exits),
		cmocka_unit_test(software_events),
		cmocka_unit_test(debug_exceptions),
		cmocka_unit_test(triple_fault_exits),
		cmocka_unit_test(double_fault_exits),
		cmocka_unit_test(rdtsc_offset_and_scaling),
		cmocka_unit_test(pending_ept_exit),
		cmocka_unit_test(task_switch_exits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
