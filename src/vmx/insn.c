/* The VMX instructions: VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD,
 * VMWRITE, VMLAUNCH, VMRESUME, VMCALL, INVEPT, INVVPID and VMFUNC
 * (shared/spec/vmx-instructions.md; SDM Vol. 3C §30.3).
 *
 * Every handler follows the spec's ordered checks, whose IDs (VMXON.4,
 * VMPTRLD.7, BASIC-6...) label the code.  The common order is (§4.2, SDM
 * §25.1.1): #UD for the mode, then the VM exit in non-root operation, then
 * #GP(0) for CPL > 0, then the instruction's own checks.  That is why the
 * rows in ops_vmx.def carry neither F_CPL0 nor F_VMX_EXIT: the central
 * checks would put the #GP or the intercept in the wrong place.  A LOCK
 * prefix is still #UD centrally (F_CHK_LOCK), which comes first anyway.
 *
 * Results go through vm_succeed(), vm_fail_invalid(), vm_fail_valid() and
 * vm_fail() (§2), which own all RFLAGS handling.
 */
#include <stdbool.h>
#include <stdint.h>

#include "../cpu/cpu.h"
#include "../cpu/debug.h"
#include "../cpu/flags.h"
#include "../cpu/msr.h"
#include "../cpu/operand.h"
#include "../mem/bus.h"
#include "entry.h"
#include "ept.h"
#include "checks.h"
#include "exit.h"
#include "profile.h"
#include "vmcs.h"
#include "vmx.h"

/* VM-instruction error numbers (vmx-instructions.md §3, SDM §30.4). */
enum {
	VMXERR_VMCALL_IN_VMX_ROOT_OPERATION = 1,
	VMXERR_VMCLEAR_INVALID_ADDRESS = 2,
	VMXERR_VMCLEAR_VMXON_POINTER = 3,
	VMXERR_VMLAUNCH_NONCLEAR_VMCS = 4,
	VMXERR_VMRESUME_NONLAUNCHED_VMCS = 5,
	VMXERR_VMPTRLD_INVALID_ADDRESS = 9,
	VMXERR_VMPTRLD_VMXON_POINTER = 10,
	VMXERR_VMPTRLD_INCORRECT_VMCS_REVISION_ID = 11,
	VMXERR_UNSUPPORTED_VMCS_COMPONENT = 12,
	VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT = 13,
	VMXERR_VMXON_IN_VMX_ROOT_OPERATION = 15,
	VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS = 26,
	VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID = 28,
};

/* Control bits the instructions look at (vmx-capabilities.md §5). */
#define INSN_PROC_SECONDARY     (1u << 31)  /* activate secondary controls */
#define INSN_PROC2_EPT          (1u << 1)   /* enable EPT */
#define INSN_PROC2_VPID         (1u << 5)   /* enable VPID */
#define INSN_PROC2_VMFUNC       (1u << 13)  /* enable VM functions */
#define INSN_PROC2_SHADOWING    (1u << 14)  /* VMCS shadowing */
#define INSN_PROC2_EPT_VE       18          /* EPT-violation #VE (bit number) */

/* IA32_VMX_EPT_VPID_CAP bits (vmx-capabilities.md §8.2). */
#define CAP_INVEPT          20
#define CAP_INVEPT_SINGLE   25
#define CAP_INVEPT_ALL      26
#define CAP_INVVPID         32
#define CAP_INVVPID_TYPE0   40   /* types 0..3 are bits 40..43 */

#define REVISION_MASK 0x7fffffffu
#define SHADOW_VMCS_INDICATOR (1u << 31)

/* --- Results (§2, SDM §30.2) ------------------------------------------ */

static int vm_succeed(struct cpu *cpu)
{
	flags_set_bits(cpu, RFLAGS_ARITH, 0);
	return X_OK;
}

static void emit_vmfail(struct cpu *cpu, unsigned error)
{
	struct vmx_event ev = { .kind = VMX_EV_VMFAIL, .error = error };

	vmx_emit(cpu->vmx, &ev);
}

