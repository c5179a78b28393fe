/* Checks on the guest-state area, GUEST-1..101 of
 * shared/spec/vm-entry-checks.md §4 (SDM Vol. 3C §26.3.1, PDPTEs
 * §26.3.1.6/§26.3.2.4), in the spec's order; the segment registers
 * (§4.2) are in checks_seg.c.  A failure is a VM-entry failure, exit
 * reason 33, with qualification 0 unless the check says otherwise
 * (2 PDPTE, 3 NMI injection under STI blocking, 4 VMCS link pointer). */
#include "checks_int.h"

#include "../mem/bus.h"

#define QUAL_PDPTE     2
#define QUAL_NMI_STI   3
#define QUAL_VMCS_LINK 4

/* IA32_S_CET bits 9:6 are reserved (SDM Vol. 1 §18.3.1). */
#define S_CET_RSVD 0x3c0ull
/* Pending debug exceptions (vmcs-fields.md §4.4):
 *   63:17 rsvd | 16 RTM | 15 rsvd | 14 BS | 13 rsvd | 12 enabled bp | 11:4 rsvd | 3:0 B3-B0 */
#define PENDING_RSVD   0xfffffffffffeaff0ull
#define PENDING_BS     VC_BIT(14)
#define PENDING_RTM    VC_BIT(16)
#define PENDING_BP     VC_BIT(12)

/* softvtx models neither SGX nor RTM (CPUID reports neither), so the
 * interruptibility enclave bit and the pending-debug RTM bit are
 * reserved. */
static const bool has_sgx = false, has_rtm = false;

/* GUEST-1..6: guest CR0 and CR4 against the fixed bits
 * (vmx-capabilities.md §11).  SDM §26.3.1.1. */
static bool guest_cr0_cr4(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d)
{
	const struct vmx_profile *p = cpu->vmx->profile;
	uint64_t f0 = vmx_cap(p, MSR_IA32_VMX_CR0_FIXED0), f1 = vmx_cap(p, MSR_IA32_VMX_CR0_FIXED1);
	uint64_t g0 = vmx_cap(p, MSR_IA32_VMX_CR4_FIXED0), g1 = vmx_cr4_fixed1(cpu);
	uint64_t need = f0 & ~(g->ug ? CR0_PE | CR0_PG : 0);
	uint64_t cr0 = g->cr0, cr4 = g->cr4;

	/* GUEST-1 */
	if ((cr0 & need) != need)
		return vc_fail(d, VC_GUEST_1, "guest CR0=0x%" PRIx64 ", CR0_FIXED0=0x%" PRIx64
		               ", unrestricted guest=%d", cr0, f0, g->ug);
	/* GUEST-2 */
	if (cr0 & ~f1 & ~(CR0_NW | CR0_CD))
		return vc_fail(d, VC_GUEST_2, "guest CR0=0x%" PRIx64 ", CR0_FIXED1=0x%" PRIx64, cr0, f1);
	/* GUEST-3 */
	if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
		return vc_fail(d, VC_GUEST_3, "guest CR0=0x%" PRIx64 ", unrestricted guest=%d", cr0,
		               g->ug);
	/* GUEST-4 [opt] */
	if ((cr4 & CR4_CET) && !(cr0 & CR0_WP))
		return vc_fail(d, VC_GUEST_4, "guest CR0=0x%" PRIx64 ", guest CR4=0x%" PRIx64, cr0, cr4);
	/* GUEST-5 */
	if ((cr4 & g0) != g0)
		return vc_fail(d, VC_GUEST_5, "guest CR4=0x%" PRIx64 ", CR4_FIXED0=0x%" PRIx64, cr4, g0);
	/* GUEST-6 */
	if (cr4 & ~g1)
		return vc_fail(d, VC_GUEST_6, "guest CR4=0x%" PRIx64 ", CR4_FIXED1=0x%" PRIx64, cr4, g1);
	return true;
}

