/* Ring 3 in legacy 32-bit protected mode, run through legacy_call as
 * ring3pm_body(case, user_esp): LTR a 32-bit TSS, IRET to 32-bit code at
 * CPL 3, which does one thing by case and comes back through an
 * exception or INT 0x30 (DPL-3 gate); the runtime records the frame in
 * legacy_trap and resumes at 1: at CPL 0 on the TSS stack. */
#include "layout.h"

#define SEL_TSS32 (SEL_SPARE + 8)

	.text
	.code32
	.globl ring3pm_body
ring3pm_body:
	push %ebx
	push %esi
	push %edi
	push %ebp
	mov 20(%esp), %eax           /* case */
	mov 24(%esp), %edx           /* user ESP */
	mov $SEL_TSS32, %cx
	ltr %cx
	mov %esp, legacy_resume_esp
	movl $1f, legacy_resume_eip
	pushl $(SEL_UDATA | 3)
	push %edx
	pushl $0x2
	pushl $(SEL_UCODE32 | 3)
	pushl $ring3pm_user
	iret
1:	mov $SEL_KDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	xor %eax, %eax
	pop %ebp
	pop %edi
	pop %esi
	pop %ebx
	ret

ring3pm_user:
	/* IRET to an outer level nulled DS and ES (their DPL 0 < CPL 3: SDM
	 * Vol. 2A IRET, RETURN-TO-OUTER-PRIVILEGE-LEVEL); record DS, then
	 * load the ring-3 data segment before touching memory. */
	mov %ds, %ecx
	mov $(SEL_UDATA | 3), %bx
	mov %bx, %ds
	mov %bx, %es
	mov %ecx, ring3pm_ds
	mov %cs, %ebx
	mov %ebx, ring3pm_cs
	cmp $0, %eax
	je 10f
	cmp $1, %eax
	je 11f
	cmp $2, %eax
	je 12f
	cmp $3, %eax
	je 13f
	cmp $4, %eax
	je 14f
	cmp $5, %eax
	je 15f
	ud2
10:	int $0x30                     /* DPL-3 gate: allowed */
	.globl ring3pm_int_next
ring3pm_int_next:
	ud2
	.globl ring3pm_hlt
11:
ring3pm_hlt:
	hlt                           /* #GP(0) at CPL 3 */
	ud2
	.globl ring3pm_int31
12:
ring3pm_int31:
	int $0x31                     /* DPL-0 gate: #GP(0x31 * 8 + 2) */
	ud2
13:	mov $SEL_KDATA, %bx           /* DPL 0 data at CPL 3: #GP(sel) */
	.globl ring3pm_movds
ring3pm_movds:
	mov %bx, %ds
	ud2
14:	xor %ebx, %ebx                /* null DS: the load is fine, the use is not */
	mov %bx, %ds
	.globl ring3pm_nullds
ring3pm_nullds:
	mov ring3pm_cs, %eax
	ud2

/* SYSENTER from CPL 3 (SDM Vol. 2B SYSENTER): CS = IA32_SYSENTER_CS,
 * SS = +8, ESP/EIP from the MSRs.  The CPL-0 side records them and
 * SYSEXITs (CS = SYSENTER_CS + 16 | 3, SS = + 24 | 3, EIP = EDX, ESP =
 * ECX) to the code after the SYSENTER, which records CS and SS. */
15:	mov %esp, %ebp
	sysenter
	.globl ring3pm_sysenter_entry
ring3pm_sysenter_entry:
	mov %cs, %ebx
	mov %ebx, %ss:sysenter_seen
	mov %ss, %ebx
	mov %ebx, %ss:sysenter_seen + 4
	mov %esp, %ss:sysenter_seen + 8
	mov $16f, %edx
	mov %ebp, %ecx
	sysexit
16:	mov %cs, %ebx
	mov %ebx, sysenter_seen + 12
	mov %ss, %ebx
	mov %ebx, sysenter_seen + 16
	mov %esp, sysenter_seen + 20
	int $0x30

	.data
	.globl sysenter_seen
sysenter_seen: .long 0, 0, 0, 0, 0, 0
	.globl ring3pm_cs, ring3pm_ds
ring3pm_cs: .long 0
ring3pm_ds: .long 0
	.section .note.GNU-stack, "", @progbits
