/* EPT translation and the TLB contexts of VMX operation (shared/spec/
 * ept.md; SDM Vol. 3C §28.2 "The Extended Page Table Mechanism", §28.3
 * "Caching Translation Information").
 *
 * ept_translate() walks the EPT paging structures each time it is called.
 * What makes that affordable is the software TLB in front of the whole
 * linear -> host-physical translation (tlb.c): its entries are the
 * "combined mappings" of the SDM, and every tag carries the context they
 * belong to in bits 11:1 (cpu->tlb_asid):
 *
 *   TLB tag:  63             12 11        1   0
 *            [ linear page     | context   | invalid ]
 *
 * A context is the host (VMX root operation, and everything outside VMX),
 * or one VPID/EPTRTA combination of a guest.  VM entry and VM exit switch
 * cpu->tlb_asid and bump cpu->xlat_gen (the blocks' successor links); they
 * never scan the TLB.  Invalidation retires a context's tag: its entries
 * can no longer match, and are overwritten as the TLB refills.  Only when
 * the 2047 tags are used up is the TLB really flushed, once, and the
 * numbering starts again.
 */
#include "ept.h"

#include <string.h>

#include "../cpu/cpu.h"
#include "../cpu/ops.h"
#include "../mem/bus.h"
#include "apicv.h"
#include "exit.h"
#include "profile.h"
#include "vmcs.h"
#include "vmx.h"

/* Controls (shared/spec/vmx-capabilities.md §5). */
#define EPT_PROC_TPR_SHADOW (1u << 21)
#define EPT_PROC_SECONDARY  (1u << 31)
#define EPT_PROC2_VAPIC     (1u << 0)    /* virtualize APIC accesses */
#define EPT_PROC2_EPT       (1u << 1)
#define EPT_PROC2_VPID      (1u << 5)
#define EPT_PROC2_PML       (1u << 17)
#define EPT_PROC2_VE        (1u << 18)
#define EPT_PROC2_MBE       (1u << 22)   /* mode-based execute control */

/* IA32_VMX_EPT_VPID_CAP (vmx-capabilities.md §8.2). */
#define CAP_EXEC_ONLY       (1ull << 0)
#define CAP_WALK5           (1ull << 7)
#define CAP_PAGE_2M         (1ull << 16)
#define CAP_PAGE_1G         (1ull << 17)
#define CAP_ADV_INFO        (1ull << 22)

/* EPTP (ept.md §2):
 *   63   N N-1           12 11   8  7     6     5:3          2:0
 *  [rsvd | top table addr  | rsvd | SSS | A/D | walk len - 1 | memtype ] */
#define EPTP_AD             (1ull << 6)
#define EPTP_LEVELS(p)      ((unsigned)(((p) >> 3) & 7) + 1)
#define EPTRTA_MASK         0x000ffffffffff000ull   /* EPTP[51:12] */

/* EPT entry (ept.md §4):
 *   63    62:52  51:N   N-1:12  11   10  9  8  7   6     5:3   2  1  0
 *  [SVE | ign  | rsvd | address| ign| UX| D| A| PS| IPAT| type| X| W| R] */
#define EPTE_R              (1ull << 0)
#define EPTE_W              (1ull << 1)
#define EPTE_X              (1ull << 2)
#define EPTE_PS             (1ull << 7)
#define EPTE_A              (1ull << 8)
#define EPTE_D              (1ull << 9)
#define EPTE_UX             (1ull << 10)
#define EPTE_SUPPRESS_VE    (1ull << 63)
#define EPTE_TYPE(e)        ((unsigned)((e) >> 3) & 7)

/* Permissions as the walk ANDs them: R, W, X in bits 2:0 as in the entry,
 * the user-mode execute bit 10 (MBE) in bit 3. */
#define PERM_R 1u
#define PERM_W 2u
#define PERM_X 4u
#define PERM_UX 8u

