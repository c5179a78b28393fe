/* Far control transfers: JMP ptr/m16:xx, CALL ptr/m16:xx and RETF, in
 * real, virtual-8086, protected and IA-32e mode, with call gates (16-,
 * 32- and 64-bit) and the stack switch to a more privileged level.
 * Task gates and TSS targets in legacy protected mode switch tasks
 * (task.c); IA-32e mode has no task switching and raises #GP(selector).
 *
 * Every transfer first reads and checks everything (descriptors, the TSS,
 * the new stack, the target offset), then sets accessed bits, then
 * commits.  SDM Vol. 2 "JMP", "CALL", "RET"; Vol. 3A §5.8. */
#include "flags.h"
#include "mmu.h"
#include "operand.h"
#include "ops.h"
#include "seg.h"
#include "task.h"

static bool lma(const struct cpu *cpu)
{
	return (cpu->efer & EFER_LMA) != 0;
}

static unsigned attr_dpl(uint32_t attr)
{
	return (attr & SEG_DPL_MASK) >> SEG_DPL_SHIFT;
}

/* --- stack frames: planned, checked, then written ---------------------- */

#define STK_MAX 40  /* SS, ESP, 31 parameters, CS, EIP */

struct stk {
	const struct seg *ss;  /* segment the pushes go through */
	uint64_t rsp;          /* RSP after the planned pushes (upper bits kept) */
	uint64_t mask;         /* stack-address size */
	bool flat;             /* 64-bit stack: no segment, canonical checks */
	unsigned accf;         /* privilege of the writes (ACCF_USER or 0) */
	unsigned n;
	struct { uint64_t addr, v; uint8_t size; } e[STK_MAX];
};

static void stk_init(struct stk *k, const struct seg *ss, uint64_t rsp, unsigned ssize,
                     unsigned accf)
{
	k->ss = ss;
	k->rsp = rsp;
	k->mask = ssize == 8 ? ~0ull : ssize == 4 ? 0xffffffffull : 0xffffull;
	k->flat = ssize == 8;
	k->accf = accf;
	k->n = 0;
}

static void stk_push(struct stk *k, unsigned size, uint64_t v)
{
	k->rsp = (k->rsp & ~k->mask) | ((k->rsp - size) & k->mask);
	k->e[k->n].addr = k->rsp & k->mask;
	k->e[k->n].v = v;
	k->e[k->n].size = (uint8_t)size;
	k->n++;
}

/* Limit (SDM Vol. 3A §5.3, expand-down included) or canonical (§3.3.7.1)
 * checks of every planned push, faulting with (vec, err); then each page
 * is translated for writing so that the stores cannot fault. */
static int stk_check(struct cpu *cpu, struct stk *k, unsigned vec, uint32_t err)
{
	for (unsigned i = 0; i < k->n; i++) {
		uint64_t off = k->e[i].addr, last = off + k->e[i].size - 1, gla;
		uint8_t *host;
		uint64_t gpa;

		if (k->flat) {
			if (!cpu_is_canonical(off) || !cpu_is_canonical(last))
				return cpu_fault(cpu, vec, err);
			gla = off;
		} else {
			const struct seg *ss = k->ss;

			/* A null SS (possible in compatibility mode after
			 * 64-bit code loaded one) admits no stack access. */
			if (ss->attr & SEG_UNUSABLE)
				return cpu_fault(cpu, vec, err);
			if (ss->attr & SEG_TYPE_EC) {
				uint64_t top = (ss->attr & SEG_DB) ? 0xffffffffull : 0xffffull;

				if (off <= ss->limit || last > top)
					return cpu_fault(cpu, vec, err);
			} else if (last > ss->limit) {
				return cpu_fault(cpu, vec, err);
			}
			gla = (uint32_t)(ss->base + off);
		}
		k->e[i].addr = gla;
		TRY(tlb_fill(cpu, gla, ACC_WRITE, k->accf, &host, &gpa));
		if ((gla & 0xfff) + k->e[i].size > 4096)
			TRY(tlb_fill(cpu, k->flat ? gla + k->e[i].size - 1
			                          : (uint32_t)(gla + k->e[i].size - 1),
			             ACC_WRITE, k->accf, &host, &gpa));
	}
	return X_OK;
}

