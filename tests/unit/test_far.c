/* Far JMP, far CALL (direct, through call gates, to task gates) and far
 * RET in every mode.  Every expected value follows the SDM rule quoted
 * above the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/seg.h"
#include "segtest.h"

#define S_KCODE   0x40  /* 32-bit code, DPL 0, not accessed */
#define S_UCODE   0x48  /* 32-bit code, DPL 3 */
#define S_CONF    0x50  /* 32-bit conforming code, DPL 0 */
#define S_NPCODE  0x58  /* code, not present */
#define S_LDCODE  0x60  /* L = 1 and D = 1 (invalid in IA-32e mode) */
#define S_CODE16  0x68  /* 16-bit code, base TM_CODE, limit 0xffff */
#define S_KDATA   0x70  /* data, DPL 0 */
#define S_GATE32  0x78  /* 32-bit call gate, DPL 3 -> S_KCODE:GATE_TARGET, 2 params */
#define S_TSS     0x80  /* 32-bit TSS at TSS_BASE */
#define S_KSTACK  0x88  /* RW data, DPL 0, not accessed: the inner stack */
#define S_TGATE   0x90  /* task gate, DPL 3 -> S_TSS */
#define S_GATE16  0x98  /* 16-bit call gate, DPL 3 -> S_KCODE:GATE_TARGET, 1 param */
#define S_KGATE   0xa0  /* 32-bit call gate, DPL 0 */
#define S_NPGATE  0xa8  /* 32-bit call gate, DPL 3, not present */
#define S_GATE64  0xb0  /* 64-bit call gate (16 bytes), DPL 3 -> code64 */
#define S_SMALL   0xc0  /* 32-bit code, limit 0xfff */
#define S_UDATA3  0xc8  /* RW data, DPL 3 */
#define S_NPSTACK 0xd0  /* RW data, DPL 0, not present */
#define S_KCODE64 0xd8  /* 64-bit code, DPL 0, not accessed */

#define TSS_BASE    0x4000ull
#define GATE_TARGET 0x00101000u
#define KSTACK_TOP  0x280000u
#define USTACK      0x2ff000u

static struct tm *setup(enum tm_mode mode)
{
	struct tm *tm = tm_new(mode);

	grow_gdt(tm);
	put_gdt(tm, S_KCODE, mkdesc(0, 0xfffff, 0x9a, 0xc));
	put_gdt(tm, S_UCODE, mkdesc(0, 0xfffff, 0xfa, 0xc));
	put_gdt(tm, S_CONF, mkdesc(0, 0xfffff, 0x9e, 0xc));
	put_gdt(tm, S_NPCODE, mkdesc(0, 0xfffff, 0x1a, 0xc));
	put_gdt(tm, S_LDCODE, mkdesc(0, 0xfffff, 0x9a, 0xe));
	put_gdt(tm, S_CODE16, mkdesc((uint32_t)TM_CODE, 0xffff, 0x9a, 0x0));
	put_gdt(tm, S_KDATA, mkdesc(0, 0xfffff, 0x92, 0xc));
	put_gdt(tm, S_GATE32, mkgate(S_KCODE, GATE_TARGET, 0xec, 2));
	put_gdt(tm, S_TSS, mkdesc((uint32_t)TSS_BASE, 0x67, 0x8b, 0));
	put_gdt(tm, S_KSTACK, mkdesc(0, 0xfffff, 0x92, 0xc));
	put_gdt(tm, S_TGATE, mkgate(S_TSS, 0, 0xe5, 0));
	put_gdt(tm, S_GATE16, mkgate(S_KCODE, GATE_TARGET, 0xe4, 1));
	put_gdt(tm, S_KGATE, mkgate(S_KCODE, GATE_TARGET, 0x8c, 0));
	put_gdt(tm, S_NPGATE, mkgate(S_KCODE, GATE_TARGET, 0x6c, 0));
	put_gdt(tm, S_SMALL, mkdesc(0, 0xfff, 0x9a, 0x4));
	put_gdt(tm, S_UDATA3, mkdesc(0, 0xfffff, 0xf2, 0xc));
	put_gdt(tm, S_NPSTACK, mkdesc(0, 0xfffff, 0x12, 0xc));
	put_gdt(tm, S_KCODE64, mkdesc(0, 0xfffff, 0x9a, 0xa));
	/* The current TSS (busy, as after LTR). */
	tm->cpu->seg[SEG_TR] = (struct seg){ S_TSS, TSS_BASE, 0x67, SEG_P | SYS_TSS_BUSY };
	if (mode == TM_LONG64) {
		tm_write(tm, TSS_BASE + 4, 8, KSTACK_TOP);          /* RSP0 */
	} else {
		tm_write(tm, TSS_BASE + 4, 4, KSTACK_TOP);          /* ESP0 */
		tm_write(tm, TSS_BASE + 8, 2, S_KSTACK);            /* SS0 */
	}
	return tm;
}

static void user_stack(struct tm *tm)
{
	to_user(tm);
	tm->cpu->gpr[R_RSP] = USTACK;
}

/* SDM Vol. 2 "JMP": a far JMP from compatibility mode to a code segment
 * with L = 1 enters 64-bit mode (Vol. 3A §9.8.5: "the processor enters
 * 64-bit mode when CS.L = 1"); the target decodes as 64-bit code. */
