/* The run loop: the one entry into execution.
 *
 *   cpu_run(budget)
 *     loop: stop requests, halt -> return
 *           icache_lookup(CS:RIP) -> block (fetch fault -> deliver)
 *           for each insn in block (bounded by budget and CS limit):
 *               central checks (only if the insn's flags ask) -> #UD/#GP
 *               handler -> X_OK: RIP += len, cycles += cost, icount++
 *                          X_JUMP: retire, leave block
 *                          X_FAULT: deliver the exception, leave block
 *                          X_HALT/X_STOP: retire, return
 *
 * Nothing here allocates, formats or logs when tracing is off; the traced
 * variant is a separate loop chosen per block.
 */
#include <string.h>

#include "../mem/bus.h"
#include "cpu.h"
#include "debug.h"
#include "flags.h"
#include "icache.h"
#include "ops.h"
#include "thread.h"
#include "../vmx/vmx.h"

/* The checks every opcode shares, in the SDM's priority order: #UD
 * conditions first (LOCK misuse, invalid in this mode), then #GP(0) for
 * privilege.  SDM Vol. 2 §2.1.1 (LOCK), Vol. 3A §6.15 (#UD, #GP). */
static int central_checks(struct cpu *cpu, const struct insn *in)
{
	uint16_t f = in->flags;

	/* LOCK is legal only on listed instructions whose destination is
	 * memory (SDM Vol. 2 "LOCK"). */
	if ((f & F_CHK_LOCK) &&
	    (!(f & F_LOCK_OK) || in->nops == 0 || in->op[0].kind != OPK_MEM))
		return cpu_ud(cpu);
	if ((f & F_NO64) && cpu->mode == MODE_LONG)
		return cpu_ud(cpu);
	if ((f & F_PMODE) && (cpu->mode == MODE_REAL || cpu->mode == MODE_VM86))
		return cpu_ud(cpu);
	if ((f & F_NO_VM86) && cpu->mode == MODE_VM86)
		return cpu_gp0(cpu);
	if ((f & F_CPL0) && cpu->cpl != 0)
		return cpu_gp0(cpu);
	/* SDM Vol. 3C §25.1.1: #UD and privilege faults take priority over
	 * VM exits; the intercept module decides the rest. */
	if ((f & F_VMX_EXIT) && cpu->vmx_nonroot)
		return vmx_intercept(cpu, in);
	return X_OK;
}

static uint64_t rip_mask(const struct cpu *cpu)
{
	return cpu->code_size == 8 ? ~0ull : cpu->code_size == 4 ? 0xffffffffull : 0xffffull;
}

/* How many of the block's instructions lie inside the CS limit (legacy
 * modes, SDM Vol. 3A §5.3).  0 means the first one does not: #GP(0). */
static unsigned within_cs_limit(const struct cpu *cpu, const struct block *b)
{
	uint64_t limit = cpu->seg[SEG_CS].limit;
	unsigned n = 0;

	if (cpu->rip + b->bytes - 1 <= limit)
		return b->n;
	while (n < b->n && cpu->rip + b->insn[n].off + b->insn[n].len - 1 <= limit)
		n++;
	return n;
}

/* What to do after a non-X_OK status.  Returns true to leave cpu_run with
 * cpu->stop set. */
static bool finish(struct cpu *cpu, const struct insn *in, int st)
{
	switch (st) {
	case X_JUMP:
		cpu->cycles += in->cost;
		cpu->icount++;
		return false;
	case X_FAULT:
		return cpu_deliver_fault(cpu) == X_STOP;
	case X_HALT:
		cpu->cycles += in->cost;
		cpu->icount++;
		cpu->halted = true;
		return false;
	case X_STOP:
		cpu->cycles += in->cost;
		cpu->icount++;
		return true;
	case X_RESTART:
		return false;
	default:
		/* X_VMEXIT: the VMX layer has already switched context. */
		return cpu->stop != STOP_BUDGET;
	}
}

/* One instruction on its own (the traced and debug paths): central checks,
 * the handler, and on X_OK the RIP advance and its charge. */
static int exec_one(struct cpu *cpu, const struct insn *in)
{
	int st = (in->flags & F_CHECKS) ? central_checks(cpu, in) : X_OK;

	if (st == X_OK)
		st = in->fn(cpu, in);
	if (st == X_OK) {
		cpu->rip = (cpu->rip + in->len) & rip_mask(cpu);
		cpu->cycles += in->cost;
		cpu->icount++;
	}
	return st;
}

