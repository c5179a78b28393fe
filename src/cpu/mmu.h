/* Linear -> guest-physical translation: the page walker (mmu.c) and the
 * software TLB in front of it (tlb.c).
 *
 * The TLB holds, per mmu index (supervisor/user) and per access kind
 * (read/write/exec), a direct-mapped array of {page tag, host addend}.
 * Everything that decides whether an access is allowed -- present, R/W,
 * U/S, NX, WP, SMEP, the A and D bits, and whether the page holds decoded
 * code -- is settled when an entry is filled, so a hit is a compare and an
 * add.  Pages that hold code never enter the write arrays: a write to one
 * takes the slow path, which tells the decode cache.
 */
#ifndef SOFTVTX_CPU_MMU_H
#define SOFTVTX_CPU_MMU_H

#include "cpu.h"

enum acc_kind { ACC_READ = TLB_READ, ACC_WRITE = TLB_WRITE, ACC_EXEC = TLB_EXEC };

/* Access attributes for mmu_translate(). */
#define ACCF_USER     (1u << 0)  /* a CPL 3 access (U/S checks apply) */
#define ACCF_IMPLICIT (1u << 1)  /* implicit supervisor access (GDT, IDT, TSS):
                                    SMAP does not apply, U/S does not fault */
#define ACCF_NOFAULT  (1u << 2)  /* probe: no A/D updates, no fault recorded */

/* Translate a linear address.  On success stores the guest-physical
 * address.  On failure records #PF (error code and CR2) in cpu->fault and
 * returns X_FAULT.  Sets A/D bits as the SDM requires and charges the walk
 * cycles.  SDM Vol. 3A §4.3 (32-bit), §4.4 (PAE), §4.5 (4-level), §4.6
 * (access rights), §4.7 (#PF error code), §4.8 (A/D). */
int mmu_translate(struct cpu *cpu, uint64_t gla, enum acc_kind kind, unsigned accf,
                  uint64_t *gpa) WARN_UNUSED;
/* The same, all the way to the bus: in VMX non-root operation with EPT the
 * guest-physical result is translated by EPT too (src/vmx/ept.c), which
 * may record a pending VM exit instead of a #PF.  Outside EPT *hpa is the
 * guest-physical address. */
int mmu_translate_host(struct cpu *cpu, uint64_t gla, enum acc_kind kind, unsigned accf,
                       uint64_t *hpa) WARN_UNUSED;

/* Load the PAE PDPTEs for a MOV to CR0/CR3/CR4 that needs them (§4.4.1):
 * X_OK, or X_FAULT with #GP(0) for a reserved bit, or with an EPT exit
 * pending in VMX non-root operation.  Under EPT the values go to
 * cpu->pdpte, which the walk then uses. */
int mmu_load_pdptes(struct cpu *cpu, uint64_t cr3) WARN_UNUSED;

/* TLB maintenance (tlb.c).  tlb_flush_all() drops the translations of the
 * current context (in VMX non-root operation: the guest's, by retiring
 * its tag); tlb_flush_all_contexts() empties the whole TLB. */
void tlb_flush_all(struct cpu *cpu);
void tlb_flush_all_contexts(struct cpu *cpu);
void tlb_flush_page(struct cpu *cpu, uint64_t gla);
/* Drop write entries that map the guest-physical page `gpa` (it now holds
 * code). */
void tlb_drop_writes_to(struct cpu *cpu, uint64_t gpa);
/* Slow path: translate, fill the entry if the page is plain RAM, and
 * return the host pointer for the byte at `gla` (NULL when the page is not
 * RAM-backed or holds code for a write; then *gpa_out is the target). */
int tlb_fill(struct cpu *cpu, uint64_t gla, enum acc_kind kind, unsigned accf,
             uint8_t **host, uint64_t *gpa_out) WARN_UNUSED;

static inline unsigned tlb_index(uint64_t gla)
{
	return (unsigned)(gla >> 12) & (TLB_SIZE - 1);
}

/* The tag of the page holding `gla` in the current address-translation
 * context: the page address with the context (cpu->tlb_asid, src/vmx/
 * ept.c) in bits 11:1.  Bit 0 is TLB_INVALID, which no tag has.  Every
 * lookup and fill goes through here.
 *
 *   63               12 11          1    0
 *  [ linear page      | context     | 0 ]  */
static inline uint64_t tlb_tag(const struct cpu *cpu, uint64_t gla)
{
	return (gla & ~0xfffull) | cpu->tlb_asid;
}

#endif
