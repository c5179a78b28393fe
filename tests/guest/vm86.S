/* Virtual-8086 mode, run through legacy_call as vm86_body(iopl, esp0):
 * LTR a 32-bit TSS, IRET with EFLAGS.VM=1 into 16-bit code copied to
 * VM86_SEG:0, which computes, stores, and executes INT 0x30.  With IOPL 3
 * the INT goes through the DPL-3 gate in the IDT (SDM Vol. 3A §21.3.1.1,
 * Table 21-2, "IOPL = 3": protected-mode handler); with IOPL < 3 it is
 * #GP(0).  The runtime records the frame and resumes at 1:. */
#include "layout.h"

#define SEL_TSS32 (SEL_SPARE + 8)
#define VM86_SEG 0x0900

	.text
	.code32
	.globl vm86_body
vm86_body:
	push %ebx
	push %esi
	push %edi
	push %ebp
	cld
	mov $vm86_code, %esi
	mov $(VM86_SEG << 4), %edi
	mov $(vm86_code_end - vm86_code), %ecx
	rep movsb
	mov 20(%esp), %eax           /* IOPL */
	shl $12, %eax
	or $0x20002, %eax            /* VM | bit 1 */
	mov $SEL_TSS32, %cx
	ltr %cx
	mov %esp, legacy_resume_esp
	movl $1f, legacy_resume_eip
	pushl $0                     /* GS */
	pushl $0                     /* FS */
	pushl $VM86_SEG              /* DS */
	pushl $VM86_SEG              /* ES */
	pushl $VM86_SEG              /* SS */
	pushl $0x0ff0                /* SP */
	push %eax                    /* EFLAGS */
	pushl $VM86_SEG              /* CS */
	pushl $0                     /* IP */
	iret
1:	mov $SEL_KDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	xor %eax, %eax
	pop %ebp
	pop %edi
	pop %esi
	pop %ebx
	ret

	.code16
vm86_code:
	mov $0x1234, %ax
	add $0x1111, %ax
	mov %ax, 0x0100               /* DS:0x100 = linear 0x9100 */
	mov %cs, %ax
	mov %ax, 0x0102
	push $0x7777
	pop %bx
	mov %bx, 0x0104
	int $0x30
	.globl vm86_int_next
vm86_int_next:
	hlt
vm86_code_end:
	.globl vm86_int_off
	.set vm86_int_off, vm86_int_next - vm86_code
	.section .note.GNU-stack, "", @progbits
