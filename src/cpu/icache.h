/* The decode cache: straight-line blocks of decoded instructions, keyed by
 * the guest-physical address of their first byte plus the code size (the
 * only mode bit that changes how bytes decode).
 *
 *   lookup: CS.base + RIP --jump cache hit?--> block
 *                         --exec TLB/walk--> gpa --hash--> block
 *                         --miss--> decode.c (Capstone) --> new block
 *
 * A block ends after a control transfer or an F_ENDBLK instruction, at the
 * end of its page (an instruction that straddles the boundary is the last
 * one), or after ICACHE_MAX_INSNS.  The bus marks the 64-byte chunks each
 * block covers; a write to a marked chunk invalidates exactly the blocks
 * that overlap the written bytes.
 */
#ifndef SOFTVTX_CPU_ICACHE_H
#define SOFTVTX_CPU_ICACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "insn.h"

struct cpu;
struct bus;

#define ICACHE_MAX_INSNS 64

struct block {
	struct block *hnext;     /* hash chain */
	struct block *pnext[2];  /* chains of the blocks touching each page */
	uint64_t gpa;            /* first byte */
	uint64_t gpa2;           /* physical page of a straddling tail, or ~0 */
	uint16_t bytes;          /* total length in bytes */
	uint16_t len1;           /* bytes in the first page */
	uint16_t n;              /* instructions */
	uint8_t key;             /* code size: 2, 4 or 8 */
	bool valid;
	bool cached;             /* false for a scratch block (code not in RAM) */
	bool checks;             /* some instruction needs the central checks */
	uint16_t pure_n;         /* records before the first one without a fast
	                            threaded entry (thr_generic): none of them
	                            can change the mode, CS, the privilege
	                            level or the page tables, so a loop back to
	                            the start after only these reruns the block
	                            (0 for a scratch block) */
	/* Successor links (run.c): the blocks that ran next, keyed by the
	 * linear address and mode key they ran at, valid while the cpu's
	 * xlat_gen is unchanged and the target block is valid. */
	struct block *succ[2];
	uint64_t succ_lin[2];
	uint32_t succ_gen[2];
	uint8_t succ_key[2];
	struct insn insn[];
};

/* The jump cache: recent blocks by the linear address of CS:RIP.  It is
 * the first member of struct icache, so that the run loop can probe it
 * inline (icache_probe). */
#define JC_BITS 12
#define JC_SIZE (1u << JC_BITS)

struct jc_entry {
	uint64_t lin;        /* CS.base + RIP */
	struct block *b;
	uint32_t key;        /* icache_jc_key(): the mode, and the TLB context
	                        the linear address was translated in */
};

struct icache_head {
	struct jc_entry jc[JC_SIZE];
	uint64_t probe_hits;  /* icache_probe hits, counted as lookups */
};

struct icache;

struct icache *icache_new(struct cpu *cpu, struct bus *bus);
void icache_free(struct icache *ic);

/* The block starting at CS:RIP.  On a fetch fault returns X_FAULT with the
 * exception in cpu->fault. */
int icache_lookup(struct cpu *cpu, struct block **out);

/* Drop every block (e.g. when the arena is full). */
void icache_flush_all(struct icache *ic);
/* Forget linear-address shortcuts (after any TLB flush). */
void icache_flush_jump_cache(struct icache *ic);
/* Invalidate the blocks overlapping [gpa, gpa+len). */
void icache_invalidate(struct icache *ic, uint64_t gpa, uint64_t len);

/* The handler an invalidated block's instructions are switched to: it
 * returns X_RESTART, so a block that went stale while running (its own code
 * was overwritten) stops before its next instruction. */
op_fn op_stale;

/* Code size | mmu index << 4 | TLB context (cpu->tlb_asid, bits 11:1) << 8:
 * a VM entry or exit switches contexts without flushing the jump cache,
 * and an entry of another context cannot match. */
static inline uint32_t icache_jc_key(const struct cpu *cpu)
{
	return (uint32_t)cpu->code_size | ((uint32_t)cpu->mmu_idx << 4) |
	       ((uint32_t)cpu->tlb_asid << 8);
}

/* The block at linear address `lin` (CS.base + RIP, as icache_lookup
 * computes it) if the jump cache has it, else NULL: no fetch, no decode,
 * nothing that can fault or flush.  A hit counts as a lookup. */
static inline struct block *icache_probe(struct cpu *cpu, uint64_t lin)
{
	struct icache_head *h = (struct icache_head *)cpu->icache;
	const struct jc_entry *j = &h->jc[(lin ^ (lin >> JC_BITS)) & (JC_SIZE - 1)];

	if (j->lin == lin && j->key == icache_jc_key(cpu) && j->b && j->b->valid) {
		h->probe_hits++;
		return j->b;
	}
	return NULL;
}

/* Mnemonic of a Capstone id, for reports ("" if unknown). */
const char *icache_mnemonic(struct icache *ic, unsigned id);

struct icache_stats {
	uint64_t lookups, jc_hits, hash_hits, misses, invalidated, flushes, decoded;
};
void icache_get_stats(const struct icache *ic, struct icache_stats *st);

#endif
