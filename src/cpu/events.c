/* Event delivery: exceptions and interrupts through the real-mode IVT, the
 * protected-mode IDT and the IA-32e IDT, from any mode including
 * virtual-8086, with the double-fault and triple-fault rules.
 * SDM Vol. 3A chapter 6, §20.1.4 and §20.3; Vol. 2 "INT n/INTO/INT3/INT1"
 * pseudocode, which this file follows step by step.
 *
 * Every check and every descriptor or TSS read happens before anything is
 * committed; a fault during delivery leaves registers untouched (the frame
 * may have been partly written below the new stack pointer, which no
 * program can observe as state).  Task gates in the IDT switch tasks
 * (task.c).
 */
#include "access.h"
#include "cpu.h"
#include "flags.h"
#include "mmu.h"
#include "ops.h"
#include "seg.h"
#include "task.h"
#include "../vmx/vmx.h"

/* What is being delivered. */
enum ev_kind {
	EV_EXC,       /* processor exception (fault, trap or abort) */
	EV_EXT,       /* external interrupt, NMI, or INT1 (ICEBP) */
	EV_SOFT_INT,  /* INT n: gate DPL and vm86 IOPL/VME rules apply */
	EV_SOFT_EXC,  /* INT3, INTO: gate DPL applies, vm86 IOPL does not */
};

struct event {
	unsigned vector;
	enum ev_kind kind;
	bool has_error;
	uint32_t error;
	uint64_t ret_rip;   /* the return address pushed */
	uint32_t ext;       /* EXT bit of error codes raised while delivering */
};

/* Flags every delivery through an IDT gate clears (SDM Vol. 2 INT n:
 * "TF := 0; VM := 0; RF := 0; NT := 0"); interrupt gates also clear IF. */
#define GATE_CLEARS (RFLAGS_TF | RFLAGS_VM | RFLAGS_RF | RFLAGS_NT)

/* Descriptor fields (SDM Vol. 3A §3.4.5, Figure 6-2 for gates). */
#define D_S       (1ull << 44)
#define D_CODE    (1ull << 43)
#define D_CONFORM (1ull << 42)
#define D_WRITE   (1ull << 41)
#define D_P       (1ull << 47)
#define D_L       (1ull << 53)
#define D_DB      (1ull << 54)

static unsigned desc_dpl(uint64_t d)
{
	return (unsigned)(d >> 45) & 3;
}

static uint64_t rip_mask_for(unsigned code_size)
{
	return code_size == 8 ? ~0ull : code_size == 4 ? 0xffffffffull : 0xffffull;
}

/* SDM Vol. 3A §17.3.1.1: "For any fault-class exception except a debug
 * exception generated in response to an instruction breakpoint, the value
 * pushed for RF is 1"; software interrupts push RF = 0; other events push
 * RF as it is.  #DB here is always a trap (INT1 or single-step). */
static uint64_t pushed_flags(const struct cpu *cpu, const struct event *ev)
{
	uint64_t f = flags_read(cpu);

	if (ev->kind == EV_SOFT_INT || ev->kind == EV_SOFT_EXC)
		return f & ~(uint64_t)RFLAGS_RF;
	if (ev->kind == EV_EXC) {
		switch (ev->vector) {
		case EXC_DB: case EXC_NMI: case EXC_BP: case EXC_OF: case EXC_DF: case EXC_MC:
			break;
		default:
			f |= RFLAGS_RF;
			break;
		}
	}
	return f;
}

/* VMX non-root operation: `ev` in the terms of the interruption-
 * information format (shared/spec/vm-exits.md §4), for the exception
 * bitmap and the IDT-vectoring information (src/vmx/intercept_exc.c).
 * EV_EXT carries INT1 (vector 1, type 5), NMI (vector 2) and external
 * interrupts. */
static struct vmx_intr vmx_intr_of(const struct cpu *cpu, const struct event *ev)
{
	struct vmx_intr r = { .vector = (uint8_t)ev->vector, .has_error = ev->has_error,
	                      .error = ev->error };

	switch (ev->kind) {
	case EV_EXC: r.type = 3; break;
	case EV_SOFT_INT: r.type = 4; break;
	case EV_SOFT_EXC: r.type = 6; break;
	default: r.type = ev->vector == EXC_DB ? 5 : ev->vector == EXC_NMI ? 2 : 0; break;
	}
	/* Software events return past their instruction, at cpu->rip. */
	if (r.type >= 4)
		r.len = (uint8_t)(ev->ret_rip - cpu->rip);
	return r;
}

