/* Segment and descriptor-table instructions: LDS/LES/LFS/LGS/LSS,
 * LGDT/LIDT/SGDT/SIDT, LLDT/SLDT, LTR/STR, LAR/LSL, VERR/VERW, ARPL.
 * MOV/PUSH/POP Sreg live with the data and stack families and call
 * seg_load(). */
#include "flags.h"
#include "operand.h"
#include "ops.h"
#include "seg.h"

static bool lma(const struct cpu *cpu)
{
	return (cpu->efer & EFER_LMA) != 0;
}

static unsigned desc_dpl(uint64_t desc)
{
	return (unsigned)(desc >> 45) & 3;
}

/* --- LDS LES LFS LGS LSS ---------------------------------------------- */

/* SDM Vol. 2 "LDS/LES/LFS/LGS/LSS": the far pointer is offset then
 * selector; the segment load makes every check of MOV Sreg, and the
 * general register is written only after it succeeded. */
int op_lxs(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->op[0].lg, size = 1u << lg, sreg;
	uint64_t ea = insn_ea(cpu, in), off, sel;

	switch (in->opc0f ? in->opc : 0x100 | in->opc) {
	case 0x1c5: sreg = SEG_DS; break;
	case 0x1c4: sreg = SEG_ES; break;
	case 0xb2: sreg = SEG_SS; break;
	case 0xb4: sreg = SEG_FS; break;
	default: sreg = SEG_GS; break;
	}
	TRY(access_read(cpu, in->mem.seg, ea, size, &off));
	TRY(access_read(cpu, in->mem.seg, (ea + size) & addr_mask(in->asize), 2, &sel));
	TRY(seg_load(cpu, sreg, (uint16_t)sel));
	cpu_gpr_write(cpu, in->op[0].reg, lg, off);
	return X_OK;
}

/* --- LGDT LIDT SGDT SIDT ---------------------------------------------- */

/* SDM Vol. 2 "LGDT/LIDT": a 16-bit limit then the base: 24 bits with a
 * 16-bit operand size, 32 bits with 32, and 64 bits in 64-bit mode
 * (where the operand size is fixed). */
static int load_dtr(struct cpu *cpu, const struct insn *in, struct dtr *d)
{
	uint64_t ea = insn_ea(cpu, in), ea2 = (ea + 2) & addr_mask(in->asize);
	uint64_t limit, base;

	TRY(access_read(cpu, in->mem.seg, ea, 2, &limit));
	if (cpu->mode == MODE_LONG) {
		TRY(access_read(cpu, in->mem.seg, ea2, 8, &base));
	} else {
		TRY(access_read(cpu, in->mem.seg, ea2, 4, &base));
		if (in->dsize == 1)
			base &= 0xffffff;
	}
	d->base = base;
	d->limit = (uint32_t)limit;
	return X_OK;
}

int op_lgdt(struct cpu *cpu, const struct insn *in)
{
	return load_dtr(cpu, in, &cpu->gdtr);
}

int op_lidt(struct cpu *cpu, const struct insn *in)
{
	return load_dtr(cpu, in, &cpu->idtr);
}

/* SDM Vol. 3A §2.5 (CR4.UMIP): SGDT, SIDT, SLDT, SMSW and STR fault with
 * #GP(0) at CPL > 0 when UMIP is set. */
static int umip_check(struct cpu *cpu)
{
	if ((cpu->cr4 & CR4_UMIP) && cpu->cpl > 0)
		return cpu_gp0(cpu);
	return X_OK;
}

/* Two adjacent stores (limit, then base) that are both checked before
 * either is written, so a fault on the second leaves memory unchanged. */
static int store_pair(struct cpu *cpu, const struct insn *in, uint64_t v1, unsigned n1,
                      uint64_t v2, unsigned n2)
{
	uint64_t ea = insn_ea(cpu, in), ea2 = (ea + n1) & addr_mask(in->asize);
	uint64_t g1, g2;

	TRY(access_linear(cpu, in->mem.seg, ea, n1, 1, &g1));
	TRY(access_linear(cpu, in->mem.seg, ea2, n2, 1, &g2));
	TRY(access_lin_probe_write(cpu, g1, n1));
	TRY(access_lin_probe_write(cpu, g2, n2));
	TRY(access_lin_write(cpu, g1, n1, v1));
	return access_lin_write(cpu, g2, n2, v2);
}

