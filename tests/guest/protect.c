/* Supervisor-mode protections and global pages in 4-level paging:
 * CR4.SMEP (supervisor fetch from a user page), CR4.SMAP (supervisor data
 * access to a user page unless RFLAGS.AC, via STAC/CLAC), and CR4.PGE
 * (toggling it flushes global translations; INVLPG flushes a global
 * page).  SDM Vol. 3A §5.6.1, §5.10.4.1. */
#include "guest.h"

#define CPUID_7_EBX_SMEP 7
#define CPUID_7_EBX_SMAP 20
#define CPUID_1_EDX_PGE 13

extern uint64_t boot_pdpt[512];
#define VA 0x1c0000000ull             /* PDPT[7] */
static uint64_t pd7[512] __attribute__((aligned(4096)));
static uint64_t pt7[512] __attribute__((aligned(4096)));
static uint8_t frames[3][4096] __attribute__((aligned(4096)));
#define PA(p) ((uint64_t)(uintptr_t)(p))
#define PAGE(i) ((volatile uint64_t *)(uintptr_t)(VA + 4096 * (i)))

static volatile uint64_t val;
static void rd(void *p) { val = *(volatile uint64_t *)p; }
static void wr(void *p) { *(volatile uint64_t *)p = 9; }
static void call(void *p) { ((void (*)(void))p)(); }
static void rd_stac(void *p)
{
	asm volatile("stac");
	val = *(volatile uint64_t *)p;
	asm volatile("clac");
}

static void pf(const char *name, void (*fn)(void *), void *va, uint64_t error)
{
	struct trap_info t;
	trap_try(fn, va, &t);
	tap_ok(t.vector == EXC_PF && t.error == error && t.cr2 == (uintptr_t)va,
	       "%s: #PF error 0x%lx (got vector %d error 0x%lx cr2 0x%lx)", name, error, t.vector,
	       t.error, t.cr2);
}

int main(void)
{
	struct trap_info t;
	bool smep = cpu_has(7, 'b', CPUID_7_EBX_SMEP), smap = cpu_has(7, 'b', CPUID_7_EBX_SMAP);
	bool pge = cpu_has(1, 'd', CPUID_1_EDX_PGE);
	tap_plan(7);

	boot_pdpt[7] = PA(pd7) | PTE_P | PTE_W | PTE_U;
	pd7[0] = PA(pt7) | PTE_P | PTE_W | PTE_U;
	pt7[0] = PA(frames[0]) | PTE_P | PTE_W | PTE_U;    /* user page */
	pt7[1] = PA(frames[1]) | PTE_P | PTE_W;            /* supervisor page */
	frames[0][0] = 0xc3;
	frames[1][0] = 0xc3;
	/* The boot identity map is user-accessible (U=1 everywhere); make it
	 * supervisor-only at the PDPT level so that SMEP and SMAP leave the
	 * image's own code and data alone. */
	for (int i = 0; i < 4; i++)
		boot_pdpt[i] &= ~PTE_U;
	flush_tlb();

	if (smep) {
		write_cr4(read_cr4() | CR4_SMEP);
		pf("SMEP: supervisor fetch from a user page", call, (void *)PAGE(0), PFEC_P | PFEC_I);
		trap_try(call, (void *)PAGE(1), &t);
		tap_check_u64(t.vector, (uint64_t)-1, "SMEP: supervisor fetch from a supervisor page");
		write_cr4(read_cr4() & ~CR4_SMEP);
	} else {
		tap_skip("no SMEP", "SMEP fetch");
		tap_skip("no SMEP", "SMEP supervisor page");
	}
	if (smap) {
		write_cr4(read_cr4() | CR4_SMAP);
		pf("SMAP: supervisor read of a user page with AC=0", rd, (void *)PAGE(0), PFEC_P);
		pf("SMAP: supervisor write of a user page with AC=0", wr, (void *)PAGE(0),
		   PFEC_P | PFEC_W);
		trap_try(rd_stac, (void *)PAGE(0), &t);
		tap_check_u64(t.vector, (uint64_t)-1, "SMAP: STAC (AC=1) allows the access");
		write_cr4(read_cr4() & ~CR4_SMAP);
	} else {
		for (int i = 0; i < 3; i++)
			tap_skip("no SMAP", "SMAP %d", i);
	}
	if (pge) {
		write_cr4(read_cr4() | CR4_PGE);
		*(volatile uint64_t *)frames[1] = 0x1111;
		*(volatile uint64_t *)frames[2] = 0x2222;
		pt7[1] = PA(frames[1]) | PTE_P | PTE_W | PTE_G;
		invlpg(PAGE(1));
		val = *PAGE(1);
		/* Retarget the global page and flush by toggling CR4.PGE. */
		pt7[1] = PA(frames[2]) | PTE_P | PTE_W | PTE_G;
		write_cr4(read_cr4() & ~CR4_PGE);
		write_cr4(read_cr4() | CR4_PGE);
		tap_check_u64(*PAGE(1), 0x2222, "toggling CR4.PGE flushes a global translation");
		pt7[1] = PA(frames[1]) | PTE_P | PTE_W | PTE_G;
		invlpg(PAGE(1));
		tap_check_u64(*PAGE(1), 0x1111, "INVLPG flushes a global translation");
		write_cr4(read_cr4() & ~CR4_PGE);
	} else {
		tap_skip("no PGE", "PGE toggle");
		tap_skip("no PGE", "PGE invlpg");
	}
	for (int i = 0; i < 4; i++)
		boot_pdpt[i] |= PTE_U;
	flush_tlb();
	return tap_done();
}
