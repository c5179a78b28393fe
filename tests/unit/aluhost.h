/* Differential harness for the integer-arithmetic unit tests
 * (test_alu.c, test_shift.c, test_muldiv.c, test_bit.c).
 *
 * One instruction is executed twice from the same registers, flags and
 * data: natively on the host CPU (x86-64) inside a generated thunk, and in
 * softvtx's 64-bit mode followed by HLT.  Afterwards every GPR but RSP,
 * the arithmetic flags not declared undefined for that instruction and a
 * data window are compared.  RSI points at the data window on both sides
 * (host buffer vs TM_DATA) and is compared as an offset.  A #DE on the
 * host (SIGFPE) must be a #DE in the guest, with no register changed.
 *
 * The vector tables in those tests were produced by assembling the
 * Intel-syntax text in each row's name with GNU as (an encoder independent
 * of Capstone); the expected results come from the host at run time.
 *
 * Header-only (static functions): every tests/unit/test_*.c is its own
 * program. */
#ifndef SOFTVTX_TESTS_ALUHOST_H
#define SOFTVTX_TESTS_ALUHOST_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "cpu/flags.h"
#include "fakebus.h"

/* Per-vector rules for flags the SDM leaves undefined that depend on the
 * inputs, and for input shaping. */
enum ah_kind {
	AH_PLAIN = 0,
	AH_SHIFT,    /* SHL/SHR: count 0 defined; AF undef; OF unless 1; CF if >= size */
	AH_SAR,      /* SAR: as SHIFT but CF stays defined */
	AH_ROT,      /* ROL/ROR/RCL/RCR: OF undefined unless masked count is 0 or 1 */
	AH_DSHIFT,   /* SHLD/SHRD: as SHIFT; count > size: result and flags undefined */
	AH_BTMEM,    /* BT* [rsi], reg: offset register kept within the window */
	AH_DIV,      /* DIV/IDIV: dividend high half mostly in range */
};

struct ah_vec {
	const char *name;
	uint8_t code[15];
	uint8_t len;
	uint32_t undef;     /* arithmetic flags always undefined */
	uint8_t kind;       /* enum ah_kind */
	uint8_t lg;         /* operand size (log2 bytes) for AH_SHIFT.. */
	int16_t count;      /* immediate count, or -1 for CL */
};

#define AH_DATA 4096
#define AH_WIN  512     /* compared bytes, centred on RSI */

struct ah_state {
	uint64_t gpr[16];
	uint64_t rflags;
};

static uint8_t ah_hbuf[AH_DATA] __attribute__((aligned(4096)));
static uint8_t *ah_thunk;
static sigjmp_buf ah_jmp;
static unsigned ah_de_count;   /* vectors that raised #DE on both sides */
static uint64_t ah_rng = 0x9e3779b97f4a7c15ull;

static inline uint64_t ah_rand(void)
{
	ah_rng ^= ah_rng << 13;
	ah_rng ^= ah_rng >> 7;
	ah_rng ^= ah_rng << 17;
	return ah_rng;
}

/* Values at the operand-size boundaries, where flags change. */
static inline uint64_t ah_value(void)
{
	static const uint64_t edge[] = {
		0, 1, 2, 3, 5, 6, 9, 0x0f, 0x10, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x100,
		0x7ffe, 0x7fff, 0x8000, 0x8001, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
		0x80000001, 0xfffffffe, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
		0x8000000000000000ull, 0x8000000000000001ull, 0xfffffffffffffffeull,
		0xffffffffffffffffull, 0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull,
	};
	uint64_t r = ah_rand();

	switch (r % 6) {
	case 0: case 1: return edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))];
	case 2: return edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))] ^
	               (ah_rand() & ~0xffffull);
	case 3: return (uint64_t)(int64_t)(int16_t)ah_rand();
	default: return ah_rand();
	}
}

/* Register save/restore around the instruction; the instruction bytes go
 * between the two halves (assembled with GNU as from an Intel-syntax
 * listing: push callee-saved, push state pointer, load RFLAGS and every
 * GPR but RSP; then pushfq, store every GPR, pop RFLAGS, restore). */
