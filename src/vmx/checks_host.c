/* Checks on the host-state area, HOST-1..32 of
 * shared/spec/vm-entry-checks.md §3 (SDM Vol. 3C §26.2.2-§26.2.4).  Any
 * failure is VMfailValid(8), "VM entry with invalid host-state
 * field(s)".  The checks run in the spec's order. */
#include "checks_int.h"

/* IA32_S_CET bits 9:6 are reserved (SDM Vol. 1 §18.3.1). */
#define S_CET_RSVD 0x3c0ull

/* HOST-1..6: host CR0, CR4, CR3.  SDM §26.2.2. */
static bool host_crs(const struct cpu *cpu, bool cpu64, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	const struct vmx_profile *p = v->profile;
	uint64_t cr0 = VMCS_GET(v, HOST_CR0), cr3 = VMCS_GET(v, HOST_CR3);
	uint64_t cr4 = VMCS_GET(v, HOST_CR4);
	uint64_t f0 = vmx_cap(p, MSR_IA32_VMX_CR0_FIXED0), f1 = vmx_cap(p, MSR_IA32_VMX_CR0_FIXED1);
	uint64_t g0 = vmx_cap(p, MSR_IA32_VMX_CR4_FIXED0), g1 = vmx_cr4_fixed1(cpu);

	/* HOST-1 */
	if ((cr0 & f0) != f0)
		return vc_fail(d, VC_HOST_1, "host CR0=0x%" PRIx64 ", CR0_FIXED0=0x%" PRIx64, cr0, f0);
	/* HOST-2 */
	if (cr0 & ~f1)
		return vc_fail(d, VC_HOST_2, "host CR0=0x%" PRIx64 ", CR0_FIXED1=0x%" PRIx64, cr0, f1);
	/* HOST-3 */
	if ((cr4 & g0) != g0)
		return vc_fail(d, VC_HOST_3, "host CR4=0x%" PRIx64 ", CR4_FIXED0=0x%" PRIx64, cr4, g0);
	/* HOST-4 */
	if (cr4 & ~g1)
		return vc_fail(d, VC_HOST_4, "host CR4=0x%" PRIx64 ", CR4_FIXED1=0x%" PRIx64, cr4, g1);
	/* HOST-5 [opt] */
	if ((cr4 & CR4_CET) && !(cr0 & CR0_WP))
		return vc_fail(d, VC_HOST_5, "host CR0=0x%" PRIx64 ", host CR4=0x%" PRIx64, cr0, cr4);
	/* HOST-6 */
	if (cpu64 && !vc_in_range(cpu, cr3))
		return vc_fail(d, VC_HOST_6, "host CR3=0x%" PRIx64, cr3);
	return true;
}

/* HOST-9: the CET state loaded on VM exit [opt].  SDM §26.2.2. */
static bool host_cet(const struct cpu *cpu, uint32_t exit, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t s_cet = VMCS_GET(v, HOST_IA32_S_CET), ssp = VMCS_GET(v, HOST_SSP);
	uint64_t isst = VMCS_GET(v, HOST_IA32_INT_SSP_TABLE_ADDR);
	bool hass = exit & EXIT_HOST_ADDR_SPACE;

	if (!(exit & EXIT_LOAD_CET))
		return true;
	if (!cpu_is_canonical(s_cet) || (s_cet & S_CET_RSVD) || !cpu_is_canonical(isst) ||
	    (ssp & 3) || (hass ? !cpu_is_canonical(ssp) : (ssp >> 32) != 0))
		return vc_fail(d, VC_HOST_9,
		               "S_CET=0x%" PRIx64 ", SSP=0x%" PRIx64 ", ISST=0x%" PRIx64
		               ", host address-space size=%d", s_cet, ssp, isst, hass);
	return true;
}

