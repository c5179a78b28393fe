/* The case generator: a table of opcode forms, each encoded here as bytes
 * (legacy prefixes, REX, opcode, ModRM, disp8, immediate), with initial
 * states drawn from edge values.  Case i of a campaign uses form
 * i % oc_form_count(), so every form is enumerated evenly and the rest is
 * random from (seed, i).
 *
 * Undefined results (SDM Vol. 2, each instruction's "Flags Affected"):
 * undef_flags() computes the RFLAGS bits the SDM leaves undefined for the
 * case, and marks the destination undefined where the SDM says so.
 */
#include <string.h>

#include "oracle.h"

/* Short names for the flag classes (oracle.h). */
enum {
	C_ARITH = OC_C_ARITH, C_LOGIC = OC_C_LOGIC, C_NONE = OC_C_NONE, C_MUL = OC_C_MUL,
	C_DIV = OC_C_DIV, C_SHL = OC_C_SHL, C_SHR = OC_C_SHR, C_SAR = OC_C_SAR, C_ROT = OC_C_ROT,
	C_SHXD = OC_C_SHXD, C_BT = OC_C_BT, C_BSF = OC_C_BSF, C_CNT = OC_C_CNT, C_BMI = OC_C_BMI,
	C_BEXTR = OC_C_BEXTR,
};

enum kind {
	K_MR,      /* ModRM: r/m destination, reg source */
	K_RM,      /* ModRM: reg destination, r/m source */
	K_MI8,     /* ModRM with /ext, imm8 */
	K_MIZ,     /* ModRM with /ext, imm16/32 */
	K_M,       /* ModRM with /ext, no immediate */
	K_MCL,     /* ModRM with /ext, count in CL */
	K_MRI8,    /* ModRM r/m, reg, imm8 (SHLD/SHRD, IMUL r, r/m, imm8) */
	K_MRCL,    /* ModRM r/m, reg, CL (SHLD/SHRD) */
	K_RMIZ,    /* IMUL r, r/m, immz */
	K_AI8,     /* AL, imm8 */
	K_AIZ,     /* eAX, immz */
	K_NONE,    /* implicit operands */
	K_OREG,    /* register in the opcode's low 3 bits */
	K_STR,     /* string instruction */
	K_MEMONLY, /* ModRM memory form only, /ext (CMPXCHG8B/16B) */
	K_VEX,     /* VEX.LZ: op[0] map (2 = 0F38, 3 = 0F3A), op[1] opcode,
	              op[2] pp; ModRM.reg, VEX.vvvv, r/m (BMI1/BMI2) */
	K_VEXI8,   /* the same with an imm8 (RORX) */
};

enum { S8 = 1, S16 = 2, S32 = 4, S64 = 8, S_W = S16 | S32 | S64 };

struct form {
	const char *name;
	uint8_t op[3];
	uint8_t oplen;
	int8_t ext;        /* ModRM.reg for /n forms */
	uint8_t kind;
	uint8_t sizes;     /* operand sizes allowed */
	uint8_t cls;
	uint8_t prefix;    /* mandatory prefix (0x66, 0xF2, 0xF3) or 0 */
	uint8_t src_lg;    /* MOVZX/MOVSX: source size (log2), else 0 */
	uint64_t feat;     /* CPUID feature needed (leaf << 8 | reg << 6 | bit) */
};

#define FEAT_ADX ((7ull << 8) | (1u << 6) | 19)   /* CPUID.(EAX=7):EBX[19] */
#define FEAT_BMI1 ((7ull << 8) | (1u << 6) | 3)   /* CPUID.(EAX=7):EBX[3] */
#define FEAT_BMI2 ((7ull << 8) | (1u << 6) | 8)   /* CPUID.(EAX=7):EBX[8] */
#define VEX(n, map, opc, pp, e, k, c, feat) {n, {map, opc, pp}, 3, e, k, S32 | S64, c, 0, 0, feat}

#define F1(n, o, e, k, s, c) {n, {o}, 1, e, k, s, c, 0, 0, 0}
#define F2(n, o, e, k, s, c) {n, {0x0f, o}, 2, e, k, s, c, 0, 0, 0}

