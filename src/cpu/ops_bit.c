/* Bit operations: BT/BTS/BTR/BTC, BSF/BSR, LZCNT/TZCNT/POPCNT, BSWAP and
 * the VEX-encoded BMI1/BMI2 group (SDM Vol. 2 instruction pages of the
 * same names).
 *
 * Flags the SDM leaves undefined, and what this model produces:
 *  - BT*: OF, SF, AF, PF unchanged (only CF is written; ZF is defined as
 *    unaffected).
 *  - BSF/BSR: CF, OF, SF, AF, PF unchanged.  A zero source sets ZF and
 *    leaves the whole destination register unchanged, as AMD documents
 *    (Intel calls the destination undefined); test_bit checks it against
 *    the host.
 *  - LZCNT/TZCNT: OF, SF, AF, PF unchanged.
 *  - BSWAP with a 16-bit operand: the low 16 bits become 0 and bits 63:16
 *    are kept, which is what silicon does (checked against the host in
 *    test_bit).
 *  - ANDN, BEXTR: AF = 0, PF from the result (BEXTR: SF from the result).
 *  - BLSI, BLSMSK, BLSR, BZHI: AF = 0, PF from the result.
 *
 * The VEX forms are #UD in real and virtual-8086 mode (SDM Vol. 2 §2.3.2:
 * VEX is not recognised there), which the F_PMODE row flag enforces.
 * LZCNT, TZCNT and the BMI instructions are always executed as such; CPUID
 * must advertise ABM/BMI1/BMI2 for guests to use them.
 */
#include "flags.h"
#include "opnd_hot.h"
#include "operand.h"
#include "ops.h"

static inline uint32_t flag_if(uint64_t cond, uint32_t bit)
{
	return cond ? bit : 0;
}

static inline uint32_t szp(unsigned lg, uint64_t r)
{
	return flags_parity(r) | flag_if(r == 0, RFLAGS_ZF) | flag_if(r & size_sign(lg), RFLAGS_SF);
}

/* --- BT, BTS, BTR, BTC ------------------------------------------------ */

/* Where the tested bit lives.  SDM Vol. 2 "BT": with a register bit offset
 * and a memory bit base the offset is a signed integer that may address
 * memory outside the operand; the operand-sized word that holds the bit is
 * accessed (EA + (offset SAR log2(size in bits)) * size).  An immediate
 * offset, or a register bit base, takes the offset modulo the size. */
struct btloc {
	uint64_t ea;     /* effective address of the word (memory+reg form) */
	unsigned bit;    /* bit number inside the word */
	bool far;        /* memory base with register offset: use ea */
};

static inline WARN_UNUSED int bt_fetch(struct cpu *cpu, const struct insn *in, struct btloc *l,
                                       uint64_t *v, bool rmw)
{
	unsigned lg = in->opsize, bits = 8u << lg, sh = 64 - bits;
	uint64_t off;

	TRY(opnd_read_hot(cpu, in, 1, &off));
	l->far = in->op[0].kind == OPK_MEM && in->op[1].kind != OPK_IMM;
	l->bit = (unsigned)off & (bits - 1);
	if (!l->far)
		return rmw && in->op[0].kind == OPK_MEM ? opnd_read_rmw(cpu, in, 0, v)
		                                         : opnd_read_hot(cpu, in, 0, v);
	{
		int64_t so = (int64_t)(off << sh) >> sh;

		l->ea = (insn_ea(cpu, in) + ((uint64_t)(so >> (3 + lg)) << lg)) & addr_mask(in->asize);
	}
	if (rmw)
		return mem_read_rmw(cpu, in->mem.seg, l->ea, 1u << lg, v);
	return access_read(cpu, in->mem.seg, l->ea, 1u << lg, v);
}

static inline WARN_UNUSED int bt_store(struct cpu *cpu, const struct insn *in,
                                       const struct btloc *l, uint64_t v)
{
	if (l->far)
		return access_write(cpu, in->mem.seg, l->ea, 1u << in->opsize, v);
	return opnd_write_hot(cpu, in, 0, v);
}

