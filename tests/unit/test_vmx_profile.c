/* CPU profiles and VMX discovery (shared/spec/vmx-capabilities.md): the
 * built-in tables against the spec's §9.1 values, the §12 invariants, the
 * profile file format, RDMSR/WRMSR of 0x480-0x493, IA32_FEATURE_CONTROL
 * (§3) and the fixed CR bits in VMX operation (§7, §11).  Expected values
 * are typed from the spec, not read back from softvtx. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/cpuid.h"
#include "cpu/cr.h"
#include "cpu/msr.h"
#include "fakebus.h"
#include "softvtx.h"
#include "vmx/profile.h"
#include "vmx/vmx.h"

/* §9.1, column "Value", in MSR order 0x480..0x491. */
static const uint64_t skx_values[18] = {
	0x00D810000000002Bull, 0x000000FF00000016ull, 0xFFF9FFFE0401E172ull,
	0x407FFFFF00036DFFull, 0x0000FFFF000011FFull, 0x00000000600401E0ull,
	0x0000000080000021ull, 0x00000000FFFFFFFFull, 0x0000000000002000ull,
	0x00000000003727FFull, 0x0000000000000032ull, 0x02577FFF00000000ull,
	0x00000F0106734141ull, 0x000000FF00000016ull, 0xFFF9FFFE04006172ull,
	0x407FFFFF00036DFBull, 0x0000FFFF000011FBull, 0x0000000000000001ull,
};

static const struct vmx_profile *skx(void)
{
	const struct vmx_profile *p = vmx_profile_find("skylake-x");

	assert_non_null(p);
	return p;
}

/* Field-by-field equality (the struct has padding). */
static void assert_same_profile(const struct vmx_profile *a, const struct vmx_profile *b)
{
	assert_string_equal(a->name, b->name);
	for (unsigned i = 0; i < VMX_MSR_COUNT; i++) {
		assert_int_equal(a->msr_present[i], b->msr_present[i]);
		if (a->msr_present[i])
			assert_int_equal(a->msr[i], b->msr[i]);
	}
	assert_int_equal(a->nmi_inject_sti_fails, b->nmi_inject_sti_fails);
	assert_int_equal(a->ar_write_mask, b->ar_write_mask);
	assert_int_equal(a->debugctl_valid, b->debugctl_valid);
	assert_int_equal(a->perf_global_ctrl_rsvd, b->perf_global_ctrl_rsvd);
}

/* --- the built-in table ---------------------------------------------- */

static void skylake_is_default_and_matches_spec(void **state)
{
	const struct vmx_profile *p = skx();
	struct tm *tm = tm_new(TM_PROT32);

	(void)state;
	assert_ptr_equal(p, &vmx_profiles[0]);
	assert_ptr_equal(tm->cpu->vmx->profile, p);
	for (unsigned m = 0x480; m <= 0x491; m++) {
		assert_true(p->msr_present[m - 0x480]);
		assert_int_equal(vmx_cap(p, m), skx_values[m - 0x480]);
	}
	/* §9.1: "0x492, 0x493 — not available (#GP)". */
	assert_false(p->msr_present[0x492 - 0x480]);
	assert_false(p->msr_present[0x493 - 0x480]);
	/* §9.2 and vm-entry-checks.md "Recommended default for GUEST-85". */
	assert_true(p->nmi_inject_sti_fails);
	assert_int_equal(p->debugctl_valid, 0x7FC3);
	assert_int_equal(p->perf_global_ctrl_rsvd, 0xFFFFFFF8FFFFFFF0ull);
	assert_int_equal(p->ar_write_mask, 0x1F0FF);
	assert_null(vmx_profile_find("skylake"));
	assert_null(vmx_profile_find(""));
	tm_free(tm);
}

/* spec README "Debian's Bochs 2.7": no posted interrupts (PIN 7), no MTF
 * (PROC 27), no exit control 30, no MBE (PROC2 22), no advanced
 * EPT-violation information (CAP 22), VMCS_ENUM 0x34; otherwise §9.1. */
