/* The page walker and the TLB (SDM Vol. 3A chapter 4): 32-bit paging (4K,
 * 4M with PSE and PSE-36), PAE (4K, 2M), 4-level (4K, 2M, 1G); #PF error
 * codes and CR2; NX, WP, SMEP, SMAP; A and D bits; INVLPG and CR3 reloads;
 * self-modifying code through the write slow path.
 *
 * Walks are driven through mmu_translate() (error code and CR2 are in
 * cpu->fault); TLB and code-invalidation behaviour through cpu_run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cpu/access.h"
#include "cpu/cr.h"
#include "cpu/mmu.h"
#include "fakebus.h"

/* Paging structures used by these tests (guest-physical). */
#define P32_PD   0x20000ull
#define P32_PT   0x21000ull
#define PAE_PDPT 0x22000ull
#define PAE_PD   0x23000ull
#define PAE_PT   0x24000ull
#define L4_PML4  0x25000ull
#define L4_PDPT  0x26000ull
#define L4_PD    0x27000ull
#define L4_PT    0x28000ull

enum pmode { PM_32, PM_PAE, PM_L4 };

/* A CPU in protected mode with paging on in the requested form; tables
 * are filled by the caller before translating. */
static struct tm *paged(enum pmode m, uint64_t cr4_extra)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	switch (m) {
	case PM_32:
		assert_int_equal(cr_write(cpu, 3, P32_PD), X_OK);
		assert_int_equal(cr_write(cpu, 4, cr4_extra), X_OK);
		break;
	case PM_PAE:
		assert_int_equal(cr_write(cpu, 3, PAE_PDPT), X_OK);
		assert_int_equal(cr_write(cpu, 4, CR4_PAE | cr4_extra), X_OK);
		break;
	case PM_L4:
		assert_int_equal(cr_write(cpu, 3, L4_PML4), X_OK);
		assert_int_equal(cr_write(cpu, 4, CR4_PAE | cr4_extra), X_OK);
		assert_int_equal(efer_write(cpu, EFER_LME), X_OK);
		break;
	}
	assert_int_equal(cr_write(cpu, 0, cpu->cr0 | CR0_PG), X_OK);
	return tm;
}

static uint64_t xlate_ok(struct tm *tm, uint64_t gla, enum acc_kind k, unsigned accf)
{
	uint64_t gpa = ~0ull;

	assert_int_equal(mmu_translate(tm->cpu, gla, k, accf, &gpa), X_OK);
	return gpa;
}

/* Expect #PF with error code `ec` and CR2 = gla. */
static void xlate_pf(struct tm *tm, uint64_t gla, enum acc_kind k, unsigned accf, uint32_t ec)
{
	uint64_t gpa;

	tm->cpu->fault.vector = 0xff;
	assert_int_equal(mmu_translate(tm->cpu, gla, k, accf, &gpa), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_PF);
	assert_true(tm->cpu->fault.has_error);
	assert_int_equal(tm->cpu->fault.error, ec);
	assert_int_equal(tm->cpu->fault.cr2, gla);
}

#define RW_U (PTE_P | PTE_W | PTE_U)

/* --- 32-bit paging (§4.3) ----------------------------------------------- */

static void p32_4k(void **state)
{
	struct tm *tm = paged(PM_32, 0);

	(void)state;
	tm_write(tm, P32_PD + 4 * 1, 4, P32_PT | RW_U);
	tm_write(tm, P32_PT + 4 * 5, 4, 0x777000 | RW_U);
	assert_int_equal(xlate_ok(tm, 0x00405123, ACC_READ, 0), 0x777123);
	/* §4.8: A set in both levels on a read; D only on a write, in the PTE. */
	assert_int_equal(tm_read(tm, P32_PD + 4, 4), P32_PT | RW_U | PTE_A);
	assert_int_equal(tm_read(tm, P32_PT + 20, 4), 0x777000 | RW_U | PTE_A);
	assert_int_equal(xlate_ok(tm, 0x00405fff, ACC_WRITE, ACCF_USER), 0x777fff);
	assert_int_equal(tm_read(tm, P32_PD + 4, 4), P32_PT | RW_U | PTE_A);
	assert_int_equal(tm_read(tm, P32_PT + 20, 4), 0x777000 | RW_U | PTE_A | PTE_D);
	/* Not present: PDE, then PTE.  32-bit paging never reports I/D
	 * without SMEP (§4.7). */
	xlate_pf(tm, 0x00805000, ACC_READ, 0, 0);
	xlate_pf(tm, 0x00406000, ACC_WRITE, ACCF_USER, PFEC_W | PFEC_U);
	xlate_pf(tm, 0x00406000, ACC_EXEC, 0, 0);
	/* 32-bit linear addresses: bits 63:32 of the input do not exist. */
	assert_int_equal(xlate_ok(tm, 0x00405123, ACC_READ, 0), 0x777123);
	tm_free(tm);
}

