/* cold workload: scale = how many times the straight-line block runs.
 * Scale 1 measures first execution; the extra calls of a larger scale run
 * the same code hot. */
#include "bench.h"
#include "cold.h"

static uint64_t cold_arena_bytes(uint64_t scale)
{
	(void)scale;
	return 0;
}

static uint64_t cold_run(void *arena, uint64_t scale)
{
	uint64_t sum = 0;

	(void)arena;
	for (uint64_t i = 0; i < scale; i++)
		sum = bench_mix(sum, cold_block(i));
	return sum;
}

/* Only the block's own instructions; the calling loop adds a few. */
static uint64_t cold_exact_insns(uint64_t scale)
{
	return scale * (COLD_UNITS * COLD_UNIT_INSNS + COLD_EXTRA);
}

const struct workload wl_cold = {
	.name = "cold",
	.arena_bytes = cold_arena_bytes,
	.run = cold_run,
	.exact_insns = cold_exact_insns,
};
