/* The page walker: 32-bit, PAE and 4-level paging with 4K, 2M/4M and 1G
 * pages.  SDM Vol. 3A chapter 4.
 *
 * A and D bits are set only when the whole translation succeeds, in the
 * order the walk used the entries (the SDM allows a processor to set A bits
 * of upper levels on a faulting walk too; we choose not to, for
 * determinism).  PAE PDPTEs are read at walk time rather than cached at CR3
 * load; the CR3 write checks their reserved bits (§4.4.1).  (In VMX
 * non-root operation with EPT they are held in cpu->pdpte, loaded by VM
 * entry and by mmu_load_pdptes().)
 *
 * In VMX non-root operation with EPT (src/vmx/ept.c, shared/spec/ept.md)
 * the guest's paging-structure entries live at guest-physical addresses:
 * each one is EPT-translated before it is read, and again (as a write)
 * before its A/D flags are written.  The walk's result is guest-physical;
 * mmu_translate_host() sends it through EPT last, so a guest #PF comes
 * before an EPT exit on the final access, while an EPT exit on a walk
 * access comes before the guest faults of the levels below (ept.md §5.4).
 */
#include "mmu.h"

#include <string.h>

#include "../mem/bus.h"
#include "../vmx/ept.h"
#include "ops.h"

/* One paging-structure entry that the walk used, to set A/D afterwards. */
struct walk_step {
	uint64_t gpa;     /* where the entry lives */
	uint64_t val;
	unsigned width;   /* 4 or 8 bytes */
};

/* One translation. */
struct walk {
	uint64_t gla;         /* as the walk uses it (32 bits outside IA-32e) */
	enum acc_kind kind;
	unsigned accf;
	bool ept;             /* entry addresses go through EPT */
	unsigned lin;         /* EPTF_USER/LIN_WRITE/LIN_XD of the result */
};

/* The eptf flags of an access to a paging-structure entry. */
static unsigned walk_eptf(const struct walk *w)
{
	return EPTF_GLA_VALID | EPTF_PAGING | ((w->accf & ACCF_NOFAULT) ? EPTF_NOFAULT : 0);
}

static int pte_read(struct cpu *cpu, const struct walk *w, uint64_t gpa, unsigned width,
                    uint64_t *val)
{
	struct bus *bus = cpu->bus;

	if (unlikely(w->ept))
		TRY(ept_translate(cpu, gpa, ACC_READ, w->gla, walk_eptf(w), &gpa));
	cpu->cycles += C_WALK_STEP;
	/* Paging structures almost always live in RAM: read them directly. */
	if (likely(gpa < bus->ram_size && bus->ram_size - gpa >= width)) {
		const uint8_t *p = bus->ram + gpa;

		if (width == 8) {
			uint64_t v;

			memcpy(&v, p, 8);
			*val = v;
		} else {
			uint32_t v;

			memcpy(&v, p, 4);
			*val = v;
		}
		return X_OK;
	}
	*val = bus_read(bus, gpa, width);
	return X_OK;
}

static int pf(struct cpu *cpu, uint64_t gla, enum acc_kind kind, unsigned accf, uint32_t ec)
{
	if (accf & ACCF_NOFAULT)
		return X_FAULT;
	if (kind == ACC_WRITE)
		ec |= PFEC_W;
	if ((accf & ACCF_USER) && !(accf & ACCF_IMPLICIT))
		ec |= PFEC_U;
	/* §4.7: I/D is reported for fetches when NX (PAE/4-level) or SMEP is on. */
	if (kind == ACC_EXEC &&
	    (((cpu->cr4 & CR4_PAE) && (cpu->efer & EFER_NXE)) || (cpu->cr4 & CR4_SMEP)))
		ec |= PFEC_I;
	cpu->fault.vector = EXC_PF;
	cpu->fault.has_error = true;
	cpu->fault.error = ec;
	cpu->fault.cr2 = gla;
	return X_FAULT;
}

/* §4.6: access rights from the combined R/W, U/S and XD of all levels. */
static bool rights_ok(struct cpu *cpu, enum acc_kind kind, unsigned accf, bool w, bool u, bool xd)
{
	bool user = (accf & ACCF_USER) && !(accf & ACCF_IMPLICIT);

	if (user) {
		if (!u)
			return false;
		if (kind == ACC_WRITE && !w)
			return false;
		if (kind == ACC_EXEC && xd)
			return false;
		return true;
	}
	/* Supervisor-mode access. */
	if (kind == ACC_WRITE && !w && (cpu->cr0 & CR0_WP))
		return false;
	if (kind == ACC_EXEC) {
		if (xd)
			return false;
		if (u && (cpu->cr4 & CR4_SMEP))
			return false;
	} else if (u && (cpu->cr4 & CR4_SMAP)) {
		/* §4.6.1: implicit accesses and explicit ones with EFLAGS.AC = 0. */
		if ((accf & ACCF_IMPLICIT) || !(cpu->rflags & RFLAGS_AC))
			return false;
	}
	return true;
}

