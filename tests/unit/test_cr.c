/* Control-register, debug-register and EFER writes: every check of SDM
 * Vol. 3A §2.5, §4.1, §9.8.5 and Vol. 2 "MOV—Move to/from Control
 * Registers" / "MOV—Move to/from Debug Registers", plus CLTS, LMSW, SMSW.
 * Faulting cases call the handlers directly and look at cpu->fault and
 * the state they must leave unchanged; working cases also run real
 * instruction bytes through cpu_run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "cpu/access.h"
#include "cpu/cpuid.h"
#include "cpu/cr.h"
#include "cpu/insn.h"
#include "cpu/mmu.h"
#include "fakebus.h"

static void assert_fault(struct cpu *cpu, int st, unsigned vec)
{
	assert_int_equal(st, X_FAULT);
	assert_int_equal(cpu->fault.vector, vec);
	if (vec == EXC_GP) {
		assert_true(cpu->fault.has_error);
		assert_int_equal(cpu->fault.error, 0);
	}
}
#define assert_gp(cpu, expr) assert_fault((cpu), (expr), EXC_GP)

static void set_cpl3(struct cpu *cpu)
{
	cpu->seg[SEG_CS].attr |= SEG_DPL_MASK;
	cpu->seg[SEG_SS].attr |= SEG_DPL_MASK;
	cpu_update_mode(cpu);
	assert_int_equal(cpu->cpl, 3);
}

/* A MOV CR/DR record as the decoder builds it. */
static struct insn mov_insn(unsigned k0, unsigned r0, unsigned k1, unsigned r1)
{
	struct insn in;

	memset(&in, 0, sizeof(in));
	in.nops = 2;
	in.len = 3;
	in.op[0].kind = (uint8_t)k0;
	in.op[0].reg = (uint8_t)r0;
	in.op[1].kind = (uint8_t)k1;
	in.op[1].reg = (uint8_t)r1;
	return in;
}

/* Identity-map the first 1 GiB with 2M pages for 4-level paging, as the
 * fixture does for TM_LONG64. */
static void build_pml4(struct tm *tm)
{
	tm_write(tm, 0x10000, 8, 0x11000 | PTE_P | PTE_W);
	tm_write(tm, 0x11000, 8, 0x12000 | PTE_P | PTE_W);
	for (uint64_t i = 0; i < 512; i++)
		tm_write(tm, 0x12000 + 8 * i, 8, (i << 21) | PTE_P | PTE_W | PTE_PS);
}

/* --- CR0 ---------------------------------------------------------------- */

static void cr0_high_bits_gp(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	uint64_t cr0 = tm->cpu->cr0;

	(void)state;
	assert_gp(tm->cpu, cr_write(tm->cpu, 0, cr0 | (1ull << 32)));
	assert_gp(tm->cpu, cr_write(tm->cpu, 0, cr0 | (1ull << 63)));
	assert_int_equal(tm->cpu->cr0, cr0);
	tm_free(tm);
}

static void cr0_reserved_low_bits_ignored(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);

	(void)state;
	/* §2.5: bits 6-15, 17, 19-28 are reserved and ignore writes; ET is
	 * hard-wired to 1 since the P6 family. */
	assert_int_equal(cr_write(tm->cpu, 0, CR0_PE | (1u << 6) | (1u << 17) | (1u << 28)), X_OK);
	assert_int_equal(tm->cpu->cr0, CR0_PE | CR0_ET);
	tm_free(tm);
}

static void cr0_pg_without_pe_gp(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	uint64_t cr0 = tm->cpu->cr0;

	(void)state;
	assert_gp(tm->cpu, cr_write(tm->cpu, 0, (cr0 & ~CR0_PE) | CR0_PG));
	assert_int_equal(tm->cpu->cr0, cr0);
	tm_free(tm);
}

static void cr0_nw_without_cd_gp(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	uint64_t cr0 = tm->cpu->cr0;

	(void)state;
	assert_gp(tm->cpu, cr_write(tm->cpu, 0, cr0 | CR0_NW));
	assert_int_equal(cr_write(tm->cpu, 0, cr0 | CR0_NW | CR0_CD), X_OK);
	assert_int_equal(tm->cpu->cr0, cr0 | CR0_NW | CR0_CD);
	tm_free(tm);
}