static void bochs27_is_skylake_minus_its_gaps(void **state)
{
	const struct vmx_profile *b = vmx_profile_find("bochs-2.7");
	uint64_t expect[18];

	(void)state;
	assert_non_null(b);
	memcpy(expect, skx_values, sizeof(expect));
	expect[0x481 - 0x480] &= ~(1ull << (32 + 7));
	expect[0x48D - 0x480] &= ~(1ull << (32 + 7));
	expect[0x482 - 0x480] &= ~(1ull << (32 + 27));
	expect[0x48E - 0x480] &= ~(1ull << (32 + 27));
	expect[0x483 - 0x480] &= ~(1ull << (32 + 30));
	expect[0x48F - 0x480] &= ~(1ull << (32 + 30));
	expect[0x48B - 0x480] &= ~(1ull << (32 + 22));
	expect[0x48C - 0x480] &= ~(1ull << 22);
	expect[0x48A - 0x480] = 0x34;
	for (unsigned m = 0x480; m <= 0x491; m++) {
		assert_true(b->msr_present[m - 0x480]);
		assert_int_equal(vmx_cap(b, m), expect[m - 0x480]);
	}
	assert_false(b->msr_present[0x492 - 0x480]);
	assert_false(b->msr_present[0x493 - 0x480]);
}

static void builtins_pass_every_check(void **state)
{
	char err[256] = "";

	(void)state;
	assert_true(vmx_profile_count >= 2);
	for (size_t i = 0; i < vmx_profile_count; i++) {
		if (!vmx_profile_check(&vmx_profiles[i], err, sizeof(err)))
			fail_msg("%s: %s", vmx_profiles[i].name, err);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(vmx_profiles[i].name, vmx_profiles[j].name);
	}
}

/* --- the invariants: one change each, one ID expected ----------------- */

struct inv_case {
	const char *id;
	unsigned msr;
	uint64_t clear, set;   /* new value = (old & ~clear) | set */
	bool drop;             /* make the MSR absent instead */
};

static const struct inv_case inv_cases[] = {
	{ "INV-1: ", 0x480, 0, 1ull << 31, false },                 /* BASIC[31] */
	{ "INV-1: ", 0x480, 0x1fffull << 32, 0, false },            /* region size 0 */
	{ "INV-1: ", 0x480, 0xfull << 50, 3ull << 50, false },      /* memory type 3 */
	{ "INV-1: ", 0x480, 0, 1ull << 45, false },                 /* reserved 47:45 */
	{ "INV-2: ", 0x481, 0x10, 0, false },                       /* default1 bit 4 */
	{ "INV-2: ", 0x484, 0xffffull << 32, 0, false },            /* allowed-0 > allowed-1 */
	{ "INV-3: ", 0x48E, 1ull << (32 + 3), 0, false },           /* TRUE hi != hi */
	{ "INV-3: ", 0x48F, 0, 1ull << 9, false },                  /* lo != TRUE.lo | default1 */
	{ "INV-3: ", 0x480, 1ull << 55, 0, false },                 /* TRUE MSRs without BASIC[55] */
	{ "INV-3: ", 0x490, 0, 0, true },                    /* BASIC[55] without TRUE MSR */
	{ "INV-4: ", 0x485, 1ull << 5, 0, false },                  /* UG without MISC[5] */
	{ "INV-4: ", 0x485, 0, 1ull << 10, false },                 /* reserved 13:9 */
	{ "INV-4: ", 0x485, 0, 1ull << 31, false },                 /* reserved 31 */
	{ "INV-5: ", 0x487, 1ull << 5, 0, false },                  /* CR0 NE fixed 1 and 0 */
	{ "INV-5: ", 0x488, 0, 1ull << 12, false },                 /* CR4 LA57 fixed 1, not in FIXED1 */
	{ "INV-6: ", 0x48A, 0, 1, false },                          /* VMCS_ENUM bit 0 */
	{ "INV-6: ", 0x48A, 0x3fe, 0x28, false },                   /* highest index 0x14 */
	{ "INV-7: ", 0x48C, 0, 1ull << 1, false },                  /* CAP bit 1 */
	{ "INV-8: ", 0x482, 1ull << (32 + 31), 0, false },          /* no secondary, 0x48B present */
	{ "INV-9: ", 0x48B, 1ull << (32 + 1), 0, false },           /* UG/PML/#VE/MBE without EPT */
	{ "INV-10: ", 0x48C, 1ull << 20, 0, false },                /* EPT without INVEPT */
	{ "INV-10: ", 0x48C, 1ull << 6, 0, false },                 /* EPT without a walk length */
	{ "INV-11: ", 0x48C, 0xfull << 40, 0, false },              /* VPID without INVVPID types */
	{ "INV-12: ", 0x491, 1, 0, false },                         /* VM functions, VMFUNC = 0 */
	{ "INV-13: ", 0x48C, 1ull << 21, 0, false },                /* PML without EPT A/D */
	{ "INV-14: ", 0x489, 0, 1ull << 23, false },                /* CR4.CET has no CPUID row in §7 */
	{ "INV-15: ", 0x485, 1ull << 29, 0, false },                /* shadowing without MISC[29] */
	{ "§1: ", 0x485, 0, 0, true },                       /* MISC missing */
	{ "§1: ", 0x48C, 0, 0, true },                       /* EPT allowed, no 0x48C */
	{ "SUPPORT: ", 0x48B, 0, 1ull << (32 + 15), false },        /* ENCLS exiting allowed */
	{ "SUPPORT: ", 0x480, 0, 1ull << 49, false },               /* dual-monitor SMM */
	{ "SUPPORT: ", 0x480, 0x1fffull << 32, 0x400ull << 32, false }, /* 1024-byte region */
	{ "SUPPORT: ", 0x485, 0, 1ull << 14, false },               /* Intel PT in VMX */
};