static void p32_4m_pse36(void **state)
{
	struct tm *tm = paged(PM_32, CR4_PSE);
	/* PDE for 4 MB at 0x12_00800000: bits 20:13 hold physical 39:32. */
	uint32_t pde = 0x00800000u | (0x12u << 13) | PTE_PS | RW_U;

	(void)state;
	tm_write(tm, P32_PD + 4 * 2, 4, pde);
	assert_int_equal(xlate_ok(tm, 0x00812345, ACC_WRITE, 0), 0x1200812345ull);
	/* A and D both land in the PDE, the last level. */
	assert_int_equal(tm_read(tm, P32_PD + 8, 4), pde | PTE_A | PTE_D);
	/* Bit 21 is reserved in a 4 MB PDE. */
	tm_write(tm, P32_PD + 4 * 3, 4, 0x00c00000u | (1u << 21) | PTE_PS | RW_U);
	xlate_pf(tm, 0x00c00010, ACC_READ, 0, PFEC_P | PFEC_RSVD);
	xlate_pf(tm, 0x00c00010, ACC_WRITE, ACCF_USER, PFEC_P | PFEC_RSVD | PFEC_W | PFEC_U);
	/* The highest PSE-36 bit (physical bit 39) is inside MAXPHYADDR. */
	tm_write(tm, P32_PD + 4 * 4, 4, 0x01000000u | (0x80u << 13) | PTE_PS | RW_U);
	assert_int_equal(xlate_ok(tm, 0x01000010, ACC_READ, 0), 0x8001000010ull);
	tm_free(tm);
}

/* With CR4.PSE = 0, PDE bit 7 is ignored: the PDE points to a page table. */
static void p32_ps_ignored_without_pse(void **state)
{
	struct tm *tm = paged(PM_32, 0);
	uint32_t pde = 0x00800000u | (0x12u << 13) | PTE_PS | RW_U;

	(void)state;
	tm_write(tm, P32_PD + 4 * 2, 4, pde);
	/* Page table at pde[31:12] = 0x824000; entry 0x12 for 0x00812345. */
	tm_write(tm, 0x824000 + 4 * 0x12, 4, 0x333000 | RW_U);
	assert_int_equal(xlate_ok(tm, 0x00812345, ACC_READ, 0), 0x333345);
	tm_free(tm);
}

/* --- PAE paging (§4.4) ---------------------------------------------------- */

static void pae_4k_2m(void **state)
{
	struct tm *tm;

	(void)state;
	tm = paged(PM_PAE, 0);
	tm_write(tm, PAE_PDPT, 8, PAE_PD | PTE_P);
	tm_write(tm, PAE_PD + 8 * 3, 8, 0x00a00000 | PTE_PS | RW_U);
	tm_write(tm, PAE_PD + 8 * 4, 8, PAE_PT | RW_U);
	tm_write(tm, PAE_PT + 8 * 1, 8, 0x999000 | RW_U);
	assert_int_equal(xlate_ok(tm, 0x00612345, ACC_READ, 0), 0xa12345);
	assert_int_equal(xlate_ok(tm, 0x00801abc, ACC_WRITE, 0), 0x999abc);
	/* The PDPTE has no A bit in PAE mode (bit 5 is reserved there, so
	 * setting it would break the next walk), but the PDE and PTE do. */
	assert_int_equal(tm_read(tm, PAE_PDPT, 8), PAE_PD | PTE_P);
	assert_int_equal(xlate_ok(tm, 0x00612345, ACC_READ, 0), 0xa12345);
	assert_int_equal(tm_read(tm, PAE_PD + 8 * 4, 8), PAE_PT | RW_U | PTE_A);
	assert_int_equal(tm_read(tm, PAE_PT + 8, 8), 0x999000 | RW_U | PTE_A | PTE_D);
	/* 2M page: bits 20:13 reserved. */
	tm_write(tm, PAE_PD + 8 * 5, 8, 0x00a00000 | (1ull << 13) | PTE_PS | RW_U);
	xlate_pf(tm, 0x00a00000, ACC_READ, 0, PFEC_P | PFEC_RSVD);
	/* Second PDPTE not present. */
	xlate_pf(tm, 0x40000000, ACC_READ, ACCF_USER, PFEC_U);
	tm_free(tm);
}

