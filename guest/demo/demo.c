/* Demo guest: reports what it found over COM1 and exits with success. */
#include "guest.h"

int main(void)
{
	char vendor[13], brand[49];

	printf("softvtx demo guest\n");
	printf("multiboot: %s (flags 0x%x)\n", mb.valid ? "valid magic" : "NO MAGIC", mb.flags);
	printf("cmdline: \"%s\"\n", mb.cmdline);
	if (mb.has_mem)
		printf("memory: lower %u KiB, upper %u KiB (%u MiB total)\n",
		       mb.mem_lower_kib, mb.mem_upper_kib,
		       (mb.mem_upper_kib + 1024) / 1024);
	for (int i = 0; i < mb.mmap_count; i++)
		printf("mmap: 0x%012lx-0x%012lx type %u\n", mb.mmap[i].base,
		       mb.mmap[i].base + mb.mmap[i].len - 1, mb.mmap[i].type);
	cpu_vendor(vendor);
	cpu_brand(brand);
	printf("cpu vendor: %s\n", vendor);
	printf("cpu brand: %s\n", brand[0] ? brand : "(none)");
	uint64_t efer = rdmsr(MSR_IA32_EFER);
	bool lma = efer & EFER_LMA;
	printf("long mode: %s (EFER 0x%lx, CS 0x%x, CR0 0x%lx, CR4 0x%lx)\n",
	       lma ? "active" : "NOT active", efer, read_cs(), read_cr0(), read_cr4());
	/* The same findings as TAP, so that the test harness can judge them. */
	tap_plan(4);
	tap_ok(mb.valid, "booted by a Multiboot v1 loader (EAX = 0x2BADB002)");
	tap_ok(mb.has_mem && mb.mem_upper_kib >= 1024, "memory info reports at least 1 MiB above 1 MiB");
	tap_ok(vendor[0] != 0, "CPUID reports a vendor");
	tap_ok(lma && read_cs() == SEL_KCODE64, "running in 64-bit mode");
	return tap_done();
}
