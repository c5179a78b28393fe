/* VM-entry checks on the guest-state area and MSR loading (SDM Vol. 3C
 * §26.3, §26.4; shared/spec/vm-entry-checks.md §4, §6).  Each case
 * corrupts one rule of the known-good VMCS; a guest-state failure is a
 * VM-entry failure with exit reason 33 | 0x80000000 and the qualification
 * the spec gives (0, 2 PDPTE, 3 NMI with STI blocking, 4 link pointer), an
 * MSR-load failure exit reason 34 | 0x80000000 with the 1-based index of
 * the failing entry.  The host RIP landing pad reads both. */
#include "vmcs_good.h"

#define FAIL33(q) X_ENTRY_FAIL, 33, q
#define FAIL34(q) X_ENTRY_FAIL, 34, q

extern uint64_t boot_pd[4][512];

static uint64_t lowest64(uint64_t m) { return m & -m; }
static uint64_t page(int i) { return (uintptr_t)scratch_pages[i]; }

/* --- applicability ----------------------------------------------------- */
static const char *no_ug(void) { return has_proc2(PROC2_UG | PROC2_EPT) ? 0 : "no unrestricted guest"; }
static const char *no_ept(void) { return has_proc2(PROC2_EPT) ? 0 : "no EPT"; }
static const char *no_cr0_fixed1(void) { return ~caps.cr0_fixed1 ? 0 : "CR0_FIXED1 is all ones"; }
static const char *no_cr4_fixed1(void) { return ~caps.cr4_fixed1 ? 0 : "CR4_FIXED1 is all ones"; }
static const char *no_cet(void) { return caps.cr4_fixed1 >> 23 & 1 ? 0 : "[opt] CET not supported"; }
static const char *no_dbg(void) { return can_set(caps.entry, ENTRY_LOAD_DEBUG) ? 0 : "no load debug controls"; }
static const char *no_perf(void) { return can_set(caps.entry, ENTRY_LOAD_PERF) ? 0 : "no load IA32_PERF_GLOBAL_CTRL"; }
static const char *no_pat(void) { return can_set(caps.entry, ENTRY_LOAD_PAT) ? 0 : "no load IA32_PAT"; }
static const char *no_efer(void) { return can_set(caps.entry, ENTRY_LOAD_EFER) ? 0 : "no load IA32_EFER"; }
static const char *no_entry16(void) { return can_set(caps.entry, 1u << 16) ? 0 : "[opt] load IA32_BNDCFGS not supported"; }
static const char *no_entry18(void) { return can_set(caps.entry, 1u << 18) ? 0 : "[opt] load IA32_RTIT_CTL not supported"; }
static const char *no_entry20(void) { return can_set(caps.entry, 1u << 20) ? 0 : "[opt] load CET state not supported"; }
static const char *no_entry22(void) { return can_set(caps.entry, 1u << 22) ? 0 : "[opt] load PKRS not supported"; }
static const char *no_pcide(void) { return caps.cr4_fixed1 & CR4_PCIDE ? 0 : "CR4.PCIDE not allowed"; }
static const char *no_hlt(void) { return caps.misc >> 6 & 1 ? 0 : "activity state HLT unsupported"; }
static const char *no_hlt_ug(void) { return no_hlt() ? no_hlt() : no_ug(); }
static const char *no_shutdown(void) { return caps.misc >> 7 & 1 ? 0 : "activity state shutdown unsupported"; }
static const char *no_vnmi(void) { return can_set(caps.pin, PIN_VNMI | PIN_NMI) ? 0 : "no virtual NMIs"; }
static const char *no_sgx(void) { return "[opt] SGX not supported"; }
static const char *no_rtm(void) { return cpu_has(7, 'b', 11) ? 0 : "[opt] RTM not supported"; }
static const char *no_shadow(void) { return has_proc2(PROC2_SHADOW) ? 0 : "no VMCS shadowing"; }

/* Reserved access-rights bits can be dropped by VMWRITE (model-specific,
 * vmx-instructions.md §12.3); then the check cannot fail. */
static const char *ar_kept(uint32_t field, uint32_t bits)
{
	vmcs_good(GOOD_DEFAULT, 0);
	vmw(field, vmr(field) | bits);
	return (vmr(field) & bits) == bits ? 0 :
	       "VMWRITE drops reserved access-rights bits (model-specific, vmx-instructions.md 12.3)";
}
static const char *ar_ds_8(void) { return ar_kept(VMCS_GUEST_DS_AR_BYTES, 1u << 8); }
static const char *ar_ds_17(void) { return ar_kept(VMCS_GUEST_DS_AR_BYTES, 1u << 17); }
static const char *ar_tr_8(void) { return ar_kept(VMCS_GUEST_TR_AR_BYTES, 1u << 8); }
static const char *ar_tr_17(void) { return ar_kept(VMCS_GUEST_TR_AR_BYTES, 1u << 17); }
static const char *ar_ldtr_8(void) { return ar_kept(VMCS_GUEST_LDTR_AR_BYTES, 1u << 8); }
static const char *ar_ldtr_17(void) { return ar_kept(VMCS_GUEST_LDTR_AR_BYTES, 1u << 17); }