static bool run_block_traced(struct cpu *cpu, const struct block *b, unsigned n)
{
	uint64_t before[16];

	for (unsigned i = 0; i < n; i++) {
		const struct insn *in = &b->insn[i];
		uint64_t rip = cpu->rip;
		int st;

		memcpy(before, cpu->gpr, sizeof(before));
		st = exec_one(cpu, in);
		if (st != X_OK) {
			/* Trace after finish() so that icount and cycles already
			 * count this instruction, whatever status it retired with. */
			bool stop = finish(cpu, in, st);

			if (st != X_FAULT && st != X_RESTART && cpu->trace_fn)
				cpu->trace_fn(cpu->trace_opaque, cpu, in, rip, before);
			return stop;
		}
		if (cpu->trace_fn)
			cpu->trace_fn(cpu->trace_opaque, cpu, in, rip, before);
		if (cpu->block_break)
			break;
	}
	return false;
}

static bool soft_interrupt(const struct insn *in)
{
	return in->fn == op_int || in->fn == op_int3 || in->fn == op_into || in->fn == op_int1;
}

/* The debug path: one instruction, with the #DB traps that follow it.
 * Taken while RFLAGS.TF or RF is set, while DR7 arms a breakpoint, or
 * while a MOV SS/POP SS holds a trap; the plain loops never test for any
 * of them per instruction.  Instruction breakpoints (faults) are checked
 * before the fetch, in cpu_run.  Returns true to leave cpu_run with
 * cpu->stop set.
 *
 * - Single-step (SDM Vol. 3B §17.3.1.4): when TF is set at the start of
 *   an instruction, a #DB trap with DR6.BS follows it, the pushed RIP
 *   being the next instruction's.  INT n, INT3, INTO and INT1 clear TF
 *   while delivering their own event and are not followed by the trap; a
 *   faulting instruction delivers its fault instead; HLT halts first.
 * - Data and I/O breakpoints (§17.3.1.2) are traps: the access slow path
 *   and io_check record the hits in cpu->dbg_hits, and they are reported
 *   once the instruction has completed (dropped if it faults).
 * - §6.8.3: "the processor inhibits interrupts, debug exceptions, and
 *   single-step trap exceptions after either a MOV to SS instruction or a
 *   POP to SS instruction, until the instruction boundary following the
 *   next instruction is reached": the traps are held in cpu->dbg_held and
 *   reported, with those of the next instruction, after it. */
static bool run_debug_one(struct cpu *cpu, const struct block *b)
{
	const struct insn *in = &b->insn[0];
	uint64_t rip = cpu->rip, before[16], rf = cpu->rflags & RFLAGS_RF;
	bool step = (cpu->rflags & RFLAGS_TF) != 0;
	unsigned held = cpu->dbg_held, cond;
	int st;

	memcpy(before, cpu->gpr, sizeof(before));
	cpu->dbg_held = 0;
	cpu->dbg_hits = 0;
	/* §17.3.1.1: "The RF Flag is cleared at the start of the instruction
	 * after the check for instruction breakpoints, CS limit violations,
	 * and FP exceptions"; IRETQ and task switches load it again. */
	cpu->rflags &= ~(uint64_t)RFLAGS_RF;
	st = exec_one(cpu, in);
	if (st == X_RESTART) {
		/* Nothing ran: it starts again, as it was. */
		cpu->rflags |= rf;
		cpu->dbg_held = (uint8_t)held;
		return false;
	} else if (st != X_OK && finish(cpu, in, st)) {
		return true;
	}
	if (st != X_FAULT && cpu->trace_on && cpu->trace_fn)
		cpu->trace_fn(cpu->trace_opaque, cpu, in, rip, before);
	if (st != X_OK && st != X_JUMP)
		return false;
	cond = cpu->dbg_hits | (held & (DR6_B0_B3 | DEBUG_HELD_BS));
	if (step && !soft_interrupt(in))
		cond |= DEBUG_HELD_BS;
	/* MOV SS and POP SS leave intr_shadow = 1 (STI too, but STI does not
	 * hold debug traps). */
	if (cpu->intr_shadow == 1 && in->fn != op_sti) {
		cpu->dbg_held = (uint8_t)(cond | DEBUG_HELD_SHADOW);
		return false;
	}
	if (!cond)
		return false;
	debug_raise(cpu, cond & DR6_B0_B3, (cond & DEBUG_HELD_BS) != 0);
	return cpu_deliver_fault(cpu) == X_STOP;
}

