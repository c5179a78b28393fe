/* Two-operand integer arithmetic and logic (SDM Vol. 2 ADD, ADC, SUB, SBB,
 * CMP, AND, OR, XOR, TEST) and the one-operand group INC, DEC, NEG, NOT.
 *
 * Operand 0 is the destination and fixes the size (in->opsize); Capstone's
 * immediates are sign-extended to 64 bits and are masked to that size
 * here.  A register destination with a register or immediate source takes
 * a call-free fast path; every other form (memory, AH..BH) goes through
 * opnd_read/opnd_write in a shared slow path.  Both use the same
 * alu_result/alu_flags, so each operation's semantics live in one place.
 * Flags are recorded lazily except for ADC/SBB, whose carry-in the lazy
 * forms cannot express.  LOCK legality is checked centrally (F_LOCK_OK).
 */
#include "flags.h"
#include "operand.h"
#include "ops.h"

enum aluop { ALU_ADD, ALU_ADC, ALU_SUB, ALU_SBB, ALU_CMP, ALU_AND, ALU_OR, ALU_XOR, ALU_TEST };

static inline uint64_t alu_result(enum aluop op, uint64_t a, uint64_t b, uint64_t c)
{
	switch (op) {
	case ALU_ADD: return a + b;
	case ALU_ADC: return a + b + c;
	case ALU_SUB: case ALU_CMP: return a - b;
	case ALU_SBB: return a - b - c;
	case ALU_AND: case ALU_TEST: return a & b;
	case ALU_OR: return a | b;
	default: return a ^ b;
	}
}

/* SDM Vol. 2 "AND"/"OR"/"XOR"/"TEST": OF and CF cleared, SF/ZF/PF from
 * the result, AF undefined (the lazy CC_LOGIC record produces 0). */
static inline void alu_flags(struct cpu *cpu, enum aluop op, unsigned lg, uint64_t a, uint64_t b,
                             uint64_t c, uint64_t r)
{
	switch (op) {
	case ALU_ADD: flags_set_add(cpu, lg, a, b, r); break;
	case ALU_SUB: case ALU_CMP: flags_set_sub(cpu, lg, a, b, r); break;
	case ALU_ADC: flags_set_adc(cpu, lg, a, b, c, r, 0); break;
	case ALU_SBB: flags_set_adc(cpu, lg, a, b, c, r, 1); break;
	default: flags_set_logic(cpu, lg, r); break;
	}
}

/* SDM Vol. 2 "CMP"/"TEST": the result is discarded (no write, so a 32-bit
 * register operand is not zero-extended). */
static inline bool alu_writes(enum aluop op)
{
	return op != ALU_CMP && op != ALU_TEST;
}

static __attribute__((noinline)) int alu_slow(struct cpu *cpu, const struct insn *in,
                                              enum aluop op)
{
	unsigned lg = in->opsize;
	uint64_t m = size_mask(lg), a, b, c = 0, r;

	if (alu_writes(op))
		TRY(opnd_read_rmw(cpu, in, 0, &a));
	else
		TRY(opnd_read(cpu, in, 0, &a));
	TRY(opnd_read(cpu, in, 1, &b));
	b &= m;
	if (op == ALU_ADC || op == ALU_SBB)
		c = (uint64_t)flags_cf(cpu);
	r = alu_result(op, a, b, c) & m;
	if (alu_writes(op))
		TRY(opnd_write(cpu, in, 0, r));
	alu_flags(cpu, op, lg, a, b, c, r);
	return X_OK;
}

