/* The vCPU path KVM follows, one function per KVM step:
 *
 *   hv_vm_create_vcpu  kvm_vm_ioctl_create_vcpu -> kvm_arch_vcpu_create ->
 *                      vmx_create_vcpu (VMCS loaded, init_vmcs), then the
 *                      first reset
 *   hv_vcpu_reset      kvm_vcpu_reset -> vmx_vcpu_reset: power-on register
 *                      state, then CR0 = NW|CD|ET through set_cr0, CR4 = 0,
 *                      EFER = 0
 *   hv_set_cr0         vmx_set_cr0: hw_cr0 from the guest's CR0, real mode
 *                      through vm86 when unrestricted guest is off, long
 *                      mode entry/exit, CR3 exiting while a restricted
 *                      guest runs unpaged, shadow and GUEST_CR0,
 *                      emulation_required
 *
 * Without unrestricted guest the processor cannot run with CR0.PE = 0 or
 * CR0.PG = 0 (IA32_VMX_CR0_FIXED0 forces both, SDM Vol. 3C §23.8), so the
 * guest's real mode runs as virtual-8086 mode under a private TSS, and its
 * unpaged modes run on a 32-bit identity page table with EPT below it. */
#include "hv.h"

/* CR0 bits hardware never sees set, and those it always sees set (KVM's
 * KVM_VM_CR0_ALWAYS_OFF / _ALWAYS_ON / _ALWAYS_ON_UNRESTRICTED_GUEST). */
#define HV_CR0_ALWAYS_OFF    (CR0_NW | CR0_CD)
#define HV_CR0_ALWAYS_ON_UG  (CR0_NE)
#define HV_CR0_ALWAYS_ON     (CR0_NE | CR0_PG | CR0_PE)
/* CR4 bits forced on in hardware in each mode (KVM's *_CR4_ALWAYS_ON). */
#define HV_CR4_ALWAYS_ON_UG  (CR4_VMXE)
#define HV_CR4_ALWAYS_ON_RM  (CR4_VME | CR4_PAE | CR4_VMXE)
#define HV_CR4_ALWAYS_ON_PM  (CR4_PAE | CR4_VMXE)


/* In vm86 the guest's IOPL and VM flag belong to the hypervisor; every
 * other flag is the guest's own. */
#define RMODE_HOST_FLAGS     (RFLAGS_IOPL | RFLAGS_VM)

static uint8_t vmcs_region[4096] __attribute__((aligned(4096)));

static const char *const sreg_name[SREG_COUNT] = {"es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr"};

/* --- segments ----------------------------------------------------------
 * Guest segment fields: selector 0x0800 + 2s, limit 0x4800 + 2s,
 * access rights 0x4814 + 2s, base 0x6806 + 2s (SDM Appendix B). */
static void vmcs_read_seg(enum hv_sreg s, struct hv_seg *out)
{
	out->sel = (uint16_t)hv_vmread(VMCS_GUEST_ES_SELECTOR + 2 * s);
	out->base = hv_vmread(VMCS_GUEST_ES_BASE + 2 * s);
	out->limit = (uint32_t)hv_vmread(VMCS_GUEST_ES_LIMIT + 2 * s);
	out->ar = (uint32_t)hv_vmread(VMCS_GUEST_ES_AR_BYTES + 2 * s);
}

static void vmcs_write_seg(enum hv_sreg s, const struct hv_seg *seg)
{
	hv_vmwrite(VMCS_GUEST_ES_SELECTOR + 2 * s, seg->sel);
	hv_vmwrite(VMCS_GUEST_ES_BASE + 2 * s, seg->base);
	hv_vmwrite(VMCS_GUEST_ES_LIMIT + 2 * s, seg->limit);
	hv_vmwrite(VMCS_GUEST_ES_AR_BYTES + 2 * s, seg->ar);
}

/* A real-mode segment as vm86 runs it (KVM's fix_rmode_seg, with its
 * default of emulating invalid guest state): DPL 3, CS a data-type
 * segment, selector and base kept.  When base != selector << 4 (CS at
 * reset) the state is not runnable and the emulator steps in. */
static void fix_rmode_seg(enum hv_sreg s, const struct hv_seg *save)
{
	struct hv_seg seg = *save;
	seg.ar |= 3u << 5;
	if (s == SREG_CS)
		seg.ar = (seg.ar & ~0xfu) | 3u;
	vmcs_write_seg(s, &seg);
}

