/* Software interrupts and the returns and fast system calls that pair with
 * them: INT n, INT3, INTO, INT1, IRET/IRETD/IRETQ, SYSCALL/SYSRET,
 * SYSENTER/SYSEXIT.  Delivery itself is events.c. */
#include "flags.h"
#include "operand.h"
#include "ops.h"
#include "seg.h"
#include "task.h"
#include "../vmx/vmx.h"

static uint64_t next_rip(const struct cpu *cpu, const struct insn *in)
{
	return cpu->rip + in->len;
}

/* cpu_deliver_interrupt() returns X_OK once RIP is the handler's. */
static int int_result(int st)
{
	return st == X_OK ? X_JUMP : st;
}

/* INT n (SDM Vol. 2 "INT n/INTO/INT3/INT1"): CD ib. */
int op_int(struct cpu *cpu, const struct insn *in)
{
	return int_result(cpu_deliver_interrupt(cpu, (unsigned)in->imm & 0xff, 1, next_rip(cpu, in)));
}

/* INT3 (CC): a trap-class #BP that returns after the instruction; not
 * IOPL-sensitive in virtual-8086 mode, but the gate DPL is checked. */
int op_int3(struct cpu *cpu, const struct insn *in)
{
	return int_result(cpu_deliver_interrupt(cpu, EXC_BP, 2, next_rip(cpu, in)));
}

/* INTO (CE): "IF OverflowFlag = 1 THEN #OF" as a trap; #UD in 64-bit mode
 * (row flag F_NO64). */
int op_into(struct cpu *cpu, const struct insn *in)
{
	if (!flags_get(cpu, RFLAGS_OF))
		return X_OK;
	return int_result(cpu_deliver_interrupt(cpu, EXC_OF, 2, next_rip(cpu, in)));
}

/* INT1/ICEBP (F1): a trap-like #DB delivered as a hardware event: "the
 * gate DPL is not checked" and EXT is set in error codes. */
int op_int1(struct cpu *cpu, const struct insn *in)
{
	return int_result(cpu_deliver_interrupt(cpu, EXC_DB, 0, next_rip(cpu, in)));
}

/* ---- IRET --------------------------------------------------------------
 * SDM Vol. 2 "IRET/IRETD/IRETQ".  Every pop is read with stack_peek first
 * and RSP moves only when everything has been checked. */

/* EFLAGS bits IRET loads from the image in protected and IA-32e mode
 * (RETURN-TO-SAME-PRIVILEGE-LEVEL / RETURN-TO-OUTER-PRIVILEGE-LEVEL):
 * "EFLAGS (CF, PF, AF, ZF, SF, TF, DF, OF, NT) := tempEFLAGS; IF OperandSize
 * = 32 or 64 THEN EFLAGS(RF, AC, ID) := tempEFLAGS; IF CPL <= IOPL THEN
 * EFLAGS(IF) := tempEFLAGS; IF CPL = 0 THEN EFLAGS(IOPL) := tempEFLAGS; IF
 * OperandSize = 32 or 64 THEN EFLAGS(VIF, VIP) := tempEFLAGS". */
static uint64_t iret_prot_flags(uint64_t cur, uint64_t t, unsigned lg, unsigned cpl)
{
	unsigned iopl = (unsigned)(cur & RFLAGS_IOPL) >> RFLAGS_IOPL_SHIFT;
	uint64_t m = RFLAGS_ARITH | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT;

	if (lg >= 2)
		m |= RFLAGS_RF | RFLAGS_AC | RFLAGS_ID;
	if (cpl <= iopl)
		m |= RFLAGS_IF;
	if (cpl == 0) {
		m |= RFLAGS_IOPL;
		if (lg >= 2)
			m |= RFLAGS_VIF | RFLAGS_VIP;
	}
	return (cur & ~m) | (t & m);
}

/* REAL-ADDRESS-MODE. */
static int iret_real(struct cpu *cpu, unsigned lg)
{
	unsigned sz = 1u << lg;
	uint64_t ip, cs, t, f = flags_read(cpu);

	TRY(stack_peek(cpu, sz, 0, &ip));
	TRY(stack_peek(cpu, sz, sz, &cs));
	TRY(stack_peek(cpu, sz, 2 * sz, &t));
	/* "IF tempEIP is beyond code segment limit THEN #GP(0)" */
	if (ip > cpu->seg[SEG_CS].limit)
		return cpu_gp0(cpu);
	if (lg == 2)
		/* "EFLAGS := (tempEFLAGS AND 257FD5H) OR (EFLAGS AND 1A0000H)" */
		f = (t & 0x257fd5) | (f & 0x1a0000);
	else
		f = (f & ~0xffffull) | (t & 0xffff);
	stack_set_rsp(cpu, cpu->gpr[R_RSP] + 3 * sz);
	flags_write(cpu, f);
	seg_load_real(cpu, SEG_CS, (uint16_t)cs);
	cpu->rip = ip;
	return X_JUMP;
}

