/* RFLAGS, lazily.
 *
 * Invariants:
 *  - cpu->rflags holds every RFLAGS bit.  The six arithmetic status flags in
 *    it are stale while cc_op != CC_EAGER; any other bit is always current.
 *  - While cc_op != CC_EAGER, the arithmetic flags are a pure function of
 *    (cc_op, cc_size, cc_src1, cc_src2, cc_res), except under CC_INC and
 *    CC_DEC, where CF is taken from cpu->rflags (INC/DEC preserve CF).
 *  - Values in cc_src1/cc_src2/cc_res are already truncated to cc_size.
 *  - Nobody outside this header reads or writes the cc_* fields or the
 *    arithmetic bits of cpu->rflags directly: use flags_read()/flags_write()
 *    for the whole word, flags_cf() and friends for one flag, flags_cond()
 *    for a condition code, and flags_set_*() to record an operation.
 *
 * Why lazy: most arithmetic results are overwritten before anything reads
 * them, and the common reader (CMP/TEST then Jcc) can be answered from the
 * operands without building the flag word.
 */
#ifndef SOFTVTX_CPU_FLAGS_H
#define SOFTVTX_CPU_FLAGS_H

#include "cpu.h"

enum cc_op {
	CC_EAGER = 0, /* arithmetic bits of cpu->rflags are current */
	CC_ADD,       /* res = src1 + src2 */
	CC_SUB,       /* res = src1 - src2 (also CMP, NEG with src1 = 0) */
	CC_LOGIC,     /* res = src1 op src2; CF = OF = 0, AF = 0 */
	CC_INC,       /* res = src1 + 1, CF from rflags */
	CC_DEC,       /* res = src1 - 1, CF from rflags */
	CC_RES,       /* ZF/SF/PF from res; CF, OF and AF are the bits held
	                 in cc_src1 (shifts, IMUL, ADC/SBB) */
};

/* Operand sizes are carried as log2(bytes): 0 = 8 bit ... 3 = 64 bit. */
static inline uint64_t size_mask(unsigned lg)
{
	return lg == 3 ? ~0ull : (1ull << (8u << lg)) - 1;
}
static inline uint64_t size_sign(unsigned lg)
{
	return 1ull << ((8u << lg) - 1);
}

static inline unsigned flags_parity(uint64_t r)
{
	return (unsigned)!__builtin_parity((unsigned)(r & 0xff)) * RFLAGS_PF;
}

/* Compute the six arithmetic flags from the lazy record. */
static inline uint32_t flags_arith(const struct cpu *cpu)
{
	uint64_t a = cpu->cc_src1, b = cpu->cc_src2, r = cpu->cc_res;
	uint64_t sign = size_sign(cpu->cc_size);
	uint32_t f = flags_parity(r);

	if (r == 0)
		f |= RFLAGS_ZF;
	if (r & sign)
		f |= RFLAGS_SF;
	switch (cpu->cc_op) {
	case CC_ADD:
		f |= (r < a) ? RFLAGS_CF : 0;
		f |= ((a ^ b ^ r) & 0x10) ? RFLAGS_AF : 0;
		f |= (((a ^ r) & (b ^ r)) & sign) ? RFLAGS_OF : 0;
		break;
	case CC_SUB:
		f |= (a < b) ? RFLAGS_CF : 0;
		f |= ((a ^ b ^ r) & 0x10) ? RFLAGS_AF : 0;
		f |= (((a ^ b) & (a ^ r)) & sign) ? RFLAGS_OF : 0;
		break;
	case CC_LOGIC:
		break;
	case CC_RES:
		f |= (uint32_t)cpu->cc_src1 & (RFLAGS_CF | RFLAGS_OF | RFLAGS_AF);
		break;
	case CC_INC:
		f |= cpu->rflags & RFLAGS_CF;
		f |= ((r & 0xf) == 0) ? RFLAGS_AF : 0;
		f |= (r == sign) ? RFLAGS_OF : 0;
		break;
	case CC_DEC:
		f |= cpu->rflags & RFLAGS_CF;
		f |= ((r & 0xf) == 0xf) ? RFLAGS_AF : 0;
		f |= (r == sign - 1) ? RFLAGS_OF : 0;
		break;
	default:
		return (uint32_t)(cpu->rflags & RFLAGS_ARITH);
	}
	return f;
}

/* The whole RFLAGS word, as PUSHF or an interrupt would see it. */
static inline uint64_t flags_read(const struct cpu *cpu)
{
	if (cpu->cc_op == CC_EAGER)
		return cpu->rflags;
	return (cpu->rflags & ~(uint64_t)RFLAGS_ARITH) | flags_arith(cpu);
}

/* Replace the whole word.  The caller has already applied the
 * instruction's rules about which bits it may change; bit 1 is forced. */
