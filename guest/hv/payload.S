/* The guest: one page of code the hypervisor copies to GPA 0xFF000 and
 * also maps at GPA 0xFFFFF000, so that the reset vector (CS base
 * 0xFFFF0000, IP 0xFFF0, SDM Vol. 3A §10.1.4) lands on the JMP at offset
 * 0xFF0.  The guest walks the whole way up:
 *
 *   real mode   POST 1; LGDT; CR0.PE = 1; far JMP
 *   protected   POST 2; CR4.PSE, CR3 (and read back), LMSW sets CR0.MP,
 *               CR0.PG = 1: 32-bit paging with one 4 MiB page; POST 3; a
 *               store through paging; CR0.PG = 0
 *   long mode   4-level tables, CR4.PAE, CR3, EFER.LME, CR0.PG = 1, far
 *               JMP to 64-bit code; POST 4; CPUID.0 -> port 0x88; the sum
 *               of i*i for i = 1..1000 -> memory and port 0x84; POST 5
 *   leaving     compatibility mode, CR0.PG = 0 (IA-32e mode ends), EFER.LME
 *               = 0; POST 6
 *   real again  16-bit protected mode, CR0.PE = 0, far JMP, segment reloads
 *               (a restricted guest's segments are not vm86-valid until
 *               then: the hypervisor emulates); POST 7; CR0.PE = 1, far
 *               JMP; POST 8; HLT in 32-bit protected mode
 *
 * Every CR0 write exits (CR0 guest/host mask), so each one goes through
 * the hypervisor's set_cr0.  Guest-physical memory used:
 *   0x1000 PML4, 0x2000 PDPT, 0x3000 PD (one 2 MiB page)
 *   0x4000 32-bit page directory, 0x5000 results, 0x7000 stack top */

#define PBASE   0xFF000                                  /* GPA of this page */
#define P(x)    ((x) - hv_payload_start + PBASE)         /* flat address */
#define RM(x)   ((x) - hv_payload_start + 0xF000)        /* offset from CS 0xF000 */
#define POST(n) mov $(n), %al; out %al, $0x80

	.section .rodata.hv_payload, "a"
	.globl hv_payload_start, hv_payload_end
hv_payload_start:

	.code16
rm_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7000, %sp
	POST(1)
	lgdtl %cs:RM(gdtr)
	mov %cr0, %eax
	or $1, %eax                     /* CR0.PE */
	mov %eax, %cr0
	ljmpl $0x08, $P(pm32)

	.code32
pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $0x7000, %esp
	POST(2)
	/* 32-bit paging: PDE 0 maps 0..4 MiB with a 4 MiB page. */
	mov $0x4000, %edi
	xor %eax, %eax
	mov $1024, %ecx
	rep stosl
	movl $0x87, 0x4000              /* P, RW, US, PS */
	mov %cr4, %eax
	or $0x10, %eax                  /* CR4.PSE */
	mov %eax, %cr4
	mov $0x4000, %eax
	mov %eax, %cr3
	mov %cr3, %ebx                  /* read back (a CR3-store exit when restricted) */
	cmp %eax, %ebx
	jne bad
	smsw %ax
	or $2, %ax                      /* CR0.MP through LMSW */
	lmsw %ax
	mov %cr0, %eax
	or $0x80000000, %eax            /* CR0.PG */
	mov %eax, %cr0
	POST(3)
	movl $0x600DF00D, 0x5000
	mov %cr0, %eax
	and $0x7fffffff, %eax           /* paging off again */
	mov %eax, %cr0

	/* IA-32e paging: PML4 -> PDPT -> PD, one 2 MiB page at 0. */
	mov $0x1000, %edi
	xor %eax, %eax
	mov $3072, %ecx
	rep stosl
	movl $0x2003, 0x1000
	movl $0x3003, 0x2000
	movl $0x83, 0x3000              /* P, RW, PS */
	mov %cr4, %eax
	or $0x20, %eax                  /* CR4.PAE */
	mov %eax, %cr4
	mov $0x1000, %eax
	mov %eax, %cr3
	mov $0xC0000080, %ecx           /* IA32_EFER */
	rdmsr
	or $0x100, %eax                 /* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax            /* CR0.PG: IA-32e mode becomes active */
	mov %eax, %cr0
	ljmp $0x18, $P(lm64)

	.code64
lm64:
	POST(4)
	xor %eax, %eax
	xor %ecx, %ecx
	cpuid
	mov %ebx, %eax
	out %eax, $0x88
	xor %eax, %eax
	mov $1, %ecx
1:	mov %ecx, %edx
	imul %edx, %edx
	add %edx, %eax
	inc %ecx
	cmp $1000, %ecx
	jbe 1b
	mov %eax, 0x5004
	out %eax, $0x84
	POST(5)
	/* Back out of IA-32e mode (SDM Vol. 3A §10.8.5.4): to compatibility
	 * mode, paging off (LMA clears), then EFER.LME off. */
	pushq $0x08
	pushq $P(compat32)
	lretq

	.code32
compat32:
	mov %cr0, %eax
	and $0x7fffffff, %eax
	mov %eax, %cr0
	mov $0xC0000080, %ecx
	rdmsr
	and $~0x100, %eax
	wrmsr
	POST(6)
	/* Back to real mode (SDM Vol. 3A §10.9.2): through a 16-bit code
	 * segment with 16-bit data segments, clear CR0.PE, far JMP, reload
	 * every segment register; then real-mode work and up again. */
	ljmp $0x20, $RM(pm16)

	.code16
pm16:
	mov $0x28, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov %cr0, %eax
	and $~1, %eax                   /* CR0.PE = 0 */
	mov %eax, %cr0
	ljmp $0xF000, $RM(rm_again)
rm_again:
	mov $0, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $0x7000, %sp
	POST(7)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x08, $P(pm32_again)

	.code32
pm32_again:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	POST(8)
	hlt
	jmp pm32_again

	.code32
bad:
	POST(0xEE)
	hlt
	jmp bad

	.balign 8
gdt:
	.quad 0
	.quad 0x00CF9B000000FFFF        /* 0x08: 32-bit code, flat */
	.quad 0x00CF93000000FFFF        /* 0x10: data, flat */
	.quad 0x00AF9B000000FFFF        /* 0x18: 64-bit code */
	.quad 0x00009B0F0000FFFF        /* 0x20: 16-bit code, base 0xF0000 */
	.quad 0x000093000000FFFF        /* 0x28: 16-bit data, base 0 */
gdt_end:
gdtr:
	.word gdt_end - gdt - 1
	.long P(gdt)

	/* The reset vector: CS:IP = F000:FFF0 at GPA 0xFFFFFFF0. */
	.org 0xFF0
	.code16
	ljmp $0xF000, $RM(rm_start)
	.org 0x1000
hv_payload_end:

	.section .note.GNU-stack, "", @progbits