/* Real mode through the IVT: SDM Vol. 2 INT n, REAL-ADDRESS-MODE, and Vol.
 * 3A §20.1.4.  No error code is pushed in real mode. */
static int deliver_real(struct cpu *cpu, const struct event *ev)
{
	const struct seg *ss = &cpu->seg[SEG_SS];
	uint64_t m = (ss->attr & SEG_DB) ? 0xffffffffull : 0xffffull;
	uint64_t sp = cpu->gpr[R_RSP], ent;
	uint64_t fl = flags_read(cpu);
	uint64_t items[3] = { fl & 0xffff, cpu->seg[SEG_CS].sel, ev->ret_rip & 0xffff };

	/* "IF ((vector_number << 2) + 3) is not within IDT limit THEN #GP" */
	if ((uint64_t)ev->vector * 4 + 3 > cpu->idtr.limit)
		return cpu_gp0(cpu);
	TRY(access_sys_read(cpu, cpu->idtr.base + ev->vector * 4, 4, &ent));
	/* "IF stack not large enough for a 6-byte return information THEN
	 * #SS": the segment checks of each push raise it. */
	for (unsigned i = 0; i < 3; i++)
		TRY(access_write(cpu, SEG_SS, (sp - 2 * (i + 1)) & m, 2, items[i]));
	cpu->gpr[R_RSP] = (sp & ~m) | ((sp - 6) & m);
	/* "IF := 0; TF := 0; AC := 0" */
	flags_write(cpu, fl & ~(uint64_t)(RFLAGS_IF | RFLAGS_TF | RFLAGS_AC));
	cpu->seg[SEG_CS].sel = (uint16_t)(ent >> 16);
	cpu->seg[SEG_CS].base = (ent >> 16) << 4;
	cpu->rip = ent & 0xffff;
	return X_OK;
}

/* The software-interrupt redirection bit map of a virtual-8086 task: the
 * 32 bytes just below the I/O map base (SDM Vol. 3A §20.3.3, Figure 20-5:
 * "Bit 0 in the interrupt redirection bit map (which maps to vector zero
 * in the interrupt table) is located at the I/O base map address in the
 * TSS minus 32 bytes").  Sets *redirect when bit n is clear.  The SDM
 * gives no rule for a map that lies beyond the TSS limit; that is #GP(0)
 * here, as in Bochs (the I/O permission bit map beyond the limit is
 * #GP(0) too, SDM Vol. 1 §19.5.2). */
static int vme_redirected(struct cpu *cpu, unsigned vector, bool *redirect)
{
	const struct seg *tr = &cpu->seg[SEG_TR];
	uint64_t iobase, byte;
	uint64_t off;

	if (tr->limit < 0x67)
		return cpu_gp0(cpu);
	TRY(access_sys_read(cpu, tr->base + 0x66, 2, &iobase));
	off = iobase - 32 + vector / 8;
	if (iobase < 32 || off > tr->limit)
		return cpu_gp0(cpu);
	TRY(access_sys_read(cpu, tr->base + off, 1, &byte));
	*redirect = !((byte >> (vector & 7)) & 1);
	return X_OK;
}

/* INT n redirected by VME to the 8086 program's own handler, through the
 * vector table at linear address 0 of the virtual-8086 task: SDM Vol. 3A
 * Table 20-2 methods 5 (IOPL = 3) and 6 (IOPL < 3), and Vol. 2 INT n:
 * "Push EFLAGS[15:0]; (* if IOPL < 3, save VIF in IF position and save
 * IOPL position as 3 *) Push CS; Push IP; IF IOPL = 3 THEN IF := 0; ELSE
 * VIF := 0; FI; TF := 0; load CS and EIP (lower 16 bits only) from entry
 * n in interrupt vector table".  The processor stays in virtual-8086
 * mode; the vector table is read and the frame written at CPL 3. */
