/* Flag instructions: PUSHF/POPF (all sizes), CLI/STI, CLD/STD, CLC/STC/CMC,
 * LAHF/SAHF.  The rules for which bits move follow the SDM Vol. 2
 * pseudocode of each instruction, by mode, CPL and IOPL. */
#include "flags.h"
#include "operand.h"
#include "ops.h"

static unsigned iopl_of(uint64_t f)
{
	return (unsigned)(f & RFLAGS_IOPL) >> RFLAGS_IOPL_SHIFT;
}

/* PUSHF/POPF operand size in bytes: 64-bit mode defaults to 8 and 66h
 * gives 2 (SDM Vol. 2 "PUSHF": "in 64-bit mode ... the default operand
 * size is 64 bits"). */
static unsigned flags_opsize(const struct cpu *cpu, const struct insn *in)
{
	if (cpu->mode == MODE_LONG)
		return in->dsize == 1 ? 2 : 8;
	return 1u << in->dsize;
}

/* PUSHF/PUSHFD/PUSHFQ (SDM Vol. 2 "PUSHF"). */
int op_pushf(struct cpu *cpu, const struct insn *in)
{
	unsigned size = flags_opsize(cpu, in);
	uint64_t f = flags_read(cpu);

	if (cpu->mode == MODE_VM86 && iopl_of(f) < 3) {
		/* "IF (CR4.VME = 0) OR (OperandSize = 32) THEN #GP(0); (*
		 * Trap to virtual-8086 monitor *) ELSE tempFLAGS =
		 * EFLAGS[15:0]; tempFLAGS[9] = tempFLAGS[19]; (* VIF replaces
		 * IF *) tempFlags[13:12] = 3; (* IOPL is set to 3 in image
		 * stored on the stack *)".  IOPL = 3 takes the ordinary path
		 * below: VIF is not involved then (SDM Vol. 3A §20.3.2). */
		if (!(cpu->cr4 & CR4_VME) || size != 2)
			return cpu_gp0(cpu);
		f &= ~(uint64_t)RFLAGS_IF;
		if (cpu->rflags & RFLAGS_VIF)
			f |= RFLAGS_IF;
		f |= RFLAGS_IOPL;
	}
	/* "push (EFLAGS AND 00FCFFFFH); (* VM and RF EFLAG bits are cleared
	 * in image stored on the stack *)" */
	return stack_push(cpu, size, f & 0x00fcffffull);
}

/* POPF/POPFD/POPFQ (SDM Vol. 2 "POPF").  `m` is the set of bits the pop
 * may change; RF is cleared by the 32- and 64-bit forms. */
int op_popf(struct cpu *cpu, const struct insn *in)
{
	unsigned size = flags_opsize(cpu, in);
	uint64_t cur = flags_read(cpu), t, m, nf;
	unsigned iopl = iopl_of(cur);

	if (cpu->mode == MODE_VM86 && iopl < 3) {
		/* "IF (Operandsize = 32) OR (CR4.VME = 0) THEN #GP(0); (*
		 * Trap to virtual-8086 monitor. *)" */
		if (size != 2 || !(cpu->cr4 & CR4_VME))
			return cpu_gp0(cpu);
		TRY(stack_peek(cpu, 2, 0, &t));
		/* "IF (EFLAGS.VIP = 1 AND tempFLAGS[9] = 1) OR tempFLAGS[8] = 1
		 * THEN #GP(0); ELSE EFLAGS.VIF := tempFLAGS[9]; EFLAGS[15:0]
		 * := tempFLAGS; (* All non-reserved bits except IOPL and IF
		 * can be modified; IOPL, IF, and all reserved bits are
		 * unaffected. *)" */
		if (((cur & RFLAGS_VIP) && (t & RFLAGS_IF)) || (t & RFLAGS_TF))
			return cpu_gp0(cpu);
		m = (RFLAGS_DEFINED & 0xffff) & ~(uint64_t)(RFLAGS_IF | RFLAGS_IOPL);
		nf = (cur & ~m) | (t & m);
		nf = (nf & ~(uint64_t)RFLAGS_VIF) | ((t & RFLAGS_IF) ? RFLAGS_VIF : 0);
		stack_set_rsp(cpu, cpu->gpr[R_RSP] + 2);
		flags_write(cpu, nf);
		return X_OK;
	}
	TRY(stack_peek(cpu, size, 0, &t));
	if (size == 2)
		/* "EFLAGS[15:0] := Pop()" */
		m = RFLAGS_DEFINED & 0xffff;
	else
		/* "All non-reserved flags except RF, VIP, VIF, and VM can be
		 * modified" */
		m = RFLAGS_DEFINED & ~(uint64_t)(RFLAGS_RF | RFLAGS_VIP | RFLAGS_VIF | RFLAGS_VM);
	if (cpu->mode == MODE_VM86) {
		/* IOPL = 3 here: "All non-reserved bits except IOPL ... can be
		 * modified" */
		m &= ~(uint64_t)RFLAGS_IOPL;
	} else if (cpu->mode != MODE_REAL && cpu->cpl > 0) {
		/* "CPL > 0: ... IOPL unaffected; IF unaffected when CPL > IOPL" */
		m &= ~(uint64_t)RFLAGS_IOPL;
		if (cpu->cpl > iopl)
			m &= ~(uint64_t)RFLAGS_IF;
	}
	nf = (cur & ~m) | (t & m);
	if (size != 2)
		nf &= ~(uint64_t)RFLAGS_RF;   /* "RF is cleared" */
	stack_set_rsp(cpu, cpu->gpr[R_RSP] + size);
	flags_write(cpu, nf);
	return X_OK;
}

