/* LOCK among other group-1 prefixes.  LOCK (F0), REPNE (F2) and REP (F3)
 * share prefix group 1; Capstone 4.0.2 keeps only the last one it sees,
 * so "F0 F3 0F BC" (LOCK TZCNT) decoded without LOCK and ran, where the
 * SDM (Vol. 2 "LOCK") requires #UD for every instruction that is not a
 * lockable read-modify-write with a memory destination.  The silicon
 * oracle (softvtx diff-native) found it: the host CPU raises #UD.
 * decode.c scans the legacy prefixes for F0 (lock_among_prefixes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/decode.h"
#include "cpu/insn.h"
#include "cpu/ops.h"

struct vec {
	const char *name;
	uint8_t code[8];
	unsigned len;
	bool lock;
	bool lockable;   /* a lockable RMW with a memory destination: must decode */
};

static const struct vec vecs[] = {
	{"lock tzcnt eax, eax (F0 F3)", {0xf0, 0xf3, 0x0f, 0xbc, 0xc0}, 5, true, false},
	{"lock tzcnt eax, eax (F3 F0)", {0xf3, 0xf0, 0x0f, 0xbc, 0xc0}, 5, true, false},
	{"lock popcnt (F0 66 F3)", {0xf0, 0x66, 0xf3, 0x0f, 0xb8, 0xc0}, 6, true, false},
	{"lock rep movsb", {0xf0, 0xf3, 0xa4}, 3, true, false},
	{"lock repne scasb", {0xf0, 0xf2, 0xae}, 3, true, false},
	{"lock add [rsi], eax", {0xf0, 0x01, 0x06}, 3, true, true},
	{"xrelease lock add (F3 F0)", {0xf3, 0xf0, 0x01, 0x06}, 4, true, true},
	{"tzcnt eax, eax", {0xf3, 0x0f, 0xbc, 0xc0}, 4, false, false},
	{"rep movsb", {0xf3, 0xa4}, 2, false, false},
	{"add [rsi], eax", {0x01, 0x06}, 2, false, false},
};

/* Each vector is followed by NOPs, as a code page would be.  Capstone
 * rejects some orders outright (DEC_INVALID, which raises #UD: also
 * right); whatever it accepts must carry the LOCK. */
static void lock_is_seen(void **state)
{
	struct decoder *d = decode_new();

	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		uint8_t buf[16];
		struct insn in;
		int st;

		memset(buf, 0x90, sizeof(buf));
		memcpy(buf, v->code, v->len);
		st = decode_one(d, buf, sizeof(buf), 8, &in);
		if (st == DEC_INVALID && v->lock && !v->lockable)
			continue;
		if (st != DEC_OK || in.len != v->len)
			fail_msg("%s: decode status %d, length %u", v->name, st, in.len);
		if (in.lock != v->lock || !!(in.flags & F_CHK_LOCK) != v->lock)
			fail_msg("%s: lock %d, F_CHK_LOCK %d, want %d", v->name, in.lock,
			         !!(in.flags & F_CHK_LOCK), v->lock);
	}
	decode_free(d);
}

/* REP is still seen next to LOCK when it comes last (F0 F3): the record
 * keeps both facts. */
static void rep_kept(void **state)
{
	static const uint8_t code[] = {0xf0, 0xf3, 0xa4};
	struct decoder *d = decode_new();
	struct insn in;

	(void)state;
	assert_int_equal(decode_one(d, code, sizeof(code), 8, &in), DEC_OK);
	assert_int_equal(in.rep, 0xf3);
	assert_true(in.lock);
	decode_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lock_is_seen),
		cmocka_unit_test(rep_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
