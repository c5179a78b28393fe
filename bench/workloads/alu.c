/* alu workload: the asm loop in alu.S, scale = iterations. */
#include "alu.h"
#include "bench.h"

static uint64_t alu_arena_bytes(uint64_t scale)
{
	(void)scale;
	return 0;
}

static uint64_t alu_run(void *arena, uint64_t scale)
{
	(void)arena;
	return alu_loop(scale ? scale : 1);
}

static uint64_t alu_exact_insns(uint64_t scale)
{
	return ALU_SETUP + (scale ? scale : 1) * ALU_BODY + ALU_TAIL;
}

const struct workload wl_alu = {
	.name = "alu",
	.arena_bytes = alu_arena_bytes,
	.run = alu_run,
	.exact_insns = alu_exact_insns,
};