static int deliver_vm86_redirect(struct cpu *cpu, const struct event *ev)
{
	uint64_t fl = flags_read(cpu), img = fl & 0xffff, ent, sp = cpu->gpr[R_RSP];
	unsigned iopl = (unsigned)(fl & RFLAGS_IOPL) >> RFLAGS_IOPL_SHIFT;
	uint64_t items[3];

	/* "if IOPL < 3, save VIF in IF position and save IOPL position as 3" */
	if (iopl < 3) {
		img &= ~(uint64_t)RFLAGS_IF;
		if (fl & RFLAGS_VIF)
			img |= RFLAGS_IF;
		img |= RFLAGS_IOPL;
	}
	items[0] = img;
	items[1] = cpu->seg[SEG_CS].sel;
	items[2] = ev->ret_rip & 0xffff;
	TRY(access_lin_read(cpu, ev->vector * 4, 4, &ent));
	for (unsigned i = 0; i < 3; i++)
		TRY(access_write(cpu, SEG_SS, (sp - 2 * (i + 1)) & 0xffff, 2, items[i]));
	cpu->gpr[R_RSP] = (sp & ~0xffffull) | ((sp - 6) & 0xffff);
	fl &= ~(uint64_t)(RFLAGS_TF | (iopl == 3 ? RFLAGS_IF : RFLAGS_VIF));
	flags_write(cpu, fl);
	seg_load_real(cpu, SEG_CS, (uint16_t)(ent >> 16));
	cpu->rip = ent & 0xffff;
	return X_OK;
}

/* Raise `vec` with `err`; used for the error codes of SDM Vol. 3A §6.13
 * that carry the EXT bit. */
static int ev_fault(struct cpu *cpu, unsigned vec, uint32_t err)
{
	return cpu_fault(cpu, vec, err);
}

/* seg_read_desc, with EXT added to the selector error code it raises. */
static int read_desc_ext(struct cpu *cpu, uint16_t sel, unsigned vec, uint32_t ext, uint64_t *d)
{
	int st = seg_read_desc(cpu, sel, vec, d);

	if (st == X_FAULT && cpu->fault.vector == vec)
		cpu->fault.error |= ext;
	return st;
}

/* Does [sp - total, sp) fit in the stack segment (SDM Vol. 3A §5.3,
 * expand-up and expand-down limits)? */
static bool stack_room(const struct seg *ss, uint64_t sp, unsigned total)
{
	uint64_t m = (ss->attr & SEG_DB) ? 0xffffffffull : 0xffffull;
	uint64_t lo = (sp - total) & m;

	if (!(ss->attr & SEG_TYPE_CODE) && (ss->attr & SEG_TYPE_EC))
		return lo > ss->limit && lo + total - 1 <= m;
	return lo + total - 1 <= ss->limit;
}

/* The stack for the new privilege level from the legacy TSS, with the
 * checks of SDM Vol. 2 INT n INTER-PRIVILEGE-LEVEL-INTERRUPT (also used by
 * INTERRUPT-FROM-VIRTUAL-8086-MODE, where the level is 0). */
static int legacy_inner_stack(struct cpu *cpu, unsigned dpl, uint32_t ext, struct seg *ss,
                              uint64_t *esp)
{
	const struct seg *tr = &cpu->seg[SEG_TR];
	unsigned t = tr->attr & SEG_TYPE_MASK;
	uint32_t tr_err = (tr->sel & 0xfffc) | ext;
	uint64_t sel, sp, desc;

	if (t == SYS_TSS_AVAIL || t == SYS_TSS_BUSY) {
		uint64_t a = dpl * 8 + 4;

		/* "IF (TSSstackAddress + 5) > current TSS limit THEN #TS" */
		if (a + 5 > tr->limit)
			return ev_fault(cpu, EXC_TS, tr_err);
		TRY(access_sys_read(cpu, (uint32_t)(tr->base + a + 4), 2, &sel));
		TRY(access_sys_read(cpu, (uint32_t)(tr->base + a), 4, &sp));
	} else {
		uint64_t a = dpl * 4 + 2;

		if (a + 3 > tr->limit)
			return ev_fault(cpu, EXC_TS, tr_err);
		TRY(access_sys_read(cpu, (uint32_t)(tr->base + a + 2), 2, &sel));
		TRY(access_sys_read(cpu, (uint32_t)(tr->base + a), 2, &sp));
	}
	/* "IF NewSS is NULL THEN #TS(EXT)" */
	if ((sel & 0xfffc) == 0)
		return ev_fault(cpu, EXC_TS, ext);
	/* "IF NewSS index is not within its descriptor-table limits or
	 * NewSS RPL != new code-segment DPL THEN #TS(error_code(NewSS,0,EXT))" */
	TRY(read_desc_ext(cpu, (uint16_t)sel, EXC_TS, ext, &desc));
	if ((sel & 3) != dpl)
		return ev_fault(cpu, EXC_TS, ((uint32_t)sel & 0xfffc) | ext);
	/* "IF new stack-segment DPL != new code-segment DPL or new
	 * stack-segment Type does not indicate writable data segment" */
	if (desc_dpl(desc) != dpl || !(desc & D_S) || (desc & D_CODE) || !(desc & D_WRITE))
		return ev_fault(cpu, EXC_TS, ((uint32_t)sel & 0xfffc) | ext);
	/* "IF NewSS is not present THEN #SS(error_code(NewSS,0,EXT))" */
	if (!(desc & D_P))
		return ev_fault(cpu, EXC_SS, ((uint32_t)sel & 0xfffc) | ext);
	TRY(seg_set_accessed(cpu, (uint16_t)sel, desc));
	seg_from_desc(ss, (uint16_t)sel, desc | (1ull << 40));
	*esp = sp;
	return X_OK;
}