/* --- guest variants built from the good VMCS -------------------------- */
static void seg(uint32_t sel_f, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
	uint32_t idx = sel_f - VMCS_GUEST_ES_SELECTOR;
	vmw(sel_f, sel);
	vmw(VMCS_GUEST_ES_LIMIT + idx, limit);
	vmw(VMCS_GUEST_ES_AR_BYTES + idx, ar);
	vmw(VMCS_GUEST_ES_BASE + idx, base);
}

/* A 32-bit protected-mode guest with PAE paging over the boot page
 * directories (IA32E = 0): PDPTEs in the VMCS (EPT on) and in memory. */
static uint64_t *pae_pdpt(void) { return (uint64_t *)scratch_pages[7]; }
static void guest32(void)
{
	vmw_clear(VMCS_ENTRY_CONTROLS, ENTRY_IA32E);
	seg(VMCS_GUEST_CS_SELECTOR, SEL_KCODE32, 0, 0xffffffff, 0xC09B);
	for (int i = 0; i < 4; i++) {
		pae_pdpt()[i] = (uintptr_t)boot_pd[i] | 1;
		if (has_proc2(PROC2_EPT))
			vmw(VMCS_GUEST_PDPTE0 + 2 * i, pae_pdpt()[i]);
	}
	vmw(VMCS_GUEST_CR3, page(7));
	vmw_clear(VMCS_GUEST_CR4, CR4_PCIDE);
}
static void v86(void)
{
	guest32();
	vmw(VMCS_GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_VM);
	uint32_t sels[] = { VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_SS_SELECTOR,
			    VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_GS_SELECTOR };
	for (int i = 0; i < 6; i++)
		seg(sels[i], 0x1000, 0x10000, 0xffff, 0xF3);
}
static void ldtr_usable(void) { seg(VMCS_GUEST_LDTR_SELECTOR, SEL_SPARE, 0, 0xffff, AR_LDT); }

