/* Leaving IA-32e mode for legacy 32-bit protected mode and coming back
 * (SDM Vol. 3A §10.8.5.4 "Switching Out of IA-32e Mode Operation"):
 * compatibility mode -> CR0.PG=0 (LMA clears) -> EFER.LME=0, then run
 * 32-bit code with a 32-bit IDT; on return CR4/CR3/EFER.LME/CR0 are
 * restored, which re-activates IA-32e mode (§10.8.5). */
#include "layout.h"

	.text
	.code64
/* uint32_t legacy_call(uint32_t fn, uint32_t a, uint32_t b) */
	.globl legacy_call
legacy_call:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, legacy_rsp64(%rip)
	sidt legacy_idt64(%rip)
	mov %cr0, %rax
	mov %eax, legacy_cr0(%rip)
	mov %cr3, %rax
	mov %eax, legacy_cr3(%rip)
	mov %cr4, %rax
	mov %eax, legacy_cr4(%rip)
	mov %esi, legacy_arg_a(%rip)
	mov %edx, legacy_arg_b(%rip)
	pushq $SEL_KCODE32
	pushq $1f
	lretq

	.code32
1:	mov %cr0, %eax
	and $0x7fffffff, %eax
	mov %eax, %cr0
	mov $0xC0000080, %ecx
	rdmsr
	and $~0x100, %eax
	wrmsr
	lidt idt32_desc
	mov %esp, legacy_esp32
	pushl legacy_arg_b
	pushl legacy_arg_a
	call *%edi
	.globl legacy_return
legacy_return:
	mov legacy_esp32, %esp
	mov %eax, %ebx
	mov %cr0, %eax
	and $0x7fffffff, %eax
	mov %eax, %cr0
	mov legacy_cr4, %eax
	mov %eax, %cr4
	mov legacy_cr3, %eax
	mov %eax, %cr3
	mov $0xC0000080, %ecx
	rdmsr
	or $0x100, %eax
	wrmsr
	mov legacy_cr0, %eax
	mov %eax, %cr0
	ljmp $SEL_KCODE64, $2f

	.code64
2:	mov legacy_rsp64(%rip), %rsp
	lidt legacy_idt64(%rip)
	mov $SEL_KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ebx, %eax
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/* 32-bit exception stubs for vectors 0-63, 16 bytes each (error codes as
 * in trap.S).  The common path records the exception in legacy_trap and
 * resumes at legacy_resume_eip/esp when armed, else abandons the 32-bit
 * code and returns 0xE0000000 | vector from legacy_call. */
	.code32
	.align 16
	.globl legacy_stubs
legacy_stubs:
	vec = 0
	.rept LEGACY_VECTORS
	.align 16
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushl $0
	.endif
	pushl $vec
	jmp legacy_trap_common
	vec = vec + 1
	.endr

legacy_trap_common:
	/* DS may hold a test segment: reload it before touching memory.
	 * Stack: EAX, vector, error, EIP, CS, EFLAGS[, ESP, SS from ring 3]. */
	push %eax
	mov $SEL_KDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov 4(%esp), %eax
	mov %eax, legacy_trap
	mov 8(%esp), %eax
	mov %eax, legacy_trap + 4
	mov 12(%esp), %eax
	mov %eax, legacy_trap + 8
	mov 16(%esp), %eax
	mov %eax, legacy_trap + 20
	mov 24(%esp), %eax
	mov %eax, legacy_trap + 24
	mov %esp, legacy_trap + 28
	mov %cr2, %eax
	mov %eax, legacy_trap + 12
	incl legacy_trap + 16
	pop %eax
	mov legacy_resume_eip, %eax
	test %eax, %eax
	jz 1f
	movl $0, legacy_resume_eip
	mov legacy_resume_esp, %esp
	jmp *%eax
1:	mov legacy_trap, %eax
	or $0xE0000000, %eax
	jmp legacy_return

/* uint32_t pm32_run_ops(struct pm32_cfg *cfg, struct pm32_op *ops):
 * turns on legacy paging as cfg says, runs the ops, records for each the
 * value read or the exception, and turns paging off again. */
	.globl pm32_run_ops
pm32_run_ops:
	push %ebx
	push %esi
	push %edi
	push %ebp
	mov 20(%esp), %ebx
	mov 24(%esp), %esi
	mov 4(%ebx), %eax
	mov %eax, %cr4
	mov (%ebx), %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or 8(%ebx), %eax
	mov %eax, %cr0
	jmp 1f
1:	mov (%esi), %eax
	test %eax, %eax
	jz 9f
	movl $-1, 16(%esi)
	mov %esp, legacy_resume_esp
	movl $5f, legacy_resume_eip
	mov 4(%esi), %edi
	mov 8(%esi), %edx
	mov 32(%esi), %ecx
	/* The access goes through DS; with op->sel != 0, DS is loaded with it
	 * first (which may itself fault) and reloaded flat right after. */
	test %ecx, %ecx
	jz 7f
	mov %cx, %ds
7:	cmp $1, %eax
	je 2f
	cmp $2, %eax
	je 3f
	cmp $3, %eax
	je 4f
	cmp $5, %eax
	je 8f
	invlpg (%edi)
	jmp 6f
2:	mov (%edi), %eax
	jmp 6f
3:	mov %edx, (%edi)
	jmp 6f
4:	call *%edi
	jmp 6f
8:	xor %eax, %eax               /* PM32_LOAD_DS: the load was the test */
	jmp 6f
5:	mov $SEL_KDATA, %eax
	mov %eax, %ds
	mov legacy_trap, %eax
	mov %eax, 16(%esi)
	mov legacy_trap + 4, %eax
	mov %eax, 20(%esi)
	mov legacy_trap + 12, %eax
	mov %eax, 24(%esi)
	mov legacy_trap + 8, %eax
	mov %eax, 28(%esi)
	jmp 10f
6:	mov $SEL_KDATA, %ecx
	mov %ecx, %ds
	mov %eax, 12(%esi)
10:	movl $0, legacy_resume_eip
	add $40, %esi
	jmp 1b
9:	mov %cr0, %eax
	and $0x7fffffff, %eax
	mov %eax, %cr0
	xor %eax, %eax
	pop %ebp
	pop %edi
	pop %esi
	pop %ebx
	ret

	.data
	.align 16
	.globl legacy_trap, legacy_resume_eip, legacy_resume_esp, idt32
legacy_trap:       .long 0, 0, 0, 0, 0, 0, 0, 0   /* see struct legacy_trap */
legacy_resume_eip: .long 0
legacy_resume_esp: .long 0
legacy_esp32:      .long 0
legacy_arg_a:      .long 0
legacy_arg_b:      .long 0
legacy_cr0:        .long 0
legacy_cr3:        .long 0
legacy_cr4:        .long 0
legacy_rsp64:      .quad 0
	.align 8
	.word 0, 0, 0
legacy_idt64:      .word 0
	.quad 0
	.align 8
	.word 0
	.globl idt32_desc
idt32_desc:        .word LEGACY_VECTORS * 8 - 1
	.long idt32
	.bss
	.align 8
idt32:             .skip LEGACY_VECTORS * 8
	.section .note.GNU-stack, "", @progbits