/* Write the frame items (first pushed first) below `sp` on the stack
 * described by `ss` (ignored in IA-32e mode), at the privilege of the
 * handler. */
static int write_frame(struct cpu *cpu, const struct seg *ss, bool lm, uint64_t sp,
                       const uint64_t *items, unsigned n, unsigned width, unsigned new_cpl)
{
	unsigned accf = new_cpl == 3 ? ACCF_USER : 0;
	uint64_t m = lm ? ~0ull : (ss->attr & SEG_DB) ? 0xffffffffull : 0xffffull;

	for (unsigned i = 0; i < n; i++) {
		uint64_t off = (sp - (uint64_t)width * (i + 1)) & m;
		uint64_t gla = lm ? off : (uint32_t)(ss->base + off);

		TRY(access_lin_write_slow(cpu, gla, width, accf, items[i]));
	}
	return X_OK;
}

/* A decoded IDT gate. */
struct gate {
	unsigned type;     /* SYS_* */
	uint16_t sel;
	uint64_t offset;
	unsigned ist;      /* IA-32e only */
};

/* Read and check the IDT entry: SDM Vol. 2 INT n, PROTECTED-MODE and
 * IA-32e-MODE, first steps. */
static int read_gate(struct cpu *cpu, const struct event *ev, bool lm, struct gate *g)
{
	unsigned gsz = lm ? 16 : 8;
	/* error_code(vector_number, 1, EXT): IDT bit set. */
	uint32_t idt_err = ev->vector * 8 + 2 + ev->ext;
	uint64_t lo, hi = 0;
	bool ok;

	/* "IF ((vector_number << 3) + 7) is not within IDT limits" (<< 4 and
	 * + 15 in IA-32e mode) "THEN #GP(error_code(vector_number,1,EXT))" */
	if ((uint64_t)ev->vector * gsz + gsz - 1 > cpu->idtr.limit)
		return ev_fault(cpu, EXC_GP, idt_err);
	TRY(access_sys_read(cpu, cpu->idtr.base + ev->vector * gsz, 8, &lo));
	if (lm)
		TRY(access_sys_read(cpu, cpu->idtr.base + ev->vector * gsz + 8, 8, &hi));
	g->type = (unsigned)(lo >> 40) & 0x1f; /* type plus S, which must be 0 */
	/* "or selected IDT descriptor is not an interrupt-, trap-, or
	 * task-gate type": IA-32e mode has only 64-bit interrupt and trap
	 * gates (SDM Vol. 3A §6.14.1). */
	if (lm)
		ok = g->type == SYS_INTGATE || g->type == SYS_TRAPGATE;
	else
		ok = g->type == SYS_TASKGATE || g->type == SYS_INTGATE16 ||
		     g->type == SYS_TRAPGATE16 || g->type == SYS_INTGATE || g->type == SYS_TRAPGATE;
	if (!ok)
		return ev_fault(cpu, EXC_GP, idt_err);
	/* "IF software interrupt (* Generated by INT n, INT3, or INTO; does
	 * not apply to INT1 *) ... IF gate DPL < CPL THEN
	 * #GP(error_code(vector_number,1,0))" */
	if ((ev->kind == EV_SOFT_INT || ev->kind == EV_SOFT_EXC) && desc_dpl(lo) < cpu->cpl)
		return ev_fault(cpu, EXC_GP, ev->vector * 8 + 2);
	/* "IF gate not present THEN #NP(error_code(vector_number,1,EXT))" */
	if (!(lo & D_P))
		return ev_fault(cpu, EXC_NP, idt_err);
	g->sel = (uint16_t)(lo >> 16);
	g->offset = (lo & 0xffff);
	if (g->type == SYS_INTGATE || g->type == SYS_TRAPGATE)
		g->offset |= (lo >> 32) & 0xffff0000ull;
	if (lm)
		g->offset |= hi << 32;
	g->ist = lm ? (unsigned)(lo >> 32) & 7 : 0;
	return X_OK;
}