/* CF = 1, the other five arithmetic flags 0.  Traced with error 0. */
static int vm_fail_invalid(struct cpu *cpu)
{
	flags_set_bits(cpu, RFLAGS_ARITH, RFLAGS_CF);
	emit_vmfail(cpu, 0);
	return X_OK;
}

/* ZF = 1, the other five 0, and the error number in the current VMCS. */
static int vm_fail_valid(struct cpu *cpu, unsigned error)
{
	VMCS_SET(cpu->vmx, VM_INSTRUCTION_ERROR, error);
	flags_set_bits(cpu, RFLAGS_ARITH, RFLAGS_ZF);
	emit_vmfail(cpu, error);
	return X_OK;
}

static int vm_fail(struct cpu *cpu, unsigned error)
{
	if (cpu->vmx->current_vmcs != VMCS_NONE)
		return vm_fail_valid(cpu, error);
	return vm_fail_invalid(cpu);
}

/* --- Shared checks ------------------------------------------------------ */

/* §4.1 COMMON_UD: real mode (CR0.PE = 0), virtual-8086 mode or
 * compatibility mode. */
static bool common_ud(const struct cpu *cpu)
{
	return cpu->mode == MODE_REAL || cpu->mode == MODE_VM86 || cpu->mode == MODE_COMPAT;
}

/* VMX instructions other than VMXON, VMCALL and VMFUNC: #UD outside VMX
 * operation and under COMMON_UD. */
static bool vmx_ud(const struct cpu *cpu)
{
	return cpu->vmx->op == VMX_OUTSIDE || common_ud(cpu);
}

/* §5 (SDM §23.7, §24.2): a VMXON or VMCS pointer is 4-KiB aligned and has
 * no bit at or above MAXPHYADDR (bit 32 and up if IA32_VMX_BASIC[48]). */
static bool region_addr_ok(const struct cpu *cpu, uint64_t pa)
{
	uint64_t ok = cpu->maxphyaddr_mask;

	if ((vmx_cap(cpu->vmx->profile, MSR_IA32_VMX_BASIC) >> 48) & 1)
		ok &= 0xffffffffull;
	return !(pa & 0xfff) && !(pa & ~ok);
}

static uint32_t revision_id(const struct vmx_profile *p)
{
	return (uint32_t)vmx_cap(p, MSR_IA32_VMX_BASIC) & REVISION_MASK;
}

/* 64-bit operands in 64-bit mode, 32-bit ones elsewhere (§4: the 66H
 * prefix and REX.W do not change it). */
static bool op64(const struct cpu *cpu)
{
	return cpu->mode == MODE_LONG;
}

static uint64_t reg_operand(const struct cpu *cpu, const struct insn *in, unsigned i)
{
	uint64_t v = cpu->gpr[in->op[i].reg];

	return op64(cpu) ? v : (uint32_t)v;
}

/* The VM-entry EPTP checks CTL-26..CTL-30 (vm-entry-checks.md §2.1, SDM
 * §26.2.1.1), which INVEPT type 1 (INVEPT.6) and EPTP switching
 * (VMFUNC.5) apply to a candidate EPTP. */
static bool eptp_ok(const struct cpu *cpu, uint64_t eptp)
{
	struct vmx_diag d;

	return vmentry_check_eptp(cpu, eptp, &d);
}

/* --- VM exits of the instructions (non-root operation) ------------------ */

/* vm-exits.md §3.6: the displacement, sign-extended; with RIP-relative
 * addressing plus the RIP of the next instruction; 0 for a register
 * operand. */
static uint64_t exit_qual_disp(const struct cpu *cpu, const struct insn *in)
{
	uint64_t q;

	if (!in->has_mem)
		return 0;
	q = (uint64_t)in->mem.disp;
	if (in->mem.base == MEMREG_RIP)
		q += cpu->rip + in->len;
	return q;
}

