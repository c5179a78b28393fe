/* 4-level paging: 4 KiB, 2 MiB and 1 GiB pages, the #PF error code bits
 * (P W U RSVD I) and CR2, CR0.WP, NX, accessed/dirty bits and INVLPG.
 * SDM Vol. 3A §5.5 (4-level paging), §5.7 (page-fault exceptions), §5.8
 * (accessed and dirty flags), §5.10.4.1 (INVLPG). */
#include "guest.h"

extern uint64_t boot_pdpt[512];

/* Test mappings live at 4 GiB and up, above the boot identity map:
 *   PDPT[4] -> pd_test: PDE 0 -> pt_test (4 KiB pages), PDE 1 -> 2 MiB page
 *   PDPT[5] -> 1 GiB page at physical 0 */
#define VA_4K   0x100000000ull
#define VA_2M   (VA_4K + 0x200000)
#define VA_1G   0x140000000ull
static uint64_t pd_test[512] __attribute__((aligned(4096)));
static uint64_t pt_test[512] __attribute__((aligned(4096)));
static uint8_t frames[4][4096] __attribute__((aligned(4096)));

#define PA(p) ((uint64_t)(uintptr_t)(p))
#define VA(i) ((volatile uint64_t *)(uintptr_t)(VA_4K + 4096 * (i)))

static volatile uint64_t val;
static void rd(void *p) { val = *(volatile uint64_t *)p; }
static void wr(void *p) { *(volatile uint64_t *)p = 0x5151515151515151ull; }
static void u_rd(void *p) { val = *(volatile uint64_t *)p; user_exit(); }
static void u_wr(void *p) { *(volatile uint64_t *)p = 0x6161616161616161ull; user_exit(); }
static void call(void *p) { ((void (*)(void))p)(); }

static void set_pte(int i, uint64_t v)
{
	pt_test[i] = v;
	invlpg(VA(i));
}

struct pfcase {
	const char *name;
	uint64_t pte;            /* PTE for page 1 */
	void (*fn)(void *);
	bool user;
	uint64_t error;
};

static struct trap_info t;

static void check_pf(const char *name, void (*fn)(void *), bool user, void *va,
		     uint64_t error)
{
	if (user)
		user_try(fn, va, 0, &t);
	else
		trap_try(fn, va, &t);
	tap_ok(t.vector == EXC_PF && t.error == error && t.cr2 == (uintptr_t)va,
	       "%s: #PF error 0x%lx cr2 0x%lx (got vector %d error 0x%lx cr2 0x%lx)", name,
	       error, (uint64_t)(uintptr_t)va, t.vector, t.error, t.cr2);
}