/* GUEST-7..12: DEBUGCTL, paging mode, CR3, DR7.  SDM §26.3.1.1. */
static bool guest_mode_regs(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t dbgctl = VMCS_GET(v, GUEST_IA32_DEBUGCTL), valid = v->profile->debugctl_valid;
	uint64_t cr3 = VMCS_GET(v, GUEST_CR3), dr7 = VMCS_GET(v, GUEST_DR7);
	bool load_dbg = g->c.entry & ENTRY_LOAD_DEBUG;

	/* GUEST-7 */
	if (load_dbg && (dbgctl & ~valid))
		return vc_fail(d, VC_GUEST_7, "guest IA32_DEBUGCTL=0x%" PRIx64 ", valid bits 0x%"
		               PRIx64, dbgctl, valid);
	/* GUEST-8 */
	if (g->ia32e && !(g->cr0 & CR0_PG))
		return vc_fail(d, VC_GUEST_8, "guest CR0=0x%" PRIx64, g->cr0);
	/* GUEST-9 */
	if (g->ia32e && !(g->cr4 & CR4_PAE))
		return vc_fail(d, VC_GUEST_9, "guest CR4=0x%" PRIx64, g->cr4);
	/* GUEST-10 */
	if (!g->ia32e && (g->cr4 & CR4_PCIDE))
		return vc_fail(d, VC_GUEST_10, "guest CR4=0x%" PRIx64, g->cr4);
	/* GUEST-11 */
	if (g->cpu64 && !vc_in_range(cpu, cr3))
		return vc_fail(d, VC_GUEST_11, "guest CR3=0x%" PRIx64, cr3);
	/* GUEST-12 */
	if (load_dbg && (dr7 >> 32))
		return vc_fail(d, VC_GUEST_12, "guest DR7=0x%" PRIx64, dr7);
	return true;
}

/* GUEST-15: CET state [opt].  SDM §26.3.1.1. */
static bool guest_cet(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t s_cet = VMCS_GET(v, GUEST_IA32_S_CET), ssp = VMCS_GET(v, GUEST_SSP);
	uint64_t isst = VMCS_GET(v, GUEST_IA32_INT_SSP_TABLE_ADDR);
	bool cs_l = (VMCS_GET(v, GUEST_CS_AR_BYTES) >> 13) & 1;

	if (!(g->c.entry & ENTRY_LOAD_CET))
		return true;
	if (!cpu_is_canonical(s_cet) || (s_cet & S_CET_RSVD) || !cpu_is_canonical(isst) ||
	    (ssp & 3) || (!(g->ia32e && cs_l) && (ssp >> 32)))
		return vc_fail(d, VC_GUEST_15, "S_CET=0x%" PRIx64 ", SSP=0x%" PRIx64 ", ISST=0x%"
		               PRIx64, s_cet, ssp, isst);
	return true;
}

/* GUEST-18..20: guest IA32_EFER, when VM entry loads it.  SDM §26.3.1.1. */
static bool guest_efer(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d)
{
	uint64_t efer = VMCS_GET(cpu->vmx, GUEST_IA32_EFER), valid;

	if (!(g->c.entry & ENTRY_LOAD_EFER))
		return true;
	valid = vc_efer_valid(cpu);
	/* GUEST-18 */
	if (efer & ~valid)
		return vc_fail(d, VC_GUEST_18, "guest IA32_EFER=0x%" PRIx64 ", valid bits 0x%" PRIx64,
		               efer, valid);
	/* GUEST-19 */
	if (((efer & EFER_LMA) != 0) != g->ia32e)
		return vc_fail(d, VC_GUEST_19, "guest IA32_EFER=0x%" PRIx64 ", IA-32e mode guest=%d",
		               efer, g->ia32e);
	/* GUEST-20 */
	if ((g->cr0 & CR0_PG) && ((efer & EFER_LME) != 0) != g->ia32e)
		return vc_fail(d, VC_GUEST_20, "guest IA32_EFER=0x%" PRIx64 ", IA-32e mode guest=%d, "
		               "guest CR0=0x%" PRIx64, efer, g->ia32e, g->cr0);
	return true;
}

