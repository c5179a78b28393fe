/* Events decided at instruction boundaries in non-root operation (vmx.h). */
#include "vmx.h"

#include "../cpu/cpu.h"

int vmx_boundary(struct cpu *cpu)
{
	cpu->vmx_events = false;
	return X_OK;
}
