/* Data movement: MOV and its relatives, LEA, XCHG, XADD, CMPXCHG*, CMOVcc,
 * SETcc, sign/zero extensions, accumulator conversions, XLAT, MOVBE. */
#include "cr.h"
#include "flags.h"
#include "operand.h"
#include "ops.h"
#include "seg.h"

/* MOV Sreg, r/m16 and MOV r/m, Sreg (SDM Vol. 2 "MOV").  Capstone decodes
 * both as X86_INS_MOV with an OPK_SREG operand. */
static int mov_sreg(struct cpu *cpu, const struct insn *in)
{
	uint64_t v;

	if (in->op[1].kind == OPK_SREG) {
		/* SDM Vol. 2 "MOV", notes: with a 32-bit register destination
		 * the P6 and later processors zero the upper 16 bits; a 64-bit
		 * (REX.W) destination is zero-extended too.  A memory
		 * destination is always 16 bits.  cpu_gpr_write does both. */
		v = cpu->seg[in->op[1].reg].sel;
		return opnd_write(cpu, in, 0, v);
	}
	/* SDM Vol. 2 "MOV": loading CS with MOV is #UD. */
	if (in->op[0].reg == SEG_CS || in->op[0].reg >= SEG_LDTR)
		return cpu_ud(cpu);
	TRY(opnd_read(cpu, in, 1, &v));
	TRY(seg_load(cpu, in->op[0].reg, (uint16_t)v));
	/* SDM Vol. 2 "MOV": loading SS inhibits interrupts (and debug traps)
	 * until after the next instruction. */
	if (in->op[0].reg == SEG_SS) {
		cpu->intr_shadow = 1;
		cpu->shadow_mov_ss = true;
	}
	return X_OK;
}

/* MOV r/m, r/imm and the moffs forms (SDM Vol. 2 "MOV"); MOVABS is the
 * 64-bit immediate/offset spelling of the same instruction.  The segment,
 * control and debug register forms share the Capstone id and are
 * dispatched from here. */
int op_mov(struct cpu *cpu, const struct insn *in)
{
	uint64_t v;
	uint8_t k0 = in->op[0].kind, k1 = in->op[1].kind;

	if (unlikely(k0 > OPK_IMM || k1 > OPK_IMM)) {
		int st;

		if (k0 == OPK_SREG || k1 == OPK_SREG)
			return mov_sreg(cpu, in);
		if (k0 == OPK_CR || k1 == OPK_CR)
			st = cr_mov(cpu, in);
		else if (k0 == OPK_DR || k1 == OPK_DR)
			st = dr_mov(cpu, in);
		else
			return cpu_ud(cpu);
		/* A CR/DR write may change paging or the mode, and the MOV row
		 * cannot carry F_ENDBLK without ending every block at every
		 * MOV: leave the block here instead. */
		if (st == X_OK && (k0 == OPK_CR || k0 == OPK_DR)) {
			cpu->rip += in->len;
			if (cpu->code_size != 8)
				cpu->rip &= cpu->code_size == 4 ? 0xffffffffull : 0xffffull;
			return X_JUMP;
		}
		return st;
	}
	TRY(opnd_read(cpu, in, 1, &v));
	return opnd_write(cpu, in, 0, v);
}

static uint64_t sext(uint64_t v, unsigned lg)
{
	unsigned sh = 64 - (8u << lg);

	return lg == 3 ? v : (uint64_t)((int64_t)(v << sh) >> sh);
}

/* MOVZX (SDM Vol. 2 "MOVZX"). */
int op_movzx(struct cpu *cpu, const struct insn *in)
{
	uint64_t v;

	TRY(opnd_read(cpu, in, 1, &v));
	return opnd_write(cpu, in, 0, v);
}

/* MOVSX (SDM Vol. 2 "MOVSX/MOVSXD"). */
int op_movsx(struct cpu *cpu, const struct insn *in)
{
	uint64_t v;

	TRY(opnd_read(cpu, in, 1, &v));
	return opnd_write(cpu, in, 0, sext(v, in->op[1].lg));
}

/* MOVSXD (SDM Vol. 2 "MOVSX/MOVSXD"): with REX.W it sign-extends r/m32;
 * without it the operation is a plain 32-bit (or, with 66h, 16-bit) move.
 * Capstone 4.0.2 reports "movsxd rax, eax" for all three, so the sizes
 * come from the prefixes (insn.dsize), not from the operands. */
