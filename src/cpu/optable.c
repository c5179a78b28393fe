/* The op table, built from the ops_*.def rows (see ops.h). */
#include <capstone/capstone.h>

#include "icache.h"
#include "ops.h"

static const struct opdesc optable[X86_INS_ENDING] = {
#define OP(id, fn_, fl, cost_) [X86_INS_##id] = { .fn = fn_, .flags = (fl), .cost = (cost_) },
#include "ops_all.def"
#undef OP
};

const struct opdesc *optable_lookup(unsigned id)
{
	return id < X86_INS_ENDING ? &optable[id] : NULL;
}

/* An instruction Capstone knows but softvtx does not implement: never
 * skipped.  The first one is remembered for the one-line report; the
 * guest sees #UD. */
int op_unimplemented(struct cpu *cpu, const struct insn *in)
{
	if (!cpu->unimpl_mnemonic[0]) {
		const char *m = icache_mnemonic(cpu->icache, in->id);
		size_t i;

		for (i = 0; m[i] && i + 1 < sizeof(cpu->unimpl_mnemonic); i++)
			cpu->unimpl_mnemonic[i] = m[i];
		cpu->unimpl_mnemonic[i] = 0;
		if (!cpu->unimpl_mnemonic[0])
			cpu->unimpl_mnemonic[0] = '?';
		cpu->unimpl_rip = cpu->rip;
		cpu->unimpl_cs_base = cpu->seg[SEG_CS].base;
	}
	return cpu_ud(cpu);
}

/* Bytes that do not form an instruction (SDM Vol. 2 "UD"). */
int op_invalid(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	return cpu_ud(cpu);
}

/* More than 15 bytes of instruction (SDM Vol. 2 §2.3.11): #GP(0). */
int op_too_long(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	return cpu_gp0(cpu);
}
