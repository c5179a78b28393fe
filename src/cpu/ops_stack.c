/* Stack instructions: PUSH/POP (registers, memory, immediates, segment
 * registers), PUSHA/POPA, ENTER, LEAVE.
 *
 * Operand sizes (SDM Vol. 1 §6.2.5, Vol. 2 "PUSH"/"POP"): in 64-bit mode
 * the default is 64 bits and 66h selects 16 (32 cannot be encoded);
 * elsewhere CS.D and 66h select 16 or 32.  The stack-address size is SS.B
 * (64 in 64-bit mode), handled by operand.h's stack helpers. */
#include "flags.h"
#include "operand.h"
#include "ops.h"
#include "seg.h"

/* Push/pop size in bytes for forms whose Capstone operand does not carry
 * it (immediates, segment registers, LEAVE). */
static unsigned stack_opsize(const struct cpu *cpu, const struct insn *in)
{
	if (cpu->mode == MODE_LONG)
		return in->dsize == 1 ? 2 : 8;
	return 1u << in->dsize;
}

/* SDM Vol. 2 "PUSH"/"POP": PUSH/POP of CS (POP only), DS, ES and SS are
 * invalid in 64-bit mode; FS and GS remain. */
static bool sreg_invalid_64(const struct cpu *cpu, unsigned sreg)
{
	return cpu->mode == MODE_LONG && sreg != SEG_FS && sreg != SEG_GS;
}

/* PUSH (SDM Vol. 2 "PUSH").  PUSH rSP pushes the value before the
 * decrement, which reading the operand first gives. */
int op_push(struct cpu *cpu, const struct insn *in)
{
	const struct operand *o = &in->op[0];
	uint64_t v;

	switch (o->kind) {
	case OPK_IMM:
		/* The immediate is already sign-extended; the store truncates. */
		return stack_push(cpu, stack_opsize(cpu, in), in->imm);
	case OPK_SREG: {
		unsigned size = stack_opsize(cpu, in);
		uint64_t rsp;

		if (sreg_invalid_64(cpu, o->reg))
			return cpu_ud(cpu);
		/* SDM Vol. 2 "PUSH": with a 32- or 64-bit operand size, recent
		 * Intel processors store the selector with a 16-bit move and
		 * leave the rest of the slot unmodified. */
		rsp = (cpu->gpr[R_RSP] - size) & stack_mask(cpu);
		TRY(access_write(cpu, SEG_SS, rsp, 2, cpu->seg[o->reg].sel));
		stack_set_rsp(cpu, rsp);
		return X_OK;
	}
	default:
		TRY(opnd_read(cpu, in, 0, &v));
		return stack_push(cpu, 1u << o->lg, v);
	}
}

/* POP (SDM Vol. 2 "POP"). */
int op_pop(struct cpu *cpu, const struct insn *in)
{
	const struct operand *o = &in->op[0];
	uint64_t v, old = cpu->gpr[R_RSP];
	unsigned size;
	int st;

	if (o->kind == OPK_SREG) {
		size = stack_opsize(cpu, in);
		if (sreg_invalid_64(cpu, o->reg) || o->reg == SEG_CS)
			return cpu_ud(cpu);
		TRY(stack_peek(cpu, size, 0, &v));
		TRY(seg_load(cpu, o->reg, (uint16_t)v));
		stack_set_rsp(cpu, old + size);
		/* SDM Vol. 2 "POP": loading SS inhibits interrupts until after
		 * the next instruction.  run.c expects the shadowed instruction
		 * to start a block, so leave this one here. */
		if (o->reg == SEG_SS) {
			cpu->intr_shadow = 1;
			cpu->shadow_mov_ss = true;
			cpu->rip = (cpu->rip + in->len) & (cpu->code_size == 4 ? 0xffffffffull : 0xffffull);
			return X_JUMP;
		}
		return X_OK;
	}
	size = 1u << o->lg;
	TRY(stack_peek(cpu, size, 0, &v));
	if (o->kind != OPK_MEM) {
		/* POP rSP: the increment is overwritten by the popped value. */
		stack_set_rsp(cpu, old + size);
		return opnd_write(cpu, in, 0, v);
	}
	/* SDM Vol. 2 "POP": with rSP as a base register the effective
	 * address is computed after the increment.  Undo it on a fault. */
	stack_set_rsp(cpu, old + size);
	st = opnd_write(cpu, in, 0, v);
	if (st != X_OK)
		cpu->gpr[R_RSP] = old;
	return st;
}

/* Store `n` values of `size` bytes below rSP (values[0] at the highest
 * address, as successive pushes would), checking every slot before the
 * first store so that a fault commits nothing.  Returns the new rSP. */
