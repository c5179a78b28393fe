/* Threaded dispatch against one-at-a-time execution (docs/internals.md
 * "Threaded dispatch").  A whole block run by threaded dispatch may fuse a
 * compare with the Jcc after it, skip flags that a later record replaces
 * unread, take the memory forms' TLB-hit twins and enter the next block
 * directly; a budget of one instruction runs every record through its op
 * handler instead (run.c: a block cut short by the budget never runs
 * threaded).  The architectural result must be the same: each case runs
 * seeded random 64-bit code (register and memory ALU forms, shifts,
 * rotates, INC/DEC, IMUL, ADC/SBB, compares, forward Jcc, PUSHFQ/POP to
 * expose the flags, CALL/RET, a loop around it all, the odd load from a wild
 * address that faults) on two machines, and compares every general
 * register, RFLAGS, RIP, the retired count, the stop reason and the data
 * page.  The cycle count is compared with a third machine running the
 * same blocks through the traced loop (each record's op handler, no
 * chaining): page walks (mmu.c) charge cycles when they happen, and code
 * fetches walk as blocks are decoded, which differs when every block is
 * cut after one instruction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/flags.h"
#include "fakebus.h"

#define CASES 600
#define MAX_INSNS 48
#define LOOPS 5

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*, fixed seed: the same cases every run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

struct prog {
	uint8_t b[4096];
	unsigned len;
};

static void emit(struct prog *p, unsigned n, ...)
{
	va_list ap;

	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		p->b[p->len++] = (uint8_t)va_arg(ap, int);
	va_end(ap);
}

/* Registers the random code may write: RAX, RDX, RSI, RDI, R8-R11.  RCX
 * counts the loop, RBX points at the data page, RSP and RBP stay put. */
static const unsigned wregs[] = { 0, 2, 6, 7, 8, 9, 10, 11 };

static unsigned pick_reg(void)
{
	return wregs[rng() % (sizeof(wregs) / sizeof(wregs[0]))];
}

/* REX with W and the R/B extensions for ModR/M reg and rm. */
static void rex(struct prog *p, int w, unsigned reg, unsigned rm)
{
	unsigned r = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);

	if (r != 0x40 || w)
		emit(p, 1, r);
}

static uint8_t modrm(unsigned mod, unsigned reg, unsigned rm)
{
	return (uint8_t)((mod << 6) | ((reg & 7) << 3) | (rm & 7));
}