/* EPT-violation exit qualification (ept.md §6). */
#define QUAL_READ           (1ull << 0)
#define QUAL_WRITE          (1ull << 1)
#define QUAL_FETCH          (1ull << 2)
#define QUAL_PERM_SHIFT     3             /* bits 5:3 = R W X, bit 6 = UX */
#define QUAL_GLA_VALID      (1ull << 7)
#define QUAL_FINAL          (1ull << 8)   /* the translation, not a walk access */
#define QUAL_LIN_USER       (1ull << 9)
#define QUAL_LIN_WRITE      (1ull << 10)
#define QUAL_LIN_XD         (1ull << 11)

#define EXC_VE 20           /* virtualization exception */

/* The entries one walk used, for the A/D updates and the #VE test. */
struct ept_walk {
	uint64_t at[5];     /* host-physical address of each entry */
	uint64_t e[5];      /* its value */
	unsigned n;         /* entries read; the last one stopped the walk */
};

bool ept_enabled(const struct cpu *cpu)
{
	const struct vmx *v = cpu->vmx;

	return cpu->vmx_nonroot && (VMCS_GET(v, PROC_CONTROLS) & EPT_PROC_SECONDARY) &&
	       (VMCS_GET(v, PROC2_CONTROLS) & EPT_PROC2_EPT);
}

/* One EPT entry, host-physical, charged as a page-walk step. */
static uint64_t ept_read(struct cpu *cpu, uint64_t hpa)
{
	struct bus *bus = cpu->bus;

	cpu->cycles += C_WALK_STEP;
	if (likely(hpa < bus->ram_size && bus->ram_size - hpa >= 8)) {
		uint64_t v;

		memcpy(&v, bus->ram + hpa, 8);
		return v;
	}
	return bus_read(bus, hpa, 8);
}

/* §5.2: a present entry holding a reserved setting.  `level` 4 (5) is the
 * PML4E (PML5E), 3 the PDPTE, 2 the PDE, 1 the PTE.  `rsvd_hi` = bits
 * 51:MAXPHYADDR. */
static bool misconfigured(uint64_t e, unsigned level, uint64_t cap, uint64_t rsvd_hi)
{
	bool leaf = level == 1 || (level <= 3 && (e & EPTE_PS));

	/* EPTMC-1: write permission without read permission. */
	if ((e & (EPTE_R | EPTE_W)) == EPTE_W)
		return true;
	/* EPTMC-2: execute-only (bit 2, or with MBE bit 10, alone) while
	 * execute-only translations are unsupported. */
	if (!(e & (EPTE_R | EPTE_W)) && !(cap & CAP_EXEC_ONLY))
		return true;
	/* EPTMC-3: reserved bits. */
	if (e & rsvd_hi)
		return true;
	if (level >= 4 && (e & 0xf8))                 /* PML4E/PML5E bits 7:3 */
		return true;
	if (!leaf && (e & 0x78))                      /* non-leaf PDPTE/PDE bits 6:3 */
		return true;
	if (leaf && level == 3 && (e & 0x3ffff000ull)) /* 1-GiB page bits 29:12 */
		return true;
	if (leaf && level == 2 && (e & 0x1ff000ull))   /* 2-MiB page bits 20:12 */
		return true;
	/* EPTMC-4: a page size the capability MSR does not report. */
	if (level == 3 && (e & EPTE_PS) && !(cap & CAP_PAGE_1G))
		return true;
	if (level == 2 && (e & EPTE_PS) && !(cap & CAP_PAGE_2M))
		return true;
	/* EPTMC-5: memory types 2, 3 and 7 are reserved (§9). */
	if (leaf) {
		unsigned t = EPTE_TYPE(e);

		if (t == 2 || t == 3 || t == 7)
			return true;
	}
	return false;
}

/* Table 27-7 (ept.md §6).  `perm` is the AND over the walk (0 when it
 * stopped at a not-present entry). */