static inline int alu_do(struct cpu *cpu, const struct insn *in, enum aluop op)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];

	if (likely(d->kind == OPK_REG && (s->kind == OPK_REG || s->kind == OPK_IMM))) {
		unsigned lg = in->opsize;
		uint64_t m = size_mask(lg), c = 0, r;
		uint64_t a = cpu->gpr[d->reg] & m;
		uint64_t b = (s->kind == OPK_REG ? cpu->gpr[s->reg] : in->imm) & m;

		if (op == ALU_ADC || op == ALU_SBB)
			c = (uint64_t)flags_cf(cpu);
		r = alu_result(op, a, b, c) & m;
		if (alu_writes(op))
			cpu_gpr_write(cpu, d->reg, lg, r);
		alu_flags(cpu, op, lg, a, b, c, r);
		return X_OK;
	}
	return alu_slow(cpu, in, op);
}

int op_add(struct cpu *cpu, const struct insn *in) { return alu_do(cpu, in, ALU_ADD); }
int op_adc(struct cpu *cpu, const struct insn *in) { return alu_do(cpu, in, ALU_ADC); }
int op_sub(struct cpu *cpu, const struct insn *in) { return alu_do(cpu, in, ALU_SUB); }
int op_sbb(struct cpu *cpu, const struct insn *in) { return alu_do(cpu, in, ALU_SBB); }
int op_cmp(struct cpu *cpu, const struct insn *in) { return alu_do(cpu, in, ALU_CMP); }
int op_and(struct cpu *cpu, const struct insn *in) { return alu_do(cpu, in, ALU_AND); }
int op_or(struct cpu *cpu, const struct insn *in) { return alu_do(cpu, in, ALU_OR); }
int op_xor(struct cpu *cpu, const struct insn *in) { return alu_do(cpu, in, ALU_XOR); }
int op_test(struct cpu *cpu, const struct insn *in) { return alu_do(cpu, in, ALU_TEST); }

/* --- INC, DEC, NEG, NOT --------------------------------------------------
 * SDM Vol. 2 "INC"/"DEC": CF is not affected.  "NEG": flags as for
 * 0 - DEST (CF = DEST != 0).  "NOT": no flags are affected. */
enum unop { UN_INC, UN_DEC, UN_NEG, UN_NOT };

static inline uint64_t un_result(enum unop op, uint64_t a)
{
	switch (op) {
	case UN_INC: return a + 1;
	case UN_DEC: return a - 1;
	case UN_NEG: return 0 - a;
	default: return ~a;
	}
}

static inline void un_flags(struct cpu *cpu, enum unop op, unsigned lg, uint64_t a, uint64_t r)
{
	switch (op) {
	case UN_INC: flags_set_incdec(cpu, 0, lg, a, r); break;
	case UN_DEC: flags_set_incdec(cpu, 1, lg, a, r); break;
	case UN_NEG: flags_set_sub(cpu, lg, 0, a, r); break;
	default: break;
	}
}

static __attribute__((noinline)) int un_slow(struct cpu *cpu, const struct insn *in, enum unop op)
{
	unsigned lg = in->opsize;
	uint64_t a, r;

	TRY(opnd_read_rmw(cpu, in, 0, &a));
	r = un_result(op, a) & size_mask(lg);
	TRY(opnd_write(cpu, in, 0, r));
	un_flags(cpu, op, lg, a, r);
	return X_OK;
}

static inline int un_do(struct cpu *cpu, const struct insn *in, enum unop op)
{
	const struct operand *d = &in->op[0];

	if (likely(d->kind == OPK_REG)) {
		unsigned lg = in->opsize;
		uint64_t m = size_mask(lg), a = cpu->gpr[d->reg] & m, r = un_result(op, a) & m;

		cpu_gpr_write(cpu, d->reg, lg, r);
		un_flags(cpu, op, lg, a, r);
		return X_OK;
	}
	return un_slow(cpu, in, op);
}

int op_inc(struct cpu *cpu, const struct insn *in) { return un_do(cpu, in, UN_INC); }
int op_dec(struct cpu *cpu, const struct insn *in) { return un_do(cpu, in, UN_DEC); }
int op_neg(struct cpu *cpu, const struct insn *in) { return un_do(cpu, in, UN_NEG); }
int op_not(struct cpu *cpu, const struct insn *in) { return un_do(cpu, in, UN_NOT); }