static inline void flags_write(struct cpu *cpu, uint64_t v)
{
	uint64_t old = cpu->rflags;

	cpu->rflags = (v & RFLAGS_DEFINED) | RFLAGS_FIXED1;
	cpu->cc_op = CC_EAGER;
	if ((old ^ cpu->rflags) & RFLAGS_AC)
		cpu_update_ac(cpu);
}

/* Settle the lazy record into cpu->rflags (keeps the value unchanged). */
static inline void flags_settle(struct cpu *cpu)
{
	if (cpu->cc_op != CC_EAGER) {
		cpu->rflags = flags_read(cpu);
		cpu->cc_op = CC_EAGER;
	}
}

/* Set the arithmetic flags in `mask` to the bits of `value`; the rest of
 * the arithmetic flags keep their current values.  For instructions whose
 * flag rules are irregular (shifts, rotates, MUL, BT, BCD...). */
static inline void flags_set_bits(struct cpu *cpu, uint32_t mask, uint32_t value)
{
	/* Replacing all six needs nothing from the lazy record. */
	if (mask == RFLAGS_ARITH)
		cpu->cc_op = CC_EAGER;
	else
		flags_settle(cpu);
	cpu->rflags = (cpu->rflags & ~(uint64_t)mask) | (value & mask);
}

/* Set CF and OF to the bits in `cf_of` (RFLAGS_CF/RFLAGS_OF only), keeping
 * ZF, SF, PF and AF: the rotates.  Where the lazy record determines AF
 * cheaply, the record becomes CC_RES over the same result (ZF/SF/PF come
 * from cc_res under every lazy operation), so nothing is settled. */
static inline void flags_set_cf_of(struct cpu *cpu, uint32_t cf_of)
{
	uint64_t a = cpu->cc_src1, b = cpu->cc_src2, r = cpu->cc_res;
	uint32_t af;

	switch (cpu->cc_op) {
	case CC_ADD:
	case CC_SUB:
		af = ((a ^ b ^ r) & 0x10) ? RFLAGS_AF : 0;
		break;
	case CC_LOGIC:
		af = 0;
		break;
	case CC_RES:
		af = (uint32_t)a & RFLAGS_AF;
		break;
	default:
		flags_set_bits(cpu, RFLAGS_CF | RFLAGS_OF, cf_of);
		return;
	}
	cpu->cc_op = CC_RES;
	cpu->cc_src1 = af | (cf_of & (RFLAGS_CF | RFLAGS_OF));
	cpu->cc_src2 = 0;
}

static inline void flags_set_add(struct cpu *cpu, unsigned lg, uint64_t a, uint64_t b, uint64_t r)
{
	cpu->cc_op = CC_ADD; cpu->cc_size = (uint8_t)lg;
	cpu->cc_src1 = a; cpu->cc_src2 = b; cpu->cc_res = r;
}
static inline void flags_set_sub(struct cpu *cpu, unsigned lg, uint64_t a, uint64_t b, uint64_t r)
{
	cpu->cc_op = CC_SUB; cpu->cc_size = (uint8_t)lg;
	cpu->cc_src1 = a; cpu->cc_src2 = b; cpu->cc_res = r;
}
static inline void flags_set_logic(struct cpu *cpu, unsigned lg, uint64_t r)
{
	cpu->cc_op = CC_LOGIC; cpu->cc_size = (uint8_t)lg;
	cpu->cc_src1 = 0; cpu->cc_src2 = 0; cpu->cc_res = r;
}
static inline int flags_cf(const struct cpu *cpu);
/* All six flags: ZF, SF and PF from the result r, and CF/OF/AF exactly as
 * the RFLAGS bits in `cf_of_af`. */
static inline void flags_set_res(struct cpu *cpu, unsigned lg, uint64_t r, uint32_t cf_of_af)
{
	cpu->cc_op = CC_RES; cpu->cc_size = (uint8_t)lg;
	cpu->cc_src1 = cf_of_af; cpu->cc_src2 = 0; cpu->cc_res = r;
}

static inline void flags_set_incdec(struct cpu *cpu, int dec, unsigned lg, uint64_t a, uint64_t r)
{
	/* CF must survive in rflags; the other arithmetic bits there are
	 * stale under CC_INC/CC_DEC, so only CF is settled (cheaper than
	 * flags_settle in DEC/JNZ loops). */
	cpu->rflags = (cpu->rflags & ~(uint64_t)RFLAGS_CF) | (uint64_t)flags_cf(cpu);
	cpu->cc_op = dec ? CC_DEC : CC_INC; cpu->cc_size = (uint8_t)lg;
	cpu->cc_src1 = a; cpu->cc_src2 = 1; cpu->cc_res = r;
}

/* Set all six arithmetic flags from an explicit result for ADC/SBB-like
 * operations whose carry-in makes the lazy forms inexact. */
