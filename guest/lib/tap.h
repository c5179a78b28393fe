/* TAP (Test Anything Protocol) reporting over the console.
 *
 *   tap_plan(n);  ...  tap_ok(cond, "name %d", i);  ...  return tap_done();
 *
 * tap_check_u64 prints "# got 0x.. expected 0x.." on failure.  Under QEMU
 * TCG, a subtest listed in tests/guest/qemu-expected-differences.txt is
 * wrapped with tap_todo_tcg(reason) so that its failure reads
 * "not ok N - name # TODO known TCG difference: reason"; the expectation
 * stays the SDM's. */
#ifndef GUEST_TAP_H
#define GUEST_TAP_H

#include <stdbool.h>
#include <stdint.h>

void tap_plan(int n);
bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool tap_check_u64(uint64_t got, uint64_t expected, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tap_skip(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Known QEMU TCG differences, matched by image and subtest name prefix.
 * An image may define both (tests/guest generates them); the runtime has
 * weak empty defaults. */
struct tap_known {
	const char *image;
	const char *prefix;
	const char *reason;
};
extern const struct tap_known tap_known_tcg[];
extern const char guest_name[];

/* Marks the next result as a known QEMU TCG difference, but only when
 * actually running under TCG. */
void tap_todo_tcg(const char *reason);
/* Returns the exit value for main(): 0 when every test passed. */
int tap_done(void);
/* Aborts the run: prints "Bail out!" and exits with failure. */
void tap_bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