static int stk_write(struct cpu *cpu, const struct stk *k)
{
	for (unsigned i = 0; i < k->n; i++)
		TRY(access_lin_write_slow(cpu, k->e[i].addr, k->e[i].size, k->accf, k->e[i].v));
	return X_OK;
}

/* The current stack, as a push target. */
static void stk_current(const struct cpu *cpu, struct stk *k)
{
	stk_init(k, &cpu->seg[SEG_SS], cpu->gpr[R_RSP], cpu_stack_size(cpu),
	         cpu->mmu_idx == MMU_USER ? ACCF_USER : 0);
}

/* --- shared checks -------------------------------------------------- */

/* SDM Vol. 2 "JMP"/"CALL": "IF (IA32_EFER.LMA = 0 or target mode =
 * Compatibility mode) and tempEIP outside code segment limit THEN #GP(0);
 * IF tempEIP is non-canonical THEN #GP(0)". */
static int check_target(struct cpu *cpu, const struct seg *cs, uint64_t eip)
{
	if (lma(cpu) && (cs->attr & SEG_L)) {
		if (!cpu_is_canonical(eip))
			return cpu_gp0(cpu);
	} else if (eip > cs->limit) {
		return cpu_gp0(cpu);
	}
	return X_OK;
}

/* Commit a new CS (RPL := the CPL it runs at) and RIP. */
static void set_cs_rip(struct cpu *cpu, const struct seg *cs, unsigned cpl, uint64_t rip)
{
	cpu->seg[SEG_CS] = *cs;
	cpu->seg[SEG_CS].sel = (uint16_t)((cs->sel & 0xfffc) | cpl);
	cpu->seg[SEG_CS].attr |= SEG_TYPE_A;
	cpu->rip = rip;
	cpu_update_mode(cpu);
}

/* --- real and virtual-8086 mode -------------------------------------- */

/* A far CALL to the same privilege level pushes CS and then the return
 * IP/EIP/RIP on the current stack, checked for room (#SS(0)) before
 * anything is written; stk_write() commits it. */
static int stage_far_return(struct cpu *cpu, const struct insn *in, unsigned lg, struct stk *k)
{
	unsigned size = 1u << lg;

	stk_current(cpu, k);
	stk_push(k, size, cpu->seg[SEG_CS].sel);
	stk_push(k, size, (cpu->rip + in->len) & size_mask(lg));
	return stk_check(cpu, k, EXC_SS, 0);
}

/* SDM Vol. 2 "JMP"/"CALL", real-address or virtual-8086 mode: the offset
 * must lie inside the CS limit (#GP(0)); CALL pushes CS and IP/EIP. */
static int far_real(struct cpu *cpu, const struct insn *in, uint16_t sel, uint64_t off,
                    unsigned lg, bool call)
{
	uint64_t eip = off & (lg == 1 ? 0xffffull : 0xffffffffull);
	struct stk k;

	if (call) {
		TRY(stage_far_return(cpu, in, lg, &k));
	}
	if (eip > (cpu->mode == MODE_VM86 ? 0xffff : cpu->seg[SEG_CS].limit))
		return cpu_gp0(cpu);
	if (call) {
		TRY(stk_write(cpu, &k));
		cpu->gpr[R_RSP] = k.rsp;
	}
	seg_load_real(cpu, SEG_CS, sel);
	cpu->rip = eip;
	return X_JUMP;
}

/* --- protected and IA-32e mode: code-segment targets ------------------ */