/* The memory-operand part of the instruction-information field
 * (vm-exits.md §5.2, §5.6, §5.7; undefined bits are written 0):
 *
 *   31..28 reg2 | 27 base invalid | 26..23 base | 22 index invalid |
 *   21..18 index | 17..15 segment | 10 register operand | 9..7 address
 *   size (0 = 16, 1 = 32, 2 = 64) | 6..3 reg1 | 1..0 scaling
 *
 * RIP-relative addressing reports no base: the qualification already
 * holds the next RIP. */
static uint32_t info_mem(const struct insn *in)
{
	const struct memref *m = &in->mem;
	uint32_t info = (uint32_t)(in->asize - 1) << 7 | (uint32_t)(m->seg & 7) << 15;

	if (m->index == MEMREG_NONE)
		info |= 1u << 22;
	else
		info |= (uint32_t)m->scale | (uint32_t)(m->index & 15) << 18;
	if (m->base == MEMREG_NONE || m->base == MEMREG_RIP)
		info |= 1u << 27;
	else
		info |= (uint32_t)(m->base & 15) << 23;
	return info;
}

/* §5.7: VMREAD/VMWRITE, `rm` the operand index of the r/m operand and
 * `reg2` that of the encoding register. */
static uint32_t info_vmrw(const struct insn *in, unsigned rm, unsigned reg2)
{
	uint32_t info = (uint32_t)(in->op[reg2].reg & 15) << 28;

	if (in->op[rm].kind == OPK_MEM)
		return info | info_mem(in);
	return info | 1u << 10 | (uint32_t)(in->op[rm].reg & 15) << 3;
}

/* An instruction-caused VM exit, fault-like: RIP stays on the
 * instruction (vm-exits.md §1).  Records the instruction length and, if
 * the reason has one, the instruction information. */
static int insn_exit(struct cpu *cpu, const struct insn *in, unsigned reason, bool has_info,
                     uint32_t info, uint64_t qual)
{
	struct vmx *v = cpu->vmx;

	VMCS_SET(v, EXIT_INSTRUCTION_LEN, in->len);
	if (has_info)
		VMCS_SET(v, EXIT_INSTRUCTION_INFO, info);
	return vmx_exit(cpu, reason, qual);
}

/* VMCLEAR, VMPTRLD, VMPTRST, VMXON: §5.6 information, displacement. */
static int insn_exit_mem(struct cpu *cpu, const struct insn *in, unsigned reason)
{
	return insn_exit(cpu, in, reason, true, info_mem(in), exit_qual_disp(cpu, in));
}

/* --- VMXON (§7; SDM Vol. 3C §30.3) --------------------------------------- */

int op_vmxon(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;
	const struct vmx_profile *p = v->profile;
	uint64_t ptr;
	uint32_t rev;

	/* VMXON.1 */
	if (!in->has_mem || !(cpu->cr4 & CR4_VMXE) || common_ud(cpu))
		return cpu_ud(cpu);
	/* VMXON.2 */
	if (v->op == VMX_NONROOT)
		return insn_exit_mem(cpu, in, EXIT_VMXON);
	if (v->op == VMX_ROOT) {
		/* VMXON.3 */
		if (cpu->cpl > 0)
			return cpu_gp0(cpu);
		/* VMXON.4: the operand is not read. */
		return vm_fail(cpu, VMXERR_VMXON_IN_VMX_ROOT_OPERATION);
	}
	/* VMXON.5 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* VMXON.6: A20M is not modelled (addresses are never masked). */
	/* VMXON.7, VMXON.8 (SDM §23.8): the full FIXED0/FIXED1 comparison. */
	if (!vmx_cr0_fixed_ok(p, cpu->cr0, false) || !vmx_cr4_fixed_ok(p, cpu->cr4))
		return cpu_gp0(cpu);
	/* VMXON.9, VMXON.10 (SDM §23.7): locked, and VMX allowed outside SMX
	 * (there is no SMX operation). */
	if (!(cpu->feature_control & FEATURE_CONTROL_LOCK) ||
	    !(cpu->feature_control & FEATURE_CONTROL_VMX_OUTSIDE))
		return cpu_gp0(cpu);
	/* VMXON.11 */
	TRY(insn_mem_read(cpu, in, 8, &ptr));
	/* VMXON.12: outside VMX operation every VMfail is VMfailInvalid. */
	if (!region_addr_ok(cpu, ptr))
		return vm_fail_invalid(cpu);
	/* VMXON.13 */
	rev = (uint32_t)bus_read(cpu->bus, ptr + VMCS_OFF_REVISION, 4);
	if ((rev & REVISION_MASK) != revision_id(p) || (rev & SHADOW_VMCS_INDICATOR))
		return vm_fail_invalid(cpu);
	/* VMXON.14.  INIT and A20M are not modelled, nor address-range
	 * monitoring. */
	v->op = VMX_ROOT;
	v->vmxon_ptr = ptr;
	v->current_vmcs = VMCS_NONE;
	v->current_launched = false;
	v->current_shadow = false;
	return vm_succeed(cpu);
}

