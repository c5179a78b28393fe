/* Event delivery (SDM Vol. 3A chapter 6, Vol. 2 INT n/IRET/SYSCALL/SYSRET/
 * SYSENTER/SYSEXIT).  Each test quotes the rule its expectations come
 * from; frames are read back from guest memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "tm_events.h"

static uint64_t rd4(struct tm *tm, uint64_t a) { return tm_read(tm, a, 4); }
static uint64_t rd8(struct tm *tm, uint64_t a) { return tm_read(tm, a, 8); }
static uint64_t rd2(struct tm *tm, uint64_t a) { return tm_read(tm, a, 2); }

static void put(struct tm *tm, uint64_t a, const uint8_t *b, size_t n)
{
	bus_write_bytes(tm->bus, a, b, n);
}

/* Real mode (Vol. 2 INT n, REAL-ADDRESS-MODE): "Push (EFLAGS[15:0]); IF :=
 * 0; TF := 0; AC := 0; Push(CS); Push(IP); CS := IDT(vector*4).selector;
 * EIP := IDT(vector*4).offset".  IRET (REAL-ADDRESS-MODE, 16-bit): "EIP :=
 * Pop(); CS := Pop(); EFLAGS[15:0] := Pop()". */
static void real_int_iret(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0xcd, 0x21, 0xf4 };            /* int 0x21; hlt */
	static const uint8_t handler[] = { 0xb8, 0x34, 0x12, 0xcf };   /* mov ax,0x1234; iret */

	(void)state;
	put(tm, 0x7000, code, sizeof(code));
	put(tm, 0x9000, handler, sizeof(handler));
	tm_write(tm, 0x21 * 4, 4, 0x09000000);                         /* 0900:0000 */
	cpu->seg[SEG_CS].sel = 0x0700;
	cpu->seg[SEG_CS].base = 0x7000;
	cpu->rip = 0;
	t_flags(tm, 0x203);                                            /* IF CF */
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x0900);
	assert_int_equal(cpu->seg[SEG_CS].base, 0x9000);
	assert_int_equal(cpu->rip, 0);
	assert_int_equal(cpu->gpr[R_RSP], 0x7ffa);
	assert_int_equal(rd2(tm, 0x7ffa), 0x0002);
	assert_int_equal(rd2(tm, 0x7ffc), 0x0700);
	assert_int_equal(rd2(tm, 0x7ffe), 0x0203);
	assert_int_equal(flags_read(cpu), 0x0003);
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->gpr[R_RAX] & 0xffff, 0x1234);
	assert_int_equal(cpu->gpr[R_RSP], 0x8000);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x0700);
	assert_int_equal(cpu->rip, 3);
	assert_int_equal(flags_read(cpu), 0x0203);
	tm_free(tm);
}

/* Real mode: "IF ((vector_number << 2) + 3) is not within IDT limit THEN
 * #GP"; the #GP is a fault (IP of the INT pushed) and real mode pushes no
 * error code (Vol. 3A §20.1.4). */
static void real_int_beyond_ivt_limit(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0x90, 0xcd, 0x21 };            /* nop; int 0x21 */

	(void)state;
	put(tm, 0x7000, code, sizeof(code));
	tm_write(tm, 0xa000, 1, 0xf4);
	tm_write(tm, EXC_GP * 4, 4, 0x0a000000);
	cpu->idtr.limit = 0x83;                                        /* ends before 0x84 */
	cpu->seg[SEG_CS].sel = 0x0700;
	cpu->seg[SEG_CS].base = 0x7000;
	cpu->rip = 0;
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x0a00);
	assert_int_equal(cpu->gpr[R_RSP], 0x7ffa);
	assert_int_equal(rd2(tm, 0x7ffa), 1);
	assert_int_equal(rd2(tm, 0x7ffc), 0x0700);
	tm_free(tm);
}

/* Protected mode, same privilege, 32-bit interrupt gate (Vol. 2 INT n,
 * INTRA-PRIVILEGE-LEVEL-INTERRUPT): "Push (EFLAGS); Push (far pointer to
 * return instruction); Push (ErrorCode) (* if any *)"; "IF IDT gate is
 * interrupt gate THEN IF := 0".  #UD has no error code and is a fault:
 * the pushed EIP is the faulting instruction's, and "for any fault-class
 * exception ... the value pushed for RF is 1" (Vol. 3B §17.3.1.1). */
static void prot32_ud_frame(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0x0f, 0x0b };                  /* ud2 */
	uint64_t esp = TM_STACK - 12;

	(void)state;
	t_idt(tm, 32);
	t_flags(tm, 0x203);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_UD);
	assert_int_equal(cpu->gpr[R_RSP], esp);
	assert_int_equal(rd4(tm, esp), TM_CODE);
	assert_int_equal(rd4(tm, esp + 4), TM_SEL_CODE32);
	assert_int_equal(rd4(tm, esp + 8), 0x10203);
	assert_int_equal(flags_read(cpu), 0x003);
	tm_free(tm);
}

/* "IF ((vector_number << 3) + 7) is not within IDT limits ... THEN
 * #GP(error_code(vector_number,1,EXT))": for INT n, EXT = 0, so the error
 * code is vector*8 + 2 (Vol. 3A §6.13). */
static void prot32_int_beyond_idt_limit(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	static const uint8_t code[] = { 0xcd, 0x40 };                  /* int 0x40 */
	uint64_t esp = TM_STACK - 16;

	(void)state;
	t_idt(tm, 32);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_GP);
	assert_int_equal(rd4(tm, esp), 0x40 * 8 + 2);
	assert_int_equal(rd4(tm, esp + 4), TM_CODE);
	tm_free(tm);
}

/* "IF gate not present THEN #NP(error_code(vector_number,1,EXT))": for a
 * processor exception EXT = 1 ("the exception occurred during delivery of
 * an event external to the program", §6.13): 6*8 + 2 + 1. */
static void prot32_gate_not_present_np(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	static const uint8_t code[] = { 0x0f, 0x0b };
	uint64_t esp = TM_STACK - 16;

	(void)state;
	t_idt(tm, 32);
	t_gate(tm, EXC_UD, SYS_INTGATE, 0, TM_SEL_CODE32, T_HBASE + 16 * EXC_UD, 0, 0);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_NP);
	assert_int_equal(rd4(tm, esp), 6 * 8 + 3);
	tm_free(tm);
}