static uint64_t violation_qual(const struct cpu *cpu, enum acc_kind kind, unsigned eptf,
                               unsigned perm, bool ad, bool mbe)
{
	uint64_t cap = vmx_cap(cpu->vmx->profile, MSR_IA32_VMX_EPT_VPID_CAP);
	uint64_t q;

	if (kind == ACC_EXEC)
		q = QUAL_FETCH;
	else if (ad && (eptf & EPTF_PAGING))
		q = QUAL_READ | QUAL_WRITE; /* EPTV-5: the SDM sets both bits */
	else
		q = kind == ACC_WRITE ? QUAL_WRITE : QUAL_READ;
	q |= (uint64_t)(perm & (PERM_R | PERM_W | PERM_X)) << QUAL_PERM_SHIFT;
	if (mbe && (perm & PERM_UX))
		q |= 1ull << 6;
	if (eptf & EPTF_GLA_VALID) {
		q |= QUAL_GLA_VALID;
		if (!(eptf & EPTF_PAGING)) {
			q |= QUAL_FINAL;
			/* Bits 9-11: advanced information (CAP[22]). */
			if (cap & CAP_ADV_INFO) {
				if (eptf & EPTF_USER)
					q |= QUAL_LIN_USER;
				if (eptf & EPTF_LIN_WRITE)
					q |= QUAL_LIN_WRITE;
				if (eptf & EPTF_LIN_XD)
					q |= QUAL_LIN_XD;
			}
		}
	}
	return q;
}

/* The exit to take once the access has unwound (vmx.h, VMX_FAULT_VMEXIT). */
static int pending_exit(struct cpu *cpu, uint32_t reason, uint64_t qual)
{
	struct vmx *v = cpu->vmx;

	v->pending_exit_reason = reason;
	v->pending_exit_qual = qual;
	cpu->fault.vector = VMX_FAULT_VMEXIT;
	cpu->fault.has_error = false;
	cpu->fault.error = 0;
	return X_FAULT;
}

/* §10: a convertible EPT violation becomes #VE when the guest is in
 * protected mode, no event is being delivered, and the #VE information
 * area (host-physical) is armed (its word at offset 4 is 0). */
static bool deliver_ve(struct cpu *cpu, uint64_t last, uint64_t qual, uint64_t gpa, uint64_t gla)
{
	struct vmx *v = cpu->vmx;
	uint64_t area = VMCS_GET(v, VE_INFO_ADDR);

	if (!(VMCS_GET(v, PROC2_CONTROLS) & EPT_PROC2_VE) || (last & EPTE_SUPPRESS_VE))
		return false;
	if (!(cpu->cr0 & CR0_PE) || cpu->event_depth != 0 || bus_read(cpu->bus, area + 4, 4) != 0)
		return false;
	bus_write(cpu->bus, area + 0, 4, EXIT_EPT_VIOLATION);
	bus_write(cpu->bus, area + 4, 4, 0xffffffffu);
	bus_write(cpu->bus, area + 8, 8, qual);
	bus_write(cpu->bus, area + 16, 8, gla);
	bus_write(cpu->bus, area + 24, 8, gpa);
	bus_write(cpu->bus, area + 32, 2, VMCS_GET(v, EPTP_INDEX));
	cpu_fault_noerr(cpu, EXC_VE);
	return true;
}

/* §5.3, §6: an EPT violation (exit 48), or the #VE it converts to. */
static int violation(struct cpu *cpu, const struct ept_walk *w, uint64_t gpa, enum acc_kind kind,
                     uint64_t gla, unsigned eptf, unsigned perm, bool ad, bool mbe)
{
	struct vmx *v = cpu->vmx;
	uint64_t qual;

	if (eptf & EPTF_NOFAULT)
		return X_FAULT;
	qual = violation_qual(cpu, kind, eptf, perm, ad, mbe);
	if (deliver_ve(cpu, w->e[w->n - 1], qual, gpa, gla))
		return X_FAULT;
	VMCS_SET(v, GUEST_PHYSICAL_ADDRESS, gpa);
	if (eptf & EPTF_GLA_VALID)
		VMCS_SET(v, GUEST_LINEAR_ADDRESS, gla);
	return pending_exit(cpu, EXIT_EPT_VIOLATION, qual);
}

/* §5.2: an EPT misconfiguration (exit 49, qualification 0; the
 * guest-linear address is written when there is one, as Bochs does). */