/* --- the corruptions --------------------------------------------------- */
static void g1(void) { vmw_clear(VMCS_GUEST_CR0, CR0_NE); }
static void g1pg(void) { vmw_clear(VMCS_GUEST_CR0, CR0_PG); }
static void g2(void) { vmw_or(VMCS_GUEST_CR0, lowest64(~caps.cr0_fixed1)); }
static void g3(void) { vmw_clear(VMCS_GUEST_CR0, CR0_PE); }
static void g4(void) { vmw_or(VMCS_GUEST_CR4, 1ull << 23); vmw_clear(VMCS_GUEST_CR0, CR0_WP); }
static void g5(void) { vmw_clear(VMCS_GUEST_CR4, CR4_VMXE); }
static void g6(void) { vmw_or(VMCS_GUEST_CR4, lowest64(~caps.cr4_fixed1)); }
static void g7(void) { vmw_or(VMCS_ENTRY_CONTROLS, ENTRY_LOAD_DEBUG); vmw(VMCS_GUEST_IA32_DEBUGCTL, 1 << 2); }
static void g8(void) { vmw_clear(VMCS_GUEST_CR0, CR0_PG); }
static void g9(void) { vmw_clear(VMCS_GUEST_CR4, CR4_PAE); }
static void g10(void) { guest32(); vmw_or(VMCS_GUEST_CR4, CR4_PCIDE); }
static void g11(void) { vmw_or(VMCS_GUEST_CR3, 1ull << caps.maxphyaddr); }
static void g12(void) { vmw_or(VMCS_ENTRY_CONTROLS, ENTRY_LOAD_DEBUG); vmw(VMCS_GUEST_DR7, 1ull << 32 | 0x400); }
static void g13(void) { vmw(VMCS_GUEST_IA32_SYSENTER_ESP, NOT_CANONICAL); }
static void g14(void) { vmw(VMCS_GUEST_IA32_SYSENTER_EIP, NOT_CANONICAL); }
static void g15(void) { vmw_or(VMCS_ENTRY_CONTROLS, 1u << 20); vmw(VMCS_GUEST_IA32_S_CET, NOT_CANONICAL); }
static void g16(void) { vmw_or(VMCS_ENTRY_CONTROLS, ENTRY_LOAD_PERF); vmw(VMCS_GUEST_IA32_PERF_GLOBAL_CTRL, 1ull << 40); }
static void g17(void)
{
	vmw_or(VMCS_ENTRY_CONTROLS, ENTRY_LOAD_PAT);
	vmw(VMCS_GUEST_IA32_PAT, (vmr(VMCS_GUEST_IA32_PAT) & ~0xff00ull) | 3 << 8);
}
static void g18(void) { vmw_or(VMCS_ENTRY_CONTROLS, ENTRY_LOAD_EFER); vmw_or(VMCS_GUEST_IA32_EFER, 1 << 1); }
static void g19(void) { vmw_or(VMCS_ENTRY_CONTROLS, ENTRY_LOAD_EFER); vmw_clear(VMCS_GUEST_IA32_EFER, EFER_LMA); }
static void g20(void) { vmw_or(VMCS_ENTRY_CONTROLS, ENTRY_LOAD_EFER); vmw_clear(VMCS_GUEST_IA32_EFER, EFER_LME); }
static void g21(void) { vmw_or(VMCS_ENTRY_CONTROLS, 1u << 16); vmw(VMCS_GUEST_IA32_BNDCFGS, 1 << 2); }
static void g22(void) { vmw_or(VMCS_ENTRY_CONTROLS, 1u << 18); vmw(VMCS_GUEST_IA32_RTIT_CTL, 1ull << 63); }
static void g23(void) { vmw_or(VMCS_ENTRY_CONTROLS, 1u << 22); vmw(VMCS_GUEST_IA32_PKRS, 1ull << 32); }
static void g24(void) { vmw(VMCS_GUEST_TR_SELECTOR, SEL_TSS | 4); }
static void g25(void) { ldtr_usable(); vmw(VMCS_GUEST_LDTR_SELECTOR, SEL_SPARE | 4); }
static void g26(void) { vmw(VMCS_GUEST_SS_SELECTOR, SEL_KDATA | 3); }
static void g27(void) { v86(); vmw(VMCS_GUEST_CS_BASE, 0x10010); }
static void g28(void) { vmw(VMCS_GUEST_TR_BASE, NOT_CANONICAL); }
static void g29(void) { vmw(VMCS_GUEST_FS_BASE, NOT_CANONICAL); }
static void g30(void) { vmw(VMCS_GUEST_GS_BASE, NOT_CANONICAL); }
static void g31(void) { ldtr_usable(); vmw(VMCS_GUEST_LDTR_BASE, NOT_CANONICAL); }
static void g32(void) { vmw(VMCS_GUEST_CS_BASE, 1ull << 32); }
static void g33(void) { vmw(VMCS_GUEST_DS_BASE, 1ull << 32); }
static void g34(void) { v86(); vmw(VMCS_GUEST_DS_LIMIT, 0xfffe); }
static void g35(void) { v86(); vmw(VMCS_GUEST_ES_AR_BYTES, 0xF2); }
static void g36(void) { vmw(VMCS_GUEST_CS_AR_BYTES, 0xA09A); }
static void g37(void) { vmw(VMCS_GUEST_SS_AR_BYTES, 0xC091); }
static void g38(void) { vmw(VMCS_GUEST_DS_AR_BYTES, 0xC092); }
static void g39(void) { vmw(VMCS_GUEST_DS_AR_BYTES, 0xC099); }
static void g40(void) { vmw(VMCS_GUEST_DS_AR_BYTES, 0xC083); }
static void g41(void) { vmw(VMCS_GUEST_CS_AR_BYTES, 0xA0F3); }
static void g42(void) { vmw(VMCS_GUEST_CS_AR_BYTES, 0xA0FB); }
static void g43(void) { vmw(VMCS_GUEST_CS_AR_BYTES, 0xA0FF); }
static void g44(void) { vmw(VMCS_GUEST_CS_SELECTOR, SEL_KCODE64 | 3); vmw(VMCS_GUEST_SS_SELECTOR, SEL_KDATA | 3); }
static void g45(void) { vmw(VMCS_GUEST_CS_AR_BYTES, 0xA093); vmw(VMCS_GUEST_SS_AR_BYTES, 0xC0F3); }
static void g46(void) { vmw(VMCS_GUEST_DS_SELECTOR, SEL_KDATA | 3); }
static void g47(void) { vmw(VMCS_GUEST_DS_AR_BYTES, 0xC013); }
static void g48(void) { vmw_or(VMCS_GUEST_DS_AR_BYTES, 1 << 8); }
static void g49(void) { vmw(VMCS_GUEST_CS_AR_BYTES, 0xE09B); }
static void g50(void) { vmw(VMCS_GUEST_CS_AR_BYTES, 0x209B); }
static void g51(void) { vmw_or(VMCS_GUEST_DS_AR_BYTES, 1 << 17); }
static void g52(void) { vmw(VMCS_GUEST_TR_AR_BYTES, 0x89); }
static void g52b(void) { vmw(VMCS_GUEST_TR_AR_BYTES, 0x83); }
static void g53(void) { vmw(VMCS_GUEST_TR_AR_BYTES, 0x9B); }
static void g54(void) { vmw(VMCS_GUEST_TR_AR_BYTES, 0x0B); }
static void g55(void) { vmw_or(VMCS_GUEST_TR_AR_BYTES, 1 << 8); }
static void g56(void) { vmw(VMCS_GUEST_TR_AR_BYTES, 0x808B); }
static void g57(void) { vmw(VMCS_GUEST_TR_AR_BYTES, 0x1008B); }
static void g58(void) { vmw_or(VMCS_GUEST_TR_AR_BYTES, 1 << 17); }
static void g59(void) { ldtr_usable(); vmw(VMCS_GUEST_LDTR_AR_BYTES, 0x83); }
static void g60(void) { ldtr_usable(); vmw(VMCS_GUEST_LDTR_AR_BYTES, 0x92); }
static void g61(void) { ldtr_usable(); vmw(VMCS_GUEST_LDTR_AR_BYTES, 0x02); }
static void g62(void) { ldtr_usable(); vmw(VMCS_GUEST_LDTR_AR_BYTES, 0x182); }
static void g63(void) { ldtr_usable(); vmw(VMCS_GUEST_LDTR_LIMIT, 0x00ffffff); }
static void g64(void) { ldtr_usable(); vmw(VMCS_GUEST_LDTR_AR_BYTES, 0x20082); }
static void g65(void) { vmw_or(VMCS_GUEST_GDTR_BASE, NOT_CANONICAL); }
static void g66(void) { vmw_or(VMCS_GUEST_IDTR_BASE, NOT_CANONICAL); }
static void g67(void) { vmw(VMCS_GUEST_GDTR_LIMIT, 0x10000); }
static void g68(void) { vmw(VMCS_GUEST_IDTR_LIMIT, 0x10000); }
static void g69(void) { vmw(VMCS_GUEST_CS_AR_BYTES, 0xC09B); vmw_or(VMCS_GUEST_RIP, 1ull << 32); }
static void g69b(void) { guest32(); vmw_or(VMCS_GUEST_RIP, 1ull << 32); }
static void g70(void) { vmw(VMCS_GUEST_RIP, NOT_CANONICAL | vmr(VMCS_GUEST_RIP)); }
static void g71(void) { vmw_or(VMCS_GUEST_RFLAGS, 1 << 3); }
static void g71b(void) { vmw_or(VMCS_GUEST_RFLAGS, 1ull << 22); }
static void g72(void) { vmw(VMCS_GUEST_RFLAGS, 0); }
/* RFLAGS.VM with IA32E = 1: the segments are made virtual-8086-valid
 * first, or GUEST-27/34/35 (checked earlier) would fail instead. */
