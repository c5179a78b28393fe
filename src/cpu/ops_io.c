/* Port I/O: IN and OUT, and the I/O permission check shared with INS and
 * OUTS (SDM Vol. 1 §19.5; Vol. 2 "IN", "OUT"). */
#include "io.h"

#include "../mem/bus.h"
#include "access.h"
#include "debug.h"
#include "flags.h"
#include "ops.h"

/* SDM Vol. 1 §19.5.1: "if CPL > IOPL or the processor is in virtual-8086
 * mode" the I/O permission bit map decides; §19.5.2: the map starts at
 * the 16-bit offset stored at TSS offset 66H, the processor reads the two
 * bytes that hold the bits for port..port+size-1, both must lie within
 * the TSS limit, and every one of those bits must be 0. */
int io_check(struct cpu *cpu, uint16_t port, unsigned size)
{
	const struct seg *tr = &cpu->seg[SEG_TR];
	unsigned iopl = (unsigned)(cpu->rflags & RFLAGS_IOPL) >> RFLAGS_IOPL_SHIFT;
	unsigned t = tr->attr & SEG_TYPE_MASK;
	uint64_t base, bits, off;

	/* I/O breakpoints (SDM Vol. 3B §17.3.1.2, debug.c): recorded here for
	 * IN, OUT, INS and OUTS; dropped if the instruction faults. */
	if (unlikely(cpu->dbg_io))
		debug_io_access(cpu, port, size);
	if (cpu->mode == MODE_REAL || (cpu->mode != MODE_VM86 && cpu->cpl <= iopl))
		return X_OK;
	/* Only a 32-bit (or IA-32e 64-bit) TSS has a bit map. */
	if ((t != SYS_TSS_AVAIL && t != SYS_TSS_BUSY) || tr->limit < 0x67)
		return cpu_gp0(cpu);
	TRY(access_sys_read(cpu, tr->base + 0x66, 2, &base));
	off = base + port / 8;
	if (off + 1 > tr->limit)
		return cpu_gp0(cpu);
	TRY(access_sys_read(cpu, tr->base + off, 2, &bits));
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		return cpu_gp0(cpu);
	return X_OK;
}

/* E4/E5 ib take the port from the immediate, EC/ED from DX; the even
 * opcodes move a byte, the odd ones 16 or 32 bits (REX.W is ignored). */
static uint16_t io_port(const struct cpu *cpu, const struct insn *in)
{
	return (in->opc & 0x08) ? (uint16_t)cpu->gpr[R_RDX] : (uint16_t)(in->imm & 0xff);
}

static unsigned io_size(const struct insn *in)
{
	if (!(in->opc & 1))
		return 1;
	return in->dsize == 1 ? 2 : 4;
}

/* AL, AX or EAX for a transfer of `size` bytes (log2 for cpu_gpr_*). */
static unsigned io_lg(unsigned size)
{
	return size == 1 ? 0 : size == 2 ? 1 : 2;
}

/* IN AL/AX/EAX, imm8/DX (SDM Vol. 2 "IN"). */
int op_in(struct cpu *cpu, const struct insn *in)
{
	uint16_t port = io_port(cpu, in);
	unsigned size = io_size(in);

	TRY(io_check(cpu, port, size));
	cpu_gpr_write(cpu, R_RAX, io_lg(size), bus_in(cpu->bus, port, size));
	return X_OK;
}

/* OUT imm8/DX, AL/AX/EAX (SDM Vol. 2 "OUT").  A device may end the run
 * (isa-debug-exit): the OUT retires and the loop stops. */
int op_out(struct cpu *cpu, const struct insn *in)
{
	uint16_t port = io_port(cpu, in);
	unsigned size = io_size(in);

	TRY(io_check(cpu, port, size));
	bus_out(cpu->bus, port, size, (uint32_t)cpu_gpr_read(cpu, R_RAX, io_lg(size)));
	if (cpu->bus->stop_requested) {
		cpu->rip += in->len;
		cpu->stop = STOP_EXIT;
		return X_STOP;
	}
	return X_OK;
}
