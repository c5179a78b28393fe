/* VM-entry checks on the VMX controls (SDM Vol. 3C §26.2.1;
 * shared/spec/vm-entry-checks.md §2): each case corrupts one rule of the
 * known-good VMCS and expects VMfailValid(7), "VM entry with invalid
 * control field(s)". */
#include "vmcs_good.h"

#define VMFAIL7 X_VMFAIL_VALID, 7, 0

static uint32_t lowest(uint32_t m) { return m & -m; }
static uint64_t out_of_range(void) { return 1ull << caps.maxphyaddr; }
static uint64_t page(int i) { return (uintptr_t)scratch_pages[i]; }

/* --- applicability: NULL = testable, else the reason it is not ------- */
static const char *no_pin_a0(void) { return allowed0(caps.pin) ? 0 : "pin-based allowed-0 is 0"; }
static const char *no_pin_a1(void) { return ~allowed1(caps.pin) ? 0 : "pin-based allowed-1 is all ones"; }
static const char *no_proc_a0(void) { return allowed0(caps.proc) ? 0 : "primary allowed-0 is 0"; }
static const char *no_proc_a1(void) { return ~allowed1(caps.proc) ? 0 : "primary allowed-1 is all ones"; }
static const char *no_proc2_a0(void) { return allowed0(caps.proc2) ? 0 : "[profile] secondary allowed-0 is 0: no secondary control is forced on"; }
static const char *no_proc2_a1(void)
{
	return can_set(caps.proc, PROC_SECONDARY) && ~allowed1(caps.proc2) ? 0 : "secondary controls unavailable or all allowed";
}
static const char *no_exit_a0(void) { return allowed0(caps.exit) & ~EXIT_HASS ? 0 : "exit allowed-0 is 0"; }
static const char *no_exit_a1(void) { return ~allowed1(caps.exit) ? 0 : "exit allowed-1 is all ones"; }
static const char *no_entry_a0(void) { return allowed0(caps.entry) ? 0 : "entry allowed-0 is 0"; }
static const char *no_entry_a1(void) { return ~allowed1(caps.entry) ? 0 : "entry allowed-1 is all ones"; }
static const char *no_tert(void) { return can_set(caps.proc, 1u << 17) ? 0 : "[opt] tertiary controls not supported"; }
static const char *no_iobm(void) { return can_set(caps.proc, PROC_IO_BITMAPS) ? 0 : "no I/O bitmaps"; }
static const char *no_msrbm(void) { return can_set(caps.proc, PROC_MSR_BITMAPS) ? 0 : "no MSR bitmaps"; }
static const char *no_tpr(void) { return can_set(caps.proc, PROC_TPR_SHADOW) ? 0 : "no TPR shadow"; }
static const char *no_x2apic(void) { return has_proc2(PROC2_X2APIC) ? 0 : "no virtualize-x2APIC"; }
static const char *no_vnmi(void) { return can_set(caps.pin, PIN_VNMI) ? 0 : "no virtual NMIs"; }
static const char *no_nmiwin(void) { return can_set(caps.proc, PROC_NMIWIN) ? 0 : "no NMI-window exiting"; }
static const char *no_vapic(void) { return has_proc2(PROC2_VAPIC) ? 0 : "no APIC-access virtualization"; }
static const char *no_x2_vapic(void) { return has_proc2(PROC2_VAPIC | PROC2_X2APIC) && can_set(caps.proc, PROC_TPR_SHADOW) ? 0 : "no x2APIC/APIC-access virtualization"; }
static const char *no_vid(void) { return has_proc2(PROC2_VID) && can_set(caps.proc, PROC_TPR_SHADOW) ? 0 : "no virtual-interrupt delivery"; }
static const char *no_posted(void)
{
	return can_set(caps.pin, PIN_POSTED | PIN_EXTINT) && has_proc2(PROC2_VID) &&
	       can_set(caps.exit, EXIT_ACK_INTR) && can_set(caps.proc, PROC_TPR_SHADOW) ? 0 : "no posted interrupts";
}
static const char *no_vpid(void) { return has_proc2(PROC2_VPID) ? 0 : "no VPID"; }
static const char *no_ept(void) { return has_proc2(PROC2_EPT) ? 0 : "no EPT"; }
static const char *no_ept_ad_off(void) { return no_ept() ? no_ept() : caps.ept_vpid >> 21 & 1 ? "[profile] EPT A/D supported (CAP[21] = 1): EPTP bit 6 is legal" : 0; }
static const char *no_ept_sss_off(void) { return no_ept() ? no_ept() : caps.ept_vpid >> 23 & 1 ? "supervisor shadow-stack control supported" : 0; }
/* Clearing "enable EPT" fails CTL-5 first where allowed-0 forces it on. */
static const char *ept_forced(void)
{
	return allowed0(caps.proc2) & PROC2_EPT ? "EPT forced on by allowed-0: clearing it fails CTL-5 first" : 0;
}
static const char *no_pml(void) { return has_proc2(PROC2_PML | PROC2_EPT) ? 0 : "no PML"; }
static const char *no_pml_noept(void) { return no_pml() ? no_pml() : ept_forced(); }
static const char *no_ug(void) { return has_proc2(PROC2_UG) ? ept_forced() : "no unrestricted guest"; }
static const char *no_mbe(void) { return has_proc2(PROC2_MBE) ? ept_forced() : "no mode-based execute control"; }
static const char *no_spp(void) { return has_proc2(1u << 23) ? 0 : "[opt] sub-page write permissions not supported"; }
static const char *no_vmfunc(void) { return has_proc2(PROC2_VMFUNC | PROC2_EPT) && (caps.vmfunc & 1) ? 0 : "no VM functions"; }
static const char *no_vmfunc_noept(void) { return no_vmfunc() ? no_vmfunc() : ept_forced(); }
static const char *no_vmfunc_bad(void) { return no_vmfunc() ? no_vmfunc() : ~caps.vmfunc ? 0 : "all VM functions allowed"; }
static const char *no_shadow(void) { return has_proc2(PROC2_SHADOW) ? 0 : "no VMCS shadowing"; }
static const char *no_ve(void) { return has_proc2(PROC2_VE | PROC2_EPT) ? 0 : "no EPT-violation #VE"; }
static const char *no_pt_gpa(void) { return has_proc2(1u << 24) ? 0 : "[opt] Intel PT using guest-physical addresses not supported"; }
static const char *no_exit2(void) { return can_set(caps.exit, 1u << 31) ? 0 : "[opt] secondary exit controls not supported"; }
static const char *no_timer(void) { return can_set(caps.exit, EXIT_SAVE_TIMER) ? 0 : "no save-preemption-timer control"; }
static const char *no_smm_bit(void) { return can_set(caps.entry, ENTRY_SMM) ? 0 : "entry-to-SMM control cannot be 1"; }
static const char *no_dual_bit(void) { return can_set(caps.entry, ENTRY_DEACT_DUAL) ? 0 : "deactivate-dual-monitor control cannot be 1"; }
static const char *no_errcode_strict(void) { return caps.basic >> 56 & 1 ? "IA32_VMX_BASIC[56] = 1 relaxes the error-code rule" : 0; }

