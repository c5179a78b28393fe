/* The VMCS field table, exists-when against the skylake-x profile, the
 * VMREAD/VMWRITE acceptance and width rules, and the region layout
 * (src/vmx/vmcs.c).  Expected values come from shared/spec/vmcs-fields.md
 * (§1 encoding structure, §2 acceptance, §3 tables and counts) and
 * vmx-instructions.md §12.3 (widths). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fakebus.h"
#include "vmx/profile.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

static const struct vmx_profile *skx(void)
{
	const struct vmx_profile *p = vmx_profile_find("skylake-x");

	assert_non_null(p);
	return p;
}

/* §3.1: 206 encodings, listed by (width, type) group in §3. */
static void table_counts(void **state)
{
	/* [width][type], from the tables of §3. */
	static const unsigned expect[4][4] = {
		{ 6, 0, 11, 7 },     /* 16-bit: control, -, guest, host */
		{ 39, 3, 23, 13 },   /* 64-bit */
		{ 20, 8, 23, 1 },    /* 32-bit */
		{ 8, 6, 23, 15 },    /* natural width */
	};
	unsigned got[4][4] = { { 0 } };

	(void)state;
	assert_int_equal(VMCS_NFIELDS, 206);
	for (unsigned i = 0; i < VMCS_NFIELDS; i++) {
		uint32_t e = vmcs_encoding((enum vmcs_index)i);

		got[VMCS_ENC_WIDTH(e)][VMCS_ENC_TYPE(e)]++;
	}
	for (unsigned w = 0; w < 4; w++)
		for (unsigned t = 0; t < 4; t++)
			assert_int_equal(got[w][t], expect[w][t]);
}

/* §1: every row's encoding is a full-access encoding without reserved
 * bits whose width bits match the row's width; rows are sorted (the
 * lookup relies on it); names are unique; lookup finds each row from its
 * full and (64-bit) high encoding. */
static void table_encodings(void **state)
{
	(void)state;
	for (unsigned i = 0; i < VMCS_NFIELDS; i++) {
		enum vmcs_index ix = (enum vmcs_index)i;
		uint32_t e = vmcs_encoding(ix);

		assert_int_equal(e & 1, 0);
		assert_int_equal(e & VMCS_ENC_RSVD_MASK, 0);
		assert_int_equal(VMCS_ENC_WIDTH(e), vmcs_width(ix));
		assert_int_equal(vmcs_index_of(e), (int)i);
		assert_int_equal(vmcs_index_of(e | 1), (int)i);
		assert_non_null(vmcs_description(ix));
		if (i > 0)
			assert_true(vmcs_encoding((enum vmcs_index)(i - 1)) < e);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(vmcs_name(ix), vmcs_name((enum vmcs_index)j));
	}
	/* A few fixed points of §3. */
	assert_int_equal(VMCS_GUEST_RIP, 0x681E);
	assert_int_equal(vmcs_width(VMCS_IDX_GUEST_RIP), WNAT);
	assert_int_equal(VMCS_VM_INSTRUCTION_ERROR, 0x4400);
	assert_int_equal(vmcs_width(VMCS_IDX_VM_INSTRUCTION_ERROR), W32);
	assert_int_equal(VMCS_TSC_MULTIPLIER, 0x2032);
	assert_int_equal(vmcs_width(VMCS_IDX_TSC_MULTIPLIER), W64);
	assert_int_equal(vmcs_width(VMCS_IDX_GUEST_CS_SELECTOR), W16);
	assert_string_equal(vmcs_name(VMCS_IDX_GUEST_RIP), "GUEST_RIP");
	assert_string_equal(vmcs_description(VMCS_IDX_GUEST_RIP), "Guest RIP");
	/* Encodings that name no field. */
	assert_int_equal(vmcs_index_of(0x0C0E), -1);
	assert_int_equal(vmcs_index_of(0x482C), -1);
	assert_int_equal(vmcs_index_of(0x6C1E), -1);
}

/* §3: the SKX column.  These 53 encodings are "—"; the other 153 are
 * "yes". */
