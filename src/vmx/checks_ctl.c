/* Checks on the VMX controls, CTL-1..63 of shared/spec/vm-entry-checks.md
 * §2 (SDM Vol. 3C §26.2.1).  Any failure is VMfailValid(7), "VM entry
 * with invalid control field(s)".  The checks run in the spec's order. */
#include "checks_int.h"

#include "../mem/bus.h"

static unsigned maxphyaddr(const struct cpu *cpu)
{
	return (unsigned)__builtin_popcountll(cpu->maxphyaddr_mask);
}

/* "aligned(n) and in-range" for the address field `name`. */
static bool addr_check(const struct cpu *cpu, struct vmx_diag *d, enum vmentry_check c,
                       const char *name, uint64_t a, unsigned align_bits)
{
	if (vc_addr_ok(cpu, a, align_bits))
		return true;
	return vc_fail(d, c, "%s=0x%" PRIx64 ", alignment %u bytes, MAXPHYADDR=%u", name, a,
	               1u << align_bits, maxphyaddr(cpu));
}

/* allowed-0 / allowed-1 of a control-capability MSR
 * (vmx-capabilities.md §2): every allowed-0 bit set, nothing outside the
 * allowed-1 word. */
static bool caps_check(struct vmx_diag *d, enum vmentry_check must1, enum vmentry_check may1,
                       const char *name, uint32_t ctl, unsigned msr, uint64_t cap)
{
	uint32_t lo = (uint32_t)cap, hi = (uint32_t)(cap >> 32);

	if ((ctl & lo) != lo)
		return vc_fail(d, must1, "%s=0x%08x, MSR 0x%x allowed-0=0x%08x, missing 0x%08x",
		               name, ctl, msr, lo, lo & ~ctl);
	if (ctl & ~hi)
		return vc_fail(d, may1, "%s=0x%08x, MSR 0x%x allowed-1=0x%08x, not allowed 0x%08x",
		               name, ctl, msr, hi, ctl & ~hi);
	return true;
}

/* A pure allowed-1 mask over 64 bits (PROCBASED_CTLS3, EXIT_CTLS2,
 * VMFUNC): vmx-capabilities.md §2. */
static bool mask_check(struct vmx_diag *d, enum vmentry_check c, const char *name, uint64_t ctl,
                       unsigned msr, uint64_t allowed)
{
	if ((ctl & ~allowed) == 0)
		return true;
	return vc_fail(d, c, "%s=0x%" PRIx64 ", MSR 0x%x=0x%" PRIx64 ", not allowed 0x%" PRIx64,
	               name, ctl, msr, allowed, ctl & ~allowed);
}

/* The control MSR VM entry compares against: the TRUE one when
 * IA32_VMX_BASIC[55] = 1 (vm-entry-checks.md §0). */
static unsigned ctl_msr(const struct vmx_profile *p, unsigned classic, unsigned true_msr)
{
	return (vmx_cap(p, MSR_IA32_VMX_BASIC) >> BASIC_TRUE_CTLS) & 1 ? true_msr : classic;
}

/* CTL-1..8: the execution-control words against their capability MSRs,
 * and the CR3-target count.  SDM §26.2.1.1. */
static bool ctl_exec_caps(const struct cpu *cpu, const struct vc_ctls *c, struct vmx_diag *d)
{
	const struct vmx_profile *p = cpu->vmx->profile;
	unsigned pin = ctl_msr(p, MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED);
	unsigned proc = ctl_msr(p, MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED);
	unsigned proc2 = MSR_IA32_VMX_PROCBASED_CTLS2, proc3 = MSR_IA32_VMX_PROCBASED_CTLS3;
	uint64_t targets = VMCS_GET(cpu->vmx, CR3_TARGET_COUNT);
	unsigned max_targets = (vmx_cap(p, MSR_IA32_VMX_MISC) >> 16) & 0x1ff;

	/* CTL-1, CTL-2 */
	if (!caps_check(d, VC_CTL_1, VC_CTL_2, "pin-based controls", c->pin, pin, vc_cap(p, pin)))
		return false;
	/* CTL-3, CTL-4 */
	if (!caps_check(d, VC_CTL_3, VC_CTL_4, "primary controls", c->proc, proc, vc_cap(p, proc)))
		return false;
	/* CTL-5, CTL-6 (only with activate secondary controls) */
	if ((c->proc & PROC_SECONDARY) &&
	    !caps_check(d, VC_CTL_5, VC_CTL_6, "secondary controls", c->proc2, proc2,
	                vc_cap(p, proc2)))
		return false;
	/* CTL-7 (only with activate tertiary controls) [opt] */
	if ((c->proc & PROC_TERTIARY) &&
	    !mask_check(d, VC_CTL_7, "tertiary controls", c->proc3, proc3, vc_cap(p, proc3)))
		return false;
	/* CTL-8 */
	if (targets > max_targets)
		return vc_fail(d, VC_CTL_8, "CR3-target count=%" PRIu64 ", IA32_VMX_MISC[24:16]=%u",
		               targets, max_targets);
	return true;
}

