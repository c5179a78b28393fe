/* Instruction vectors shared by the host generator (vecgen.c) and the
 * guest checkers (alu.c, shift.c, muldiv.c, bitops.c).
 *
 * Each op runs one instruction natively with given inputs and RFLAGS and
 * returns the results and RFLAGS.  vecgen runs the table on the host CPU;
 * the guest runs it under test and compares.  Flags and results the SDM
 * calls undefined are masked on both sides (vec_undef).  Compile with
 * -mno-red-zone: the asm pushes. */
#ifndef VEC_H
#define VEC_H

#include <stdbool.h>
#include <stdint.h>

#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_OF 0x800u
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

struct vin {
	uint64_t a, b, c, flags;
};
struct vout {
	uint64_t r1, r2, flags;
};
typedef void vec_fn(const struct vin *, struct vout *);

enum vfam { FAM_ALU, FAM_SHIFT, FAM_MULDIV, FAM_BIT, FAM_COND };
enum vkind {
	K_BIN,     /* a op= b */
	K_UN,      /* op a */
	K_SHIFT,   /* a op= cl(c) */
	K_SHIFT1,  /* a op= 1 */
	K_DSHIFT,  /* a = shxd(a, b, cl(c)) */
	K_MUL,     /* rdx:rax = rax(a) * c */
	K_DIV,     /* rdx(b):rax(a) / c */
	K_IDIV,
	K_FLAGS,   /* every combination of CF PF AF ZF SF OF in, fixed a, b */
};
enum vfeat { FEAT_NONE, FEAT_POPCNT, FEAT_LZCNT, FEAT_BMI1, FEAT_BMI2, FEAT_MOVBE };

struct vop {
	const char *name;
	enum vfam fam;
	enum vkind kind;
	enum vfeat feat;
	uint32_t undef;        /* flags the SDM leaves undefined */
	vec_fn *fn[4];         /* by log2 operand size; NULL when absent */
};

/* ---- instruction bodies ---------------------------------------------- */
#define SFX0 "b"
#define SFX1 "w"
#define SFX2 "l"
#define SFX3 "q"
#define REG0 "b"
#define REG1 "w"
#define REG2 "k"
#define REG3 "q"

#define BIN(name, mn, s)                                                     \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; " mn SFX##s " %" REG##s "[b], %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [fl] "+r"(fl) : [b] "r"(i->b) : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
#define UN(name, mn, s)                                                      \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; " mn SFX##s " %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
#define SHCL(name, mn, s)                                                    \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; " mn SFX##s " %%cl, %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [fl] "+r"(fl) : "c"(i->c) : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
#define SH1(name, mn, s)                                                     \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; " mn SFX##s " %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
#define DSH(name, mn, s)                                                     \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; " mn SFX##s " %%cl, %" REG##s "[b], %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [fl] "+r"(fl) : [b] "r"(i->b), "c"(i->c) : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
/* One-operand MUL/IMUL/DIV/IDIV: RDX:RAX (AX for bytes) implicit. */
#define MD(name, mn, s)                                                      \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, d = i->b, fl = i->flags;                  \
		asm volatile("push %[fl]; popfq; " mn SFX##s " %" REG##s "[c];" \
			     " pushfq; pop %[fl]"                             \
			     : "+a"(a), "+d"(d), [fl] "+r"(fl) : [c] "r"(i->c) : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->r2 = d;                                                   \
		o->flags = fl;                                               \
	}
/* Three-operand IMUL r, r/m, imm8. */
#define IMUL3(name, s)                                                       \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; imul" SFX##s " $-7, %" REG##s "[b], %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [fl] "+r"(fl) : [b] "r"(i->b) : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
/* BMI three-operand forms: a = op(b, c) in Intel order dst, src1, src2. */
#define VEX3(name, mn, s)                                                    \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; " mn " %" REG##s "[c], %" REG##s "[b], %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [fl] "+r"(fl) : [b] "r"(i->b), [c] "r"(i->c) : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
/* MOVBE r, m and m, r. */
#define MOVBE(name, s)                                                       \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, m = i->b, fl = i->flags;                  \
		asm volatile("push %[fl]; popfq; movbe" SFX##s " %[m], %" REG##s "[a];" \
			     " movbe" SFX##s " %" REG##s "[a], %[m]; pushfq; pop %[fl]" \
			     : [a] "+r"(a), [m] "+m"(m), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->r2 = m;                                                   \
		o->flags = fl;                                               \
	}
