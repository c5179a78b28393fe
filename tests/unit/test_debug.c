/* Debug-register breakpoints and the MOV SS/POP SS trap delay (SDM Vol. 3B
 * chapter 17, Vol. 3A §6.8.3).  The guest arms DR0-DR3 and DR7 itself with
 * MOV DR, so the arming path (dr_mov -> debug_update) is exercised too.
 * Every IDT vector leads to its own HLT (tm_events.h); the #DB frame is
 * read back from the stack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "tm_events.h"

#define DR6_B(n) (1ull << (n))
#define DR6_BS   (1ull << 14)
/* DR7 fields (Vol. 3B §17.2.4, Figure 17-2). */
#define DR7_L(n)        (1ull << (2 * (n)))
#define DR7_RW(n, v)    ((uint64_t)(v) << (16 + 4 * (n)))
#define DR7_LEN(n, v)   ((uint64_t)(v) << (18 + 4 * (n)))
enum { RW_EXEC = 0, RW_WRITE = 1, RW_IO = 2, RW_RDWR = 3 };

/* A little assembler for the test programs. */
struct prog {
	uint8_t b[256];
	size_t n;
};

static void emit(struct prog *p, const void *bytes, size_t len)
{
	memcpy(p->b + p->n, bytes, len);
	p->n += len;
}

static void emit1(struct prog *p, uint8_t b)
{
	emit(p, &b, 1);
}

/* mov rax, imm64 */
static void mov_rax(struct prog *p, uint64_t v)
{
	emit1(p, 0x48);
	emit1(p, 0xb8);
	emit(p, &v, 8);
}

/* mov rbx, imm64 */
static void mov_rbx(struct prog *p, uint64_t v)
{
	emit1(p, 0x48);
	emit1(p, 0xbb);
	emit(p, &v, 8);
}

/* mov drN, rax (0F 23 /r, reg = N, rm = rax) */
static void mov_dr_rax(struct prog *p, unsigned n)
{
	uint8_t c[] = { 0x0f, 0x23, (uint8_t)(0xc0 | n << 3) };

	emit(p, c, sizeof(c));
}

/* DRn := addr; DR7 := dr7. */
static void arm(struct prog *p, unsigned n, uint64_t addr, uint64_t dr7)
{
	mov_rax(p, addr);
	mov_dr_rax(p, n);
	mov_rax(p, dr7);
	mov_dr_rax(p, 7);
}

static struct tm *setup64(const struct prog *p)
{
	struct tm *tm = tm_new(TM_LONG64);

	t_idt(tm, 32);
	tm->cpu->gpr[R_RSP] = TM_STACK;
	tm_code(tm, p->b, p->n);
	return tm;
}

/* The pushed RIP and RFLAGS of the exception frame at RSP (64-bit). */
static uint64_t frame_rip(struct tm *tm)
{
	return tm_read(tm, tm->cpu->gpr[R_RSP], 8);
}

static uint64_t frame_rflags(struct tm *tm)
{
	return tm_read(tm, tm->cpu->gpr[R_RSP] + 16, 8);
}

/* Vol. 3B §17.3.1.1: "The processor reports an instruction breakpoint
 * when it attempts to execute an instruction at an address specified in
 * a breakpoint-address register ... Instruction-breakpoint exception
 * conditions are faults": the saved RIP is the breakpoint's instruction,
 * which has not executed.  §17.2.3: B0 reports breakpoint 0.  "For other
 * cases, the value pushed for RF is the value that was in EFLAGS.RF ...
 * This includes debug exceptions generated in response to instruction
 * breakpoints": RF is pushed as 0. */
static void exec_breakpoint_is_a_fault(void **state)
{
	struct prog p = { .n = 0 };
	uint64_t target;
	struct tm *tm;

	(void)state;
	arm(&p, 0, 0, 0);                              /* patched below */
	emit1(&p, 0x90);
	target = TM_CODE + p.n;
	emit(&p, (uint8_t[]){ 0x48, 0xff, 0xc1 }, 3);  /* inc rcx (the target) */
	emit1(&p, 0xf4);
	p.n = 0;
	arm(&p, 0, target, DR7_L(0) | DR7_RW(0, RW_EXEC) | DR7_LEN(0, 0));
	p.n = (size_t)(target - TM_CODE) + 4;
	tm = setup64(&p);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DB);
	assert_int_equal(frame_rip(tm), target);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0);
	assert_int_equal(tm->cpu->dr[6] & (DR6_B(0) | DR6_B(1) | DR6_B(2) | DR6_B(3) | DR6_BS),
	                 DR6_B(0));
	assert_int_equal(frame_rflags(tm) & RFLAGS_RF, 0);
	tm_free(tm);
}