static void cr0_clear_pg_in_64bit_mode_gp(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	uint64_t cr0 = tm->cpu->cr0;

	(void)state;
	assert_gp(tm->cpu, cr_write(tm->cpu, 0, cr0 & ~CR0_PG));
	assert_int_equal(tm->cpu->cr0, cr0);
	assert_true(tm->cpu->efer & EFER_LMA);
	assert_int_equal(tm->cpu->mode, MODE_LONG);
	tm_free(tm);
}

/* §9.8.5: CR0.PG = 1 with EFER.LME = 1 activates IA-32e mode (LMA = 1);
 * clearing PG from compatibility mode deactivates it. */
static void lma_follows_pg_and_lme(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	build_pml4(tm);
	assert_int_equal(cr_write(cpu, 3, 0x10000), X_OK);
	assert_int_equal(efer_write(cpu, EFER_LME), X_OK);
	assert_false(cpu->efer & EFER_LMA);
	/* PG with LME but PAE = 0 is #GP. */
	assert_gp(cpu, cr_write(cpu, 0, cpu->cr0 | CR0_PG));
	assert_false(cpu->cr0 & CR0_PG);
	assert_int_equal(cr_write(cpu, 4, CR4_PAE), X_OK);
	/* PG from a code segment with L = 1 is #GP. */
	cpu->seg[SEG_CS].attr |= SEG_L;
	assert_gp(cpu, cr_write(cpu, 0, cpu->cr0 | CR0_PG));
	assert_false(cpu->efer & EFER_LMA);
	cpu->seg[SEG_CS].attr &= ~SEG_L;
	assert_int_equal(cr_write(cpu, 0, cpu->cr0 | CR0_PG), X_OK);
	assert_true(cpu->efer & EFER_LMA);
	assert_int_equal(cpu->mode, MODE_COMPAT);
	assert_true(cpu->paging);
	/* The identity map is in use: a translation goes through it. */
	{
		uint64_t gpa = 0;

		assert_int_equal(mmu_translate(cpu, 0x345678, ACC_READ, 0, &gpa), X_OK);
		assert_int_equal(gpa, 0x345678);
		assert_int_equal(tm_read(tm, 0x12008, 8) & PTE_A, PTE_A);
	}
	/* LME cannot change while paging is on. */
	assert_gp(cpu, efer_write(cpu, 0));
	/* Clearing PAE in IA-32e mode is #GP. */
	assert_gp(cpu, cr_write(cpu, 4, 0));
	/* Leaving: clear PG from compatibility mode. */
	assert_int_equal(cr_write(cpu, 0, cpu->cr0 & ~CR0_PG), X_OK);
	assert_false(cpu->efer & EFER_LMA);
	assert_true(cpu->efer & EFER_LME);
	assert_int_equal(cpu->mode, MODE_PROT);
	assert_false(cpu->paging);
	tm_free(tm);
}

/* --- CR3 ---------------------------------------------------------------- */

static void cr3_above_maxphyaddr_gp_in_long_mode(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	assert_gp(tm->cpu, cr_write(tm->cpu, 3, 1ull << CPU_MAXPHYADDR));
	/* PCIDE = 0: bit 63 is reserved. */
	assert_gp(tm->cpu, cr_write(tm->cpu, 3, (1ull << 63) | 0x10000));
	assert_int_equal(tm->cpu->cr3, 0x10000);
	/* The highest legal address bit is fine. */
	assert_int_equal(cr_write(tm->cpu, 3, (1ull << (CPU_MAXPHYADDR - 1)) | 0x10000), X_OK);
	tm_free(tm);
}