static const struct form forms[] = {
#define ALU(n, k, c) \
	F1(n " r/m8, r8", 8 * k + 0, -1, K_MR, S8, c), \
	F1(n " r/m, r", 8 * k + 1, -1, K_MR, S_W, c), \
	F1(n " r8, r/m8", 8 * k + 2, -1, K_RM, S8, c), \
	F1(n " r, r/m", 8 * k + 3, -1, K_RM, S_W, c), \
	F1(n " AL, imm8", 8 * k + 4, -1, K_AI8, S8, c), \
	F1(n " eAX, imm", 8 * k + 5, -1, K_AIZ, S_W, c), \
	F1(n " r/m8, imm8", 0x80, k, K_MI8, S8, c), \
	F1(n " r/m, imm", 0x81, k, K_MIZ, S_W, c), \
	F1(n " r/m, simm8", 0x83, k, K_MI8, S_W, c)
	ALU("ADD", 0, C_ARITH), ALU("OR", 1, C_LOGIC), ALU("ADC", 2, C_ARITH),
	ALU("SBB", 3, C_ARITH), ALU("AND", 4, C_LOGIC), ALU("SUB", 5, C_ARITH),
	ALU("XOR", 6, C_LOGIC), ALU("CMP", 7, C_ARITH),
#undef ALU
	F1("TEST r/m8, r8", 0x84, -1, K_MR, S8, C_LOGIC),
	F1("TEST r/m, r", 0x85, -1, K_MR, S_W, C_LOGIC),
	F1("TEST AL, imm8", 0xa8, -1, K_AI8, S8, C_LOGIC),
	F1("TEST eAX, imm", 0xa9, -1, K_AIZ, S_W, C_LOGIC),
	F1("TEST r/m8, imm8", 0xf6, 0, K_MI8, S8, C_LOGIC),
	F1("TEST r/m, imm", 0xf7, 0, K_MIZ, S_W, C_LOGIC),
	F1("NOT r/m8", 0xf6, 2, K_M, S8, C_NONE),
	F1("NOT r/m", 0xf7, 2, K_M, S_W, C_NONE),
	F1("NEG r/m8", 0xf6, 3, K_M, S8, C_ARITH),
	F1("NEG r/m", 0xf7, 3, K_M, S_W, C_ARITH),
	F1("MUL r/m8", 0xf6, 4, K_M, S8, C_MUL),
	F1("MUL r/m", 0xf7, 4, K_M, S_W, C_MUL),
	F1("IMUL r/m8", 0xf6, 5, K_M, S8, C_MUL),
	F1("IMUL r/m", 0xf7, 5, K_M, S_W, C_MUL),
	F1("DIV r/m8", 0xf6, 6, K_M, S8, C_DIV),
	F1("DIV r/m", 0xf7, 6, K_M, S_W, C_DIV),
	F1("IDIV r/m8", 0xf6, 7, K_M, S8, C_DIV),
	F1("IDIV r/m", 0xf7, 7, K_M, S_W, C_DIV),
	F2("IMUL r, r/m", 0xaf, -1, K_RM, S_W, C_MUL),
	F1("IMUL r, r/m, simm8", 0x6b, -1, K_MRI8, S_W, C_MUL),
	F1("IMUL r, r/m, imm", 0x69, -1, K_RMIZ, S_W, C_MUL),
	F1("INC r/m8", 0xfe, 0, K_M, S8, C_ARITH),
	F1("DEC r/m8", 0xfe, 1, K_M, S8, C_ARITH),
	F1("INC r/m", 0xff, 0, K_M, S_W, C_ARITH),
	F1("DEC r/m", 0xff, 1, K_M, S_W, C_ARITH),
#define SH(n, e, c) \
	F1(n " r/m8, imm8", 0xc0, e, K_MI8, S8, c), F1(n " r/m, imm8", 0xc1, e, K_MI8, S_W, c), \
	F1(n " r/m8, 1", 0xd0, e, K_M, S8, c), F1(n " r/m, 1", 0xd1, e, K_M, S_W, c), \
	F1(n " r/m8, CL", 0xd2, e, K_MCL, S8, c), F1(n " r/m, CL", 0xd3, e, K_MCL, S_W, c)
	SH("ROL", 0, C_ROT), SH("ROR", 1, C_ROT), SH("RCL", 2, C_ROT), SH("RCR", 3, C_ROT),
	SH("SHL", 4, C_SHL), SH("SHR", 5, C_SHR), SH("SAR", 7, C_SAR),
#undef SH
	F2("SHLD r/m, r, imm8", 0xa4, -1, K_MRI8, S_W, C_SHXD),
	F2("SHLD r/m, r, CL", 0xa5, -1, K_MRCL, S_W, C_SHXD),
	F2("SHRD r/m, r, imm8", 0xac, -1, K_MRI8, S_W, C_SHXD),
	F2("SHRD r/m, r, CL", 0xad, -1, K_MRCL, S_W, C_SHXD),
	F2("BT r/m, r", 0xa3, -1, K_MR, S_W, C_BT),
	F2("BTS r/m, r", 0xab, -1, K_MR, S_W, C_BT),
	F2("BTR r/m, r", 0xb3, -1, K_MR, S_W, C_BT),
	F2("BTC r/m, r", 0xbb, -1, K_MR, S_W, C_BT),
	F2("BT r/m, imm8", 0xba, 4, K_MI8, S_W, C_BT),
	F2("BTS r/m, imm8", 0xba, 5, K_MI8, S_W, C_BT),
	F2("BTR r/m, imm8", 0xba, 6, K_MI8, S_W, C_BT),
	F2("BTC r/m, imm8", 0xba, 7, K_MI8, S_W, C_BT),
	F2("BSF r, r/m", 0xbc, -1, K_RM, S_W, C_BSF),
	F2("BSR r, r/m", 0xbd, -1, K_RM, S_W, C_BSF),
	{"TZCNT r, r/m", {0x0f, 0xbc}, 2, -1, K_RM, S_W, C_CNT, 0xf3, 0, 0},
	{"LZCNT r, r/m", {0x0f, 0xbd}, 2, -1, K_RM, S_W, C_CNT, 0xf3, 0, 0},
	{"POPCNT r, r/m", {0x0f, 0xb8}, 2, -1, K_RM, S_W, C_ARITH, 0xf3, 0, 0},
	F2("CMPXCHG r/m8, r8", 0xb0, -1, K_MR, S8, C_ARITH),
	F2("CMPXCHG r/m, r", 0xb1, -1, K_MR, S_W, C_ARITH),
	F2("XADD r/m8, r8", 0xc0, -1, K_MR, S8, C_ARITH),
	F2("XADD r/m, r", 0xc1, -1, K_MR, S_W, C_ARITH),
	F1("XCHG r/m8, r8", 0x86, -1, K_MR, S8, C_NONE),
	F1("XCHG r/m, r", 0x87, -1, K_MR, S_W, C_NONE),
	F2("CMPXCHG8B/16B m", 0xc7, 1, K_MEMONLY, S32 | S64, C_NONE),
	F1("MOV r/m, r", 0x89, -1, K_MR, S_W, C_NONE),
	F1("MOV r, r/m", 0x8b, -1, K_RM, S_W, C_NONE),
	F1("LEA r, m", 0x8d, -1, K_RM, S_W, C_NONE),
	{"MOVZX r, r/m8", {0x0f, 0xb6}, 2, -1, K_RM, S_W, C_NONE, 0, 0, 0},
	{"MOVZX r, r/m16", {0x0f, 0xb7}, 2, -1, K_RM, S32 | S64, C_NONE, 0, 1, 0},
	{"MOVSX r, r/m8", {0x0f, 0xbe}, 2, -1, K_RM, S_W, C_NONE, 0, 0, 0},
	{"MOVSX r, r/m16", {0x0f, 0xbf}, 2, -1, K_RM, S32 | S64, C_NONE, 0, 1, 0},
	{"MOVSXD r, r/m32", {0x63}, 1, -1, K_RM, S64, C_NONE, 0, 2, 0},
	F2("BSWAP r", 0xc8, -1, K_OREG, S32 | S64, C_NONE),
	F1("CBW/CWDE/CDQE", 0x98, -1, K_NONE, S_W, C_NONE),
	F1("CWD/CDQ/CQO", 0x99, -1, K_NONE, S_W, C_NONE),
	F1("LAHF", 0x9f, -1, K_NONE, S32, C_NONE),
	F1("SAHF", 0x9e, -1, K_NONE, S32, C_NONE),
	F1("CMC", 0xf5, -1, K_NONE, S32, C_NONE),
	F1("CLC", 0xf8, -1, K_NONE, S32, C_NONE),
	F1("STC", 0xf9, -1, K_NONE, S32, C_NONE),
	F1("PUSH r", 0x50, -1, K_OREG, S64, C_NONE),
	F1("POP r", 0x58, -1, K_OREG, S64, C_NONE),
	F1("PUSH r/m", 0xff, 6, K_M, S64, C_NONE),
	F1("POP r/m", 0x8f, 0, K_M, S64, C_NONE),
	F1("PUSHFQ", 0x9c, -1, K_NONE, S64, C_NONE),
	{"ADCX r, r/m", {0x0f, 0x38, 0xf6}, 3, -1, K_RM, S32 | S64, C_NONE, 0x66, 0, FEAT_ADX},
	{"ADOX r, r/m", {0x0f, 0x38, 0xf6}, 3, -1, K_RM, S32 | S64, C_NONE, 0xf3, 0, FEAT_ADX},
	{"SETcc r/m8", {0x0f, 0x90}, 2, 0, K_M, S8, C_NONE, 0, 0, 0},
	{"CMOVcc r, r/m", {0x0f, 0x40}, 2, -1, K_RM, S_W, C_NONE, 0, 0, 0},
	VEX("ANDN r, v, r/m", 2, 0xf2, 0, -1, K_VEX, C_BMI, FEAT_BMI1),
	VEX("BEXTR r, r/m, v", 2, 0xf7, 0, -1, K_VEX, C_BEXTR, FEAT_BMI1),
	VEX("BLSR v, r/m", 2, 0xf3, 0, 1, K_VEX, C_BMI, FEAT_BMI1),
	VEX("BLSMSK v, r/m", 2, 0xf3, 0, 2, K_VEX, C_BMI, FEAT_BMI1),
	VEX("BLSI v, r/m", 2, 0xf3, 0, 3, K_VEX, C_BMI, FEAT_BMI1),
	VEX("BZHI r, r/m, v", 2, 0xf5, 0, -1, K_VEX, C_BMI, FEAT_BMI2),
	VEX("PDEP r, v, r/m", 2, 0xf5, 3, -1, K_VEX, C_NONE, FEAT_BMI2),
	VEX("PEXT r, v, r/m", 2, 0xf5, 2, -1, K_VEX, C_NONE, FEAT_BMI2),
	VEX("MULX r, v, r/m", 2, 0xf6, 3, -1, K_VEX, C_NONE, FEAT_BMI2),
	VEX("SARX r, r/m, v", 2, 0xf7, 2, -1, K_VEX, C_NONE, FEAT_BMI2),
	VEX("SHLX r, r/m, v", 2, 0xf7, 1, -1, K_VEX, C_NONE, FEAT_BMI2),
	VEX("SHRX r, r/m, v", 2, 0xf7, 3, -1, K_VEX, C_NONE, FEAT_BMI2),
	VEX("RORX r, r/m, imm8", 3, 0xf0, 3, -1, K_VEXI8, C_NONE, FEAT_BMI2),
	{"MOVBE r, m", {0x0f, 0x38, 0xf0}, 3, -1, K_RM, S_W, C_NONE, 0, 0, 0},
	{"MOVBE m, r", {0x0f, 0x38, 0xf1}, 3, -1, K_MR, S_W, C_NONE, 0, 0, 0},
	F1("MOVSB", 0xa4, -1, K_STR, S8, C_NONE),
	F1("MOVS", 0xa5, -1, K_STR, S_W, C_NONE),
	F1("STOSB", 0xaa, -1, K_STR, S8, C_NONE),
	F1("STOS", 0xab, -1, K_STR, S_W, C_NONE),
	F1("LODSB", 0xac, -1, K_STR, S8, C_NONE),
	F1("LODS", 0xad, -1, K_STR, S_W, C_NONE),
	F1("CMPSB", 0xa6, -1, K_STR, S8, C_ARITH),
	F1("CMPS", 0xa7, -1, K_STR, S_W, C_ARITH),
	F1("SCASB", 0xae, -1, K_STR, S8, C_ARITH),
	F1("SCAS", 0xaf, -1, K_STR, S_W, C_ARITH),
};

