/* Hardware task switching (SDM Vol. 3A chapter 7; Vol. 2 "JMP", "CALL",
 * "IRET", "INT n"): far JMP and CALL to a TSS and through a task gate,
 * IRET with NT = 1, an exception through a task gate in the IDT, and the
 * #TS/#NP/#GP cases of Table 7-1 and Table 6-6, raised before the commit
 * point (old task intact) or after it (new task's context).  Each test
 * quotes the rule its expectations come from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/cr.h"
#include "segtest.h"
#include "tm_events.h"

#define S_TSSA   0x80  /* 32-bit TSS of the running task (busy) */
#define S_TSSB   0x88  /* 32-bit TSS, available */
#define S_TGATE  0x90  /* task gate, DPL 3 -> S_TSSB */
#define S_TSS16  0x98  /* 16-bit TSS, available, limit 2BH */
#define S_SHORT  0xa0  /* 32-bit TSS, available, limit 66H */
#define S_LDT    0xa8  /* LDT descriptor */
#define S_TSSNP  0xb0  /* 32-bit TSS, available, not present */
#define S_NPDATA 0xb8  /* RW data, DPL 0, not present */

#define TSS_A    0x5000ull
#define TSS_B    0x5800ull
#define TSS_16   0x6000ull
#define TSS_C    0x6800ull
#define LDT_BASE 0x7000ull
#define B_EIP    (TM_CODE + 0x100)
#define B_ESP    0x2f0000u

static struct tm *setup(void)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	grow_gdt(tm);
	put_gdt(tm, S_TSSA, mkdesc((uint32_t)TSS_A, 0x67, 0x8b, 0));
	put_gdt(tm, S_TSSB, mkdesc((uint32_t)TSS_B, 0x67, 0x89, 0));
	put_gdt(tm, S_TGATE, mkgate(S_TSSB, 0, 0xe5, 0));
	put_gdt(tm, S_TSS16, mkdesc((uint32_t)TSS_16, 0x2b, 0x81, 0));
	put_gdt(tm, S_SHORT, mkdesc((uint32_t)TSS_C, 0x66, 0x89, 0));
	put_gdt(tm, S_LDT, mkdesc((uint32_t)LDT_BASE, 0xf, 0x82, 0));
	put_gdt(tm, S_TSSNP, mkdesc((uint32_t)TSS_C, 0x67, 0x09, 0));
	put_gdt(tm, S_NPDATA, mkdesc(0, 0xfffff, 0x12, 0xc));
	cpu->seg[SEG_TR] = (struct seg){ S_TSSA, TSS_A, 0x67, SEG_P | SYS_TSS_BUSY };
	for (unsigned i = 0; i < 0x68; i += 4) {
		tm_write(tm, TSS_A + i, 4, 0);
		tm_write(tm, TSS_B + i, 4, 0);
		tm_write(tm, TSS_C + i, 4, 0);
	}
	/* Task B (§7.2.1, Figure 7-2 offsets). */
	tm_write(tm, TSS_B + 0x20, 4, B_EIP);
	tm_write(tm, TSS_B + 0x24, 4, 0x2 | RFLAGS_CF);
	for (unsigned i = 0; i < 8; i++)
		tm_write(tm, TSS_B + 0x28 + 4 * i, 4, i == R_RSP ? B_ESP : 0xb0000000u + i);
	tm_write(tm, TSS_B + 0x48, 2, 0);                 /* ES: null */
	tm_write(tm, TSS_B + 0x4c, 2, TM_SEL_CODE32);
	tm_write(tm, TSS_B + 0x50, 2, TM_SEL_DATA);
	tm_write(tm, TSS_B + 0x54, 2, TM_SEL_DATA);
	tm_write(tm, TSS_B + 0x58, 2, TM_SEL_DATA);
	tm_write(tm, TSS_B + 0x5c, 2, TM_SEL_DATA);
	tm_write(tm, TSS_B + 0x60, 2, S_LDT);
	tm_write(tm, TSS_B + 0x1c, 4, 0x9000);                          /* CR3 */
	for (unsigned i = 0; i < 8; i++)
		cpu->gpr[i] = 0xa0000000u + i;
	cpu->rip = TM_CODE;
	return tm;
}

static uint32_t rd4(struct tm *tm, uint64_t a)
{
	return (uint32_t)tm_read(tm, a, 4);
}

/* §7.3 step 8: the old TSS receives "all the general-purpose registers,
 * segment selectors from the segment registers, the temporarily saved
 * image of the EFLAGS register, and the instruction pointer register". */