/* RETURN-FROM-VIRTUAL-8086-MODE (SDM Vol. 2 "IRET"), plus the CR4.VME form
 * for IOPL < 3 and a 16-bit operand.  Vol. 2 gives only "#GP(0); (* Trap
 * to virtual-8086 monitor: PE = 1, VM = 1, IOPL < 3 *)"; the VME form is
 * the return from Table 20-2 method 6 ("An IRET instruction at the end of
 * the handler procedure reverses these steps", Vol. 3A §20.3.3.4-5).
 * It takes the FLAGS image as POPF does (§20.3.2: when an 8086 program
 * tries to change IF with POPF "the processor will change the VIF flag
 * instead, leaving IF unchanged"), with POPF's #GP(0) conditions on VIP
 * and TF (§20.3.2: VIF and VIP both set "can only occur immediately
 * following execution of a POPF or IRET instruction"; Bochs makes the
 * same checks).  The 32-bit form stays #GP(0), as POPFD does. */
static int iret_vm86(struct cpu *cpu, unsigned lg)
{
	unsigned sz = 1u << lg;
	uint64_t ip, cs, t, f = flags_read(cpu), keep;
	unsigned iopl = (unsigned)(f & RFLAGS_IOPL) >> RFLAGS_IOPL_SHIFT;

	if (iopl < 3 && !((cpu->cr4 & CR4_VME) && lg == 1))
		/* "#GP(0); (* Trap to virtual-8086 monitor: PE = 1, VM = 1,
		 * IOPL < 3 *)" */
		return cpu_gp0(cpu);
	TRY(stack_peek(cpu, sz, 0, &ip));
	TRY(stack_peek(cpu, sz, sz, &cs));
	TRY(stack_peek(cpu, sz, 2 * sz, &t));
	/* "IF EIP not within CS limit THEN #GP(0)" */
	if (ip > cpu->seg[SEG_CS].limit)
		return cpu_gp0(cpu);
	if (iopl < 3) {
		/* VME, as POPF: "IF (EFLAGS.VIP = 1 AND tempFLAGS[9] = 1) OR
		 * tempFLAGS[8] = 1 THEN #GP(0); ELSE EFLAGS.VIF :=
		 * tempFLAGS[9]"; IF and IOPL keep their values. */
		if (((f & RFLAGS_VIP) && (t & RFLAGS_IF)) || (t & RFLAGS_TF))
			return cpu_gp0(cpu);
		keep = ~0xffffull | RFLAGS_IF | RFLAGS_IOPL;
		f = (f & keep) | (t & ~keep);
		f = (f & ~(uint64_t)RFLAGS_VIF) | ((t & RFLAGS_IF) ? RFLAGS_VIF : 0);
	} else if (lg == 2) {
		/* "(* VM, IOPL, VIP and VIF EFLAG bits not modified by pop *)" */
		keep = RFLAGS_VM | RFLAGS_IOPL | RFLAGS_VIP | RFLAGS_VIF;
		f = (f & keep) | (t & ~keep);
	} else {
		/* "EFLAGS[15:0] := Pop(); (* IOPL in popped value ignored *)" */
		keep = ~0xffffull | RFLAGS_IOPL;
		f = (f & keep) | (t & ~keep);
	}
	stack_set_rsp(cpu, cpu->gpr[R_RSP] + 3 * sz);
	flags_write(cpu, f);
	seg_load_real(cpu, SEG_CS, (uint16_t)cs);
	cpu->rip = ip;
	return X_JUMP;
}

/* Virtual-8086 segment: base = selector * 16, 64 KBytes, DPL 3 (SDM Vol.
 * 3A §20.2.1). */
static struct seg vm86_seg(uint16_t sel)
{
	return (struct seg){ sel, (uint64_t)sel << 4, 0xffff,
	                     SEG_P | SEG_S | (3u << SEG_DPL_SHIFT) | SEG_TYPE_WR | SEG_TYPE_A };
}

