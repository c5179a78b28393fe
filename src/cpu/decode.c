/* The Capstone edge: one cs_insn per mode, reused; each decoded instruction
 * is translated into the project's own struct insn and Capstone is not
 * consulted again for it.  Workarounds for Capstone 4.0.2 decoding
 * mistakes live here, each with a unit test. */
#include "decode.h"

#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "fast.h"
#include "ops.h"

struct decoder {
	csh cs[3];        /* 16-, 32- and 64-bit */
	cs_insn *ci[3];
};

static int mode_index(unsigned code_size)
{
	return code_size == 2 ? 0 : code_size == 4 ? 1 : 2;
}

struct decoder *decode_new(void)
{
	static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
	struct decoder *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	for (int i = 0; i < 3; i++) {
		if (cs_open(CS_ARCH_X86, modes[i], &d->cs[i]) != CS_ERR_OK) {
			decode_free(d);
			return NULL;
		}
		cs_option(d->cs[i], CS_OPT_DETAIL, CS_OPT_ON);
		d->ci[i] = cs_malloc(d->cs[i]);
		if (!d->ci[i]) {
			decode_free(d);
			return NULL;
		}
	}
	return d;
}

void decode_free(struct decoder *d)
{
	if (!d)
		return;
	for (int i = 0; i < 3; i++) {
		if (d->ci[i])
			cs_free(d->ci[i], 1);
		if (d->cs[i])
			cs_close(&d->cs[i]);
	}
	free(d);
}

const char *decode_mnemonic(struct decoder *d, unsigned id)
{
	const char *n = d ? cs_insn_name(d->cs[2], id) : NULL;

	return n ? n : "";
}

static unsigned lg_of(unsigned bytes)
{
	switch (bytes) {
	case 1: return 0;
	case 2: return 1;
	case 4: return 2;
	case 8: return 3;
	default: return 4;
	}
}

/* Capstone register -> operand kind, number and size. */
struct regmap {
	uint8_t kind, num, lg;
};

static struct regmap map_reg(x86_reg r)
{
	static const struct { x86_reg r; uint8_t num, lg; } gprs[] = {
		{ X86_REG_AL, 0, 0 }, { X86_REG_CL, 1, 0 }, { X86_REG_DL, 2, 0 }, { X86_REG_BL, 3, 0 },
		{ X86_REG_SPL, 4, 0 }, { X86_REG_BPL, 5, 0 }, { X86_REG_SIL, 6, 0 }, { X86_REG_DIL, 7, 0 },
		{ X86_REG_R8B, 8, 0 }, { X86_REG_R9B, 9, 0 }, { X86_REG_R10B, 10, 0 }, { X86_REG_R11B, 11, 0 },
		{ X86_REG_R12B, 12, 0 }, { X86_REG_R13B, 13, 0 }, { X86_REG_R14B, 14, 0 }, { X86_REG_R15B, 15, 0 },
		{ X86_REG_AX, 0, 1 }, { X86_REG_CX, 1, 1 }, { X86_REG_DX, 2, 1 }, { X86_REG_BX, 3, 1 },
		{ X86_REG_SP, 4, 1 }, { X86_REG_BP, 5, 1 }, { X86_REG_SI, 6, 1 }, { X86_REG_DI, 7, 1 },
		{ X86_REG_R8W, 8, 1 }, { X86_REG_R9W, 9, 1 }, { X86_REG_R10W, 10, 1 }, { X86_REG_R11W, 11, 1 },
		{ X86_REG_R12W, 12, 1 }, { X86_REG_R13W, 13, 1 }, { X86_REG_R14W, 14, 1 }, { X86_REG_R15W, 15, 1 },
		{ X86_REG_EAX, 0, 2 }, { X86_REG_ECX, 1, 2 }, { X86_REG_EDX, 2, 2 }, { X86_REG_EBX, 3, 2 },
		{ X86_REG_ESP, 4, 2 }, { X86_REG_EBP, 5, 2 }, { X86_REG_ESI, 6, 2 }, { X86_REG_EDI, 7, 2 },
		{ X86_REG_R8D, 8, 2 }, { X86_REG_R9D, 9, 2 }, { X86_REG_R10D, 10, 2 }, { X86_REG_R11D, 11, 2 },
		{ X86_REG_R12D, 12, 2 }, { X86_REG_R13D, 13, 2 }, { X86_REG_R14D, 14, 2 }, { X86_REG_R15D, 15, 2 },
		{ X86_REG_RAX, 0, 3 }, { X86_REG_RCX, 1, 3 }, { X86_REG_RDX, 2, 3 }, { X86_REG_RBX, 3, 3 },
		{ X86_REG_RSP, 4, 3 }, { X86_REG_RBP, 5, 3 }, { X86_REG_RSI, 6, 3 }, { X86_REG_RDI, 7, 3 },
		{ X86_REG_R8, 8, 3 }, { X86_REG_R9, 9, 3 }, { X86_REG_R10, 10, 3 }, { X86_REG_R11, 11, 3 },
		{ X86_REG_R12, 12, 3 }, { X86_REG_R13, 13, 3 }, { X86_REG_R14, 14, 3 }, { X86_REG_R15, 15, 3 },
	};
	struct regmap m = { OPK_OTHER, 0, 0 };

