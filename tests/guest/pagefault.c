/* Page-fault corner cases in 4-level paging: permissions combine across
 * levels (SDM Vol. 3A §5.6), reserved bits at upper levels, accesses that
 * cross into a faulting page (CR2 and no partial write), REP MOVS progress
 * at a fault (Vol. 2B REP: a fault leaves the registers describing the
 * iterations completed), and CR3 reload as a TLB flush (§5.10.4.1). */
#include "guest.h"

extern uint64_t boot_pdpt[512];

/* PDPT[6] -> pd6; PDE 0 -> pt_a, PDE 1 -> pt_b (4 KiB pages each). */
#define VA 0x180000000ull
static uint64_t pd6[512] __attribute__((aligned(4096)));
static uint64_t pt_a[512] __attribute__((aligned(4096)));
static uint64_t pt_b[512] __attribute__((aligned(4096)));
static uint8_t frames[4][4096] __attribute__((aligned(4096)));
#define PA(p) ((uint64_t)(uintptr_t)(p))
#define PAGE(i) ((uint8_t *)(uintptr_t)(VA + 4096 * (i)))          /* via pt_a */
#define PAGE_B(i) ((uint8_t *)(uintptr_t)(VA + 0x200000 + 4096 * (i)))

static struct trap_info t;
static volatile uint64_t val;
static void rd(void *p) { val = *(volatile uint64_t *)p; }
static void wr(void *p) { *(volatile uint64_t *)p = 0x5151515151515151ull; }
static void u_rd(void *p) { val = *(volatile uint64_t *)p; user_exit(); }
static void call(void *p) { ((void (*)(void))p)(); }
static void wr_dword(void *p) { *(volatile uint32_t *)p = 0x11223344; }

static uint64_t rep_rcx, rep_rdi, rep_rsi;
static void rep_copy(void *dst)
{
	uint64_t c = 16;
	void *s = frames[3];
	asm volatile("rep movsb" : "+c"(c), "+D"(dst), "+S"(s) : : "memory");
}

/* Read-modify-write forms on a read-only page (WP=1).  CMPXCHG writes
 * the destination back even when the comparison fails (SDM Vol. 2A
 * CMPXCHG: "the destination operand is written back if the comparison
 * fails"), so it faults as a write either way. */
static void cmpxchg_ne(void *p)
{
	asm volatile("lock cmpxchgq %1, (%2)" : : "a"(0x1234567ull), "r"(0ull), "r"(p) : "cc", "memory");
}
static void add_mem(void *p)
{
	asm volatile("addq $1, (%0)" : : "r"(p) : "cc", "memory");
}
static void bt_mem(void *p)
{
	asm volatile("btq $3, (%0)" : : "r"(p) : "cc", "memory");
}
/* PUSH onto a read-only stack page: #PF with RSP unchanged. */
uint64_t saved_rsp;
FAULT_FN(push_ro, "mov %rsp, saved_rsp(%rip)\nmov %rdi, %rsp\n"
	 ".globl push_ro_at\npush_ro_at: push $1\nmov saved_rsp(%rip), %rsp");

static void reset(void)
{
	boot_pdpt[6] = PA(pd6) | PTE_P | PTE_W | PTE_U;
	pd6[0] = PA(pt_a) | PTE_P | PTE_W | PTE_U;
	pd6[1] = PA(pt_b) | PTE_P | PTE_W | PTE_U;
	for (int i = 0; i < 4; i++) {
		pt_a[i] = PA(frames[i]) | PTE_P | PTE_W | PTE_U;
		pt_b[i] = PA(frames[i]) | PTE_P | PTE_W | PTE_U;
	}
	flush_tlb();
}

static void pf(const char *name, void (*fn)(void *), bool user, void *va, uint64_t cr2,
	       uint64_t error)
{
	if (user)
		user_try(fn, va, 0, &t);
	else
		trap_try(fn, va, &t);
	tap_ok(t.vector == EXC_PF && t.error == error && t.cr2 == cr2,
	       "%s: #PF error 0x%lx cr2 0x%lx (got vector %d error 0x%lx cr2 0x%lx)", name, error,
	       cr2, t.vector, t.error, t.cr2);
}

