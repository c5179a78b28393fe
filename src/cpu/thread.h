/* Threaded dispatch (thread.c): within a decoded block, each record's tfn
 * does the record's work and tail-calls the next record's tfn, so the run
 * loop does nothing per instruction; a taken branch or the end of the
 * block may enter the next block directly (thr_branch, thr_end).  The
 * record after a block's last one is a sentinel whose tfn is thr_end.
 * Whichever tfn stops the chain sets cpu->t_stop to its record and
 * returns its status (X_BLOCKEND from the sentinel); cpu->t_block and
 * t_base are the block it stopped in.  RIP is set only where something
 * reads it: before generic handlers, before fast variants that use it,
 * and when a record faults. */
#ifndef SOFTVTX_CPU_THREAD_H
#define SOFTVTX_CPU_THREAD_H

#include "cpu.h"
#include "insn.h"

/* Stop the chain at `in` with status st (not X_OK). */
static inline int thr_stop(struct cpu *cpu, const struct insn *in, int st)
{
	cpu->t_stop = in;
	if (st != X_JUMP)
		cpu->rip = cpu->t_base + in->off;
	return st;
}

/* A taken near branch of record `in` to `target` (canonical): the chain
 * stops there with X_JUMP (RIP = target), or, while nothing rare is
 * pending and the budget allows, goes straight on into the target block
 * (thread.c). */
int thr_branch(struct cpu *cpu, const struct insn *in, uint64_t target);

/* thr_branch for the taken Jcc of a fused compare and branch (ops_fast.c):
 * one whose target is a later record of its own block (in->tgt) goes on
 * at that record while the running block's state allows (thread.c). */
int thr_jcc(struct cpu *cpu, const struct insn *in, uint64_t target);

/* thr_branch for a taken branch of record `in` back to the start of its
 * own block (target == cpu->t_base): the common loop, with the tests
 * that case needs only. */
int thr_loop(struct cpu *cpu, const struct insn *in);

/* Blocks a chain may enter directly before it returns to the run loop
 * (each pass of a loop counts as one): bounds the stack where tail calls
 * are not optimised (-O0).  Optimised builds turn every tfn's call of the
 * next one into a jump (checked in the release binary: no tfn calls
 * another), so there the bound only sets how often the run loop looks
 * in; returning every 32 passes cost 3-4% on bench `mem`.  (ASan may
 * keep frames that would otherwise be jumps: the small bound there.) */
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
#define THR_CHAIN 1024
#else
#define THR_CHAIN 32
#endif

/* The threaded twin of a handler that never returns X_HALT/X_STOP
 * (`needs_rip` = 1: set RIP first, for those that read it). */
#define THREADED(name, needs_rip)                                              \
	static int t_##name(struct cpu *cpu, const struct insn *in)            \
	{                                                                      \
		int st;                                                        \
		if (needs_rip)                                                 \
			cpu->rip = cpu->t_base + in->off;                      \
		st = name(cpu, in);                                            \
		if (likely(st == X_OK))                                        \
			return in[1].tfn(cpu, in + 1);                         \
		if (st == X_JUMP)                                              \
			return thr_branch(cpu, in, cpu->rip);                  \
		return thr_stop(cpu, in, st);                                  \
	}

/* Any op-table handler: RIP set, handler called through fn. */
op_fn thr_generic;
/* The sentinel after a block's last record. */
op_fn thr_end;
/* Records of an invalidated block: stop without retiring (X_RESTART). */
op_fn thr_stale;

#endif
