/* The silicon oracle's own checks.
 *
 * native_known: the native runner against answers computed here from the
 * SDM (not from softvtx): ADD's sum and flags, #DE on a zero divisor,
 * #UD for UD2, #PF with error code U|W and CR2 for a store past the data
 * page, #GP for a non-canonical address, REP STOSB interrupted by #PF with
 * RCX/RDI at the faulting iteration.
 *
 * verdicts: oc_compare() flags a real difference, ignores a difference in
 * an SDM-undefined flag only, and checks the #UD of a feature the
 * modelled CPU lacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "oracle/oracle.h"

static void blank(struct oc_case *c, const uint8_t *code, unsigned len)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->code, code, len);
	c->len = (uint8_t)len;
	c->rflags = 0x202;
	c->gpr[4] = OC_DATA + 0x800;
	c->undef_reg = -1;
	c->undef_mem_off = -1;
	c->mem_seed = 42;
}

static struct oc_result res[6];

static void native_known(void **state)
{
	static const uint8_t add[] = {0x01, 0xd8};              /* add eax, ebx */
	static const uint8_t div[] = {0xf7, 0xf1};              /* div ecx */
	static const uint8_t ud2[] = {0x0f, 0x0b};
	static const uint8_t store[] = {0x48, 0x89, 0x06};      /* mov [rsi], rax */
	static const uint8_t rep[] = {0xf3, 0xaa};              /* rep stosb */
	struct oc_case c[6];
	char err[200];

	(void)state;
	blank(&c[0], add, sizeof(add));
	c[0].gpr[0] = 0xffffffff;
	c[0].gpr[3] = 1;
	blank(&c[1], div, sizeof(div));
	c[1].gpr[0] = 7;
	blank(&c[2], ud2, sizeof(ud2));
	blank(&c[3], store, sizeof(store));
	c[3].gpr[6] = OC_DATA + OC_PAGE - 4;                   /* crosses into the hole */
	blank(&c[4], store, sizeof(store));
	c[4].gpr[6] = 0x8000000000000000ull;
	blank(&c[5], rep, sizeof(rep));
	c[5].gpr[7] = OC_DATA + OC_PAGE - 3;
	c[5].gpr[1] = 10;
	c[5].gpr[0] = 0x5a;
	assert_int_equal(oc_native_run(c, res, 6, err, sizeof(err)), 0);

	/* ADD: 0xffffffff + 1 = 0 (32-bit, zero-extended); CF ZF PF AF set. */
	assert_int_equal(res[0].fault, OC_NOFAULT);
	assert_int_equal(res[0].gpr[0], 0);
	assert_int_equal(res[0].rflags & 0x8d5, 0x1 | 0x4 | 0x10 | 0x40);
	/* DIV by 0: #DE, nothing changed. */
	assert_int_equal(res[1].fault, 0);
	assert_int_equal(res[1].gpr[0], 7);
	assert_int_equal(res[2].fault, 6);
	/* The store: #PF, error P=0 W=1 U=1, CR2 the first byte in the hole. */
	assert_int_equal(res[3].fault, 14);
	assert_int_equal(res[3].error & 7, 6);
	assert_int_equal(res[3].cr2, OC_DATA + OC_PAGE);
	assert_int_equal(res[4].fault, 13);
	assert_int_equal(res[4].error, 0);
	/* REP STOSB: three bytes stored, then #PF with RCX = 7, RDI at the hole. */
	assert_int_equal(res[5].fault, 14);
	assert_int_equal(res[5].gpr[1], 7);
	assert_int_equal(res[5].gpr[7], OC_DATA + OC_PAGE);
	assert_int_equal(res[5].mem[OC_PAGE - 1], 0x5a);
	assert_int_equal(res[5].mem[OC_PAGE - 3], 0x5a);
}

static void verdicts(void **state)
{
	static const uint8_t and_[] = {0x21, 0xd8};             /* and eax, ebx */
	static struct oc_result a, b;
	struct oc_case c;

	(void)state;
	blank(&c, and_, sizeof(and_));
	c.undef_flags = 0x10;                                   /* AND: AF undefined */
	memset(&a, 0, sizeof(a));
	a.fault = OC_NOFAULT;
	a.gpr[0] = 1;
	b = a;
	assert_int_equal(oc_compare(&c, &a, &b), OC_SAME);
	b.rflags ^= 0x10;
	assert_int_equal(oc_compare(&c, &a, &b), OC_SAME);
	b.rflags ^= 0x1;
	assert_int_equal(oc_compare(&c, &a, &b), OC_DIVERGENT);
	b = a;
	b.gpr[9] = 5;
	assert_int_equal(oc_compare(&c, &a, &b), OC_DIVERGENT);
	b = a;
	b.mem[100] = 1;
	assert_int_equal(oc_compare(&c, &a, &b), OC_DIVERGENT);
	b = a;
	b.fault = 14;
	assert_int_equal(oc_compare(&c, &a, &b), OC_DIVERGENT);

	/* A feature the model lacks: only #UD with the state untouched passes. */
	c.feat = 1;
	b = a;
	b.feat_absent = true;
	assert_int_equal(oc_compare(&c, &a, &b), OC_DIVERGENT);
	memcpy(b.gpr, c.gpr, sizeof(b.gpr));
	b.rflags = c.rflags;
	b.fault = 6;
	b.rip = 0;
	oc_mem_init(&c, b.mem);
	assert_int_equal(oc_compare(&c, &a, &b), OC_ABSENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(native_known),
		cmocka_unit_test(verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