/* §4.6, §4.7: XD with EFER.NXE = 1 forbids fetches (I/D reported); with
 * NXE = 0 bit 63 is reserved. */
static void pae_nx(void **state)
{
	struct tm *tm = paged(PM_PAE, 0);

	(void)state;
	tm_write(tm, PAE_PDPT, 8, PAE_PD | PTE_P);
	tm_write(tm, PAE_PD, 8, PAE_PT | RW_U);
	tm_write(tm, PAE_PT + 8 * 2, 8, 0x5000 | RW_U | PTE_XD);
	xlate_pf(tm, 0x2000, ACC_READ, 0, PFEC_P | PFEC_RSVD);
	xlate_pf(tm, 0x2000, ACC_EXEC, 0, PFEC_P | PFEC_RSVD);
	assert_int_equal(efer_write(tm->cpu, EFER_NXE), X_OK);
	assert_int_equal(xlate_ok(tm, 0x2000, ACC_READ, 0), 0x5000);
	xlate_pf(tm, 0x2010, ACC_EXEC, 0, PFEC_P | PFEC_I);
	xlate_pf(tm, 0x2010, ACC_EXEC, ACCF_USER, PFEC_P | PFEC_I | PFEC_U);
	/* A not-present fetch also reports I/D once NXE is on. */
	xlate_pf(tm, 0x3010, ACC_EXEC, 0, PFEC_I);
	tm_free(tm);
}

/* --- 4-level paging (§4.5) --------------------------------------------------- */

static struct tm *l4_tables(void)
{
	struct tm *tm = paged(PM_L4, 0);

	tm_write(tm, L4_PML4, 8, L4_PDPT | RW_U);
	tm_write(tm, L4_PDPT, 8, L4_PD | RW_U);
	tm_write(tm, L4_PD, 8, L4_PT | RW_U);
	tm_write(tm, L4_PT + 8 * 0x10, 8, 0x555000 | RW_U);
	tm_write(tm, L4_PD + 8 * 1, 8, 0x00c00000 | PTE_PS | RW_U);
	tm_write(tm, L4_PDPT + 8 * 1, 8, 0x40000000 | PTE_PS | RW_U);
	/* The top of the address space: PML4[511] -> PDPT[511] -> PD[511] -> PT. */
	tm_write(tm, L4_PML4 + 8 * 511, 8, 0x30000 | RW_U);
	tm_write(tm, 0x30000 + 8 * 511, 8, 0x31000 | PTE_P | PTE_W);
	return tm;
}

static void l4_page_sizes(void **state)
{
	struct tm *tm = l4_tables();

	(void)state;
	assert_int_equal(tm->cpu->mode, MODE_COMPAT);
	assert_int_equal(xlate_ok(tm, 0x10abc, ACC_READ, ACCF_USER), 0x555abc);
	assert_int_equal(xlate_ok(tm, 0x201234, ACC_WRITE, 0), 0xc01234);
	assert_int_equal(xlate_ok(tm, 0x40001234, ACC_READ, 0), 0x40001234);
	assert_int_equal(xlate_ok(tm, 0x7fffffff, ACC_READ, 0), 0x7fffffff);
	/* All four levels get A; only the leaf gets D. */
	assert_true(tm_read(tm, L4_PML4, 8) & PTE_A);
	assert_true(tm_read(tm, L4_PDPT, 8) & PTE_A);
	assert_false(tm_read(tm, L4_PDPT, 8) & PTE_D);
	assert_int_equal(tm_read(tm, L4_PD + 8, 8), 0x00c00000 | PTE_PS | RW_U | PTE_A | PTE_D);
	assert_int_equal(tm_read(tm, L4_PT + 8 * 0x10, 8), 0x555000 | RW_U | PTE_A);
	tm_free(tm);
}