static void g73(void)
{
	uint32_t sels[] = { VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_SS_SELECTOR,
			    VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_GS_SELECTOR };
	for (int i = 0; i < 6; i++)
		seg(sels[i], 0x1000, 0x10000, 0xffff, 0xF3);
	vmw_or(VMCS_GUEST_RFLAGS, RFLAGS_VM);
}
static void inject(uint32_t info) { vmw(VMCS_ENTRY_INTR_INFO, INTR_VALID | info); }
static void if_on(void) { vmw_or(VMCS_GUEST_RFLAGS, RFLAGS_IF); }
static void g74(void) { inject(INTR_TYPE(0) | 0x20); }
static void g75(void) { vmw(VMCS_GUEST_ACTIVITY_STATE, 4); }
static void g76(void)
{
	vmw(VMCS_GUEST_CS_AR_BYTES, 0xA0FB);
	vmw(VMCS_GUEST_SS_AR_BYTES, 0xC0F3);
	vmw(VMCS_GUEST_ACTIVITY_STATE, 1);
}
static void g77(void) { if_on(); vmw(VMCS_GUEST_INTERRUPTIBILITY, 1); vmw(VMCS_GUEST_ACTIVITY_STATE, 1); }
static void g78(void) { vmw(VMCS_GUEST_ACTIVITY_STATE, 1); inject(INTR_TYPE(3) | INTR_ERRCODE | EXC_GP); }
static void g78b(void) { if_on(); vmw(VMCS_GUEST_ACTIVITY_STATE, 2); inject(INTR_TYPE(0) | 0x20); }
static void g80(void) { vmw(VMCS_GUEST_INTERRUPTIBILITY, 1 << 5); }
static void g81(void) { if_on(); vmw(VMCS_GUEST_INTERRUPTIBILITY, 3); }
static void g82(void) { vmw(VMCS_GUEST_INTERRUPTIBILITY, 1); }
static void g83(void) { if_on(); vmw(VMCS_GUEST_INTERRUPTIBILITY, 2); inject(INTR_TYPE(0) | 0x20); }
static void g84(void) { vmw(VMCS_GUEST_INTERRUPTIBILITY, 2); inject(INTR_TYPE(2) | 2); }
static void g85(void) { if_on(); vmw(VMCS_GUEST_INTERRUPTIBILITY, 1); inject(INTR_TYPE(2) | 2); }
static void g86(void) { vmw(VMCS_GUEST_INTERRUPTIBILITY, 1 << 2); }
static void g88(void)
{
	vmw_or(VMCS_PIN_CONTROLS, PIN_NMI | PIN_VNMI);
	vmw(VMCS_GUEST_INTERRUPTIBILITY, 1 << 3);
	inject(INTR_TYPE(2) | 2);
}
static void g89(void) { vmw(VMCS_GUEST_INTERRUPTIBILITY, 1 << 4 | 2); }
static void g90(void) { vmw(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 1 << 4); }
static void g91(void)
{
	vmw_or(VMCS_GUEST_RFLAGS, RFLAGS_IF | RFLAGS_TF);
	vmw(VMCS_GUEST_INTERRUPTIBILITY, 1);
}
static void g92(void)
{
	if_on();
	vmw(VMCS_GUEST_INTERRUPTIBILITY, 1);
	vmw(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 1 << 14);
}
static void g93(void) { vmw(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 1 << 16 | 1 << 12 | 1); }
static void link_page(uint32_t rev)
{
	*(uint32_t *)scratch_pages[3] = rev;
	vmw(VMCS_VMCS_LINK_POINTER, page(3));
}
static void g94(void) { link_page(caps.revision); vmw(VMCS_VMCS_LINK_POINTER, page(3) + 8); }
static void g95(void) { link_page(caps.revision); vmw(VMCS_VMCS_LINK_POINTER, page(3) | 1ull << caps.maxphyaddr); }
static void g96(void) { link_page(caps.revision ^ 1); }
static void g97(void) { link_page(caps.revision | 1u << 31); }
static void g98(void) { vmw(VMCS_VMCS_LINK_POINTER, (uintptr_t)vmcs_region); }
static void g100(void) { guest32(); vmw(VMCS_GUEST_PDPTE0, pae_pdpt()[0] | 1 << 1); }
static void g101(void)
{
	vmw_clear(VMCS_PROC2_CONTROLS, PROC2_EPT);
	guest32();
	pae_pdpt()[0] |= 1 << 1;
}