/* --- helpers that enable one feature validly ----------------------- */
static void set_proc2(uint32_t bits) { vmw_or(VMCS_PROC2_CONTROLS, bits); }
static void clear_proc2(uint32_t bits) { vmw_clear(VMCS_PROC2_CONTROLS, bits); }
static void tpr_shadow_on(void)
{
	scratch_pages[0][0x80] = 0;      /* VTPR = 0 */
	vmw_or(VMCS_PROC_CONTROLS, PROC_TPR_SHADOW);
	vmw(VMCS_VIRTUAL_APIC_ADDR, page(0));
	vmw(VMCS_TPR_THRESHOLD, 0);
}
static void posted_on(void)
{
	tpr_shadow_on();
	vmw_or(VMCS_PIN_CONTROLS, PIN_POSTED | PIN_EXTINT);
	set_proc2(PROC2_VID);
	vmw_or(VMCS_EXIT_CONTROLS, EXIT_ACK_INTR);
	vmw(VMCS_POSTED_INTR_NV, 0xf2);
	vmw(VMCS_POSTED_INTR_DESC_ADDR, page(2));
	vmw(VMCS_GUEST_INTR_STATUS, 0);
	for (int i = 0; i < 4; i++)
		vmw(VMCS_EOI_EXIT_BITMAP0 + 2 * i, 0);
}
static void vmfunc_on(void)
{
	set_proc2(PROC2_VMFUNC);
	vmw(VMCS_VMFUNC_CONTROLS, 1);
	((uint64_t *)scratch_pages[4])[0] = ept_identity_eptp();
	vmw(VMCS_EPTP_LIST_ADDR, page(4));
}
static void shadow_on(void)
{
	set_proc2(PROC2_SHADOW);
	vmw(VMCS_VMREAD_BITMAP, page(5));
	vmw(VMCS_VMWRITE_BITMAP, page(6));
}
static void inject(uint32_t info) { vmw(VMCS_ENTRY_INTR_INFO, info); }

