/* String instructions: MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS, with the
 * REP/REPE/REPNE prefixes (SDM Vol. 2 "REP/REPE/REPZ/REPNE/REPNZ").
 *
 * Addressing (SDM Vol. 1 §7.3.9): the address size selects SI/ESI/RSI,
 * DI/EDI/RDI and CX/ECX/RCX; the source is DS:rSI unless a segment
 * override applies, the destination is always ES:rDI.  DF selects the
 * direction.
 *
 * Restartability: rSI, rDI and rCX are committed after every iteration,
 * so a fault in the middle of a repeated string leaves them describing the
 * iteration that faulted, with RIP still at the instruction, as the SDM
 * requires for the restart after the handler returns.
 *
 * Work per call: the handler runs at most STR_CHUNK iterations.  If more
 * remain it returns X_JUMP with RIP unchanged, so the run loop counts one
 * more retired instruction, checks its budget and stop requests, and then
 * re-enters the same instruction -- the same thing an interrupt window
 * between iterations does on silicon.  Each call charges the row's cost
 * (C_STR, or C_IO for INS/OUTS) once at retirement, as for any
 * instruction, plus the same amount for every further iteration it
 * performed.
 *
 * Fast path: REP STOS and REP MOVS with DF = 0 store whole runs within a
 * page through the TLB (str_fast).  Code pages are never in the write TLB,
 * so self-modifying stores still go one element at a time through
 * access_write and invalidate the decode cache.
 */
#include "../mem/bus.h"
#include "flags.h"
#include "io.h"
#include "mmu.h"
#include "operand.h"
#include "ops.h"

#define STR_CHUNK 4096

enum str_kind { S_MOVS, S_CMPS, S_SCAS, S_LODS, S_STOS, S_INS, S_OUTS };

/* Everything the loop needs, copied out of the decoded record: a write
 * to a code page can invalidate the block that holds `in`. */
struct strop {
	enum str_kind kind;
	unsigned size;     /* element size in bytes */
	unsigned lg;       /* log2(size) */
	unsigned alg;      /* address size, log2 */
	uint64_t amask;
	uint64_t step;     /* +size or -size, two's complement */
	unsigned sseg;     /* source segment for DS:rSI */
	uint8_t rep;       /* 0, 0xF3 or 0xF2 */
	uint8_t cost;      /* cycles per iteration: the row's cost class */
};

static void str_init(struct strop *s, const struct cpu *cpu, const struct insn *in,
                     enum str_kind kind)
{
	s->kind = kind;
	/* Even opcodes (A4 A6 AA AC AE 6C 6E) are the byte forms. */
	s->lg = (in->opc & 1) ? in->dsize : 0;
	/* SDM Vol. 2 "INS"/"OUTS": at most 32 bits; REX.W is ignored. */
	if ((kind == S_INS || kind == S_OUTS) && s->lg > 2)
		s->lg = 2;
	s->size = 1u << s->lg;
	s->alg = in->asize;
	s->amask = addr_mask(in->asize);
	s->step = flags_df(cpu) ? (uint64_t)0 - s->size : s->size;
	s->sseg = in->sreg_ovr != SEG_NONE ? in->sreg_ovr : SEG_DS;
	s->rep = in->rep;
	s->cost = in->cost;
}

static void str_advance(struct cpu *cpu, const struct strop *s, unsigned reg)
{
	cpu_gpr_write(cpu, reg, s->alg, (cpu->gpr[reg] + s->step) & s->amask);
}

/* One iteration.  Registers move only after every access of the
 * iteration succeeded. */