/* Vol. 3B §17.2.4: "Instruction breakpoint addresses must have a length
 * specification of 1 byte (the LENn field is set to 00)".  Also, a
 * breakpoint with neither Ln nor Gn set is disabled; G alone enables it. */
static void exec_breakpoint_enables(void **state)
{
	static const struct {
		uint64_t dr7;
		bool fires;
	} rows[] = {
		{ DR7_L(2) | DR7_RW(2, RW_EXEC), true },
		{ (DR7_L(2) << 1) | DR7_RW(2, RW_EXEC), true },      /* G2 */
		{ DR7_RW(2, RW_EXEC), false },                       /* neither */
		{ DR7_L(1) | DR7_RW(1, RW_EXEC), false },            /* DR1 = 0 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct prog p = { .n = 0 };
		uint64_t target = TM_CODE + 27;   /* after arm() (26 bytes) and a NOP */
		struct tm *tm;

		arm(&p, 2, target, rows[i].dr7);
		emit1(&p, 0x90);
		assert_int_equal(TM_CODE + p.n, target);
		emit1(&p, 0x90);
		emit1(&p, 0xf4);
		tm = setup64(&p);
		assert_int_equal(tm_run(tm, 100), STOP_HALT);
		if (rows[i].fires) {
			assert_int_equal(t_vector(tm), EXC_DB);
			assert_int_equal(frame_rip(tm), target);
			assert_true(tm->cpu->dr[6] & DR6_B(2));
		} else {
			assert_int_equal(tm->cpu->rip, target + 2);
		}
		tm_free(tm);
	}
}

/* Vol. 3B §17.3.1.1: "When the RF flag is set, the processor ignores
 * instruction breakpoints"; "IRETD/IRETQ instructions transfer the RF
 * image from the stack to the EFLAGS register"; "The RF Flag is cleared
 * at the start of the instruction after the check for instruction
 * breakpoints".  The #DB handler below counts in R8 and returns with
 * IRETQ: with RF set in the image the instruction runs once; without it
 * the breakpoint fires again and again (the processor does not set RF in
 * the pushed image for an instruction breakpoint). */
static void rf_suppresses_exec_breakpoint_once(void **state)
{
	static const uint8_t set_rf[] = {
		0x49, 0xff, 0xc0,                                  /* inc r8 */
		0x48, 0x81, 0x4c, 0x24, 0x10, 0x00, 0x00, 0x01, 0x00, /* or qword [rsp+16], 0x10000 */
		0x48, 0xcf,                                        /* iretq */
	};
	static const uint8_t keep_rf[] = {
		0x49, 0xff, 0xc0,                                  /* inc r8 */
		0x48, 0xcf,                                        /* iretq */
	};

	(void)state;
	for (int with_rf = 1; with_rf >= 0; with_rf--) {
		struct prog p = { .n = 0 };
		uint64_t target = TM_CODE + 26;   /* right after arm() */
		struct tm *tm;

		arm(&p, 0, target, DR7_L(0));
		emit(&p, (uint8_t[]){ 0x48, 0xff, 0xc1 }, 3);     /* inc rcx */
		emit1(&p, 0xf4);
		tm = setup64(&p);
		bus_write_bytes(tm->bus, T_HBASE + 16 * EXC_DB, with_rf ? set_rf : keep_rf,
		                with_rf ? sizeof(set_rf) : sizeof(keep_rf));
		if (with_rf) {
			assert_int_equal(tm_run(tm, 100), STOP_HALT);
			assert_int_equal(tm->cpu->gpr[8], 1);
			assert_int_equal(tm->cpu->gpr[R_RCX], 1);
			assert_int_equal(tm->cpu->rip, target + 4);
			/* Cleared by the instruction that it let through. */
			assert_int_equal(tm->cpu->rflags & RFLAGS_RF, 0);
		} else {
			assert_int_equal(tm_run(tm, 100), STOP_BUDGET);
			assert_true(tm->cpu->gpr[8] > 10);
			assert_int_equal(tm->cpu->gpr[R_RCX], 0);
		}
		tm_free(tm);
	}
}