int op_bt(struct cpu *cpu, const struct insn *in)
{
	struct btloc l;
	uint64_t v;

	TRY(bt_fetch(cpu, in, &l, &v, false));
	flags_set_bits(cpu, RFLAGS_CF, flag_if((v >> l.bit) & 1, RFLAGS_CF));
	return X_OK;
}

/* BTS/BTR/BTC: kind 0 set, 1 reset, 2 complement. */
static inline int bt_modify(struct cpu *cpu, const struct insn *in, int kind)
{
	struct btloc l;
	uint64_t v, m;

	TRY(bt_fetch(cpu, in, &l, &v, true));
	m = 1ull << l.bit;
	TRY(bt_store(cpu, in, &l, kind == 0 ? v | m : kind == 1 ? v & ~m : v ^ m));
	flags_set_bits(cpu, RFLAGS_CF, flag_if(v & m, RFLAGS_CF));
	return X_OK;
}

int op_bts(struct cpu *cpu, const struct insn *in)
{
	return bt_modify(cpu, in, 0);
}

int op_btr(struct cpu *cpu, const struct insn *in)
{
	return bt_modify(cpu, in, 1);
}

int op_btc(struct cpu *cpu, const struct insn *in)
{
	return bt_modify(cpu, in, 2);
}

/* --- scans and counts -------------------------------------------------- */

/* SDM Vol. 2 "BSF"/"BSR": source 0 sets ZF; the destination is left
 * unchanged (see the file comment). */
int op_bsf(struct cpu *cpu, const struct insn *in)
{
	uint64_t s;

	TRY(opnd_read_hot(cpu, in, 1, &s));
	if (s == 0) {
		flags_set_bits(cpu, RFLAGS_ZF, RFLAGS_ZF);
		return X_OK;
	}
	TRY(opnd_write_hot(cpu, in, 0, (uint64_t)__builtin_ctzll(s)));
	flags_set_bits(cpu, RFLAGS_ZF, 0);
	return X_OK;
}

int op_bsr(struct cpu *cpu, const struct insn *in)
{
	uint64_t s;

	TRY(opnd_read_hot(cpu, in, 1, &s));
	if (s == 0) {
		flags_set_bits(cpu, RFLAGS_ZF, RFLAGS_ZF);
		return X_OK;
	}
	TRY(opnd_write_hot(cpu, in, 0, (uint64_t)(63 - __builtin_clzll(s))));
	flags_set_bits(cpu, RFLAGS_ZF, 0);
	return X_OK;
}

/* SDM Vol. 2 "LZCNT"/"TZCNT": a zero source gives the operand size and
 * sets CF; ZF is set when the result is 0. */
int op_lzcnt(struct cpu *cpu, const struct insn *in)
{
	unsigned bits = 8u << in->opsize;
	uint64_t s, r;

	TRY(opnd_read_hot(cpu, in, 1, &s));
	r = s ? (uint64_t)(__builtin_clzll(s) - (64 - (int)bits)) : bits;
	TRY(opnd_write_hot(cpu, in, 0, r));
	flags_set_bits(cpu, RFLAGS_CF | RFLAGS_ZF,
	               flag_if(s == 0, RFLAGS_CF) | flag_if(r == 0, RFLAGS_ZF));
	return X_OK;
}

int op_tzcnt(struct cpu *cpu, const struct insn *in)
{
	unsigned bits = 8u << in->opsize;
	uint64_t s, r;

	TRY(opnd_read_hot(cpu, in, 1, &s));
	r = s ? (uint64_t)__builtin_ctzll(s) : bits;
	TRY(opnd_write_hot(cpu, in, 0, r));
	flags_set_bits(cpu, RFLAGS_CF | RFLAGS_ZF,
	               flag_if(s == 0, RFLAGS_CF) | flag_if(r == 0, RFLAGS_ZF));
	return X_OK;
}