	switch (r) {
	case X86_REG_AH: return (struct regmap){ OPK_REG8H, 0, 0 };
	case X86_REG_CH: return (struct regmap){ OPK_REG8H, 1, 0 };
	case X86_REG_DH: return (struct regmap){ OPK_REG8H, 2, 0 };
	case X86_REG_BH: return (struct regmap){ OPK_REG8H, 3, 0 };
	case X86_REG_ES: return (struct regmap){ OPK_SREG, SEG_ES, 1 };
	case X86_REG_CS: return (struct regmap){ OPK_SREG, SEG_CS, 1 };
	case X86_REG_SS: return (struct regmap){ OPK_SREG, SEG_SS, 1 };
	case X86_REG_DS: return (struct regmap){ OPK_SREG, SEG_DS, 1 };
	case X86_REG_FS: return (struct regmap){ OPK_SREG, SEG_FS, 1 };
	case X86_REG_GS: return (struct regmap){ OPK_SREG, SEG_GS, 1 };
	case X86_REG_RIP: case X86_REG_EIP: case X86_REG_IP:
		return (struct regmap){ OPK_OTHER, MEMREG_RIP, 3 };
	default: break;
	}
	if (r >= X86_REG_CR0 && r <= X86_REG_CR15)
		return (struct regmap){ OPK_CR, (uint8_t)(r - X86_REG_CR0), 3 };
	if (r >= X86_REG_DR0 && r <= X86_REG_DR15)
		return (struct regmap){ OPK_DR, (uint8_t)(r - X86_REG_DR0), 3 };
	for (size_t i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
		if (gprs[i].r == r)
			return (struct regmap){ OPK_REG, gprs[i].num, gprs[i].lg };
	return m;
}

static uint8_t mem_reg(x86_reg r)
{
	struct regmap m;

	if (r == X86_REG_INVALID || r == X86_REG_EIZ || r == X86_REG_RIZ)
		return MEMREG_NONE;
	m = map_reg(r);
	if (m.kind == OPK_OTHER && m.num == MEMREG_RIP)
		return MEMREG_RIP;
	return m.kind == OPK_REG ? m.num : MEMREG_NONE;
}

static uint8_t seg_of_prefix(uint8_t p)
{
	switch (p) {
	case 0x26: return SEG_ES;
	case 0x2e: return SEG_CS;
	case 0x36: return SEG_SS;
	case 0x3e: return SEG_DS;
	case 0x64: return SEG_FS;
	case 0x65: return SEG_GS;
	default: return SEG_NONE;
	}
}

/* Relative branches: opcodes E0-E3 (LOOPcc, JrCXZ), E8 (CALL), E9/EB (JMP),
 * 70-7F and 0F 80-8F (Jcc).  Their displacement is read from the raw
 * immediate bytes rather than from Capstone's computed target, which is
 * truncated differently per mode. */
static bool is_rel_branch(const cs_x86 *x)
{
	uint8_t o = x->opcode[0];

	if (o == 0x0f)
		return (x->opcode[1] & 0xf0) == 0x80;
	return (o >= 0x70 && o <= 0x7f) || (o >= 0xe0 && o <= 0xe3) || o == 0xe8 || o == 0xe9 ||
	       o == 0xeb;
}

/* Capstone 4.0.2 rejects the register forms (mod = 11) of most of the
 * hint-NOP space 0F 19-0F 1F, and of 0F 18 /4-/7, which the SDM defines
 * as NOP r/m16/32 ("NOP", and Table A-3's reserved NOPs).  Returns the
 * length of such an instruction at bytes[0..n) -- legacy prefixes other
 * than LOCK, one REX in 64-bit mode, then 0F xx ModR/M -- or 0.  Tested in
 * test_msr.c (hints_retire). */
static unsigned hint_nop_len(const uint8_t *bytes, size_t n, unsigned code_size)
{
	unsigned i = 0;

	while (i < n && i < 12 &&
	       (bytes[i] == 0x66 || bytes[i] == 0x67 || bytes[i] == 0xf2 || bytes[i] == 0xf3 ||
	        bytes[i] == 0x26 || bytes[i] == 0x2e || bytes[i] == 0x36 || bytes[i] == 0x3e ||
	        bytes[i] == 0x64 || bytes[i] == 0x65))
		i++;
	if (code_size == 8 && i < n && (bytes[i] & 0xf0) == 0x40)
		i++;
	if (i + 3 > n || bytes[i] != 0x0f || (bytes[i + 2] & 0xc0) != 0xc0)
		return 0;
	if (bytes[i + 1] >= 0x19 && bytes[i + 1] <= 0x1f)
		return i + 3;
	if (bytes[i + 1] == 0x18 && ((bytes[i + 2] >> 3) & 7) >= 4)
		return i + 3;
	return 0;
}

static int64_t raw_imm(const uint8_t *bytes, unsigned off, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, bytes + off, size);
	switch (size) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	case 4: return (int32_t)v;
	default: return (int64_t)v;
	}
}

