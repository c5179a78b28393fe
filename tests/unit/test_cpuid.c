/* CPUID: vendor and leaf consistency, and the rule that every advertised
 * feature has working instructions (SDM Vol. 2 "CPUID"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <capstone/capstone.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/ops.h"
#include "fakebus.h"

static struct tm *tm;

static int setup(void **state)
{
	(void)state;
	tm = tm_new(TM_LONG64);
	return tm ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	tm_free(tm);
	return 0;
}

static void q(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	cpuid_query(tm->cpu, leaf, sub, r);
}

static bool bit(uint32_t leaf, unsigned reg, unsigned b)
{
	uint32_t r[4];

	q(leaf, 0, r);
	return (r[reg] >> b) & 1;
}

static void vendor_is_genuine_intel(void **state)
{
	uint32_t r[4];
	char v[13];

	(void)state;
	q(0, 0, r);
	memcpy(v, &r[CPUID_EBX], 4);
	memcpy(v + 4, &r[CPUID_EDX], 4);
	memcpy(v + 8, &r[CPUID_ECX], 4);
	v[12] = 0;
	assert_string_equal(v, "GenuineIntel");
	/* The brief caps the basic range at 0DH; leaf 7 must be inside it. */
	assert_true(r[CPUID_EAX] >= 7 && r[CPUID_EAX] <= 0xd);
}

static void leaf1_signature_matches_reset_edx(void **state)
{
	uint32_t r[4];

	(void)state;
	q(1, 0, r);
	/* SDM Vol. 3A §9.1.4: EDX after reset holds the same signature. */
	assert_int_equal(r[CPUID_EAX], CPU_RESET_EDX);
	assert_int_equal(r[CPUID_EAX], 0x50654);
	/* Family 6, model 0x55 (Skylake-X), stepping 4. */
	assert_int_equal((r[CPUID_EAX] >> 8) & 0xf, 6);
	assert_int_equal(((r[CPUID_EAX] >> 4) & 0xf) | (((r[CPUID_EAX] >> 16) & 0xf) << 4), 0x55);
	assert_int_equal(r[CPUID_EAX] & 0xf, 4);
	/* Initial APIC ID 0; CLFLUSH line size 64 bytes when CLFSH is set. */
	assert_int_equal(r[CPUID_EBX] >> 24, 0);
	if (r[CPUID_EDX] & (1u << 19))
		assert_int_equal((r[CPUID_EBX] >> 8) & 0xff, 8);
}

static void extended_leaves(void **state)
{
	uint32_t r[4];
	char brand[49];

	(void)state;
	q(0x80000000u, 0, r);
	assert_int_equal(r[CPUID_EAX], 0x80000008u);
	q(0x80000008u, 0, r);
	assert_int_equal(r[CPUID_EAX] & 0xff, CPU_MAXPHYADDR);
	assert_int_equal((r[CPUID_EAX] >> 8) & 0xff, 48);
	for (unsigned i = 0; i < 3; i++) {
		q(0x80000002u + i, 0, r);
		memcpy(brand + 16 * i, r, 16);
	}
	brand[48] = 0;
	assert_true(strlen(brand) > 0 && strlen(brand) < 48);
}

/* SDM Vol. 2 CPUID: an input above the maximum basic or extended leaf
 * returns the data of the highest basic leaf. */
static void above_max_returns_highest_basic(void **state)
{
	uint32_t top[4], r[4], max[4];

	(void)state;
	q(0, 0, max);
	q(max[CPUID_EAX], 0, top);
	q(max[CPUID_EAX] + 1, 0, r);
	assert_memory_equal(r, top, sizeof(r));
	q(0x80000009u, 0, r);
	assert_memory_equal(r, top, sizeof(r));
	q(0x40000000u, 0, r);
	assert_memory_equal(r, top, sizeof(r));
}

/* Bits a 64-bit guest may rely on, and bits that must stay clear because
 * nothing implements them. */