static void assert_a_saved(struct tm *tm, uint32_t eip)
{
	assert_int_equal(rd4(tm, TSS_A + 0x20), eip);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd4(tm, TSS_A + 0x28 + 4 * i), 0xa0000000u + i);
	assert_int_equal(tm_read(tm, TSS_A + 0x4c, 2), TM_SEL_CODE32);
	assert_int_equal(tm_read(tm, TSS_A + 0x50, 2), TM_SEL_DATA);
}

/* §7.3 steps 6-14 and §7.4 for JMP: "If the task switch was initiated
 * with a JMP or IRET instruction, the processor clears the busy (B) flag
 * in the current (old) task's TSS descriptor"; "if initiated with a CALL
 * or JMP instruction ... the NT flag is left unchanged in the saved EFLAGS
 * image"; "If initiated with an IRET instruction or JMP instruction, the
 * NT flag will reflect the state of NT in EFLAGS loaded from the new
 * task"; "the processor sets the busy (B) flag in the new task's TSS
 * descriptor"; the new task's LDTR comes from its TSS; §2.5: CR0.TS "is
 * set on every task switch". */
static void jmp_tss(void **state)
{
	struct tm *tm = setup();
	struct cpu *cpu = tm->cpu;

	(void)state;
	t_flags(tm, 0x2 | RFLAGS_NT | RFLAGS_ZF);
	cpu->dr[7] = 0x400 | 0x0f;                                     /* L0 G0 L1 G1 */
	assert_int_equal(EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB, 0), X_JUMP); /* ljmp S_TSSB:0 */
	assert_a_saved(tm, TM_CODE + 7);
	assert_int_equal(rd4(tm, TSS_A + 0x24), 0x2 | RFLAGS_NT | RFLAGS_ZF);
	assert_int_equal(gdt_access(tm, S_TSSA), 0x89);
	assert_int_equal(gdt_access(tm, S_TSSB), 0x8b);
	assert_int_equal(tm_read(tm, TSS_B, 2), 0);        /* no back link */
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSSB);
	assert_int_equal(cpu->seg[SEG_TR].base, TSS_B);
	assert_int_equal(cpu->seg[SEG_TR].attr & SEG_TYPE_MASK, SYS_TSS_BUSY);
	assert_int_equal(cpu->rip, B_EIP);
	assert_int_equal(flags_read(cpu), 0x2 | RFLAGS_CF);
	assert_int_equal(cpu->gpr[R_RAX], 0xb0000000u);
	assert_int_equal(cpu->gpr[R_RSP], B_ESP);
	assert_int_equal(cpu->gpr[R_RDI], 0xb0000007u);
	assert_true(cpu->seg[SEG_ES].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->seg[SEG_DS].sel, TM_SEL_DATA);
	assert_int_equal(cpu->seg[SEG_LDTR].sel, S_LDT);
	assert_int_equal(cpu->seg[SEG_LDTR].base, LDT_BASE);
	assert_true(cpu->cr0 & CR0_TS);
	assert_int_equal(cpu->cpl, 0);
	/* Vol. 3B §17.2.4: L0-L3 "are automatically cleared by the
	 * processor with every task switch"; G0-G3 are not. */
	assert_int_equal(cpu->dr[7], 0x400 | 0x0a);
	/* §7.3: "If paging is not enabled, a PDBR value is read from the
	 * new task's TSS, but it is not loaded into CR3." */
	assert_int_equal(cpu->cr3, 0);
	tm_free(tm);
}

/* §7.3 step 12: with paging on, CR3 is loaded from the new TSS (§7.2.1:
 * "CR3 control register field ... loaded on a task switch"); the old
 * TSS's CR3 field is static and not written (step 8 saves only dynamic
 * fields).  Both page directories map the first 16 MiB with 4-MByte
 * pages (CR4.PSE, §4.3). */
static void jmp_loads_cr3(void **state)
{
	struct tm *tm = setup();
	struct cpu *cpu = tm->cpu;

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		tm_write(tm, 0x8000 + 4 * i, 4, (i << 22) | PTE_PS | PTE_W | PTE_P);
		tm_write(tm, 0x9000 + 4 * i, 4, (i << 22) | PTE_PS | PTE_W | PTE_P);
	}
	assert_int_equal(cr_write(cpu, 4, CR4_PSE), X_OK);
	assert_int_equal(cr_write(cpu, 3, 0x8000), X_OK);
	assert_int_equal(cr_write(cpu, 0, cpu->cr0 | CR0_PG), X_OK);
	assert_int_equal(EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB, 0), X_JUMP);
	assert_int_equal(cpu->cr3, 0x9000);
	assert_int_equal(rd4(tm, TSS_A + 0x1c), 0);
	assert_int_equal(cpu->rip, B_EIP);
	assert_int_equal(cpu->gpr[R_RAX], 0xb0000000u);
	tm_free(tm);
}