/* SDM Vol. 2 "JMP"/"CALL", CONFORMING- and NONCONFORMING-CODE-SEGMENT. */
static int far_direct(struct cpu *cpu, const struct insn *in, uint16_t sel, uint64_t desc,
                      const struct seg *cs, uint64_t off, unsigned lg, bool call)
{
	unsigned dpl = attr_dpl(cs->attr), cpl = cpu->cpl;
	uint64_t eip = off;
	struct stk k;

	if (lma(cpu) && (cs->attr & SEG_L) && (cs->attr & SEG_DB))
		return cpu_gp(cpu, sel & 0xfffc);
	if (cs->attr & SEG_TYPE_EC) {
		if (dpl > cpl)
			return cpu_gp(cpu, sel & 0xfffc);
	} else if ((sel & 3u) > cpl || dpl != cpl) {
		return cpu_gp(cpu, sel & 0xfffc);
	}
	if (!(cs->attr & SEG_P))
		return cpu_fault(cpu, EXC_NP, sel & 0xfffc);
	if (call) {
		TRY(stage_far_return(cpu, in, lg, &k));
		/* "IF target mode = Compatibility mode THEN tempEIP :=
		 * tempEIP AND 00000000_FFFFFFFFH" (CALL only). */
		if (lma(cpu) && !(cs->attr & SEG_L))
			eip &= 0xffffffffull;
	}
	if (lg == 1)
		eip &= 0xffff;
	TRY(check_target(cpu, cs, eip));
	TRY(seg_set_accessed(cpu, sel, desc));
	if (call) {
		TRY(stk_write(cpu, &k));
		cpu->gpr[R_RSP] = k.rsp;
	}
	set_cs_rip(cpu, cs, cpl, eip);
	return X_JUMP;
}

/* --- call gates ------------------------------------------------------ */

struct gate {
	uint16_t csel;      /* target code-segment selector */
	uint64_t off;       /* target offset */
	unsigned size;      /* 2, 4 or 8 (16-, 32-, 64-bit gate) */
	unsigned params;    /* parameter count (legacy gates) */
};

/* MORE-PRIVILEGE, first half: the new SS:ESP from the current TSS
 * (SDM Vol. 2 "CALL"; Vol. 3A §5.8.5 and §7.7 for the 64-bit TSS). */
static int tss_stack(struct cpu *cpu, unsigned dpl, uint16_t *ss, uint64_t *sp)
{
	const struct seg *tr = &cpu->seg[SEG_TR];
	unsigned type = tr->attr & SEG_TYPE_MASK;
	uint64_t a, v;
	uint32_t err = tr->sel & 0xfffc;

	if (lma(cpu)) {
		a = dpl * 8 + 4;
		if (a + 7 > tr->limit)
			return cpu_fault(cpu, EXC_TS, err);
		TRY(access_sys_read(cpu, tr->base + a, 8, sp));
		*ss = (uint16_t)dpl; /* NULL selector with RPL = new CPL */
	} else if (type == SYS_TSS_AVAIL || type == SYS_TSS_BUSY) {
		a = dpl * 8 + 4;
		if (a + 5 > tr->limit)
			return cpu_fault(cpu, EXC_TS, err);
		TRY(access_sys_read(cpu, (uint32_t)(tr->base + a), 4, sp));
		TRY(access_sys_read(cpu, (uint32_t)(tr->base + a + 4), 2, &v));
		*ss = (uint16_t)v;
	} else {
		a = dpl * 4 + 2;
		if (a + 3 > tr->limit)
			return cpu_fault(cpu, EXC_TS, err);
		TRY(access_sys_read(cpu, (uint32_t)(tr->base + a), 2, sp));
		TRY(access_sys_read(cpu, (uint32_t)(tr->base + a + 2), 2, &v));
		*ss = (uint16_t)v;
	}
	return X_OK;
}

/* MORE-PRIVILEGE (SDM Vol. 2 "CALL"): switch to the inner stack named by
 * the TSS, push the caller's SS:ESP, copy the gate's parameters (16- and
 * 32-bit gates), push the caller's CS:EIP. */
