/* The guest side: runs one workload (BENCH_WL at BENCH_SCALE, both set
 * per image by bench/CMakeLists.txt) and prints the bench-* lines of
 * report.h on the serial console.
 *
 * The arena starts at the first 2 MiB boundary past the image; the boot
 * page tables identity-map 4 GiB, so only RAM size limits it, and that is
 * checked against the Multiboot memory figure.  Nothing here is timed:
 * the guest has no wall clock, so bench/run times the softvtx process and
 * subtracts the empty image (README.md explains why that is fair).
 */
#include <stdint.h>

#include "bench.h"
#include "guest.h"
#include "report.h"

#define ARENA_ALIGN 0x200000ull

extern char __image_end[];

/* volatile so that images differing only in scale (alu and alu_base)
 * contain the same code and retire the same instructions outside the
 * workload. */
static volatile uint64_t bench_scale = BENCH_SCALE;

static void guest_write(const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		serial_putc(s[i]);
}

/* Bytes of RAM from 0 (mem_upper counts KiB above 1 MiB), or 0 when the
 * loader gave no memory figure. */
static uint64_t ram_bytes(void)
{
	return mb.has_mem ? 0x100000ull + (uint64_t)mb.mem_upper_kib * 1024 : 0;
}

int main(void)
{
	const struct workload *wl = &BENCH_WL;
	uint64_t scale = bench_scale;
	uint64_t arena = ((uint64_t)(uintptr_t)__image_end + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	uint64_t need = arena + wl->arena_bytes(scale), ram = ram_bytes();

	if (ram && need > ram) {
		printf("bench-error needs %llu MiB of RAM (-m)\n",
		       (unsigned long long)((need + 0xfffff) >> 20));
		return 3;
	}
	report_header(guest_write, wl, scale);
	report_checksum(guest_write, wl->run((void *)(uintptr_t)arena, scale));
	report_done(guest_write);
	return 0;
}