/* Protected mode, virtual-8086 mode (to a CPL-0 handler) and IA-32e mode:
 * SDM Vol. 2 INT n, TRAP-OR-INTERRUPT-GATE and the three delivery paths
 * (INTER-PRIVILEGE-LEVEL-INTERRUPT, INTRA-PRIVILEGE-LEVEL-INTERRUPT,
 * INTERRUPT-FROM-VIRTUAL-8086-MODE). */
static int deliver_idt(struct cpu *cpu, const struct event *ev)
{
	bool lm = (cpu->efer & EFER_LMA) != 0;
	bool vm = (cpu->rflags & RFLAGS_VM) != 0;
	uint32_t ext = ev->ext;
	struct gate g;
	struct seg cs, ss;
	uint64_t cdesc, sp, items[10], fl;
	unsigned cpl = cpu->cpl, new_cpl, width, n = 0;
	uint32_t cs_err;
	bool inner, gate16;

	TRY(read_gate(cpu, ev, lm, &g));
	/* SDM Vol. 2 INT n: "IF task gate (* Specified in the selected
	 * interrupt table descriptor *) THEN GOTO TASK-GATE".  The old
	 * task saves the EFLAGS image a gate would have pushed. */
	if (g.type == SYS_TASKGATE) {
		/* A task switch in VMX non-root operation exits; the exit
		 * records this event (src/vmx/intercept_exc.c). */
		if (unlikely(cpu->vmx_nonroot))
			cpu->vmx->task_event = vmx_intr_of(cpu, ev);
		return task_gate_event(cpu, g.sel, ext, ev->ret_rip, pushed_flags(cpu, ev),
		                       ev->has_error, ev->error);
	}
	gate16 = g.type == SYS_INTGATE16 || g.type == SYS_TRAPGATE16;
	width = lm ? 8 : gate16 ? 2 : 4;
	cs_err = (g.sel & 0xfffc) | ext;
	/* "IF new code-segment selector is NULL THEN #GP(EXT)" */
	if ((g.sel & 0xfffc) == 0)
		return ev_fault(cpu, EXC_GP, ext);
	/* "not within its descriptor table limits THEN
	 * #GP(error_code(new code-segment selector,0,EXT))" */
	TRY(read_desc_ext(cpu, g.sel, EXC_GP, ext, &cdesc));
	/* "IF descriptor does not indicate a code segment or new
	 * code-segment DPL > CPL THEN #GP(...)" */
	if (!(cdesc & D_S) || !(cdesc & D_CODE) || desc_dpl(cdesc) > cpl)
		return ev_fault(cpu, EXC_GP, cs_err);
	/* "IF new code-segment descriptor is not present THEN #NP(...)" */
	if (!(cdesc & D_P))
		return ev_fault(cpu, EXC_NP, cs_err);
	/* IA-32e mode: the target must be a 64-bit code segment (SDM Vol. 2
	 * INT n: "IF ... (CS.L = 0 or CS.D = 1) THEN #GP(...)"; §6.14.1). */
	if (lm && (!(cdesc & D_L) || (cdesc & D_DB)))
		return ev_fault(cpu, EXC_GP, cs_err);
	if (!(cdesc & D_CONFORM) && desc_dpl(cdesc) < cpl) {
		/* "IF VM = 1 ... IF new code-segment DPL != 0 THEN #GP(...)" */
		if (vm && desc_dpl(cdesc) != 0)
			return ev_fault(cpu, EXC_GP, cs_err);
		inner = true;
		new_cpl = desc_dpl(cdesc);
	} else {
		/* "IF VM = 1 THEN #GP(error_code(new code-segment selector,0,EXT))" */
		if (vm)
			return ev_fault(cpu, EXC_GP, cs_err);
		inner = false;
		new_cpl = cpl;
	}
	seg_from_desc(&cs, (uint16_t)((g.sel & 0xfffc) | new_cpl), cdesc | (1ull << 40));

	/* The frame, first pushed first. */
	if (vm) {
		items[n++] = cpu->seg[SEG_GS].sel;
		items[n++] = cpu->seg[SEG_FS].sel;
		items[n++] = cpu->seg[SEG_DS].sel;
		items[n++] = cpu->seg[SEG_ES].sel;
	}
	if (inner || lm) {
		items[n++] = cpu->seg[SEG_SS].sel;
		items[n++] = cpu->gpr[R_RSP];
	}
	items[n++] = pushed_flags(cpu, ev);
	items[n++] = cpu->seg[SEG_CS].sel;
	items[n++] = ev->ret_rip;
	if (ev->has_error)
		items[n++] = ev->error;

	if (lm) {
		/* "IF IDT-gate IST = 0 THEN TSSstackAddress := (new
		 * code-segment DPL << 3) + 4; ELSE TSSstackAddress := (IDT
		 * gate IST << 3) + 28" -- IST applies at any privilege. */
		if (inner || g.ist) {
			const struct seg *tr = &cpu->seg[SEG_TR];
			uint64_t a = g.ist ? g.ist * 8 + 28 : new_cpl * 8 + 4;

			if (a + 7 > tr->limit)
				return ev_fault(cpu, EXC_TS, (tr->sel & 0xfffc) | ext);
			TRY(access_sys_read(cpu, tr->base + a, 8, &sp));
		} else {
			sp = cpu->gpr[R_RSP];
		}
		/* "RSP := NewRSP & FFFFFFFFFFFFFFF0H" */
		sp &= ~0xfull;
		/* "IF StackAddress is non-canonical THEN #SS(EXT)" */
		if (!cpu_is_canonical(sp) || !cpu_is_canonical(sp - n * 8))
			return ev_fault(cpu, EXC_SS, ext);
		/* "IF instruction pointer from IDT gate contains a
		 * non-canonical address THEN #GP(EXT)" */
		if (!cpu_is_canonical(g.offset))
			return ev_fault(cpu, EXC_GP, ext);
		ss = cpu->seg[SEG_SS];
		if (inner)
			/* "NewSS := new code-segment DPL; (* NULL selector
			 * with RPL = new CPL *)" */
			ss = (struct seg){ (uint16_t)new_cpl, 0, 0,
			                   SEG_UNUSABLE | (new_cpl << SEG_DPL_SHIFT) };
	} else {
		if (inner) {
			TRY(legacy_inner_stack(cpu, new_cpl, ext, &ss, &sp));
			/* "IF new stack does not have room ... THEN
			 * #SS(error_code(NewSS,0,EXT))" */
			if (!stack_room(&ss, sp, n * width))
				return ev_fault(cpu, EXC_SS, (ss.sel & 0xfffc) | ext);
		} else {
			ss = cpu->seg[SEG_SS];
			sp = cpu->gpr[R_RSP];
			/* "IF current stack does not have room ... THEN #SS(EXT)" */
			if (!stack_room(&ss, sp, n * width))
				return ev_fault(cpu, EXC_SS, ext);
		}
		if (gate16)
			g.offset &= 0xffff;
		/* "IF instruction pointer from IDT gate is not within new
		 * code-segment limits THEN #GP(EXT)" */
		if (g.offset > cs.limit)
			return ev_fault(cpu, EXC_GP, ext);
	}
	TRY(write_frame(cpu, &ss, lm, sp, items, n, width, new_cpl));
	TRY(seg_set_accessed(cpu, g.sel, cdesc));

	/* Commit. */
	fl = flags_read(cpu) & ~(uint64_t)GATE_CLEARS;
	if (g.type == SYS_INTGATE || g.type == SYS_INTGATE16)
		fl &= ~(uint64_t)RFLAGS_IF;
	if (vm) {
		/* "GS := 0; FS := 0; DS := 0; ES := 0; (* Segment registers
		 * made NULL, invalid for use in protected mode *)" */
		static const unsigned dsegs[4] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };

		for (unsigned i = 0; i < 4; i++)
			cpu->seg[dsegs[i]] = (struct seg){ 0, 0, 0, SEG_UNUSABLE };
	}
	if (lm) {
		cpu->seg[SEG_SS] = ss;
		cpu->gpr[R_RSP] = sp - n * 8;
	} else {
		uint64_t m = (ss.attr & SEG_DB) ? 0xffffffffull : 0xffffull;

		cpu->seg[SEG_SS] = ss;
		cpu->gpr[R_RSP] = (uint32_t)((sp & ~m) | ((sp - n * width) & m));
	}
	cpu->seg[SEG_CS] = cs;
	cpu->rip = g.offset;
	flags_write(cpu, fl);
	cpu_update_mode(cpu);
	return X_OK;
}