/* The segment as the guest sees it.  In vm86 that is the saved copy,
 * unless the guest has since loaded the register itself (its selector in
 * the VMCS differs), in which case vm86 computed base = selector << 4. */
void hv_get_seg(struct hv_vcpu *v, enum hv_sreg s, struct hv_seg *out)
{
	if (v->vm86_active && s != SREG_LDTR) {
		*out = v->rmode_segs[s];
		if (s == SREG_TR)
			return;
		uint16_t sel = (uint16_t)hv_vmread(VMCS_GUEST_ES_SELECTOR + 2 * s);
		if (sel != out->sel) {
			out->sel = sel;
			out->base = hv_vmread(VMCS_GUEST_ES_BASE + 2 * s);
		}
		return;
	}
	vmcs_read_seg(s, out);
}

void hv_set_seg(struct hv_vcpu *v, enum hv_sreg s, const struct hv_seg *seg)
{
	if (v->vm86_active && s != SREG_LDTR) {
		v->rmode_segs[s] = *seg;
		if (s == SREG_TR)
			hv_vmwrite(VMCS_GUEST_TR_SELECTOR, seg->sel);
		else
			fix_rmode_seg(s, seg);
		return;
	}
	vmcs_write_seg(s, seg);
}

/* --- exception bitmap (KVM's vmx_update_exception_bitmap) ---------------
 * #PF is not needed with EPT.  In vm86 every exception exits, so that the
 * #GP of a privileged instruction reaches the emulator. */
void hv_update_exception_bitmap(struct hv_vcpu *v)
{
	uint32_t eb = (1u << EXC_UD) | (1u << EXC_MC) | (1u << EXC_DB) | (1u << EXC_AC);
	if (v->vm86_active)
		eb = ~0u;
	hv_vmwrite(VMCS_EXCEPTION_BITMAP, eb);
}

/* --- real mode through vm86 (KVM's enter_rmode / enter_pmode) ---------- */
static void enter_rmode(struct hv_vcpu *v)
{
	static const enum hv_sreg saved[] = {SREG_ES, SREG_DS, SREG_FS, SREG_GS, SREG_SS, SREG_CS, SREG_TR};
	for (unsigned i = 0; i < ARRAY_SIZE(saved); i++)
		hv_get_seg(v, saved[i], &v->rmode_segs[saved[i]]);
	v->vm86_active = true;
	/* SDM Vol. 3A §20.2: vm86 runs under a 32-bit TSS, whose I/O bitmap
	 * and interrupt-redirection bitmap apply. */
	struct hv_seg tr = {.sel = v->rmode_segs[SREG_TR].sel, .base = HV_RMODE_TSS_GPA,
			    .limit = HV_RMODE_TSS_SIZE - 1, .ar = AR_P | 0xb};
	vmcs_write_seg(SREG_TR, &tr);
	uint64_t fl = hv_vmread(VMCS_GUEST_RFLAGS);
	v->rmode_saved_rflags = fl;
	hv_vmwrite(VMCS_GUEST_RFLAGS, fl | RMODE_HOST_FLAGS);
	hv_vmcs_setbits(VMCS_GUEST_CR4, CR4_VME);
	hv_update_exception_bitmap(v);
	static const enum hv_sreg fixed[] = {SREG_SS, SREG_CS, SREG_ES, SREG_DS, SREG_GS, SREG_FS};
	for (unsigned i = 0; i < ARRAY_SIZE(fixed); i++)
		fix_rmode_seg(fixed[i], &v->rmode_segs[fixed[i]]);
	hv_trace("enter_rmode", "tss=0x%lx tss_limit=0x%x rflags=0x%lx cs_sel=0x%x cs_base=0x%lx",
		 (unsigned long)HV_RMODE_TSS_GPA, HV_RMODE_TSS_SIZE - 1,
		 (unsigned long)hv_vmread(VMCS_GUEST_RFLAGS), v->rmode_segs[SREG_CS].sel,
		 (unsigned long)v->rmode_segs[SREG_CS].base);
}

