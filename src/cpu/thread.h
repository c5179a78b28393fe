/* Threaded dispatch (thread.c): within a decoded block, each record's tfn
 * does the record's work and tail-calls the next record's tfn, so the run
 * loop does nothing per instruction.  The record after a block's last one
 * is a sentinel whose tfn is thr_end.  Whichever tfn stops the chain sets
 * cpu->t_stop to its record and returns its status (X_BLOCKEND from the
 * sentinel).  RIP is set only where something reads it: before generic
 * handlers, before fast variants that use it, and when a record faults. */
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

/* The threaded twin of a handler that never reads RIP and never returns
 * X_HALT/X_STOP (`needs_rip` = 1: set RIP first, for those that read it). */
#define THREADED(name, needs_rip)                                              \
	static int t_##name(struct cpu *cpu, const struct insn *in)            \
	{                                                                      \
		int st;                                                        \
		if (needs_rip)                                                 \
			cpu->rip = cpu->t_base + in->off;                      \
		st = name(cpu, in);                                            \
		if (likely(st == X_OK))                                        \
			return in[1].tfn(cpu, in + 1);                         \
		return thr_stop(cpu, in, st);                                  \
	}

/* Any op-table handler: RIP set, handler called through fn. */
op_fn thr_generic;
/* The sentinel after a block's last record. */
op_fn thr_end;
/* Records of an invalidated block: stop without retiring (X_RESTART). */
op_fn thr_stale;

#endif
