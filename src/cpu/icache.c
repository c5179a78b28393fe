/* The decode cache.  See icache.h for the shape; this file holds the arena,
 * the gpa hash, the per-page block lists that make invalidation exact, the
 * jump cache keyed by linear address, and block construction. */
#include "icache.h"

#include <stdlib.h>
#include <string.h>

#include "../mem/bus.h"
#include "cpu.h"
#include "decode.h"
#include "fast.h"
#include "access.h"
#include "mmu.h"
#include "ops.h"
#include "thread.h"

#define HASH_BITS 15
#define HASH_SIZE (1u << HASH_BITS)
#define ARENA_SIZE (32u << 20)

struct icache {
	struct icache_head head;  /* first: the jump cache (icache.h) */
	struct cpu *cpu;
	struct bus *bus;
	struct decoder *dec;
	uint8_t *arena;
	size_t used;
	struct block *hash[HASH_SIZE];
	struct block **pages;     /* per RAM page: blocks touching it */
	uint64_t npages;
	struct icache_stats st;
	/* a block for code outside RAM, decoded anew on each visit */
	struct block *scratch;
};

static void on_code_write(void *opaque, uint64_t gpa, uint64_t len)
{
	icache_invalidate(opaque, gpa, len);
}

struct icache *icache_new(struct cpu *cpu, struct bus *bus)
{
	struct icache *ic = calloc(1, sizeof(*ic));

	if (!ic)
		return NULL;
	ic->cpu = cpu;
	ic->bus = bus;
	ic->dec = decode_new();
	ic->arena = malloc(ARENA_SIZE);
	ic->npages = bus->ram_size / PAGE_SIZE;
	ic->pages = calloc(ic->npages + 1, sizeof(*ic->pages));
	ic->scratch = malloc(sizeof(struct block) + (ICACHE_MAX_INSNS + 1) * sizeof(struct insn));
	if (!ic->dec || !ic->arena || !ic->pages || !ic->scratch) {
		icache_free(ic);
		return NULL;
	}
	bus->code_write = on_code_write;
	bus->code_write_opaque = ic;
	return ic;
}

void icache_free(struct icache *ic)
{
	if (!ic)
		return;
	decode_free(ic->dec);
	free(ic->arena);
	free(ic->pages);
	free(ic->scratch);
	free(ic);
}

const char *icache_mnemonic(struct icache *ic, unsigned id)
{
	return decode_mnemonic(ic->dec, id);
}

void icache_get_stats(const struct icache *ic, struct icache_stats *st)
{
	*st = ic->st;
	st->lookups += ic->head.probe_hits;
	st->jc_hits = st->lookups - ic->st.hash_hits - ic->st.misses;
}

void icache_flush_jump_cache(struct icache *ic)
{
	for (unsigned i = 0; i < JC_SIZE; i++)
		ic->head.jc[i].b = NULL;
}

void icache_flush_all(struct icache *ic)
{
	memset(ic->hash, 0, sizeof(ic->hash));
	memset(ic->pages, 0, (ic->npages + 1) * sizeof(*ic->pages));
	memset(ic->bus->code_chunks, 0, (ic->npages + 1) * sizeof(uint64_t));
	icache_flush_jump_cache(ic);
	ic->cpu->xlat_gen++;   /* every successor link now points into freed space */
	ic->used = 0;
	ic->st.flushes++;
}

static unsigned hash_of(uint64_t gpa, unsigned key)
{
	uint64_t h = (gpa ^ ((uint64_t)key << 40)) * 0x9e3779b97f4a7c15ull;

	return (unsigned)(h >> (64 - HASH_BITS));
}

static void hash_remove(struct icache *ic, struct block *b)
{
	struct block **pp = &ic->hash[hash_of(b->gpa, b->key)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == b) {
			*pp = b->hnext;
			return;
		}
}

/* Which of a block's two page links belongs to `page`. */
static int link_of(const struct block *b, uint64_t page)
{
	return (b->gpa >> 12) == page ? 0 : 1;
}