static int gate_call_inner(struct cpu *cpu, const struct insn *in, const struct gate *g,
                           uint64_t cdesc, const struct seg *cs, uint64_t eip)
{
	unsigned dpl = attr_dpl(cs->attr), size = g->size;
	uint16_t nss;
	uint64_t nsp, sdesc = 0;
	uint64_t ret = (cpu->rip + in->len) & size_mask(size == 8 ? 3 : size == 4 ? 2 : 1);
	uint64_t param[31];
	struct seg ss;
	struct stk k;

	TRY(tss_stack(cpu, dpl, &nss, &nsp));
	if (!lma(cpu)) {
		if ((nss & 0xfffc) == 0)
			return cpu_fault(cpu, EXC_TS, nss & 0xfffc);
		TRY(seg_read_desc(cpu, nss, EXC_TS, &sdesc));
		seg_from_desc(&ss, nss, sdesc);
		if ((nss & 3u) != dpl || attr_dpl(ss.attr) != dpl || !(ss.attr & SEG_S) ||
		    (ss.attr & SEG_TYPE_CODE) || !(ss.attr & SEG_TYPE_WR))
			return cpu_fault(cpu, EXC_TS, nss & 0xfffc);
		if (!(ss.attr & SEG_P))
			return cpu_ss(cpu, nss & 0xfffc);
		ss.attr |= SEG_TYPE_A;
	} else {
		ss = (struct seg){ nss, 0, 0, SEG_UNUSABLE | (dpl << SEG_DPL_SHIFT) };
	}
	/* The parameters come from the caller's stack, read at its CPL. */
	for (unsigned i = 0; i < g->params && size != 8; i++)
		TRY(access_read(cpu, SEG_SS, (cpu->gpr[R_RSP] + i * size) & stack_mask(cpu), size,
		                &param[i]));
	stk_init(&k, &ss, nsp, lma(cpu) ? 8 : (ss.attr & SEG_DB) ? 4 : 2, 0);
	stk_push(&k, size, cpu->seg[SEG_SS].sel);
	stk_push(&k, size, cpu->gpr[R_RSP]);
	for (unsigned i = g->params; i-- > 0 && size != 8;)
		stk_push(&k, size, param[i]);
	stk_push(&k, size, cpu->seg[SEG_CS].sel);
	stk_push(&k, size, ret);
	TRY(stk_check(cpu, &k, EXC_SS, nss & 0xfffc));
	TRY(check_target(cpu, cs, eip));
	TRY(seg_set_accessed(cpu, g->csel, cdesc));
	if (!lma(cpu))
		TRY(seg_set_accessed(cpu, nss, sdesc));
	TRY(stk_write(cpu, &k));
	cpu->seg[SEG_SS] = ss;
	cpu->gpr[R_RSP] = k.rsp;
	set_cs_rip(cpu, cs, dpl, eip);
	return X_JUMP;
}

/* SDM Vol. 2 "JMP"/"CALL", CALL-GATE.  In IA-32e mode the gate is 16
 * bytes, only the 64-bit type is valid, its upper type field must be 0
 * and it must lead to 64-bit code. */