/* XADD and CMPXCHG also write their source / RAX. */
#define XADD(name, s)                                                        \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, b = i->b, fl = i->flags;                  \
		asm volatile("push %[fl]; popfq; xadd" SFX##s " %" REG##s "[b], %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [b] "+r"(b), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->r2 = b;                                                   \
		o->flags = fl;                                               \
	}
#define CMPXCHG(name, s)                                                     \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, acc = i->c, fl = i->flags;                \
		asm volatile("push %[fl]; popfq; cmpxchg" SFX##s " %" REG##s "[b], %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), "+a"(acc), [fl] "+r"(fl) : [b] "r"(i->b) : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->r2 = acc;                                                 \
		o->flags = fl;                                               \
	}
#define BSWAP(name, s)                                                       \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a;                                           \
		asm volatile("bswap %" REG##s "[a]" : [a] "+r"(a));          \
		o->r1 = a;                                                   \
		o->flags = i->flags;                                         \
	}

/* Memory destination, optionally with LOCK. */
#define BINM(name, mn, s)                                                    \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t m = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; " mn SFX##s " %" REG##s "[b], %[m];" \
			     " pushfq; pop %[fl]"                             \
			     : [m] "+m"(m), [fl] "+r"(fl) : [b] "r"(i->b) : "cc", "memory"); \
		o->r1 = m;                                                   \
		o->flags = fl;                                               \
	}
#define XADDM(name, s)                                                       \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t m = i->a, b = i->b, fl = i->flags;                  \
		asm volatile("push %[fl]; popfq; lock xadd" SFX##s " %" REG##s "[b], %[m];" \
			     " pushfq; pop %[fl]"                             \
			     : [m] "+m"(m), [b] "+r"(b), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = m;                                                   \
		o->r2 = b;                                                   \
		o->flags = fl;                                               \
	}
