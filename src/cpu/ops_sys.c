/* System instructions: MSRs, CPUID, TSC, CR0 shortcuts (CLTS, LMSW, SMSW),
 * cache and TLB control, SWAPGS, HLT, the NOP forms and the deliberate
 * #UD opcodes.  MOV CR/DR is in cr.c (reached through op_mov). */
#include "cpuid.h"
#include "cr.h"
#include "mmu.h"
#include "msr.h"
#include "operand.h"
#include "ops.h"
#include "../vmx/vmx.h"

/* NOP and the multi-byte 0F 1F /0 forms (SDM Vol. 2 "NOP"); also the
 * fences (LFENCE/MFENCE/SFENCE: one instruction at a time is already in
 * order), PREFETCHh/PREFETCHW (hints that never fault), PAUSE, and
 * ENDBR32/ENDBR64, which are NOPs when CET is not reported. */
int op_nop(struct cpu *cpu, const struct insn *in)
{
	(void)cpu; (void)in;
	return X_OK;
}

/* HLT (SDM Vol. 2 "HLT"): CPL 0 is checked centrally.  RIP moves past the
 * instruction so that an interrupt resumes after it. */
int op_hlt(struct cpu *cpu, const struct insn *in)
{
	cpu->rip += in->len;
	return X_HALT;
}

/* UD2 (0F 0B), UD1 (0F B9) and UD0 (0F FF): the architecturally defined
 * invalid opcodes (SDM Vol. 2 "UD").  This is the real #UD, not an
 * unimplemented instruction. */
int op_ud(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	return cpu_ud(cpu);
}

/* WBINVD and INVD (SDM Vol. 2): caches are not modelled, so there is
 * nothing to write back or drop; CPL 0 is checked centrally. */
int op_wbinvd(struct cpu *cpu, const struct insn *in)
{
	(void)cpu; (void)in;
	return X_OK;
}

/* CPUID (SDM Vol. 2 "CPUID"): results are 32-bit writes, which clear the
 * upper halves in 64-bit mode. */
int op_cpuid(struct cpu *cpu, const struct insn *in)
{
	uint32_t r[4];

	(void)in;
	cpuid_query(cpu, (uint32_t)cpu->gpr[R_RAX], (uint32_t)cpu->gpr[R_RCX], r);
	cpu_gpr_write(cpu, R_RAX, 2, r[CPUID_EAX]);
	cpu_gpr_write(cpu, R_RBX, 2, r[CPUID_EBX]);
	cpu_gpr_write(cpu, R_RCX, 2, r[CPUID_ECX]);
	cpu_gpr_write(cpu, R_RDX, 2, r[CPUID_EDX]);
	return X_OK;
}

/* RDMSR (SDM Vol. 2): ECX selects, EDX:EAX receives; CPL 0 is central. */
int op_rdmsr(struct cpu *cpu, const struct insn *in)
{
	uint64_t v;

	(void)in;
	TRY(msr_read(cpu, (uint32_t)cpu->gpr[R_RCX], &v));
	cpu_gpr_write(cpu, R_RAX, 2, (uint32_t)v);
	cpu_gpr_write(cpu, R_RDX, 2, v >> 32);
	return X_OK;
}

/* WRMSR (SDM Vol. 2): EDX:EAX to the MSR that ECX selects. */
int op_wrmsr(struct cpu *cpu, const struct insn *in)
{
	uint64_t v = (cpu->gpr[R_RDX] << 32) | (uint32_t)cpu->gpr[R_RAX];

	(void)in;
	return msr_write(cpu, (uint32_t)cpu->gpr[R_RCX], v);
}

/* SDM Vol. 2 RDTSC/RDTSCP: #GP(0) when CR4.TSD = 1 and CPL > 0. */
static int tsc_allowed(struct cpu *cpu)
{
	if ((cpu->cr4 & CR4_TSD) && cpu->cpl != 0)
		return cpu_gp0(cpu);
	return X_OK;
}