static int far_gate(struct cpu *cpu, const struct insn *in, uint16_t sel, uint64_t lo,
                    const struct seg *gd, bool call)
{
	unsigned cpl = cpu->cpl, gdpl = attr_dpl(gd->attr), dpl;
	uint64_t hi = 0, cdesc, eip;
	struct gate g;
	struct seg cs;

	if (lma(cpu)) {
		TRY(seg_read_desc16(cpu, sel, EXC_GP, &lo, &hi));
		if ((hi >> 40) & 0x1f)
			return cpu_gp(cpu, sel & 0xfffc);
	}
	if (gdpl < cpl || gdpl < (sel & 3u))
		return cpu_gp(cpu, sel & 0xfffc);
	if (!(gd->attr & SEG_P))
		return cpu_fault(cpu, EXC_NP, sel & 0xfffc);
	g.csel = (uint16_t)(lo >> 16);
	g.off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull);
	g.size = 4;
	g.params = (unsigned)(lo >> 32) & 0x1f;
	if (lma(cpu)) {
		g.off |= (hi & 0xffffffffull) << 32;
		g.size = 8;
		g.params = 0;
	} else if ((gd->attr & SEG_TYPE_MASK) == SYS_CALLGATE16) {
		g.size = 2;
	}
	if ((g.csel & 0xfffc) == 0)
		return cpu_gp0(cpu);
	TRY(seg_read_desc(cpu, g.csel, EXC_GP, &cdesc));
	seg_from_desc(&cs, g.csel, cdesc);
	dpl = attr_dpl(cs.attr);
	if (!(cs.attr & SEG_S) || !(cs.attr & SEG_TYPE_CODE))
		return cpu_gp(cpu, g.csel & 0xfffc);
	if (call ? dpl > cpl
	         : ((cs.attr & SEG_TYPE_EC) ? dpl > cpl : dpl != cpl))
		return cpu_gp(cpu, g.csel & 0xfffc);
	if (lma(cpu) && (!(cs.attr & SEG_L) || (cs.attr & SEG_DB)))
		return cpu_gp(cpu, g.csel & 0xfffc);
	if (!(cs.attr & SEG_P))
		return cpu_fault(cpu, EXC_NP, g.csel & 0xfffc);
	eip = g.size == 2 ? g.off & 0xffff : g.off;
	if (call && !(cs.attr & SEG_TYPE_EC) && dpl < cpl)
		return gate_call_inner(cpu, in, &g, cdesc, &cs, eip);
	if (call) {
		/* SAME-PRIVILEGE: push the return address with the gate's
		 * size; a 64-bit gate pushes on the 64-bit stack. */
		unsigned lg = g.size == 8 ? 3 : g.size == 4 ? 2 : 1;
		struct stk k;

		stk_current(cpu, &k);
		if (g.size == 8)
			stk_init(&k, &cpu->seg[SEG_SS], cpu->gpr[R_RSP], 8, k.accf);
		stk_push(&k, g.size, cpu->seg[SEG_CS].sel);
		stk_push(&k, g.size, (cpu->rip + in->len) & size_mask(lg));
		TRY(stk_check(cpu, &k, EXC_SS, 0));
		TRY(check_target(cpu, &cs, eip));
		TRY(seg_set_accessed(cpu, g.csel, cdesc));
		TRY(stk_write(cpu, &k));
		cpu->gpr[R_RSP] = k.rsp;
	} else {
		TRY(check_target(cpu, &cs, eip));
		TRY(seg_set_accessed(cpu, g.csel, cdesc));
	}
	set_cs_rip(cpu, &cs, cpl, eip);
	return X_JUMP;
}

/* SDM Vol. 2 "JMP"/"CALL", protected and IA-32e mode: dispatch on the
 * descriptor type.  Legacy modes accept code segments, call gates, task
 * gates and TSSs; IA-32e mode code segments and 64-bit call gates. */