static int str_step(struct cpu *cpu, const struct strop *s)
{
	uint64_t si = cpu->gpr[R_RSI] & s->amask, di = cpu->gpr[R_RDI] & s->amask;
	uint64_t a, b, m = size_mask(s->lg);
	uint16_t port = (uint16_t)cpu->gpr[R_RDX];

	switch (s->kind) {
	case S_MOVS:
		TRY(access_read(cpu, s->sseg, si, s->size, &a));
		TRY(access_write(cpu, SEG_ES, di, s->size, a));
		str_advance(cpu, s, R_RSI);
		str_advance(cpu, s, R_RDI);
		break;
	case S_CMPS:
		/* SDM Vol. 2 "CMPS": SRC1 is the DS:rSI operand. */
		TRY(access_read(cpu, s->sseg, si, s->size, &a));
		TRY(access_read(cpu, SEG_ES, di, s->size, &b));
		flags_set_sub(cpu, s->lg, a, b, (a - b) & m);
		str_advance(cpu, s, R_RSI);
		str_advance(cpu, s, R_RDI);
		break;
	case S_SCAS:
		a = cpu->gpr[R_RAX] & m;
		TRY(access_read(cpu, SEG_ES, di, s->size, &b));
		flags_set_sub(cpu, s->lg, a, b, (a - b) & m);
		str_advance(cpu, s, R_RDI);
		break;
	case S_LODS:
		TRY(access_read(cpu, s->sseg, si, s->size, &a));
		cpu_gpr_write(cpu, R_RAX, s->lg, a);
		str_advance(cpu, s, R_RSI);
		break;
	case S_STOS:
		TRY(access_write(cpu, SEG_ES, di, s->size, cpu->gpr[R_RAX]));
		str_advance(cpu, s, R_RDI);
		break;
	case S_INS: {
		uint64_t gla;

		/* The port read has side effects: make sure the store cannot
		 * fault before doing it. */
		TRY(access_linear(cpu, SEG_ES, di, s->size, 1, &gla));
		TRY(access_lin_probe_write(cpu, gla, s->size));
		a = bus_in(cpu->bus, port, s->size);
		TRY(access_lin_write(cpu, gla, s->size, a));
		str_advance(cpu, s, R_RDI);
		break;
	}
	case S_OUTS:
		TRY(access_read(cpu, s->sseg, si, s->size, &a));
		bus_out(cpu->bus, port, s->size, (uint32_t)a);
		str_advance(cpu, s, R_RSI);
		break;
	}
	return X_OK;
}

/* Host pointer for [gla, gla+len) if one TLB entry of `kind` covers it
 * (code pages are never in the write TLB, so stores to code always take
 * the slow path and invalidate the decode cache). */
static uint8_t *str_tlb_host(struct cpu *cpu, unsigned kind, uint64_t gla, uint64_t len)
{
	const struct tlb_entry *e = &cpu->tlb[cpu->mmu_idx][kind][tlb_index(gla)];

	if (e->tag != tlb_tag(cpu, gla) || (gla & 0xfff) + len > 4096)
		return NULL;
	return (uint8_t *)(uintptr_t)(gla + e->addend);
}

/* Fast path for REP STOS and REP MOVS going up: as many elements as fit
 * in the current page(s), stored through the TLB.  Returns the number of
 * elements done (0: take one slow step, which also fills the TLB).  The
 * elements are copied forwards one at a time when source and destination
 * overlap, which is exactly the element-by-element behaviour the SDM
 * gives for an overlapping MOVS. */
static uint64_t str_fast(struct cpu *cpu, const struct strop *s, uint64_t count)
{
	uint64_t si = cpu->gpr[R_RSI] & s->amask, di = cpu->gpr[R_RDI] & s->amask;
	uint64_t n = count, bytes, dgla, sgla = 0;
	uint8_t *dst, *src = NULL;

	if (s->step != s->size || (s->kind != S_STOS && s->kind != S_MOVS) || n < 2)
		return 0;
	/* Stay inside the address-size wrap and inside the linear page(s):
	 * segment bases need not be page aligned. */
	if (n > (s->amask - di) / s->size)
		n = (s->amask - di) / s->size;
	if (access_linear(cpu, SEG_ES, di, s->size, 1, &dgla) != X_OK)
		return 0;
	if (n > (4096 - (dgla & 0xfff)) / s->size)
		n = (4096 - (dgla & 0xfff)) / s->size;
	if (s->kind == S_MOVS) {
		if (n > (s->amask - si) / s->size)
			n = (s->amask - si) / s->size;
		if (access_linear(cpu, s->sseg, si, s->size, 0, &sgla) != X_OK)
			return 0;
		if (n > (4096 - (sgla & 0xfff)) / s->size)
			n = (4096 - (sgla & 0xfff)) / s->size;
	}
	if (n < 2)
		return 0;
	bytes = n * s->size;
	/* A segment check over the whole run; on failure the slow path
	 * finds the exact element that faults. */
	if (access_linear(cpu, SEG_ES, di, (unsigned)bytes, 1, &dgla) != X_OK)
		return 0;
	dst = str_tlb_host(cpu, TLB_WRITE, dgla, bytes);
	if (!dst)
		return 0;
	if (s->kind == S_STOS) {
		uint64_t v = cpu->gpr[R_RAX];

		if (s->size == 1)
			memset(dst, (int)(v & 0xff), bytes);
		else
			for (uint64_t i = 0; i < n; i++)
				access_store(dst + i * s->size, s->size, v);
	} else {
		if (access_linear(cpu, s->sseg, si, (unsigned)bytes, 0, &sgla) != X_OK)
			return 0;
		src = str_tlb_host(cpu, TLB_READ, sgla, bytes);
		if (!src)
			return 0;
		if (dst >= src + bytes || src >= dst + bytes || dst <= src)
			memmove(dst, src, bytes);
		else
			for (uint64_t i = 0; i < n; i++)
				access_store(dst + i * s->size, s->size,
				             access_load(src + i * s->size, s->size));
		cpu_gpr_write(cpu, R_RSI, s->alg, (si + bytes) & s->amask);
	}
	cpu_gpr_write(cpu, R_RDI, s->alg, (di + bytes) & s->amask);
	return n;
}