/* One random instruction. */
static void random_insn(struct prog *p)
{
	static const uint8_t alu_rr[] = { 0x01, 0x29, 0x21, 0x09, 0x31, 0x39, 0x85, 0x11, 0x19 };
	static const uint8_t shift_ext[] = { 4, 5, 7, 0, 1 };  /* SHL SHR SAR ROL ROR */
	unsigned d = pick_reg(), s = (rng() % 4) ? pick_reg() : d, k = (unsigned)(rng() % 24);
	int w = (int)(rng() & 1);
	unsigned disp = (unsigned)(rng() % 32) * 8;

	switch (k) {
	case 0: case 1: case 2: /* ALU r, r */
		rex(p, w, s, d);
		emit(p, 2, alu_rr[rng() % sizeof(alu_rr)], modrm(3, s, d));
		break;
	case 3: case 4: /* ALU r, imm8 / imm32 (every /digit) */
		rex(p, w, 0, d);
		if (rng() & 1)
			emit(p, 3, 0x83, modrm(3, (unsigned)rng() % 8, d), (int)(rng() & 0xff));
		else
			emit(p, 6, 0x81, modrm(3, (unsigned)rng() % 8, d), (int)(rng() & 0xff),
			     (int)(rng() & 0xff), (int)(rng() & 0xff), (int)(rng() & 0xff));
		break;
	case 5: case 6: /* shift/rotate by imm8, counts 0..70 */
		rex(p, w, 0, d);
		emit(p, 3, 0xc1, modrm(3, shift_ext[rng() % 5], d), (int)(rng() % 71));
		break;
	case 7: /* INC, DEC, NOT, NEG */
		rex(p, w, 0, d);
		if (rng() & 1)
			emit(p, 2, 0xff, modrm(3, (unsigned)rng() % 2, d));
		else
			emit(p, 2, 0xf7, modrm(3, 2 + (unsigned)rng() % 2, d));
		break;
	case 8: /* IMUL r, r / IMUL r, r, imm32 */
		rex(p, w, d, s);
		if (rng() & 1)
			emit(p, 3, 0x0f, 0xaf, modrm(3, d, s));
		else
			emit(p, 6, 0x69, modrm(3, d, s), (int)(rng() & 0xff), (int)(rng() & 0xff),
			     (int)(rng() & 0xff), (int)(rng() & 0x7f));
		break;
	case 9: /* MOV r, r / MOV r, imm32 / MOVZX r32, r8 / LEA */
		if (rng() & 1) {
			rex(p, w, s, d);
			emit(p, 2, 0x89, modrm(3, s, d));
		} else if (rng() & 1) {
			rex(p, 1, d, s);
			emit(p, 3, 0x0f, 0xb6, modrm(3, d, s));
		} else {
			/* lea d, [s + rbx*2 + disp8] */
			rex(p, w, d, s);
			emit(p, 4, 0x8d, modrm(1, d, 4), (int)(0x40 | ((s & 7))) | (3 << 3), (int)disp);
		}
		break;
	case 10: case 11: /* MOV r, [rbx+d] / MOV [rbx+d], r */
		rex(p, w, d, 3);
		emit(p, 3, (rng() & 1) ? 0x8b : 0x89, modrm(1, d, 3), (int)disp);
		break;
	case 12: /* ALU r, [rbx+d] (ADD OR AND SUB XOR CMP) */
		rex(p, w, d, 3);
		emit(p, 3, (int)((const uint8_t[]){ 0x03, 0x0b, 0x23, 0x2b, 0x33, 0x3b })[rng() % 6],
		     modrm(1, d, 3), (int)disp);
		break;
	case 13: /* ALU [rbx+d], r and [rbx+d], imm8 (read-modify-write, CMP) */
		rex(p, w, s, 3);
		if (rng() & 1)
			emit(p, 3, (int)((const uint8_t[]){ 0x01, 0x09, 0x21, 0x29, 0x31, 0x39 })[rng() % 6],
			     modrm(1, s, 3), (int)disp);
		else
			emit(p, 4, 0x83, modrm(1, (unsigned)rng() % 8, 3), (int)disp, (int)(rng() & 0xff));
		break;
	case 14: /* byte forms: CMP byte [rbx+d], imm8 / XOR [rbx+d], r8 / MOVZX */
		if (rng() % 3 == 0) {
			emit(p, 4, 0x80, modrm(1, 7, 3), (int)disp, (int)(rng() & 0xff));
		} else if (rng() & 1) {
			rex(p, 0, s, 3);
			emit(p, 3, 0x30, modrm(1, s, 3), (int)disp);
		} else {
			rex(p, 0, d, 3);
			emit(p, 4, 0x0f, 0xb6, modrm(1, d, 3), (int)disp);
		}
		break;
	case 15: case 22: /* PUSHFQ; POP r: the flags as the architecture has them */
		emit(p, 1, 0x9c);
		rex(p, 0, 0, d);
		emit(p, 1, 0x58 + (d & 7));
		break;
	case 16: /* SETcc r8 (low byte, with REX) */
		emit(p, 4, 0x40 | ((d & 8) ? 1 : 0), 0x0f, 0x90 + (int)(rng() % 16), modrm(3, 0, d));
		break;
	case 17: /* a load from [rbx + r], r mostly wild: usually faults */
		if (rng() % 4 == 0)
			emit(p, 4, 0x48 | ((s & 8) ? 2 : 0), 0x8b, modrm(0, 0, 4),
			     (int)(((s & 7) << 3) | 3));
		break;
	default: /* CMP/TEST r, r or CMP r, imm8, then a Jcc over the next two bytes */
		rex(p, w, s, d);
		if (rng() & 1)
			emit(p, 2, (rng() & 1) ? 0x39 : 0x85, modrm(3, s, d));
		else
			emit(p, 3, 0x83, modrm(3, 7, d), (int)(rng() % 4));
		/* jcc over "inc d" */
		emit(p, 2, 0x70 + (int)(rng() % 16), (d & 8) ? 3 : 2);
		rex(p, 0, 0, d);
		emit(p, 2, 0xff, modrm(3, 0, d));
		break;
	}
}