/* Vol. 2 INT n, TASK-GATE: "IF local/global bit is set to local or index
 * not within GDT limits THEN #GP(error_code(TSS selector,0,EXT))"; the
 * #GP, raised while delivering #UD, is delivered serially (Table 6-5) with
 * EXT = 1.  (Switches through task gates are test_task.c.) */
static void prot32_task_gate_bad_tss(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	static const uint8_t code[] = { 0x0f, 0x0b };

	(void)state;
	t_idt(tm, 32);
	t_gate(tm, EXC_UD, SYS_TASKGATE, 0, 0x40, 0, 0, 1);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_GP);
	assert_int_equal(rd4(tm, TM_STACK - 16), 0x40 | 1);
	assert_int_equal(tm->cpu->unimpl_mnemonic[0], 0);
	tm_free(tm);
}

/* IA-32e mode (Vol. 2 INT n, 64-bit gate): "Push(far pointer to old
 * stack) (* Old SS and SP, each an 8-byte push *); Push(RFLAGS);
 * Push(far pointer to return instruction); Push(ErrorCode)", "RSP :=
 * NewRSP & FFFFFFFFFFFFFFF0H".  #PF: error code W=1, P=0 (not present),
 * U/S=0 (Vol. 3A §4.7), CR2 = faulting linear address. */
static void long64_pf_frame(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = {
		0x48, 0xb8, 0x00, 0x00, 0x00, 0x40, 0, 0, 0, 0,  /* mov rax, 0x40000000 */
		0x48, 0x89, 0x18,                                /* mov [rax], rbx */
	};
	uint64_t rsp = TM_STACK - 48;

	(void)state;
	t_idt(tm, 32);
	t_flags(tm, 0x202);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_PF);
	assert_int_equal(cpu->cr2, 0x40000000);
	assert_int_equal(cpu->gpr[R_RSP], rsp);
	assert_int_equal(rd8(tm, rsp), PFEC_W);
	assert_int_equal(rd8(tm, rsp + 8), TM_CODE + 10);
	assert_int_equal(rd8(tm, rsp + 16), TM_SEL_CODE64);
	assert_int_equal(rd8(tm, rsp + 24), 0x10202);
	assert_int_equal(rd8(tm, rsp + 32), TM_STACK);
	assert_int_equal(rd8(tm, rsp + 40), TM_SEL_DATA);
	assert_int_equal(flags_read(cpu), 0x002);
	tm_free(tm);
}

/* IST (Vol. 2 INT n, IA-32e): "IF IDT-descriptor IST != 0 THEN
 * TSSstackAddress := (IDT-descriptor IST << 3) + 28; NewRSP := 8 bytes
 * loaded from (current TSS base + TSSstackAddress)" even at the same
 * privilege; "RSP := NewRSP & FFFFFFFFFFFFFFF0H"; the old RSP is pushed
 * as it was. */
static void long64_ist(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0x0f, 0x0b };
	uint64_t rsp = T_STACK0 - 40;

	(void)state;
	t_idt(tm, 32);
	t_tss(tm, 0x67);
	tm_write(tm, T_TSS + 36, 8, T_STACK0 + 8);       /* IST1, not 16-aligned */
	t_gate(tm, EXC_UD, SYS_INTGATE, 0, TM_SEL_CODE64, T_HBASE + 16 * EXC_UD, 1, 1);
	cpu->gpr[R_RSP] = TM_STACK - 8;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_UD);
	assert_int_equal(cpu->gpr[R_RSP], rsp);
	assert_int_equal(rd8(tm, rsp), TM_CODE);
	assert_int_equal(rd8(tm, rsp + 8), TM_SEL_CODE64);
	assert_int_equal(rd8(tm, rsp + 24), TM_STACK - 8);
	assert_int_equal(rd8(tm, rsp + 32), TM_SEL_DATA);
	tm_free(tm);
}

/* CPL 3 -> 0 through a DPL-3 32-bit trap gate (INTER-PRIVILEGE-LEVEL-
 * INTERRUPT): "NewSS := 2 bytes loaded from (TSS base + TSSstackAddress +
 * 4); NewESP := 4 bytes loaded from (TSS base + TSSstackAddress)" with
 * TSSstackAddress = DPL*8 + 4; "Push(far pointer to old stack);
 * Push(EFLAGS); Push(far pointer to return instruction)"; a trap gate
 * leaves IF alone.  IRETD back (RETURN-TO-OUTER-PRIVILEGE-LEVEL) pops
 * ESP and SS as well. */
static void prot32_cpl3_int_and_iret(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0xcd, 0x80 };
	uint64_t esp = T_STACK0 - 20;

	(void)state;
	t_idt(tm, 256);
	t_gate(tm, 0x80, SYS_TRAPGATE, 3, TM_SEL_CODE32, T_HBASE + 0x800, 0, 1);
	tm_write(tm, T_HBASE + 0x800, 1, 0xcf);                        /* iretd */
	t_tss(tm, 0x67);
	t_user(tm);
	t_flags(tm, 0x202);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_CODE32);
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_DATA);
	assert_int_equal(cpu->rip, T_HBASE + 0x800);
	assert_int_equal(cpu->gpr[R_RSP], esp);
	assert_int_equal(rd4(tm, esp), TM_CODE + 2);
	assert_int_equal(rd4(tm, esp + 4), TM_SEL_UCODE32);
	assert_int_equal(rd4(tm, esp + 8), 0x202);
	assert_int_equal(rd4(tm, esp + 12), TM_STACK);
	assert_int_equal(rd4(tm, esp + 16), TM_SEL_UDATA);
	assert_int_equal(flags_read(cpu), 0x202);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_UCODE32);
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_UDATA);
	assert_int_equal(cpu->seg[SEG_DS].sel, TM_SEL_UDATA);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK);
	assert_int_equal(cpu->rip, TM_CODE + 2);
	tm_free(tm);
}

/* IA-32e CPL 3 -> 0: "NewRSP := 8 bytes loaded from (current TSS base +
 * TSSstackAddress); NewSS := new code-segment DPL; (* NULL selector with
 * RPL = new CPL *)"; the interrupt gate clears IF.  IRETQ pops RIP, CS,
 * RFLAGS, RSP and SS. */