static int str_run(struct cpu *cpu, const struct insn *in, enum str_kind kind)
{
	struct strop s;
	uint64_t count, n = 0;
	bool cond = kind == S_CMPS || kind == S_SCAS;
	/* With TF set, a repeated string instruction takes its single-step
	 * trap after every iteration (SDM Vol. 3B, "Single-Step Exception
	 * Condition"): one iteration per call, RIP left at the instruction. */
	uint64_t chunk = (cpu->rflags & RFLAGS_TF) ? 1 : STR_CHUNK;

	str_init(&s, cpu, in, kind);
	/* SDM Vol. 2 "INS"/"OUTS": the I/O permission check (CPL > IOPL or
	 * virtual-8086 mode -> TSS bitmap) precedes any access. */
	if (kind == S_INS || kind == S_OUTS)
		TRY(io_check(cpu, (uint16_t)cpu->gpr[R_RDX], s.size));
	if (!s.rep)
		return str_step(cpu, &s);
	count = cpu->gpr[R_RCX] & s.amask;
	while (count != 0) {
		uint64_t done = str_fast(cpu, &s, count < chunk - n ? count : chunk - n);
		int st;

		if (done) {
			n += done;
			count -= done;
			cpu_gpr_write(cpu, R_RCX, s.alg, count);
			if (count == 0)
				break;
			if (n >= chunk || cpu->bus->stop_requested) {
				cpu->cycles += (n - 1) * s.cost;
				return X_JUMP;
			}
			continue;
		}
		st = str_step(cpu, &s);
		if (st != X_OK) {
			/* The completed iterations are charged; the faulting
			 * instruction itself does not retire. */
			cpu->cycles += n * s.cost;
			return st;
		}
		n++;
		count--;
		cpu_gpr_write(cpu, R_RCX, s.alg, count);
		if (count == 0)
			break;
		/* REPE stops on ZF = 0, REPNE on ZF = 1 (CMPS and SCAS only;
		 * F2 on the others is a plain REP). */
		if (cond && flags_zf(cpu) != (s.rep == 0xf3))
			break;
		if (n >= chunk || cpu->block_break || cpu->bus->stop_requested) {
			cpu->cycles += (n - 1) * s.cost;
			return X_JUMP;
		}
	}
	if (n)
		cpu->cycles += (n - 1) * s.cost;
	return X_OK;
}

/* MOVSB/W/D/Q (SDM Vol. 2 "MOVS").  X86_INS_MOVSD is also the SSE2 scalar
 * move (F2 0F 10/11), which is outside softvtx's scope. */
int op_movs(struct cpu *cpu, const struct insn *in)
{
	if (in->opc0f)
		return op_unimplemented(cpu, in);
	return str_run(cpu, in, S_MOVS);
}

/* CMPSB/W/D/Q (SDM Vol. 2 "CMPS").  X86_INS_CMPSD is also SSE2 CMPSD. */
int op_cmps(struct cpu *cpu, const struct insn *in)
{
	if (in->opc0f)
		return op_unimplemented(cpu, in);
	return str_run(cpu, in, S_CMPS);
}

int op_scas(struct cpu *cpu, const struct insn *in)
{
	return str_run(cpu, in, S_SCAS);
}

int op_lods(struct cpu *cpu, const struct insn *in)
{
	return str_run(cpu, in, S_LODS);
}

int op_stos(struct cpu *cpu, const struct insn *in)
{
	return str_run(cpu, in, S_STOS);
}

int op_ins(struct cpu *cpu, const struct insn *in)
{
	return str_run(cpu, in, S_INS);
}

int op_outs(struct cpu *cpu, const struct insn *in)
{
	return str_run(cpu, in, S_OUTS);
}
