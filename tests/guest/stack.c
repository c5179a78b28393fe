/* Stack instructions in 64-bit mode (SDM Vol. 2B PUSH, POP, ENTER, LEAVE,
 * CALL, RET): PUSH RSP pushes the old value, POP RSP loads the popped
 * value, POP to an RSP-based memory operand uses the incremented RSP,
 * 16-bit pushes with 66h, PUSH imm sign-extension, ENTER with nesting
 * levels, RET imm16, and the 16-byte RSP alignment on interrupt entry
 * (SDM Vol. 3A §7.14.2). */
#include "guest.h"

uint64_t out[8];

/* Each helper saves RSP in RBP-free scratch and restores it, so that the
 * compiler's frame is never disturbed. */
uint64_t push_rsp(void);
asm(".text\n.globl push_rsp\npush_rsp:\n"
    "mov %rsp, %rcx\n"
    "push %rsp\n"
    "pop %rax\n"
    "sub %rcx, %rax\n"           /* 0 when the old RSP was pushed */
    "ret\n");

uint64_t pop_rsp(void);
asm(".text\n.globl pop_rsp\npop_rsp:\n"
    "mov %rsp, %rcx\n"
    "lea -64(%rsp), %rax\n"
    "push %rax\n"
    "pop %rsp\n"                 /* RSP = popped value, not +8 */
    "mov %rsp, %rax\n"
    "mov %rcx, %rsp\n"
    "sub %rcx, %rax\n"           /* -64 */
    "ret\n");

/* POP m64 with RSP as base: the address is computed with the RSP after
 * the increment (SDM POP).  Returns [E-16] | [E-24] << 8 for entry RSP E. */
uint64_t pop_rsp_mem(void);
asm(".text\n.globl pop_rsp_mem\npop_rsp_mem:\n"
    "movq $0, -16(%rsp)\n"
    "movq $0, -24(%rsp)\n"
    "pushq $0x77\n"
    "popq -16(%rsp)\n"
    "mov -16(%rsp), %rax\n"
    "mov -24(%rsp), %rdx\n"
    "shl $8, %rdx\n"
    "or %rdx, %rax\n"
    "ret\n");

uint64_t push16(void);
asm(".text\n.globl push16\npush16:\n"
    "mov %rsp, %rcx\n"
    "movq $-1, -8(%rsp)\n"
    "pushw $0x1234\n"            /* 66 6A/68: RSP -= 2 */
    "mov %rsp, %rdx\n"
    "popw %ax\n"
    "movzwl %ax, %eax\n"
    "sub %rcx, %rdx\n"           /* -2 */
    "shl $32, %rdx\n"
    "or %rdx, %rax\n"
    "ret\n");

uint64_t push_imm(void);
asm(".text\n.globl push_imm\npush_imm:\n"
    "pushq $-2\n"                /* 6A FE: sign-extended to 64 bits */
    "pop %rax\n"
    "ret\n");

uint64_t push_imm32(void);
asm(".text\n.globl push_imm32\npush_imm32:\n"
    "pushq $-0x7edcba99\n"       /* 68 imm32 sign-extended */
    "pop %rax\n"
    "ret\n");

/* ENTER 32, 2: pushes RBP, copies one outer frame pointer and the new
 * frame pointer, then allocates 32 bytes (SDM ENTER pseudo-code).  Returns
 * RSP difference and stores the frame in out[]. */
uint64_t enter_nested(void);
asm(".text\n.globl enter_nested\nenter_nested:\n"
    "push %rbp\n"
    "push %rbx\n"
    "mov %rsp, %rbx\n"
    "lea -0x100(%rsp), %rbp\n"   /* a fake outer frame */
    "movq $0x0f00df00d, %rax\n"
    "mov %rax, -8(%rbp)\n"
    "enter $32, $2\n"
    "mov %rsp, %rax\n"
    "mov %rbp, %rcx\n"
    "mov (%rcx), %rdx\n"  "mov %rdx, out(%rip)\n"      /* saved RBP */
    "mov -8(%rcx), %rdx\n" "mov %rdx, out+8(%rip)\n"   /* copied outer pointer */
    "mov -16(%rcx), %rdx\n" "mov %rdx, out+16(%rip)\n" /* new frame pointer */
    "mov %rcx, out+24(%rip)\n"
    "leave\n"
    "mov %rbp, out+32(%rip)\n"
    "mov %rsp, out+40(%rip)\n"
    "sub %rbx, %rax\n"
    "mov %rbx, out+48(%rip)\n"
    "mov %rbx, %rsp\n"
    "pop %rbx\n"
    "pop %rbp\n"
    "ret\n");

