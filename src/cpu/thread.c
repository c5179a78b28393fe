/* Threaded dispatch: the entries every record can use (thread.h). */
#include "thread.h"

int thr_generic(struct cpu *cpu, const struct insn *in)
{
	int st;

	cpu->rip = cpu->t_base + in->off;
	st = in->fn(cpu, in);
	if (likely(st == X_OK))
		return in[1].tfn(cpu, in + 1);
	/* The handler owns RIP for X_JUMP/X_HALT/X_STOP; a fault left it at
	 * this instruction. */
	cpu->t_stop = in;
	return st;
}

int thr_end(struct cpu *cpu, const struct insn *in)
{
	cpu->t_stop = in;
	return X_BLOCKEND;
}

int thr_stale(struct cpu *cpu, const struct insn *in)
{
	return thr_stop(cpu, in, X_RESTART);
}