/* Route one event by mode (SDM Vol. 2 INT n, top of the pseudocode). */
static int deliver(struct cpu *cpu, const struct event *ev)
{
	/* The trace records each delivery as it starts (rare path). */
	if (unlikely(cpu->trace_ev_fn)) {
		struct vmx_intr vi = vmx_intr_of(cpu, ev);
		struct cpu_tev t = { .kind = CPU_TEV_DELIVER, .vector = vi.vector, .type = vi.type,
		                     .has_error = ev->has_error, .error = ev->error,
		                     .ret_rip = ev->ret_rip };

		cpu->trace_ev_fn(cpu->trace_opaque, cpu, &t);
	}
	if (!(cpu->cr0 & CR0_PE))
		return deliver_real(cpu, ev);
	if ((cpu->rflags & RFLAGS_VM) && ev->kind == EV_SOFT_INT) {
		unsigned iopl = (unsigned)(cpu->rflags & RFLAGS_IOPL) >> RFLAGS_IOPL_SHIFT;

		if (cpu->cr4 & CR4_VME) {
			bool redirect;

			/* SDM Vol. 2 INT n: "IF (EFLAGS.VM = 1 AND CR4.VME
			 * = 1 AND INT n) THEN Consult bit n of the software
			 * interrupt redirection bit map in the TSS; IF bit n
			 * is clear THEN (* redirect interrupt to 8086
			 * program interrupt handler *) ... ELSE IF IOPL = 3
			 * THEN GOTO PROTECTED-MODE; ELSE #GP(0)".  Only INT
			 * n (EV_SOFT_INT): "The software interrupt
			 * redirection bit map does not affect hardware
			 * generated interrupts and exceptions" (Vol. 3A
			 * §20.3.3), and INT3/INTO are not IOPL-sensitive. */
			TRY(vme_redirected(cpu, ev->vector, &redirect));
			if (redirect)
				return deliver_vm86_redirect(cpu, ev);
		}
		/* "IF (EFLAGS.VM = 1 AND CR4.VME = 0 AND IOPL < 3 AND INT n)
		 * THEN #GP(0)", and the same for a set bit with VME (Table
		 * 20-2 methods 2 and 3). */
		if (iopl < 3)
			return cpu_gp0(cpu);
	}
	return deliver_idt(cpu, ev);
}

