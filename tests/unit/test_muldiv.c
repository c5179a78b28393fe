/* MUL, IMUL (one, two and three operands), DIV, IDIV in every operand size,
 * checked against the host CPU (aluhost.h), including #DE: the host's
 * SIGFPE must be a #DE in the guest with no register changed.  Masked per
 * the SDM: SF, ZF, AF, PF after MUL/IMUL; every flag after DIV/IDIV. */
#include "aluhost.h"

static const struct ah_vec mul_vecs[] = {
	{ "mul bl", { 0xf6, 0xe3 }, 2, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 0, 0 },
	{ "mul byte ptr [rsi+8]", { 0xf6, 0x66, 0x08 }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 0, 0 },
	{ "imul bl", { 0xf6, 0xeb }, 2, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 0, 0 },
	{ "imul byte ptr [rsi-8]", { 0xf6, 0x6e, 0xf8 }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 0, 0 },
	{ "mul bx", { 0x66, 0xf7, 0xe3 }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "mul word ptr [rsi+8]", { 0x66, 0xf7, 0x66, 0x08 }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "imul bx", { 0x66, 0xf7, 0xeb }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "imul word ptr [rsi-8]", { 0x66, 0xf7, 0x6e, 0xf8 }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "imul ax, bx", { 0x66, 0x0f, 0xaf, 0xc3 }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "imul bx, word ptr [rsi]", { 0x66, 0x0f, 0xaf, 0x1e }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "imul ax, bx, -3", { 0x66, 0x6b, 0xc3, 0xfd }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "imul ax, bx, 0x7f", { 0x66, 0x6b, 0xc3, 0x7f }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "imul bx, ax, 0x7fff", { 0x66, 0x69, 0xd8, 0xff, 0x7f }, 5, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "imul ax, word ptr [rsi+16], 0x7fff", { 0x66, 0x69, 0x46, 0x10, 0xff, 0x7f }, 6, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 1, 0 },
	{ "mul ebx", { 0xf7, 0xe3 }, 2, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "mul dword ptr [rsi+8]", { 0xf7, 0x66, 0x08 }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "imul ebx", { 0xf7, 0xeb }, 2, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "imul dword ptr [rsi-8]", { 0xf7, 0x6e, 0xf8 }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "imul eax, ebx", { 0x0f, 0xaf, 0xc3 }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "imul ebx, dword ptr [rsi]", { 0x0f, 0xaf, 0x1e }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "imul eax, ebx, -3", { 0x6b, 0xc3, 0xfd }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "imul eax, ebx, 0x7f", { 0x6b, 0xc3, 0x7f }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "imul ebx, eax, 0x12345678", { 0x69, 0xd8, 0x78, 0x56, 0x34, 0x12 }, 6, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "imul eax, dword ptr [rsi+16], 0x12345678", { 0x69, 0x46, 0x10, 0x78, 0x56, 0x34, 0x12 }, 7, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
	{ "mul rbx", { 0x48, 0xf7, 0xe3 }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "mul qword ptr [rsi+8]", { 0x48, 0xf7, 0x66, 0x08 }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "imul rbx", { 0x48, 0xf7, 0xeb }, 3, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "imul qword ptr [rsi-8]", { 0x48, 0xf7, 0x6e, 0xf8 }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "imul rax, rbx", { 0x48, 0x0f, 0xaf, 0xc3 }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "imul rbx, qword ptr [rsi]", { 0x48, 0x0f, 0xaf, 0x1e }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "imul rax, rbx, -3", { 0x48, 0x6b, 0xc3, 0xfd }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "imul rax, rbx, 0x7f", { 0x48, 0x6b, 0xc3, 0x7f }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "imul rbx, rax, -0x12345678", { 0x48, 0x69, 0xd8, 0x88, 0xa9, 0xcb, 0xed }, 7, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "imul rax, qword ptr [rsi+16], -0x12345678", { 0x48, 0x69, 0x46, 0x10, 0x88, 0xa9, 0xcb, 0xed }, 8, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "mul ah", { 0xf6, 0xe4 }, 2, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 0, 0 },
	{ "imul r9, r10", { 0x4d, 0x0f, 0xaf, 0xca }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 3, 0 },
	{ "imul r11d, r12d, 100", { 0x45, 0x6b, 0xdc, 0x64 }, 4, RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF, AH_PLAIN, 2, 0 },
};

static const struct ah_vec div_vecs[] = {
	{ "div bl", { 0xf6, 0xf3 }, 2, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 0, 0 },
	{ "div byte ptr [rsi+8]", { 0xf6, 0x76, 0x08 }, 3, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 0, 0 },
	{ "div bx", { 0x66, 0xf7, 0xf3 }, 3, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 1, 0 },
	{ "div word ptr [rsi+8]", { 0x66, 0xf7, 0x76, 0x08 }, 4, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 1, 0 },
	{ "div ebx", { 0xf7, 0xf3 }, 2, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 2, 0 },
	{ "div dword ptr [rsi+8]", { 0xf7, 0x76, 0x08 }, 3, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 2, 0 },
	{ "div rbx", { 0x48, 0xf7, 0xf3 }, 3, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 3, 0 },
	{ "div qword ptr [rsi+8]", { 0x48, 0xf7, 0x76, 0x08 }, 4, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 3, 0 },
	{ "div r13", { 0x49, 0xf7, 0xf5 }, 3, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 3, 0 },
	{ "div bh", { 0xf6, 0xf7 }, 2, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 0, 0 },
	{ "idiv bl", { 0xf6, 0xfb }, 2, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 0, 0 },
	{ "idiv byte ptr [rsi+8]", { 0xf6, 0x7e, 0x08 }, 3, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 0, 0 },
	{ "idiv bx", { 0x66, 0xf7, 0xfb }, 3, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 1, 0 },
	{ "idiv word ptr [rsi+8]", { 0x66, 0xf7, 0x7e, 0x08 }, 4, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 1, 0 },
	{ "idiv ebx", { 0xf7, 0xfb }, 2, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 2, 0 },
	{ "idiv dword ptr [rsi+8]", { 0xf7, 0x7e, 0x08 }, 3, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 2, 0 },
	{ "idiv rbx", { 0x48, 0xf7, 0xfb }, 3, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 3, 0 },
	{ "idiv qword ptr [rsi+8]", { 0x48, 0xf7, 0x7e, 0x08 }, 4, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 3, 0 },
	{ "idiv r13", { 0x49, 0xf7, 0xfd }, 3, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 3, 0 },
	{ "idiv bh", { 0xf6, 0xff }, 2, RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF, AH_DIV, 0, 0 },
};

static void mul_vectors(void **state)
{
	(void)state;
	ah_run_table(mul_vecs, sizeof(mul_vecs) / sizeof(mul_vecs[0]), 400);
}

static void div_vectors(void **state)
{
	(void)state;
	ah_de_count = 0;
	ah_run_table(div_vecs, sizeof(div_vecs) / sizeof(div_vecs[0]), 800);
	assert_true(ah_de_count > 100);
}

/* SDM Vol. 2 "DIV"/"IDIV": #DE for a zero divisor and for a quotient too
 * large for the destination, including the most negative dividend divided
 * by -1.  Registers are checked unchanged, against the host's SIGFPE. */
static void div_faults(void **state)
{
	static const struct { uint64_t rax, rdx, rbx; } in[] = {
		{ 5, 0, 0 },                                    /* divide by zero */
		{ 0, 1, 1 },                                    /* quotient 2^n */
		{ 0x80, 0, 0xff },                              /* 8-bit: -128 / -1 via AX */
		{ 0x8000, 0xffff, 0xffff },                     /* 16-bit: DX:AX = -32768 */
		{ 0x80000000, 0xffffffff, 0xffffffff },         /* 32-bit min / -1 */
		{ 0, 0x8000000000000000ull, ~0ull },            /* 128-bit min / -1 */
		{ 0x8000000000000000ull, ~0ull, ~0ull },        /* 64-bit min / -1 */
		{ 0x7fffffffffffffffull, 0, ~0ull },            /* max / -1: fits */
		{ 0, 0x3fffffffffffffffull, 0x7fffffffffffffffull },
	};
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	ah_de_count = 0;
	ah_init();
	ah_install_idt(tm, 1);
	for (size_t k = 0; k < sizeof(div_vecs) / sizeof(div_vecs[0]); k++) {
		for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
			struct ah_state s;

			ah_inputs(&div_vecs[k], &s);
			s.gpr[R_RAX] = in[i].rax;
			s.gpr[R_RDX] = in[i].rdx;
			s.gpr[R_RBX] = in[i].rbx;
			s.gpr[R_R13] = in[i].rbx;
			/* For the AH (bh) divisor form, the divisor is bits 15:8. */
			if (strstr(div_vecs[k].name, "bh"))
				s.gpr[R_RBX] = in[i].rbx << 8;
			ah_compare(&tm, &div_vecs[k], &s);
		}
	}
	/* At least the divide-by-zero row faults for each of the 12
	 * register forms (memory forms divide by random data). */
	assert_true(ah_de_count >= 12);
	tm_free(tm);
}

