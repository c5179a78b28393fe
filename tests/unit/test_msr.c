/* MSRs (SDM Vol. 4 Table 2-2, Vol. 2 RDMSR/WRMSR) and the other system
 * instructions of ops_sys.c: TSC, RDTSCP, SWAPGS, RDPMC, XGETBV, INVPCID,
 * CLFLUSH, UD0/UD1/UD2.  Faulting cases decode real bytes and call the
 * handler, then look at cpu->fault; working cases run through cpu_run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <capstone/capstone.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/msr.h"
#include "cpu/ops.h"
#include "fakebus.h"

static void assert_fault(struct cpu *cpu, int st, unsigned vec)
{
	assert_int_equal(st, X_FAULT);
	assert_int_equal(cpu->fault.vector, vec);
	if (vec == EXC_GP || vec == EXC_PF)
		assert_true(cpu->fault.has_error);
	if (vec == EXC_GP)
		assert_int_equal(cpu->fault.error, 0);
}
#define assert_gp(cpu, expr) assert_fault((cpu), (expr), EXC_GP)

/* Decode `bytes` in the CPU's current code size and run only the handler
 * (the central checks are the row flags, tested separately). */
static int exec1(struct cpu *cpu, const uint8_t *bytes, size_t n)
{
	struct decoder *d = decode_new();
	struct insn in;
	int st;

	assert_non_null(d);
	assert_int_equal(decode_one(d, bytes, n, cpu->code_size, &in), DEC_OK);
	st = in.fn(cpu, &in);
	decode_free(d);
	return st;
}

static void set_cpl3(struct cpu *cpu)
{
	cpu->seg[SEG_CS].attr |= SEG_DPL_MASK;
	cpu->seg[SEG_SS].attr |= SEG_DPL_MASK;
	cpu_update_mode(cpu);
	assert_int_equal(cpu->cpl, 3);
}

static uint64_t rd(struct cpu *cpu, uint32_t idx)
{
	uint64_t v = 0;

	assert_int_equal(msr_read(cpu, idx, &v), X_OK);
	return v;
}

static void round_trips(void **state)
{
	static const struct { uint32_t idx; uint64_t v; } t[] = {
		{ MSR_IA32_STAR, 0x0023001000000000ull },
		{ MSR_IA32_LSTAR, 0xffffffff81000000ull },
		{ MSR_IA32_CSTAR, 0x00007fffffff0000ull },
		{ MSR_IA32_FMASK, 0x47700 },
		{ MSR_IA32_FS_BASE, 0x00007f0012345000ull },
		{ MSR_IA32_GS_BASE, 0xffff888000000000ull },
		{ MSR_IA32_KERNEL_GS_BASE, 0x1000 },
		{ MSR_IA32_SYSENTER_CS, 0x10 },
		{ MSR_IA32_SYSENTER_ESP, 0xffff800000001000ull },
		{ MSR_IA32_SYSENTER_EIP, 0xffff800000002000ull },
		{ MSR_IA32_PAT, 0x0007010600070106ull },
		{ MSR_IA32_MTRR_DEF_TYPE, 0x806 },
		{ MSR_IA32_APIC_BASE, 0xfec00800ull | APIC_BASE_BSP },
		{ MSR_IA32_TSC_AUX, 0xdeadbeef },
		{ MSR_IA32_EFER, EFER_LME | EFER_LMA | EFER_NXE },
		{ MSR_IA32_MISC_ENABLE, (1ull << 11) | (1ull << 12) },
	};
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(msr_write(tm->cpu, t[i].idx, t[i].v), X_OK);
		assert_int_equal(rd(tm->cpu, t[i].idx), t[i].v);
	}
	/* The segment caches follow the base MSRs. */
	assert_int_equal(tm->cpu->seg[SEG_FS].base, 0x00007f0012345000ull);
	assert_int_equal(tm->cpu->seg[SEG_GS].base, 0xffff888000000000ull);
	tm_free(tm);
}