static bool overlaps(const struct block *b, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;

	if (gpa < b->gpa + b->len1 && b->gpa < end)
		return true;
	if (b->gpa2 != ~0ull) {
		uint64_t s2 = b->gpa2, e2 = b->gpa2 + (uint64_t)(b->bytes - b->len1);

		if (gpa < e2 && s2 < end)
			return true;
	}
	return false;
}

/* Recompute a page's code chunks from the valid blocks still on it. */
static void remark_page(struct icache *ic, uint64_t page)
{
	ic->bus->code_chunks[page] = 0;
	for (struct block *b = ic->pages[page]; b; b = b->pnext[link_of(b, page)]) {
		if ((b->gpa >> 12) == page)
			bus_mark_code(ic->bus, b->gpa, b->len1);
		else
			bus_mark_code(ic->bus, b->gpa2, (uint64_t)(b->bytes - b->len1));
	}
}

int op_stale(struct cpu *cpu, const struct insn *in)
{
	(void)cpu;
	(void)in;
	return X_RESTART;
}

void icache_invalidate(struct icache *ic, uint64_t gpa, uint64_t len)
{
	uint64_t page = gpa >> 12;
	struct block **pp;
	bool any = false;

	if (page >= ic->npages)
		return;
	pp = &ic->pages[page];
	while (*pp) {
		struct block *b = *pp;
		int l = link_of(b, page);

		if (!b->valid || overlaps(b, gpa, len)) {
			if (b->valid) {
				b->valid = false;
				hash_remove(ic, b);
				for (unsigned k = 0; k < b->n; k++) {
					b->insn[k].fn = op_stale;
					b->insn[k].tfn = thr_stale;
				}
				ic->st.invalidated++;
				any = true;
			}
			*pp = b->pnext[l];
			continue;
		}
		pp = &b->pnext[l];
	}
	if (any) {
		remark_page(ic, page);
		/* The running block may be among them: let the loop know. */
		ic->cpu->block_break = true;
	}
}

/* Fetch up to `want` code bytes at linear `lin` into buf, stopping at the
 * end of the page.  Returns the count, with *gpa set for the first byte. */
static int fetch_page(struct cpu *cpu, uint64_t lin, uint8_t *buf, unsigned want,
                      uint64_t *gpa, unsigned *got)
{
	unsigned avail = 4096 - (unsigned)(lin & 0xfff);
	uint8_t *host;

	const struct tlb_entry *e = &cpu->tlb[cpu->mmu_idx][TLB_EXEC][tlb_index(lin)];

	/* A TLB hit must not walk again: walks charge cycles, and a decode
	 * miss is not an architectural event. */
	if (e->tag == tlb_tag(cpu, lin)) {
		*gpa = e->gpa | (lin & 0xfff);
		host = (uint8_t *)(uintptr_t)(lin + e->addend);
	} else {
		TRY(tlb_fill(cpu, lin, ACC_EXEC, access_user_flag(cpu), &host, gpa));
	}
	if (avail > want)
		avail = want;
	if (host)
		memcpy(buf, host, avail);
	else
		bus_read_bytes(cpu->bus, *gpa, buf, avail);
	*got = avail;
	return X_OK;
}

static struct block *arena_alloc(struct icache *ic, unsigned ninsns)
{
	/* One more record: the threaded-dispatch sentinel. */
	size_t sz = sizeof(struct block) + (ninsns + 1) * sizeof(struct insn);
	struct block *b;

	sz = (sz + 15) & ~(size_t)15;
	if (ic->used + sz > ARENA_SIZE)
		return NULL;
	b = (struct block *)(ic->arena + ic->used);
	ic->used += sz;
	return b;
}