/* §4.4.1: loading CR3 in PAE paging mode checks the four PDPTEs. */
static void pae_pdpte_reserved_bits_gp(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	/* Good PDPT at 0x20000 (one present entry), bad one at 0x20020. */
	tm_write(tm, 0x20000, 8, 0x30000 | PTE_P);
	tm_write(tm, 0x20020, 8, 0x30000 | PTE_P | PTE_W);        /* bit 1 reserved */
	tm_write(tm, 0x20040, 8, PTE_W | (1ull << 5));             /* not present: fine */
	tm_write(tm, 0x20060, 8, 0x30000 | PTE_P | (1ull << 45)); /* above MAXPHYADDR */
	assert_int_equal(cr_write(cpu, 4, CR4_PAE), X_OK);
	assert_int_equal(cr_write(cpu, 3, 0x20020), X_OK);         /* paging off: no check */
	/* Enabling paging loads the PDPTEs: #GP. */
	assert_gp(cpu, cr_write(cpu, 0, cpu->cr0 | CR0_PG));
	assert_false(cpu->cr0 & CR0_PG);
	assert_int_equal(cr_write(cpu, 3, 0x20000), X_OK);
	assert_int_equal(cr_write(cpu, 0, cpu->cr0 | CR0_PG), X_OK);
	assert_gp(cpu, cr_write(cpu, 3, 0x20020));
	assert_gp(cpu, cr_write(cpu, 3, 0x20060));
	assert_int_equal(cpu->cr3, 0x20000);
	assert_int_equal(cr_write(cpu, 3, 0x20040), X_OK);
	/* A CR4 write that changes PGE (or PSE, SMEP) reloads them too; one
	 * that changes nothing paging-related does not. */
	tm_write(tm, 0x20040, 8, 0x30000 | PTE_P | (1ull << 5));   /* A is reserved here */
	assert_gp(cpu, cr_write(cpu, 4, cpu->cr4 | CR4_PGE));
	assert_false(cpu->cr4 & CR4_PGE);
	assert_int_equal(cr_write(cpu, 4, cpu->cr4 | CR4_TSD), X_OK);
	tm_free(tm);
}

/* --- CR4 ---------------------------------------------------------------- */

static void cr4_unreported_bits_gp(void **state)
{
	static const uint64_t bad[] = {
		CR4_UMIP, CR4_LA57, CR4_SMXE, CR4_FSGSBASE,
		CR4_OSXSAVE, CR4_PKE, 1ull << 15, 1ull << 19, 1ull << 23, 1ull << 24, 1ull << 32,
		1ull << 63,
	};
	struct tm *tm = tm_new(TM_PROT32);
	uint64_t cr4 = tm->cpu->cr4;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_gp(tm->cpu, cr_write(tm->cpu, 4, bad[i]));
		assert_int_equal(tm->cpu->cr4, cr4);
	}
	if (!cpuid_has(tm->cpu, FEAT_SMAP))
		assert_gp(tm->cpu, cr_write(tm->cpu, 4, CR4_SMAP));
	if (!cpuid_has(tm->cpu, FEAT_VMX))
		assert_gp(tm->cpu, cr_write(tm->cpu, 4, CR4_VMXE));
	/* Reported features can be set. */
	assert_int_equal(cr_write(tm->cpu, 4, CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE |
	                                      CR4_PCE | CR4_TSD | CR4_OSFXSR | CR4_OSXMMEXCPT |
	                                      CR4_SMEP),
	                 X_OK);
	/* SDM Vol. 3A §2.5: VME and PVI exist with CPUID.01H:EDX.VME[bit 1]. */
	assert_true(cpuid_has(tm->cpu, FEAT_VME));
	assert_int_equal(cr_write(tm->cpu, 4, CR4_VME | CR4_PVI), X_OK);
	assert_int_equal(tm->cpu->cr4, CR4_VME | CR4_PVI);
	tm_free(tm);
}

/* §4.10.1: PCIDE 0 -> 1 only in IA-32e mode with CR3[11:0] = 0. */
static void cr4_pcide_rules(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct tm *lm = tm_new(TM_LONG64);
	struct cpu *cpu = lm->cpu;

	(void)state;
	assert_gp(tm->cpu, cr_write(tm->cpu, 4, CR4_PCIDE));
	assert_int_equal(cr_write(cpu, 3, 0x10008), X_OK);  /* PWT: CR3[11:0] != 0 */
	assert_gp(cpu, cr_write(cpu, 4, cpu->cr4 | CR4_PCIDE));
	assert_int_equal(cr_write(cpu, 3, 0x10000), X_OK);
	assert_int_equal(cr_write(cpu, 4, cpu->cr4 | CR4_PCIDE), X_OK);
	/* With PCIDE, CR3 bit 63 is the no-flush hint and is not stored;
	 * bits 11:0 are the PCID. */
	assert_int_equal(cr_write(cpu, 3, (1ull << 63) | 0x10005), X_OK);
	assert_int_equal(cpu->cr3, 0x10005);
	/* Clearing PCIDE is always allowed. */
	assert_int_equal(cr_write(cpu, 4, cpu->cr4 & ~CR4_PCIDE), X_OK);
	tm_free(tm);
	tm_free(lm);
}

