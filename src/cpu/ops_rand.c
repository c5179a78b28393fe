/* RDRAND and RDSEED (SDM Vol. 2B "RDRAND", "RDSEED"; CPUID.01H:ECX[30],
 * CPUID.(EAX=07H,ECX=0):EBX[18]).
 *
 * The values are NOT random and NOT cryptographic.  A run must be byte
 * for byte the same given the same image and options, so both
 * instructions draw from one deterministic generator: the n-th value
 * since reset is splitmix64 (Vigna's public-domain generator after
 * Steele, Lea and Flood's SplittableRandom) at RAND_SEED + n * the golden
 * ratio, n counted in cpu->rand_count.  Every draw succeeds: CF = 1,
 * which the SDM allows (CF = 0 only says "no value was available";
 * software retries).
 *
 * Encodings: NFx 0F C7 /6 (RDRAND) and NFx 0F C7 /7 (RDSEED) with a
 * register operand of 16, 32 or 64 bits (66h, default, REX.W).  "NFx":
 * an F2 or F3 prefix is #UD -- F3 0F C7 /6 is SENDUIPI and F3 0F C7 /7
 * RDPID, neither implemented here -- which decode.c enforces, as
 * Capstone 4.0.2 drops those prefixes and reports RDRAND/RDSEED.  With
 * LOCK, Capstone rejects the bytes (#UD).  Both are allowed at any CPL
 * and in every mode.
 */
#include "flags.h"
#include "ops.h"

/* "softvtx!" in ASCII: any constant will do; it only has to be fixed. */
#define RAND_SEED 0x736f667476747821ull

static uint64_t rand_next(struct cpu *cpu)
{
	uint64_t z = RAND_SEED + ++cpu->rand_count * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* RDRAND r16/r32/r64 and RDSEED r16/r32/r64: the destination receives a
 * value (a 32-bit write zero-extends in 64-bit mode); CF = 1 and OF, SF,
 * ZF, AF, PF = 0. */
int op_rdrand(struct cpu *cpu, const struct insn *in)
{
	const struct operand *dst = &in->op[0];

	cpu_gpr_write(cpu, dst->reg, dst->lg, rand_next(cpu));
	flags_set_bits(cpu, RFLAGS_ARITH, RFLAGS_CF);
	return X_OK;
}