/* Decode a block at linear `lin` / physical `gpa`. */
static int build_block(struct icache *ic, uint64_t lin, uint64_t gpa, unsigned key,
                       bool cacheable, struct block **out)
{
	struct cpu *cpu = ic->cpu;
	struct insn tmp[ICACHE_MAX_INSNS];
	uint8_t buf[4096 + 16];
	unsigned have, n = 0, off = 0;
	uint64_t gpa2 = ~0ull, g;
	bool in_ram = cacheable && gpa < ic->bus->ram_size;
	struct block *b;

	TRY(fetch_page(cpu, lin, buf, 4096, &g, &have));
	while (n < ICACHE_MAX_INSNS) {
		struct insn *in = &tmp[n];
		int r = decode_one(ic->dec, buf + off, have - off, key, in);

		if (r == DEC_NEED_MORE) {
			/* The instruction may straddle into the next page. */
			unsigned more;
			uint64_t next = lin + have;

			if (cpu->mode != MODE_LONG)
				next = (uint32_t)next;
			if (gpa2 != ~0ull)
				r = decode_one(ic->dec, buf + off, 15, key, in);
			else if (fetch_page(cpu, next, buf + have, 15, &gpa2, &more) != X_OK) {
				if (n > 0)
					break; /* fault when it is first in its own block */
				return X_FAULT;
			} else {
				have += more;
				r = decode_one(ic->dec, buf + off, have - off, key, in);
				if (r == DEC_NEED_MORE)
					r = decode_one(ic->dec, buf + off, 15, key, in);
			}
		}
		/* An instruction that reads the cycle counter starts a block:
		 * the run loop charges cycles once per block, so they are exact
		 * only at block starts. */
		if ((in->flags & F_TIME) && n > 0)
			break;
		ic->st.decoded++;
		in->off = (uint16_t)off;
		in->cum = (uint16_t)((n ? tmp[n - 1].cum : 0) + in->cost);
		off += in->len;
		n++;
		/* A conditional branch does not end the block (fast_is_jcc):
		 * its fall-through path goes on in the same block. */
		if (((in->flags & F_ENDBLK) && !fast_is_jcc(in->fn)) ||
		    off >= 4096 - (unsigned)(lin & 0xfff))
			break;
	}
	if (gpa2 != ~0ull && off <= 4096 - (unsigned)(lin & 0xfff))
		gpa2 = ~0ull; /* fetched but not used */

	if (in_ram) {
		b = arena_alloc(ic, n);
		if (!b) {
			icache_flush_all(ic);
			b = arena_alloc(ic, n);
		}
	} else {
		b = ic->scratch;
	}
	memset(b, 0, sizeof(*b));
	b->gpa = gpa;
	b->gpa2 = gpa2;
	b->bytes = (uint16_t)off;
	b->len1 = (uint16_t)(gpa2 == ~0ull ? off : 4096 - (unsigned)(lin & 0xfff));
	b->n = (uint16_t)n;
	b->key = (uint8_t)key;
	b->valid = true;
	b->cached = in_ram;
	memcpy(b->insn, tmp, n * sizeof(struct insn));
	memset(&b->insn[n], 0, sizeof(struct insn));
	b->insn[n].fn = op_stale;
	b->insn[n].tfn = thr_end;
	b->insn[n].off = (uint16_t)off;
	b->insn[n].idx = (uint16_t)n;
	/* Threaded entries once the sentinel is in place: a record's entry
	 * may depend on the record after it (fused compare and branch). */
	for (unsigned k = 0; k < n; k++)
		b->insn[k].idx = (uint16_t)k;
	fast_thread_block(b->insn, n);
	/* A scratch block is decoded anew on every visit: never rerun. */
	b->pure_n = 0;
	while (in_ram && b->pure_n < n && b->insn[b->pure_n].tfn != thr_generic)
		b->pure_n++;
	for (unsigned k = 0; k < n; k++)
		b->checks |= (tmp[k].flags & F_CHECKS) != 0;
	if (in_ram) {
		unsigned h = hash_of(gpa, key);
		uint64_t p1 = gpa >> 12;

		b->hnext = ic->hash[h];
		ic->hash[h] = b;
		if (!bus_page_has_code(ic->bus, gpa))
			tlb_drop_writes_to(cpu, gpa);
		b->pnext[0] = ic->pages[p1];
		ic->pages[p1] = b;
		bus_mark_code(ic->bus, gpa, b->len1);
		if (gpa2 != ~0ull && (gpa2 >> 12) < ic->npages) {
			uint64_t p2 = gpa2 >> 12;

			if (!bus_page_has_code(ic->bus, gpa2))
				tlb_drop_writes_to(cpu, gpa2);
			b->pnext[1] = ic->pages[p2];
			ic->pages[p2] = b;
			bus_mark_code(ic->bus, gpa2, (uint64_t)(b->bytes - b->len1));
		}
	}
	*out = b;
	return X_OK;
}