/* Register source from memory: op m, r. */
#define BINRM(name, mn, s)                                                   \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, m = i->b, fl = i->flags;                  \
		asm volatile("push %[fl]; popfq; " mn SFX##s " %[m], %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [fl] "+r"(fl) : [m] "m"(m) : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
/* Immediate forms: imm8 sign-extended (83), full immediate (81) and the
 * accumulator short form (04/05), chosen by the assembler from the value
 * and the register. */
#define IMM0 "$-3"
#define IMM1 "$0x8123"
#define IMM2 "$0x92345678"
#define IMM3 "$-0x6dcba988"
#define BINI8(name, mn, s)                                                   \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; " mn SFX##s " $-3, %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
#define BINIA(name, mn, s)                                                   \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; " mn SFX##s " " IMM##s ", %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+a"(a), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
#define BINIM(name, mn, s)                                                   \
	static void name##_##s(const struct vin *i, struct vout *o)          \
	{                                                                    \
		uint64_t m = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; " mn SFX##s " " IMM##s ", %[m];" \
			     " pushfq; pop %[fl]"                             \
			     : [m] "+m"(m), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = m;                                                   \
		o->flags = fl;                                               \
	}
/* SETcc r8 (upper bits kept), CMOVcc (32-bit zero-extends even when the
 * condition is false: SDM Vol. 2A CMOVcc) and Jcc. */
#define SETCC(cc)                                                            \
	static void set##cc##_0(const struct vin *i, struct vout *o)         \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; set" #cc " %b[a]; pushfq; pop %[fl]" \
			     : [a] "+r"(a), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
#define CMOV(cc, s)                                                          \
	static void cmov##cc##_##s(const struct vin *i, struct vout *o)      \
	{                                                                    \
		uint64_t a = i->a, fl = i->flags;                            \
		asm volatile("push %[fl]; popfq; cmov" #cc SFX##s " %" REG##s "[b], %" REG##s "[a];" \
			     " pushfq; pop %[fl]"                             \
			     : [a] "+r"(a), [fl] "+r"(fl) : [b] "r"(i->b) : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
#define JCC(cc)                                                              \
	static void j##cc##_2(const struct vin *i, struct vout *o)           \
	{                                                                    \
		uint64_t a, fl = i->flags;                                   \
		asm volatile("push %[fl]; popfq; j" #cc " 1f; xor %k[a], %k[a]; jmp 2f;" \
			     "1: mov $1, %k[a]; 2: pushfq; pop %[fl]"         \
			     : [a] "=r"(a), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->flags = fl;                                               \
	}
#define CMOV3(cc) CMOV(cc, 1) CMOV(cc, 2) CMOV(cc, 3)
#define CONDS(M) M(o) M(no) M(b) M(ae) M(e) M(ne) M(be) M(a) M(s) M(ns) M(p) M(np) \
	M(l) M(ge) M(le) M(g)
/* No explicit operand: RAX/RDX/flags in, RAX/RDX/flags out. */
#define IMPL(name, insn)                                                     \
	static void name##_3(const struct vin *i, struct vout *o)            \
	{                                                                    \
		uint64_t a = i->a, d = i->b, fl = i->flags;                  \
		asm volatile("push %[fl]; popfq; " insn "; pushfq; pop %[fl]" \
			     : "+a"(a), "+d"(d), [fl] "+r"(fl) : : "cc", "memory"); \
		o->r1 = a;                                                   \
		o->r2 = d;                                                   \
		o->flags = fl;                                               \
	}
/* MOVZX/MOVSX: explicit source and destination widths. */
#define MOVX(name, insn, sreg, dreg)                                         \
	static void name##_3(const struct vin *i, struct vout *o)            \
	{                                                                    \
		uint64_t a = i->a;                                           \
		asm volatile(insn " %" sreg "[b], %" dreg "[a]" : [a] "+r"(a) : [b] "r"(i->b)); \
		o->r1 = a;                                                   \
		o->flags = i->flags;                                         \
	}

#define ALL4(M, name, mn) M(name, mn, 0) M(name, mn, 1) M(name, mn, 2) M(name, mn, 3)
#define W3(M, name, mn) M(name, mn, 1) M(name, mn, 2) M(name, mn, 3)
#define D2(M, name, mn) M(name, mn, 2) M(name, mn, 3)
#define FN4(name) { name##_0, name##_1, name##_2, name##_3 }
#define FN3(name) { 0, name##_1, name##_2, name##_3 }
#define FN2(name) { 0, 0, name##_2, name##_3 }

ALL4(BIN, add, "add") ALL4(BIN, adc, "adc") ALL4(BIN, sub, "sub")
ALL4(BIN, sbb, "sbb") ALL4(BIN, and, "and") ALL4(BIN, or, "or")
ALL4(BIN, xor, "xor") ALL4(BIN, cmp, "cmp") ALL4(BIN, test, "test")
ALL4(UN, inc, "inc") ALL4(UN, dec, "dec") ALL4(UN, neg, "neg") ALL4(UN, not, "not")
ALL4(SHCL, shl, "shl") ALL4(SHCL, shr, "shr") ALL4(SHCL, sar, "sar")
ALL4(SHCL, rol, "rol") ALL4(SHCL, ror, "ror") ALL4(SHCL, rcl, "rcl")
ALL4(SHCL, rcr, "rcr")
ALL4(SH1, shl1, "shl") ALL4(SH1, shr1, "shr") ALL4(SH1, sar1, "sar")
ALL4(SH1, rol1, "rol") ALL4(SH1, ror1, "ror") ALL4(SH1, rcl1, "rcl")
ALL4(SH1, rcr1, "rcr")
W3(DSH, shld, "shld") W3(DSH, shrd, "shrd")
ALL4(MD, mul, "mul") ALL4(MD, imul1, "imul") ALL4(MD, div, "div") ALL4(MD, idiv, "idiv")
W3(BIN, imul2, "imul")
IMUL3(imul3, 1) IMUL3(imul3, 2) IMUL3(imul3, 3)
W3(BIN, bt, "bt") W3(BIN, bts, "bts") W3(BIN, btr, "btr") W3(BIN, btc, "btc")
W3(BIN, bsf, "bsf") W3(BIN, bsr, "bsr")
W3(BIN, popcnt, "popcnt") W3(BIN, lzcnt, "lzcnt") W3(BIN, tzcnt, "tzcnt")
BSWAP(bswap, 2) BSWAP(bswap, 3)
MOVBE(movbe, 1) MOVBE(movbe, 2) MOVBE(movbe, 3)
XADD(xadd, 0) XADD(xadd, 1) XADD(xadd, 2) XADD(xadd, 3)
CMPXCHG(cmpxchg, 0) CMPXCHG(cmpxchg, 1) CMPXCHG(cmpxchg, 2) CMPXCHG(cmpxchg, 3)
D2(VEX3, andn, "andn") D2(VEX3, bextr, "bextr") D2(VEX3, bzhi, "bzhi")
D2(VEX3, pdep, "pdep") D2(VEX3, pext, "pext") D2(VEX3, sarx, "sarx")
D2(VEX3, shlx, "shlx") D2(VEX3, shrx, "shrx")
ALL4(BINM, addm, "add") ALL4(BINM, adcm, "adc") ALL4(BINM, subm, "sub")
ALL4(BINM, sbbm, "sbb") ALL4(BINM, andm, "and") ALL4(BINM, orm, "or")
ALL4(BINM, xorm, "xor") ALL4(BINM, cmpm, "cmp")
ALL4(BINM, laddm, "lock add") ALL4(BINM, lsubm, "lock sub") ALL4(BINM, lxorm, "lock xor")
XADDM(lxaddm, 0) XADDM(lxaddm, 1) XADDM(lxaddm, 2) XADDM(lxaddm, 3)
ALL4(BINRM, addrm, "add") ALL4(BINRM, sbbrm, "sbb") ALL4(BINRM, cmprm, "cmp")
ALL4(BINI8, addi8, "add") ALL4(BINI8, adci8, "adc") ALL4(BINI8, subi8, "sub")
ALL4(BINI8, andi8, "and") ALL4(BINI8, cmpi8, "cmp")
ALL4(BINIA, addia, "add") ALL4(BINIA, sbbia, "sbb") ALL4(BINIA, xoria, "xor")
ALL4(BINIA, testia, "test") ALL4(BINIA, cmpia, "cmp")
ALL4(BINIM, orim, "or") ALL4(BINIM, subim, "sub")
CONDS(SETCC) CONDS(CMOV3) CONDS(JCC)
IMPL(cbw, "cbtw") IMPL(cwde, "cwtl") IMPL(cdqe, "cltq") IMPL(cwd, "cwtd")
IMPL(cdq, "cltd") IMPL(cqo, "cqto") IMPL(lahf, "lahf") IMPL(sahf, "sahf")
IMPL(clc, "clc") IMPL(stc, "stc") IMPL(cmc, "cmc")
MOVX(movzbw, "movzbw", "b", "w") MOVX(movzbl, "movzbl", "b", "k")
MOVX(movzbq, "movzbq", "b", "q") MOVX(movzwl, "movzwl", "w", "k")
MOVX(movzwq, "movzwq", "w", "q") MOVX(movsbw, "movsbw", "b", "w")
MOVX(movsbl, "movsbl", "b", "k") MOVX(movsbq, "movsbq", "b", "q")
MOVX(movswl, "movswl", "w", "k") MOVX(movswq, "movswq", "w", "q")
MOVX(movslq, "movslq", "k", "q")
D2(BIN, blsi, "blsi") D2(BIN, blsmsk, "blsmsk") D2(BIN, blsr, "blsr")

#define U_LOGIC F_AF
#define U_MUL (F_SF | F_ZF | F_AF | F_PF)
#define U_BT (F_OF | F_SF | F_AF | F_PF)
#define U_BS (F_CF | F_OF | F_SF | F_AF | F_PF)
#define U_CNT (F_OF | F_SF | F_AF | F_PF)

static const struct vop vec_ops[] = {
	{ "add", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(add) },
	{ "adc", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(adc) },
	{ "sub", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(sub) },
	{ "sbb", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(sbb) },
	{ "and", FAM_ALU, K_BIN, FEAT_NONE, U_LOGIC, FN4(and) },
	{ "or", FAM_ALU, K_BIN, FEAT_NONE, U_LOGIC, FN4(or) },
	{ "xor", FAM_ALU, K_BIN, FEAT_NONE, U_LOGIC, FN4(xor) },
	{ "cmp", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(cmp) },
	{ "test", FAM_ALU, K_BIN, FEAT_NONE, U_LOGIC, FN4(test) },
	{ "inc", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(inc) },
	{ "dec", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(dec) },
	{ "neg", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(neg) },
	{ "not", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(not) },
	{ "xadd", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(xadd) },
	{ "cmpxchg", FAM_ALU, K_SHIFT, FEAT_NONE, 0, FN4(cmpxchg) },
	{ "shl", FAM_SHIFT, K_SHIFT, FEAT_NONE, 0, FN4(shl) },
	{ "shr", FAM_SHIFT, K_SHIFT, FEAT_NONE, 0, FN4(shr) },
	{ "sar", FAM_SHIFT, K_SHIFT, FEAT_NONE, 0, FN4(sar) },
	{ "rol", FAM_SHIFT, K_SHIFT, FEAT_NONE, 0, FN4(rol) },
	{ "ror", FAM_SHIFT, K_SHIFT, FEAT_NONE, 0, FN4(ror) },
	{ "rcl", FAM_SHIFT, K_SHIFT, FEAT_NONE, 0, FN4(rcl) },
	{ "rcr", FAM_SHIFT, K_SHIFT, FEAT_NONE, 0, FN4(rcr) },
	{ "shl1", FAM_SHIFT, K_SHIFT1, FEAT_NONE, 0, FN4(shl1) },
	{ "shr1", FAM_SHIFT, K_SHIFT1, FEAT_NONE, 0, FN4(shr1) },
	{ "sar1", FAM_SHIFT, K_SHIFT1, FEAT_NONE, 0, FN4(sar1) },
	{ "rol1", FAM_SHIFT, K_SHIFT1, FEAT_NONE, 0, FN4(rol1) },
	{ "ror1", FAM_SHIFT, K_SHIFT1, FEAT_NONE, 0, FN4(ror1) },
	{ "rcl1", FAM_SHIFT, K_SHIFT1, FEAT_NONE, 0, FN4(rcl1) },
	{ "rcr1", FAM_SHIFT, K_SHIFT1, FEAT_NONE, 0, FN4(rcr1) },
	{ "shld", FAM_SHIFT, K_DSHIFT, FEAT_NONE, 0, FN3(shld) },
	{ "shrd", FAM_SHIFT, K_DSHIFT, FEAT_NONE, 0, FN3(shrd) },
	{ "mul", FAM_MULDIV, K_MUL, FEAT_NONE, U_MUL, FN4(mul) },
	{ "imul1", FAM_MULDIV, K_MUL, FEAT_NONE, U_MUL, FN4(imul1) },
	{ "imul2", FAM_MULDIV, K_BIN, FEAT_NONE, U_MUL, FN3(imul2) },
	{ "imul3", FAM_MULDIV, K_BIN, FEAT_NONE, U_MUL, FN3(imul3) },
	{ "div", FAM_MULDIV, K_DIV, FEAT_NONE, F_ARITH, FN4(div) },
	{ "idiv", FAM_MULDIV, K_IDIV, FEAT_NONE, F_ARITH, FN4(idiv) },
	{ "bt", FAM_BIT, K_BIN, FEAT_NONE, U_BT, FN3(bt) },
	{ "bts", FAM_BIT, K_BIN, FEAT_NONE, U_BT, FN3(bts) },
	{ "btr", FAM_BIT, K_BIN, FEAT_NONE, U_BT, FN3(btr) },
	{ "btc", FAM_BIT, K_BIN, FEAT_NONE, U_BT, FN3(btc) },
	{ "bsf", FAM_BIT, K_BIN, FEAT_NONE, U_BS, FN3(bsf) },
	{ "bsr", FAM_BIT, K_BIN, FEAT_NONE, U_BS, FN3(bsr) },
	{ "bswap", FAM_BIT, K_UN, FEAT_NONE, 0, FN2(bswap) },
	{ "popcnt", FAM_BIT, K_BIN, FEAT_POPCNT, 0, FN3(popcnt) },
	{ "lzcnt", FAM_BIT, K_BIN, FEAT_LZCNT, U_CNT, FN3(lzcnt) },
	{ "tzcnt", FAM_BIT, K_BIN, FEAT_BMI1, U_CNT, FN3(tzcnt) },
	{ "movbe", FAM_BIT, K_BIN, FEAT_MOVBE, 0, FN3(movbe) },
	{ "andn", FAM_BIT, K_SHIFT, FEAT_BMI1, F_AF | F_PF, FN2(andn) },
	{ "bextr", FAM_BIT, K_SHIFT, FEAT_BMI1, F_AF | F_SF | F_PF, FN2(bextr) },
	{ "blsi", FAM_BIT, K_BIN, FEAT_BMI1, F_AF | F_PF, FN2(blsi) },
	{ "blsmsk", FAM_BIT, K_BIN, FEAT_BMI1, F_AF | F_PF, FN2(blsmsk) },
	{ "blsr", FAM_BIT, K_BIN, FEAT_BMI1, F_AF | F_PF, FN2(blsr) },
	{ "bzhi", FAM_BIT, K_SHIFT, FEAT_BMI2, F_AF | F_PF, FN2(bzhi) },
	{ "pdep", FAM_BIT, K_SHIFT, FEAT_BMI2, 0, FN2(pdep) },
	{ "pext", FAM_BIT, K_SHIFT, FEAT_BMI2, 0, FN2(pext) },
	{ "sarx", FAM_BIT, K_SHIFT, FEAT_BMI2, 0, FN2(sarx) },
	{ "shlx", FAM_BIT, K_SHIFT, FEAT_BMI2, 0, FN2(shlx) },
	{ "shrx", FAM_BIT, K_SHIFT, FEAT_BMI2, 0, FN2(shrx) },
	{ "add m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(addm) },
	{ "adc m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(adcm) },
	{ "sub m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(subm) },
	{ "sbb m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(sbbm) },
	{ "and m", FAM_ALU, K_BIN, FEAT_NONE, U_LOGIC, FN4(andm) },
	{ "or m", FAM_ALU, K_BIN, FEAT_NONE, U_LOGIC, FN4(orm) },
	{ "xor m", FAM_ALU, K_BIN, FEAT_NONE, U_LOGIC, FN4(xorm) },
	{ "cmp m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(cmpm) },
	{ "lock add m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(laddm) },
	{ "lock sub m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(lsubm) },
	{ "lock xor m", FAM_ALU, K_BIN, FEAT_NONE, U_LOGIC, FN4(lxorm) },
	{ "lock xadd m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(lxaddm) },
	{ "add r,m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(addrm) },
	{ "sbb r,m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(sbbrm) },
	{ "cmp r,m", FAM_ALU, K_BIN, FEAT_NONE, 0, FN4(cmprm) },
	{ "add imm8", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(addi8) },
	{ "adc imm8", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(adci8) },
	{ "sub imm8", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(subi8) },
	{ "and imm8", FAM_ALU, K_UN, FEAT_NONE, U_LOGIC, FN4(andi8) },
	{ "cmp imm8", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(cmpi8) },
	{ "add acc,imm", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(addia) },
	{ "sbb acc,imm", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(sbbia) },
	{ "xor acc,imm", FAM_ALU, K_UN, FEAT_NONE, U_LOGIC, FN4(xoria) },
	{ "test acc,imm", FAM_ALU, K_UN, FEAT_NONE, U_LOGIC, FN4(testia) },
	{ "cmp acc,imm", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(cmpia) },
	{ "or m,imm", FAM_ALU, K_UN, FEAT_NONE, U_LOGIC, FN4(orim) },
	{ "sub m,imm", FAM_ALU, K_UN, FEAT_NONE, 0, FN4(subim) },
	{ "seto", FAM_COND, K_FLAGS, FEAT_NONE, 0, { seto_0, 0, 0, 0 } },
	{ "setno", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setno_0, 0, 0, 0 } },
	{ "setb", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setb_0, 0, 0, 0 } },
	{ "setae", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setae_0, 0, 0, 0 } },
	{ "sete", FAM_COND, K_FLAGS, FEAT_NONE, 0, { sete_0, 0, 0, 0 } },
	{ "setne", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setne_0, 0, 0, 0 } },
	{ "setbe", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setbe_0, 0, 0, 0 } },
	{ "seta", FAM_COND, K_FLAGS, FEAT_NONE, 0, { seta_0, 0, 0, 0 } },
	{ "sets", FAM_COND, K_FLAGS, FEAT_NONE, 0, { sets_0, 0, 0, 0 } },
	{ "setns", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setns_0, 0, 0, 0 } },
	{ "setp", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setp_0, 0, 0, 0 } },
	{ "setnp", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setnp_0, 0, 0, 0 } },
	{ "setl", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setl_0, 0, 0, 0 } },
	{ "setge", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setge_0, 0, 0, 0 } },
	{ "setle", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setle_0, 0, 0, 0 } },
	{ "setg", FAM_COND, K_FLAGS, FEAT_NONE, 0, { setg_0, 0, 0, 0 } },
	{ "cmovo", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovo) },
	{ "cmovno", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovno) },
	{ "cmovb", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovb) },
	{ "cmovae", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovae) },
	{ "cmove", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmove) },
	{ "cmovne", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovne) },
	{ "cmovbe", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovbe) },
	{ "cmova", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmova) },
	{ "cmovs", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovs) },
	{ "cmovns", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovns) },
	{ "cmovp", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovp) },
	{ "cmovnp", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovnp) },
	{ "cmovl", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovl) },
	{ "cmovge", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovge) },
	{ "cmovle", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovle) },
	{ "cmovg", FAM_COND, K_FLAGS, FEAT_NONE, 0, FN3(cmovg) },
	{ "jo", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jo_2, 0 } },
	{ "jno", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jno_2, 0 } },
	{ "jb", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jb_2, 0 } },
	{ "jae", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jae_2, 0 } },
	{ "je", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, je_2, 0 } },
	{ "jne", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jne_2, 0 } },
	{ "jbe", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jbe_2, 0 } },
	{ "ja", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, ja_2, 0 } },
	{ "js", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, js_2, 0 } },
	{ "jns", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jns_2, 0 } },
	{ "jp", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jp_2, 0 } },
	{ "jnp", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jnp_2, 0 } },
	{ "jl", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jl_2, 0 } },
	{ "jge", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jge_2, 0 } },
	{ "jle", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jle_2, 0 } },
	{ "jg", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, jg_2, 0 } },
	{ "cbw", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, cbw_3 } },
	{ "cwde", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, cwde_3 } },
	{ "cdqe", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, cdqe_3 } },
	{ "cwd", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, cwd_3 } },
	{ "cdq", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, cdq_3 } },
	{ "cqo", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, cqo_3 } },
	{ "lahf", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, 0, lahf_3 } },
	{ "sahf", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, 0, sahf_3 } },
	{ "clc", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, 0, clc_3 } },
	{ "stc", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, 0, stc_3 } },
	{ "cmc", FAM_COND, K_FLAGS, FEAT_NONE, 0, { 0, 0, 0, cmc_3 } },
	{ "movzbw", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movzbw_3 } },
	{ "movzbl", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movzbl_3 } },
	{ "movzbq", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movzbq_3 } },
	{ "movzwl", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movzwl_3 } },
	{ "movzwq", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movzwq_3 } },
	{ "movsbw", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movsbw_3 } },
	{ "movsbl", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movsbl_3 } },
	{ "movsbq", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movsbq_3 } },
	{ "movswl", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movswl_3 } },
	{ "movswq", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movswq_3 } },
	{ "movslq", FAM_COND, K_BIN, FEAT_NONE, 0, { 0, 0, 0, movslq_3 } },
};
#define VEC_NOPS (sizeof(vec_ops) / sizeof(vec_ops[0]))