/* RETURN-TO-VIRTUAL-8086-MODE: from CPL 0 with VM set in a 32-bit image;
 * the frame holds EIP CS EFLAGS ESP SS ES DS FS GS. */
static int iret_to_vm86(struct cpu *cpu, uint64_t ip, uint64_t cs, uint64_t t)
{
	static const unsigned order[5] = { SEG_SS, SEG_ES, SEG_DS, SEG_FS, SEG_GS };
	uint64_t esp, sel[5];

	TRY(stack_peek(cpu, 4, 12, &esp));
	for (unsigned i = 0; i < 5; i++)
		TRY(stack_peek(cpu, 4, 16 + 4 * i, &sel[i]));
	/* "IF EIP not within CS limit THEN #GP(0)": the vm86 CS limit. */
	if (ip > 0xffff)
		return cpu_gp0(cpu);
	flags_write(cpu, t);
	for (unsigned i = 0; i < 5; i++)
		cpu->seg[order[i]] = vm86_seg((uint16_t)sel[i]);
	cpu->seg[SEG_CS] = vm86_seg((uint16_t)cs);
	cpu->seg[SEG_CS].attr |= SEG_TYPE_CODE;
	cpu->gpr[R_RSP] = (uint32_t)esp;
	cpu->rip = ip & 0xffff;
	cpu_update_mode(cpu);
	return X_JUMP;
}

/* Check the popped SS for a return to privilege `rpl` (SDM Vol. 2 IRET,
 * RETURN-TO-OUTER-PRIVILEGE-LEVEL; also IA-32e same-level returns, which
 * pop SS too).  A NULL SS is allowed only when returning to 64-bit mode
 * at CPL < 3. */
static int iret_check_ss(struct cpu *cpu, uint16_t sel, unsigned rpl, bool to64, struct seg *ss,
                         uint64_t *desc)
{
	*desc = 0;
	if ((sel & 0xfffc) == 0) {
		if (to64 && rpl != 3 && (sel & 3) == rpl) {
			*ss = (struct seg){ sel, 0, 0, SEG_UNUSABLE | (rpl << SEG_DPL_SHIFT) };
			return X_OK;
		}
		/* "IF tempSS is NULL THEN #GP(0)" */
		return cpu_gp0(cpu);
	}
	/* "IF tempSS addresses descriptor beyond descriptor table limit
	 * THEN #GP(SS selector)" */
	TRY(seg_read_desc(cpu, sel, EXC_GP, desc));
	seg_from_desc(ss, sel, *desc | (1ull << 40));
	/* "IF tempSS RPL != return CS RPL, stack segment DPL != return CS
	 * RPL, or stack segment is not a writable data segment THEN
	 * #GP(SS selector)" */
	if ((sel & 3) != rpl || ((ss->attr & SEG_DPL_MASK) >> SEG_DPL_SHIFT) != rpl ||
	    !(ss->attr & SEG_S) || (ss->attr & SEG_TYPE_CODE) || !(ss->attr & SEG_TYPE_WR))
		return cpu_gp(cpu, sel & 0xfffc);
	/* "IF stack segment is not present THEN #SS(SS selector)" */
	if (!(ss->attr & SEG_P))
		return cpu_ss(cpu, sel & 0xfffc);
	return X_OK;
}

