/* MONITOR and MWAIT (SDM Vol. 2B "MONITOR", "MWAIT"): the architectural
 * faults.
 *  - Both are #UD at CPL > 0 ("use at any other privilege level results
 *    in an invalid-opcode exception").
 *  - MONITOR: #GP(0) if RCX != 0 (64-bit mode: "If RCX ≠ 0"), and the
 *    address DS:RAX gets the checks of a byte read (non-canonical ->
 *    #GP(0)).
 *  - MWAIT: #GP(0) if RCX[63:1] != 0, or if RCX[0] = 1 and
 *    CPUID.05H:ECX[1] = 0.
 *  - MWAIT after MONITOR and a store to the monitored line completes and
 *    execution continues after it.
 *    Under QEMU TCG this is not run: with one vCPU QEMU treats MWAIT as
 *    HLT, and with interrupts off the machine would never wake up (the
 *    SDM allows MWAIT to wake for any reason, so neither behaviour is
 *    wrong, but the test could not finish). */
#include "guest.h"

#define CPUID_1_ECX_MONITOR 3

static uint64_t line[8] __attribute__((aligned(64)));

static void do_monitor(uint64_t rax, uint64_t rcx)
{
	asm volatile("monitor" : : "a"(rax), "c"(rcx), "d"(0) : "memory");
}

static void do_mwait(uint64_t rax, uint64_t rcx)
{
	asm volatile("mwait" : : "a"(rax), "c"(rcx) : "memory");
}

struct args {
	uint64_t rax, rcx;
};

static void monitor_fn(void *p)
{
	const struct args *a = p;
	do_monitor(a->rax, a->rcx);
}

static void mwait_fn(void *p)
{
	const struct args *a = p;
	do_mwait(a->rax, a->rcx);
}

static void user_monitor(void *p)
{
	(void)p;
	do_monitor((uintptr_t)line, 0);
	user_exit();
}

static void user_mwait(void *p)
{
	(void)p;
	do_mwait(0, 0);
	user_exit();
}

/* Runs fn at CPL 0 and checks the vector (-1: none) and, for #GP, the
 * error code 0. */
static void expect(void (*fn)(void *), uint64_t rax, uint64_t rcx, int vector,
		   const char *what)
{
	struct args a = { rax, rcx };
	struct trap_info t;

	trap_try(fn, &a, &t);
	tap_ok(t.vector == vector && (vector != EXC_GP || t.error == 0),
	       "%s (got vector %d error 0x%lx)", what, t.vector, t.error);
}

int main(void)
{
	struct trap_info t;
	const int n = 9;

	tap_plan(n);
	if (!cpu_has(1, 'c', CPUID_1_ECX_MONITOR)) {
		for (int i = 0; i < n; i++)
			tap_skip("no MONITOR/MWAIT", "monitor %d", i);
		return tap_done();
	}
	user_try(user_monitor, 0, 0, &t);
	tap_ok(t.vector == EXC_UD && (t.cs & 3) == 3, "monitor at CPL 3 -> #UD (got %d)", t.vector);
	user_try(user_mwait, 0, 0, &t);
	tap_ok(t.vector == EXC_UD && (t.cs & 3) == 3, "mwait at CPL 3 -> #UD (got %d)", t.vector);

	expect(monitor_fn, (uintptr_t)line, 1, EXC_GP, "monitor with ECX = 1 -> #GP(0)");
	expect(monitor_fn, (uintptr_t)line, 1ull << 32, EXC_GP,
	       "monitor with RCX = 1 << 32 in 64-bit mode -> #GP(0)");
	expect(monitor_fn, 0x8000000000000000ull | (uintptr_t)line, 0, EXC_GP,
	       "monitor of a non-canonical address -> #GP(0)");
	expect(mwait_fn, 0, 2, EXC_GP, "mwait with ECX = 2 -> #GP(0)");
	expect(monitor_fn, (uintptr_t)line, 0, -1, "monitor of a mapped line at CPL 0");
	if (cpu_is_qemu_tcg()) {
		tap_skip("QEMU TCG halts in MWAIT with one vCPU", "mwait after monitor completes");
		tap_skip("QEMU TCG halts in MWAIT with one vCPU", "mwait with ECX = 1");
	} else {
		/* A store to the line between MONITOR and MWAIT makes MWAIT
		 * return at once on silicon too (SDM Vol. 2B MWAIT: the
		 * optimized state is left on a store to the armed range), so
		 * these cannot hang with interrupts off. */
		struct args a = { (uintptr_t)line, 0 };
		monitor_fn(&a);
		line[0]++;
		expect(mwait_fn, 0, 0, -1, "mwait after monitor and a store to the line completes");
		monitor_fn(&a);
		line[0]++;
		/* ECX[0] (interrupts break MWAIT) needs CPUID.05H:ECX[1]. */
		if (cpu_has(5, 'c', 1))
			expect(mwait_fn, 0, 1, -1, "mwait with ECX = 1 (CPUID.05H:ECX[1] = 1) completes");
		else
			expect(mwait_fn, 0, 1, EXC_GP, "mwait with ECX = 1 (CPUID.05H:ECX[1] = 0) -> #GP(0)");
	}
	return tap_done();
}