/* SDM Vol. 3A §6.15, Table 6-4: contributory exceptions. */
static bool contributory(unsigned v)
{
	return v == EXC_DE || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP;
}

/* Table 6-5: which second exception turns into #DF. */
static bool makes_df(unsigned first, unsigned second)
{
	if (contributory(first))
		return contributory(second);
	if (first == EXC_PF)
		return contributory(second) || second == EXC_PF;
	return false;
}

/* An event from the running instruction, and everything it leads to:
 * a second exception while delivering is delivered serially, or becomes
 * #DF (Table 6-5); an exception while delivering #DF is a triple fault and
 * the processor shuts down (§6.15, "Interrupt 8"). */
static int deliver_chain(struct cpu *cpu, struct event ev)
{
	for (;;) {
		int st;

		cpu->event_depth = (ev.kind == EV_EXC && ev.vector == EXC_DF) ? 2 : 1;
		st = deliver(cpu, &ev);
		if (st != X_FAULT) {
			/* Delivery costs what INT n does (docs/internals.md,
			 * "Cycle accounting"). */
			cpu->cycles += C_INT;
			cpu->event_depth = 0;
			return st;
		}
		/* In VMX non-root operation the fault may be a VM exit: a
		 * pending EPT exit, a triple fault, or the exception bitmap
		 * for the next event (SDM Vol. 3C §25.2, §27.2.3). */
		if (unlikely(cpu->vmx_nonroot)) {
			struct vmx_intr during = vmx_intr_of(cpu, &ev);

			st = vmx_delivery_fault(cpu, &during,
			                        ev.kind == EV_EXC && makes_df(ev.vector, cpu->fault.vector));
			if (st != X_OK) {
				cpu->event_depth = 0;
				return st;
			}
		}
		if (cpu->event_depth == 2) {
			cpu->event_depth = 0;
			cpu->stop = STOP_SHUTDOWN;
			return X_STOP;
		}
		/* CR2 is loaded when a #PF is detected, also when that #PF
		 * turns into #DF. */
		if (cpu->fault.vector == EXC_PF)
			cpu->cr2 = cpu->fault.cr2;
		if (ev.kind == EV_EXC && makes_df(ev.vector, cpu->fault.vector)) {
			ev.vector = EXC_DF;
			ev.has_error = true;
			ev.error = 0;
		} else {
			ev.vector = cpu->fault.vector;
			ev.has_error = cpu->fault.has_error;
			ev.error = cpu->fault.error;
		}
		/* Faults are restartable: they return to the instruction. */
		ev.kind = EV_EXC;
		ev.ret_rip = cpu->rip;
		ev.ext = 1;
	}
}