/* §4.10.4.1: changing a paging bit of CR4 flushes the TLB. */
static void cr4_paging_bit_flushes_tlb(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	uint64_t gla = TM_DATA;
	uint64_t v;

	(void)state;
	assert_int_equal(access_lin_read(cpu, gla, 8, &v), X_OK);
	assert_int_equal(cpu->tlb[MMU_SUPER][TLB_READ][tlb_index(gla)].tag, gla);
	assert_int_equal(cr_write(cpu, 4, cpu->cr4 | CR4_PGE), X_OK);
	assert_int_equal(cpu->tlb[MMU_SUPER][TLB_READ][tlb_index(gla)].tag, TLB_INVALID);
	tm_free(tm);
}

/* --- CR2, CR8, and MOV CR itself ------------------------------------------ */

static void cr8_and_cr2(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	assert_gp(tm->cpu, cr_write(tm->cpu, 8, 0x10));
	assert_int_equal(cr_write(tm->cpu, 8, 0xf), X_OK);
	assert_int_equal(tm->cpu->cr8, 0xf);
	assert_int_equal(cr_write(tm->cpu, 2, 0xdeadbeefcafef00dull), X_OK);
	assert_int_equal(tm->cpu->cr2, 0xdeadbeefcafef00dull);
	tm_free(tm);
}

static void mov_cr_ud_before_gp(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const unsigned missing[] = { 1, 5, 6, 7, 9, 15 };

	(void)state;
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		struct insn w = mov_insn(OPK_CR, missing[i], OPK_REG, R_RAX);
		struct insn r = mov_insn(OPK_REG, R_RAX, OPK_CR, missing[i]);

		assert_fault(cpu, cr_mov(cpu, &w), EXC_UD);
		assert_fault(cpu, cr_mov(cpu, &r), EXC_UD);
	}
	set_cpl3(cpu);
	{
		struct insn r = mov_insn(OPK_REG, R_RAX, OPK_CR, 0);
		struct insn u = mov_insn(OPK_REG, R_RAX, OPK_CR, 5);

		cpu->gpr[R_RAX] = 0x1234;
		assert_gp(cpu, cr_mov(cpu, &r));
		assert_int_equal(cpu->gpr[R_RAX], 0x1234);
		assert_fault(cpu, cr_mov(cpu, &u), EXC_UD);
	}
	tm_free(tm);
}

/* MOV CR in 64-bit mode moves 64 bits whatever REX.W says; CR8 is reached
 * with REX.R.  Runs real bytes. */
static void mov_cr_runs_in_long_mode(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = {
		0x48, 0xc7, 0xc0, 0x07, 0x00, 0x00, 0x00,  /* mov rax, 7 */
		0x44, 0x0f, 0x22, 0xc0,                    /* mov cr8, rax */
		0x44, 0x0f, 0x20, 0xc1,                    /* mov rcx, cr8 */
		0x0f, 0x20, 0xda,                          /* mov rdx, cr3 */
		0x0f, 0x20, 0xc3,                          /* mov rbx, cr0 */
		0xf4,
	};

	(void)state;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 20), STOP_HALT);
	assert_int_equal(tm->cpu->cr8, 7);
	assert_int_equal(tm->cpu->gpr[R_RCX], 7);
	assert_int_equal(tm->cpu->gpr[R_RDX], 0x10000);
	assert_int_equal(tm->cpu->gpr[R_RBX], tm->cpu->cr0);
	assert_true(tm->cpu->gpr[R_RBX] & CR0_PG);
	tm_free(tm);
}