/* Vol. 3B §17.3.1.5: "The processor generates a debug exception after a
 * task switch if the T flag of the new task's TSS is set ... after
 * program control has passed to the new task, and prior to the execution
 * of the first instruction of that task"; "examining the BT flag of the
 * DR6 register" (bit 15).  §7.2.1: T is bit 0 at offset 64H. */
static void debug_trap_flag(void **state)
{
	struct tm *tm = setup();
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	tm_write(tm, TSS_B + 0x64, 2, 1);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB, 0);
	assert_int_equal(st, X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_DB);
	assert_false(cpu->fault.has_error);
	assert_true(cpu->dr[6] & (1u << 15));
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSSB);
	assert_int_equal(cpu->rip, B_EIP);
	tm_free(tm);
}

/* §7.2.1: "If the VM flag is set in the EFLAGS image stored in the TSS,
 * the processor loads ... the new task as a virtual-8086 task"; its
 * segment registers then hold 8086 selectors (base = selector * 16,
 * §20.2.1) and CPL is 3. */
static void vm86_task(void **state)
{
	struct tm *tm = setup();
	struct cpu *cpu = tm->cpu;

	(void)state;
	tm_write(tm, TSS_B + 0x20, 4, 0x10);
	tm_write(tm, TSS_B + 0x24, 4, 0x2 | RFLAGS_VM);
	tm_write(tm, TSS_B + 0x4c, 2, 0x1000);                          /* CS */
	tm_write(tm, TSS_B + 0x50, 2, 0x2000);                          /* SS */
	tm_write(tm, TSS_B + 0x54, 2, 0x3000);                          /* DS */
	assert_int_equal(EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB, 0), X_JUMP);
	assert_int_equal(cpu->mode, MODE_VM86);
	assert_int_equal(cpu->cpl, 3);
	assert_int_equal(cpu->seg[SEG_CS].base, 0x10000);
	assert_int_equal(cpu->seg[SEG_SS].base, 0x20000);
	assert_int_equal(cpu->seg[SEG_DS].base, 0x30000);
	assert_int_equal(cpu->rip, 0x10);
	tm_free(tm);
}

/* §7.4 and Vol. 2 "IRET" TASK-RETURN.  CALL: "the processor copies the
 * segment selector for the current TSS to the previous task link field of
 * the TSS for the new task; it then sets EFLAGS.NT = 1"; the old task's
 * busy flag "is left set".  Through a task gate (Vol. 2 "CALL",
 * TASK-GATE) the gate's TSS selector names the new task.  IRET with NT = 1
 * switches back to the task in the link, "clears the NT flag in a
 * temporarily saved image of the EFLAGS register" and clears the busy flag
 * of the task it leaves; the old task's busy flag is "left set". */
static void call_gate_then_iret(void **state)
{
	struct tm *tm = setup();
	struct cpu *cpu = tm->cpu;

	(void)state;
	t_flags(tm, 0x2 | RFLAGS_ZF);
	assert_int_equal(EXEC(tm, 0x9a, 0, 0, 0, 0, S_TGATE, 0), X_JUMP); /* lcall S_TGATE:0 */
	assert_a_saved(tm, TM_CODE + 7);
	assert_int_equal(rd4(tm, TSS_A + 0x24), 0x2 | RFLAGS_ZF);
	assert_int_equal(tm_read(tm, TSS_B, 2), S_TSSA);
	assert_int_equal(gdt_access(tm, S_TSSA), 0x8b);
	assert_int_equal(gdt_access(tm, S_TSSB), 0x8b);
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSSB);
	assert_int_equal(flags_read(cpu), 0x2 | RFLAGS_CF | RFLAGS_NT);
	assert_int_equal(cpu->rip, B_EIP);

	cpu->gpr[R_RBX] = 0x5555;
	assert_int_equal(EXEC(tm, 0xcf), X_JUMP);                        /* iret */
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSSA);
	assert_int_equal(cpu->rip, TM_CODE + 7);
	assert_int_equal(cpu->gpr[R_RBX], 0xa0000003u);
	assert_int_equal(flags_read(cpu), 0x2 | RFLAGS_ZF);
	assert_int_equal(gdt_access(tm, S_TSSB), 0x89);
	assert_int_equal(gdt_access(tm, S_TSSA), 0x8b);
	/* Task B's TSS: EIP after the IRET, NT clear in the saved image. */
	assert_int_equal(rd4(tm, TSS_B + 0x20), B_EIP + 1);
	assert_int_equal(rd4(tm, TSS_B + 0x24), 0x2 | RFLAGS_CF);
	assert_int_equal(rd4(tm, TSS_B + 0x34), 0x5555);
	tm_free(tm);
}