static void jmp_compat_to_64(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	uint8_t code[0x40] = {
		0xea, 0x10, 0x00, 0x10, 0x00, 0x08, 0x00, /* ljmp 0x08:0x100010 */
	};
	static const uint8_t tgt[] = {
		0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* movabs rax */
		0xf4,
	};

	(void)state;
	memcpy(code + 0x10, tgt, sizeof(tgt));
	cpu->seg[SEG_CS] = (struct seg){ TM_SEL_CODE32, 0, 0xffffffff,
		SEG_P | SEG_S | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB | SEG_G };
	cpu_update_mode(cpu);
	assert_int_equal(cpu->mode, MODE_COMPAT);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_CODE64);
	assert_int_equal(cpu->gpr[R_RAX], 0x1122334455667788ull);
	assert_int_equal(cpu->rip, TM_CODE + 0x10 + sizeof(tgt));
	tm_free(tm);
}

/* SDM Vol. 2 "JMP" (FF /5, m16:32 in 64-bit mode): a code segment with
 * L = 0, D = 1 enters compatibility mode with 32-bit code; the accessed
 * bit of the new CS descriptor is set; CS.RPL := CPL. */
static void jmp_64_to_compat(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = {
		0xff, 0x2c, 0x25, 0x00, 0x00, 0x20, 0x00, /* ljmp [0x200000] */
	};

	(void)state;
	tm_write(tm, TM_DATA, 4, TM_CODE + 0x20);
	tm_write(tm, TM_DATA + 4, 2, S_KCODE | 0);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(exec1(tm, code, sizeof(code)), X_JUMP);
	assert_int_equal(cpu->mode, MODE_COMPAT);
	assert_int_equal(cpu->code_size, 4);
	assert_int_equal(cpu->seg[SEG_CS].sel, S_KCODE);
	assert_int_equal(cpu->rip, TM_CODE + 0x20);
	assert_int_equal(gdt_access(tm, S_KCODE), 0x9b);
	tm_free(tm);
}

/* SDM Vol. 2 "JMP", protected mode: a 16-bit code segment (D = 0) makes
 * the target decode as 16-bit code (Vol. 3A §5.2.1: D flag). */
static void jmp_prot_to_16(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	uint8_t code[0x20] = {
		0xea, 0x10, 0x00, 0x00, 0x00, S_CODE16, 0x00, /* ljmp S_CODE16:0x10 */
	};
	static const uint8_t tgt[] = { 0xb8, 0x34, 0x12, 0xf4 }; /* mov ax, 0x1234; hlt */

	(void)state;
	memcpy(code + 0x10, tgt, sizeof(tgt));
	cpu->gpr[R_RAX] = 0xaaaa0000;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->code_size, 2);
	assert_int_equal(cpu->mode, MODE_PROT);
	assert_int_equal(cpu->gpr[R_RAX], 0xaaaa1234);
	assert_int_equal(cpu->rip, 0x14);
	assert_int_equal(cpu->seg[SEG_CS].base, TM_CODE);
	tm_free(tm);
}

/* SDM Vol. 2 "JMP" protected-mode checks:
 *   null selector -> #GP(0); index beyond the table -> #GP(selector);
 *   not code/gate/TSS -> #GP(selector);
 *   non-conforming: RPL > CPL or DPL != CPL -> #GP(selector);
 *   conforming: DPL > CPL -> #GP(selector);
 *   not present -> #NP(selector); offset beyond the limit -> #GP(0). */
static void jmp_faults(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	st = EXEC(tm, 0xea, 0, 0, 0, 0, 0x03, 0x00);
	assert_fault(tm, st, EXC_GP, 0);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, 0x03, 0x04);
	assert_fault(tm, st, EXC_GP, 0x400);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_KDATA, 0);
	assert_fault(tm, st, EXC_GP, S_KDATA);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_UCODE | 3, 0);  /* DPL 3 != CPL 0 */
	assert_fault(tm, st, EXC_GP, S_UCODE);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_KCODE | 3, 0);  /* RPL 3 > CPL 0 */
	assert_fault(tm, st, EXC_GP, S_KCODE);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_NPCODE, 0);
	assert_fault(tm, st, EXC_NP, S_NPCODE);
	st = EXEC(tm, 0xea, 0x00, 0x10, 0, 0, S_SMALL, 0); /* 0x1000 > 0xfff */
	assert_fault(tm, st, EXC_GP, 0);
	assert_int_equal(EXEC(tm, 0xea, 0xff, 0x0f, 0, 0, S_SMALL, 0), X_JUMP);
	assert_int_equal(cpu->rip, 0xfff);
	/* 16-bit operand size: ptr16:16. */
	assert_int_equal(EXEC(tm, 0x66, 0xea, 0x34, 0x12, S_KCODE, 0), X_JUMP);
	assert_int_equal(cpu->rip, 0x1234);
	/* CPL 3: DPL-0 non-conforming code is out of reach... */
	to_user(tm);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_KCODE | 3, 0);
	assert_fault(tm, st, EXC_GP, S_KCODE);
	/* ...conforming code is entered at CPL 3, CS.RPL := CPL. */
	assert_int_equal(EXEC(tm, 0xea, 0x00, 0x20, 0x10, 0x00, S_CONF, 0), X_JUMP);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->seg[SEG_CS].sel, S_CONF | 3);
	assert_int_equal(cpu->rip, 0x102000);
	tm_free(tm);
}