/* Vol. 3B §17.3.1.2: "Data memory and I/O breakpoints are reported when
 * the processor attempts to access a memory or I/O address specified in a
 * breakpoint-address register ... these exception conditions are traps;
 * the processor generates the exception after it executes the instruction
 * that made the access".  §17.2.4 R/W = 01: "Break on data writes only".
 * A read of the range and a write next to it do not trigger; the write
 * into it traps with RIP after it, the byte written. */
static void write_breakpoint_is_a_trap(void **state)
{
	struct prog p = { .n = 0 };
	uint64_t after;
	struct tm *tm;

	(void)state;
	/* DR1 = TM_DATA + 8, LEN 11b (4 bytes), write. */
	arm(&p, 1, TM_DATA + 8, DR7_L(1) | DR7_RW(1, RW_WRITE) | DR7_LEN(1, 3));
	mov_rbx(&p, TM_DATA);
	emit(&p, (uint8_t[]){ 0x8a, 0x43, 0x0a }, 3);   /* mov al, [rbx+10] (read) */
	emit(&p, (uint8_t[]){ 0x88, 0x43, 0x0c }, 3);   /* mov [rbx+12], al (outside) */
	emit(&p, (uint8_t[]){ 0xc6, 0x43, 0x0b, 0x5a }, 4); /* mov byte [rbx+11], 0x5a */
	after = TM_CODE + p.n;
	emit1(&p, 0x90);
	emit1(&p, 0xf4);
	tm = setup64(&p);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DB);
	assert_int_equal(frame_rip(tm), after);
	assert_int_equal(tm_read(tm, TM_DATA + 11, 1), 0x5a);
	assert_int_equal(tm->cpu->dr[6] & 0xf, DR6_B(1));
	assert_false(tm->cpu->dr[6] & DR6_BS);
	tm_free(tm);
}

/* §17.2.4 R/W = 11: "Break on data reads or writes but not instruction
 * fetches".  A read of the second byte of a two-byte range on DR3 traps
 * with B3; a PUSH (an implicit stack write) into a range traps too. */
static void read_write_breakpoint(void **state)
{
	struct prog p = { .n = 0 };
	uint64_t after;
	struct tm *tm;

	(void)state;
	arm(&p, 3, TM_DATA + 0x20, DR7_L(3) | DR7_RW(3, RW_RDWR) | DR7_LEN(3, 1));
	mov_rbx(&p, TM_DATA);
	emit(&p, (uint8_t[]){ 0x8a, 0x43, 0x22 }, 3);   /* mov al, [rbx+0x22] (outside) */
	emit(&p, (uint8_t[]){ 0x8a, 0x43, 0x21 }, 3);   /* mov al, [rbx+0x21] */
	after = TM_CODE + p.n;
	emit1(&p, 0x90);
	emit1(&p, 0xf4);
	tm = setup64(&p);
	tm_write(tm, TM_DATA + 0x21, 1, 0x77);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DB);
	assert_int_equal(frame_rip(tm), after);
	assert_int_equal(tm->cpu->gpr[R_RAX] & 0xff, 0x77);
	assert_int_equal(tm->cpu->dr[6] & 0xf, DR6_B(3));
	tm_free(tm);

	/* push rax with RSP = TM_STACK - 0x100: the store covers
	 * TM_STACK - 0x108 .. -0x101. */
	p.n = 0;
	arm(&p, 0, TM_STACK - 0x104, DR7_L(0) | DR7_RW(0, RW_RDWR) | DR7_LEN(0, 0));
	emit1(&p, 0x50);
	after = TM_CODE + p.n;
	emit1(&p, 0xf4);
	tm = setup64(&p);
	tm->cpu->gpr[R_RSP] = TM_STACK - 0x100;
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DB);
	assert_int_equal(frame_rip(tm), after);
	assert_int_equal(tm->cpu->dr[6] & 0xf, DR6_B(0));
	tm_free(tm);
}