/* CTL-9..12: bitmap and virtual-APIC addresses.  SDM §26.2.1.1. */
static bool ctl_exec_bitmaps(const struct cpu *cpu, const struct vc_ctls *c, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t io_a = VMCS_GET(v, IO_BITMAP_A), io_b = VMCS_GET(v, IO_BITMAP_B);
	uint64_t msr = VMCS_GET(v, MSR_BITMAP), vapic = VMCS_GET(v, VIRTUAL_APIC_ADDR);

	/* CTL-9, CTL-10 */
	if ((c->proc & PROC_IO_BITMAPS) &&
	    (!addr_check(cpu, d, VC_CTL_9, "I/O-bitmap A address", io_a, 12) ||
	     !addr_check(cpu, d, VC_CTL_10, "I/O-bitmap B address", io_b, 12)))
		return false;
	/* CTL-11 */
	if ((c->proc & PROC_MSR_BITMAPS) &&
	    !addr_check(cpu, d, VC_CTL_11, "MSR-bitmap address", msr, 12))
		return false;
	/* CTL-12 */
	if ((c->proc & PROC_TPR_SHADOW) &&
	    !addr_check(cpu, d, VC_CTL_12, "virtual-APIC address", vapic, 12))
		return false;
	return true;
}

/* CTL-13..15: the TPR threshold and the TPR-shadow dependencies.
 * SDM §26.2.1.1.  CTL-14 reads VTPR from the virtual-APIC page, whose
 * address CTL-12 has validated. */
static bool ctl_exec_tpr(const struct cpu *cpu, const struct vc_ctls *c, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t tpr = VMCS_GET(v, TPR_THRESHOLD), vapic = VMCS_GET(v, VIRTUAL_APIC_ADDR);
	uint32_t virt = PROC2_VIRT_X2APIC | PROC2_APIC_REG_VIRT | PROC2_VINTR_DELIVERY;
	unsigned vtpr;

	if (!(c->proc & PROC_TPR_SHADOW)) {
		/* CTL-15 */
		if (c->proc2 & virt)
			return vc_fail(d, VC_CTL_15, "secondary controls=0x%08x, use TPR shadow=0",
			               c->proc2);
		return true;
	}
	/* CTL-13 */
	if (!(c->proc2 & PROC2_VINTR_DELIVERY) && (tpr & ~0xfull))
		return vc_fail(d, VC_CTL_13, "TPR threshold=0x%" PRIx64, tpr);
	/* CTL-14 */
	if (c->proc2 & (PROC2_VIRT_APIC_ACCESS | PROC2_VINTR_DELIVERY))
		return true;
	vtpr = (unsigned)bus_read(cpu->bus, vapic + 0x80, 1) & 0xff;
	if ((tpr & 0xf) > (vtpr >> 4))
		return vc_fail(d, VC_CTL_14, "TPR threshold=0x%" PRIx64 ", VTPR=0x%02x at 0x%" PRIx64,
		               tpr, vtpr, vapic + 0x80);
	return true;
}

/* CTL-16..24: NMI controls, APIC virtualization and posted interrupts.
 * SDM §26.2.1.1. */