/* VM-entry MSR-load area: entry 1 is fine (IA32_SYSENTER_CS <- its value),
 * entry 2 breaks the rule, so the qualification is 2. */
struct msr_entry {
	uint32_t index, reserved;
	uint64_t value;
};
static struct msr_entry *msr_list(void) { return (struct msr_entry *)scratch_pages[6]; }
static void msr_load(uint32_t index, uint32_t reserved, uint64_t value)
{
	msr_list()[0] = (struct msr_entry){ MSR_IA32_SYSENTER_CS, 0, rdmsr(MSR_IA32_SYSENTER_CS) };
	msr_list()[1] = (struct msr_entry){ index, reserved, value };
	vmw(VMCS_ENTRY_MSR_LOAD_ADDR, page(6));
	vmw(VMCS_ENTRY_MSR_LOAD_COUNT, 2);
}
static void m1(void) { msr_load(MSR_IA32_SYSENTER_CS, 1, 0); }
static void m2(void) { msr_load(MSR_IA32_FS_BASE, 0, 0); }
static void m2b(void) { msr_load(MSR_IA32_GS_BASE, 0, 0); }
static void m3(void) { msr_load(0x9B, 0, 0); }
static void m4(void) { msr_load(0x808, 0, 0); }
static void m5(void) { msr_load(0x79, 0, 0); }
static void m5b(void) { msr_load(0x8B, 0, 0); }
static void m6(void) { msr_load(MSR_IA32_EFER, 0, rdmsr(MSR_IA32_EFER) | 1 << 1); }
static void m6b(void) { msr_load(0x4b564d99, 0, 0); }

static bool x2apic_on;
static void enable_x2apic(void *p)
{
	(void)p;
	uint64_t b = rdmsr(MSR_IA32_APIC_BASE);
	wrmsr(MSR_IA32_APIC_BASE, b | 1 << 11 | 1 << 10);
}
static const char *no_x2apic_mode(void)
{
	return x2apic_on ? 0 : "cannot enter x2APIC mode (CPUID.1:ECX[21] or IA32_APIC_BASE write)";
}

