/* Decode-time specialisation of the hottest register forms.
 *
 * The op table stays the one home of every opcode: its row names the
 * generic handler, which is always correct.  When a decoded record has a
 * plain shape -- destination a 32- or 64-bit general register, source a
 * register of the same size or an immediate -- fast_specialize() swaps in
 * a variant with that shape fixed, so the handler does no operand-kind
 * dispatch at run time.  A variant must compute exactly what the generic
 * handler computes; the unit tests, which compare against the host CPU,
 * run through the decoder and so exercise these variants.
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
		flags_set_bits(cpu, RFLAGS_CF | RFLAGS_OF,                            \
		               (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0));          \
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

	if (likely(e->tag == tlb_tag(cpu, gla) && (gla & 0xfff) <= 4096 - size)) {
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

	if (likely(e->tag == tlb_tag(cpu, gla) && (gla & 0xfff) <= 4096 - size)) {
		access_store((uint8_t *)(uintptr_t)(gla + e->addend), size, v);
		return X_OK;
	}
	return access_write(cpu, in->mem.seg, gla, size, v);
}

#define LOAD_FAST(name, lg, T)                                           \
	static int name(struct cpu *cpu, const struct insn *in)          \
	{                                                                \
		uint64_t v;                                              \
		TRY(flat_read(cpu, in, 1u << lg, &v));                   \
		cpu->gpr[RD(in)] = (uint64_t)(T)v;                       \
		return X_OK;                                             \
	}
LOAD_FAST(fast_load64, 3, uint64_t)
LOAD_FAST(fast_load32, 2, uint32_t)
/* MOVZX r32/r64, m8/m16: the destination is zero-extended either way. */
LOAD_FAST(fast_movzx_m8, 0, uint8_t)
LOAD_FAST(fast_movzx_m16, 1, uint16_t)

/* MOV m, r and MOV m, imm, one variant per size so the store is a single
 * move (a store has no merge rule). */
#define STORE_FAST(lg)                                                          \
	static int fast_store_r##lg(struct cpu *cpu, const struct insn *in)     \
	{                                                                       \
		return flat_write(cpu, in, 1u << lg, cpu->gpr[RS(in)]);         \
	}                                                                       \
	static int fast_store_i##lg(struct cpu *cpu, const struct insn *in)     \
	{                                                                       \
		return flat_write(cpu, in, 1u << lg, in->imm);                  \
	}
STORE_FAST(0)
STORE_FAST(1)
STORE_FAST(2)
STORE_FAST(3)
static op_fn *const store_r[4] = { fast_store_r0, fast_store_r1, fast_store_r2, fast_store_r3 };
static op_fn *const store_i[4] = { fast_store_i0, fast_store_i1, fast_store_i2, fast_store_i3 };

/* ALU r, m: the memory operand is only read. */
#define ALU_RM_FAST(name, lg, T, expr, setflags, writes)                    \
	static int name(struct cpu *cpu, const struct insn *in)             \
	{                                                                   \
		uint64_t v;                                                 \
		TRY(flat_read(cpu, in, 1u << lg, &v));                      \
		{                                                           \
			T a = (T)cpu->gpr[RD(in)], b = (T)v, r = (T)(expr); \
			setflags;                                           \
			if (writes)                                         \
				cpu->gpr[RD(in)] = (uint64_t)r;             \
		}                                                           \
		return X_OK;                                                \
	}
