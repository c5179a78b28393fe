/* mem workload: memory-heavy loops over several MiB.
 *
 *   sieve   a byte sieve of Eratosthenes over 8 MiB (at scale 16)
 *   stream  copy / scale / add / triad, 32 times over three 2 MiB arrays
 *           of u64
 *   chase   16 laps of pointer chasing around one shuffled cycle of
 *           16-byte nodes (2 MiB), built with Sattolo's algorithm from a
 *           fixed seed
 *
 * Sizes grow linearly with scale (512 KiB of sieve per unit).  The chase
 * is kept to 2 MiB, beyond softvtx's 1 MiB TLB reach but inside the
 * host's L3: at 8 MiB the native run is DRAM-latency bound and the ratio
 * would flatter the interpreter.  The arena holds the sieve, then the three stream arrays, then the
 * nodes; the stages reuse nothing from each other.
 */
#include "bench.h"

#define UNIT (512u * 1024u)

struct node {
	struct node *next;
	uint64_t index;    /* checksum the index, never the address */
};

static uint64_t sieve_bytes(uint64_t scale) { return scale * UNIT; }
static uint64_t stream_elems(uint64_t scale) { return scale * UNIT / 4 / sizeof(uint64_t); }
static uint64_t chase_nodes(uint64_t scale) { return scale * UNIT / 4 / sizeof(struct node); }

static uint64_t mem_arena_bytes(uint64_t scale)
{
	return sieve_bytes(scale) + 3 * stream_elems(scale) * sizeof(uint64_t) +
	       chase_nodes(scale) * sizeof(struct node);
}

static uint64_t sieve(uint8_t *composite, uint64_t n)
{
	uint64_t count = 0, sum = 0;

	for (uint64_t i = 0; i < n; i++)
		composite[i] = 0;
	for (uint64_t p = 2; p * p < n; p++) {
		if (composite[p])
			continue;
		for (uint64_t m = p * p; m < n; m += p)
			composite[m] = 1;
	}
	for (uint64_t i = 2; i < n; i++) {
		if (!composite[i]) {
			count++;
			sum += i;
		}
	}
	return bench_mix(count, sum);
}

static uint64_t stream(uint64_t *a, uint64_t *b, uint64_t *c, uint64_t n, unsigned reps)
{
	const uint64_t k = 3;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < n; i++) {
		a[i] = i * 7 + 1;
		b[i] = i ^ 0x5555;
		c[i] = 0;
	}
	for (unsigned r = 0; r < reps; r++) {
		for (uint64_t i = 0; i < n; i++)      /* copy */
			c[i] = a[i];
		for (uint64_t i = 0; i < n; i++)      /* scale */
			b[i] = k * c[i];
		for (uint64_t i = 0; i < n; i++)      /* add */
			c[i] = a[i] + b[i];
		for (uint64_t i = 0; i < n; i++)      /* triad */
			a[i] = b[i] + k * c[i] + r;
	}
	for (uint64_t i = 0; i < n; i += 61)
		sum = bench_mix(sum, a[i] ^ b[i] ^ c[i]);
	return sum;
}

static uint64_t chase(struct node *nodes, uint64_t n, uint64_t steps)
{
	uint64_t seed = 0x853c49e6748fea9bull, sum = 0;
	struct node *p;

	for (uint64_t i = 0; i < n; i++) {
		nodes[i].next = &nodes[i];
		nodes[i].index = i;
	}
	/* Sattolo: a uniformly random single cycle through all n nodes.  The
	 * shuffle permutes the successor table held in the next fields. */
	for (uint64_t i = n - 1; i > 0; i--) {
		uint64_t j = bench_rand(&seed) % i;
		struct node *t = nodes[i].next;

		nodes[i].next = nodes[j].next;
		nodes[j].next = t;
	}
	p = &nodes[0];
	for (uint64_t s = 0; s < steps; s++) {
		sum += p->index;
		p = p->next;
	}
	return bench_mix(sum, p->index);
}

static uint64_t mem_run(void *arena, uint64_t scale)
{
	uint8_t *base = arena;
	uint64_t nsieve = sieve_bytes(scale), nstream = stream_elems(scale);
	uint64_t *a = (uint64_t *)(base + nsieve);
	uint64_t *b = a + nstream, *c = b + nstream;
	struct node *nodes = (struct node *)(c + nstream);
	uint64_t sum = 0;

	sum = bench_mix(sum, sieve(base, nsieve));
	sum = bench_mix(sum, stream(a, b, c, nstream, 32));
	sum = bench_mix(sum, chase(nodes, chase_nodes(scale), chase_nodes(scale) * 16));
	return sum;
}

static uint64_t mem_exact_insns(uint64_t scale)
{
	(void)scale;
	return 0;
}

const struct workload wl_mem = {
	.name = "mem",
	.arena_bytes = mem_arena_bytes,
	.run = mem_run,
	.exact_insns = mem_exact_insns,
};
