/* Instruction exits in VMX non-root operation (SDM Vol. 3C §25.1,
 * shared/spec/vm-exits.md §1-§3, §5, §6).
 *
 * run.c's central checks call vmx_intercept() for every op-table row with
 * F_VMX_EXIT while cpu->vmx_nonroot, after the #UD and CPL checks of the
 * row flags.  Some handlers make further #UD or privilege checks of their
 * own (MOV CR/DR, RDTSC with CR4.TSD, RDPMC with CR4.PCE, INVPCID); those
 * rank above the exit too (§2.5 item 1), so the decision below leaves such
 * an instruction to its handler, which raises the fault.
 *
 * Every exit here is fault-like: the saved RIP is the instruction's
 * (cpu->rip, unchanged), its length goes to the VM-exit
 * instruction-length field, and nothing of the instruction has happened.
 */
#include "intercept.h"

#include <capstone/capstone.h>

#include "../cpu/cpu.h"
#include "../cpu/insn.h"
#include "../cpu/operand.h"
#include "apicv.h"
#include "exit.h"
#include "vmcs.h"

uint32_t vmx_proc2(const struct vmx *v)
{
	if (!(VMCS_GET(v, PROC_CONTROLS) & PROC_SECONDARY))
		return 0;
	return (uint32_t)VMCS_GET(v, PROC2_CONTROLS);
}

static uint32_t proc(const struct cpu *cpu)
{
	return (uint32_t)VMCS_GET(cpu->vmx, PROC_CONTROLS);
}

static void exit_if(struct vmx_exit_decision *d, bool cond, uint32_t reason)
{
	d->exit = cond;
	d->reason = reason;
}

/* --- Memory operands: displacement qualification and instruction
 * information (vm-exits.md §3.6, §5) ---------------------------------- */

/* §3.6: the displacement, sign-extended to 64 bits; with RIP-relative
 * addressing the displacement plus the next instruction's RIP. */
static uint64_t disp_qual(const struct cpu *cpu, const struct insn *in)
{
	if (!in->has_mem)
		return 0;
	if (in->mem.base == MEMREG_RIP)
		return (uint64_t)in->mem.disp + cpu->rip + in->len;
	return (uint64_t)in->mem.disp;
}

/* The memory-operand part shared by §5.2-§5.4:
 *
 *   27    26:23  22     21:18  17:15  9:7     1:0
 *   base  base   index  index  seg    address scaling
 *   inval        inval                size
 */
static uint32_t mem_info(const struct insn *in)
{
	const struct memref *m = &in->mem;
	uint32_t info = ((uint32_t)(in->asize - 1) << 7) | ((uint32_t)m->seg << 15);

	if (m->index == MEMREG_NONE)
		info |= 1u << 22;
	else
		info |= (uint32_t)m->scale | ((uint32_t)m->index << 18);
	if (m->base == MEMREG_NONE || m->base == MEMREG_RIP)
		info |= 1u << 27;
	else
		info |= (uint32_t)m->base << 23;
	return info;
}

/* --- Control registers (§2.2, §3.2) ------------------------------------- */

/* Exit qualification for control-register accesses (§3.2):
 *
 *   31:16         11:8   6          5:4          3:0
 *   LMSW source   GPR    LMSW mem   access type  CR number
 */
enum { CR_ACC_TO = 0, CR_ACC_FROM = 1, CR_ACC_CLTS = 2, CR_ACC_LMSW = 3 };

static uint64_t cr_qual(unsigned cr, unsigned type, unsigned gpr)
{
	return cr | (type << 4) | (gpr << 8);
}

/* SDM §25.1.3: MOV to CR0/CR4 exits when, for some bit set in the
 * guest/host mask, the source differs from the read shadow. */
static bool masked_differs(uint64_t val, uint64_t mask, uint64_t shadow)
{
	return ((val ^ shadow) & mask) != 0;
}

/* MOV to CR3 with "CR3-load exiting": no exit when the value equals one
 * of the first CR3-target-count target values (VM entry guarantees a
 * count of at most 4, CTL checks). */