/* PROTECTED-MODE and IA-32e-MODE. */
static int iret_prot(struct cpu *cpu, unsigned lg, uint64_t next_eip)
{
	unsigned sz = 1u << lg, cpl = cpu->cpl, rpl;
	uint64_t ip, csv, t, desc, ssdesc = 0, rsp = 0, ssv;
	struct seg cs, ss;
	bool to64, outer, pop_ss;
	uint16_t sel;

	if (flags_read(cpu) & RFLAGS_NT) {
		/* IA-32e mode: "IF NT = 1 THEN #GP(0)" (there is no task
		 * switching, SDM Vol. 3A §7.7).  Legacy mode: TASK-RETURN. */
		if (cpu->efer & EFER_LMA)
			return cpu_gp0(cpu);
		return task_iret(cpu, next_eip & (cpu->code_size == 2 ? 0xffffu : 0xffffffffu));
	}
	TRY(stack_peek(cpu, sz, 0, &ip));
	TRY(stack_peek(cpu, sz, sz, &csv));
	TRY(stack_peek(cpu, sz, 2 * sz, &t));
	if (lg == 1) {
		ip &= 0xffff;
		t &= 0xffff;
	} else if (lg == 2) {
		ip &= 0xffffffff;
		t &= 0xffffffff;
	}
	sel = (uint16_t)csv;
	/* "IF tempEFLAGS(VM) = 1 and CPL = 0 THEN GOTO
	 * RETURN-TO-VIRTUAL-8086-MODE" (legacy mode only: IA-32e mode has
	 * no virtual-8086 mode). */
	if (cpu->mode == MODE_PROT && lg == 2 && (t & RFLAGS_VM) && cpl == 0)
		return iret_to_vm86(cpu, ip, csv, t);
	/* PROTECTED-MODE-RETURN: "IF return code segment selector is NULL
	 * THEN #GP(0)" */
	if ((sel & 0xfffc) == 0)
		return cpu_gp0(cpu);
	/* "... beyond descriptor table limit THEN #GP(selector)" */
	TRY(seg_read_desc(cpu, sel, EXC_GP, &desc));
	seg_from_desc(&cs, sel, desc | (1ull << 40));
	rpl = sel & 3;
	/* "IF return code segment descriptor is not a code segment, or
	 * selector RPL < CPL, or conforming and DPL > RPL, or non-conforming
	 * and DPL != RPL THEN #GP(selector)" */
	{
		unsigned dpl = (cs.attr & SEG_DPL_MASK) >> SEG_DPL_SHIFT;
		bool conforming = (cs.attr & SEG_TYPE_EC) != 0;

		if (!(cs.attr & SEG_S) || !(cs.attr & SEG_TYPE_CODE) || rpl < cpl ||
		    (conforming && dpl > rpl) || (!conforming && dpl != rpl))
			return cpu_gp(cpu, sel & 0xfffc);
	}
	/* "IF return code segment descriptor is not present THEN
	 * #NP(selector)" */
	if (!(cs.attr & SEG_P))
		return cpu_fault(cpu, EXC_NP, sel & 0xfffc);
	to64 = (cpu->efer & EFER_LMA) && (cs.attr & SEG_L);
	outer = rpl > cpl;
	/* IA-32e-MODE: "IF instruction began in 64-Bit Mode THEN ... pop
	 * SS:RSP" even at the same level. */
	pop_ss = outer || cpu->mode == MODE_LONG;
	if (pop_ss) {
		TRY(stack_peek(cpu, sz, 3 * sz, &rsp));
		TRY(stack_peek(cpu, sz, 4 * sz, &ssv));
		if (lg == 1)
			rsp &= 0xffff;
		else if (lg == 2)
			rsp &= 0xffffffff;
		TRY(iret_check_ss(cpu, (uint16_t)ssv, rpl, to64, &ss, &ssdesc));
	}
	/* "IF new mode != 64-Bit Mode THEN IF tempEIP is not within CS
	 * limit THEN #GP(0); ELSE IF tempRIP is non-canonical THEN #GP(0)" */
	if (to64 ? !cpu_is_canonical(ip) : ip > cs.limit)
		return cpu_gp0(cpu);
	TRY(seg_set_accessed(cpu, sel, desc));
	if (pop_ss && ssdesc)
		TRY(seg_set_accessed(cpu, (uint16_t)ssv, ssdesc));

	/* Commit: flags use the old CPL. */
	flags_write(cpu, iret_prot_flags(flags_read(cpu), t, lg, cpl));
	if (pop_ss) {
		cpu->seg[SEG_SS] = ss;
		cpu->gpr[R_RSP] = rsp;
	} else {
		stack_set_rsp(cpu, cpu->gpr[R_RSP] + 3 * sz);
	}
	cpu->seg[SEG_CS] = cs;
	cpu->rip = ip;
	cpu_update_mode(cpu);
	/* IA-32e mode too: "IF return code segment selector RPL > CPL THEN
	 * GOTO RETURN-TO-OUTER-PRIVILEGE-LEVEL", which nulls the data
	 * segment registers the new level may not use. */
	if (outer)
		seg_null_outer(cpu);
	return X_JUMP;
}

static int iret_mode(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->dsize;

	switch (cpu->mode) {
	case MODE_REAL:
		return iret_real(cpu, lg);
	case MODE_VM86:
		return iret_vm86(cpu, lg);
	default:
		return iret_prot(cpu, lg, cpu->rip + in->len);
	}
}

