/* The tiny hypervisor's main program: VMX on, then the same guest run
 * twice on a freshly created and reset vCPU, first with unrestricted guest
 * and then without it (real mode through vm86).  The command line may
 * pick one: "ug" or "noug".
 *
 * Output: trace records "hv cfg=... ev=... key=value ..." (one per line),
 * with the hypervisor's observations of the processor also as records of
 * softvtx's trace format ("0 0 vmexit ...", "0 0 vmx-insn ...",
 * traces/FORMAT.md), then TAP: per configuration, that the guest reached every milestone,
 * that its CPUID and its work came back right, that its stores landed in
 * guest memory, and that the VMCS holds what KVM's path must leave there
 * at reset, in long mode and at the final HLT. */
#include <stdarg.h>
#include "hv.h"

#define CHECKS_PER_CFG 19

const char *hv_cfg = "init";

void hv_trace(const char *ev, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("hv cfg=%s ev=%s %s\n", hv_cfg, ev, buf);
}

void hv_record(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("0 0 %s\n", buf);
}

void hv_fail(enum hv_status code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("hv cfg=%s ev=fail code=%d %s\n", hv_cfg, code, buf);
	printf("Bail out! hypervisor failed (code %d)\n", code);
	guest_exit(code);
}

static uint32_t expected_sum(void)
{
	uint32_t n = PAYLOAD_SUM_N;
	return n * (n + 1) / 2 * (2 * n + 1) / 3;
}

static void check_run(const struct hv_vcpu *v)
{
	static const uint32_t post[] = {1, 2, 3, 4, 5, 6, 7, 8};
	bool post_ok = v->npost == ARRAY_SIZE(post);
	for (unsigned i = 0; post_ok && i < ARRAY_SIZE(post); i++)
		post_ok = v->post_codes[i] == post[i];
	const uint32_t *mem = hv_gpa_to_hva(GUEST_RESULT_GPA, 8);
	hv_trace("result", "exits=%u post_codes=%u result=%u expected=%u cpuid_ebx0=0x%x mem0=0x%x mem1=%u",
		 v->exits, v->npost, v->result, expected_sum(), v->cpuid_ebx0, mem[0], mem[1]);
	tap_ok(post_ok, "%s: guest went real -> protected -> paged -> long -> protected -> real -> protected", hv_cfg);
	tap_ok(v->have_result && v->result == expected_sum(), "%s: guest's sum of squares is %u", hv_cfg,
	       expected_sum());
	tap_check_u64(v->cpuid_ebx0, cpuid(0, 0).b, "%s: CPUID exit returned leaf 0 to the guest", hv_cfg);
	tap_ok(mem[0] == 0x600DF00D && mem[1] == expected_sum(),
	       "%s: guest stores reached guest memory through EPT", hv_cfg);
}

/* The state KVM's path must leave in the VMCS, from SDM Vol. 3C §23.8 and
 * §26.3.1 (what a restricted guest can run) and the path itself: CR0 =
 * NW|CD|ET at reset, NW|CD never reach hardware, NE always does, PE|PG too
 * without unrestricted guest; real mode without it is vm86 (VM, IOPL 3,
 * CR4.VME) under the private TSS with the identity table as CR3. */