int op_movsxd(struct cpu *cpu, const struct insn *in)
{
	unsigned dlg = in->dsize, slg = dlg == 3 ? 2 : dlg;
	uint64_t v;

	if (in->op[1].kind == OPK_MEM)
		TRY(insn_mem_read(cpu, in, 1u << slg, &v));
	else
		v = cpu_gpr_read(cpu, in->op[1].reg, slg);
	cpu_gpr_write(cpu, in->op[0].reg, dlg, sext(v, slg));
	return X_OK;
}

/* LEA (SDM Vol. 2 "LEA"): the effective address is computed at the address
 * size (insn_ea truncates), then truncated or zero-extended to the operand
 * size by the register write. */
int op_lea(struct cpu *cpu, const struct insn *in)
{
	if (in->op[1].kind != OPK_MEM)
		return cpu_ud(cpu);
	cpu_gpr_write(cpu, in->op[0].reg, in->op[0].lg, insn_ea(cpu, in));
	return X_OK;
}

/* Write the memory operand (if any) first, so that a fault leaves the
 * registers untouched. */
static int write_pair(struct cpu *cpu, const struct insn *in, uint64_t v0, uint64_t v1)
{
	if (in->op[1].kind == OPK_MEM) {
		TRY(opnd_write(cpu, in, 1, v1));
		return opnd_write(cpu, in, 0, v0);
	}
	TRY(opnd_write(cpu, in, 0, v0));
	return opnd_write(cpu, in, 1, v1);
}

/* XCHG (SDM Vol. 2 "XCHG"): a memory operand makes it implicitly locked,
 * which is atomic here by construction. */
int op_xchg(struct cpu *cpu, const struct insn *in)
{
	uint64_t a, b;

	TRY(opnd_read_rmw(cpu, in, 0, &a));
	TRY(opnd_read(cpu, in, 1, &b));
	return write_pair(cpu, in, b, a);
}

/* XADD (SDM Vol. 2 "XADD"): TEMP := SRC + DEST; SRC := DEST; DEST := TEMP.
 * With the same register as both operands the sum wins, so the source is
 * written before the destination (unless the destination is memory). */
int op_xadd(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->op[0].lg;
	uint64_t d, s, r;

	TRY(opnd_read_rmw(cpu, in, 0, &d));
	TRY(opnd_read(cpu, in, 1, &s));
	r = (d + s) & size_mask(lg);
	if (in->op[0].kind == OPK_MEM) {
		TRY(opnd_write(cpu, in, 0, r));
		TRY(opnd_write(cpu, in, 1, d));
	} else {
		TRY(opnd_write(cpu, in, 1, d));
		TRY(opnd_write(cpu, in, 0, r));
	}
	flags_set_add(cpu, lg, d, s, r);
	return X_OK;
}

/* CMPXCHG (SDM Vol. 2 "CMPXCHG"):
 *   TEMP := DEST; IF accumulator = TEMP THEN ZF := 1; DEST := SRC
 *   ELSE ZF := 0; accumulator := TEMP; DEST := TEMP
 * A memory destination is always written (a locked read-modify-write:
 * "the destination operand receives a write cycle without regard to the
 * result of the comparison"), so a read-only page faults even when the
 * comparison fails.  A register destination is left alone on failure --
 * silicon does not zero-extend a 32-bit one then (the host CPU agrees, see
 * test_data.c) -- and on success the accumulator is not written. */
int op_cmpxchg(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->op[0].lg;
	uint64_t d, s, acc = cpu_gpr_read(cpu, R_RAX, lg);

	TRY(opnd_read_rmw(cpu, in, 0, &d));
	TRY(opnd_read(cpu, in, 1, &s));
	if (acc == d) {
		TRY(opnd_write(cpu, in, 0, s));
	} else {
		if (in->op[0].kind == OPK_MEM)
			TRY(opnd_write(cpu, in, 0, d));
		cpu_gpr_write(cpu, R_RAX, lg, d);
	}
	flags_set_sub(cpu, lg, acc, d, (acc - d) & size_mask(lg));
	return X_OK;
}

/* CMPXCHG8B / CMPXCHG16B (SDM Vol. 2 "CMPXCHG8B/CMPXCHG16B").  Only ZF
 * changes.  Both halves are checked for writability before anything is
 * stored. */
