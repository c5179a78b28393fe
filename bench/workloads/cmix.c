/* cmix workload: a mix of ordinary compiled C.
 *
 *   crc32    table-driven CRC-32 (IEEE, reflected) over a buffer
 *   sort     quicksort (median of three, insertion sort below 16) of
 *            100k pseudo-random u32, then a sortedness check
 *   interp   a switch-dispatch stack bytecode interpreter running a
 *            small program (nested loops, arithmetic, a call)
 *   hash     FNV-1a over bytes and a murmur-style 64-bit mix over words
 *   itoa     unsigned integer to decimal text, digits folded into a hash
 *
 * scale is the number of rounds; a round runs every stage over a quarter
 * of the buffer, and every fourth round (from the first) also sorts.  The
 * arena holds the 256 KiB byte buffer and the array to sort.
 */
#include "bench.h"

#define BUF_BYTES (256u * 1024u)
#define SORT_N 100000u

static uint64_t cmix_arena_bytes(uint64_t scale)
{
	(void)scale;
	return BUF_BYTES + SORT_N * sizeof(uint32_t);
}

/* --- crc32 ------------------------------------------------------------ */

static void crc32_init(uint32_t table[256])
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
}

static uint32_t crc32(const uint32_t table[256], const uint8_t *p, uint64_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (uint64_t i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

/* --- sort ------------------------------------------------------------- */

static void insertion_sort(uint32_t *a, long lo, long hi)
{
	for (long i = lo + 1; i <= hi; i++) {
		uint32_t v = a[i];
		long j = i - 1;

		while (j >= lo && a[j] > v) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = v;
	}
}

static void swap_u32(uint32_t *x, uint32_t *y)
{
	uint32_t t = *x;

	*x = *y;
	*y = t;
}

static void quicksort(uint32_t *a, long lo, long hi)
{
	while (hi - lo >= 16) {
		long mid = lo + (hi - lo) / 2, i = lo, j = hi;
		uint32_t pivot;

		if (a[mid] < a[lo])
			swap_u32(&a[mid], &a[lo]);
		if (a[hi] < a[lo])
			swap_u32(&a[hi], &a[lo]);
		if (a[hi] < a[mid])
			swap_u32(&a[hi], &a[mid]);
		pivot = a[mid];
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				swap_u32(&a[i], &a[j]);
				i++;
				j--;
			}
		}
		/* Recurse into the smaller side to bound the stack depth. */
		if (j - lo < hi - i) {
			quicksort(a, lo, j);
			lo = i;
		} else {
			quicksort(a, i, hi);
			hi = j;
		}
	}
	insertion_sort(a, lo, hi);
}

static uint64_t sort_stage(uint32_t *a, uint64_t seed)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < SORT_N; i++)
		a[i] = (uint32_t)(bench_rand(&seed) >> 32);
	quicksort(a, 0, SORT_N - 1);
	for (uint32_t i = 1; i < SORT_N; i++)
		if (a[i - 1] > a[i])
			return 0xBAD50F7;
	for (uint32_t i = 0; i < SORT_N; i += 97)
		sum = bench_mix(sum, a[i]);
	return sum;
}

/* --- interp ----------------------------------------------------------- */

enum bc {
	BC_PUSH,   /* imm: push imm */
	BC_LOAD,   /* imm: push local[imm] */
	BC_STORE,  /* imm: local[imm] = pop */
	BC_ADD, BC_SUB, BC_MUL, BC_XOR, BC_SHR, BC_AND,
	BC_DUP, BC_SWAP, BC_DROP,
	BC_JNZ,    /* imm: pop; if nonzero goto imm */
	BC_JMP,    /* imm: goto imm */
	BC_LT,     /* a b -> a < b */
	BC_CALL,   /* imm: push return pc, goto imm */
	BC_RET,
	BC_HALT,
};

struct vm {
	int64_t stack[64];
	int64_t local[8];
	uint32_t rstack[16];
};

static int64_t vm_exec(struct vm *vm, const int32_t *code)
{
	uint32_t pc = 0, sp = 0, rsp = 0;
	int64_t a, b;

	for (;;) {
		int32_t op = code[pc++];

		switch (op) {
		case BC_PUSH: vm->stack[sp++] = code[pc++]; break;
		case BC_LOAD: vm->stack[sp++] = vm->local[code[pc++]]; break;
		case BC_STORE: vm->local[code[pc++]] = vm->stack[--sp]; break;
		case BC_ADD: b = vm->stack[--sp]; vm->stack[sp - 1] += b; break;
		case BC_SUB: b = vm->stack[--sp]; vm->stack[sp - 1] -= b; break;
		case BC_MUL: b = vm->stack[--sp]; vm->stack[sp - 1] *= b; break;
		case BC_XOR: b = vm->stack[--sp]; vm->stack[sp - 1] ^= b; break;
		case BC_SHR: b = vm->stack[--sp];
			vm->stack[sp - 1] = (int64_t)((uint64_t)vm->stack[sp - 1] >> (b & 63)); break;
		case BC_AND: b = vm->stack[--sp]; vm->stack[sp - 1] &= b; break;
		case BC_DUP: vm->stack[sp] = vm->stack[sp - 1]; sp++; break;
		case BC_SWAP: a = vm->stack[sp - 1]; vm->stack[sp - 1] = vm->stack[sp - 2];
			vm->stack[sp - 2] = a; break;
		case BC_DROP: sp--; break;
		case BC_JNZ: a = vm->stack[--sp]; pc = a ? (uint32_t)code[pc] : pc + 1; break;
		case BC_JMP: pc = (uint32_t)code[pc]; break;
		case BC_LT: b = vm->stack[--sp]; vm->stack[sp - 1] = vm->stack[sp - 1] < b; break;
		case BC_CALL: vm->rstack[rsp++] = pc + 1; pc = (uint32_t)code[pc]; break;
		case BC_RET: pc = vm->rstack[--rsp]; break;
		case BC_HALT: return vm->local[0];
		default: return -1;
		}
	}
}

