/* The MSR-load entry predicate, MSR-1..7 of
 * shared/spec/vm-entry-checks.md §6 (SDM Vol. 3C §26.4).  A failure on the
 * VM-entry list is exit reason 34 with qualification = the entry's 1-based
 * index; the list walker (entry.c) performs the WRMSR itself (MSR-6). */
#include "checks_int.h"

#define MSR_IA32_BIOS_UPDT_TRIG    0x79u
#define MSR_IA32_BIOS_SIGN_ID      0x8bu
#define MSR_IA32_SMM_MONITOR_CTL   0x9bu
#define APIC_BASE_X2APIC           VC_BIT(10)

bool vmentry_check_msr_entry(const struct cpu *cpu, uint32_t msr, uint32_t reserved,
                             uint64_t value, unsigned index1, struct vmx_diag *d)
{
	uint64_t misc = vmx_cap(cpu->vmx->profile, MSR_IA32_VMX_MISC);
	uint64_t max = 512 * (((misc >> 25) & 7) + 1);

	/* MSR-1 */
	if (reserved != 0)
		return vc_fail(d, VC_MSR_1, "entry %u: MSR 0x%x, bytes 7:4=0x%08x", index1, msr,
		               reserved);
	/* MSR-2 */
	if (msr == MSR_IA32_FS_BASE || msr == MSR_IA32_GS_BASE)
		return vc_fail(d, VC_MSR_2, "entry %u: MSR 0x%x", index1, msr);
	/* MSR-3 */
	if (msr == MSR_IA32_SMM_MONITOR_CTL)
		return vc_fail(d, VC_MSR_3, "entry %u: MSR 0x%x", index1, msr);
	/* MSR-4 */
	if ((msr >> 8) == 0x8 && (cpu->apic_base & APIC_BASE_X2APIC))
		return vc_fail(d, VC_MSR_4, "entry %u: MSR 0x%x, IA32_APIC_BASE=0x%" PRIx64,
		               index1, msr, cpu->apic_base);
	/* MSR-5 */
	if (msr == MSR_IA32_BIOS_UPDT_TRIG || msr == MSR_IA32_BIOS_SIGN_ID)
		return vc_fail(d, VC_MSR_5, "entry %u: MSR 0x%x", index1, msr);
	/* MSR-6 is the walker's WRMSR: vmentry_msr_write_failed(). */
	/* MSR-7 */
	if (index1 > max)
		return vc_fail(d, VC_MSR_7, "entry %u: MSR 0x%x=0x%" PRIx64 ", limit %" PRIu64
		               " entries", index1, msr, value, max);
	return true;
}

void vmentry_msr_write_failed(uint32_t msr, uint64_t value, unsigned index1, struct vmx_diag *d)
{
	vc_fail(d, VC_MSR_6, "entry %u: WRMSR 0x%x <- 0x%" PRIx64 " raises #GP(0)", index1, msr,
	        value);
}