/* SDM Vol. 2 "JMP", IA-32e mode: "IF L-Bit = 1 and D-BIT = 1 and
 * IA32_EFER.LMA = 1 THEN #GP(new code segment selector)"; task gates and
 * TSSs are not valid targets in IA-32e mode (#GP(selector), no task
 * switch); a 64-bit target offset must be canonical (#GP(0)). */
static void jmp_ia32e_faults(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	cpu->gpr[R_RBX] = TM_DATA;
	tm_write(tm, TM_DATA, 4, 0x1000);
	tm_write(tm, TM_DATA + 4, 2, S_LDCODE);
	st = EXEC(tm, 0xff, 0x2b);                         /* ljmp [rbx] */
	assert_fault(tm, st, EXC_GP, S_LDCODE);
	tm_write(tm, TM_DATA + 4, 2, S_TGATE);
	st = EXEC(tm, 0xff, 0x2b);
	assert_fault(tm, st, EXC_GP, S_TGATE);
	assert_int_equal(cpu->unimpl_mnemonic[0], 0);
	/* REX.W: m16:64. */
	tm_write(tm, TM_DATA, 8, 0x0000800000000000ull);
	tm_write(tm, TM_DATA + 8, 2, S_KCODE64);
	st = EXEC(tm, 0x48, 0xff, 0x2b);
	assert_fault(tm, st, EXC_GP, 0);
	tm_write(tm, TM_DATA, 8, 0xffff800000000000ull);
	assert_int_equal(EXEC(tm, 0x48, 0xff, 0x2b), X_JUMP);
	assert_int_equal(cpu->rip, 0xffff800000000000ull);
	assert_int_equal(cpu->mode, MODE_LONG);
	tm_free(tm);
}

/* SDM Vol. 2 "JMP"/"CALL", TASK-GATE / TASK-STATE-SEGMENT, the checks
 * made before any switch (the switches themselves are test_task.c):
 * through a task gate, "IF TSS descriptor specifies that the TSS is busy
 * THEN #GP(TSS selector)"; "IF TSS is not present THEN #NP(TSS
 * selector)"; a busy TSS named directly: "TSS descriptor indicates TSS
 * not available THEN #GP(TSS selector)".  Nothing is reported as
 * unimplemented any more. */
static void task_targets_checked(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	put_gdt(tm, 0xe0, mkdesc((uint32_t)TSS_BASE, 0x67, 0x09, 0));
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TGATE, 0);
	assert_fault(tm, st, EXC_GP, S_TSS);
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, 0xe0, 0);
	assert_fault(tm, st, EXC_NP, 0xe0);
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_TSS, 0);
	assert_fault(tm, st, EXC_GP, S_TSS);
	assert_int_equal(cpu->unimpl_mnemonic[0], 0);
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSS);
	tm_free(tm);
}

/* SDM Vol. 2 "CALL", protected mode, same privilege: push CS (padded to
 * 32 bits) and EIP, load CS with RPL := CPL; with too little stack room
 * "#SS(0)" and nothing changes. */
static void call_direct(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	cpu->rip = 0x100000;
	cpu->gpr[R_RSP] = 0x2ff000;
	tm_write(tm, 0x2ff000 - 8, 8, ~0ull);
	assert_int_equal(EXEC(tm, 0x9a, 0x78, 0x56, 0x34, 0x00, S_KCODE, 0), X_JUMP);
	assert_int_equal(cpu->rip, 0x345678);
	assert_int_equal(cpu->seg[SEG_CS].sel, S_KCODE);
	assert_int_equal(cpu->gpr[R_RSP], 0x2ff000 - 8);
	assert_int_equal(tm_read(tm, 0x2ff000 - 8, 4), 0x100007);
	assert_int_equal(tm_read(tm, 0x2ff000 - 4, 4), TM_SEL_CODE32);
	/* 16-bit operand size: two words. */
	assert_int_equal(EXEC(tm, 0x66, 0x9a, 0x00, 0x10, TM_SEL_CODE32, 0), X_JUMP);
	assert_int_equal(cpu->gpr[R_RSP], 0x2ff000 - 12);
	assert_int_equal(tm_read(tm, 0x2ff000 - 12, 2), 0x567e);
	assert_int_equal(tm_read(tm, 0x2ff000 - 10, 2), S_KCODE);
	/* Stack limit 0x103, ESP 0x105: the CS push would cover
	 * 0x101..0x104, beyond the limit. */
	cpu->seg[SEG_SS].limit = 0x103;
	cpu->gpr[R_RSP] = 0x105;
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_KCODE, 0);
	assert_fault(tm, st, EXC_SS, 0);
	assert_int_equal(cpu->gpr[R_RSP], 0x105);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_CODE32);
	assert_int_equal(cpu->rip, 0x1000);
	tm_free(tm);
}

/* SDM Vol. 2 "CALL", MORE-PRIVILEGE through a 32-bit call gate from
 * CPL 3: new SS:ESP from the 32-bit TSS (SS0 at +8, ESP0 at +4); push old
 * SS and ESP, copy "parameter count" dwords from the old stack in the
 * same order, push old CS and EIP; CPL := DPL of the target (0). */
