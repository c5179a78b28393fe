/* AAA AAS AAM AAD DAA DAS.  These cannot run natively in 64-bit mode, so
 * the oracle is decimal arithmetic itself: after ADD/SUB of two packed (or
 * unpacked) BCD numbers, DAA/DAS (AAA/AAS) must leave the decimal sum or
 * difference and the decimal carry, as the SDM's "Description" sections
 * state; AAM/AAD must divide and multiply by their base.  Plus the SDM's
 * worked DAA/DAS examples, #DE for AAM 0 and #UD in 64-bit mode.  Guest
 * side in 32-bit protected mode (TM_PROT32). */
#include "aluhost.h"

static unsigned to_bcd(unsigned v)
{
	return ((v / 10) << 4) | (v % 10);
}

static unsigned parity_flag(unsigned v)
{
	return __builtin_parity(v & 0xff) ? 0 : RFLAGS_PF;
}

/* SF, ZF, PF of AL: defined for DAA/DAS/AAM/AAD. */
static void check_szp(uint64_t fl, unsigned al)
{
	assert_int_equal(fl & RFLAGS_ZF, (al & 0xff) == 0 ? RFLAGS_ZF : 0);
	assert_int_equal(fl & RFLAGS_SF, (al & 0x80) ? RFLAGS_SF : 0);
	assert_int_equal(fl & RFLAGS_PF, parity_flag(al));
}

static struct tm *bcd_machine(void)
{
	struct tm *tm = tm_new(TM_PROT32);

	ah_install_idt(tm, 0);
	return tm;
}

static int run32(struct tm *tm, const uint8_t *code, size_t len, uint64_t rax, uint64_t rbx,
                 uint64_t fl, struct ah_state *out)
{
	memset(out, 0, sizeof(*out));
	out->gpr[R_RAX] = rax;
	out->gpr[R_RBX] = rbx;
	out->rflags = 0x202 | fl;
	return ah_guest_run(tm, code, len, out);
}

/* SDM "DAA": adjusts the sum of two packed BCD values to a packed BCD
 * result; CF and AF report decimal carries. */
static void daa_decimal_sum(void **state)
{
	static const uint8_t code[] = { 0x00, 0xd8, 0x27 };  /* add al, bl; daa */
	struct tm *tm = bcd_machine();

	(void)state;
	for (unsigned a = 0; a < 100; a++) {
		for (unsigned b = 0; b < 100; b++) {
			struct ah_state s;
			unsigned al;

			assert_int_equal(run32(tm, code, sizeof(code), 0xabcd0000 | to_bcd(a),
			                       to_bcd(b), RFLAGS_CF, &s), -1);
			al = (unsigned)s.gpr[R_RAX] & 0xff;
			assert_int_equal(al, to_bcd((a + b) % 100));
			assert_int_equal(s.gpr[R_RAX] >> 8, 0xabcd00);
			assert_int_equal(s.rflags & RFLAGS_CF, a + b >= 100 ? RFLAGS_CF : 0);
			assert_int_equal(s.rflags & RFLAGS_AF, a % 10 + b % 10 >= 10 ? RFLAGS_AF : 0);
			check_szp(s.rflags, al);
		}
	}
	tm_free(tm);
}

static void das_decimal_difference(void **state)
{
	static const uint8_t code[] = { 0x28, 0xd8, 0x2f };  /* sub al, bl; das */
	struct tm *tm = bcd_machine();

	(void)state;
	for (unsigned a = 0; a < 100; a++) {
		for (unsigned b = 0; b < 100; b++) {
			struct ah_state s;
			unsigned al;

			assert_int_equal(run32(tm, code, sizeof(code), to_bcd(a), to_bcd(b), 0, &s), -1);
			al = (unsigned)s.gpr[R_RAX] & 0xff;
			assert_int_equal(al, to_bcd((a + 100 - b) % 100));
			assert_int_equal(s.rflags & RFLAGS_CF, a < b ? RFLAGS_CF : 0);
			assert_int_equal(s.rflags & RFLAGS_AF, a % 10 < b % 10 ? RFLAGS_AF : 0);
			check_szp(s.rflags, al);
		}
	}
	tm_free(tm);
}

/* SDM "AAA"/"AAS": unpacked BCD; the decimal carry/borrow goes to AH and
 * to CF and AF.  OF, SF, ZF, PF are undefined. */
static void aaa_aas_unpacked(void **state)
{
	static const uint8_t add[] = { 0x00, 0xd8, 0x37 };   /* add al, bl; aaa */
	static const uint8_t sub[] = { 0x28, 0xd8, 0x3f };   /* sub al, bl; aas */
	struct tm *tm = bcd_machine();

	(void)state;
	for (unsigned h = 0; h < 9; h++) {
		for (unsigned a = 0; a < 10; a++) {
			for (unsigned b = 0; b < 10; b++) {
				struct ah_state s;
				int c = a + b >= 10, w = a < b;

				assert_int_equal(run32(tm, add, sizeof(add), (h << 8) | a, b, 0, &s), -1);
				assert_int_equal(s.gpr[R_RAX] & 0xffff, ((h + c) << 8) | ((a + b) % 10));
				assert_int_equal(s.rflags & (RFLAGS_CF | RFLAGS_AF),
				                 c ? RFLAGS_CF | RFLAGS_AF : 0);
				/* ASCII digits ('0' + n) adjust the same way. */
				assert_int_equal(run32(tm, add, sizeof(add), (h << 8) | (0x30 + a), 0x30 + b,
				                       0, &s), -1);
				assert_int_equal(s.gpr[R_RAX] & 0xffff, ((h + c) << 8) | ((a + b) % 10));

				assert_int_equal(run32(tm, sub, sizeof(sub), ((h + 1) << 8) | a, b, 0, &s),
				                 -1);
				assert_int_equal(s.gpr[R_RAX] & 0xffff,
				                 ((h + 1 - w) << 8) | ((a + 10 - b) % 10));
				assert_int_equal(s.rflags & (RFLAGS_CF | RFLAGS_AF),
				                 w ? RFLAGS_CF | RFLAGS_AF : 0);
			}
		}
	}
	tm_free(tm);
}