static void apply_case(struct vmx_profile *p, const struct inv_case *c)
{
	*p = vmx_profiles[0];
	if (c->drop) {
		p->msr_present[c->msr - 0x480] = false;
		p->msr[c->msr - 0x480] = 0;
		return;
	}
	p->msr[c->msr - 0x480] = (p->msr[c->msr - 0x480] & ~c->clear) | c->set;
}

static void each_invariant_is_named(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(inv_cases) / sizeof(inv_cases[0]); i++) {
		struct vmx_profile p;
		char err[256] = "";

		apply_case(&p, &inv_cases[i]);
		if (vmx_profile_check(&p, err, sizeof(err)))
			fail_msg("case %zu (%s 0x%x) passed the check", i, inv_cases[i].id,
			         inv_cases[i].msr);
		if (strncmp(err, inv_cases[i].id, strlen(inv_cases[i].id)))
			fail_msg("case %zu: expected '%s...', got '%s'", i, inv_cases[i].id, err);
		assert_null(strchr(err, '\n'));
	}
}

/* §12.1 recipe "Secondary controls entirely": clear PROC bit 31 and drop
 * 0x48B, 0x48C, 0x491; the result is a valid profile. */
static void reduced_profile_without_secondary_is_valid(void **state)
{
	struct vmx_profile p = vmx_profiles[0];
	char err[256] = "";

	(void)state;
	p.msr[0x482 - 0x480] &= ~(1ull << 63);
	p.msr[0x48E - 0x480] &= ~(1ull << 63);
	p.msr_present[0x48B - 0x480] = false;
	p.msr_present[0x48C - 0x480] = false;
	p.msr_present[0x491 - 0x480] = false;
	/* Absent MSRs must read as 0 for code that uses vmx_cap(). */
	assert_false(vmx_profile_check(&p, err, sizeof(err)));
	assert_memory_equal(err, "§1: ", strlen("§1: "));
	p.msr[0x48B - 0x480] = p.msr[0x48C - 0x480] = p.msr[0x491 - 0x480] = 0;
	if (!vmx_profile_check(&p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_false(vmx_profile_available(&p, 0x48B));
	assert_true(vmx_profile_available(&p, 0x485));
}

/* --- the file format ------------------------------------------------- */

/* The repository's profiles/ directory, from this file's path. */
static void repo_path(char *buf, size_t len, const char *rel)
{
	const char *slash = strrchr(__FILE__, '/');
	int n = slash ? (int)(slash - __FILE__) : 1;

	snprintf(buf, len, "%.*s/../../%s", n, slash ? __FILE__ : ".", rel);
}

static void shipped_files_equal_builtins(void **state)
{
	static const char *const files[][2] = {
		{ "profiles/skylake-x.profile", "skylake-x" },
		{ "profiles/bochs-2.7.profile", "bochs-2.7" },
	};

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct vmx_profile p;
		char path[1024], err[512] = "";

		repo_path(path, sizeof(path), files[i][0]);
		if (!vmx_profile_load(path, &p, err, sizeof(err)))
			fail_msg("%s", err);
		assert_same_profile(&p, vmx_profile_find(files[i][1]));
	}
}

static char tmp_path[64];

/* Write `text` to a temporary file; tmp_path names it. */
static const char *write_tmp(const char *text)
{
	int fd;
	FILE *f;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/softvtx-profile-XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return tmp_path;
}

/* The MSR lines of §9.1 with a few spellings the format allows. */
#define GOOD_MSRS                                     \
	"0x480 = 0x00D81000_0000002B\n"               \
	"IA32_VMX_PINBASED_CTLS = 000000ff00000016\n" \
	"0x482=0xFFF9FFFE0401E172   # no spaces\n"    \
	"  0x483 =  0x407FFFFF_00036DFF  \n"          \
	"0x484 = 0x0000FFFF_000011FF\n"               \
	"0x485 = 0x600401E0\n"                        \
	"0x486 = 0x80000021\n"                        \
	"0x487 = 0xFFFFFFFF\n"                        \
	"0x488 = 0x2000\n"                            \
	"0x489 = 0x3727FF\n"                          \
	"0x48a = 0x32\n"                              \
	"0x48B = 0x02577FFF_00000000\n"               \
	"0x48C = 0x00000F01_06734141\n"               \
	"0x48D = 0x000000FF_00000016\n"               \
	"0x48E = 0xFFF9FFFE_04006172\n"               \
	"0x48F = 0x407FFFFF_00036DFB\n"               \
	"0x490 = 0x0000FFFF_000011FB\n"               \
	"0x491 = 1\n"

static void load_good_file_with_defaults(void **state)
{
	struct vmx_profile p;
	char err[512] = "";

	(void)state;
	write_tmp("# a dump\n\n" GOOD_MSRS "name = lab-box_1\nnmi_inject_sti_fails = 0\n");
	if (!vmx_profile_load(tmp_path, &p, err, sizeof(err)))
		fail_msg("%s", err);
	remove(tmp_path);
	assert_string_equal(p.name, "lab-box_1");
	for (unsigned m = 0x480; m <= 0x491; m++)
		assert_int_equal(vmx_cap(&p, m), skx_values[m - 0x480]);
	assert_false(p.msr_present[0x492 - 0x480]);
	assert_false(p.nmi_inject_sti_fails);
	/* Parameters without a line keep the reference profile's. */
	assert_int_equal(p.debugctl_valid, 0x7FC3);
	assert_int_equal(p.ar_write_mask, 0x1F0FF);
	/* Without a name line, the file's base name (tmp: softvtx-profile-*). */
	write_tmp(GOOD_MSRS);
	if (!vmx_profile_load(tmp_path, &p, err, sizeof(err)))
		fail_msg("%s", err);
	remove(tmp_path);
	assert_memory_equal(p.name, "softvtx-profile-", 16);
}

static const struct {
	const char *text;       /* appended after GOOD_MSRS */
	const char *expect;     /* substring of the error */
} bad_files[] = {
	{ "this line has no equals sign\n", ":19: expected 'KEY = VALUE'" },
	{ "frobnicate = 1\n", ":19: unknown key 'frobnicate'" },
	{ "0x494 = 0\n", ":19: unknown key '0x494'" },
	{ "0x47F = 0\n", "unknown key '0x47F'" },
	{ "0x480 = 0x2B\n", ":19: '0x480' given twice" },
	{ "0x492 = 0xzz\n", "not a hexadecimal number" },
	{ "0x492 = 0x1_0000_0000_0000_0000\n", "not a hexadecimal number" },
	{ "0x492 =\n", "not a hexadecimal number" },
	{ "name = has space\n", "invalid name" },
	{ "name = 0123456789abcdef0123456789abcdef\n", "invalid name" },
	{ "nmi_inject_sti_fails = 2\n", "0 or 1" },
	{ "ar_write_mask = 0x1_0000_0000\n", "more than 32 bits" },
	{ "0x492 = 0\n", ": §1: IA32_VMX_PROCBASED_CTLS3 (0x492) is present" },
};

static void load_bad_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		struct vmx_profile p;
		char text[2048], err[512] = "";

		snprintf(text, sizeof(text), "%s%s", GOOD_MSRS, bad_files[i].text);
		write_tmp(text);
		assert_false(vmx_profile_load(tmp_path, &p, err, sizeof(err)));
		remove(tmp_path);
		if (!strstr(err, bad_files[i].expect) || strncmp(err, tmp_path, strlen(tmp_path)))
			fail_msg("case %zu: expected '%s' in '%s'", i, bad_files[i].expect, err);
		assert_null(strchr(err, '\n'));
	}
}