static void exists_skx(void **state)
{
	static const uint32_t absent[] = {
		0x0006, 0x0008, 0x000A, 0x0814, 0x202E, 0x2030, 0x2034, 0x2036, 0x2038,
		0x203A, 0x203C, 0x203E, 0x2040, 0x2042, 0x2044, 0x204A, 0x204C, 0x204E,
		0x2052, 0x2402, 0x2404, 0x2812, 0x2814, 0x2816, 0x2818, 0x281A, 0x281C,
		0x281E, 0x2820, 0x2822, 0x2824, 0x2826, 0x2828, 0x282E, 0x2830, 0x2C06,
		0x2C08, 0x2C0A, 0x2C0C, 0x2C0E, 0x2C10, 0x2C12, 0x2C14, 0x2C16, 0x2C1A,
		0x4024, 0x4026, 0x6828, 0x682A, 0x682C, 0x6C18, 0x6C1A, 0x6C1C,
	};
	const struct vmx_profile *p = skx();
	unsigned n = 0;

	(void)state;
	assert_int_equal(sizeof(absent) / sizeof(absent[0]), 53);
	for (unsigned i = 0; i < VMCS_NFIELDS; i++) {
		uint32_t e = vmcs_encoding((enum vmcs_index)i);
		bool listed = false;

		for (size_t k = 0; k < sizeof(absent) / sizeof(absent[0]); k++)
			listed |= absent[k] == e;
		if (vmcs_field_exists(p, (enum vmcs_index)i)) {
			n++;
			if (listed)
				fail_msg("0x%04x exists but the SKX column says no", e);
		} else if (!listed) {
			fail_msg("0x%04x missing but the SKX column says yes", e);
		}
	}
	assert_int_equal(n, 153);
}

/* Exists-when follows the allowed-1 bits: removing "enable VPID" from the
 * secondary controls removes the VPID field, removing "activate secondary
 * controls" removes every secondary-gated field, and an empty profile has
 * only the EX_ALWAYS fields. */
static void exists_follows_caps(void **state)
{
	struct vmx_profile p = *skx();
	struct vmx_profile none;

	(void)state;
	p.msr[MSR_IA32_VMX_PROCBASED_CTLS2 - VMX_MSR_FIRST] &= ~(1ull << (32 + 5));
	assert_false(vmcs_field_exists(&p, VMCS_IDX_VPID));
	assert_true(vmcs_field_exists(&p, VMCS_IDX_EPT_POINTER));
	p = *skx();
	p.msr[MSR_IA32_VMX_PROCBASED_CTLS - VMX_MSR_FIRST] &= ~(1ull << (32 + 31));
	p.msr[MSR_IA32_VMX_TRUE_PROCBASED - VMX_MSR_FIRST] &= ~(1ull << (32 + 31));
	assert_false(vmcs_field_exists(&p, VMCS_IDX_EPT_POINTER));
	assert_false(vmcs_field_exists(&p, VMCS_IDX_PROC2_CONTROLS));
	assert_false(vmcs_field_exists(&p, VMCS_IDX_EPTP_LIST_ADDR));
	assert_true(vmcs_field_exists(&p, VMCS_IDX_MSR_BITMAP));
	memset(&none, 0, sizeof(none));
	assert_true(vmcs_field_exists(&none, VMCS_IDX_GUEST_RIP));
	assert_true(vmcs_field_exists(&none, VMCS_IDX_VMCS_LINK_POINTER));
	assert_false(vmcs_field_exists(&none, VMCS_IDX_MSR_BITMAP));
	assert_false(vmcs_field_exists(&none, VMCS_IDX_GUEST_IA32_PAT));
}

/* §2.4: IA32_VMX_VMCS_ENUM bits 9:1 = the highest supported index; the
 * spec's value for SKX is 0x32 (index 0x19, TSC multiplier), and the
 * profile must report what the field table implies. */
static void vmcs_enum(void **state)
{
	const struct vmx_profile *p = skx();

	(void)state;
	assert_int_equal(vmcs_highest_index(p), 0x19);
	assert_int_equal(vmcs_highest_index(p) << 1, 0x32);
	assert_int_equal(vmx_cap(p, MSR_IA32_VMX_VMCS_ENUM), (uint64_t)vmcs_highest_index(p) << 1);
}

