/* The op table: one row per Capstone instruction id, in the ops_*.def files,
 * each row being
 *
 *     OP(ID, handler, flags, cost class)
 *
 * where ID is the X86_INS_ suffix.  From those rows come the handler
 * prototypes (below) and the table itself (optable.c).  An id with no row
 * is unimplemented: it raises #UD and is reported by mnemonic and address.
 *
 * The checks named by the flags run centrally in run.c/decode.c, before
 * the handler, in the SDM's priority order (#UD, then #GP, then VM exit);
 * no handler repeats them.
 */
#ifndef SOFTVTX_CPU_OPS_H
#define SOFTVTX_CPU_OPS_H

#include "cpu.h"
#include "insn.h"

/* Row flags. */
#define F_LOCK_OK  (1u << 0)  /* LOCK allowed with a memory destination */
#define F_CPL0     (1u << 1)  /* #GP(0) unless CPL 0 (real mode is CPL 0) */
#define F_NO64     (1u << 2)  /* #UD in 64-bit mode */
#define F_ENDBLK   (1u << 3)  /* may change mode, CS, paging or code: ends
                                 the decoded block */
#define F_PMODE    (1u << 4)  /* #UD in real and virtual-8086 mode */
#define F_VMX_EXIT (1u << 5)  /* may cause a VM exit in VMX non-root mode */
#define F_REP      (1u << 6)  /* string instruction: honours REP prefixes */
#define F_NO_VM86  (1u << 7)  /* #GP(0) in virtual-8086 mode (CPL 3 system) */
#define F_TIME     (1u << 8)  /* reads the cycle counter: starts its own block,
                                 so the per-block charge is exact when it runs */
#define F_CHK_LOCK (1u << 15) /* decode: a LOCK prefix is present */
/* Any of these makes the run loop call the central checks. */
#define F_CHECKS   (F_CPL0 | F_NO64 | F_PMODE | F_NO_VM86 | F_CHK_LOCK | F_VMX_EXIT)

/* Cost classes, in cycles charged at retirement.  The table is documented
 * in docs/internals.md ("Cycle accounting"); numbers are rough Skylake
 * latencies, chosen to be plausible rather than exact. */
enum cost {
	C_ALU = 1,      /* register ALU, MOV, LEA, SETcc, CMOVcc */
	C_MEM = 2,      /* ALU with a memory operand, PUSH/POP */
	C_BR = 2,       /* near branches, CALL, RET */
	C_MUL = 3,
	C_DIV = 26,
	C_STR = 2,      /* per string iteration */
	C_FAR = 20,     /* far transfers, descriptor loads, IRET */
	C_SYS = 30,     /* CR/MSR/descriptor-table writes, CPUID, INVLPG */
	C_IO = 50,      /* IN/OUT */
	C_INT = 60,     /* INT n and exception delivery */
	C_SER = 100,    /* serialising: WBINVD, INVD */
};

/* Page-walk cost, per paging-structure entry read. */
#define C_WALK_STEP 4

struct opdesc {
	op_fn *fn;
	uint16_t flags;
	uint8_t cost;
};

/* Handler prototypes come from the same rows as the table. */
#define OP(id, fn, fl, cost) op_fn fn;
#include "ops_all.def"
#undef OP

/* The handler for ids without a row, and for invalid encodings. */
op_fn op_unimplemented;
op_fn op_invalid;
op_fn op_too_long;

/* Look up the row for a Capstone id (NULL fn: unimplemented). */
const struct opdesc *optable_lookup(unsigned id);

#endif