/* Loading validates: a file whose TRUE_PROCBASED allowed-1 word differs
 * from PROCBASED's names INV-3. */
static void load_invariant_violation(void **state)
{
	struct vmx_profile p;
	char text[2048], err[512] = "", *at;

	(void)state;
	snprintf(text, sizeof(text), "%s", GOOD_MSRS);
	at = strstr(text, "0x48E = 0xFFF9FFFE");
	assert_non_null(at);
	memcpy(at + 8, "0xFFF9FFF6", 10);      /* drop allowed-1 bit 3 */
	write_tmp(text);
	assert_false(vmx_profile_load(tmp_path, &p, err, sizeof(err)));
	remove(tmp_path);
	assert_non_null(strstr(err, ": INV-3: IA32_VMX_TRUE_PROCBASED_CTLS"));
	/* Without 0x480 at all: §1. */
	write_tmp("0x481 = 0x000000FF_00000016\n");
	assert_false(vmx_profile_load(tmp_path, &p, err, sizeof(err)));
	remove(tmp_path);
	assert_non_null(strstr(err, ": §1: IA32_VMX_BASIC (0x480) is missing"));
	/* A missing file. */
	assert_false(vmx_profile_load("/nonexistent/x.profile", &p, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/x.profile: "));
}

/* A line longer than the format allows is one clear error. */
static void load_long_line(void **state)
{
	struct vmx_profile p;
	char text[1024], err[512] = "";

	(void)state;
	memset(text, ' ', 600);
	strcpy(text + 600, "name = x\n");
	write_tmp(text);
	assert_false(vmx_profile_load(tmp_path, &p, err, sizeof(err)));
	remove(tmp_path);
	assert_non_null(strstr(err, ":1: line longer than"));
}

/* --- RDMSR / WRMSR ----------------------------------------------------- */

static void assert_gp(struct cpu *cpu, int st)
{
	assert_int_equal(st, X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_GP);
	assert_int_equal(cpu->fault.error, 0);
}

/* §1: every capability MSR reads its profile value; 0x492/0x493 and
 * indices outside the range are #GP(0); all are read-only. */
static void rdmsr_values_and_gp(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	uint64_t v = 0, want;

	(void)state;
	if (!cpuid_has(cpu, FEAT_VMX)) {
		/* §1: without CPUID VMX none of them exists. */
		for (unsigned m = 0x480; m <= 0x493; m++) {
			assert_false(vmx_rdmsr_cap(cpu, m, &v));
			assert_gp(cpu, msr_read(cpu, m, &v));
		}
		print_message("CPUID.1:ECX.VMX = 0 in this build: values not checked\n");
		tm_free(tm);
		return;
	}
	for (unsigned m = 0x480; m <= 0x491; m++) {
		v = 0;
		assert_int_equal(msr_read(cpu, m, &v), X_OK);
		want = skx_values[m - 0x480];
		if (m == MSR_IA32_VMX_CR4_FIXED1) {
			/* §7 "CR4_FIXED1 must match CPUID": the profile's
			 * bits, less those of features CPUID does not report
			 * (softvtx has no XSAVE state: OSXSAVE is fixed 0). */
			want &= cr4_supported(cpu) | CR4_VMXE;
			assert_int_equal(v & CR4_OSXSAVE, 0);
			assert_int_equal(v & (CR4_VME | CR4_PVI | CR4_PAE | CR4_VMXE),
			                 CR4_VME | CR4_PVI | CR4_PAE | CR4_VMXE);
		}
		assert_int_equal(v, want);
		/* Readable whatever FEATURE_CONTROL holds, in or out of VMX
		 * operation. */
		cpu->vmx->op = VMX_ROOT;
		assert_true(vmx_rdmsr_cap(cpu, m, &v));
		cpu->vmx->op = VMX_OUTSIDE;
	}
	assert_gp(cpu, msr_read(cpu, 0x492, &v));
	assert_gp(cpu, msr_read(cpu, 0x493, &v));
	assert_gp(cpu, msr_read(cpu, 0x494, &v));
	assert_gp(cpu, msr_read(cpu, 0x47F, &v));
	for (unsigned m = 0x480; m <= 0x493; m++)
		assert_gp(cpu, msr_write(cpu, m, m <= 0x491 ? skx_values[m - 0x480] : 0));
	tm_free(tm);
}

/* §1 "Available when": the gate decides, not only the present flag. */
static void rdmsr_gating(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	struct vmx_profile p = vmx_profiles[0];
	uint64_t v;

	(void)state;
	/* Present flags kept, gates closed one by one. */
	p.msr[0x480 - 0x480] &= ~(1ull << 55);
	for (unsigned m = 0x48D; m <= 0x490; m++)
		assert_false(vmx_profile_available(&p, m));
	p = vmx_profiles[0];
	p.msr[0x48B - 0x480] &= ~(1ull << (32 + 13));
	assert_false(vmx_profile_available(&p, 0x491));
	p.msr[0x48B - 0x480] &= ~((1ull << (32 + 1)) | (1ull << (32 + 5)));
	assert_false(vmx_profile_available(&p, 0x48C));
	assert_true(vmx_profile_available(&p, 0x48B));
	p.msr[0x482 - 0x480] &= ~(1ull << 63);
	assert_false(vmx_profile_available(&p, 0x48B));
	/* 0x492/0x493 exist only with their gating control. */
	p = vmx_profiles[0];
	p.msr_present[0x492 - 0x480] = p.msr_present[0x493 - 0x480] = true;
	assert_false(vmx_profile_available(&p, 0x492));
	assert_false(vmx_profile_available(&p, 0x493));
	p.msr[0x482 - 0x480] |= 1ull << (32 + 17);
	p.msr[0x483 - 0x480] |= 1ull << (32 + 31);
	assert_true(vmx_profile_available(&p, 0x492));
	assert_true(vmx_profile_available(&p, 0x493));
	assert_false(vmx_profile_available(&p, 0x494));
	/* Through the CPU: a profile without secondary controls. */
	if (cpuid_has(cpu, FEAT_VMX)) {
		p = vmx_profiles[0];
		p.msr[0x482 - 0x480] &= ~(1ull << 63);
		vmx_set_profile(cpu->vmx, &p);
		assert_gp(cpu, msr_read(cpu, 0x48B, &v));
		assert_gp(cpu, msr_read(cpu, 0x48C, &v));
		assert_gp(cpu, msr_read(cpu, 0x491, &v));
		assert_int_equal(msr_read(cpu, 0x482, &v), X_OK);
		assert_int_equal(v, p.msr[0x482 - 0x480]);
	}
	tm_free(tm);
}

/* §3: lock bit, writes after lock #GP, enable bits only as advertised
 * (no SMX: bit 1 is reserved; writable mask 0x5). */
static void feature_control_rules(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	uint64_t v = 1;

	(void)state;
	assert_int_equal(msr_read(cpu, MSR_IA32_FEATURE_CONTROL, &v), X_OK);
	assert_int_equal(v, 0);
	assert_gp(cpu, msr_write(cpu, MSR_IA32_FEATURE_CONTROL, 0x2));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_FEATURE_CONTROL, 0x7));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_FEATURE_CONTROL, 1ull << 20));
	if (cpuid_has(cpu, FEAT_VMX)) {
		assert_int_equal(msr_write(cpu, MSR_IA32_FEATURE_CONTROL, 0x4), X_OK);
		assert_int_equal(msr_write(cpu, MSR_IA32_FEATURE_CONTROL, 0x5), X_OK);
		assert_gp(cpu, msr_write(cpu, MSR_IA32_FEATURE_CONTROL, 0x5));
		assert_gp(cpu, msr_write(cpu, MSR_IA32_FEATURE_CONTROL, 0x1));
		assert_int_equal(msr_read(cpu, MSR_IA32_FEATURE_CONTROL, &v), X_OK);
		assert_int_equal(v, 0x5);
	} else {
		assert_gp(cpu, msr_write(cpu, MSR_IA32_FEATURE_CONTROL, 0x5));
	}
	tm_free(tm);
}