/* §2.1 and §2.2. */
static void rw_acceptance(void **state)
{
	const struct vmx_profile *p = skx();
	struct vmx_profile nomisc = *p;

	(void)state;
	assert_int_equal(vmcs_rw_index(p, 0x681E), VMCS_IDX_GUEST_RIP);
	assert_int_equal(vmcs_rw_index(p, 0x2032), VMCS_IDX_TSC_MULTIPLIER);
	assert_int_equal(vmcs_rw_index(p, 0x2033), VMCS_IDX_TSC_MULTIPLIER);
	/* Rule 1: bits 63:32 of the register. */
	assert_int_equal(vmcs_rw_index(p, 0x10000681Eull), -1);
	/* Rule 2: reserved bits 12 and 31:15. */
	assert_int_equal(vmcs_rw_index(p, 0x681E | 0x1000), -1);
	assert_int_equal(vmcs_rw_index(p, 0x681E | 0x8000), -1);
	assert_int_equal(vmcs_rw_index(p, 0x681E | 0x80000000u), -1);
	/* Rule 3: high access only for 64-bit fields. */
	assert_int_equal(vmcs_rw_index(p, 0x681F), -1);
	assert_int_equal(vmcs_rw_index(p, 0x4401), -1);
	assert_int_equal(vmcs_rw_index(p, 0x0801), -1);
	/* Rule 4: fields the profile lacks, and unassigned encodings. */
	assert_int_equal(vmcs_rw_index(p, 0x2030), -1);
	assert_int_equal(vmcs_rw_index(p, 0x2031), -1);
	assert_int_equal(vmcs_rw_index(p, 0x6828), -1);
	assert_int_equal(vmcs_rw_index(p, 0x0C0E), -1);
	/* §2.2: SKX has MISC[29] = 1, so nothing is read-only. */
	assert_false(vmcs_rw_readonly(p, 0x4400));
	assert_false(vmcs_rw_readonly(p, 0x6400));
	nomisc.msr[MSR_IA32_VMX_MISC - VMX_MSR_FIRST] &= ~(1ull << 29);
	assert_true(vmcs_rw_readonly(&nomisc, 0x4400));
	assert_true(vmcs_rw_readonly(&nomisc, 0x2400));
	assert_true(vmcs_rw_readonly(&nomisc, 0x6400));
	assert_false(vmcs_rw_readonly(&nomisc, 0x681E));
	assert_false(vmcs_rw_readonly(&nomisc, 0x4002));
}

/* vmx-instructions.md §12.3. */
static void widths(void **state)
{
	const struct vmx_profile *p = skx();
	const uint64_t old = 0xaaaabbbbccccddddull, src = 0x1111222233334444ull;

	(void)state;
	/* VMWRITE */
	assert_int_equal(vmcs_write_value(p, VMCS_IDX_GUEST_CS_SELECTOR, 0x0802, old, src, true), 0x4444);
	assert_int_equal(vmcs_write_value(p, VMCS_IDX_PIN_CONTROLS, 0x4000, old, src, true), 0x33334444);
	assert_int_equal(vmcs_write_value(p, VMCS_IDX_TSC_OFFSET, 0x2010, old, src, true), src);
	assert_int_equal(vmcs_write_value(p, VMCS_IDX_TSC_OFFSET, 0x2010, old, src, false), 0x33334444);
	assert_int_equal(vmcs_write_value(p, VMCS_IDX_TSC_OFFSET, 0x2011, old, src, true),
	                 0x33334444ccccddddull);
	assert_int_equal(vmcs_write_value(p, VMCS_IDX_TSC_OFFSET, 0x2011, old, src, false),
	                 0x33334444ccccddddull);
	assert_int_equal(vmcs_write_value(p, VMCS_IDX_GUEST_RIP, 0x681E, old, src, true), src);
	assert_int_equal(vmcs_write_value(p, VMCS_IDX_GUEST_RIP, 0x681E, old, src, false), 0x33334444);
	/* Access rights keep 0x1F0FF in this profile. */
	assert_int_equal(vmcs_write_value(p, VMCS_IDX_GUEST_CS_AR_BYTES, 0x4816, 0, 0xffffffffull, true),
	                 0x1f0ff);
	assert_int_equal(vmcs_write_value(p, VMCS_IDX_GUEST_LDTR_LIMIT, 0x480C, 0, 0xffffffffull, true),
	                 0xffffffffull);
	/* VMREAD */
	assert_int_equal(vmcs_read_value(0x2010, old, true), old);
	assert_int_equal(vmcs_read_value(0x2010, old, false), 0xccccddddull);
	assert_int_equal(vmcs_read_value(0x2011, old, true), 0xaaaabbbbull);
	assert_int_equal(vmcs_read_value(0x2011, old, false), 0xaaaabbbbull);
	assert_int_equal(vmcs_read_value(0x681E, old, false), 0xccccddddull);
	assert_int_equal(vmcs_read_value(0x4000, 0x33334444, true), 0x33334444);
}

