/* 32-bit BCD loops shared by the host generator and the bcd guest: each
 * runs one instruction over an array of {EAX, EFLAGS} pairs in place.
 * cdecl: void bcd_<op>(struct bcd_io *io, uint32_t n).  They run in
 * compatibility mode: on the host through Linux's 32-bit code segment,
 * in the guest through SEL_KCODE32. */
	.text
	.code32
.macro BCD_FN name, insn:vararg
	.globl \name
\name:
	push %esi
	mov 8(%esp), %esi
	mov 12(%esp), %ecx
1:	test %ecx, %ecx
	jz 2f
	push 4(%esi)
	popf
	mov (%esi), %eax
	\insn
	pushf
	pop 4(%esi)
	mov %eax, (%esi)
	add $8, %esi
	dec %ecx
	jmp 1b
2:	pop %esi
	ret
.endm

BCD_FN bcd_daa, daa
BCD_FN bcd_das, das
BCD_FN bcd_aaa, aaa
BCD_FN bcd_aas, aas
BCD_FN bcd_aam10, aam $10
BCD_FN bcd_aam16, aam $16
BCD_FN bcd_aad10, aad $10
BCD_FN bcd_aad7, aad $7
	.section .note.GNU-stack, "", @progbits