/* RET imm16 releases the arguments after popping RIP. */
uint64_t ret_imm(void);
asm(".text\n.globl ret_imm\nret_imm:\n"
    "mov %rsp, %rcx\n"
    "pushq $0\n"
    "pushq $0\n"
    "call 1f\n"
    "mov %rsp, %rax\n"
    "sub %rcx, %rax\n"           /* 0: the callee dropped 16 bytes */
    "ret\n"
    "1: ret $16\n");

/* CALL pushes the address of the next instruction. */
uint64_t call_push(void);
extern const char call_push_next[];
asm(".text\n.globl call_push\ncall_push:\n"
    "call 1f\n"
    ".globl call_push_next\ncall_push_next:\n"
    "ret\n"
    "1: mov (%rsp), %rax\n"
    "add $8, %rsp\n"
    "ret\n");

/* INT3 with RSP = 8 mod 16: the frame the CPU builds starts at a
 * 16-byte aligned RSP, so the pushed RSP is the old one and the alignment
 * shows in the frame address (trap_info.frame). */

/* (At entry of a FAULT_FN the RSP is 8 mod 16, as after any CALL.) */
FAULT_FN(int3_misaligned, "int3\n.globl int3_misaligned_at\nint3_misaligned_at:");

int main(void)
{
	tap_plan(15);
	tap_check_u64(push_rsp(), 0, "push rsp pushes the value before the push");
	tap_check_u64(pop_rsp(), (uint64_t)-64, "pop rsp loads the popped value");
	tap_check_u64(pop_rsp_mem(), 0x77, "pop m64 addressed by RSP uses the incremented RSP");
	tap_check_u64(push16(), (uint64_t)-2 << 32 | 0x1234, "pushw imm16 moves RSP by 2");
	tap_check_u64(push_imm(), (uint64_t)-2, "push imm8 is sign-extended to 64 bits");
	tap_check_u64(push_imm32(), (uint64_t)-0x7edcba99, "push imm32 is sign-extended");
	uint64_t d = enter_nested();
	uint64_t entry = out[6], rbp_in = entry - 0x100;
	/* After ENTER: RBP_new = entry - 8; frame: [RBP_new] = old RBP,
	 * [-8] = copy of [old RBP - 8], [-16] = RBP_new; RSP = RBP_new - 16 - 32. */
	tap_check_u64(out[0], rbp_in, "enter: saved RBP");
	tap_check_u64(out[1], 0xf00df00d, "enter level 2: copies the outer frame pointer");
	tap_check_u64(out[2], entry - 8, "enter level 2: pushes the new frame pointer");
	tap_check_u64(d, (uint64_t)-(8 + 16 + 32), "enter 32, 2: RSP moves by 8 + 16 + 32");
	tap_ok(out[4] == rbp_in && out[5] == entry, "leave restores RSP and RBP");
	tap_check_u64(ret_imm(), 0, "ret imm16 releases 16 bytes");
	tap_check_u64(call_push(), (uintptr_t)call_push_next, "call pushes the next RIP");

	struct trap_info t;
	trap_try(int3_misaligned, 0, &t);
	tap_ok(t.vector == EXC_BP && (t.rsp & 15) == 8, "int3 with RSP = 8 mod 16 pushes the old RSP (0x%lx)",
	       t.rsp);
	/* The CPU aligned RSP down to 16 and pushed SS RSP RFLAGS CS RIP. */
	tap_check_u64(t.frame + 40, t.rsp - 8, "interrupt frame is built below RSP aligned down to 16");
	return tap_done();
}
