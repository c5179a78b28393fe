/* Threaded dispatch: the entries every record can use (thread.h). */
#include "thread.h"

#include "../mem/bus.h"
#include "icache.h"

/* Nothing rare pending: the test run.c makes between blocks. */
static inline bool thr_rare(const struct cpu *cpu)
{
	return (cpu->attn | (cpu->rflags & (RFLAGS_TF | RFLAGS_RF)) | cpu->bus->stop_requested) != 0;
}

/* The block the chain may enter next at `target`, once `retired` more
 * instructions of the running block (records 0..retired-1) have retired,
 * or NULL to return to the run loop.  The same conditions as between
 * blocks in run.c (run_block_threaded): nothing rare pending, still
 * 64-bit mode, a block the jump cache has (or the running block itself,
 * for a loop where only fast records ran, while nothing was flushed), no
 * central checks, and the whole block inside the budget. */
static inline struct block *thr_next_block(struct cpu *cpu, uint64_t target, unsigned retired)
{
	struct block *b = cpu->t_block, *nb;

	if (cpu->t_chain == 0 || thr_rare(cpu))
		return NULL;
	if (target == cpu->t_base && retired <= b->pure_n && b->valid &&
	    cpu->xlat_gen == cpu->t_gen) {
		/* A loop of fast records: still 64-bit mode, no central
		 * checks (it is running threaded). */
		nb = b;
	} else {
		if (cpu->mode != MODE_LONG)
			return NULL;
		nb = icache_probe(cpu, cpu->seg[SEG_CS].base + target);
		if (!nb || nb->checks)
			return NULL;
	}
	if (cpu->t_end - (cpu->icount + retired) < nb->n)
		return NULL;
	return nb;
}

/* Charge the running block's `retired` instructions and their `cost`, and
 * run block nb from its start at `target`. */
static int thr_enter(struct cpu *cpu, struct block *nb, uint64_t target, unsigned retired,
                     unsigned cost)
{
	cpu->cycles += cost;
	cpu->icount += retired;
	cpu->t_chain--;
	cpu->t_iters = 0;
	cpu->t_block = nb;
	cpu->t_base = target;
	cpu->block_break = false;
	return nb->insn[0].tfn(cpu, nb->insn);
}

/* thr_jcc: a taken Jcc to a later record t of the running block
 * (in->tgt) goes on there, where thr_branch would have entered the block
 * that starts at its target (thr_enter), under the same tests that entry makes of the
 * running block's own state: nothing rare pending, the block still valid
 * and nothing flushed; the budget needs no test, the running block having
 * fit it whole.  The records skipped (in+1..t-1) are uncharged at once:
 * the charge at the chain's end is by record index and cum from the
 * block's start (records up to t-1 and cum of t-1 included), so
 * subtracting them leaves icount and cycles exactly as retired.  Nothing
 * in a block reads icount or cycles before that charge (instructions
 * that read the cycle counter start their own block, F_TIME); the one
 * reader of icount mid-block is the APIC-access path of VMX non-root
 * operation (apicv.c), so non-root operation keeps the block entry. */
static inline bool thr_skip_ok(const struct cpu *cpu)
{
	return !thr_rare(cpu) && !cpu->vmx_nonroot && cpu->t_block->valid &&
	       cpu->xlat_gen == cpu->t_gen;
}

int thr_jcc(struct cpu *cpu, const struct insn *in, uint64_t target)
{
	if (in->tgt != 0 && likely(thr_skip_ok(cpu))) {
		const struct insn *t = in + (in->tgt - in->idx);

		cpu->cycles -= (unsigned)(t[-1].cum - in->cum);
		/* Two scalar updates, as in thr_loop: one 16-byte vector
		 * load of both counters, just stored apart, stalls. */
		__asm__("" ::: "memory");
		cpu->icount -= (unsigned)(t->idx - 1u - in->idx);
		cpu->block_break = false;
		return t->tfn(cpu, t);
	}
	return thr_branch(cpu, in, target);
}