int op_rdtsc(struct cpu *cpu, const struct insn *in)
{
	uint64_t t = cpu_tsc(cpu);

	(void)in;
	TRY(tsc_allowed(cpu));
	cpu_gpr_write(cpu, R_RAX, 2, (uint32_t)t);
	cpu_gpr_write(cpu, R_RDX, 2, t >> 32);
	return X_OK;
}

/* RDTSCP: the TSC and IA32_TSC_AUX[31:0] in ECX. */
int op_rdtscp(struct cpu *cpu, const struct insn *in)
{
	uint64_t t = cpu_tsc(cpu);

	(void)in;
	TRY(tsc_allowed(cpu));
	cpu_gpr_write(cpu, R_RAX, 2, (uint32_t)t);
	cpu_gpr_write(cpu, R_RDX, 2, t >> 32);
	cpu_gpr_write(cpu, R_RCX, 2, (uint32_t)cpu->tsc_aux);
	return X_OK;
}

/* RDPMC (SDM Vol. 2): #GP(0) at CPL > 0 with CR4.PCE = 0, and #GP(0) for
 * an ECX that names no counter.  CPUID reports no performance-monitoring
 * leaf (0AH), so there are no counters and every RDPMC is #GP(0). */
int op_rdpmc(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	return cpu_gp0(cpu);
}

/* CLTS (SDM Vol. 2): clears CR0.TS; CPL 0 is central. */
int op_clts(struct cpu *cpu, const struct insn *in)
{
	uint64_t v = cpu->cr0 & ~CR0_TS;

	(void)in;
	/* Vol. 3C §25.3: a host-owned TS is left alone in non-root. */
	if (unlikely(cpu->vmx_nonroot))
		v = vmx_cr_write_value(cpu, 0, v);
	return cr_write(cpu, 0, v);
}

/* LMSW (SDM Vol. 2): loads CR0[3:0] from the 16-bit source; it can set PE
 * but never clear it. */
int op_lmsw(struct cpu *cpu, const struct insn *in)
{
	uint64_t src, v;

	if (in->op[0].kind == OPK_MEM)
		TRY(insn_mem_read(cpu, in, 2, &src));
	else
		src = cpu_gpr_read(cpu, in->op[0].reg, 1);
	v = (cpu->cr0 & ~(CR0_MP | CR0_EM | CR0_TS)) | (src & (CR0_PE | CR0_MP | CR0_EM | CR0_TS));
	/* Vol. 3C §25.3: host-owned bits are left alone in non-root. */
	if (unlikely(cpu->vmx_nonroot))
		v = vmx_cr_write_value(cpu, 0, v);
	return cr_write(cpu, 0, v);
}

/* SMSW (SDM Vol. 2): a memory destination takes 16 bits whatever the
 * operand size; a register takes the operand size (16: the low word
 * merges; 32/64: CR0 zero-extended).  CR4.UMIP is not reported, so the
 * instruction is allowed at every CPL. */
int op_smsw(struct cpu *cpu, const struct insn *in)
{
	uint64_t cr0 = cpu->cr0;

	/* Vol. 3C §25.3: host-owned bits read from the CR0 read shadow. */
	if (unlikely(cpu->vmx_nonroot))
		cr0 = vmx_cr_read(cpu, 0, cr0);
	if (in->op[0].kind == OPK_MEM)
		return insn_mem_write(cpu, in, 2, cr0 & 0xffff);
	cpu_gpr_write(cpu, in->op[0].reg, in->op[0].lg, cr0);
	return X_OK;
}

/* The linear address of the memory operand without segment checks, as
 * INVLPG uses it (SDM Vol. 2 "INVLPG": no fault for any address). */
static uint64_t insn_lin_nocheck(const struct cpu *cpu, const struct insn *in)
{
	uint64_t ea = insn_ea(cpu, in);
	unsigned s = in->mem.seg;

	if (cpu->mode == MODE_LONG)
		return ea + ((s == SEG_FS || s == SEG_GS) ? cpu->seg[s].base : 0);
	return (uint32_t)(cpu->seg[s].base + ea);
}