/* SDM Vol. 2 §2.3.2: a VEX-encoded instruction preceded by 66H, F2H, F3H,
 * F0H or REX is #UD.  Capstone 4.0.2 accepts 66/F2/F3 there (dropping F2
 * and F3 from its prefix list), so the raw bytes are checked.  Segment
 * overrides and 67H are allowed. */
static bool vex_after_bad_prefix(const cs_insn *ci, const uint8_t *bytes)
{
	bool bad = false;
	unsigned i = 0;

	if (ci->id == X86_INS_LES || ci->id == X86_INS_LDS)
		return false;
	for (; i < ci->size; i++) {
		uint8_t b = bytes[i];

		if (b == 0x66 || b == 0xf2 || b == 0xf3 || b == 0xf0)
			bad = true;
		else if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e && b != 0x64 &&
		         b != 0x65 && b != 0x67)
			break;
	}
	return bad && i < ci->size && (bytes[i] == 0xc4 || bytes[i] == 0xc5);
}

/* Capstone 4.0.2 decodes F3 0F BC/BD as BSF/BSR in 16-bit mode, and in
 * every mode when F3 comes before 66.  F3 is the mandatory prefix of TZCNT
 * and LZCNT (SDM Vol. 2 "TZCNT", "LZCNT") wherever it sits among the
 * legacy prefixes; the operands Capstone reports are the same. */
