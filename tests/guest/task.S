/* Hardware task switches in legacy protected mode, run through
 * legacy_call as task_body(): LTR task A, JMP to task B's TSS selector,
 * B records what it sees and JMPs back to A (SDM Vol. 3A §9.3). */
#include "layout.h"

#define SEL_TSSA (SEL_SPARE + 8)
#define SEL_TSSB (SEL_SPARE + 16)

	.text
	.code32
	.globl task_body
task_body:
	push %ebx
	push %esi
	push %edi
	push %ebp
	mov %cr3, %eax
	mov %eax, tss_b + 28
	mov %esp, %eax
	sub $256, %eax
	mov %eax, tss_b + 56         /* B's ESP: below ours */
	mov $SEL_TSSA, %ax
	ltr %ax
	mov $0x1111, %ebx
	cmpl $0, 20(%esp)            /* mode: 0 JMP, 1 CALL */
	jne 2f
	ljmp $SEL_TSSB, $0
	.globl task_back
task_back:
	jmp 3f
2:	lcall $SEL_TSSB, $0
	.globl task_call_back
task_call_back:
3:
	mov %ebx, task_ebx_after
	str %ax
	movzwl %ax, %eax
	mov %eax, task_tr_after
	xor %eax, %eax
	pop %ebp
	pop %edi
	pop %esi
	pop %ebx
	ret

	.globl task_b_entry
task_b_entry:
	mov %eax, task_b_eax
	str %ax
	movzwl %ax, %eax
	mov %eax, task_b_tr
	pushf
	popl task_b_eflags
	mov $0x2222, %ebx
	mov task_b_eflags, %eax
	test $0x4000, %eax           /* NT: nested by CALL, return by IRET */
	jz 1f
	movzwl tss_b, %eax
	mov %eax, task_b_link
	iret
1:	ljmp $SEL_TSSA, $0
	.globl task_b_after
task_b_after:
	ud2

	.data
	.globl task_ebx_after, task_tr_after, task_b_eax, task_b_tr, task_b_eflags, task_b_link
task_b_link:    .long 0
task_ebx_after: .long 0
task_tr_after:  .long 0
task_b_eax:     .long 0
task_b_tr:      .long 0
task_b_eflags:  .long 0
	.globl tss_a, tss_b
	.align 16
tss_a: .fill 26, 4, 0
	.align 16
tss_b: .fill 26, 4, 0
	.section .note.GNU-stack, "", @progbits
