/* Segmentation: descriptor-table reads, descriptor -> cache conversion and
 * the segment-register loads of MOV Sreg, POP Sreg and LDS/LES/LFS/LGS/LSS
 * (SDM Vol. 3A chapter 5, Vol. 2 "MOV" pseudocode).  See seg.h. */
#include "seg.h"

#include "access.h"

/* Linear address of the descriptor named by `sel`, or false if its `bytes`
 * bytes do not lie inside the GDT or LDT limit (SDM Vol. 3A §5.3: "the
 * processor checks that the selector index is within the table limit").
 * An LDT reference through an unusable LDTR is outside every limit. */
static bool desc_addr(const struct cpu *cpu, uint16_t sel, unsigned bytes, uint64_t *gla)
{
	uint64_t base;
	uint32_t limit;
	uint32_t off = sel & ~7u;

	if (sel & 4) {
		const struct seg *ldt = &cpu->seg[SEG_LDTR];

		if (ldt->attr & SEG_UNUSABLE)
			return false;
		base = ldt->base;
		limit = ldt->limit;
	} else {
		base = cpu->gdtr.base;
		limit = cpu->gdtr.limit;
	}
	if ((uint64_t)off + bytes - 1 > limit)
		return false;
	base += off;
	/* Linear addresses are 32 bits wide outside IA-32e mode. */
	if (!(cpu->efer & EFER_LMA))
		base = (uint32_t)base;
	else if (!cpu_is_canonical(base) || !cpu_is_canonical(base + bytes - 1))
		/* SDM Vol. 2 "RET": a descriptor "in non-canonical space"
		 * faults with the selector. */
		return false;
	*gla = base;
	return true;
}

int seg_read_desc(struct cpu *cpu, uint16_t sel, unsigned vec, uint64_t *desc)
{
	uint64_t gla;

	if (!desc_addr(cpu, sel, 8, &gla))
		return cpu_fault(cpu, vec, sel & 0xfffc);
	/* SDM Vol. 3A §4.6.1: descriptor-table reads are implicit
	 * supervisor-mode accesses whatever the CPL. */
	return access_sys_read(cpu, gla, 8, desc);
}

int seg_read_desc16(struct cpu *cpu, uint16_t sel, unsigned vec, uint64_t *lo, uint64_t *hi)
{
	uint64_t gla;

	/* SDM Vol. 3A §3.5.2: IA-32e system descriptors occupy 16 bytes,
	 * all of which must lie inside the table. */
	if (!desc_addr(cpu, sel, 16, &gla))
		return cpu_fault(cpu, vec, sel & 0xfffc);
	TRY(access_sys_read(cpu, gla, 8, lo));
	return access_sys_read(cpu, gla + 8, 8, hi);
}

int seg_set_accessed(struct cpu *cpu, uint16_t sel, uint64_t desc)
{
	uint64_t gla;

	/* SDM Vol. 3A §3.4.5.1: the processor sets the accessed bit when
	 * it loads the selector; code and data descriptors only. */
	if (!(desc & (1ull << 44)) || (desc & (1ull << 40)))
		return X_OK;
	if (!desc_addr(cpu, sel, 8, &gla))
		return cpu_gp(cpu, sel & 0xfffc);
	return access_sys_write(cpu, gla + 5, 1, ((desc >> 40) & 0xff) | 1);
}

void seg_from_desc(struct seg *s, uint16_t sel, uint64_t desc)
{
	uint32_t limit = (uint32_t)(desc & 0xffff) | (uint32_t)((desc >> 32) & 0xf0000);

	s->sel = sel;
	s->base = ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000);
	s->attr = (uint32_t)((desc >> 40) & 0xff) | (uint32_t)(((desc >> 52) & 0xf) << 12);
	/* SDM Vol. 3A §3.4.5: with G set the limit counts 4-KByte units and
	 * the low 12 bits of an offset are not checked. */
	s->limit = (s->attr & SEG_G) ? (limit << 12) | 0xfff : limit;
}

void seg_load_real(struct cpu *cpu, unsigned sreg, uint16_t sel)
{
	struct seg *s = &cpu->seg[sreg];

	s->sel = sel;
	s->base = (uint64_t)sel << 4;
	if (cpu->mode == MODE_VM86) {
		/* SDM Vol. 3A §20.2.1 (and §26.3.1.2 for the cached form):
		 * in virtual-8086 mode every load makes a 64-KByte, DPL-3,
		 * present, read/write accessed segment. */
		s->limit = 0xffff;
		s->attr = SEG_P | SEG_S | (3u << SEG_DPL_SHIFT) | SEG_TYPE_WR | SEG_TYPE_A |
		          (sreg == SEG_CS ? SEG_TYPE_CODE : 0);
	} else {
		/* SDM Vol. 3A §20.1.1: a real-mode load changes only the
		 * selector and the base; limit and attributes keep what
		 * protected mode left ("unreal" mode relies on this). */
		s->attr &= ~SEG_UNUSABLE;
		s->attr |= SEG_P;
	}
	if (sreg == SEG_CS || sreg == SEG_SS)
		cpu_update_mode(cpu);
}

/* A null selector in DS/ES/FS/GS: the register becomes unusable (SDM
 * Vol. 2 "MOV": "segment register marked as unusable"; Intel processors
 * also clear the base and limit). */
static void load_null(struct cpu *cpu, unsigned sreg, uint16_t sel)
{
	struct seg *s = &cpu->seg[sreg];

	s->sel = sel;
	s->base = 0;
	s->limit = 0;
	s->attr = SEG_UNUSABLE;
}

