/* alu: dependent integer work in a loop whose retired-instruction count is
 * known exactly, so bench/run can check softvtx's count.
 *
 *   uint64_t alu_loop(uint64_t iters)      iters >= 1, returns a checksum
 *
 * Retires ALU_SETUP + iters * ALU_BODY + ALU_TAIL instructions from the
 * first instruction of alu_loop through its RET (alu.h).  The one
 * data-dependent branch in the body has two arms of equal length, so the
 * count does not depend on the data.  Keep alu.h in step with any edit.
 */
#include "alu.h"

	.text
	.globl	alu_loop
	.type	alu_loop, @function
alu_loop:
	/* setup: 8 instructions */
	push	%rbx
	mov	$0x0123456789abcdef, %rax
	mov	$0x243f6a8885a308d3, %rdx
	mov	$0x13198a2e03707344, %rsi
	mov	$0xa4093822299f31d0, %r8
	mov	$0x082efa98ec4e6c89, %rbx
	mov	$0x452821e638d01377, %r11
	mov	%rdi, %rcx
	/* body: 24 instructions per iteration on every path */
1:	add	%rsi, %rax
	xor	%rax, %rdx
	rol	$13, %rdx
	imul	%rdx, %r8
	add	$0x5bd1e995, %r8
	mov	%r8, %r9
	shr	$17, %r9
	xor	%r9, %rsi
	lea	0x11(%rsi,%rax,2), %r10
	sub	%r10, %rbx
	and	$0xfffff, %r10
	cmp	$0x80000, %r10
	jb	2f
	add	%r10, %r11
	ror	$7, %r11
	jmp	3f
2:	sub	%r10, %r11
	not	%r11
	neg	%r11
3:	sar	$3, %rbx
	add	%r11, %rax
	adc	$0, %rdx
	or	%rbx, %rsi
	movzbl	%al, %r9d
	add	%r9, %rbx
	dec	%rcx
	jnz	1b
	/* tail: 7 instructions */
	xor	%rbx, %rax
	xor	%rdx, %rax
	xor	%rsi, %rax
	xor	%r8, %rax
	xor	%r11, %rax
	pop	%rbx
	ret
	.size	alu_loop, .-alu_loop
	.section .note.GNU-stack,"",@progbits
