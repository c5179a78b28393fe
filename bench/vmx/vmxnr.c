/* vmxnr_*: one bench workload (BENCH_WL at BENCH_SCALE, set per image by
 * bench/CMakeLists.txt) run in VMX non-root operation, to compare with the
 * same workload in root mode (the images of bench/harness/guest_main.c).
 *
 * The guest is set up as KVM would run a guest doing ordinary work: EPT
 * identity-mapping 0-4 GiB and a VPID (each when the profile allows it),
 * no exits but the final VMCALL (I/O and MSR bitmaps all zero, exception
 * bitmap 0).  It shares the host's page tables, so the arena and the
 * workload code are the same addresses as in root mode.  The host prints
 * the bench-* lines of report.h with the checksum the guest computed.
 */
#include <stdint.h>

#include "bench.h"
#include "guest.h"
#include "report.h"
#include "vmxhost.h"

#define ARENA_ALIGN 0x200000ull
#define GUEST_STACK_BYTES (64 * 1024)

extern char __image_end[];

/* volatile: images differing only in scale contain the same code. */
static volatile uint64_t bench_scale = BENCH_SCALE;

static uint8_t vmxnr_guest_stack[GUEST_STACK_BYTES] __attribute__((aligned(16)));

/* Shared between host and guest (the same memory through EPT). */
static uint64_t vmxnr_arena, vmxnr_scale, vmxnr_sum;

void vmxnr_guest_main(void);

void vmxnr_guest_main(void)
{
	vmxnr_sum = BENCH_WL.run((void *)(uintptr_t)vmxnr_arena, vmxnr_scale);
}

/* The guest entry: a call keeps the ABI's stack alignment for the C
 * function; VMCALL then hands control back to the host for good. */
void vmxnr_guest(void);
asm(".text\n.globl vmxnr_guest\nvmxnr_guest:\n"
    "\tcall vmxnr_guest_main\n"
    "\tvmcall\n"
    "\thlt\n"
    "\tjmp vmxnr_guest\n");

int main(void)
{
	const struct workload *wl = &BENCH_WL;
	struct bench_vmx_counts counts = { 0 };
	uint64_t scale = bench_scale;
	/* The arena as the root-mode harness places it: the first 2 MiB
	 * boundary past the image, inside the RAM Multiboot reports
	 * (mem_upper counts KiB above 1 MiB). */
	uint64_t arena = ((uint64_t)(uintptr_t)__image_end + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	uint64_t end = arena + wl->arena_bytes(scale);

	if (mb.has_mem && end > 0x100000ull + (uint64_t)mb.mem_upper_kib * 1024) {
		printf("bench-error needs %llu MiB of RAM (-m)\n",
		       (unsigned long long)((end + 0xfffff) >> 20));
		return 3;
	}
	report_header(bench_vmx_write, wl, scale);
	vmxnr_arena = arena;
	vmxnr_scale = scale;
	bench_vmx_setup(BENCH_VMX_EPT | BENCH_VMX_VPID, vmxnr_guest,
			(uintptr_t)(vmxnr_guest_stack + sizeof(vmxnr_guest_stack)));
	bench_vmx_report_features();
	bench_vmx_run(&counts);
	if (counts.total != 1) {
		printf("bench-error the guest caused %lu VM exits, expected only its VMCALL\n",
		       counts.total);
		return BENCH_VMX_FAILED;
	}
	report_checksum(bench_vmx_write, vmxnr_sum);
	report_done(bench_vmx_write);
	return 0;
}