/* SDM Vol. 2 "RET" and "IRET", RETURN-TO-OUTER-PRIVILEGE-LEVEL (the
 * IA-32e forms go through it too): "FOR each SegReg in (ES, FS, GS, and
 * DS) DO IF SegReg points to data or non-conforming code segment and CPL
 * > DPL (* DPL in hidden part of segment register *) THEN SegReg :=
 * NULL".  An unusable register points to no segment and is left alone: in
 * 64-bit mode a null FS or GS still carries the base from IA32_FS_BASE or
 * IA32_GS_BASE (Vol. 3A §3.4.4).  The SDM says nothing of the base of a
 * register nulled here; 64-bit mode keeps it, as QEMU does, and other
 * modes never use the base of an unusable register. */
void seg_null_outer(struct cpu *cpu)
{
	static const unsigned regs[4] = { SEG_ES, SEG_FS, SEG_GS, SEG_DS };

	for (unsigned i = 0; i < 4; i++) {
		struct seg *s = &cpu->seg[regs[i]];
		unsigned dpl = (s->attr & SEG_DPL_MASK) >> SEG_DPL_SHIFT;
		bool conforming = (s->attr & SEG_TYPE_CODE) && (s->attr & SEG_TYPE_EC);

		if ((s->attr & SEG_UNUSABLE) || conforming || cpu->cpl <= dpl)
			continue;
		*s = (struct seg){ 0, cpu->mode == MODE_LONG ? s->base : 0, 0, SEG_UNUSABLE };
	}
}

/* The SS part of SDM Vol. 2 "MOV" (protected mode):
 *   NULL -> #GP(0) (64-bit mode: allowed at CPL < 3 with RPL = CPL);
 *   RPL != CPL, not a writable data segment, DPL != CPL -> #GP(selector);
 *   not present -> #SS(selector). */
static int load_ss(struct cpu *cpu, uint16_t sel)
{
	unsigned cpl = cpu->cpl, rpl = sel & 3;
	uint64_t desc;
	struct seg s;

	if ((sel & 0xfffc) == 0) {
		if (cpu->mode == MODE_LONG && cpl != 3 && rpl == cpl) {
			/* SS keeps its DPL: CPL lives there (cpu_update_mode). */
			cpu->seg[SEG_SS] = (struct seg){ sel, 0, 0,
			                                 SEG_UNUSABLE | (cpl << SEG_DPL_SHIFT) };
			return X_OK;
		}
		return cpu_gp0(cpu);
	}
	TRY(seg_read_desc(cpu, sel, EXC_GP, &desc));
	seg_from_desc(&s, sel, desc);
	if (rpl != cpl || !(s.attr & SEG_S) || (s.attr & SEG_TYPE_CODE) ||
	    !(s.attr & SEG_TYPE_WR) || ((s.attr & SEG_DPL_MASK) >> SEG_DPL_SHIFT) != cpl)
		return cpu_gp(cpu, sel & 0xfffc);
	if (!(s.attr & SEG_P))
		return cpu_ss(cpu, sel & 0xfffc);
	TRY(seg_set_accessed(cpu, sel, desc));
	s.attr |= SEG_TYPE_A;
	cpu->seg[SEG_SS] = s;
	cpu_update_mode(cpu);
	return X_OK;
}

/* The DS/ES/FS/GS part of SDM Vol. 2 "MOV" (protected mode):
 *   NULL -> unusable, no fault;
 *   not data or readable code -> #GP(selector);
 *   data or non-conforming code with RPL > DPL or CPL > DPL -> #GP(selector);
 *   not present -> #NP(selector). */
static int load_data(struct cpu *cpu, unsigned sreg, uint16_t sel)
{
	uint64_t desc;
	struct seg s;
	unsigned dpl;

	if ((sel & 0xfffc) == 0) {
		load_null(cpu, sreg, sel);
		return X_OK;
	}
	TRY(seg_read_desc(cpu, sel, EXC_GP, &desc));
	seg_from_desc(&s, sel, desc);
	dpl = (s.attr & SEG_DPL_MASK) >> SEG_DPL_SHIFT;
	if (!(s.attr & SEG_S) ||
	    ((s.attr & SEG_TYPE_CODE) && !(s.attr & SEG_TYPE_WR)))
		return cpu_gp(cpu, sel & 0xfffc);
	if ((!(s.attr & SEG_TYPE_CODE) || !(s.attr & SEG_TYPE_EC)) &&
	    ((sel & 3u) > dpl || cpu->cpl > dpl))
		return cpu_gp(cpu, sel & 0xfffc);
	if (!(s.attr & SEG_P))
		return cpu_fault(cpu, EXC_NP, sel & 0xfffc);
	TRY(seg_set_accessed(cpu, sel, desc));
	s.attr |= SEG_TYPE_A;
	cpu->seg[sreg] = s;
	return X_OK;
}

int seg_load(struct cpu *cpu, unsigned sreg, uint16_t sel)
{
	/* SDM Vol. 2 "MOV": CS is never a MOV/POP/LxS destination. */
	if (sreg == SEG_CS || sreg > SEG_GS)
		return cpu_ud(cpu);
	if (cpu->mode == MODE_REAL || cpu->mode == MODE_VM86) {
		seg_load_real(cpu, sreg, sel);
		return X_OK;
	}
	if (sreg == SEG_SS)
		return load_ss(cpu, sel);
	return load_data(cpu, sreg, sel);
}