static void long64_cpl3_int_and_iretq(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0xcd, 0x80 };
	static const uint8_t iretq[] = { 0x48, 0xcf };
	uint64_t rsp = T_STACK0 - 40;

	(void)state;
	t_idt(tm, 256);
	t_gate(tm, 0x80, SYS_INTGATE, 3, TM_SEL_CODE64, T_HBASE + 0x800, 0, 1);
	put(tm, T_HBASE + 0x800, iretq, sizeof(iretq));
	t_tss(tm, 0x67);
	t_user(tm);
	t_flags(tm, 0x202);
	cpu->gpr[R_RSP] = TM_STACK - 8;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->seg[SEG_SS].sel, 0);
	assert_int_equal(cpu->gpr[R_RSP], rsp);
	assert_int_equal(rd8(tm, rsp), TM_CODE + 2);
	assert_int_equal(rd8(tm, rsp + 8), TM_SEL_UCODE64);
	assert_int_equal(rd8(tm, rsp + 16), 0x202);
	assert_int_equal(rd8(tm, rsp + 24), TM_STACK - 8);
	assert_int_equal(rd8(tm, rsp + 32), TM_SEL_UDATA);
	assert_int_equal(flags_read(cpu), 0x002);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_UCODE64);
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_UDATA);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK - 8);
	assert_int_equal(cpu->rip, TM_CODE + 2);
	assert_int_equal(flags_read(cpu), 0x202);
	tm_free(tm);
}

/* "IF software interrupt ... IF gate DPL < CPL THEN
 * #GP(error_code(vector_number,1,0))": INT 0x80 at CPL 3 to a DPL-0 gate
 * gives #GP(0x402); the #GP itself (an exception) is not DPL-checked and
 * switches to the ring-0 stack, pushing SS, ESP, EFLAGS (RF = 1, fault),
 * CS, EIP of the INT, error code. */
static void prot32_soft_int_gate_dpl(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0xcd, 0x80 };
	uint64_t esp = T_STACK0 - 24;

	(void)state;
	t_idt(tm, 256);
	t_tss(tm, 0x67);
	t_user(tm);
	t_flags(tm, 0x202);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_GP);
	assert_int_equal(cpu->gpr[R_RSP], esp);
	assert_int_equal(rd4(tm, esp), 0x80 * 8 + 2);
	assert_int_equal(rd4(tm, esp + 4), TM_CODE);
	assert_int_equal(rd4(tm, esp + 8), TM_SEL_UCODE32);
	assert_int_equal(rd4(tm, esp + 12), 0x10202);
	assert_int_equal(rd4(tm, esp + 16), TM_STACK);
	assert_int_equal(rd4(tm, esp + 20), TM_SEL_UDATA);
	tm_free(tm);
}

/* Vol. 3A §6.15, Table 6-5: a contributory exception (#NP) while
 * delivering a contributory one (#GP) becomes #DF, error code 0; #DF is
 * an abort, so RF is pushed as it was (0).  Here the #GP comes from INT
 * 0x40 beyond the IDT limit and gate 13 is not present. */
static void df_from_np_while_delivering_gp(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0xcd, 0x40 };
	uint64_t esp = TM_STACK - 16;

	(void)state;
	t_idt(tm, 32);
	t_gate(tm, EXC_GP, SYS_INTGATE, 0, TM_SEL_CODE32, T_HBASE + 16 * EXC_GP, 0, 0);
	t_flags(tm, 0x202);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DF);
	assert_int_equal(cpu->gpr[R_RSP], esp);
	assert_int_equal(rd4(tm, esp), 0);
	assert_int_equal(rd4(tm, esp + 4), TM_CODE);
	assert_int_equal(rd4(tm, esp + 8), TM_SEL_CODE32);
	assert_int_equal(rd4(tm, esp + 12), 0x202);
	assert_int_equal(cpu->event_depth, 0);
	tm_free(tm);
}

/* Table 6-5: "Page Fault" followed by "Page Fault" -> #DF.  The store
 * faults; delivering that #PF pushes onto an unmapped stack and faults
 * again.  #DF uses IST1, so it can be delivered.  CR2 is loaded by each
 * #PF as it is detected (§6.15 "Interrupt 14"), so it holds the second
 * address. */
static void df_from_pf_while_delivering_pf(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = {
		0x48, 0xb8, 0x00, 0x00, 0x00, 0x50, 0, 0, 0, 0,  /* mov rax, 0x50000000 */
		0x48, 0x89, 0x18,                                /* mov [rax], rbx */
	};
	uint64_t rsp = T_STACK0 - 48;

	(void)state;
	t_idt(tm, 32);
	t_tss(tm, 0x67);
	tm_write(tm, T_TSS + 36, 8, T_STACK0);
	t_gate(tm, EXC_DF, SYS_INTGATE, 0, TM_SEL_CODE64, T_HBASE + 16 * EXC_DF, 1, 1);
	t_flags(tm, 0x202);
	cpu->gpr[R_RSP] = 0x40000100;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DF);
	assert_int_equal(cpu->cr2, 0x400000f8);
	assert_int_equal(cpu->gpr[R_RSP], rsp);
	assert_int_equal(rd8(tm, rsp), 0);
	assert_int_equal(rd8(tm, rsp + 8), TM_CODE + 10);
	assert_int_equal(rd8(tm, rsp + 32), 0x40000100);
	tm_free(tm);
}

/* §6.15 "Interrupt 8": "If another exception occurs while attempting to
 * call the double-fault handler, the processor enters shutdown mode."  The
 * fixture's IDT has limit 0: #UD -> #GP -> #DF -> #GP -> shutdown. */
static void triple_fault_shutdown(void **state)
{
	static const uint8_t code[] = { 0x0f, 0x0b };

	(void)state;
	for (int m = TM_PROT32; m <= TM_LONG64; m++) {
		struct tm *tm = tm_new((enum tm_mode)m);

		tm_code(tm, code, sizeof(code));
		assert_int_equal(tm_run(tm, 10), STOP_SHUTDOWN);
		assert_int_equal(tm->cpu->rip, TM_CODE);
		tm_free(tm);
	}
}

/* INT3 and INTO are traps: the return address is the next instruction;
 * software interrupts push RF = 0 (§17.3.1.1: "RF is pushed as 0, since
 * it was cleared at the start of the software interrupt").  INTO: "IF
 * OverflowFlag = 1 THEN #OF" -- nothing otherwise. */