#define NFORMS (sizeof(forms) / sizeof(forms[0]))

unsigned oc_form_count(void)
{
	return NFORMS;
}

const char *oc_form_name(unsigned form)
{
	return form < NFORMS ? forms[form].name : "?";
}

/* splitmix64 */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(uint64_t *s, unsigned n)
{
	return (unsigned)(rnd(s) % n);
}

static const uint64_t edges[] = {
	0, 1, 2, 3, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000, 0x8001, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x100000000ull,
	0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
	0xffffffffffffffffull, 0xfffffffffffffffeull, 0xffffffff80000000ull, 0xffffffffffff8000ull,
	0xffffffffffffff80ull, 0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull, 0x0f0f0f0f0f0f0f0full,
};

static uint64_t value(uint64_t *s)
{
	switch (below(s, 6)) {
	case 0: case 1:
		return edges[below(s, sizeof(edges) / sizeof(edges[0]))];
	case 2:
		return rnd(s) & 0xff;
	case 3:
		return edges[below(s, sizeof(edges) / sizeof(edges[0]))] ^ (1ull << below(s, 64));
	default:
		return rnd(s);
	}
}

static uint8_t count8(uint64_t *s, unsigned bits)
{
	static const uint8_t counts[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255};

	if (below(s, 3) == 0)
		return (uint8_t)rnd(s);
	if (below(s, 4) == 0)
		return (uint8_t)(bits - 1 + below(s, 3));
	return counts[below(s, sizeof(counts))];
}

