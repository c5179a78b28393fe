/* MONITOR/MWAIT (src/cpu/ops_wait.c), RDRAND/RDSEED (src/cpu/ops_rand.c),
 * their CPUID bits (cpuid.c) and their VM exits (src/vmx/intercept.c).
 *
 * Expected behaviour: SDM Vol. 2B "MONITOR", "MWAIT", "RDRAND", "RDSEED"
 * (#UD at CPL > 0, #GP(0) for ECX extensions, flags after RDRAND), and
 * shared/spec/vm-exits.md §1 rows 36, 39, 57, 61, §2.5 (priority) and §5.5
 * (instruction information).  Runs go through cpu_run, so the central
 * checks and the decoder's prefix rule are part of what is tested; every
 * exception vector leads to its own HLT (tm_events.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "tm_events.h"
#include "vmx/exit.h"
#include "vmx/intercept.h"
#include "vmx/vmcs.h"

#define OSZAPC (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

static struct tm *machine(enum tm_mode mode)
{
	struct tm *tm = tm_new(mode);

	t_idt(tm, 32);
	return tm;
}

/* Run code at TM_CODE (the caller ends it with HLT) and return the
 * vector of the exception taken, or -1 if the code reached its own HLT. */
static int run(struct tm *tm, const uint8_t *code, size_t n)
{
	tm->cpu->halted = false;
	tm_code(tm, code, n);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	if (tm->cpu->rip > T_HBASE && tm->cpu->rip <= T_HBASE + 32 * 16)
		return (int)t_vector(tm);
	return -1;
}

#define RUN(tm, ...) ({ static const uint8_t c_[] = { __VA_ARGS__ }; run((tm), c_, sizeof(c_)); })

/* --- CPUID ---------------------------------------------------------------- */

/* vmx-capabilities.md §10: 01H:ECX[30] RDRAND and 07H.0:EBX[18] RDSEED;
 * SDM CPUID: 01H:ECX[3] MONITOR, and leaf 05H describes it.  MWAIT accepts
 * ECX[0] = 1, which needs 05H:ECX[0] (EMX) and ECX[1] (IBE). */
static void cpuid_bits(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	uint32_t r[4];

	(void)state;
	assert_true(cpuid_has(tm->cpu, FEAT_MONITOR));
	assert_true(cpuid_has(tm->cpu, FEAT_RDRAND));
	assert_true(cpuid_has(tm->cpu, FEAT_RDSEED));
	cpuid_query(tm->cpu, 1, 0, r);
	assert_true(r[CPUID_ECX] & (1u << 3));
	assert_true(r[CPUID_ECX] & (1u << 30));
	cpuid_query(tm->cpu, 7, 0, r);
	assert_true(r[CPUID_EBX] & (1u << 18));
	cpuid_query(tm->cpu, 5, 0, r);
	/* Line sizes: nonzero powers of two, smallest <= largest. */
	assert_int_not_equal(r[CPUID_EAX] & 0xffff, 0);
	assert_int_equal(r[CPUID_EAX] & (r[CPUID_EAX] - 1), 0);
	assert_true((r[CPUID_EAX] & 0xffff) <= (r[CPUID_EBX] & 0xffff));
	assert_int_equal(r[CPUID_ECX] & 3, 3);
	tm_free(tm);
}

/* --- RDRAND / RDSEED ------------------------------------------------------ */

/* CF = 1, OF SF ZF AF PF = 0, whatever they were; the destination is
 * written at its size (16 bits merge, 32 bits zero-extend). */