static bool cr3_load_exits(const struct vmx *v, uint64_t val)
{
	static const enum vmcs_index target[4] = {
		VMCS_IDX_CR3_TARGET_VALUE0, VMCS_IDX_CR3_TARGET_VALUE1,
		VMCS_IDX_CR3_TARGET_VALUE2, VMCS_IDX_CR3_TARGET_VALUE3,
	};
	uint64_t n = VMCS_GET(v, CR3_TARGET_COUNT);

	if (!(VMCS_GET(v, PROC_CONTROLS) & PROC_CR3_LOAD_EXITING))
		return false;
	for (uint64_t i = 0; i < n && i < 4; i++)
		if (v->vmcs.val[target[i]] == val)
			return false;
	return true;
}

/* MOV to/from CRn.  The handler (cr.c) raises #UD for a CR that does not
 * exist and #GP(0) at CPL > 0; both rank above the exit. */
static void decide_mov_cr(struct cpu *cpu, const struct insn *in, struct vmx_exit_decision *d)
{
	const struct vmx *v = cpu->vmx;
	bool to_cr = in->op[0].kind == OPK_CR;
	unsigned n = to_cr ? in->op[0].reg : in->op[1].reg;
	unsigned gpr = to_cr ? in->op[1].reg : in->op[0].reg;
	uint64_t val = cpu_gpr_read(cpu, gpr, cpu->mode == MODE_LONG ? 3 : 2);
	uint32_t p = proc(cpu);
	bool ex = false;

	if ((n != 0 && n != 2 && n != 3 && n != 4 && n != 8) || cpu->cpl != 0)
		return;
	switch (n) {
	case 0:
		ex = to_cr && masked_differs(val, VMCS_GET(v, CR0_GUEST_HOST_MASK),
		                             VMCS_GET(v, CR0_READ_SHADOW));
		break;
	case 3:
		ex = to_cr ? cr3_load_exits(v, val) : (p & PROC_CR3_STORE_EXITING) != 0;
		break;
	case 4:
		ex = to_cr && masked_differs(val, VMCS_GET(v, CR4_GUEST_HOST_MASK),
		                             VMCS_GET(v, CR4_READ_SHADOW));
		break;
	case 8:
		ex = (p & (to_cr ? PROC_CR8_LOAD_EXITING : PROC_CR8_STORE_EXITING)) != 0;
		break;
	default:
		break;
	}
	exit_if(d, ex, EXIT_CR_ACCESS);
	d->qual = cr_qual(n, to_cr ? CR_ACC_TO : CR_ACC_FROM, gpr);
}

/* CLTS exits when CR0.TS is host-owned and its shadow is 1 (§2.2). */
static void decide_clts(struct cpu *cpu, struct vmx_exit_decision *d)
{
	const struct vmx *v = cpu->vmx;

	exit_if(d, (VMCS_GET(v, CR0_GUEST_HOST_MASK) & CR0_TS) &&
	           (VMCS_GET(v, CR0_READ_SHADOW) & CR0_TS), EXIT_CR_ACCESS);
	d->qual = cr_qual(0, CR_ACC_CLTS, 0);
}

/* LMSW (§2.2): among the host-owned bits of CR0[3:0], it exits if it would
 * set PE while the shadow's PE is 0, or if any of MP, EM, TS in the source
 * differs from the shadow.  The source is fetched first: its faults rank
 * above the exit (§2.5 item 2). */
static int decide_lmsw(struct cpu *cpu, const struct insn *in, struct vmx_exit_decision *d)
{
	const struct vmx *v = cpu->vmx;
	uint64_t mask = VMCS_GET(v, CR0_GUEST_HOST_MASK), shadow = VMCS_GET(v, CR0_READ_SHADOW);
	uint64_t src;
	bool mem = in->op[0].kind == OPK_MEM;

	if (mem)
		TRY(insn_mem_read(cpu, in, 2, &src));
	else
		src = cpu_gpr_read(cpu, in->op[0].reg, 1);
	exit_if(d, ((mask & CR0_PE) && (src & CR0_PE) && !(shadow & CR0_PE)) ||
	           ((src ^ shadow) & mask & (CR0_MP | CR0_EM | CR0_TS)), EXIT_CR_ACCESS);
	d->qual = cr_qual(0, CR_ACC_LMSW, 0) | ((uint64_t)mem << 6) | ((src & 0xffff) << 16);
	/* §3.2: LMSW with a memory operand also records its linear address. */
	if (mem) {
		uint64_t ea = insn_ea(cpu, in);

		d->has_gla = true;
		d->gla = cpu->mode == MODE_LONG
		             ? ea + ((in->mem.seg == SEG_FS || in->mem.seg == SEG_GS)
		                         ? cpu->seg[in->mem.seg].base : 0)
		             : (uint32_t)(cpu->seg[in->mem.seg].base + ea);
	}
	return X_OK;
}

