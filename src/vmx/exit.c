/* VM exits (exit.h): recording the exit, saving guest state, the MSR
 * lists, loading host state, and the VMX abort.  Written as the numbered
 * steps of shared/spec/vm-exits.md §7 (SDM Vol. 3C §27.1-§27.7):
 *
 *   1. record exit reason and qualification                  (§6)
 *   2. a. clear the valid bit of VM-entry interruption info  (§4)
 *      b. save guest state                                   (§8)
 *      c. VM-exit MSR-store list        -> VMX abort 1       (§10)
 *   3. load host state  (abort 6: IA-32e guest, HASS = 0;
 *                        abort 2: bad PAE host PDPTE)        (§9)
 *   4. VM-exit MSR-load list            -> VMX abort 4       (§10)
 *   5. root operation, RIP = host RIP
 *
 * A VM-entry failure (vm-entry-checks.md §8) does 1, 3, 4, 5 only.
 */
#include "exit.h"
#include "exit_names.h"

#include <string.h>

#include "../cpu/cpu.h"
#include "../cpu/cr.h"
#include "../cpu/debug.h"
#include "../cpu/flags.h"
#include "../cpu/mmu.h"
#include "../cpu/msr.h"
#include "../mem/bus.h"
#include "checks.h"
#include "ept.h"
#include "nonroot.h"
#include "profile.h"
#include "vmx.h"

/* As in entry.c: CR0 bits that VM entry and exit leave alone. */
#define CR0_KEEP 0xffffffff7ffaffd0ull

/* VMX-abort indicators (vm-exits.md §11). */
enum {
	VMX_ABORT_MSR_STORE = 1, VMX_ABORT_HOST_PDPTE = 2, VMX_ABORT_MSR_LOAD = 4,
	VMX_ABORT_HOST_ADDR32 = 6,
};

#define MSR_IA32_SMBASE 0x9e
#define APIC_BASE_X2APIC (1ull << 10)


const char *vmx_exit_reason_name(unsigned reason)
{
	if (reason < VMX_EXIT_NAME_COUNT && vmx_exit_names[reason])
		return vmx_exit_names[reason];
	return "?";
}

void vmx_exit_set_insn_len(struct cpu *cpu, unsigned len)
{
	VMCS_SET(cpu->vmx, EXIT_INSTRUCTION_LEN, len);
}

/* §11: write the indicator to bytes 4-7 of the current VMCS region and
 * stop in the VMX-abort shutdown state. */
static int vmx_abort(struct cpu *cpu, uint32_t indicator)
{
	struct vmx *v = cpu->vmx;
	struct vmx_event ev = { .kind = VMX_EV_ABORT, .error = indicator };

	bus_write(cpu->bus, v->current_vmcs + VMCS_OFF_ABORT, 4, indicator);
	cpu->vmx_nonroot = false;
	cpu->vmx_events = false;
	v->op = VMX_ROOT;
	v->preempt_armed = false;
	vmx_emit(v, &ev);
	cpu->stop = STOP_SHUTDOWN;
	return X_STOP;
}

/* --- 2b. Saving guest state (§8) ---------------------------------------- */

/* Blocking by STI or MOV SS while the shadowed instruction has not
 * completed (run.c: intr_shadow 1 before it, 2 while it runs);
 * cpu->shadow_mov_ss says which instruction set it. */
static uint32_t interruptibility(const struct cpu *cpu)
{
	const struct vmx *v = cpu->vmx;
	uint32_t s = 0;

	if (cpu->intr_shadow) {
		if (cpu->shadow_mov_ss)
			s |= VMX_INTR_STATE_MOV_SS;
		else
			s |= VMX_INTR_STATE_STI;
	}
	if ((VMCS_GET(v, PIN_CONTROLS) & VMX_PIN_VIRTUAL_NMIS) ? v->nmi_blocked_virtual
	                                                      : v->nmi_blocked)
		s |= VMX_INTR_STATE_NMI;
	return s;
}