static int cmpxchg_wide(struct cpu *cpu, const struct insn *in, unsigned half)
{
	uint64_t ea = insn_ea(cpu, in), gla, lo, hi, m = half == 8 ? ~0ull : 0xffffffffull;
	uint64_t cmp_lo = cpu->gpr[R_RAX] & m, cmp_hi = cpu->gpr[R_RDX] & m;
	int eq;

	if (in->op[0].kind != OPK_MEM)
		return cpu_ud(cpu);
	TRY(access_linear(cpu, in->mem.seg, ea, 2 * half, 1, &gla));
	/* SDM Vol. 2 "CMPXCHG16B": #GP(0) if the memory operand is not
	 * aligned on a 16-byte boundary. */
	if (half == 8 && (gla & 15))
		return cpu_gp0(cpu);
	TRY(access_lin_probe_write(cpu, gla, 2 * half));
	if (half == 8) {
		TRY(access_lin_read(cpu, gla, 8, &lo));
		TRY(access_lin_read(cpu, gla + 8, 8, &hi));
	} else {
		uint64_t v;

		TRY(access_lin_read(cpu, gla, 8, &v));
		lo = v & m;
		hi = v >> 32;
	}
	eq = lo == cmp_lo && hi == cmp_hi;
	if (eq) {
		lo = cpu->gpr[R_RBX] & m;
		hi = cpu->gpr[R_RCX] & m;
	}
	/* The destination is written back unchanged on failure. */
	if (half == 8) {
		TRY(access_lin_write(cpu, gla, 8, lo));
		TRY(access_lin_write(cpu, gla + 8, 8, hi));
	} else {
		TRY(access_lin_write(cpu, gla, 8, lo | hi << 32));
	}
	if (!eq) {
		/* 32-bit loads of EDX:EAX zero-extend in 64-bit mode. */
		cpu->gpr[R_RAX] = lo;
		cpu->gpr[R_RDX] = hi;
	}
	flags_set_bits(cpu, RFLAGS_ZF, eq ? RFLAGS_ZF : 0);
	return X_OK;
}

int op_cmpxchg8b(struct cpu *cpu, const struct insn *in)
{
	return cmpxchg_wide(cpu, in, 4);
}

int op_cmpxchg16b(struct cpu *cpu, const struct insn *in)
{
	return cmpxchg_wide(cpu, in, 8);
}

/* CMOVcc (SDM Vol. 2 "CMOVcc"): the source is read whatever the condition
 * (a memory source can fault even when no move happens), and in 64-bit
 * mode a 32-bit destination is zero-extended even when the condition is
 * false. */
int op_cmovcc(struct cpu *cpu, const struct insn *in)
{
	uint64_t v;

	TRY(opnd_read(cpu, in, 1, &v));
	if (flags_cond(cpu, in->cc))
		return opnd_write(cpu, in, 0, v);
	if (in->op[0].lg == 2)
		cpu->gpr[in->op[0].reg] &= 0xffffffffull;
	return X_OK;
}

/* SETcc (SDM Vol. 2 "SETcc"). */
int op_setcc(struct cpu *cpu, const struct insn *in)
{
	return opnd_write(cpu, in, 0, (uint64_t)flags_cond(cpu, in->cc));
}

/* CBW / CWDE / CDQE (SDM Vol. 2 "CBW/CWDE/CDQE"): sign-extend the lower
 * half of the accumulator, at the operand size. */
int op_cbw(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->dsize;

	cpu_gpr_write(cpu, R_RAX, lg, sext(cpu->gpr[R_RAX], lg - 1));
	return X_OK;
}

/* CWD / CDQ / CQO (SDM Vol. 2 "CWD/CDQ/CQO"): rDX := sign of rAX. */
int op_cwd(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->dsize;
	uint64_t sign = cpu->gpr[R_RAX] & size_sign(lg);

	cpu_gpr_write(cpu, R_RDX, lg, sign ? ~0ull : 0);
	return X_OK;
}

/* XLAT/XLATB (SDM Vol. 2 "XLAT/XLATB"): AL := [seg:rBX + ZeroExtend(AL)],
 * DS unless overridden, at the address size. */
int op_xlat(struct cpu *cpu, const struct insn *in)
{
	unsigned seg = in->sreg_ovr != SEG_NONE ? in->sreg_ovr : SEG_DS;
	uint64_t ea = (cpu->gpr[R_RBX] + (cpu->gpr[R_RAX] & 0xff)) & addr_mask(in->asize);
	uint64_t v;

	TRY(access_read(cpu, seg, ea, 1, &v));
	cpu_gpr_write(cpu, R_RAX, 0, v);
	return X_OK;
}

/* MOVBE (SDM Vol. 2 "MOVBE"): a load or store with the bytes swapped. */
int op_movbe(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->op[0].lg;
	uint64_t v;

	TRY(opnd_read(cpu, in, 1, &v));
	switch (lg) {
	case 1: v = __builtin_bswap16((uint16_t)v); break;
	case 2: v = __builtin_bswap32((uint32_t)v); break;
	default: v = __builtin_bswap64(v); break;
	}
	return opnd_write(cpu, in, 0, v);
}
