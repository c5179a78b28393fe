/* The seam between a workload and the program that runs it.
 *
 * A workload is freestanding C (or asm) compiled twice with the same flags:
 * once into a guest image (bench/harness/guest_main.c, linked with
 * guest/lib) and once into a native Linux executable
 * (bench/harness/native_main.c).  It sees only this header: no libc, no
 * I/O, no clock.  It gets one arena of memory from the harness and returns
 * a checksum; the harness prints the checksum, and bench/run compares the
 * native and guest values.  A workload must therefore not depend on the
 * arena's address (checksum indices, never pointers).
 *
 * The scale of each image lives in one place, bench/CMakeLists.txt, which
 * also writes it into images.txt for bench/run.
 */
#ifndef SOFTVTX_BENCH_H
#define SOFTVTX_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct workload {
	const char *name;
	/* Bytes of arena the workload needs at `scale` (16-byte aligned base). */
	uint64_t (*arena_bytes)(uint64_t scale);
	/* Run once; returns the checksum.  The arena's contents on entry are
	 * unspecified: the workload initialises everything it reads. */
	uint64_t (*run)(void *arena, uint64_t scale);
	/* Instructions retired inside the workload's asm routine at `scale`,
	 * exactly, or 0 when the workload has none (alu: the whole loop;
	 * cold: the straight-line block, not the C loop that calls it). */
	uint64_t (*exact_insns)(uint64_t scale);
};

extern const struct workload wl_alu;
extern const struct workload wl_mem;
extern const struct workload wl_cmix;
extern const struct workload wl_cold;
extern const struct workload wl_empty;

/* A small, fast, fixed-seed generator shared by the workloads
 * (xorshift64*, Vigna 2014). */
static inline uint64_t bench_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Fold a value into a running checksum (order-sensitive). */
static inline uint64_t bench_mix(uint64_t sum, uint64_t v)
{
	sum ^= v + 0x9E3779B97F4A7C15ull + (sum << 6) + (sum >> 2);
	return sum;
}

#endif