static unsigned fix_bit_scan_id(const cs_insn *ci, const uint8_t *bytes)
{
	bool f3 = false;

	if (ci->id != X86_INS_BSF && ci->id != X86_INS_BSR)
		return ci->id;
	for (unsigned i = 0; i < ci->size && bytes[i] != 0x0f; i++)
		if (bytes[i] == 0xf3)
			f3 = true;
	if (!f3)
		return ci->id;
	return ci->id == X86_INS_BSF ? X86_INS_TZCNT : X86_INS_LZCNT;
}

/* RDRAND and RDSEED are "NFx 0F C7 /6" and "NFx 0F C7 /7" (SDM Vol. 2B
 * "RDRAND", "RDSEED": #UD "If the F2H or F3H prefix is used").  Capstone
 * 4.0.2 drops an F2 or F3 there and still reports RDRAND/RDSEED, although
 * F3 0F C7 /6 (register form) is SENDUIPI, F3 0F C7 /7 is RDPID and the F2
 * forms are undefined; softvtx implements none of them, so the record
 * becomes #UD (and, being #UD, never a VM exit).  Every byte before the
 * 0F escape is a prefix.  Tested in test_wait_rand.c. */
static bool rand_with_f2_f3(const cs_insn *ci, const uint8_t *bytes)
{
	if (ci->id != X86_INS_RDRAND && ci->id != X86_INS_RDSEED)
		return false;
	for (unsigned i = 0; i < ci->size && bytes[i] != 0x0f; i++)
		if (bytes[i] == 0xf2 || bytes[i] == 0xf3)
			return true;
	return false;
}

static bool legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
}

/* LOCK, REPNE and REP are all group-1 prefixes and Capstone 4.0.2 keeps
 * only the last of them in prefix[0], so F0 F3 0F BC (LOCK TZCNT) or
 * F0 F3 A4 (LOCK REP MOVSB) lose their LOCK and run instead of raising
 * #UD (SDM Vol. 2 "LOCK": #UD unless the instruction is lockable with a
 * memory destination).  Found by the silicon oracle (diff-native); tested
 * in test_lock_prefix.c.  The legacy prefixes are scanned for F0. */
static bool lock_among_prefixes(const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len && legacy_prefix(bytes[i]); i++)
		if (bytes[i] == 0xf0)
			return true;
	return false;
}

/* Capstone rejects anything longer than 15 bytes.  To tell "too long"
 * (#GP(0)) from "invalid" (#UD), drop leading prefixes that occur again
 * later in the prefix run -- repeating a prefix changes nothing -- and see
 * whether what remains decodes to an instruction that, with the dropped
 * bytes, is longer than 15. */
static bool too_long(struct decoder *d, const uint8_t *bytes, size_t n, unsigned code_size)
{
	int mi = mode_index(code_size);
	size_t run = 0, skip = 0;

	while (run < n && run < 32 && legacy_prefix(bytes[run]))
		run++;
	while (skip < run) {
		bool again = false;

		for (size_t j = skip + 1; j < run; j++)
			again |= bytes[j] == bytes[skip];
		if (!again)
			break;
		skip++;
	}
	if (skip == 0) {
		return false;
	} else {
		const uint8_t *code = bytes + skip;
		size_t size = n - skip < 15 ? n - skip : 15;
		uint64_t addr = 0;

		return cs_disasm_iter(d->cs[mi], &code, &size, &addr, d->ci[mi]) &&
		       skip + d->ci[mi]->size > 15;
	}
}

int decode_one(struct decoder *d, const uint8_t *bytes, size_t n, unsigned code_size,
               struct insn *out)
{
	int mi = mode_index(code_size);
	cs_insn *ci = d->ci[mi];
	const uint8_t *code = bytes;
	size_t size = n > 15 ? 15 : n;
	uint64_t addr = 0;
	const cs_x86 *x;
	const struct opdesc *od;
	unsigned nimm = 0, dsize;