static int misconfig(struct cpu *cpu, uint64_t gpa, uint64_t gla, unsigned eptf)
{
	struct vmx *v = cpu->vmx;

	if (eptf & EPTF_NOFAULT)
		return X_FAULT;
	VMCS_SET(v, GUEST_PHYSICAL_ADDRESS, gpa);
	if (eptf & EPTF_GLA_VALID)
		VMCS_SET(v, GUEST_LINEAR_ADDRESS, gla);
	return pending_exit(cpu, EXIT_EPT_MISCONFIG, 0);
}

/* §7 accessed and dirty flags, with §8 page-modification logging: A in
 * every entry the walk used, D in the leaf for a write, set only after
 * the access was found permitted.  With PML on, a flag about to be set
 * first needs a free log slot (else a PML-full exit, reason 62, and
 * nothing is set); a leaf's D going 0 -> 1 logs the page's GPA. */
static int set_ad(struct cpu *cpu, struct ept_walk *w, uint64_t gpa, bool write)
{
	struct vmx *v = cpu->vmx;
	bool pml = (VMCS_GET(v, PROC2_CONTROLS) & EPT_PROC2_PML) != 0;
	unsigned leaf = w->n - 1, idx = 0;
	bool need = write && !(w->e[leaf] & EPTE_D);
	bool dirtied = need;

	for (unsigned i = 0; i < w->n; i++)
		need |= !(w->e[i] & EPTE_A);
	if (!need)
		return X_OK;
	if (pml) {
		idx = (unsigned)VMCS_GET(v, GUEST_PML_INDEX);
		if (idx > 511)
			return pending_exit(cpu, EXIT_PML_FULL, 0);
	}
	for (unsigned i = 0; i < w->n; i++) {
		uint64_t nv = w->e[i] | EPTE_A;

		if (i == leaf && write)
			nv |= EPTE_D;
		if (nv != w->e[i])
			bus_write(cpu->bus, w->at[i], 8, nv);
	}
	if (pml && dirtied) {
		bus_write(cpu->bus, VMCS_GET(v, PML_ADDR) + 8ull * idx, 8, gpa & ~0xfffull);
		VMCS_SET(v, GUEST_PML_INDEX, (idx - 1) & 0xffff);
	}
	return X_OK;
}

/* §13 of ept.md, the reference algorithm: walk from the top level; at
 * each level a not-present entry is a violation and a reserved setting a
 * misconfiguration (§5.4); then the permission check on the AND of all
 * levels. */
