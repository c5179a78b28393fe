/* VM entry and the host side of VM exit (KVM's __vmx_vcpu_run, reduced).
 *
 * uint64_t hv_vmenter(struct hv_regs *regs, int launched)
 *   Saves the callee-saved registers and regs on the stack, writes that
 *   RSP to VMCS HOST_RSP, loads the guest GPRs and runs VMLAUNCH or
 *   VMRESUME.  Failure falls through: return the RFLAGS it left.  A VM
 *   exit lands at hv_vmexit with RSP = HOST_RSP: save the guest GPRs into
 *   regs and return 0.  struct hv_regs is gpr[16] in exit-qualification
 *   order (RAX 0, RCX 8, RDX 16, RBX 24, RSP 32 unused, RBP 40, RSI 48,
 *   RDI 56, R8..R15 64..120).  The RFLAGS the VMWRITE of HOST_RSP left are
 *   stored in hv_host_rsp_rflags (its vmx-insn record, exits.c). */
#define VMCS_HOST_RSP 0x6C14

	.bss
	.balign 8
	.globl hv_host_rsp_rflags
hv_host_rsp_rflags:
	.quad 0

	.text
	.globl hv_vmenter
hv_vmenter:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi                       /* regs, found again at (%rsp) on exit */
	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	pushfq                          /* its RFLAGS for the vmx-insn record */
	popq hv_host_rsp_rflags(%rip)   /* (POP to memory keeps the flags) */
	jbe .Lfail                      /* CF or ZF: VMWRITE failed */
	cmpl $0, %esi                   /* ZF=1: first run, use VMLAUNCH */
	mov 0(%rdi), %rax
	mov 8(%rdi), %rcx
	mov 16(%rdi), %rdx
	mov 24(%rdi), %rbx
	mov 40(%rdi), %rbp
	mov 48(%rdi), %rsi
	mov 64(%rdi), %r8
	mov 72(%rdi), %r9
	mov 80(%rdi), %r10
	mov 88(%rdi), %r11
	mov 96(%rdi), %r12
	mov 104(%rdi), %r13
	mov 112(%rdi), %r14
	mov 120(%rdi), %r15
	mov 56(%rdi), %rdi              /* MOV leaves ZF from the CMP above */
	jne 1f
	vmlaunch
	jmp .Lfail
1:	vmresume
.Lfail:
	pushfq
	pop %rax
	pop %rdi
	jmp .Lout

	.globl hv_vmexit
hv_vmexit:
	push %rdi                       /* guest RDI */
	mov 8(%rsp), %rdi               /* regs */
	mov %rax, 0(%rdi)
	mov %rcx, 8(%rdi)
	mov %rdx, 16(%rdi)
	mov %rbx, 24(%rdi)
	mov %rbp, 40(%rdi)
	mov %rsi, 48(%rdi)
	mov %r8, 64(%rdi)
	mov %r9, 72(%rdi)
	mov %r10, 80(%rdi)
	mov %r11, 88(%rdi)
	mov %r12, 96(%rdi)
	mov %r13, 104(%rdi)
	mov %r14, 112(%rdi)
	mov %r15, 120(%rdi)
	pop %rax
	mov %rax, 56(%rdi)
	pop %rdi
	xor %eax, %eax
.Lout:
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.section .note.GNU-stack, "", @progbits
