/* Debug exceptions (SDM Vol. 3A Chapter 18): single-step traps, the
 * MOV SS interrupt shadow, INT1, and DR0-DR3 breakpoints (instruction
 * breakpoints are faults, data breakpoints are traps) with DR6 status. */
#include "guest.h"

#define DR6_B0 (1u << 0)
#define DR6_B1 (1u << 1)
#define DR6_BS (1u << 14)

static uint64_t dr6(void)
{
	uint64_t v;
	asm volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static void clear_dr6(void)
{
	asm volatile("mov %0, %%dr6" : : "r"(0xffff0ff0ull));
}

/* TF set by POPF: the trap comes after the instruction that follows POPF
 * (§18.3.1.4), here after the first NOP. */
FAULT_FN(step_popf, "pushfq\norq $0x100, (%rsp)\npopfq\nnop\n"
	 ".globl step_popf_at\nstep_popf_at: nop\nnop");
/* MOV SS inhibits debug traps until after the next instruction (§7.8.3,
 * "Masking Exceptions and Interrupts When Switching Stacks").  IRETQ sets
 * TF and lands on the MOV SS, so a single-step trap is due right after
 * it; it must be delivered after the NOP that follows instead. */
FAULT_FN(step_movss, "mov %ss, %eax\nmov %rsp, %rcx\npush %rax\npush %rcx\n"
	 "pushfq\norq $0x100, (%rsp)\nmov %cs, %edx\npush %rdx\n"
	 "lea 1f(%rip), %rdx\npush %rdx\niretq\n"
	 "1: mov %eax, %ss\nnop\n.globl step_movss_at\nstep_movss_at: nop");
/* The same without MOV SS: the trap follows the first instruction. */
FAULT_FN(step_iret, "mov %ss, %eax\nmov %rsp, %rcx\npush %rax\npush %rcx\n"
	 "pushfq\norq $0x100, (%rsp)\nmov %cs, %edx\npush %rdx\n"
	 "lea 1f(%rip), %rdx\npush %rdx\niretq\n"
	 "1: nop\n.globl step_iret_at\nstep_iret_at: nop");
/* INT1 (F1) is a trap with DR6 unchanged in BS. */
FAULT_FN(do_int1, ".byte 0xf1\n.globl do_int1_at\ndo_int1_at: nop");
/* DR0 execute breakpoint at bp_exec_at: a fault, RIP = the address. */
FAULT_FN(do_bp_exec, "nop\n.globl do_bp_exec_at\ndo_bp_exec_at: nop\nnop");
/* DR1 write breakpoint on bp_data: a trap after the MOV. */
uint64_t bp_data[2];
FAULT_FN(do_bp_write, "movq $5, bp_data(%rip)\n.globl do_bp_write_at\ndo_bp_write_at: nop");

int main(void)
{
	struct trap_info t;
	tap_plan(11);

	clear_dr6();
	trap_try(step_popf, 0, &t);
	tap_ok(t.vector == EXC_DB && t.rip == (uintptr_t)step_popf_at && (dr6() & DR6_BS),
	       "single-step after POPF traps after the next instruction (vector %d rip 0x%lx dr6 0x%lx)",
	       t.vector, t.rip, dr6());

	clear_dr6();
	trap_try(step_iret, 0, &t);
	tap_ok(t.vector == EXC_DB && t.rip == (uintptr_t)step_iret_at,
	       "TF set by IRETQ traps after the first instruction at the target (rip 0x%lx)", t.rip);

	clear_dr6();
	trap_try(step_movss, 0, &t);
	tap_ok(t.vector == EXC_DB && t.rip == (uintptr_t)step_movss_at,
	       "MOV SS delays the single-step trap by one instruction (rip 0x%lx, expected 0x%lx)",
	       t.rip, (uint64_t)(uintptr_t)step_movss_at);

	clear_dr6();
	trap_try(do_int1, 0, &t);
	tap_ok(t.vector == EXC_DB && t.rip == (uintptr_t)do_int1_at,
	       "INT1 raises #DB as a trap (vector %d rip 0x%lx)", t.vector, t.rip);

	/* DR7: L0 (bit 0), R/W0 = 00 (execute), LEN0 = 00. */
	clear_dr6();
	asm volatile("mov %0, %%dr0" : : "r"((uint64_t)(uintptr_t)do_bp_exec_at));
	asm volatile("mov %0, %%dr7" : : "r"(0x1ull));
	trap_try(do_bp_exec, 0, &t);
	asm volatile("mov %0, %%dr7" : : "r"(0ull));
	tap_ok(t.vector == EXC_DB && t.rip == (uintptr_t)do_bp_exec_at,
	       "DR0 execute breakpoint is a fault at the address (vector %d rip 0x%lx)", t.vector, t.rip);
	tap_ok(dr6() & DR6_B0, "DR6.B0 reports breakpoint 0 (dr6 0x%lx)", dr6());

	/* DR7: L1 (bit 2), R/W1 = 01 (write) at bits 21:20, LEN1 = 11 (8
	 * bytes) at bits 23:22. */
	clear_dr6();
	asm volatile("mov %0, %%dr1" : : "r"((uint64_t)(uintptr_t)bp_data));
	asm volatile("mov %0, %%dr7" : : "r"(0x4ull | 1ull << 20 | 3ull << 22));
	trap_try(do_bp_write, 0, &t);
	asm volatile("mov %0, %%dr7" : : "r"(0ull));
	tap_ok(t.vector == EXC_DB && t.rip == (uintptr_t)do_bp_write_at,
	       "DR1 write breakpoint traps after the write (vector %d rip 0x%lx)", t.vector, t.rip);
	tap_ok((dr6() & DR6_B1) && !(dr6() & DR6_B0), "DR6.B1 reports breakpoint 1 (dr6 0x%lx)", dr6());
	tap_check_u64(bp_data[0], 5, "the write completed before the trap");

	/* A read does not hit a write-only breakpoint. */
	clear_dr6();
	asm volatile("mov %0, %%dr7" : : "r"(0x4ull | 1ull << 20 | 3ull << 22));
	uint64_t v = *(volatile uint64_t *)bp_data;
	asm volatile("mov %0, %%dr7" : : "r"(0ull));
	tap_ok(v == 5 && !(dr6() & DR6_B1), "a read does not trigger a write breakpoint");
	/* With DR7 clear nothing triggers. */
	trap_try(do_bp_exec, 0, &t);
	tap_check_u64(t.vector, (uint64_t)-1, "no breakpoint with DR7 = 0");
	return tap_done();
}