int ept_translate(struct cpu *cpu, uint64_t gpa, enum acc_kind kind, uint64_t gla,
                  unsigned eptf, uint64_t *hpa)
{
	struct vmx *v = cpu->vmx;
	uint64_t eptp, cap, addr_mask, rsvd_hi, table, e, page_mask;
	struct ept_walk w;
	unsigned perm = PERM_R | PERM_W | PERM_X | PERM_UX, level, need;
	bool ad, mbe, write;

	if (!ept_enabled(cpu)) {
		*hpa = gpa;
		return X_OK;
	}
	eptp = VMCS_GET(v, EPT_POINTER);
	cap = vmx_cap(v->profile, MSR_IA32_VMX_EPT_VPID_CAP);
	addr_mask = cpu->maxphyaddr_mask & ~0xfffull;
	rsvd_hi = ~cpu->maxphyaddr_mask & 0x000fffffffffffffull;
	ad = (eptp & EPTP_AD) != 0;
	mbe = (VMCS_GET(v, PROC2_CONTROLS) & EPT_PROC2_MBE) != 0;
	/* EPTV-5: with A/D flags on, every guest paging-structure access is a
	 * write. */
	write = kind == ACC_WRITE || (ad && (eptf & EPTF_PAGING));
	table = eptp & addr_mask;
	w.n = 0;
	/* VM entry (CTL-27) allows 4 levels, and 5 where CAP[7] says so. */
	level = EPTP_LEVELS(eptp) == 5 && (cap & CAP_WALK5) ? 5 : 4;
	for (;; level--) {
		unsigned shift = 12 + 9 * (level - 1), p;
		uint64_t at = table + (((gpa >> shift) & 0x1ff) << 3);

		e = ept_read(cpu, at);
		w.at[w.n] = at;
		w.e[w.n++] = e;
		p = (unsigned)(e & 7) | (mbe && (e & EPTE_UX) ? PERM_UX : 0);
		/* §5.1, EPTV-1: not present; the rest of the entry is ignored. */
		if (!p)
			return violation(cpu, &w, gpa, kind, gla, eptf, 0, ad, mbe);
		/* EPTMC-1..5. */
		if (misconfigured(e, level, cap, rsvd_hi))
			return misconfig(cpu, gpa, gla, eptf);
		perm &= p;
		if (level == 1 || (e & EPTE_PS))
			break;
		table = e & addr_mask;
	}
	/* EPTV-2..4: what this access needs, from every level. */
	if (kind == ACC_EXEC)
		need = mbe && (eptf & EPTF_USER) ? PERM_UX : PERM_X;
	else
		need = write ? PERM_W | (kind == ACC_READ ? PERM_R : 0) : PERM_R;
	if ((perm & need) != need)
		return violation(cpu, &w, gpa, kind, gla, eptf, perm, ad, mbe);
	if (ad && !(eptf & EPTF_NOFAULT))
		TRY(set_ad(cpu, &w, gpa, write));
	page_mask = (1ull << (12 + 9 * (level - 1))) - 1;
	*hpa = (e & addr_mask & ~page_mask) | (gpa & page_mask);
	/* SDM §29.4.6.1: a guest-physical access (guest paging structures,
	 * PDPTE loads, their A/D updates) to the APIC-access page is an
	 * APIC-access exit, with an EPT violation's priority (apicv.c). */
	if (unlikely(eptf & EPTF_PAGING) && vmx_apic_page(cpu, *hpa))
		return apicv_guest_physical(cpu, *hpa, eptf);
	return X_OK;
}

/* --- APIC-access page ---------------------------------------------------- */

/* ept.md §1, vm-exits.md §3.7 (SDM Vol. 3C §29.4): with "virtualize APIC
 * accesses", a linear access whose address -- the host-physical one, once
 * EPT allowed the access -- lies in the APIC-access page is an APIC
 * access.  Without "use TPR shadow" every one is an APIC-access VM exit
 * (reason 44, fault-like), and so is every instruction fetch (§29.4.2);
 * with it, reads and writes are decided by apicv.c, which needs their
 * size (vmx_apic_read/_write, called from the access slow path).
 * Qualification: offset in bits 11:0, access type in bits 15:12 (0 read,
 * 1 write, 2 fetch, 3 during event delivery). */
int ept_apic_access(struct cpu *cpu, uint64_t hpa, enum acc_kind kind, unsigned eptf)
{
	struct vmx *v = cpu->vmx;
	uint64_t type;

	if (!(VMCS_GET(v, PROC_CONTROLS) & EPT_PROC_SECONDARY) ||
	    !(VMCS_GET(v, PROC2_CONTROLS) & EPT_PROC2_VAPIC) ||
	    (hpa & ~0xfffull) != (VMCS_GET(v, APIC_ACCESS_ADDR) & ~0xfffull))
		return X_OK;
	if (eptf & EPTF_NOFAULT)
		return X_FAULT;
	if ((VMCS_GET(v, PROC_CONTROLS) & EPT_PROC_TPR_SHADOW) && kind != ACC_EXEC)
		return X_OK;
	if (cpu->event_depth)
		type = 3;
	else
		type = kind == ACC_WRITE ? 1 : kind == ACC_EXEC ? 2 : 0;
	return pending_exit(cpu, EXIT_APIC_ACCESS, (hpa & 0xfff) | type << 12);
}

/* --- TLB contexts ------------------------------------------------------ */

#define ASID_LAST 2047u      /* tags 2, 4 .. 4094 (bits 11:1); 0 is the host's
                                 after reset and after a wrap */
#define CTX_HOST 0
#define CTL_MADE (1ull << 63)

