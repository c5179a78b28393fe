/* EPT violation versus misconfiguration (shared/spec/ept.md §5, §6; SDM
 * Vol. 3C §28.2.3): the known-good VMCS's EPT identity map with one 2 MiB
 * leaf changed per case, guests that read, write or fetch at that GPA, and
 * the exit reason (48 violation, 49 misconfiguration), qualification,
 * guest-physical and guest-linear address fields.
 *
 * The guest's own paging is the boot identity map (2 MiB pages, U/S = 1,
 * R/W = 1, no XD), so with advanced information (CAP[22]) every final
 * access reports bit 9 (user), bit 10 (writable), bit 11 = 0. */
#include "vmcs_good.h"

#define GPA_BASE 0xC0000000ull       /* EPT PD[3]: 3 GiB up */
#define LEAF(i)  (GPA_BASE + ((uint64_t)(i) << 21))

void g_read(void), g_write(void), g_fetch(void), g_fetch_at(void);
asm(".text\ng_read:\n\tmovabs $0xC0000010, %rax\n\tmov (%rax), %rbx\n\tvmcall\n\thlt\n"
    "g_write:\n\tmovabs $0xC0200018, %rax\n\tmovq $1, (%rax)\n\tvmcall\n\thlt\n"
    "g_fetch:\n\tmovabs $0xC0400000, %rax\n\tjmp *%rax\n");
/* The read and the misconfiguration cases reuse g_read at other GPAs. */
void g_read_mc(void);
asm(".text\ng_read_mc:\n\tmovabs $0xC0600020, %rax\n\tmov (%rax), %rbx\n\tvmcall\n\thlt\n");
void g_read_rsvd(void);
asm(".text\ng_read_rsvd:\n\tmovabs $0xC0800000, %rax\n\tmov (%rax), %rbx\n\tvmcall\n\thlt\n");
void g_read_mt(void);
asm(".text\ng_read_mt:\n\tmovabs $0xC0A00000, %rax\n\tmov (%rax), %rbx\n\tvmcall\n\thlt\n");
void g_read_ok(void);
asm(".text\ng_read_ok:\n\tmovabs $0xC0C00000, %rax\n\tmov (%rax), %rbx\n\tvmcall\n\thlt\n");

#define ADDR_MASK 0xffffffffff000ull
static uint64_t *ept_pdpt(void)
{
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(ept_identity_eptp() & ~0xfffull);
	return (uint64_t *)(uintptr_t)(pml4[0] & ADDR_MASK);
}
/* The EPT PDs covering 0-1 GiB and 3-4 GiB, found through the EPTP. */
static uint64_t *ept_pd0(void) { return (uint64_t *)(uintptr_t)(ept_pdpt()[0] & ADDR_MASK); }
static uint64_t *ept_pd3(void) { return (uint64_t *)(uintptr_t)(ept_pdpt()[3] & ADDR_MASK); }

/* The guest's own 4-level page tables (identity, 2 MiB pages, U/S = R/W
 * = 1) for 0-1 GiB and 3-4 GiB, and a 4 KiB EPT page table for the first
 * 2 MiB so that single guest page-table pages can be unmapped in EPT. */
static uint64_t g_pml4[512] __attribute__((aligned(4096)));
static uint64_t g_pdpt[512] __attribute__((aligned(4096)));
static uint64_t g_pd0[512] __attribute__((aligned(4096)));
static uint64_t g_pd3[512] __attribute__((aligned(4096)));
static uint64_t ept_pt0[512] __attribute__((aligned(4096)));

static void guest_tables(void)
{
	for (int i = 0; i < 512; i++) {
		g_pd0[i] = (uint64_t)i << 21 | 0x87;
		g_pd3[i] = (3ull << 30 | (uint64_t)i << 21) | 0x87;
		ept_pt0[i] = (uint64_t)i << 12 | 7 | 6 << 3;
	}
	g_pdpt[0] = (uintptr_t)g_pd0 | 7;
	g_pdpt[3] = (uintptr_t)g_pd3 | 7;
	g_pml4[0] = (uintptr_t)g_pdpt | 7;
}
static uint64_t *pt0_entry(const void *p) { return &ept_pt0[(uintptr_t)p >> 12 & 511]; }

static uint64_t leaf(int i, uint64_t perms) { return LEAF(i) | perms | 6 << 3 | 1 << 7; }