/* Vol. 2 "INT n", TASK-GATE: "SWITCH-TASKS (with nesting) to TSS; IF
 * interrupt caused by fault with error code THEN ... Push(error code)";
 * §6.12.2: "the processor ... saves the state of the interrupted task in
 * its TSS" with the EIP of the faulting instruction (a fault, §6.5), and
 * nesting sets the back link and NT as a CALL does (§7.4). */
static void idt_task_gate(void **state)
{
	struct tm *tm = setup();
	struct cpu *cpu = tm->cpu;
	/* mov ax, 0x400; mov ds, ax -> #GP(0x400): beyond the GDT limit */
	static const uint8_t code[] = { 0x66, 0xb8, 0x00, 0x04, 0x8e, 0xd8 };

	(void)state;
	t_idt(tm, 32);
	t_gate(tm, EXC_GP, SYS_TASKGATE, 0, S_TSSB, 0, 0, 1);
	tm_code(tm, code, sizeof(code));
	tm_write(tm, B_EIP, 1, 0xf4);                                  /* hlt */
	cpu->gpr[R_RAX] = 0xa0000000u;
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSSB);
	assert_int_equal(cpu->rip, B_EIP + 1);
	assert_int_equal(rd4(tm, TSS_A + 0x20), TM_CODE + 4);
	assert_int_equal(rd4(tm, TSS_A + 0x28), 0xa0000400u);
	assert_int_equal(tm_read(tm, TSS_B, 2), S_TSSA);
	assert_true(flags_read(cpu) & RFLAGS_NT);
	assert_int_equal(cpu->gpr[R_RSP], B_ESP - 4);
	assert_int_equal(rd4(tm, B_ESP - 4), 0x400);
	assert_int_equal(gdt_access(tm, S_TSSA), 0x8b);
	assert_int_equal(gdt_access(tm, S_TSSB), 0x8b);
	tm_free(tm);
}

/* §4.4.1: "If PAE paging is in use and a task switch changes the value
 * of CR3, the PDPTEs are loaded from the address in the new CR3 value";
 * a present PDPTE with a reserved bit (2:1) set cannot be loaded.  The
 * SDM gives #GP(0) only for MOV to CR; softvtx raises #TS(0) after the
 * commit point, as Bochs does (task.c says why). */
static void pae_bad_pdpte(void **state)
{
	struct tm *tm = setup();
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	tm_write(tm, 0x8000, 8, 0xa000 | PTE_P);
	tm_write(tm, 0x9000, 8, 0xa000 | PTE_P | PTE_W);               /* bit 1: reserved */
	for (unsigned i = 1; i < 4; i++) {
		tm_write(tm, 0x8000 + 8 * i, 8, 0);
		tm_write(tm, 0x9000 + 8 * i, 8, 0);
	}
	for (unsigned i = 0; i < 8; i++)
		tm_write(tm, 0xa000 + 8 * i, 8, ((uint64_t)i << 21) | PTE_PS | PTE_W | PTE_P);
	assert_int_equal(cr_write(cpu, 4, CR4_PAE), X_OK);
	assert_int_equal(cr_write(cpu, 3, 0x8000), X_OK);
	assert_int_equal(cr_write(cpu, 0, cpu->cr0 | CR0_PG), X_OK);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB, 0);
	assert_fault(tm, st, EXC_TS, 0);
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSSB);
	assert_int_equal(cpu->rip, B_EIP);
	assert_int_equal(cpu->cr3, 0x8000);
	tm_free(tm);
}

/* §7.6 and Figure 7-11: a 16-bit TSS holds IP at 0EH, FLAGS at 10H, AX..DI
 * from 12H, ES, CS, SS, DS from 22H, and the LDT selector at 2AH; its
 * descriptor type is 1 (available) and becomes 3 (busy). */
