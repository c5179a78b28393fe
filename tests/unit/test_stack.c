/* Stack instructions (ops_stack.c), checked against SDM Vol. 2 "PUSH",
 * "POP", "PUSHA/PUSHAD", "POPA/POPAD", "ENTER" and "LEAVE". */
#include "hostexec.h"

#include "cpu/insn.h"

#define S64 (TM_STACK - 0x100)

static struct tm *long64(void)
{
	struct tm *tm = tm_new(TM_LONG64);

	tm->cpu->gpr[R_RSP] = S64;
	/* A recognisable pattern where the pushes land. */
	for (uint64_t a = S64 - 0x80; a < S64 + 0x80; a += 8)
		tm_write(tm, a, 8, 0xcccccccccccccccc);
	return tm;
}

#define EXEC(tm, ...) do { \
	static const uint8_t c_[] = { __VA_ARGS__ }; \
	assert_int_equal(hx_exec1((tm), c_, sizeof(c_)), X_OK); \
} while (0)

/* 64-bit mode: default operand size 64, 66h gives 16; immediates are
 * sign-extended to the operand size. */
static void push_pop_64(void **state)
{
	struct tm *tm = long64();
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->gpr[R_RAX] = 0x1122334455667788ull;
	EXEC(tm, 0x50);                             /* push rax */
	assert_int_equal(cpu->gpr[R_RSP], S64 - 8);
	assert_int_equal(tm_read(tm, S64 - 8, 8), 0x1122334455667788ull);
	EXEC(tm, 0x66, 0x50);                       /* push ax */
	assert_int_equal(cpu->gpr[R_RSP], S64 - 10);
	assert_int_equal(tm_read(tm, S64 - 10, 2), 0x7788);
	EXEC(tm, 0x66, 0x6a, 0x80);                 /* push word -128 */
	assert_int_equal(cpu->gpr[R_RSP], S64 - 12);
	assert_int_equal(tm_read(tm, S64 - 12, 2), 0xff80);
	EXEC(tm, 0x6a, 0xfe);                       /* push qword -2 */
	assert_int_equal(cpu->gpr[R_RSP], S64 - 20);
	assert_int_equal(tm_read(tm, S64 - 20, 8), 0xfffffffffffffffeull);
	EXEC(tm, 0x68, 0x00, 0x00, 0x00, 0x80);     /* push qword imm32 */
	assert_int_equal(tm_read(tm, S64 - 28, 8), 0xffffffff80000000ull);
	EXEC(tm, 0x66, 0x58);                       /* pop ax */
	assert_int_equal(cpu->gpr[R_RAX], 0x1122334455660000ull);
	assert_int_equal(cpu->gpr[R_RSP], S64 - 26);
	EXEC(tm, 0x41, 0x5b);                       /* pop r11 */
	assert_int_equal(cpu->gpr[11], 0xfffeffffffff8000ull);
	assert_int_equal(cpu->gpr[R_RSP], S64 - 18);
	tm_free(tm);
}

/* PUSH rSP pushes the old value; POP rSP loads the popped value (the
 * increment is overwritten); POP into [rSP+d] computes the address after
 * the increment. */
static void push_pop_rsp(void **state)
{
	struct tm *tm = long64();
	struct cpu *cpu = tm->cpu;

	(void)state;
	EXEC(tm, 0x54);                             /* push rsp */
	assert_int_equal(tm_read(tm, S64 - 8, 8), S64);
	assert_int_equal(cpu->gpr[R_RSP], S64 - 8);
	tm_write(tm, S64 - 8, 8, 0x123450);
	EXEC(tm, 0x5c);                             /* pop rsp */
	assert_int_equal(cpu->gpr[R_RSP], 0x123450);

	cpu->gpr[R_RSP] = S64;
	tm_write(tm, S64, 8, 0xabcdef);
	EXEC(tm, 0x8f, 0x44, 0x24, 0x08);           /* pop qword [rsp+8] */
	assert_int_equal(cpu->gpr[R_RSP], S64 + 8);
	/* Stored at new RSP + 8 = S64 + 16, not at S64 + 8. */
	assert_int_equal(tm_read(tm, S64 + 16, 8), 0xabcdef);
	assert_int_equal(tm_read(tm, S64 + 8, 8), 0xcccccccccccccccc);

	cpu->gpr[R_RSP] = S64;
	cpu->gpr[R_RSI] = S64 - 0x40;
	tm_write(tm, S64 - 0x40, 8, 0x77);
	EXEC(tm, 0xff, 0x36);                       /* push qword [rsi] */
	assert_int_equal(tm_read(tm, S64 - 8, 8), 0x77);
	tm_free(tm);
}

/* PUSH FS with a 64-bit operand size: a 16-bit store, RSP - 8, the upper
 * bytes of the slot unmodified (recent Intel processors, SDM Vol. 2
 * "PUSH"); POP FS reloads the selector. */