/* --- VMXOFF (§8; SDM Vol. 3C §30.3) -------------------------------------- */

int op_vmxoff(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;

	/* VMXOFF.1 */
	if (vmx_ud(cpu))
		return cpu_ud(cpu);
	/* VMXOFF.2 */
	if (v->op == VMX_NONROOT)
		return insn_exit(cpu, in, EXIT_VMXOFF, false, 0, 0);
	/* VMXOFF.3 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* VMXOFF.4: no dual-monitor treatment (IA32_VMX_BASIC[49] = 0).
	 * VMXOFF.5.  The SDM leaves active VMCSs undefined; softvtx writes the
	 * current one back so that its region stays meaningful. */
	if (v->current_vmcs != VMCS_NONE)
		vmcs_store_region(v, v->current_vmcs);
	v->op = VMX_OUTSIDE;
	v->current_vmcs = VMCS_NONE;
	v->current_launched = false;
	v->current_shadow = false;
	return vm_succeed(cpu);
}

/* --- VMCLEAR (§9; SDM Vol. 3C §30.3) ------------------------------------- */

int op_vmclear(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;
	uint64_t ptr;

	/* VMCLEAR.1 */
	if (!in->has_mem || vmx_ud(cpu))
		return cpu_ud(cpu);
	/* VMCLEAR.2 */
	if (v->op == VMX_NONROOT)
		return insn_exit_mem(cpu, in, EXIT_VMCLEAR);
	/* VMCLEAR.3 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* VMCLEAR.4 */
	TRY(insn_mem_read(cpu, in, 8, &ptr));
	/* VMCLEAR.5 */
	if (!region_addr_ok(cpu, ptr))
		return vm_fail(cpu, VMXERR_VMCLEAR_INVALID_ADDRESS);
	/* VMCLEAR.6 */
	if (ptr == v->vmxon_ptr)
		return vm_fail(cpu, VMXERR_VMCLEAR_VMXON_POINTER);
	/* VMCLEAR.7: the revision identifier is not checked. */
	if (ptr == v->current_vmcs) {
		v->current_launched = false;
		vmcs_store_region(v, ptr);
		v->current_vmcs = VMCS_NONE;
		v->current_shadow = false;
	} else {
		vmcs_clear_region(v, ptr);
	}
	return vm_succeed(cpu);
}

/* --- VMPTRLD (§10; SDM Vol. 3C §30.3) ------------------------------------ */