static void enter_pmode(struct hv_vcpu *v)
{
	static const enum hv_sreg segs[] = {SREG_ES, SREG_DS, SREG_FS, SREG_GS, SREG_SS, SREG_CS};
	for (unsigned i = 0; i < ARRAY_SIZE(segs); i++)
		hv_get_seg(v, segs[i], &v->rmode_segs[segs[i]]);
	v->vm86_active = false;
	vmcs_write_seg(SREG_TR, &v->rmode_segs[SREG_TR]);
	uint64_t fl = hv_vmread(VMCS_GUEST_RFLAGS);
	fl = (fl & ~(uint64_t)RMODE_HOST_FLAGS) | (v->rmode_saved_rflags & RMODE_HOST_FLAGS);
	hv_vmwrite(VMCS_GUEST_RFLAGS, fl);
	hv_vmwrite(VMCS_GUEST_CR4, (hv_vmread(VMCS_GUEST_CR4) & ~CR4_VME) |
				   (hv_vmread(VMCS_CR4_READ_SHADOW) & CR4_VME));
	hv_update_exception_bitmap(v);
	/* The segments come back as the guest left them in real mode (KVM's
	 * fix_pmode_seg with invalid-state emulation on); if they do not
	 * satisfy protected mode, emulation_required says so. */
	static const enum hv_sreg order[] = {SREG_CS, SREG_SS, SREG_ES, SREG_DS, SREG_FS, SREG_GS};
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++)
		vmcs_write_seg(order[i], &v->rmode_segs[order[i]]);
	hv_trace("enter_pmode", "rflags=0x%lx cs_sel=0x%x cs_base=0x%lx cs_ar=0x%x",
		 (unsigned long)fl, v->rmode_segs[SREG_CS].sel,
		 (unsigned long)v->rmode_segs[SREG_CS].base, v->rmode_segs[SREG_CS].ar);
}

/* --- EFER and long mode (KVM's vmx_set_efer, enter_lmode, exit_lmode) --
 * GUEST_IA32_EFER is loaded on entry.  Outside long mode LME is withheld
 * from it: with hardware CR0.PG forced on, LME would have to equal LMA
 * (SDM Vol. 3C §26.3.1.1). */
void hv_set_efer(struct hv_vcpu *v, uint64_t efer)
{
	v->efer = efer;
	if (efer & EFER_LMA)
		v->entry |= ENTRY_IA32E_MODE;
	else
		v->entry &= ~ENTRY_IA32E_MODE;
	hv_vmwrite(VMCS_ENTRY_CONTROLS, v->entry);
	uint64_t guest_efer = efer;
	if (!(efer & EFER_LMA))
		guest_efer &= ~EFER_LME;
	hv_vmwrite(VMCS_GUEST_IA32_EFER, guest_efer);
	hv_trace("set_efer", "efer=0x%lx guest_efer=0x%lx entry=0x%x", (unsigned long)efer,
		 (unsigned long)guest_efer, v->entry);
}

static void enter_lmode(struct hv_vcpu *v)
{
	struct hv_seg tr;
	hv_get_seg(v, SREG_TR, &tr);
	/* IA-32e mode needs a busy 64-bit TSS in TR (SDM Vol. 3C §26.3.1.2);
	 * type 11 means that there. */
	if (AR_TYPE(tr.ar) != 11) {
		tr.ar = (tr.ar & ~0xfu) | 11;
		hv_set_seg(v, SREG_TR, &tr);
	}
	hv_trace("enter_lmode", "efer=0x%lx", (unsigned long)(v->efer | EFER_LMA));
	hv_set_efer(v, v->efer | EFER_LMA);
}

static void exit_lmode(struct hv_vcpu *v)
{
	hv_trace("exit_lmode", "efer=0x%lx", (unsigned long)(v->efer & ~EFER_LMA));
	hv_set_efer(v, v->efer & ~EFER_LMA);
}

/* --- CR3 and CR4 -------------------------------------------------------- */
/* What the processor uses as CR3: the guest's own, or, for a restricted
 * guest with paging off, the identity table (KVM's vmx_load_mmu_pgd). */
static void load_guest_cr3(struct hv_vcpu *v)
{
	uint64_t cr3 = v->cr3;
	if (!v->ug && !hv_is_paging(v))
		cr3 = HV_IDENTITY_MAP_GPA;
	hv_vmwrite(VMCS_GUEST_CR3, cr3);
}

void hv_set_cr3(struct hv_vcpu *v, uint64_t cr3)
{
	v->cr3 = cr3;
	load_guest_cr3(v);
	hv_trace("set_cr3", "cr3=0x%lx guest_cr3=0x%lx", (unsigned long)cr3,
		 (unsigned long)hv_vmread(VMCS_GUEST_CR3));
}