/* --- fixed CR bits ----------------------------------------------------- */

/* §7 reference values: CR0 PE, NE, PG fixed 1, bits 63:32 fixed 0; CR4
 * VMXE fixed 1, only bits 0-10, 13, 16-18, 20, 21 may be 1. */
static void fixed_bit_predicates(void **state)
{
	const struct vmx_profile *p = skx();
	const uint64_t pe = 1, ne = 1u << 5, pg = 1u << 31, et = 1u << 4;

	(void)state;
	assert_true(vmx_cr0_fixed_ok(p, pe | ne | pg | et, false));
	assert_true(vmx_cr0_fixed_ok(p, 0xffffffffull, false));
	assert_false(vmx_cr0_fixed_ok(p, pe | pg | et, false));        /* NE = 0 */
	assert_false(vmx_cr0_fixed_ok(p, pe | ne | et, false));        /* PG = 0 */
	assert_false(vmx_cr0_fixed_ok(p, ne | pg | et, false));        /* PE = 0 */
	assert_false(vmx_cr0_fixed_ok(p, (1ull << 32) | pe | ne | pg, false));
	/* Unrestricted guest frees PE and PG, never NE. */
	assert_true(vmx_cr0_fixed_ok(p, ne | et, true));
	assert_false(vmx_cr0_fixed_ok(p, et, true));

	assert_true(vmx_cr4_fixed_ok(p, 0x2000));
	assert_true(vmx_cr4_fixed_ok(p, 0x3727FF));
	assert_false(vmx_cr4_fixed_ok(p, 0));                         /* VMXE = 0 */
	assert_false(vmx_cr4_fixed_ok(p, 0x3727FF & ~0x2000ull));       /* all but VMXE */
	for (unsigned b = 0; b < 64; b++) {
		bool may1 = b <= 10 || b == 13 || b == 16 || b == 17 || b == 18 || b == 20 || b == 21;

		assert_int_equal(vmx_cr4_fixed_ok(p, 0x2000 | (1ull << b)), may1);
	}
}