static int set_ad(struct cpu *cpu, const struct walk *w, struct walk_step *st, unsigned n)
{
	/* A probe (ACCF_NOFAULT) only asks whether the access would work. */
	if (w->accf & ACCF_NOFAULT)
		return X_OK;
	for (unsigned i = 0; i < n; i++) {
		uint64_t nv = st[i].val | PTE_A, at = st[i].gpa;

		if (i == n - 1 && w->kind == ACC_WRITE)
			nv |= PTE_D;
		if (nv == st[i].val)
			continue;
		/* ept.md EPTV-3: the guest's A/D writes are data writes. */
		if (unlikely(w->ept))
			TRY(ept_translate(cpu, at, ACC_WRITE, w->gla, walk_eptf(w), &at));
		bus_write(cpu->bus, at, st[i].width, nv);
	}
	return X_OK;
}

/* What the combined rights say about the linear address, for EPT's
 * mode-based execute control and violation qualification. */
static unsigned lin_attr(bool w, bool u, bool xd)
{
	return (u ? EPTF_USER : 0) | (w ? EPTF_LIN_WRITE : 0) | (xd ? EPTF_LIN_XD : 0);
}

/* §4.3: 32-bit paging. */
static int walk32(struct cpu *cpu, struct walk *w, uint64_t *gpa)
{
	struct walk_step st[2];
	uint64_t gla = w->gla;
	uint64_t pde_addr = (cpu->cr3 & 0xfffff000ull) | ((gla >> 20) & 0xffc);
	uint64_t pde, pte;

	TRY(pte_read(cpu, w, pde_addr, 4, &pde));
	if (!(pde & PTE_P))
		return pf(cpu, gla, w->kind, w->accf, 0);
	st[0] = (struct walk_step){ pde_addr, pde, 4 };
	if ((pde & PTE_PS) && (cpu->cr4 & CR4_PSE)) {
		/* 4 MB page; PSE-36 supplies physical bits 39:32 from PDE bits 20:13. */
		uint64_t hi = ((pde >> 13) & 0xff) << 32;

		if ((pde & (1ull << 21)) || (hi & ~cpu->maxphyaddr_mask))
			return pf(cpu, gla, w->kind, w->accf, PFEC_P | PFEC_RSVD);
		if (!rights_ok(cpu, w->kind, w->accf, pde & PTE_W, pde & PTE_U, false))
			return pf(cpu, gla, w->kind, w->accf, PFEC_P);
		TRY(set_ad(cpu, w, st, 1));
		w->lin = lin_attr(pde & PTE_W, pde & PTE_U, false);
		*gpa = hi | (pde & 0xffc00000ull) | (gla & 0x3fffff);
		return X_OK;
	}
	{
		uint64_t pte_addr = (pde & 0xfffff000ull) | ((gla >> 10) & 0xffc);

		TRY(pte_read(cpu, w, pte_addr, 4, &pte));
		if (!(pte & PTE_P))
			return pf(cpu, gla, w->kind, w->accf, 0);
		st[1] = (struct walk_step){ pte_addr, pte, 4 };
	}
	if (!rights_ok(cpu, w->kind, w->accf, (pde & pte & PTE_W) != 0, (pde & pte & PTE_U) != 0,
	               false))
		return pf(cpu, gla, w->kind, w->accf, PFEC_P);
	TRY(set_ad(cpu, w, st, 2));
	w->lin = lin_attr(pde & pte & PTE_W, pde & pte & PTE_U, false);
	*gpa = (pte & 0xfffff000ull) | (gla & 0xfff);
	return X_OK;
}

/* PAE and 4-level share the 64-bit entry format.  `levels` is 3 or 4.
 * §4.4.2 and §4.5.4 give the reserved bits. */