int op_vmptrld(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;
	const struct vmx_profile *p = v->profile;
	uint64_t ptr;
	uint32_t rev;

	/* VMPTRLD.1 */
	if (!in->has_mem || vmx_ud(cpu))
		return cpu_ud(cpu);
	/* VMPTRLD.2 */
	if (v->op == VMX_NONROOT)
		return insn_exit_mem(cpu, in, EXIT_VMPTRLD);
	/* VMPTRLD.3 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* VMPTRLD.4 */
	TRY(insn_mem_read(cpu, in, 8, &ptr));
	/* VMPTRLD.5; failures are reported in the old current VMCS. */
	if (!region_addr_ok(cpu, ptr))
		return vm_fail(cpu, VMXERR_VMPTRLD_INVALID_ADDRESS);
	/* VMPTRLD.6 */
	if (ptr == v->vmxon_ptr)
		return vm_fail(cpu, VMXERR_VMPTRLD_VMXON_POINTER);
	/* VMPTRLD.7: a shadow VMCS only if "VMCS shadowing" may be 1. */
	rev = (uint32_t)bus_read(cpu->bus, ptr + VMCS_OFF_REVISION, 4);
	if ((rev & REVISION_MASK) != revision_id(p) ||
	    ((rev & SHADOW_VMCS_INDICATOR) &&
	     !vmx_cap_allows1(p, MSR_IA32_VMX_PROCBASED_CTLS2, 14)))
		return vm_fail(cpu, VMXERR_VMPTRLD_INCORRECT_VMCS_REVISION_ID);
	/* VMPTRLD.8: the previous current VMCS stays active; its cached data
	 * goes back to its region.  Reloading the current VMCS does nothing. */
	if (ptr != v->current_vmcs) {
		if (v->current_vmcs != VMCS_NONE)
			vmcs_store_region(v, v->current_vmcs);
		vmcs_load_region(v, ptr);
		v->current_vmcs = ptr;
	}
	return vm_succeed(cpu);
}

/* --- VMPTRST (§11; SDM Vol. 3C §30.3) ------------------------------------ */

int op_vmptrst(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;

	/* VMPTRST.1 */
	if (!in->has_mem || vmx_ud(cpu))
		return cpu_ud(cpu);
	/* VMPTRST.2 */
	if (v->op == VMX_NONROOT)
		return insn_exit_mem(cpu, in, EXIT_VMPTRST);
	/* VMPTRST.3 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* VMPTRST.4 */
	TRY(insn_mem_write(cpu, in, 8, v->current_vmcs));
	return vm_succeed(cpu);
}

/* --- VMREAD and VMWRITE (§12; SDM Vol. 3C §30.3) ------------------------- */

/* VMREAD.2 / VMWRITE.2 (SDM §25.1.3, vmcs-fields.md §4.11): in non-root
 * operation the instruction exits unless "VMCS shadowing" is on, the
 * encoding fits in bits 14:0 and its bit in the VMREAD or VMWRITE bitmap
 * is 0. */
static bool shadow_exits(struct cpu *cpu, uint64_t enc, bool write)
{
	struct vmx *v = cpu->vmx;
	uint64_t bitmap;

	if (!(VMCS_GET(v, PROC_CONTROLS) & INSN_PROC_SECONDARY) ||
	    !(VMCS_GET(v, PROC2_CONTROLS) & INSN_PROC2_SHADOWING))
		return true;
	if (enc >> 15)
		return true;
	bitmap = write ? VMCS_GET(v, VMWRITE_BITMAP) : VMCS_GET(v, VMREAD_BITMAP);
	return (bus_read(cpu->bus, bitmap + (enc >> 3), 1) >> (enc & 7)) & 1;
}

/* The VMCS VMREAD and VMWRITE work on: the current VMCS in root operation
 * (cached), the one the VMCS link pointer names in non-root operation (in
 * memory).  VMCS_NONE when there is none (VMREAD.4 / VMWRITE.4). */
static uint64_t rw_target(const struct vmx *v)
{
	if (v->op == VMX_NONROOT)
		return VMCS_GET(v, VMCS_LINK_POINTER);
	return v->current_vmcs;
}

