/* IDT entry stubs and the recovery path used by trap_try/user_try.
 *
 * Every stub is 16 bytes: vectors that push no error code push a 0 first
 * (SDM Vol. 3A §7.13, Table 7-1 lists those that do: 8, 10-14, 17, 21,
 * 29, 30), then the vector, then jump to trap_common, which saves the
 * GPRs into a struct trap_frame and calls trap_dispatch. */
#include "layout.h"

	.text
	.code64
	.align 16
	.globl trap_stubs
trap_stubs:
	vec = 0
	.rept 256
	.align 16
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	vec = vec + 1
	.endr

trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	mov %rsp, %rdi
	call trap_dispatch
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

/* int trap_call(void (*fn)(void *), void *arg): runs fn(arg) with the
 * recovery point armed.  trap_dispatch resumes at 1: with RAX = vector
 * and RSP = trap_resume_rsp; the callee-saved registers come back from
 * this frame. */
	.globl trap_call
trap_call:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	sub $8, %rsp
	mov %rsp, trap_resume_rsp(%rip)
	lea 1f(%rip), %rax
	mov %rax, trap_resume_rip(%rip)
	movl $1, trap_armed(%rip)
	mov %rdi, %rax
	mov %rsi, %rdi
	call *%rax
	movl $0, trap_armed(%rip)
	mov $-1, %eax
1:	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/* void enter_user(void (*fn)(void *), void *arg, uint64_t rsp, uint64_t
 * rflags): IRETQ to ring 3 (SDM Vol. 2A IRET: return to outer level pops
 * RIP, CS, RFLAGS, RSP, SS). */
	.globl enter_user
enter_user:
	mov %rdi, %rax
	mov %rsi, %rdi
	pushq $(SEL_UDATA | 3)
	pushq %rdx
	pushq %rcx
	pushq $(SEL_UCODE64 | 3)
	pushq %rax
	iretq

	.globl load_ds
load_ds:
	mov %di, %ds
	mov $SEL_KDATA, %ax
	mov %ax, %ds
	ret

	.globl load_ss
load_ss:
	mov %ss, %ax
	mov %di, %ss
	mov %ax, %ss
	ret