/* IRET/IRETD/IRETQ: the operand size is 16, 32 or 64 (REX.W).  In VMX
 * non-root operation it unblocks NMIs or virtual NMIs, even when it
 * faults (src/vmx/nmi.c, SDM Vol. 3C §25.3). */
int op_iret(struct cpu *cpu, const struct insn *in)
{
	int st;

	if (likely(!cpu->vmx_nonroot))
		return iret_mode(cpu, in);
	vmx_iret_begin(cpu);
	st = iret_mode(cpu, in);
	vmx_iret_end(cpu, st);
	return st;
}

/* ---- SYSCALL/SYSRET and SYSENTER/SYSEXIT ------------------------------ */

/* The fixed flat descriptor caches these instructions load: "Base := 0;
 * Limit := FFFFFH (4-GByte with G); Type := 11 (code) or 3 (data);
 * S := 1; P := 1; G := 1". */
static struct seg flat_code(uint16_t sel, unsigned dpl, bool l)
{
	return (struct seg){ sel, 0, 0xffffffff,
	                     SEG_P | SEG_S | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A | SEG_G |
	                     (dpl << SEG_DPL_SHIFT) | (l ? SEG_L : SEG_DB) };
}

static struct seg flat_stack(uint16_t sel, unsigned dpl)
{
	return (struct seg){ sel, 0, 0xffffffff,
	                     SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | SEG_G | SEG_DB |
	                     (dpl << SEG_DPL_SHIFT) };
}

/* SYSCALL (SDM Vol. 2 "SYSCALL"): "IF (CS.L != 1) or (IA32_EFER.LMA != 1)
 * or (IA32_EFER.SCE != 1) THEN #UD". */
int op_syscall(struct cpu *cpu, const struct insn *in)
{
	uint64_t f = flags_read(cpu);
	uint16_t sel = (uint16_t)(cpu->star >> 32);

	if (cpu->mode != MODE_LONG || !(cpu->efer & EFER_SCE))
		return cpu_ud(cpu);
	/* "RCX := RIP; RIP := IA32_LSTAR; R11 := RFLAGS; RFLAGS := RFLAGS
	 * AND NOT(IA32_FMASK)"; "None of the bits in RFLAGS are
	 * automatically cleared (except for RF)". */
	cpu->gpr[R_RCX] = next_rip(cpu, in);
	cpu->gpr[R_R11] = f;
	flags_write(cpu, f & ~cpu->fmask & ~(uint64_t)RFLAGS_RF);
	/* "CS.Selector := IA32_STAR[47:32] AND FFFCH; ... SS.Selector :=
	 * IA32_STAR[47:32] + 8" */
	cpu->seg[SEG_CS] = flat_code(sel & 0xfffc, 0, true);
	cpu->seg[SEG_SS] = flat_stack((uint16_t)(sel + 8), 0);
	cpu->rip = cpu->lstar;
	cpu_update_mode(cpu);
	return X_JUMP;
}

/* SYSRET (SDM Vol. 2 "SYSRET").  The #UD conditions come before the CPL
 * check, so CPL is checked here rather than by F_CPL0 (which would raise
 * #GP first). */
int op_sysret(struct cpu *cpu, const struct insn *in)
{
	bool to64 = in->dsize == 3;
	uint16_t base = (uint16_t)(cpu->star >> 48);
	uint64_t rcx = cpu->gpr[R_RCX];

	/* "IF (CS.L != 1) or (IA32_EFER.LMA != 1) or (IA32_EFER.SCE != 1)
	 * THEN #UD" */
	if (cpu->mode != MODE_LONG || !(cpu->efer & EFER_SCE))
		return cpu_ud(cpu);
	/* "IF (CPL != 0) THEN #GP(0)" */
	if (cpu->cpl != 0)
		return cpu_gp0(cpu);
	/* "IF (RCX is not canonical) THEN #GP(0)" (64-bit return only) */
	if (to64 && !cpu_is_canonical(rcx))
		return cpu_gp0(cpu);
	/* "RFLAGS := (R11 & 3C7FD7H) | 2; (* Clear RF, VM, reserved bits *)" */
	flags_write(cpu, (cpu->gpr[R_R11] & 0x3c7fd7) | 2);
	/* "CS.Selector := IA32_STAR[63:48] (+16 for 64-bit) OR 3; SS.Selector
	 * := (IA32_STAR[63:48] + 8) OR 3" */
	cpu->seg[SEG_CS] = flat_code((uint16_t)((to64 ? base + 16 : base) | 3), 3, to64);
	cpu->seg[SEG_SS] = flat_stack((uint16_t)((base + 8) | 3), 3);
	cpu->rip = to64 ? rcx : (uint32_t)rcx;
	cpu_update_mode(cpu);
	return X_JUMP;
}