/* --- the corruptions ------------------------------------------------- */
static void ctl1(void) { vmw_clear(VMCS_PIN_CONTROLS, allowed0(caps.pin)); }
static void ctl2(void) { vmw_or(VMCS_PIN_CONTROLS, lowest(~allowed1(caps.pin))); }
static void ctl3(void) { vmw_clear(VMCS_PROC_CONTROLS, allowed0(caps.proc)); }
static void ctl4(void) { vmw_or(VMCS_PROC_CONTROLS, lowest(~allowed1(caps.proc))); }
static void ctl5(void) { clear_proc2(allowed0(caps.proc2)); }
static void ctl6(void) { set_proc2(lowest(~allowed1(caps.proc2))); }
static void ctl7(void)
{
	vmw_or(VMCS_PROC_CONTROLS, 1u << 17);
	vmw(VMCS_TERTIARY_PROC_CONTROLS, ~rdmsr(0x492));
}
static void ctl8(void) { vmw(VMCS_CR3_TARGET_COUNT, (caps.misc >> 16 & 0x1ff) + 1); }
static void ctl9(void) { vmw(VMCS_IO_BITMAP_A, vmr(VMCS_IO_BITMAP_A) + 0x800); }
static void ctl9r(void) { vmw(VMCS_IO_BITMAP_A, out_of_range()); }
static void ctl10(void) { vmw(VMCS_IO_BITMAP_B, vmr(VMCS_IO_BITMAP_B) + 8); }
static void ctl11(void) { vmw(VMCS_MSR_BITMAP, vmr(VMCS_MSR_BITMAP) + 0x10); }
static void ctl11r(void) { vmw(VMCS_MSR_BITMAP, vmr(VMCS_MSR_BITMAP) | out_of_range()); }
static void ctl12(void) { tpr_shadow_on(); vmw(VMCS_VIRTUAL_APIC_ADDR, page(0) + 0x80); }
static void ctl13(void) { tpr_shadow_on(); vmw(VMCS_TPR_THRESHOLD, 0x10); }
static void ctl14(void) { tpr_shadow_on(); scratch_pages[0][0x80] = 0x20; vmw(VMCS_TPR_THRESHOLD, 3); }
static void ctl15(void) { set_proc2(PROC2_X2APIC); }
static void ctl16(void) { vmw_or(VMCS_PIN_CONTROLS, PIN_VNMI); }
static void ctl17(void) { vmw_or(VMCS_PROC_CONTROLS, PROC_NMIWIN); }
static void ctl18(void) { set_proc2(PROC2_VAPIC); vmw(VMCS_APIC_ACCESS_ADDR, page(1) + 8); }
static void ctl19(void)
{
	tpr_shadow_on();
	set_proc2(PROC2_X2APIC | PROC2_VAPIC);
	vmw(VMCS_APIC_ACCESS_ADDR, page(1));
}
static void ctl20(void)
{
	tpr_shadow_on();
	set_proc2(PROC2_VID);
	vmw(VMCS_GUEST_INTR_STATUS, 0);
}
static void ctl21(void) { posted_on(); clear_proc2(PROC2_VID); }
static void ctl22(void) { posted_on(); vmw_clear(VMCS_EXIT_CONTROLS, EXIT_ACK_INTR); }
static void ctl23(void) { posted_on(); vmw(VMCS_POSTED_INTR_NV, 0x1f2); }
static void ctl24(void) { posted_on(); vmw(VMCS_POSTED_INTR_DESC_ADDR, page(2) + 0x20); }
static void ctl25(void) { vmw(VMCS_VPID, 0); }
static void ctl26(void) { vmw(VMCS_EPT_POINTER, (vmr(VMCS_EPT_POINTER) & ~7ull) | 3); }
static void ctl27(void) { vmw(VMCS_EPT_POINTER, (vmr(VMCS_EPT_POINTER) & ~0x38ull) | 1 << 3); }
static void ctl28(void) { vmw_or(VMCS_EPT_POINTER, 1 << 6); }
static void ctl29(void) { vmw_or(VMCS_EPT_POINTER, 1 << 7); }
static void ctl30(void) { vmw_or(VMCS_EPT_POINTER, 1 << 8); }
static void ctl30r(void) { vmw_or(VMCS_EPT_POINTER, out_of_range()); }
static void ctl31(void)
{
	set_proc2(PROC2_PML);
	vmw(VMCS_PML_ADDR, page(3));
	vmw(VMCS_GUEST_PML_INDEX, 511);
	clear_proc2(PROC2_EPT);
}
static void ctl32(void)
{
	set_proc2(PROC2_PML);
	vmw(VMCS_PML_ADDR, page(3) + 0x100);
	vmw(VMCS_GUEST_PML_INDEX, 511);
}
static void ctl33(void) { set_proc2(PROC2_UG); clear_proc2(PROC2_EPT); }
static void ctl34(void) { set_proc2(PROC2_MBE); clear_proc2(PROC2_EPT); }
static void ctl35(void) { set_proc2(1u << 23); clear_proc2(PROC2_EPT); vmw(VMCS_SPPTP, page(7)); }
static void ctl36(void) { vmfunc_on(); vmw(VMCS_VMFUNC_CONTROLS, lowest(~caps.vmfunc)); }
static void ctl37(void) { vmfunc_on(); clear_proc2(PROC2_EPT); }
static void ctl38(void) { vmfunc_on(); vmw(VMCS_EPTP_LIST_ADDR, page(4) + 0x40); }
static void ctl39(void) { shadow_on(); vmw(VMCS_VMREAD_BITMAP, page(5) + 1); }
static void ctl40(void) { shadow_on(); vmw(VMCS_VMWRITE_BITMAP, page(6) | out_of_range()); }
static void ctl41(void) { set_proc2(PROC2_VE); vmw(VMCS_VE_INFO_ADDR, page(7) + 0x10); }
static void ctl42(void) { set_proc2(1u << 24); }
static void ctl43(void)
{
	/* HLAT (tertiary bit 1) without EPT. */
	vmw_or(VMCS_PROC_CONTROLS, 1u << 17);
	vmw(VMCS_TERTIARY_PROC_CONTROLS, 1u << 1);
	clear_proc2(PROC2_EPT);
}
static void ctl44(void) { vmw_clear(VMCS_EXIT_CONTROLS, allowed0(caps.exit) & ~EXIT_HASS); }
static void ctl45(void) { vmw_or(VMCS_EXIT_CONTROLS, lowest(~allowed1(caps.exit))); }
static void ctl46(void)
{
	vmw_or(VMCS_EXIT_CONTROLS, 1u << 31);
	vmw(VMCS_SECONDARY_EXIT_CONTROLS, ~rdmsr(0x493));
}
static void ctl47(void) { vmw_or(VMCS_EXIT_CONTROLS, EXIT_SAVE_TIMER); }
static void msr_area(uint32_t addr_f, uint32_t count_f, uint64_t addr, uint32_t n)
{
	vmw(addr_f, addr);
	vmw(count_f, n);
}
static uint64_t top_of_range(void) { return out_of_range() - 16; }
static void ctl48(void) { msr_area(VMCS_EXIT_MSR_STORE_ADDR, VMCS_EXIT_MSR_STORE_COUNT, page(5) + 8, 1); }
static void ctl49(void) { msr_area(VMCS_EXIT_MSR_STORE_ADDR, VMCS_EXIT_MSR_STORE_COUNT, top_of_range(), 2); }
static void ctl50(void) { msr_area(VMCS_EXIT_MSR_LOAD_ADDR, VMCS_EXIT_MSR_LOAD_COUNT, page(5) + 4, 1); }
static void ctl51(void) { msr_area(VMCS_EXIT_MSR_LOAD_ADDR, VMCS_EXIT_MSR_LOAD_COUNT, top_of_range(), 2); }
static void ctl52(void) { vmw_clear(VMCS_ENTRY_CONTROLS, allowed0(caps.entry)); }
static void ctl53(void) { vmw_or(VMCS_ENTRY_CONTROLS, lowest(~allowed1(caps.entry))); }
static void ctl54(void) { inject(INTR_VALID | INTR_TYPE(1) | 0x20); }
static void ctl55(void) { inject(INTR_VALID | INTR_TYPE(2) | 3); }
static void ctl55b(void) { inject(INTR_VALID | INTR_TYPE(3) | 32); }
static void ctl56(void) { inject(INTR_VALID | INTR_TYPE(3) | EXC_GP); }
static void ctl56b(void) { inject(INTR_VALID | INTR_TYPE(3) | INTR_ERRCODE | EXC_UD); }
static void ctl57(void) { inject(INTR_VALID | INTR_TYPE(3) | EXC_UD | 1u << 12); }
static void ctl58(void)
{
	inject(INTR_VALID | INTR_TYPE(3) | INTR_ERRCODE | EXC_GP);
	vmw(VMCS_ENTRY_EXCEPTION_ERROR_CODE, 0x10000);
}
static void ctl59(void)
{
	inject(INTR_VALID | INTR_TYPE(4) | 0x80);
	vmw(VMCS_ENTRY_INSTRUCTION_LEN, 16);
}
static void ctl60(void) { msr_area(VMCS_ENTRY_MSR_LOAD_ADDR, VMCS_ENTRY_MSR_LOAD_COUNT, page(5) + 12, 1); }
static void ctl61(void) { msr_area(VMCS_ENTRY_MSR_LOAD_ADDR, VMCS_ENTRY_MSR_LOAD_COUNT, top_of_range(), 2); }
static void ctl62(void) { vmw_or(VMCS_ENTRY_CONTROLS, ENTRY_SMM); }
static void ctl62b(void) { vmw_or(VMCS_ENTRY_CONTROLS, ENTRY_DEACT_DUAL); }