/* ---- inputs ---------------------------------------------------------- */
static const uint64_t vec_vals[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
	0x80000000, 0xffffffff, 0x7fffffffffffffff, 0x8000000000000000,
	0xffffffffffffffff, 0x123456789abcdef0, 0x0000f0f0a5a50f0f,
};
#define NVALS (sizeof(vec_vals) / sizeof(vec_vals[0]))
static const uint64_t vec_counts[] = {
	0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 0x1f08, 0xff,
};
#define NCOUNTS (sizeof(vec_counts) / sizeof(vec_counts[0]))
static const uint64_t vec_flags_in[] = { 0x002, 0x002 | F_ARITH };

static inline uint64_t vec_mask(int s)
{
	return s == 3 ? ~0ull : (1ull << (8 << s)) - 1;
}

static inline int64_t vec_sext(uint64_t v, int s)
{
	int sh = 64 - (8 << s);
	return (int64_t)(v << sh) >> sh;
}

/* Number of inputs per (op, size), and the i-th one.  Returns false for
 * inputs that must not run (a division that would raise #DE). */
static inline unsigned vec_ninputs(const struct vop *op)
{
	switch (op->kind) {
	case K_BIN:
	case K_MUL:
		return NVALS * NVALS * 2;
	case K_UN:
	case K_SHIFT1:
		return NVALS * 2;
	case K_SHIFT:
		return NVALS * NCOUNTS * 2;
	case K_DSHIFT:
		return NVALS * 4 * NCOUNTS * 2;
	case K_DIV:
	case K_IDIV:
		return NVALS * NVALS * NVALS;
	case K_FLAGS:
		return 64;
	}
	return 0;
}

