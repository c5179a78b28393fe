/* init_vmcs: the VMCS contents that do not depend on the guest's
 * architectural state (KVM's init_vmcs and vmx_set_constant_host_state).
 * Guest registers are written by the reset (vcpu.c). */
#include "hv.h"

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint16_t read_sel(int which)
{
	uint16_t v;
	switch (which) {
	case SREG_ES: asm volatile("mov %%es, %0" : "=r"(v)); break;
	case SREG_CS: asm volatile("mov %%cs, %0" : "=r"(v)); break;
	case SREG_SS: asm volatile("mov %%ss, %0" : "=r"(v)); break;
	case SREG_DS: asm volatile("mov %%ds, %0" : "=r"(v)); break;
	case SREG_FS: asm volatile("mov %%fs, %0" : "=r"(v)); break;
	case SREG_GS: asm volatile("mov %%gs, %0" : "=r"(v)); break;
	default: asm volatile("str %0" : "=r"(v)); break;
	}
	return v;
}

/* Base of the 16-byte system descriptor sel in the GDT at gdt_base (SDM
 * Vol. 3A, "TSS descriptor in 64-bit mode"). */
static uint64_t system_desc_base(uint64_t gdt_base, uint16_t sel)
{
	const uint32_t *d = (const uint32_t *)(uintptr_t)(gdt_base + (sel & ~7u));
	return (d[0] >> 16) | ((uint64_t)(d[1] & 0xff) << 16) | ((uint64_t)(d[1] & 0xff000000u)) |
	       ((uint64_t)d[2] << 32);
}

/* Host state: what the processor loads on every VM exit (SDM Vol. 3C
 * §27.5).  Selectors must have RPL = 0 and TI = 0 (SDM §26.2.3). */
static void set_host_state(void)
{
	struct dtr gdtr, idtr;
	asm volatile("sgdt %0" : "=m"(gdtr));
	asm volatile("sidt %0" : "=m"(idtr));
	hv_vmwrite(VMCS_HOST_CR0, read_cr0());
	hv_vmwrite(VMCS_HOST_CR3, read_cr3());
	hv_vmwrite(VMCS_HOST_CR4, read_cr4());
	hv_vmwrite(VMCS_HOST_ES_SELECTOR, read_sel(SREG_ES) & ~7u);
	hv_vmwrite(VMCS_HOST_CS_SELECTOR, read_sel(SREG_CS) & ~7u);
	hv_vmwrite(VMCS_HOST_SS_SELECTOR, read_sel(SREG_SS) & ~7u);
	hv_vmwrite(VMCS_HOST_DS_SELECTOR, read_sel(SREG_DS) & ~7u);
	hv_vmwrite(VMCS_HOST_FS_SELECTOR, read_sel(SREG_FS) & ~7u);
	hv_vmwrite(VMCS_HOST_GS_SELECTOR, read_sel(SREG_GS) & ~7u);
	uint16_t tr = read_sel(SREG_TR);
	hv_vmwrite(VMCS_HOST_TR_SELECTOR, tr & ~7u);
	hv_vmwrite(VMCS_HOST_TR_BASE, system_desc_base(gdtr.base, tr));
	hv_vmwrite(VMCS_HOST_GDTR_BASE, gdtr.base);
	hv_vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
	hv_vmwrite(VMCS_HOST_FS_BASE, rdmsr(MSR_IA32_FS_BASE));
	hv_vmwrite(VMCS_HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
	hv_vmwrite(VMCS_HOST_IA32_SYSENTER_CS, rdmsr(MSR_IA32_SYSENTER_CS));
	hv_vmwrite(VMCS_HOST_IA32_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
	hv_vmwrite(VMCS_HOST_IA32_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
	hv_vmwrite(VMCS_HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	hv_vmwrite(VMCS_HOST_RIP, (uintptr_t)hv_vmexit);
	/* HOST_RSP is written by hv_vmenter right before each entry. */
}

void hv_init_vmcs(struct hv_vcpu *v)
{
	const struct hv_vmcs_config *c = &hv_config;
	uint32_t proc2 = c->proc2;
	if (!v->ug)
		proc2 &= ~PROC2_UG;
	hv_vmwrite(VMCS_VMCS_LINK_POINTER, ~0ull);
	hv_vmwrite(VMCS_PIN_CONTROLS, c->pin);
	v->proc = c->proc;
	hv_vmwrite(VMCS_PROC_CONTROLS, v->proc);
	hv_vmwrite(VMCS_PROC2_CONTROLS, proc2);
	hv_vmwrite(VMCS_EPT_POINTER, hv_eptp());
	hv_vmwrite(VMCS_PF_ERROR_CODE_MASK, 0);
	hv_vmwrite(VMCS_PF_ERROR_CODE_MATCH, 0);
	hv_vmwrite(VMCS_CR3_TARGET_COUNT, 0);
	set_host_state();
	hv_vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
	hv_vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	hv_vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	hv_vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	hv_vmwrite(VMCS_EXIT_CONTROLS, c->exit);
	v->entry = c->entry;
	hv_vmwrite(VMCS_ENTRY_CONTROLS, v->entry);
	hv_vmwrite(VMCS_CR0_GUEST_HOST_MASK, ~HV_CR0_GUEST_BITS);
	hv_vmwrite(VMCS_CR4_GUEST_HOST_MASK, ~HV_CR4_GUEST_BITS);
	hv_trace("init_vmcs", "pin=0x%x proc=0x%x proc2=0x%x exit=0x%x entry=0x%x eptp=0x%lx "
		 "cr0_mask=0x%lx cr4_mask=0x%lx",
		 c->pin, v->proc, proc2, c->exit, v->entry, (unsigned long)hv_eptp(),
		 (unsigned long)hv_vmread(VMCS_CR0_GUEST_HOST_MASK),
		 (unsigned long)hv_vmread(VMCS_CR4_GUEST_HOST_MASK));
}