int main(void)
{
	tap_plan(18);
	write_cr0(read_cr0() | CR0_WP);

	/* U/S must be 1 at every level for a user access. */
	reset();
	pd6[1] &= ~PTE_U;
	flush_tlb();
	pf("user read, PDE U=0 but PTE U=1", u_rd, true, PAGE_B(0), PA(PAGE_B(0)), PFEC_P | PFEC_U);
	/* R/W=0 in the PDE makes the whole 2 MiB read-only (with WP=1). */
	reset();
	pd6[1] &= ~PTE_W;
	flush_tlb();
	pf("supervisor write, PDE R/W=0 but PTE R/W=1, WP=1", wr, false, PAGE_B(1), PA(PAGE_B(1)),
	   PFEC_P | PFEC_W);
	/* XD in an upper level forbids fetches below it. */
	if (cpu_has(0x80000001, 'd', CPUID_81_EDX_NX)) {
		reset();
		wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_NXE);
		frames[2][0] = 0xc3;
		pd6[1] |= PTE_XD;
		flush_tlb();
		pf("fetch, PDE XD=1 but PTE XD=0", call, false, PAGE_B(2), PA(PAGE_B(2)),
		   PFEC_P | PFEC_I);
		wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) & ~EFER_NXE);
	} else {
		tap_skip("no NX", "fetch, PDE XD=1");
	}
	/* PS is reserved in a PML4E; bits 20:13 are reserved in a 2 MiB PDE
	 * (SDM Tables 5-15, 5-18). */
	reset();
	pd6[1] = PA(frames[0]) & ~0x1fffffull;
	pd6[1] |= PTE_P | PTE_W | PTE_PS | (1ull << 13);
	flush_tlb();
	pf("2M PDE with bit 13 set -> RSVD", rd, false, PAGE_B(0), PA(PAGE_B(0)), PFEC_P | PFEC_RSVD);

	/* A dword write that starts in a writable page and ends in a
	 * read-only one: #PF with CR2 at the read-only page and no bytes
	 * written (faults are precise). */
	reset();
	pt_a[1] = PA(frames[1]) | PTE_P | PTE_U;
	flush_tlb();
	memset(frames[0], 0xaa, 4096);
	pf("dword write crossing into a read-only page", wr_dword, false, PAGE(0) + 4094,
	   PA(PAGE(1)), PFEC_P | PFEC_W);
	tap_ok(frames[0][4094] == 0xaa && frames[0][4095] == 0xaa,
	       "the crossing write changed nothing in the first page (0x%x 0x%x)", frames[0][4094],
	       frames[0][4095]);
	/* A qword read crossing into a not-present page. */
	pt_a[1] = 0;
	flush_tlb();
	pf("qword read crossing into a not-present page", rd, false, PAGE(0) + 4092, PA(PAGE(1)), 0);

	/* REP MOVSB stops at the faulting element with RCX/RDI/RSI updated
	 * for the iterations done (the fault is on the 9th byte). */
	for (int i = 0; i < 16; i++)
		frames[3][i] = (uint8_t)(0x30 + i);
	memset(frames[0], 0, 4096);
	trap_try(rep_copy, PAGE(0) + 4088, &t);
	rep_rcx = t.rcx;
	rep_rdi = t.rdi;
	rep_rsi = t.rsi;
	tap_ok(t.vector == EXC_PF && t.cr2 == PA(PAGE(1)), "rep movsb faults at the page boundary (cr2 0x%lx)",
	       t.cr2);
	tap_ok(rep_rcx == 8 && rep_rdi == PA(PAGE(1)) && rep_rsi == PA(frames[3]) + 8,
	       "rep movsb at the fault: rcx %lu rdi 0x%lx rsi 0x%lx (expected 8, page 1, src+8)",
	       rep_rcx, rep_rdi, rep_rsi);
	tap_ok(frames[0][4088] == 0x30 && frames[0][4095] == 0x37,
	       "rep movsb copied the 8 bytes before the fault");

	/* Changing a PTE and reloading CR3 makes the new mapping visible. */
	reset();
	*(volatile uint64_t *)frames[0] = 0xa0a0;
	*(volatile uint64_t *)frames[1] = 0xb1b1;
	val = *(volatile uint64_t *)PAGE(0);
	pt_a[0] = PA(frames[1]) | PTE_P | PTE_W | PTE_U;
	write_cr3(read_cr3());
	tap_check_u64(*(volatile uint64_t *)PAGE(0), 0xb1b1, "MOV to CR3 flushes the old translation");

	/* An instruction that straddles into a not-present page: #PF for the
	 * fetch with CR2 at the page boundary and RIP at the instruction
	 * (SDM Vol. 3A §7.15 Interrupt 14: CR2 holds the address that faulted). */
	reset();
	pt_a[1] = 0;
	flush_tlb();
	uint8_t *insn = (uint8_t *)frames[0] + 4093;
	insn[0] = 0xb8;                  /* mov eax, imm32: 5 bytes, 2 in page 1 */
	insn[1] = 0x11;
	insn[2] = 0x22;
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) & ~EFER_NXE);
	trap_try(call, PAGE(0) + 4093, &t);
	tap_ok(t.vector == EXC_PF && t.cr2 == PA(PAGE(1)) && t.rip == PA(PAGE(0) + 4093) &&
	       t.error == 0,
	       "fetch straddling into a not-present page: cr2 0x%lx rip 0x%lx error 0x%lx",
	       t.cr2, t.rip, t.error);

	/* Read-modify-write instructions on a read-only page. */
	reset();
	*(volatile uint64_t *)frames[1] = 0x77;
	pt_a[1] = PA(frames[1]) | PTE_P | PTE_U;
	flush_tlb();
	pf("lock cmpxchg (not equal) on a read-only page", cmpxchg_ne, false, PAGE(1), PA(PAGE(1)),
	   PFEC_P | PFEC_W);
	pf("add to memory on a read-only page", add_mem, false, PAGE(1), PA(PAGE(1)), PFEC_P | PFEC_W);
	tap_check_u64(*(volatile uint64_t *)frames[1], 0x77, "the faulting add changed nothing");
	trap_try(bt_mem, PAGE(1), &t);
	tap_check_u64(t.vector, (uint64_t)-1, "bt (read only) on a read-only page does not fault");
	/* The #PF frame cannot go on that stack: deliver #PF on IST2. */
	static uint8_t ist[4096] __attribute__((aligned(16)));
	tss_set_ist(2, (uintptr_t)(ist + sizeof(ist)));
	idt_gate_ist(EXC_PF, 2);
	trap_try(push_ro, PAGE(1) + 64, &t);
	idt_gate_ist(EXC_PF, 0);
	tap_ok(t.vector == EXC_PF && t.error == (PFEC_P | PFEC_W) && t.cr2 == PA(PAGE(1)) + 56 &&
	       t.rsp == PA(PAGE(1)) + 64 && t.rip == (uintptr_t)push_ro_at,
	       "push onto a read-only stack: #PF, RSP unchanged (error 0x%lx cr2 0x%lx rsp 0x%lx)",
	       t.error, t.cr2, t.rsp);

	/* A fetch sets A but not D. */
	reset();
	frames[2][0] = 0xc3;
	trap_try(call, PAGE(2), &t);
	tap_ok(t.vector == -1 && (pt_a[2] & (PTE_A | PTE_D)) == PTE_A,
	       "an instruction fetch sets A, not D (pte 0x%lx)", pt_a[2]);
	write_cr0(read_cr0() & ~CR0_WP);
	return tap_done();
}