#define D GOOD_DEFAULT
static const struct entry_case cases[] = {
	{ "CTL-1", "pin-based allowed-0 bits cleared", D, ctl1, VMFAIL7, no_pin_a0 },
	{ "CTL-2", "pin-based bit outside allowed-1 set", D, ctl2, VMFAIL7, no_pin_a1 },
	{ "CTL-3", "primary allowed-0 bits cleared", D, ctl3, VMFAIL7, no_proc_a0 },
	{ "CTL-4", "primary bit outside allowed-1 set", D, ctl4, VMFAIL7, no_proc_a1 },
	{ "CTL-5", "secondary allowed-0 bits cleared", D, ctl5, VMFAIL7, no_proc2_a0 },
	{ "CTL-6", "secondary bit outside allowed-1 set", D, ctl6, VMFAIL7, no_proc2_a1 },
	{ "CTL-7", "tertiary bit outside IA32_VMX_PROCBASED_CTLS3", D, ctl7, VMFAIL7, no_tert },
	{ "CTL-8", "CR3-target count = MISC[24:16] + 1", D, ctl8, VMFAIL7, 0 },
	{ "CTL-9", "I/O-bitmap A address not 4K-aligned", D, ctl9, VMFAIL7, no_iobm },
	{ "CTL-9", "I/O-bitmap A address beyond MAXPHYADDR", D, ctl9r, VMFAIL7, no_iobm },
	{ "CTL-10", "I/O-bitmap B address not 4K-aligned", D, ctl10, VMFAIL7, no_iobm },
	{ "CTL-11", "MSR-bitmap address not 4K-aligned", D, ctl11, VMFAIL7, no_msrbm },
	{ "CTL-11", "MSR-bitmap address beyond MAXPHYADDR", D, ctl11r, VMFAIL7, no_msrbm },
	{ "CTL-12", "virtual-APIC address not 4K-aligned", D, ctl12, VMFAIL7, no_tpr },
	{ "CTL-13", "TPR threshold bit 4 set", D, ctl13, VMFAIL7, no_tpr },
	{ "CTL-14", "TPR threshold 3 > VTPR[7:4] = 2", D, ctl14, VMFAIL7, no_tpr },
	{ "CTL-15", "virtualize x2APIC mode without TPR shadow", D, ctl15, VMFAIL7, no_x2apic },
	{ "CTL-16", "virtual NMIs without NMI exiting", D, ctl16, VMFAIL7, no_vnmi },
	{ "CTL-17", "NMI-window exiting without virtual NMIs", D, ctl17, VMFAIL7, no_nmiwin },
	{ "CTL-18", "APIC-access address not 4K-aligned", D, ctl18, VMFAIL7, no_vapic },
	{ "CTL-19", "virtualize x2APIC mode with virtualize APIC accesses", D, ctl19, VMFAIL7, no_x2_vapic },
	{ "CTL-20", "virtual-interrupt delivery without external-interrupt exiting", D, ctl20, VMFAIL7, no_vid },
	{ "CTL-21", "posted interrupts without virtual-interrupt delivery", D, ctl21, VMFAIL7, no_posted },
	{ "CTL-22", "posted interrupts without acknowledge interrupt on exit", D, ctl22, VMFAIL7, no_posted },
	{ "CTL-23", "posted-interrupt notification vector 0x1F2", D, ctl23, VMFAIL7, no_posted },
	{ "CTL-24", "posted-interrupt descriptor not 64-byte aligned", D, ctl24, VMFAIL7, no_posted },
	{ "CTL-25", "VPID 0 with enable VPID", D, ctl25, VMFAIL7, no_vpid },
	{ "CTL-26", "EPTP memory type 3", D, ctl26, VMFAIL7, no_ept },
	{ "CTL-27", "EPTP page-walk length 2", D, ctl27, VMFAIL7, no_ept },
	{ "CTL-28", "EPTP A/D enable without CAP[21]", D, ctl28, VMFAIL7, no_ept_ad_off },
	{ "CTL-29", "EPTP bit 7 without CAP[23]", D, ctl29, VMFAIL7, no_ept_sss_off },
	{ "CTL-30", "EPTP bit 8 set", D, ctl30, VMFAIL7, no_ept },
	{ "CTL-30", "EPTP bit MAXPHYADDR set", D, ctl30r, VMFAIL7, no_ept },
	{ "CTL-31", "PML without EPT", D, ctl31, VMFAIL7, no_pml_noept },
	{ "CTL-32", "PML address not 4K-aligned", D, ctl32, VMFAIL7, no_pml },
	{ "CTL-33", "unrestricted guest without EPT", D, ctl33, VMFAIL7, no_ug },
	{ "CTL-34", "mode-based execute control without EPT", D, ctl34, VMFAIL7, no_mbe },
	{ "CTL-35", "sub-page write permissions without EPT", D, ctl35, VMFAIL7, no_spp },
	{ "CTL-36", "VM-function control outside IA32_VMX_VMFUNC", D, ctl36, VMFAIL7, no_vmfunc_bad },
	{ "CTL-37", "EPTP switching without EPT", D, ctl37, VMFAIL7, no_vmfunc_noept },
	{ "CTL-38", "EPTP-list address not 4K-aligned", D, ctl38, VMFAIL7, no_vmfunc },
	{ "CTL-39", "VMREAD-bitmap address not 4K-aligned", D, ctl39, VMFAIL7, no_shadow },
	{ "CTL-40", "VMWRITE-bitmap address beyond MAXPHYADDR", D, ctl40, VMFAIL7, no_shadow },
	{ "CTL-41", "#VE information address not 4K-aligned", D, ctl41, VMFAIL7, no_ve },
	{ "CTL-42", "Intel PT uses guest-physical addresses without its companions", D, ctl42, VMFAIL7, no_pt_gpa },
	{ "CTL-43", "HLAT without EPT", D, ctl43, VMFAIL7, no_tert },
	{ "CTL-44", "exit allowed-0 bits cleared", D, ctl44, VMFAIL7, no_exit_a0 },
	{ "CTL-45", "exit bit outside allowed-1 set", D, ctl45, VMFAIL7, no_exit_a1 },
	{ "CTL-46", "secondary exit control outside IA32_VMX_EXIT_CTLS2", D, ctl46, VMFAIL7, no_exit2 },
	{ "CTL-47", "save preemption timer without activating it", D, ctl47, VMFAIL7, no_timer },
	{ "CTL-48", "VM-exit MSR-store address not 16-byte aligned", D, ctl48, VMFAIL7, 0 },
	{ "CTL-49", "VM-exit MSR-store area ends beyond MAXPHYADDR", D, ctl49, VMFAIL7, 0 },
	{ "CTL-50", "VM-exit MSR-load address not 16-byte aligned", D, ctl50, VMFAIL7, 0 },
	{ "CTL-51", "VM-exit MSR-load area ends beyond MAXPHYADDR", D, ctl51, VMFAIL7, 0 },
	{ "CTL-52", "entry allowed-0 bits cleared", D, ctl52, VMFAIL7, no_entry_a0 },
	{ "CTL-53", "entry bit outside allowed-1 set", D, ctl53, VMFAIL7, no_entry_a1 },
	{ "CTL-54", "injected event type 1 (reserved)", D, ctl54, VMFAIL7, 0 },
	{ "CTL-55", "injected NMI with vector 3", D, ctl55, VMFAIL7, 0 },
	{ "CTL-55", "injected hardware exception with vector 32", D, ctl55b, VMFAIL7, 0 },
	{ "CTL-56", "injected #GP without deliver-error-code", D, ctl56, VMFAIL7, no_errcode_strict },
	{ "CTL-56", "injected #UD with deliver-error-code", D, ctl56b, VMFAIL7, no_errcode_strict },
	{ "CTL-57", "injection-information bit 12 set", D, ctl57, VMFAIL7, 0 },
	{ "CTL-58", "injected error code 0x10000", D, ctl58, VMFAIL7, 0 },
	{ "CTL-59", "injected INT 0x80 with instruction length 16", D, ctl59, VMFAIL7, 0 },
	{ "CTL-60", "VM-entry MSR-load address not 16-byte aligned", D, ctl60, VMFAIL7, 0 },
	{ "CTL-61", "VM-entry MSR-load area ends beyond MAXPHYADDR", D, ctl61, VMFAIL7, 0 },
	{ "CTL-62", "entry to SMM outside SMM", D, ctl62, VMFAIL7, no_smm_bit },
	{ "CTL-62", "deactivate dual-monitor treatment outside SMM", D, ctl62b, VMFAIL7, no_dual_bit },
};

int main(void)
{
	tap_plan(3 + (int)ARRAY_SIZE(cases));
	vmx_test_init();
	check_good(GOOD_DEFAULT, "EPT, VPID, I/O and MSR bitmaps");
	check_good(GOOD_NO_BITMAPS, "no EPT, no bitmaps");
	check_good(GOOD_UG | GOOD_VPID, "unrestricted guest");
	run_entry_cases(cases, (int)ARRAY_SIZE(cases));
	return tap_done();
}