/* GUEST-13..23: guest MSR fields.  SDM §26.3.1.1. */
static bool guest_msrs(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t esp = VMCS_GET(v, GUEST_IA32_SYSENTER_ESP);
	uint64_t eip = VMCS_GET(v, GUEST_IA32_SYSENTER_EIP);
	uint64_t perf = VMCS_GET(v, GUEST_IA32_PERF_GLOBAL_CTRL);
	uint64_t perf_rsvd = v->profile->perf_global_ctrl_rsvd;
	uint64_t pat = VMCS_GET(v, GUEST_IA32_PAT), bnd = VMCS_GET(v, GUEST_IA32_BNDCFGS);
	uint64_t pkrs = VMCS_GET(v, GUEST_IA32_PKRS);
	uint32_t entry = g->c.entry;

	/* GUEST-13 */
	if (g->cpu64 && !cpu_is_canonical(esp))
		return vc_fail(d, VC_GUEST_13, "guest IA32_SYSENTER_ESP=0x%" PRIx64, esp);
	/* GUEST-14 */
	if (g->cpu64 && !cpu_is_canonical(eip))
		return vc_fail(d, VC_GUEST_14, "guest IA32_SYSENTER_EIP=0x%" PRIx64, eip);
	/* GUEST-15 */
	if (!guest_cet(cpu, g, d))
		return false;
	/* GUEST-16 */
	if ((entry & ENTRY_LOAD_PERF_GLOBAL) && (perf & perf_rsvd))
		return vc_fail(d, VC_GUEST_16, "guest IA32_PERF_GLOBAL_CTRL=0x%" PRIx64
		               ", reserved 0x%" PRIx64, perf, perf_rsvd);
	/* GUEST-17 */
	if ((entry & ENTRY_LOAD_PAT) && !vc_pat_ok(pat))
		return vc_fail(d, VC_GUEST_17, "guest IA32_PAT=0x%016" PRIx64, pat);
	/* GUEST-18..20 */
	if (!guest_efer(cpu, g, d))
		return false;
	/* GUEST-21 [opt] */
	if ((entry & ENTRY_LOAD_BNDCFGS) && ((bnd & 0xffc) || !cpu_is_canonical(bnd)))
		return vc_fail(d, VC_GUEST_21, "guest IA32_BNDCFGS=0x%" PRIx64, bnd);
	/* GUEST-22 [opt] is left out: see its row in checks.def. */
	/* GUEST-23 [opt] */
	if ((entry & ENTRY_LOAD_PKRS) && (pkrs >> 32))
		return vc_fail(d, VC_GUEST_23, "guest IA32_PKRS=0x%" PRIx64, pkrs);
	return true;
}

/* GUEST-65..74: descriptor tables, RIP and RFLAGS.
 * SDM §26.3.1.3, §26.3.1.4. */