static void l4_faults(void **state)
{
	struct tm *tm = l4_tables();
	const uint64_t top = 0xffffffffffe00000ull;   /* PML4/PDPT/PD index 511 */

	(void)state;
	/* CR2 holds the full 64-bit address; the PD at 0x31000 is empty. */
	xlate_pf(tm, top + 0x1234, ACC_WRITE, 0, PFEC_W);
	xlate_pf(tm, 0x0000008000000000ull, ACC_READ, ACCF_USER, PFEC_U);  /* PML4[1] */
	/* The PDPTE of the top lacks U: user access is a protection fault. */
	tm_write(tm, 0x31000 + 8 * 511, 8, 0x32000 | RW_U);
	tm_write(tm, 0x32000, 8, 0x6000 | RW_U);
	assert_int_equal(xlate_ok(tm, top, ACC_WRITE, 0), 0x6000);
	xlate_pf(tm, top + 0x10, ACC_READ, ACCF_USER, PFEC_P | PFEC_U);
	/* PS in a PML4E is reserved. */
	tm_write(tm, L4_PML4 + 8 * 2, 8, 0x33000 | PTE_PS | RW_U);
	xlate_pf(tm, 0x0000010000000000ull, ACC_READ, 0, PFEC_P | PFEC_RSVD);
	/* 1G page: bits 29:13 reserved. */
	tm_write(tm, L4_PDPT + 8 * 2, 8, 0x80000000 | (1ull << 20) | PTE_PS | RW_U);
	xlate_pf(tm, 0x80000000, ACC_READ, 0, PFEC_P | PFEC_RSVD);
	/* Address bits at and above MAXPHYADDR are reserved at every level. */
	tm_write(tm, L4_PT + 8 * 0x11, 8, (1ull << CPU_MAXPHYADDR) | 0x555000 | RW_U);
	xlate_pf(tm, 0x11000, ACC_WRITE, ACCF_USER, PFEC_P | PFEC_RSVD | PFEC_W | PFEC_U);
	tm_free(tm);
}

/* --- Access rights (§4.6) --------------------------------------------------- */

static void rights_and_wp(void **state)
{
	struct tm *tm = l4_tables();
	struct cpu *cpu = tm->cpu;

	(void)state;
	/* PT entry 0x20: supervisor read-only; 0x21: user read-only under a
	 * PDE that is read-only too. */
	tm_write(tm, L4_PT + 8 * 0x20, 8, 0x600000 | PTE_P);
	tm_write(tm, L4_PT + 8 * 0x21, 8, 0x601000 | PTE_P | PTE_W | PTE_U);
	tm_write(tm, L4_PD, 8, L4_PT | PTE_P | PTE_U);   /* R/W = 0 at the PDE */
	assert_false(cpu->cr0 & CR0_WP);
	/* WP = 0: supervisor writes ignore R/W. */
	assert_int_equal(xlate_ok(tm, 0x20000, ACC_WRITE, 0), 0x600000);
	assert_int_equal(xlate_ok(tm, 0x21000, ACC_WRITE, 0), 0x601000);
	/* User: U/S = 0 is a fault whatever the access; R/W = 0 anywhere in
	 * the walk forbids user writes. */
	xlate_pf(tm, 0x20000, ACC_READ, ACCF_USER, PFEC_P | PFEC_U);
	xlate_pf(tm, 0x21000, ACC_WRITE, ACCF_USER, PFEC_P | PFEC_W | PFEC_U);
	assert_int_equal(xlate_ok(tm, 0x21000, ACC_READ, ACCF_USER), 0x601000);
	/* Implicit supervisor accesses (GDT, IDT) are allowed on U pages and
	 * never report U/S. */
	assert_int_equal(xlate_ok(tm, 0x20000, ACC_READ, ACCF_USER | ACCF_IMPLICIT), 0x600000);
	/* WP = 1: supervisor writes to read-only pages fault. */
	assert_int_equal(cr_write(cpu, 0, cpu->cr0 | CR0_WP), X_OK);
	xlate_pf(tm, 0x20000, ACC_WRITE, 0, PFEC_P | PFEC_W);
	xlate_pf(tm, 0x21000, ACC_WRITE, 0, PFEC_P | PFEC_W);
	tm_free(tm);
}