void hv_set_cr4(struct hv_vcpu *v, uint64_t cr4)
{
	uint64_t hw = cr4;
	if (v->ug)
		hw |= HV_CR4_ALWAYS_ON_UG;
	else if (v->vm86_active)
		hw |= HV_CR4_ALWAYS_ON_RM;
	else
		hw |= HV_CR4_ALWAYS_ON_PM;
	v->cr4 = cr4;
	if (!v->ug) {
		/* Unpaged, the identity table is 32-bit paging with 4 MiB
		 * pages; paged, the guest's own PAE choice stands. */
		if (!hv_is_paging(v)) {
			hw &= ~CR4_PAE;
			hw |= CR4_PSE;
			hw &= ~(CR4_SMEP | CR4_SMAP | CR4_PKE);
		} else if (!(cr4 & CR4_PAE)) {
			hw &= ~CR4_PAE;
		}
	}
	hv_vmwrite(VMCS_CR4_READ_SHADOW, cr4);
	hv_vmwrite(VMCS_GUEST_CR4, hw);
	hv_trace("set_cr4", "cr4=0x%lx hw_cr4=0x%lx shadow=0x%lx", (unsigned long)cr4,
		 (unsigned long)hw, (unsigned long)hv_vmread(VMCS_CR4_READ_SHADOW));
}

/* --- CR0 (KVM's vmx_set_cr0) ------------------------------------------- */
void hv_set_cr0(struct hv_vcpu *v, uint64_t cr0)
{
	bool old_pg = hv_is_paging(v);
	uint64_t hw = cr0 & ~HV_CR0_ALWAYS_OFF;
	if (v->ug) {
		hw |= HV_CR0_ALWAYS_ON_UG;
	} else {
		hw |= HV_CR0_ALWAYS_ON;
		if (v->vm86_active && (cr0 & CR0_PE))
			enter_pmode(v);
		if (!v->vm86_active && !(cr0 & CR0_PE))
			enter_rmode(v);
	}
	hv_vmwrite(VMCS_CR0_READ_SHADOW, cr0);
	hv_vmwrite(VMCS_GUEST_CR0, hw);
	v->cr0 = cr0;

	if (v->efer & EFER_LME) {
		if (!old_pg && (cr0 & CR0_PG))
			enter_lmode(v);
		else if (old_pg && !(cr0 & CR0_PG))
			exit_lmode(v);
	}

	if (!v->ug) {
		/* A restricted guest without paging runs on the identity
		 * table, so its own CR3 must be kept aside: intercept
		 * loads and stores of CR3 until it turns paging on. */
		if (!(cr0 & CR0_PG))
			v->proc |= PROC_CR3_EXITING;
		else if (hv_config.cr3_exiting_optional)
			v->proc &= ~PROC_CR3_EXITING;
		hv_vmwrite(VMCS_PROC_CONTROLS, v->proc);
		if (old_pg != !!(cr0 & CR0_PG))
			hv_set_cr4(v, v->cr4);
		load_guest_cr3(v);
	}
	v->emulation_required = !hv_guest_state_valid(v);
	hv_trace("set_cr0", "cr0=0x%lx hw_cr0=0x%lx shadow=0x%lx vm86=%d lma=%d cr3_exiting=%d "
		 "guest_cr3=0x%lx emulation_required=%d",
		 (unsigned long)cr0, (unsigned long)hw, (unsigned long)hv_vmread(VMCS_CR0_READ_SHADOW),
		 v->vm86_active, !!(v->efer & EFER_LMA), (v->proc & PROC_CR3_EXITING) != 0,
		 (unsigned long)hv_vmread(VMCS_GUEST_CR3), v->emulation_required);
}

/* --- emulation_required (KVM's vmx_guest_state_valid) -------------------
 * Whether the guest state as the guest defined it can be entered at all
 * without unrestricted guest (SDM Vol. 3C §26.3.1.2). */
/* vm86 needs base = selector << 4, a 64 KiB limit and access rights
 * 0xF3 (SDM Vol. 3C §26.3.1.2); DPL and the CS type are what
 * fix_rmode_seg makes them, the rest must already be right. */