/* CLI (SDM Vol. 2 "CLI", Table 3-7):
 *   real mode, or IOPL >= CPL (IOPL = 3 in vm86) -> IF := 0
 *   protected, CPL = 3 > IOPL, CR4.PVI          -> VIF := 0
 *   vm86, IOPL < 3, CR4.VME                      -> VIF := 0
 *   otherwise #GP(0)
 * "PVI mode (protected-mode virtual interrupts): CR0.PE = 1, EFLAGS.VM =
 * 0, CPL = 3, and CR4.PVI = 1; VME mode (virtual-8086 mode extensions):
 * CR0.PE = 1, EFLAGS.VM = 1, and CR4.VME = 1.  If IOPL < 3 and either VME
 * mode or PVI mode is active, CLI clears the VIF flag in the EFLAGS
 * register, leaving IF unaffected."  "Protected mode" there includes
 * compatibility and 64-bit mode, and vm86 implies CPL = 3 (cpu.c). */
int op_cli(struct cpu *cpu, const struct insn *in)
{
	unsigned iopl = iopl_of(cpu->rflags);

	(void)in;
	if (cpu->mode == MODE_REAL || iopl >= cpu->cpl) {
		cpu->rflags &= ~(uint64_t)RFLAGS_IF;
		return X_OK;
	}
	if ((cpu->mode == MODE_VM86 && (cpu->cr4 & CR4_VME)) ||
	    (cpu->mode != MODE_VM86 && cpu->cpl == 3 && (cpu->cr4 & CR4_PVI))) {
		cpu->rflags &= ~(uint64_t)RFLAGS_VIF;
		return X_OK;
	}
	return cpu_gp0(cpu);
}

/* STI (SDM Vol. 2 "STI"): as CLI, except that the virtual form needs
 * VIP = 0: "IF ((IOPL < 3) and (VIP = 0) and (VME = 1)) THEN VIF := 1
 * ELSE #GP(0)", and SDM Vol. 3A §20.4 for PVI at CPL 3.  Setting IF from
 * 0 blocks interrupts until the next instruction has completed; setting
 * VIF does not (VIF masks nothing in the processor). */
int op_sti(struct cpu *cpu, const struct insn *in)
{
	unsigned iopl = iopl_of(cpu->rflags);

	(void)in;
	if (cpu->mode == MODE_REAL || iopl >= cpu->cpl) {
		if (!(cpu->rflags & RFLAGS_IF)) {
			cpu->intr_shadow = 1;
			cpu->shadow_mov_ss = false;
		}
		cpu->rflags |= RFLAGS_IF;
		return X_OK;
	}
	if (((cpu->mode == MODE_VM86 && (cpu->cr4 & CR4_VME)) ||
	     (cpu->mode != MODE_VM86 && cpu->cpl == 3 && (cpu->cr4 & CR4_PVI))) &&
	    !(cpu->rflags & RFLAGS_VIP)) {
		cpu->rflags |= RFLAGS_VIF;
		return X_OK;
	}
	return cpu_gp0(cpu);
}

/* CLD/STD: DF is a control flag, kept current in cpu->rflags. */
int op_cld(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu->rflags &= ~(uint64_t)RFLAGS_DF;
	return X_OK;
}

int op_std(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu->rflags |= RFLAGS_DF;
	return X_OK;
}

int op_clc(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	flags_set_bits(cpu, RFLAGS_CF, 0);
	return X_OK;
}

int op_stc(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	flags_set_bits(cpu, RFLAGS_CF, RFLAGS_CF);
	return X_OK;
}

int op_cmc(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	flags_set_bits(cpu, RFLAGS_CF, flags_cf(cpu) ? 0 : RFLAGS_CF);
	return X_OK;
}

/* LAHF (SDM Vol. 2 "LAHF"): "AH := EFLAGS(SF:ZF:0:AF:0:PF:1:CF)".  Valid
 * in 64-bit mode because CPUID.80000001H:ECX.LAHF-SAHF[bit 0] = 1. */
int op_lahf(struct cpu *cpu, const struct insn *in)
{
	uint64_t f = flags_read(cpu) & (RFLAGS_ARITH & 0xff);

	(void)in;
	cpu->gpr[R_RAX] = (cpu->gpr[R_RAX] & ~0xff00ull) | ((f | RFLAGS_FIXED1) << 8);
	return X_OK;
}

/* SAHF: "EFLAGS(SF:ZF:0:AF:0:PF:1:CF) := AH". */
int op_sahf(struct cpu *cpu, const struct insn *in)
{
	uint32_t ah = (uint32_t)(cpu->gpr[R_RAX] >> 8) & 0xff;
	uint32_t m = RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF;

	(void)in;
	flags_set_bits(cpu, m, ah & m);
	return X_OK;
}