/* Real mode is CPL 0: MOV CR is allowed, and with it the way into
 * protected mode. */
static void mov_cr_in_real_mode(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	static const uint8_t code[] = {
		0x0f, 0x20, 0xc0,        /* mov eax, cr0 */
		0x66, 0x89, 0xc3,        /* mov ebx, eax */
		0x0f, 0x20, 0xe1,        /* mov ecx, cr4 */
		0xf4,
	};

	(void)state;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	/* Reset value: CD | NW | ET (SDM Vol. 3A Table 9-1). */
	assert_int_equal(tm->cpu->gpr[R_RBX], 0x60000010u);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0);
	tm_free(tm);
}

/* Setting CR0.PE from real mode enters protected mode (SDM Vol. 3A
 * §9.9.1); the segment caches keep their real-mode contents until
 * reloaded, so the code stays 16-bit at CPL 0. */
static void set_pe_from_real_mode(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	static const uint8_t code[] = {
		0x0f, 0x20, 0xc0,              /* mov eax, cr0 */
		0x66, 0x83, 0xc8, 0x01,        /* or eax, 1 */
		0x0f, 0x22, 0xc0,              /* mov cr0, eax */
		0xf4,
	};

	(void)state;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->mode, MODE_PROT);
	assert_int_equal(tm->cpu->cpl, 0);
	assert_int_equal(tm->cpu->code_size, 2);
	assert_int_equal(tm->cpu->cr0, 0x60000011u);
	tm_free(tm);
}

/* --- Debug registers ------------------------------------------------------ */

static void mov_dr_rules(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	struct insn w7 = mov_insn(OPK_DR, 7, OPK_REG, R_RAX);
	struct insn w6 = mov_insn(OPK_DR, 6, OPK_REG, R_RAX);
	struct insn r4 = mov_insn(OPK_REG, R_RBX, OPK_DR, 4);
	struct insn w5 = mov_insn(OPK_DR, 5, OPK_REG, R_RAX);
	struct insn w0 = mov_insn(OPK_DR, 0, OPK_REG, R_RAX);
	struct insn r8 = mov_insn(OPK_REG, R_RBX, OPK_DR, 8);

	(void)state;
	/* Vol. 3B §17.2.2: with CR4.DE = 0, DR4/DR5 alias DR6/DR7. */
	cpu->gpr[R_RAX] = 0x1;       /* L0 */
	assert_int_equal(dr_mov(cpu, &w5), X_OK);
	assert_int_equal(cpu->dr[7], 0x401);
	assert_int_equal(dr_mov(cpu, &r4), X_OK);
	assert_int_equal(cpu->gpr[R_RBX], 0xffff0ff0u);
	/* With CR4.DE = 1 they are #UD. */
	assert_int_equal(cr_write(cpu, 4, cpu->cr4 | CR4_DE), X_OK);
	assert_fault(cpu, dr_mov(cpu, &r4), EXC_UD);
	assert_fault(cpu, dr_mov(cpu, &w5), EXC_UD);
	assert_fault(cpu, dr_mov(cpu, &r8), EXC_UD);
	/* DR6/DR7 bits 63:32 must be 0 in 64-bit mode. */
	cpu->gpr[R_RAX] = 1ull << 32;
	assert_gp(cpu, dr_mov(cpu, &w7));
	assert_gp(cpu, dr_mov(cpu, &w6));
	assert_int_equal(cpu->dr[7], 0x401);
	/* DR0 takes a full 64-bit address. */
	assert_int_equal(dr_mov(cpu, &w0), X_OK);
	assert_int_equal(cpu->dr[0], 1ull << 32);
	/* Fixed bits: DR6 reads 1 in 31:16 and 11:4, 0 in bit 12; DR7 bit 10
	 * reads 1, bits 11, 12, 14, 15 read 0. */
	cpu->gpr[R_RAX] = 0;
	assert_int_equal(dr_mov(cpu, &w6), X_OK);
	assert_int_equal(cpu->dr[6], 0xffff0ff0u);
	cpu->gpr[R_RAX] = 0xffffffffu;
	assert_int_equal(dr_mov(cpu, &w6), X_OK);
	assert_int_equal(cpu->dr[6], 0xffffefffu);
	cpu->gpr[R_RAX] = 0xffffdfffu;   /* everything but GD */
	assert_int_equal(dr_mov(cpu, &w7), X_OK);
	assert_int_equal(cpu->dr[7], 0xffff07ffu);
	/* CPL 3: #GP(0). */
	set_cpl3(cpu);
	assert_gp(cpu, dr_mov(cpu, &w0));
	tm_free(tm);
}