static void int3_into_traps(void **state)
{
	static const uint8_t code[] = { 0xce, 0xcc };                  /* into; int3 */
	struct tm *tm = tm_new(TM_PROT32);
	uint64_t esp = TM_STACK - 12;

	(void)state;
	t_idt(tm, 32);
	t_flags(tm, 0x10202);                                          /* RF IF, OF = 0 */
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_BP);
	assert_int_equal(rd4(tm, esp), TM_CODE + 2);
	assert_int_equal(rd4(tm, esp + 8), 0x202);
	tm_free(tm);

	tm = tm_new(TM_PROT32);
	t_idt(tm, 32);
	t_flags(tm, 0xa02);                                            /* OF */
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_OF);
	assert_int_equal(rd4(tm, esp), TM_CODE + 1);
	tm_free(tm);
}

/* INTERRUPT-FROM-VIRTUAL-8086-MODE: PUSHF in vm86 with IOPL < 3 and
 * CR4.VME = 0 is #GP(0) ("IF (CR4.VME = 0) or (OperandSize = 32) THEN
 * #GP(0)"); delivery to the CPL-0 handler pushes "GS, FS, DS, ES,
 * TempSS, TempESP, TempEFlags, CS, EIP" (+ error code) on the ring-0
 * stack and then "GS := 0; FS := 0; DS := 0; ES := 0", VM := 0. */
static void vm86_gp_frame(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint16_t sels[6] = { 0x4000, 0x1000, 0x2000, 0x3000, 0x5000, 0x6000 };
	uint64_t esp = T_STACK0 - 40;

	(void)state;
	t_idt(tm, 32);
	t_tss(tm, 0x67);
	for (int i = 0; i < 6; i++)
		cpu->seg[i] = (struct seg){ sels[i], (uint64_t)sels[i] << 4, 0xffff,
		                            SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | (3u << SEG_DPL_SHIFT) };
	tm_write(tm, 0x10000, 1, 0x9c);                                /* pushf */
	cpu->rip = 0;
	cpu->gpr[R_RSP] = 0x100;
	t_flags(tm, RFLAGS_VM | 0x202);
	assert_int_equal(cpu->mode, MODE_VM86);
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_GP);
	assert_int_equal(cpu->mode, MODE_PROT);
	assert_int_equal(cpu->gpr[R_RSP], esp);
	assert_int_equal(rd4(tm, esp), 0);
	assert_int_equal(rd4(tm, esp + 4), 0);
	assert_int_equal(rd4(tm, esp + 8), 0x1000);
	assert_int_equal(rd4(tm, esp + 12), RFLAGS_VM | RFLAGS_RF | 0x202);
	assert_int_equal(rd4(tm, esp + 16), 0x100);
	assert_int_equal(rd4(tm, esp + 20), 0x2000);
	assert_int_equal(rd4(tm, esp + 24), 0x4000);
	assert_int_equal(rd4(tm, esp + 28), 0x3000);
	assert_int_equal(rd4(tm, esp + 32), 0x5000);
	assert_int_equal(rd4(tm, esp + 36), 0x6000);
	assert_int_equal(cpu->seg[SEG_DS].sel, 0);
	assert_int_equal(cpu->seg[SEG_GS].sel, 0);
	assert_true(cpu->seg[SEG_ES].attr & SEG_UNUSABLE);
	tm_free(tm);
}

/* RETURN-TO-VIRTUAL-8086-MODE (IRETD at CPL 0 with VM = 1 in the popped
 * image): "EFLAGS := tempEFLAGS; ESP := Pop(); SS := Pop(); ES := Pop();
 * DS := Pop(); FS := Pop(); GS := Pop(); CPL := 3". */
static void iret_to_vm86(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0xcf };
	const uint32_t frame[9] = { 0x10, 0x1000, RFLAGS_VM | 0x3202, 0x200, 0x2000,
	                            0x4000, 0x3000, 0x5000, 0x6000 };
	uint64_t esp = TM_STACK - 36;

	(void)state;
	for (int i = 0; i < 9; i++)
		tm_write(tm, esp + 4 * i, 4, frame[i]);
	cpu->gpr[R_RSP] = esp;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->mode, MODE_VM86);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->rip, 0x10);
	assert_int_equal(cpu->seg[SEG_CS].base, 0x10000);
	assert_int_equal(cpu->seg[SEG_SS].base, 0x20000);
	assert_int_equal(cpu->seg[SEG_ES].sel, 0x4000);
	assert_int_equal(cpu->seg[SEG_DS].sel, 0x3000);
	assert_int_equal(cpu->seg[SEG_GS].base, 0x60000);
	assert_int_equal(cpu->gpr[R_RSP], 0x200);
	assert_int_equal(flags_read(cpu), RFLAGS_VM | 0x3202);
	tm_free(tm);
}

/* CR4.VME software-interrupt redirection (Vol. 2 INT n): bit n clear in
 * the redirection bit map -> "Push EFLAGS[15:0] (* if IOPL < 3, save VIF
 * in IF position and save IOPL position as 3 *); Push CS; Push IP; ...
 * ELSE VIF := 0; TF := 0; load CS and EIP from entry n" of the 8086
 * vector table; bit n set with IOPL < 3 -> #GP(0). */
static void vm86_vme_redirect(void **state)
{
	for (int set = 0; set < 2; set++) {
		struct tm *tm = tm_new(TM_PROT32);
		struct cpu *cpu = tm->cpu;

		(void)state;
		t_idt(tm, 32);
		t_tss(tm, 0x67);
		if (set)
			tm_write(tm, T_TSS + 0x68 - 32 + 0x21 / 8, 1, 1u << (0x21 & 7));
		for (int i = 0; i < 6; i++)
			cpu->seg[i] = (struct seg){ 0x1000, 0x10000, 0xffff,
			                            SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A |
			                            (3u << SEG_DPL_SHIFT) };
		cpu->seg[SEG_SS] = (struct seg){ 0x2000, 0x20000, 0xffff, cpu->seg[SEG_DS].attr };
		tm_write(tm, 0x10000, 2, 0x21cd);                      /* int 0x21 */
		tm_write(tm, 0x21 * 4, 4, 0x09000010);                 /* 0900:0010 */
		tm_write(tm, 0x9010, 1, 0xf4);
		cpu->cr4 |= CR4_VME;
		cpu->rip = 0;
		cpu->gpr[R_RSP] = 0x100;
		t_flags(tm, RFLAGS_VM | RFLAGS_VIF | 0x202);
		if (set) {
			assert_int_equal(tm_run(tm, 10), STOP_HALT);
			assert_int_equal(t_vector(tm), EXC_GP);
			assert_int_equal(rd4(tm, T_STACK0 - 40), 0);
		} else {
			assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
			assert_int_equal(cpu->mode, MODE_VM86);
			assert_int_equal(cpu->seg[SEG_CS].sel, 0x0900);
			assert_int_equal(cpu->rip, 0x10);
			assert_int_equal(cpu->gpr[R_RSP], 0xfa);
			assert_int_equal(rd2(tm, 0x200fa), 2);
			assert_int_equal(rd2(tm, 0x200fc), 0x1000);
			assert_int_equal(rd2(tm, 0x200fe), 0x3202);
			assert_int_equal(flags_read(cpu), RFLAGS_VM | 0x202);
		}
		tm_free(tm);
	}
}

