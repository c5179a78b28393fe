/* CPU profiles: every VMX capability the modelled processor reports, as
 * one data table (shared/spec/vmx-capabilities.md).  The default is the
 * spec's reference profile (Skylake-X as modelled by Bochs); others are
 * selected with --cpu-profile NAME or read from a file, so that values read
 * off a real machine can be replayed.
 */
#ifndef SOFTVTX_VMX_PROFILE_H
#define SOFTVTX_VMX_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IA32_VMX_* capability MSRs, 0x480..0x493 (SDM Appendix A). */
#define MSR_IA32_VMX_BASIC            0x480
#define MSR_IA32_VMX_PINBASED_CTLS    0x481
#define MSR_IA32_VMX_PROCBASED_CTLS   0x482
#define MSR_IA32_VMX_EXIT_CTLS        0x483
#define MSR_IA32_VMX_ENTRY_CTLS       0x484
#define MSR_IA32_VMX_MISC             0x485
#define MSR_IA32_VMX_CR0_FIXED0       0x486
#define MSR_IA32_VMX_CR0_FIXED1       0x487
#define MSR_IA32_VMX_CR4_FIXED0       0x488
#define MSR_IA32_VMX_CR4_FIXED1       0x489
#define MSR_IA32_VMX_VMCS_ENUM        0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2  0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP     0x48c
#define MSR_IA32_VMX_TRUE_PINBASED    0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED   0x48e
#define MSR_IA32_VMX_TRUE_EXIT        0x48f
#define MSR_IA32_VMX_TRUE_ENTRY       0x490
#define MSR_IA32_VMX_VMFUNC           0x491
#define MSR_IA32_VMX_PROCBASED_CTLS3  0x492
#define MSR_IA32_VMX_EXIT_CTLS2       0x493
#define VMX_MSR_FIRST 0x480
#define VMX_MSR_COUNT 20

struct vmx_profile {
	char name[32];
	uint64_t msr[VMX_MSR_COUNT];   /* indexed by MSR - 0x480; 0 when absent */
	bool msr_present[VMX_MSR_COUNT]; /* false: RDMSR raises #GP(0) */
	/* Model-specific choices the spec leaves to a profile switch
	 * (shared/spec/README.md "Legitimately model-specific"). */
	bool nmi_inject_sti_fails;     /* GUEST-85: NMI injection with STI
	                                  blocking fails the entry (qual 3) */
	uint32_t ar_write_mask;        /* bits VMWRITE keeps in guest AR fields */
	uint64_t debugctl_valid;       /* GUEST-7 mask */
	uint64_t perf_global_ctrl_rsvd;
};

/* The built-in profiles; the first is the default. */
extern const struct vmx_profile vmx_profiles[];
extern const size_t vmx_profile_count;

/* A built-in profile by name, or NULL. */
const struct vmx_profile *vmx_profile_find(const char *name);

/* Read a profile file (format in docs/cpu-profiles.md) into *out and
 * validate it with vmx_profile_check().  On failure returns false with a
 * one-line reason in err ("FILE:LINE: ..." for syntax, "FILE: INV-n: ..."
 * for a broken invariant); *out is then unspecified. */
bool vmx_profile_load(const char *path, struct vmx_profile *out, char *err, size_t errlen);

/* Check a profile: the §1 availability rules (an MSR is present exactly
 * when its gating capability is), the self-consistency invariants INV-1..15
 * of shared/spec/vmx-capabilities.md §12, and that softvtx implements
 * everything it advertises ("SUPPORT").  On failure returns false with a
 * one-line reason in err that starts with the rule's ID ("INV-3: ...",
 * "§1: ...", "SUPPORT: ..."). */
bool vmx_profile_check(const struct vmx_profile *p, char *err, size_t errlen);

/* §1 "Available when": the MSR is present in the profile and its gating
 * capability (secondary controls, EPT/VPID, BASIC[55], VM functions,
 * tertiary or secondary exit controls) is reported.  False for indices
 * outside 0x480..0x493. */
bool vmx_profile_available(const struct vmx_profile *p, unsigned msr);

/* "IA32_VMX_BASIC" for 0x480 ..., NULL outside 0x480..0x493. */
const char *vmx_msr_name(unsigned msr);

/* Capability words (shared/spec/vmx-capabilities.md §2). */
static inline uint64_t vmx_cap(const struct vmx_profile *p, unsigned msr)
{
	return p->msr[msr - VMX_MSR_FIRST];
}
/* allowed-1 (high dword) of a control MSR: the control may be 1. */
static inline bool vmx_cap_allows1(const struct vmx_profile *p, unsigned msr, unsigned bit)
{
	return (vmx_cap(p, msr) >> 32 >> bit) & 1;
}

#endif