#define D GOOD_DEFAULT
#define U (GOOD_UG | GOOD_VPID)
static const struct entry_case cases[] = {
	{ "GUEST-1", "guest CR0.NE = 0", D, g1, FAIL33(0), 0 },
	{ "GUEST-1", "guest CR0.PG = 0 without unrestricted guest", D, g1pg, FAIL33(0), 0 },
	{ "GUEST-2", "guest CR0 bit outside CR0_FIXED1", D, g2, FAIL33(0), no_cr0_fixed1 },
	{ "GUEST-3", "unrestricted guest with CR0.PG = 1, PE = 0", U, g3, FAIL33(0), no_ug },
	{ "GUEST-4", "guest CR4.CET without CR0.WP", D, g4, FAIL33(0), no_cet },
	{ "GUEST-5", "guest CR4.VMXE = 0", D, g5, FAIL33(0), 0 },
	{ "GUEST-6", "guest CR4 bit outside CR4_FIXED1", D, g6, FAIL33(0), no_cr4_fixed1 },
	{ "GUEST-7", "guest DEBUGCTL reserved bit 2", D, g7, FAIL33(0), no_dbg },
	{ "GUEST-8", "IA-32e guest with CR0.PG = 0 (unrestricted)", U, g8, FAIL33(0), no_ug },
	{ "GUEST-9", "IA-32e guest with CR4.PAE = 0", D, g9, FAIL33(0), 0 },
	{ "GUEST-10", "32-bit guest with CR4.PCIDE = 1", D, g10, FAIL33(0), no_pcide },
	{ "GUEST-11", "guest CR3 bit MAXPHYADDR", D, g11, FAIL33(0), 0 },
	{ "GUEST-12", "guest DR7 bit 32", D, g12, FAIL33(0), no_dbg },
	{ "GUEST-13", "guest SYSENTER_ESP not canonical", D, g13, FAIL33(0), 0 },
	{ "GUEST-14", "guest SYSENTER_EIP not canonical", D, g14, FAIL33(0), 0 },
	{ "GUEST-15", "guest S_CET not canonical", D, g15, FAIL33(0), no_entry20 },
	{ "GUEST-16", "guest PERF_GLOBAL_CTRL reserved bit 40", D, g16, FAIL33(0), no_perf },
	{ "GUEST-17", "guest PAT entry 1 = 3", D, g17, FAIL33(0), no_pat },
	{ "GUEST-18", "guest EFER reserved bit 1", D, g18, FAIL33(0), no_efer },
	{ "GUEST-19", "guest EFER.LMA = 0 with IA-32e mode guest", D, g19, FAIL33(0), no_efer },
	{ "GUEST-20", "guest EFER.LME = 0 with IA-32e mode guest and CR0.PG", D, g20, FAIL33(0), no_efer },
	{ "GUEST-21", "guest BNDCFGS reserved bit 2", D, g21, FAIL33(0), no_entry16 },
	{ "GUEST-22", "guest RTIT_CTL reserved bit 63", D, g22, FAIL33(0), no_entry18 },
	{ "GUEST-23", "guest PKRS bit 32", D, g23, FAIL33(0), no_entry22 },
	{ "GUEST-24", "guest TR selector TI = 1", D, g24, FAIL33(0), 0 },
	{ "GUEST-25", "usable LDTR selector TI = 1", D, g25, FAIL33(0), 0 },
	{ "GUEST-26", "SS.RPL 3 != CS.RPL 0", D, g26, FAIL33(0), 0 },
	{ "GUEST-27", "virtual-8086 CS base != selector * 16", D, g27, FAIL33(0), 0 },
	{ "GUEST-28", "TR base not canonical", D, g28, FAIL33(0), 0 },
	{ "GUEST-29", "FS base not canonical", D, g29, FAIL33(0), 0 },
	{ "GUEST-30", "GS base not canonical", D, g30, FAIL33(0), 0 },
	{ "GUEST-31", "usable LDTR base not canonical", D, g31, FAIL33(0), 0 },
	{ "GUEST-32", "CS base bit 32", D, g32, FAIL33(0), 0 },
	{ "GUEST-33", "usable DS base bit 32", D, g33, FAIL33(0), 0 },
	{ "GUEST-34", "virtual-8086 DS limit 0xFFFE", D, g34, FAIL33(0), 0 },
	{ "GUEST-35", "virtual-8086 ES access rights 0xF2", D, g35, FAIL33(0), 0 },
	{ "GUEST-36", "CS type 10 (not accessed)", D, g36, FAIL33(0), 0 },
	{ "GUEST-37", "SS type 1 (read-only)", D, g37, FAIL33(0), 0 },
	{ "GUEST-38", "DS type 2 (not accessed)", D, g38, FAIL33(0), 0 },
	{ "GUEST-39", "DS type 9 (execute-only code)", D, g39, FAIL33(0), 0 },
	{ "GUEST-40", "DS with S = 0", D, g40, FAIL33(0), 0 },
	{ "GUEST-41", "unrestricted guest CS type 3 with DPL 3", U, g41, FAIL33(0), no_ug },
	{ "GUEST-42", "non-conforming CS.DPL 3 != SS.DPL 0", D, g42, FAIL33(0), 0 },
	{ "GUEST-43", "conforming CS.DPL 3 > SS.DPL 0", D, g43, FAIL33(0), 0 },
	{ "GUEST-44", "SS.DPL 0 != SS.RPL 3", D, g44, FAIL33(0), 0 },
	{ "GUEST-45", "unrestricted guest CS type 3 with SS.DPL 3", U, g45, FAIL33(0), no_ug },
	{ "GUEST-46", "DS.DPL 0 < DS.RPL 3", D, g46, FAIL33(0), 0 },
	{ "GUEST-47", "usable DS not present", D, g47, FAIL33(0), 0 },
	{ "GUEST-48", "DS access-rights bit 8", D, g48, FAIL33(0), ar_ds_8 },
	{ "GUEST-49", "64-bit CS with D/B = 1", D, g49, FAIL33(0), 0 },
	{ "GUEST-50", "CS limit 0xFFFFFFFF with G = 0", D, g50, FAIL33(0), 0 },
	{ "GUEST-51", "DS access-rights bit 17", D, g51, FAIL33(0), ar_ds_17 },
	{ "GUEST-52", "TR type 9 (available TSS)", D, g52, FAIL33(0), 0 },
	{ "GUEST-52", "TR type 3 (16-bit TSS) with IA-32e mode guest", D, g52b, FAIL33(0), 0 },
	{ "GUEST-53", "TR with S = 1", D, g53, FAIL33(0), 0 },
	{ "GUEST-54", "TR not present", D, g54, FAIL33(0), 0 },
	{ "GUEST-55", "TR access-rights bit 8", D, g55, FAIL33(0), ar_tr_8 },
	{ "GUEST-56", "TR limit 0x67 with G = 1", D, g56, FAIL33(0), 0 },
	{ "GUEST-57", "TR unusable", D, g57, FAIL33(0), 0 },
	{ "GUEST-58", "TR access-rights bit 17", D, g58, FAIL33(0), ar_tr_17 },
	{ "GUEST-59", "usable LDTR type 3", D, g59, FAIL33(0), 0 },
	{ "GUEST-60", "usable LDTR with S = 1", D, g60, FAIL33(0), 0 },
	{ "GUEST-61", "usable LDTR not present", D, g61, FAIL33(0), 0 },
	{ "GUEST-62", "LDTR access-rights bit 8", D, g62, FAIL33(0), ar_ldtr_8 },
	{ "GUEST-63", "LDTR limit 0x00FFFFFF with G = 0", D, g63, FAIL33(0), 0 },
	{ "GUEST-64", "LDTR access-rights bit 17", D, g64, FAIL33(0), ar_ldtr_17 },
	{ "GUEST-65", "GDTR base not canonical", D, g65, FAIL33(0), 0 },
	{ "GUEST-66", "IDTR base not canonical", D, g66, FAIL33(0), 0 },
	{ "GUEST-67", "GDTR limit 0x10000", D, g67, FAIL33(0), 0 },
	{ "GUEST-68", "IDTR limit 0x10000", D, g68, FAIL33(0), 0 },
	{ "GUEST-69", "compatibility-mode guest (CS.L = 0) with RIP bit 32", D, g69, FAIL33(0), 0 },
	{ "GUEST-69", "32-bit guest with RIP bit 32", D, g69b, FAIL33(0), 0 },
	{ "GUEST-70", "64-bit guest RIP not canonical", D, g70, FAIL33(0), 0 },
	{ "GUEST-71", "RFLAGS bit 3", D, g71, FAIL33(0), 0 },
	{ "GUEST-71", "RFLAGS bit 22", D, g71b, FAIL33(0), 0 },
	{ "GUEST-72", "RFLAGS bit 1 = 0", D, g72, FAIL33(0), 0 },
	{ "GUEST-73", "RFLAGS.VM with IA-32e mode guest", D, g73, FAIL33(0), 0 },
	{ "GUEST-74", "external interrupt injected with RFLAGS.IF = 0", D, g74, FAIL33(0), 0 },
	{ "GUEST-75", "activity state 4", D, g75, FAIL33(0), 0 },
	{ "GUEST-76", "HLT activity with SS.DPL 3 (unrestricted guest)", U, g76, FAIL33(0), no_hlt_ug },
	{ "GUEST-77", "HLT activity with STI blocking", D, g77, FAIL33(0), no_hlt },
	{ "GUEST-78", "HLT activity with an injected #GP", D, g78, FAIL33(0), no_hlt },
	{ "GUEST-78", "shutdown activity with an injected external interrupt", D, g78b, FAIL33(0), no_shutdown },
	{ "GUEST-80", "interruptibility bit 5", D, g80, FAIL33(0), 0 },
	{ "GUEST-81", "STI and MOV-SS blocking together", D, g81, FAIL33(0), 0 },
	{ "GUEST-82", "STI blocking with RFLAGS.IF = 0", D, g82, FAIL33(0), 0 },
	{ "GUEST-83", "external interrupt injected with MOV-SS blocking", D, g83, FAIL33(0), 0 },
	{ "GUEST-84", "NMI injected with MOV-SS blocking", D, g84, FAIL33(0), 0 },
	{ "GUEST-85", "NMI injected with STI blocking (model-specific; spec default)", D, g85, FAIL33(3), 0 },
	{ "GUEST-86", "SMI blocking outside SMM", D, g86, FAIL33(0), 0 },
	{ "GUEST-88", "virtual-NMI blocking with an injected NMI", D, g88, FAIL33(0), no_vnmi },
	{ "GUEST-89", "enclave interruption with MOV-SS blocking", D, g89, FAIL33(0), no_sgx },
	{ "GUEST-90", "pending debug exceptions bit 4", D, g90, FAIL33(0), 0 },
	{ "GUEST-91", "STI blocking, TF = 1, BS = 0", D, g91, FAIL33(0), 0 },
	{ "GUEST-92", "STI blocking, TF = 0, BS = 1", D, g92, FAIL33(0), 0 },
	{ "GUEST-93", "pending RTM debug exception", D, g93, FAIL33(0), no_rtm },
	{ "GUEST-94", "VMCS link pointer not 4K-aligned", D, g94, FAIL33(4), 0 },
	{ "GUEST-95", "VMCS link pointer bit MAXPHYADDR", D, g95, FAIL33(4), 0 },
	{ "GUEST-96", "VMCS link pointer to a wrong revision", D, g96, FAIL33(4), 0 },
	{ "GUEST-97", "VMCS link pointer to a shadow VMCS without VMCS shadowing", D, g97, FAIL33(4), no_shadow },
	{ "GUEST-98", "VMCS link pointer = current VMCS", D, g98, FAIL33(4), 0 },
	{ "GUEST-100", "PAE guest with EPT: PDPTE0 reserved bit 1", D, g100, FAIL33(2), no_ept },
	{ "GUEST-101", "PAE guest without EPT: in-memory PDPTE0 reserved bit 1", D, g101, FAIL33(2), 0 },
	{ "MSR-1", "MSR-load entry 2 with reserved bytes 7:4 = 1", D, m1, FAIL34(2), 0 },
	{ "MSR-2", "MSR-load entry 2 is IA32_FS_BASE", D, m2, FAIL34(2), 0 },
	{ "MSR-2", "MSR-load entry 2 is IA32_GS_BASE", D, m2b, FAIL34(2), 0 },
	{ "MSR-3", "MSR-load entry 2 is IA32_SMM_MONITOR_CTL", D, m3, FAIL34(2), 0 },
	{ "MSR-4", "MSR-load entry 2 is x2APIC TPR (0x808) in x2APIC mode", D, m4, FAIL34(2), no_x2apic_mode },
	{ "MSR-5", "MSR-load entry 2 is IA32_BIOS_UPDT_TRIG", D, m5, FAIL34(2), 0 },
	{ "MSR-5", "MSR-load entry 2 is IA32_BIOS_SIGN_ID", D, m5b, FAIL34(2), 0 },
	{ "MSR-6", "MSR-load entry 2 writes EFER reserved bit 1", D, m6, FAIL34(2), 0 },
	{ "MSR-6", "MSR-load entry 2 writes an unknown MSR", D, m6b, FAIL34(2), 0 },
};