/* SDM Vol. 2 "SGDT/SIDT": limit, then the full 32-bit base (legacy and
 * compatibility modes, whatever the operand size) or 64-bit base. */
static int store_dtr(struct cpu *cpu, const struct insn *in, const struct dtr *d)
{
	TRY(umip_check(cpu));
	if (cpu->mode == MODE_LONG)
		return store_pair(cpu, in, d->limit & 0xffff, 2, d->base, 8);
	return store_pair(cpu, in, d->limit & 0xffff, 2, d->base & 0xffffffff, 4);
}

int op_sgdt(struct cpu *cpu, const struct insn *in)
{
	return store_dtr(cpu, in, &cpu->gdtr);
}

int op_sidt(struct cpu *cpu, const struct insn *in)
{
	return store_dtr(cpu, in, &cpu->idtr);
}

/* --- LLDT LTR SLDT STR ------------------------------------------------ */

/* Read an LDT or TSS descriptor from the GDT: 8 bytes, or 16 in IA-32e
 * mode, where base 63:32 comes from the upper half and the upper half's
 * type field must be 0 (SDM Vol. 2 "LTR", 64-bit mode exceptions;
 * Vol. 3A §7.2.3). */
static int read_sys_desc(struct cpu *cpu, uint16_t sel, uint64_t *lo, struct seg *s)
{
	uint64_t hi = 0;

	if (lma(cpu))
		TRY(seg_read_desc16(cpu, sel, EXC_GP, lo, &hi));
	else
		TRY(seg_read_desc(cpu, sel, EXC_GP, lo));
	seg_from_desc(s, sel, *lo);
	if (lma(cpu)) {
		if ((hi >> 40) & 0x1f)
			return cpu_gp(cpu, sel & 0xfffc);
		s->base |= (hi & 0xffffffffull) << 32;
	}
	return X_OK;
}

/* SDM Vol. 2 "LLDT": a null selector makes LDTR unusable; otherwise the
 * selector must name an LDT descriptor in the GDT (#GP(selector)) that is
 * present (#NP(selector)).  RPL is ignored. */
int op_lldt(struct cpu *cpu, const struct insn *in)
{
	uint64_t v, lo;
	uint16_t sel;
	struct seg s;

	TRY(opnd_read(cpu, in, 0, &v));
	sel = (uint16_t)v;
	if ((sel & 0xfffc) == 0) {
		cpu->seg[SEG_LDTR] = (struct seg){ sel, 0, 0, SEG_UNUSABLE };
		return X_OK;
	}
	if (sel & 4)
		return cpu_gp(cpu, sel & 0xfffc);
	TRY(read_sys_desc(cpu, sel, &lo, &s));
	if ((s.attr & SEG_S) || (s.attr & SEG_TYPE_MASK) != SYS_LDT)
		return cpu_gp(cpu, sel & 0xfffc);
	if (!(s.attr & SEG_P))
		return cpu_fault(cpu, EXC_NP, sel & 0xfffc);
	cpu->seg[SEG_LDTR] = s;
	return X_OK;
}

/* SDM Vol. 2 "LTR": null -> #GP(0); TI = 1 or beyond the GDT limit ->
 * #GP(selector); not an available TSS (in IA-32e mode only the 64-bit
 * TSS, type 9, is valid: Vol. 3A §7.2.3) -> #GP(selector); not present ->
 * #NP(selector).  The busy flag is set in memory (a locked RMW). */
int op_ltr(struct cpu *cpu, const struct insn *in)
{
	uint64_t v, lo;
	uint16_t sel;
	unsigned type;
	struct seg s;

	TRY(opnd_read(cpu, in, 0, &v));
	sel = (uint16_t)v;
	if ((sel & 0xfffc) == 0)
		return cpu_gp0(cpu);
	if (sel & 4)
		return cpu_gp(cpu, sel & 0xfffc);
	TRY(read_sys_desc(cpu, sel, &lo, &s));
	type = s.attr & SEG_TYPE_MASK;
	if ((s.attr & SEG_S) ||
	    !(type == SYS_TSS_AVAIL || (type == SYS_TSS16_AVAIL && !lma(cpu))))
		return cpu_gp(cpu, sel & 0xfffc);
	if (!(s.attr & SEG_P))
		return cpu_fault(cpu, EXC_NP, sel & 0xfffc);
	/* Busy = type bit 1, in descriptor byte 5. */
	{
		uint64_t gla = cpu->gdtr.base + (sel & ~7u) + 5;

		if (!lma(cpu))
			gla = (uint32_t)gla;
		TRY(access_sys_write(cpu, gla, 1, ((lo >> 40) & 0xff) | 2));
	}
	s.attr |= 2;
	cpu->seg[SEG_TR] = s;
	return X_OK;
}

