/* VM entry (shared/spec/vm-entry-checks.md §2-§8): after VMLAUNCH or
 * VMRESUME passed their basic checks (BASIC-1..8, insn.c). */
#ifndef SOFTVTX_VMX_ENTRY_H
#define SOFTVTX_VMX_ENTRY_H

#include <stdbool.h>

struct cpu;

/* Run the CTL, HOST and GUEST checks, load guest state, load MSRs, and
 * enter non-root operation, then inject the event of the VM-entry
 * interruption-information field.  `len` is the length of the VMLAUNCH or
 * VMRESUME instruction.  Returns
 *   X_OK      VMfailValid(7/8) was set: the instruction retires normally;
 *   X_JUMP    the guest runs (RIP = guest RIP);
 *   X_VMEXIT  a VM-entry failure exit (33/34) loaded host state;
 *   X_STOP    VMX abort or shutdown. */
int vmx_vmentry(struct cpu *cpu, bool launch, unsigned len);

#endif