static bool rmode_segment_valid(struct hv_vcpu *v, enum hv_sreg s)
{
	struct hv_seg seg;
	hv_get_seg(v, s, &seg);
	uint32_t ar = seg.ar | 3u << 5;
	if (s == SREG_CS)
		ar = (ar & ~0xfu) | 3u;
	return seg.base == (uint64_t)seg.sel << 4 && seg.limit == 0xffff && ar == 0xF3;
}

static bool code_segment_valid(const struct hv_seg *cs)
{
	unsigned rpl = cs->sel & 3, type = AR_TYPE(cs->ar);
	if ((cs->ar & AR_UNUSABLE) || !(cs->ar & AR_S) || !(cs->ar & AR_P))
		return false;
	if ((type & (AR_TYPE_CODE | AR_TYPE_ACCESSED)) != (AR_TYPE_CODE | AR_TYPE_ACCESSED))
		return false;
	return (type & AR_TYPE_CONFORM) ? AR_DPL(cs->ar) <= rpl : AR_DPL(cs->ar) == rpl;
}

static bool stack_segment_valid(const struct hv_seg *ss)
{
	if (ss->ar & AR_UNUSABLE)
		return true;
	unsigned type = AR_TYPE(ss->ar);
	return (type == 3 || type == 7) && (ss->ar & AR_S) && (ss->ar & AR_P) &&
	       AR_DPL(ss->ar) == (ss->sel & 3u);
}

static bool data_segment_valid(const struct hv_seg *ds)
{
	if (ds->ar & AR_UNUSABLE)
		return true;
	unsigned type = AR_TYPE(ds->ar);
	if (!(ds->ar & AR_S) || !(ds->ar & AR_P) || !(type & AR_TYPE_ACCESSED))
		return false;
	if ((type & AR_TYPE_CODE) && !(type & AR_TYPE_WRITE))
		return false;
	/* Data and non-conforming code: DPL >= RPL. */
	if (!((type & AR_TYPE_CODE) && (type & AR_TYPE_CONFORM)) && AR_DPL(ds->ar) < (ds->sel & 3u))
		return false;
	return true;
}

bool hv_guest_state_valid(struct hv_vcpu *v)
{
	if (v->ug)
		return true;
	if (!(v->cr0 & CR0_PE)) {
		static const enum hv_sreg s[] = {SREG_CS, SREG_SS, SREG_DS, SREG_ES, SREG_FS, SREG_GS};
		for (unsigned i = 0; i < ARRAY_SIZE(s); i++)
			if (!rmode_segment_valid(v, s[i]))
				return false;
		return true;
	}
	struct hv_seg cs, ss, seg;
	hv_get_seg(v, SREG_CS, &cs);
	hv_get_seg(v, SREG_SS, &ss);
	if ((cs.sel & 3) != (ss.sel & 3) || !code_segment_valid(&cs) || !stack_segment_valid(&ss))
		return false;
	static const enum hv_sreg d[] = {SREG_DS, SREG_ES, SREG_FS, SREG_GS};
	for (unsigned i = 0; i < ARRAY_SIZE(d); i++) {
		hv_get_seg(v, d[i], &seg);
		if (!data_segment_valid(&seg))
			return false;
	}
	hv_get_seg(v, SREG_TR, &seg);
	if ((seg.ar & AR_UNUSABLE) || (seg.sel & 4) || !(seg.ar & AR_P) ||
	    (AR_TYPE(seg.ar) != 3 && AR_TYPE(seg.ar) != 11))
		return false;
	hv_get_seg(v, SREG_LDTR, &seg);
	if (!(seg.ar & AR_UNUSABLE) && ((seg.sel & 4) || AR_TYPE(seg.ar) != 2 || !(seg.ar & AR_P)))
		return false;
	return true;
}

/* --- creation and reset: KVM's call chain, one function per step -------
 *   hv_vm_create_vcpu (kvm_vm_ioctl_create_vcpu)
 *     arch_vcpu_create (kvm_arch_vcpu_create)
 *       vmx_create_vcpu: VMCS made current, init_vmcs, INVEPT
 *       hv_vcpu_reset (kvm_vcpu_reset)
 *         vmx_vcpu_reset: power-on state, CR0 = NW|CD|ET via set_cr0 */
static void vmx_vcpu_reset(struct hv_vcpu *v);