static bool ctl_exec_apic(const struct cpu *cpu, const struct vc_ctls *c, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t apic = VMCS_GET(v, APIC_ACCESS_ADDR), nv = VMCS_GET(v, POSTED_INTR_NV);
	uint64_t pi_desc = VMCS_GET(v, POSTED_INTR_DESC_ADDR);

	/* CTL-16 */
	if (!(c->pin & PIN_NMI_EXITING) && (c->pin & PIN_VIRTUAL_NMIS))
		return vc_fail(d, VC_CTL_16, "pin-based controls=0x%08x", c->pin);
	/* CTL-17 */
	if (!(c->pin & PIN_VIRTUAL_NMIS) && (c->proc & PROC_NMI_WINDOW))
		return vc_fail(d, VC_CTL_17, "pin-based=0x%08x, primary=0x%08x", c->pin, c->proc);
	/* CTL-18 */
	if ((c->proc2 & PROC2_VIRT_APIC_ACCESS) &&
	    !addr_check(cpu, d, VC_CTL_18, "APIC-access address", apic, 12))
		return false;
	/* CTL-19 */
	if ((c->proc2 & PROC2_VIRT_X2APIC) && (c->proc2 & PROC2_VIRT_APIC_ACCESS))
		return vc_fail(d, VC_CTL_19, "secondary controls=0x%08x", c->proc2);
	/* CTL-20 */
	if ((c->proc2 & PROC2_VINTR_DELIVERY) && !(c->pin & PIN_EXT_INTR_EXITING))
		return vc_fail(d, VC_CTL_20, "pin-based=0x%08x, secondary=0x%08x", c->pin, c->proc2);
	if (!(c->pin & PIN_POSTED_INTR))
		return true;
	/* CTL-21 */
	if (!(c->proc2 & PROC2_VINTR_DELIVERY))
		return vc_fail(d, VC_CTL_21, "pin-based=0x%08x, secondary=0x%08x", c->pin, c->proc2);
	/* CTL-22 */
	if (!(c->exit & EXIT_ACK_INTR))
		return vc_fail(d, VC_CTL_22, "pin-based=0x%08x, VM-exit=0x%08x", c->pin, c->exit);
	/* CTL-23 */
	if (nv & 0xff00)
		return vc_fail(d, VC_CTL_23, "notification vector=0x%04" PRIx64, nv);
	/* CTL-24 */
	return addr_check(cpu, d, VC_CTL_24, "posted-interrupt descriptor address", pi_desc, 6);
}

/* CTL-26..30: an EPT pointer (ept.md §2).  SDM §26.2.1.1.  Also what
 * INVEPT type 1 (INVEPT.6) and EPTP switching (VMFUNC.5) check. */
bool vmentry_check_eptp(const struct cpu *cpu, uint64_t eptp, struct vmx_diag *d)
{
	uint64_t cap = vc_cap(cpu->vmx->profile, MSR_IA32_VMX_EPT_VPID_CAP);
	unsigned type = eptp & 7, walk = (eptp >> 3) & 7;
	bool type_ok = (type == 0 && ((cap >> EPT_CAP_UC) & 1)) ||
	               (type == 6 && ((cap >> EPT_CAP_WB) & 1));
	bool walk_ok = (walk == 3 && ((cap >> EPT_CAP_WALK4) & 1)) ||
	               (walk == 4 && ((cap >> EPT_CAP_WALK5) & 1));

	/* CTL-26 */
	if (!type_ok)
		return vc_fail(d, VC_CTL_26, "EPTP=0x%" PRIx64 ", memory type %u, EPT_VPID_CAP=0x%"
		               PRIx64, eptp, type, cap);
	/* CTL-27 */
	if (!walk_ok)
		return vc_fail(d, VC_CTL_27, "EPTP=0x%" PRIx64 ", walk length field %u, EPT_VPID_CAP=0x%"
		               PRIx64, eptp, walk, cap);
	/* CTL-28 */
	if (((eptp >> 6) & 1) && !((cap >> EPT_CAP_AD) & 1))
		return vc_fail(d, VC_CTL_28, "EPTP=0x%" PRIx64 ", EPT_VPID_CAP=0x%" PRIx64, eptp, cap);
	/* CTL-29 */
	if (((eptp >> 7) & 1) && !((cap >> EPT_CAP_SSS) & 1))
		return vc_fail(d, VC_CTL_29, "EPTP=0x%" PRIx64 ", EPT_VPID_CAP=0x%" PRIx64, eptp, cap);
	/* CTL-30 */
	if ((eptp & 0xf00) || !vc_in_range(cpu, eptp))
		return vc_fail(d, VC_CTL_30, "EPTP=0x%" PRIx64 ", MAXPHYADDR=%u", eptp,
		               maxphyaddr(cpu));
	return true;
}

/* CTL-25..35: VPID, EPT, and the features that need EPT.
 * SDM §26.2.1.1. */
