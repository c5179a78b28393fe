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
	/* Successor links (run.c): the blocks that ran next, keyed by the
	 * linear address and mode key they ran at, valid while the cpu's
	 * xlat_gen is unchanged and the target block is valid. */
	struct block *succ[2];
	uint64_t succ_lin[2];
	uint32_t succ_gen[2];
	uint8_t succ_key[2];
	struct insn insn[];
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

/* Mnemonic of a Capstone id, for reports ("" if unknown). */
const char *icache_mnemonic(struct icache *ic, unsigned id);

struct icache_stats {
	uint64_t lookups, jc_hits, hash_hits, misses, invalidated, flushes, decoded;
};
void icache_get_stats(const struct icache *ic, struct icache_stats *st);

#endif