static void vmx_create_vcpu(struct hv_vcpu *v)
{
	hv_trace("vmx_create_vcpu", "id=0 vmcs=0x%lx", (unsigned long)(uintptr_t)vmcs_region);
	hv_vmcs_load(vmcs_region);
	hv_init_vmcs(v);
	hv_invept_all();
}

static void arch_vcpu_create(struct hv_vcpu *v)
{
	hv_trace("arch_vcpu_create", "id=0");
	vmx_create_vcpu(v);
	hv_vcpu_reset(v);
}

void hv_vm_create_vcpu(struct hv_vcpu *v, bool ug)
{
	memset(v, 0, sizeof(*v));
	v->ug = ug;
	hv_trace("vm_create_vcpu", "id=0 ug=%d", ug);
	arch_vcpu_create(v);
}

void hv_vcpu_reset(struct hv_vcpu *v)
{
	hv_trace("vcpu_reset", "id=0 init_event=0");
	vmx_vcpu_reset(v);
	v->emulation_required = !hv_guest_state_valid(v);
	hv_trace("reset_done", "emulation_required=%d sreg=%s sel=0x%x base=0x%lx",
		 v->emulation_required, sreg_name[SREG_CS], (unsigned)hv_vmread(VMCS_GUEST_CS_SELECTOR),
		 (unsigned long)hv_vmread(VMCS_GUEST_CS_BASE));
}

void hv_destroy_vcpu(struct hv_vcpu *v)
{
	hv_vmcs_clear(vmcs_region);
	hv_trace("destroy_vcpu", "id=0 exits=%u", v->exits);
}

/* The power-on state (SDM Vol. 3A §10.1.1, Table 10-1). */
static void seg_setup(struct hv_vcpu *v, enum hv_sreg s)
{
	struct hv_seg seg = {.sel = 0, .base = 0, .limit = 0xffff, .ar = AR_P | AR_S | 3};
	if (s == SREG_CS) {
		seg.sel = 0xf000;
		seg.base = GUEST_RESET_CS_BASE;
		seg.ar |= AR_TYPE_CODE;
	} else if (s == SREG_LDTR) {
		seg.ar = AR_P | 2;
	} else if (s == SREG_TR) {
		seg.ar = AR_P | 11;
	}
	hv_set_seg(v, s, &seg);
}

static void vmx_vcpu_reset(struct hv_vcpu *v)
{
	for (int s = 0; s < SREG_COUNT; s++)
		seg_setup(v, (enum hv_sreg)s);
	hv_vmwrite(VMCS_GUEST_GDTR_BASE, 0);
	hv_vmwrite(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	hv_vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	hv_vmwrite(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	hv_vmwrite(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	hv_vmwrite(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	hv_vmwrite(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	hv_vmwrite(VMCS_GUEST_IA32_DEBUGCTL, 0);
	hv_vmwrite(VMCS_GUEST_DR7, 0x400);
	hv_vmwrite(VMCS_GUEST_RFLAGS, RFLAGS_FIXED1);
	hv_vmwrite(VMCS_GUEST_RIP, GUEST_RESET_RIP);
	hv_vmwrite(VMCS_GUEST_RSP, 0);
	hv_vmwrite(VMCS_GUEST_ACTIVITY_STATE, 0);
	hv_vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	hv_vmwrite(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	/* EDX holds the processor signature after reset. */
	v->regs.gpr[2] = cpuid(1, 0).a;
	/* set_cr0 below reads GUEST_CR4 (vm86 adds VME to it): start from 0. */
	hv_vmwrite(VMCS_GUEST_CR4, 0);
	hv_vmwrite(VMCS_CR4_READ_SHADOW, 0);
	hv_trace("vmx_vcpu_reset", "cs_sel=0x%x cs_base=0x%lx rip=0x%lx rflags=0x%x edx=0x%lx",
		 0xf000, (unsigned long)GUEST_RESET_CS_BASE, (unsigned long)GUEST_RESET_RIP,
		 (unsigned)RFLAGS_FIXED1, (unsigned long)v->regs.gpr[2]);
	/* Power-on CR0: caching disabled, ET; PE = 0 takes a restricted
	 * guest into vm86 (enter_rmode). */
	hv_set_cr0(v, CR0_NW | CR0_CD | CR0_ET);
	hv_set_cr4(v, 0);
	hv_set_efer(v, 0);
	hv_set_cr3(v, 0);
	hv_update_exception_bitmap(v);
}