/* Vol. 3B §17.2.4: DR7.GD turns the next MOV DR into #DB with DR6.BD. */
static void mov_dr_general_detect(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	struct insn w7 = mov_insn(OPK_DR, 7, OPK_REG, R_RAX);
	struct insn r0 = mov_insn(OPK_REG, R_RAX, OPK_DR, 0);

	(void)state;
	cpu->gpr[R_RAX] = DR7_GD;
	assert_int_equal(dr_mov(cpu, &w7), X_OK);
	assert_fault(cpu, dr_mov(cpu, &r0), EXC_DB);
	assert_true(cpu->dr[6] & DR6_BD);
	assert_false(cpu->dr[7] & DR7_GD);
	assert_int_equal(dr_mov(cpu, &r0), X_OK);
	tm_free(tm);
}

/* --- EFER ---------------------------------------------------------------- */

static void efer_checks(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	assert_gp(cpu, efer_write(cpu, 1ull << 1));
	assert_gp(cpu, efer_write(cpu, 1ull << 12));
	assert_gp(cpu, efer_write(cpu, 1ull << 63));
	/* LMA is written by the processor only: a written 1 is ignored. */
	assert_int_equal(efer_write(cpu, EFER_LMA | EFER_NXE), X_OK);
	assert_int_equal(cpu->efer, EFER_NXE);
	if (cpuid_has(cpu, FEAT_SYSCALL)) {
		assert_int_equal(efer_write(cpu, EFER_SCE), X_OK);
		assert_int_equal(cpu->efer, EFER_SCE);
	} else {
		assert_gp(cpu, efer_write(cpu, EFER_SCE));
	}
	tm_free(tm);
}

/* --- CLTS, LMSW, SMSW ------------------------------------------------------ */

static void clts_lmsw_smsw(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	static const uint8_t code[] = {
		0x0f, 0x06,                    /* clts */
		0x0f, 0x01, 0xe1,              /* smsw ecx */
		0x66, 0xb8, 0x0a, 0x00,        /* mov ax, 0x000a: PE = 0, MP, TS */
		0x0f, 0x01, 0xf0,              /* lmsw ax */
		0x0f, 0x01, 0xe2,              /* smsw edx */
		0xbb, 0xff, 0xff, 0xff, 0xff,  /* mov ebx, -1 */
		0x66, 0x0f, 0x01, 0xe3,        /* smsw bx */
		0x0f, 0x01, 0x25, 0x00, 0x00, 0x20, 0x00, /* smsw [0x200000] */
		0xf4,
	};
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->cr0 |= CR0_TS | CR0_EM;
	tm_write(tm, TM_DATA, 4, 0xaaaaaaaa);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 20), STOP_HALT);
	/* CLTS cleared TS only. */
	assert_int_equal(cpu->gpr[R_RCX], CR0_PE | CR0_ET | CR0_NE | CR0_EM);
	/* LMSW loaded MP/EM/TS but could not clear PE. */
	assert_int_equal(cpu->gpr[R_RDX], CR0_PE | CR0_ET | CR0_NE | CR0_MP | CR0_TS);
	assert_int_equal(cpu->cr0, CR0_PE | CR0_ET | CR0_NE | CR0_MP | CR0_TS);
	/* SMSW r16 merges into the low word; SMSW m16 stores 16 bits. */
	assert_int_equal(cpu->gpr[R_RBX], 0xffff0000u | (CR0_PE | CR0_ET | CR0_NE | CR0_MP | CR0_TS));
	assert_int_equal(tm_read(tm, TM_DATA, 4), 0xaaaa0000u | 0x3b);
	tm_free(tm);
}