static bool guest_dtr_rip_rflags(const struct cpu *cpu, const struct vc_guest *g,
                                 struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t gdt = VMCS_GET(v, GUEST_GDTR_BASE), idt = VMCS_GET(v, GUEST_IDTR_BASE);
	uint64_t gdtl = VMCS_GET(v, GUEST_GDTR_LIMIT), idtl = VMCS_GET(v, GUEST_IDTR_LIMIT);
	uint64_t rip = VMCS_GET(v, GUEST_RIP), rf = g->rflags;
	uint64_t rf_rsvd = ~0x3fffffull | VC_BIT(15) | VC_BIT(5) | VC_BIT(3);
	bool cs_l = (VMCS_GET(v, GUEST_CS_AR_BYTES) >> 13) & 1, cpu64 = g->cpu64;
	bool ext_intr = (g->inj & INTR_INFO_VALID) && INTR_INFO_TYPE(g->inj) == INTR_TYPE_EXT_INTR;

	/* GUEST-65, GUEST-66 */
	if (cpu64 && !cpu_is_canonical(gdt))
		return vc_fail(d, VC_GUEST_65, "guest GDTR base=0x%" PRIx64, gdt);
	if (cpu64 && !cpu_is_canonical(idt))
		return vc_fail(d, VC_GUEST_66, "guest IDTR base=0x%" PRIx64, idt);
	/* GUEST-67, GUEST-68 */
	if (gdtl >> 16)
		return vc_fail(d, VC_GUEST_67, "guest GDTR limit=0x%" PRIx64, gdtl);
	if (idtl >> 16)
		return vc_fail(d, VC_GUEST_68, "guest IDTR limit=0x%" PRIx64, idtl);
	/* GUEST-69 */
	if (cpu64 && (!g->ia32e || !cs_l) && (rip >> 32))
		return vc_fail(d, VC_GUEST_69, "guest RIP=0x%" PRIx64 ", IA-32e mode guest=%d, CS.L=%d",
		               rip, g->ia32e, cs_l);
	/* GUEST-70 */
	if (g->ia32e && cs_l && !cpu_is_canonical(rip))
		return vc_fail(d, VC_GUEST_70, "guest RIP=0x%" PRIx64, rip);
	/* GUEST-71, GUEST-72 */
	if (rf & rf_rsvd)
		return vc_fail(d, VC_GUEST_71, "guest RFLAGS=0x%" PRIx64, rf);
	if (!(rf & RFLAGS_FIXED1))
		return vc_fail(d, VC_GUEST_72, "guest RFLAGS=0x%" PRIx64, rf);
	/* GUEST-73 */
	if ((g->ia32e || !(g->cr0 & CR0_PE)) && (rf & RFLAGS_VM))
		return vc_fail(d, VC_GUEST_73, "guest RFLAGS=0x%" PRIx64 ", IA-32e mode guest=%d, "
		               "guest CR0=0x%" PRIx64, rf, g->ia32e, g->cr0);
	/* GUEST-74 */
	if (ext_intr && !(rf & RFLAGS_IF))
		return vc_fail(d, VC_GUEST_74, "guest RFLAGS=0x%" PRIx64 ", interruption info=0x%08x",
		               rf, g->inj);
	return true;
}

/* GUEST-78: may the injected event be delivered in this activity state? */
static bool event_allowed(unsigned act, uint32_t inj)
{
	unsigned type = INTR_INFO_TYPE(inj), vec = INTR_INFO_VECTOR(inj);

	switch (act) {
	case ACTIVITY_ACTIVE:
		return true;
	case ACTIVITY_HLT:
		return type == INTR_TYPE_EXT_INTR || type == INTR_TYPE_NMI ||
		       (type == INTR_TYPE_HW_EXC && (vec == 1 || vec == 18)) ||
		       (type == INTR_TYPE_OTHER && vec == 0);
	case ACTIVITY_SHUTDOWN:
		return type == INTR_TYPE_NMI || (type == INTR_TYPE_HW_EXC && vec == 18);
	default:
		return false;
	}
}