/* §17.2.4 LENn: "00 — 1-byte length.  01 — 2-byte length.  10 —
 * Undefined (or 8 byte length, see note below).  11 — 4-byte length"; the
 * note: "the encoding 10B is supported ... in IA-32e mode" as 8 bytes.
 * §17.2.5: "A data breakpoint for reading or writing data is triggered if
 * any of the bytes participating in an access is within the range defined
 * by a breakpoint address register and its LENn field".  Each row writes
 * `size` bytes at base + off with the range at an aligned base. */
static void len_matching(void **state)
{
	static const struct {
		unsigned len;      /* the LEN encoding */
		int off;           /* offset of the write from the range */
		unsigned size;     /* bytes written: 1 or 8 */
		bool fires;
	} rows[] = {
		{ 0, 0, 1, true },  { 0, 1, 1, false }, { 0, -1, 1, false },
		{ 1, 1, 1, true },  { 1, 2, 1, false },
		{ 3, 3, 1, true },  { 3, 4, 1, false },
		{ 2, 7, 1, true },  { 2, 8, 1, false }, { 2, -1, 1, false },
		/* An 8-byte write that starts before the range and ends in it. */
		{ 0, -7, 8, true }, { 0, -8, 8, false },
		{ 3, -4, 8, true }, { 1, 2, 8, false },
	};
	const uint64_t base = TM_DATA + 0x40;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct prog p = { .n = 0 };
		uint64_t after;
		struct tm *tm;

		arm(&p, 0, base, DR7_L(0) | DR7_RW(0, RW_WRITE) | DR7_LEN(0, rows[i].len));
		mov_rbx(&p, base + (uint64_t)(int64_t)rows[i].off);
		if (rows[i].size == 1)
			emit(&p, (uint8_t[]){ 0x88, 0x03 }, 2);        /* mov [rbx], al */
		else
			emit(&p, (uint8_t[]){ 0x48, 0x89, 0x03 }, 3);  /* mov [rbx], rax */
		after = TM_CODE + p.n;
		emit1(&p, 0xf4);
		tm = setup64(&p);
		assert_int_equal(tm_run(tm, 100), STOP_HALT);
		if (rows[i].fires) {
			assert_int_equal(t_vector(tm), EXC_DB);
			assert_int_equal(frame_rip(tm), after);
			assert_int_equal(tm->cpu->dr[6] & 0xf, DR6_B(0));
		} else {
			assert_int_equal(tm->cpu->rip, after + 1);
		}
		tm_free(tm);
	}
}

/* §17.3.1.2: the data-breakpoint trap follows an instruction "that made
 * the access"; an instruction that faults has not completed, so only its
 * fault is delivered.  `mov [rbx], rax` with the range in its first page
 * and its last byte on a not-present page: #PF, not #DB. */
static void faulting_access_reports_no_breakpoint(void **state)
{
	struct prog p = { .n = 0 };
	uint64_t at;
	struct tm *tm;

	(void)state;
	/* 2 MiB page at 0x400000 made not present in the fixture's PD. */
	arm(&p, 0, 0x3ffffc, DR7_L(0) | DR7_RW(0, RW_WRITE) | DR7_LEN(0, 3));
	mov_rbx(&p, 0x3ffffc);
	at = TM_CODE + p.n;
	emit(&p, (uint8_t[]){ 0x48, 0x89, 0x03 }, 3);          /* mov [rbx], rax */
	emit1(&p, 0xf4);
	tm = setup64(&p);
	tm_write(tm, 0x12000 + 8 * 2, 8, 0);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_PF);
	assert_int_equal(tm_read(tm, tm->cpu->gpr[R_RSP] + 8, 8), at);
	assert_int_equal(tm->cpu->dr[6] & 0xf, 0);
	tm_free(tm);
}

/* §17.2.4 R/W = 10: "Break on I/O reads or writes" when CR4.DE = 1
 * ("Undefined" otherwise); §17.3.1.2: a trap after the instruction.
 * DR2 = port 0x80 with LEN 01b covers 0x80-0x81: OUT to 0x82 passes, OUT
 * to 0x81 traps with B2.  With CR4.DE = 0 the encoding is undefined and
 * softvtx arms nothing (debug_update), which the second run checks. */