/* RFLAGS.RF rule of §8: an exit caused by a fault-class exception saves
 * RF = 1, as the pushed image would hold; so do EPT violations and
 * misconfigurations, APIC-access and PML-full exits that did not happen
 * during event delivery. */
static uint64_t saved_rflags(const struct cpu *cpu, uint32_t reason)
{
	const struct vmx *v = cpu->vmx;
	uint64_t f = flags_read(cpu);
	uint32_t info = (uint32_t)VMCS_GET(v, EXIT_INTR_INFO);

	if (reason == EXIT_EXCEPTION_NMI && (info & VMX_INTR_VALID) &&
	    VMX_INTR_TYPE(info) == VMX_INTR_HW_EXC) {
		switch (VMX_INTR_VECTOR(info)) {
		case EXC_DB: case EXC_BP: case EXC_OF: case EXC_DF: case EXC_MC:
			break;
		default:
			f |= RFLAGS_RF;
			break;
		}
	}
	if ((reason == EXIT_EPT_VIOLATION || reason == EXIT_EPT_MISCONFIG ||
	     reason == EXIT_APIC_ACCESS || reason == EXIT_PML_FULL) &&
	    !(VMCS_GET(v, IDT_VECTORING_INFO) & VMX_INTR_VALID))
		f |= RFLAGS_RF;
	return f;
}

/* Activity state at the exit: HLT (or the shutdown / wait-for-SIPI state
 * the guest was entered in) while the CPU is halted, else active. */
static uint32_t activity(const struct cpu *cpu)
{
	if (!cpu->halted)
		return VMX_ACTIVE;
	return cpu->vmx->guest_activity >= VMX_SHUTDOWN ? cpu->vmx->guest_activity : VMX_HLT;
}

/* Pending debug exceptions: 0, except for #DB traps that MOV-SS blocking
 * still holds (vm-exits.md §8): B3-B0, bit 12 when any is set, BS. */
static uint64_t pending_dbg(const struct cpu *cpu)
{
	uint64_t p = 0;

	if (!cpu->intr_shadow || !(cpu->dbg_held & DEBUG_HELD_SHADOW))
		return 0;
	p = cpu->dbg_held & DR6_B0_B3;
	if (p)
		p |= 1ull << 12;
	if (cpu->dbg_held & DEBUG_HELD_BS)
		p |= DR6_BS;
	return p;
}

static void save_seg(struct vmx *v, unsigned sreg, enum vmcs_index sel, enum vmcs_index base,
                     enum vmcs_index limit, enum vmcs_index ar)
{
	const struct seg *s = &v->cpu->seg[sreg];

	vmcs_set_idx(v, sel, s->sel);
	vmcs_set_idx(v, base, s->base);
	vmcs_set_idx(v, limit, s->limit);
	vmcs_set_idx(v, ar, s->attr & 0x1f0ffu);
}

