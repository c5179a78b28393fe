/* The page walker: 32-bit, PAE and 4-level paging with 4K, 2M/4M and 1G
 * pages.  SDM Vol. 3A chapter 4.
 *
 * A and D bits are set only when the whole translation succeeds, in the
 * order the walk used the entries (the SDM allows a processor to set A bits
 * of upper levels on a faulting walk too; we choose not to, for
 * determinism).  PAE PDPTEs are read at walk time rather than cached at CR3
 * load; the CR3 write checks their reserved bits (§4.4.1).
 */
#include "mmu.h"

#include <string.h>

#include "../mem/bus.h"
#include "ops.h"

/* One paging-structure entry that the walk used, to set A/D afterwards. */
struct walk_step {
	uint64_t gpa;     /* where the entry lives */
	uint64_t val;
	unsigned width;   /* 4 or 8 bytes */
};

static uint64_t pte_read(struct cpu *cpu, uint64_t gpa, unsigned width)
{
	struct bus *bus = cpu->bus;

	cpu->cycles += C_WALK_STEP;
	/* Paging structures almost always live in RAM: read them directly. */
	if (likely(gpa < bus->ram_size && bus->ram_size - gpa >= width)) {
		const uint8_t *p = bus->ram + gpa;

		if (width == 8) {
			uint64_t v;

			memcpy(&v, p, 8);
			return v;
		} else {
			uint32_t v;

			memcpy(&v, p, 4);
			return v;
		}
	}
	return bus_read(bus, gpa, width);
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

static void set_ad(struct cpu *cpu, struct walk_step *st, unsigned n, enum acc_kind kind,
                   unsigned accf)
{
	/* A probe (ACCF_NOFAULT) only asks whether the access would work. */
	if (accf & ACCF_NOFAULT)
		return;
	for (unsigned i = 0; i < n; i++) {
		uint64_t nv = st[i].val | PTE_A;

		if (i == n - 1 && kind == ACC_WRITE)
			nv |= PTE_D;
		if (nv != st[i].val)
			bus_write(cpu->bus, st[i].gpa, st[i].width, nv);
	}
}

/* §4.3: 32-bit paging. */
static int walk32(struct cpu *cpu, uint64_t gla, enum acc_kind kind, unsigned accf,
                  uint64_t *gpa)
{
	struct walk_step st[2];
	uint64_t pde_addr = (cpu->cr3 & 0xfffff000ull) | ((gla >> 20) & 0xffc);
	uint64_t pde = pte_read(cpu, pde_addr, 4), pte;

	if (!(pde & PTE_P))
		return pf(cpu, gla, kind, accf, 0);
	st[0] = (struct walk_step){ pde_addr, pde, 4 };
	if ((pde & PTE_PS) && (cpu->cr4 & CR4_PSE)) {
		/* 4 MB page; PSE-36 supplies physical bits 39:32 from PDE bits 20:13. */
		uint64_t hi = ((pde >> 13) & 0xff) << 32;

		if ((pde & (1ull << 21)) || (hi & ~cpu->maxphyaddr_mask))
			return pf(cpu, gla, kind, accf, PFEC_P | PFEC_RSVD);
		if (!rights_ok(cpu, kind, accf, pde & PTE_W, pde & PTE_U, false))
			return pf(cpu, gla, kind, accf, PFEC_P);
		set_ad(cpu, st, 1, kind, accf);
		*gpa = hi | (pde & 0xffc00000ull) | (gla & 0x3fffff);
		return X_OK;
	}
	{
		uint64_t pte_addr = (pde & 0xfffff000ull) | ((gla >> 10) & 0xffc);

		pte = pte_read(cpu, pte_addr, 4);
		if (!(pte & PTE_P))
			return pf(cpu, gla, kind, accf, 0);
		st[1] = (struct walk_step){ pte_addr, pte, 4 };
	}
	if (!rights_ok(cpu, kind, accf, (pde & pte & PTE_W) != 0, (pde & pte & PTE_U) != 0, false))
		return pf(cpu, gla, kind, accf, PFEC_P);
	set_ad(cpu, st, 2, kind, accf);
	*gpa = (pte & 0xfffff000ull) | (gla & 0xfff);
	return X_OK;
}

/* PAE and 4-level share the 64-bit entry format.  `levels` is 3 or 4.
 * §4.4.2 and §4.5.4 give the reserved bits. */
static int walk64(struct cpu *cpu, uint64_t gla, enum acc_kind kind, unsigned accf,
                  uint64_t *gpa, unsigned levels)
{
	struct walk_step st[4];
	uint64_t addr_mask = cpu->maxphyaddr_mask & ~0xfffull;
	uint64_t rsvd_hi = ~cpu->maxphyaddr_mask & 0x000fffffffffffffull;
	uint64_t table, e;
	bool w = true, u = true, xd = false;
	bool nxe = (cpu->efer & EFER_NXE) != 0;
	unsigned n = 0;
	int level;

	if (levels == 3) {
		/* §4.4.1: PDPTE from CR3 bits 31:5. */
		uint64_t a = (cpu->cr3 & 0xffffffe0ull) | ((gla >> 27) & 0x18);

		e = pte_read(cpu, a, 8);
		if (!(e & PTE_P))
			return pf(cpu, gla, kind, accf, 0);
		if ((e & (rsvd_hi | 0x1e6ull)) || (e & PTE_XD))
			return pf(cpu, gla, kind, accf, PFEC_P | PFEC_RSVD);
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

		e = pte_read(cpu, a, 8);
		if (!(e & PTE_P))
			return pf(cpu, gla, kind, accf, 0);
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
			return pf(cpu, gla, kind, accf, PFEC_P | PFEC_RSVD);
		st[n++] = (struct walk_step){ a, e, 8 };
		w = w && (e & PTE_W);
		u = u && (e & PTE_U);
		xd = xd || (nxe && (e & PTE_XD));
		if (level == 1 || (e & PTE_PS))
			break;
		table = e & addr_mask;
	}
	if (!rights_ok(cpu, kind, accf, w, u, xd))
		return pf(cpu, gla, kind, accf, PFEC_P);
	set_ad(cpu, st, n, kind, accf);
	{
		uint64_t page_mask = (1ull << (12 + 9 * (unsigned)(level - 1))) - 1;

		if (level > 1)
			cpu->tlb_has_large = true;
		*gpa = (e & addr_mask & ~page_mask) | (gla & page_mask);
	}
	return X_OK;
}

int mmu_translate(struct cpu *cpu, uint64_t gla, enum acc_kind kind, unsigned accf,
                  uint64_t *gpa)
{
	if (!(cpu->cr0 & CR0_PG)) {
		*gpa = cpu->mode == MODE_LONG ? gla : (uint32_t)gla;
		return X_OK;
	}
	if (!(cpu->cr4 & CR4_PAE))
		return walk32(cpu, (uint32_t)gla, kind, accf, gpa);
	if (cpu->efer & EFER_LMA)
		return walk64(cpu, gla, kind, accf, gpa, 4);
	return walk64(cpu, (uint32_t)gla, kind, accf, gpa, 3);
}