/* INVLPG (SDM Vol. 2; Vol. 3A §4.10.4.1): drops the translations of the
 * page; CPL 0 is central. */
int op_invlpg(struct cpu *cpu, const struct insn *in)
{
	tlb_flush_page(cpu, insn_lin_nocheck(cpu, in));
	return X_OK;
}

/* INVPCID (SDM Vol. 2): type in a register (64 bits in 64-bit mode, else
 * 32), 16-byte descriptor { PCID in 11:0, 63:12 reserved, linear address
 * 127:64 } in memory.  The TLB is not tagged by PCID, so every type
 * flushes the page (type 0) or everything (types 1-3). */
int op_invpcid(struct cpu *cpu, const struct insn *in)
{
	uint64_t type, pcid_word, addr;
	uint64_t ea = insn_ea(cpu, in);

	/* #UD in virtual-8086 mode, then #GP(0) at CPL > 0. */
	if (cpu->mode == MODE_VM86)
		return cpu_ud(cpu);
	if (cpu->cpl != 0)
		return cpu_gp0(cpu);
	type = cpu_gpr_read(cpu, in->op[0].reg, cpu->mode == MODE_LONG ? 3 : 2);
	TRY(access_read(cpu, in->mem.seg, ea, 8, &pcid_word));
	TRY(access_read(cpu, in->mem.seg, (ea + 8) & addr_mask(in->asize), 8, &addr));
	/* #GP(0): type > 3; descriptor bits 63:12 set; types 0 and 1 with a
	 * nonzero PCID while CR4.PCIDE = 0; type 0 with a non-canonical
	 * address. */
	if (type > 3 || (pcid_word >> 12))
		return cpu_gp0(cpu);
	if (type <= 1 && !(cpu->cr4 & CR4_PCIDE) && (pcid_word & 0xfff))
		return cpu_gp0(cpu);
	if (type == 0 && !cpu_is_canonical(addr))
		return cpu_gp0(cpu);
	if (type == 0)
		tlb_flush_page(cpu, addr);
	else
		tlb_flush_all(cpu);
	return X_OK;
}

/* CLFLUSH, CLFLUSHOPT, CLWB (SDM Vol. 2): caches are not modelled, but the
 * address is checked as a 1-byte read would be (segmentation, then the
 * page walk: #PF for a not-present page; under EPT, EPT too) without
 * touching memory. */
int op_clflush(struct cpu *cpu, const struct insn *in)
{
	uint64_t gla, hpa;

	TRY(access_linear(cpu, in->mem.seg, insn_ea(cpu, in), 1, 0, &gla));
	return mmu_translate_host(cpu, gla, ACC_READ, access_user_flag(cpu), &hpa);
}

/* XGETBV and XSETBV (SDM Vol. 2): #UD while CR4.OSXSAVE = 0.  XSAVE is not
 * reported, so CR4.OSXSAVE cannot be set and both are always #UD. */
int op_xgetbv(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	return cpu_ud(cpu);
}

/* SWAPGS (SDM Vol. 2): #UD outside 64-bit mode, then #GP(0) at CPL > 0 --
 * the #UD comes first, so the CPL check is here rather than a central
 * F_CPL0.  Exchanges GS.base with IA32_KERNEL_GS_BASE. */
int op_swapgs(struct cpu *cpu, const struct insn *in)
{
	uint64_t t;

	(void)in;
	if (cpu->mode != MODE_LONG)
		return cpu_ud(cpu);
	if (cpu->cpl != 0)
		return cpu_gp0(cpu);
	t = cpu->seg[SEG_GS].base;
	cpu->seg[SEG_GS].base = cpu->kernel_gs_base;
	cpu->kernel_gs_base = t;
	return X_OK;
}