#define SAVE_SEG(v, sreg, NAME)                                                      \
	save_seg((v), (sreg), VMCS_IDX_GUEST_##NAME##_SELECTOR, VMCS_IDX_GUEST_##NAME##_BASE, \
	         VMCS_IDX_GUEST_##NAME##_LIMIT, VMCS_IDX_GUEST_##NAME##_AR_BYTES)

/* Segment registers with their caches, limits byte-granular; GDTR, IDTR. */
static void save_segments(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;

	SAVE_SEG(v, SEG_ES, ES);
	SAVE_SEG(v, SEG_CS, CS);
	SAVE_SEG(v, SEG_SS, SS);
	SAVE_SEG(v, SEG_DS, DS);
	SAVE_SEG(v, SEG_FS, FS);
	SAVE_SEG(v, SEG_GS, GS);
	SAVE_SEG(v, SEG_LDTR, LDTR);
	SAVE_SEG(v, SEG_TR, TR);
	VMCS_SET(v, GUEST_GDTR_BASE, cpu->gdtr.base);
	VMCS_SET(v, GUEST_GDTR_LIMIT, cpu->gdtr.limit);
	VMCS_SET(v, GUEST_IDTR_BASE, cpu->idtr.base);
	VMCS_SET(v, GUEST_IDTR_LIMIT, cpu->idtr.limit);
}

/* Guest PDPTEs when EPT is on and the guest uses PAE paging: the PDPTE
 * registers entry loaded, else read through EPT as the walker would (a
 * probe: no A/D bits, no exit). */
static void save_pdptes(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	static const enum vmcs_index f[4] = {
		VMCS_IDX_GUEST_PDPTE0, VMCS_IDX_GUEST_PDPTE1, VMCS_IDX_GUEST_PDPTE2,
		VMCS_IDX_GUEST_PDPTE3,
	};

	for (unsigned i = 0; i < 4; i++) {
		uint64_t gpa = (cpu->cr3 & 0xffffffe0ull) + 8 * i, hpa;

		if (cpu->pdpte_valid)
			vmcs_set_idx(v, f[i], cpu->pdpte[i]);
		else if (ept_translate(cpu, gpa, ACC_READ, 0, EPTF_NOFAULT, &hpa) == X_OK)
			vmcs_set_idx(v, f[i], bus_read(cpu->bus, hpa, 8));
		else
			vmcs_set_idx(v, f[i], 0);
	}
}

static void save_guest_state(struct cpu *cpu, uint32_t reason)
{
	struct vmx *v = cpu->vmx;
	uint32_t exit = (uint32_t)VMCS_GET(v, EXIT_CONTROLS);
	uint32_t entry = (uint32_t)VMCS_GET(v, ENTRY_CONTROLS);

	VMCS_SET(v, GUEST_CR0, cpu->cr0);
	VMCS_SET(v, GUEST_CR3, cpu->cr3);
	VMCS_SET(v, GUEST_CR4, cpu->cr4);
	/* IA32_DEBUGCTL is not modelled: the guest cannot change it, so it
	 * still holds what entry loaded (the field, untouched) or, without
	 * "load debug controls", the host's value, 0. */
	if (exit & VMX_EXIT_SAVE_DEBUG) {
		VMCS_SET(v, GUEST_DR7, cpu->dr[7]);
		if (!(entry & VMX_ENTRY_LOAD_DEBUG))
			VMCS_SET(v, GUEST_IA32_DEBUGCTL, 0);
	}
	VMCS_SET(v, GUEST_IA32_SYSENTER_CS, cpu->sysenter_cs);
	VMCS_SET(v, GUEST_IA32_SYSENTER_ESP, cpu->sysenter_esp);
	VMCS_SET(v, GUEST_IA32_SYSENTER_EIP, cpu->sysenter_eip);
	/* IA32_PERF_GLOBAL_CTRL likewise (not modelled). */
	if ((exit & VMX_EXIT_SAVE_PERF_GLOBAL) && !(entry & VMX_ENTRY_LOAD_PERF_GLOBAL))
		VMCS_SET(v, GUEST_IA32_PERF_GLOBAL_CTRL, 0);
	if (exit & VMX_EXIT_SAVE_PAT)
		VMCS_SET(v, GUEST_IA32_PAT, cpu->pat);
	if (exit & VMX_EXIT_SAVE_EFER)
		VMCS_SET(v, GUEST_IA32_EFER, cpu->efer);
	save_segments(cpu);
	VMCS_SET(v, GUEST_RIP, cpu->rip);
	VMCS_SET(v, GUEST_RSP, cpu->gpr[R_RSP]);
	VMCS_SET(v, GUEST_RFLAGS, saved_rflags(cpu, reason));
	VMCS_SET(v, GUEST_ACTIVITY_STATE, activity(cpu));
	VMCS_SET(v, GUEST_INTERRUPTIBILITY, interruptibility(cpu));
	VMCS_SET(v, GUEST_PENDING_DBG_EXCEPTIONS, pending_dbg(cpu));
	if (exit & VMX_EXIT_SAVE_TIMER)
		VMCS_SET(v, PREEMPTION_TIMER_VALUE,
		         reason == EXIT_PREEMPTION_TIMER ? 0 : vmx_timer_value(cpu));
	if ((VMCS_GET(v, PROC2_CONTROLS) & VMX_PROC2_EPT) && (cpu->cr0 & CR0_PG) &&
	    (cpu->cr4 & CR4_PAE) && !(cpu->efer & EFER_LMA))
		save_pdptes(cpu);
	/* IA32_VMX_MISC[5]: "IA-32e mode guest" follows EFER.LMA. */
	if (vmx_cap(v->profile, MSR_IA32_VMX_MISC) & VMX_MISC_STORE_LMA)
		VMCS_SET(v, ENTRY_CONTROLS, (cpu->efer & EFER_LMA) ? entry | VMX_ENTRY_IA32E_GUEST
		                                                   : entry & ~VMX_ENTRY_IA32E_GUEST);
}

/* 2c. The VM-exit MSR-store list (§10).  False: VMX abort 1. */
static bool store_msr_list(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	uint64_t addr = VMCS_GET(v, EXIT_MSR_STORE_ADDR);
	uint32_t count = (uint32_t)VMCS_GET(v, EXIT_MSR_STORE_COUNT);

	for (uint32_t i = 0; i < count; i++) {
		uint64_t lo = bus_read(cpu->bus, addr + 16ull * i, 8), val;
		uint32_t msr = (uint32_t)lo;

		cpu->cycles += VMX_MSR_ENTRY_CYCLES;
		if ((lo >> 32) != 0 || msr == MSR_IA32_SMBASE)
			return false;
		if ((msr >> 8) == 0x8 && (cpu->apic_base & APIC_BASE_X2APIC))
			return false;
		if (msr_read(cpu, msr, &val) != X_OK)
			return false;
		bus_write(cpu->bus, addr + 16ull * i + 8, 8, val);
	}
	return true;
}

/* --- 3. Loading host state (§9) ----------------------------------------- */

/* A host that uses PAE paging without HASS loads its PDPTEs from CR3: a
 * present entry with a reserved bit set (2:1, 8:5, 63:MAXPHYADDR) is VMX
 * abort 2. */
static bool host_pdptes_ok(struct cpu *cpu, uint64_t cr3)
{
	uint64_t rsvd = ~cpu->maxphyaddr_mask | 0x1e6ull;

	for (unsigned i = 0; i < 4; i++) {
		uint64_t e = bus_read(cpu->bus, (cr3 & 0xffffffe0ull) + 8 * i, 8);

		if ((e & PTE_P) && (e & rsvd))
			return false;
	}
	return true;
}

/* CS, SS, DS, ES, FS, GS, TR, LDTR as §9's table gives them. */
static void load_host_segments(struct cpu *cpu, bool hass)
{
	struct vmx *v = cpu->vmx;
	static const struct { unsigned sreg; enum vmcs_index sel; } data[5] = {
		{ SEG_SS, VMCS_IDX_HOST_SS_SELECTOR }, { SEG_DS, VMCS_IDX_HOST_DS_SELECTOR },
		{ SEG_ES, VMCS_IDX_HOST_ES_SELECTOR }, { SEG_FS, VMCS_IDX_HOST_FS_SELECTOR },
		{ SEG_GS, VMCS_IDX_HOST_GS_SELECTOR },
	};
	uint32_t flat = SEG_P | SEG_S | SEG_G;

	cpu->seg[SEG_CS] = (struct seg){
		.sel = (uint16_t)VMCS_GET(v, HOST_CS_SELECTOR), .base = 0, .limit = 0xffffffff,
		.attr = flat | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A | (hass ? SEG_L : SEG_DB),
	};
	for (unsigned i = 0; i < 5; i++) {
		uint16_t sel = (uint16_t)v->vmcs.val[data[i].sel];
		struct seg *s = &cpu->seg[data[i].sreg];

		if (sel == 0)
			*s = (struct seg){ .sel = 0, .base = 0, .limit = 0, .attr = SEG_UNUSABLE };
		else
			*s = (struct seg){ .sel = sel, .base = 0, .limit = 0xffffffff,
			                   .attr = flat | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB };
	}
	/* FS/GS bases: loaded when HASS = 1 or the selector is not null. */
	if (hass || cpu->seg[SEG_FS].sel)
		cpu->seg[SEG_FS].base = VMCS_GET(v, HOST_FS_BASE);
	if (hass || cpu->seg[SEG_GS].sel)
		cpu->seg[SEG_GS].base = VMCS_GET(v, HOST_GS_BASE);
	cpu->seg[SEG_TR] = (struct seg){
		.sel = (uint16_t)VMCS_GET(v, HOST_TR_SELECTOR), .base = VMCS_GET(v, HOST_TR_BASE),
		.limit = 0x67, .attr = SEG_P | SYS_TSS_BUSY,
	};
	cpu->seg[SEG_LDTR] = (struct seg){ .sel = 0, .base = 0, .limit = 0, .attr = SEG_UNUSABLE };
	cpu->gdtr.base = VMCS_GET(v, HOST_GDTR_BASE);
	cpu->gdtr.limit = 0xffff;
	cpu->idtr.base = VMCS_GET(v, HOST_IDTR_BASE);
	cpu->idtr.limit = 0xffff;
}

/* Returns X_OK, or the abort's X_STOP. */
static int load_host_state(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	const struct vmx_profile *p = v->profile;
	uint32_t exit = (uint32_t)VMCS_GET(v, EXIT_CONTROLS);
	bool hass = (exit & VMX_EXIT_HOST_ADDR64) != 0;
	uint64_t cr0, cr4, cr3 = VMCS_GET(v, HOST_CR3) & cpu->maxphyaddr_mask;

	if ((cpu->efer & EFER_LMA) && !hass)
		return vmx_abort(cpu, VMX_ABORT_HOST_ADDR32);
	cr4 = (VMCS_GET(v, HOST_CR4) & vmx_cr4_fixed1(cpu)) |
	      vmx_cap(p, MSR_IA32_VMX_CR4_FIXED0);
	cr4 = hass ? cr4 | CR4_PAE : cr4 & ~CR4_PCIDE;
	if (!hass && (cr4 & CR4_PAE) && !host_pdptes_ok(cpu, cr3))
		return vmx_abort(cpu, VMX_ABORT_HOST_PDPTE);

	cr0 = (VMCS_GET(v, HOST_CR0) | vmx_cap(p, MSR_IA32_VMX_CR0_FIXED0)) &
	      vmx_cap(p, MSR_IA32_VMX_CR0_FIXED1);
	cpu->cr0 = (cpu->cr0 & CR0_KEEP) | (cr0 & ~CR0_KEEP);
	cpu->cr3 = cr3;
	cpu->cr4 = cr4;
	cpu->dr[7] = DR7_FIXED1;
	debug_update(cpu);
	cpu->sysenter_cs = VMCS_GET(v, HOST_IA32_SYSENTER_CS);
	cpu->sysenter_esp = VMCS_GET(v, HOST_IA32_SYSENTER_ESP);
	cpu->sysenter_eip = VMCS_GET(v, HOST_IA32_SYSENTER_EIP);
	if (exit & VMX_EXIT_LOAD_PAT)
		cpu->pat = VMCS_GET(v, HOST_IA32_PAT);
	if (exit & VMX_EXIT_LOAD_EFER)
		cpu->efer = VMCS_GET(v, HOST_IA32_EFER);
	else
		cpu->efer = (cpu->efer & ~(EFER_LMA | EFER_LME)) | (hass ? EFER_LMA | EFER_LME : 0);
	load_host_segments(cpu, hass);
	cpu->rip = VMCS_GET(v, HOST_RIP);
	cpu->gpr[R_RSP] = VMCS_GET(v, HOST_RSP);
	flags_write(cpu, RFLAGS_FIXED1);
	/* Activity active, no STI/MOV-SS blocking, address-range monitoring
	 * cleared, timer stopped. */
	cpu->halted = false;
	cpu->monitor_armed = false;
	cpu->intr_shadow = 0;
	cpu->dbg_held = 0;
	v->preempt_armed = false;
	v->mtf_pending = false;
	v->step_one = false;
	cpu_update_mode(cpu);
	cpu_update_ac(cpu);
	return X_OK;
}

/* 4. The VM-exit MSR-load list (§10), with the checks of VM-entry MSR
 * loading.  Returns X_OK, or the abort's X_STOP. */
static int load_exit_msr_list(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	uint64_t addr = VMCS_GET(v, EXIT_MSR_LOAD_ADDR);
	uint32_t count = (uint32_t)VMCS_GET(v, EXIT_MSR_LOAD_COUNT);
	struct vmx_diag d;

	for (uint32_t i = 0; i < count; i++) {
		uint64_t lo = bus_read(cpu->bus, addr + 16ull * i, 8);
		uint64_t val = bus_read(cpu->bus, addr + 16ull * i + 8, 8);

		cpu->cycles += VMX_MSR_ENTRY_CYCLES;
		if (!vmentry_check_msr_entry(cpu, (uint32_t)lo, (uint32_t)(lo >> 32), val, i + 1, &d) ||
		    msr_write(cpu, (uint32_t)lo, val) != X_OK)
			return vmx_abort(cpu, VMX_ABORT_MSR_LOAD);
	}
	return X_OK;
}

/* 3-5, common to VM exits and VM-entry failures.  After a VM exit the
 * host's TLB context comes back (ept.c keeps it valid for the paging state
 * its entries were made under).  A failed entry never switched contexts
 * but may have loaded guest CR3/CR0/CR4 into the host's: flush it. */
static int enter_root(struct cpu *cpu, bool entered)
{
	struct vmx *v = cpu->vmx;

	if (entered)
		ept_context_exit(cpu);
	cpu->vmx_nonroot = false;
	cpu->vmx_events = false;
	v->op = VMX_ROOT;
	TRY(load_host_state(cpu));
	if (!entered)
		tlb_flush_all(cpu);
	cpu->xlat_gen++;
	TRY(load_exit_msr_list(cpu));
	cpu->cycles += VMX_EXIT_CYCLES;
	return X_OK;
}

int vmx_exit(struct cpu *cpu, uint32_t reason, uint64_t qual)
{
	struct vmx *v = cpu->vmx;
	struct vmx_event ev = { .kind = VMX_EV_EXIT, .reason = reason, .qual = qual };

	/* 1. */
	VMCS_SET(v, EXIT_REASON, reason);
	VMCS_SET(v, EXIT_QUALIFICATION, qual);
	/* 2a-2c. */
	VMCS_SET(v, ENTRY_INTR_INFO, VMCS_GET(v, ENTRY_INTR_INFO) & ~(uint64_t)VMX_INTR_VALID);
	save_guest_state(cpu, reason);
	if (!store_msr_list(cpu))
		return vmx_abort(cpu, VMX_ABORT_MSR_STORE);
	/* 3-5. */
	TRY(enter_root(cpu, true));
	ev.guest_rip = VMCS_GET(v, GUEST_RIP);
	vmx_emit(v, &ev);
	return X_VMEXIT;
}

int vmx_exit_entry_fail(struct cpu *cpu, uint32_t reason, uint64_t qual,
                        const struct vmx_diag *diag)
{
	struct vmx *v = cpu->vmx;
	struct vmx_event ev = { .kind = VMX_EV_ENTRY_FAIL, .reason = reason | EXIT_REASON_ENTRY_FAIL,
	                        .qual = qual, .diag = &v->last_fail };

	v->last_fail = *diag;
	/* 1: reason and qualification only (vm-entry-checks.md §8). */
	VMCS_SET(v, EXIT_REASON, reason | EXIT_REASON_ENTRY_FAIL);
	VMCS_SET(v, EXIT_QUALIFICATION, qual);
	TRY(enter_root(cpu, false));
	ev.guest_rip = VMCS_GET(v, GUEST_RIP);
	vmx_emit(v, &ev);
	return X_VMEXIT;
}
