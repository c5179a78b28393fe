/* Smoke test of the core pipeline: decode, cache, run, retire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fakebus.h"

static void mov_then_hlt_64(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	/* mov rax, 0x1122334455667788; mov [0x200000], rax; mov ebx, [0x200000]; hlt */
	static const uint8_t code[] = {
		0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
		0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,
		0x8b, 0x1c, 0x25, 0x00, 0x00, 0x20, 0x00,
		0xf4,
	};

	(void)state;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RAX], 0x1122334455667788ull);
	assert_int_equal(tm->cpu->gpr[R_RBX], 0x55667788ull);
	assert_int_equal(tm_read(tm, TM_DATA, 8), 0x1122334455667788ull);
	assert_int_equal(tm->cpu->icount, 4);
	assert_int_equal(tm->cpu->rip, TM_CODE + sizeof(code));
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mov_then_hlt_64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
