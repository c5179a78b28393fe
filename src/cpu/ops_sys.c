/* System instructions: control and debug registers, MSRs, CPUID, TSC,
 * cache and TLB control, HLT, NOP forms. */
#include "flags.h"
#include "operand.h"
#include "ops.h"

/* NOP and the multi-byte 0F 1F /0 forms (SDM Vol. 2 "NOP"). */
int op_nop(struct cpu *cpu, const struct insn *in)
{
	(void)cpu; (void)in;
	return X_OK;
}

/* HLT (SDM Vol. 2 "HLT"): CPL 0 is checked centrally.  RIP moves past the
 * instruction so that an interrupt resumes after it. */
int op_hlt(struct cpu *cpu, const struct insn *in)
{
	cpu->rip += in->len;
	return X_HALT;
}
