/* The run loop and the exit handlers (KVM's vcpu_run / vmx_handle_exit
 * and its kvm_vmx_exit_handlers).  Exit qualifications are decoded as in
 * SDM Vol. 3C §27.2.1 (the CR-access and I/O-instruction qualification tables). */
#include "hv.h"
#include "vmx.h"
#include "vmx/exit.h"
#include "vmx/exit_names.h"

#define HV_MAX_EXITS    10000
#define HV_MAX_EMULATED 64
#define CPUID_1_ECX_VMX (1u << 5)

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case EXIT_EXCEPTION_NMI: return "exception_nmi";
	case EXIT_EXTERNAL_INTERRUPT: return "external_interrupt";
	case EXIT_TRIPLE_FAULT: return "triple_fault";
	case EXIT_CPUID: return "cpuid";
	case EXIT_HLT: return "hlt";
	case EXIT_CR_ACCESS: return "cr_access";
	case EXIT_DR_ACCESS: return "dr_access";
	case EXIT_IO_INSTRUCTION: return "io_instruction";
	case EXIT_RDMSR: return "rdmsr";
	case EXIT_WRMSR: return "wrmsr";
	case EXIT_INVALID_GUEST_STATE: return "invalid_guest_state";
	case EXIT_MSR_LOADING: return "msr_loading";
	case EXIT_EPT_VIOLATION: return "ept_violation";
	case EXIT_EPT_MISCONFIG: return "ept_misconfig";
	default: return "other";
	}
}

/* The `vmexit` record of traces/FORMAT.md, from VMREADs of the exit-
 * information fields: the keys, their order and formatting, and which
 * optional keys appear (only fields valid for the exit, vm-exits.md §6)
 * are the ones softvtx's trace writes (src/vtx.c exit_info,
 * src/vtx_trace.c), so the two can be compared with trace-diff. */
static void record_exit(uint32_t full_reason, uint64_t qual)
{
	char buf[400];
	size_t n = 0;
	uint32_t r = full_reason & 0xffff;
	const char *name = r < VMX_EXIT_NAME_COUNT && vmx_exit_names[r] ? vmx_exit_names[r] : "?";
	uint32_t intr = (uint32_t)hv_vmread(VMCS_EXIT_INTR_INFO);
	uint32_t idt = (uint32_t)hv_vmread(VMCS_IDT_VECTORING_INFO);
	bool soft = false;
	uint64_t rip = hv_vmread(VMCS_GUEST_RIP);

	n += snprintf(buf + n, sizeof(buf) - n, "vmexit reason=%u name=%s qual=0x%lx rip=0x%lx", r,
		      name, (unsigned long)qual, (unsigned long)rip);
	if ((intr >> 31) && r == EXIT_EXCEPTION_NMI && ((intr >> 8) & 7) >= 4)
		soft = true;
	if ((idt >> 31) && ((idt >> 8) & 7) >= 4)
		soft = true;
	/* Task switches by CALL, IRET or JMP (qualification 31:30 < 3). */
	if (vmx_exit_has_insn_len(r) || soft || (r == EXIT_TASK_SWITCH && ((qual >> 30) & 3) != 3))
		n += snprintf(buf + n, sizeof(buf) - n, " ilen=%lu",
			      (unsigned long)hv_vmread(VMCS_EXIT_INSTRUCTION_LEN));
	if (vmx_exit_has_insn_info(r, qual))
		n += snprintf(buf + n, sizeof(buf) - n, " info=0x%lx",
			      (unsigned long)hv_vmread(VMCS_EXIT_INSTRUCTION_INFO));
	if (intr >> 31) {
		n += snprintf(buf + n, sizeof(buf) - n, " intr=0x%x", intr);
		if (intr & (1u << 11))
			n += snprintf(buf + n, sizeof(buf) - n, " intr-err=0x%lx",
				      (unsigned long)hv_vmread(VMCS_EXIT_INTR_ERROR_CODE));
	}
	if (idt >> 31) {
		n += snprintf(buf + n, sizeof(buf) - n, " idt=0x%x", idt);
		if (idt & (1u << 11))
			n += snprintf(buf + n, sizeof(buf) - n, " idt-err=0x%lx",
				      (unsigned long)hv_vmread(VMCS_IDT_VECTORING_ERROR_CODE));
	}
	if (r == EXIT_EPT_VIOLATION || r == EXIT_EPT_MISCONFIG)
		n += snprintf(buf + n, sizeof(buf) - n, " gpa=0x%lx",
			      (unsigned long)hv_vmread(VMCS_GUEST_PHYSICAL_ADDRESS));
	/* EPT violations with qualification bit 7, string I/O, and LMSW
	 * with a memory operand (CR access type 3, bit 6). */
	if ((r == EXIT_EPT_VIOLATION && (qual & 0x80)) || (r == EXIT_IO_INSTRUCTION && (qual & 0x10)) ||
	    (r == EXIT_CR_ACCESS && ((qual >> 4) & 3) == 3 && (qual & 0x40)))
		snprintf(buf + n, sizeof(buf) - n, " gla=0x%lx",
			 (unsigned long)hv_vmread(VMCS_GUEST_LINEAR_ADDRESS));
	hv_record("%s", buf);
}