struct ept_case {
	const char *id, *what;
	void (*guest)(void);
	int leaf_index;
	uint64_t entry;        /* the leaf's new value */
	uint32_t reason;
	uint64_t qual;         /* without the advanced bits 9-11 */
	uint64_t gpa;
	bool final_access;     /* qualification bits 7/8 and the advanced bits apply */
};

#define ADV (1u << 9 | 1u << 10)     /* user-mode, writable linear address */
static const struct ept_case cases[] = {
	{ "EPTV-1", "read of a GPA whose EPT leaf is not present", g_read, 0, 0,
	  48, 0x181, LEAF(0) + 0x10, true },
	{ "EPTV-3", "write to a GPA mapped R-X", g_write, 1, 5,
	  48, 0x1AA, LEAF(1) + 0x18, true },
	{ "EPTV-4", "fetch from a GPA mapped RW-", g_fetch, 2, 3,
	  48, 0x19C, LEAF(2), true },
	{ "EPTV-2", "read of a GPA mapped execute-only", g_read_mc, 3, 4,
	  48, 0x1A1, LEAF(3) + 0x20, true },
	{ "EPTMC-1", "read through a write-only leaf (bits 2:0 = 010b)", g_read_mc, 3, 2,
	  49, 0, LEAF(3) + 0x20, false },
	{ "EPTMC-3", "leaf with bit MAXPHYADDR set", g_read_rsvd, 4, 7,
	  49, 0, LEAF(4), false },
	{ "EPTMC-3", "2 MiB leaf with reserved bit 12 set", g_read_rsvd, 4, 7 | 1 << 12,
	  49, 0, LEAF(4), false },
	{ "EPTMC-5", "leaf memory type 2", g_read_mt, 5, 7,
	  49, 0, LEAF(5), false },
	{ "EPTMC-5", "leaf memory type 7", g_read_mt, 5, 7,
	  49, 0, LEAF(5), false },
};