	memset(out, 0, sizeof(*out));
	if (!cs_disasm_iter(d->cs[mi], &code, &size, &addr, ci)) {
		unsigned hl = hint_nop_len(bytes, n, code_size);

		if (hl) {
			out->id = X86_INS_NOP;
			out->fn = op_nop;
			out->len = (uint8_t)hl;
			out->cost = C_ALU;
			out->asize = out->dsize = out->opsize = (uint8_t)lg_of(code_size);
			out->sreg_ovr = SEG_NONE;
			return DEC_OK;
		}
		if (n < 15)
			return DEC_NEED_MORE;
		if (too_long(d, bytes, n, code_size)) {
			/* SDM Vol. 2 §2.3.11: more than 15 bytes is #GP(0). */
			out->fn = op_too_long;
			out->len = 1;
			out->cost = C_INT;
			out->flags = F_ENDBLK;
			return DEC_INVALID;
		}
		out->fn = op_invalid;
		out->len = 1;
		out->cost = C_INT;
		out->flags = F_ENDBLK;
		return DEC_INVALID;
	}
	x = &ci->detail->x86;
	out->id = (uint16_t)ci->id;
	out->len = (uint8_t)ci->size;
	out->asize = (uint8_t)lg_of(x->addr_size ? x->addr_size : code_size);
	out->rep = (x->prefix[0] == 0xf3 || x->prefix[0] == 0xf2) ? x->prefix[0] : 0;
	out->lock = x->prefix[0] == 0xf0 || lock_among_prefixes(bytes, ci->size);
	out->sreg_ovr = seg_of_prefix(x->prefix[1]);
	out->opc0f = x->opcode[0] == 0x0f;
	out->opc = out->opc0f ? x->opcode[1] : x->opcode[0];
	out->modrm = x->modrm;
	out->cc = out->opc & 0xf;
	out->mem.seg = SEG_DS;
	out->mem.base = out->mem.index = MEMREG_NONE;

	/* Operand size from the prefixes (SDM Vol. 1 §3.6): REX.W forces 64,
	 * otherwise 66h toggles the code segment's default of 16 or 32. */
	dsize = code_size == 2 ? 2 : 4;
	if (x->prefix[2] == 0x66)
		dsize = dsize == 2 ? 4 : 2;
	if (code_size == 8 && (x->rex & 8))
		dsize = 8;
	out->dsize = (uint8_t)lg_of(dsize);
	out->opsize = out->dsize;

