/* Random code bytes never crash the host.  Standards: "any byte sequence
 * ... produces architectural behaviour".  Each case fills a page with
 * seeded random bytes, points an IDT whose handlers HLT at it, and runs a
 * bounded number of instructions in real, 32-bit and 64-bit mode.  What is
 * asserted: the run ends with a defined stop reason, RIP stays a value the
 * mode allows, and the instruction count never exceeds the budget.  Under
 * the ASan+UBSan build (scripts/test.sh) this also asserts that no case
 * touches host memory out of bounds or hits undefined behaviour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fakebus.h"

#define CASES 400
#define BUDGET 2000

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*, fixed seed: the same cases every run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Handlers that halt: an IVT (real mode) or IDT (protected/long mode)
 * entry for every vector pointing at a HLT, so most faults end a case
 * quickly instead of escalating. */
static void install_halting_handlers(struct tm *tm, enum tm_mode mode)
{
	const uint64_t hlt = 0x3000;

	tm_write(tm, hlt, 1, 0xf4);
	if (mode == TM_REAL) {
		for (unsigned v = 0; v < 256; v++)
			tm_write(tm, 4 * v, 4, hlt & 0xffff); /* 0000:3000 */
		return;
	}
	tm->cpu->idtr.base = 0x4000;
	if (mode == TM_PROT32) {
		tm->cpu->idtr.limit = 256 * 8 - 1;
		for (unsigned v = 0; v < 256; v++)
			tm_write(tm, 0x4000 + 8 * v, 8,
			         (hlt & 0xffff) | ((uint64_t)TM_SEL_CODE32 << 16) |
			         (0x8eull << 40) | ((hlt >> 16) << 48));
	} else {
		tm->cpu->idtr.limit = 256 * 16 - 1;
		for (unsigned v = 0; v < 256; v++) {
			tm_write(tm, 0x4000 + 16 * v, 8,
			         (hlt & 0xffff) | ((uint64_t)TM_SEL_CODE64 << 16) |
			         (0x8eull << 40) | ((hlt >> 16) << 48));
			tm_write(tm, 0x4000 + 16 * v + 8, 8, 0);
		}
	}
}

static void fuzz_mode(enum tm_mode mode, uint64_t seed)
{
	rng_state = seed;
	for (unsigned c = 0; c < CASES; c++) {
		struct tm *tm = tm_new(mode);
		uint8_t code[256];
		enum cpu_stop st;

		install_halting_handlers(tm, mode);
		for (unsigned i = 0; i < sizeof(code); i++)
			code[i] = (uint8_t)rng();
		tm_code(tm, code, sizeof(code));
		for (unsigned r = 0; r < 16; r++)
			tm->cpu->gpr[r] = (r == R_RSP) ? tm->cpu->gpr[r] : rng();
		st = tm_run(tm, BUDGET);
		assert_true(st == STOP_BUDGET || st == STOP_HALT || st == STOP_SHUTDOWN ||
		            st == STOP_EXIT);
		assert_true(tm->cpu->icount <= BUDGET);
		if (tm->cpu->mode == MODE_LONG)
			assert_true(cpu_is_canonical(tm->cpu->rip));
		else
			assert_true(tm->cpu->rip <= 0xffffffffull);
		tm_free(tm);
	}
}

static void fuzz_real(void **state)
{
	(void)state;
	fuzz_mode(TM_REAL, 0x243f6a8885a308d3ull);
}

static void fuzz_prot32(void **state)
{
	(void)state;
	fuzz_mode(TM_PROT32, 0x13198a2e03707344ull);
}

static void fuzz_long64(void **state)
{
	(void)state;
	fuzz_mode(TM_LONG64, 0xa4093822299f31d0ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fuzz_real),
		cmocka_unit_test(fuzz_prot32),
		cmocka_unit_test(fuzz_long64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
