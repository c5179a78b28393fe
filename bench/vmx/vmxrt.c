/* vmxrt: the VM exit + entry round trip.
 *
 * The guest (non-root, 64-bit, the host's page tables, VPID when the
 * profile allows it) executes CPUID BENCH_SCALE times in a loop; CPUID
 * always exits (SDM Vol. 3C §26.1.2), and the host's handler in vmxrun.c
 * does 3 VMREADs, 1 VMWRITE and VMRESUME.  A VMCALL ends the loop.
 *
 * bench/run runs two images that differ only in BENCH_SCALE and divides
 * the difference of their run times by the difference of their exit
 * counts: boot, VMXON and the VMCS set-up cancel out.  The checksum line
 * carries the number of CPUID exits the host handled, which must equal
 * the scale.
 */
#include <stdint.h>

#include "bench.h"
#include "guest.h"
#include "report.h"
#include "vmxhost.h"

/* Read by the guest loop; volatile so that images differing only in the
 * scale hold the same code. */
volatile uint64_t vmxrt_iters = BENCH_SCALE;

static uint8_t vmxrt_guest_stack[4096] __attribute__((aligned(16)));

/* The guest: R12 counts down across the exits (vmenter.S saves and
 * restores the guest GPRs around the host's handler). */
void vmxrt_guest(void);
asm(".text\n.globl vmxrt_guest\nvmxrt_guest:\n"
    "\tmov vmxrt_iters(%rip), %r12\n"
    "1:\txor %eax, %eax\n"
    "\txor %ecx, %ecx\n"
    "\tcpuid\n"
    "\tdec %r12\n"
    "\tjnz 1b\n"
    "\tvmcall\n"
    "\thlt\n"
    "\tjmp vmxrt_guest\n");

int main(void)
{
	struct bench_vmx_counts counts = { 0 };
	uint64_t iters = vmxrt_iters;

	if (iters == 0) {
		printf("bench-error vmxrt needs a scale of at least 1\n");
		return 3;
	}
	bench_vmx_write("bench-name vmxrt\n", 17);
	report_kv(bench_vmx_write, "bench-scale", iters);
	report_kv(bench_vmx_write, "bench-exact", 0);
	bench_vmx_setup(BENCH_VMX_VPID, vmxrt_guest,
			(uintptr_t)(vmxrt_guest_stack + sizeof(vmxrt_guest_stack)));
	bench_vmx_report_features();
	bench_vmx_run(&counts);
	if (counts.cpuid != iters || counts.total != iters + 1) {
		printf("bench-error %lu CPUID exits and %lu exits in all, expected %lu and %lu\n",
		       counts.cpuid, counts.total, iters, iters + 1);
		return BENCH_VMX_FAILED;
	}
	report_checksum(bench_vmx_write, counts.cpuid);
	report_done(bench_vmx_write);
	return 0;
}