static int walk64(struct cpu *cpu, struct walk *w, uint64_t *gpa, unsigned levels)
{
	struct walk_step st[4];
	uint64_t gla = w->gla;
	uint64_t addr_mask = cpu->maxphyaddr_mask & ~0xfffull;
	uint64_t rsvd_hi = ~cpu->maxphyaddr_mask & 0x000fffffffffffffull;
	uint64_t table, e;
	bool wr = true, u = true, xd = false;
	bool nxe = (cpu->efer & EFER_NXE) != 0;
	unsigned n = 0;
	int level;

	if (levels == 3) {
		/* §4.4.1: PDPTE from CR3 bits 31:5 -- or, under EPT, from the
		 * PDPTE registers VM entry loaded (SDM Vol. 3C §26.3.2.4). */
		unsigned i = (unsigned)(gla >> 30) & 3;

		if (w->ept && cpu->pdpte_valid)
			e = cpu->pdpte[i];
		else
			TRY(pte_read(cpu, w, (cpu->cr3 & 0xffffffe0ull) | (8u * i), 8, &e));
		if (!(e & PTE_P))
			return pf(cpu, gla, w->kind, w->accf, 0);
		if ((e & (rsvd_hi | 0x1e6ull)) || (e & PTE_XD))
			return pf(cpu, gla, w->kind, w->accf, PFEC_P | PFEC_RSVD);
		/* PDPTEs carry no R/W, U/S, XD or A in PAE mode (bit 5 is
		 * reserved), so they are not among the entries whose A bit
		 * the walk sets. */
		table = e & addr_mask;
		level = 2;
	} else {
		table = cpu->cr3 & addr_mask;
		level = 4;
	}
	for (;; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		uint64_t a = table | (((gla >> shift) & 0x1ff) << 3);
		uint64_t rsvd = rsvd_hi;

		TRY(pte_read(cpu, w, a, 8, &e));
		if (!(e & PTE_P))
			return pf(cpu, gla, w->kind, w->accf, 0);
		if (!nxe)
			rsvd |= PTE_XD;
		if (level == 4)
			rsvd |= PTE_PS; /* PML4E bit 7 is reserved */
		if ((e & PTE_PS) && level > 1) {
			if (level == 3)
				rsvd |= 0x3fffe000ull;  /* 1G page: bits 29:13 */
			else
				rsvd |= 0x1fe000ull;    /* 2M page: bits 20:13 */
		}
		if (e & rsvd)
			return pf(cpu, gla, w->kind, w->accf, PFEC_P | PFEC_RSVD);
		st[n++] = (struct walk_step){ a, e, 8 };
		wr = wr && (e & PTE_W);
		u = u && (e & PTE_U);
		xd = xd || (nxe && (e & PTE_XD));
		if (level == 1 || (e & PTE_PS))
			break;
		table = e & addr_mask;
	}
	if (!rights_ok(cpu, w->kind, w->accf, wr, u, xd))
		return pf(cpu, gla, w->kind, w->accf, PFEC_P);
	TRY(set_ad(cpu, w, st, n));
	w->lin = lin_attr(wr, u, xd);
	{
		uint64_t page_mask = (1ull << (12 + 9 * (unsigned)(level - 1))) - 1;

		if (level > 1)
			cpu->tlb_has_large = true;
		*gpa = (e & addr_mask & ~page_mask) | (gla & page_mask);
	}
	return X_OK;
}

static int translate(struct cpu *cpu, struct walk *w, uint64_t *gpa)
{
	w->ept = unlikely(cpu->vmx_nonroot) && ept_enabled(cpu);
	if (!(cpu->cr0 & CR0_PG)) {
		/* ept.md §5.3: without paging every linear address counts as
		 * user-mode, writable and executable. */
		w->lin = EPTF_USER | EPTF_LIN_WRITE;
		if (cpu->mode != MODE_LONG)
			w->gla = (uint32_t)w->gla;
		*gpa = w->gla;
		return X_OK;
	}
	if (!(cpu->cr4 & CR4_PAE)) {
		w->gla = (uint32_t)w->gla;
		return walk32(cpu, w, gpa);
	}
	if (cpu->efer & EFER_LMA)
		return walk64(cpu, w, gpa, 4);
	w->gla = (uint32_t)w->gla;
	return walk64(cpu, w, gpa, 3);
}

int mmu_translate(struct cpu *cpu, uint64_t gla, enum acc_kind kind, unsigned accf,
                  uint64_t *gpa)
{
	struct walk w = { .gla = gla, .kind = kind, .accf = accf };

	return translate(cpu, &w, gpa);
}

int mmu_translate_host(struct cpu *cpu, uint64_t gla, enum acc_kind kind, unsigned accf,
                       uint64_t *hpa)
{
	struct walk w = { .gla = gla, .kind = kind, .accf = accf };
	uint64_t gpa;

	TRY(translate(cpu, &w, &gpa));
	if (likely(!w.ept)) {
		*hpa = gpa;
		return X_OK;
	}
	return ept_translate(cpu, gpa, kind, w.gla,
	                     EPTF_GLA_VALID | w.lin | ((accf & ACCF_NOFAULT) ? EPTF_NOFAULT : 0),
	                     hpa);
}

/* §4.4.1: MOV to CR0, CR3 or CR4 that (re)loads PAE paging reads the four
 * PDPTEs; a present one with a reserved bit set (2:1, 8:5, 63:MAXPHYADDR)
 * makes it #GP(0).  In VMX non-root operation with EPT (shared/spec/ept.md
 * §1, §6) they are read through EPT as paging-structure accesses without
 * a guest-linear address (an EPT violation's qualification has bit 7 = 0),
 * and kept in cpu->pdpte for the walk.  Nothing changes on a failure. */
int mmu_load_pdptes(struct cpu *cpu, uint64_t cr3)
{
	uint64_t rsvd = (~cpu->maxphyaddr_mask) | 0x1e6ull, e[4];
	bool ept = unlikely(cpu->vmx_nonroot) && ept_enabled(cpu);

	for (unsigned i = 0; i < 4; i++) {
		uint64_t a = (cr3 & 0xffffffe0ull) + 8 * i;

		if (ept)
			TRY(ept_translate(cpu, a, ACC_READ, 0, EPTF_PAGING, &a));
		e[i] = bus_read(cpu->bus, a, 8);
	}
	for (unsigned i = 0; i < 4; i++)
		if ((e[i] & PTE_P) && (e[i] & rsvd))
			return cpu_gp0(cpu);
	if (ept) {
		memcpy(cpu->pdpte, e, sizeof(e));
		cpu->pdpte_valid = true;
	}
	return X_OK;
}
