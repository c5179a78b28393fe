/* MOVS STOS LODS CMPS SCAS in every operand size, with and without REP,
 * forwards (DF=0) and backwards (DF=1), REPE/REPNE termination, RCX=0,
 * and the 32-bit address-size form.  Expected values follow the SDM
 * Vol. 2B pseudo-code for each instruction. */
#include "guest.h"

#define N 9
static uint8_t src[N * 8 + 32], dst[N * 8 + 32];

struct regs {
	uint64_t rsi, rdi, rcx, rax, flags;
};

/* Runs one string instruction `insn` with DF as asked. */
#define STR_RUN(insn, df, r)                                                  \
	asm volatile("push %[fl]; popfq; " insn "; pushfq; pop %[fl]; cld"    \
		     : "+S"((r)->rsi), "+D"((r)->rdi), "+c"((r)->rcx), "+a"((r)->rax), \
		       [fl] "+r"((r)->flags)                                  \
		     : : "cc", "memory")

static void fill(void)
{
	for (unsigned i = 0; i < sizeof(src); i++) {
		src[i] = (uint8_t)(0x11 * i + 3);
		dst[i] = 0xee;
	}
}

/* Element i of size sz in buffer b starts at b + 16 + i*sz (16 guard). */
static uint64_t get(const uint8_t *b, int i, int sz)
{
	uint64_t v = 0;
	memcpy(&v, b + 16 + i * sz, sz);
	return v;
}

static void movs_stos(int sz, int df, bool stos)
{
	static const char *nm[] = { "b", "w", "l", "q" };
	int lg = sz == 1 ? 0 : sz == 2 ? 1 : sz == 4 ? 2 : 3;
	fill();
	struct regs r = { 0 };
	int first = df ? N - 1 : 0;
	r.rsi = (uintptr_t)(src + 16 + first * sz);
	r.rdi = (uintptr_t)(dst + 16 + first * sz);
	r.rcx = N;
	r.rax = 0x8877665544332211ull;
	r.flags = 0x2 | (df ? RFLAGS_DF : 0);
	uint64_t rsi0 = r.rsi, rdi0 = r.rdi;
	if (stos) {
		switch (lg) {
		case 0: STR_RUN("rep stosb", df, &r); break;
		case 1: STR_RUN("rep stosw", df, &r); break;
		case 2: STR_RUN("rep stosl", df, &r); break;
		case 3: STR_RUN("rep stosq", df, &r); break;
		}
	} else {
		switch (lg) {
		case 0: STR_RUN("rep movsb", df, &r); break;
		case 1: STR_RUN("rep movsw", df, &r); break;
		case 2: STR_RUN("rep movsl", df, &r); break;
		case 3: STR_RUN("rep movsq", df, &r); break;
		}
	}
	bool data = true;
	uint64_t mask = sz == 8 ? ~0ull : (1ull << (8 * sz)) - 1;
	for (int i = 0; i < N; i++)
		data &= get(dst, i, sz) == (stos ? (r.rax & mask) : get(src, i, sz));
	/* The guards just outside the range stay untouched. */
	data &= dst[15] == 0xee && dst[16 + N * sz] == 0xee;
	int64_t step = df ? -(int64_t)sz * N : (int64_t)sz * N;
	tap_ok(data, "rep %s%s df=%d: data", stos ? "stos" : "movs", nm[lg], df);
	tap_ok(r.rcx == 0 && r.rdi == rdi0 + step && (stos ? r.rsi == rsi0 : r.rsi == rsi0 + step),
	       "rep %s%s df=%d: rcx 0x%lx rsi %+ld rdi %+ld (expected 0, %+ld, %+ld)",
	       stos ? "stos" : "movs", nm[lg], df, r.rcx, (int64_t)(r.rsi - rsi0),
	       (int64_t)(r.rdi - rdi0), stos ? 0 : step, step);
}

static void lods(int sz, int df)
{
	static const char *nm[] = { "b", "w", "l", "q" };
	int lg = sz == 1 ? 0 : sz == 2 ? 1 : sz == 4 ? 2 : 3;
	fill();
	struct regs r = { .rsi = (uintptr_t)(src + 16), .rax = 0xa5a5a5a5a5a5a5a5ull,
			  .flags = 0x2 | (df ? RFLAGS_DF : 0) };
	uint64_t rsi0 = r.rsi;
	switch (lg) {
	case 0: STR_RUN("lodsb", df, &r); break;
	case 1: STR_RUN("lodsw", df, &r); break;
	case 2: STR_RUN("lodsl", df, &r); break;
	case 3: STR_RUN("lodsq", df, &r); break;
	}
	uint64_t v = get(src, 0, sz), want;
	/* 8/16-bit loads merge into RAX; 32-bit zero-extends (SDM Vol. 1
	 * §3.4.1.1). */
	if (sz == 1)
		want = (0xa5a5a5a5a5a5a5a5ull & ~0xffull) | v;
	else if (sz == 2)
		want = (0xa5a5a5a5a5a5a5a5ull & ~0xffffull) | v;
	else
		want = v;
	tap_ok(r.rax == want && r.rsi == rsi0 + (df ? -sz : sz),
	       "lods%s df=%d: rax 0x%lx (expected 0x%lx), rsi %+ld", nm[lg], df, r.rax, want,
	       (int64_t)(r.rsi - rsi0));
}

/* REPE CMPS stops at the first difference (index k); REPNE SCAS stops at
 * the first match.  RCX counts the iterations done; ZF and the other
 * flags come from the last comparison. */
static void cmps_scas(int sz, int df)
{
	static const char *nm[] = { "b", "w", "l", "q" };
	int lg = sz == 1 ? 0 : sz == 2 ? 1 : sz == 4 ? 2 : 3;
	const int k = 5;
	fill();
	memcpy(dst, src, sizeof(dst));
	/* Make element k differ in the direction of travel. */
	int ek = df ? N - 1 - k : k;
	dst[16 + ek * sz] ^= 0x40;
	int first = df ? N - 1 : 0;
	struct regs r = { .rsi = (uintptr_t)(src + 16 + first * sz),
			  .rdi = (uintptr_t)(dst + 16 + first * sz), .rcx = N,
			  .flags = 0x2 | (df ? RFLAGS_DF : 0) };
	uint64_t rsi0 = r.rsi, rdi0 = r.rdi;
	switch (lg) {
	case 0: STR_RUN("repe cmpsb", df, &r); break;
	case 1: STR_RUN("repe cmpsw", df, &r); break;
	case 2: STR_RUN("repe cmpsl", df, &r); break;
	case 3: STR_RUN("repe cmpsq", df, &r); break;
	}
	/* Flags of CMP src_elem, dst_elem (SDM CMPS: "temp <- SRC1 - SRC2"). */
	uint64_t a = get(src, ek, sz), b = get(dst, ek, sz), fl;
	switch (lg) {
	case 0: asm("cmpb %b2, %b1; pushfq; pop %0" : "=r"(fl) : "r"(a), "r"(b) : "cc"); break;
	case 1: asm("cmpw %w2, %w1; pushfq; pop %0" : "=r"(fl) : "r"(a), "r"(b) : "cc"); break;
	case 2: asm("cmpl %k2, %k1; pushfq; pop %0" : "=r"(fl) : "r"(a), "r"(b) : "cc"); break;
	default: asm("cmpq %2, %1; pushfq; pop %0" : "=r"(fl) : "r"(a), "r"(b) : "cc"); break;
	}
	int64_t step = (df ? -1 : 1) * (int64_t)sz * (k + 1);
	tap_ok(r.rcx == (uint64_t)(N - k - 1) && r.rsi == rsi0 + step && r.rdi == rdi0 + step &&
	       (r.flags & RFLAGS_ARITH) == (fl & RFLAGS_ARITH),
	       "repe cmps%s df=%d: rcx %lu (exp %d), rsi %+ld rdi %+ld (exp %+ld), flags 0x%lx (exp 0x%lx)",
	       nm[lg], df, r.rcx, N - k - 1, (int64_t)(r.rsi - rsi0), (int64_t)(r.rdi - rdi0),
	       step, r.flags & RFLAGS_ARITH, fl & RFLAGS_ARITH);

	/* REPNE SCAS for the value of element k: found after k+1 steps. */
	r = (struct regs){ .rdi = (uintptr_t)(src + 16 + first * sz), .rcx = N,
			   .rax = get(src, ek, sz), .flags = 0x2 | (df ? RFLAGS_DF : 0) };
	rdi0 = r.rdi;
	switch (lg) {
	case 0: STR_RUN("repne scasb", df, &r); break;
	case 1: STR_RUN("repne scasw", df, &r); break;
	case 2: STR_RUN("repne scasl", df, &r); break;
	case 3: STR_RUN("repne scasq", df, &r); break;
	}
	tap_ok(r.rcx == (uint64_t)(N - k - 1) && r.rdi == rdi0 + step && (r.flags & RFLAGS_ZF),
	       "repne scas%s df=%d: rcx %lu (exp %d), rdi %+ld (exp %+ld), zf %d",
	       nm[lg], df, r.rcx, N - k - 1, (int64_t)(r.rdi - rdi0), step,
	       !!(r.flags & RFLAGS_ZF));
}

static void special(void)
{
	/* RCX = 0: no iteration, registers and flags unchanged (SDM REP). */
	fill();
	struct regs r = { .rsi = (uintptr_t)src, .rdi = (uintptr_t)dst, .rcx = 0,
			  .flags = 0x2 | RFLAGS_ARITH };
	uint64_t rsi0 = r.rsi, rdi0 = r.rdi;
	STR_RUN("repe cmpsb", 0, &r);
	tap_ok(r.rsi == rsi0 && r.rdi == rdi0 && (r.flags & RFLAGS_ARITH) == RFLAGS_ARITH,
	       "repe cmpsb with rcx=0 does nothing");
	STR_RUN("rep movsq", 0, &r);
	tap_ok(r.rsi == rsi0 && r.rdi == rdi0 && dst[0] == 0xee, "rep movsq with rcx=0 does nothing");

	/* Address size 32: ECX is the count and the upper half of RCX is
	 * ignored; RSI/RDI wrap as 32-bit registers whose writes zero-extend. */
	fill();
	r = (struct regs){ .rsi = (uintptr_t)(src + 16), .rdi = (uintptr_t)(dst + 16),
			   .rcx = 0xffffffff00000004ull, .flags = 0x2 };
	rsi0 = r.rsi;
	STR_RUN("addr32 rep movsb", 0, &r);
	tap_ok(r.rcx == 0 && r.rsi == rsi0 + 4 && get(dst, 3, 1) == get(src, 3, 1) &&
	       get(dst, 4, 1) == 0xee,
	       "addr32 rep movsb uses ECX (rcx now 0x%lx)", r.rcx);
}

int main(void)
{
	const int sizes[] = { 1, 2, 4, 8 };
	tap_plan(4 * 2 * (2 + 2 + 1 + 2) + 3);
	for (int s = 0; s < 4; s++)
		for (int df = 0; df < 2; df++) {
			movs_stos(sizes[s], df, false);
			movs_stos(sizes[s], df, true);
			lods(sizes[s], df);
			cmps_scas(sizes[s], df);
		}
	special();
	return tap_done();
}