static bool ctl_exec_ept(const struct cpu *cpu, const struct vc_ctls *c, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	bool ept = c->proc2 & PROC2_EPT;
	uint64_t pml = VMCS_GET(v, PML_ADDR), spptp = VMCS_GET(v, SPPTP);

	/* CTL-25 */
	if ((c->proc2 & PROC2_VPID) && VMCS_GET(v, VPID) == 0)
		return vc_fail(d, VC_CTL_25, "VPID=0, secondary controls=0x%08x", c->proc2);
	/* CTL-26..30 */
	if (ept && !vmentry_check_eptp(cpu, VMCS_GET(cpu->vmx, EPT_POINTER), d))
		return false;
	/* CTL-31 */
	if ((c->proc2 & PROC2_PML) && !ept)
		return vc_fail(d, VC_CTL_31, "secondary controls=0x%08x", c->proc2);
	/* CTL-32 */
	if ((c->proc2 & PROC2_PML) && !addr_check(cpu, d, VC_CTL_32, "PML address", pml, 12))
		return false;
	/* CTL-33 */
	if ((c->proc2 & PROC2_UNRESTRICTED) && !ept)
		return vc_fail(d, VC_CTL_33, "secondary controls=0x%08x", c->proc2);
	/* CTL-34 */
	if ((c->proc2 & PROC2_MBE) && !ept)
		return vc_fail(d, VC_CTL_34, "secondary controls=0x%08x", c->proc2);
	/* CTL-35 [opt] */
	if ((c->proc2 & PROC2_SPP) && (!ept || !vc_addr_ok(cpu, spptp, 12)))
		return vc_fail(d, VC_CTL_35, "secondary controls=0x%08x, SPPTP=0x%" PRIx64, c->proc2,
		               spptp);
	return true;
}

/* CTL-36..43: VM functions, shadowing, #VE, Intel PT, tertiary
 * controls.  SDM §26.2.1.1. */
static bool ctl_exec_rest(const struct cpu *cpu, const struct vc_ctls *c, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	bool ept = c->proc2 & PROC2_EPT;
	uint64_t f = VMCS_GET(v, VMFUNC_CONTROLS), hlatp = VMCS_GET(v, HLAT_POINTER);
	uint64_t list = VMCS_GET(v, EPTP_LIST_ADDR), ve = VMCS_GET(v, VE_INFO_ADDR);
	uint64_t rd = VMCS_GET(v, VMREAD_BITMAP), wr = VMCS_GET(v, VMWRITE_BITMAP);
	uint64_t vmfunc_cap = vc_cap(v->profile, MSR_IA32_VMX_VMFUNC);

	if (c->proc2 & PROC2_VMFUNC) {
		/* CTL-36 */
		if (!mask_check(d, VC_CTL_36, "VM-function controls", f, MSR_IA32_VMX_VMFUNC,
		                vmfunc_cap))
			return false;
		/* CTL-37 */
		if ((f & 1) && !ept)
			return vc_fail(d, VC_CTL_37, "VM-function controls=0x%" PRIx64
			               ", secondary=0x%08x", f, c->proc2);
		/* CTL-38 */
		if ((f & 1) && !addr_check(cpu, d, VC_CTL_38, "EPTP-list address", list, 12))
			return false;
	}
	/* CTL-39, CTL-40 */
	if ((c->proc2 & PROC2_VMCS_SHADOWING) &&
	    (!addr_check(cpu, d, VC_CTL_39, "VMREAD-bitmap address", rd, 12) ||
	     !addr_check(cpu, d, VC_CTL_40, "VMWRITE-bitmap address", wr, 12)))
		return false;
	/* CTL-41 */
	if ((c->proc2 & PROC2_EPT_VE) &&
	    !addr_check(cpu, d, VC_CTL_41, "#VE information address", ve, 12))
		return false;
	/* CTL-42 [opt] */
	if ((c->proc2 & PROC2_PT_USE_GPA) &&
	    (!ept || !(c->entry & ENTRY_LOAD_RTIT_CTL) || !(c->exit & EXIT_CLEAR_RTIT_CTL)))
		return vc_fail(d, VC_CTL_42, "secondary=0x%08x, VM-entry=0x%08x, VM-exit=0x%08x",
		               c->proc2, c->entry, c->exit);
	/* CTL-43 [opt]: the HLAT part */
	if ((c->proc3 & PROC3_HLAT) && (!ept || !vc_addr_ok(cpu, hlatp, 12)))
		return vc_fail(d, VC_CTL_43, "secondary=0x%08x, HLATP=0x%" PRIx64, c->proc2, hlatp);
	return true;
}

/* An MSR area (vmcs-fields.md §4.8): 16-byte aligned and in-range, and
 * its last byte in-range, computed without truncation. */