int thr_branch(struct cpu *cpu, const struct insn *in, uint64_t target)
{
	struct block *nb = thr_next_block(cpu, target, in->idx + 1u);

	cpu->rip = target;
	if (!nb) {
		cpu->t_stop = in;
		return X_JUMP;
	}
	return thr_enter(cpu, nb, target, in->idx + 1u, in->cum);
}

/* The back-edge of a loop.  The full test (thr_next_block's, for the
 * running block) also approves, in cpu->t_iters, as many further
 * back-edges as the budget and the chain bound allow; those then only
 * charge and go round.  That is exact because nothing the test reads can
 * change while only fast paths run: they touch general registers, the
 * arithmetic flags and RAM pages the TLB maps for data (never a page
 * holding code, nor MMIO: tlb.c), so attn, TF/RF, the bus's stop request,
 * the block's validity, xlat_gen and the mode stay as they were, and each
 * record up to the back-edge is a fast one (else thr_generic would have
 * run).  Everything that runs anything else clears t_iters: thr_generic
 * (which the fast records' misses go through too), thr_enter and each
 * start of a chain (run.c).  The budget: the test leaves room for one
 * more whole pass (b->n records) after this one; k further approvals are
 * safe while k + 1 passes fit, since a pass retires at most b->n. */
int thr_loop(struct cpu *cpu, const struct insn *in)
{
	struct block *b = cpu->t_block;
	unsigned retired = in->idx + 1u;

	if (likely(cpu->t_iters != 0)) {
		cpu->t_iters--;
		cpu->cycles += in->cum;
		/* Two adds to memory: keeps gcc from packing both counters
		 * into one vector load, add and store (six instructions). */
		__asm__("" ::: "memory");
		cpu->icount += retired;
		return b->insn[0].tfn(cpu, b->insn);
	}
	if (likely(cpu->t_chain != 0 && !thr_rare(cpu) && retired <= b->pure_n && b->valid &&
	           cpu->xlat_gen == cpu->t_gen && cpu->t_end - (cpu->icount + retired) >= b->n)) {
		uint64_t passes;
		uint32_t k;

		cpu->cycles += in->cum;
		cpu->icount += retired;
		cpu->t_chain--;
		/* Whole passes left in the budget, beyond the next one; each
		 * approved back-edge counts against the chain bound too. */
		k = cpu->t_chain;
		if ((cpu->t_end - cpu->icount) < (uint64_t)b->n * (k + 1u)) {
			passes = (cpu->t_end - cpu->icount) / b->n - 1u;
			k = (uint32_t)passes;
		}
		cpu->t_chain -= k;
		cpu->t_iters = k;
		cpu->block_break = false;
		return b->insn[0].tfn(cpu, b->insn);
	}
	return thr_branch(cpu, in, cpu->t_base);
}

int thr_generic(struct cpu *cpu, const struct insn *in)
{
	int st;

	cpu->t_iters = 0;
	cpu->rip = cpu->t_base + in->off;
	st = in->fn(cpu, in);
	if (likely(st == X_OK))
		return in[1].tfn(cpu, in + 1);
	if (st == X_JUMP)
		return thr_branch(cpu, in, cpu->rip);
	/* The handler owns RIP for X_HALT/X_STOP/X_VMEXIT; a fault left it
	 * at this instruction. */
	cpu->t_stop = in;
	return st;
}

/* The sentinel: every record retired; the next block starts right after
 * this one (in->off is the block's length, in->idx its record count). */
int thr_end(struct cpu *cpu, const struct insn *in)
{
	uint64_t target = cpu->t_base + in->off;
	struct block *nb = thr_next_block(cpu, target, in->idx);

	if (!nb) {
		cpu->t_stop = in;
		return X_BLOCKEND;
	}
	cpu->rip = target;
	return thr_enter(cpu, nb, target, in->idx, in[-1].cum);
}

int thr_stale(struct cpu *cpu, const struct insn *in)
{
	return thr_stop(cpu, in, X_RESTART);
}