/* §11: MOV to CR0/CR4 in VMX operation keeps the fixed bits, and CR4.VMXE
 * cannot be cleared (#GP(0), register unchanged); outside VMX operation
 * the same writes are fine.  In non-root operation with unrestricted
 * guest, PE and PG may be cleared. */
static void mov_cr_in_vmx_operation(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	const uint64_t base = CR0_PE | CR0_ET | CR0_NE;

	(void)state;
	v->op = VMX_ROOT;
	assert_gp(cpu, cr_write(cpu, 0, base));                  /* PG = 0 */
	assert_int_equal(cpu->cr0, base);
	assert_int_equal(cr_write(cpu, 0, base | CR0_PG), X_OK);
	assert_gp(cpu, cr_write(cpu, 0, (base | CR0_PG) & ~CR0_NE));
	assert_gp(cpu, cr_write(cpu, 0, CR0_ET | CR0_NE));      /* PE = PG = 0 */
	/* CR4 without VMXE: #GP in VMX operation (whatever CPUID says,
	 * VMXE is fixed to 1). */
	cpu->cr4 = 0;
	assert_gp(cpu, cr_write(cpu, 4, 0));
	if (cpuid_has(cpu, FEAT_VMX)) {
		assert_int_equal(cr_write(cpu, 4, CR4_VMXE), X_OK);
		assert_gp(cpu, cr_write(cpu, 4, 0));
		assert_int_equal(cpu->cr4, CR4_VMXE);
		assert_gp(cpu, cr_write(cpu, 4, CR4_VMXE | CR4_UMIP)); /* not in FIXED1 */
	}

	/* Non-root: PE/PG exempt only with unrestricted guest active
	 * (primary bit 31 and secondary bit 7). */
	v->op = VMX_NONROOT;
	cpu->vmx_nonroot = true;
	assert_gp(cpu, cr_write(cpu, 0, CR0_ET | CR0_NE));
	v->vmcs.val[VMCS_IDX_PROC2_CONTROLS] = 1u << 7;
	assert_gp(cpu, cr_write(cpu, 0, CR0_ET | CR0_NE));      /* not activated */
	v->vmcs.val[VMCS_IDX_PROC_CONTROLS] |= 1u << 31;
	assert_gp(cpu, cr_write(cpu, 0, CR0_ET));               /* NE still fixed */
	assert_int_equal(cr_write(cpu, 0, CR0_ET | CR0_NE), X_OK);
	assert_int_equal(cpu->cr0 & (CR0_PE | CR0_PG), 0);
	assert_gp(cpu, cr_write(cpu, 4, 0));
	cpu->vmx_nonroot = false;

	/* Outside VMX operation none of this applies. */
	v->op = VMX_OUTSIDE;
	assert_int_equal(cr_write(cpu, 0, CR0_PE | CR0_ET), X_OK);
	assert_int_equal(cr_write(cpu, 4, 0), X_OK);
	tm_free(tm);
}

