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
/* What the guest's paging says about the linear address (shared/spec/
 * ept.md §5.3, §6 bits 9-11; all three as for CR0.PG = 0 when paging is
 * off: user-mode, writable, executable). */
#define EPTF_USER        (1u << 3)  /* user-mode: U/S = 1 at every guest level */
#define EPTF_LIN_WRITE   (1u << 4)  /* writable: R/W = 1 at every guest level */
#define EPTF_LIN_XD      (1u << 5)  /* execute-disable at some guest level */

/* Translate guest-physical `gpa` for an access of `kind`.  When EPT is off
 * (or outside non-root operation) *hpa = gpa.  On a violation or
 * misconfiguration records the pending exit (vmx->pending_exit_*, the
 * guest-physical and guest-linear address fields), sets cpu->fault.vector
 * to VMX_FAULT_VMEXIT and returns X_FAULT.  A violation that the
 * "EPT-violation #VE" control converts becomes a guest #VE (vector 20)
 * instead. */
int ept_translate(struct cpu *cpu, uint64_t gpa, enum acc_kind kind, uint64_t gla,
                  unsigned eptf, uint64_t *hpa);

/* Non-root operation: is host-physical `hpa` in the APIC-access page
 * while "virtualize APIC accesses" is on?  Then records an APIC-access
 * VM exit (reason 44) like ept_translate() records its exits and returns
 * X_FAULT; otherwise X_OK.  Called by tlb_fill(), so the page never
 * enters the TLB. */
int ept_apic_access(struct cpu *cpu, uint64_t hpa, enum acc_kind kind, unsigned eptf);

/* Is EPT translating right now (non-root operation, "activate secondary
 * controls" and "enable EPT" both 1)? */
bool ept_enabled(const struct cpu *cpu);

/* TLB contexts: switch the software TLB to the context of the VMCS being
 * entered, or back to the host's, without flushing (VPID/EPTP tagging,
 * SDM Vol. 3C §28.3).  ept_context_enter() is called once the guest state
 * is loaded (it also loads the PAE PDPTE registers from the VMCS when EPT
 * is on); ept_context_exit() while the guest state is still in the cpu. */
void ept_context_enter(struct cpu *cpu);
void ept_context_exit(struct cpu *cpu);
/* VMFUNC EPTP switching changed the EPTP field in non-root operation:
 * continue in the context of the new EPTP (no flush, §12). */
void ept_context_eptp_changed(struct cpu *cpu);
/* tlb_flush_all() in non-root operation (MOV to CR3, INVLPG of a large
 * page, INVPCID...): drop the current context's translations, and those
 * of its VPID under other EPTPs, by retiring their tags. */
void ept_context_flush(struct cpu *cpu);
/* INVLPG (tlb_flush_page) in non-root operation: the same VPID's
 * contexts under other EPTPs are dropped. */
void ept_context_flush_page(struct cpu *cpu);
/* tlb_fill() made an entry in the current context: remember the paging
 * state it was made under. */
void ept_context_note_fill(struct cpu *cpu);
/* INVEPT (types 1 single-context, 2 all-context) and INVVPID (types 0-3),
 * after the instruction's checks passed. */
void ept_invept(struct cpu *cpu, unsigned type, uint64_t eptp);
void ept_invvpid(struct cpu *cpu, unsigned type, uint16_t vpid, uint64_t gla);

#endif