/* The paging state a context's entries depend on beyond the paging
 * structures: each entry holds an access decision made under it.  A VM
 * entry that brings another state into a context (the host changed the
 * guest's CR3 or CR4, say) retires the context's tag; the SDM would let
 * such entries stay, but they would hold stale rights, not just stale
 * translations. */
static uint64_t paging_ctl(const struct cpu *cpu)
{
	return (cpu->cr0 & (CR0_PG | CR0_WP | CR0_PE)) | (cpu->efer & (EFER_NXE | EFER_LMA)) |
	       ((cpu->cr4 & (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP |
	                     CR4_LA57 | CR4_PKE)) << 32) |
	       CTL_MADE;
}

static uint64_t paging_cr3(const struct cpu *cpu)
{
	return (cpu->cr0 & CR0_PG) ? cpu->cr3 : 0;
}

/* A tag never handed out since the last real flush.  When they run out,
 * flush the TLB of every context once: every guest context but `keep` is
 * forgotten and the host goes back to tag 0. */
static uint16_t asid_fresh(struct cpu *cpu, unsigned keep)
{
	struct vmx *v = cpu->vmx;

	if (v->asid_next == 0)
		v->asid_next = 1;
	if (v->asid_next > ASID_LAST) {
		tlb_flush_all_contexts(cpu);
		for (unsigned i = 1; i < VMX_TLBCTX_COUNT; i++)
			if (i != keep)
				v->tlbctx[i].stamp = 0;
		for (unsigned i = 0; i < VMX_TLBCTX_COUNT; i++)
			v->tlbctx[i].ctl = 0;
		v->tlbctx[CTX_HOST].asid = 0;
		if (v->tlbctx_cur == CTX_HOST || !cpu->vmx_nonroot)
			cpu->tlb_asid = 0;
		v->asid_next = 1;
	}
	return (uint16_t)(v->asid_next++ << 1);
}

/* Give context i a fresh tag: its entries are gone. */
static void ctx_retag(struct cpu *cpu, unsigned i)
{
	struct vmx_tlbctx *c = &cpu->vmx->tlbctx[i];

	c->asid = asid_fresh(cpu, i);
	c->ctl = 0;
	c->cr3 = 0;
}

static unsigned ctx_find(const struct vmx *v, uint64_t eptrta, uint16_t vpid)
{
	for (unsigned i = 1; i < VMX_TLBCTX_COUNT; i++) {
		const struct vmx_tlbctx *c = &v->tlbctx[i];

		if (c->stamp && c->eptrta == eptrta && c->vpid == vpid)
			return i;
	}
	return CTX_HOST;
}

/* A slot for a new context: a free one, else the least recently used
 * (its entries are simply left behind under a tag nobody uses). */
static unsigned ctx_new(struct cpu *cpu, uint64_t eptrta, uint16_t vpid)
{
	struct vmx *v = cpu->vmx;
	unsigned best = 1;

	for (unsigned i = 1; i < VMX_TLBCTX_COUNT; i++) {
		if (!v->tlbctx[i].stamp) {
			best = i;
			break;
		}
		if (v->tlbctx[i].stamp < v->tlbctx[best].stamp)
			best = i;
	}
	v->tlbctx[best].eptrta = eptrta;
	v->tlbctx[best].vpid = vpid;
	v->tlbctx[best].stamp = 1;
	ctx_retag(cpu, best);
	return best;
}

static void ctx_use(struct cpu *cpu, unsigned i)
{
	struct vmx *v = cpu->vmx;

	if (++v->tlbctx_clock == 0) {
		/* 2^32 entries later: restart the stamps, keeping them nonzero. */
		for (unsigned k = 1; k < VMX_TLBCTX_COUNT; k++)
			if (v->tlbctx[k].stamp)
				v->tlbctx[k].stamp = 1;
		v->tlbctx_clock = 2;
	}
	v->tlbctx[i].stamp = v->tlbctx_clock;
	v->tlbctx_cur = i;
	cpu->tlb_asid = v->tlbctx[i].asid;
	/* Blocks linked under the old context's translations must not be
	 * followed (run.c). */
	cpu->xlat_gen++;
}