static void push_pop_sreg_64(void **state)
{
	struct tm *tm = long64();
	struct cpu *cpu = tm->cpu;

	(void)state;
	EXEC(tm, 0x0f, 0xa0);                       /* push fs */
	assert_int_equal(cpu->gpr[R_RSP], S64 - 8);
	assert_int_equal(tm_read(tm, S64 - 8, 8), 0xcccccccccccc0000ull | TM_SEL_DATA);
	tm_write(tm, S64 - 8, 8, 0);
	EXEC(tm, 0x0f, 0xa9);                       /* pop gs (null selector) */
	assert_int_equal(cpu->seg[SEG_GS].sel, 0);
	assert_int_equal(cpu->gpr[R_RSP], S64);
	tm_free(tm);
}

/* A PUSH that faults leaves RSP alone. */
static void push_fault_commits_nothing(void **state)
{
	struct tm *tm = long64();
	static const uint8_t push[] = { 0x50 };

	(void)state;
	tm->cpu->gpr[R_RSP] = 0x40000008; /* beyond the 1 GiB the fixture maps */
	assert_int_equal(hx_exec1(tm, push, sizeof(push)), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_PF);
	assert_int_equal(tm->cpu->fault.cr2, 0x40000000);
	assert_int_equal(tm->cpu->gpr[R_RSP], 0x40000008);
	tm_free(tm);
}

/* PUSHAD/POPAD in 32-bit code; PUSHAW with 66h.  The pushed ESP is the
 * value before the first push, and POPAD discards its slot. */
static void pusha_popa_32(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	for (int i = 0; i < 8; i++)
		cpu->gpr[i] = 0x1000 * (uint64_t)(i + 1) + 0x11;
	cpu->gpr[R_RSP] = 0x8000;
	EXEC(tm, 0x60);
	assert_int_equal(cpu->gpr[R_RSP], 0x8000 - 32);
	assert_int_equal(tm_read(tm, 0x8000 - 4, 4), 0x1011);  /* EAX first */
	assert_int_equal(tm_read(tm, 0x8000 - 20, 4), 0x8000); /* ESP */
	assert_int_equal(tm_read(tm, 0x8000 - 32, 4), 0x8011); /* EDI last */
	tm_write(tm, 0x8000 - 20, 4, 0xdead);
	tm_write(tm, 0x8000 - 4, 4, 0xaaaa);
	for (int i = 0; i < 8; i++)
		if (i != R_RSP)
			cpu->gpr[i] = 0;
	EXEC(tm, 0x61);
	assert_int_equal(cpu->gpr[R_RSP], 0x8000);
	assert_int_equal(cpu->gpr[R_RAX], 0xaaaa);
	assert_int_equal(cpu->gpr[R_RDI], 0x8011);
	assert_int_equal(cpu->gpr[R_RBP], 0x6011);

	EXEC(tm, 0x66, 0x60);                       /* pushaw */
	assert_int_equal(cpu->gpr[R_RSP], 0x8000 - 16);
	assert_int_equal(tm_read(tm, 0x8000 - 10, 2), 0x8000); /* SP */
	assert_int_equal(tm_read(tm, 0x8000 - 2, 2), 0xaaaa);
	tm_free(tm);
}

/* PUSHAD whose later slots fall outside SS: #SS(0) and nothing stored. */
static void pusha_precise_fault(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t pusha[] = { 0x60 };

	(void)state;
	cpu->seg[SEG_SS].limit = 0xfffff; /* byte granular: wrap goes out */
	cpu->gpr[R_RSP] = 0x10;
	tm_write(tm, 0, 8, 0x5555555555555555ull);
	tm_write(tm, 8, 8, 0x5555555555555555ull);
	assert_int_equal(hx_exec1(tm, pusha, sizeof(pusha)), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_SS);
	assert_int_equal(cpu->gpr[R_RSP], 0x10);
	assert_int_equal(tm_read(tm, 0, 8), 0x5555555555555555ull);
	assert_int_equal(tm_read(tm, 8, 8), 0x5555555555555555ull);
	tm_free(tm);
}