int main(void)
{
	struct trap_info t;
	tap_plan(8 + (int)ARRAY_SIZE(cases));
	vmx_test_init();
	check_good(GOOD_DEFAULT, "64-bit guest");
	check_good(GOOD_UG | GOOD_VPID, "unrestricted guest");
	/* The variants the corruptions start from enter too. */
	vmcs_good(GOOD_DEFAULT, 0);
	guest32();
	struct entry_result r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "32-bit PAE guest with EPT enters and exits by VMCALL (reason 0x%x)", r.reason);
	vmcs_good(GOOD_DEFAULT, 0);
	ldtr_usable();
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "guest with a usable LDTR enters and exits by VMCALL (reason 0x%x)", r.reason);

	run_entry_cases(cases, (int)ARRAY_SIZE(cases) - 9);
	/* MSR-load cases; MSR-4 needs x2APIC mode on the CPU. */
	if (cpu_has(1, 'c', 21) && trap_try(enable_x2apic, 0, &t) < 0)
		x2apic_on = rdmsr(MSR_IA32_APIC_BASE) >> 10 & 1;
	run_entry_cases(&cases[ARRAY_SIZE(cases) - 9], 9);

	/* What a VM-entry failure leaves behind (vm-entry-checks.md §8). */
	vmcs_good(GOOD_DEFAULT, 0);
	g74();
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 0x80000021 && (uint32_t)vmr(VMCS_ENTRY_INTR_INFO) >> 31,
	       "entry failure keeps the VM-entry interruption-information valid bit");
	tap_ok(vm_failed_valid(vmresume_flags(0), 5), "entry failure leaves the launch state clear (VMRESUME -> 5)");
	vmw(VMCS_ENTRY_INTR_INFO, 0);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "after fixing the field, VMLAUNCH of the same VMCS enters (exit 0x%x)", r.reason);
	/* MSR loading has no rollback: entry 1 (IA32_STAR, which host-state
	 * loading does not touch) stays loaded when entry 2 fails. */
	uint64_t star = rdmsr(MSR_IA32_STAR);
	vmcs_good(GOOD_DEFAULT, 0);
	m2();
	msr_list()[0] = (struct msr_entry){ MSR_IA32_STAR, 0, 0x0023001000000000ull };
	r = vmx_enter(false);
	uint64_t now = rdmsr(MSR_IA32_STAR);
	wrmsr(MSR_IA32_STAR, star);
	tap_ok(r.exited && r.reason == 0x80000022 && r.qual == 2 && now == 0x0023001000000000ull,
	       "MSR-load entry 1 stays loaded when entry 2 fails (exit 0x%x qual %lu, STAR 0x%lx)", r.reason, r.qual, now);
	return tap_done();
}