/* The public API: names, statuses, one-line errors, and a loaded profile
 * that lives with the handle (replaced and freed without leaks under
 * ASan). */
static void api_cpu_profile(void **state)
{
	vtx_t *vtx = NULL;
	char path[1024], err[512];

	(void)state;
	assert_string_equal(vtx_cpu_profile_name(0), "skylake-x");
	assert_string_equal(vtx_cpu_profile_name(1), "bochs-2.7");
	assert_null(vtx_cpu_profile_name(vmx_profile_count));
	assert_int_equal(vtx_open(NULL, &vtx), VTX_OK);
	assert_int_equal(vtx_set_cpu_profile(vtx, "bochs-2.7", err, sizeof(err)), VTX_OK);
	err[0] = 0;
	assert_int_equal(vtx_set_cpu_profile(vtx, "nosuch", err, sizeof(err)), VTX_ERR_INVALID_ARG);
	assert_non_null(strstr(err, "unknown CPU profile 'nosuch' (built-in: skylake-x, bochs-2.7"));
	assert_int_equal(vtx_set_cpu_profile(vtx, "/nonexistent/p.profile", err, sizeof(err)),
	                 VTX_ERR_FILE);
	repo_path(path, sizeof(path), "profiles/skylake-x.profile");
	assert_int_equal(vtx_set_cpu_profile(vtx, path, err, sizeof(err)), VTX_OK);
	repo_path(path, sizeof(path), "profiles/bochs-2.7.profile");
	assert_int_equal(vtx_set_cpu_profile(vtx, path, err, sizeof(err)), VTX_OK);
	write_tmp("0x480 = 0x00D81000_0000002B\n");
	assert_int_equal(vtx_set_cpu_profile(vtx, tmp_path, err, sizeof(err)), VTX_ERR_INVALID_ARG);
	remove(tmp_path);
	assert_non_null(strstr(err, ": §1: "));
	/* §3: only the lock bit and, with VMX, VMXON outside SMX exist. */
	assert_int_equal(vtx_set_feature_control(vtx, 0x2), VTX_ERR_INVALID_ARG);
	assert_int_equal(vtx_set_feature_control(vtx, 0x1), VTX_OK);
	assert_int_equal(vtx_set_feature_control(vtx, 0), VTX_OK);
	vtx_close(vtx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(skylake_is_default_and_matches_spec),
		cmocka_unit_test(bochs27_is_skylake_minus_its_gaps),
		cmocka_unit_test(builtins_pass_every_check),
		cmocka_unit_test(each_invariant_is_named),
		cmocka_unit_test(reduced_profile_without_secondary_is_valid),
		cmocka_unit_test(shipped_files_equal_builtins),
		cmocka_unit_test(load_good_file_with_defaults),
		cmocka_unit_test(load_bad_files),
		cmocka_unit_test(load_invariant_violation),
		cmocka_unit_test(load_long_line),
		cmocka_unit_test(rdmsr_values_and_gp),
		cmocka_unit_test(rdmsr_gating),
		cmocka_unit_test(feature_control_rules),
		cmocka_unit_test(fixed_bit_predicates),
		cmocka_unit_test(mov_cr_in_vmx_operation),
		cmocka_unit_test(api_cpu_profile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