/* Cycles of the first k instructions of a block. */
static inline unsigned block_cost(const struct block *b, unsigned k)
{
	return k ? b->insn[k - 1].cum : 0;
}

/* The plain loop over the first n instructions of a block.  RIP is set
 * from the block's start and each record's offset; cycles and the
 * instruction count are charged once, for the instructions that retired
 * (instructions that read them start their own block: F_TIME).  A block
 * whose code is overwritten while it runs has its remaining handlers
 * switched to op_stale (icache.c), which stops it with X_RESTART, so the
 * loop tests nothing per instruction for self-modifying code.  `checks` is
 * a constant at each call site: blocks with no instruction that needs the
 * central checks run a loop without the test.  Returns true to leave
 * cpu_run with cpu->stop set. */
static inline __attribute__((always_inline)) bool
run_block_impl(struct cpu *cpu, const struct block *b, unsigned n, const bool checks,
               const bool long64)
{
	const uint64_t mask = long64 ? ~0ull : rip_mask(cpu), base = cpu->rip;
	const struct insn *in = b->insn;
	unsigned i;
	int st;

	for (i = 0; i < n; i++, in++) {
		cpu->rip = (base + in->off) & mask;
		if (checks && unlikely(in->flags & F_CHECKS)) {
			st = central_checks(cpu, in);
			if (st != X_OK)
				goto stopped;
		}
		st = in->fn(cpu, in);
		if (unlikely(st != X_OK))
			goto stopped;
	}
	/* All n retired normally. */
	cpu->rip = (base + b->insn[n - 1].off + b->insn[n - 1].len) & mask;
	cpu->cycles += b->insn[n - 1].cum;
	cpu->icount += n;
	return false;

stopped:
	/* A taken branch, the usual way out: 0..i all retired. */
	if (likely(st == X_JUMP)) {
		cpu->cycles += in->cum;
		cpu->icount += i + 1;
		return false;
	}
	/* Instructions 0..i-1 retired; instruction i ended with status st. */
	cpu->cycles += block_cost(b, i);
	cpu->icount += i;
	return finish(cpu, in, st);
}

/* The four instantiations: with or without central checks, and 64-bit
 * mode (no RIP wrap) or not. */
static bool run_block_checked(struct cpu *cpu, const struct block *b, unsigned n)
{
	return run_block_impl(cpu, b, n, true, false);
}

static bool run_block_plain(struct cpu *cpu, const struct block *b, unsigned n)
{
	return run_block_impl(cpu, b, n, false, false);
}

static bool run_block_checked64(struct cpu *cpu, const struct block *b, unsigned n)
{
	return run_block_impl(cpu, b, n, true, true);
}

static bool run_block_plain64(struct cpu *cpu, const struct block *b, unsigned n)
{
	return run_block_impl(cpu, b, n, false, true);
}

/* The block linked from `prev` for the current CS:RIP, or NULL.  A link
 * is used only while nothing that maps linear addresses to blocks has
 * changed since it was made (xlat_gen: TLB and decode-cache flushes), the
 * mode key matches and the block is still valid. */
static inline struct block *linked_successor(const struct cpu *cpu, const struct block *prev)
{
	uint64_t lin = cpu->seg[SEG_CS].base + cpu->rip;
	uint8_t key = (uint8_t)(cpu->code_size | (cpu->mmu_idx << 4));

	if (cpu->mode != MODE_LONG)
		lin = (uint32_t)lin;
	for (int k = 0; k < 2; k++) {
		struct block *s = prev->succ[k];

		if (s && prev->succ_lin[k] == lin && prev->succ_key[k] == key &&
		    prev->succ_gen[k] == cpu->xlat_gen && s->valid)
			return s;
	}
	return NULL;
}

/* Whole 64-bit blocks with no central checks, by threaded dispatch
 * (thread.h): the records run each other, and this only settles the
 * outcome.  The chain itself goes on into following blocks while it may
 * (thr_branch, thr_end, up to THR_CHAIN of them); when it returns with a
 * block ended normally or by a taken branch, nothing rare is pending, and
 * the block it leads to is found (itself, for a loop; else the jump
 * cache), has no central checks and fits the budget, that block runs next
 * without going back to cpu_run.  *prev is kept as the last block that
 * ran, for its links. */
