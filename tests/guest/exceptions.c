/* Exceptions in 64-bit mode: vector, error code, pushed RIP (fault vs
 * trap), CR2, and that the faulting instruction committed nothing.
 * #OF and #BR need compatibility mode (see bcd.c); #PF is covered in
 * depth by paging64.c; ring-3-only cases by ring3.c. */
#include "guest.h"

#define SEL_NP SEL_SPARE           /* data segment, P=0 */
#define SEL_NP_STACK (SEL_SPARE + 8)

/* #BP is a trap: the pushed RIP follows the INT3 (SDM Vol. 3A §7.15,
 * Interrupt 3). */
FAULT_FN(do_int3, "int3\n.globl do_int3_at\ndo_int3_at:");
FAULT_FN(do_int_3, "int $3\n.globl do_int_3_at\ndo_int_3_at:");
/* #UD is a fault: RIP points at the instruction. */
FAULT_FN(do_ud2, ".globl do_ud2_at\ndo_ud2_at: ud2");
/* PUSH ES (06) is invalid in 64-bit mode (SDM Vol. 2B PUSH: #UD "If in
 * 64-bit mode" for ES). */
FAULT_FN(do_push_es, ".globl do_push_es_at\ndo_push_es_at: .byte 0x06");
/* AAA (37) is invalid in 64-bit mode. */
FAULT_FN(do_aaa, ".globl do_aaa_at\ndo_aaa_at: .byte 0x37");
/* LOCK on a register destination: #UD (SDM Vol. 2A LOCK). */
FAULT_FN(do_lock_reg, ".globl do_lock_reg_at\ndo_lock_reg_at: .byte 0xf0, 0x01, 0xc3");
/* MOV to CS is #UD (SDM Vol. 2B MOV: "If attempt is made to load the CS
 * register"). */
FAULT_FN(do_mov_cs, ".globl do_mov_cs_at\ndo_mov_cs_at: .byte 0x8e, 0xc8");
/* Non-canonical data reference through RBP: #SS(0) (SDM Vol. 3A §7.15,
 * Interrupt 12: "a non-canonical address on a memory reference that uses
 * the SS segment (RSP or RBP based)"). */
FAULT_FN(do_ss_noncanon, "push %rbp\nmovabs $0x8000000000001000, %rbp\n"
	 ".globl do_ss_noncanon_at\ndo_ss_noncanon_at: mov (%rbp), %rax\npop %rbp");
/* The same through another base is #GP(0). */
FAULT_FN(do_gp_noncanon, "movabs $0x0000800000000000, %rcx\n"
	 ".globl do_gp_noncanon_at\ndo_gp_noncanon_at: mov (%rcx), %rax");
/* A store to a non-canonical address must not change memory or RSI. */
FAULT_FN(do_gp_noncanon_movs, "movabs $0xfffe000000000000, %rdi\nmov $0x1000, %esi\n"
	 ".globl do_gp_noncanon_movs_at\ndo_gp_noncanon_movs_at: movsb");
/* WRMSR to an MSR that does not exist: #GP(0) (SDM Vol. 2B WRMSR). */
FAULT_FN(do_wrmsr_bad, "mov $0x4badbeef, %ecx\nxor %eax, %eax\nxor %edx, %edx\n"
	 ".globl do_wrmsr_bad_at\ndo_wrmsr_bad_at: wrmsr");
/* MOV CR4 clearing PAE while IA-32e mode is active: #GP(0) (SDM Vol. 2B
 * MOV—Move to/from Control Registers). */
FAULT_FN(do_cr4_rsvd, "mov %cr4, %rax\nbtr $5, %rax\n"
	 ".globl do_cr4_rsvd_at\ndo_cr4_rsvd_at: mov %rax, %cr4");
/* INT 0x90 whose gate is not present: #NP with error code
 * (vector << 3) | IDT(2) (SDM Vol. 3A §7.13 error code format). */
FAULT_FN(do_int_np, ".globl do_int_np_at\ndo_int_np_at: int $0x90");
/* An instruction longer than 15 bytes: #GP(0) (SDM Vol. 2A §2.3.11). */
FAULT_FN(do_too_long, ".globl do_too_long_at\ndo_too_long_at:\n"
	 ".byte 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,"
	 " 0x66, 0x66, 0x66, 0x90");
/* 15 bytes exactly is fine. */
FAULT_FN(do_15_bytes, ".byte 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,"
	 " 0x66, 0x66, 0x66, 0x66, 0x90\nint3\n.globl do_15_bytes_at\ndo_15_bytes_at:");