/* SDM Vol. 2 "POPCNT": OF, SF, AF, CF, PF cleared; ZF = (source == 0). */
int op_popcnt(struct cpu *cpu, const struct insn *in)
{
	uint64_t s;

	TRY(opnd_read_hot(cpu, in, 1, &s));
	TRY(opnd_write_hot(cpu, in, 0, (uint64_t)__builtin_popcountll(s)));
	flags_set_bits(cpu, RFLAGS_ARITH, flag_if(s == 0, RFLAGS_ZF));
	return X_OK;
}

int op_bswap(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize;
	uint64_t v;

	TRY(opnd_read_hot(cpu, in, 0, &v));
	if (lg == 3)
		v = __builtin_bswap64(v);
	else if (lg == 2)
		v = __builtin_bswap32((uint32_t)v);
	else
		v = 0; /* 16-bit: undefined in the SDM; see the file comment */
	return opnd_write_hot(cpu, in, 0, v);
}

/* --- BMI1 / BMI2 ----------------------------------------------------------
 * Capstone lists operands in the SDM's order: ANDN/PDEP/PEXT/MULX
 * (reg, vvvv, r/m); BEXTR/BZHI/SARX/SHLX/SHRX (reg, r/m, vvvv);
 * BLSI/BLSMSK/BLSR (vvvv, r/m); RORX (reg, r/m, imm8). */

static inline WARN_UNUSED int vex_srcs(struct cpu *cpu, const struct insn *in, uint64_t *a,
                                       uint64_t *b)
{
	TRY(opnd_read_hot(cpu, in, 1, a));
	return opnd_read_hot(cpu, in, 2, b);
}

/* SDM "ANDN": SF, ZF from the result; CF = OF = 0. */
int op_andn(struct cpu *cpu, const struct insn *in)
{
	uint64_t a, b, r;

	TRY(vex_srcs(cpu, in, &a, &b));
	r = ~a & b & size_mask(in->opsize);
	TRY(opnd_write_hot(cpu, in, 0, r));
	flags_set_logic(cpu, in->opsize, r);
	return X_OK;
}

/* SDM "BEXTR": start = src2[7:0], length = src2[15:8]; ZF from the result,
 * CF = OF = 0. */
int op_bextr(struct cpu *cpu, const struct insn *in)
{
	unsigned bits = 8u << in->opsize, start, len;
	uint64_t a, b, r;

	TRY(vex_srcs(cpu, in, &a, &b));
	start = (unsigned)b & 0xff;
	len = (unsigned)(b >> 8) & 0xff;
	r = start < bits ? a >> start : 0;
	if (len < 64)
		r &= (1ull << len) - 1;
	TRY(opnd_write_hot(cpu, in, 0, r));
	flags_set_logic(cpu, in->opsize, r);
	return X_OK;
}

/* BLSI/BLSMSK/BLSR: CF reports a zero (BLSMSK, BLSR) or non-zero (BLSI)
 * source; OF = 0; SF from the result; ZF from the result (BLSMSK: 0). */
static inline int bls_common(struct cpu *cpu, const struct insn *in, int kind)
{
	unsigned lg = in->opsize;
	uint64_t s, r;
	int cf;

	TRY(opnd_read_hot(cpu, in, 1, &s));
	switch (kind) {
	case 0: r = (0 - s) & s; cf = s != 0; break;   /* BLSI */
	case 1: r = (s - 1) ^ s; cf = s == 0; break;   /* BLSMSK */
	default: r = (s - 1) & s; cf = s == 0; break;  /* BLSR */
	}
	r &= size_mask(lg);
	TRY(opnd_write_hot(cpu, in, 0, r));
	flags_set_bits(cpu, RFLAGS_ARITH, szp(lg, r) | flag_if(cf, RFLAGS_CF));
	return X_OK;
}

int op_blsi(struct cpu *cpu, const struct insn *in)
{
	return bls_common(cpu, in, 0);
}