static void call_gate32_inner_and_back(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	uint32_t nsp = KSTACK_TOP - 24;

	(void)state;
	user_stack(tm);
	cpu->rip = 0x100100;
	tm_write(tm, USTACK, 4, 0x11111111);
	tm_write(tm, USTACK + 4, 4, 0x22222222);
	assert_int_equal(EXEC(tm, 0x9a, 0, 0, 0, 0, S_GATE32 | 3, 0), X_JUMP);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->seg[SEG_CS].sel, S_KCODE);
	assert_int_equal(cpu->rip, GATE_TARGET);
	assert_int_equal(cpu->seg[SEG_SS].sel, S_KSTACK);
	assert_int_equal(cpu->gpr[R_RSP], nsp);
	assert_int_equal(tm_read(tm, nsp + 20, 4), TM_SEL_UDATA);
	assert_int_equal(tm_read(tm, nsp + 16, 4), USTACK);
	assert_int_equal(tm_read(tm, nsp + 12, 4), 0x22222222);
	assert_int_equal(tm_read(tm, nsp + 8, 4), 0x11111111);
	assert_int_equal(tm_read(tm, nsp + 4, 4), TM_SEL_UCODE32);
	assert_int_equal(tm_read(tm, nsp + 0, 4), 0x100107);
	assert_int_equal(gdt_access(tm, S_KCODE), 0x9b);
	assert_int_equal(gdt_access(tm, S_KSTACK), 0x93);

	/* SDM Vol. 2 "RET", RETURN-TO-OUTER-PRIVILEGE-LEVEL with imm16 8:
	 * EIP, CS, then ESP += 8, then ESP and SS from the stack, then
	 * ESP += 8 on the outer stack; DS/ES/FS/GS holding data with
	 * DPL < new CPL become null. */
	assert_int_equal(seg_load(cpu, SEG_DS, S_KDATA), X_OK);
	assert_int_equal(seg_load(cpu, SEG_FS, S_UDATA3), X_OK);
	assert_int_equal(seg_load(cpu, SEG_GS, S_CONF), X_OK);
	assert_int_equal(EXEC(tm, 0xca, 0x08, 0x00), X_JUMP);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_UCODE32);
	assert_int_equal(cpu->rip, 0x100107);
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_UDATA);
	assert_int_equal(cpu->gpr[R_RSP], USTACK + 8);
	assert_int_equal(cpu->seg[SEG_DS].sel, 0);
	assert_true(cpu->seg[SEG_DS].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->seg[SEG_FS].sel, S_UDATA3);
	assert_int_equal(cpu->seg[SEG_GS].sel, S_CONF);       /* conforming: kept */
	assert_int_equal(cpu->seg[SEG_ES].sel, TM_SEL_UDATA);
	tm_free(tm);
}

/* SDM Vol. 2 "CALL", MORE-PRIVILEGE through a 16-bit call gate: the
 * pushes and the copied parameters are words and the target offset is
 * the gate's low 16 bits. */
static void call_gate16_inner(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	uint32_t nsp = KSTACK_TOP - 10;

	(void)state;
	user_stack(tm);
	cpu->rip = 0x100100;
	tm_write(tm, USTACK, 4, 0x33334444);
	assert_int_equal(EXEC(tm, 0x9a, 0, 0, 0, 0, S_GATE16 | 3, 0), X_JUMP);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->rip, GATE_TARGET & 0xffff);
	assert_int_equal(cpu->gpr[R_RSP], nsp);
	assert_int_equal(tm_read(tm, nsp + 8, 2), TM_SEL_UDATA);
	assert_int_equal(tm_read(tm, nsp + 6, 2), USTACK & 0xffff);
	assert_int_equal(tm_read(tm, nsp + 4, 2), 0x4444);
	assert_int_equal(tm_read(tm, nsp + 2, 2), TM_SEL_UCODE32);
	assert_int_equal(tm_read(tm, nsp + 0, 2), 0x0107);
	tm_free(tm);
}

/* SDM Vol. 2 "CALL", CALL-GATE checks: gate DPL < CPL or < RPL ->
 * #GP(gate selector); gate not present -> #NP(gate selector); SAME-
 * PRIVILEGE when the target DPL = CPL: only CS:EIP are pushed. */
static void call_gate_checks(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	cpu->rip = 0x100000;
	cpu->gpr[R_RSP] = 0x2ff000;
	assert_int_equal(EXEC(tm, 0x9a, 0, 0, 0, 0, S_GATE32, 0), X_JUMP);
	assert_int_equal(cpu->gpr[R_RSP], 0x2ff000 - 8);
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_DATA);
	assert_int_equal(tm_read(tm, 0x2ff000 - 4, 4), TM_SEL_CODE32);
	assert_int_equal(tm_read(tm, 0x2ff000 - 8, 4), 0x100007);
	assert_int_equal(cpu->rip, GATE_TARGET);
	user_stack(tm);
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_KGATE | 3, 0);
	assert_fault(tm, st, EXC_GP, S_KGATE);
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_NPGATE | 3, 0);
	assert_fault(tm, st, EXC_NP, S_NPGATE);
	/* JMP through a gate never changes privilege: DPL 0 != CPL 3. */
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_GATE32 | 3, 0);
	assert_fault(tm, st, EXC_GP, S_KCODE);
	tm_free(tm);
}