void oc_mem_init(const struct oc_case *c, uint8_t *page)
{
	uint64_t s = c->mem_seed;

	for (unsigned i = 0; i < OC_PAGE; i += 8) {
		uint64_t v = below(&s, 4) == 0 ? edges[below(&s, sizeof(edges) / sizeof(edges[0]))]
		                               : rnd(&s);
		memcpy(page + i, &v, 8);
	}
	if (c->poke_len)
		memcpy(page + c->poke_off, c->poke, c->poke_len);
}

/* Where a memory operand points: mostly inside the page, sometimes across
 * its end or before it (#PF), sometimes non-canonical (#GP). */
static uint64_t mem_address(uint64_t *s, unsigned size, unsigned margin, bool compat)
{
	switch (below(s, 32)) {
	case 0:
		return OC_DATA + OC_PAGE - size + 1 + below(s, size);   /* crosses the end */
	case 1:
		return OC_DATA - 1 - below(s, 8);                        /* page before */
	case 2:   /* non-canonical; in compatibility mode an unmapped page */
		return compat ? OC_DATA + 2 * OC_PAGE : 0x8000000000000000ull | OC_DATA;
	default:
		if (below(s, 2))
			return OC_DATA + margin + (below(s, OC_PAGE - 2 * margin) & ~(uint64_t)(size - 1));
		return OC_DATA + margin + below(s, OC_PAGE - 2 * margin);
	}
}

