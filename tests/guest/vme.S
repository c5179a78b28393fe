/* Virtual-8086 mode extensions, run through legacy_call as
 * vme_body(eflags, ip): CR4 |= vme_cr4, LTR the 32-bit TSS that holds the
 * interrupt redirection bit map, then IRET (32-bit, from CPL 0) with
 * EFLAGS = eflags into the 16-bit code below, copied to VM86_SEG:0, at
 * offset ip.  Every snippet ends in HLT, which is #GP(0) in virtual-8086
 * mode; the runtime records that exception (or an earlier one) and
 * resumes at 1:.  The snippets store what they see at DS:0x200.. (linear
 * VM86_LIN + 0x200). */
#include "layout.h"

#define SEL_TSS32 (SEL_SPARE + 8)
#define VM86_SEG 0x0900

	.text
	.code32
	.globl vme_body
vme_body:
	push %ebx
	push %esi
	push %edi
	push %ebp
	cld
	mov $vme_code, %esi
	mov $(VM86_SEG << 4), %edi
	mov $(vme_code_end - vme_code), %ecx
	rep movsb
	mov %cr4, %eax
	or vme_cr4, %eax
	mov %eax, %cr4
	mov $SEL_TSS32, %cx
	ltr %cx
	mov 20(%esp), %eax           /* EFLAGS */
	mov 24(%esp), %edx           /* IP */
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
	push %edx                    /* IP */
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

#define OFF(l) .globl l##_off; .set l##_off, l - vme_code

	.code16
vme_code:
/* INT 0x20, whose redirection bit is clear: the 8086 handler h20 records
 * the frame; PUSHF after its IRET. */
t_int20:
	int $0x20
t_int20_next:
	pushf
	pop %ax
	mov %ax, 0x208
t_int20_hlt:
	hlt
h20:
	push %bp
	mov %sp, %bp
	mov 6(%bp), %ax              /* pushed FLAGS */
	mov %ax, 0x200
	mov 4(%bp), %ax              /* pushed CS */
	mov %ax, 0x202
	mov 2(%bp), %ax              /* pushed IP */
	mov %ax, 0x204
	pushf                        /* FLAGS as the handler sees them */
	pop %ax
	mov %ax, 0x206
	pop %bp
	iret
/* INT 0x21 (bit clear) to a handler that is a HLT: EFLAGS on entry. */
t_int21:
	int $0x21
	hlt
h21:
	hlt
/* INT 0x30, whose redirection bit is set. */
t_int30:
	int $0x30
t_int30_next:
	hlt
/* INT3 (CC) and INT 3 (CD 03); vector 3's redirection bit is clear. */
t_int3:
	int3
t_int3_next:
	hlt
t_intn3:
	.byte 0xcd, 0x03
	hlt
/* CLI; PUSHF; STI; PUSHF; CLI; HLT */
t_clisti:
	cli
	pushf
	pop %ax
	mov %ax, 0x200
	sti
	pushf
	pop %ax
	mov %ax, 0x202
	cli
t_clisti_hlt:
	hlt
t_sti:
	sti
	hlt
t_pushf:
	pushf
	pop %ax
	mov %ax, 0x200
t_pushf_hlt:
	hlt
/* POPF of IOPL 3, IF and CF. */
t_popf_if:
	pushw $0x3201
	popf
t_popf_if_hlt:
	hlt
t_popf_tf:
	pushw $0x0100
t_popf_tf_at:
	popf
	hlt
t_popfd:
	pushl $0
t_popfd_at:
	popfl
	hlt
t_pushfd:
	pushfl
	hlt
/* IRET to iret_if_next with FLAGS = IF | CF. */
t_iret_if:
	pushw $0x0201
	push %cs
	pushw $(t_iret_if_next - vme_code)
t_iret_if_at:
	iret
t_iret_if_next:
	hlt
t_iret_tf:
	pushw $0x0100
	push %cs
	pushw $(t_iret_if_next - vme_code)
t_iret_tf_at:
	iret
t_iretd:
	pushl $0x0200
	pushl $VM86_SEG
	pushl $(t_iret_if_next - vme_code)
t_iretd_at:
	iretl
vme_code_end:

OFF(t_int20)
OFF(t_int20_next)
OFF(h20)
OFF(t_int21)
OFF(h21)
OFF(t_int30)
OFF(t_int30_next)
OFF(t_int3)
OFF(t_int3_next)
OFF(t_intn3)
OFF(t_clisti)
OFF(t_clisti_hlt)
OFF(t_int20_hlt)
OFF(t_pushf_hlt)
OFF(t_popf_if_hlt)
OFF(t_sti)
OFF(t_pushf)
OFF(t_popf_if)
OFF(t_popf_tf)
OFF(t_popf_tf_at)
OFF(t_popfd)
OFF(t_popfd_at)
OFF(t_pushfd)
OFF(t_iret_if)
OFF(t_iret_if_at)
OFF(t_iret_if_next)
OFF(t_iret_tf)
OFF(t_iret_tf_at)
OFF(t_iretd)
OFF(t_iretd_at)
	.section .note.GNU-stack, "", @progbits