static const uint8_t ah_pre[] = {
	0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x57, 0xff, 0xb7, 0x80, 0x00,
	0x00, 0x00, 0x9d, 0x48, 0x8b, 0x07, 0x48, 0x8b, 0x4f, 0x08, 0x48, 0x8b, 0x57, 0x10, 0x48,
	0x8b, 0x5f, 0x18, 0x48, 0x8b, 0x6f, 0x28, 0x48, 0x8b, 0x77, 0x30, 0x4c, 0x8b, 0x47, 0x40,
	0x4c, 0x8b, 0x4f, 0x48, 0x4c, 0x8b, 0x57, 0x50, 0x4c, 0x8b, 0x5f, 0x58, 0x4c, 0x8b, 0x67,
	0x60, 0x4c, 0x8b, 0x6f, 0x68, 0x4c, 0x8b, 0x77, 0x70, 0x4c, 0x8b, 0x7f, 0x78, 0x48, 0x8b,
	0x7f, 0x38,
};
static const uint8_t ah_post[] = {
	0x9c, 0x57, 0x48, 0x8b, 0x7c, 0x24, 0x10, 0x48, 0x89, 0x07, 0x48, 0x89, 0x4f, 0x08, 0x48,
	0x89, 0x57, 0x10, 0x48, 0x89, 0x5f, 0x18, 0x48, 0x89, 0x6f, 0x28, 0x48, 0x89, 0x77, 0x30,
	0x4c, 0x89, 0x47, 0x40, 0x4c, 0x89, 0x4f, 0x48, 0x4c, 0x89, 0x57, 0x50, 0x4c, 0x89, 0x5f,
	0x58, 0x4c, 0x89, 0x67, 0x60, 0x4c, 0x89, 0x6f, 0x68, 0x4c, 0x89, 0x77, 0x70, 0x4c, 0x89,
	0x7f, 0x78, 0x8f, 0x47, 0x38, 0x8f, 0x87, 0x80, 0x00, 0x00, 0x00, 0x5f, 0x41, 0x5f, 0x41,
	0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3,
};

static inline void ah_sigfpe(int sig)
{
	(void)sig;
	siglongjmp(ah_jmp, 1);
}