/* GUEST-75..79: activity state.  SDM §26.3.1.5. */
static bool guest_activity(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t act = VMCS_GET(v, GUEST_ACTIVITY_STATE);
	uint64_t intr = VMCS_GET(v, GUEST_INTERRUPTIBILITY);
	uint64_t misc = vmx_cap(v->profile, MSR_IA32_VMX_MISC);
	unsigned ss_dpl = (VMCS_GET(v, GUEST_SS_AR_BYTES) >> 5) & 3;

	/* GUEST-75: state n > 0 needs IA32_VMX_MISC bit 5 + n. */
	if (act > ACTIVITY_WAIT_SIPI || (act != 0 && !((misc >> (5 + act)) & 1)))
		return vc_fail(d, VC_GUEST_75, "activity state=%" PRIu64 ", IA32_VMX_MISC=0x%" PRIx64,
		               act, misc);
	/* GUEST-76 */
	if (act == ACTIVITY_HLT && ss_dpl != 0)
		return vc_fail(d, VC_GUEST_76, "activity state=1, SS.DPL=%u", ss_dpl);
	/* GUEST-77 */
	if ((intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS)) && act != ACTIVITY_ACTIVE)
		return vc_fail(d, VC_GUEST_77, "activity state=%" PRIu64 ", interruptibility=0x%"
		               PRIx64, act, intr);
	/* GUEST-78 */
	if ((g->inj & INTR_INFO_VALID) && !event_allowed((unsigned)act, g->inj))
		return vc_fail(d, VC_GUEST_78, "activity state=%" PRIu64 ", interruption info=0x%08x",
		               act, g->inj);
	/* GUEST-79 */
	if ((g->c.entry & ENTRY_SMM) && act == ACTIVITY_WAIT_SIPI)
		return vc_fail(d, VC_GUEST_79, "activity state=3, VM-entry=0x%08x", g->c.entry);
	return true;
}

static bool intr_fail(struct vmx_diag *d, enum vmentry_check c, uint64_t intr,
                      const struct vc_guest *g)
{
	return vc_fail(d, c, "interruptibility=0x%" PRIx64 ", RFLAGS=0x%" PRIx64
	               ", interruption info=0x%08x", intr, g->rflags, g->inj);
}

/* GUEST-80..89: interruptibility state.  SDM §26.3.1.5.  GUEST-85 is
 * the profile's choice and the only one with qualification 3. */
static bool guest_intr_state(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d,
                             uint64_t *qual)
{
	const struct vmx *v = cpu->vmx;
	uint64_t intr = VMCS_GET(v, GUEST_INTERRUPTIBILITY);
	bool sti = intr & INTR_BLOCK_STI, movss = intr & INTR_BLOCK_MOV_SS;
	bool smi = intr & INTR_BLOCK_SMI, enclave = intr & INTR_ENCLAVE;
	bool inj = g->inj & INTR_INFO_VALID;
	bool ext = inj && INTR_INFO_TYPE(g->inj) == INTR_TYPE_EXT_INTR;
	bool nmi = inj && INTR_INFO_TYPE(g->inj) == INTR_TYPE_NMI;

	if ((intr & ~0x1full) || (enclave && !has_sgx))                   /* GUEST-80 */
		return intr_fail(d, VC_GUEST_80, intr, g);
	if (sti && movss)                                                 /* GUEST-81 */
		return intr_fail(d, VC_GUEST_81, intr, g);
	if (sti && !(g->rflags & RFLAGS_IF))                              /* GUEST-82 */
		return intr_fail(d, VC_GUEST_82, intr, g);
	if (ext && (sti || movss))                                        /* GUEST-83 */
		return intr_fail(d, VC_GUEST_83, intr, g);
	if (nmi && movss)                                                 /* GUEST-84 */
		return intr_fail(d, VC_GUEST_84, intr, g);
	if (nmi && sti && v->profile->nmi_inject_sti_fails) {             /* GUEST-85 */
		*qual = QUAL_NMI_STI;
		return intr_fail(d, VC_GUEST_85, intr, g);
	}
	if (smi)                                          /* GUEST-86: never in SMM */
		return intr_fail(d, VC_GUEST_86, intr, g);
	if ((g->c.entry & ENTRY_SMM) && !smi)                             /* GUEST-87 */
		return intr_fail(d, VC_GUEST_87, intr, g);
	if ((g->c.pin & PIN_VIRTUAL_NMIS) && nmi && (intr & INTR_BLOCK_NMI)) /* GUEST-88 */
		return intr_fail(d, VC_GUEST_88, intr, g);
	if (enclave && (movss || !has_sgx))                               /* GUEST-89 [opt] */
		return intr_fail(d, VC_GUEST_89, intr, g);
	return true;
}

