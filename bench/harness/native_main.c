/* The native side: runs one workload, linked from the very same object
 * files as the guest image, and times only the workload call.
 *
 *   bench-native NAME --scale N [--repeat R]
 *
 * Prints the same "bench-*" lines as the guest (bench/harness/report.h)
 * plus, per repetition, "bench-time-ns T" (CLOCK_MONOTONIC around run())
 * and "bench-cpu-ns C" (CLOCK_PROCESS_CPUTIME_ID around the same call: on
 * a loaded host it leaves out the time spent waiting for a CPU).
 * The arena is allocated and touched before the clock starts so that page
 * faults of first touch are not charged to the workload (in the guest the
 * RAM is already there).  Repetition 1 is the cold one: the workload code
 * has never run in this process.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "report.h"

static const struct workload *const workloads[] = {
	&wl_alu, &wl_mem, &wl_cmix, &wl_cold, &wl_empty,
};

static void native_write(const char *s, unsigned n)
{
	fwrite(s, 1, n, stdout);
}

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench-native {alu|mem|cmix|cold|empty} --scale N [--repeat R]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const struct workload *wl = NULL;
	uint64_t scale = 0, repeat = 1;
	bool have_scale = false;
	unsigned char *arena;
	uint64_t bytes, alloc;

	if (argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		if (strcmp(argv[1], workloads[i]->name) == 0)
			wl = workloads[i];
	if (!wl)
		return usage();
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
			scale = strtoull(argv[++i], NULL, 0);
			have_scale = true;
		} else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
			repeat = strtoull(argv[++i], NULL, 0);
		} else {
			return usage();
		}
	}
	if (!have_scale || repeat == 0)
		return usage();

	bytes = wl->arena_bytes(scale);
	alloc = bytes ? (bytes + 4095) & ~4095ull : 4096;
	arena = aligned_alloc(4096, alloc);
	if (!arena) {
		perror("bench-native: arena");
		return 1;
	}
	memset(arena, 0xA5, bytes);

	report_header(native_write, wl, scale);
	for (uint64_t r = 0; r < repeat; r++) {
		uint64_t c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), t0 = now_ns(CLOCK_MONOTONIC);
		uint64_t sum = wl->run(arena, scale);
		uint64_t t1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);

		report_checksum(native_write, sum);
		printf("bench-time-ns %llu\nbench-cpu-ns %llu\n", (unsigned long long)(t1 - t0),
		       (unsigned long long)(c1 - c0));
	}
	report_done(native_write);
	free(arena);
	return 0;
}