int main(void)
{
	bool has_nx = cpu_has(0x80000001, 'd', CPUID_81_EDX_NX);
	bool has_1g = cpu_has(0x80000001, 'd', CPUID_81_EDX_1GB);
	int maxphy = cpu_maxphyaddr();

	tap_plan(25);

	boot_pdpt[4] = PA(pd_test) | PTE_P | PTE_W | PTE_U;
	pd_test[0] = PA(pt_test) | PTE_P | PTE_W | PTE_U;
	flush_tlb();

	/* 4 KiB page: read and write through the new mapping. */
	*(volatile uint64_t *)frames[0] = 0x0123456789abcdefull;
	set_pte(0, PA(frames[0]) | PTE_P | PTE_W);
	tap_check_u64(*VA(0), 0x0123456789abcdefull, "4K page: read through the mapping");
	tap_ok((pt_test[0] & (PTE_A | PTE_D)) == PTE_A, "4K page: read sets A, not D (pte 0x%lx)",
	       pt_test[0]);
	tap_ok((pd_test[0] & PTE_A) && (boot_pdpt[4] & PTE_A),
	       "4K page: the walk sets A in the PDE and PDPTE");
	*VA(0) = 0xfeedfacecafebeefull;
	tap_check_u64(*(volatile uint64_t *)frames[0], 0xfeedfacecafebeefull,
		      "4K page: write through the mapping");
	tap_ok(pt_test[0] & PTE_D, "4K page: write sets D (pte 0x%lx)", pt_test[0]);
	tap_ok(!(pd_test[0] & PTE_D), "4K page: D is not set in a non-leaf PDE");

	/* A and D are set again after software clears them (SDM §5.8). */
	set_pte(0, PA(frames[0]) | PTE_P | PTE_W);
	*VA(0) = 1;
	tap_ok((pt_test[0] & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
	       "write to a fresh PTE sets A and D together");

	/* INVLPG: remap page 0 to another frame. */
	*(volatile uint64_t *)frames[1] = 0x1111;
	set_pte(0, PA(frames[1]) | PTE_P | PTE_W);
	tap_check_u64(*VA(0), 0x1111, "INVLPG makes a new translation visible");

	/* #PF error codes for page 1 (SDM §5.7, Figure 5-12). */
	set_pte(1, 0);
	check_pf("read, not present", rd, false, (void *)VA(1), 0);
	check_pf("write, not present", wr, false, (void *)VA(1), PFEC_W);
	check_pf("user read, not present", u_rd, true, (void *)VA(1), PFEC_U);
	set_pte(1, PA(frames[2]) | PTE_P);
	write_cr0(read_cr0() | CR0_WP);
	check_pf("supervisor write to read-only, CR0.WP=1", wr, false, (void *)VA(1),
		 PFEC_P | PFEC_W);
	write_cr0(read_cr0() & ~CR0_WP);
	trap_try(wr, (void *)VA(1), &t);
	tap_ok(t.vector == -1 && *(volatile uint64_t *)frames[2] == 0x5151515151515151ull,
	       "supervisor write to read-only, CR0.WP=0 succeeds (vector %d)", t.vector);
	/* User accesses: U=0 in the PTE (the upper levels have U=1). */
	check_pf("user read of a supervisor page", u_rd, true, (void *)VA(1), PFEC_P | PFEC_U);
	set_pte(1, PA(frames[2]) | PTE_P | PTE_W);
	check_pf("user write of a supervisor page", u_wr, true, (void *)VA(1),
		 PFEC_P | PFEC_W | PFEC_U);
	set_pte(1, PA(frames[2]) | PTE_P | PTE_U);
	check_pf("user write of a read-only user page", u_wr, true, (void *)VA(1),
		 PFEC_P | PFEC_W | PFEC_U);
	set_pte(1, PA(frames[2]) | PTE_P | PTE_W | PTE_U);
	user_try(u_wr, (void *)VA(1), 0, &t);
	tap_ok(t.vector == VEC_USER_EXIT && *(volatile uint64_t *)frames[2] == 0x6161616161616161ull,
	       "user write of a writable user page succeeds (vector %d)", t.vector);

	/* Reserved bits: a physical-address bit at or above MAXPHYADDR. */
	if (maxphy < 52) {
		set_pte(1, PA(frames[2]) | PTE_P | PTE_W | (1ull << maxphy));
		check_pf("PTE with a bit above MAXPHYADDR -> RSVD", rd, false, (void *)VA(1),
			 PFEC_P | PFEC_RSVD);
	} else {
		tap_skip("MAXPHYADDR is 52", "PTE with a bit above MAXPHYADDR -> RSVD");
	}
	/* With EFER.NXE=0, bit 63 (XD) is reserved (SDM §5.5, Table 5-20 note). */
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) & ~EFER_NXE);
	set_pte(1, PA(frames[2]) | PTE_P | PTE_W | PTE_XD);
	check_pf("XD set while EFER.NXE=0 -> RSVD", wr, false, (void *)VA(1),
		 PFEC_P | PFEC_W | PFEC_RSVD);

	/* NX: fetch from an XD page (SDM §5.7: I is set for fetches when
	 * EFER.NXE=1). */
	frames[3][0] = 0xc3;             /* ret */
	if (has_nx) {
		wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_NXE);
		set_pte(2, PA(frames[3]) | PTE_P | PTE_W);
		trap_try(call, (void *)VA(2), &t);
		tap_ok(t.vector == -1, "fetch from an executable page works (vector %d)", t.vector);
		set_pte(2, PA(frames[3]) | PTE_P | PTE_W | PTE_XD);
		check_pf("fetch from an XD page", call, false, (void *)VA(2), PFEC_P | PFEC_I);
		/* A fetch fault reports the target as both CR2 and RIP. */
		tap_check_u64(t.rip, VA_4K + 2 * 4096, "fetch from an XD page: pushed RIP");
		set_pte(2, 0);
		check_pf("fetch from a not-present page with NXE=1", call, false, (void *)VA(2),
			 PFEC_I);
		wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) & ~EFER_NXE);
	} else {
		for (int i = 0; i < 4; i++)
			tap_skip("no NX", "NX %d", i);
	}

	/* 2 MiB page, read-only check against the identity map. */
	uint64_t big = PA(frames) & ~0x1fffffull;
	pd_test[1] = big | PTE_P | PTE_W | PTE_PS;
	flush_tlb();
	*(volatile uint64_t *)frames[3] = 0x2222333344445555ull;
	tap_check_u64(*(volatile uint64_t *)(uintptr_t)(VA_2M + PA(frames[3]) - big),
		      0x2222333344445555ull, "2M page maps the same bytes as the identity map");

	/* 1 GiB page at physical 0. */
	if (has_1g) {
		boot_pdpt[5] = 0 | PTE_P | PTE_W | PTE_PS;
		flush_tlb();
		volatile uint64_t *alias = (volatile uint64_t *)(uintptr_t)(VA_1G + PA(frames[0]));
		*alias = 0x1a2b3c4d;
		tap_check_u64(*(volatile uint64_t *)frames[0], 0x1a2b3c4d,
			      "1G page: write through it lands at the identity address");
	} else {
		tap_skip("CPUID.80000001H:EDX[26] clear", "1G page");
	}
	return tap_done();
}