/* JMP/RET to a non-canonical target: #GP(0) with RIP at the JMP/RET
 * (SDM Vol. 2A JMP, RET: "If the target offset is not in canonical
 * form"). */
FAULT_FN(do_jmp_noncanon, "movabs $0x0000800000000000, %rax\n"
	 ".globl do_jmp_noncanon_at\ndo_jmp_noncanon_at: jmp *%rax");
FAULT_FN(do_ret_noncanon, "movabs $0xffff700000000000, %rax\npush %rax\n"
	 ".globl do_ret_noncanon_at\ndo_ret_noncanon_at: ret");
/* Single-step: after POPF sets TF, #DB is delivered after the *next*
 * instruction completes (SDM Vol. 3A §18.3.1.4), RIP after it. */
FAULT_FN(do_single_step, "pushfq\norq $0x100, (%rsp)\npopfq\nnop\n"
	 ".globl do_single_step_at\ndo_single_step_at: nop\nnop");
/* DIV by zero, RIP at the DIV. */
FAULT_FN(do_div0, "xor %ecx, %ecx\n.globl do_div0_at\ndo_div0_at: divl %ecx");

static uint16_t sel_arg;
static void ds_load(void *p) { (void)p; load_ds(sel_arg); }
static void ss_load(void *p) { (void)p; load_ss(sel_arg); }

struct fcase {
	const char *name;
	void (*fn)(void *);
	const char *at;
	int vector;
	uint64_t error;
	/* QEMU TCG does not fault and the machine dies: not run there. */
	bool tcg_unsafe;
};

static const struct fcase cases[] = {
	{ "int3 -> #BP, RIP after", do_int3, do_int3_at, EXC_BP, 0, false },
	{ "int $3 -> #BP, RIP after", do_int_3, do_int_3_at, EXC_BP, 0, false },
	{ "ud2 -> #UD", do_ud2, do_ud2_at, EXC_UD, 0, false },
	{ "push es in 64-bit mode -> #UD", do_push_es, do_push_es_at, EXC_UD, 0, false },
	{ "aaa in 64-bit mode -> #UD", do_aaa, do_aaa_at, EXC_UD, 0, false },
	{ "lock add reg,reg -> #UD", do_lock_reg, do_lock_reg_at, EXC_UD, 0, false },
	{ "mov to cs -> #UD", do_mov_cs, do_mov_cs_at, EXC_UD, 0, false },
	{ "non-canonical [rbp] -> #SS(0)", do_ss_noncanon, do_ss_noncanon_at, EXC_SS, 0, false },
	{ "non-canonical [rcx] -> #GP(0)", do_gp_noncanon, do_gp_noncanon_at, EXC_GP, 0, false },
	{ "movsb to non-canonical -> #GP(0)", do_gp_noncanon_movs, do_gp_noncanon_movs_at, EXC_GP, 0, false },
	{ "wrmsr to a missing MSR -> #GP(0)", do_wrmsr_bad, do_wrmsr_bad_at, EXC_GP, 0, false },
	{ "mov cr4 clearing PAE in IA-32e mode -> #GP(0)", do_cr4_rsvd, do_cr4_rsvd_at, EXC_GP, 0,
	  true },
	{ "int through a not-present gate -> #NP(0x90<<3|IDT)", do_int_np, do_int_np_at, EXC_NP,
	  0x90 << 3 | 2, false },
	{ "single-step after popf -> #DB, RIP after next insn", do_single_step,
	  do_single_step_at, EXC_DB, 0, false },
	{ "div by zero -> #DE", do_div0, do_div0_at, EXC_DE, 0, false },
	{ "16-byte instruction -> #GP(0)", do_too_long, do_too_long_at, EXC_GP, 0, false },
	{ "15-byte instruction runs (then int3)", do_15_bytes, do_15_bytes_at, EXC_BP, 0, false },
	{ "jmp to a non-canonical address -> #GP(0) at the jmp", do_jmp_noncanon,
	  do_jmp_noncanon_at, EXC_GP, 0, false },
	{ "ret to a non-canonical address -> #GP(0) at the ret", do_ret_noncanon,
	  do_ret_noncanon_at, EXC_GP, 0, false },
};

struct scase {
	const char *name;
	bool ss;
	uint16_t sel;
	int vector;
	uint64_t error;
};