/* MOV DR (§3.3): #UD for DR8-15 and for DR4/DR5 with CR4.DE, and #GP(0)
 * at CPL > 0, come first (handler); the exit ranks above the DR7.GD #DB.
 *
 *   11:8 GPR | 4 direction (1 = MOV from DR) | 2:0 DR number */
static void decide_mov_dr(struct cpu *cpu, const struct insn *in, struct vmx_exit_decision *d)
{
	bool to_dr = in->op[0].kind == OPK_DR;
	unsigned n = to_dr ? in->op[0].reg : in->op[1].reg;
	unsigned gpr = to_dr ? in->op[1].reg : in->op[0].reg;

	if (n > 7 || ((n == 4 || n == 5) && (cpu->cr4 & CR4_DE)) || cpu->cpl != 0)
		return;
	exit_if(d, (proc(cpu) & PROC_MOV_DR_EXITING) != 0, EXIT_DR_ACCESS);
	d->qual = n | ((unsigned)!to_dr << 4) | (gpr << 8);
}

/* --- Descriptor-table exiting (§5.3, §5.4) ------------------------------ */

/* Instruction identity of §5.3 (bits 29:28). */
static unsigned dtr_identity(unsigned id)
{
	switch (id) {
	case X86_INS_SGDT: case X86_INS_SLDT: return 0;
	case X86_INS_SIDT: case X86_INS_STR: return 1;
	case X86_INS_LGDT: case X86_INS_LLDT: return 2;
	default: return 3;   /* LIDT, LTR */
	}
}

/* SGDT, SIDT, SLDT and STR fault at CPL > 0 under CR4.UMIP (their
 * handlers check it); that privilege fault ranks above the exit. */
static bool umip_faults(const struct cpu *cpu, unsigned id)
{
	bool store = id == X86_INS_SGDT || id == X86_INS_SIDT || id == X86_INS_SLDT ||
	             id == X86_INS_STR;

	return store && (cpu->cr4 & CR4_UMIP) && cpu->cpl > 0;
}

static void decide_dtr(struct cpu *cpu, const struct insn *in, struct vmx_exit_decision *d)
{
	unsigned id = in->id;
	bool gdtr_idtr = id == X86_INS_LGDT || id == X86_INS_LIDT || id == X86_INS_SGDT ||
	                 id == X86_INS_SIDT;

	if (umip_faults(cpu, id))
		return;
	exit_if(d, (vmx_proc2(cpu->vmx) & PROC2_DESC_TABLE_EXITING) != 0,
	        gdtr_idtr ? EXIT_GDTR_IDTR : EXIT_LDTR_TR);
	d->qual = disp_qual(cpu, in);
	d->has_info = true;
	d->info = dtr_identity(id) << 28;
	if (gdtr_idtr) {
		/* §5.3 bit 11: operand size 0 = 16-bit, 1 = 32-bit. */
		d->info |= mem_info(in) | ((in->dsize == 1 ? 0u : 1u) << 11);
	} else if (in->op[0].kind == OPK_MEM) {
		d->info |= mem_info(in);
	} else {
		/* §5.4: register operand, bit 10 = 1, reg1 in 6:3. */
		d->info |= (1u << 10) | ((uint32_t)in->op[0].reg << 3);
	}
}

/* --- Other instructions ------------------------------------------------- */

/* PAUSE (§1 row 40): "PAUSE exiting", or PAUSE-loop exiting at CPL 0.
 * SDM §25.1.3: the processor treats a PAUSE as the start of a new loop
 * when more than PLE_Gap cycles passed since the previous one (and the
 * first PAUSE after VM entry starts one); it exits when the loop has
 * lasted more than PLE_Window cycles.  The TSC here is the cycle count. */
static bool pause_exits(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	uint64_t now = cpu->cycles;

	if (proc(cpu) & PROC_PAUSE_EXITING)
		return true;
	if (!(vmx_proc2(v) & PROC2_PAUSE_LOOP_EXITING) || cpu->cpl != 0)
		return false;
	if (v->ple_entry != v->entries || now - v->ple_last > VMCS_GET(v, PLE_GAP)) {
		v->ple_entry = v->entries;
		v->ple_first = now;
	}
	v->ple_last = now;
	return now - v->ple_first > VMCS_GET(v, PLE_WINDOW);
}