static bool msr_area_check(const struct cpu *cpu, struct vmx_diag *d, enum vmentry_check c_addr,
                           enum vmentry_check c_end, const char *name, uint64_t addr,
                           uint64_t count)
{
	unsigned __int128 last;

	if (count == 0)
		return true;
	if (!addr_check(cpu, d, c_addr, name, addr, 4))
		return false;
	last = (unsigned __int128)addr + 16 * (unsigned __int128)count - 1;
	if ((last >> 64) || !vc_in_range(cpu, (uint64_t)last))
		return vc_fail(d, c_end, "%s=0x%" PRIx64 ", count=%" PRIu64 ", MAXPHYADDR=%u",
		               name, addr, count, maxphyaddr(cpu));
	return true;
}

/* CTL-44..51: the VM-exit controls.  SDM §26.2.1.2. */
static bool ctl_exit(const struct cpu *cpu, const struct vc_ctls *c, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	unsigned msr = ctl_msr(v->profile, MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT);
	uint64_t exit2_cap = vc_cap(v->profile, MSR_IA32_VMX_EXIT_CTLS2);

	/* CTL-44, CTL-45 */
	if (!caps_check(d, VC_CTL_44, VC_CTL_45, "VM-exit controls", c->exit, msr,
	                vc_cap(v->profile, msr)))
		return false;
	/* CTL-46 [opt] */
	if ((c->exit & EXIT_SECONDARY) &&
	    !mask_check(d, VC_CTL_46, "secondary VM-exit controls", c->exit2,
	                MSR_IA32_VMX_EXIT_CTLS2, exit2_cap))
		return false;
	/* CTL-47 */
	if (!(c->pin & PIN_PREEMPTION_TIMER) && (c->exit & EXIT_SAVE_PREEMPTION))
		return vc_fail(d, VC_CTL_47, "pin-based=0x%08x, VM-exit=0x%08x", c->pin, c->exit);
	/* CTL-48, CTL-49 */
	if (!msr_area_check(cpu, d, VC_CTL_48, VC_CTL_49, "VM-exit MSR-store address",
	                    VMCS_GET(v, EXIT_MSR_STORE_ADDR), VMCS_GET(v, EXIT_MSR_STORE_COUNT)))
		return false;
	/* CTL-50, CTL-51 */
	return msr_area_check(cpu, d, VC_CTL_50, VC_CTL_51, "VM-exit MSR-load address",
	                      VMCS_GET(v, EXIT_MSR_LOAD_ADDR), VMCS_GET(v, EXIT_MSR_LOAD_COUNT));
}

/* Exceptions that push an error code: #DF #TS #NP #SS #GP #PF #AC, and
 * #CP where CET exists (vm-entry-checks.md CTL-56 notes). */
static bool exc_has_error_code(unsigned vector, bool cet)
{
	switch (vector) {
	case 8: case 10: case 11: case 12: case 13: case 14: case 17:
		return true;
	case 21:
		return cet;
	default:
		return false;
	}
}

/* CTL-54..56: type, vector and deliver-error-code of the injected event.
 * SDM §26.2.1.3.  CET (for #CP) exists if CR4_FIXED1 allows CR4.CET. */
static bool ctl_inject_event(const struct cpu *cpu, const struct vc_ctls *c, uint32_t info,
                             struct vmx_diag *d)
{
	const struct vmx_profile *p = cpu->vmx->profile;
	unsigned type = INTR_INFO_TYPE(info), vec = INTR_INFO_VECTOR(info);
	uint64_t cr0 = VMCS_GET(cpu->vmx, GUEST_CR0);
	bool ug = c->proc2 & PROC2_UNRESTRICTED, prot = !ug || (cr0 & CR0_PE);
	bool cet = (vmx_cap(p, MSR_IA32_VMX_CR4_FIXED1) & CR4_CET) != 0;
	bool mtf = vmx_cap_allows1(p, MSR_IA32_VMX_PROCBASED_CTLS, PROC_MTF_BIT);
	bool has = info & INTR_INFO_ERROR_CODE;
	bool want = prot && type == INTR_TYPE_HW_EXC && exc_has_error_code(vec, cet);
	bool relaxed = ((vmx_cap(p, MSR_IA32_VMX_BASIC) >> BASIC_NO_ERRCODE_CHECK) & 1) && prot &&
	               type == INTR_TYPE_HW_EXC;