static void rdrand_flags_and_sizes(void **state)
{
	struct tm *tm = machine(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	const uint64_t ones = 0xffffffffffffffffull;

	(void)state;
	for (int k = 0; k < 4; k++) {
		/* rdrand eax | rdrand ax | rdrand r9 | rdseed rcx; hlt */
		static const uint8_t code[4][6] = {
			{ 0x0f, 0xc7, 0xf0, 0xf4 },
			{ 0x66, 0x0f, 0xc7, 0xf0, 0xf4 },
			{ 0x49, 0x0f, 0xc7, 0xf1, 0xf4 },
			{ 0x48, 0x0f, 0xc7, 0xf9, 0xf4 },
		};
		static const size_t len[4] = { 4, 5, 5, 5 };

		cpu->gpr[R_RAX] = cpu->gpr[R_R9] = cpu->gpr[R_RCX] = ones;
		flags_write(cpu, RFLAGS_FIXED1 | OSZAPC);
		assert_int_equal(run(tm, code[k], len[k]), -1);
		assert_int_equal(flags_read(cpu) & OSZAPC, RFLAGS_CF);
		if (k == 0)
			assert_int_equal(cpu->gpr[R_RAX] >> 32, 0);
		if (k == 1)
			assert_int_equal(cpu->gpr[R_RAX] >> 16, 0xffffffffffffull);
		flags_write(cpu, RFLAGS_FIXED1);
		assert_int_equal(run(tm, code[k], len[k]), -1);
		assert_int_equal(flags_read(cpu) & OSZAPC, RFLAGS_CF);
	}
	tm_free(tm);
}

/* The same image gives the same values (a fresh machine repeats the
 * sequence); successive values differ. */
static void rdrand_deterministic(void **state)
{
	/* rdrand rax; rdrand rbx; rdseed rdx; hlt */
	static const uint8_t code[] = { 0x48, 0x0f, 0xc7, 0xf0, 0x48, 0x0f, 0xc7, 0xf3,
	                                0x48, 0x0f, 0xc7, 0xfa, 0xf4 };
	uint64_t v[2][3];

	(void)state;
	for (int m = 0; m < 2; m++) {
		struct tm *tm = machine(TM_LONG64);

		assert_int_equal(run(tm, code, sizeof(code)), -1);
		v[m][0] = tm->cpu->gpr[R_RAX];
		v[m][1] = tm->cpu->gpr[R_RBX];
		v[m][2] = tm->cpu->gpr[R_RDX];
		tm_free(tm);
	}
	assert_memory_equal(v[0], v[1], sizeof(v[0]));
	assert_int_not_equal(v[0][0], v[0][1]);
	assert_int_not_equal(v[0][1], v[0][2]);
}

/* "NFx 0F C7 /6, /7": F2 or F3 anywhere among the prefixes is #UD (the
 * decoder's fix for Capstone 4.0.2, which reports RDRAND/RDSEED); so is
 * LOCK.  Nothing is written. */
static void rdrand_prefixes_ud(void **state)
{
	static const uint8_t forms[][6] = {
		{ 0xf3, 0x0f, 0xc7, 0xf0, 0xf4 },         /* SENDUIPI slot */
		{ 0xf2, 0x0f, 0xc7, 0xf0, 0xf4 },
		{ 0xf3, 0x0f, 0xc7, 0xf8, 0xf4 },         /* RDPID slot */
		{ 0xf2, 0x0f, 0xc7, 0xf8, 0xf4 },
		{ 0x66, 0xf3, 0x0f, 0xc7, 0xf0, 0xf4 },
		{ 0xf3, 0x48, 0x0f, 0xc7, 0xf0, 0xf4 },
		{ 0xf0, 0x0f, 0xc7, 0xf0, 0xf4 },         /* LOCK */
	};
	static const size_t len[] = { 5, 5, 5, 5, 6, 6, 5 };
	struct tm *tm = machine(TM_LONG64);

	(void)state;
	for (size_t i = 0; i < sizeof(len) / sizeof(len[0]); i++) {
		tm->cpu->gpr[R_RAX] = 0x1234;
		assert_int_equal(run(tm, forms[i], len[i]), EXC_UD);
		assert_int_equal(tm->cpu->gpr[R_RAX], 0x1234);
	}
	/* 66h alone selects the 16-bit form. */
	assert_int_equal(RUN(tm, 0x66, 0x0f, 0xc7, 0xf0, 0xf4), -1);
	assert_int_equal(tm->cpu->gpr[R_RAX] >> 16, 0);
	tm_free(tm);
}

/* Both run at any CPL. */
static void rdrand_cpl3(void **state)
{
	struct tm *tm = machine(TM_LONG64);

	(void)state;
	t_tss(tm, 0x67);
	t_user(tm);
	assert_int_equal(RUN(tm, 0x0f, 0xc7, 0xf0, 0x0f, 0xc7, 0xf9, 0x0f, 0x0b), EXC_UD);
	/* The UD2 after both faulted: they retired (pushed RIP, the first
	 * of the five slots of a 64-bit frame). */
	assert_int_equal(tm_read(tm, T_STACK0 - 40, 8), TM_CODE + 6);
	tm_free(tm);
}

/* --- MONITOR / MWAIT ------------------------------------------------------ */

/* MONITOR arms the 64-byte line of DS:RAX; MWAIT completes at once and
 * disarms it (ops_wait.c); ECX = 1 (break on interrupt) is allowed. */
static void monitor_mwait_basic(void **state)
{
	struct tm *tm = machine(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->gpr[R_RAX] = TM_DATA + 0x45;
	cpu->gpr[R_RCX] = 0;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc8, 0xf4), -1);
	assert_true(cpu->monitor_armed);
	assert_int_equal(cpu->monitor_gpa, TM_DATA + 0x40);
	cpu->gpr[R_RAX] = 0;
	cpu->gpr[R_RCX] = 1;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc9, 0xf4), -1);
	assert_false(cpu->monitor_armed);
	assert_int_equal(cpu->rip, TM_CODE + 4);
	/* Unarmed MWAIT: also completes. */
	cpu->gpr[R_RCX] = 0;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc9, 0xf4), -1);
	tm_free(tm);
}