/* INVLPG qualification: the linear address of its operand, computed as
 * the instruction does (no segment checks, SDM Vol. 2 "INVLPG"). */
static uint64_t invlpg_address(const struct cpu *cpu, const struct insn *in)
{
	uint64_t ea = insn_ea(cpu, in);
	unsigned s = in->mem.seg;

	if (cpu->mode == MODE_LONG)
		return ea + ((s == SEG_FS || s == SEG_GS) ? cpu->seg[s].base : 0);
	return (uint32_t)(cpu->seg[s].base + ea);
}

/* INVPCID: #UD in non-root unless "enable INVPCID" (§2.3, before anything
 * else); then the handler's #UD in virtual-8086 mode and #GP(0) at CPL > 0;
 * then the exit under "INVLPG exiting".  Information per §5.2 with the
 * type register in bits 31:28. */
static int decide_invpcid(struct cpu *cpu, const struct insn *in, struct vmx_exit_decision *d)
{
	if (!(vmx_proc2(cpu->vmx) & PROC2_ENABLE_INVPCID))
		return cpu_ud(cpu);
	if (cpu->mode == MODE_VM86 || cpu->cpl != 0)
		return X_OK;
	exit_if(d, (proc(cpu) & PROC_INVLPG_EXITING) != 0, EXIT_INVPCID);
	d->qual = disp_qual(cpu, in);
	d->has_info = true;
	d->info = mem_info(in) | ((uint32_t)in->op[0].reg << 28);
	return X_OK;
}

/* RDTSCP: #UD unless "enable RDTSCP" (§2.3); #GP(0) under CR4.TSD at
 * CPL > 0 (handler); then "RDTSC exiting". */
static int decide_rdtscp(struct cpu *cpu, struct vmx_exit_decision *d)
{
	if (!(vmx_proc2(cpu->vmx) & PROC2_ENABLE_RDTSCP))
		return cpu_ud(cpu);
	if ((cpu->cr4 & CR4_TSD) && cpu->cpl != 0)
		return X_OK;
	exit_if(d, (proc(cpu) & PROC_RDTSC_EXITING) != 0, EXIT_RDTSCP);
	return X_OK;
}

/* MONITOR and MWAIT: their #UD at CPL > 0 (and in virtual-8086 mode,
 * CPL 3) ranks above the exit; the exit ranks above the #GP for ECX and
 * the faults of the MONITOR address (§2.5 items 1 and 4; the handlers,
 * src/cpu/ops_wait.c, check in that order).  MWAIT's qualification bit 0
 * says whether address-range monitoring was armed (§1 row 36). */
static void decide_monitor_mwait(struct cpu *cpu, const struct insn *in,
                                 struct vmx_exit_decision *d)
{
	bool mwait = in->id == X86_INS_MWAIT;

	if (cpu->cpl != 0)
		return;
	exit_if(d, (proc(cpu) & (mwait ? PROC_MWAIT_EXITING : PROC_MONITOR_EXITING)) != 0,
	        mwait ? EXIT_MWAIT : EXIT_MONITOR);
	d->qual = mwait && cpu->monitor_armed;
}

/* RDRAND and RDSEED (their #UD with F2, F3 or LOCK comes from decode,
 * src/cpu/decode.c, and is never an exit).  Information per §5.5:
 *
 *   12:11         6:3
 *   operand size  destination register   (0 = 16, 1 = 32, 2 = 64 bits)
 */
static void decide_rand(struct cpu *cpu, const struct insn *in, struct vmx_exit_decision *d)
{
	bool seed = in->id == X86_INS_RDSEED;
	uint32_t ctl = seed ? PROC2_RDSEED_EXITING : PROC2_RDRAND_EXITING;

	exit_if(d, (vmx_proc2(cpu->vmx) & ctl) != 0, seed ? EXIT_RDSEED : EXIT_RDRAND);
	d->has_info = true;
	d->info = ((uint32_t)in->op[0].reg << 3) | ((uint32_t)(in->op[0].lg - 1) << 11);
}