/* SDM Vol. 2 "SLDT"/"STR": the 16-bit selector; a register destination
 * of 32 or 64 bits is zero-extended, memory always takes 16 bits. */
static int store_sel(struct cpu *cpu, const struct insn *in, uint16_t sel)
{
	TRY(umip_check(cpu));
	if (in->op[0].kind == OPK_MEM)
		return insn_mem_write(cpu, in, 2, sel);
	return opnd_write(cpu, in, 0, sel);
}

int op_sldt(struct cpu *cpu, const struct insn *in)
{
	return store_sel(cpu, in, cpu->seg[SEG_LDTR].sel);
}

int op_str(struct cpu *cpu, const struct insn *in)
{
	return store_sel(cpu, in, cpu->seg[SEG_TR].sel);
}

/* --- LAR LSL VERR VERW ------------------------------------------------ */

/* The descriptor named by a LAR/LSL/VERR/VERW source, or false (ZF = 0)
 * when it is null or outside the GDT/LDT limit: these instructions report
 * instead of faulting (SDM Vol. 2 "LAR": "IF Offset(SRC) > descriptor
 * table limit THEN ZF := 0").  System descriptors are 16 bytes in IA-32e
 * mode; the upper half must lie in the table and have a zero type (Vol.
 * 3A §5.8.3.1).  Type 0 there is itself such an upper half. */
static int probe_desc(struct cpu *cpu, const struct insn *in, unsigned src, uint16_t *sel,
                      uint64_t *desc, bool *ok)
{
	uint64_t v, hi;
	uint64_t gla;
	const struct seg *tbl;
	uint64_t base, limit;

	*ok = false;
	TRY(opnd_read(cpu, in, src, &v));
	*sel = (uint16_t)v;
	if ((*sel & 0xfffc) == 0)
		return X_OK;
	tbl = (*sel & 4) ? &cpu->seg[SEG_LDTR] : NULL;
	if (tbl && (tbl->attr & SEG_UNUSABLE))
		return X_OK;
	base = tbl ? tbl->base : cpu->gdtr.base;
	limit = tbl ? tbl->limit : cpu->gdtr.limit;
	if ((*sel & ~7u) + 7ull > limit)
		return X_OK;
	gla = base + (*sel & ~7u);
	if (!lma(cpu))
		gla = (uint32_t)gla;
	TRY(access_sys_read(cpu, gla, 8, desc));
	if (lma(cpu) && !(*desc & (1ull << 44)) && ((*desc >> 40) & 0xf) != 0) {
		if ((*sel & ~7u) + 15ull > limit)
			return X_OK;
		TRY(access_sys_read(cpu, gla + 8, 8, &hi));
		if ((hi >> 40) & 0x1f)
			return X_OK;
	}
	*ok = true;
	return X_OK;
}

/* Privilege part of LAR/LSL/VERR/VERW: "IF SegmentDescriptor(Type) !=
 * conforming code segment and (CPL > DPL) or (RPL > DPL) THEN ZF := 0". */
static bool visible(const struct cpu *cpu, uint16_t sel, uint64_t desc)
{
	unsigned dpl = desc_dpl(desc);
	bool conforming = (desc & (1ull << 44)) && ((desc >> 40) & 0xc) == 0xc;

	return conforming || (cpu->cpl <= dpl && (sel & 3u) <= dpl);
}

static void set_zf(struct cpu *cpu, bool z)
{
	flags_set_bits(cpu, RFLAGS_ZF, z ? RFLAGS_ZF : 0);
}

/* System types LAR accepts (SDM Vol. 2 "LAR", table "Segment and Gate
 * Types"): legacy modes take TSSs, the LDT, call and task gates; IA-32e
 * mode only the 64-bit TSS (available and busy) and the 64-bit call gate
 * -- the table marks the LDT "No" there. */
static bool lar_type_ok(const struct cpu *cpu, unsigned type)
{
	if (lma(cpu))
		return type == SYS_TSS_AVAIL || type == SYS_TSS_BUSY || type == SYS_CALLGATE;
	switch (type) {
	case SYS_TSS16_AVAIL: case SYS_LDT: case SYS_TSS16_BUSY: case SYS_CALLGATE16:
	case SYS_TASKGATE: case SYS_TSS_AVAIL: case SYS_TSS_BUSY: case SYS_CALLGATE:
		return true;
	default:
		return false;
	}
}