/* IRET with NT = 1 in protected mode is TASK-RETURN (Vol. 2 "IRET"), a
 * switch to the task in the current TSS's link field; Table 6-6:
 * #TS(TSS selector) "During an IRET task switch, the backlink is a NULL
 * selector".  (Task returns that succeed are test_task.c.) */
static void iret_nested_null_link(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	static const uint8_t code[] = { 0xcf };

	(void)state;
	t_idt(tm, 32);
	t_tss(tm, 0x67);
	t_flags(tm, RFLAGS_NT | 0x2);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_TS);
	assert_int_equal(rd4(tm, TM_STACK - 16), 0);
	assert_int_equal(rd4(tm, TM_STACK - 12), TM_CODE);
	assert_int_equal(tm->cpu->unimpl_mnemonic[0], 0);
	tm_free(tm);
}

/* SYSCALL: "RCX := RIP (next); RIP := IA32_LSTAR; R11 := RFLAGS; RFLAGS
 * := RFLAGS AND NOT(IA32_FMASK); CS.Selector := IA32_STAR[47:32] AND
 * FFFCH; SS.Selector := IA32_STAR[47:32] + 8; CPL := 0".  SYSRET (64-bit):
 * "RIP := RCX; RFLAGS := (R11 & 3C7FD7H) | 2; CS.Selector :=
 * IA32_STAR[63:48]+16 OR 3; SS.Selector := (IA32_STAR[63:48]+8) OR 3;
 * CPL := 3". */
static void syscall_sysret_round_trip(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0x0f, 0x05 };
	static const uint8_t ret[] = { 0x48, 0x0f, 0x07 };

	(void)state;
	cpu->efer |= EFER_SCE;
	cpu->star = (0x28ull << 48) | (0x08ull << 32);
	cpu->lstar = TM_CODE + 0x100;
	cpu->fmask = RFLAGS_IF | RFLAGS_DF;
	t_flags(tm, 0x603);
	tm_code(tm, code, sizeof(code));
	put(tm, TM_CODE + 0x100, ret, sizeof(ret));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->gpr[R_RCX], TM_CODE + 2);
	assert_int_equal(cpu->gpr[R_R11], 0x603);
	assert_int_equal(flags_read(cpu), 0x003);
	assert_int_equal(cpu->rip, TM_CODE + 0x100);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x08);
	assert_int_equal(cpu->seg[SEG_SS].sel, 0x10);
	assert_int_equal(cpu->mode, MODE_LONG);
	cpu->gpr[R_R11] = 0x30603;                       /* RF and VM must not load */
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->rip, TM_CODE + 2);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x3b);
	assert_int_equal(cpu->seg[SEG_SS].sel, 0x33);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(flags_read(cpu), 0x603);
	tm_free(tm);
}

/* SYSRET without REX.W returns to compatibility mode: "RIP := ECX;
 * CS.Selector := IA32_STAR[63:48] OR 3; CS.L := 0; CS.D := 1".  With
 * REX.W: "IF (RCX is not canonical) THEN #GP(0)".  SYSCALL with
 * EFER.SCE = 0: #UD. */
static void sysret_compat_and_faults(void **state)
{
	static const uint8_t sysret32[] = { 0x0f, 0x07 };
	static const uint8_t sysret64[] = { 0x48, 0x0f, 0x07 };
	static const uint8_t sc[] = { 0x0f, 0x05 };
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->efer |= EFER_SCE;
	cpu->star = 0x28ull << 48;
	cpu->gpr[R_RCX] = 0xffffffff12345678ull;
	tm_code(tm, sysret32, sizeof(sysret32));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->rip, 0x12345678);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x2b);
	assert_int_equal(cpu->mode, MODE_COMPAT);
	tm_free(tm);

	tm = tm_new(TM_LONG64);
	cpu = tm->cpu;
	t_idt(tm, 32);
	cpu->efer |= EFER_SCE;
	cpu->gpr[R_RCX] = 0x0000800000000000ull;
	tm_code(tm, sysret64, sizeof(sysret64));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_GP);
	tm_free(tm);

	tm = tm_new(TM_LONG64);
	t_idt(tm, 32);
	tm_code(tm, sc, sizeof(sc));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_UD);
	tm_free(tm);
}

/* SYSENTER: "CS.Selector := IA32_SYSENTER_CS AND FFFCH; SS.Selector :=
 * CS.Selector + 8; ESP := IA32_SYSENTER_ESP; EIP := IA32_SYSENTER_EIP;
 * VM, IF, RF := 0; CPL := 0".  SYSEXIT (32-bit): "RSP := ECX; RIP := EDX;
 * CS.Selector := (IA32_SYSENTER_CS + 16) OR 3; SS.Selector := CS.Selector
 * + 8; CPL := 3".  "IF IA32_SYSENTER_CS[15:2] = 0 THEN #GP(0)". */
static void sysenter_sysexit(void **state)
{
	static const uint8_t enter[] = { 0x0f, 0x34 };
	static const uint8_t exit_[] = { 0x0f, 0x35 };
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->sysenter_cs = TM_SEL_CODE32;
	cpu->sysenter_esp = T_STACK0;
	cpu->sysenter_eip = TM_CODE + 0x100;
	t_user(tm);
	t_flags(tm, 0x202);
	tm_code(tm, enter, sizeof(enter));
	put(tm, TM_CODE + 0x100, exit_, sizeof(exit_));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x10);
	assert_int_equal(cpu->seg[SEG_SS].sel, 0x18);
	assert_int_equal(cpu->gpr[R_RSP], T_STACK0);
	assert_int_equal(cpu->rip, TM_CODE + 0x100);
	assert_int_equal(flags_read(cpu), 0x002);
	cpu->gpr[R_RCX] = TM_STACK;
	cpu->gpr[R_RDX] = TM_CODE + 2;
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x23);
	assert_int_equal(cpu->seg[SEG_SS].sel, 0x2b);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK);
	assert_int_equal(cpu->rip, TM_CODE + 2);
	tm_free(tm);

	tm = tm_new(TM_PROT32);
	t_idt(tm, 32);
	tm_code(tm, enter, sizeof(enter));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_GP);
	assert_int_equal(rd4(tm, TM_STACK - 16), 0);
	tm_free(tm);
}