int cpu_deliver_fault(struct cpu *cpu)
{
	struct event ev = {
		.vector = cpu->fault.vector,
		.kind = EV_EXC,
		.has_error = cpu->fault.has_error,
		.error = cpu->fault.error,
		.ret_rip = cpu->rip,
		.ext = 1,
	};

	/* Vol. 3C §25.2: in VMX non-root operation the exception bitmap (or
	 * a pending EPT exit) may make it a VM exit instead. */
	if (unlikely(cpu->vmx_nonroot)) {
		int vs = vmx_exception_intercept(cpu);

		if (vs != X_OK)
			return vs;
	}
	/* §6.3.1: error codes exist only for #DF, #TS, #NP, #SS, #GP, #PF,
	 * #AC and #CP; and never in real mode (§20.1.4). */
	if (!(cpu->cr0 & CR0_PE))
		ev.has_error = false;
	/* §6.15 "Interrupt 14": "the processor loads the CR2 register with
	 * the ... linear address that generated the exception". */
	if (ev.vector == EXC_PF)
		cpu->cr2 = cpu->fault.cr2;
	return deliver_chain(cpu, ev);
}

/* Returns X_OK when delivered.  When delivery itself raises an exception
 * (say #GP for a gate DPL below CPL), returns X_FAULT with it in
 * cpu->fault: the instruction faults, and the caller hands it to
 * cpu_deliver_fault() (the run loop does so for handlers). */
int cpu_deliver_interrupt(struct cpu *cpu, unsigned vector, int soft, uint64_t next_rip)
{
	struct event ev = {
		.vector = vector & 0xff,
		.kind = soft == 1 ? EV_SOFT_INT : soft == 2 ? EV_SOFT_EXC : EV_EXT,
		.ret_rip = next_rip & rip_mask_for(cpu->code_size),
		/* §6.13: EXT is set for events external to the program; not
		 * for INT n, INT3 or INTO. */
		.ext = soft ? 0 : 1,
	};
	struct vmx_intr vi = { 0 };
	int st;

	/* Vol. 3C §25.2: in VMX non-root operation INT3, INTO and INT1 go
	 * through the exception bitmap (INT n never does). */
	if (unlikely(cpu->vmx_nonroot)) {
		vi = vmx_intr_of(cpu, &ev);
		TRY(vmx_event_intercept(cpu, &vi));
	}
	cpu->event_depth = 1;
	st = deliver(cpu, &ev);
	cpu->event_depth = 0;
	/* A fault while delivering it: an exit records this event as
	 * IDT-vectoring information; otherwise the fault is delivered as
	 * the instruction's (the caller hands it to cpu_deliver_fault). */
	if (unlikely(cpu->vmx_nonroot) && st == X_FAULT) {
		int vs = vmx_delivery_fault(cpu, &vi, false);

		if (vs != X_OK)
			return vs;
	}
	return st;
}

/* An event injected by VM entry (SDM Vol. 3C §26.6.1,
 * shared/spec/vm-entry-checks.md §7): delivered through the guest's IDT
 * exactly as if it had occurred in the guest, with the #DF and triple-fault
 * rules for exceptions raised while delivering it. */
int cpu_deliver_event(struct cpu *cpu, unsigned vector, unsigned type, bool has_error,
                      uint32_t error, uint64_t ret_rip)
{
	struct event ev = {
		.vector = vector & 0xff,
		.has_error = has_error && (cpu->cr0 & CR0_PE),
		.error = error,
		.ret_rip = ret_rip & rip_mask_for(cpu->code_size),
	};

	/* Types of the interruption-information field (vm-exits.md §4). */
	switch (type) {
	case 3:                        /* hardware exception */
		ev.kind = EV_EXC;
		ev.ext = 1;
		break;
	case 4:                        /* software interrupt: INT n */
		ev.kind = EV_SOFT_INT;
		break;
	case 6:                        /* software exception: INT3, INTO */
		ev.kind = EV_SOFT_EXC;
		break;
	default:                       /* external interrupt, NMI, INT1 */
		ev.kind = EV_EXT;
		ev.ext = 1;
		break;
	}
	return deliver_chain(cpu, ev);
}