/* SDM Vol. 2B MOV (segment register loads) protected-mode exceptions. */
static const struct scase seg_cases[] = {
	{ "mov ds, selector beyond GDT limit -> #GP(sel)", false, 0x1000, EXC_GP, 0x1000 },
	{ "mov ds, LDT selector with null LDTR -> #GP(sel)", false, 0x0c, EXC_GP, 0x0c },
	{ "mov ds, TSS descriptor -> #GP(sel)", false, SEL_TSS, EXC_GP, SEL_TSS },
	{ "mov ds, not-present data segment -> #NP(sel)", false, SEL_NP, EXC_NP, SEL_NP },
	{ "mov ds, RPL 3 data DPL 0 -> #GP(sel)", false, SEL_KDATA | 3, EXC_GP, SEL_KDATA },
	{ "mov ss, RPL != CPL -> #GP(sel)", true, SEL_KDATA | 3, EXC_GP, SEL_KDATA },
	{ "mov ss, code segment -> #GP(sel)", true, SEL_KCODE64, EXC_GP, SEL_KCODE64 },
	{ "mov ss, DPL 3 data at CPL 0 -> #GP(sel)", true, SEL_UDATA, EXC_GP, SEL_UDATA },
	{ "mov ss, not-present data segment -> #SS(sel)", true, SEL_NP_STACK, EXC_SS, SEL_NP_STACK },
	/* 64-bit mode allows a null SS at CPL < 3 when RPL = CPL (SDM MOV:
	 * #GP(0) only "if CPL = 3" or "CPL < 3 and CPL != RPL"). */
	{ "mov ss, null selector at CPL 0 in 64-bit mode is allowed", true, 0, -1, 0 },
};

int main(void)
{
	tap_plan((int)ARRAY_SIZE(cases) * 2 + (int)ARRAY_SIZE(seg_cases) + 4);

	/* A null LDTR: every TI=1 selector is then outside the table. */
	asm volatile("lldt %w0" : : "r"(0));
	/* Not-present copies of KDATA for the segment tests. */
	gdt[SEL_NP / 8] = 0x00cf13000000ffffull;
	gdt[SEL_NP_STACK / 8] = 0x00cf13000000ffffull;
	idt_gate(0x90, 0, false);

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct fcase *c = &cases[i];
		struct trap_info t;
		if (c->tcg_unsafe && cpu_is_qemu_tcg()) {
			tap_skip("known TCG difference, see qemu-expected-differences.txt", "%s", c->name);
			tap_skip("known TCG difference", "%s: pushed RIP", c->name);
			continue;
		}
		asm volatile("mov %0, %%dr6" : : "r"(0xffff0ff0ull));
		trap_try(c->fn, 0, &t);
		tap_ok(t.vector == c->vector && t.error == c->error,
		       "%s (got vector %d error 0x%lx)", c->name, t.vector, t.error);
		tap_check_u64(t.rip, (uintptr_t)c->at, "%s: pushed RIP", c->name);
		if (c->vector == EXC_DB) {
			uint64_t dr6;
			asm volatile("mov %%dr6, %0" : "=r"(dr6));
			/* SDM Vol. 3A §18.2.3: BS (bit 14) reports single-step. */
			tap_ok(dr6 & (1u << 14), "single-step sets DR6.BS (dr6 0x%lx)", dr6);
		}
		if (c->fn == do_gp_noncanon_movs)
			tap_ok(t.rsi == 0x1000 && t.rdi == 0xfffe000000000000ull,
			       "faulting movsb left RSI/RDI alone (rsi 0x%lx rdi 0x%lx)", t.rsi, t.rdi);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(seg_cases); i++) {
		const struct scase *c = &seg_cases[i];
		struct trap_info t;
		sel_arg = c->sel;
		trap_try(c->ss ? ss_load : ds_load, 0, &t);
		tap_ok(t.vector == c->vector && t.error == c->error,
		       "%s (got vector %d error 0x%lx)", c->name, t.vector, t.error);
	}

	/* Loading a null selector into DS is allowed (SDM MOV: no fault, the
	 * descriptor is marked unusable). */
	struct trap_info t;
	sel_arg = 0;
	trap_try(ds_load, 0, &t);
	tap_ok(t.vector == -1, "mov ds, null selector does not fault (got %d)", t.vector);
	/* The IDT gate is restored and works again. */
	idt_gate(0x90, 0, true);
	trap_try(do_int_np, 0, &t);
	tap_ok(t.vector == 0x90 && t.rip == (uintptr_t)do_int_np_at + 2,
	       "int $0x90 through a present gate, RIP after (vector %d)", t.vector);
	return tap_done();
}
