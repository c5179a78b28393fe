/* BT/BTS/BTR/BTC, BSF/BSR, BSWAP, POPCNT/LZCNT/TZCNT, MOVBE and BMI1/2
 * against the host CPU (features gated by CPUID), then the memory forms
 * whose bit offset reaches outside the addressed operand, CMPXCHG8B and
 * CMPXCHG16B. */
#include "vec_check.h"

static uint8_t bitmap[64] __attribute__((aligned(16)));

/* SDM Vol. 2A BT: with a register bit offset and a memory operand, the
 * offset is a signed value that selects any bit relative to the operand's
 * address: byte (addr + (offset SAR 3)) holds bit (offset AND 7). */
static void bt_mem_tests(void)
{
	uint64_t off[] = { 0, 7, 63, 64, 100, 255, (uint64_t)-1, (uint64_t)-9, (uint64_t)-200 };
	for (unsigned i = 0; i < ARRAY_SIZE(off); i++) {
		int64_t o = (int64_t)off[i];
		uint8_t *base = bitmap + 32;
		memset(bitmap, 0, sizeof(bitmap));
		uint8_t cf;
		asm volatile("btsq %[o], %[m]; setc %[cf]"
			     : [m] "+m"(*(uint64_t *)base), [cf] "=r"(cf) : [o] "r"(o) : "cc", "memory");
		int64_t byte = o >> 3;
		bool in_range = byte >= -32 && byte < 32;
		bool set = in_range && (base[byte] == (1u << (o & 7)));
		int others = 0;
		for (int b = 0; b < 64; b++)
			others += bitmap[b] != 0;
		tap_ok(in_range && set && others == 1 && cf == 0,
		       "bts m64, r64 with bit offset %ld sets byte %ld bit %ld", o, byte, o & 7);
		asm volatile("btq %[o], %[m]; setc %[cf]"
			     : [cf] "=r"(cf) : [m] "m"(*(uint64_t *)base), [o] "r"(o) : "cc", "memory");
		tap_check_u64(cf, 1, "bt m64, r64 with bit offset %ld reads it back", o);
	}
	/* An immediate offset is taken modulo the operand size (SDM BT). */
	memset(bitmap, 0, sizeof(bitmap));
	asm volatile("btsl $35, %0" : "+m"(*(uint32_t *)bitmap) : : "cc", "memory");
	tap_check_u64(bitmap[0], 0x08, "bts m32, imm8 35 sets bit 3 of the dword");
}

static void cmpxchg_wide_tests(void)
{
	static uint64_t m8 __attribute__((aligned(8)));
	static unsigned __int128 m16 __attribute__((aligned(16)));
	uint32_t a, d;
	uint8_t zf;

	/* CMPXCHG8B: EDX:EAX == m64 -> m64 = ECX:EBX, ZF=1. */
	m8 = 0x1122334455667788ull;
	a = 0x55667788, d = 0x11223344;
	asm volatile("lock cmpxchg8b %[m]; setz %[z]"
		     : [m] "+m"(m8), "+a"(a), "+d"(d), [z] "=r"(zf)
		     : "b"(0xddccbbaa), "c"(0x01020304) : "cc", "memory");
	tap_ok(zf == 1 && m8 == 0x01020304ddccbbaaull, "cmpxchg8b equal: stores ECX:EBX, ZF=1");
	/* Not equal -> EDX:EAX = m64, ZF=0, memory unchanged. */
	a = 0, d = 0;
	asm volatile("cmpxchg8b %[m]; setz %[z]"
		     : [m] "+m"(m8), "+a"(a), "+d"(d), [z] "=r"(zf)
		     : "b"(0), "c"(0) : "cc", "memory");
	tap_ok(zf == 0 && a == 0xddccbbaa && d == 0x01020304 && m8 == 0x01020304ddccbbaaull,
	       "cmpxchg8b not equal: loads EDX:EAX, ZF=0");

	if (!cpu_has(1, 'c', CPUID_1_ECX_CX16)) {
		tap_skip("no CMPXCHG16B", "cmpxchg16b equal");
		tap_skip("no CMPXCHG16B", "cmpxchg16b not equal");
		tap_skip("no CMPXCHG16B", "cmpxchg16b misaligned #GP(0)");
		return;
	}
	uint64_t ra = 1, rd = 2;
	m16 = (unsigned __int128)2 << 64 | 1;
	asm volatile("lock cmpxchg16b %[m]; setz %[z]"
		     : [m] "+m"(m16), "+a"(ra), "+d"(rd), [z] "=r"(zf)
		     : "b"(0xaaaaull), "c"(0xbbbbull) : "cc", "memory");
	tap_ok(zf == 1 && m16 == ((unsigned __int128)0xbbbb << 64 | 0xaaaa), "cmpxchg16b equal");
	ra = 0, rd = 0;
	asm volatile("cmpxchg16b %[m]; setz %[z]"
		     : [m] "+m"(m16), "+a"(ra), "+d"(rd), [z] "=r"(zf)
		     : "b"(0ull), "c"(0ull) : "cc", "memory");
	tap_ok(zf == 0 && ra == 0xaaaa && rd == 0xbbbb, "cmpxchg16b not equal");
}

/* SDM Vol. 2A CMPXCHG16B: "#GP(0) If the memory operand is not aligned
 * on a 16-byte boundary" (alignment checked even with CR0.AM clear). */
static void cx16_misaligned(void *unused)
{
	(void)unused;
	static uint8_t buf[48] __attribute__((aligned(16)));
	asm volatile("cmpxchg16b 8(%0)" : : "r"(buf), "a"(0), "d"(0), "b"(0), "c"(0) : "cc", "memory");
}

int main(void)
{
	tap_plan(vec_groups(FAM_BIT) + 9 * 2 + 1 + 5);
	vec_check(FAM_BIT);
	bt_mem_tests();
	cmpxchg_wide_tests();
	if (cpu_has(1, 'c', CPUID_1_ECX_CX16)) {
		struct trap_info t;
		trap_try(cx16_misaligned, 0, &t);
		tap_ok(t.vector == EXC_GP && t.error == 0, "cmpxchg16b misaligned #GP(0) (got vector %d error 0x%lx)",
		       t.vector, t.error);
	}
	return tap_done();
}