/* SDM "AAM": AH <- AL / imm8, AL <- AL MOD imm8; "AAD": AL <- (AL + AH *
 * imm8) AND FFH, AH <- 0.  SF, ZF, PF from AL. */
static void aam_aad_bases(void **state)
{
	static const unsigned bases[] = { 10, 16, 7, 1, 255, 0 };
	struct tm *tm = bcd_machine();

	(void)state;
	for (size_t k = 0; k < sizeof(bases) / sizeof(bases[0]); k++) {
		uint8_t aam[] = { 0xd4, (uint8_t)bases[k] };
		uint8_t aad[] = { 0xd5, (uint8_t)bases[k] };

		for (unsigned ax = 0; ax < 0x10000; ax += ax < 0x300 ? 1 : 0x35) {
			struct ah_state s;
			unsigned al = ax & 0xff, ah = ax >> 8, r;

			if (bases[k]) {
				assert_int_equal(run32(tm, aam, 2, 0x55660000 | ax, 0, 0, &s), -1);
				assert_int_equal(s.gpr[R_RAX],
				                 0x55660000 | ((al / bases[k]) << 8) | (al % bases[k]));
				check_szp(s.rflags, al % bases[k]);
			}
			assert_int_equal(run32(tm, aad, 2, 0x55660000 | ax, 0, 0, &s), -1);
			r = (al + ah * bases[k]) & 0xff;
			assert_int_equal(s.gpr[R_RAX], 0x55660000 | r);
			check_szp(s.rflags, r);
		}
	}
	tm_free(tm);
}

/* The SDM's examples.  DAA: "ADD AL, BL: before AL=79H BL=35H EFLAGS(OSZAPC)
 * =XXXXXX, after AL=AEH EFLAGS(0SZAPC)=110000; DAA: after AL=14H
 * EFLAGS(0SZAPC)=X00111".  DAS: "SUB AL, BL: before AL=35H BL=47H, after
 * AL=EEH EFLAGS(0SZAPC)=010111; DAS: after AL=88H EFLAGS(0SZAPC)=X10111". */
static void sdm_examples(void **state)
{
	static const uint8_t daa[] = { 0x27 }, das[] = { 0x2f };
	struct tm *tm = bcd_machine();
	struct ah_state s;

	(void)state;
	assert_int_equal(run32(tm, daa, 1, 0xae, 0, RFLAGS_SF, &s), -1);
	assert_int_equal(s.gpr[R_RAX] & 0xff, 0x14);
	assert_int_equal(s.rflags & (RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF),
	                 RFLAGS_AF | RFLAGS_PF | RFLAGS_CF);
	assert_int_equal(run32(tm, das, 1, 0xee, 0,
	                       RFLAGS_SF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF, &s), -1);
	assert_int_equal(s.gpr[R_RAX] & 0xff, 0x88);
	assert_int_equal(s.rflags & (RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF),
	                 RFLAGS_SF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF);
	tm_free(tm);
}

/* SDM "AAM": #DE if imm8 = 0; nothing is written. */
static void aam_zero_is_de(void **state)
{
	static const uint8_t code[] = { 0xd4, 0x00 };
	struct tm *tm = bcd_machine();
	struct ah_state s;

	(void)state;
	assert_int_equal(run32(tm, code, sizeof(code), 0x1234, 0, RFLAGS_CF, &s), EXC_DE);
	assert_int_equal(s.gpr[R_RAX], 0x1234);
	assert_int_equal(s.rflags & RFLAGS_ARITH, RFLAGS_CF);
	tm_free(tm);
}

/* Each page: "Invalid in 64-bit mode" -> #UD. */
static void invalid_in_64bit_mode(void **state)
{
	static const struct { uint8_t code[2]; uint8_t len; } t[] = {
		{ { 0x27 }, 1 }, { { 0x2f }, 1 }, { { 0x37 }, 1 }, { { 0x3f }, 1 },
		{ { 0xd4, 0x0a }, 2 }, { { 0xd5, 0x0a }, 2 },
	};
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	ah_install_idt(tm, 1);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ah_state s = { .rflags = 0x202 };

		s.gpr[R_RAX] = 0x0909;
		assert_int_equal(ah_guest_run(tm, t[i].code, t[i].len, &s), EXC_UD);
		assert_int_equal(s.gpr[R_RAX], 0x0909);
	}
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(daa_decimal_sum),
		cmocka_unit_test(das_decimal_difference),
		cmocka_unit_test(aaa_aas_unpacked),
		cmocka_unit_test(aam_aad_bases),
		cmocka_unit_test(sdm_examples),
		cmocka_unit_test(aam_zero_is_de),
		cmocka_unit_test(invalid_in_64bit_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