static int far_prot(struct cpu *cpu, const struct insn *in, uint16_t sel, uint64_t off,
                    unsigned lg, bool call)
{
	uint64_t desc;
	struct seg d;
	unsigned type;

	if ((sel & 0xfffc) == 0)
		return cpu_gp0(cpu);
	TRY(seg_read_desc(cpu, sel, EXC_GP, &desc));
	seg_from_desc(&d, sel, desc);
	type = d.attr & SEG_TYPE_MASK;
	if (d.attr & SEG_S) {
		if (!(d.attr & SEG_TYPE_CODE))
			return cpu_gp(cpu, sel & 0xfffc);
		return far_direct(cpu, in, sel, desc, &d, off, lg, call);
	}
	if (lma(cpu)) {
		if (type != SYS_CALLGATE)
			return cpu_gp(cpu, sel & 0xfffc);
		return far_gate(cpu, in, sel, desc, &d, call);
	}
	switch (type) {
	case SYS_CALLGATE16:
	case SYS_CALLGATE:
		return far_gate(cpu, in, sel, desc, &d, call);
	case SYS_TASKGATE:
	case SYS_TSS16_AVAIL:
	case SYS_TSS16_BUSY:
	case SYS_TSS_AVAIL:
	case SYS_TSS_BUSY:
		/* SDM Vol. 2 "JMP"/"CALL", TASK-GATE and
		 * TASK-STATE-SEGMENT; the old task saves the EIP of the
		 * next instruction. */
		return task_far(cpu, sel, desc, call,
		                (cpu->rip + in->len) & (cpu->code_size == 2 ? 0xffffu : 0xffffffffu));
	default:
		return cpu_gp(cpu, sel & 0xfffc);
	}
}

/* The far pointer of JMP/CALL: ptr16:16/ptr16:32 immediates (selector in
 * imm, offset in imm2) or m16:16/m16:32/m16:64 in memory, offset first. */
static int far_pointer(struct cpu *cpu, const struct insn *in, uint16_t *sel, uint64_t *off)
{
	unsigned lg = in->dsize, size = 1u << lg;
	uint64_t ea, s;

	if (in->op[0].kind == OPK_IMM) {
		*sel = (uint16_t)in->imm;
		*off = in->imm2 & size_mask(lg);
		return X_OK;
	}
	ea = insn_ea(cpu, in);
	TRY(access_read(cpu, in->mem.seg, ea, size, off));
	TRY(access_read(cpu, in->mem.seg, (ea + size) & addr_mask(in->asize), 2, &s));
	*sel = (uint16_t)s;
	return X_OK;
}

static int far_jmp_call(struct cpu *cpu, const struct insn *in, bool call)
{
	uint16_t sel;
	uint64_t off;

	TRY(far_pointer(cpu, in, &sel, &off));
	if (cpu->mode == MODE_REAL || cpu->mode == MODE_VM86)
		return far_real(cpu, in, sel, off, in->dsize, call);
	return far_prot(cpu, in, sel, off, in->dsize, call);
}

int op_ljmp(struct cpu *cpu, const struct insn *in)
{
	return far_jmp_call(cpu, in, false);
}

int op_lcall(struct cpu *cpu, const struct insn *in)
{
	return far_jmp_call(cpu, in, true);
}

/* --- RETF ------------------------------------------------------------ */

/* Real-address and virtual-8086 mode far return. */
static int retf_real(struct cpu *cpu, unsigned lg, uint64_t imm)
{
	unsigned size = 1u << lg;
	uint64_t eip, cs, m = stack_mask(cpu);

	TRY(stack_peek(cpu, size, 0, &eip));
	TRY(stack_peek(cpu, size, size, &cs));
	if (eip > (cpu->mode == MODE_VM86 ? 0xffff : cpu->seg[SEG_CS].limit))
		return cpu_gp0(cpu);
	stack_set_rsp(cpu, (cpu->gpr[R_RSP] + 2 * size + imm) & m);
	seg_load_real(cpu, SEG_CS, (uint16_t)cs);
	cpu->rip = eip;
	return X_JUMP;
}