/* VMREAD: r/m (operand 0) <- field named by the register (operand 1). */
int op_vmread(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;
	uint64_t enc, target, stored, val;
	int i;

	/* VMREAD.1 */
	if (vmx_ud(cpu))
		return cpu_ud(cpu);
	enc = reg_operand(cpu, in, 1);
	/* VMREAD.2 */
	if (v->op == VMX_NONROOT && shadow_exits(cpu, enc, false))
		return insn_exit(cpu, in, EXIT_VMREAD, true, info_vmrw(in, 0, 1),
		                 exit_qual_disp(cpu, in));
	/* VMREAD.3 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* VMREAD.4 */
	target = rw_target(v);
	if (target == VMCS_NONE)
		return vm_fail_invalid(cpu);
	/* VMREAD.5.  Errors of a shadowed VMREAD go to the ordinary current
	 * VMCS, as Bochs does (§12.4: implementation-defined). */
	i = vmcs_rw_index(v->profile, enc);
	if (i < 0)
		return vm_fail_valid(cpu, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	/* VMREAD.6 */
	if (v->op == VMX_NONROOT)
		stored = vmcs_region_get(v, target, (enum vmcs_index)i);
	else
		stored = v->vmcs.val[i];
	val = vmcs_read_value(enc, stored, op64(cpu));
	if (in->op[0].kind == OPK_MEM)
		TRY(insn_mem_write(cpu, in, op64(cpu) ? 8 : 4, val));
	else
		cpu_gpr_write(cpu, in->op[0].reg, op64(cpu) ? 3 : 2, val);
	/* VMREAD.7 */
	return vm_succeed(cpu);
}

/* VMWRITE: field named by the register (operand 0) <- r/m (operand 1). */
int op_vmwrite(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;
	const struct vmx_profile *p = v->profile;
	uint64_t enc, target, src, old;
	int i;

	/* VMWRITE.1 */
	if (vmx_ud(cpu))
		return cpu_ud(cpu);
	enc = reg_operand(cpu, in, 0);
	/* VMWRITE.2 */
	if (v->op == VMX_NONROOT && shadow_exits(cpu, enc, true))
		return insn_exit(cpu, in, EXIT_VMWRITE, true, info_vmrw(in, 1, 0),
		                 exit_qual_disp(cpu, in));
	/* VMWRITE.3 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* VMWRITE.4 */
	target = rw_target(v);
	if (target == VMCS_NONE)
		return vm_fail_invalid(cpu);
	/* VMWRITE.5: the source is fetched before the encoding is judged
	 * (Bochs, VirtualBox). */
	if (in->op[1].kind == OPK_MEM)
		TRY(insn_mem_read(cpu, in, op64(cpu) ? 8 : 4, &src));
	else
		src = reg_operand(cpu, in, 1);
	/* VMWRITE.6 */
	i = vmcs_rw_index(p, enc);
	if (i < 0)
		return vm_fail_valid(cpu, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	/* VMWRITE.7 */
	if (vmcs_rw_readonly(p, enc))
		return vm_fail_valid(cpu, VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT);
	/* VMWRITE.8 */
	if (v->op == VMX_NONROOT) {
		old = vmcs_region_get(v, target, (enum vmcs_index)i);
		vmcs_region_set(v, target, (enum vmcs_index)i,
		                vmcs_write_value(p, (enum vmcs_index)i, enc, old, src, op64(cpu)));
	} else {
		old = v->vmcs.val[i];
		vmcs_set_idx(v, (enum vmcs_index)i,
		             vmcs_write_value(p, (enum vmcs_index)i, enc, old, src, op64(cpu)));
	}
	return vm_succeed(cpu);
}

/* --- VMLAUNCH and VMRESUME (§14, vm-entry-checks.md §1; SDM Vol. 3C §26.1) */

/* BASIC-6 asks for blocking by MOV SS: the run loop keeps one interrupt
 * shadow for STI, MOV SS and POP SS (intr_shadow = 2 while the shadowed
 * instruction runs), and cpu->shadow_mov_ss says which set it. */
static bool blocked_by_mov_ss(const struct cpu *cpu)
{
	return cpu->intr_shadow == 2 && cpu->shadow_mov_ss;
}

static int vmentry_insn(struct cpu *cpu, const struct insn *in, bool launch)
{
	struct vmx *v = cpu->vmx;

	/* BASIC-1 (LOCK is #UD centrally) */
	if (vmx_ud(cpu))
		return cpu_ud(cpu);
	/* BASIC-2 */
	if (v->op == VMX_NONROOT)
		return insn_exit(cpu, in, launch ? EXIT_VMLAUNCH : EXIT_VMRESUME, false, 0, 0);
	/* BASIC-3 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* BASIC-4 */
	if (v->current_vmcs == VMCS_NONE)
		return vm_fail_invalid(cpu);
	/* BASIC-5 */
	if (v->current_shadow)
		return vm_fail_invalid(cpu);
	/* BASIC-6 */
	if (blocked_by_mov_ss(cpu))
		return vm_fail_valid(cpu, VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
	/* BASIC-7 */
	if (launch && v->current_launched)
		return vm_fail_valid(cpu, VMXERR_VMLAUNCH_NONCLEAR_VMCS);
	/* BASIC-8 */
	if (!launch && !v->current_launched)
		return vm_fail_valid(cpu, VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	/* CTL, HOST, GUEST and MSR checks, loading, event injection. */
	return vmx_vmentry(cpu, launch, in->len);
}

int op_vmlaunch(struct cpu *cpu, const struct insn *in)
{
	return vmentry_insn(cpu, in, true);
}

int op_vmresume(struct cpu *cpu, const struct insn *in)
{
	return vmentry_insn(cpu, in, false);
}

/* --- VMCALL (§13; SDM Vol. 3C §30.3) ------------------------------------- */

int op_vmcall(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;

	/* VMCALL.1 */
	if (v->op == VMX_OUTSIDE)
		return cpu_ud(cpu);
	/* VMCALL.2: at any CPL and in any mode. */
	if (v->op == VMX_NONROOT)
		return insn_exit(cpu, in, EXIT_VMCALL, false, 0, 0);
	/* VMCALL.3 (real mode cannot occur in root operation: CR0.PE is a
	 * fixed-1 bit) */
	if (common_ud(cpu))
		return cpu_ud(cpu);
	/* VMCALL.4 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* VMCALL.5: no dual-monitor treatment (IA32_VMX_BASIC[49] = 0), so the
	 * SDM's VMfail(1); VMCALL.6+ are not modelled. */
	return vm_fail(cpu, VMXERR_VMCALL_IN_VMX_ROOT_OPERATION);
}

/* --- INVEPT and INVVPID (§15, §16; SDM §28.3.3) -------------------------- */

/* The 128-bit descriptor, read as two 8-byte halves (no alignment
 * requirement). */
static int read_desc(struct cpu *cpu, const struct insn *in, uint64_t *lo, uint64_t *hi)
{
	uint64_t ea = insn_ea(cpu, in);

	TRY(access_read(cpu, in->mem.seg, ea, 8, lo));
	return access_read(cpu, in->mem.seg, (ea + 8) & addr_mask(in->asize), 8, hi);
}

/* §5.2: the type register is reg2. */
static int inv_exit(struct cpu *cpu, const struct insn *in, unsigned reason)
{
	uint32_t info = info_mem(in) | (uint32_t)(in->op[0].reg & 15) << 28;

	return insn_exit(cpu, in, reason, true, info, exit_qual_disp(cpu, in));
}

int op_invept(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;
	const struct vmx_profile *p = v->profile;
	uint64_t cap = vmx_cap(p, MSR_IA32_VMX_EPT_VPID_CAP);
	uint64_t type, eptp, hi;

	/* INVEPT.1 */
	if (!in->has_mem || vmx_ud(cpu) || !vmx_cap_allows1(p, MSR_IA32_VMX_PROCBASED_CTLS2, 1) ||
	    !((cap >> CAP_INVEPT) & 1))
		return cpu_ud(cpu);
	/* INVEPT.2 */
	if (v->op == VMX_NONROOT)
		return inv_exit(cpu, in, EXIT_INVEPT);
	/* INVEPT.3 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* INVEPT.4: 1 single-context, 2 all-context, as the capability says. */
	type = reg_operand(cpu, in, 0);
	if (!((type == 1 && ((cap >> CAP_INVEPT_SINGLE) & 1)) ||
	      (type == 2 && ((cap >> CAP_INVEPT_ALL) & 1))))
		return vm_fail(cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	/* INVEPT.5 */
	TRY(read_desc(cpu, in, &eptp, &hi));
	/* INVEPT.6: the reserved bits 127:64 are not checked. */
	if (type == 1 && !eptp_ok(cpu, eptp))
		return vm_fail(cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	/* INVEPT.7, INVEPT.8 */
	ept_invept(cpu, (unsigned)type, eptp);
	return vm_succeed(cpu);
}

int op_invvpid(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;
	const struct vmx_profile *p = v->profile;
	uint64_t cap = vmx_cap(p, MSR_IA32_VMX_EPT_VPID_CAP);
	uint64_t type, lo, gla;
	uint16_t vpid;

	/* INVVPID.1 */
	if (!in->has_mem || vmx_ud(cpu) || !vmx_cap_allows1(p, MSR_IA32_VMX_PROCBASED_CTLS2, 5) ||
	    !((cap >> CAP_INVVPID) & 1))
		return cpu_ud(cpu);
	/* INVVPID.2 */
	if (v->op == VMX_NONROOT)
		return inv_exit(cpu, in, EXIT_INVVPID);
	/* INVVPID.3 */
	if (cpu->cpl > 0)
		return cpu_gp0(cpu);
	/* INVVPID.4: types 0-3, each as its capability bit says. */
	type = reg_operand(cpu, in, 0);
	if (type > 3 || !((cap >> (CAP_INVVPID_TYPE0 + type)) & 1))
		return vm_fail(cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	/* INVVPID.5 */
	TRY(read_desc(cpu, in, &lo, &gla));
	/* INVVPID.6 */
	if (lo >> 16)
		return vm_fail(cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	vpid = (uint16_t)lo;
	/* INVVPID.7, .8, .10: VPID 0 is the host's; type 2 (INVVPID.9)
	 * ignores the VPID. */
	if (type != 2 && vpid == 0)
		return vm_fail(cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	/* INVVPID.7: the linear address of an individual-address flush. */
	if (type == 0 && !cpu_is_canonical(gla))
		return vm_fail(cpu, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	ept_invvpid(cpu, (unsigned)type, vpid, gla);
	return vm_succeed(cpu);
}

/* --- VMFUNC (§17; SDM §25.5.6) ------------------------------------------- */

int op_vmfunc(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;
	const struct vmx_profile *p = v->profile;
	uint32_t func = (uint32_t)cpu->gpr[R_RAX], index = (uint32_t)cpu->gpr[R_RCX];
	uint64_t eptp;

	/* VMFUNC.1: "enable VM functions" counts only under "activate
	 * secondary controls"; LOCK is #UD centrally. */
	if (v->op != VMX_NONROOT || !(VMCS_GET(v, PROC_CONTROLS) & INSN_PROC_SECONDARY) ||
	    !(VMCS_GET(v, PROC2_CONTROLS) & INSN_PROC2_VMFUNC))
		return cpu_ud(cpu);
	/* VMFUNC.2 (KVM, Bochs: #UD before the exit) */
	if (func >= 64)
		return cpu_ud(cpu);
	/* VMFUNC.3; only function 0 (EPTP switching) exists. */
	if (!((VMCS_GET(v, VMFUNC_CONTROLS) >> func) & 1) || func != 0)
		return insn_exit(cpu, in, EXIT_VMFUNC, false, 0, 0);
	/* VMFUNC.4 */
	if (index >= 512)
		return insn_exit(cpu, in, EXIT_VMFUNC, false, 0, 0);
	/* VMFUNC.5: the EPTP list is host-physical (ept.md §12). */
	eptp = bus_read(cpu->bus, VMCS_GET(v, EPTP_LIST_ADDR) + 8ull * index, 8);
	if (!eptp_ok(cpu, eptp))
		return insn_exit(cpu, in, EXIT_VMFUNC, false, 0, 0);
	/* VMFUNC.6: no INVEPT needed, the TLB is tagged by EPTP. */
	VMCS_SET(v, EPT_POINTER, eptp);
	if (vmx_cap_allows1(p, MSR_IA32_VMX_PROCBASED_CTLS2, INSN_PROC2_EPT_VE))
		VMCS_SET(v, EPTP_INDEX, index);
	ept_context_eptp_changed(cpu);
	return X_OK;
}