int main(void)
{
	tap_plan(3 * (int)ARRAY_SIZE(cases) + 3 + 8);
	vmx_test_init();
	if (!has_proc2(PROC2_EPT))
		tap_bail("no EPT in this CPU's capabilities");
	uint64_t *pd = ept_pd3();
	bool adv = caps.ept_vpid >> 22 & 1;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ept_case *c = &cases[i];
		uint64_t saved = pd[c->leaf_index], e;
		switch (i) {
		case 0: e = 0; break;
		case 5: e = leaf(c->leaf_index, 7) | 1ull << caps.maxphyaddr; break;
		case 7: e = (leaf(c->leaf_index, 7) & ~0x38ull) | 2 << 3; break;
		case 8: e = (leaf(c->leaf_index, 7) & ~0x38ull) | 7 << 3; break;
		default: e = leaf(c->leaf_index, c->entry); break;
		}
		pd[c->leaf_index] = e;
		vmcs_good(GOOD_DEFAULT, c->guest);
		if (caps.ept_vpid >> 20 & 1) {
			struct vmx_inv_desc d = { 0, 0 };
			invept_flags(2, &d, 0);
		}
		struct entry_result r = vmx_enter(false);
		uint64_t want_q = c->qual | (adv && c->final_access ? ADV : 0);
		uint64_t gpa = vmr(VMCS_GUEST_PHYSICAL_ADDRESS);
		pd[c->leaf_index] = saved;
		tap_ok(r.exited && r.reason == c->reason, "%s %s -> exit %u (got 0x%x)", c->id, c->what,
		       c->reason, r.reason);
		if (c->reason == 48)
			tap_ok(r.qual == want_q, "%s qualification 0x%lx (got 0x%lx)", c->id, want_q, r.qual);
		else
			tap_ok(r.qual == 0, "%s misconfiguration qualification 0 (got 0x%lx)", c->id, r.qual);
		tap_ok(gpa == c->gpa, "%s guest-physical address 0x%lx (got 0x%lx)", c->id, c->gpa, gpa);
		if (i == 0)
			tap_check_u64(vmr(VMCS_GUEST_LINEAR_ADDRESS), c->gpa,
				      "EPTV-1 guest-linear address = the linear address read");
	}
	/* The restored map works again: a read at a mapped GPA completes. */
	vmcs_good(GOOD_DEFAULT, g_read_ok);
	struct entry_result r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "read through an intact EPT leaf completes (exit 0x%x)", r.reason);
	/* A violation is fault-like: the guest RIP is the faulting read. */
	pd[0] = 0;
	vmcs_good(GOOD_DEFAULT, g_read);
	r = vmx_enter(false);
	pd[0] = leaf(0, 7);
	tap_check_u64(vmr(VMCS_GUEST_RIP), (uintptr_t)g_read + 10, "EPT violation saves the RIP of the faulting instruction");

	/* A guest paging-structure access: the guest's PDE page for 3 GiB is
	 * not present in EPT.  Qualification: read (bit 0), GLA valid (7),
	 * not the final access (bit 8 = 0, so no advanced bits) = 0x81; GPA =
	 * the PDE's address; GLA = the address being translated. */
	guest_tables();
	uint64_t *pd0 = ept_pd0(), saved0 = pd0[0];
	if ((uintptr_t)g_pd3 >= 2u << 20)
		tap_bail("the guest page tables are not in the first 2 MiB");
	pd0[0] = (uintptr_t)ept_pt0 | 7;
	*pt0_entry(g_pd3) = 0;
	vmcs_good(GOOD_DEFAULT, g_read);
	vmw(VMCS_GUEST_CR3, (uintptr_t)g_pml4);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 48 && r.qual == 0x81,
	       "EPTV-1 guest page walk reads an unmapped PDE -> exit 48 qual 0x81 (got 0x%x qual 0x%lx)", r.reason, r.qual);
	tap_check_u64(vmr(VMCS_GUEST_PHYSICAL_ADDRESS), (uintptr_t)g_pd3, "EPTV-1 walk: GPA = the guest PDE");
	tap_check_u64(vmr(VMCS_GUEST_LINEAR_ADDRESS), LEAF(0) + 0x10, "EPTV-1 walk: GLA = the address being translated");

	/* EPTV-5: with EPT A/D flags on, guest paging-structure accesses are
	 * writes: a read-only mapping of the guest PDE page -> violation with
	 * qualification bits 0 and 1 (SDM), readable (3), GLA valid (7). */
	if (caps.ept_vpid >> 21 & 1) {
		*pt0_entry(g_pd3) = (uintptr_t)g_pd3 | 1 | 6 << 3;
		vmcs_good(GOOD_DEFAULT, g_read_ok);
		vmw(VMCS_GUEST_CR3, (uintptr_t)g_pml4);
		vmw_or(VMCS_EPT_POINTER, 1 << 6);
		r = vmx_enter(false);
		tap_ok(r.exited && r.reason == 48 && r.qual == 0x8B,
		       "EPTV-5 A/D on: walk through a read-only PDE page -> exit 48 qual 0x8B (got 0x%x qual 0x%lx)",
		       r.reason, r.qual);
		tap_check_u64(vmr(VMCS_GUEST_PHYSICAL_ADDRESS), (uintptr_t)g_pd3 + 6 * 8,
			      "EPTV-5: GPA = the guest PDE for 0xC0C00000");
	} else {
		tap_skip("no EPT A/D flags", "EPTV-5 A/D");
		tap_skip("no EPT A/D flags", "EPTV-5 GPA");
	}
	*pt0_entry(g_pd3) = (uintptr_t)g_pd3 | 7 | 6 << 3;
	vmcs_good(GOOD_DEFAULT, g_read_ok);
	vmw(VMCS_GUEST_CR3, (uintptr_t)g_pml4);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "the 4 KiB EPT map with the guest's own tables works (exit 0x%x)", r.reason);
	pd0[0] = saved0;

	/* Order (ept.md §5.4): a misconfigured upper-level entry wins over a
	 * not-present leaf below it. */
	uint64_t *pdpt = ept_pdpt(), saved3 = pdpt[3];
	pd[0] = 0;
	pdpt[3] |= 1 << 3;
	vmcs_good(GOOD_DEFAULT, g_read);
	r = vmx_enter(false);
	pdpt[3] = saved3;
	pd[0] = leaf(0, 7);
	tap_ok(r.exited && r.reason == 49,
	       "EPTMC-3 reserved bit 3 in the EPT PDPTE above a not-present leaf -> exit 49 (got 0x%x)", r.reason);
	tap_check_u64(vmr(VMCS_GUEST_PHYSICAL_ADDRESS), LEAF(0) + 0x10, "EPTMC-3 order case: GPA of the access");
	return tap_done();
}
