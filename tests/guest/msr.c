/* Segment-base MSRs and SWAPGS in 64-bit mode (SDM Vol. 3A §3.4.4.1,
 * Vol. 2B SWAPGS, WRMSR), RDFSBASE/WRFSBASE when CR4.FSGSBASE is
 * available, and TSC monotonicity. */
#include "guest.h"

#define CPUID_7_EBX_FSGSBASE 0

static uint64_t slot[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };

static void wr_fsbase_noncanon(void *p)
{
	(void)p;
	wrmsr(MSR_IA32_FS_BASE, 0x8000000000000000ull);
}

static void wrfsbase_no_cr4(void *p)
{
	(void)p;
	asm volatile("wrfsbase %0" : : "r"(0ull));
}

int main(void)
{
	struct trap_info t;
	uint64_t v;
	tap_plan(11);

	/* FS base through the MSR: fs:8 reads slot[1]. */
	wrmsr(MSR_IA32_FS_BASE, (uintptr_t)slot);
	asm volatile("mov %%fs:8, %0" : "=r"(v));
	tap_check_u64(v, 0x2222, "IA32_FS_BASE: fs:8 reads base + 8");
	tap_check_u64(rdmsr(MSR_IA32_FS_BASE), (uintptr_t)slot, "IA32_FS_BASE reads back");
	wrmsr(MSR_IA32_GS_BASE, (uintptr_t)&slot[2]);
	asm volatile("mov %%gs:0, %0" : "=r"(v));
	tap_check_u64(v, 0x3333, "IA32_GS_BASE: gs:0 reads base");

	/* SWAPGS exchanges GS.base and IA32_KERNEL_GS_BASE. */
	wrmsr(MSR_IA32_KERNEL_GS_BASE, (uintptr_t)&slot[3]);
	asm volatile("swapgs; mov %%gs:0, %0" : "=r"(v));
	tap_check_u64(v, 0x4444, "swapgs: gs:0 now reads through the kernel GS base");
	tap_check_u64(rdmsr(MSR_IA32_KERNEL_GS_BASE), (uintptr_t)&slot[2],
		      "swapgs: IA32_KERNEL_GS_BASE holds the old GS base");
	asm volatile("swapgs");
	tap_check_u64(rdmsr(MSR_IA32_GS_BASE), (uintptr_t)&slot[2], "swapgs twice restores GS base");

	/* WRMSR of a non-canonical base: #GP(0) (SDM Vol. 2B WRMSR). */
	trap_try(wr_fsbase_noncanon, 0, &t);
	tap_ok(t.vector == EXC_GP && t.error == 0, "non-canonical IA32_FS_BASE -> #GP(0) (got %d)",
	       t.vector);

	if (cpu_has(7, 'b', CPUID_7_EBX_FSGSBASE)) {
		/* SDM Vol. 2B WRFSBASE: #UD if CR4.FSGSBASE = 0. */
		write_cr4(read_cr4() & ~CR4_FSGSBASE);
		trap_try(wrfsbase_no_cr4, 0, &t);
		tap_check_u64(t.vector, EXC_UD, "wrfsbase with CR4.FSGSBASE=0 -> #UD");
		write_cr4(read_cr4() | CR4_FSGSBASE);
		asm volatile("wrfsbase %0" : : "r"((uint64_t)(uintptr_t)&slot[3]));
		tap_check_u64(rdmsr(MSR_IA32_FS_BASE), (uintptr_t)&slot[3],
			      "wrfsbase writes IA32_FS_BASE");
		asm volatile("rdfsbase %0" : "=r"(v));
		tap_check_u64(v, (uintptr_t)&slot[3], "rdfsbase reads it");
		write_cr4(read_cr4() & ~CR4_FSGSBASE);
	} else {
		for (int i = 0; i < 3; i++)
			tap_skip("no FSGSBASE", "fsgsbase %d", i);
	}
	wrmsr(MSR_IA32_FS_BASE, 0);
	wrmsr(MSR_IA32_GS_BASE, 0);

	uint32_t lo1, hi1, lo2, hi2;
	asm volatile("rdtsc" : "=a"(lo1), "=d"(hi1));
	for (volatile int i = 0; i < 1000; i++)
		;
	asm volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
	tap_ok(((uint64_t)hi2 << 32 | lo2) > ((uint64_t)hi1 << 32 | lo1), "TSC advances");
	return tap_done();
}