static void jmp_tss16(void **state)
{
	struct tm *tm = setup();
	struct cpu *cpu = tm->cpu;

	(void)state;
	for (unsigned i = 0; i < 0x2c; i += 2)
		tm_write(tm, TSS_16 + i, 2, 0);
	tm_write(tm, TSS_16 + 0x0e, 2, 0x0200);
	tm_write(tm, TSS_16 + 0x10, 2, 0x0002 | RFLAGS_ZF);
	tm_write(tm, TSS_16 + 0x12, 2, 0x1234);                         /* AX */
	tm_write(tm, TSS_16 + 0x1a, 2, 0x8000);                         /* SP */
	tm_write(tm, TSS_16 + 0x22, 2, TM_SEL_DATA);                    /* ES */
	tm_write(tm, TSS_16 + 0x24, 2, TM_SEL_CODE16);                  /* CS */
	tm_write(tm, TSS_16 + 0x26, 2, TM_SEL_DATA);                    /* SS */
	tm_write(tm, TSS_16 + 0x28, 2, TM_SEL_DATA);                    /* DS */
	assert_int_equal(EXEC(tm, 0xea, 0, 0, 0, 0, S_TSS16, 0), X_JUMP);
	assert_a_saved(tm, TM_CODE + 7);
	assert_int_equal(cpu->rip, 0x200);
	assert_int_equal(cpu->gpr[R_RAX] & 0xffff, 0x1234);
	assert_int_equal(cpu->gpr[R_RSP] & 0xffff, 0x8000);
	assert_int_equal(flags_read(cpu) & 0xffff, 0x0002 | RFLAGS_ZF);
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_CODE16);
	assert_int_equal(cpu->code_size, 2);
	assert_int_equal(cpu->seg[SEG_ES].sel, TM_SEL_DATA);
	assert_int_equal(gdt_access(tm, S_TSS16), 0x83);
	assert_int_equal(cpu->seg[SEG_TR].attr & SEG_TYPE_MASK, SYS_TSS16_BUSY);
	tm_free(tm);
}

/* Nothing of the old task may change when a check before the commit
 * point fails. */
static void assert_old_intact(struct tm *tm)
{
	assert_int_equal(tm->cpu->seg[SEG_TR].sel, S_TSSA);
	assert_int_equal(tm->cpu->rip, TM_CODE);
	assert_int_equal(gdt_access(tm, S_TSSA), 0x8b);
	assert_int_equal(rd4(tm, TSS_A + 0x20), 0);
	assert_false(tm->cpu->cr0 & CR0_TS);
}

/* Table 6-6, #TS(TSS selector): "The TSS segment limit is less than 67H
 * for 32-bit TSS"; it is raised in the context of the old task ("Until
 * the processor has completely verified the presence of the new TSS, the
 * exception is generated in the context of the original task"). */
static void ts_short_limit(void **state)
{
	struct tm *tm = setup();
	int st;

	(void)state;
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_SHORT, 0);
	assert_fault(tm, st, EXC_TS, S_SHORT);
	assert_old_intact(tm);
	assert_int_equal(gdt_access(tm, S_SHORT), 0x89);
	tm_free(tm);
}

/* Table 6-6, #TS(TSS selector): "During an IRET task switch, the backlink
 * points to a descriptor which is not a busy TSS", and "the backlink is a
 * NULL selector"; both before the commit point. */
static void ts_iret_link(void **state)
{
	struct tm *tm = setup();
	int st;

	(void)state;
	t_flags(tm, 0x2 | RFLAGS_NT);
	tm_write(tm, TSS_A, 2, S_TSSB);                                /* available */
	st = EXEC(tm, 0xcf);
	assert_fault(tm, st, EXC_TS, S_TSSB);
	assert_old_intact(tm);
	tm_write(tm, TSS_A, 2, 0);
	st = EXEC(tm, 0xcf);
	assert_fault(tm, st, EXC_TS, 0);
	assert_old_intact(tm);
	tm_free(tm);
}

/* Table 7-1, after the commit point: "SS segment selector is valid"
 * (#TS, new stack segment), "Code segment DPL matches segment selector
 * RPL" (#TS, new code segment), "LDT segment selector of new task is
 * valid" (#TS, new task's LDT; note 3: valid means "in a compatible type
 * of table").  §7.3: "Any errors associated with this loading and
 * qualification occur in the context of the new task": TR, EIP and the
 * registers are the new task's when the fault is raised. */