static void check_state(const struct hv_vcpu *v, bool emulation_at_reset)
{
	bool ug = v->ug;
	const struct hv_snapshot *r = &v->at_reset, *l = &v->in_long_mode, *h = &v->at_halt;
	tap_check_u64(r->cr0_shadow, 0x60000010, "%s: reset: CR0 read shadow = NW|CD|ET", hv_cfg);
	tap_check_u64(r->cr0, ug ? 0x30 : 0x80000031, "%s: reset: GUEST_CR0 = ET|NE%s", hv_cfg,
		      ug ? "" : "|PE|PG");
	tap_check_u64(r->cr4, ug ? 0x2000 : 0x2011, "%s: reset: GUEST_CR4 = VMXE%s", hv_cfg,
		      ug ? "" : "|PSE|VME");
	tap_check_u64(r->cr3, ug ? 0 : HV_IDENTITY_MAP_GPA, "%s: reset: GUEST_CR3 %s", hv_cfg,
		      ug ? "is the guest's" : "is the identity table");
	tap_check_u64(r->rflags, ug ? 0x2 : 0x23002, "%s: reset: GUEST_RFLAGS%s", hv_cfg,
		      ug ? "" : " has VM and IOPL 3");
	tap_check_u64(r->tr_base, ug ? 0 : HV_RMODE_TSS_GPA, "%s: reset: TR base", hv_cfg);
	uint32_t cr3_exits_paged = hv_config.cr3_exiting_optional ? 0 : PROC_CR3_EXITING;
	tap_check_u64(r->proc & PROC_CR3_EXITING, ug ? cr3_exits_paged : PROC_CR3_EXITING,
		      "%s: reset: CR3 load/store exiting %s", hv_cfg, ug ? "as the CPU allows" : "on");
	tap_check_u64(emulation_at_reset, !ug, "%s: reset: emulation_required (CS base != selector << 4)",
		      hv_cfg);
	tap_ok(l->taken && (l->entry & ENTRY_IA32E_MODE) && l->efer == (EFER_LME | EFER_LMA) &&
		       (l->cs_ar & AR_L) && (l->cr0 & CR0_PG) && (l->cr4 & CR4_PAE) && l->cr3 == 0x1000 &&
		       (l->proc & PROC_CR3_EXITING) == cr3_exits_paged,
	       "%s: long mode: IA-32e guest, EFER = LME|LMA, CS.L, PG, PAE, guest CR3, CR3 exits off where allowed", hv_cfg);
	tap_check_u64(h->cr0_shadow, 0x60000013, "%s: halt: CR0 read shadow = NW|CD|ET|MP|PE", hv_cfg);
	/* VM entry leaves CR0 bits 63:32, 28:19, 17, 15:6, ET, NW and CD as
	 * they were (SDM Vol. 3C §26.3.2.1), so the CR0 saved at the exit has
	 * the host's NW and CD whatever hw_cr0 said. */
	uint64_t keep = 0x7FFAFFD0ull;
	tap_check_u64(h->cr0, ((ug ? 0x33 : 0x80000033) & ~keep) | (read_cr0() & keep),
		      "%s: halt: CR0 saved at exit = hw_cr0, NW/CD/ET kept from the host", hv_cfg);
	tap_ok(!(h->entry & ENTRY_IA32E_MODE) && h->efer == 0, "%s: halt: IA-32e mode left, EFER = 0", hv_cfg);
	tap_check_u64(h->cr4, ug ? 0x2030 : 0x2010, "%s: halt: GUEST_CR4 (shadow 0x%lx)", hv_cfg,
		      (unsigned long)h->cr4_shadow);
	tap_check_u64(h->cr3, ug ? 0x1000 : HV_IDENTITY_MAP_GPA, "%s: halt: GUEST_CR3", hv_cfg);
	tap_ok(!(h->rflags & (RFLAGS_VM | RFLAGS_IOPL)) && h->tr_base == 0,
	       "%s: halt: after real mode again, RFLAGS.VM/IOPL and TR are the guest's (0x%lx, 0x%lx)",
	       hv_cfg, (unsigned long)h->rflags, (unsigned long)h->tr_base);
}

static void run_config(bool ug)
{
	static struct hv_vcpu vcpu;
	hv_cfg = ug ? "ug" : "noug";
	/* Without EPT (or another control both runs need) nothing can run:
	 * that is a failure.  Only a missing unrestricted guest skips. */
	if (!hv_setup_vmcs_config(false))
		hv_fail(HV_ERR_CAPS, "why=required_controls_missing");
	if (ug && !hv_setup_vmcs_config(true)) {
		hv_trace("skip", "why=no_unrestricted_guest");
		for (int i = 0; i < CHECKS_PER_CFG; i++)
			tap_skip("no unrestricted guest on this CPU", "%s: check %d", hv_cfg, i);
		return;
	}
	hv_trace("config", "ug=%d ept=1 guest_ram=0x%lx payload=0x%lx reset=0x%lx identity_map=0x%lx tss=0x%lx",
		 ug, (unsigned long)GUEST_RAM_SIZE, (unsigned long)GUEST_PAYLOAD_GPA,
		 (unsigned long)GUEST_RESET_GPA, (unsigned long)HV_IDENTITY_MAP_GPA,
		 (unsigned long)HV_RMODE_TSS_GPA);
	hv_guest_memory_init();
	hv_vm_create_vcpu(&vcpu, ug);
	hv_snapshot(&vcpu.at_reset);
	bool emulation_at_reset = vcpu.emulation_required;
	hv_vcpu_run(&vcpu);
	hv_destroy_vcpu(&vcpu);
	check_run(&vcpu);
	check_state(&vcpu, emulation_at_reset);
}

int main(void)
{
	const char *cmd = mb.cmdline;
	bool want_ug = true, want_noug = true;
	/* The command line is "IMAGE [ARGS]": a word "ug" or "noug" picks one
	 * configuration. */
	for (const char *p = cmd; *p; p++) {
		if ((p == cmd || p[-1] == ' ') && !strncmp(p, "noug", 4) && (p[4] == 0 || p[4] == ' '))
			want_ug = false;
		else if ((p == cmd || p[-1] == ' ') && !strncmp(p, "ug", 2) && (p[2] == 0 || p[2] == ' '))
			want_noug = false;
	}
	tap_plan(CHECKS_PER_CFG * (want_ug + want_noug));
	hv_hardware_enable();
	if (want_ug)
		run_config(true);
	if (want_noug)
		run_config(false);
	hv_cfg = "done";
	hv_hardware_disable();
	hv_trace("vmxoff", "ok=1");
	return tap_done();
}