static void io_breakpoint(void **state)
{
	(void)state;
	for (int de = 1; de >= 0; de--) {
		struct prog p = { .n = 0 };
		uint64_t after;
		struct tm *tm;

		arm(&p, 2, 0x80, DR7_L(2) | DR7_RW(2, RW_IO) | DR7_LEN(2, 1));
		emit(&p, (uint8_t[]){ 0xe6, 0x82 }, 2);             /* out 0x82, al */
		emit(&p, (uint8_t[]){ 0xe6, 0x81 }, 2);             /* out 0x81, al */
		after = TM_CODE + p.n;
		emit1(&p, 0xf4);
		tm = setup64(&p);
		if (de)
			tm->cpu->cr4 |= CR4_DE;
		assert_int_equal(tm_run(tm, 100), STOP_HALT);
		if (de) {
			assert_int_equal(t_vector(tm), EXC_DB);
			assert_int_equal(frame_rip(tm), after);
			assert_int_equal(tm->cpu->dr[6] & 0xf, DR6_B(2));
		} else {
			assert_int_equal(tm->cpu->rip, after + 1);
		}
		tm_free(tm);
	}
}

/* Vol. 3A §6.8.3: "the processor inhibits interrupts, debug exceptions,
 * and single-step trap exceptions after either a MOV to SS instruction or
 * a POP to SS instruction, until the instruction boundary following the
 * next instruction is reached".  With TF set, MOV SS is followed by a NOP:
 * the single-step trap comes after the NOP, not after MOV SS (the same
 * code with MOV EBX, EAX traps right after it). */
static void movss_delays_single_step(void **state)
{
	(void)state;
	for (int movss = 1; movss >= 0; movss--) {
		static const uint8_t with_ss[] = { 0x8e, 0xd0, 0x90, 0x90, 0xf4 }; /* mov ss,eax; nop; nop */
		static const uint8_t with_bx[] = { 0x89, 0xc3, 0x90, 0x90, 0xf4 }; /* mov ebx,eax; nop; nop */
		struct tm *tm = tm_new(TM_LONG64);

		t_idt(tm, 32);
		tm->cpu->gpr[R_RSP] = TM_STACK;
		tm->cpu->gpr[R_RAX] = TM_SEL_DATA;
		tm_code(tm, movss ? with_ss : with_bx, 5);
		t_flags(tm, RFLAGS_TF | 2);
		assert_int_equal(tm_run(tm, 100), STOP_HALT);
		assert_int_equal(t_vector(tm), EXC_DB);
		assert_int_equal(frame_rip(tm), TM_CODE + (movss ? 3 : 2));
		assert_true(tm->cpu->dr[6] & DR6_BS);
		tm_free(tm);
	}
}

/* The same for POP SS in 32-bit protected mode (§6.8.3 names both). */
static void popss_delays_single_step(void **state)
{
	static const uint8_t code[] = { 0x17, 0x90, 0x90, 0xf4 };  /* pop ss; nop; nop */
	struct tm *tm = tm_new(TM_PROT32);

	(void)state;
	t_idt(tm, 32);
	tm->cpu->gpr[R_RSP] = TM_STACK - 4;
	tm_write(tm, TM_STACK - 4, 4, TM_SEL_DATA);
	tm_code(tm, code, sizeof(code));
	t_flags(tm, RFLAGS_TF | 2);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DB);
	assert_int_equal(tm_read(tm, tm->cpu->gpr[R_RSP], 4), TM_CODE + 2);
	assert_true(tm->cpu->dr[6] & DR6_BS);
	tm_free(tm);
}

/* §6.8.3 for a data breakpoint: MOV SS reading its selector from a
 * watched word holds the trap until after the next instruction. */