/* §4.6.1: SMEP forbids supervisor fetches from user pages; a page is a
 * user page only if every level has U/S = 1. */
static void smep(void **state)
{
	struct tm *tm = l4_tables();
	struct cpu *cpu = tm->cpu;

	(void)state;
	assert_int_equal(xlate_ok(tm, 0x10000, ACC_EXEC, 0), 0x555000);
	assert_int_equal(cr_write(cpu, 4, cpu->cr4 | CR4_SMEP), X_OK);
	xlate_pf(tm, 0x10000, ACC_EXEC, 0, PFEC_P | PFEC_I);
	/* Data accesses are unaffected, and so are user fetches. */
	assert_int_equal(xlate_ok(tm, 0x10000, ACC_READ, 0), 0x555000);
	assert_int_equal(xlate_ok(tm, 0x10000, ACC_EXEC, ACCF_USER), 0x555000);
	/* With U/S = 0 at the PTE it is a supervisor page: allowed. */
	tm_write(tm, L4_PT + 8 * 0x12, 8, 0x556000 | PTE_P);
	assert_int_equal(xlate_ok(tm, 0x12000, ACC_EXEC, 0), 0x556000);
	/* SMEP makes the I/D bit meaningful even without NXE. */
	xlate_pf(tm, 0x13000, ACC_EXEC, 0, PFEC_I);
	tm_free(tm);
}

/* §4.6.1: SMAP forbids supervisor data accesses to user pages unless
 * EFLAGS.AC = 1 (explicit accesses only).  SMAP is not reported by CPUID
 * until STAC/CLAC have rows, so CR4.SMAP is set directly here to test the
 * walker on its own. */
static void smap_walker(void **state)
{
	struct tm *tm = l4_tables();
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->cr4 |= CR4_SMAP;
	tlb_flush_all(cpu);
	xlate_pf(tm, 0x10000, ACC_READ, 0, PFEC_P);
	xlate_pf(tm, 0x10000, ACC_WRITE, 0, PFEC_P | PFEC_W);
	cpu->rflags |= RFLAGS_AC;
	assert_int_equal(xlate_ok(tm, 0x10000, ACC_READ, 0), 0x555000);
	xlate_pf(tm, 0x10000, ACC_READ, ACCF_IMPLICIT, PFEC_P);
	/* Supervisor pages are not affected. */
	tm_write(tm, L4_PT + 8 * 0x12, 8, 0x556000 | PTE_P | PTE_W);
	cpu->rflags &= ~(uint64_t)RFLAGS_AC;
	assert_int_equal(xlate_ok(tm, 0x12000, ACC_WRITE, 0), 0x556000);
	tm_free(tm);
}

/* §4.8: a walk that faults sets no A or D bit (softvtx chooses not to set
 * upper-level A bits on a faulting walk, which the SDM permits). */
