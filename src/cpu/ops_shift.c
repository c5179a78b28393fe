/* Shifts and rotates (SDM Vol. 2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR",
 * "SHLD", "SHRD").
 *
 * Count: masked to 5 bits, or 6 with a 64-bit operand.  A masked count of 0
 * changes no flag; the destination is still written back, so a 32-bit
 * register is zero-extended as for any other 32-bit operation (as the host
 * does in test_shift), and a memory destination sees a write access of
 * its unchanged value.
 *
 * Flags the SDM leaves undefined, and what is produced (Intel's behaviour
 * as modelled by Bochs, which tracks Intel silicon):
 *  - OF for counts other than 1 is computed with the count-1 formula on
 *    the final result: SHL/ROL/RCL/SHLD: MSB(result) XOR CF;
 *    SHR/ROR/RCR/SHRD: MSB(result) XOR MSB-1(result); SAR: 0.
 *  - AF after a non-zero shift count is 0.
 *  - SHL/SHR with an 8- or 16-bit operand and count >= size: CF holds the
 *    last bit that left the operand (0 for SHL/SHR, the sign for SAR).
 *  - SHLD/SHRD with a 16-bit operand and count > 16 (result undefined):
 *    the 48-bit string DEST:SRC:DEST is shifted, as P6 and later Intel
 *    processors do (Bochs models the same); CF is the last bit shifted out
 *    of that string.  AMD silicon gives other values, so test_shift masks
 *    this case.
 */
#include "flags.h"
#include "opnd_hot.h"
#include "operand.h"
#include "ops.h"

typedef unsigned __int128 u128;

static inline unsigned count_mask(unsigned lg)
{
	return lg == 3 ? 0x3f : 0x1f;
}

static inline uint32_t flag_if(uint64_t cond, uint32_t bit)
{
	return cond ? bit : 0;
}

/* SF, ZF and PF of a result of size lg. */
static inline uint32_t szp(unsigned lg, uint64_t r)
{
	return flags_parity(r) | flag_if(r == 0, RFLAGS_ZF) | flag_if(r & size_sign(lg), RFLAGS_SF);
}

/* The destination is read as the first half of a read-modify-write. */
static inline WARN_UNUSED int dest_read(struct cpu *cpu, const struct insn *in, uint64_t *a)
{
	if (in->op[0].kind == OPK_MEM)
		return opnd_read_rmw(cpu, in, 0, a);
	return opnd_read_hot(cpu, in, 0, a);
}

static inline WARN_UNUSED int dest_write(struct cpu *cpu, const struct insn *in, uint64_t r)
{
	return opnd_write_hot(cpu, in, 0, r);
}

/* The count operand i is either an immediate or CL. */
static inline unsigned count_read(const struct cpu *cpu, const struct insn *in, unsigned i)
{
	uint64_t n = in->op[i].kind == OPK_IMM ? in->imm : cpu->gpr[R_RCX];

	return (unsigned)n & count_mask(in->opsize);
}

/* Commit the result and, for a non-zero count, the six arithmetic flags
 * (SF/ZF/PF from the result, AF = 0). */
static inline WARN_UNUSED int shift_commit(struct cpu *cpu, const struct insn *in, unsigned c,
                                           uint64_t r, int cf, int of)
{
	TRY(dest_write(cpu, in, r));
	if (c)
		flags_set_bits(cpu, RFLAGS_ARITH,
		               szp(in->opsize, r) | flag_if(cf, RFLAGS_CF) | flag_if(of, RFLAGS_OF));
	return X_OK;
}

enum shop { SH_SHL, SH_SHR, SH_SAR, SH_ROL, SH_ROR, SH_RCL, SH_RCR };

/* Shifts write all six arithmetic flags; rotates only CF and OF. */
static inline uint32_t shift_flag_mask(enum shop op)
{
	return op <= SH_SAR ? RFLAGS_ARITH : RFLAGS_CF | RFLAGS_OF;
}

/* RCL/RCR rotate the (size+1)-bit string CF:DEST.  SDM: with 8- and 16-bit
 * operands the masked count is reduced modulo 9 and 17. */
static inline unsigned rc_count(unsigned lg, unsigned c)
{
	return lg == 0 ? c % 9 : lg == 1 ? c % 17 : c;
}

/* One shift or rotate of a (size lg) by the masked, non-zero count c;
 * cfin is CF before the instruction (RCL/RCR).  Returns the result and
 * puts the flags (within shift_flag_mask) in *f. */