static int push_many(struct cpu *cpu, const uint64_t *values, unsigned n, unsigned size,
                     uint64_t *new_rsp)
{
	uint64_t m = stack_mask(cpu), rsp = cpu->gpr[R_RSP], gla[33];

	for (unsigned i = 0; i < n; i++) {
		rsp = (rsp - size) & m;
		TRY(access_linear(cpu, SEG_SS, rsp, size, 1, &gla[i]));
		TRY(access_lin_probe_write(cpu, gla[i], size));
	}
	for (unsigned i = 0; i < n; i++)
		TRY(access_lin_write(cpu, gla[i], size, values[i]));
	*new_rsp = rsp;
	return X_OK;
}

/* PUSHA/PUSHAD (SDM Vol. 2 "PUSHA/PUSHAD"): invalid in 64-bit mode
 * (F_NO64).  The pushed SP/ESP is the value before the first push. */
int op_pusha(struct cpu *cpu, const struct insn *in)
{
	static const uint8_t order[8] = { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI };
	unsigned size = 1u << in->dsize;
	uint64_t v[8], rsp;

	for (unsigned i = 0; i < 8; i++)
		v[i] = cpu->gpr[order[i]];
	TRY(push_many(cpu, v, 8, size, &rsp));
	stack_set_rsp(cpu, rsp);
	return X_OK;
}

/* POPA/POPAD (SDM Vol. 2 "POPA/POPAD"): the SP/ESP slot is skipped. */
int op_popa(struct cpu *cpu, const struct insn *in)
{
	static const uint8_t order[8] = { R_RDI, R_RSI, R_RBP, R_RSP, R_RBX, R_RDX, R_RCX, R_RAX };
	unsigned lg = in->dsize, size = 1u << lg;
	uint64_t v[8];

	for (unsigned i = 0; i < 8; i++)
		TRY(stack_peek(cpu, size, (uint64_t)i * size, &v[i]));
	for (unsigned i = 0; i < 8; i++)
		if (order[i] != R_RSP)
			cpu_gpr_write(cpu, order[i], lg, v[i]);
	stack_set_rsp(cpu, cpu->gpr[R_RSP] + 8 * size);
	return X_OK;
}

/* ENTER imm16, imm8 (SDM Vol. 2 "ENTER"), following its pseudocode:
 *   Push(rBP); FrameTemp := rSP
 *   FOR i := 1 TO NestingLevel-1: rBP := rBP - size; Push([SS:rBP])
 *   IF NestingLevel > 0: Push(FrameTemp)
 *   rBP := FrameTemp (operand size); rSP := rSP - AllocSize (stack size)
 * The copies of the outer frame pointers walk down from rBP at the
 * stack-address size.  Every read and every slot check happens before the
 * first store. */
int op_enter(struct cpu *cpu, const struct insn *in)
{
	unsigned size = stack_opsize(cpu, in), lg = size == 8 ? 3 : size == 4 ? 2 : 1;
	unsigned level = (unsigned)in->imm2 & 31, n = 0;
	uint64_t m = stack_mask(cpu), alloc = in->imm & 0xffff;
	uint64_t v[33], bp = cpu->gpr[R_RBP], frame, rsp;

	v[n++] = cpu->gpr[R_RBP];
	frame = (cpu->gpr[R_RSP] - size) & m;
	for (unsigned i = 1; i < level; i++) {
		bp = (bp - size) & m;
		TRY(access_read(cpu, SEG_SS, bp, size, &v[n]));
		n++;
	}
	if (level > 0)
		v[n++] = frame;
	TRY(push_many(cpu, v, n, size, &rsp));
	rsp = (rsp - alloc) & m;
	/* SDM Vol. 2 "ENTER", protected-mode exceptions: #SS(0) if the new
	 * stack pointer is outside the stack segment limit. */
	if (cpu->mode != MODE_LONG && alloc != 0) {
		uint64_t gla;

		TRY(access_linear(cpu, SEG_SS, rsp, 1, 1, &gla));
	}
	cpu_gpr_write(cpu, R_RBP, lg, frame);
	stack_set_rsp(cpu, rsp);
	return X_OK;
}

/* LEAVE (SDM Vol. 2 "LEAVE"): rSP := rBP (stack-address size), then
 * POP rBP (operand size). */
int op_leave(struct cpu *cpu, const struct insn *in)
{
	unsigned size = stack_opsize(cpu, in), lg = size == 8 ? 3 : size == 4 ? 2 : 1;
	uint64_t m = stack_mask(cpu), top = cpu->gpr[R_RBP] & m, v;

	TRY(access_read(cpu, SEG_SS, top, size, &v));
	stack_set_rsp(cpu, top + size);
	cpu_gpr_write(cpu, R_RBP, lg, v);
	return X_OK;
}
