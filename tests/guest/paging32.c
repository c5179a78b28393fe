/* Legacy paging modes, entered by leaving IA-32e mode (legacy_call):
 * 32-bit paging with 4 KiB and 4 MiB pages (CR4.PSE), and PAE paging with
 * 4 KiB and 2 MiB pages, NX and the #PF error codes.  SDM Vol. 3A §5.3
 * (32-bit paging), §5.4 (PAE paging), §5.7, §5.8. */
#include "guest.h"

static uint8_t frames[4][4096] __attribute__((aligned(4096)));
#define PA(p) ((uint32_t)(uintptr_t)(p))

/* ---- 32-bit paging ------------------------------------------------- */
static uint32_t pd32[1024] __attribute__((aligned(4096)));
static uint32_t pt32[1024] __attribute__((aligned(4096)));
#define VA32_4K 0x10000000u           /* PDE 64 -> pt32 */
#define VA32_4M 0x10400000u           /* PDE 65 -> 4 MiB page at 0 */

/* ---- PAE paging ---------------------------------------------------- */
static uint64_t pdpt_pae[4] __attribute__((aligned(32)));
static uint64_t pd_pae0[512] __attribute__((aligned(4096)));
static uint64_t pd_pae1[512] __attribute__((aligned(4096)));
static uint64_t pt_pae[512] __attribute__((aligned(4096)));
#define VAP_4K 0x40000000u            /* PDPTE 1, PDE 0 -> pt_pae */
#define VAP_2M 0x40200000u            /* PDPTE 1, PDE 1 -> 2 MiB page at 0x200000 */

static struct pm32_op ops[16];
static struct pm32_cfg cfg;

static int nops;
static int op(uint32_t kind, uint32_t addr, uint32_t value)
{
	ops[nops] = (struct pm32_op){ .kind = kind, .addr = addr, .value = value };
	ops[nops + 1].kind = PM32_END;
	return nops++;
}

static uint32_t run(void)
{
	return legacy_call(PA(pm32_run_ops), PA(&cfg), PA(ops));
}

static void check_read(int i, uint32_t want, const char *name)
{
	tap_ok(ops[i].vector == -1 && ops[i].result == want,
	       "%s: read 0x%x (expected 0x%x, vector %d)", name, ops[i].result, want, ops[i].vector);
}

static void check_pf(int i, uint32_t error, const char *name)
{
	tap_ok(ops[i].vector == EXC_PF && ops[i].error == error && ops[i].cr2 == ops[i].addr,
	       "%s: #PF error 0x%x cr2 0x%x (got vector %d error 0x%x cr2 0x%x)", name, error,
	       ops[i].addr, ops[i].vector, ops[i].error, ops[i].cr2);
}

static void paging_32bit(void)
{
	/* Identity map the first 256 MiB with 4 MiB pages. */
	for (int i = 0; i < 64; i++)
		pd32[i] = (uint32_t)i << 22 | PTE_P | PTE_W | PTE_PS;
	pd32[64] = PA(pt32) | PTE_P | PTE_W;
	pd32[65] = 0 | PTE_P | PTE_W | PTE_PS;
	pt32[0] = PA(frames[0]) | PTE_P | PTE_W;
	pt32[1] = 0;
	pt32[2] = PA(frames[2]) | PTE_P;
	*(volatile uint32_t *)frames[0] = 0xaabbccdd;
	*(volatile uint32_t *)frames[1] = 0x11223344;

	nops = 0;
	int r0 = op(PM32_READ, VA32_4K, 0);
	int w0 = op(PM32_WRITE, VA32_4K + 4, 0x55667788);
	int r4m = op(PM32_READ, VA32_4M + PA(frames[1]), 0);
	int np = op(PM32_READ, VA32_4K + 0x1000, 0);
	int npw = op(PM32_WRITE, VA32_4K + 0x1000, 1);
	int ro = op(PM32_WRITE, VA32_4K + 0x2000, 1);
	/* Remap page 0 to frames[1] by writing the PTE, then INVLPG. */
	op(PM32_WRITE, PA(&pt32[0]), PA(frames[1]) | PTE_P | PTE_W);
	op(PM32_INVLPG, VA32_4K, 0);
	int r1 = op(PM32_READ, VA32_4K, 0);
	cfg = (struct pm32_cfg){ .cr3 = PA(pd32), .cr4 = CR4_PSE, .cr0_or = CR0_PG | CR0_WP };

	uint32_t rc = run();
	tap_check_u64(rc, 0, "32-bit paging: the ops ran to the end");
	check_read(r0, 0xaabbccdd, "32-bit paging, 4K page");
	tap_ok(ops[w0].vector == -1 && *(volatile uint32_t *)(frames[0] + 4) == 0x55667788,
	       "32-bit paging, 4K page: write lands in the frame");
	check_read(r4m, 0x11223344, "32-bit paging, 4M page");
	check_pf(np, 0, "32-bit paging, read of a not-present page");
	check_pf(npw, PFEC_W, "32-bit paging, write of a not-present page");
	check_pf(ro, PFEC_P | PFEC_W, "32-bit paging, write to read-only with CR0.WP=1");
	check_read(r1, 0x11223344, "32-bit paging, INVLPG after a PTE change");
	tap_ok((pd32[64] & PTE_A) && (pd32[65] & (PTE_A | PTE_D)) == PTE_A,
	       "32-bit paging: A set in the PDE; a read-only use of the 4M page leaves D clear (pde 0x%x)",
	       pd32[65]);
	tap_ok((pt32[1] & PTE_A) == 0 && (pt32[2] & PTE_D) == 0,
	       "32-bit paging: faulting accesses set no D bit");
}