	for (unsigned i = 0; i < x->op_count && out->nops < 3; i++) {
		const cs_x86_op *o = &x->operands[i];
		struct operand *op = &out->op[out->nops];

		op->bytes = o->size;
		op->lg = (uint8_t)lg_of(o->size);
		switch (o->type) {
		case X86_OP_REG: {
			struct regmap m = map_reg(o->reg);

			op->kind = m.kind;
			op->reg = m.num;
			if (m.kind == OPK_REG || m.kind == OPK_REG8H)
				op->lg = m.lg;
			break;
		}
		case X86_OP_MEM:
			op->kind = OPK_MEM;
			/* Keep the first memory operand; string instructions
			 * address their second one implicitly. */
			if (out->mem.base == MEMREG_NONE && out->mem.index == MEMREG_NONE &&
			    out->mem.disp == 0 && !out->has_mem) {
				uint8_t b = mem_reg(o->mem.base);

				out->has_mem = 1;
				out->mem.base = b;
				out->mem.index = mem_reg(o->mem.index);
				out->mem.scale = (uint8_t)(o->mem.scale == 8 ? 3 : o->mem.scale == 4 ? 2
				                           : o->mem.scale == 2 ? 1 : 0);
				out->mem.disp = o->mem.disp;
				if (out->sreg_ovr != SEG_NONE)
					out->mem.seg = out->sreg_ovr;
				else if (o->mem.segment != X86_REG_INVALID)
					out->mem.seg = map_reg(o->mem.segment).num;
				else if (b == R_RSP || b == R_RBP)
					out->mem.seg = SEG_SS;
				else
					out->mem.seg = SEG_DS;
			}
			break;
		case X86_OP_IMM:
			op->kind = OPK_IMM;
			if (nimm++ == 0)
				out->imm = (uint64_t)o->imm;
			else
				out->imm2 = (uint64_t)o->imm;
			break;
		default:
			op->kind = OPK_OTHER;
			break;
		}
		out->nops++;
	}
	/* AH/CH/DH/BH destinations are byte operands too. */
	if (out->nops && (out->op[0].kind == OPK_REG || out->op[0].kind == OPK_REG8H ||
	                  out->op[0].kind == OPK_MEM) &&
	    out->op[0].lg <= 3)
		out->opsize = out->op[0].lg;
	/* Capstone 4.0.2 drops F2 on A5 (string MOVSD), taking it for the
	 * SSE2 MOVSD prefix; silicon repeats MOVS under F2 as under F3.
	 * Every byte before A5 is a prefix: the last F2/F3 wins, as Capstone
	 * does for the other string opcodes.  Tested in test_string.c. */
	if (!out->opc0f && out->opc == 0xa5 && !out->rep)
		for (unsigned i = 0; i + 1u < out->len; i++)
			if (bytes[i] == 0xf2 || bytes[i] == 0xf3)
				out->rep = bytes[i];
	if (is_rel_branch(x) && x->encoding.imm_size) {
		unsigned isz = x->encoding.imm_size;

		/* Intel ignores 66h on near CALL/JMP/Jcc in 64-bit mode (the
		 * rel16 forms are "N.S." there, SDM Vol. 2 "CALL", "JMP",
		 * "Jcc"): the displacement stays 32 bits.  Capstone 4.0.2
		 * decodes rel16 as AMD does; widen it.  Tested in
		 * test_branch.c. */
		if (code_size == 8 && isz == 2) {
			if (out->len + 2u > n || out->len + 2u > 15) {
				if (n < 15)
					return DEC_NEED_MORE;
				out->fn = op_invalid;
				out->len = 1;
				out->cost = C_INT;
				out->flags = F_ENDBLK;
				return DEC_INVALID;
			}
			isz = 4;
			out->len = (uint8_t)(out->len + 2);
		}
		out->imm = (uint64_t)raw_imm(bytes, x->encoding.imm_offset, isz);
	}

	out->id = (uint16_t)fix_bit_scan_id(ci, bytes);
	od = optable_lookup(out->id);
	if (od && od->fn) {
		out->fn = od->fn;
		out->flags = od->flags;
		out->cost = od->cost;
	} else {
		out->fn = op_unimplemented;
		out->flags = F_ENDBLK;
		out->cost = C_INT;
	}
	if (out->lock)
		out->flags |= F_CHK_LOCK;
	/* MOV CRn/DRn/Sreg share Capstone's X86_INS_MOV row with plain MOV,
	 * so their row cannot carry the flags: a write to a control, debug or
	 * segment register can change paging, mode or CS-relative meaning
	 * (ends the block), and MOV CR/DR may cause a VM exit and costs what
	 * other system-register writes do. */
	for (unsigned i = 0; i < out->nops; i++)
		if (out->op[i].kind == OPK_CR || out->op[i].kind == OPK_DR) {
			out->flags |= F_VMX_EXIT;
			out->cost = C_SYS;
		}
	if (out->nops && (out->op[0].kind == OPK_CR || out->op[0].kind == OPK_DR ||
	                  out->op[0].kind == OPK_SREG))
		out->flags |= F_ENDBLK;
	if (vex_after_bad_prefix(ci, bytes) || rand_with_f2_f3(ci, bytes)) {
		out->fn = op_invalid;
		out->flags = F_ENDBLK;
		out->cost = C_INT;
	} else if (out->fn != op_unimplemented) {
		fast_specialize(out, code_size);
	}
	return DEC_OK;
}
