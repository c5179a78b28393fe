/* Decimal (BCD) adjustments: AAA, AAS, AAM, AAD, DAA, DAS, each following
 * the pseudocode of its SDM Vol. 2 page.  All are #UD in 64-bit mode
 * (row flag F_NO64).
 *
 * Flags the SDM leaves undefined, and what this model produces:
 *  - AAA, AAS: OF = 0; SF, ZF, PF from the final AL.
 *  - AAM, AAD: OF = AF = CF = 0.
 *  - DAA, DAS: OF = 0.
 */
#include "flags.h"
#include "operand.h"
#include "ops.h"

static inline uint32_t flag_if(uint64_t cond, uint32_t bit)
{
	return cond ? bit : 0;
}

static inline uint32_t szp8(uint64_t al)
{
	al &= 0xff;
	return flags_parity(al) | flag_if(al == 0, RFLAGS_ZF) | flag_if(al & 0x80, RFLAGS_SF);
}

static inline void set_ax(struct cpu *cpu, unsigned ax)
{
	cpu_gpr_write(cpu, R_RAX, 1, ax);
}

/* SDM "AAA": IF (AL AND 0FH) > 9 OR AF = 1 THEN AX <- AX + 106H; AF <- CF <- 1
 * ELSE AF <- CF <- 0; AL <- AL AND 0FH. */
int op_aaa(struct cpu *cpu, const struct insn *in)
{
	unsigned ax = (unsigned)cpu->gpr[R_RAX] & 0xffff;
	int adj = (ax & 0xf) > 9 || flags_get(cpu, RFLAGS_AF);

	(void)in;
	if (adj)
		ax = (ax + 0x106) & 0xffff;
	ax &= 0xff0f;
	set_ax(cpu, ax);
	flags_set_bits(cpu, RFLAGS_ARITH,
	               szp8(ax) | flag_if(adj, RFLAGS_AF | RFLAGS_CF));
	return X_OK;
}

/* SDM "AAS": IF (AL AND 0FH) > 9 OR AF = 1 THEN AX <- AX - 6; AH <- AH - 1;
 * AF <- CF <- 1 ELSE AF <- CF <- 0; AL <- AL AND 0FH. */
int op_aas(struct cpu *cpu, const struct insn *in)
{
	unsigned ax = (unsigned)cpu->gpr[R_RAX] & 0xffff;
	int adj = (ax & 0xf) > 9 || flags_get(cpu, RFLAGS_AF);

	(void)in;
	if (adj)
		ax = (ax - 6 - 0x100) & 0xffff;
	ax &= 0xff0f;
	set_ax(cpu, ax);
	flags_set_bits(cpu, RFLAGS_ARITH,
	               szp8(ax) | flag_if(adj, RFLAGS_AF | RFLAGS_CF));
	return X_OK;
}

/* AAM/AAD take an imm8 base; the plain encodings (D4 0A, D5 0A) are
 * decoded without an operand. */
static inline unsigned bcd_base(const struct insn *in)
{
	return in->nops ? (unsigned)in->imm & 0xff : 10;
}

/* SDM "AAM": AH <- AL / imm8; AL <- AL MOD imm8; #DE when imm8 = 0. */
int op_aam(struct cpu *cpu, const struct insn *in)
{
	unsigned base = bcd_base(in), al = (unsigned)cpu->gpr[R_RAX] & 0xff;

	if (base == 0)
		return cpu_fault_noerr(cpu, EXC_DE);
	set_ax(cpu, ((al / base) << 8) | (al % base));
	flags_set_bits(cpu, RFLAGS_ARITH, szp8(al % base));
	return X_OK;
}

/* SDM "AAD": AL <- (AL + AH * imm8) AND FFH; AH <- 0. */
int op_aad(struct cpu *cpu, const struct insn *in)
{
	unsigned ax = (unsigned)cpu->gpr[R_RAX] & 0xffff;
	unsigned al = ((ax & 0xff) + (ax >> 8) * bcd_base(in)) & 0xff;

	set_ax(cpu, al);
	flags_set_bits(cpu, RFLAGS_ARITH, szp8(al));
	return X_OK;
}

/* SDM "DAA". */
int op_daa(struct cpu *cpu, const struct insn *in)
{
	uint64_t f = flags_read(cpu);
	unsigned old_al = (unsigned)cpu->gpr[R_RAX] & 0xff, al = old_al;
	int old_cf = !!(f & RFLAGS_CF), cf = 0, af = 0;

	(void)in;
	if ((al & 0xf) > 9 || (f & RFLAGS_AF)) {
		cf = old_cf || al + 6 > 0xff;
		al = (al + 6) & 0xff;
		af = 1;
	}
	if (old_al > 0x99 || old_cf) {
		al = (al + 0x60) & 0xff;
		cf = 1;
	} else {
		cf = 0;
	}
	cpu_gpr_write(cpu, R_RAX, 0, al);
	flags_set_bits(cpu, RFLAGS_ARITH,
	               szp8(al) | flag_if(cf, RFLAGS_CF) | flag_if(af, RFLAGS_AF));
	return X_OK;
}

/* SDM "DAS". */
int op_das(struct cpu *cpu, const struct insn *in)
{
	uint64_t f = flags_read(cpu);
	unsigned old_al = (unsigned)cpu->gpr[R_RAX] & 0xff, al = old_al;
	int old_cf = !!(f & RFLAGS_CF), cf = 0, af = 0;

	(void)in;
	if ((al & 0xf) > 9 || (f & RFLAGS_AF)) {
		cf = old_cf || al < 6;
		al = (al - 6) & 0xff;
		af = 1;
	}
	if (old_al > 0x99 || old_cf) {
		al = (al - 0x60) & 0xff;
		cf = 1;
	}
	cpu_gpr_write(cpu, R_RAX, 0, al);
	flags_set_bits(cpu, RFLAGS_ARITH,
	               szp8(al) | flag_if(cf, RFLAGS_CF) | flag_if(af, RFLAGS_AF));
	return X_OK;
}