static bool run_block_threaded(struct cpu *cpu, struct block *b, uint64_t end,
                               struct block **prev)
{
	cpu->t_end = end;
	for (;;) {
		uint64_t base;
		const struct insn *in;
		struct block *next;
		int st;

		cpu->t_base = cpu->rip;
		cpu->t_block = b;
		cpu->t_gen = cpu->xlat_gen;
		cpu->t_chain = THR_CHAIN;
		cpu->t_iters = 0;
		st = b->insn[0].tfn(cpu, b->insn);
		/* The chain may have entered other blocks (thr_branch): what
		 * is left to settle is in the last one. */
		b = cpu->t_block;
		base = cpu->t_base;
		in = cpu->t_stop;
		if (likely(st == X_JUMP)) {
			cpu->cycles += in->cum;
			cpu->icount += in->idx + 1u;
		} else if (likely(st == X_BLOCKEND)) {
			cpu->rip = base + b->bytes;
			cpu->cycles += b->insn[b->n - 1].cum;
			cpu->icount += b->n;
		} else {
			/* Instructions 0..idx-1 retired; instruction idx ended with st. */
			cpu->cycles += block_cost(b, in->idx);
			cpu->icount += in->idx;
			*prev = b;
			return finish(cpu, in, st);
		}
		*prev = b;
		/* Anything rare, or a mode change (other modes check the CS
		 * limit per block): back to cpu_run. */
		if (unlikely(cpu->attn | (cpu->rflags & (RFLAGS_TF | RFLAGS_RF)) |
		             cpu->bus->stop_requested) || cpu->mode != MODE_LONG)
			return false;
		/* A loop back to the block's own start: fast records cannot
		 * change CS, the mode key or the page tables, so if only fast
		 * records ran (up to the one that stopped), the block maps to
		 * itself while it is valid and nothing was flushed.  Any other
		 * target: the jump cache, as icache_lookup would probe it (long
		 * mode: no truncation of the linear address). */
		if (cpu->rip == base && (st == X_JUMP ? in->idx : b->n - 1u) < b->pure_n &&
		    b->valid && cpu->xlat_gen == cpu->t_gen)
			next = b;
		else
			next = icache_probe(cpu, cpu->seg[SEG_CS].base + cpu->rip);
		if (!next || next->checks || end - cpu->icount < next->n)
			return false;
		cpu->block_break = false;
		b = next;
	}
}

static bool run_block(struct cpu *cpu, struct block *b, unsigned n, uint64_t end,
                      struct block **prev)
{
	if (cpu->mode == MODE_LONG && !b->checks && n == b->n)
		return run_block_threaded(cpu, b, end, prev);
	if (cpu->mode == MODE_LONG)
		return b->checks ? run_block_checked64(cpu, b, n) : run_block_plain64(cpu, b, n);
	return b->checks ? run_block_checked(cpu, b, n) : run_block_plain(cpu, b, n);
}

/* The block at CS:RIP.  The block that ran before remembers the (up to)
 * two blocks that followed it, so loops and the two arms of a branch skip
 * the decode cache's lookup.  A link is used only while nothing that maps
 * linear addresses to blocks has changed since it was made (xlat_gen: TLB
 * and decode-cache flushes), the mode key matches and the block is still
 * valid; it is made only if no flush happened during the lookup, since a
 * flush frees the arena that `prev` lives in. */
static int next_block(struct cpu *cpu, struct block *prev, struct block **out)
{
	uint64_t lin = cpu->seg[SEG_CS].base + cpu->rip;
	uint8_t key = (uint8_t)(cpu->code_size | (cpu->mmu_idx << 4));
	uint32_t gen = cpu->xlat_gen;
	int k;

	if (cpu->mode != MODE_LONG)
		lin = (uint32_t)lin;
	if (prev && (*out = linked_successor(cpu, prev)) != NULL)
		return X_OK;
	TRY(icache_lookup(cpu, out));
	if (prev && prev->cached && (*out)->cached && cpu->xlat_gen == gen) {
		/* Replace the link that is not the other arm's. */
		k = prev->succ[0] && prev->succ_gen[0] == gen && prev->succ[0]->valid;
		prev->succ[k] = *out;
		prev->succ_lin[k] = lin;
		prev->succ_key[k] = key;
		prev->succ_gen[k] = gen;
	}
	return X_OK;
}

enum cpu_stop cpu_run(struct cpu *cpu, uint64_t budget)
{
	uint64_t end = cpu->icount + budget;

	if (end < cpu->icount)
		end = ~0ull;
	cpu->stop = STOP_BUDGET;
	struct block *prev = NULL;  /* the block that ran last, for its links */