/* 16-bit interrupt gate (Vol. 2 INT n, 16-bit gate, same privilege):
 * "Push (FLAGS); Push (far pointer to return location) (* 2 words *)",
 * "CS:IP := Gate(CS:IP)": three 2-byte pushes, bits 15:0 of EFLAGS. */
static void prot32_16bit_gate_frame(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0x0f, 0x0b };
	uint64_t esp = TM_STACK - 6;

	(void)state;
	t_idt(tm, 32);
	t_gate(tm, EXC_UD, SYS_INTGATE16, 0, TM_SEL_CODE32, 0x5000, 0, 1);
	tm_write(tm, 0x5000, 1, 0xf4);
	t_flags(tm, 0x203);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->rip, 0x5001);
	assert_int_equal(cpu->gpr[R_RSP], esp);
	assert_int_equal(rd2(tm, esp), TM_CODE & 0xffff);
	assert_int_equal(rd2(tm, esp + 2), TM_SEL_CODE32);
	assert_int_equal(rd2(tm, esp + 4), 0x0203);
	assert_int_equal(rd2(tm, esp - 2), 0);
	tm_free(tm);
}

/* INTER-PRIVILEGE-LEVEL-INTERRUPT: "IF NewSS index is not within its
 * descriptor-table limits or NewSS RPL != new code-segment DPL THEN
 * #TS(error_code(NewSS,0,EXT))" -- EXT = 0 for INT n.  The #TS gate
 * leads to a DPL-3 handler, so it is delivered at CPL 3 on the same
 * stack. */
static void prot32_bad_ss0_ts(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0xcd, 0x80 };
	uint64_t esp = TM_STACK - 16;

	(void)state;
	t_idt(tm, 256);
	t_gate(tm, 0x80, SYS_INTGATE, 3, TM_SEL_CODE32, T_HBASE + 0x800, 0, 1);
	t_gate(tm, EXC_TS, SYS_INTGATE, 0, TM_SEL_UCODE32, 0x5000, 0, 1);
	tm_write(tm, 0x5000, 1, 0x90);
	t_tss(tm, 0x67);
	tm_write(tm, T_TSS + 8, 2, TM_SEL_DATA | 1);
	t_user(tm);
	t_flags(tm, 0x202);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->rip, 0x5001);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->gpr[R_RSP], esp);
	assert_int_equal(rd4(tm, esp), TM_SEL_DATA);
	assert_int_equal(rd4(tm, esp + 4), TM_CODE);
	assert_int_equal(rd4(tm, esp + 8), TM_SEL_UCODE32);
	tm_free(tm);
}

/* Single-step (Vol. 3B §17.3.1.4): after POPF sets TF the next
 * instruction runs, then #DB (a trap: RIP after it) with DR6.BS = 1; the
 * handler is entered with TF clear (INT n: "TF := 0"). */
static void single_step_after_popf(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0x9d, 0x90, 0x90 };           /* popfq; nop; nop */
	uint64_t rsp = TM_STACK - 40;

	(void)state;
	t_idt(tm, 32);
	cpu->gpr[R_RSP] = TM_STACK - 8;
	tm_write(tm, TM_STACK - 8, 8, 0x102);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_DB);
	assert_true(cpu->dr[6] & (1u << 14));
	assert_int_equal(cpu->gpr[R_RSP], rsp);
	assert_int_equal(rd8(tm, rsp), TM_CODE + 2);
	assert_int_equal(rd8(tm, rsp + 16), 0x102);
	assert_int_equal(flags_read(cpu), 0x002);
	tm_free(tm);
}

/* Virtual-8086 state for the tests below: CS 1000, SS 2000, other
 * segments 3000, IP 0, SP 0x100, code `c` at 0x10000. */
static void vm86_enter(struct tm *tm, const uint8_t *c, size_t n, uint64_t flags)
{
	struct cpu *cpu = tm->cpu;
	uint32_t a = SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | (3u << SEG_DPL_SHIFT);

	for (int i = 0; i < 6; i++)
		cpu->seg[i] = (struct seg){ 0x3000, 0x30000, 0xffff, a };
	cpu->seg[SEG_CS] = (struct seg){ 0x1000, 0x10000, 0xffff, a | SEG_TYPE_CODE };
	cpu->seg[SEG_SS] = (struct seg){ 0x2000, 0x20000, 0xffff, a };
	put(tm, 0x10000, c, n);
	cpu->rip = 0;
	cpu->gpr[R_RSP] = 0x100;
	t_flags(tm, RFLAGS_VM | flags);
}

/* RETURN-FROM-VIRTUAL-8086-MODE: "IF IOPL = 3 ... ELSE #GP(0); (* Trap to
 * virtual-8086 monitor: PE = 1, VM = 1, IOPL < 3 *)" (CR4.VME = 0). */
static void vm86_iret_iopl0_gp(void **state)
{
	static const uint8_t code[] = { 0xcf };
	struct tm *tm = tm_new(TM_PROT32);

	(void)state;
	t_idt(tm, 32);
	t_tss(tm, 0x67);
	vm86_enter(tm, code, sizeof(code), 0x202);
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_GP);
	assert_int_equal(rd4(tm, T_STACK0 - 40), 0);
	assert_int_equal(rd4(tm, T_STACK0 - 36), 0);
	tm_free(tm);
}

/* RETURN-TO-OUTER-PRIVILEGE-LEVEL: "FOR each SegReg in (ES, FS, GS, and
 * DS) DO IF SegReg points to data or non-conforming code segment and CPL
 * > DPL (* in the hidden part *) THEN SegReg := NULL".  The fixture's
 * DPL-0 data selector in DS/ES/FS/GS is dropped on the way to CPL 3. */
