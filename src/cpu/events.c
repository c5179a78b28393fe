/* PLACEHOLDER until the events work lands: any fault shuts down. */
#include "cpu.h"

int cpu_deliver_fault(struct cpu *cpu)
{
	cpu->stop = STOP_SHUTDOWN;
	return X_STOP;
}

int cpu_deliver_interrupt(struct cpu *cpu, unsigned vector, int soft, uint64_t next_rip)
{
	(void)vector; (void)soft; (void)next_rip;
	cpu->stop = STOP_SHUTDOWN;
	return X_STOP;
}