/* SDM §26.3.2.4 (vm-entry-checks.md GUEST-100/102): with EPT on and the
 * guest in PAE paging, VM entry loads the PDPTE registers from the VMCS. */
static void load_pdptes(struct cpu *cpu, bool ept)
{
	struct vmx *v = cpu->vmx;

	cpu->pdpte_valid = ept && (cpu->cr0 & CR0_PG) && (cpu->cr4 & CR4_PAE) &&
	                   !(cpu->efer & EFER_LMA);
	if (!cpu->pdpte_valid)
		return;
	cpu->pdpte[0] = VMCS_GET(v, GUEST_PDPTE0);
	cpu->pdpte[1] = VMCS_GET(v, GUEST_PDPTE1);
	cpu->pdpte[2] = VMCS_GET(v, GUEST_PDPTE2);
	cpu->pdpte[3] = VMCS_GET(v, GUEST_PDPTE3);
}

/* The context of the VMCS being entered: keyed by VPID when "enable VPID"
 * is 1 and by EPTRTA when EPT is on (§11).  With "enable VPID" = 0, VM
 * entries and exits invalidate the mappings of VPID 0 (SDM §28.3.3.3):
 * the context gets a fresh tag at every entry -- unless guest paging is
 * off, when its entries are guest-physical mappings (tagged by EPTRTA
 * only, and only INVEPT drops them) or, without EPT, the identity. */
void ept_context_enter(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	uint32_t proc = (uint32_t)VMCS_GET(v, PROC_CONTROLS);
	uint32_t proc2 = (proc & EPT_PROC_SECONDARY) ? (uint32_t)VMCS_GET(v, PROC2_CONTROLS) : 0;
	bool ept = (proc2 & EPT_PROC2_EPT) != 0, vpid_on = (proc2 & EPT_PROC2_VPID) != 0;
	uint64_t eptrta = ept ? VMCS_GET(v, EPT_POINTER) & EPTRTA_MASK : ~0ull;
	uint16_t vpid = vpid_on ? (uint16_t)VMCS_GET(v, VPID) : 0;
	unsigned i;

	if (v->tlbctx_cur == CTX_HOST)
		v->tlbctx[CTX_HOST].asid = (uint16_t)cpu->tlb_asid;
	i = ctx_find(v, eptrta, vpid);
	if (i == CTX_HOST) {
		i = ctx_new(cpu, eptrta, vpid);
	} else {
		const struct vmx_tlbctx *c = &v->tlbctx[i];

		if ((!vpid_on && (cpu->cr0 & CR0_PG)) ||
		    (c->ctl && (c->ctl != paging_ctl(cpu) || c->cr3 != paging_cr3(cpu))))
			ctx_retag(cpu, i);
	}
	ctx_use(cpu, i);
	load_pdptes(cpu, ept);
}

/* Back to the host's context: "enable VPID" = 1 or not, the host's
 * entries were kept.  (With VPID off the SDM flushes the host's VPID-0
 * mappings here too; keeping them is what lets the exit avoid a refill.
 * A host that edits its own paging structures while a guest runs, and
 * relies on the exit for the flush, would see the old translation.)  A
 * host whose paging state changes across the exit is flushed by exit.c. */
void ept_context_exit(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;

	v->tlbctx_cur = CTX_HOST;
	cpu->tlb_asid = v->tlbctx[CTX_HOST].asid;
	cpu->pdpte_valid = false;
	cpu->xlat_gen++;
}

/* VMFUNC 0 loaded another EPTP: its translations are tagged by its own
 * EPTRTA (§12), so no flush -- just the context for the new EPTP (a fresh
 * one with VPID off, as at entry). */
void ept_context_eptp_changed(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	uint32_t proc2 = (uint32_t)VMCS_GET(v, PROC2_CONTROLS);
	uint64_t eptrta = VMCS_GET(v, EPT_POINTER) & EPTRTA_MASK;
	uint16_t vpid = (proc2 & EPT_PROC2_VPID) ? (uint16_t)VMCS_GET(v, VPID) : 0;
	unsigned i = ctx_find(v, eptrta, vpid);

	if (i == CTX_HOST)
		i = ctx_new(cpu, eptrta, vpid);
	else if (!(proc2 & EPT_PROC2_VPID) && (cpu->cr0 & CR0_PG))
		ctx_retag(cpu, i);
	ctx_use(cpu, i);
}