static void no_ad_on_fault(void **state)
{
	struct tm *tm = paged(PM_32, 0);

	(void)state;
	tm_write(tm, P32_PD, 4, P32_PT | PTE_P | PTE_W);   /* supervisor */
	tm_write(tm, P32_PT + 4 * 7, 4, 0x7000 | PTE_P | PTE_U);
	tm_write(tm, P32_PT + 4 * 8, 4, 0x8000 | PTE_P | PTE_W | PTE_U);
	xlate_pf(tm, 0x7000, ACC_READ, ACCF_USER, PFEC_P | PFEC_U);
	assert_int_equal(tm_read(tm, P32_PD, 4), P32_PT | PTE_P | PTE_W);
	assert_int_equal(tm_read(tm, P32_PT + 28, 4), 0x7000 | PTE_P | PTE_U);
	assert_int_equal(cr_write(tm->cpu, 0, tm->cpu->cr0 | CR0_WP), X_OK);
	xlate_pf(tm, 0x7000, ACC_WRITE, 0, PFEC_P | PFEC_W);
	assert_int_equal(tm_read(tm, P32_PT + 28, 4), 0x7000 | PTE_P | PTE_U);
	/* Probes set nothing and record nothing. */
	{
		uint64_t gpa;

		tm->cpu->fault.vector = 0x55;
		assert_int_equal(mmu_translate(tm->cpu, 0x7000, ACC_WRITE, ACCF_NOFAULT, &gpa),
		                 X_FAULT);
		assert_int_equal(tm->cpu->fault.vector, 0x55);
		assert_int_equal(mmu_translate(tm->cpu, 0x8000, ACC_WRITE, ACCF_NOFAULT, &gpa),
		                 X_OK);
		assert_int_equal(gpa, 0x8000);
		assert_int_equal(tm_read(tm, P32_PT + 32, 4), 0x8000 | PTE_P | PTE_W | PTE_U);
		assert_int_equal(tm_read(tm, P32_PD, 4), P32_PT | PTE_P | PTE_W);
	}
	tm_free(tm);
}

/* --- TLB: INVLPG and CR3 reload ------------------------------------------- */

/* In the 64-bit fixture, map linear 0x40000000 with a 4K page through a
 * new PD/PT (PDPT[1]), pointing at physical `phys`. */
static void map_4k_at_1g(struct tm *tm, uint64_t phys)
{
	tm_write(tm, 0x11000 + 8, 8, 0x13000 | RW_U);
	tm_write(tm, 0x13000, 8, 0x14000 | RW_U);
	tm_write(tm, 0x14000, 8, phys | RW_U);
}

static void invlpg_forgets_changed_pte(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = {
		0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40,             /* mov eax, [0x40000000] */
		0xc7, 0x04, 0x25, 0x00, 0x40, 0x01, 0x00,
		      0x07, 0x10, 0x50, 0x00,                          /* mov dword [0x14000], 0x501007 */
		0x8b, 0x1c, 0x25, 0x00, 0x00, 0x00, 0x40,             /* mov ebx, [0x40000000] */
		0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x00, 0x40,       /* invlpg [0x40000000] */
		0x8b, 0x0c, 0x25, 0x00, 0x00, 0x00, 0x40,             /* mov ecx, [0x40000000] */
		0xf4,
	};

	(void)state;
	map_4k_at_1g(tm, 0x500000);
	tm_write(tm, 0x500000, 4, 0xaaaa);
	tm_write(tm, 0x501000, 4, 0xbbbb);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RAX], 0xaaaa);
	/* §4.10.4: until invalidated, the TLB may keep the old translation;
	 * softvtx's does. */
	assert_int_equal(tm->cpu->gpr[R_RBX], 0xaaaa);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0xbbbb);
	tm_free(tm);
}

static void cr3_reload_forgets_changed_pte(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = {
		0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40,             /* mov eax, [0x40000000] */
		0xc7, 0x04, 0x25, 0x00, 0x40, 0x01, 0x00,
		      0x07, 0x10, 0x50, 0x00,                          /* mov dword [0x14000], 0x501007 */
		0x8b, 0x1c, 0x25, 0x00, 0x00, 0x00, 0x40,             /* mov ebx, [0x40000000] */
		0x0f, 0x20, 0xda,                                      /* mov rdx, cr3 */
		0x0f, 0x22, 0xda,                                      /* mov cr3, rdx */
		0x8b, 0x0c, 0x25, 0x00, 0x00, 0x00, 0x40,             /* mov ecx, [0x40000000] */
		0xf4,
	};

	(void)state;
	map_4k_at_1g(tm, 0x500000);
	tm_write(tm, 0x500000, 4, 0xaaaa);
	tm_write(tm, 0x501000, 4, 0xbbbb);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RAX], 0xaaaa);
	assert_int_equal(tm->cpu->gpr[R_RBX], 0xaaaa);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0xbbbb);
	/* The walk of the last read set A in the new PTE. */
	assert_int_equal(tm_read(tm, 0x14000, 8), 0x501000 | RW_U | PTE_A);
	tm_free(tm);
}