/* Address: rAX by the address size (67h: EAX), the override segment (FS
 * base added in 64-bit mode); the checks of a byte read (non-canonical
 * #GP(0), not present #PF). */
static void monitor_address(void **state)
{
	struct tm *tm = machine(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->gpr[R_RCX] = 0;
	cpu->gpr[R_RAX] = 0xffff0000ull << 32 | TM_DATA;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc8, 0xf4), EXC_GP);
	assert_false(cpu->monitor_armed);
	assert_int_equal(RUN(tm, 0x67, 0x0f, 0x01, 0xc8, 0xf4), -1);
	assert_int_equal(cpu->monitor_gpa, TM_DATA);
	cpu->seg[SEG_FS].base = 0x1000;
	cpu->gpr[R_RAX] = TM_DATA;
	assert_int_equal(RUN(tm, 0x64, 0x0f, 0x01, 0xc8, 0xf4), -1);
	assert_int_equal(cpu->monitor_gpa, TM_DATA + 0x1000);
	/* Beyond the fixture's 1 GiB identity map: #PF, read, supervisor. */
	cpu->monitor_armed = false;
	cpu->gpr[R_RAX] = 0x80000000ull;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc8, 0xf4), EXC_PF);
	assert_int_equal(cpu->cr2, 0x80000000ull);
	assert_false(cpu->monitor_armed);
	tm_free(tm);
}

/* #GP(0) for extensions: MONITOR any ECX != 0 (RCX in 64-bit mode),
 * MWAIT any bit but 0. */
static void monitor_mwait_extensions_gp(void **state)
{
	struct tm *tm = machine(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->gpr[R_RAX] = TM_DATA;
	cpu->gpr[R_RCX] = 1;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc8, 0xf4), EXC_GP);
	cpu->gpr[R_RCX] = 1ull << 32;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc8, 0xf4), EXC_GP);
	assert_false(cpu->monitor_armed);
	cpu->gpr[R_RCX] = 2;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc9, 0xf4), EXC_GP);
	cpu->gpr[R_RCX] = 1ull << 32 | 1;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc9, 0xf4), EXC_GP);
	tm_free(tm);
}

/* Outside 64-bit mode only ECX counts. */
static void monitor_mwait_prot32(void **state)
{
	struct tm *tm = machine(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->gpr[R_RAX] = TM_DATA + 8;
	cpu->gpr[R_RCX] = 1ull << 32;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc8, 0x0f, 0x01, 0xc9, 0xf4), -1);
	assert_int_equal(cpu->monitor_gpa, TM_DATA);
	assert_false(cpu->monitor_armed);
	tm_free(tm);
}

/* Real mode (CPL 0): a 16-bit address size takes AX, and DS (or the
 * override, ES here) supplies the base. */
static void monitor_real_mode(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->seg[SEG_DS].base = 0x10000;
	cpu->seg[SEG_ES].base = 0x20000;
	cpu->gpr[R_RAX] = 0xabcd2345;
	cpu->gpr[R_RCX] = 0;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc8, 0xf4), -1);
	assert_true(cpu->monitor_armed);
	assert_int_equal(cpu->monitor_gpa, 0x12340);
	assert_int_equal(RUN(tm, 0x26, 0x0f, 0x01, 0xc8, 0xf4), -1);
	assert_int_equal(cpu->monitor_gpa, 0x22340);
	tm_free(tm);
}