static inline uint64_t shift_do(enum shop op, unsigned lg, uint64_t a, unsigned c, int cfin,
                                uint32_t *f)
{
	unsigned bits = 8u << lg, sh = 64 - bits, rc;
	uint64_t m = size_mask(lg), sign = size_sign(lg), r;
	int cf, of;

	switch (op) {
	case SH_SHL:
		r = (a << c) & m;
		cf = c <= bits && ((a >> (bits - c)) & 1);
		of = !!(r & sign) ^ cf;
		break;
	case SH_SHR:
		r = a >> c;
		cf = (a >> (c - 1)) & 1;
		of = (int)((r ^ (r << 1)) >> (bits - 1)) & 1;
		break;
	case SH_SAR: {
		int64_t sv = (int64_t)(a << sh) >> sh;

		r = (uint64_t)(sv >> c) & m;
		cf = (sv >> (c - 1)) & 1;
		of = 0;
		break;
	}
	case SH_ROL:
		rc = c & (bits - 1);
		r = rc ? ((a << rc) | (a >> (bits - rc))) & m : a;
		cf = (int)(r & 1);
		of = !!(r & sign) ^ cf;
		*f = flag_if(cf, RFLAGS_CF) | flag_if(of, RFLAGS_OF);
		return r;
	case SH_ROR:
		rc = c & (bits - 1);
		r = rc ? ((a >> rc) | (a << (bits - rc))) & m : a;
		cf = !!(r & sign);
		of = cf ^ ((int)(r >> (bits - 2)) & 1);
		*f = flag_if(cf, RFLAGS_CF) | flag_if(of, RFLAGS_OF);
		return r;
	default: {
		u128 v = ((u128)(unsigned)cfin << bits) | a, vm = ((u128)1 << (bits + 1)) - 1;

		rc = rc_count(lg, c);
		if (rc && op == SH_RCL)
			v = ((v << rc) | (v >> (bits + 1 - rc))) & vm;
		else if (rc)
			v = ((v >> rc) | (v << (bits + 1 - rc))) & vm;
		r = (uint64_t)v & m;
		cf = (int)(v >> bits) & 1;
		if (op == SH_RCL)
			of = !!(r & sign) ^ cf;
		else
			of = (int)((r ^ (r << 1)) >> (bits - 1)) & 1;
		*f = flag_if(cf, RFLAGS_CF) | flag_if(of, RFLAGS_OF);
		return r;
	}
	}
	*f = szp(lg, r) | flag_if(cf, RFLAGS_CF) | flag_if(of, RFLAGS_OF);
	return r;
}

static __attribute__((noinline)) int shift_slow(struct cpu *cpu, const struct insn *in,
                                                enum shop op)
{
	unsigned lg = in->opsize, c;
	uint64_t a, r;
	uint32_t f = 0;

	TRY(opnd_read_rmw(cpu, in, 0, &a));
	c = count_read(cpu, in, 1);
	r = c ? shift_do(op, lg, a, c, flags_cf(cpu), &f) : a;
	TRY(opnd_write(cpu, in, 0, r));
	if (c)
		flags_set_bits(cpu, shift_flag_mask(op), f);
	return X_OK;
}

/* Register destinations stay call-free (apart from settling flags for a
 * rotate); everything else takes shift_slow. */
static inline int shift_op(struct cpu *cpu, const struct insn *in, enum shop op)
{
	if (likely(in->op[0].kind == OPK_REG)) {
		unsigned lg = in->opsize, reg = in->op[0].reg, c = count_read(cpu, in, 1);
		uint64_t a = cpu_gpr_read(cpu, reg, lg), r = a;
		uint32_t f = 0;

		if (c)
			r = shift_do(op, lg, a, c, op >= SH_RCL ? flags_cf(cpu) : 0, &f);
		cpu_gpr_write(cpu, reg, lg, r);
		if (c)
			flags_set_bits(cpu, shift_flag_mask(op), f);
		return X_OK;
	}
	return shift_slow(cpu, in, op);
}

int op_shl(struct cpu *cpu, const struct insn *in) { return shift_op(cpu, in, SH_SHL); }
int op_shr(struct cpu *cpu, const struct insn *in) { return shift_op(cpu, in, SH_SHR); }
int op_sar(struct cpu *cpu, const struct insn *in) { return shift_op(cpu, in, SH_SAR); }
int op_rol(struct cpu *cpu, const struct insn *in) { return shift_op(cpu, in, SH_ROL); }
int op_ror(struct cpu *cpu, const struct insn *in) { return shift_op(cpu, in, SH_ROR); }
int op_rcl(struct cpu *cpu, const struct insn *in) { return shift_op(cpu, in, SH_RCL); }
int op_rcr(struct cpu *cpu, const struct insn *in) { return shift_op(cpu, in, SH_RCR); }

/* SHLD/SHRD: operand 0 destination, 1 source register, 2 count (imm8/CL). */
static inline WARN_UNUSED int dshift_operands(struct cpu *cpu, const struct insn *in,
                                              uint64_t *d, uint64_t *s, unsigned *c)
{
	TRY(dest_read(cpu, in, d));
	*s = cpu_gpr_read(cpu, in->op[1].reg, in->opsize);
	*c = count_read(cpu, in, 2);
	return X_OK;
}

int op_shld(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize, bits = 8u << lg, w = lg == 1 ? 48 : 2 * bits, c;
	uint64_t d, s, r;
	u128 p;
	int cf;

	TRY(dshift_operands(cpu, in, &d, &s, &c));
	p = ((u128)d << (w - bits)) | ((u128)s << (w - 2 * bits));
	if (lg == 1)
		p |= d;
	r = (uint64_t)((p << c) >> (w - bits)) & size_mask(lg);
	cf = c && ((int)(p >> (w - c)) & 1);
	return shift_commit(cpu, in, c, r, cf, !!(r & size_sign(lg)) ^ cf);
}

int op_shrd(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize, bits = 8u << lg, c;
	uint64_t d, s, r;
	u128 p;
	int cf;

	TRY(dshift_operands(cpu, in, &d, &s, &c));
	p = (u128)d | ((u128)s << bits);
	if (lg == 1)
		p |= (u128)d << 32;
	r = (uint64_t)(p >> c) & size_mask(lg);
	cf = c && ((int)(p >> (c - 1)) & 1);
	return shift_commit(cpu, in, c, r, cf, (int)((r ^ (r << 1)) >> (bits - 1)) & 1);
}
