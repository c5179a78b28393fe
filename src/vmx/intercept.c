/* Intercept decisions in VMX non-root operation (vmx.h). */
#include "vmx.h"

#include "../cpu/cpu.h"

int vmx_intercept(struct cpu *cpu, const struct insn *in)
{
	(void)cpu; (void)in;
	return X_OK;
}

int vmx_exception_intercept(struct cpu *cpu)
{
	(void)cpu;
	return X_OK;
}

int vmx_triple_fault(struct cpu *cpu)
{
	(void)cpu;
	return X_OK;
}