/* #UD at CPL 3, before the ECX check. */
static void monitor_mwait_cpl3_ud(void **state)
{
	struct tm *tm = machine(TM_LONG64);

	(void)state;
	t_tss(tm, 0x67);
	t_user(tm);
	tm->cpu->gpr[R_RCX] = 5;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc8, 0xf4), EXC_UD);
	t_user(tm);
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc9, 0xf4), EXC_UD);
	tm_free(tm);
}

/* --- VM exits --------------------------------------------------------------- */

#define HOST_RIP_ADDR 0x170000ull
#define VMCS_REGION   0x400000ull

/* A 64-bit guest in non-root operation on the fixture's identity map,
 * whose host state continues at a HLT (HOST_RIP_ADDR). */
static struct tm *nonroot(uint32_t proc, uint32_t proc2)
{
	struct tm *tm = machine(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;

	tm_nonroot(tm, VMCS_REGION, HOST_RIP_ADDR);
	VMCS_SET(v, HOST_IDTR_BASE, T_IDT);
	VMCS_SET(v, PROC_CONTROLS, proc | (proc2 ? PROC_SECONDARY : 0));
	VMCS_SET(v, PROC2_CONTROLS, proc2);
	return tm;
}

static uint64_t field(struct tm *tm, enum vmcs_index i)
{
	return tm->cpu->vmx->vmcs.val[i];
}

/* Run code; expect a VM exit with `reason` from TM_CODE + off. */
static void expect_exit(struct tm *tm, const uint8_t *code, size_t n, uint32_t reason,
                        uint64_t off, uint64_t qual, uint64_t len)
{
	tm_code(tm, code, n);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_false(tm->cpu->vmx_nonroot);
	assert_int_equal(tm->cpu->rip, HOST_RIP_ADDR + 1);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_REASON), reason);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_RIP), TM_CODE + off);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), qual);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_LEN), len);
}

#define EXPECT_EXIT(tm, reason, off, qual, len, ...) do { \
		static const uint8_t c_[] = { __VA_ARGS__ }; \
		expect_exit((tm), c_, sizeof(c_), (reason), (off), (qual), (len)); \
	} while (0)

/* MONITOR exiting (PROC bit 29, exit 39, qualification 0): fault-like,
 * nothing armed, and ahead of the #GP for a nonzero ECX (§2.5 item 4). */
static void monitor_exit(void **state)
{
	struct tm *tm = nonroot(PROC_MONITOR_EXITING, 0);

	(void)state;
	tm->cpu->gpr[R_RAX] = TM_DATA;
	tm->cpu->gpr[R_RCX] = 7;
	EXPECT_EXIT(tm, EXIT_MONITOR, 1, 0, 3, 0x90, 0x0f, 0x01, 0xc8, 0xf4);
	assert_false(tm->cpu->monitor_armed);
	tm_free(tm);
}

/* MWAIT exiting (PROC bit 10, exit 36): qualification bit 0 = monitor
 * armed; the exit clears monitoring (vm-exits.md §9 "Other"). */
static void mwait_exit_qualification(void **state)
{
	struct tm *tm = nonroot(PROC_MWAIT_EXITING, 0);

	(void)state;
	tm->cpu->gpr[R_RCX] = 0;
	EXPECT_EXIT(tm, EXIT_MWAIT, 0, 0, 3, 0x0f, 0x01, 0xc9, 0xf4);
	tm_free(tm);

	tm = nonroot(PROC_MWAIT_EXITING, 0);
	tm->cpu->gpr[R_RAX] = TM_DATA;
	tm->cpu->gpr[R_RCX] = 0;
	/* monitor (not intercepted); mwait */
	EXPECT_EXIT(tm, EXIT_MWAIT, 3, 1, 3, 0x0f, 0x01, 0xc8, 0x0f, 0x01, 0xc9, 0xf4);
	assert_false(tm->cpu->monitor_armed);
	tm_free(tm);

	/* Without the control MWAIT runs in the guest. */
	tm = nonroot(0, 0);
	tm->cpu->gpr[R_RCX] = 0;
	assert_int_equal(RUN(tm, 0x0f, 0x01, 0xc9, 0xf4), -1);
	assert_true(tm->cpu->vmx_nonroot);
	tm_free(tm);
}

