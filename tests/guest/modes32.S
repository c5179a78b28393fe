/* Protected mode -> 16-bit protected mode -> real mode and back (SDM Vol.
 * 3A §10.9.2 "Switching Back to Real-Address Mode" and §10.9.1).  Run
 * through legacy_call, so the trip is long mode -> legacy protected mode
 * -> real mode -> protected -> long.  The 16-bit part is copied below
 * 1 MiB, to LOW_TRAMP, and addresses itself relative to that base. */
#include "layout.h"

#define RM_DATA 0x7100     /* results area, cleared by the C side */
#define RM_STACK 0x7000

	.text
	.code32
	.globl rm_roundtrip
rm_roundtrip:
	push %ebx
	push %esi
	push %edi
	push %ebp
	mov %esp, rm_saved_esp
	cld
	mov $tramp16_start, %esi
	mov $LOW_TRAMP, %edi
	mov $(tramp16_end - tramp16_start), %ecx
	rep movsb
	/* Real-mode IVT entry 0x40 -> LOW_TRAMP segment : rm_isr. */
	movw $(rm_isr - tramp16_start), 0x100
	movw $(LOW_TRAMP >> 4), 0x102
	/* 16-bit data segments (limit 64 KiB) so that real mode inherits
	 * sane hidden limits (§10.9.2 step 4). */
	mov $SEL_DATA16, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $RM_STACK, %esp
	ljmp $SEL_CODE16, $(pm16_entry - tramp16_start)

	.globl rm_back32
rm_back32:
	mov $SEL_KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov rm_saved_esp, %esp
	lidt idt32_desc
	mov %cr0, %eax
	mov %eax, RM_DATA + 0x30
	xor %eax, %eax
	pop %ebp
	pop %edi
	pop %esi
	pop %ebx
	ret

	.code16
tramp16_start:
pm16_entry:
	/* 16-bit protected mode: record CS, then clear PE. */
	mov %cs, %ax
	mov %ax, RM_DATA + 0x00
	mov %cr0, %eax
	and $~1, %eax
	mov %eax, %cr0
	ljmp $(LOW_TRAMP >> 4), $(rm_entry - tramp16_start)
rm_entry:
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $RM_STACK, %sp
	lidt rm_ivt_desc - tramp16_start + LOW_TRAMP
	mov %cs, %ax
	mov %ax, RM_DATA + 0x02
	mov %cr0, %eax
	mov %eax, RM_DATA + 0x04
	/* Segmented store: ES=0x0700, offset 0x123 -> linear 0x7123 + ... */
	mov $0x0710, %ax
	mov %ax, %es
	movw $0xbeef, %es:0x08         /* linear 0x7108 */
	/* 32-bit operand in real mode through the 66h prefix. */
	mov $0x12345678, %eax
	mov %eax, RM_DATA + 0x0c
	/* INT 0x40 through the IVT, and a far call. */
	int $0x40
	lcall $(LOW_TRAMP >> 4), $(rm_far - tramp16_start)
	/* Real-mode 16-bit address wrap: offset 0xffff + 1 in a word access
	 * is not tested (it faults on some CPUs); a push/pop round trip is. */
	push $0x5a5a
	pop %bx
	mov %bx, RM_DATA + 0x14
	mov %sp, RM_DATA + 0x16
	/* 16-bit addressing: [BP+disp] defaults to SS (SDM Vol. 1 §3.7.5,
	 * Table 3-5); the same stack at SS=0x0600, SP=0x1000. */
	mov $0x0600, %ax
	mov %ax, %ss
	mov $0x1000, %sp
	mov $0x200, %bp
	movw $0xaaaa, 0(%bp)           /* linear 0x6200, not 0x0200 */
	/* [BX+SI] wraps at 64 KiB: 0x8000 + 0x8010 = 0x0010 (DS=0x0700). */
	mov $0x0700, %ax
	mov %ax, %ds
	mov $0x8000, %bx
	mov $0x8010, %si
	movw $0xbbbb, (%bx,%si)        /* linear 0x7010, not 0x17010 */
	xor %ax, %ax
	mov %ax, %ds
	/* #DE in real mode goes through IVT[0] and is a fault: the pushed IP
	 * is the DIV's (SDM Vol. 3A §21.1.4); the handler skips it. */
	movw $(rm_de - tramp16_start), 0x0000
	movw $(LOW_TRAMP >> 4), 0x0002
	xor %bl, %bl
	mov $0x1234, %ax
rm_div_at:
	div %bl
	mov %ax, RM_DATA + 0x20
	/* Near call and return with 16-bit operand size. */
	call rm_near
	mov %ax, RM_DATA + 0x1a
	mov %sp, RM_DATA + 0x1c
	/* Back to protected mode (§10.9.1): PE=1, far jump to 32-bit code. */
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $SEL_KCODE32, $rm_back32

rm_isr:
	movw $0x4040, RM_DATA + 0x10
	mov %sp, RM_DATA + 0x18        /* 3 words pushed: FLAGS CS IP */
	iret
rm_far:
	movw $0xfafa, RM_DATA + 0x12
	lret
rm_near:
	mov $0x5555, %ax
	ret
rm_de:
	push %bp
	push %ax
	mov %sp, %bp
	mov 4(%bp), %ax
	mov %ax, RM_DATA + 0x22
	mov 6(%bp), %ax
	mov %ax, RM_DATA + 0x24
	addw $2, 4(%bp)
	pop %ax
	pop %bp
	iret
	.globl rm_div_off
	.set rm_div_off, rm_div_at - tramp16_start

	.align 4
rm_ivt_desc:
	.word 0x3ff
	.long 0
tramp16_end:

	.data
rm_saved_esp: .long 0
	.section .note.GNU-stack, "", @progbits
