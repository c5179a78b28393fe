/* empty workload: does nothing, for start-up time and as the baseline
 * subtracted from every guest run. */
#include "bench.h"

static uint64_t empty_arena_bytes(uint64_t scale)
{
	(void)scale;
	return 0;
}

static uint64_t empty_run(void *arena, uint64_t scale)
{
	(void)arena;
	return scale;
}

static uint64_t empty_exact_insns(uint64_t scale)
{
	(void)scale;
	return 0;
}

const struct workload wl_empty = {
	.name = "empty",
	.arena_bytes = empty_arena_bytes,
	.run = empty_run,
	.exact_insns = empty_exact_insns,
};
