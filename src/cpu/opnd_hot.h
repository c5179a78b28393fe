/* Operand access for hot handlers: general registers and immediates are
 * handled inline; every other kind (memory, AH..BH) goes through an
 * out-of-line call to opnd_read/opnd_write.  Keeping the memory path out
 * of the handler keeps its register path free of spills and of the
 * prologue a call would need.  Used by the ALU-family handlers
 * (ops_shift.c, ops_muldiv.c, ops_bit.c). */
#ifndef SOFTVTX_CPU_OPND_HOT_H
#define SOFTVTX_CPU_OPND_HOT_H

#include "operand.h"

static __attribute__((noinline, unused)) int opnd_read_cold(struct cpu *cpu,
                                                            const struct insn *in, unsigned i,
                                                            uint64_t *v)
{
	return opnd_read(cpu, in, i, v);
}

static __attribute__((noinline, unused)) int opnd_write_cold(struct cpu *cpu,
                                                             const struct insn *in, unsigned i,
                                                             uint64_t v)
{
	return opnd_write(cpu, in, i, v);
}

static inline WARN_UNUSED int opnd_read_hot(struct cpu *cpu, const struct insn *in, unsigned i,
                                            uint64_t *v)
{
	const struct operand *o = &in->op[i];

	if (likely(o->kind == OPK_REG)) {
		*v = cpu_gpr_read(cpu, o->reg, o->lg);
		return X_OK;
	}
	if (o->kind == OPK_IMM) {
		/* As opnd_read: the first immediate is insn.imm, a second one
		 * insn.imm2. */
		*v = (i > 0 && in->op[0].kind == OPK_IMM) ? in->imm2 : in->imm;
		return X_OK;
	}
	return opnd_read_cold(cpu, in, i, v);
}

static inline WARN_UNUSED int opnd_write_hot(struct cpu *cpu, const struct insn *in, unsigned i,
                                             uint64_t v)
{
	const struct operand *o = &in->op[i];

	if (likely(o->kind == OPK_REG)) {
		cpu_gpr_write(cpu, o->reg, o->lg, v);
		return X_OK;
	}
	return opnd_write_cold(cpu, in, i, v);
}

#endif