/* SDM Vol. 2 "RET", protected mode and IA-32e mode far return. */
int op_retf(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->dsize, size = 1u << lg, rpl, dpl;
	uint64_t imm = in->nops ? in->imm & 0xffff : 0;
	uint64_t eip, v, cdesc, sdesc = 0;
	uint16_t csel, ssel;
	struct seg cs, ss;

	if (cpu->mode == MODE_REAL || cpu->mode == MODE_VM86)
		return retf_real(cpu, lg, imm);
	TRY(stack_peek(cpu, size, 0, &eip));
	TRY(stack_peek(cpu, size, size, &v));
	csel = (uint16_t)v;
	if ((csel & 0xfffc) == 0)
		return cpu_gp0(cpu);
	TRY(seg_read_desc(cpu, csel, EXC_GP, &cdesc));
	seg_from_desc(&cs, csel, cdesc);
	rpl = csel & 3;
	dpl = attr_dpl(cs.attr);
	if (!(cs.attr & SEG_S) || !(cs.attr & SEG_TYPE_CODE))
		return cpu_gp(cpu, csel & 0xfffc);
	if (lma(cpu) && (cs.attr & SEG_L) && (cs.attr & SEG_DB))
		return cpu_gp(cpu, csel & 0xfffc);
	if (rpl < cpu->cpl)
		return cpu_gp(cpu, csel & 0xfffc);
	if ((cs.attr & SEG_TYPE_EC) ? dpl > rpl : dpl != rpl)
		return cpu_gp(cpu, csel & 0xfffc);
	if (!(cs.attr & SEG_P))
		return cpu_fault(cpu, EXC_NP, csel & 0xfffc);

	if (rpl == cpu->cpl) {
		/* RETURN-TO-SAME-PRIVILEGE-LEVEL. */
		TRY(check_target(cpu, &cs, eip));
		TRY(seg_set_accessed(cpu, csel, cdesc));
		stack_set_rsp(cpu, cpu->gpr[R_RSP] + 2 * size + imm);
		set_cs_rip(cpu, &cs, rpl, eip);
		return X_JUMP;
	}

	/* RETURN-TO-OUTER-PRIVILEGE-LEVEL: SS:ESP follow the parameters. */
	{
		uint64_t nsp;

		TRY(stack_peek(cpu, size, 2 * size + imm, &nsp));
		TRY(stack_peek(cpu, size, 3 * size + imm, &v));
		ssel = (uint16_t)v;
		if ((ssel & 0xfffc) == 0) {
			/* IA-32e: a null SS is allowed when returning to
			 * 64-bit code at CPL < 3. */
			if (!lma(cpu) || !(cs.attr & SEG_L) || (ssel & 3u) == 3)
				return cpu_gp0(cpu);
			ss = (struct seg){ ssel, 0, 0, SEG_UNUSABLE | (rpl << SEG_DPL_SHIFT) };
		} else {
			TRY(seg_read_desc(cpu, ssel, EXC_GP, &sdesc));
			seg_from_desc(&ss, ssel, sdesc);
			if ((ssel & 3u) != rpl || !(ss.attr & SEG_S) || (ss.attr & SEG_TYPE_CODE) ||
			    !(ss.attr & SEG_TYPE_WR) || attr_dpl(ss.attr) != rpl)
				return cpu_gp(cpu, ssel & 0xfffc);
			if (!(ss.attr & SEG_P))
				return cpu_ss(cpu, ssel & 0xfffc);
			ss.attr |= SEG_TYPE_A;
		}
		TRY(check_target(cpu, &cs, eip));
		TRY(seg_set_accessed(cpu, csel, cdesc));
		if ((ssel & 0xfffc) != 0)
			TRY(seg_set_accessed(cpu, ssel, sdesc));
		cpu->seg[SEG_SS] = ss;
		set_cs_rip(cpu, &cs, rpl, eip);
		/* ESP := tempESP, then release the caller's parameters, both
		 * in the new stack-address size. */
		if (cpu->mode == MODE_LONG)
			cpu->gpr[R_RSP] = nsp;
		else if (ss.attr & SEG_DB)
			cpu->gpr[R_RSP] = (uint32_t)nsp;
		else
			cpu->gpr[R_RSP] = (cpu->gpr[R_RSP] & ~0xffffull) | (nsp & 0xffff);
		stack_set_rsp(cpu, cpu->gpr[R_RSP] + imm);
		seg_null_outer(cpu);
	}
	return X_JUMP;
}