static void iret_outer_nulls_data_segments(void **state)
{
	static const uint8_t code[] = { 0xcf };
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	const uint32_t frame[5] = { TM_CODE + 0x10, TM_SEL_UCODE32, 0x202, 0x2ff000, TM_SEL_UDATA };
	uint64_t esp = TM_STACK - 20;

	(void)state;
	for (int i = 0; i < 5; i++)
		tm_write(tm, esp + 4 * i, 4, frame[i]);
	cpu->gpr[R_RSP] = esp;
	cpu->seg[SEG_FS].sel = TM_SEL_UDATA;
	cpu->seg[SEG_FS].attr |= 3u << SEG_DPL_SHIFT;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->rip, TM_CODE + 0x10);
	assert_int_equal(cpu->gpr[R_RSP], 0x2ff000);
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_UDATA);
	assert_int_equal(cpu->seg[SEG_DS].sel, 0);
	assert_true(cpu->seg[SEG_ES].attr & SEG_UNUSABLE);
	assert_true(cpu->seg[SEG_GS].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->seg[SEG_FS].sel, TM_SEL_UDATA);   /* DPL 3 stays */
	tm_free(tm);
}

/* IA-32e mode: IRETQ to CPL 3 takes the same RETURN-TO-OUTER-PRIVILEGE-
 * LEVEL path ("IF return code segment selector RPL > CPL THEN GOTO
 * RETURN-TO-OUTER-PRIVILEGE-LEVEL"), which ends "FOR each SegReg in (ES,
 * FS, GS, and DS) DO IF SegReg points to data or non-conforming code
 * segment and CPL > DPL (* DPL in hidden part of segment register *) THEN
 * SegReg := NULL".  DS and GS (DPL 0) become null, ES (DPL 3) stays, and
 * a null FS points to no segment, so it and the base that 64-bit code
 * takes from IA32_FS_BASE (Vol. 3A §3.4.4) are left alone. */
static void long64_iretq_outer_nulls_data_segments(void **state)
{
	static const uint8_t code[] = { 0x48, 0xcf };
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	const uint64_t frame[5] = { TM_CODE + 0x10, TM_SEL_UCODE64, 0x202, 0x2ff000, TM_SEL_UDATA };
	uint64_t rsp = TM_STACK - 40;

	(void)state;
	for (int i = 0; i < 5; i++)
		tm_write(tm, rsp + 8 * i, 8, frame[i]);
	cpu->gpr[R_RSP] = rsp;
	cpu->seg[SEG_ES].sel = TM_SEL_UDATA;
	cpu->seg[SEG_ES].attr |= 3u << SEG_DPL_SHIFT;
	cpu->seg[SEG_FS] = (struct seg){ 0, 0x7fff0000, 0, SEG_UNUSABLE };
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->rip, TM_CODE + 0x10);
	assert_int_equal(cpu->gpr[R_RSP], 0x2ff000);
	assert_int_equal(cpu->seg[SEG_DS].sel, 0);
	assert_true(cpu->seg[SEG_DS].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->seg[SEG_GS].sel, 0);
	assert_true(cpu->seg[SEG_GS].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->seg[SEG_ES].sel, TM_SEL_UDATA);   /* DPL 3 stays */
	assert_false(cpu->seg[SEG_ES].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->seg[SEG_FS].sel, 0);
	assert_int_equal(cpu->seg[SEG_FS].base, 0x7fff0000);
	tm_free(tm);
}

/* IRET, REAL-ADDRESS-MODE, OperandSize = 32: "EFLAGS := (tempEFLAGS AND
 * 257FD5H) OR (EFLAGS AND 1A0000H)". */
static void real_iretd_flag_mask(void **state)
{
	static const uint8_t code[] = { 0x66, 0xcf };
	struct tm *tm = tm_new(TM_REAL);
	struct cpu *cpu = tm->cpu;

	(void)state;
	put(tm, 0x7000, code, sizeof(code));
	tm_write(tm, 0x7ff4, 4, 0x10);
	tm_write(tm, 0x7ff8, 4, 0x0700);
	tm_write(tm, 0x7ffc, 4, 0xffffffff);
	cpu->gpr[R_RSP] = 0x7ff4;
	cpu->seg[SEG_CS].sel = 0x0700;
	cpu->seg[SEG_CS].base = 0x7000;
	cpu->rip = 0;
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->rip, 0x10);
	assert_int_equal(cpu->gpr[R_RSP], 0x8000);
	assert_int_equal(flags_read(cpu), 0x257fd7);
	tm_free(tm);
}

/* IA-32e mode: the gate's code segment must be 64-bit (L = 1, D = 0), else
 * #GP(error_code(new code-segment selector,0,EXT)); a 16-bit gate type is
 * not valid in IA-32e mode: #GP(error_code(vector,1,EXT)) (§6.14.1). */
static void long64_bad_gate_targets(void **state)
{
	static const uint8_t code[] = { 0x0f, 0x0b };

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct tm *tm = tm_new(TM_LONG64);

		t_idt(tm, 32);
		if (k == 0)
			t_gate(tm, EXC_UD, SYS_INTGATE, 0, TM_SEL_CODE32, T_HBASE + 16 * EXC_UD, 0, 1);
		else
			t_gate(tm, EXC_UD, SYS_INTGATE16, 0, TM_SEL_CODE64, T_HBASE + 16 * EXC_UD, 0, 1);
		tm_code(tm, code, sizeof(code));
		assert_int_equal(tm_run(tm, 10), STOP_HALT);
		assert_int_equal(t_vector(tm), EXC_GP);
		assert_int_equal(rd8(tm, TM_STACK - 48), k == 0 ? TM_SEL_CODE32 | 1 : 6 * 8 + 3);
		tm_free(tm);
	}
}

/* Compatibility mode -> 64-bit handler (Vol. 3A §6.14: "interrupt and
 * exception handlers always run in 64-bit mode"; the 64-bit gate frame
 * always holds SS:RSP).  IRETQ returns to the 32-bit code segment. */