/* vmcs_set_idx truncates to the field width. */
static void set_truncates(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct vmx *v = tm->cpu->vmx;

	(void)state;
	vmcs_set_idx(v, VMCS_IDX_GUEST_CS_SELECTOR, 0x123456789ull);
	assert_int_equal(VMCS_GET(v, GUEST_CS_SELECTOR), 0x6789);
	VMCS_SET(v, EXIT_REASON, 0x1ffffffffull);
	assert_int_equal(VMCS_GET(v, EXIT_REASON), 0xffffffffull);
	VMCS_SET(v, GUEST_RIP, ~0ull);
	assert_int_equal(VMCS_GET(v, GUEST_RIP), ~0ull);
	tm_free(tm);
}

/* The region holds every field and the launch state: store, copy the
 * bytes elsewhere, load the copy, and the cache is the same.  A region
 * never initialised loads as clear with every field 0; clearing one
 * zeroes it. */
static void region_round_trip(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct vmx *v = tm->cpu->vmx;
	static uint8_t buf[4096];
	const uint64_t a = 0x400000, b = 0x402000, c = 0x404000;

	(void)state;
	assert_true(VMCS_DATA_BYTES <= 4096);
	for (unsigned i = 0; i < VMCS_NFIELDS; i++)
		vmcs_set_idx(v, (enum vmcs_index)i, 0x0123456789abcdefull * (i + 1));
	v->current_launched = true;
	vmcs_store_region(v, a);
	bus_read_bytes(tm->bus, a, buf, sizeof(buf));
	bus_write_bytes(tm->bus, b, buf, sizeof(buf));
	memset(&v->vmcs, 0, sizeof(v->vmcs));
	v->current_launched = false;
	vmcs_load_region(v, b);
	assert_true(v->current_launched);
	for (unsigned i = 0; i < VMCS_NFIELDS; i++) {
		uint64_t x = 0x0123456789abcdefull * (i + 1);
		enum vmcs_width w = vmcs_width((enum vmcs_index)i);

		if (w == W16)
			x &= 0xffff;
		else if (w == W32)
			x &= 0xffffffff;
		assert_int_equal(v->vmcs.val[i], x);
	}
	/* Single fields of a region that is not current. */
	assert_int_equal(vmcs_region_get(v, b, VMCS_IDX_GUEST_RIP), VMCS_GET(v, GUEST_RIP));
	vmcs_region_set(v, b, VMCS_IDX_GUEST_CS_SELECTOR, 0xabcdef);
	assert_int_equal(vmcs_region_get(v, b, VMCS_IDX_GUEST_CS_SELECTOR), 0xcdef);
	/* Garbage in a region never cleared. */
	tm_write(tm, c + VMCS_OFF_LAUNCH, 8, 0x1234);
	tm_write(tm, c + VMCS_OFF_FIELDS, 8, 0x5678);
	vmcs_load_region(v, c);
	assert_false(v->current_launched);
	for (unsigned i = 0; i < VMCS_NFIELDS; i++)
		assert_int_equal(v->vmcs.val[i], 0);
	vmcs_clear_region(v, c);
	assert_int_equal(vmcs_region_get(v, c, (enum vmcs_index)0), 0);
	/* Clearing a launched region keeps its fields. */
	vmcs_clear_region(v, b);
	vmcs_load_region(v, b);
	assert_false(v->current_launched);
	assert_int_equal(VMCS_GET(v, GUEST_CS_SELECTOR), 0xcdef);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_counts),
		cmocka_unit_test(table_encodings),
		cmocka_unit_test(exists_skx),
		cmocka_unit_test(exists_follows_caps),
		cmocka_unit_test(vmcs_enum),
		cmocka_unit_test(rw_acceptance),
		cmocka_unit_test(widths),
		cmocka_unit_test(set_truncates),
		cmocka_unit_test(region_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
