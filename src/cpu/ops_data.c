/* Data movement: MOV and its relatives, LEA, XCHG, CMPXCHG, CMOVcc, SETcc,
 * sign/zero extensions and conversions. */
#include "flags.h"
#include "operand.h"
#include "ops.h"

/* MOV r/m, r/imm (SDM Vol. 2 "MOV"); control, debug and segment forms have
 * their own handlers. */
int op_mov(struct cpu *cpu, const struct insn *in)
{
	uint64_t v;

	TRY(opnd_read(cpu, in, 1, &v));
	return opnd_write(cpu, in, 0, v);
}
