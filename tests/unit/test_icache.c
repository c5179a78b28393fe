/* The decode cache: hits, misses and exact invalidation (docs/internals.md
 * "The decode cache").  Expected counts follow from the block rules: a
 * block ends after a control transfer other than a conditional branch
 * (the fall-through path of a Jcc goes on in the same block), and the
 * cache is keyed by the guest-physical address of the block's first
 * byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cpu/icache.h"
#include "fakebus.h"

/* mov ecx, 1000 / L: dec ecx / jnz L / hlt */
static const uint8_t loop_code[] = {
	0xb9, 0xe8, 0x03, 0x00, 0x00,   /* 0: mov ecx, 1000 */
	0xff, 0xc9,                     /* 5: dec ecx (L) */
	0x75, 0xfc,                     /* 7: jnz L */
	0xf4,                           /* 9: hlt */
};

/* Two blocks: [mov, dec, jnz, hlt] at 0 and [dec, jnz, hlt] at L: two
 * misses and seven decoded instructions however long the loop runs.
 * Writing the bytes again (as a loader would) invalidates exactly those
 * two -- any write to code counts, whatever the value, as with
 * self-modifying code on hardware -- and a second run decodes them once
 * more. */
static void loop_decodes_once(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct icache_stats st;

	(void)state;
	tm_code(tm, loop_code, sizeof(loop_code));
	assert_int_equal(tm_run(tm, 100000), STOP_HALT);
	assert_int_equal(tm->cpu->icount, 1 + 2 * 1000 + 1);
	icache_get_stats(tm->cpu->icache, &st);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.decoded, 7);
	assert_int_equal(st.invalidated, 0);

	tm->cpu->halted = false;
	tm_code(tm, loop_code, sizeof(loop_code));
	icache_get_stats(tm->cpu->icache, &st);
	assert_int_equal(st.invalidated, 2);
	assert_int_equal(tm_run(tm, 100000), STOP_HALT);
	icache_get_stats(tm->cpu->icache, &st);
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.decoded, 14);
	/* A third run changes nothing: every lookup hits. */
	tm->cpu->halted = false;
	tm->cpu->rip = TM_CODE;
	assert_int_equal(tm_run(tm, 100000), STOP_HALT);
	icache_get_stats(tm->cpu->icache, &st);
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.decoded, 14);
	tm_free(tm);
}

/* A write (here by a device, through the bus) to the same page but another
 * 64-byte chunk leaves the block alone; a write into the block's bytes
 * invalidates exactly that block, and the new bytes run. */
static void writes_invalidate_exactly(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = { 0x90, 0xf4 }; /* nop; hlt */
	struct icache_stats st;

	(void)state;
	tm_code(tm, code, sizeof(code));
	tm->cpu->gpr[R_RAX] = 5;
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	icache_get_stats(tm->cpu->icache, &st);
	assert_int_equal(st.misses, 1);

	tm_write(tm, TM_CODE + 128, 1, 0xcc); /* same page, other chunk */
	icache_get_stats(tm->cpu->icache, &st);
	assert_int_equal(st.invalidated, 0);

	tm_write(tm, TM_CODE, 2, 0xc0ff); /* inc eax over the nop */
	icache_get_stats(tm->cpu->icache, &st);
	assert_int_equal(st.invalidated, 1);
	tm_write(tm, TM_CODE + 2, 1, 0xf4);
	tm->cpu->halted = false;
	tm->cpu->rip = TM_CODE;
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RAX], 6);
	icache_get_stats(tm->cpu->icache, &st);
	assert_int_equal(st.misses, 2);
	tm_free(tm);
}

/* The same physical page mapped at two linear addresses is one block: the
 * second address misses the jump cache but hits the gpa hash. */
static void two_mappings_share_a_block(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = { 0x90, 0xf4 };
	struct icache_stats st;
	uint64_t alias = TM_CODE + (1ull << 30); /* beyond the 1 GiB identity map */

	(void)state;
	/* Map alias's 2M page (PDPT entry 1 -> a new PD) onto TM_CODE's. */
	tm_write(tm, 0x11000 + 8, 8, 0x13000 | PTE_P | PTE_W | PTE_U);
	tm_write(tm, 0x13000, 8, (TM_CODE & ~0x1fffffull) | PTE_P | PTE_W | PTE_U | PTE_PS);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	tm->cpu->halted = false;
	tm->cpu->rip = alias;
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->rip, alias + 2);
	icache_get_stats(tm->cpu->icache, &st);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.hash_hits, 1);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loop_decodes_once),
		cmocka_unit_test(writes_invalidate_exactly),
		cmocka_unit_test(two_mappings_share_a_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