static void movss_delays_data_breakpoint(void **state)
{
	struct prog p = { .n = 0 };
	uint64_t after;
	struct tm *tm;

	(void)state;
	arm(&p, 0, TM_DATA, DR7_L(0) | DR7_RW(0, RW_RDWR) | DR7_LEN(0, 1));
	mov_rbx(&p, TM_DATA);
	emit(&p, (uint8_t[]){ 0x8e, 0x13 }, 2);                 /* mov ss, [rbx] */
	emit1(&p, 0x90);
	after = TM_CODE + p.n;
	emit1(&p, 0x90);
	emit1(&p, 0xf4);
	tm = setup64(&p);
	tm_write(tm, TM_DATA, 2, TM_SEL_DATA);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DB);
	assert_int_equal(frame_rip(tm), after);
	assert_int_equal(tm->cpu->dr[6] & 0xf, DR6_B(0));
	tm_free(tm);
}

/* Vol. 3B §17.3.1.1: "if a code instruction breakpoint is placed on an
 * instruction located immediately after a POP SS/MOV SS instruction, the
 * breakpoint may not be triggered.  In most situations, POP SS/MOV SS
 * will inhibit such interrupts."  softvtx inhibits it: DR0 on the NOP
 * after MOV SS does not fire, DR1 on the instruction after that does. */
static void movss_inhibits_exec_breakpoint(void **state)
{
	struct prog p = { .n = 0 };
	uint64_t shadowed, next;
	struct tm *tm;

	(void)state;
	arm(&p, 0, 0, DR7_L(0) | DR7_L(1));
	arm(&p, 1, 0, DR7_L(0) | DR7_L(1));
	emit(&p, (uint8_t[]){ 0x8e, 0xd3 }, 2);                 /* mov ss, ebx */
	shadowed = TM_CODE + p.n;
	emit1(&p, 0x90);
	next = TM_CODE + p.n;
	emit1(&p, 0x90);
	emit1(&p, 0xf4);
	p.n = 0;
	arm(&p, 0, shadowed, DR7_L(0) | DR7_L(1));
	arm(&p, 1, next, DR7_L(0) | DR7_L(1));
	p.n = (size_t)(next - TM_CODE) + 2;
	tm = setup64(&p);
	tm->cpu->gpr[R_RBX] = TM_SEL_DATA;
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DB);
	assert_int_equal(frame_rip(tm), next);
	assert_int_equal(tm->cpu->dr[6] & 0xf, DR6_B(1));
	tm_free(tm);
}

/* The run loop keeps breakpoints out of the fast path only while DR7 arms
 * them: after DR7 is cleared the same write runs without a trap, and
 * re-arming catches it again (the TLB is flushed each time). */
static void disarm_and_rearm(void **state)
{
	struct prog p = { .n = 0 };
	uint64_t after;
	struct tm *tm;

	(void)state;
	mov_rbx(&p, TM_DATA + 0x80);
	emit(&p, (uint8_t[]){ 0x88, 0x03 }, 2);                 /* mov [rbx], al (TLB fill) */
	arm(&p, 0, TM_DATA + 0x80, DR7_L(0) | DR7_RW(0, RW_WRITE));
	mov_rax(&p, 0x400);
	mov_dr_rax(&p, 7);
	emit(&p, (uint8_t[]){ 0x88, 0x03 }, 2);                 /* no trap */
	arm(&p, 1, TM_DATA + 0x80, DR7_L(1) | DR7_RW(1, RW_WRITE));
	emit(&p, (uint8_t[]){ 0x88, 0x03 }, 2);                 /* trap, B1 */
	after = TM_CODE + p.n;
	emit1(&p, 0xf4);
	tm = setup64(&p);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DB);
	assert_int_equal(frame_rip(tm), after);
	assert_int_equal(tm->cpu->dr[6] & 0xf, DR6_B(1));
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exec_breakpoint_is_a_fault),
		cmocka_unit_test(exec_breakpoint_enables),
		cmocka_unit_test(rf_suppresses_exec_breakpoint_once),
		cmocka_unit_test(write_breakpoint_is_a_trap),
		cmocka_unit_test(read_write_breakpoint),
		cmocka_unit_test(len_matching),
		cmocka_unit_test(faulting_access_reports_no_breakpoint),
		cmocka_unit_test(io_breakpoint),
		cmocka_unit_test(movss_delays_single_step),
		cmocka_unit_test(popss_delays_single_step),
		cmocka_unit_test(movss_delays_data_breakpoint),
		cmocka_unit_test(movss_inhibits_exec_breakpoint),
		cmocka_unit_test(disarm_and_rearm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
