/* Multiply and divide (SDM Vol. 2 "MUL", "IMUL", "DIV", "IDIV").
 *
 * The one-operand forms use the accumulator pair for the operand size:
 * AX <- AL * src (8-bit) or DX:AX, EDX:EAX, RDX:RAX.  32-bit forms write
 * EAX and EDX and so zero-extend both in 64-bit mode.
 *
 * Flags.  MUL/IMUL define only CF = OF (set when the product does not fit
 * the destination).  SF, ZF, AF and PF are undefined; this model produces
 * SF = MSB of the (low half of the) result, ZF = (that value == 0), PF from
 * its low byte and AF = 0.  DIV/IDIV leave every flag undefined; this model
 * leaves all of them unchanged.
 */
#include "flags.h"
#include "opnd_hot.h"
#include "operand.h"
#include "ops.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

static inline int64_t sext(uint64_t v, unsigned lg)
{
	unsigned sh = 64 - (8u << lg);

	return (int64_t)(v << sh) >> sh;
}

static void mul_flags(struct cpu *cpu, unsigned lg, uint64_t lo, int overflow)
{
	uint32_t f;

	/* Without overflow these are exactly the flags of a logic result
	 * (CF = OF = AF = 0): keep them lazy. */
	if (likely(!overflow)) {
		flags_set_logic(cpu, lg, lo);
		return;
	}
	f = flags_parity(lo);
	if (lo == 0)
		f |= RFLAGS_ZF;
	if (lo & size_sign(lg))
		f |= RFLAGS_SF;
	f |= RFLAGS_CF | RFLAGS_OF;
	flags_set_bits(cpu, RFLAGS_ARITH, f);
}

/* Write the double-width result hi:lo of a one-operand multiply or the
 * quotient/remainder of a divide: AH:AL for 8-bit, else rDX:rAX. */
static void acc_pair_write(struct cpu *cpu, unsigned lg, uint64_t hi, uint64_t lo)
{
	if (lg == 0) {
		cpu_gpr_write(cpu, R_RAX, 1, ((hi & 0xff) << 8) | (lo & 0xff));
		return;
	}
	cpu_gpr_write(cpu, R_RAX, lg, lo);
	cpu_gpr_write(cpu, R_RDX, lg, hi);
}

static uint64_t acc_pair_read_hi(const struct cpu *cpu, unsigned lg)
{
	if (lg == 0)
		return (cpu->gpr[R_RAX] >> 8) & 0xff;
	return cpu_gpr_read(cpu, R_RDX, lg);
}

int op_mul(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize, bits = 8u << lg;
	uint64_t b, a = cpu_gpr_read(cpu, R_RAX, lg), lo, hi;
	u128 p;

	TRY(opnd_read_hot(cpu, in, 0, &b));
	p = (u128)a * b;
	lo = (uint64_t)p & size_mask(lg);
	hi = lg == 3 ? (uint64_t)(p >> 64) : (uint64_t)(p >> bits);
	acc_pair_write(cpu, lg, hi, lo);
	mul_flags(cpu, lg, lo, hi != 0);
	return X_OK;
}

/* IMUL: one operand (rDX:rAX <- rAX * r/m), two (r <- r * r/m) or three
 * (r <- r/m * imm). */
int op_imul(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize, bits = 8u << lg;
	uint64_t a, b, lo;
	int ov;

	if (in->nops == 1) {
		uint64_t hi;
		s128 p;

		a = cpu_gpr_read(cpu, R_RAX, lg);
		TRY(opnd_read_hot(cpu, in, 0, &b));
		p = (s128)sext(a, lg) * sext(b, lg);
		lo = (uint64_t)p & size_mask(lg);
		hi = lg == 3 ? (uint64_t)((u128)p >> 64) : (uint64_t)(p >> bits) & size_mask(lg);
		acc_pair_write(cpu, lg, hi, lo);
		mul_flags(cpu, lg, lo, p != (s128)sext(lo, lg));
		return X_OK;
	}
	TRY(opnd_read_hot(cpu, in, in->nops - 2, &a));
	TRY(opnd_read_hot(cpu, in, in->nops - 1, &b));
	if (lg == 3) {
		int64_t r;

		ov = __builtin_mul_overflow((int64_t)a, (int64_t)b, &r);
		lo = (uint64_t)r;
	} else {
		/* Products of operands up to 32 bits fit in 64. */
		int64_t r = sext(a & size_mask(lg), lg) * sext(b & size_mask(lg), lg);

		lo = (uint64_t)r & size_mask(lg);
		ov = r != sext(lo, lg);
	}
	TRY(opnd_write_hot(cpu, in, 0, lo));
	mul_flags(cpu, lg, lo, ov);
	return X_OK;
}

/* SDM Vol. 2 "DIV": #DE if the divisor is 0 or the quotient does not fit
 * the destination; nothing is written then. */
int op_div(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize, bits = 8u << lg;
	uint64_t d, q, r;
	u128 n;

	TRY(opnd_read_hot(cpu, in, 0, &d));
	if (d == 0)
		return cpu_fault_noerr(cpu, EXC_DE);
	n = ((u128)acc_pair_read_hi(cpu, lg) << bits) | cpu_gpr_read(cpu, R_RAX, lg);
	if (lg == 3) {
		u128 q128 = n / d;

		if (q128 >> 64)
			return cpu_fault_noerr(cpu, EXC_DE);
		q = (uint64_t)q128;
		r = (uint64_t)(n % d);
	} else {
		uint64_t n64 = (uint64_t)n;

		q = n64 / d;
		r = n64 % d;
		if (q > size_mask(lg))
			return cpu_fault_noerr(cpu, EXC_DE);
	}
	acc_pair_write(cpu, lg, r, q);
	return X_OK;
}

/* SDM Vol. 2 "IDIV": #DE if the divisor is 0 or the signed quotient is out
 * of range (including the most negative dividend divided by -1). */
int op_idiv(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize, bits = 8u << lg;
	uint64_t dv, hi, lo;
	s128 n, d, q, r, qmax = ((s128)1 << (bits - 1)) - 1;

	TRY(opnd_read_hot(cpu, in, 0, &dv));
	if (dv == 0)
		return cpu_fault_noerr(cpu, EXC_DE);
	d = sext(dv, lg);
	hi = acc_pair_read_hi(cpu, lg);
	lo = cpu_gpr_read(cpu, R_RAX, lg);
	if (lg == 3)
		n = (s128)(((u128)hi << 64) | lo);
	else
		n = sext((hi << bits) | lo, lg + 1);
	/* -2^127 / -1 is the only quotient a 128-bit divide cannot hold; it is
	 * out of range for every operand size anyway. */
	if (d == -1 && n == (s128)((u128)1 << 127))
		return cpu_fault_noerr(cpu, EXC_DE);
	q = n / d;
	r = n % d;
	if (q > qmax || q < -qmax - 1)
		return cpu_fault_noerr(cpu, EXC_DE);
	acc_pair_write(cpu, lg, (uint64_t)r & size_mask(lg), (uint64_t)q & size_mask(lg));
	return X_OK;
}
