/* Generic operand access for handlers: effective addresses, and reading and
 * writing an operand described by struct operand.  Memory operands go
 * through access.h (segmentation, TLB); faults are returned. */
#ifndef SOFTVTX_CPU_OPERAND_H
#define SOFTVTX_CPU_OPERAND_H

#include "access.h"
#include "cpu.h"
#include "insn.h"

static inline uint64_t addr_mask(unsigned asize_lg)
{
	return asize_lg == 3 ? ~0ull : asize_lg == 2 ? 0xffffffffull : 0xffffull;
}

/* Effective address of the memory operand (SDM Vol. 1 §3.7.5), truncated
 * to the address size.  RIP-relative uses the next instruction's address. */
static inline uint64_t insn_ea(const struct cpu *cpu, const struct insn *in)
{
	const struct memref *m = &in->mem;
	uint64_t ea = (uint64_t)m->disp;

	if (m->base == MEMREG_RIP)
		ea += cpu->rip + in->len;
	else if (m->base != MEMREG_NONE)
		ea += cpu->gpr[m->base];
	if (m->index != MEMREG_NONE)
		ea += cpu->gpr[m->index] << m->scale;
	return ea & addr_mask(in->asize);
}

static inline WARN_UNUSED int insn_mem_read(struct cpu *cpu, const struct insn *in, unsigned size,
                                            uint64_t *v)
{
	return access_read(cpu, in->mem.seg, insn_ea(cpu, in), size, v);
}

static inline WARN_UNUSED int insn_mem_write(struct cpu *cpu, const struct insn *in,
                                             unsigned size, uint64_t v)
{
	return access_write(cpu, in->mem.seg, insn_ea(cpu, in), size, v);
}

/* Read operand i, zero-extended to 64 bits (immediates come as decoded:
 * sign-extended; callers mask to the size they use). */
static inline WARN_UNUSED int opnd_read(struct cpu *cpu, const struct insn *in, unsigned i,
                                        uint64_t *v)
{
	const struct operand *o = &in->op[i];

	switch (o->kind) {
	case OPK_REG:
		*v = cpu_gpr_read(cpu, o->reg, o->lg);
		return X_OK;
	case OPK_REG8H:
		*v = (cpu->gpr[o->reg] >> 8) & 0xff;
		return X_OK;
	case OPK_IMM:
		/* The first immediate is insn.imm, a second one insn.imm2. */
		*v = (i > 0 && in->op[0].kind == OPK_IMM) ? in->imm2 : in->imm;
		return X_OK;
	case OPK_MEM:
		return insn_mem_read(cpu, in, 1u << o->lg, v);
	default:
		return cpu_ud(cpu);
	}
}

/* The read of a read-modify-write instruction's memory destination.  The
 * access is checked as a write before anything is read, so an operand that
 * is not present, not writable or not user-accessible faults as a write
 * (#PF error code W = 1; a read-only segment gives #GP).  SDM Vol. 3A
 * §4.7: W/R reports "the access causing the fault"; Intel processors (and
 * Bochs, read_RMW_virtual_* with BX_RW) treat the read of a RMW operand as
 * that write access, and so does the host CPU (the silicon oracle,
 * tests/silicon, found softvtx reporting W = 0 here). */
static inline WARN_UNUSED int mem_read_rmw(struct cpu *cpu, unsigned sreg, uint64_t ea,
                                           unsigned size, uint64_t *v)
{
	const struct tlb_entry *e;
	uint64_t gla;

	TRY(access_linear(cpu, sreg, ea, size, 1, &gla));
	e = &cpu->tlb[cpu->mmu_idx][TLB_WRITE][tlb_index(gla)];
	if (!(e->tag == tlb_tag(cpu, gla) && (gla & 0xfff) <= 4096 - size))
		TRY(access_lin_probe_write(cpu, gla, size));
	return access_lin_read(cpu, gla, size, v);
}

/* opnd_read for the destination of a read-modify-write instruction. */
static inline WARN_UNUSED int opnd_read_rmw(struct cpu *cpu, const struct insn *in, unsigned i,
                                            uint64_t *v)
{
	const struct operand *o = &in->op[i];

	if (o->kind == OPK_MEM)
		return mem_read_rmw(cpu, in->mem.seg, insn_ea(cpu, in), 1u << o->lg, v);
	return opnd_read(cpu, in, i, v);
}

static inline WARN_UNUSED int opnd_write(struct cpu *cpu, const struct insn *in, unsigned i,
                                         uint64_t v)
{
	const struct operand *o = &in->op[i];

	switch (o->kind) {
	case OPK_REG:
		cpu_gpr_write(cpu, o->reg, o->lg, v);
		return X_OK;
	case OPK_REG8H:
		cpu->gpr[o->reg] = (cpu->gpr[o->reg] & ~0xff00ull) | ((v & 0xff) << 8);
		return X_OK;
	case OPK_MEM:
		return insn_mem_write(cpu, in, 1u << o->lg, v);
	default:
		return cpu_ud(cpu);
	}
}

/* Stack helpers (SDM Vol. 1 §6.2): the stack-address size comes from SS.B
 * (64 in 64-bit mode); `size` is the push size in bytes.  The new RSP is
 * committed only after the store succeeds. */
static inline uint64_t stack_mask(const struct cpu *cpu)
{
	unsigned s = cpu_stack_size(cpu);

	return s == 8 ? ~0ull : s == 4 ? 0xffffffffull : 0xffffull;
}

static inline void stack_set_rsp(struct cpu *cpu, uint64_t rsp)
{
	uint64_t m = stack_mask(cpu);

	cpu->gpr[R_RSP] = (cpu->gpr[R_RSP] & ~m) | (rsp & m);
}

static inline WARN_UNUSED int stack_push(struct cpu *cpu, unsigned size, uint64_t v)
{
	uint64_t m = stack_mask(cpu);
	uint64_t rsp = (cpu->gpr[R_RSP] - size) & m;

	TRY(access_write(cpu, SEG_SS, rsp, size, v));
	stack_set_rsp(cpu, rsp);
	return X_OK;
}

/* Read the value at the top of the stack (+offset) without popping. */
static inline WARN_UNUSED int stack_peek(struct cpu *cpu, unsigned size, uint64_t offset,
                                         uint64_t *v)
{
	uint64_t m = stack_mask(cpu);

	return access_read(cpu, SEG_SS, (cpu->gpr[R_RSP] + offset) & m, size, v);
}

static inline WARN_UNUSED int stack_pop(struct cpu *cpu, unsigned size, uint64_t *v)
{
	TRY(stack_peek(cpu, size, 0, v));
	stack_set_rsp(cpu, cpu->gpr[R_RSP] + size);
	return X_OK;
}

/* Near-branch target: truncated to the operand size outside 64-bit mode
 * (SDM Vol. 2 JMP: "IF OperandSize = 16 THEN EIP := tempEIP AND 0000FFFFH"),
 * and checked against the CS limit (legacy) or for canonicality (64-bit). */
static inline WARN_UNUSED int branch_to(struct cpu *cpu, uint64_t target, unsigned lg)
{
	if (cpu->mode == MODE_LONG) {
		if (lg == 1)
			target &= 0xffff;
		if (!cpu_is_canonical(target))
			return cpu_gp0(cpu);
	} else {
		target &= lg == 1 ? 0xffff : 0xffffffffull;
		if (target > cpu->seg[SEG_CS].limit)
			return cpu_gp0(cpu);
	}
	cpu->rip = target;
	return X_JUMP;
}

#endif