#define ALU_RM_FAMILY(sfx, lg, T)                                                         \
	ALU_RM_FAST(fast_add_rm##sfx, lg, T, a + b, flags_set_add(cpu, lg, a, b, r), 1)   \
	ALU_RM_FAST(fast_sub_rm##sfx, lg, T, a - b, flags_set_sub(cpu, lg, a, b, r), 1)   \
	ALU_RM_FAST(fast_cmp_rm##sfx, lg, T, a - b, flags_set_sub(cpu, lg, a, b, r), 0)   \
	ALU_RM_FAST(fast_and_rm##sfx, lg, T, a & b, flags_set_logic(cpu, lg, r), 1)       \
	ALU_RM_FAST(fast_or_rm##sfx, lg, T, a | b, flags_set_logic(cpu, lg, r), 1)        \
	ALU_RM_FAST(fast_xor_rm##sfx, lg, T, a ^ b, flags_set_logic(cpu, lg, r), 1)
ALU_RM_FAMILY(64, 3, uint64_t)
ALU_RM_FAMILY(32, 2, uint32_t)

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

static int fast_movsxd_m(struct cpu *cpu, const struct insn *in)
{
	uint64_t v;

	TRY(flat_read(cpu, in, 4, &v));
	cpu->gpr[RD(in)] = (uint64_t)(int64_t)(int32_t)v;
	return X_OK;
}

/* LEA r32 with 64-bit addressing: the address truncated to 32 bits. */
static int fast_lea32(struct cpu *cpu, const struct insn *in)
{
	cpu->gpr[RD(in)] = (uint32_t)insn_ea(cpu, in);
	return X_OK;
}

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
	X(fast_add_rm32, 1) \
	X(fast_add_rm64, 1) \
	X(fast_add_rr32, 0) \
	X(fast_add_rr64, 0) \
	X(fast_and_ri32, 0) \
	X(fast_and_ri64, 0) \
	X(fast_and_rm32, 1) \
	X(fast_and_rm64, 1) \
	X(fast_and_rr32, 0) \
	X(fast_and_rr64, 0) \
	X(fast_cmp_ri32, 0) \
	X(fast_cmp_ri64, 0) \
	X(fast_cmp_rm32, 1) \
	X(fast_cmp_rm64, 1) \
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
	X(fast_lea32, 1) \
	X(fast_lea64, 1) \
	X(fast_load32, 1) \
	X(fast_load64, 1) \
	X(fast_mov_ri32, 0) \
	X(fast_mov_ri64, 0) \
	X(fast_mov_rr32, 0) \
	X(fast_mov_rr64, 0) \
	X(fast_movsxd_m, 1) \
	X(fast_movsxd_r, 0) \
	X(fast_movzx_m16, 1) \
	X(fast_movzx_m8, 1) \
	X(fast_movzx_r8, 0) \
	X(fast_or_ri32, 0) \
	X(fast_or_ri64, 0) \
	X(fast_or_rm32, 1) \
	X(fast_or_rm64, 1) \
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
	X(fast_store_i0, 1) \
	X(fast_store_i1, 1) \
	X(fast_store_i2, 1) \
	X(fast_store_i3, 1) \
	X(fast_store_r0, 1) \
	X(fast_store_r1, 1) \
	X(fast_store_r2, 1) \
	X(fast_store_r3, 1) \
	X(fast_sub_ri32, 0) \
	X(fast_sub_ri64, 0) \
	X(fast_sub_rm32, 1) \
	X(fast_sub_rm64, 1) \
	X(fast_sub_rr32, 0) \
	X(fast_sub_rr64, 0) \
	X(fast_test_ri32, 0) \
	X(fast_test_ri64, 0) \
	X(fast_test_rr32, 0) \
	X(fast_test_rr64, 0) \
	X(fast_xor_ri32, 0) \
	X(fast_xor_ri64, 0) \
	X(fast_xor_rm32, 1) \
	X(fast_xor_rm64, 1) \
	X(fast_xor_rr32, 0) \
	X(fast_xor_rr64, 0)

FAST_LIST(THREADED)

static const struct {
	op_fn *fn, *tfn;
} twins[] = {
#define TWIN(name, rip) { name, t_##name },
	FAST_LIST(TWIN)
#undef TWIN
};

/* The threaded entry for a record's handler: the fast variant's twin, or
 * the generic trampoline. */
op_fn *fast_threaded(op_fn *fn)
{
	for (unsigned i = 0; i < sizeof(twins) / sizeof(twins[0]); i++)
		if (twins[i].fn == fn)
			return twins[i].tfn;
	return thr_generic;
}
