/* Multiboot v1 entry: 32-bit protected mode, paging off (Multiboot §3.2).
 * Builds identity page tables for the first 4 GiB with 2 MiB pages, enters
 * long mode (SDM Vol. 3A §10.8.5) and calls guest_start(magic, info). */
#include "layout.h"

#define MB_MAGIC  0x1BADB002
#define MB_FLAGS  0x00000003   /* bit 0: page-align modules, bit 1: mem info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	/* Zero .bss first: the loader should have, but the stack and page
	 * tables live there and must not hold stale bits on real hardware. */
	mov %eax, %ebp
	mov %ebx, %esi
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov %ebp, boot_magic
	mov %esi, boot_info
	mov $boot_stack_top, %esp

	lgdt gdt_desc
	ljmp $SEL_KCODE32, $1f
1:	mov $SEL_KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs

	/* PML4[0] -> PDPT; PDPT[0..3] -> 4 PDs; 2048 PDEs map 4 GiB with
	 * P|RW|US|PS.  US=1 everywhere lets ring-3 tests run image code. */
	movl $boot_pdpt + 7, boot_pml4
	mov $boot_pd, %eax
	or $7, %eax
	xor %ecx, %ecx
2:	mov %eax, boot_pdpt(,%ecx,8)
	add $0x1000, %eax
	inc %ecx
	cmp $4, %ecx
	jne 2b
	xor %ecx, %ecx
3:	mov %ecx, %eax
	shl $21, %eax
	or $0x87, %eax
	mov %eax, boot_pd(,%ecx,8)
	mov %ecx, %eax
	shr $11, %eax
	mov %eax, boot_pd+4(,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jne 3b

	mov %cr4, %eax
	or $0x20, %eax                  /* CR4.PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $0xC0000080, %ecx           /* IA32_EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax            /* CR0.PG|PE activates IA-32e mode */
	mov %eax, %cr0
	ljmp $SEL_KCODE64, $long_entry

	.code64
long_entry:
	mov $SEL_KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %eax, %eax
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	xor %ebp, %ebp
	mov boot_magic(%rip), %edi
	mov boot_info(%rip), %esi
	call guest_start
4:	cli
	hlt
	jmp 4b

	.data
	.align 16
	.globl gdt
gdt:
	.quad 0                       /* null */
	.quad 0x00cf9b000000ffff      /* 0x08 KCODE32 */
	.quad 0x00cf93000000ffff      /* 0x10 KDATA */
	.quad 0x00af9b000000ffff      /* 0x18 KCODE64 */
	.quad 0x00cf93000000ffff      /* 0x20 KDATA2 */
	.quad 0x00cffb000000ffff      /* 0x28 UCODE32 */
	.quad 0x00cff3000000ffff      /* 0x30 UDATA */
	.quad 0x00affb000000ffff      /* 0x38 UCODE64 */
	.quad 0x00009b000000ffff + (LOW_TRAMP << 16)  /* 0x40 CODE16 */
	.quad 0x000093000000ffff      /* 0x48 DATA16 */
	.quad 0, 0                    /* 0x50 TSS, filled by desc_init */
	.fill GDT_SPARE, 8, 0         /* 0x60.. spare */
gdt_end:
	.globl gdt_desc
	.align 8
	.word 0
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

	.globl boot_magic, boot_info
boot_magic: .long 0
boot_info:  .long 0

	.bss
	.align 4096
	.globl boot_pml4, boot_pdpt, boot_pd
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4 * 4096
	.align 16
	.globl boot_stack_top
boot_stack: .skip STACK_SIZE
boot_stack_top:
