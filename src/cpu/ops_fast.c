/* Decode-time specialisation of the hottest forms, and their threaded
 * entries.
 *
 * The op table stays the one home of every opcode: its row names the
 * generic handler, which is always correct.  When a decoded record has a
 * plain shape -- destination a 32- or 64-bit general register, source a
 * register of the same size or an immediate, or in 64-bit code a flat
 * memory operand (see fast_specialize_mem) -- fast_specialize() swaps in
 * a variant with that shape fixed, so the handler does no operand-kind
 * dispatch at run time.  A variant must compute exactly what the generic
 * handler computes; the unit tests, which compare against the host CPU,
 * run through the decoder and so exercise these variants.
 *
 * fast_thread_block() then gives every record of a block its threaded
 * entry (thread.h): the variant's twin, a twin per address shape for the
 * memory forms, a compare fused with the Jcc after it, or a twin without
 * the flag record when the block replaces the flags unread.
 * tests/unit/test_threaded.c compares whole-block runs against runs of
 * one instruction at a time.
 */
#include "fast.h"

#include <capstone/x86.h>

#include "flags.h"
#include "operand.h"
#include "ops.h"
#include "thread.h"

#define RD(in) ((in)->op[0].reg)
#define RS(in) ((in)->op[1].reg)

/* --- ADD SUB AND OR XOR CMP TEST: reg,reg and reg,imm ------------------ */

#define ALU_FAST(name, lg, T, src, expr, setflags, writes)                          \
	static int name(struct cpu *cpu, const struct insn *in)                     \
	{                                                                           \
		T a = (T)cpu->gpr[RD(in)], b = (T)(src), r = (T)(expr);             \
		(void)b;                                                            \
		setflags;                                                           \
		if (writes)                                                         \
			cpu->gpr[RD(in)] = (uint64_t)r;                             \
		return X_OK;                                                        \
	}

#define ALU_FAMILY(sfx, lg, T)                                                                  \
	ALU_FAST(fast_add_rr##sfx, lg, T, cpu->gpr[RS(in)], a + b, flags_set_add(cpu, lg, a, b, r), 1) \
	ALU_FAST(fast_add_ri##sfx, lg, T, in->imm, a + b, flags_set_add(cpu, lg, a, b, r), 1)          \
	ALU_FAST(fast_sub_rr##sfx, lg, T, cpu->gpr[RS(in)], a - b, flags_set_sub(cpu, lg, a, b, r), 1) \
	ALU_FAST(fast_sub_ri##sfx, lg, T, in->imm, a - b, flags_set_sub(cpu, lg, a, b, r), 1)          \
	ALU_FAST(fast_cmp_rr##sfx, lg, T, cpu->gpr[RS(in)], a - b, flags_set_sub(cpu, lg, a, b, r), 0) \
	ALU_FAST(fast_cmp_ri##sfx, lg, T, in->imm, a - b, flags_set_sub(cpu, lg, a, b, r), 0)          \
	ALU_FAST(fast_and_rr##sfx, lg, T, cpu->gpr[RS(in)], a & b, flags_set_logic(cpu, lg, r), 1)     \
	ALU_FAST(fast_and_ri##sfx, lg, T, in->imm, a & b, flags_set_logic(cpu, lg, r), 1)              \
	ALU_FAST(fast_or_rr##sfx, lg, T, cpu->gpr[RS(in)], a | b, flags_set_logic(cpu, lg, r), 1)      \
	ALU_FAST(fast_or_ri##sfx, lg, T, in->imm, a | b, flags_set_logic(cpu, lg, r), 1)               \
	ALU_FAST(fast_xor_rr##sfx, lg, T, cpu->gpr[RS(in)], a ^ b, flags_set_logic(cpu, lg, r), 1)     \
	ALU_FAST(fast_xor_ri##sfx, lg, T, in->imm, a ^ b, flags_set_logic(cpu, lg, r), 1)              \
	ALU_FAST(fast_test_rr##sfx, lg, T, cpu->gpr[RS(in)], a & b, flags_set_logic(cpu, lg, r), 0)    \
	ALU_FAST(fast_test_ri##sfx, lg, T, in->imm, a & b, flags_set_logic(cpu, lg, r), 0)             \
	ALU_FAST(fast_mov_rr##sfx, lg, T, cpu->gpr[RS(in)], b, (void)a, 1)                            \
	ALU_FAST(fast_mov_ri##sfx, lg, T, in->imm, b, (void)a, 1)

/* A 32-bit destination is zero-extended (SDM Vol. 1 §3.4.1.1): storing the
 * uint32_t result into the 64-bit register does exactly that. */
ALU_FAMILY(64, 3, uint64_t)
ALU_FAMILY(32, 2, uint32_t)

/* INC/DEC r: CF is preserved (flags_set_incdec keeps it). */
#define INCDEC_FAST(name, lg, T, dec)                                   \
	static int name(struct cpu *cpu, const struct insn *in)         \
	{                                                               \
		T a = (T)cpu->gpr[RD(in)], r = dec ? (T)(a - 1) : (T)(a + 1); \
		flags_set_incdec(cpu, dec, lg, a, r);                   \
		cpu->gpr[RD(in)] = (uint64_t)r;                         \
		return X_OK;                                            \
	}
INCDEC_FAST(fast_inc64, 3, uint64_t, 0)
INCDEC_FAST(fast_dec64, 3, uint64_t, 1)
INCDEC_FAST(fast_inc32, 2, uint32_t, 0)
INCDEC_FAST(fast_dec32, 2, uint32_t, 1)

/* NEG r: flags as for 0 - DEST; NOT r: no flags (SDM Vol. 2 "NEG", "NOT"). */
#define NEGNOT_FAST(lg, T)                                              \
	static int fast_neg##lg(struct cpu *cpu, const struct insn *in) \
	{                                                               \
		T a = (T)cpu->gpr[RD(in)], r = (T)(0 - a);              \
		flags_set_sub(cpu, lg, 0, a, r);                        \
		cpu->gpr[RD(in)] = (uint64_t)r;                         \
		return X_OK;                                            \
	}                                                               \
	static int fast_not##lg(struct cpu *cpu, const struct insn *in) \
	{                                                               \
		cpu->gpr[RD(in)] = (uint64_t)(T)~(T)cpu->gpr[RD(in)];   \
		return X_OK;                                            \
	}
NEGNOT_FAST(3, uint64_t)
NEGNOT_FAST(2, uint32_t)

/* NOP, and the multi-byte forms, whose memory operand is not accessed. */
static int fast_nop(struct cpu *cpu, const struct insn *in)
{
	(void)cpu;
	(void)in;
	return X_OK;
}

/* MOVZX r32/64, r8 (low byte registers only: AH..BH are OPK_REG8H). */
static int fast_movzx_r8(struct cpu *cpu, const struct insn *in)
{
	cpu->gpr[RD(in)] = (uint8_t)cpu->gpr[RS(in)];
	return X_OK;
}

/* LEA r64 in 64-bit addressing: no segment, no memory access. */
static int fast_lea64(struct cpu *cpu, const struct insn *in)
{
	cpu->gpr[RD(in)] = insn_ea(cpu, in);
	return X_OK;
}

/* Jcc in 64-bit mode: the target only needs the canonical check.  One
 * variant per condition code, so flags_cond() is inlined with a constant
 * and its dispatch on the condition folds away. */
#define JCC64(cc)                                                              \
	static int fast_jcc64_##cc(struct cpu *cpu, const struct insn *in)     \
	{                                                                      \
		uint64_t target;                                               \
		if (!flags_cond(cpu, cc))                                      \
			return X_OK;                                           \
		target = cpu->rip + in->len + in->imm;                         \
		if (unlikely(!cpu_is_canonical(target)))                       \
			return cpu_gp0(cpu);                                   \
		cpu->rip = target;                                             \
		return X_JUMP;                                                 \
	}
JCC64(0) JCC64(1) JCC64(2) JCC64(3) JCC64(4) JCC64(5) JCC64(6) JCC64(7)
JCC64(8) JCC64(9) JCC64(10) JCC64(11) JCC64(12) JCC64(13) JCC64(14) JCC64(15)
static op_fn *const fast_jcc64[16] = {
	fast_jcc64_0, fast_jcc64_1, fast_jcc64_2, fast_jcc64_3, fast_jcc64_4, fast_jcc64_5,
	fast_jcc64_6, fast_jcc64_7, fast_jcc64_8, fast_jcc64_9, fast_jcc64_10, fast_jcc64_11,
	fast_jcc64_12, fast_jcc64_13, fast_jcc64_14, fast_jcc64_15,
};

/* Jcc in 32-bit code (operand size 32): EIP wraps, CS limit applies. */
static int fast_jcc32(struct cpu *cpu, const struct insn *in)
{
	uint64_t target;

	if (!flags_cond(cpu, in->cc))
		return X_OK;
	target = (uint32_t)(cpu->rip + in->len + in->imm);
	if (unlikely(target > cpu->seg[SEG_CS].limit))
		return cpu_gp0(cpu);
	cpu->rip = target;
	return X_JUMP;
}

/* --- SHL SHR SAR r, imm ----------------------------------------------------
 * SDM Vol. 2 "SAL/SAR/SHL/SHR": the count is masked to 5 bits (6 with a
 * 64-bit operand); a zero count changes no flags.  CF is the last bit
 * shifted out; OF uses the count-1 rule for every count (Intel, as in
 * ops_shift.c); AF is 0 (ops_shift.c's choice for the undefined AF). */
#define SHIFT_FAST(name, lg, T, ST, W, kind)                                          \
	static int name(struct cpu *cpu, const struct insn *in)                       \
	{                                                                             \
		unsigned c = (unsigned)in->imm & (W == 64 ? 63 : 31);                 \
		T a = (T)cpu->gpr[RD(in)], r;                                         \
		uint32_t f;                                                           \
		if (c == 0) {                                                         \
			cpu->gpr[RD(in)] = (uint64_t)a;                               \
			return X_OK;                                                  \
		}                                                                     \
		if (kind == 0) {                                                      \
			int cf = (int)((a >> (W - c)) & 1);                           \
			r = (T)(a << c);                                              \
			f = (cf ? RFLAGS_CF : 0) |                                    \
			    (((r >> (W - 1)) & 1) ^ (T)cf ? RFLAGS_OF : 0);           \
		} else if (kind == 1) {                                               \
			r = (T)(a >> c);                                              \
			f = (((a >> (c - 1)) & 1) ? RFLAGS_CF : 0) |                  \
			    ((a >> (W - 1)) ? RFLAGS_OF : 0);                         \
		} else {                                                              \
			r = (T)((ST)a >> c);                                          \
			f = ((((ST)a >> (c - 1)) & 1) ? RFLAGS_CF : 0);               \
		}                                                                     \
		flags_set_res(cpu, lg, r, f);                                         \
		cpu->gpr[RD(in)] = (uint64_t)r;                                       \
		return X_OK;                                                          \
	}
SHIFT_FAST(fast_shl64, 3, uint64_t, int64_t, 64, 0)
SHIFT_FAST(fast_shr64, 3, uint64_t, int64_t, 64, 1)
SHIFT_FAST(fast_sar64, 3, uint64_t, int64_t, 64, 2)
SHIFT_FAST(fast_shl32, 2, uint32_t, int32_t, 32, 0)
SHIFT_FAST(fast_shr32, 2, uint32_t, int32_t, 32, 1)
SHIFT_FAST(fast_sar32, 2, uint32_t, int32_t, 32, 2)

/* --- ROL ROR r, imm ---------------------------------------------------------
 * Only CF and OF change (SDM Vol. 2 "RCL/RCR/ROL/ROR"), so the other flags
 * are settled first; OF uses the count-1 rule for every count, as
 * ops_shift.c does. */
#define ROT_FAST(name, T, W, left)                                                    \
	static int name(struct cpu *cpu, const struct insn *in)                       \
	{                                                                             \
		unsigned c = (unsigned)in->imm & (W - 1);                             \
		T a = (T)cpu->gpr[RD(in)], r;                                         \
		int cf, of;                                                           \
		if (c == 0) {                                                         \
			cpu->gpr[RD(in)] = (uint64_t)a;                               \
			return X_OK;                                                  \
		}                                                                     \
		if (left) {                                                           \
			r = (T)((a << c) | (a >> (W - c)));                           \
			cf = (int)(r & 1);                                            \
			of = (int)(r >> (W - 1)) ^ cf;                                \
		} else {                                                              \
			r = (T)((a >> c) | (a << (W - c)));                           \
			cf = (int)(r >> (W - 1));                                     \
			of = cf ^ (int)((r >> (W - 2)) & 1);                          \
		}                                                                     \
		flags_set_cf_of(cpu, (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0));    \
		cpu->gpr[RD(in)] = (uint64_t)r;                                       \
		return X_OK;                                                          \
	}
ROT_FAST(fast_rol64, uint64_t, 64, 1)
ROT_FAST(fast_ror64, uint64_t, 64, 0)
ROT_FAST(fast_rol32, uint32_t, 32, 1)
ROT_FAST(fast_ror32, uint32_t, 32, 0)

/* --- IMUL r, r and IMUL r, r, imm -------------------------------------------
 * SDM Vol. 2 "IMUL": CF = OF = 1 when the signed product does not fit the
 * destination; SF/ZF/PF from the truncated product and AF = 0 (the choice
 * ops_muldiv.c documents for the undefined flags). */
static int fast_imul64(struct cpu *cpu, const struct insn *in)
{
	int64_t a = (int64_t)cpu->gpr[RS(in)];
	int64_t b = in->nops == 3 ? (int64_t)in->imm : (int64_t)cpu->gpr[RD(in)];
	__int128 p = (__int128)a * b;
	uint64_t lo = (uint64_t)p;

	flags_set_res(cpu, 3, lo, p != (__int128)(int64_t)lo ? RFLAGS_CF | RFLAGS_OF : 0);
	cpu->gpr[RD(in)] = lo;
	return X_OK;
}

static int fast_imul32(struct cpu *cpu, const struct insn *in)
{
	int64_t a = (int32_t)cpu->gpr[RS(in)];
	int64_t b = in->nops == 3 ? (int32_t)in->imm : (int32_t)cpu->gpr[RD(in)];
	int64_t p = a * b;
	uint32_t lo = (uint32_t)p;

	flags_set_res(cpu, 2, lo, p != (int64_t)(int32_t)lo ? RFLAGS_CF | RFLAGS_OF : 0);
	cpu->gpr[RD(in)] = lo;
	return X_OK;
}

/* --- ADC and SBB r, r/imm ---------------------------------------------------
 * SDM Vol. 2 "ADC"/"SBB": DEST + SRC + CF and DEST - (SRC + CF), all six
 * flags set by the result. */
#define ADC_FAST(name, lg, T, src, sub)                                              \
	static int name(struct cpu *cpu, const struct insn *in)                      \
	{                                                                            \
		T a = (T)cpu->gpr[RD(in)], b = (T)(src), c = (T)flags_cf(cpu);       \
		T r = sub ? (T)(a - b - c) : (T)(a + b + c);                         \
		int cf = sub ? (c ? a <= b : a < b) : (c ? r <= a : r < a);          \
		T ov = sub ? (T)((a ^ b) & (a ^ r)) : (T)((a ^ r) & (b ^ r));        \
		flags_set_res(cpu, lg, r,                                            \
		              (cf ? RFLAGS_CF : 0) |                                 \
		              ((ov >> (sizeof(T) * 8 - 1)) ? RFLAGS_OF : 0) |        \
		              (((a ^ b ^ r) & 0x10) ? RFLAGS_AF : 0));               \
		cpu->gpr[RD(in)] = (uint64_t)r;                                      \
		return X_OK;                                                         \
	}
ADC_FAST(fast_adc_rr64, 3, uint64_t, cpu->gpr[RS(in)], 0)
ADC_FAST(fast_adc_ri64, 3, uint64_t, in->imm, 0)
ADC_FAST(fast_sbb_rr64, 3, uint64_t, cpu->gpr[RS(in)], 1)
ADC_FAST(fast_sbb_ri64, 3, uint64_t, in->imm, 1)
ADC_FAST(fast_adc_rr32, 2, uint32_t, cpu->gpr[RS(in)], 0)
ADC_FAST(fast_adc_ri32, 2, uint32_t, in->imm, 0)
ADC_FAST(fast_sbb_rr32, 2, uint32_t, cpu->gpr[RS(in)], 1)
ADC_FAST(fast_sbb_ri32, 2, uint32_t, in->imm, 1)

/* --- Memory operands in 64-bit code ----------------------------------------
 * Selected only when the code size and the address size are 64 and the
 * segment is not FS or GS, so the linear address is the effective address
 * with no truncation. */
/* Flat 64-bit accesses (segment other than FS/GS, so the linear address
 * is the effective address).  The TLB is probed first: an entry is only
 * ever filled for a translated, hence canonical, page, and the offset test
 * keeps the access inside it, so a hit needs no canonical check.  A miss
 * takes the full path (access.h), which does the checks, the walk and the
 * faults. */
static inline WARN_UNUSED int flat_read(struct cpu *cpu, const struct insn *in, unsigned size,
                                        uint64_t *v)
{
	uint64_t gla = insn_ea(cpu, in);
	const struct tlb_entry *e = &cpu->tlb[cpu->mmu_idx][TLB_READ][tlb_index(gla)];

	if (likely(e->tag == tlb_tag(cpu, gla + size - 1))) {
		*v = access_load((const uint8_t *)(uintptr_t)(gla + e->addend), size);
		return X_OK;
	}
	return access_read(cpu, in->mem.seg, gla, size, v);
}

static inline WARN_UNUSED int flat_write(struct cpu *cpu, const struct insn *in, unsigned size,
                                         uint64_t v)
{
	uint64_t gla = insn_ea(cpu, in);
	const struct tlb_entry *e = &cpu->tlb[cpu->mmu_idx][TLB_WRITE][tlb_index(gla)];

	if (likely(e->tag == tlb_tag(cpu, gla + size - 1))) {
		access_store((uint8_t *)(uintptr_t)(gla + e->addend), size, v);
		return X_OK;
	}
	return access_write(cpu, in->mem.seg, gla, size, v);
}

/* The threaded twins of the memory forms (thread.h) come in three
 * address shapes fixed at decode -- base + disp, base + index*scale +
 * disp, and any other (RIP-relative: the record's own address is t_base +
 * off, so RIP is not stored) -- and hold only the TLB-hit path.  Anything
 * else (a miss, a page-crossing access, a fault) goes to thr_generic,
 * which sets RIP and runs the record's handler: the hit path has committed
 * nothing by then, so the handler does the whole instruction. */
static inline uint64_t ea_b(const struct cpu *cpu, const struct insn *in)
{
	return cpu->gpr[in->mem.base] + (uint64_t)in->mem.disp;
}

static inline uint64_t ea_bi(const struct cpu *cpu, const struct insn *in)
{
	return cpu->gpr[in->mem.base] + (cpu->gpr[in->mem.index] << in->mem.scale) +
	       (uint64_t)in->mem.disp;
}

static inline uint64_t ea_g(const struct cpu *cpu, const struct insn *in)
{
	const struct memref *m = &in->mem;
	uint64_t ea = (uint64_t)m->disp;

	if (m->base == MEMREG_RIP)
		ea += cpu->t_base + in->off + in->len;
	else if (m->base != MEMREG_NONE)
		ea += cpu->gpr[m->base];
	if (m->index != MEMREG_NONE)
		ea += cpu->gpr[m->index] << m->scale;
	return ea;
}

/* On a TLB hit of the given kind for [gla, gla + size), the host pointer
 * in *p and true; the same test as flat_read/flat_write (the tag of the
 * last byte: a hit that stays inside the page, access.h). */
static inline bool tlb_hit(struct cpu *cpu, unsigned kind, uint64_t gla, unsigned size,
                           uint8_t **p)
{
	const struct tlb_entry *e = &cpu->tlb[cpu->mmu_idx][kind][tlb_index(gla)];

	if (likely(e->tag == tlb_tag(cpu, gla + size - 1))) {
		*p = (uint8_t *)(uintptr_t)(gla + e->addend);
		return true;
	}
	return false;
}

#define TM_READ(name, shape, lg)                                               \
	static int tm_##name##_##shape(struct cpu *cpu, const struct insn *in) \
	{                                                                      \
		uint8_t *p;                                                    \
		if (unlikely(!tlb_hit(cpu, TLB_READ, ea_##shape(cpu, in), 1u << lg, &p))) \
			return thr_generic(cpu, in);                           \
		name##_op(cpu, in, access_load(p, 1u << lg));                  \
		return in[1].tfn(cpu, in + 1);                                 \
	}
#define TM_WRITE(name, shape, lg)                                              \
	static int tm_##name##_##shape(struct cpu *cpu, const struct insn *in) \
	{                                                                      \
		uint8_t *p;                                                    \
		if (unlikely(!tlb_hit(cpu, TLB_WRITE, ea_##shape(cpu, in), 1u << lg, &p))) \
			return thr_generic(cpu, in);                           \
		access_store(p, 1u << lg, name##_val(cpu, in));                \
		return in[1].tfn(cpu, in + 1);                                 \
	}
#define TM_SHAPES(kind, name, lg) \
	TM_##kind(name, b, lg) TM_##kind(name, bi, lg) TM_##kind(name, g, lg)

#define LOAD_FAST(name, lg, T)                                                           \
	static inline void name##_op(struct cpu *cpu, const struct insn *in, uint64_t v) \
	{                                                                                \
		cpu->gpr[RD(in)] = (uint64_t)(T)v;                                       \
	}                                                                                \
	static int name(struct cpu *cpu, const struct insn *in)                          \
	{                                                                                \
		uint64_t v;                                                              \
		TRY(flat_read(cpu, in, 1u << lg, &v));                                   \
		name##_op(cpu, in, v);                                                   \
		return X_OK;                                                             \
	}                                                                                \
	TM_SHAPES(READ, name, lg)
LOAD_FAST(fast_load64, 3, uint64_t)
LOAD_FAST(fast_load32, 2, uint32_t)
/* MOVZX r32/r64, m8/m16: the destination is zero-extended either way. */
LOAD_FAST(fast_movzx_m8, 0, uint8_t)
LOAD_FAST(fast_movzx_m16, 1, uint16_t)

/* MOV m, r and MOV m, imm, one variant per size so the store is a single
 * move (a store has no merge rule). */
#define STORE_FAST(lg)                                                                \
	static inline uint64_t fast_store_r##lg##_val(struct cpu *cpu, const struct insn *in) \
	{                                                                             \
		return cpu->gpr[RS(in)];                                              \
	}                                                                             \
	static inline uint64_t fast_store_i##lg##_val(struct cpu *cpu, const struct insn *in) \
	{                                                                             \
		(void)cpu;                                                            \
		return in->imm;                                                       \
	}                                                                             \
	static int fast_store_r##lg(struct cpu *cpu, const struct insn *in)           \
	{                                                                             \
		return flat_write(cpu, in, 1u << lg, fast_store_r##lg##_val(cpu, in));\
	}                                                                             \
	static int fast_store_i##lg(struct cpu *cpu, const struct insn *in)           \
	{                                                                             \
		return flat_write(cpu, in, 1u << lg, fast_store_i##lg##_val(cpu, in));\
	}                                                                             \
	TM_SHAPES(WRITE, fast_store_r##lg, lg)                                        \
	TM_SHAPES(WRITE, fast_store_i##lg, lg)
STORE_FAST(0)
STORE_FAST(1)
STORE_FAST(2)
STORE_FAST(3)
static op_fn *const store_r[4] = { fast_store_r0, fast_store_r1, fast_store_r2, fast_store_r3 };
static op_fn *const store_i[4] = { fast_store_i0, fast_store_i1, fast_store_i2, fast_store_i3 };

/* ALU r, m: the memory operand is only read. */
#define ALU_RM_FAST(name, lg, T, expr, setflags, writes)                                 \
	static inline void name##_op(struct cpu *cpu, const struct insn *in, uint64_t v) \
	{                                                                                \
		T a = (T)cpu->gpr[RD(in)], b = (T)v, r = (T)(expr);                      \
		setflags;                                                                \
		if (writes)                                                              \
			cpu->gpr[RD(in)] = (uint64_t)r;                                  \
	}                                                                                \
	static int name(struct cpu *cpu, const struct insn *in)                          \
	{                                                                                \
		uint64_t v;                                                              \
		TRY(flat_read(cpu, in, 1u << lg, &v));                                   \
		name##_op(cpu, in, v);                                                   \
		return X_OK;                                                             \
	}                                                                                \
	TM_SHAPES(READ, name, lg)
#define ALU_RM_FAMILY(sfx, lg, T)                                                         \
	ALU_RM_FAST(fast_add_rm##sfx, lg, T, a + b, flags_set_add(cpu, lg, a, b, r), 1)   \
	ALU_RM_FAST(fast_sub_rm##sfx, lg, T, a - b, flags_set_sub(cpu, lg, a, b, r), 1)   \
	ALU_RM_FAST(fast_cmp_rm##sfx, lg, T, a - b, flags_set_sub(cpu, lg, a, b, r), 0)   \
	ALU_RM_FAST(fast_and_rm##sfx, lg, T, a & b, flags_set_logic(cpu, lg, r), 1)       \
	ALU_RM_FAST(fast_or_rm##sfx, lg, T, a | b, flags_set_logic(cpu, lg, r), 1)        \
	ALU_RM_FAST(fast_xor_rm##sfx, lg, T, a ^ b, flags_set_logic(cpu, lg, r), 1)
ALU_RM_FAMILY(64, 3, uint64_t)
ALU_RM_FAMILY(32, 2, uint32_t)

/* CMP m, imm and CMP m, r (the memory operand first), every size. */
#define CMP_M_FAST(lg, T)                                                                  \
	static inline void fast_cmp_mi##lg##_op(struct cpu *cpu, const struct insn *in,    \
	                                        uint64_t v)                                \
	{                                                                                  \
		T a = (T)v, b = (T)in->imm;                                                \
		flags_set_sub(cpu, lg, a, b, (T)(a - b));                                  \
	}                                                                                  \
	static inline void fast_cmp_mr##lg##_op(struct cpu *cpu, const struct insn *in,    \
	                                        uint64_t v)                                \
	{                                                                                  \
		T a = (T)v, b = (T)cpu->gpr[RS(in)];                                       \
		flags_set_sub(cpu, lg, a, b, (T)(a - b));                                  \
	}                                                                                  \
	static int fast_cmp_mi##lg(struct cpu *cpu, const struct insn *in)                 \
	{                                                                                  \
		uint64_t v;                                                                \
		TRY(flat_read(cpu, in, 1u << lg, &v));                                     \
		fast_cmp_mi##lg##_op(cpu, in, v);                                          \
		return X_OK;                                                               \
	}                                                                                  \
	static int fast_cmp_mr##lg(struct cpu *cpu, const struct insn *in)                 \
	{                                                                                  \
		uint64_t v;                                                                \
		TRY(flat_read(cpu, in, 1u << lg, &v));                                     \
		fast_cmp_mr##lg##_op(cpu, in, v);                                          \
		return X_OK;                                                               \
	}                                                                                  \
	TM_SHAPES(READ, fast_cmp_mi##lg, lg)                                               \
	TM_SHAPES(READ, fast_cmp_mr##lg, lg)
CMP_M_FAST(0, uint8_t)
CMP_M_FAST(1, uint16_t)
CMP_M_FAST(2, uint32_t)
CMP_M_FAST(3, uint64_t)
/* ADD SUB AND OR XOR m, r and m, imm (read-modify-write, no LOCK).  The
 * handler reads, computes, writes, and only then records the flags, so a
 * fault on either access commits nothing.  The threaded twins need a hit
 * in both the read and the write TLB entry, as the handler's two accesses
 * would: a missing read entry means a walk the handler would charge
 * cycles for.  Code pages never have a write entry (icache.c), so
 * self-modifying stores take the slow path. */
#define RMW_FAST(name, lg, T, SRC, expr, setflags)                                      \
	static inline uint64_t name##_calc(struct cpu *cpu, const struct insn *in,       \
	                                   uint64_t v, bool flags)                       \
	{                                                                                \
		T a = (T)v, b = (T)(SRC), r = (T)(expr);                                 \
		if (flags)                                                               \
			setflags;                                                        \
		return r;                                                                \
	}                                                                                \
	static int name(struct cpu *cpu, const struct insn *in)                          \
	{                                                                                \
		uint64_t v;                                                              \
		/* read with write intent: #PF W=1 (operand.h mem_read_rmw) */         \
		TRY(mem_read_rmw(cpu, in->mem.seg, insn_ea(cpu, in), 1u << lg, &v));    \
		TRY(flat_write(cpu, in, 1u << lg, name##_calc(cpu, in, v, false)));      \
		(void)name##_calc(cpu, in, v, true);                                     \
		return X_OK;                                                             \
	}                                                                                \
	TM_SHAPES(RMW, name, lg)
#define TM_RMW(name, shape, lg)                                                \
	static int tm_##name##_##shape(struct cpu *cpu, const struct insn *in) \
	{                                                                      \
		uint64_t gla = ea_##shape(cpu, in);                            \
		uint8_t *p, *q;                                                \
		if (unlikely(!tlb_hit(cpu, TLB_READ, gla, 1u << lg, &q) ||     \
		             !tlb_hit(cpu, TLB_WRITE, gla, 1u << lg, &p)))     \
			return thr_generic(cpu, in);                           \
		access_store(p, 1u << lg, name##_calc(cpu, in, access_load(q, 1u << lg), true)); \
		return in[1].tfn(cpu, in + 1);                                 \
	}
#define RMW_FAMILY(lg, T)                                                                          \
	RMW_FAST(fast_add_mr##lg, lg, T, cpu->gpr[RS(in)], a + b, flags_set_add(cpu, lg, a, b, r))  \
	RMW_FAST(fast_add_mi##lg, lg, T, in->imm, a + b, flags_set_add(cpu, lg, a, b, r))           \
	RMW_FAST(fast_sub_mr##lg, lg, T, cpu->gpr[RS(in)], a - b, flags_set_sub(cpu, lg, a, b, r))  \
	RMW_FAST(fast_sub_mi##lg, lg, T, in->imm, a - b, flags_set_sub(cpu, lg, a, b, r))           \
	RMW_FAST(fast_and_mr##lg, lg, T, cpu->gpr[RS(in)], a & b, flags_set_logic(cpu, lg, r))      \
	RMW_FAST(fast_and_mi##lg, lg, T, in->imm, a & b, flags_set_logic(cpu, lg, r))               \
	RMW_FAST(fast_or_mr##lg, lg, T, cpu->gpr[RS(in)], a | b, flags_set_logic(cpu, lg, r))       \
	RMW_FAST(fast_or_mi##lg, lg, T, in->imm, a | b, flags_set_logic(cpu, lg, r))                \
	RMW_FAST(fast_xor_mr##lg, lg, T, cpu->gpr[RS(in)], a ^ b, flags_set_logic(cpu, lg, r))      \
	RMW_FAST(fast_xor_mi##lg, lg, T, in->imm, a ^ b, flags_set_logic(cpu, lg, r))
RMW_FAMILY(0, uint8_t)
RMW_FAMILY(2, uint32_t)
RMW_FAMILY(3, uint64_t)

static const struct {
	uint16_t id;
	op_fn *mr[4], *mi[4];  /* by log2 of the size; NULL: no variant */
} rmw_rows[] = {
#define RMW_ROW(ID, n) { X86_INS_##ID, { fast_##n##_mr0, NULL, fast_##n##_mr2, fast_##n##_mr3 }, \
	                              { fast_##n##_mi0, NULL, fast_##n##_mi2, fast_##n##_mi3 } }
	RMW_ROW(ADD, add), RMW_ROW(SUB, sub), RMW_ROW(AND, and), RMW_ROW(OR, or), RMW_ROW(XOR, xor),
#undef RMW_ROW
};

static op_fn *const cmp_mi[4] = { fast_cmp_mi0, fast_cmp_mi1, fast_cmp_mi2, fast_cmp_mi3 };
static op_fn *const cmp_mr[4] = { fast_cmp_mr0, fast_cmp_mr1, fast_cmp_mr2, fast_cmp_mr3 };

static const struct {
	uint16_t id;
	op_fn *rm[2];  /* [0] 32-bit, [1] 64-bit */
} alu_rm_rows[] = {
	{ X86_INS_ADD, { fast_add_rm32, fast_add_rm64 } },
	{ X86_INS_SUB, { fast_sub_rm32, fast_sub_rm64 } },
	{ X86_INS_CMP, { fast_cmp_rm32, fast_cmp_rm64 } },
	{ X86_INS_AND, { fast_and_rm32, fast_and_rm64 } },
	{ X86_INS_OR, { fast_or_rm32, fast_or_rm64 } },
	{ X86_INS_XOR, { fast_xor_rm32, fast_xor_rm64 } },
	{ X86_INS_MOV, { fast_load32, fast_load64 } },
};

/* --- Near JMP and MOVSXD in 64-bit code -------------------------------------
 * JMP: in 64-bit mode the operand size of a near branch is 64 (Intel
 * ignores 66h, as ops_branch.c does); the target must be canonical, else
 * #GP(0) with RIP unchanged (SDM Vol. 2 "JMP"). */
static inline int jump64(struct cpu *cpu, uint64_t target)
{
	if (unlikely(!cpu_is_canonical(target)))
		return cpu_gp0(cpu);
	cpu->rip = target;
	return X_JUMP;
}

static int fast_jmp_rel64(struct cpu *cpu, const struct insn *in)
{
	return jump64(cpu, cpu->rip + in->len + in->imm);
}

static int fast_jmp_r64(struct cpu *cpu, const struct insn *in)
{
	return jump64(cpu, cpu->gpr[RD(in)]);
}

static int fast_jmp_m64(struct cpu *cpu, const struct insn *in)
{
	uint64_t t;

	TRY(flat_read(cpu, in, 8, &t));
	return jump64(cpu, t);
}

/* MOVSXD r64, r/m32 (REX.W; SDM Vol. 2 "MOVSX/MOVSXD"). */
static int fast_movsxd_r(struct cpu *cpu, const struct insn *in)
{
	cpu->gpr[RD(in)] = (uint64_t)(int64_t)(int32_t)cpu->gpr[RS(in)];
	return X_OK;
}

static inline void fast_movsxd_m_op(struct cpu *cpu, const struct insn *in, uint64_t v)
{
	cpu->gpr[RD(in)] = (uint64_t)(int64_t)(int32_t)v;
}

static int fast_movsxd_m(struct cpu *cpu, const struct insn *in)
{
	uint64_t v;

	TRY(flat_read(cpu, in, 4, &v));
	fast_movsxd_m_op(cpu, in, v);
	return X_OK;
}
TM_SHAPES(READ, fast_movsxd_m, 2)

/* LEA r32 with 64-bit addressing: the address truncated to 32 bits. */
static int fast_lea32(struct cpu *cpu, const struct insn *in)
{
	cpu->gpr[RD(in)] = (uint32_t)insn_ea(cpu, in);
	return X_OK;
}

/* LEA's threaded twins: the address by shape, no memory access. */
#define TM_LEA(shape)                                                             \
	static int tm_fast_lea64_##shape(struct cpu *cpu, const struct insn *in)  \
	{                                                                         \
		cpu->gpr[RD(in)] = ea_##shape(cpu, in);                           \
		return in[1].tfn(cpu, in + 1);                                    \
	}                                                                         \
	static int tm_fast_lea32_##shape(struct cpu *cpu, const struct insn *in)  \
	{                                                                         \
		cpu->gpr[RD(in)] = (uint32_t)ea_##shape(cpu, in);                 \
		return in[1].tfn(cpu, in + 1);                                    \
	}
TM_LEA(b)
TM_LEA(bi)
TM_LEA(g)

/* Memory forms, 64-bit code with 64-bit addressing only. */
static void fast_specialize_mem(struct insn *in)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];
	unsigned lg = d->lg;

	if (in->nops != 2)
		return;
	if (in->id == X86_INS_LEA) {
		if ((lg == 2 || lg == 3) && d->kind == OPK_REG && s->kind == OPK_MEM)
			in->fn = lg == 3 ? fast_lea64 : fast_lea32;
		return;
	}
	/* Capstone 4.0.2 reports MOVSXD's operand sizes wrongly (see
	 * ops_data.c); the prefixes say whether it is the REX.W form. */
	if (in->id == X86_INS_MOVSXD) {
		if (in->dsize == 3 && d->kind == OPK_REG && s->kind == OPK_MEM)
			in->fn = fast_movsxd_m;
		return;
	}
	if (d->kind == OPK_REG && s->kind == OPK_MEM && (lg == 2 || lg == 3)) {
		if (in->id == X86_INS_MOVZX && (lg == 2 || lg == 3) && s->lg <= 1) {
			in->fn = s->lg == 0 ? fast_movzx_m8 : fast_movzx_m16;
			return;
		}
		if (s->lg != lg)
			return;
		for (unsigned i = 0; i < sizeof(alu_rm_rows) / sizeof(alu_rm_rows[0]); i++)
			if (alu_rm_rows[i].id == in->id) {
				in->fn = alu_rm_rows[i].rm[lg - 2];
				return;
			}
		return;
	}
	if (in->id == X86_INS_CMP && d->kind == OPK_MEM && d->lg <= 3) {
		if (s->kind == OPK_REG && s->lg == d->lg)
			in->fn = cmp_mr[d->lg];
		else if (s->kind == OPK_IMM)
			in->fn = cmp_mi[d->lg];
		return;
	}
	if (d->kind == OPK_MEM && d->lg <= 3 &&
	    ((s->kind == OPK_REG && s->lg == d->lg) || s->kind == OPK_IMM)) {
		for (unsigned i = 0; i < sizeof(rmw_rows) / sizeof(rmw_rows[0]); i++)
			if (rmw_rows[i].id == in->id) {
				op_fn *f = s->kind == OPK_IMM ? rmw_rows[i].mi[d->lg] :
				                                rmw_rows[i].mr[d->lg];
				if (f)
					in->fn = f;
				return;
			}
	}
	if (in->id == X86_INS_MOV && d->kind == OPK_MEM && d->lg <= 3) {
		if (s->kind == OPK_REG && s->lg == d->lg)
			in->fn = store_r[d->lg];
		else if (s->kind == OPK_IMM)
			in->fn = store_i[d->lg];
	}
}

struct fast_row {
	uint16_t id;
	op_fn *rr[2], *ri[2];  /* [0] 32-bit, [1] 64-bit */
};

#define ROW(ID, n) { X86_INS_##ID, { fast_##n##_rr32, fast_##n##_rr64 }, \
	                          { fast_##n##_ri32, fast_##n##_ri64 } }
static const struct fast_row alu_rows[] = {
	ROW(ADD, add), ROW(SUB, sub), ROW(CMP, cmp), ROW(AND, and), ROW(OR, or),
	ROW(XOR, xor), ROW(TEST, test), ROW(MOV, mov),
	{ X86_INS_MOVABS, { fast_mov_rr32, fast_mov_rr64 }, { fast_mov_ri32, fast_mov_ri64 } },
	ROW(ADC, adc), ROW(SBB, sbb),
	{ X86_INS_SHL, { NULL, NULL }, { fast_shl32, fast_shl64 } },
	{ X86_INS_SAL, { NULL, NULL }, { fast_shl32, fast_shl64 } },
	{ X86_INS_SHR, { NULL, NULL }, { fast_shr32, fast_shr64 } },
	{ X86_INS_SAR, { NULL, NULL }, { fast_sar32, fast_sar64 } },
	{ X86_INS_ROL, { NULL, NULL }, { fast_rol32, fast_rol64 } },
	{ X86_INS_ROR, { NULL, NULL }, { fast_ror32, fast_ror64 } },
};

static bool is_gpr(const struct operand *o, unsigned lg)
{
	return o->kind == OPK_REG && o->lg == lg;
}

void fast_specialize(struct insn *in, unsigned code_size)
{
	const struct operand *d = &in->op[0], *s = &in->op[1];
	unsigned lg = d->lg;

	if (in->lock || in->rep)
		return;
	if (in->id == X86_INS_NOP && in->fn == op_nop) {
		in->fn = fast_nop;
		return;
	}
	if (code_size == 8 && in->id == X86_INS_JMP && in->nops == 1 && !in->opc0f) {
		if (d->kind == OPK_IMM)
			in->fn = fast_jmp_rel64;
		else if (d->kind == OPK_REG && d->lg == 3)
			in->fn = fast_jmp_r64;
		else if (d->kind == OPK_MEM && in->asize == 3 && in->mem.seg != SEG_FS &&
		         in->mem.seg != SEG_GS)
			in->fn = fast_jmp_m64;
		return;
	}
	if (code_size == 8 && in->id == X86_INS_MOVSXD && in->dsize == 3 && !in->has_mem &&
	    d->kind == OPK_REG && s->kind == OPK_REG) {
		in->fn = fast_movsxd_r;
		return;
	}
	if (in->has_mem) {
		if (code_size == 8 && in->asize == 3 && in->mem.seg != SEG_FS &&
		    in->mem.seg != SEG_GS)
			fast_specialize_mem(in);
		return;
	}
	if (in->id == X86_INS_IMUL && (lg == 2 || lg == 3) && is_gpr(d, lg) &&
	    is_gpr(s, lg) && (in->nops == 2 || (in->nops == 3 && in->op[2].kind == OPK_IMM))) {
		in->fn = lg == 3 ? fast_imul64 : fast_imul32;
		return;
	}
	if (in->nops == 2 && (lg == 2 || lg == 3) && is_gpr(d, lg)) {
		for (unsigned i = 0; i < sizeof(alu_rows) / sizeof(alu_rows[0]); i++) {
			if (alu_rows[i].id != in->id)
				continue;
			if (is_gpr(s, lg) && alu_rows[i].rr[lg - 2])
				in->fn = alu_rows[i].rr[lg - 2];
			else if (s->kind == OPK_IMM && alu_rows[i].ri[lg - 2])
				in->fn = alu_rows[i].ri[lg - 2];
			return;
		}
		if (in->id == X86_INS_MOVZX && s->kind == OPK_REG && s->lg == 0)
			in->fn = fast_movzx_r8;
		return;
	}
	if (in->nops == 1 && (lg == 2 || lg == 3) && is_gpr(d, lg)) {
		if (in->id == X86_INS_INC)
			in->fn = lg == 3 ? fast_inc64 : fast_inc32;
		else if (in->id == X86_INS_DEC)
			in->fn = lg == 3 ? fast_dec64 : fast_dec32;
		else if (in->id == X86_INS_NEG)
			in->fn = lg == 3 ? fast_neg3 : fast_neg2;
		else if (in->id == X86_INS_NOT)
			in->fn = lg == 3 ? fast_not3 : fast_not2;
		return;
	}
	/* Jcc rel8/rel32: opcodes 70-7F and 0F 80-8F. */
	if ((in->opc0f ? (in->opc & 0xf0) == 0x80 : (in->opc & 0xf0) == 0x70) &&
	    in->nops == 1 && d->kind == OPK_IMM) {
		if (code_size == 8)
			in->fn = fast_jcc64[in->cc & 15];
		else if (code_size == 4 && in->dsize == 2)
			in->fn = fast_jcc32;
	}
}

/* --- Threaded twins (thread.h) ------------------------------------------- */
#define FAST_LIST(X) \
	X(fast_adc_ri32, 0) \
	X(fast_adc_ri64, 0) \
	X(fast_adc_rr32, 0) \
	X(fast_adc_rr64, 0) \
	X(fast_add_ri32, 0) \
	X(fast_add_ri64, 0) \
	X(fast_add_rr32, 0) \
	X(fast_add_rr64, 0) \
	X(fast_and_ri32, 0) \
	X(fast_and_ri64, 0) \
	X(fast_and_rr32, 0) \
	X(fast_and_rr64, 0) \
	X(fast_cmp_ri32, 0) \
	X(fast_cmp_ri64, 0) \
	X(fast_cmp_rr32, 0) \
	X(fast_cmp_rr64, 0) \
	X(fast_dec32, 0) \
	X(fast_dec64, 0) \
	X(fast_imul32, 0) \
	X(fast_imul64, 0) \
	X(fast_inc32, 0) \
	X(fast_inc64, 0) \
	X(fast_jcc32, 1) \
	X(fast_jcc64_0, 1) \
	X(fast_jcc64_1, 1) \
	X(fast_jcc64_10, 1) \
	X(fast_jcc64_11, 1) \
	X(fast_jcc64_12, 1) \
	X(fast_jcc64_13, 1) \
	X(fast_jcc64_14, 1) \
	X(fast_jcc64_15, 1) \
	X(fast_jcc64_2, 1) \
	X(fast_jcc64_3, 1) \
	X(fast_jcc64_4, 1) \
	X(fast_jcc64_5, 1) \
	X(fast_jcc64_6, 1) \
	X(fast_jcc64_7, 1) \
	X(fast_jcc64_8, 1) \
	X(fast_jcc64_9, 1) \
	X(fast_jmp_m64, 1) \
	X(fast_jmp_r64, 1) \
	X(fast_jmp_rel64, 1) \
	X(fast_mov_ri32, 0) \
	X(fast_mov_ri64, 0) \
	X(fast_mov_rr32, 0) \
	X(fast_mov_rr64, 0) \
	X(fast_movsxd_r, 0) \
	X(fast_movzx_r8, 0) \
	X(fast_neg2, 0) \
	X(fast_neg3, 0) \
	X(fast_not2, 0) \
	X(fast_nop, 0) \
	X(fast_not3, 0) \
	X(fast_or_ri32, 0) \
	X(fast_or_ri64, 0) \
	X(fast_or_rr32, 0) \
	X(fast_or_rr64, 0) \
	X(fast_rol32, 0) \
	X(fast_rol64, 0) \
	X(fast_ror32, 0) \
	X(fast_ror64, 0) \
	X(fast_sar32, 0) \
	X(fast_sar64, 0) \
	X(fast_sbb_ri32, 0) \
	X(fast_sbb_ri64, 0) \
	X(fast_sbb_rr32, 0) \
	X(fast_sbb_rr64, 0) \
	X(fast_shl32, 0) \
	X(fast_shl64, 0) \
	X(fast_shr32, 0) \
	X(fast_shr64, 0) \
	X(fast_sub_ri32, 0) \
	X(fast_sub_ri64, 0) \
	X(fast_sub_rr32, 0) \
	X(fast_sub_rr64, 0) \
	X(fast_test_ri32, 0) \
	X(fast_test_ri64, 0) \
	X(fast_test_rr32, 0) \
	X(fast_test_rr64, 0) \
	X(fast_xor_ri32, 0) \
	X(fast_xor_ri64, 0) \
	X(fast_xor_rr32, 0) \
	X(fast_xor_rr64, 0)

/* The memory forms: threaded twins by address shape (TM_SHAPES above). */
#define MEM_LIST(X) \
	X(fast_add_mr0) \
	X(fast_add_mr2) \
	X(fast_add_mr3) \
	X(fast_add_mi0) \
	X(fast_add_mi2) \
	X(fast_add_mi3) \
	X(fast_sub_mr0) \
	X(fast_sub_mr2) \
	X(fast_sub_mr3) \
	X(fast_sub_mi0) \
	X(fast_sub_mi2) \
	X(fast_sub_mi3) \
	X(fast_and_mr0) \
	X(fast_and_mr2) \
	X(fast_and_mr3) \
	X(fast_and_mi0) \
	X(fast_and_mi2) \
	X(fast_and_mi3) \
	X(fast_or_mr0) \
	X(fast_or_mr2) \
	X(fast_or_mr3) \
	X(fast_or_mi0) \
	X(fast_or_mi2) \
	X(fast_or_mi3) \
	X(fast_xor_mr0) \
	X(fast_xor_mr2) \
	X(fast_xor_mr3) \
	X(fast_xor_mi0) \
	X(fast_xor_mi2) \
	X(fast_xor_mi3) \
	X(fast_add_rm32) \
	X(fast_add_rm64) \
	X(fast_and_rm32) \
	X(fast_and_rm64) \
	X(fast_cmp_mi0) \
	X(fast_cmp_mi1) \
	X(fast_cmp_mi2) \
	X(fast_cmp_mi3) \
	X(fast_cmp_mr0) \
	X(fast_cmp_mr1) \
	X(fast_cmp_mr2) \
	X(fast_cmp_mr3) \
	X(fast_cmp_rm32) \
	X(fast_cmp_rm64) \
	X(fast_lea32) \
	X(fast_lea64) \
	X(fast_load32) \
	X(fast_load64) \
	X(fast_movsxd_m) \
	X(fast_movzx_m16) \
	X(fast_movzx_m8) \
	X(fast_or_rm32) \
	X(fast_or_rm64) \
	X(fast_store_i0) \
	X(fast_store_i1) \
	X(fast_store_i2) \
	X(fast_store_i3) \
	X(fast_store_r0) \
	X(fast_store_r1) \
	X(fast_store_r2) \
	X(fast_store_r3) \
	X(fast_sub_rm32) \
	X(fast_sub_rm64) \
	X(fast_xor_rm32) \
	X(fast_xor_rm64)

FAST_LIST(THREADED)

static const struct {
	op_fn *fn, *tfn;
} twins[] = {
#define TWIN(name, rip) { name, t_##name },
	FAST_LIST(TWIN)
#undef TWIN
};

static const struct {
	op_fn *fn, *tfn[3];  /* base + disp, base + index*scale + disp, other */
} mem_twins[] = {
#define TWIN(name) { name, { tm_##name##_b, tm_##name##_bi, tm_##name##_g } },
	MEM_LIST(TWIN)
#undef TWIN
};

/* --- Fused compare and branch ------------------------------------------------
 * A flag-setting register form followed by a 64-bit-mode Jcc (the block's
 * last record) runs as one threaded entry: the operation and its lazy flag
 * record exactly as the two records would leave them, then the condition,
 * folded at compile time for the operation just recorded.  Both records
 * still retire (the chain stops at the Jcc's record, which the run loop
 * counts); a non-canonical target faults at the Jcc with the operation
 * retired, as unfused.  The records' fn handlers are unchanged, so the
 * traced, debug and budget-cut paths run them one by one. */
/* The condition cc from the six flags' inputs; only what cc needs is
 * computed once cc is a constant. */
static inline __attribute__((always_inline)) int cond_from(unsigned cc, int cf, int zf, int sf,
                                                           int of, uint64_t r)
{
	int v;

	switch (cc >> 1) {
	case 0: v = of; break;
	case 1: v = cf; break;
	case 2: v = zf; break;
	case 3: v = cf | zf; break;
	case 4: v = sf; break;
	case 5: v = !__builtin_parity((unsigned)(r & 0xff)); break;
	case 6: v = sf != of; break;
	default: v = zf | (sf != of); break;
	}
	return v ^ (int)(cc & 1);
}

/* The condition after each kind of operation on W-bit a and b, as
 * flags_arith() defines the flags of the lazy record it leaves. */
#define MASK(W) ((W) == 64 ? ~0ull : (1ull << (W)) - 1)
#define SIGN(x, W) ((int)(((x) >> ((W) - 1)) & 1))
static inline __attribute__((always_inline)) int cond_sub(const struct cpu *cpu, unsigned cc,
                                                          uint64_t a, uint64_t b, unsigned W)
{
	uint64_t r = (a - b) & MASK(W);

	(void)cpu;
	return cond_from(cc, a < b, r == 0, SIGN(r, W), SIGN((a ^ b) & (a ^ r), W), r);
}

static inline __attribute__((always_inline)) int cond_add(const struct cpu *cpu, unsigned cc,
                                                          uint64_t a, uint64_t b, unsigned W)
{
	uint64_t r = (a + b) & MASK(W);

	(void)cpu;
	return cond_from(cc, r < a, r == 0, SIGN(r, W), SIGN((a ^ r) & (b ^ r), W), r);
}

static inline __attribute__((always_inline)) int cond_and(const struct cpu *cpu, unsigned cc,
                                                          uint64_t a, uint64_t b, unsigned W)
{
	uint64_t r = a & b;

	(void)cpu;
	return cond_from(cc, 0, r == 0, SIGN(r, W), 0, r);
}

static inline __attribute__((always_inline)) int cond_or(const struct cpu *cpu, unsigned cc,
                                                         uint64_t a, uint64_t b, unsigned W)
{
	uint64_t r = a | b;

	(void)cpu;
	return cond_from(cc, 0, r == 0, SIGN(r, W), 0, r);
}

/* INC/DEC keep CF: the handler has just settled it (flags_set_incdec). */
static inline __attribute__((always_inline)) int cond_inc(const struct cpu *cpu, unsigned cc,
                                                          uint64_t a, uint64_t b, unsigned W)
{
	uint64_t r = (a + 1) & MASK(W);

	(void)b;
	return cond_from(cc, flags_cf(cpu), r == 0, SIGN(r, W), r == (1ull << (W - 1)), r);
}

static inline __attribute__((always_inline)) int cond_dec(const struct cpu *cpu, unsigned cc,
                                                          uint64_t a, uint64_t b, unsigned W)
{
	uint64_t r = (a - 1) & MASK(W);

	(void)b;
	return cond_from(cc, flags_cf(cpu), r == 0, SIGN(r, W), r == (1ull << (W - 1)) - 1, r);
}

/* The taken Jcc `j` of a fused pair: a branch to the start of its own
 * block (where the chain runs from, so canonical) loops, a non-canonical
 * target faults at the Jcc with the first instruction retired, anything
 * else goes on through thr_jcc. */
static inline __attribute__((always_inline)) int fused_taken(struct cpu *cpu,
                                                             const struct insn *j)
{
	uint64_t target = cpu->t_base + j->off + j->len + j->imm;

	if (target == cpu->t_base)
		return thr_loop(cpu, j);
	if (unlikely(!cpu_is_canonical(target))) {
		(void)cpu_gp0(cpu);
		return thr_stop(cpu, j, X_FAULT);
	}
	return thr_jcc(cpu, j, target);
}

#define FUSE(op, cc, W, SRC, KIND)                                             \
	static int tf_##op##_##cc(struct cpu *cpu, const struct insn *in)      \
	{                                                                      \
		const struct insn *j = in + 1;                                 \
		const uint64_t a = cpu->gpr[RD(in)] & MASK(W);                 \
		const uint64_t b = (uint64_t)(SRC) & MASK(W);                  \
		(void)op(cpu, in);                                             \
		if (!cond_##KIND(cpu, cc, a, b, W))                            \
			return j[1].tfn(cpu, j + 1);                           \
		return fused_taken(cpu, j);                                    \
	}                                                                      \
	static int tfl_##op##_##cc(struct cpu *cpu, const struct insn *in)     \
	{                                                                      \
		const struct insn *j = in + 1;                                 \
		const uint64_t a = cpu->gpr[RD(in)] & MASK(W);                 \
		const uint64_t b = (uint64_t)(SRC) & MASK(W);                  \
		(void)op(cpu, in);                                             \
		if (!cond_##KIND(cpu, cc, a, b, W))                            \
			return j[1].tfn(cpu, j + 1);                           \
		return thr_loop(cpu, j);                                       \
	}
#define FUSE16(op, W, SRC, KIND)                                                              \
	FUSE(op, 0, W, SRC, KIND) FUSE(op, 1, W, SRC, KIND) FUSE(op, 2, W, SRC, KIND)        \
	FUSE(op, 3, W, SRC, KIND) FUSE(op, 4, W, SRC, KIND) FUSE(op, 5, W, SRC, KIND)        \
	FUSE(op, 6, W, SRC, KIND) FUSE(op, 7, W, SRC, KIND) FUSE(op, 8, W, SRC, KIND)        \
	FUSE(op, 9, W, SRC, KIND) FUSE(op, 10, W, SRC, KIND) FUSE(op, 11, W, SRC, KIND)      \
	FUSE(op, 12, W, SRC, KIND) FUSE(op, 13, W, SRC, KIND) FUSE(op, 14, W, SRC, KIND)     \
	FUSE(op, 15, W, SRC, KIND)
#define RR cpu->gpr[RS(in)]
#define RI in->imm
#define FUSE_LIST(X)                                                                    \
	X(fast_cmp_rr64, 64, RR, sub) X(fast_cmp_ri64, 64, RI, sub)                     \
	X(fast_cmp_rr32, 32, RR, sub) X(fast_cmp_ri32, 32, RI, sub)                     \
	X(fast_sub_rr64, 64, RR, sub) X(fast_sub_ri64, 64, RI, sub)                     \
	X(fast_sub_rr32, 32, RR, sub) X(fast_sub_ri32, 32, RI, sub)                     \
	X(fast_add_rr64, 64, RR, add) X(fast_add_ri64, 64, RI, add)                     \
	X(fast_add_rr32, 32, RR, add) X(fast_add_ri32, 32, RI, add)                     \
	X(fast_test_rr64, 64, RR, and) X(fast_test_ri64, 64, RI, and)                   \
	X(fast_test_rr32, 32, RR, and) X(fast_test_ri32, 32, RI, and)                   \
	X(fast_and_rr64, 64, RR, and) X(fast_and_ri64, 64, RI, and)                     \
	X(fast_and_rr32, 32, RR, and) X(fast_and_ri32, 32, RI, and)                     \
	X(fast_or_rr64, 64, RR, or) X(fast_or_rr32, 32, RR, or)                         \
	X(fast_inc64, 64, 0, inc) X(fast_inc32, 32, 0, inc)                             \
	X(fast_dec64, 64, 0, dec) X(fast_dec32, 32, 0, dec)

FUSE_LIST(FUSE16)

/* The same for compares with a memory operand, on a TLB hit (ea_g: any
 * address shape); anything else runs the compare alone through
 * thr_generic, and the Jcc's own entry follows. */
#define FUSEM(op, cc, lg, A, B)                                                \
	static int tf_##op##_##cc(struct cpu *cpu, const struct insn *in)      \
	{                                                                      \
		const struct insn *j = in + 1;                                 \
		uint8_t *p;                                                    \
		uint64_t v, a, b;                                              \
		if (unlikely(!tlb_hit(cpu, TLB_READ, ea_g(cpu, in), 1u << lg, &p))) \
			return thr_generic(cpu, in);                           \
		v = access_load(p, 1u << lg);                                  \
		a = (A) & MASK(8u << lg);                                      \
		b = (uint64_t)(B) & MASK(8u << lg);                            \
		op##_op(cpu, in, v);                                           \
		if (!cond_sub(cpu, cc, a, b, 8u << lg))                        \
			return j[1].tfn(cpu, j + 1);                           \
		return fused_taken(cpu, j);                                    \
	}                                                                      \
	static int tfl_##op##_##cc(struct cpu *cpu, const struct insn *in)     \
	{                                                                      \
		const struct insn *j = in + 1;                                 \
		uint8_t *p;                                                    \
		uint64_t v, a, b;                                              \
		if (unlikely(!tlb_hit(cpu, TLB_READ, ea_g(cpu, in), 1u << lg, &p))) \
			return thr_generic(cpu, in);                           \
		v = access_load(p, 1u << lg);                                  \
		a = (A) & MASK(8u << lg);                                      \
		b = (uint64_t)(B) & MASK(8u << lg);                            \
		op##_op(cpu, in, v);                                           \
		if (!cond_sub(cpu, cc, a, b, 8u << lg))                        \
			return j[1].tfn(cpu, j + 1);                           \
		return thr_loop(cpu, j);                                       \
	}
#define FUSEM16(op, lg, A, B)                                                                   \
	FUSEM(op, 0, lg, A, B) FUSEM(op, 1, lg, A, B) FUSEM(op, 2, lg, A, B)                   \
	FUSEM(op, 3, lg, A, B) FUSEM(op, 4, lg, A, B) FUSEM(op, 5, lg, A, B)                   \
	FUSEM(op, 6, lg, A, B) FUSEM(op, 7, lg, A, B) FUSEM(op, 8, lg, A, B)                   \
	FUSEM(op, 9, lg, A, B) FUSEM(op, 10, lg, A, B) FUSEM(op, 11, lg, A, B)                 \
	FUSEM(op, 12, lg, A, B) FUSEM(op, 13, lg, A, B) FUSEM(op, 14, lg, A, B)                \
	FUSEM(op, 15, lg, A, B)
#define FUSEM_LIST(X)                                                                   \
	X(fast_cmp_mi0, 0, v, in->imm) X(fast_cmp_mi2, 2, v, in->imm)                   \
	X(fast_cmp_mi3, 3, v, in->imm) X(fast_cmp_mr0, 0, v, cpu->gpr[RS(in)])          \
	X(fast_cmp_mr2, 2, v, cpu->gpr[RS(in)]) X(fast_cmp_mr3, 3, v, cpu->gpr[RS(in)]) \
	X(fast_cmp_rm32, 2, cpu->gpr[RD(in)], v) X(fast_cmp_rm64, 3, cpu->gpr[RD(in)], v)

FUSEM_LIST(FUSEM16)

/* Per operation: the fused entries by condition code (tf), and those for
 * a Jcc whose target is the start of its own block (tfl: a loop's
 * back-edge, known at decode, so the target is neither computed nor
 * checked -- the block's start is where the chain runs from, canonical). */
#define CC16(p, op) { p##_##op##_0, p##_##op##_1, p##_##op##_2, p##_##op##_3, p##_##op##_4, \
	p##_##op##_5, p##_##op##_6, p##_##op##_7, p##_##op##_8, p##_##op##_9, p##_##op##_10, \
	p##_##op##_11, p##_##op##_12, p##_##op##_13, p##_##op##_14, p##_##op##_15 }
static const struct {
	op_fn *fn, *tfn[16], *tfl[16];
} fused[] = {
#define ROW16(op, x, y, z) { op, CC16(tf, op), CC16(tfl, op) },
	FUSE_LIST(ROW16)
#undef ROW16
#define ROW16(op, x, y, z) { op, CC16(tf, op), CC16(tfl, op) },
	FUSEM_LIST(ROW16)
#undef ROW16
};
#undef CC16

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The threaded entry for a record: fused with a following Jcc, the
 * memory form's twin for its address shape, the register form's twin, or
 * the generic trampoline. */
static op_fn *fast_threaded(const struct insn *in)
{
	op_fn *fn = in->fn;
	const struct insn *j = in + 1;

	if (j->fn == fast_jcc64[j->cc & 15]) {
		/* The Jcc's target is t_base + off + len + imm. */
		bool self = (uint64_t)j->off + j->len + j->imm == 0;

		for (unsigned i = 0; i < COUNT(fused); i++)
			if (fused[i].fn == fn)
				return self ? fused[i].tfl[j->cc & 15] : fused[i].tfn[j->cc & 15];
	}
	for (unsigned i = 0; in->has_mem && i < COUNT(mem_twins); i++) {
		if (mem_twins[i].fn != fn)
			continue;
		if (in->mem.base < 16 && in->mem.index == MEMREG_NONE)
			return mem_twins[i].tfn[0];
		if (in->mem.base < 16 && in->mem.index < 16)
			return mem_twins[i].tfn[1];
		return mem_twins[i].tfn[2];
	}
	for (unsigned i = 0; i < COUNT(twins); i++)
		if (twins[i].fn == fn)
			return twins[i].tfn;
	return thr_generic;
}

/* --- Dead flags ---------------------------------------------------------------
 * Within a block run whole by threaded dispatch, the flags a register form
 * records are unobservable when a later record of the block replaces all
 * six before anything reads them, and nothing in between can fault or
 * leave the block.  Such a record gets a twin that computes only its
 * result (nf_*).  The records' fn handlers are unchanged: the traced,
 * debug and budget-cut paths, and every fault, see exact flags. */
#define NF_ALU(name, T, src, expr)                                             \
	static int nf_##name(struct cpu *cpu, const struct insn *in)           \
	{                                                                      \
		T a = (T)cpu->gpr[RD(in)], b = (T)(src);                       \
		(void)a;                                                       \
		(void)b;                                                       \
		cpu->gpr[RD(in)] = (uint64_t)(T)(expr);                        \
		return in[1].tfn(cpu, in + 1);                                 \
	}
#define NF_FAMILY(sfx, T)                                                      \
	NF_ALU(fast_add_rr##sfx, T, cpu->gpr[RS(in)], a + b)                   \
	NF_ALU(fast_add_ri##sfx, T, in->imm, a + b)                            \
	NF_ALU(fast_sub_rr##sfx, T, cpu->gpr[RS(in)], a - b)                   \
	NF_ALU(fast_sub_ri##sfx, T, in->imm, a - b)                            \
	NF_ALU(fast_and_rr##sfx, T, cpu->gpr[RS(in)], a & b)                   \
	NF_ALU(fast_and_ri##sfx, T, in->imm, a & b)                            \
	NF_ALU(fast_or_rr##sfx, T, cpu->gpr[RS(in)], a | b)                    \
	NF_ALU(fast_or_ri##sfx, T, in->imm, a | b)                             \
	NF_ALU(fast_xor_rr##sfx, T, cpu->gpr[RS(in)], a ^ b)                   \
	NF_ALU(fast_xor_ri##sfx, T, in->imm, a ^ b)                            \
	NF_ALU(fast_adc_rr##sfx, T, cpu->gpr[RS(in)], a + b + (T)flags_cf(cpu)) \
	NF_ALU(fast_adc_ri##sfx, T, in->imm, a + b + (T)flags_cf(cpu))          \
	NF_ALU(fast_sbb_rr##sfx, T, cpu->gpr[RS(in)], a - b - (T)flags_cf(cpu)) \
	NF_ALU(fast_sbb_ri##sfx, T, in->imm, a - b - (T)flags_cf(cpu))          \
	NF_ALU(fast_inc##sfx, T, 0, a + 1)                                     \
	NF_ALU(fast_dec##sfx, T, 0, a - 1)                                     \
	NF_ALU(fast_shl##sfx, T, in->imm & (sizeof(T) * 8 - 1), a << b)        \
	NF_ALU(fast_shr##sfx, T, in->imm & (sizeof(T) * 8 - 1), a >> b)        \
	NF_ALU(fast_rol##sfx, T, in->imm & (sizeof(T) * 8 - 1),                \
	       b ? (T)(a << b) | (T)(a >> (sizeof(T) * 8 - b)) : a)            \
	NF_ALU(fast_ror##sfx, T, in->imm & (sizeof(T) * 8 - 1),                \
	       b ? (T)(a >> b) | (T)(a << (sizeof(T) * 8 - b)) : a)
NF_FAMILY(64, uint64_t)
NF_FAMILY(32, uint32_t)
NF_ALU(fast_sar64, uint64_t, in->imm & 63, (uint64_t)((int64_t)a >> b))
NF_ALU(fast_sar32, uint32_t, in->imm & 31, (uint32_t)((int32_t)a >> b))
NF_ALU(fast_neg3, uint64_t, 0, 0 - a)
NF_ALU(fast_neg2, uint32_t, 0, 0 - a)
NF_ALU(fast_imul64, uint64_t, in->nops == 3 ? in->imm : cpu->gpr[RD(in)],
       cpu->gpr[RS(in)] * b)
NF_ALU(fast_imul32, uint32_t, in->nops == 3 ? in->imm : cpu->gpr[RD(in)],
       (uint32_t)((int64_t)(int32_t)cpu->gpr[RS(in)] * (int32_t)b))

/* CMP and TEST with unobservable flags do nothing. */
static int nf_nop(struct cpu *cpu, const struct insn *in)
{
	return in[1].tfn(cpu, in + 1);
}

/* How a record treats the flags, for the backward scan below. */
enum fclass {
	FC_BARRIER,  /* reads flags, may fault or leave the block: flags live */
	FC_NONE,     /* register-only, no flags: liveness passes through */
	FC_WRITE,    /* writes all six, reads none, cannot fault */
	FC_PARTIAL,  /* writes some and keeps the rest (ROL/ROR, INC/DEC) */
	FC_READ,     /* writes all six from CF and its operands (ADC/SBB) */
};

#define NF_ROW(name, cls) { name, nf_##name, cls }
#define NF_ROWS(sfx)                                                                   \
	NF_ROW(fast_add_rr##sfx, FC_WRITE), NF_ROW(fast_add_ri##sfx, FC_WRITE),        \
	NF_ROW(fast_sub_rr##sfx, FC_WRITE), NF_ROW(fast_sub_ri##sfx, FC_WRITE),        \
	NF_ROW(fast_and_rr##sfx, FC_WRITE), NF_ROW(fast_and_ri##sfx, FC_WRITE),        \
	NF_ROW(fast_or_rr##sfx, FC_WRITE), NF_ROW(fast_or_ri##sfx, FC_WRITE),          \
	NF_ROW(fast_xor_rr##sfx, FC_WRITE), NF_ROW(fast_xor_ri##sfx, FC_WRITE),        \
	{ fast_cmp_rr##sfx, nf_nop, FC_WRITE }, { fast_cmp_ri##sfx, nf_nop, FC_WRITE }, \
	{ fast_test_rr##sfx, nf_nop, FC_WRITE }, { fast_test_ri##sfx, nf_nop, FC_WRITE }, \
	NF_ROW(fast_adc_rr##sfx, FC_READ), NF_ROW(fast_adc_ri##sfx, FC_READ),          \
	NF_ROW(fast_sbb_rr##sfx, FC_READ), NF_ROW(fast_sbb_ri##sfx, FC_READ),          \
	NF_ROW(fast_inc##sfx, FC_PARTIAL), NF_ROW(fast_dec##sfx, FC_PARTIAL),          \
	NF_ROW(fast_rol##sfx, FC_PARTIAL), NF_ROW(fast_ror##sfx, FC_PARTIAL),          \
	NF_ROW(fast_shl##sfx, FC_WRITE), NF_ROW(fast_shr##sfx, FC_WRITE),              \
	NF_ROW(fast_sar##sfx, FC_WRITE), NF_ROW(fast_imul##sfx, FC_WRITE)
static const struct {
	op_fn *fn, *nf;
	uint8_t cls;
} nf_rows[] = {
	NF_ROWS(64), NF_ROWS(32),
	NF_ROW(fast_neg3, FC_WRITE), NF_ROW(fast_neg2, FC_WRITE),
	{ fast_mov_rr64, NULL, FC_NONE }, { fast_mov_rr32, NULL, FC_NONE },
	{ fast_mov_ri64, NULL, FC_NONE }, { fast_mov_ri32, NULL, FC_NONE },
	{ fast_movzx_r8, NULL, FC_NONE }, { fast_movsxd_r, NULL, FC_NONE },
	{ fast_not3, NULL, FC_NONE }, { fast_not2, NULL, FC_NONE },
	{ fast_lea64, NULL, FC_NONE }, { fast_lea32, NULL, FC_NONE },
	{ fast_nop, NULL, FC_NONE },
};

static bool is_shift_or_rotate(op_fn *fn)
{
	return fn == fast_shl64 || fn == fast_shr64 || fn == fast_sar64 || fn == fast_rol64 ||
	       fn == fast_ror64 || fn == fast_shl32 || fn == fast_shr32 || fn == fast_sar32 ||
	       fn == fast_rol32 || fn == fast_ror32;
}

static unsigned flags_class(const struct insn *in, op_fn **nf)
{
	for (unsigned i = 0; i < COUNT(nf_rows); i++) {
		if (nf_rows[i].fn != in->fn)
			continue;
		*nf = nf_rows[i].nf;
		/* A count that masks to 0 changes no flags (SDM Vol. 2 "SAL/
		 * SAR/SHL/SHR", "RCL/RCR/ROL/ROR"). */
		if (is_shift_or_rotate(in->fn) && (in->imm & (in->opsize == 3 ? 63 : 31)) == 0)
			return FC_NONE;
		return nf_rows[i].cls;
	}
	return FC_BARRIER;
}

void fast_thread_block(struct insn *ins, unsigned n)
{
	uint64_t dead = 0;
	op_fn *nf[64] = { NULL };
	bool live = true;  /* flags are live at the end of the block */

	for (unsigned k = 0; k < n; k++)
		ins[k].tfn = fast_threaded(&ins[k]);
	/* A Jcc forward into its own block: the record at its target (the
	 * sentinel, ins[n], holds the block's length). */
	for (unsigned k = 0; k < n; k++) {
		uint64_t to = (uint64_t)ins[k].off + ins[k].len + ins[k].imm;

		ins[k].tgt = 0;
		if (ins[k].fn != fast_jcc64[ins[k].cc & 15] || to <= ins[k].off || to >= ins[n].off)
			continue;
		for (unsigned m = k + 1; m < n; m++)
			if (ins[m].off == to)
				ins[k].tgt = (uint16_t)m;
	}
	for (unsigned k = n; k-- > 0;) {
		op_fn *f = NULL;
		/* Only register forms (and LEA) have a class; the generic
		 * trampoline and the memory forms are barriers. */
		bool candidate = k < 64 && ins[k].tfn != thr_generic &&
		                 (!ins[k].has_mem || ins[k].id == X86_INS_LEA ||
		                  ins[k].id == X86_INS_NOP);
		unsigned cls = candidate ? flags_class(&ins[k], &f) : FC_BARRIER;

		switch (cls) {
		case FC_NONE:
			break;
		case FC_WRITE:
			if (!live)
				dead |= 1ull << k;
			live = false;
			break;
		case FC_PARTIAL:
			/* Dead: it may skip its flags entirely, and what it
			 * would have kept is dead too. */
			if (!live)
				dead |= 1ull << k;
			break;
		case FC_READ:
			if (!live)
				dead |= 1ull << k;
			live = true;
			break;
		default:
			live = true;
			break;
		}
		if (k < 64)
			nf[k] = f;
	}
	for (unsigned k = 0; k < n && k < 64; k++)
		if ((dead >> k) & 1)
			ins[k].tfn = nf[k];
}

bool fast_is_jcc(op_fn *fn)
{
	for (unsigned i = 0; i < COUNT(fast_jcc64); i++)
		if (fast_jcc64[i] == fn)
			return true;
	return fn == fast_jcc32;
}
