/* MONITOR and MWAIT (SDM Vol. 2B "MONITOR", "MWAIT"; CPUID.01H:ECX[3],
 * leaf 05H in cpuid.c).
 *
 * MONITOR arms address-range monitoring on the line holding DS:rAX (or
 * the override segment; rAX by the address size).  MWAIT may then wait in
 * an "implementation-dependent optimized state" until a store to that
 * line, an interrupt, or another implementation-specific event.
 *
 * What MWAIT does here: it never waits.  It completes at once and the
 * next instruction runs, and the monitor is disarmed (it has been used).
 * The SDM allows this in both cases:
 *  - monitor not armed: "If the preceding MONITOR instruction did not
 *    successfully arm an address range or if the MONITOR instruction has
 *    not been executed prior to executing MWAIT, then the processor will
 *    not enter the implementation-dependent-optimized state.  Execution
 *    will resume at the instruction following the MWAIT."
 *  - monitor armed: the processor may leave the optimized state for
 *    events other than those listed, and software must re-check its
 *    condition after MWAIT (the SDM's MONITOR/MWAIT loop does).
 * The alternative, sleeping like HLT, would end the run (nothing in this
 * machine can store to the line or raise an interrupt while the only CPU
 * sleeps), which a guest polling a flag with MWAIT does not expect.  So a
 * run stays deterministic and never stops in MWAIT.  Bochs offers the same
 * behaviour as its "mwait_is_nop" option.
 *
 * Stores to the monitored line are not tracked: with an MWAIT that never
 * sleeps they make no difference, except that the MWAIT VM exit's
 * qualification bit 0 (monitor armed, src/vmx/intercept.c) stays 1 after
 * such a store where silicon would report 0.
 *
 * Privilege: both are #UD at CPL > 0 (Intel: "use at any other privilege
 * level results in an invalid-opcode exception"; the ring-3 enable of
 * other vendors is not modelled) and in virtual-8086 mode, where CPL is 3.
 * That #UD ranks above their VM exits, which rank above the #GP for ECX
 * and the faults of the MONITOR address (shared/spec/vm-exits.md §2.5);
 * run.c's central checks call the intercept before these handlers.
 */
#include "access.h"
#include "cpuid.h"
#include "mmu.h"
#include "operand.h"
#include "ops.h"

/* ECX of MWAIT: bit 0 = treat interrupts as break events even when
 * masked (allowed because CPUID.05H:ECX[1] is reported with MONITOR). */
#define MWAIT_ECX_INTR_BREAK 1u

/* The extensions register: RCX in 64-bit mode, ECX elsewhere. */
static uint64_t extensions(const struct cpu *cpu)
{
	return cpu->mode == MODE_LONG ? cpu->gpr[R_RCX] : (uint32_t)cpu->gpr[R_RCX];
}

/* MONITOR: #UD at CPL > 0; #GP(0) for any extension in ECX (none are
 * defined); then "the same segmentation and paging checks as a 1-byte
 * read" (#GP/#SS for the segment, #PF, EPT exits in VMX non-root), with
 * the A bit set as a load sets it, but nothing is read: the line may be
 * MMIO. */
int op_monitor(struct cpu *cpu, const struct insn *in)
{
	unsigned seg = in->sreg_ovr != SEG_NONE ? in->sreg_ovr : SEG_DS;
	uint64_t ea = cpu->gpr[R_RAX] & addr_mask(in->asize), gla, gpa;

	if (cpu->cpl != 0)
		return cpu_ud(cpu);
	if (extensions(cpu) != 0)
		return cpu_gp0(cpu);
	TRY(access_linear(cpu, seg, ea, 1, 0, &gla));
	TRY(mmu_translate_host(cpu, gla, ACC_READ, access_user_flag(cpu), &gpa));
	cpu->monitor_armed = true;
	cpu->monitor_gpa = gpa & ~(uint64_t)(CPUID_MONITOR_LINE - 1);
	return X_OK;
}

/* MWAIT: #UD at CPL > 0; #GP(0) for ECX bits other than bit 0; EAX holds
 * hints, which need no check.  Then it completes at once (see above). */
int op_mwait(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	if (cpu->cpl != 0)
		return cpu_ud(cpu);
	if (extensions(cpu) & ~(uint64_t)MWAIT_ECX_INTR_BREAK)
		return cpu_gp0(cpu);
	cpu->monitor_armed = false;
	return X_OK;
}
