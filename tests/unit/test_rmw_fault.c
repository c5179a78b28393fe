/* The memory destination of a read-modify-write instruction is accessed
 * as a write from the start: a not-present page gives #PF with W/R = 1
 * (SDM Vol. 3A §4.7, error code bit 1 "the access causing the fault was a
 * write"; Intel processors and Bochs, read_RMW_virtual_*, check the read
 * of a RMW operand as a write).  Found by the silicon oracle (softvtx
 * diff-native, tests/silicon): softvtx reported W/R = 0 for ADD [m], r
 * and every other RMW form; the host CPU reports 1.  Pure reads (CMP,
 * TEST, BT, MOV r, m) keep W/R = 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpu/arch.h"
#include "cpu/decode.h"
#include "cpu/mmu.h"
#include "fakebus.h"

#define HOLE 0x400000ull   /* the 2 MiB page made not present */

struct form {
	const char *name;
	uint8_t code[8];
	unsigned len;
	uint32_t error;   /* expected #PF error code at CPL 0, P = 0 */
};

static const struct form forms[] = {
	{"add [rsi], eax", {0x01, 0x06}, 2, 2},
	{"add byte [rsi], al", {0x00, 0x06}, 2, 2},
	{"add qword [rsi], 1", {0x48, 0x83, 0x06, 0x01}, 4, 2},
	{"sub [rsi], imm32", {0x81, 0x2e, 1, 0, 0, 0}, 6, 2},
	{"inc dword [rsi]", {0xff, 0x06}, 2, 2},
	{"neg dword [rsi]", {0xf7, 0x1e}, 2, 2},
	{"not byte [rsi]", {0xf6, 0x16}, 2, 2},
	{"shl dword [rsi], 1", {0xd1, 0x26}, 2, 2},
	{"rcr word [rsi], cl", {0x66, 0xd3, 0x1e}, 3, 2},
	{"shld [rsi], eax, 3", {0x0f, 0xa4, 0x06, 0x03}, 4, 2},
	{"bts [rsi], eax", {0x0f, 0xab, 0x06}, 3, 2},
	{"btc dword [rsi], 5", {0x0f, 0xba, 0x3e, 0x05}, 4, 2},
	{"xadd [rsi], eax", {0x0f, 0xc1, 0x06}, 3, 2},
	{"xchg [rsi], eax", {0x87, 0x06}, 2, 2},
	{"cmpxchg [rsi], ebx", {0x0f, 0xb1, 0x1e}, 3, 2},
	/* pure reads */
	{"cmp [rsi], eax", {0x39, 0x06}, 2, 0},
	{"test [rsi], eax", {0x85, 0x06}, 2, 0},
	{"bt [rsi], eax", {0x0f, 0xa3, 0x06}, 3, 0},
	{"mov eax, [rsi]", {0x8b, 0x06}, 2, 0},
};

static struct tm *machine(void)
{
	struct tm *tm = tm_new(TM_LONG64);

	tm_write(tm, 0x12000 + 8 * (HOLE >> 21), 8, 0);   /* PD entry: not present */
	tlb_flush_all(tm->cpu);
	return tm;
}

/* Run the form both through its handler (decode_one, as the run loop's
 * generic path calls it) and through cpu_run (fast paths, threaded
 * dispatch); the fault must be the same. */
static void rmw_error_code(void **state)
{
	static struct decoder *d;

	(void)state;
	if (!d)
		d = decode_new();
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const struct form *f = &forms[i];
		struct tm *tm = machine();
		struct insn in;

		tm->cpu->gpr[R_RSI] = HOLE + 0x10;
		tm->cpu->gpr[R_RAX] = 1;
		tm->cpu->gpr[R_RCX] = 1;
		tm_code(tm, f->code, f->len);
		assert_int_equal(decode_one(d, f->code, f->len, tm->cpu->code_size, &in), DEC_OK);
		tm->cpu->fault.vector = 0xff;
		if (in.fn(tm->cpu, &in) != X_FAULT || tm->cpu->fault.vector != EXC_PF ||
		    tm->cpu->fault.error != f->error || tm->cpu->fault.cr2 != HOLE + 0x10)
			fail_msg("%s: vector %u error %#x cr2 %#llx, want #PF error %#x", f->name,
			         tm->cpu->fault.vector, tm->cpu->fault.error,
			         (unsigned long long)tm->cpu->fault.cr2, f->error);
		tm_free(tm);
	}
}

/* A read-only present page: the RMW read succeeds, the write faults with
 * P = 1, W/R = 1 (CR0.WP = 1 at CPL 0); nothing is written. */
static void rmw_read_only(void **state)
{
	static const uint8_t add[] = {0x01, 0x06};
	struct decoder *d = decode_new();
	struct tm *tm = tm_new(TM_LONG64);
	struct insn in;

	(void)state;
	tm_write(tm, 0x12000 + 8 * (HOLE >> 21), 8, HOLE | PTE_P | PTE_PS);
	tm->cpu->cr0 |= CR0_WP;
	tlb_flush_all(tm->cpu);
	tm_write(tm, HOLE + 0x10, 4, 5);
	tm->cpu->gpr[R_RSI] = HOLE + 0x10;
	tm->cpu->gpr[R_RAX] = 1;
	tm_code(tm, add, sizeof(add));
	assert_int_equal(decode_one(d, add, sizeof(add), tm->cpu->code_size, &in), DEC_OK);
	assert_int_equal(in.fn(tm->cpu, &in), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_PF);
	assert_int_equal(tm->cpu->fault.error, 3);
	assert_int_equal(tm_read(tm, HOLE + 0x10, 4), 5);
	tm_free(tm);
	decode_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rmw_error_code),
		cmocka_unit_test(rmw_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
