/* 32-bit code for compat.c, run in compatibility mode by compat_call.
 * Each function is cdecl and returns its finding in EAX. */
#include "layout.h"

	.text
	.code32
/* 40+r / 48+r are INC/DEC outside 64-bit mode. */
	.globl c32_incdec
c32_incdec:
	mov $5, %eax
	mov $9, %ecx
	.byte 0x40                    /* inc eax */
	.byte 0x49                    /* dec ecx */
	shl $8, %eax
	or %ecx, %eax                 /* 0x0608 */
	ret

/* PUSHA pushes the ESP from before the instruction; POPA skips it. */
	.globl c32_pusha
c32_pusha:
	push %ebx
	push %esi
	push %edi
	push %ebp
	mov $0x11, %eax
	mov $0x22, %ecx
	mov $0x33, %edx
	mov $0x44, %ebx
	mov $0x55, %ebp
	mov $0x66, %esi
	mov $0x77, %edi
	mov %esp, c32_esp_before
	pusha
	mov 12(%esp), %eax           /* the pushed ESP slot */
	mov %eax, c32_pushed_esp
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %ebx, %ebx
	xor %ebp, %ebp
	xor %esi, %esi
	xor %edi, %edi
	popa
	add %ecx, %eax
	add %edx, %eax
	add %ebx, %eax
	add %ebp, %eax
	add %esi, %eax
	add %edi, %eax               /* 0x11+..+0x77 = 0x1dc */
	pop %ebp
	pop %edi
	pop %esi
	pop %ebx
	ret

/* PUSH DS / POP ES and LES. */
	.globl c32_segs
c32_segs:
	push %es
	push %ds
	pop %es
	mov %es, %eax
	pop %es
	ret

	.globl c32_les
c32_les:
	push %es
	push %ebx
	les c32_farptr, %ebx
	mov %es, %eax
	shl $16, %eax
	mov %bx, %ax                  /* sel << 16 | offset low */
	pop %ebx
	pop %es
	ret

/* 66h in 32-bit code selects 16-bit operands. */
	.globl c32_op16
c32_op16:
	mov $0x1234ffff, %eax
	addw $1, %ax                  /* 0x12340000, CF=1 */
	adc $0, %eax                  /* + 1 */
	ret

/* PUSH imm8 pushes 4 bytes in 32-bit code. */
	.globl c32_push_imm
c32_push_imm:
	mov %esp, %ecx
	push $-1
	mov %ecx, %eax
	sub %esp, %eax                /* 4 */
	pop %ecx
	ret

/* A far call to a 32-bit code segment pushes CS and EIP as dwords. */
	.globl c32_farcall
c32_farcall:
	mov %esp, %ecx
	lcall $SEL_KCODE32, $1f
	ret
1:	mov %ecx, %eax
	sub %esp, %eax                /* 8 */
	movzwl 4(%esp), %edx
	shl $16, %eax
	or %edx, %eax                 /* 8 << 16 | CS */
	lret

/* SIB with no base (mod 00, base 101): [index*4 + disp32]. */
	.globl c32_sib
c32_sib:
	mov $2, %ecx
	mov c32_table(,%ecx,4), %eax  /* table[2] */
	ret

/* JECXZ and LOOP in 32-bit code. */
	.globl c32_loop
c32_loop:
	mov $3, %ecx
	xor %eax, %eax
1:	add $10, %eax
	loop 1b
	jecxz 2f
	mov $-1, %eax
2:	ret

	.data
	.globl c32_esp_before, c32_pushed_esp
c32_esp_before: .long 0
c32_pushed_esp: .long 0
c32_farptr: .long 0xabcd5678
	.word SEL_UDATA
c32_table: .long 0x100, 0x200, 0x300, 0x400
	.section .note.GNU-stack, "", @progbits
