#include "guest.h"

bool cpu_has(uint32_t leaf, char reg, int bit)
{
	uint32_t max = cpuid(leaf & 0x80000000u, 0).a;
	if (leaf > max)
		return false;
	struct cpuid_regs r = cpuid(leaf, 0);
	uint32_t v = reg == 'a' ? r.a : reg == 'b' ? r.b : reg == 'c' ? r.c : r.d;
	return (v >> bit) & 1;
}

bool cpu_is_qemu_tcg(void)
{
	static int cached = -1;
	if (cached < 0) {
		cached = 0;
		if (cpu_has(1, 'c', CPUID_1_ECX_HYPERV)) {
			struct cpuid_regs r = cpuid(0x40000000, 0);
			char v[13];
			memcpy(v, &r.b, 4);
			memcpy(v + 4, &r.c, 4);
			memcpy(v + 8, &r.d, 4);
			v[12] = 0;
			cached = strcmp(v, "TCGTCGTCGTCG") == 0;
		}
	}
	return cached;
}

void cpu_vendor(char out[13])
{
	struct cpuid_regs r = cpuid(0, 0);
	memcpy(out, &r.b, 4);
	memcpy(out + 4, &r.d, 4);
	memcpy(out + 8, &r.c, 4);
	out[12] = 0;
}

void cpu_brand(char out[49])
{
	out[0] = 0;
	if (cpuid(0x80000000, 0).a < 0x80000004)
		return;
	for (uint32_t i = 0; i < 3; i++) {
		struct cpuid_regs r = cpuid(0x80000002 + i, 0);
		memcpy(out + 16 * i, &r, 16);
	}
	out[48] = 0;
}

int cpu_maxphyaddr(void)
{
	if (cpuid(0x80000000, 0).a < 0x80000008)
		return 36;
	return cpuid(0x80000008, 0).a & 0xff;
}