static inline bool vec_input(const struct vop *op, int s, unsigned i, struct vin *in)
{
	in->a = in->b = in->c = 0;
	in->flags = vec_flags_in[i & 1];
	switch (op->kind) {
	case K_BIN:
		in->a = vec_vals[(i >> 1) % NVALS];
		in->b = vec_vals[(i >> 1) / NVALS];
		return true;
	case K_MUL:
		in->a = vec_vals[(i >> 1) % NVALS];
		in->b = 0x5555aaaa5555aaaaull;
		in->c = vec_vals[(i >> 1) / NVALS];
		return true;
	case K_UN:
	case K_SHIFT1:
		in->a = vec_vals[i >> 1];
		return true;
	case K_FLAGS:
		/* Bit k of i drives the k-th arithmetic flag. */
		in->flags = 0x2 | (i & 1) | (i & 2) << 1 | (i & 4) << 2 | (i & 8) << 3 |
			    (i & 16) << 3 | (i & 32) << 6;
		in->a = 0xaaaaaaaaaaaaaaaaull;
		in->b = 0x5555555555555555ull;
		return true;
	case K_SHIFT:
		in->a = vec_vals[(i >> 1) % NVALS];
		in->c = vec_counts[(i >> 1) / NVALS];
		/* BMI forms take register counts and masks: use values too. */
		if (op->fam == FAM_BIT || op->fam == FAM_ALU)
			in->b = vec_vals[((i >> 1) / NVALS) % NVALS], in->c ^= in->a;
		return true;
	case K_DSHIFT:
		in->a = vec_vals[(i >> 1) % NVALS];
		in->b = vec_vals[((i >> 1) / NVALS) % 4 + 12];
		in->c = vec_counts[(i >> 1) / NVALS / 4];
		return true;
	case K_DIV:
	case K_IDIV: {
		uint64_t lo = vec_vals[i % NVALS], hi = vec_vals[(i / NVALS) % NVALS];
		uint64_t d = vec_vals[i / NVALS / NVALS] & vec_mask(s);
		in->a = lo;
		in->b = hi;
		in->c = d;
		if (!d)
			return false;
		if (op->kind == K_DIV) {
			/* Quotient fits iff the high half is below the divisor. */
			uint64_t h = s == 0 ? (lo >> 8) & 0xff : hi & vec_mask(s);
			return h < d;
		}
		int64_t sd = vec_sext(d, s);
		if (s == 3) {
			/* Keep the 128-bit dividend representable in 64 bits. */
			if (hi != (uint64_t)((int64_t)lo >> 63))
				return false;
			return !((int64_t)lo == INT64_MIN && sd == -1);
		}
		int64_t dividend = s == 0 ? vec_sext(lo, 1)
				 : (int64_t)((vec_sext(hi, s) * (int64_t)(1ull << (8 << s))) |
					     (int64_t)(lo & vec_mask(s)));
		if (s == 0)
			dividend = (int16_t)lo;
		if (dividend == INT64_MIN && sd == -1)
			return false;
		int64_t q = dividend / sd;
		return q >= vec_sext(1ull << ((8 << s) - 1), s) &&
		       q <= (int64_t)(vec_mask(s) >> 1);
	}
	}
	return false;
}