/* A store through the TLB sets D in the PTE; a load sets only A. */
static void ad_bits_from_instructions(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = {
		0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40,             /* mov eax, [0x40000000] */
		0xf4,
	};
	static const uint8_t store[] = {
		0x89, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40,             /* mov [0x40000000], eax */
		0xf4,
	};

	(void)state;
	map_4k_at_1g(tm, 0x500000);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm_read(tm, 0x14000, 8), 0x500000 | RW_U | PTE_A);
	assert_int_equal(tm_read(tm, 0x13000, 8), 0x14000 | RW_U | PTE_A);
	tm->cpu->halted = false;
	tm_code(tm, store, sizeof(store));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm_read(tm, 0x14000, 8), 0x500000 | RW_U | PTE_A | PTE_D);
	tm_free(tm);
}

/* --- Self-modifying code ----------------------------------------------------- */

/* A store over the next instruction's immediate: the new instruction is
 * what runs (SDM Vol. 3A §8.1.3 -- a store to the code stream is seen by
 * the following instruction fetch in the same processor). */
static void smc_next_instruction(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = {
		0xc6, 0x05, 0x00, 0x00, 0x00, 0x00, 0x42,  /* mov byte [rip+disp], 0x42 */
		0xb0, 0x11,                                /* mov al, 0x11 */
		0xf4,
	};
	uint8_t c[sizeof(code)];

	(void)state;
	for (size_t i = 0; i < sizeof(code); i++)
		c[i] = code[i];
	/* RIP-relative displacement from the end of the store (offset 7) to
	 * the immediate of MOV AL (offset 8). */
	c[2] = 1;
	tm->cpu->gpr[R_RAX] = 0;
	tm_code(tm, c, sizeof(c));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RAX], 0x42);
	assert_int_equal(tm_read(tm, TM_CODE + 8, 1), 0x42);
	tm_free(tm);
}

/* The same through another linear alias of the code page (PDPT[1] maps
 * 0x40000000 onto physical 0 with a 1 GB page): invalidation follows the
 * physical address, not the linear one. */
static void smc_through_alias(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = {
		0xc6, 0x04, 0x25, 0x0a, 0x00, 0x10, 0x40, 0x90,  /* mov byte [0x4010000a], 0x90 */
		0x90,                                            /* nop */
		0x90,                                            /* nop */
		0xf4,                                            /* hlt (offset 10, becomes nop) */
		0xb3, 0x77,                                      /* mov bl, 0x77 */
		0xf4,
	};

	(void)state;
	tm_write(tm, 0x11000 + 8, 8, 0 | PTE_PS | RW_U);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RBX], 0x77);
	assert_int_equal(tm->cpu->rip, TM_CODE + sizeof(code));
	tm_free(tm);
}

/* Without paging (32-bit protected mode), a store into the current block
 * that lies ahead of RIP is seen too. */
static void smc_prot32(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	static const uint8_t code[] = {
		0xc7, 0x05, 0x0b, 0x00, 0x10, 0x00, 0xb1, 0x5a, 0xf4, 0x90, /* mov dword [0x10000b], 0x90f45ab1 */
		0x90,
		0xb1, 0x11,                                      /* mov cl, 0x11 -> mov cl, 0x5a */
		0xf4,                                            /* hlt -> hlt */
	};

	(void)state;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RCX] & 0xff, 0x5a);
	tm_free(tm);
}

/* Turning 32-bit paging on by instructions: the instruction after MOV CR0
 * is fetched through the new page tables, and a 4 MB alias maps linear
 * 0x40000000 onto physical 0. */