static void reserved_and_unknown_gp(void **state)
{
	/* 0x494: just past the VMX capability MSRs 0x480-0x493, which exist
	 * with VMX (test_vmx_profile.c). */
	static const uint32_t unknown[] = {
		0x0, 0x1, 0x8b, 0x200, 0x250, 0x494, 0xc0000104, 0x40000000, 0xffffffff,
	};
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_gp(cpu, msr_read(cpu, unknown[i], &v));
		assert_gp(cpu, msr_write(cpu, unknown[i], 0));
	}
	/* Canonical addresses only. */
	assert_gp(cpu, msr_write(cpu, MSR_IA32_LSTAR, 0x0000800000000000ull));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_CSTAR, 0x8000000000000000ull));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_FS_BASE, 0x0001000000000000ull));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_GS_BASE, 0xfff0000000000000ull));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_KERNEL_GS_BASE, 0x0000800000000000ull));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_SYSENTER_EIP, 0x0000800000000000ull));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_SYSENTER_ESP, 0x0000800000000000ull));
	assert_int_equal(cpu->seg[SEG_FS].base, 0);
	/* PAT: types 2 and 3 and anything above 7 are reserved. */
	assert_gp(cpu, msr_write(cpu, MSR_IA32_PAT, 0x0007040600070402ull));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_PAT, 0x0307040600070406ull));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_PAT, 0x0807040600070406ull));
	assert_int_equal(rd(cpu, MSR_IA32_PAT), 0x0007040600070406ull);
	/* MTRR default type: UC- (7) is PAT-only; FE is reserved with FIX = 0. */
	assert_gp(cpu, msr_write(cpu, MSR_IA32_MTRR_DEF_TYPE, 0x807));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_MTRR_DEF_TYPE, 0xc06));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_MTRR_DEF_TYPE, 1ull << 12));
	/* MTRRcap is read-only and reports no ranges. */
	assert_int_equal(rd(cpu, MSR_IA32_MTRRCAP), 0);
	assert_gp(cpu, msr_write(cpu, MSR_IA32_MTRRCAP, 0));
	/* TSC_AUX and FMASK have reserved upper halves. */
	assert_gp(cpu, msr_write(cpu, MSR_IA32_TSC_AUX, 1ull << 32));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_FMASK, 1ull << 32));
	/* APIC base: above MAXPHYADDR, x2APIC enable (not reported), bit 9. */
	assert_gp(cpu, msr_write(cpu, MSR_IA32_APIC_BASE, 1ull << CPU_MAXPHYADDR));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_APIC_BASE, 0xfee00000ull | (1ull << 10)));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_APIC_BASE, 0xfee00000ull | (1ull << 9)));
	/* BSP is read-only: writing 0 keeps it. */
	assert_int_equal(msr_write(cpu, MSR_IA32_APIC_BASE, 0xfee00800ull), X_OK);
	assert_int_equal(rd(cpu, MSR_IA32_APIC_BASE), 0xfee00900ull);
	/* MISC_ENABLE: only fast strings may change. */
	assert_gp(cpu, msr_write(cpu, MSR_IA32_MISC_ENABLE, (1ull << 11) | (1ull << 12) | (1ull << 22)));
	assert_int_equal(msr_write(cpu, MSR_IA32_MISC_ENABLE, (1ull << 11) | (1ull << 12) | 1), X_OK);
	tm_free(tm);
}

/* Vol. 4 Table 2-2: after the lock bit is set, writes are #GP until reset. */
static void feature_control_lock(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	assert_int_equal(rd(cpu, MSR_IA32_FEATURE_CONTROL), 0);
	/* VMX is not reported yet, so its enable bits are reserved. */
	if (!cpuid_has(cpu, FEAT_VMX))
		assert_gp(cpu, msr_write(cpu, MSR_IA32_FEATURE_CONTROL, FEATURE_CONTROL_VMX_OUTSIDE));
	assert_int_equal(msr_write(cpu, MSR_IA32_FEATURE_CONTROL, 0), X_OK);
	assert_int_equal(msr_write(cpu, MSR_IA32_FEATURE_CONTROL, FEATURE_CONTROL_LOCK), X_OK);
	assert_int_equal(rd(cpu, MSR_IA32_FEATURE_CONTROL), FEATURE_CONTROL_LOCK);
	assert_gp(cpu, msr_write(cpu, MSR_IA32_FEATURE_CONTROL, FEATURE_CONTROL_LOCK));
	assert_gp(cpu, msr_write(cpu, MSR_IA32_FEATURE_CONTROL, 0));
	assert_int_equal(rd(cpu, MSR_IA32_FEATURE_CONTROL), FEATURE_CONTROL_LOCK);
	cpu_reset(cpu);
	assert_int_equal(rd(cpu, MSR_IA32_FEATURE_CONTROL), 0);
	tm_free(tm);
}

