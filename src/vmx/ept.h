/* EPT and VPID (shared/spec/ept.md, SDM Vol. 3C §28): guest-physical to
 * host-physical translation in non-root operation, and the tagging of the
 * software TLB by address-translation context so that VM entries and exits
 * need not flush it. */
#ifndef SOFTVTX_VMX_EPT_H
#define SOFTVTX_VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "../cpu/mmu.h"

struct cpu;

/* eptf flags: what the access was (for the violation qualification). */
#define EPTF_GLA_VALID   (1u << 0)  /* the access had a guest-linear address */
#define EPTF_PAGING      (1u << 1)  /* access to a guest paging-structure entry */
#define EPTF_NOFAULT     (1u << 2)  /* probe: no A/D updates, no exit recorded */
#define EPTF_USER        (1u << 3)  /* the linear access was a user-mode access */

/* Translate guest-physical `gpa` for an access of `kind`.  When EPT is off
 * (or outside non-root operation) *hpa = gpa.  On a violation or
 * misconfiguration records the pending exit (vmx->pending_exit_*, the
 * guest-physical and guest-linear address fields), sets cpu->fault.vector
 * to VMX_FAULT_VMEXIT and returns X_FAULT. */
int ept_translate(struct cpu *cpu, uint64_t gpa, enum acc_kind kind, uint64_t gla,
                  unsigned eptf, uint64_t *hpa);

/* TLB contexts: switch the software TLB to the context of the VMCS being
 * entered, or back to the host's, without flushing (VPID/EPTP tagging,
 * SDM Vol. 3C §28.3). */
void ept_context_enter(struct cpu *cpu);
void ept_context_exit(struct cpu *cpu);
/* INVEPT (types 1 single-context, 2 all-context) and INVVPID (types 0-3),
 * after the instruction's checks passed. */
void ept_invept(struct cpu *cpu, unsigned type, uint64_t eptp);
void ept_invvpid(struct cpu *cpu, unsigned type, uint16_t vpid, uint64_t gla);

#endif