static void ts_new_task_context(void **state)
{
	struct tm *tm;
	struct cpu *cpu;
	int st;

	(void)state;
	tm = setup();
	cpu = tm->cpu;
	tm_write(tm, TSS_B + 0x50, 2, 0);                               /* SS null */
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB, 0);
	assert_fault(tm, st, EXC_TS, 0);
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSSB);
	assert_int_equal(cpu->rip, B_EIP);
	assert_int_equal(cpu->gpr[R_RAX], 0xb0000000u);
	assert_int_equal(gdt_access(tm, S_TSSA), 0x89);
	assert_int_equal(gdt_access(tm, S_TSSB), 0x8b);
	assert_int_equal(rd4(tm, TSS_A + 0x20), TM_CODE + 7);
	tm_free(tm);

	tm = setup();
	cpu = tm->cpu;
	tm_write(tm, TSS_B + 0x4c, 2, TM_SEL_UCODE32 & ~3);             /* DPL 3, RPL 0 */
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB, 0);
	assert_fault(tm, st, EXC_TS, TM_SEL_UCODE32 & ~3);
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSSB);
	assert_int_equal(cpu->rip, B_EIP);
	tm_free(tm);

	tm = setup();
	cpu = tm->cpu;
	tm_write(tm, TSS_B + 0x60, 2, S_LDT | 4);                      /* TI = 1 */
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB, 0);
	assert_fault(tm, st, EXC_TS, S_LDT | 4);
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSSB);
	tm_free(tm);
}

/* Table 7-1: "Stack segment is present" -> #SS(new stack segment); "DS,
 * ES, FS, and GS segments are present" -> #NP(new data segment); both in
 * the new task's context. */
static void ss_np_new_task_context(void **state)
{
	struct tm *tm;
	int st;

	(void)state;
	tm = setup();
	tm_write(tm, TSS_B + 0x50, 2, S_NPDATA);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB, 0);
	assert_fault(tm, st, EXC_SS, S_NPDATA);
	assert_int_equal(tm->cpu->seg[SEG_TR].sel, S_TSSB);
	tm_free(tm);

	tm = setup();
	tm_write(tm, TSS_B + 0x54, 2, S_NPDATA);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB, 0);
	assert_fault(tm, st, EXC_NP, S_NPDATA);
	assert_int_equal(tm->cpu->rip, B_EIP);
	assert_int_equal(tm->cpu->seg[SEG_SS].sel, TM_SEL_DATA);
	tm_free(tm);
}

/* Vol. 2 "JMP"/"CALL", TASK-STATE-SEGMENT: "IF TSS DPL < CPL or RPL or
 * TSS descriptor indicates TSS not available THEN #GP(TSS selector); IF
 * TSS is not present THEN #NP(TSS selector)"; TASK-GATE: "IF task gate
 * DPL < CPL or RPL THEN #GP(task gate selector)"; the task gate's DPL (3)
 * admits CPL 3 although the TSS's DPL (0) would not. */
static void gp_np_checks(void **state)
{
	struct tm *tm = setup();
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSA, 0);                     /* busy */
	assert_fault(tm, st, EXC_GP, S_TSSA);
	st = EXEC(tm, 0x9a, 0, 0, 0, 0, S_TSSNP, 0);
	assert_fault(tm, st, EXC_NP, S_TSSNP);
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB | 1, 0);                 /* RPL 1 > DPL 0 */
	assert_fault(tm, st, EXC_GP, S_TSSB);
	assert_old_intact(tm);
	to_user(tm);
	cpu->rip = TM_CODE;
	st = EXEC(tm, 0xea, 0, 0, 0, 0, S_TSSB | 3, 0);
	assert_fault(tm, st, EXC_GP, S_TSSB);
	assert_int_equal(EXEC(tm, 0xea, 0, 0, 0, 0, S_TGATE | 3, 0), X_JUMP);
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSSB);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(tm_read(tm, TSS_A + 0x4c, 2), TM_SEL_UCODE32);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jmp_tss),
		cmocka_unit_test(call_gate_then_iret),
		cmocka_unit_test(idt_task_gate),
		cmocka_unit_test(jmp_loads_cr3),
		cmocka_unit_test(pae_bad_pdpte),
		cmocka_unit_test(jmp_tss16),
		cmocka_unit_test(debug_trap_flag),
		cmocka_unit_test(vm86_task),
		cmocka_unit_test(ts_short_limit),
		cmocka_unit_test(ts_iret_link),
		cmocka_unit_test(ts_new_task_context),
		cmocka_unit_test(ss_np_new_task_context),
		cmocka_unit_test(gp_np_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