/* The current VPID's contexts under other EPTRTAs (VMFUNC EPTP switching
 * makes them): the guest's flushes act on them too. */
static void drop_siblings(struct vmx *v, unsigned cur)
{
	if (!v->tlbctx[cur].vpid)
		return;
	for (unsigned i = 1; i < VMX_TLBCTX_COUNT; i++)
		if (i != cur && v->tlbctx[i].vpid == v->tlbctx[cur].vpid)
			v->tlbctx[i].stamp = 0;
}

/* MOV to CR3 and the other TLB-flushing operations of the guest
 * invalidate the linear and combined mappings of the current VPID, for
 * every EPTRTA (§11 table). */
void ept_context_flush(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	unsigned cur = v->tlbctx_cur;

	if (cur == CTX_HOST) {
		tlb_flush_all_contexts(cpu);
		return;
	}
	drop_siblings(v, cur);
	ctx_retag(cpu, cur);
	cpu->tlb_asid = v->tlbctx[cur].asid;
	cpu->xlat_gen++;
}

/* INVLPG in the guest: tlb.c drops the page from the current context;
 * the VPID's contexts under other EPTRTAs go whole. */
void ept_context_flush_page(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;

	if (v->tlbctx_cur != CTX_HOST)
		drop_siblings(v, v->tlbctx_cur);
}

void ept_context_note_fill(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	struct vmx_tlbctx *c = &v->tlbctx[cpu->vmx_nonroot ? v->tlbctx_cur : CTX_HOST];

	c->ctl = paging_ctl(cpu);
	c->cr3 = paging_cr3(cpu);
}

/* Forget guest context i (its tag is retired with it). */
static void ctx_drop(struct cpu *cpu, unsigned i)
{
	struct vmx *v = cpu->vmx;

	if (i == v->tlbctx_cur && cpu->vmx_nonroot) {
		/* Not reachable from INVEPT/INVVPID, which exit in non-root
		 * operation; kept exact anyway. */
		ctx_retag(cpu, i);
		cpu->tlb_asid = v->tlbctx[i].asid;
		cpu->xlat_gen++;
		return;
	}
	v->tlbctx[i].stamp = 0;
}

/* INVEPT (vmx-instructions.md §15; ept.md §11): type 1 drops the mappings
 * of the descriptor's EPTRTA, type 2 those of every EPTRTA, for all
 * VPIDs.  Contexts without EPT hold no guest-physical mappings. */
void ept_invept(struct cpu *cpu, unsigned type, uint64_t eptp)
{
	struct vmx *v = cpu->vmx;
	uint64_t eptrta = eptp & EPTRTA_MASK;

	for (unsigned i = 1; i < VMX_TLBCTX_COUNT; i++) {
		const struct vmx_tlbctx *c = &v->tlbctx[i];

		if (!c->stamp || c->eptrta == ~0ull)
			continue;
		if (type == 2 || c->eptrta == eptrta)
			ctx_drop(cpu, i);
	}
}

/* INVVPID (ept.md §11): linear and combined mappings of the VPID(s), for
 * every EPTRTA.  Type 0 (one address) and type 3 (all but globals) drop
 * the whole context, which invalidates more than asked, as the SDM
 * allows; type 2 spares VPID 0 (the host, and guests without VPID). */
void ept_invvpid(struct cpu *cpu, unsigned type, uint16_t vpid, uint64_t gla)
{
	struct vmx *v = cpu->vmx;

	(void)gla;
	for (unsigned i = 1; i < VMX_TLBCTX_COUNT; i++) {
		const struct vmx_tlbctx *c = &v->tlbctx[i];

		if (!c->stamp || c->vpid == 0)
			continue;
		if (type == 2 || c->vpid == vpid)
			ctx_drop(cpu, i);
	}
}