/* SDM Vol. 2 "CALL", MORE-PRIVILEGE faults: TSS too short -> #TS(TSS
 * selector); NewSS null -> #TS(NewSS); NewSS RPL or DPL != new CPL, or not
 * writable data -> #TS(NewSS); NewSS not present -> #SS(NewSS); new stack
 * too small -> #SS(NewSS).  Nothing is committed. */
static void call_gate_stack_faults(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	user_stack(tm);
	cpu->seg[SEG_TR].limit = 8;
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_GATE32 | 3, 0);
	assert_fault(tm, st, EXC_TS, S_TSS);
	cpu->seg[SEG_TR].limit = 0x67;
	tm_write(tm, TSS_BASE + 8, 2, 0);
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_GATE32 | 3, 0);
	assert_fault(tm, st, EXC_TS, 0);
	tm_write(tm, TSS_BASE + 8, 2, S_KSTACK | 1);
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_GATE32 | 3, 0);
	assert_fault(tm, st, EXC_TS, S_KSTACK);
	tm_write(tm, TSS_BASE + 8, 2, S_KCODE);
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_GATE32 | 3, 0);
	assert_fault(tm, st, EXC_TS, S_KCODE);
	tm_write(tm, TSS_BASE + 8, 2, S_NPSTACK);
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_GATE32 | 3, 0);
	assert_fault(tm, st, EXC_SS, S_NPSTACK);
	/* A 16-bit stack with limit 0xfff0 and SP = 0: the pushes wrap to
	 * 0xfffc.., beyond the limit. */
	put_gdt(tm, 0xe0, mkdesc(0, 0xfff0, 0x92, 0x0));
	tm_write(tm, TSS_BASE + 8, 2, 0xe0);
	tm_write(tm, TSS_BASE + 4, 4, 0x20000);
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_GATE32 | 3, 0);
	assert_fault(tm, st, EXC_SS, 0xe0);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->gpr[R_RSP], USTACK);
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_UDATA);
	tm_free(tm);
}

/* SDM Vol. 2 "CALL", IA-32e MORE-PRIVILEGE through a 64-bit call gate:
 * "NewSS := new code-segment DPL (NULL selector with RPL = new CPL);
 * NewRSP := RSP0 of the 64-bit TSS"; old SS, RSP, CS, RIP are pushed as
 * quadwords; no parameters.  Then "RET" (REX.W) back to CPL 3 reloads
 * SS:RSP from the stack. */
static void call_gate64_inner_and_back(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	uint64_t target = TM_CODE + 0x40, nsp = KSTACK_TOP - 32;

	(void)state;
	put_gdt(tm, S_GATE64, mkgate(TM_SEL_CODE64, (uint32_t)target, 0xec, 0));
	put_gdt(tm, S_GATE64 + 8, target >> 32);
	user_stack(tm);
	cpu->rip = 0x100100;
	tm_write(tm, TM_DATA, 4, 0);
	tm_write(tm, TM_DATA + 4, 2, S_GATE64 | 3);
	cpu->gpr[R_RBX] = TM_DATA;
	assert_int_equal(EXEC(tm, 0xff, 0x1b), X_JUMP);         /* lcall [rbx] */
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_CODE64);
	assert_int_equal(cpu->rip, target);
	assert_int_equal(cpu->seg[SEG_SS].sel, 0);
	assert_int_equal(cpu->gpr[R_RSP], nsp);
	assert_int_equal(tm_read(tm, nsp + 24, 8), TM_SEL_UDATA);
	assert_int_equal(tm_read(tm, nsp + 16, 8), USTACK);
	assert_int_equal(tm_read(tm, nsp + 8, 8), TM_SEL_UCODE64);
	assert_int_equal(tm_read(tm, nsp + 0, 8), 0x100102);
	assert_int_equal(EXEC(tm, 0x48, 0xcb), X_JUMP);          /* retfq */
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->rip, 0x100102);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_UCODE64);
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_UDATA);
	assert_int_equal(cpu->gpr[R_RSP], USTACK);
	tm_free(tm);
}

/* SDM Vol. 3A §5.8.3.1 / Vol. 2 "CALL" IA-32e: a 64-bit call gate's upper
 * type field must be 0 (#GP(gate selector)), a 16-bit gate type is not a
 * valid IA-32e target (#GP(selector)), and the gate's code segment must
 * be 64-bit code (#GP(code selector)). */
static void call_gate64_faults(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	cpu->gpr[R_RBX] = TM_DATA;
	tm_write(tm, TM_DATA, 4, 0);
	put_gdt(tm, S_GATE64, mkgate(TM_SEL_CODE64, 0x1000, 0xec, 0));
	put_gdt(tm, S_GATE64 + 8, 1ull << 40);
	tm_write(tm, TM_DATA + 4, 2, S_GATE64);
	st = EXEC(tm, 0xff, 0x1b);
	assert_fault(tm, st, EXC_GP, S_GATE64);
	tm_write(tm, TM_DATA + 4, 2, S_GATE16);
	st = EXEC(tm, 0xff, 0x1b);
	assert_fault(tm, st, EXC_GP, S_GATE16);
	put_gdt(tm, S_GATE64, mkgate(S_KCODE, 0x1000, 0xec, 0));
	put_gdt(tm, S_GATE64 + 8, 0);
	tm_write(tm, TM_DATA + 4, 2, S_GATE64);
	st = EXEC(tm, 0xff, 0x1b);
	assert_fault(tm, st, EXC_GP, S_KCODE);
	tm_free(tm);
}