/* WRMSR then RDMSR as instructions: EDX:EAX, upper halves cleared. */
static void rdmsr_wrmsr_instructions(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = {
		0xb9, 0x82, 0x00, 0x00, 0xc0,        /* mov ecx, 0xc0000082 (LSTAR) */
		0x48, 0xc7, 0xc0, 0x00, 0x10, 0x00, 0x81, /* mov rax, 0xffffffff81001000 */
		0x48, 0xc7, 0xc2, 0xff, 0xff, 0xff, 0xff, /* mov rdx, -1 */
		0x0f, 0x30,                          /* wrmsr */
		0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, /* mov rax, -1 */
		0x48, 0xc7, 0xc2, 0xff, 0xff, 0xff, 0xff, /* mov rdx, -1 */
		0x0f, 0x32,                          /* rdmsr */
		0xf4,
	};

	(void)state;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 20), STOP_HALT);
	assert_int_equal(tm->cpu->lstar, 0xffffffff81001000ull);
	assert_int_equal(tm->cpu->gpr[R_RAX], 0x81001000u);
	assert_int_equal(tm->cpu->gpr[R_RDX], 0xffffffffu);
	tm_free(tm);
}

/* Row flags: RDMSR/WRMSR are CPL 0 only and WRMSR ends the block. */
static void row_flags(void **state)
{
	(void)state;
	assert_true(optable_lookup(X86_INS_RDMSR)->flags & F_CPL0);
	assert_true(optable_lookup(X86_INS_WRMSR)->flags & F_CPL0);
	assert_true(optable_lookup(X86_INS_WRMSR)->flags & F_ENDBLK);
	assert_true(optable_lookup(X86_INS_INVLPG)->flags & F_CPL0);
	assert_true(optable_lookup(X86_INS_WBINVD)->flags & F_CPL0);
	assert_true(optable_lookup(X86_INS_INVD)->flags & F_CPL0);
	assert_true(optable_lookup(X86_INS_CLTS)->flags & F_CPL0);
	assert_true(optable_lookup(X86_INS_LMSW)->flags & F_CPL0);
	assert_true(optable_lookup(X86_INS_HLT)->flags & F_CPL0);
	assert_false(optable_lookup(X86_INS_SMSW)->flags & F_CPL0);
	assert_false(optable_lookup(X86_INS_RDTSC)->flags & F_CPL0);
	assert_true(optable_lookup(X86_INS_CPUID)->flags & F_VMX_EXIT);
}

/* The TSC is the cycle counter plus the offset a write establishes. */
static void tsc_write_and_read(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = {
		0x0f, 0x31,                          /* rdtsc */
		0x89, 0xc3,                          /* mov ebx, eax */
		0x0f, 0x31,                          /* rdtsc */
		0xf4,
	};

	(void)state;
	assert_int_equal(msr_write(cpu, MSR_IA32_TSC, 0x123456789ull), X_OK);
	assert_int_equal(rd(cpu, MSR_IA32_TSC), 0x123456789ull);
	cpu->cycles += 1000;
	assert_int_equal(rd(cpu, MSR_IA32_TSC), 0x123456789ull + 1000);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	/* Between the two reads the first RDTSC and the MOV retired, and the
	 * TSC advanced by exactly their charge; the second read is the cycle
	 * count at that point (before its own charge and HLT's) plus the
	 * offset. */
	{
		unsigned c_rdtsc = optable_lookup(X86_INS_RDTSC)->cost;
		unsigned c_mov = optable_lookup(X86_INS_MOV)->cost;
		unsigned c_hlt = optable_lookup(X86_INS_HLT)->cost;
		uint64_t second = cpu->cycles - c_rdtsc - c_hlt + cpu->tsc_offset;

		assert_true(cpu->gpr[R_RBX] >= 0x23456789u + 1000);
		assert_int_equal(cpu->gpr[R_RAX] - cpu->gpr[R_RBX], c_rdtsc + c_mov);
		assert_int_equal(cpu->gpr[R_RAX], (uint32_t)second);
		assert_int_equal(cpu->gpr[R_RDX], second >> 32);
		assert_int_equal(cpu->gpr[R_RDX], 1);
	}
	tm_free(tm);
}