/* The jump cache missed: exec TLB (or walk) -> gpa -> hash -> decode. */
static __attribute__((noinline)) int lookup_slow(struct cpu *cpu, uint64_t lin, uint32_t jkey,
                                                 struct jc_entry *j, struct block **out)
{
	struct icache *ic = cpu->icache;
	unsigned key = cpu->code_size;
	const struct tlb_entry *e;
	uint64_t gpa;
	struct block *b;

	e = &cpu->tlb[cpu->mmu_idx][TLB_EXEC][tlb_index(lin)];
	if (e->tag == tlb_tag(cpu, lin)) {
		gpa = e->gpa | (lin & 0xfff);
	} else {
		uint8_t *host;

		if (tlb_fill(cpu, lin, ACC_EXEC, access_user_flag(cpu), &host, &gpa) != X_OK)
			goto fetch_fault;
	}
	for (b = ic->hash[hash_of(gpa, key)]; b; b = b->hnext)
		if (b->gpa == gpa && b->key == key)
			break;
	if (b && b->gpa2 != ~0ull) {
		/* The tail of a straddling instruction came from the next
		 * linear page; another mapping of this page may pair it with
		 * different bytes.  Check, and decode afresh if so. */
		uint64_t lin2 = (lin | 0xfff) + 1, g2;
		uint8_t *host;

		if (cpu->mode != MODE_LONG)
			lin2 = (uint32_t)lin2;
		if (tlb_fill(cpu, lin2, ACC_EXEC, access_user_flag(cpu), &host, &g2) != X_OK)
			goto fetch_fault;
		if ((g2 & PAGE_MASK) != (b->gpa2 & PAGE_MASK)) {
			ic->st.misses++;
			return build_block(ic, lin, gpa, key, false, out);
		}
	}
	if (b) {
		ic->st.hash_hits++;
	} else {
		ic->st.misses++;
		TRY(build_block(ic, lin, gpa, key, true, &b));
	}
	if (b->cached) {
		j->lin = lin;
		j->key = jkey;
		j->b = b;
	}
	*out = b;
	return X_OK;

fetch_fault:
	/* Not a lookup that found a block: keep jc_hits derivable. */
	ic->st.lookups--;
	return X_FAULT;
}

/* The fast path is a jump-cache probe keyed by the linear address of
 * CS:RIP and the translation context; only lookups are counted here
 * (jump-cache hits are derived). */
int icache_lookup(struct cpu *cpu, struct block **out)
{
	struct icache *ic = cpu->icache;
	uint64_t lin = cpu->seg[SEG_CS].base + cpu->rip;
	uint32_t jkey = icache_jc_key(cpu);
	struct jc_entry *j;

	if (cpu->mode != MODE_LONG)
		lin = (uint32_t)lin;
	ic->st.lookups++;
	j = &ic->head.jc[(lin ^ (lin >> JC_BITS)) & (JC_SIZE - 1)];
	if (likely(j->lin == lin && j->key == jkey && j->b && j->b->valid)) {
		*out = j->b;
		return X_OK;
	}
	return lookup_slow(cpu, lin, jkey, j, out);
}