struct enc {
	uint8_t *p;
	uint8_t rex;
};

static unsigned lg_of(unsigned size)
{
	return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

/* RFLAGS bits and destination the SDM leaves undefined (Vol. 2, each
 * instruction's "Flags Affected" and "Operation"). */
static void undef_flags(struct oc_case *c, const struct form *f, unsigned size, unsigned cnt,
                        uint64_t src, int dst_reg, int dst_mem)
{
	unsigned bits = size * 8;
	unsigned mcnt = cnt & (size == 8 ? 63 : 31);

	c->undef_flags = 0;
	switch (f->cls) {
	case C_LOGIC:
		c->undef_flags = 0x10;
		break;
	case C_MUL:
		c->undef_flags = 0xd4;
		break;
	case C_DIV:
		c->undef_flags = 0x8d5;
		break;
	case C_SHL: case C_SHR: case C_SAR:
		/* SAL/SAR/SHL/SHR: count 0 affects no flags; AF undefined for a
		 * nonzero count; OF only defined for 1-bit shifts; CF undefined
		 * for SHL/SHR when count >= the operand width. */
		if (mcnt) {
			c->undef_flags = 0x10;
			if (mcnt != 1)
				c->undef_flags |= 0x800;
			if (f->cls != C_SAR && mcnt >= bits)
				c->undef_flags |= 0x1;
		}
		break;
	case C_ROT:
		/* RCL/RCR/ROL/ROR: OF only defined for 1-bit rotates. */
		if (mcnt > 1)
			c->undef_flags = 0x800;
		break;
	case C_SHXD:
		/* SHLD/SHRD: count 0 affects nothing; count > operand size:
		 * destination and flags undefined; AF undefined; OF only for
		 * 1-bit shifts. */
		if (mcnt > bits) {
			c->undef_flags = 0x8d5;
			c->undef_reg = (int8_t)dst_reg;
			c->undef_reg_lg = (uint8_t)lg_of(size);
			if (dst_mem >= 0) {
				c->undef_mem_off = (int16_t)dst_mem;
				c->undef_mem_len = (uint8_t)size;
			}
		} else if (mcnt) {
			c->undef_flags = 0x10;
			if (mcnt != 1)
				c->undef_flags |= 0x800;
		}
		break;
	case C_BT:
		c->undef_flags = 0x8d4;
		break;
	case C_BSF:
		c->undef_flags = 0x8d5 & ~0x40u;
		if ((src & (bits == 64 ? ~0ull : (1ull << bits) - 1)) == 0) {
			c->undef_reg = (int8_t)dst_reg;
			c->undef_reg_lg = (uint8_t)lg_of(size);
		}
		break;
	case C_CNT:
		c->undef_flags = 0x8d4;
		break;
	case C_BMI:
		c->undef_flags = 0x14;
		break;
	case C_BEXTR:
		c->undef_flags = 0x94;
		break;
	default:
		break;
	}
}

/* Legacy encoding: REP/REPE/REPNE for string forms, 66, the mandatory
 * prefix, REX (W for 64-bit operands, R and B for r8-r15; sometimes an
 * empty REX, which turns AH..BH into SPL..DIL), the opcode (with the
 * register in its low bits for K_OREG). */
static uint8_t *emit_legacy(uint8_t *p, const struct form *f, const uint8_t *opc, unsigned size,
                            int reg, int rm, bool rex_any, bool addr32, uint64_t *s)
{
	uint8_t rex = 0;

	/* LOCK now and then: legal only on the lockable read-modify-write
	 * forms with a memory destination, #UD everywhere else (SDM Vol. 2
	 * "LOCK"). */
	if (below(s, 16) == 0)
		*p++ = 0xf0;
	if (addr32)
		*p++ = 0x67;

	if (f->kind == K_STR) {
		unsigned r = below(s, 3);

		if (r == 1)
			*p++ = 0xf3;
		else if (r == 2)
			*p++ = f->cls == C_ARITH ? 0xf2 : 0xf3;   /* REPNE: CMPS/SCAS only */
	}
	if (size == 2 && f->prefix != 0x66)
		*p++ = 0x66;
	if (f->prefix)
		*p++ = f->prefix;
	/* PUSH/POP/PUSHFQ are 64-bit without REX.W; MOVSXD needs it. */
	if (size == 8 && (f->sizes != S64 || f->op[0] == 0x63))
		rex |= 8;
	if (reg >= 8 && f->ext < 0)
		rex |= 4;
	if (rm >= 8)
		rex |= 1;
	if (rex || rex_any)
		*p++ = (uint8_t)(0x40 | rex);
	memcpy(p, opc, f->oplen);
	if (f->kind == K_OREG)
		p[f->oplen - 1] = (uint8_t)(p[f->oplen - 1] + (rm & 7));
	return p + f->oplen;
}

/* Forms that do not exist in compatibility mode: MOVSXD (63 is ARPL). */
static bool compat_form(const struct form *f)
{
	return f->op[0] != 0x63;
}

void oc_generate(struct oc_case *c, uint64_t seed, uint64_t index, bool compat)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull ^ (index + 1) * 0xd1b54a32d192ed03ull;
	unsigned form = (unsigned)(index % NFORMS);
	const struct form *f;
	unsigned sizes[4], nsizes = 0, size, cnt = 0, nregs = compat ? 8 : 16;
	uint8_t *p = c->code;
	int reg = -1, rm = -1, base = -1, dst_reg = -1, dst_mem = -1, vvvv = -1;
	bool memop = false, rex_any = !compat && below(&s, 2) == 0, addr32 = false;
	uint8_t opc[3];
	uint64_t src = 0, addr = 0;

	while (compat && !compat_form(&forms[form]))
		form = (form + 1) % NFORMS;
	f = &forms[form];
	memset(c, 0, sizeof(*c));
	c->index = index;
	c->compat = compat;
	c->feat = f->feat;
	c->cls = f->cls;
	c->form = (uint16_t)form;
	c->undef_reg = -1;
	c->undef_mem_off = -1;
	c->mem_seed = rnd(&s);
	for (unsigned i = 0; i < 16; i++)
		c->gpr[i] = compat ? (uint32_t)value(&s) : value(&s);
	c->gpr[4] = OC_DATA + 0x800;   /* RSP: in the data page */
	c->rflags = 0x202 | (rnd(&s) & OC_FLAGS);
	if (f->kind != K_STR && below(&s, 2))
		c->rflags &= ~0x400ull;

	for (unsigned b = 0; b < 4; b++)
		if ((f->sizes & (1u << b)) && !(compat && b == 3))
			sizes[nsizes++] = 1u << b;
	/* PUSH/POP/PUSHFQ: the stack width, 4 in compatibility mode */
	size = nsizes ? sizes[below(&s, nsizes)] : 4;
	memcpy(opc, f->op, 3);

	/* operands */
	switch (f->kind) {
	case K_MR: case K_RM: case K_MI8: case K_MIZ: case K_M: case K_MCL:
	case K_MRI8: case K_MRCL: case K_RMIZ: case K_MEMONLY: case K_VEX: case K_VEXI8:
		reg = f->ext >= 0 ? f->ext : (int)below(&s, nregs);
		memop = f->kind == K_MEMONLY || below(&s, 2) == 0 || !strncmp(f->name, "LEA", 3) ||
		        !strncmp(f->name, "MOVBE", 5);
		if (memop) {
			do
				base = (int)below(&s, nregs);
			while ((base & 7) == 4 || (f->cls == C_BT && f->kind == K_MR && base == reg) ||
			       ((f->kind == K_MCL || f->kind == K_MRCL) && base == 1));
			rm = base;
		} else {
			rm = (int)below(&s, nregs);
		}
		break;
	case K_OREG:
		rm = (int)below(&s, nregs);
		if (rm == 4 && f->op[0] == 0x58)
			rm = 3;
		break;
	default:
		break;
	}
	if (!strncmp(f->name, "SETcc", 5) || !strncmp(f->name, "CMOVcc", 6))
		opc[f->oplen - 1] = (uint8_t)(opc[f->oplen - 1] + below(&s, 16));

	if (f->kind == K_VEX || f->kind == K_VEXI8) {
		/* C4 [R X B m-mmmm] [W vvvv L pp], all of R X B vvvv inverted. */
		vvvv = (int)below(&s, nregs);
		if (f->kind == K_VEXI8 && below(&s, 4))
			vvvv = 0;   /* RORX has no vvvv operand: anything but 1111b is #UD */
		*p++ = 0xc4;
		*p++ = (uint8_t)((reg >= 8 && f->ext < 0 ? 0 : 0x80) | 0x40 | (rm >= 8 ? 0 : 0x20) |
		                 f->op[0]);
		*p++ = (uint8_t)((size == 8 ? 0x80 : 0) | ((~vvvv & 15) << 3) | f->op[2]);
		*p++ = f->op[1];
	} else {
		addr32 = memop && !compat && below(&s, 8) == 0;
		p = emit_legacy(p, f, opc, size, reg, rm, rex_any, addr32, &s);
		if (f->kind == K_OREG)
			dst_reg = rm;
	}

	unsigned access = size;
	if (f->src_lg || !strncmp(f->name, "MOVZX r, r/m8", 13) || !strncmp(f->name, "MOVSX r, r/m8", 13))
		access = 1u << f->src_lg;
	if (f->kind == K_MEMONLY)
		access = size * 2;
	if (reg >= 0 || rm >= 0) {
		if (f->kind != K_OREG) {
			int8_t disp = (int8_t)(below(&s, 4) == 0 ? (int)below(&s, 256) - 128 : 0);
			unsigned margin = 128;

			*p++ = (uint8_t)((memop ? 0x40 : 0xc0) | ((reg & 7) << 3) | (rm & 7));
			if (memop) {
				*p++ = (uint8_t)disp;
				addr = mem_address(&s, access, margin, compat);
				if (f->kind == K_MEMONLY && below(&s, 4))
					addr &= ~(uint64_t)(access - 1);   /* mostly aligned */
				if (addr32)   /* 67: the address is truncated to 32 bits */
					addr = (uint32_t)addr;
				c->gpr[base] = addr - (uint64_t)(int64_t)disp;
				if (addr32)   /* ... so the base's upper half must not matter */
					c->gpr[base] = (uint32_t)c->gpr[base] | (rnd(&s) << 32);
				if (addr >= OC_DATA && addr < OC_DATA + OC_PAGE)
					dst_mem = (int)(addr - OC_DATA);
			}
		}
	}

	/* immediates and counts */
	switch (f->kind) {
	case K_MI8: case K_MRI8: case K_AI8: case K_VEXI8: {
		uint8_t imm;

		if (f->cls == C_SHL || f->cls == C_SHR || f->cls == C_SAR || f->cls == C_ROT ||
		    f->cls == C_SHXD || f->kind == K_VEXI8)
			imm = count8(&s, size * 8);
		else if (f->cls == C_BT)
			imm = below(&s, 2) ? (uint8_t)below(&s, size * 8) : (uint8_t)rnd(&s);
		else
			imm = (uint8_t)value(&s);
		*p++ = imm;
		cnt = imm;
		break;
	}
	case K_MIZ: case K_AIZ: case K_RMIZ: {
		uint64_t v = value(&s);

		memcpy(p, &v, size == 2 ? 2 : 4);
		p += size == 2 ? 2 : 4;
		break;
	}
	case K_MCL: case K_MRCL:
		cnt = count8(&s, size * 8);
		c->gpr[1] = (c->gpr[1] & ~0xffull) | cnt;
		break;
	case K_M:
		if (f->cls == C_SHL || f->cls == C_SHR || f->cls == C_SAR || f->cls == C_ROT)
			cnt = 1;
		break;
	default:
		break;
	}
	c->len = (uint8_t)(p - c->code);

	/* form-specific state */
	if (f->cls == C_BT && f->kind == K_MR && memop) {
		/* BT m, r: the bit offset is a signed register value; keep the
		 * addressed word near the operand. */
		c->gpr[reg] = (uint64_t)((int64_t)below(&s, 1024) - 512);
	}
	if (f->cls == C_DIV && !memop && below(&s, 2)) {
		/* Mostly no overflow: high half below the divisor. */
		uint64_t d = c->gpr[rm] & (size == 8 ? ~0ull : (1ull << (8 * size)) - 1);

		if (d != 0) {
			if (size == 1)
				c->gpr[0] = (c->gpr[0] & ~0xff00ull) |
				            ((uint64_t)(below(&s, 256) % d) << 8);
			else
				c->gpr[2] = rnd(&s) % d;
		} else {
			c->gpr[2] = 0;
			c->gpr[0] &= ~0xff00ull;
		}
	}
	if ((!strncmp(f->name, "CMPXCHG", 7)) && below(&s, 2)) {
		/* Make the comparison succeed half the time. */
		if (f->kind == K_MEMONLY) {
			if (dst_mem >= 0 && dst_mem + (int)access <= (int)OC_PAGE) {
				c->poke_off = (uint16_t)dst_mem;
				c->poke_len = (uint8_t)access;
				memcpy(c->poke, &c->gpr[0], access / 2);
				memcpy(c->poke + access / 2, &c->gpr[2], access / 2);
			}
		} else if (memop) {
			if (dst_mem >= 0 && dst_mem + (int)size <= (int)OC_PAGE) {
				c->poke_off = (uint16_t)dst_mem;
				c->poke_len = (uint8_t)size;
				memcpy(c->poke, &c->gpr[0], size);
			}
		} else if (rm != 0) {
			c->gpr[0] = c->gpr[rm];
		}
	}
	if (f->kind == K_STR) {
		bool down = c->rflags & 0x400;
		unsigned r = below(&s, 8);

		c->gpr[6] = OC_DATA + (down ? 0x800 + below(&s, 0x700) : below(&s, 0x700));
		c->gpr[7] = OC_DATA + (down ? 0x800 + below(&s, 0x700) : below(&s, 0x700));
		if (r == 0)   /* runs off the end of the page (or its start) */
			c->gpr[7] = down ? OC_DATA + below(&s, 64) : OC_DATA + OC_PAGE - below(&s, 64);
		if (r == 1)
			c->gpr[6] = down ? OC_DATA + below(&s, 64) : OC_DATA + OC_PAGE - below(&s, 64);
		c->gpr[1] = below(&s, 4) == 0 ? 0 : below(&s, 40);
		if (f->op[0] == 0xae || f->op[0] == 0xaf)
			c->gpr[0] = below(&s, 2) ? 0 : c->gpr[0];
	}
	if (!strncmp(f->name, "POP r", 5) || !strncmp(f->name, "PUSH", 4)) {
		if (below(&s, 16) == 0)
			c->gpr[4] = below(&s, 2) ? OC_DATA + 4 : OC_DATA + OC_PAGE + 4;
	}

	if (f->kind == K_RM || f->kind == K_RMIZ || f->kind == K_MRI8 || f->kind == K_VEXI8 ||
	    (f->kind == K_VEX && f->ext < 0))
		dst_reg = reg;
	else if (f->kind == K_VEX)
		dst_reg = vvvv;
	else if (!memop && rm >= 0)
		dst_reg = rm;
	if (f->cls == C_BSF)
		src = memop ? 1 : c->gpr[rm];
	if (f->cls == C_BSF && memop && dst_mem >= 0 && dst_mem + (int)size <= (int)OC_PAGE) {
		/* Read the source from the initial page. */
		uint8_t page[OC_PAGE];

		oc_mem_init(c, page);
		src = 0;
		memcpy(&src, page + dst_mem, size);
		dst_mem = -1;
	}
	if (f->kind == K_MRI8 && f->cls == C_SHXD)
		dst_reg = memop ? -1 : rm;
	undef_flags(c, f, size, cnt, src, dst_reg, f->cls == C_SHXD ? dst_mem : -1);
}
