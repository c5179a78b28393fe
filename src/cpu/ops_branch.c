/* Near branches: JMP, Jcc, CALL, RET, LOOP/LOOPcc, JCXZ/JECXZ/JRCXZ.
 *
 * Operand size: outside 64-bit mode it is the prefix-selected size
 * (insn.dsize, 16 or 32), which truncates the new EIP to 16 bits in 16-bit
 * operation (branch_to).  In 64-bit mode near branches are always 64-bit:
 * Intel ignores 66h on them (SDM Vol. 2 "JMP"/"CALL"/"RET", "In 64-bit
 * mode ... operand size fixed at 64 bits"; AMD instead honours 66h and
 * truncates RIP to 16 bits).  softvtx follows Intel for every form; for
 * the relative ones decode.c widens Capstone 4.0.2's AMD-style rel16 back
 * to rel32.
 *
 * Relative targets are rip + len + displacement (insn.imm holds the signed
 * displacement read from the raw bytes by decode.c). */
#include "flags.h"
#include "operand.h"
#include "ops.h"

static unsigned branch_lg(const struct cpu *cpu, const struct insn *in)
{
	return cpu->mode == MODE_LONG ? 3 : in->dsize;
}

static uint64_t rel_target(const struct cpu *cpu, const struct insn *in)
{
	return cpu->rip + in->len + in->imm;
}

/* The r/m operand of JMP/CALL near indirect, at the branch operand size. */
static int rm_target(struct cpu *cpu, const struct insn *in, unsigned lg, uint64_t *t)
{
	if (in->op[0].kind == OPK_MEM)
		return insn_mem_read(cpu, in, 1u << lg, t);
	if (in->op[0].kind != OPK_REG)
		return cpu_ud(cpu);
	*t = cpu_gpr_read(cpu, in->op[0].reg, lg);
	return X_OK;
}

/* JMP rel8/rel16/rel32 and JMP r/m (SDM Vol. 2 "JMP"); far forms are
 * separate Capstone ids (LJMP). */
int op_jmp(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = branch_lg(cpu, in);
	uint64_t t;

	if (in->op[0].kind == OPK_IMM)
		return branch_to(cpu, rel_target(cpu, in), lg);
	TRY(rm_target(cpu, in, lg, &t));
	return branch_to(cpu, t, lg);
}

/* Jcc (SDM Vol. 2 "Jcc"): insn.cc is the condition nibble. */
int op_jcc(struct cpu *cpu, const struct insn *in)
{
	if (!flags_cond(cpu, in->cc))
		return X_OK;
	return branch_to(cpu, rel_target(cpu, in), branch_lg(cpu, in));
}

/* CALL near (SDM Vol. 2 "CALL"): the target is checked (CS limit or
 * canonical form) before the return address is pushed; branch_to only
 * moves RIP, so it is undone if the push faults. */
int op_call(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = branch_lg(cpu, in);
	uint64_t t, rip = cpu->rip, next = cpu->rip + in->len;
	int st;

	if (in->op[0].kind == OPK_IMM)
		t = rel_target(cpu, in);
	else
		TRY(rm_target(cpu, in, lg, &t));
	st = branch_to(cpu, t, lg);
	if (st != X_JUMP)
		return st;
	st = stack_push(cpu, 1u << lg, next);
	if (st != X_OK) {
		cpu->rip = rip;
		return st;
	}
	return X_JUMP;
}

/* RET near, RET imm16 (SDM Vol. 2 "RET"): the target is checked before
 * rSP moves; imm16 bytes are released after the pop. */
int op_ret(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = branch_lg(cpu, in), size = 1u << lg;
	uint64_t t, release = in->op[0].kind == OPK_IMM ? (in->imm & 0xffff) : 0;
	int st;

	TRY(stack_peek(cpu, size, 0, &t));
	st = branch_to(cpu, t, lg);
	if (st != X_JUMP)
		return st;
	stack_set_rsp(cpu, cpu->gpr[R_RSP] + size + release);
	return X_JUMP;
}

/* LOOP, LOOPE, LOOPNE (SDM Vol. 2 "LOOP/LOOPcc"): the count register is
 * CX, ECX or RCX by address size; it is committed only once the branch
 * target has passed its checks. */
static int loop_common(struct cpu *cpu, const struct insn *in, int zf_want)
{
	unsigned alg = in->asize;
	uint64_t count = (cpu->gpr[R_RCX] - 1) & addr_mask(alg);
	int take = count != 0;

	if (take && zf_want >= 0)
		take = flags_zf(cpu) == zf_want;
	if (take) {
		int st = branch_to(cpu, rel_target(cpu, in), branch_lg(cpu, in));

		if (st != X_JUMP)
			return st;
	}
	cpu_gpr_write(cpu, R_RCX, alg, count);
	return take ? X_JUMP : X_OK;
}

int op_loop(struct cpu *cpu, const struct insn *in)
{
	return loop_common(cpu, in, -1);
}

int op_loope(struct cpu *cpu, const struct insn *in)
{
	return loop_common(cpu, in, 1);
}

int op_loopne(struct cpu *cpu, const struct insn *in)
{
	return loop_common(cpu, in, 0);
}

/* JCXZ/JECXZ/JRCXZ (SDM Vol. 2 "Jcc"): the register width is the address
 * size; Capstone's id already reflects it, insn.asize says the same. */
int op_jrcxz(struct cpu *cpu, const struct insn *in)
{
	if (cpu->gpr[R_RCX] & addr_mask(in->asize))
		return X_OK;
	return branch_to(cpu, rel_target(cpu, in), branch_lg(cpu, in));
}