int op_blsmsk(struct cpu *cpu, const struct insn *in)
{
	return bls_common(cpu, in, 1);
}

int op_blsr(struct cpu *cpu, const struct insn *in)
{
	return bls_common(cpu, in, 2);
}

/* SDM "BZHI": n = src2[7:0]; bits n and up are cleared.  CF = 1 when n is
 * not below the operand size (the source passes unchanged); OF = 0. */
int op_bzhi(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize, bits = 8u << lg, n;
	uint64_t a, b, r;

	TRY(vex_srcs(cpu, in, &a, &b));
	n = (unsigned)b & 0xff;
	r = n < bits ? a & ((1ull << n) - 1) : a;
	TRY(opnd_write_hot(cpu, in, 0, r));
	flags_set_bits(cpu, RFLAGS_ARITH, szp(lg, r) | flag_if(n >= bits, RFLAGS_CF));
	return X_OK;
}

/* SDM "MULX": hi:lo <- rDX * src, unsigned, no flags.  The low half goes to
 * the vvvv register first so that equal destinations keep the high half. */
int op_mulx(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize;
	uint64_t s, d = cpu_gpr_read(cpu, R_RDX, lg);
	unsigned __int128 p;

	TRY(opnd_read_hot(cpu, in, 2, &s));
	p = (unsigned __int128)d * s;
	if (lg == 3) {
		TRY(opnd_write_hot(cpu, in, 1, (uint64_t)p));
		return opnd_write_hot(cpu, in, 0, (uint64_t)(p >> 64));
	}
	TRY(opnd_write_hot(cpu, in, 1, (uint64_t)p & 0xffffffffull));
	return opnd_write_hot(cpu, in, 0, (uint64_t)(p >> 32));
}

int op_pdep(struct cpu *cpu, const struct insn *in)
{
	uint64_t src, mask, r = 0;

	TRY(vex_srcs(cpu, in, &src, &mask));
	for (uint64_t k = 1; mask; mask &= mask - 1, k <<= 1)
		if (src & k)
			r |= mask & (0 - mask);
	return opnd_write_hot(cpu, in, 0, r);
}

int op_pext(struct cpu *cpu, const struct insn *in)
{
	uint64_t src, mask, r = 0;

	TRY(vex_srcs(cpu, in, &src, &mask));
	for (uint64_t k = 1; mask; mask &= mask - 1, k <<= 1)
		if (src & mask & (0 - mask))
			r |= k;
	return opnd_write_hot(cpu, in, 0, r);
}

/* RORX, SARX, SHLX, SHRX: count masked to 5 or 6 bits; no flags. */
int op_rorx(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize, bits = 8u << lg, c;
	uint64_t a, n;

	TRY(vex_srcs(cpu, in, &a, &n));
	c = (unsigned)n & (bits - 1);
	if (c)
		a = ((a >> c) | (a << (bits - c))) & size_mask(lg);
	return opnd_write_hot(cpu, in, 0, a);
}

int op_sarx(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize, sh = 64 - (8u << lg);
	uint64_t a, n;

	TRY(vex_srcs(cpu, in, &a, &n));
	a = (uint64_t)(((int64_t)(a << sh) >> sh) >> (n & ((8u << lg) - 1)));
	return opnd_write_hot(cpu, in, 0, a & size_mask(lg));
}

int op_shlx(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize;
	uint64_t a, n;

	TRY(vex_srcs(cpu, in, &a, &n));
	return opnd_write_hot(cpu, in, 0, (a << (n & ((8u << lg) - 1))) & size_mask(lg));
}

int op_shrx(struct cpu *cpu, const struct insn *in)
{
	unsigned lg = in->opsize;
	uint64_t a, n;

	TRY(vex_srcs(cpu, in, &a, &n));
	return opnd_write_hot(cpu, in, 0, a >> (n & ((8u << lg) - 1)));
}