/* HOST-7..15: host MSR fields.  SDM §26.2.2. */
static bool host_msrs(const struct cpu *cpu, bool cpu64, uint32_t exit, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t esp = VMCS_GET(v, HOST_IA32_SYSENTER_ESP);
	uint64_t eip = VMCS_GET(v, HOST_IA32_SYSENTER_EIP);
	uint64_t efer = VMCS_GET(v, HOST_IA32_EFER);
	uint64_t perf = VMCS_GET(v, HOST_IA32_PERF_GLOBAL_CTRL);
	uint64_t perf_rsvd = v->profile->perf_global_ctrl_rsvd;
	uint64_t pat = VMCS_GET(v, HOST_IA32_PAT), pkrs = VMCS_GET(v, HOST_IA32_PKRS);
	bool hass = exit & EXIT_HOST_ADDR_SPACE;

	/* HOST-7 */
	if (cpu64 && !cpu_is_canonical(esp))
		return vc_fail(d, VC_HOST_7, "host IA32_SYSENTER_ESP=0x%" PRIx64, esp);
	/* HOST-8 */
	if (cpu64 && !cpu_is_canonical(eip))
		return vc_fail(d, VC_HOST_8, "host IA32_SYSENTER_EIP=0x%" PRIx64, eip);
	/* HOST-9 */
	if (!host_cet(cpu, exit, d))
		return false;
	/* HOST-10 */
	if ((exit & EXIT_LOAD_PERF_GLOBAL) && (perf & perf_rsvd))
		return vc_fail(d, VC_HOST_10, "host IA32_PERF_GLOBAL_CTRL=0x%" PRIx64
		               ", reserved 0x%" PRIx64, perf, perf_rsvd);
	/* HOST-11 */
	if ((exit & EXIT_LOAD_PAT) && !vc_pat_ok(pat))
		return vc_fail(d, VC_HOST_11, "host IA32_PAT=0x%016" PRIx64, pat);
	if (exit & EXIT_LOAD_EFER) {
		uint64_t valid = vc_efer_valid(cpu);

		/* HOST-12 */
		if (efer & ~valid)
			return vc_fail(d, VC_HOST_12, "host IA32_EFER=0x%" PRIx64 ", valid bits 0x%"
			               PRIx64, efer, valid);
		/* HOST-13 */
		if (((efer & EFER_LMA) != 0) != hass)
			return vc_fail(d, VC_HOST_13,
			               "host IA32_EFER=0x%" PRIx64 ", host address-space size=%d",
			               efer, hass);
		/* HOST-14 */
		if (((efer & EFER_LME) != 0) != hass)
			return vc_fail(d, VC_HOST_14,
			               "host IA32_EFER=0x%" PRIx64 ", host address-space size=%d",
			               efer, hass);
	}
	/* HOST-15 [opt] */
	if ((exit & EXIT_LOAD_PKRS) && (pkrs >> 32))
		return vc_fail(d, VC_HOST_15, "host IA32_PKRS=0x%" PRIx64, pkrs);
	return true;
}