/* SMSW with REX.W stores all of CR0 (SDM Vol. 2 SMSW). */
static void smsw_rex_w(void **state)
{
	static const uint8_t code[] = {
		0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff,  /* mov rax, -1 */
		0x48, 0x0f, 0x01, 0xe0,                    /* smsw rax */
		0xf4,
	};
	struct tm *tm = tm_new(TM_LONG64);

	(void)state;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RAX], CR0_PG | CR0_PE | CR0_ET | CR0_NE);
	tm_free(tm);
}

/* The whole way into IA-32e mode by instructions (SDM Vol. 3A §9.8.5):
 * CR4.PAE, CR3, EFER.LME through RDMSR/WRMSR, CR0.PG (compatibility mode,
 * LMA = 1), then a far jump to a 64-bit code segment. */
static void enter_long_mode_by_instructions(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	static const uint8_t code[] = {
		0xb8, 0x20, 0x00, 0x00, 0x00,        /*  0: mov eax, CR4_PAE */
		0x0f, 0x22, 0xe0,                    /*  5: mov cr4, eax */
		0xb8, 0x00, 0x00, 0x01, 0x00,        /*  8: mov eax, 0x10000 */
		0x0f, 0x22, 0xd8,                    /* 13: mov cr3, eax */
		0xb9, 0x80, 0x00, 0x00, 0xc0,        /* 16: mov ecx, IA32_EFER */
		0x0f, 0x32,                          /* 21: rdmsr */
		0x0d, 0x00, 0x01, 0x00, 0x00,        /* 23: or eax, EFER_LME */
		0x0f, 0x30,                          /* 28: wrmsr */
		0x0f, 0x20, 0xc0,                    /* 30: mov eax, cr0 */
		0x0d, 0x00, 0x00, 0x00, 0x80,        /* 33: or eax, CR0_PG */
		0x0f, 0x22, 0xc0,                    /* 38: mov cr0, eax */
		0xea, 0x30, 0x00, 0x10, 0x00, 0x08, 0x00, /* 41: jmp 0x08:0x100030 */
		0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* 48: movabs rax */
		0xf4,
	};
	struct cpu *cpu = tm->cpu;

	(void)state;
	build_pml4(tm);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 11), STOP_BUDGET);
	/* After MOV CR0: compatibility mode, IA-32e active. */
	assert_int_equal(cpu->mode, MODE_COMPAT);
	assert_true(cpu->efer & EFER_LMA);
	assert_int_equal(cpu->rip, TM_CODE + 41);
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->code_size, 8);
	assert_int_equal(cpu->gpr[R_RAX], 0x1122334455667788ull);
	assert_int_equal(cpu->efer, EFER_LME | EFER_LMA);
	assert_int_equal(cpu->cr0, CR0_PG | CR0_PE | CR0_ET | CR0_NE);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cr0_high_bits_gp),
		cmocka_unit_test(cr0_reserved_low_bits_ignored),
		cmocka_unit_test(cr0_pg_without_pe_gp),
		cmocka_unit_test(cr0_nw_without_cd_gp),
		cmocka_unit_test(cr0_clear_pg_in_64bit_mode_gp),
		cmocka_unit_test(lma_follows_pg_and_lme),
		cmocka_unit_test(cr3_above_maxphyaddr_gp_in_long_mode),
		cmocka_unit_test(pae_pdpte_reserved_bits_gp),
		cmocka_unit_test(cr4_unreported_bits_gp),
		cmocka_unit_test(cr4_pcide_rules),
		cmocka_unit_test(cr4_paging_bit_flushes_tlb),
		cmocka_unit_test(cr8_and_cr2),
		cmocka_unit_test(mov_cr_ud_before_gp),
		cmocka_unit_test(mov_cr_runs_in_long_mode),
		cmocka_unit_test(mov_cr_in_real_mode),
		cmocka_unit_test(set_pe_from_real_mode),
		cmocka_unit_test(mov_dr_rules),
		cmocka_unit_test(mov_dr_general_detect),
		cmocka_unit_test(efer_checks),
		cmocka_unit_test(clts_lmsw_smsw),
		cmocka_unit_test(smsw_rex_w),
		cmocka_unit_test(enter_long_mode_by_instructions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