static void compat_int_to_64bit_handler(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0xcd, 0x80 };
	static const uint8_t iretq[] = { 0x48, 0xcf };
	uint64_t rsp = T_STACK0 - 40;

	(void)state;
	t_idt(tm, 256);
	t_gate(tm, 0x80, SYS_INTGATE, 3, TM_SEL_CODE64, T_HBASE + 0x800, 0, 1);
	put(tm, T_HBASE + 0x800, iretq, sizeof(iretq));
	t_tss(tm, 0x67);
	t_user(tm);
	cpu->seg[SEG_CS] = (struct seg){ TM_SEL_UCODE32, 0, 0xffffffff,
	                                 SEG_P | SEG_S | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A |
	                                 SEG_DB | SEG_G | (3u << SEG_DPL_SHIFT) };
	t_flags(tm, 0x202);
	assert_int_equal(cpu->mode, MODE_COMPAT);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->gpr[R_RSP], rsp);
	assert_int_equal(rd8(tm, rsp), TM_CODE + 2);
	assert_int_equal(rd8(tm, rsp + 8), TM_SEL_UCODE32);
	assert_int_equal(rd8(tm, rsp + 24), TM_STACK);
	assert_int_equal(rd8(tm, rsp + 32), TM_SEL_UDATA);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->mode, MODE_COMPAT);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->rip, TM_CODE + 2);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK);
	tm_free(tm);
}

/* A 16-bit TSS: "TSSstackAddress := (new code-segment DPL << 2) + 2;
 * NewSS := 2 bytes loaded from (TSS base + TSSstackAddress + 2); NewESP
 * := 2 bytes loaded from (TSS base + TSSstackAddress)". */
static void prot32_tss16_stack(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t code[] = { 0xcd, 0x80 };

	(void)state;
	t_idt(tm, 256);
	t_gate(tm, 0x80, SYS_INTGATE, 3, TM_SEL_CODE32, T_HBASE + 0x800, 0, 1);
	t_tss(tm, 0x2b);
	cpu->seg[SEG_TR].attr = SEG_P | SYS_TSS16_BUSY;
	tm_write(tm, T_TSS + 2, 2, 0x8000);
	tm_write(tm, T_TSS + 4, 2, TM_SEL_DATA);
	t_user(tm);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->rip, T_HBASE + 0x801);
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_DATA);
	assert_int_equal(cpu->gpr[R_RSP], 0x8000 - 20);
	assert_int_equal(rd4(tm, 0x8000 - 20), TM_CODE + 2);
	assert_int_equal(rd4(tm, 0x8000 - 8), TM_STACK);
	tm_free(tm);
}

/* PROTECTED-MODE-RETURN: "IF Return code segment selector RPL < CPL THEN
 * #GP(selector)": IRETD at CPL 3 to a CPL-0 code selector. */
static void iret_rpl_below_cpl_gp(void **state)
{
	static const uint8_t code[] = { 0xcf };
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	uint64_t esp = TM_STACK - 12;

	(void)state;
	t_idt(tm, 32);
	t_tss(tm, 0x67);
	t_user(tm);
	tm_write(tm, esp, 4, TM_CODE);
	tm_write(tm, esp + 4, 4, TM_SEL_CODE32);
	tm_write(tm, esp + 8, 4, 0x2);
	cpu->gpr[R_RSP] = esp;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_GP);
	assert_int_equal(rd4(tm, T_STACK0 - 24), TM_SEL_CODE32);
	assert_int_equal(rd4(tm, T_STACK0 - 8), esp);          /* ESP not popped */
	tm_free(tm);
}

/* IRET in virtual-8086 mode with IOPL < 3, CR4.VME = 1 and a 16-bit
 * operand (Vol. 3A §20.3.3.4 / Vol. 2 IRET): "IF ((VIP = 1) and
 * (tempFLAGS.IF = 1)) or (tempFLAGS.TF = 1) THEN #GP(0)"; otherwise IP,
 * CS and FLAGS are popped with "VIF := tempFLAGS.IF", IF and IOPL
 * unchanged. */
static void vm86_vme_iret(void **state)
{
	static const uint8_t code[] = { 0xcf };
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	t_idt(tm, 32);
	t_tss(tm, 0x67);
	vm86_enter(tm, code, sizeof(code), 0x2);
	cpu->cr4 |= CR4_VME;
	tm_write(tm, 0x20100, 2, 0x0040);          /* IP */
	tm_write(tm, 0x20102, 2, 0x1000);          /* CS */
	tm_write(tm, 0x20104, 2, 0x3ac1);          /* IOPL 3, OF, IF, SF, ZF, CF */
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->rip, 0x40);
	assert_int_equal(cpu->gpr[R_RSP], 0x106);
	assert_int_equal(flags_read(cpu), RFLAGS_VM | RFLAGS_VIF | 0x08c3);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_int_iret),
		cmocka_unit_test(real_int_beyond_ivt_limit),
		cmocka_unit_test(prot32_ud_frame),
		cmocka_unit_test(prot32_int_beyond_idt_limit),
		cmocka_unit_test(prot32_gate_not_present_np),
		cmocka_unit_test(prot32_task_gate_bad_tss),
		cmocka_unit_test(long64_pf_frame),
		cmocka_unit_test(long64_ist),
		cmocka_unit_test(prot32_cpl3_int_and_iret),
		cmocka_unit_test(long64_cpl3_int_and_iretq),
		cmocka_unit_test(prot32_soft_int_gate_dpl),
		cmocka_unit_test(df_from_np_while_delivering_gp),
		cmocka_unit_test(df_from_pf_while_delivering_pf),
		cmocka_unit_test(triple_fault_shutdown),
		cmocka_unit_test(int3_into_traps),
		cmocka_unit_test(vm86_gp_frame),
		cmocka_unit_test(iret_to_vm86),
		cmocka_unit_test(vm86_vme_redirect),
		cmocka_unit_test(iret_nested_null_link),
		cmocka_unit_test(syscall_sysret_round_trip),
		cmocka_unit_test(sysret_compat_and_faults),
		cmocka_unit_test(sysenter_sysexit),
		cmocka_unit_test(prot32_16bit_gate_frame),
		cmocka_unit_test(prot32_bad_ss0_ts),
		cmocka_unit_test(single_step_after_popf),
		cmocka_unit_test(vm86_iret_iopl0_gp),
		cmocka_unit_test(iret_outer_nulls_data_segments),
		cmocka_unit_test(long64_iretq_outer_nulls_data_segments),
		cmocka_unit_test(real_iretd_flag_mask),
		cmocka_unit_test(long64_bad_gate_targets),
		cmocka_unit_test(compat_int_to_64bit_handler),
		cmocka_unit_test(prot32_tss16_stack),
		cmocka_unit_test(iret_rpl_below_cpl_gp),
		cmocka_unit_test(vm86_vme_iret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