/* SDM Vol. 2 "RET" protected-mode checks: return CS null -> #GP(0);
 * RPL < CPL -> #GP(selector); non-conforming DPL != RPL ->
 * #GP(selector); outer return with SS RPL != CS RPL -> #GP(SS selector);
 * SS not present -> #SS(SS selector). */
static void retf_faults(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	uint64_t sp = 0x2ff000;
	int st;

	(void)state;
	cpu->gpr[R_RSP] = sp;
	tm_write(tm, sp, 4, 0x1000);
	tm_write(tm, sp + 4, 4, 0);
	st = EXEC(tm, 0xcb);
	assert_fault(tm, st, EXC_GP, 0);
	tm_write(tm, sp + 4, 4, S_UCODE);                 /* RPL 0, DPL 3 */
	st = EXEC(tm, 0xcb);
	assert_fault(tm, st, EXC_GP, S_UCODE);
	tm_write(tm, sp + 4, 4, S_UCODE | 3);
	tm_write(tm, sp + 8, 4, 0x3000);
	tm_write(tm, sp + 12, 4, S_UDATA3 | 2);
	st = EXEC(tm, 0xcb);
	assert_fault(tm, st, EXC_GP, S_UDATA3);
	put_gdt(tm, 0xe0, mkdesc(0, 0xfffff, 0x72, 0xc));  /* DPL 3, not present */
	tm_write(tm, sp + 12, 4, 0xe3);
	st = EXEC(tm, 0xcb);
	assert_fault(tm, st, EXC_SS, 0xe0);
	assert_int_equal(cpu->gpr[R_RSP], sp);
	assert_int_equal(cpu->cpl, 0);
	/* The valid outer return, 16-bit operand size. */
	tm_write(tm, sp, 2, 0x1234);
	tm_write(tm, sp + 2, 2, S_UCODE | 3);
	tm_write(tm, sp + 4, 2, 0x5678);
	tm_write(tm, sp + 6, 2, S_UDATA3 | 3);
	assert_int_equal(EXEC(tm, 0x66, 0xcb), X_JUMP);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->rip, 0x1234);
	assert_int_equal(cpu->gpr[R_RSP], 0x5678);
	/* RPL 0 < CPL 3. */
	cpu->gpr[R_RSP] = sp;
	tm_write(tm, sp + 4, 4, S_KCODE);
	st = EXEC(tm, 0xcb);
	assert_fault(tm, st, EXC_GP, S_KCODE);
	tm_free(tm);
}

/* SDM Vol. 2 "CALL"/"JMP"/"RET", real-address mode: CALL pushes CS and
 * IP, CS := selector with base selector * 16; RET pops them back; an
 * offset beyond the CS limit (FFFFH) is #GP(0). */
static void real_mode_far(void **state)
{
	struct tm *tm = setup(TM_REAL);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	cpu->seg[SEG_CS].sel = 0x1000;
	cpu->seg[SEG_CS].base = 0x10000;
	cpu->rip = 0x0100;
	assert_int_equal(EXEC(tm, 0x9a, 0x10, 0x00, 0x00, 0x20), X_JUMP); /* lcall 2000:0010 */
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x2000);
	assert_int_equal(cpu->seg[SEG_CS].base, 0x20000);
	assert_int_equal(cpu->rip, 0x10);
	assert_int_equal(cpu->gpr[R_RSP], 0x7ffc);
	assert_int_equal(tm_read(tm, 0x7ffe, 2), 0x1000);
	assert_int_equal(tm_read(tm, 0x7ffc, 2), 0x0105);
	assert_int_equal(EXEC(tm, 0xcb), X_JUMP);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x1000);
	assert_int_equal(cpu->rip, 0x105);
	assert_int_equal(cpu->gpr[R_RSP], 0x8000);
	st = EXEC(tm, 0x66, 0xea, 0x00, 0x00, 0x01, 0x00, 0x00, 0x20); /* 2000:00010000 */
	assert_fault(tm, st, EXC_GP, 0);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x1000);
	tm_free(tm);
}

/* SDM Vol. 2 "JMP", virtual-8086 mode: as in real mode, and the new CS
 * is a 64-KByte DPL-3 segment (Vol. 3A §20.2.1). */
static void vm86_far_jmp(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	flags_write(cpu, flags_read(cpu) | RFLAGS_VM);
	cpu_update_mode(cpu);
	assert_int_equal(EXEC(tm, 0xea, 0x34, 0x12, 0x00, 0x30), X_JUMP);
	assert_int_equal(cpu->mode, MODE_VM86);
	assert_int_equal(cpu->seg[SEG_CS].base, 0x30000);
	assert_int_equal(cpu->seg[SEG_CS].limit, 0xffff);
	assert_int_equal(cpu->rip, 0x1234);
	assert_int_equal(cpu->code_size, 2);
	tm_free(tm);
}

