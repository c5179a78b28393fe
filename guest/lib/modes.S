/* Mode-switch helpers: 64-bit <-> compatibility mode.
 * A far return to a code segment with L=0, D=1 enters compatibility mode
 * (SDM Vol. 3A §5.2.1); the 32-bit code returns the same way. */
#include "layout.h"

	.text
	.code64
/* uint32_t compat_call(uint32_t fn, uint32_t a, uint32_t b) */
	.globl compat_call
compat_call:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	pushq $SEL_KCODE32
	pushq $compat_tramp
	lretq
	.code32
compat_tramp:
	push %edx
	push %esi
	call *%edi
	add $8, %esp
	pushl $SEL_KCODE64
	pushl $compat_back
	lret
	.code64
compat_back:
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
