/* VMX operation for the hypervisor: turning VMX on (KVM's
 * hardware_enable), choosing the controls from the capability MSRs (KVM's
 * setup_vmcs_config / adjust_vmx_controls), and VMREAD/VMWRITE wrappers
 * that check every outcome. */
#include "hv.h"
#include "vmx.h"
#include "vmx/profile.h"

#define CPUID_1_ECX_VMX 5
#define FEATURE_CONTROL_LOCKED        (1ull << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE (1ull << 2)

struct hv_vmcs_config hv_config;

static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));

/* traces/FORMAT.md "vmx-insn".  The VM-instruction error is read with a
 * VMREAD of its own that gets no record (it is part of this one). */
void hv_vmx_insn_record(const char *op, const char *key, uint64_t arg, uint64_t rflags)
{
	char operand[40] = "";
	char error[32] = "";
	uint64_t err = 0;
	if (key)
		snprintf(operand, sizeof(operand), " %s=0x%lx", key, (unsigned long)arg);
	if (vmx_outcome(rflags) == VMX_FAIL_VALID) {
		vmread_flags(VMCS_VM_INSTRUCTION_ERROR, &err, 0);
		snprintf(error, sizeof(error), " error=%lu", (unsigned long)err);
	}
	hv_record("vmx-insn op=%s%s rflags=0x%lx%s", op, operand, (unsigned long)rflags, error);
}

/* Reports a failed VMX instruction: its RFLAGS outcome and, for
 * VMfailValid, the VM-instruction error number (SDM Vol. 3C §30.4). */
void hv_vmx_insn_fail(const char *insn, uint64_t arg, uint64_t fl)
{
	enum vmx_outcome o = vmx_outcome(fl);
	uint64_t err = 0;
	if (o == VMX_FAIL_VALID)
		vmread_flags(VMCS_VM_INSTRUCTION_ERROR, &err, 0);
	hv_fail(HV_ERR_VMX_INSN, "insn=%s arg=0x%lx outcome=%s vm_insn_error=%lu", insn,
		(unsigned long)arg,
		o == VMX_FAIL_VALID ? "VMfailValid" : o == VMX_FAIL_INVALID ? "VMfailInvalid" : "bad_flags",
		(unsigned long)err);
}

uint64_t hv_vmread(uint32_t field)
{
	uint64_t v = 0, fl = vmread_flags(field, &v, 0);
	hv_vmx_insn_record("vmread", "field", field, fl);
	if (vmx_outcome(fl) != VMX_SUCCEED)
		hv_vmx_insn_fail("vmread", field, fl);
	return v;
}

void hv_vmwrite(uint32_t field, uint64_t value)
{
	uint64_t fl = vmwrite_flags(field, value, 0);
	hv_vmx_insn_record("vmwrite", "field", field, fl);
	if (vmx_outcome(fl) != VMX_SUCCEED)
		hv_vmx_insn_fail("vmwrite", field, fl);
}

void hv_vmcs_load(void *region)
{
	uint64_t pa = (uintptr_t)region;
	*(uint32_t *)region = hv_config.revision;
	hv_vmcs_clear(region);
	uint64_t fl = vmptrld_flags(&pa, 0);
	hv_vmx_insn_record("vmptrld", "addr", pa, fl);
	if (vmx_outcome(fl) != VMX_SUCCEED)
		hv_vmx_insn_fail("vmptrld", pa, fl);
}

/* SDM Vol. 3C §23.7 "Enabling and entering VMX operation": CPUID.1:ECX.VMX,
 * IA32_FEATURE_CONTROL lock + VMXON-outside-SMX, CR0/CR4 inside the fixed
 * bits (§23.8), then VMXON with the revision identifier in the region. */
void hv_hardware_enable(void)
{
	if (!cpu_has(1, 'c', CPUID_1_ECX_VMX))
		hv_fail(HV_ERR_NO_VMX, "why=cpuid_1_ecx_vmx_clear");
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCKED)) {
		fc |= FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE;
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
	}
	if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE))
		hv_fail(HV_ERR_NO_VMX, "why=feature_control_locked_off value=0x%lx", (unsigned long)fc);

	hv_config.revision = (uint32_t)rdmsr(MSR_IA32_VMX_BASIC) & 0x7fffffffu;
	hv_config.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	hv_config.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	hv_config.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	hv_config.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	write_cr0((read_cr0() | hv_config.cr0_fixed0) & (hv_config.cr0_fixed1 | ~0xffffffffull));
	write_cr4((read_cr4() | hv_config.cr4_fixed0 | CR4_VMXE) & (hv_config.cr4_fixed1 | ~0xffffffffull));

	*(uint32_t *)vmxon_region = hv_config.revision;
	uint64_t pa = (uintptr_t)vmxon_region;
	uint64_t fl = vmxon_flags(&pa, 0);
	hv_vmx_insn_record("vmxon", "addr", pa, fl);
	if (vmx_outcome(fl) != VMX_SUCCEED)
		hv_vmx_insn_fail("vmxon", pa, fl);
	hv_trace("vmxon", "revision=0x%x cr0=0x%lx cr4=0x%lx", hv_config.revision,
		 (unsigned long)read_cr0(), (unsigned long)read_cr4());
}