static inline void ah_init(void)
{
	struct sigaction sa;

	if (!ah_thunk) {
		ah_thunk = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(ah_thunk != MAP_FAILED);
	}
	/* CMocka installs its own SIGFPE handler for every test: take it
	 * back each time a test starts. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ah_sigfpe;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGFPE, &sa, NULL);
}

/* Run on the host.  Returns 1 if the instruction raised #DE (SIGFPE). */
static inline int ah_host(const uint8_t *code, size_t len, struct ah_state *st)
{
	size_t n = 0;

	memcpy(ah_thunk, ah_pre, sizeof(ah_pre));
	n += sizeof(ah_pre);
	memcpy(ah_thunk + n, code, len);
	n += len;
	memcpy(ah_thunk + n, ah_post, sizeof(ah_post));
	__builtin___clear_cache((char *)ah_thunk, (char *)ah_thunk + 4096);
	if (sigsetjmp(ah_jmp, 1))
		return 1;
	((void (*)(struct ah_state *))(void *)ah_thunk)(st);
	return 0;
}

/* Exception handlers for the guest: vector v -> HLT at AH_HANDLERS + v.
 * 64-bit IDT gate layout (SDM Vol. 3A §6.14.1, Figure 6-8): offset 15:0,
 * selector, IST, type/DPL/P, offset 31:16, offset 63:32, reserved.
 * 32-bit gate (Figure 6-2): offset 15:0, selector, 0, type, offset 31:16.
 * Real mode (§20.1.4): the IVT holds offset:segment pairs; segment F800H
 * reaches the handlers just above 1 MiB. */
#define AH_HANDLERS (TM_CODE + 0x800)
#define AH_REAL_SEG 0xf800u
static inline void ah_install_idt(struct tm *tm, int long_mode)
{
	struct cpu *cpu = tm->cpu;
	unsigned gsz = long_mode ? 16 : 8;

	for (unsigned v = 0; v < 32; v++) {
		uint64_t h = AH_HANDLERS + v;
		uint64_t lo = (h & 0xffff) |
		              ((uint64_t)(long_mode ? TM_SEL_CODE64 : TM_SEL_CODE32) << 16) |
		              (0x8eull << 40) | (((h >> 16) & 0xffff) << 48);

		tm_write(tm, h, 1, 0xf4);
		if (cpu->mode == MODE_REAL) {
			tm_write(tm, cpu->idtr.base + v * 4, 4,
			         (uint64_t)AH_REAL_SEG << 16 | (h - ((uint64_t)AH_REAL_SEG << 4)));
			continue;
		}
		tm_write(tm, 0x2000 + v * gsz, 8, lo);
		if (long_mode)
			tm_write(tm, 0x2000 + v * gsz + 8, 8, h >> 32);
	}
	if (cpu->mode != MODE_REAL) {
		cpu->idtr.base = 0x2000;
		cpu->idtr.limit = 32 * gsz - 1;
	}
}

/* Run code (then HLT) in the guest from *st; returns -1 when it retired
 * normally, else the vector of the exception it raised.  *st receives the
 * registers and RFLAGS afterwards. */
static inline int ah_guest_run(struct tm *tm, const uint8_t *code, size_t len,
                               struct ah_state *st)
{
	uint8_t buf[32];
	struct cpu *cpu = tm->cpu;
	enum cpu_stop stop;

	uint64_t start, lin;

	memcpy(buf, code, len);
	buf[len] = 0xf4;
	tm_code(tm, buf, len + 1);
	start = cpu->seg[SEG_CS].base + cpu->rip;
	for (int i = 0; i < 16; i++)
		if (i != R_RSP)
			cpu->gpr[i] = st->gpr[i];
	cpu->gpr[R_RSP] = TM_STACK;
	flags_write(cpu, st->rflags);
	cpu->halted = false;
	cpu->fault.vector = 0xff;
	stop = tm_run(tm, 8);
	assert_int_equal(stop, STOP_HALT);
	for (int i = 0; i < 16; i++)
		if (i != R_RSP)
			st->gpr[i] = cpu->gpr[i];
	st->rflags = flags_read(cpu);
	lin = cpu->seg[SEG_CS].base + cpu->rip;
	if (lin > AH_HANDLERS && lin <= AH_HANDLERS + 32) {
		assert_int_equal(cpu->fault.vector, lin - AH_HANDLERS - 1);
		return (int)(lin - AH_HANDLERS - 1);
	}
	assert_int_equal(lin, start + len + 1);
	return -1;
}

/* One instruction; returns 1 on #DE, 0 on normal retirement. */
static inline int ah_guest(struct tm *tm, const uint8_t *code, size_t len, struct ah_state *st)
{
	int v = ah_guest_run(tm, code, len, st);

	if (v >= 0)
		assert_int_equal(v, EXC_DE);
	return v == EXC_DE;
}

static const char *const ah_regname[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* Flags undefined for this vector and these inputs; *skip_dest is set when
 * the whole result is undefined. */
static inline uint32_t ah_undef(const struct ah_vec *v, const struct ah_state *in, int *skip_dest)
{
	uint32_t u = v->undef;
	unsigned bits = 8u << v->lg;
	unsigned c = v->count < 0 ? (unsigned)in->gpr[R_RCX] & 0xff : (unsigned)v->count;

	*skip_dest = 0;
	c &= v->lg == 3 ? 0x3f : 0x1f;
	switch (v->kind) {
	case AH_SHIFT:
	case AH_SAR:
	case AH_DSHIFT:
		if (c == 0)
			break;
		u |= RFLAGS_AF;
		if (c != 1)
			u |= RFLAGS_OF;
		if (v->kind == AH_SHIFT && c >= bits)
			u |= RFLAGS_CF;
		if (v->kind == AH_DSHIFT && c > bits) {
			u |= RFLAGS_ARITH;
			*skip_dest = 1;
		}
		break;
	case AH_ROT:
		if (c > 1)
			u |= RFLAGS_OF;
		break;
	default:
		break;
	}
	return u;
}

/* Run one vector on both sides from `in` and compare; the guest runs
 * gcode (the same instruction encoded for its mode). */
static inline void ah_compare_code(struct tm **tmp, const struct ah_vec *v,
                                   const struct ah_state *in, const uint8_t *gcode, size_t glen)
{
	struct ah_state h = *in, g = *in;
	uint64_t hbase = (uint64_t)(uintptr_t)ah_hbuf + AH_DATA / 2;
	uint64_t gbase = TM_DATA + AH_DATA / 2;
	uint8_t init[AH_WIN];
	int hde, gde, skip;
	uint32_t fm = RFLAGS_ARITH & ~ah_undef(v, in, &skip);
	int legacy = (*tmp)->cpu->mode != MODE_LONG;

	for (unsigned i = 0; i < AH_WIN; i++)
		init[i] = (uint8_t)ah_rand();
	memcpy(ah_hbuf + AH_DATA / 2 - AH_WIN / 2, init, AH_WIN);
	for (unsigned i = 0; i < AH_WIN; i += 8) {
		uint64_t q;

		memcpy(&q, init + i, 8);
		tm_write(*tmp, gbase - AH_WIN / 2 + i, 8, q);
	}
	h.gpr[R_RSI] = hbase;
	g.gpr[R_RSI] = gbase;
	hde = ah_host(v->code, v->len, &h);
	gde = ah_guest(*tmp, gcode, glen, &g);
	if (hde != gde) {
		print_error("%s: host #DE=%d guest #DE=%d (rax=%#llx rdx=%#llx rbx=%#llx)\n", v->name,
		            hde, gde, (unsigned long long)in->gpr[R_RAX],
		            (unsigned long long)in->gpr[R_RDX], (unsigned long long)in->gpr[R_RBX]);
		fail();
	}
	if (gde) {
		ah_de_count++;
		/* The fault is precise: nothing was committed. */
		for (int i = 0; i < 16; i++)
			if (i != R_RSP && i != R_RSI && !(legacy && i >= 8) &&
			    g.gpr[i] != in->gpr[i]) {
				print_error("%s: #DE but %s changed\n", v->name, ah_regname[i]);
				fail();
			}
		return;
	}
	h.gpr[R_RSI] -= hbase;
	g.gpr[R_RSI] -= gbase;
	for (int i = 0; i < 16; i++) {
		if (i == R_RSP || (skip && i == R_RAX))
			continue;
		/* Legacy mode: only EAX..EDI exist; their upper halves are
		 * not architecturally visible. */
		if (legacy && (i >= 8 || (uint32_t)h.gpr[i] == (uint32_t)g.gpr[i]))
			continue;
		if (h.gpr[i] != g.gpr[i]) {
			print_error("%s: %s host %#llx guest %#llx (in rax=%#llx rbx=%#llx rcx=%#llx "
			            "rdx=%#llx fl=%#llx)\n",
			            v->name, ah_regname[i], (unsigned long long)h.gpr[i],
			            (unsigned long long)g.gpr[i], (unsigned long long)in->gpr[R_RAX],
			            (unsigned long long)in->gpr[R_RBX], (unsigned long long)in->gpr[R_RCX],
			            (unsigned long long)in->gpr[R_RDX], (unsigned long long)in->rflags);
			fail();
		}
	}
	if ((h.rflags ^ g.rflags) & fm) {
		print_error("%s: flags host %#llx guest %#llx mask %#x (in rax=%#llx rbx=%#llx "
		            "rcx=%#llx rdx=%#llx fl=%#llx)\n",
		            v->name, (unsigned long long)h.rflags, (unsigned long long)g.rflags, fm,
		            (unsigned long long)in->gpr[R_RAX], (unsigned long long)in->gpr[R_RBX],
		            (unsigned long long)in->gpr[R_RCX], (unsigned long long)in->gpr[R_RDX],
		            (unsigned long long)in->rflags);
		fail();
	}
	for (unsigned i = 0; i < AH_WIN && !skip; i += 8) {
		uint64_t q, gq = tm_read(*tmp, gbase - AH_WIN / 2 + i, 8);

		memcpy(&q, ah_hbuf + AH_DATA / 2 - AH_WIN / 2 + i, 8);
		if (q != gq) {
			print_error("%s: memory at rsi%+d host %#llx guest %#llx\n", v->name,
			            (int)i - AH_WIN / 2, (unsigned long long)q, (unsigned long long)gq);
			fail();
		}
	}
}

static inline void ah_compare(struct tm **tmp, const struct ah_vec *v, const struct ah_state *in)
{
	ah_compare_code(tmp, v, in, v->code, v->len);
}

/* Random inputs for one vector.  Shift counts in CL favour the interesting
 * range; BT memory offsets stay inside the compared window. */
static inline void ah_inputs(const struct ah_vec *v, struct ah_state *s)
{
	for (int i = 0; i < 16; i++)
		s->gpr[i] = ah_value();
	if (v->kind != AH_PLAIN && v->kind != AH_BTMEM && (ah_rand() & 3))
		s->gpr[R_RCX] = (ah_rand() & ~0xffull) | (ah_rand() % 72);
	if (v->kind == AH_BTMEM) {
		int64_t off = (int64_t)(ah_rand() % 3000) - 1500;

		s->gpr[R_RAX] = (uint64_t)off;
		s->gpr[R_RBX] = (uint64_t)off;
	}
	if (v->kind == AH_DIV) {
		switch (ah_rand() % 4) {
		case 0: s->gpr[R_RDX] = ah_rand() % 3; break;
		case 1: s->gpr[R_RDX] = (uint64_t)-(int64_t)(ah_rand() % 2); break;
		case 2: s->gpr[R_RDX] = s->gpr[R_RBX] >> (ah_rand() % 4); break;
		default: break;
		}
		if (v->lg == 0 && (ah_rand() & 1))
			s->gpr[R_RAX] = (s->gpr[R_RAX] & ~0xff00ull) |
			                ((s->gpr[R_RBX] >> (ah_rand() % 3)) & 0xff) << 8;
	}
	s->rflags = 0x202 | (ah_rand() & RFLAGS_ARITH);
}

/* Whether a vector means the same in 32-bit protected mode: no REX
 * prefix and no VEX.W1 (which legacy modes ignore for these opcodes). */
static inline int ah_legacy_ok(const struct ah_vec *v)
{
	unsigned i = 0;

	while (i < v->len && (v->code[i] == 0x66 || v->code[i] == 0xf0 || v->code[i] == 0xf2 ||
	                      v->code[i] == 0xf3))
		i++;
	if (i < v->len && (v->code[i] & 0xf0) == 0x40)
		return 0;
	if (i + 2 < v->len && v->code[i] == 0xc4 && (v->code[i + 2] & 0x80))
		return 0;
	return 1;
}

/* Every vector of a table, `iters` random inputs each, in 64-bit mode
 * (TM_LONG64) or, for the vectors that mean the same there, 32-bit
 * protected mode (TM_PROT32; EAX..EDI compared on their low halves). */
static inline void ah_run_table_mode(const struct ah_vec *t, size_t n, unsigned iters,
                                     enum tm_mode mode)
{
	struct tm *tm = tm_new(mode);

	ah_init();
	ah_install_idt(tm, mode == TM_LONG64);
	for (size_t k = 0; k < n; k++) {
		if (mode != TM_LONG64 && !ah_legacy_ok(&t[k]))
			continue;
		for (unsigned it = 0; it < iters; it++) {
			struct ah_state in;

			ah_inputs(&t[k], &in);
			ah_compare(&tm, &t[k], &in);
		}
	}
	tm_free(tm);
}

static inline void ah_run_table(const struct ah_vec *t, size_t n, unsigned iters)
{
	ah_run_table_mode(t, n, iters, TM_LONG64);
}

/* The register forms of a table in real mode, where the default operand
 * size is 16 bits: the host's 32-bit form gets a 66H prefix and its 16-bit
 * form loses one.  Memory forms (16-bit addressing differs) and VEX forms
 * (#UD in real mode) are left out.  Returns how many vectors ran. */
static inline unsigned ah_run_table_real(const struct ah_vec *t, size_t n, unsigned iters)
{
	struct tm *tm = tm_new(TM_REAL);
	unsigned ran = 0;

	ah_init();
	ah_install_idt(tm, 0);
	for (size_t k = 0; k < n; k++) {
		const struct ah_vec *v = &t[k];
		uint8_t g[16];
		size_t gl = 0, p = 0;
		int had66 = 0;

		if (strchr(v->name, '[') || v->lg == 3 || !ah_legacy_ok(v))
			continue;
		/* Capstone 4.0.2 cannot decode F3 0F B8 (POPCNT) in 16-bit
		 * mode: a known gap, reported. */
		if (!strncmp(v->name, "popcnt", 6))
			continue;
		while (p < v->len && (v->code[p] == 0x66 || v->code[p] == 0xf0 ||
		                      v->code[p] == 0xf2 || v->code[p] == 0xf3))
			p++;
		if (p < v->len && (v->code[p] == 0xc4 || v->code[p] == 0xc5))
			continue;
		for (size_t i = 0; i < v->len; i++) {
			if (i < p && v->code[i] == 0x66) {
				had66 = 1;
				continue;
			}
			g[gl++] = v->code[i];
		}
		if (!had66 && v->lg == 2) {
			memmove(g + 1, g, gl++);
			g[0] = 0x66;
		}
		for (unsigned it = 0; it < iters; it++) {
			struct ah_state in;

			ah_inputs(v, &in);
			ah_compare_code(&tm, v, &in, g, gl);
		}
		ran++;
	}
	tm_free(tm);
	return ran;
}

#endif
