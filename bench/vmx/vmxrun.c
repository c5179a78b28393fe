/* The run loop and exit handler of the bench hypervisor, shaped like
 * KVM's vcpu_run: enter through guest/hv/vmenter.S (guest GPRs loaded
 * before VMLAUNCH/VMRESUME, saved at the exit landing), handle the exit in
 * C, enter again.
 *
 * The CPUID exit is what bench/run times (README.md, "vmx round trip"):
 * exactly 3 VMREADs (exit reason, exit instruction length, guest RIP),
 * 1 VMWRITE (guest RIP += length) and VMRESUME.  Each VMX instruction's
 * outcome is tested with a flag output of the asm, so the check costs one
 * branch, as in KVM's vmcs_readl/vmx_vmenter. */
#include <stdbool.h>
#include <stdint.h>

#include "hv.h"
#include "vmx/exit.h"
#include "vmxhost.h"

static struct hv_regs guest_regs;

/* Reports a failed VMX instruction and ends the run.  VMfail(n) is
 * VMfailValid(n) when there is a current VMCS, else VMfailInvalid
 * (vmx-instructions.md §2, SDM Vol. 3C §31.2), so a VMREAD of the
 * VM-instruction error field tells the two apart: it fails itself exactly
 * when there is no current VMCS. */
static void __attribute__((noreturn, cold)) vmx_failed(const char *what)
{
	uint64_t err;
	bool no_vmcs;

	asm volatile("vmread %[f], %[v]" : [v] "=r"(err), "=@ccbe"(no_vmcs)
		     : [f] "r"((uint64_t)VMCS_VM_INSTRUCTION_ERROR));
	if (no_vmcs)
		printf("bench-error %s failed: VMfailInvalid (no current VMCS)\n", what);
	else
		printf("bench-error %s failed: VMfailValid, VM-instruction error %lu\n", what, err);
	guest_exit(BENCH_VMX_FAILED);
}

/* VMREAD and VMWRITE with the outcome tested by one branch: "be" is
 * CF = 1 or ZF = 1, i.e. VMfailInvalid or VMfailValid. */
static inline uint64_t vmread_checked(uint32_t field, const char *what)
{
	uint64_t v;
	bool failed;

	asm volatile("vmread %[f], %[v]" : [v] "=r"(v), "=@ccbe"(failed)
		     : [f] "r"((uint64_t)field));
	if (__builtin_expect(failed, 0))
		vmx_failed(what);
	return v;
}

static inline void vmwrite_checked(uint32_t field, uint64_t value, const char *what)
{
	bool failed;

	asm volatile("vmwrite %[v], %[f]" : "=@ccbe"(failed)
		     : [v] "r"(value), [f] "r"((uint64_t)field));
	if (__builtin_expect(failed, 0))
		vmx_failed(what);
}

/* An exit the bench guests never cause: print it and end the run. */
static void __attribute__((noreturn, cold)) unexpected_exit(uint32_t reason, uint64_t rip)
{
	uint64_t qual = vmread_checked(VMCS_EXIT_QUALIFICATION, "VMREAD EXIT_QUALIFICATION");

	if (reason & EXIT_REASON_ENTRY_FAIL)
		printf("bench-error VM-entry failure: exit reason %u | 0x80000000, "
		       "qualification %lu\n", reason & 0xffff, qual);
	else
		printf("bench-error unexpected VM exit: reason %u at guest RIP 0x%lx, "
		       "qualification 0x%lx\n", reason & 0xffff, rip, qual);
	guest_exit(BENCH_VMX_FAILED);
}

void bench_vmx_run(struct bench_vmx_counts *counts)
{
	int launched = 0;

	vmwrite_checked(VMCS_HOST_RIP, (uintptr_t)hv_vmexit, "VMWRITE HOST_RIP");
	for (;;) {
		uint64_t fl = hv_vmenter(&guest_regs, launched);

		/* hv_vmenter returns the RFLAGS of a failed VMWRITE HOST_RSP,
		 * VMLAUNCH or VMRESUME; 0 after a VM exit. */
		if (fl)
			vmx_failed(launched ? "VMWRITE HOST_RSP or VMRESUME" : "VMWRITE HOST_RSP or VMLAUNCH");
		launched = 1;
		counts->total++;

		uint32_t reason = (uint32_t)vmread_checked(VMCS_EXIT_REASON, "VMREAD EXIT_REASON");
		uint64_t len = vmread_checked(VMCS_EXIT_INSTRUCTION_LEN, "VMREAD EXIT_INSTRUCTION_LEN");
		uint64_t rip = vmread_checked(VMCS_GUEST_RIP, "VMREAD GUEST_RIP");

		if (reason == EXIT_CPUID) {
			vmwrite_checked(VMCS_GUEST_RIP, rip + len, "VMWRITE GUEST_RIP");
			counts->cpuid++;
			continue;
		}
		if (reason == EXIT_VMCALL)
			return;
		unexpected_exit(reason, rip);
	}
}