/* SDM Vol. 2 "RET", IA-32E-MODE-RETURN-TO-OUTER-PRIVILEGE-LEVEL: "IF
 * stack segment selector is NULL THEN IF new CS descriptor L-bit = 0 THEN
 * #GP(selector); IF stack segment selector RPL = 3 THEN #GP(selector)";
 * otherwise a null SS with RPL = new CPL is loaded.  64-bit operand size
 * pops quadwords. */
static void retf_ia32e_null_ss(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	uint64_t sp = 0x2ff000;
	int st;

	(void)state;
	put_gdt(tm, 0xe0, mkdesc(0, 0xfffff, 0xba, 0xa));   /* 64-bit code, DPL 1 */
	put_gdt(tm, 0xe8, mkdesc(0, 0xfffff, 0xda, 0xc));   /* 32-bit code, DPL 2 */
	put_gdt(tm, 0xf0, mkdesc(0, 0xfffff, 0xfa, 0xa));   /* 64-bit code, DPL 3 */
	cpu->gpr[R_RSP] = sp;
	tm_write(tm, sp, 8, 0xffff800000001000ull);
	tm_write(tm, sp + 8, 8, 0xe1);
	tm_write(tm, sp + 16, 8, 0x12345678);
	tm_write(tm, sp + 24, 8, 0x0003);                    /* null, RPL 3 */
	st = EXEC(tm, 0x48, 0xcb);
	assert_fault(tm, st, EXC_GP, 0);
	tm_write(tm, sp + 8, 8, 0xea);                       /* compat target */
	tm_write(tm, sp + 24, 8, 0x0002);
	st = EXEC(tm, 0x48, 0xcb);
	assert_fault(tm, st, EXC_GP, 0);
	tm_write(tm, sp + 8, 8, 0xf3);                       /* CPL 3, null SS 3 */
	tm_write(tm, sp + 24, 8, 0x0003);
	st = EXEC(tm, 0x48, 0xcb);
	assert_fault(tm, st, EXC_GP, 0);
	tm_write(tm, sp + 8, 8, 0xe1);
	tm_write(tm, sp + 24, 8, 0x0001);
	assert_int_equal(EXEC(tm, 0x48, 0xcb), X_JUMP);
	assert_int_equal(cpu->cpl, 1);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->seg[SEG_SS].sel, 1);
	assert_true(cpu->seg[SEG_SS].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->gpr[R_RSP], 0x12345678);
	assert_int_equal(cpu->rip, 0xffff800000001000ull);
	tm_free(tm);
}

/* SDM Vol. 2 "RET", RETURN-TO-OUTER-PRIVILEGE-LEVEL (also taken by
 * IA-32E-MODE-RETURN-TO-OUTER-PRIVILEGE-LEVEL): "FOR each of segment
 * register (ES, FS, GS, and DS) DO IF segment register points to data or
 * non-conforming code segment and CPL > segment descriptor DPL (* DPL in
 * hidden part of segment register *) THEN SegmentSelector := 0".  A null
 * FS points to no segment and is left alone, so 64-bit code at CPL 3
 * keeps the FS base it took from IA32_FS_BASE (Vol. 3A §3.4.4); DS (DPL
 * 0) becomes null. */
static void retf_ia32e_outer_keeps_null_fs(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	uint64_t sp = 0x2fe000;

	(void)state;
	cpu->gpr[R_RSP] = sp;
	tm_write(tm, sp, 8, 0x100200);
	tm_write(tm, sp + 8, 8, TM_SEL_UCODE64);
	tm_write(tm, sp + 16, 8, USTACK);
	tm_write(tm, sp + 24, 8, TM_SEL_UDATA);
	assert_int_equal(seg_load(cpu, SEG_DS, S_KDATA), X_OK);
	cpu->seg[SEG_FS] = (struct seg){ 0, 0x7fff0000, 0, SEG_UNUSABLE };
	assert_int_equal(EXEC(tm, 0x48, 0xcb), X_JUMP);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->rip, 0x100200);
	assert_int_equal(cpu->gpr[R_RSP], USTACK);
	assert_int_equal(cpu->seg[SEG_DS].sel, 0);
	assert_true(cpu->seg[SEG_DS].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->seg[SEG_FS].sel, 0);
	assert_int_equal(cpu->seg[SEG_FS].base, 0x7fff0000);
	tm_free(tm);
}

/* SDM Vol. 2 "CALL", 64-bit mode with REX.W (m16:64): "Push(CS) (* Padded
 * with 48 high-order bits *); Push(RIP)"; a compatibility-mode target
 * takes the low 32 bits of the offset. */