/* SDM Vol. 2 RDTSC: #GP(0) when CR4.TSD = 1 and CPL > 0. */
static void rdtsc_tsd(void **state)
{
	static const uint8_t rdtsc[] = { 0x0f, 0x31 }, rdtscp[] = { 0x0f, 0x01, 0xf9 };
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->cr4 |= CR4_TSD;
	assert_int_equal(exec1(cpu, rdtsc, sizeof(rdtsc)), X_OK);
	set_cpl3(cpu);
	assert_gp(cpu, exec1(cpu, rdtsc, sizeof(rdtsc)));
	assert_gp(cpu, exec1(cpu, rdtscp, sizeof(rdtscp)));
	cpu->cr4 &= ~CR4_TSD;
	cpu->gpr[R_RCX] = ~0ull;
	cpu->tsc_aux = 0x42;
	assert_int_equal(exec1(cpu, rdtscp, sizeof(rdtscp)), X_OK);
	assert_int_equal(cpu->gpr[R_RCX], 0x42);
	tm_free(tm);
}

static void swapgs_rules(void **state)
{
	static const uint8_t swapgs[] = { 0x0f, 0x01, 0xf8 };
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->seg[SEG_GS].base = 0x1111;
	cpu->kernel_gs_base = 0x2222;
	assert_int_equal(exec1(cpu, swapgs, sizeof(swapgs)), X_OK);
	assert_int_equal(cpu->seg[SEG_GS].base, 0x2222);
	assert_int_equal(cpu->kernel_gs_base, 0x1111);
	set_cpl3(cpu);
	assert_gp(cpu, exec1(cpu, swapgs, sizeof(swapgs)));
	/* Compatibility mode: #UD, which outranks the CPL check. */
	cpu->seg[SEG_CS].attr &= ~SEG_L;
	cpu->seg[SEG_CS].attr |= SEG_DB;
	cpu_update_mode(cpu);
	assert_int_equal(cpu->mode, MODE_COMPAT);
	assert_fault(cpu, exec1(cpu, swapgs, sizeof(swapgs)), EXC_UD);
	assert_int_equal(cpu->seg[SEG_GS].base, 0x2222);
	tm_free(tm);
}

/* UD0, UD1, UD2 are the architectural #UD, not "unimplemented"; RDPMC has
 * no counters; XGETBV needs CR4.OSXSAVE, which cannot be set. */
static void deliberate_faults(void **state)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b }, ud1[] = { 0x0f, 0xb9, 0xc0 },
	                     ud0[] = { 0x0f, 0xff, 0xc0 }, rdpmc[] = { 0x0f, 0x33 },
	                     xgetbv[] = { 0x0f, 0x01, 0xd0 }, xsetbv[] = { 0x0f, 0x01, 0xd1 };
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	assert_fault(cpu, exec1(cpu, ud2, sizeof(ud2)), EXC_UD);
	assert_fault(cpu, exec1(cpu, ud1, sizeof(ud1)), EXC_UD);
	assert_fault(cpu, exec1(cpu, ud0, sizeof(ud0)), EXC_UD);
	assert_gp(cpu, exec1(cpu, rdpmc, sizeof(rdpmc)));
	assert_fault(cpu, exec1(cpu, xgetbv, sizeof(xgetbv)), EXC_UD);
	assert_fault(cpu, exec1(cpu, xsetbv, sizeof(xsetbv)), EXC_UD);
	assert_int_equal(cpu->unimpl_mnemonic[0], 0);
	tm_free(tm);
}

/* Hint instructions that must simply retire: fences, prefetches, PAUSE,
 * the long NOPs and ENDBR64, WBINVD, CLFLUSH of a mapped line. */
static void hints_retire(void **state)
{
	static const uint8_t code[] = {
		0x0f, 0xae, 0xe8,                          /* lfence */
		0x0f, 0xae, 0xf0,                          /* mfence */
		0x0f, 0xae, 0xf8,                          /* sfence */
		0x0f, 0x18, 0x00,                          /* prefetchnta [rax] */
		0x0f, 0x18, 0x08,                          /* prefetcht0 [rax] */
		0x0f, 0x0d, 0x08,                          /* prefetchw [rax] */
		0xf3, 0x90,                                /* pause */
		0x0f, 0x1f, 0x44, 0x00, 0x00,              /* nop dword [rax+rax] */
		0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0,     /* nop word [rax+rax+0] */
		0xf3, 0x0f, 0x1e, 0xfa,                    /* endbr64 */
		0x0f, 0x09,                                /* wbinvd */
		0x0f, 0xae, 0x3b,                          /* clflush [rbx] */
		0x66, 0x0f, 0xae, 0x3b,                    /* clflushopt [rbx] */
		0x0f, 0x01, 0x3b,                          /* invlpg [rbx] */
		0x0f, 0x1f, 0xc0,                          /* nop eax (Capstone rejects it) */
		0x66, 0x0f, 0x1f, 0xc3,                    /* nop bx */
		0x49, 0x0f, 0x1d, 0xc7,                    /* reserved NOP r15 */
		0x0f, 0x18, 0xe0,                          /* 0F 18 /4: reserved NOP */
		0xf4,
	};
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	tm->cpu->gpr[R_RAX] = 0xdead000000000000ull;  /* prefetch never faults */
	tm->cpu->gpr[R_RBX] = TM_DATA;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 30), STOP_HALT);
	assert_int_equal(tm->cpu->icount, 19);
	assert_int_equal(tm->cpu->rip, TM_CODE + sizeof(code));
	tm_free(tm);
}

