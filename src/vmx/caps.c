/* VMX discovery (shared/spec/vmx-capabilities.md §1, §7, §11): RDMSR of
 * the capability MSRs and the CR0/CR4 values allowed in VMX operation.
 * The values themselves are data in the CPU profile (profile.c). */
#include "vmx.h"

#include "../cpu/arch.h"
#include "../cpu/cpu.h"
#include "../cpu/cpuid.h"
#include "../cpu/cr.h"
#include "profile.h"

/* SDM Appendix A, §23.6: the capability MSRs exist only when
 * CPUID.01H:ECX[5] (VMX) = 1, and each gated one only when its capability
 * is reported (§1 "Available when"); otherwise RDMSR is #GP(0).  They are
 * readable whatever IA32_FEATURE_CONTROL holds and in or out of VMX
 * operation.  (In non-root operation the MSR bitmap is consulted first,
 * by the intercept module.) */
bool vmx_rdmsr_cap(const struct cpu *cpu, uint32_t msr, uint64_t *val)
{
	const struct vmx_profile *p = cpu->vmx ? cpu->vmx->profile : NULL;

	if (!p || !cpuid_has(cpu, FEAT_VMX) || !vmx_profile_available(p, msr))
		return false;
	*val = msr == MSR_IA32_VMX_CR4_FIXED1 ? vmx_cr4_fixed1(cpu) : vmx_cap(p, msr);
	return true;
}

/* vmx-capabilities.md §7: "CR4_FIXED1 must match CPUID" -- a CR4 bit may
 * be 1 in FIXED1 only if its feature exists (KVM derives it the same way).
 * A profile read off a machine with OSXSAVE or FSGSBASE, which softvtx
 * does not implement, is reported with those bits fixed to 0, so that a
 * guest can neither set them with MOV CR4 nor have VM entry load them. */
uint64_t vmx_cr4_fixed1(const struct cpu *cpu)
{
	const struct vmx_profile *p = cpu->vmx->profile;

	return vmx_cap(p, MSR_IA32_VMX_CR4_FIXED1) &
	       (cr4_supported(cpu) | vmx_cap(p, MSR_IA32_VMX_CR4_FIXED0));
}

/* SDM A.7, §23.8: bits set in CR0_FIXED0 must be 1, bits clear in
 * CR0_FIXED1 must be 0.  For a guest with "unrestricted guest" = 1, PE and
 * PG are exempt (§26.3.1.1; vmx-capabilities.md §11). */
bool vmx_cr0_fixed_ok(const struct vmx_profile *p, uint64_t cr0, bool ug)
{
	uint64_t fixed0 = vmx_cap(p, MSR_IA32_VMX_CR0_FIXED0);
	uint64_t fixed1 = vmx_cap(p, MSR_IA32_VMX_CR0_FIXED1);

	if (ug)
		fixed0 &= ~(CR0_PE | CR0_PG);
	return (cr0 & fixed0) == fixed0 && !(cr0 & ~fixed1);
}

/* SDM A.8, §23.8: the same rule for CR4 (FIXED0 holds VMXE). */
bool vmx_cr4_fixed_ok(const struct vmx_profile *p, uint64_t cr4)
{
	uint64_t fixed0 = vmx_cap(p, MSR_IA32_VMX_CR4_FIXED0);
	uint64_t fixed1 = vmx_cap(p, MSR_IA32_VMX_CR4_FIXED1);

	return (cr4 & fixed0) == fixed0 && !(cr4 & ~fixed1);
}

/* Unrestricted guest is in force: primary bit 31 activates the secondary
 * controls, and secondary bit 7 is set (§2 "Gating"). */
static bool ug_active(const struct vmx *v)
{
	return (VMCS_GET(v, PROC_CONTROLS) & (1u << 31)) && (VMCS_GET(v, PROC2_CONTROLS) & (1u << 7));
}

/* vmx-capabilities.md §11, SDM §23.8: in VMX operation MOV to CR0 (and
 * LMSW, CLTS) and MOV to CR4 must leave the register within its fixed
 * bits, else #GP(0).  In non-root operation the guest/host-mask exit
 * (reason 28) is decided before this, and PE/PG are free under
 * unrestricted guest.  CR4.VMXE can never be cleared in VMX operation. */
bool vmx_cr_write_ok(const struct cpu *cpu, unsigned cr, uint64_t val)
{
	const struct vmx *v = cpu->vmx;

	if (!v || v->op == VMX_OUTSIDE)
		return true;
	if (cr == 0)
		return vmx_cr0_fixed_ok(v->profile, val, v->op == VMX_NONROOT && ug_active(v));
	if (cr == 4)
		return (val & CR4_VMXE) && vmx_cr4_fixed_ok(v->profile, val);
	return true;
}