static void paging_pae(void)
{
	bool nx = cpu_has(0x80000001, 'd', CPUID_81_EDX_NX);
	for (int i = 0; i < 512; i++)
		pd_pae0[i] = (uint64_t)i << 21 | PTE_P | PTE_W | PTE_PS;
	/* PDPTEs have no R/W, U/S or A bits in PAE mode (SDM Table 5-8): only
	 * P and the cache bits; anything else is reserved. */
	pdpt_pae[0] = PA(pd_pae0) | PTE_P;
	pdpt_pae[1] = PA(pd_pae1) | PTE_P;
	pdpt_pae[2] = pdpt_pae[3] = 0;
	pd_pae1[0] = PA(pt_pae) | PTE_P | PTE_W;
	/* The 2 MiB page holding frames[]: reads must see frames[0]. */
	uint32_t big = PA(frames) & ~0x1fffffu;
	pd_pae1[1] = big | PTE_P | PTE_W | PTE_PS;
	pt_pae[0] = PA(frames[0]) | PTE_P | PTE_W;
	pt_pae[1] = 0;
	pt_pae[2] = PA(frames[2]) | PTE_P | PTE_W | (nx ? PTE_XD : 0);
	pt_pae[3] = PA(frames[2]) | PTE_P | PTE_W;
	frames[2][0] = 0xb8;               /* mov eax, 0x600df00d; ret */
	*(volatile uint32_t *)(frames[2] + 1) = 0x600df00d;
	frames[2][5] = 0xc3;
	*(volatile uint32_t *)frames[0] = 0x0badcafe;

	nops = 0;
	int r0 = op(PM32_READ, VAP_4K, 0);
	int w0 = op(PM32_WRITE, VAP_4K + 8, 0x12121212);
	int r2m = op(PM32_READ, VAP_2M + (PA(frames[0]) - big), 0);
	int np = op(PM32_READ, VAP_4K + 0x1000, 0);
	int x = op(PM32_EXEC, VAP_4K + 0x3000, 0);
	int xd = op(PM32_EXEC, VAP_4K + 0x2000, 0);
	cfg = (struct pm32_cfg){ .cr3 = PA(pdpt_pae), .cr4 = CR4_PAE, .cr0_or = CR0_PG | CR0_WP };
	if (nx)
		wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_NXE);
	uint32_t rc = run();
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) & ~EFER_NXE);

	tap_check_u64(rc, 0, "PAE paging: the ops ran to the end");
	check_read(r0, 0x0badcafe, "PAE paging, 4K page");
	tap_ok(ops[w0].vector == -1 && *(volatile uint32_t *)(frames[0] + 8) == 0x12121212 &&
	       (pt_pae[0] & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
	       "PAE paging, 4K page: write lands and sets A and D (pte 0x%lx)", pt_pae[0]);
	check_read(r2m, 0x0badcafe, "PAE paging, 2M page");
	check_pf(np, 0, "PAE paging, read of a not-present page");
	check_read(x, 0x600df00d, "PAE paging, code in an executable page runs");
	if (nx)
		check_pf(xd, PFEC_P | PFEC_I, "PAE paging, fetch from an XD page");
	else
		tap_skip("no NX", "PAE paging, fetch from an XD page");
}

int main(void)
{
	tap_plan(10 + 7);
	paging_32bit();
	paging_pae();
	return tap_done();
}