static void enable_paging_by_instructions(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	static const uint8_t code[] = {
		0xb8, 0x10, 0x00, 0x00, 0x00,        /* mov eax, CR4_PSE */
		0x0f, 0x22, 0xe0,                    /* mov cr4, eax */
		0xb8, 0x00, 0x00, 0x02, 0x00,        /* mov eax, 0x20000 */
		0x0f, 0x22, 0xd8,                    /* mov cr3, eax */
		0x0f, 0x20, 0xc0,                    /* mov eax, cr0 */
		0x0d, 0x00, 0x00, 0x01, 0x80,        /* or eax, CR0_PG | CR0_WP */
		0x0f, 0x22, 0xc0,                    /* mov cr0, eax */
		0x8b, 0x1d, 0x00, 0x00, 0x20, 0x40,  /* mov ebx, [0x40200000] */
		0xf4,
	};

	(void)state;
	tm_write(tm, P32_PD, 4, 0 | PTE_PS | PTE_P | PTE_W);
	tm_write(tm, P32_PD + 4 * 0x100, 4, 0 | PTE_PS | PTE_P | PTE_W);
	tm_write(tm, TM_DATA, 4, 0x600df00d);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 20), STOP_HALT);
	assert_true(tm->cpu->paging);
	assert_int_equal(tm->cpu->gpr[R_RBX], 0x600df00d);
	assert_int_equal(tm_read(tm, P32_PD + 4 * 0x100, 4), PTE_PS | PTE_P | PTE_W | PTE_A);
	tm_free(tm);
}

/* End to end: a #PF raised by an instruction is delivered through the IDT
 * with CR2 and the error code (SDM Vol. 3A §6.15, "Interrupt 14").  The
 * handler at TM_CODE + 0x100 halts. */
static void pf_delivered_with_cr2(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = {
		0x89, 0x04, 0x25, 0x00, 0x10, 0x00, 0x40,   /* mov [0x40001000], eax */
	};
	uint64_t handler = TM_CODE + 0x100;

	(void)state;
	/* 64-bit interrupt gate for vector 14: selector 0x08, type 0xE, P. */
	tm_write(tm, 0x2000 + 16 * EXC_PF, 8,
	         (handler & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
	         ((handler >> 16 & 0xffff) << 48));
	tm_write(tm, 0x2000 + 16 * EXC_PF + 8, 8, handler >> 32);
	cpu->idtr.limit = 0xfff;
	/* 0x40001000: present, read-only (and WP = 1), in a 4K page table. */
	tm_write(tm, 0x11000 + 8, 8, 0x13000 | RW_U);
	tm_write(tm, 0x13000, 8, 0x14000 | RW_U);
	tm_write(tm, 0x14000 + 8, 8, 0x501000 | PTE_P);
	assert_int_equal(cr_write(cpu, 0, cpu->cr0 | CR0_WP), X_OK);
	tm_write(tm, handler, 1, 0xf4);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->rip, handler + 1);
	assert_int_equal(cpu->cr2, 0x40001000);
	/* The error code is on top of the handler's stack: present, write. */
	assert_int_equal(tm_read(tm, cpu->gpr[R_RSP], 8), PFEC_P | PFEC_W);
	/* Then the faulting RIP (the fault is restartable). */
	assert_int_equal(tm_read(tm, cpu->gpr[R_RSP] + 8, 8), TM_CODE);
	/* The faulting walk set no D bit. */
	assert_int_equal(tm_read(tm, 0x14000 + 8, 8), 0x501000 | PTE_P);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p32_4k),
		cmocka_unit_test(p32_4m_pse36),
		cmocka_unit_test(p32_ps_ignored_without_pse),
		cmocka_unit_test(pae_4k_2m),
		cmocka_unit_test(pae_nx),
		cmocka_unit_test(l4_page_sizes),
		cmocka_unit_test(l4_faults),
		cmocka_unit_test(rights_and_wp),
		cmocka_unit_test(smep),
		cmocka_unit_test(smap_walker),
		cmocka_unit_test(no_ad_on_fault),
		cmocka_unit_test(invlpg_forgets_changed_pte),
		cmocka_unit_test(cr3_reload_forgets_changed_pte),
		cmocka_unit_test(ad_bits_from_instructions),
		cmocka_unit_test(smc_next_instruction),
		cmocka_unit_test(smc_through_alias),
		cmocka_unit_test(smc_prot32),
		cmocka_unit_test(enable_paging_by_instructions),
		cmocka_unit_test(pf_delivered_with_cr2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