	for (;;) {
		struct block *b;
		uint64_t rare;
		unsigned n;

		/* One test for everything rare at a block boundary. */
		rare = cpu->attn | (cpu->rflags & (RFLAGS_TF | RFLAGS_RF)) | cpu->bus->stop_requested;
		if (unlikely(rare)) {
			if (cpu->bus->stop_requested) {
				cpu->stop = STOP_EXIT;
				return cpu->stop;
			}
			/* The shadowed instruction has run (see below). */
			if (cpu->intr_shadow == 2)
				cpu->intr_shadow = 0;
			if (cpu->vmx_events) {
				int vs = vmx_boundary(cpu);

				if (vs != X_OK && vs != X_VMEXIT)
					return cpu->stop;
				if (vs == X_VMEXIT) {
					prev = NULL;
					continue;
				}
			}
			if (cpu->halted) {
				/* No interrupt source can wake a halted CPU yet. */
				cpu->stop = STOP_HALT;
				return cpu->stop;
			}
		}
		if (cpu->icount >= end)
			return STOP_BUDGET;
		/* Instruction breakpoints are faults, taken before the fetch
		 * (SDM Vol. 3A §6.9, Table 6-2: code breakpoint faults rank
		 * above faults from fetching the next instruction), and not on
		 * the instruction a MOV SS/POP SS shadows (Vol. 3B §17.3.1.1:
		 * "if a code instruction breakpoint is placed on an instruction
		 * located immediately after a POP SS/MOV SS instruction, the
		 * breakpoint may not be triggered.  In most situations, POP
		 * SS/MOV SS will inhibit such interrupts"). */
		if (unlikely(rare) && cpu->dbg_exec && !(cpu->dbg_held & DEBUG_HELD_SHADOW)) {
			unsigned hits = debug_exec_hits(cpu);

			if (hits) {
				debug_raise(cpu, hits, false);
				if (cpu_deliver_fault(cpu) == X_STOP)
					return cpu->stop;
				continue;
			}
		}
		if (next_block(cpu, prev, &b) != X_OK) {
			prev = NULL;
			cpu->dbg_held = 0;
			if (cpu_deliver_fault(cpu) == X_STOP)
				return cpu->stop;
			continue;
		}
		prev = b;
		n = b->n;
		if (cpu->mode != MODE_LONG) {
			n = within_cs_limit(cpu, b);
			if (n == 0) {
				cpu->dbg_held = 0;
				cpu_gp0(cpu);
				if (cpu_deliver_fault(cpu) == X_STOP)
					return cpu->stop;
				continue;
			}
		}
		if (end - cpu->icount < n)
			n = (unsigned)(end - cpu->icount);
		/* The interrupt shadow of STI, MOV SS and POP SS covers exactly
		 * the next instruction (SDM Vol. 3A §6.8.3, Vol. 2 "STI").  Those
		 * instructions end their block, so the shadowed one starts this
		 * block: it runs alone with intr_shadow = 2, and the shadow is
		 * dropped at the top of the loop once it has run. */
		if (unlikely(rare)) {
			/* VMX-preemption timer (src/vmx/window.c): if fetching
			 * the block (a page walk) reached the deadline, the exit
			 * comes before its first instruction; otherwise the block
			 * stops at the first instruction that reaches it. */
			if (cpu->vmx_events && cpu->vmx->preempt_armed &&
			    cpu->vmx->preempt_deadline <= cpu->cycles)
				continue;
			if (cpu->intr_shadow == 1) {
				cpu->intr_shadow = 2;
				n = 1;
			}
			/* VMX monitor trap flag: an exit follows every guest
			 * instruction.  An instruction that writes the APIC-access
			 * page runs alone too (src/vmx/apicv.c). */
			if (cpu->vmx_events && (cpu->vmx->step_one || cpu->vmx->apic_solo))
				n = 1;
			if (cpu->vmx_events && cpu->vmx->preempt_armed) {
				uint64_t left = cpu->vmx->preempt_deadline - cpu->cycles;
				unsigned k = 1;

				while (k < n && b->insn[k - 1].cum < left)
					k++;
				n = k;
			}
			if ((cpu->rflags & (RFLAGS_TF | RFLAGS_RF)) || cpu->dbg_armed || cpu->dbg_held) {
				if (run_debug_one(cpu, b))
					return cpu->stop;
				continue;
			}
			if (cpu->trace_on) {
				cpu->block_break = false;
				if (run_block_traced(cpu, b, n))
					return cpu->stop;
				continue;
			}
		}
		cpu->block_break = false;
		if (run_block(cpu, b, n, end, &prev))
			return cpu->stop;
	}
}