/* System types LSL accepts (SDM Vol. 2 "LSL", table "Segment and Gate
 * Descriptor Types"): those with a limit (TSSs and the LDT); in IA-32e
 * mode the LDT, the 64-bit TSS and -- as the table says -- type 0, "upper
 * 8 bytes of a 16-byte descriptor". */
static bool lsl_type_ok(const struct cpu *cpu, unsigned type)
{
	if (lma(cpu))
		return type == 0 || type == SYS_LDT || type == SYS_TSS_AVAIL ||
		       type == SYS_TSS_BUSY;
	switch (type) {
	case SYS_TSS16_AVAIL: case SYS_LDT: case SYS_TSS16_BUSY:
	case SYS_TSS_AVAIL: case SYS_TSS_BUSY:
		return true;
	default:
		return false;
	}
}

/* SDM Vol. 2 "LAR": the second doubleword of the descriptor masked with
 * 00F0FF00H (the limit bits 19:16 are undefined there: we return 0), or
 * with FF00H for a 16-bit operand; only ZF changes otherwise. */
int op_lar(struct cpu *cpu, const struct insn *in)
{
	uint64_t desc = 0;
	uint16_t sel;
	bool ok;

	TRY(probe_desc(cpu, in, 1, &sel, &desc, &ok));
	if (ok && !(desc & (1ull << 44)))
		ok = lar_type_ok(cpu, (unsigned)(desc >> 40) & 0xf);
	if (ok)
		ok = visible(cpu, sel, desc);
	if (ok) {
		uint32_t ar = (uint32_t)(desc >> 32) & (in->op[0].lg == 1 ? 0xff00u : 0x00f0ff00u);

		cpu_gpr_write(cpu, in->op[0].reg, in->op[0].lg, ar);
	}
	set_zf(cpu, ok);
	return X_OK;
}

/* SDM Vol. 2 "LSL": the byte-granular limit (scaled when G is set),
 * truncated to a 16-bit destination. */
int op_lsl(struct cpu *cpu, const struct insn *in)
{
	uint64_t desc = 0;
	uint16_t sel;
	bool ok;

	TRY(probe_desc(cpu, in, 1, &sel, &desc, &ok));
	if (ok && !(desc & (1ull << 44)))
		ok = lsl_type_ok(cpu, (unsigned)(desc >> 40) & 0xf);
	if (ok)
		ok = visible(cpu, sel, desc);
	if (ok) {
		struct seg s;

		seg_from_desc(&s, sel, desc);
		cpu_gpr_write(cpu, in->op[0].reg, in->op[0].lg, s.limit);
	}
	set_zf(cpu, ok);
	return X_OK;
}

/* SDM Vol. 2 "VERR/VERW": system descriptors and inaccessible segments
 * give ZF = 0; VERR wants data or readable code, VERW writable data. */
static int verx(struct cpu *cpu, const struct insn *in, bool write)
{
	uint64_t desc = 0;
	uint16_t sel;
	bool ok;

	TRY(probe_desc(cpu, in, 0, &sel, &desc, &ok));
	if (ok)
		ok = (desc & (1ull << 44)) && visible(cpu, sel, desc);
	if (ok) {
		bool code = (desc >> 43) & 1, wr = (desc >> 41) & 1;

		ok = write ? (!code && wr) : (!code || wr);
	}
	set_zf(cpu, ok);
	return X_OK;
}

int op_verr(struct cpu *cpu, const struct insn *in)
{
	return verx(cpu, in, false);
}

int op_verw(struct cpu *cpu, const struct insn *in)
{
	return verx(cpu, in, true);
}

/* SDM Vol. 2 "ARPL": raise the destination selector's RPL to the
 * source's; ZF says whether it changed. */
int op_arpl(struct cpu *cpu, const struct insn *in)
{
	uint64_t d, s;

	TRY(opnd_read(cpu, in, 0, &d));
	TRY(opnd_read(cpu, in, 1, &s));
	if ((d & 3) < (s & 3)) {
		TRY(opnd_write(cpu, in, 0, (d & ~3ull) | (s & 3)));
		set_zf(cpu, true);
	} else {
		set_zf(cpu, false);
	}
	return X_OK;
}
