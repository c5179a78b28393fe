#include "tap.h"
#include "console.h"
#include "guest.h"

static int tap_n, tap_failed, tap_planned;
static const char *tap_todo;

const struct tap_known tap_known_tcg[1] __attribute__((weak));
const char guest_name[] __attribute__((weak)) = "";

static const char *known_tcg(const char *name)
{
	if (!cpu_is_qemu_tcg())
		return 0;
	for (const struct tap_known *k = tap_known_tcg; k->image; k++)
		if (!strcmp(k->image, guest_name) &&
		    !strncmp(k->prefix, name, strlen(k->prefix)))
			return k->reason;
	return 0;
}

void tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static bool report(bool cond, const char *fmt, va_list ap)
{
	char name[160];

	vsnprintf(name, sizeof(name), fmt, ap);
	tap_n++;
	if (!tap_todo)
		tap_todo = known_tcg(name);
	if (tap_todo) {
		printf("%sok %d - %s # TODO known TCG difference: %s\n",
		       cond ? "" : "not ", tap_n, name, tap_todo);
		tap_todo = 0;
		return cond;
	}
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	return cond;
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	return cond;
}

bool tap_check_u64(uint64_t got, uint64_t expected, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(got == expected, fmt, ap);
	va_end(ap);
	if (got != expected)
		printf("# got 0x%lx expected 0x%lx\n", got, expected);
	return got == expected;
}

void tap_skip(const char *reason, const char *fmt, ...)
{
	char name[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	printf("ok %d - %s # SKIP %s\n", ++tap_n, name, reason);
}

void tap_diag(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# %s\n", buf);
}

void tap_todo_tcg(const char *reason)
{
	if (cpu_is_qemu_tcg())
		tap_todo = reason;
}

int tap_done(void)
{
	if (tap_n != tap_planned) {
		printf("# planned %d tests but ran %d\n", tap_planned, tap_n);
		return 1;
	}
	if (tap_failed)
		printf("# failed %d of %d\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

void tap_bail(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("Bail out! %s\n", buf);
	guest_exit(1);
}