/* CLFLUSH checks the address like a read: non-canonical is #GP, an
 * unmapped page is #PF (SDM Vol. 2 CLFLUSH). */
static void clflush_faults(void **state)
{
	static const uint8_t clflush[] = { 0x0f, 0xae, 0x3b };  /* clflush [rbx] */
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->gpr[R_RBX] = 0x0000800000000000ull;
	assert_gp(cpu, exec1(cpu, clflush, sizeof(clflush)));
	cpu->gpr[R_RBX] = 0x40000000;   /* beyond the fixture's 1 GiB map */
	assert_fault(cpu, exec1(cpu, clflush, sizeof(clflush)), EXC_PF);
	assert_int_equal(cpu->fault.error, 0);
	assert_int_equal(cpu->fault.cr2, 0x40000000);
	tm_free(tm);
}

/* INVPCID (SDM Vol. 2): descriptor and type checks. */
static void invpcid_checks(void **state)
{
	/* invpcid rcx, [rbx] */
	static const uint8_t invpcid[] = { 0x66, 0x0f, 0x38, 0x82, 0x0b };
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->gpr[R_RBX] = TM_DATA;
	tm_write(tm, TM_DATA, 8, 0);
	tm_write(tm, TM_DATA + 8, 8, 0x1000);
	for (uint64_t type = 0; type <= 3; type++) {
		cpu->gpr[R_RCX] = type;
		assert_int_equal(exec1(cpu, invpcid, sizeof(invpcid)), X_OK);
	}
	cpu->gpr[R_RCX] = 4;
	assert_gp(cpu, exec1(cpu, invpcid, sizeof(invpcid)));
	/* Descriptor bits 63:12 are reserved. */
	cpu->gpr[R_RCX] = 2;
	tm_write(tm, TM_DATA, 8, 0x1000);
	assert_gp(cpu, exec1(cpu, invpcid, sizeof(invpcid)));
	/* Types 0/1 with PCID != 0 need CR4.PCIDE. */
	tm_write(tm, TM_DATA, 8, 5);
	cpu->gpr[R_RCX] = 1;
	assert_gp(cpu, exec1(cpu, invpcid, sizeof(invpcid)));
	cpu->gpr[R_RCX] = 2;
	assert_int_equal(exec1(cpu, invpcid, sizeof(invpcid)), X_OK);
	/* Type 0 with a non-canonical address. */
	tm_write(tm, TM_DATA, 8, 0);
	tm_write(tm, TM_DATA + 8, 8, 0x0000800000000000ull);
	cpu->gpr[R_RCX] = 0;
	assert_gp(cpu, exec1(cpu, invpcid, sizeof(invpcid)));
	/* CPL 3: #GP(0). */
	tm_write(tm, TM_DATA + 8, 8, 0);
	set_cpl3(cpu);
	assert_gp(cpu, exec1(cpu, invpcid, sizeof(invpcid)));
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trips),
		cmocka_unit_test(reserved_and_unknown_gp),
		cmocka_unit_test(feature_control_lock),
		cmocka_unit_test(rdmsr_wrmsr_instructions),
		cmocka_unit_test(row_flags),
		cmocka_unit_test(tsc_write_and_read),
		cmocka_unit_test(rdtsc_tsd),
		cmocka_unit_test(swapgs_rules),
		cmocka_unit_test(deliberate_faults),
		cmocka_unit_test(hints_retire),
		cmocka_unit_test(clflush_faults),
		cmocka_unit_test(invpcid_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