int vmx_intercept_decide(struct cpu *cpu, const struct insn *in, struct vmx_exit_decision *d)
{
	uint32_t p = proc(cpu);

	*d = (struct vmx_exit_decision){ 0 };
	switch (in->id) {
	case X86_INS_CPUID:
		exit_if(d, true, EXIT_CPUID);
		break;
	case X86_INS_INVD:
		exit_if(d, true, EXIT_INVD);
		break;
	case X86_INS_XSETBV:
		/* #UD while CR4.OSXSAVE = 0 ranks above the exit. */
		exit_if(d, (cpu->cr4 & CR4_OSXSAVE) != 0, EXIT_XSETBV);
		break;
	case X86_INS_HLT:
		exit_if(d, (p & PROC_HLT_EXITING) != 0, EXIT_HLT);
		break;
	case X86_INS_INVLPG:
		exit_if(d, (p & PROC_INVLPG_EXITING) != 0, EXIT_INVLPG);
		d->qual = invlpg_address(cpu, in);
		break;
	case X86_INS_INVPCID:
		return decide_invpcid(cpu, in, d);
	case X86_INS_RDPMC:
		/* #GP(0) at CPL > 0 with CR4.PCE = 0 is a privilege fault. */
		if (cpu->cpl == 0 || (cpu->cr4 & CR4_PCE))
			exit_if(d, (p & PROC_RDPMC_EXITING) != 0, EXIT_RDPMC);
		break;
	case X86_INS_RDTSC:
		if (!(cpu->cr4 & CR4_TSD) || cpu->cpl == 0)
			exit_if(d, (p & PROC_RDTSC_EXITING) != 0, EXIT_RDTSC);
		break;
	case X86_INS_RDTSCP:
		return decide_rdtscp(cpu, d);
	case X86_INS_RDMSR:
	case X86_INS_WRMSR: {
		bool wr = in->id == X86_INS_WRMSR;

		exit_if(d, vmx_msr_exits(cpu, (uint32_t)cpu->gpr[R_RCX], wr),
		        wr ? EXIT_WRMSR : EXIT_RDMSR);
		break;
	}
	case X86_INS_WBINVD:
		exit_if(d, (vmx_proc2(cpu->vmx) & PROC2_WBINVD_EXITING) != 0, EXIT_WBINVD);
		break;
	case X86_INS_PAUSE:
		exit_if(d, pause_exits(cpu), EXIT_PAUSE);
		break;
	case X86_INS_MONITOR: case X86_INS_MWAIT:
		decide_monitor_mwait(cpu, in, d);
		break;
	case X86_INS_RDRAND: case X86_INS_RDSEED:
		decide_rand(cpu, in, d);
		break;
	case X86_INS_CLTS:
		decide_clts(cpu, d);
		break;
	case X86_INS_LMSW:
		return decide_lmsw(cpu, in, d);
	case X86_INS_LGDT: case X86_INS_LIDT: case X86_INS_SGDT: case X86_INS_SIDT:
	case X86_INS_LLDT: case X86_INS_LTR: case X86_INS_SLDT: case X86_INS_STR:
		decide_dtr(cpu, in, d);
		break;
	case X86_INS_IN: case X86_INS_OUT:
	case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
	case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
		return vmx_io_decide(cpu, in, d);
	case X86_INS_MOV:
		if (in->op[0].kind == OPK_CR || in->op[1].kind == OPK_CR)
			decide_mov_cr(cpu, in, d);
		else if (in->op[0].kind == OPK_DR || in->op[1].kind == OPK_DR)
			decide_mov_dr(cpu, in, d);
		break;
	default:
		/* The VMX instructions decide their own exits (insn.c). */
		break;
	}
	return X_OK;
}

int vmx_intercept(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;
	struct vmx_exit_decision d;

	TRY(vmx_intercept_decide(cpu, in, &d));
	/* RDMSR/WRMSR let through by the MSR bitmap: x2APIC MSRs may be
	 * virtualized (SDM §29.5, apicv.c). */
	if (!d.exit)
		return in->id == X86_INS_RDMSR || in->id == X86_INS_WRMSR ? apicv_msr(cpu, in) : X_OK;
	/* §6: instruction length for every instruction exit; instruction
	 * information and guest-linear address where the format has them. */
	VMCS_SET(v, EXIT_INSTRUCTION_LEN, in->len);
	if (d.has_info)
		VMCS_SET(v, EXIT_INSTRUCTION_INFO, d.info);
	if (d.has_gla)
		VMCS_SET(v, GUEST_LINEAR_ADDRESS, d.gla);
	return vmx_exit_plain(cpu, d.reason, d.qual);
}