void hv_vmcs_clear(void *region)
{
	uint64_t pa = (uintptr_t)region;
	uint64_t fl = vmclear_flags(&pa, 0);
	hv_vmx_insn_record("vmclear", "addr", pa, fl);
	if (vmx_outcome(fl) != VMX_SUCCEED)
		hv_vmx_insn_fail("vmclear", pa, fl);
}

void hv_hardware_disable(void)
{
	uint64_t fl = vmxoff_flags(0);
	hv_vmx_insn_record("vmxoff", NULL, 0, fl);
	if (vmx_outcome(fl) != VMX_SUCCEED)
		hv_vmx_insn_fail("vmxoff", 0, fl);
	write_cr4(read_cr4() & ~CR4_VMXE);
}

/* SDM Appendix A.3: a control may be 0 when its bit is 0 in the low
 * dword of the capability MSR and may be 1 when its bit is 1 in the high
 * dword.  Wanted optional bits the CPU lacks are dropped; a missing
 * required bit fails. */
static bool adjust_controls(uint32_t required, uint32_t optional, uint32_t msr, uint32_t *out)
{
	uint64_t cap = rdmsr(msr);
	uint32_t ctl = (required | optional) & (uint32_t)(cap >> 32);
	ctl |= (uint32_t)cap;
	if ((ctl & required) != required) {
		hv_trace("caps", "msr=0x%x cap=0x%lx required=0x%x missing=0x%x", msr,
			 (unsigned long)cap, required, required & ~ctl);
		return false;
	}
	*out = ctl;
	return true;
}

bool hv_setup_vmcs_config(bool want_ug)
{
	struct hv_vmcs_config *c = &hv_config;
	/* Like KVM, CR3 exiting starts on and is dropped when EPT is in use
	 * and the CPU lets it be 0 (vcpu.c turns it back on while a restricted
	 * guest runs unpaged). */
	uint32_t proc_req = PROC_HLT_EXITING | PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING |
			    PROC_MOV_DR_EXITING | PROC_UNCOND_IO_EXITING | PROC_SECONDARY;
	if (!adjust_controls(PIN_EXTINT_EXITING | PIN_NMI_EXITING, 0, MSR_IA32_VMX_PINBASED_CTLS, &c->pin) ||
	    !adjust_controls(proc_req, 0, MSR_IA32_VMX_PROCBASED_CTLS, &c->proc))
		return false;
	uint64_t cap2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	if (!adjust_controls(PROC2_EPT, want_ug ? PROC2_UG : 0, MSR_IA32_VMX_PROCBASED_CTLS2, &c->proc2))
		return false;
	if (want_ug && !(c->proc2 & PROC2_UG)) {
		hv_trace("caps", "msr=0x48b cap=0x%lx required=0x%x missing=0x%x", (unsigned long)cap2,
			 PROC2_UG, PROC2_UG);
		return false;
	}
	/* The EPT tables (ept.c) use a 4-level walk and write-back memory. */
	uint64_t ept_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	if (!(ept_cap & (1u << 6)) || !(ept_cap & (1u << 14))) {
		hv_trace("caps", "msr=0x48c cap=0x%lx missing=walk4_or_wb", (unsigned long)ept_cap);
		return false;
	}
	c->cr3_exiting_optional = (rdmsr(MSR_IA32_VMX_BASIC) >> 55 & 1) &&
				  !((uint32_t)rdmsr(MSR_IA32_VMX_TRUE_PROCBASED) & PROC_CR3_EXITING);
	if (c->cr3_exiting_optional)
		c->proc &= ~PROC_CR3_EXITING;
	if (!adjust_controls(EXIT_HOST_ADDR_SPACE | EXIT_ACK_INTR | EXIT_SAVE_EFER | EXIT_LOAD_EFER, 0,
			     MSR_IA32_VMX_EXIT_CTLS, &c->exit) ||
	    !adjust_controls(ENTRY_LOAD_DEBUG | ENTRY_LOAD_EFER, 0, MSR_IA32_VMX_ENTRY_CTLS, &c->entry))
		return false;
	return true;
}

/* Drops cached EPT translations of every EPTP (SDM Vol. 3C §28.4, INVEPT):
 * the tables are rebuilt for each configuration.  Needs INVEPT (EPT_VPID
 * capability bit 20) with the all-context type (bit 26). */
void hv_invept_all(void)
{
	uint64_t cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	if (!(cap & (1ull << 20)) || !(cap & (1ull << 26))) {
		hv_trace("invept", "type=2 done=0 why=not_supported");
		return;
	}
	struct vmx_inv_desc d = {0, 0};
	uint64_t fl = invept_flags(2, &d, 0);
	hv_vmx_insn_record("invept", "type", 2, fl);
	if (vmx_outcome(fl) != VMX_SUCCEED)
		hv_vmx_insn_fail("invept", 2, fl);
	hv_trace("invept", "type=2 done=1 why=new_tables");
}