static void skip_instruction(void)
{
	hv_vmwrite(VMCS_GUEST_RIP, hv_vmread(VMCS_GUEST_RIP) + hv_vmread(VMCS_EXIT_INSTRUCTION_LEN));
	/* Blocking by STI / MOV SS ends with the instruction (SDM Vol. 3C
	 * §24.4.2, interruptibility state). */
	uint64_t intr = hv_vmread(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & 3)
		hv_vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~3ull);
}

/* Guest-owned CR bits change without exits; pick them up (KVM's
 * vmx_cache_reg).  With unrestricted guest, or once paging is on, the
 * guest's CR3 is the one in the VMCS. */
static void cache_regs(struct hv_vcpu *v)
{
	v->cr0 = (v->cr0 & ~HV_CR0_GUEST_BITS) | (hv_vmread(VMCS_GUEST_CR0) & HV_CR0_GUEST_BITS);
	v->cr4 = (v->cr4 & ~HV_CR4_GUEST_BITS) | (hv_vmread(VMCS_GUEST_CR4) & HV_CR4_GUEST_BITS);
	if (v->ug || hv_is_paging(v))
		v->cr3 = hv_vmread(VMCS_GUEST_CR3);
}

static bool in_64bit_code(void)
{
	return (hv_vmread(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (hv_vmread(VMCS_GUEST_CS_AR_BYTES) & AR_L);
}

static uint64_t get_gpr(struct hv_vcpu *v, unsigned n)
{
	uint64_t x = n == 4 ? hv_vmread(VMCS_GUEST_RSP) : v->regs.gpr[n];
	return in_64bit_code() ? x : (uint32_t)x;
}

static void set_gpr(struct hv_vcpu *v, unsigned n, uint64_t x)
{
	if (!in_64bit_code())
		x = (uint32_t)x;
	if (n == 4)
		hv_vmwrite(VMCS_GUEST_RSP, x);
	else
		v->regs.gpr[n] = x;
}

/* kvm_set_cr0's architectural checks before vmx_set_cr0 (SDM Vol. 3A
 * §2.5, MOV to CR0 #GP conditions); the guest is not expected to break
 * them, so a violation ends the run. */
static void guest_set_cr0(struct hv_vcpu *v, uint64_t cr0)
{
	if ((cr0 >> 32) || ((cr0 & CR0_PG) && !(cr0 & CR0_PE)) || ((cr0 & CR0_NW) && !(cr0 & CR0_CD)))
		hv_fail(HV_ERR_GUEST, "why=cr0_write_would_gp cr0=0x%lx", (unsigned long)cr0);
	if ((v->efer & EFER_LME) && !hv_is_paging(v) && (cr0 & CR0_PG) && !(v->cr4 & CR4_PAE))
		hv_fail(HV_ERR_GUEST, "why=long_mode_without_pae cr0=0x%lx", (unsigned long)cr0);
	hv_set_cr0(v, cr0);
}

/* Table 28-3: 3:0 CR number, 5:4 access type (0 MOV to CR, 1 MOV from
 * CR, 2 CLTS, 3 LMSW), 11:8 GPR, 31:16 LMSW source data. */
static void handle_cr(struct hv_vcpu *v, uint64_t qual)
{
	unsigned cr = qual & 15, type = (qual >> 4) & 3, gpr = (qual >> 8) & 15;
	uint64_t val;
	switch (type) {
	case 0:
		val = get_gpr(v, gpr);
		hv_trace("cr_access", "op=mov_to_cr cr=%u gpr=%u value=0x%lx", cr, gpr, (unsigned long)val);
		if (cr == 0)
			guest_set_cr0(v, val);
		else if (cr == 3)
			hv_set_cr3(v, val);
		else if (cr == 4)
			hv_set_cr4(v, val);
		else
			hv_fail(HV_ERR_EXIT, "why=mov_to_cr%u", cr);
		break;
	case 1:
		if (cr != 3)
			hv_fail(HV_ERR_EXIT, "why=mov_from_cr%u", cr);
		hv_trace("cr_access", "op=mov_from_cr cr=3 gpr=%u value=0x%lx", gpr, (unsigned long)v->cr3);
		set_gpr(v, gpr, v->cr3);
		break;
	case 2:
		hv_trace("cr_access", "op=clts cr=0 gpr=0 value=0x%lx", (unsigned long)(v->cr0 & ~CR0_TS));
		hv_set_cr0(v, v->cr0 & ~CR0_TS);
		break;
	default:
		/* LMSW loads CR0[3:0] but cannot clear PE (SDM Vol. 2A LMSW). */
		val = (qual >> 16) & 0xf;
		val = (v->cr0 & ~0xeull) | (val & 0xf) | (v->cr0 & CR0_PE);
		hv_trace("cr_access", "op=lmsw cr=0 gpr=0 value=0x%lx", (unsigned long)val);
		guest_set_cr0(v, val);
		break;
	}
	skip_instruction();
}

/* Table 28-5: 2:0 size - 1, 3 direction (1 = IN), 4 string, 5 REP,
 * 31:16 port. */
static void handle_io(struct hv_vcpu *v, uint64_t qual)
{
	unsigned size = (qual & 7) + 1, port = (qual >> 16) & 0xffff;
	bool in = qual & 8;
	if (qual & 0x10)
		hv_fail(HV_ERR_EXIT, "why=string_io port=0x%x", port);
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
	uint32_t val = (uint32_t)(v->regs.gpr[0] & mask);
	if (in) {
		v->regs.gpr[0] |= mask;
		hv_trace("io", "dir=in port=0x%x size=%u value=0x%lx", port, size, (unsigned long)mask);
	} else {
		hv_trace("io", "dir=out port=0x%x size=%u value=0x%x", port, size, val);
		if (port == PAYLOAD_PORT_POST && v->npost < ARRAY_SIZE(v->post_codes))
			v->post_codes[v->npost++] = val;
		else if (port == PAYLOAD_PORT_RESULT) {
			v->result = val;
			v->have_result = true;
		} else if (port == PAYLOAD_PORT_CPUID) {
			v->cpuid_ebx0 = val;
		}
	}
	skip_instruction();
}

void hv_snapshot(struct hv_snapshot *s)
{
	s->taken = true;
	s->cr0 = hv_vmread(VMCS_GUEST_CR0);
	s->cr0_shadow = hv_vmread(VMCS_CR0_READ_SHADOW);
	s->cr3 = hv_vmread(VMCS_GUEST_CR3);
	s->cr4 = hv_vmread(VMCS_GUEST_CR4);
	s->cr4_shadow = hv_vmread(VMCS_CR4_READ_SHADOW);
	s->rflags = hv_vmread(VMCS_GUEST_RFLAGS);
	s->efer = hv_vmread(VMCS_GUEST_IA32_EFER);
	s->tr_base = hv_vmread(VMCS_GUEST_TR_BASE);
	s->proc = (uint32_t)hv_vmread(VMCS_PROC_CONTROLS);
	s->entry = (uint32_t)hv_vmread(VMCS_ENTRY_CONTROLS);
	s->cs_ar = (uint32_t)hv_vmread(VMCS_GUEST_CS_AR_BYTES);
}

/* CPUID is passed through, without VMX (KVM hides it unless nested
 * virtualization is asked for). */
static void handle_cpuid(struct hv_vcpu *v)
{
	uint32_t leaf = (uint32_t)v->regs.gpr[0], sub = (uint32_t)v->regs.gpr[1];
	if (!v->in_long_mode.taken)
		hv_snapshot(&v->in_long_mode);
	struct cpuid_regs r = cpuid(leaf, sub);
	if (leaf == 1)
		r.c &= ~CPUID_1_ECX_VMX;
	v->regs.gpr[0] = r.a;
	v->regs.gpr[3] = r.b;
	v->regs.gpr[1] = r.c;
	v->regs.gpr[2] = r.d;
	hv_trace("cpuid", "leaf=0x%x subleaf=0x%x eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x", leaf, sub, r.a,
		 r.b, r.c, r.d);
	skip_instruction();
}

/* Only IA32_EFER is the guest's to touch; LMA follows CR0.PG, so the
 * guest's write cannot change it (SDM Vol. 3A §2.2.1). */
static void handle_msr(struct hv_vcpu *v, bool write)
{
	uint32_t msr = (uint32_t)v->regs.gpr[1];
	if (msr != MSR_IA32_EFER)
		hv_fail(HV_ERR_EXIT, "why=msr_not_emulated msr=0x%x write=%d", msr, write);
	if (write) {
		uint64_t val = (uint32_t)v->regs.gpr[0] | v->regs.gpr[2] << 32;
		hv_trace("msr", "op=wrmsr msr=0x%x value=0x%lx", msr, (unsigned long)val);
		hv_set_efer(v, (val & ~EFER_LMA) | (v->efer & EFER_LMA));
	} else {
		hv_trace("msr", "op=rdmsr msr=0x%x value=0x%lx", msr, (unsigned long)v->efer);
		v->regs.gpr[0] = (uint32_t)v->efer;
		v->regs.gpr[2] = v->efer >> 32;
	}
	skip_instruction();
}

static void handle_exception(struct hv_vcpu *v)
{
	uint32_t info = (uint32_t)hv_vmread(VMCS_EXIT_INTR_INFO);
	unsigned vector = info & 0xff;
	uint64_t err = (info & (1u << 11)) ? hv_vmread(VMCS_EXIT_INTR_ERROR_CODE) : 0;
	hv_trace("exception", "vector=%u error=0x%lx vm86=%d", vector, (unsigned long)err, v->vm86_active);
	if (v->vm86_active && vector == EXC_GP && err == 0) {
		hv_emulate_one(v);
		return;
	}
	hv_fail(HV_ERR_EXIT, "why=unexpected_exception vector=%u", vector);
}

/* KVM's vmx_handle_exit: one handler per basic exit reason. */
static void handle_exit(struct hv_vcpu *v, uint32_t reason, uint64_t qual)
{
	switch (reason) {
	case EXIT_EXCEPTION_NMI: handle_exception(v); break;
	case EXIT_EXTERNAL_INTERRUPT:
		/* A host interrupt (real hardware only): acknowledged on exit,
		 * and this host has nothing to do with it. */
		hv_trace("interrupt", "info=0x%lx", (unsigned long)hv_vmread(VMCS_EXIT_INTR_INFO));
		break;
	case EXIT_CPUID: handle_cpuid(v); break;
	case EXIT_HLT:
		v->halted = true;
		hv_snapshot(&v->at_halt);
		skip_instruction();
		break;
	case EXIT_CR_ACCESS: handle_cr(v, qual); break;
	case EXIT_IO_INSTRUCTION: handle_io(v, qual); break;
	case EXIT_RDMSR: handle_msr(v, false); break;
	case EXIT_WRMSR: handle_msr(v, true); break;
	default:
		hv_fail(HV_ERR_EXIT, "why=unhandled_exit reason=%u", reason);
	}
}

/* One VM entry and its exit.  A failed VMLAUNCH/VMRESUME (VMfailValid
 * carries the VM-instruction error, SDM Vol. 3C §30.4) and a failed VM
 * entry (exit reason bit 31, SDM Vol. 3C §26.7) both end the run. */
static void enter_guest(struct hv_vcpu *v)
{
	const char *insn = v->launched ? "vmresume" : "vmlaunch";
	uint64_t fl = hv_vmenter(&v->regs, v->launched);
	hv_vmx_insn_record("vmwrite", "field", VMCS_HOST_RSP, hv_host_rsp_rflags);
	if (vmx_outcome(hv_host_rsp_rflags) != VMX_SUCCEED)
		hv_vmx_insn_fail("vmwrite", VMCS_HOST_RSP, hv_host_rsp_rflags);
	if (fl) {
		uint64_t err = 0;
		/* A VMLAUNCH/VMRESUME that enters the guest has no vmx-insn
		 * record: the vmexit record ending the guest's run is its
		 * outcome (traces/FORMAT.md). */
		hv_vmx_insn_record(insn, NULL, 0, fl);
		if (vmx_outcome(fl) == VMX_FAIL_VALID)
			vmread_flags(VMCS_VM_INSTRUCTION_ERROR, &err, 0);
		hv_fail(HV_ERR_VMX_INSN, "insn=%s outcome=%s vm_insn_error=%lu", insn,
			vmx_outcome(fl) == VMX_FAIL_VALID ? "VMfailValid" : "VMfailInvalid", (unsigned long)err);
	}
	v->launched = true;
	uint32_t reason = (uint32_t)hv_vmread(VMCS_EXIT_REASON);
	uint64_t qual = hv_vmread(VMCS_EXIT_QUALIFICATION);
	v->exits++;
	if (!(reason & (1u << 31)))
		record_exit(reason, qual);
	hv_trace("exit", "n=%u reason=%u name=%s qual=0x%lx rip=0x%lx cs=0x%x len=%lu", v->exits,
		 reason & 0xffff, exit_name(reason & 0xffff), (unsigned long)qual,
		 (unsigned long)hv_vmread(VMCS_GUEST_RIP), (unsigned)hv_vmread(VMCS_GUEST_CS_SELECTOR),
		 (unsigned long)hv_vmread(VMCS_EXIT_INSTRUCTION_LEN));
	if (reason & (1u << 31))
		hv_fail(HV_ERR_ENTRY, "why=vm_entry_failure reason=%u qual=0x%lx", reason & 0xffff,
			(unsigned long)qual);
	if (v->exits > HV_MAX_EXITS)
		hv_fail(HV_ERR_EXIT, "why=too_many_exits");
	cache_regs(v);
	handle_exit(v, reason & 0xffff, qual);
}

/* KVM's vcpu_run: emulate while the state cannot be entered, else enter. */
void hv_vcpu_run(struct hv_vcpu *v)
{
	unsigned emulated = 0;
	while (!v->halted) {
		if (!v->emulation_required) {
			enter_guest(v);
			continue;
		}
		if (++emulated > HV_MAX_EMULATED)
			hv_fail(HV_ERR_EMULATE, "why=emulation_never_ends");
		hv_emulate_one(v);
	}
}