/* HOST-16..24: host selectors and bases.  SDM §26.2.3. */
static bool host_segs(const struct cpu *cpu, bool cpu64, uint32_t exit, struct vmx_diag *d)
{
	static const struct { enum vmcs_index i; const char *name; } sels[] = {
		{ VMCS_IDX_HOST_ES_SELECTOR, "ES" }, { VMCS_IDX_HOST_CS_SELECTOR, "CS" },
		{ VMCS_IDX_HOST_SS_SELECTOR, "SS" }, { VMCS_IDX_HOST_DS_SELECTOR, "DS" },
		{ VMCS_IDX_HOST_FS_SELECTOR, "FS" }, { VMCS_IDX_HOST_GS_SELECTOR, "GS" },
		{ VMCS_IDX_HOST_TR_SELECTOR, "TR" },
	};
	static const struct {
		enum vmcs_index i;
		enum vmentry_check c;
		const char *name;
	} bases[] = {
		{ VMCS_IDX_HOST_FS_BASE, VC_HOST_20, "FS" },
		{ VMCS_IDX_HOST_GS_BASE, VC_HOST_21, "GS" },
		{ VMCS_IDX_HOST_GDTR_BASE, VC_HOST_22, "GDTR" },
		{ VMCS_IDX_HOST_IDTR_BASE, VC_HOST_23, "IDTR" },
		{ VMCS_IDX_HOST_TR_BASE, VC_HOST_24, "TR" },
	};
	const struct vmx *v = cpu->vmx;

	/* HOST-16 */
	for (unsigned k = 0; k < sizeof(sels) / sizeof(sels[0]); k++)
		if (v->vmcs.val[sels[k].i] & 7)
			return vc_fail(d, VC_HOST_16, "host %s selector=0x%04" PRIx64, sels[k].name,
			               v->vmcs.val[sels[k].i]);
	/* HOST-17 */
	if (VMCS_GET(v, HOST_CS_SELECTOR) == 0)
		return vc_fail(d, VC_HOST_17, "host CS selector=0");
	/* HOST-18 */
	if (VMCS_GET(v, HOST_TR_SELECTOR) == 0)
		return vc_fail(d, VC_HOST_18, "host TR selector=0");
	/* HOST-19 */
	if (!(exit & EXIT_HOST_ADDR_SPACE) && VMCS_GET(v, HOST_SS_SELECTOR) == 0)
		return vc_fail(d, VC_HOST_19, "host SS selector=0, host address-space size=0");
	if (!cpu64)
		return true;
	/* HOST-20..24 */
	for (unsigned k = 0; k < sizeof(bases) / sizeof(bases[0]); k++)
		if (!cpu_is_canonical(v->vmcs.val[bases[k].i]))
			return vc_fail(d, bases[k].c, "host %s base=0x%" PRIx64, bases[k].name,
			               v->vmcs.val[bases[k].i]);
	return true;
}

/* HOST-25..32: address-space size, against EFER.LMA of the root
 * operation executing VMLAUNCH/VMRESUME.  SDM §26.2.4. */
static bool host_addr_space(const struct cpu *cpu, uint32_t exit, uint32_t entry,
                            struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	bool lma = cpu->efer & EFER_LMA, hass = exit & EXIT_HOST_ADDR_SPACE;
	bool ia32e = entry & ENTRY_IA32E_GUEST;
	uint64_t cr4 = VMCS_GET(v, HOST_CR4), rip = VMCS_GET(v, HOST_RIP);

	/* HOST-25 */
	if (!lma && ia32e)
		return vc_fail(d, VC_HOST_25, "EFER.LMA=0, VM-entry controls=0x%08x", entry);
	/* HOST-26 */
	if (!lma && hass)
		return vc_fail(d, VC_HOST_26, "EFER.LMA=0, VM-exit controls=0x%08x", exit);
	/* HOST-27 */
	if (lma && !hass)
		return vc_fail(d, VC_HOST_27, "EFER.LMA=1, VM-exit controls=0x%08x", exit);
	if (!hass) {
		/* HOST-28 */
		if (ia32e)
			return vc_fail(d, VC_HOST_28, "VM-entry controls=0x%08x", entry);
		/* HOST-29 */
		if (cr4 & CR4_PCIDE)
			return vc_fail(d, VC_HOST_29, "host CR4=0x%" PRIx64, cr4);
		/* HOST-30 */
		if (rip >> 32)
			return vc_fail(d, VC_HOST_30, "host RIP=0x%" PRIx64, rip);
	} else {
		/* HOST-31 */
		if (!(cr4 & CR4_PAE))
			return vc_fail(d, VC_HOST_31, "host CR4=0x%" PRIx64, cr4);
		/* HOST-32 */
		if (!cpu_is_canonical(rip))
			return vc_fail(d, VC_HOST_32, "host RIP=0x%" PRIx64, rip);
	}
	return true;
}

bool vmentry_check_host(const struct cpu *cpu, struct vmx_diag *d)
{
	struct vc_ctls c = vc_ctls(cpu->vmx);
	bool cpu64 = vc_cpu64(cpu);

	return host_crs(cpu, cpu64, d) && host_msrs(cpu, cpu64, c.exit, d) &&
	       host_segs(cpu, cpu64, c.exit, d) && host_addr_space(cpu, c.exit, c.entry, d);
}