/* The decisions at CPL 3: no exit (the handler's #UD ranks above it). */
static void monitor_mwait_cpl3_no_exit(void **state)
{
	static const uint8_t mon[] = { 0x0f, 0x01, 0xc8 }, mw[] = { 0x0f, 0x01, 0xc9 };
	struct tm *tm = nonroot(PROC_MONITOR_EXITING | PROC_MWAIT_EXITING, 0);
	struct decoder *dec = decode_new();
	struct vmx_exit_decision d;
	struct insn in;

	(void)state;
	assert_non_null(dec);
	t_user(tm);
	assert_int_equal(decode_one(dec, mon, sizeof(mon), 8, &in), DEC_OK);
	assert_int_equal(vmx_intercept_decide(tm->cpu, &in, &d), X_OK);
	assert_false(d.exit);
	assert_int_equal(decode_one(dec, mw, sizeof(mw), 8, &in), DEC_OK);
	assert_int_equal(vmx_intercept_decide(tm->cpu, &in, &d), X_OK);
	assert_false(d.exit);
	decode_free(dec);
	tm_free(tm);
}

/* RDRAND exiting (PROC2 bit 11, exit 57) and RDSEED exiting (bit 16, exit
 * 61): qualification 0, instruction length, and §5.5 information: bits
 * 6:3 the destination, 12:11 the operand size (0 = 16, 1 = 32, 2 = 64). */
static void rand_exits(void **state)
{
	struct tm *tm;

	(void)state;
	tm = nonroot(0, PROC2_RDRAND_EXITING);
	EXPECT_EXIT(tm, EXIT_RDRAND, 0, 0, 4, 0x66, 0x0f, 0xc7, 0xf0, 0xf4);   /* rdrand ax */
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_INFO) & 0x1878, 0u << 3 | 0u << 11);
	tm_free(tm);

	tm = nonroot(0, PROC2_RDRAND_EXITING);
	EXPECT_EXIT(tm, EXIT_RDRAND, 0, 0, 4, 0x49, 0x0f, 0xc7, 0xf1, 0xf4);   /* rdrand r9 */
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_INFO) & 0x1878, 9u << 3 | 2u << 11);
	tm_free(tm);

	tm = nonroot(0, PROC2_RDSEED_EXITING);
	tm->cpu->gpr[R_RCX] = 0x55;
	EXPECT_EXIT(tm, EXIT_RDSEED, 0, 0, 3, 0x0f, 0xc7, 0xf9, 0xf4);         /* rdseed ecx */
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INSTRUCTION_INFO) & 0x1878, 1u << 3 | 1u << 11);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0x55);
	tm_free(tm);

	/* RDRAND exiting does not make RDSEED exit, nor the reverse. */
	tm = nonroot(0, PROC2_RDRAND_EXITING);
	assert_int_equal(RUN(tm, 0x0f, 0xc7, 0xf8, 0xf4), -1);
	assert_true(tm->cpu->vmx_nonroot);
	tm_free(tm);
	/* Secondary controls not activated: they read as 0 (§2.3). */
	tm = nonroot(0, 0);
	VMCS_SET(tm->cpu->vmx, PROC2_CONTROLS, PROC2_RDRAND_EXITING);
	assert_int_equal(RUN(tm, 0x0f, 0xc7, 0xf0, 0xf4), -1);
	assert_true(tm->cpu->vmx_nonroot);
	tm_free(tm);
}

/* An F3-prefixed RDRAND is #UD, which ranks above RDRAND exiting. */
static void rand_prefixed_ud_not_exit(void **state)
{
	struct tm *tm = nonroot(0, PROC2_RDRAND_EXITING);

	(void)state;
	assert_int_equal(RUN(tm, 0xf3, 0x0f, 0xc7, 0xf0, 0xf4), EXC_UD);
	assert_true(tm->cpu->vmx_nonroot);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpuid_bits),
		cmocka_unit_test(rdrand_flags_and_sizes),
		cmocka_unit_test(rdrand_deterministic),
		cmocka_unit_test(rdrand_prefixes_ud),
		cmocka_unit_test(rdrand_cpl3),
		cmocka_unit_test(monitor_mwait_basic),
		cmocka_unit_test(monitor_address),
		cmocka_unit_test(monitor_mwait_extensions_gp),
		cmocka_unit_test(monitor_mwait_prot32),
		cmocka_unit_test(monitor_real_mode),
		cmocka_unit_test(monitor_mwait_cpl3_ud),
		cmocka_unit_test(monitor_exit),
		cmocka_unit_test(mwait_exit_qualification),
		cmocka_unit_test(monitor_mwait_cpl3_no_exit),
		cmocka_unit_test(rand_exits),
		cmocka_unit_test(rand_prefixed_ud_not_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