/* Flags (and result bits) the SDM leaves undefined for this input. */
static inline void vec_undef(const struct vop *op, int s, const struct vin *in,
			     uint32_t *uflags, uint64_t *ures)
{
	unsigned bits = 8u << s;
	uint64_t cnt = in->c & (s == 3 ? 63 : 31);
	const char *n = op->name;
	*uflags = op->undef;
	*ures = 0;
	if (op->kind == K_SHIFT && op->fam == FAM_SHIFT) {
		bool rot = n[0] == 'r';
		if (cnt == 0)
			return;
		if (cnt != 1)
			*uflags |= F_OF;
		if (!rot)
			*uflags |= F_AF;
		if ((n[1] == 'h') && cnt >= bits)  /* SHL/SHR past the width */
			*uflags |= F_CF;
	} else if (op->kind == K_SHIFT1) {
		if (n[0] != 'r')
			*uflags |= F_AF;
	} else if (op->kind == K_DSHIFT) {
		if (cnt == 0)
			return;
		*uflags |= F_AF;
		if (cnt != 1)
			*uflags |= F_OF;
		if (cnt > bits) {
			*uflags |= F_ARITH;
			*ures = ~0ull;
		}
	} else if ((n[0] == 'b' && n[1] == 's' && (n[2] == 'f' || n[2] == 'r')) &&
		   !(in->b & vec_mask(s))) {
		*ures = ~0ull;  /* BSF/BSR: destination undefined for 0 */
	}
}

/* Runs case i of op at size s and masks what the SDM leaves undefined.
 * Returns false when the case must not run. */
static inline bool vec_run(const struct vop *op, int s, unsigned i, struct vout *o)
{
	struct vin in;
	uint32_t uf;
	uint64_t ur;

	if (!vec_input(op, s, i, &in))
		return false;
	o->r1 = o->r2 = 0;
	op->fn[s](&in, o);
	vec_undef(op, s, &in, &uf, &ur);
	o->r1 &= ~ur;
	o->flags &= F_ARITH & ~uf;
	return true;
}

#endif
