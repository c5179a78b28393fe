/* MUL IMUL(1,2,3 operands) DIV IDIV in every operand size against the host
 * CPU, then #DE: divide by zero and quotient overflow, which must leave
 * the destination registers unchanged (SDM Vol. 2A DIV/IDIV: "#DE If the
 * source operand (divisor) is 0. If the quotient is too large for the
 * designated register"; faults are precise, Vol. 3A §7.5). */
#include "vec_check.h"

struct de_case {
	const char *name;
	uint64_t rax, rdx, src;
	int which;  /* 0 divb 1 divw 2 divl 3 divq 4 idivb 5 idivw 6 idivl 7 idivq */
};

static const struct de_case de_cases[] = {
	{ "div8 by 0", 0x1234, 0, 0, 0 },
	{ "div16 by 0", 0x1234, 0x5678, 0, 1 },
	{ "div32 by 0", 0x1234, 0x5678, 0, 2 },
	{ "div64 by 0", 0x1234, 0x5678, 0, 3 },
	{ "idiv64 by 0", 0x1234, 0, 0, 7 },
	{ "div8 quotient 0x100", 0x0100, 0, 1, 0 },
	{ "div32 quotient overflow", 0, 1, 1, 2 },
	{ "div64 quotient overflow", 0, 5, 5, 3 },
	{ "idiv8 -128/-1", 0xff80, 0, 0xff, 4 },
	{ "idiv16 -32768/-1", 0x8000, 0xffff, 0xffff, 5 },
	{ "idiv32 INT32_MIN/-1", 0x80000000, 0xffffffff, 0xffffffff, 6 },
	{ "idiv64 INT64_MIN/-1", 0x8000000000000000, ~0ull, ~0ull, 7 },
	{ "idiv32 positive overflow", 0, 1, 1, 6 },
};

static struct {
	const struct de_case *c;
	uint64_t rax, rdx;
	uint64_t rip;
} de;

extern const char de_insn[];

static void de_run(void *unused)
{
	(void)unused;
	uint64_t a = de.c->rax, d = de.c->rdx, s = de.c->src;
	/* A jump table of the eight forms; each one is at de_insn + 8*which,
	 * and the faulting RIP must point at the DIV itself. */
	asm volatile("lea de_insn(%%rip), %%r11\n\t"
		     "lea (%%r11,%[w],8), %%r11\n\t"
		     "jmp *%%r11\n\t"
		     ".p2align 3\n"
		     "de_insn:\n\t"
		     "divb %b[s]; jmp 1f; .p2align 3\n\t"
		     "divw %w[s]; jmp 1f; .p2align 3\n\t"
		     "divl %k[s]; jmp 1f; .p2align 3\n\t"
		     "divq %[s]; jmp 1f; .p2align 3\n\t"
		     "idivb %b[s]; jmp 1f; .p2align 3\n\t"
		     "idivw %w[s]; jmp 1f; .p2align 3\n\t"
		     "idivl %k[s]; jmp 1f; .p2align 3\n\t"
		     "idivq %[s]; jmp 1f; .p2align 3\n"
		     "1:"
		     : "+a"(a), "+d"(d) : [s] "b"(s), [w] "c"((uint64_t)de.c->which) : "r11", "cc", "memory");
	de.rax = a;
	de.rdx = d;
}

int main(void)
{
	tap_plan(vec_groups(FAM_MULDIV) + 3 * (int)ARRAY_SIZE(de_cases));
	vec_check(FAM_MULDIV);

	for (unsigned i = 0; i < ARRAY_SIZE(de_cases); i++) {
		struct trap_info t;
		de.c = &de_cases[i];
		int v = trap_try(de_run, 0, &t);
		tap_check_u64(v, EXC_DE, "#DE: %s", de.c->name);
		tap_check_u64(t.rip, (uint64_t)(uintptr_t)de_insn + 8 * de.c->which,
			      "#DE: %s: RIP points at the divide", de.c->name);
		tap_ok(t.rax == de.c->rax && t.rdx == de.c->rdx,
		       "#DE: %s: RAX/RDX unchanged", de.c->name);
	}
	return tap_done();
}