/* The same vectors in 32-bit protected mode (those without REX/VEX.W). */
static void mul_vectors_prot32(void **state)
{
	(void)state;
	ah_run_table_mode(mul_vecs, sizeof(mul_vecs) / sizeof(mul_vecs[0]), 100, TM_PROT32);
}

/* The same vectors in 32-bit protected mode (those without REX/VEX.W). */
static void div_vectors_prot32(void **state)
{
	(void)state;
	ah_run_table_mode(div_vecs, sizeof(div_vecs) / sizeof(div_vecs[0]), 300, TM_PROT32);
}

/* Register forms in real mode (16-bit default operand size). */
static void mul_vectors_real(void **state)
{
	(void)state;
	assert_true(ah_run_table_real(mul_vecs, sizeof(mul_vecs) / sizeof(mul_vecs[0]), 60) >= 10);
}

/* Register forms in real mode (16-bit default operand size). */
static void div_vectors_real(void **state)
{
	(void)state;
	assert_true(ah_run_table_real(div_vecs, sizeof(div_vecs) / sizeof(div_vecs[0]), 200) >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mul_vectors),
		cmocka_unit_test(mul_vectors_prot32),
		cmocka_unit_test(mul_vectors_real),
		cmocka_unit_test(div_vectors),
		cmocka_unit_test(div_vectors_prot32),
		cmocka_unit_test(div_vectors_real),
		cmocka_unit_test(div_faults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