static void baseline_and_absent_bits(void **state)
{
	static const struct { uint32_t leaf; unsigned reg, bit; } set[] = {
		{ 1, CPUID_EDX, 0 },  { 1, CPUID_EDX, 3 },  { 1, CPUID_EDX, 4 },  { 1, CPUID_EDX, 5 },
		{ 1, CPUID_EDX, 6 },  { 1, CPUID_EDX, 13 }, { 1, CPUID_EDX, 16 }, { 1, CPUID_EDX, 17 },
		{ 1, CPUID_EDX, 25 }, { 1, CPUID_EDX, 26 }, { 1, CPUID_ECX, 17 }, { 7, CPUID_EBX, 7 },
		{ 0x80000001u, CPUID_EDX, 20 }, { 0x80000001u, CPUID_EDX, 26 },
		{ 0x80000001u, CPUID_EDX, 27 }, { 0x80000001u, CPUID_EDX, 29 },
		/* VME: CR4.VME/PVI with VIF, VIP and INT n redirection (SDM
		 * Vol. 3A §20.3, §20.4) are implemented. */
		{ 1, CPUID_EDX, 1 },
		/* MONITOR/MWAIT, RDRAND, RDSEED (ops_wait.c, ops_rand.c;
		 * shared/spec/vmx-capabilities.md §10 reference profile). */
		{ 1, CPUID_ECX, 3 }, { 1, CPUID_ECX, 30 }, { 7, CPUID_EBX, 18 },
	};
	static const struct { uint32_t leaf; unsigned reg, bit; } clear[] = {
		{ 1, CPUID_EDX, 9 },  /* APIC */
		{ 1, CPUID_ECX, 0 },  /* SSE3 */
		{ 1, CPUID_ECX, 26 }, /* XSAVE */
		{ 1, CPUID_ECX, 27 }, /* OSXSAVE */
		{ 1, CPUID_ECX, 28 }, /* AVX */
		{ 1, CPUID_ECX, 31 }, /* hypervisor */
		{ 7, CPUID_EBX, 0 },  /* FSGSBASE */
		{ 7, CPUID_EBX, 5 },  /* AVX2 */
		{ 7, CPUID_ECX, 2 },  /* UMIP */
		{ 7, CPUID_ECX, 3 },  /* PKU */
		{ 7, CPUID_ECX, 16 }, /* LA57 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		assert_true(bit(set[i].leaf, set[i].reg, set[i].bit));
	for (size_t i = 0; i < sizeof(clear) / sizeof(clear[0]); i++)
		assert_false(bit(clear[i].leaf, clear[i].reg, clear[i].bit));
}

static bool has_row(unsigned id)
{
	const struct opdesc *od = optable_lookup(id);

	return od && od->fn;
}

/* Every feature bit that names instructions: when CPUID sets it, each of
 * those instructions has an op-table row.  The list is written here from
 * the SDM's CPUID table, independently of cpuid.c. */
static void advertised_bits_have_rows(void **state)
{
	static const struct { uint32_t leaf; unsigned reg, bit; unsigned ids[6]; } t[] = {
		{ 1, CPUID_EDX, 4, { X86_INS_RDTSC } },
		{ 1, CPUID_EDX, 5, { X86_INS_RDMSR, X86_INS_WRMSR } },
		{ 1, CPUID_EDX, 8, { X86_INS_CMPXCHG8B } },
		{ 1, CPUID_EDX, 11, { X86_INS_SYSENTER, X86_INS_SYSEXIT } },
		{ 1, CPUID_EDX, 15, { X86_INS_CMOVA, X86_INS_CMOVNE, X86_INS_CMOVGE } },
		{ 1, CPUID_EDX, 19, { X86_INS_CLFLUSH } },
		{ 1, CPUID_ECX, 5, { X86_INS_VMXON, X86_INS_VMXOFF, X86_INS_VMLAUNCH,
		                     X86_INS_VMRESUME, X86_INS_VMREAD, X86_INS_VMWRITE } },
		{ 1, CPUID_ECX, 13, { X86_INS_CMPXCHG16B } },
		{ 1, CPUID_ECX, 22, { X86_INS_MOVBE } },
		{ 1, CPUID_ECX, 23, { X86_INS_POPCNT } },
		{ 1, CPUID_ECX, 3, { X86_INS_MONITOR, X86_INS_MWAIT } },
		{ 1, CPUID_ECX, 30, { X86_INS_RDRAND } },
		{ 7, CPUID_EBX, 18, { X86_INS_RDSEED } },
		{ 7, CPUID_EBX, 3, { X86_INS_ANDN, X86_INS_BEXTR, X86_INS_BLSR, X86_INS_TZCNT } },
		{ 7, CPUID_EBX, 8, { X86_INS_BZHI, X86_INS_MULX, X86_INS_PDEP, X86_INS_PEXT,
		                     X86_INS_RORX, X86_INS_SHLX } },
		{ 7, CPUID_EBX, 10, { X86_INS_INVPCID } },
		{ 7, CPUID_EBX, 20, { X86_INS_STAC, X86_INS_CLAC } },
		{ 7, CPUID_EBX, 23, { X86_INS_CLFLUSHOPT } },
		{ 7, CPUID_EBX, 24, { X86_INS_CLWB } },
		{ 0x80000001u, CPUID_ECX, 0, { X86_INS_LAHF, X86_INS_SAHF } },
		{ 0x80000001u, CPUID_ECX, 5, { X86_INS_LZCNT } },
		{ 0x80000001u, CPUID_ECX, 8, { X86_INS_PREFETCHW } },
		{ 0x80000001u, CPUID_EDX, 11, { X86_INS_SYSCALL, X86_INS_SYSRET } },
		{ 0x80000001u, CPUID_EDX, 27, { X86_INS_RDTSCP } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!bit(t[i].leaf, t[i].reg, t[i].bit))
			continue;
		for (unsigned j = 0; j < 6 && t[i].ids[j]; j++)
			assert_true(has_row(t[i].ids[j]));
	}
	/* VMX is reported exactly when its instructions exist. */
	assert_int_equal(bit(1, CPUID_ECX, 5), has_row(X86_INS_VMXON) && has_row(X86_INS_VMLAUNCH));
	/* The instructions this family implements are advertised. */
	assert_true(bit(1, CPUID_EDX, 4));
	assert_true(bit(1, CPUID_EDX, 5));
	assert_true(bit(1, CPUID_EDX, 19));
	assert_true(bit(7, CPUID_EBX, 10));
	assert_true(bit(7, CPUID_EBX, 23));
	assert_true(bit(0x80000001u, CPUID_EDX, 27));
	assert_true(bit(0x80000001u, CPUID_ECX, 8));
}

/* The instruction: 32-bit results zero-extend into the 64-bit registers. */
static void cpuid_instruction(void **state)
{
	/* RAX and RCX start with their upper halves set, to see them cleared. */
	static const uint8_t code[] = {
		0x48, 0xc7, 0xc0, 0x00, 0x00, 0x00, 0x80,  /* mov rax, 0xffffffff80000000 */
		0x48, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff,  /* mov rcx, -1 */
		0x0f, 0xa2,                                /* cpuid */
		0xf4,
	};

	(void)state;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RAX], 0x80000008u);
	assert_int_equal(tm->cpu->gpr[R_RBX], 0);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0);
	assert_int_equal(tm->cpu->gpr[R_RDX], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(vendor_is_genuine_intel, setup, teardown),
		cmocka_unit_test_setup_teardown(leaf1_signature_matches_reset_edx, setup, teardown),
		cmocka_unit_test_setup_teardown(extended_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(above_max_returns_highest_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(baseline_and_absent_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(advertised_bits_have_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(cpuid_instruction, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