/* local0 = acc, local1 = i, local2 = n, local3 = j.
 *
 *   acc = 1; i = 0
 *   while (i < n) { j = 0; while (j < 8) { mix(); j++ } i++ }
 *   mix: acc = ((acc * 31 + (i ^ j)) ^ (acc >> 7)) & 0xffffffffffff
 *
 * The numbers on the left are code offsets (jump targets).
 */
static const int32_t vm_program[] = {
	/*  0 */ BC_PUSH, 1, BC_STORE, 0, BC_PUSH, 0, BC_STORE, 1,
	/*  8 */ BC_LOAD, 1, BC_LOAD, 2, BC_LT, BC_JNZ, 17, BC_JMP, 50,
	/* 17 */ BC_PUSH, 0, BC_STORE, 3,
	/* 21 */ BC_LOAD, 3, BC_PUSH, 8, BC_LT, BC_JNZ, 30, BC_JMP, 41,
	/* 30 */ BC_CALL, 51, BC_LOAD, 3, BC_PUSH, 1, BC_ADD, BC_STORE, 3, BC_JMP, 21,
	/* 41 */ BC_LOAD, 1, BC_PUSH, 1, BC_ADD, BC_STORE, 1, BC_JMP, 8,
	/* 50 */ BC_HALT,
	/* 51 */ BC_LOAD, 0, BC_PUSH, 31, BC_MUL, BC_LOAD, 1, BC_LOAD, 3, BC_XOR, BC_ADD,
	/* 62 */ BC_LOAD, 0, BC_PUSH, 7, BC_SHR, BC_XOR,
	/* 68 */ BC_PUSH, 0x1000001, BC_PUSH, 0xffffff, BC_SWAP, BC_DUP, BC_DROP, BC_MUL,
	/* 76 */ BC_AND, BC_STORE, 0, BC_RET,
};

static uint64_t interp_stage(uint64_t n)
{
	struct vm vm;

	for (int i = 0; i < 8; i++)
		vm.local[i] = 0;
	vm.local[2] = (int64_t)n;
	return (uint64_t)vm_exec(&vm, vm_program);
}

/* --- hash ------------------------------------------------------------- */

static uint64_t fnv1a(const uint8_t *p, uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint64_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t murmur_words(const uint64_t *w, uint64_t n, uint64_t seed)
{
	const uint64_t m = 0xc6a4a7935bd1e995ull;
	uint64_t h = seed ^ (n * m);

	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = w[i];

		k *= m;
		k ^= k >> 47;
		k *= m;
		h ^= k;
		h *= m;
	}
	h ^= h >> 47;
	h *= m;
	h ^= h >> 47;
	return h;
}

/* --- itoa ------------------------------------------------------------- */

static unsigned u64_to_dec(uint64_t v, char *out)
{
	char tmp[20];
	unsigned n = 0, len;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	len = n;
	for (unsigned i = 0; i < len; i++)
		out[i] = tmp[--n];
	out[len] = 0;
	return len;
}

static uint64_t itoa_stage(uint64_t first, uint64_t count)
{
	char buf[21];
	uint64_t h = 0;

	for (uint64_t v = first; v < first + count; v++) {
		unsigned len = u64_to_dec(v * 0x9E3779B1u, buf);

		for (unsigned i = 0; i < len; i++)
			h = (h ^ (uint8_t)buf[i]) * 0x100000001b3ull;
		h += len;
	}
	return h;
}

/* --- the mix ---------------------------------------------------------- */

static uint64_t cmix_run(void *arena, uint64_t scale)
{
	uint8_t *buf = arena;
	uint32_t *sortv = (uint32_t *)(buf + BUF_BYTES);
	uint32_t table[256];
	uint64_t seed = 0x2545F4914F6CDD1Dull, sum = 0;

	for (uint32_t i = 0; i < BUF_BYTES / 8; i++)
		((uint64_t *)buf)[i] = bench_rand(&seed);
	crc32_init(table);
	for (uint64_t r = 0; r < scale; r++) {
		const uint8_t *chunk = buf + (r % 4) * (BUF_BYTES / 4);

		sum = bench_mix(sum, crc32(table, chunk, BUF_BYTES / 4));
		buf[r % BUF_BYTES] ^= (uint8_t)sum;
		if (r % 4 == 0)
			sum = bench_mix(sum, sort_stage(sortv, seed + r));
		sum = bench_mix(sum, interp_stage(5000 + r));
		sum = bench_mix(sum, fnv1a(chunk, BUF_BYTES / 4));
		sum = bench_mix(sum, murmur_words((const uint64_t *)chunk, BUF_BYTES / 32, r));
		sum = bench_mix(sum, itoa_stage(r * 1000003u, 15000));
	}
	return sum;
}

static uint64_t cmix_exact_insns(uint64_t scale)
{
	(void)scale;
	return 0;
}

const struct workload wl_cmix = {
	.name = "cmix",
	.arena_bytes = cmix_arena_bytes,
	.run = cmix_run,
	.exact_insns = cmix_exact_insns,
};