/* ENTER with nesting levels 0, 1 and 3 in 64-bit mode, then LEAVE. */
static void enter_leave_64(void **state)
{
	struct tm *tm = long64();
	struct cpu *cpu = tm->cpu;
	const uint64_t b = S64 + 0x40;

	(void)state;
	cpu->gpr[R_RBP] = b;
	EXEC(tm, 0xc8, 0x20, 0x00, 0x00);           /* enter 0x20, 0 */
	assert_int_equal(tm_read(tm, S64 - 8, 8), b);
	assert_int_equal(cpu->gpr[R_RBP], S64 - 8);
	assert_int_equal(cpu->gpr[R_RSP], S64 - 8 - 0x20);
	EXEC(tm, 0xc9);                             /* leave */
	assert_int_equal(cpu->gpr[R_RBP], b);
	assert_int_equal(cpu->gpr[R_RSP], S64);

	tm_write(tm, b - 8, 8, 0x1111);
	tm_write(tm, b - 16, 8, 0x2222);
	tm_write(tm, b - 24, 8, 0x3333);
	EXEC(tm, 0xc8, 0x10, 0x00, 0x03);           /* enter 0x10, 3 */
	assert_int_equal(tm_read(tm, S64 - 8, 8), b);
	assert_int_equal(tm_read(tm, S64 - 16, 8), 0x1111);
	assert_int_equal(tm_read(tm, S64 - 24, 8), 0x2222);
	assert_int_equal(tm_read(tm, S64 - 32, 8), S64 - 8);
	assert_int_equal(cpu->gpr[R_RBP], S64 - 8);
	assert_int_equal(cpu->gpr[R_RSP], S64 - 32 - 0x10);

	cpu->gpr[R_RSP] = S64;
	cpu->gpr[R_RBP] = b;
	EXEC(tm, 0xc8, 0x00, 0x00, 0x01);           /* enter 0, 1 */
	assert_int_equal(tm_read(tm, S64 - 16, 8), S64 - 8);
	assert_int_equal(cpu->gpr[R_RSP], S64 - 16);
	/* 66h: 16-bit frame pointer, 16-bit pushes. */
	cpu->gpr[R_RSP] = S64;
	cpu->gpr[R_RBP] = 0xaaaabbbbccccddddull;
	EXEC(tm, 0x66, 0xc8, 0x04, 0x00, 0x00);     /* enter 4, 0 (o16) */
	assert_int_equal(tm_read(tm, S64 - 2, 2), 0xdddd);
	assert_int_equal(cpu->gpr[R_RBP], 0xaaaabbbbcccc0000ull | ((S64 - 2) & 0xffff));
	assert_int_equal(cpu->gpr[R_RSP], S64 - 6);
	tm_free(tm);
}

/* Real mode: SP wraps at 64 KiB, ENTER/LEAVE use BP/SP, POP SS sets the
 * interrupt shadow, POP DS reloads the base. */
static void stack_real_mode(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->seg[SEG_SS].base = 0x50000;
	cpu->gpr[R_RSP] = 0x12340000;
	cpu->gpr[R_RAX] = 0xbeef;
	EXEC(tm, 0x50);                             /* push ax */
	assert_int_equal(cpu->gpr[R_RSP], 0x1234fffe);
	assert_int_equal(tm_read(tm, 0x5fffe, 2), 0xbeef);
	tm_write(tm, 0x5fffe, 2, 0x0700);
	EXEC(tm, 0x1f);                             /* pop ds */
	assert_int_equal(cpu->gpr[R_RSP], 0x12340000);
	assert_int_equal(cpu->seg[SEG_DS].base, 0x7000);

	cpu->gpr[R_RSP] = 0x100;
	cpu->gpr[R_RBP] = 0x77770200;
	EXEC(tm, 0xc8, 0x04, 0x00, 0x01);           /* enter 4, 1 */
	assert_int_equal(tm_read(tm, 0x500fe, 2), 0x0200);
	assert_int_equal(tm_read(tm, 0x500fc, 2), 0x00fe);
	assert_int_equal(cpu->gpr[R_RBP], 0x777700fe);
	assert_int_equal(cpu->gpr[R_RSP], 0xf8);
	EXEC(tm, 0xc9);                             /* leave */
	assert_int_equal(cpu->gpr[R_RSP], 0x100);
	assert_int_equal(cpu->gpr[R_RBP], 0x77770200);

	tm_write(tm, 0x50100, 2, 0x6000);
	{
		static const uint8_t pop_ss[] = { 0x17 };

		/* The shadowed instruction must start a block: POP SS leaves
		 * its block with RIP past itself. */
		assert_int_equal(hx_exec1(tm, pop_ss, sizeof(pop_ss)), X_JUMP);
		assert_int_equal(cpu->rip, 1);
	}
	assert_int_equal(cpu->seg[SEG_SS].base, 0x60000);
	assert_int_equal(cpu->intr_shadow, 1);
	assert_int_equal(cpu->gpr[R_RSP], 0x102);
	tm_free(tm);
}

/* A whole program through the run loop: push/call-free sequence that
 * swaps two registers through the stack. */
static void push_pop_program(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	/* push rax; push rbx; pop rax; pop rbx; hlt */
	static const uint8_t code[] = { 0x50, 0x53, 0x58, 0x5b, 0xf4 };

	(void)state;
	tm->cpu->gpr[R_RAX] = 1;
	tm->cpu->gpr[R_RBX] = 2;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RAX], 2);
	assert_int_equal(tm->cpu->gpr[R_RBX], 1);
	assert_int_equal(tm->cpu->gpr[R_RSP], TM_STACK);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_pop_64),
		cmocka_unit_test(push_pop_rsp),
		cmocka_unit_test(push_pop_sreg_64),
		cmocka_unit_test(push_fault_commits_nothing),
		cmocka_unit_test(pusha_popa_32),
		cmocka_unit_test(pusha_precise_fault),
		cmocka_unit_test(enter_leave_64),
		cmocka_unit_test(stack_real_mode),
		cmocka_unit_test(push_pop_program),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