static bool pending_fail(struct vmx_diag *d, enum vmentry_check c, uint64_t pend, uint64_t rflags,
                         uint64_t dbgctl, uint64_t intr)
{
	return vc_fail(d, c, "pending debug exceptions=0x%" PRIx64 ", RFLAGS=0x%" PRIx64
	               ", DEBUGCTL=0x%" PRIx64 ", interruptibility=0x%" PRIx64, pend, rflags, dbgctl,
	               intr);
}

/* GUEST-90..93: pending debug exceptions.  SDM §26.3.1.5.  DEBUGCTL is
 * the guest field with load debug controls, else the current MSR, which
 * softvtx does not model (reads as 0). */
static bool guest_pending_dbg(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t pend = VMCS_GET(v, GUEST_PENDING_DBG_EXCEPTIONS);
	uint64_t intr = VMCS_GET(v, GUEST_INTERRUPTIBILITY);
	uint64_t dbgctl = (g->c.entry & ENTRY_LOAD_DEBUG) ? VMCS_GET(v, GUEST_IA32_DEBUGCTL) : 0;
	uint64_t rsvd = PENDING_RSVD | (has_rtm ? 0 : PENDING_RTM);
	bool held = (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS)) ||
	            VMCS_GET(v, GUEST_ACTIVITY_STATE) == ACTIVITY_HLT;
	bool tf = g->rflags & RFLAGS_TF, btf = dbgctl & DEBUGCTL_BTF, bs = pend & PENDING_BS;
	bool rtm_bad = (pend & ~(PENDING_RTM | PENDING_BP)) || !(pend & PENDING_BP) || !has_rtm ||
	               (intr & INTR_BLOCK_MOV_SS);

	/* GUEST-90 */
	if (pend & rsvd)
		return vc_fail(d, VC_GUEST_90, "pending debug exceptions=0x%" PRIx64, pend);
	/* GUEST-91 */
	if (held && tf && !btf && !bs)
		return pending_fail(d, VC_GUEST_91, pend, g->rflags, dbgctl, intr);
	/* GUEST-92 */
	if (held && (!tf || btf) && bs)
		return pending_fail(d, VC_GUEST_92, pend, g->rflags, dbgctl, intr);
	/* GUEST-93 [opt] */
	if ((pend & PENDING_RTM) && rtm_bad)
		return vc_fail(d, VC_GUEST_93, "pending debug exceptions=0x%" PRIx64, pend);
	return true;
}

/* GUEST-94..98: the VMCS link pointer, qualification 4.  SDM §26.3.1.5.
 * GUEST-99 needs SMM and is left out (checks.def). */
static bool guest_link(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d,
                       uint64_t *qual)
{
	const struct vmx *v = cpu->vmx;
	uint64_t link = VMCS_GET(v, VMCS_LINK_POINTER);
	uint32_t rev = (uint32_t)vmx_cap(v->profile, MSR_IA32_VMX_BASIC) & 0x7fffffffu;
	bool shadowing = g->c.proc2 & PROC2_VMCS_SHADOWING;
	uint32_t dw;

	if (link == VMCS_NONE)
		return true;
	*qual = QUAL_VMCS_LINK;
	/* GUEST-94, GUEST-95 */
	if (link & 0xfff)
		return vc_fail(d, VC_GUEST_94, "VMCS link pointer=0x%" PRIx64, link);
	if (!vc_in_range(cpu, link))
		return vc_fail(d, VC_GUEST_95, "VMCS link pointer=0x%" PRIx64, link);
	/* GUEST-96, GUEST-97: the revision dword of the region it names */
	dw = (uint32_t)bus_read(cpu->bus, link, 4);
	if ((dw & 0x7fffffffu) != rev)
		return vc_fail(d, VC_GUEST_96, "VMCS link pointer=0x%" PRIx64 ", its revision dword="
		               "0x%08x, revision identifier=0x%x", link, dw, rev);
	if ((dw >> 31) != shadowing)
		return vc_fail(d, VC_GUEST_97, "VMCS link pointer=0x%" PRIx64 ", its revision dword="
		               "0x%08x, VMCS shadowing=%d", link, dw, shadowing);
	/* GUEST-98 */
	if (link == v->current_vmcs)
		return vc_fail(d, VC_GUEST_98, "VMCS link pointer=0x%" PRIx64 ", current VMCS=0x%"
		               PRIx64, link, v->current_vmcs);
	*qual = 0;
	return true;
}