static void call_far_64(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->rip = 0x100000;
	cpu->gpr[R_RSP] = 0x2ff000;
	cpu->gpr[R_RBX] = TM_DATA;
	tm_write(tm, TM_DATA, 8, 0xffff800000002000ull);
	tm_write(tm, TM_DATA + 8, 2, S_KCODE64);
	tm_write(tm, 0x2ff000 - 16, 8, ~0ull);
	tm_write(tm, 0x2ff000 - 8, 8, ~0ull);
	assert_int_equal(EXEC(tm, 0x48, 0xff, 0x1b), X_JUMP);   /* rex.w lcall [rbx] */
	assert_int_equal(cpu->rip, 0xffff800000002000ull);
	assert_int_equal(cpu->gpr[R_RSP], 0x2ff000 - 16);
	assert_int_equal(tm_read(tm, 0x2ff000 - 8, 8), TM_SEL_CODE64);
	assert_int_equal(tm_read(tm, 0x2ff000 - 16, 8), 0x100003);
	assert_int_equal(gdt_access(tm, S_KCODE64), 0x9b);
	/* Into compatibility mode: tempEIP AND FFFFFFFFH. */
	tm_write(tm, TM_DATA, 8, 0x0000000100003000ull);
	tm_write(tm, TM_DATA + 8, 2, S_KCODE);
	assert_int_equal(EXEC(tm, 0x48, 0xff, 0x1b), X_JUMP);
	assert_int_equal(cpu->mode, MODE_COMPAT);
	assert_int_equal(cpu->rip, 0x3000);
	assert_int_equal(cpu->gpr[R_RSP], 0x2ff000 - 32);
	tm_free(tm);
}

/* The same round trip through the run loop (decode cache, block ends at
 * each far transfer, CPL-dependent TLB index): user code calls through
 * the gate, the kernel reads its first parameter at [ESP + 8] (after the
 * return CS:EIP) and returns with RETF 8; the user code continues at the
 * next instruction with ESP = old ESP + 8. */
static void call_gate_round_trip_run(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t user[] = {
		0x9a, 0x00, 0x00, 0x00, 0x00, S_GATE32 | 3, 0x00, /* lcall gate */
		0xbb, 0x05, 0x00, 0x00, 0x00,                     /* mov ebx, 5 */
	};
	static const uint8_t kernel[] = {
		0x8b, 0x44, 0x24, 0x08,                           /* mov eax, [esp+8] */
		0xca, 0x08, 0x00,                                 /* retf 8 */
	};

	(void)state;
	tm_write(tm, USTACK, 4, 0x11111111);
	tm_write(tm, USTACK + 4, 4, 0x22222222);
	for (size_t i = 0; i < sizeof(kernel); i++)
		tm_write(tm, GATE_TARGET + i, 1, kernel[i]);
	tm_code(tm, user, sizeof(user));
	user_stack(tm);
	assert_int_equal(tm_run(tm, 4), STOP_BUDGET);
	assert_int_equal(cpu->icount, 4);
	assert_int_equal(cpu->gpr[R_RAX], 0x11111111);
	assert_int_equal(cpu->gpr[R_RBX], 5);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_UCODE32);
	assert_int_equal(cpu->gpr[R_RSP], USTACK + 8);
	assert_int_equal(cpu->rip, TM_CODE + sizeof(user));
	tm_free(tm);
}

/* SDM Vol. 3A §6.6 (faults leave no partial state): a page fault on the
 * new stack of a 64-bit call gate -- a supervisor-mode write, so the error
 * code is W (Vol. 3A §4.7) -- leaves CS, RIP, SS, RSP and CPL as they
 * were and CR2 names the first push (old SS at RSP0 - 8). */
static void call_gate64_stack_page_fault(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	uint64_t rsp0 = 0x40001000; /* beyond the fixture's 1-GiB map */
	int st;

	(void)state;
	put_gdt(tm, S_GATE64, mkgate(TM_SEL_CODE64, 0x101000, 0xec, 0));
	put_gdt(tm, S_GATE64 + 8, 0);
	tm_write(tm, TSS_BASE + 4, 8, rsp0);
	user_stack(tm);
	cpu->rip = 0x100100;
	tm_write(tm, TM_DATA, 4, 0);
	tm_write(tm, TM_DATA + 4, 2, S_GATE64 | 3);
	cpu->gpr[R_RBX] = TM_DATA;
	st = EXEC(tm, 0xff, 0x1b);
	assert_fault(tm, st, EXC_PF, PFEC_W);
	assert_int_equal(cpu->fault.cr2, rsp0 - 8);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->rip, 0x100100);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_UCODE64);
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_UDATA);
	assert_int_equal(cpu->gpr[R_RSP], USTACK);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jmp_compat_to_64),
		cmocka_unit_test(jmp_64_to_compat),
		cmocka_unit_test(jmp_prot_to_16),
		cmocka_unit_test(jmp_faults),
		cmocka_unit_test(jmp_ia32e_faults),
		cmocka_unit_test(task_targets_checked),
		cmocka_unit_test(call_direct),
		cmocka_unit_test(call_gate32_inner_and_back),
		cmocka_unit_test(call_gate_round_trip_run),
		cmocka_unit_test(call_gate16_inner),
		cmocka_unit_test(call_gate_checks),
		cmocka_unit_test(call_gate_stack_faults),
		cmocka_unit_test(call_gate64_inner_and_back),
		cmocka_unit_test(call_gate64_faults),
		cmocka_unit_test(call_gate64_stack_page_fault),
		cmocka_unit_test(retf_faults),
		cmocka_unit_test(retf_ia32e_null_ss),
		cmocka_unit_test(retf_ia32e_outer_keeps_null_fs),
		cmocka_unit_test(call_far_64),
		cmocka_unit_test(real_mode_far),
		cmocka_unit_test(vm86_far_jmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