	/* CTL-54 */
	if (type == INTR_TYPE_RESERVED || (type == INTR_TYPE_OTHER && !mtf))
		return vc_fail(d, VC_CTL_54, "interruption info=0x%08x, type %u", info, type);
	/* CTL-55 */
	if ((type == INTR_TYPE_NMI && vec != 2) || (type == INTR_TYPE_HW_EXC && vec > 31) ||
	    (type == INTR_TYPE_OTHER && vec != 0))
		return vc_fail(d, VC_CTL_55, "interruption info=0x%08x, type %u, vector %u", info,
		               type, vec);
	/* CTL-56 */
	if (!relaxed && has != want)
		return vc_fail(d, VC_CTL_56, "interruption info=0x%08x, type %u, vector %u, "
		               "guest CR0=0x%" PRIx64 ", unrestricted guest=%d", info, type, vec, cr0,
		               ug);
	return true;
}

/* CTL-57..59: the rest of event injection.  SDM §26.2.1.3. */
static bool ctl_inject(const struct cpu *cpu, const struct vc_ctls *c, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint32_t info = VMCS_GET(v, ENTRY_INTR_INFO);
	unsigned type = INTR_INFO_TYPE(info);
	uint64_t err = VMCS_GET(v, ENTRY_EXCEPTION_ERROR_CODE);
	uint64_t len = VMCS_GET(v, ENTRY_INSTRUCTION_LEN);
	bool len0_ok = (vmx_cap(v->profile, MSR_IA32_VMX_MISC) >> 30) & 1;
	bool soft = type == INTR_TYPE_SW_INTR || type == INTR_TYPE_PRIV_SW_EXC ||
	            type == INTR_TYPE_SW_EXC;

	if (!(info & INTR_INFO_VALID))
		return true;
	/* CTL-54..56 */
	if (!ctl_inject_event(cpu, c, info, d))
		return false;
	/* CTL-57 */
	if (info & 0x7ffff000u)
		return vc_fail(d, VC_CTL_57, "interruption info=0x%08x", info);
	/* CTL-58 */
	if ((info & INTR_INFO_ERROR_CODE) && (err & 0xffff0000u))
		return vc_fail(d, VC_CTL_58, "error code=0x%08" PRIx64, err);
	/* CTL-59 */
	if (soft && (len > 15 || (len == 0 && !len0_ok)))
		return vc_fail(d, VC_CTL_59, "instruction length=%" PRIu64 ", type %u, "
		               "IA32_VMX_MISC[30]=%d", len, type, len0_ok);
	return true;
}

/* CTL-52..63: the VM-entry controls.  SDM §26.2.1.3. */
static bool ctl_entry(const struct cpu *cpu, const struct vc_ctls *c, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	unsigned msr = ctl_msr(v->profile, MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY);

	/* CTL-52, CTL-53 */
	if (!caps_check(d, VC_CTL_52, VC_CTL_53, "VM-entry controls", c->entry, msr,
	                vc_cap(v->profile, msr)))
		return false;
	/* CTL-54..59 */
	if (!ctl_inject(cpu, c, d))
		return false;
	/* CTL-60, CTL-61 */
	if (!msr_area_check(cpu, d, VC_CTL_60, VC_CTL_61, "VM-entry MSR-load address",
	                    VMCS_GET(v, ENTRY_MSR_LOAD_ADDR), VMCS_GET(v, ENTRY_MSR_LOAD_COUNT)))
		return false;
	/* CTL-62: softvtx never runs in SMM, so both bits must be 0. */
	if (c->entry & (ENTRY_SMM | ENTRY_DEACT_DUAL_MON))
		return vc_fail(d, VC_CTL_62, "VM-entry controls=0x%08x, not in SMM", c->entry);
	/* CTL-63 (outside SMM, CTL-62 has already failed any such entry) */
	if ((c->entry & ENTRY_SMM) && (c->entry & ENTRY_DEACT_DUAL_MON))
		return vc_fail(d, VC_CTL_63, "VM-entry controls=0x%08x", c->entry);
	return true;
}

bool vmentry_check_controls(const struct cpu *cpu, struct vmx_diag *d)
{
	struct vc_ctls c = vc_ctls(cpu->vmx);

	return ctl_exec_caps(cpu, &c, d) && ctl_exec_bitmaps(cpu, &c, d) &&
	       ctl_exec_tpr(cpu, &c, d) && ctl_exec_apic(cpu, &c, d) && ctl_exec_ept(cpu, &c, d) &&
	       ctl_exec_rest(cpu, &c, d) && ctl_exit(cpu, &c, d) && ctl_entry(cpu, &c, d);
}
