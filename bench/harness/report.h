/* The lines both harnesses print, parsed by bench/run:
 *
 *   bench-name alu
 *   bench-scale 0000000000f42400
 *   bench-exact 0000000005b8d818       (exact_insns(scale), 0 if unknown)
 *   bench-checksum 1f0e...              (once per run of the workload)
 *   bench-done
 *
 * Numbers are 16 hex digits, always, and formatted without data-dependent
 * branches: the guest images alu and alu_base then retire exactly the same
 * instructions outside alu_loop, which bench/run relies on to check the
 * instruction count.
 */
#ifndef SOFTVTX_BENCH_REPORT_H
#define SOFTVTX_BENCH_REPORT_H

#include <stdint.h>

#include "bench.h"

typedef void report_write_fn(const char *s, unsigned n);

static inline unsigned report_strlen(const char *s)
{
	unsigned n = 0;

	while (s[n])
		n++;
	return n;
}

static inline void report_kv(report_write_fn *w, const char *key, uint64_t v)
{
	static const char hex[16] = "0123456789abcdef";
	char line[64];
	unsigned n = report_strlen(key);

	for (unsigned i = 0; i < n; i++)
		line[i] = key[i];
	line[n++] = ' ';
	for (int shift = 60; shift >= 0; shift -= 4)
		line[n++] = hex[(v >> shift) & 15];
	line[n++] = '\n';
	w(line, n);
}

static inline void report_header(report_write_fn *w, const struct workload *wl, uint64_t scale)
{
	w("bench-name ", 11);
	w(wl->name, report_strlen(wl->name));
	w("\n", 1);
	report_kv(w, "bench-scale", scale);
	report_kv(w, "bench-exact", wl->exact_insns(scale));
}

static inline void report_checksum(report_write_fn *w, uint64_t sum)
{
	report_kv(w, "bench-checksum", sum);
}

static inline void report_done(report_write_fn *w)
{
	w("bench-done\n", 11);
}

#endif