/* A PDPTE is valid if not present, or if bits 2:1, 8:5 and
 * 63:MAXPHYADDR are 0 (vm-entry-checks.md §4.6). */
static bool pdpte_ok(const struct cpu *cpu, uint64_t e)
{
	return !(e & 1) || !(e & (0x1e6ull | ~cpu->maxphyaddr_mask));
}

_Static_assert(VMCS_IDX_GUEST_PDPTE3 == VMCS_IDX_GUEST_PDPTE0 + 3, "PDPTE fields are consecutive");

/* GUEST-100, GUEST-101: PDPTEs of a PAE-paging guest, qualification 2.
 * SDM §26.3.1.6, §26.3.2.4.  Without EPT the table is read from guest
 * physical memory at CR3 bits 31:5 (SDM §4.4.1, as mmu.c walks it; the
 * spec's CR3 & ~0x1F is the same for every CR3 below 4 GiB). */
static bool guest_pdptes(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d,
                         uint64_t *qual)
{
	const struct vmx *v = cpu->vmx;
	uint64_t cr3 = VMCS_GET(v, GUEST_CR3), table = cr3 & 0xffffffe0ull;
	bool ept = g->c.proc2 & PROC2_EPT;

	if (!(g->cr0 & CR0_PG) || !(g->cr4 & CR4_PAE) || g->ia32e)
		return true;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t e;

		if (ept)
			e = v->vmcs.val[VMCS_IDX_GUEST_PDPTE0 + i];
		else
			e = bus_read(cpu->bus, table + 8 * i, 8);
		if (pdpte_ok(cpu, e))
			continue;
		*qual = QUAL_PDPTE;
		/* GUEST-100 */
		if (ept)
			return vc_fail(d, VC_GUEST_100, "guest PDPTE%u field=0x%" PRIx64, i, e);
		/* GUEST-101 */
		return vc_fail(d, VC_GUEST_101, "PDPTE%u=0x%" PRIx64 " at 0x%" PRIx64
		               ", guest CR3=0x%" PRIx64, i, e, table + 8 * i, cr3);
	}
	return true;
}

bool vmentry_check_guest(const struct cpu *cpu, struct vmx_diag *d, uint64_t *qual)
{
	const struct vmx *v = cpu->vmx;
	struct vc_guest g = { .c = vc_ctls(v) };
	uint32_t inj = VMCS_GET(v, ENTRY_INTR_INFO);

	g.cpu64 = vc_cpu64(cpu);
	g.ug = g.c.proc2 & PROC2_UNRESTRICTED;
	g.ia32e = g.c.entry & ENTRY_IA32E_GUEST;
	g.cr0 = VMCS_GET(v, GUEST_CR0);
	g.cr4 = VMCS_GET(v, GUEST_CR4);
	g.rflags = VMCS_GET(v, GUEST_RFLAGS);
	g.v86 = g.rflags & RFLAGS_VM;
	g.inj = (inj & INTR_INFO_VALID) ? inj : 0;
	*qual = 0;
	return guest_cr0_cr4(cpu, &g, d) && guest_mode_regs(cpu, &g, d) && guest_msrs(cpu, &g, d) &&
	       vc_guest_segments(cpu, &g, d) && guest_dtr_rip_rflags(cpu, &g, d) &&
	       guest_activity(cpu, &g, d) && guest_intr_state(cpu, &g, d, qual) &&
	       guest_pending_dbg(cpu, &g, d) && guest_link(cpu, &g, d, qual) &&
	       guest_pdptes(cpu, &g, d, qual);
}
