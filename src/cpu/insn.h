/* The decoded record: what Capstone's cs_insn is translated into once, on a
 * decode-cache miss.  The hot loop reads only this. */
#ifndef SOFTVTX_CPU_INSN_H
#define SOFTVTX_CPU_INSN_H

#include <stdint.h>

struct cpu;
struct insn;

typedef int op_fn(struct cpu *cpu, const struct insn *in);

enum opkind {
	OPK_NONE = 0,
	OPK_REG,      /* general register gpr[reg], size lg */
	OPK_REG8H,    /* AH/CH/DH/BH: bits 15:8 of gpr[reg] */
	OPK_MEM,      /* the instruction's memory operand (insn.mem) */
	OPK_IMM,      /* insn.imm */
	OPK_SREG,     /* segment register number in reg */
	OPK_CR,       /* control register number in reg */
	OPK_DR,       /* debug register number in reg */
	OPK_OTHER,    /* something handlers do not read generically (x87, xmm) */
};

struct operand {
	uint8_t kind;   /* enum opkind */
	uint8_t lg;     /* log2 of the size in bytes, 0..3 (4 for wider) */
	uint8_t reg;    /* register number for REG/REG8H/SREG/CR/DR */
	uint8_t bytes;  /* size in bytes as decoded (6 and 10 for m16&32/64) */
};

#define MEMREG_NONE 0xff
#define MEMREG_RIP  0xfe

/* The memory operand.  Effective address =
 *   base + (index << scale) + disp, truncated to the address size;
 * RIP-relative adds the address of the next instruction. */
struct memref {
	uint8_t seg;    /* SEG_* after defaults and overrides */
	uint8_t base;   /* gpr number, MEMREG_NONE or MEMREG_RIP */
	uint8_t index;  /* gpr number or MEMREG_NONE */
	uint8_t scale;  /* log2 */
	int64_t disp;
};

/* insn.flags: the op table's F_* bits (ops.h) plus decode facts. */
struct insn {
	op_fn *fn;          /* handler */
	op_fn *tfn;         /* threaded entry (thread.c): runs this record, then
	                       tail-calls the next record's tfn */
	uint16_t id;        /* Capstone instruction id, for reports and traces */
	uint16_t flags;     /* F_* */
	uint8_t len;        /* 1..15 */
	uint8_t opsize;     /* log2 of the size of operand 0 when it is a register
	                       or memory, else the same as dsize */
	uint8_t dsize;      /* log2 of the operand size the prefixes select:
	                       1, 2 or 3 (66h, REX.W, CS.D) */
	uint8_t asize;      /* log2 of the address size: 1, 2 or 3 */
	uint8_t rep;        /* 0, 0xF3 (REP/REPE) or 0xF2 (REPNE) */
	uint8_t lock;       /* 1 if LOCK-prefixed */
	uint8_t sreg_ovr;   /* segment-override prefix (SEG_*), or SEG_NONE */
	uint8_t has_mem;    /* 1 if insn.mem describes a memory operand */
	uint8_t modrm;      /* ModR/M byte, 0 if none */
	uint8_t nops;       /* explicit operands decoded */
	uint8_t cost;       /* cycles charged when it retires */
	uint8_t cc;         /* condition code for Jcc/SETcc/CMOVcc, or modrm reg */
	uint8_t opc;        /* primary opcode byte (after 0F escape, if any) */
	uint8_t opc0f;      /* 1 if the opcode has the 0F escape */
	uint16_t off;       /* byte offset of this instruction in its block */
	uint16_t cum;       /* cycles of the block's instructions up to and
	                       including this one (charged once per block) */
	uint16_t idx;       /* index of this record in its block */
	struct operand op[3];
	uint16_t tgt;       /* threaded dispatch: for a 64-bit Jcc whose target
	                       is a later record of its own block, that
	                       record's index (thr_jcc goes on there), else 0
	                       (fast_thread_block) */
	struct memref mem;
	uint64_t imm;       /* immediate, sign-extended per the encoding; for
	                       relative branches the signed displacement */
	uint64_t imm2;      /* second immediate: ENTER level, far-pointer selector */
};

#endif
