/* RDRAND and RDSEED (SDM Vol. 2B "RDRAND", "RDSEED"): only architectural
 * facts, never particular values -- under softvtx they are deterministic,
 * under QEMU and on silicon they are not.
 *  - CF = 1 means a value was delivered (CF = 0 is allowed, "retry"), and
 *    OF, SF, ZF, AF, PF are cleared either way.
 *  - The destination is written at the operand size: 16 bits merge, 32
 *    bits zero-extend in 64-bit mode.
 *  - "NFx 0F C7 /6, /7": an F2 prefix is #UD; F3 0F C7 /6 (register) is
 *    SENDUIPI and F3 0F C7 /7 is RDPID, #UD where CPUID does not report
 *    them.  LOCK is #UD.
 *  - Both run at any CPL. */
#include "guest.h"

#define OSZAPC (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)
#define CPUID_1_ECX_RDRAND 30
#define CPUID_7_EBX_RDSEED 18
#define CPUID_7_ECX_RDPID  22
#define CPUID_7_EDX_UINTR  5

struct draw {
	uint64_t value, rflags;
};

/* Each runs its instruction with RAX = RCX = all ones and every status
 * flag set, and returns the register and RFLAGS after it. */
#define DRAW_FN(name, insn, reg)                                              \
	static struct draw name(void)                                         \
	{                                                                     \
		struct draw d;                                                \
		uint64_t v = ~0ull;                                           \
		asm volatile("push %2; popfq\n\t" insn "\n\tpushfq; pop %1"   \
			     : "+" reg(v), "=r"(d.rflags)                     \
			     : "r"((uint64_t)(RFLAGS_FIXED1 | OSZAPC))        \
			     : "cc");                                         \
		d.value = v;                                                  \
		return d;                                                     \
	}
DRAW_FN(rdrand64, "rdrand %%rax", "a")
DRAW_FN(rdrand32, "rdrand %%eax", "a")
DRAW_FN(rdrand16, "rdrand %%ax", "a")
DRAW_FN(rdseed64, "rdseed %%rcx", "c")
DRAW_FN(rdseed32, "rdseed %%ecx", "c")
DRAW_FN(rdseed16, "rdseed %%cx", "c")

/* Retries while CF = 0 (the SDM's advice), up to a bound; every attempt
 * must leave OF SF ZF AF PF clear. */
static bool draw_ok(struct draw (*fn)(void), struct draw *out)
{
	for (int i = 0; i < 100; i++) {
		*out = fn();
		if (out->rflags & (OSZAPC & ~RFLAGS_CF))
			return false;
		if (out->rflags & RFLAGS_CF)
			return true;
	}
	return false;
}

static void check_sizes(const char *name, struct draw (*f64)(void), struct draw (*f32)(void),
			struct draw (*f16)(void))
{
	struct draw d;
	bool ok;

	ok = draw_ok(f64, &d);
	tap_ok(ok, "%s r64: CF = 1, OF SF ZF AF PF = 0 (rflags 0x%lx)", name, d.rflags);
	ok = draw_ok(f32, &d) && (d.value >> 32) == 0;
	tap_ok(ok, "%s r32: CF = 1, flags cleared, upper half zeroed (0x%lx)", name, d.value);
	ok = draw_ok(f16, &d) && (d.value >> 16) == 0xffffffffffffull;
	tap_ok(ok, "%s r16: CF = 1, flags cleared, bits 63:16 kept (0x%lx)", name, d.value);
}

FAULT_FN(f3_rdrand, ".globl f3_rdrand_at\nf3_rdrand_at: .byte 0xf3, 0x0f, 0xc7, 0xf0");
FAULT_FN(f2_rdrand, ".globl f2_rdrand_at\nf2_rdrand_at: .byte 0xf2, 0x0f, 0xc7, 0xf0");
FAULT_FN(f2_rdseed, ".globl f2_rdseed_at\nf2_rdseed_at: .byte 0xf2, 0x0f, 0xc7, 0xf8");
FAULT_FN(f3_rdseed, ".globl f3_rdseed_at\nf3_rdseed_at: .byte 0xf3, 0x0f, 0xc7, 0xf8");
FAULT_FN(lock_rdrand, ".globl lock_rdrand_at\nlock_rdrand_at: .byte 0xf0, 0x0f, 0xc7, 0xf0");

static void expect_ud(void (*fn)(void *), const char *at, const char *name)
{
	struct trap_info t;

	trap_try(fn, 0, &t);
	tap_ok(t.vector == EXC_UD && t.rip == (uintptr_t)at, "%s -> #UD (got %d at 0x%lx)", name,
	       t.vector, t.rip);
}

static volatile uint64_t user_flags;
static void user_rdrand(void *p)
{
	(void)p;
	uint64_t f = 0;
	for (int i = 0; i < 100 && !(f & RFLAGS_CF); i++)
		asm volatile("rdrand %%rax; pushfq; pop %0" : "=r"(f) : : "rax", "cc");
	user_flags = f;
	user_exit();
}

int main(void)
{
	bool rdrand = cpu_has(1, 'c', CPUID_1_ECX_RDRAND);
	bool rdseed = cpu_has(7, 'b', CPUID_7_EBX_RDSEED);
	struct trap_info t;

	tap_plan(12);
	if (rdrand) {
		check_sizes("rdrand", rdrand64, rdrand32, rdrand16);
	} else {
		for (int i = 0; i < 3; i++)
			tap_skip("no RDRAND", "rdrand size %d", i);
	}
	if (rdseed) {
		check_sizes("rdseed", rdseed64, rdseed32, rdseed16);
	} else {
		for (int i = 0; i < 3; i++)
			tap_skip("no RDSEED", "rdseed size %d", i);
	}
	if (rdrand) {
		expect_ud(f2_rdrand, f2_rdrand_at, "F2 0F C7 /6 (F2 before RDRAND)");
		expect_ud(lock_rdrand, lock_rdrand_at, "LOCK RDRAND");
	} else {
		tap_skip("no RDRAND", "F2 RDRAND");
		tap_skip("no RDRAND", "LOCK RDRAND");
	}
	if (rdrand && !cpu_has(7, 'd', CPUID_7_EDX_UINTR))
		expect_ud(f3_rdrand, f3_rdrand_at, "F3 0F C7 /6 without UINTR (SENDUIPI slot)");
	else
		tap_skip("no RDRAND, or UINTR reported", "F3 0F C7 /6");
	if (rdseed)
		expect_ud(f2_rdseed, f2_rdseed_at, "F2 0F C7 /7 (F2 before RDSEED)");
	else
		tap_skip("no RDSEED", "F2 RDSEED");
	if (!cpu_has(7, 'c', CPUID_7_ECX_RDPID))
		expect_ud(f3_rdseed, f3_rdseed_at, "F3 0F C7 /7 without RDPID");
	else
		tap_skip("RDPID reported: F3 0F C7 /7 is RDPID", "F3 0F C7 /7");
	if (rdrand) {
		user_try(user_rdrand, 0, 0, &t);
		tap_ok(t.vector == VEC_USER_EXIT && (user_flags & RFLAGS_CF),
		       "rdrand at CPL 3 runs (vector %d, rflags 0x%lx)", t.vector, user_flags);
	} else {
		tap_skip("no RDRAND", "rdrand at CPL 3");
	}
	return tap_done();
}