/* SYSENTER (SDM Vol. 2 "SYSENTER"): "IF CR0.PE = 0 OR
 * IA32_SYSENTER_CS[15:2] = 0 THEN #GP(0)". */
int op_sysenter(struct cpu *cpu, const struct insn *in)
{
	bool lm = (cpu->efer & EFER_LMA) != 0;
	uint16_t sel = (uint16_t)cpu->sysenter_cs & 0xfffc;

	(void)in;
	if (!(cpu->cr0 & CR0_PE) || sel == 0)
		return cpu_gp0(cpu);
	/* "RFLAGS.VM := 0; RFLAGS.IF := 0; RFLAGS.RF := 0" */
	flags_write(cpu, flags_read(cpu) & ~(uint64_t)(RFLAGS_VM | RFLAGS_IF | RFLAGS_RF));
	cpu->seg[SEG_CS] = flat_code(sel, 0, lm);
	cpu->seg[SEG_SS] = flat_stack((uint16_t)(sel + 8), 0);
	cpu->gpr[R_RSP] = lm ? cpu->sysenter_esp : (uint32_t)cpu->sysenter_esp;
	cpu->rip = lm ? cpu->sysenter_eip : (uint32_t)cpu->sysenter_eip;
	cpu_update_mode(cpu);
	return X_JUMP;
}

/* SYSEXIT (SDM Vol. 2 "SYSEXIT"): "IF IA32_SYSENTER_CS[15:2] = 0 OR
 * CR0.PE = 0 OR CPL != 0 THEN #GP(0)"; REX.W returns to 64-bit mode. */
int op_sysexit(struct cpu *cpu, const struct insn *in)
{
	bool to64 = in->dsize == 3;
	uint16_t cs = (uint16_t)cpu->sysenter_cs;
	uint64_t rsp = cpu->gpr[R_RCX], rip = cpu->gpr[R_RDX];

	if (!(cpu->cr0 & CR0_PE) || (cs & 0xfffc) == 0 || cpu->cpl != 0)
		return cpu_gp0(cpu);
	/* 64-bit return: "IF RCX or RDX is not canonical THEN #GP(0)" */
	if (to64 && (!cpu_is_canonical(rsp) || !cpu_is_canonical(rip)))
		return cpu_gp0(cpu);
	/* "CS.Selector := IA32_SYSENTER_CS[15:0] + 32 (64-bit) or + 16, OR 3;
	 * SS.Selector := CS.Selector + 8" */
	cs = (uint16_t)((cs + (to64 ? 32 : 16)) | 3);
	cpu->seg[SEG_CS] = flat_code(cs, 3, to64);
	cpu->seg[SEG_SS] = flat_stack((uint16_t)(cs + 8), 3);
	cpu->gpr[R_RSP] = to64 ? rsp : (uint32_t)rsp;
	cpu->rip = to64 ? rip : (uint32_t)rip;
	cpu_update_mode(cpu);
	return X_JUMP;
}

/* BOUND r16/32, m16&16/m32&32 (SDM Vol. 2 "BOUND"): "IF ArrayIndex <
 * LowerBound OR ArrayIndex > UpperBound THEN #BR", a fault with no error
 * code; the bounds are signed.  Invalid in 64-bit mode (62h is EVEX there).
 * A register second operand is #UD. */
int op_bound(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->op[0].lg, size = 1u << lg;
	uint64_t lo, hi, ea;
	int64_t idx, l, h;

	if (in->nops < 2 || in->op[1].kind != OPK_MEM)
		return cpu_ud(cpu);
	ea = insn_ea(cpu, in);
	TRY(access_read(cpu, in->mem.seg, ea, size, &lo));
	TRY(access_read(cpu, in->mem.seg, (ea + size) & addr_mask(in->asize), size, &hi));
	if (lg == 1) {
		idx = (int16_t)cpu->gpr[in->op[0].reg];
		l = (int16_t)lo;
		h = (int16_t)hi;
	} else {
		idx = (int32_t)cpu->gpr[in->op[0].reg];
		l = (int32_t)lo;
		h = (int32_t)hi;
	}
	if (idx < l || idx > h)
		return cpu_fault_noerr(cpu, EXC_BR);
	return X_OK;
}