static void make_prog(struct prog *p)
{
	unsigned n = 1 + (unsigned)(rng() % MAX_INSNS), loop;
	unsigned starts[MAX_INSNS + 1];
	unsigned fix[MAX_INSNS], target[MAX_INSNS], nfix = 0;
	unsigned calls[MAX_INSNS], ncalls = 0;

	memset(p, 0, sizeof(*p));
	emit(p, 5, 0xb9, LOOPS, 0, 0, 0);  /* mov ecx, LOOPS */
	loop = p->len;
	for (unsigned i = 0; i < n; i++) {
		starts[i] = p->len;
		if (rng() % 16 == 0) {
			/* CALL rel32 to the subroutine after the HLT */
			emit(p, 5, 0xe8, 0, 0, 0, 0);
			calls[ncalls++] = p->len;
		}
		if (rng() % 5 == 0) {
			/* Jcc rel8 forward over up to 4 instructions */
			emit(p, 2, 0x70 + (int)(rng() % 16), 0);
			fix[nfix] = p->len - 1;
			target[nfix++] = i + 1 + (unsigned)(rng() % 4);
		}
		random_insn(p);
	}
	starts[n] = p->len;
	for (unsigned f = 0; f < nfix; f++) {
		unsigned t = target[f] > n ? n : target[f];

		p->b[fix[f]] = (uint8_t)(starts[t] - (fix[f] + 1));
	}
	/* dec ecx; jnz loop (rel32); hlt */
	emit(p, 2, 0xff, 0xc9);
	{
		uint32_t rel = (uint32_t)loop - (p->len + 6);

		emit(p, 6, 0x0f, 0x85, (int)(rel & 0xff), (int)((rel >> 8) & 0xff),
		     (int)((rel >> 16) & 0xff), (int)(rel >> 24));
	}
	emit(p, 1, 0xf4);
	/* the subroutine: xor rax, 0x55; ret (generic handlers that jump) */
	for (unsigned c = 0; c < ncalls; c++) {
		uint32_t rel = p->len - calls[c];

		for (unsigned i = 0; i < 4; i++)
			p->b[calls[c] - 4 + i] = (uint8_t)(rel >> (8 * i));
	}
	emit(p, 5, 0x48, 0x83, 0xf0, 0x55, 0xc3);
}

static struct tm *machine(const struct prog *p, uint64_t seed)
{
	struct tm *tm = tm_new(TM_LONG64);
	uint64_t r = rng_state;

	tm_code(tm, p->b, p->len);
	rng_state = seed;
	for (unsigned i = 0; i < 256; i++)
		tm_write(tm, TM_DATA + 8 * i, 8, rng());
	for (unsigned i = 0; i < sizeof(wregs) / sizeof(wregs[0]); i++) {
		/* small values, the sign boundaries and wild ones, so that
		 * equal operands, borrows and overflows all occur */
		static const uint64_t edge[] = { 0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff,
		                                 0x7fffffffffffffff, 0x8000000000000000, ~0ull };

		switch (rng() % 3) {
		case 0: tm->cpu->gpr[wregs[i]] = rng() % 0x1000; break;
		case 1: tm->cpu->gpr[wregs[i]] = edge[rng() % (sizeof(edge) / sizeof(edge[0]))]; break;
		default: tm->cpu->gpr[wregs[i]] = rng(); break;
		}
	}
	tm->cpu->gpr[R_RBX] = TM_DATA;
	flags_write(tm->cpu, (flags_read(tm->cpu) & ~(uint64_t)RFLAGS_ARITH) |
	                             (rng() & RFLAGS_ARITH));
	rng_state = r;
	return tm;
}

static void compare(struct tm *a, struct tm *b, bool cycles)
{
	for (unsigned r = 0; r < 16; r++)
		assert_int_equal(a->cpu->gpr[r], b->cpu->gpr[r]);
	assert_int_equal(flags_read(a->cpu), flags_read(b->cpu));
	assert_int_equal(a->cpu->rip, b->cpu->rip);
	assert_int_equal(a->cpu->icount, b->cpu->icount);
	if (cycles)
		assert_int_equal(a->cpu->cycles, b->cpu->cycles);
	for (unsigned i = 0; i < 256; i++)
		assert_int_equal(tm_read(a, TM_DATA + 8 * i, 8), tm_read(b, TM_DATA + 8 * i, 8));
}

static void threaded_matches_stepped(void **state)
{
	(void)state;
	rng_state = 0x452821e638d01377ull;
	for (unsigned c = 0; c < CASES; c++) {
		struct prog p;
		uint64_t seed;
		struct tm *whole, *step, *traced;
		enum cpu_stop sw, ss = STOP_BUDGET, st;

		make_prog(&p);
		seed = rng();
		whole = machine(&p, seed);
		step = machine(&p, seed);
		traced = machine(&p, seed);
		sw = tm_run(whole, 1000000);
		/* The traced loop (trace_on, no hook) runs the same blocks
		 * record by record through the op handlers. */
		traced->cpu->trace_on = true;
		st = tm_run(traced, 1000000);
		for (unsigned i = 0; i < 1000000 && ss == STOP_BUDGET; i++)
			ss = tm_run(step, 1);
		assert_int_equal(sw, ss);
		assert_int_equal(sw, st);
		assert_true(sw == STOP_HALT || sw == STOP_SHUTDOWN);
		compare(whole, step, false);
		compare(whole, traced, true);
		tm_free(whole);
		tm_free(step);
		tm_free(traced);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threaded_matches_stepped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
