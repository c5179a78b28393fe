/* The VM-entry checks of shared/spec/vm-entry-checks.md §2-§4 and §6
 * (SDM Vol. 3C §26.2-§26.4), in the spec's order, each with its stable ID.
 * A failing check fills a struct vmx_diag with the ID, the rule in plain
 * words and the offending values. */
#ifndef SOFTVTX_VMX_CHECKS_H
#define SOFTVTX_VMX_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx.h"

struct cpu;

/* §2: the VMX controls (CTL-n).  false: VMfailValid(7). */
bool vmentry_check_controls(const struct cpu *cpu, struct vmx_diag *d);
/* §3: the host-state area (HOST-n).  false: VMfailValid(8). */
bool vmentry_check_host(const struct cpu *cpu, struct vmx_diag *d);
/* §4: the guest-state area (GUEST-n), including the PDPTE checks.
 * false: exit 33 with *qual (0, 2, 3 or 4). */
bool vmentry_check_guest(const struct cpu *cpu, struct vmx_diag *d, uint64_t *qual);
/* CTL-26..30 for any EPT pointer (also INVEPT type 1 and VMFUNC EPTP
 * switching).  false: the pointer is invalid, d says why. */
bool vmentry_check_eptp(const struct cpu *cpu, uint64_t eptp, struct vmx_diag *d);
/* §6 (MSR-n): may this MSR-load entry be loaded?  Used for the VM-entry
 * MSR-load list and, with the abort semantics of vm-exits.md §10, for the
 * VM-exit lists.  `index1` is the 1-based position in the list. */
bool vmentry_check_msr_entry(const struct cpu *cpu, uint32_t msr, uint32_t reserved,
                             uint64_t value, unsigned index1, struct vmx_diag *d);
/* MSR-6: the list walker's WRMSR of an entry that passed
 * vmentry_check_msr_entry() raised #GP (only msr_write() knows every
 * MSR's rules, and it commits, so the walker performs it): fill *d. */
void vmentry_msr_write_failed(uint32_t msr, uint64_t value, unsigned index1, struct vmx_diag *d);

/* Every check ID with its rule, in order (for coverage reports and the
 * documentation). */
struct vmentry_check_info {
	const char *id;     /* "GUEST-3" */
	const char *rule;   /* "guest CR0.PG=1 requires CR0.PE=1" */
	const char *note;   /* NULL: checked by checks_*.c; "implemented...":
	                       checked, with a remark; anything else: where
	                       the check lives or why softvtx leaves it out */
};
extern const struct vmentry_check_info vmentry_check_table[];
extern const size_t vmentry_check_count;
/* The row of a check ID ("CTL-26"), or NULL. */
const struct vmentry_check_info *vmentry_check_find(const char *id);

#endif