static inline void flags_set_adc(struct cpu *cpu, unsigned lg, uint64_t a, uint64_t b,
                                 uint64_t cin, uint64_t r, int sub)
{
	uint64_t sign = size_sign(lg);
	uint32_t f = flags_parity(r);
	int cf;

	if (r == 0)
		f |= RFLAGS_ZF;
	if (r & sign)
		f |= RFLAGS_SF;
	if (!sub) {
		cf = cin ? (r <= a) : (r < a);
		f |= (((a ^ r) & (b ^ r)) & sign) ? RFLAGS_OF : 0;
	} else {
		cf = cin ? (a <= b) : (a < b);
		f |= (((a ^ b) & (a ^ r)) & sign) ? RFLAGS_OF : 0;
	}
	f |= cf ? RFLAGS_CF : 0;
	f |= ((a ^ b ^ r) & 0x10) ? RFLAGS_AF : 0;
	cpu->rflags = (cpu->rflags & ~(uint64_t)RFLAGS_ARITH) | f;
	cpu->cc_op = CC_EAGER;
}

static inline int flags_cf(const struct cpu *cpu)
{
	switch (cpu->cc_op) {
	case CC_ADD: return cpu->cc_res < cpu->cc_src1;
	case CC_SUB: return cpu->cc_src1 < cpu->cc_src2;
	case CC_LOGIC: return 0;
	case CC_RES: return (int)(cpu->cc_src1 & RFLAGS_CF);
	default: return (int)(cpu->rflags & RFLAGS_CF);
	}
}
static inline int flags_zf(const struct cpu *cpu)
{
	if (cpu->cc_op != CC_EAGER)
		return cpu->cc_res == 0;
	return (cpu->rflags & RFLAGS_ZF) != 0;
}
static inline int flags_df(const struct cpu *cpu)
{
	return (cpu->rflags & RFLAGS_DF) != 0;
}
static inline int flags_get(const struct cpu *cpu, uint32_t bit)
{
	return (flags_read(cpu) & bit) != 0;
}

/* Condition codes in the encoding of Jcc/SETcc/CMOVcc (low nibble of the
 * opcode): O NO B AE E NE BE A S NS P NP L GE LE G. */
static inline int flags_cond(const struct cpu *cpu, unsigned cc)
{
	int r;

	if (cpu->cc_op == CC_SUB) {
		/* Fast path for CMP/SUB followed by a branch. */
		uint64_t a = cpu->cc_src1, b = cpu->cc_src2;
		unsigned sh = 64 - (8u << cpu->cc_size);
		int64_t sa = (int64_t)(a << sh), sb = (int64_t)(b << sh);

		switch (cc >> 1) {
		case 1: r = a < b; break;              /* B */
		case 2: r = a == b; break;             /* E */
		case 3: r = a <= b; break;             /* BE */
		case 6: r = sa < sb; break;            /* L */
		case 7: r = sa <= sb; break;           /* LE */
		default: goto slow;
		}
		return r ^ (int)(cc & 1);
	}
	if (cpu->cc_op != CC_EAGER) {
		/* ZF and SF come from the result for every lazy operation. */
		uint64_t res = cpu->cc_res;
		int sf = (res & size_sign(cpu->cc_size)) != 0;

		switch (cc >> 1) {
		case 2: return (res == 0) ^ (int)(cc & 1);          /* E */
		case 4: return sf ^ (int)(cc & 1);                  /* S */
		default: break;
		}
		if (cpu->cc_op == CC_LOGIC) {
			/* CF = OF = 0 after AND/OR/XOR/TEST. */
			switch (cc >> 1) {
			case 0: case 1: r = 0; break;               /* O, B */
			case 3: r = res == 0; break;                /* BE */
			case 6: r = sf; break;                      /* L */
			case 7: r = (res == 0) | sf; break;         /* LE */
			default: goto slow;
			}
			return r ^ (int)(cc & 1);
		}
		if (cpu->cc_op == CC_RES && (cc >> 1) <= 1) {
			/* O and B straight from the recorded bits. */
			uint64_t bit = (cc >> 1) ? RFLAGS_CF : RFLAGS_OF;

			return ((cpu->cc_src1 & bit) != 0) ^ (int)(cc & 1);
		}
	}
slow:
	{
		uint64_t f = flags_read(cpu);
		int cf = !!(f & RFLAGS_CF), zf = !!(f & RFLAGS_ZF), sf = !!(f & RFLAGS_SF);
		int of = !!(f & RFLAGS_OF), pf = !!(f & RFLAGS_PF);

		switch (cc >> 1) {
		case 0: r = of; break;
		case 1: r = cf; break;
		case 2: r = zf; break;
		case 3: r = cf | zf; break;
		case 4: r = sf; break;
		case 5: r = pf; break;
		case 6: r = sf != of; break;
		default: r = zf | (sf != of); break;
		}
		return r ^ (int)(cc & 1);
	}
}

#endif
