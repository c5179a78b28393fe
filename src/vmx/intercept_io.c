/* I/O and MSR exits: the I/O bitmaps, the MSR bitmaps, and the I/O
 * qualification and INS/OUTS information (SDM Vol. 3C §25.1.3, §27.2.1;
 * shared/spec/vm-exits.md §2.2, §3.4, §5.1; vmcs-fields.md §4.10).
 * Both bitmaps live at physical addresses named by the VMCS and are read
 * through the bus (they are not translated by EPT). */
#include "intercept.h"

#include <capstone/capstone.h>

#include "../cpu/cpu.h"
#include "../cpu/insn.h"
#include "../cpu/io.h"
#include "../cpu/operand.h"
#include "../mem/bus.h"
#include "exit.h"
#include "profile.h"
#include "vmcs.h"

/* One bit of a bitmap in physical memory. */
static bool bitmap_bit(struct bus *bus, uint64_t base, uint32_t bit)
{
	return (bus_read(bus, base + bit / 8, 1) >> (bit & 7)) & 1;
}

/* §2.2: with "use I/O bitmaps", bitmap A covers ports 0000-7FFF and B
 * 8000-FFFF; the access exits if the bit of any port it touches is set,
 * or if it wraps past FFFF.  Without the bitmaps, "unconditional I/O
 * exiting" decides. */
bool vmx_io_exits(struct cpu *cpu, uint16_t port, unsigned size)
{
	const struct vmx *v = cpu->vmx;
	uint32_t p = (uint32_t)VMCS_GET(v, PROC_CONTROLS);

	if (!(p & PROC_USE_IO_BITMAPS))
		return (p & PROC_UNCOND_IO_EXITING) != 0;
	if ((uint32_t)port + size - 1 > 0xffff)
		return true;
	for (uint32_t q = port; q < (uint32_t)port + size; q++) {
		uint64_t map = q < 0x8000 ? VMCS_GET(v, IO_BITMAP_A) : VMCS_GET(v, IO_BITMAP_B);

		if (bitmap_bit(cpu->bus, map, q & 0x7fff))
			return true;
	}
	return false;
}

/* vmcs-fields.md §4.10, the 4-KiB MSR bitmap:
 *
 *   0x000  read bitmap for low MSRs   0000_0000 - 0000_1FFF
 *   0x400  read bitmap for high MSRs  C000_0000 - C000_1FFF
 *   0x800  write bitmap for low MSRs
 *   0xC00  write bitmap for high MSRs
 *
 * Without "use MSR bitmaps" every RDMSR and WRMSR exits; with them, an
 * MSR outside both ranges always exits. */
bool vmx_msr_exits(struct cpu *cpu, uint32_t msr, bool write)
{
	const struct vmx *v = cpu->vmx;
	uint64_t base = VMCS_GET(v, MSR_BITMAP) + (write ? 0x800 : 0);

	if (!(VMCS_GET(v, PROC_CONTROLS) & PROC_USE_MSR_BITMAPS))
		return true;
	if (msr <= 0x1fff)
		return bitmap_bit(cpu->bus, base, msr);
	if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
		return bitmap_bit(cpu->bus, base + 0x400, msr - 0xc0000000u);
	return true;
}

/* The linear address of an INS or OUTS memory operand (§3.4): ES:rDI for
 * INS, seg:rSI for OUTS, the offset truncated to the address size; in
 * 64-bit mode only FS and GS have a base. */
static uint64_t str_gla(const struct cpu *cpu, const struct insn *in, bool ins, unsigned *sreg)
{
	unsigned s = ins ? SEG_ES : in->sreg_ovr != SEG_NONE ? in->sreg_ovr : SEG_DS;
	uint64_t off = cpu->gpr[ins ? R_RDI : R_RSI] & addr_mask(in->asize);

	*sreg = s;
	if (cpu->mode == MODE_LONG)
		return off + ((s == SEG_FS || s == SEG_GS) ? cpu->seg[s].base : 0);
	return (uint32_t)(cpu->seg[s].base + off);
}

/* IN, OUT, INS, OUTS.  The I/O permission check (CPL > IOPL or
 * virtual-8086 mode: the TSS bitmap) ranks above the exit (§2.5 item 1);
 * the exit ranks above the string instructions' segment checks (item 3).
 *
 * Qualification (§3.4):
 *   31:16 port | 6 immediate | 5 REP | 4 string | 3 IN | 2:0 size - 1
 * INS/OUTS information (§5.1, if IA32_VMX_BASIC[54]):
 *   17:15 segment | 9:7 address size */
int vmx_io_decide(struct cpu *cpu, const struct insn *in, struct vmx_exit_decision *d)
{
	bool str = in->id != X86_INS_IN && in->id != X86_INS_OUT;
	bool is_in = in->id == X86_INS_IN || in->id == X86_INS_INSB || in->id == X86_INS_INSW ||
	             in->id == X86_INS_INSD;
	bool imm = !str && !(in->opc & 0x08);
	uint16_t port = imm ? (uint16_t)(in->imm & 0xff) : (uint16_t)cpu->gpr[R_RDX];
	unsigned size;

	if (!(in->opc & 1))
		size = 1;
	else
		size = in->dsize == 1 ? 2 : 4;
	TRY(io_check(cpu, port, size));
	d->exit = vmx_io_exits(cpu, port, size);
	d->reason = EXIT_IO_INSTRUCTION;
	d->qual = (size - 1) | ((unsigned)is_in << 3) | ((unsigned)str << 4) |
	          ((unsigned)imm << 6) | ((uint64_t)port << 16);
	if (str) {
		unsigned sreg;

		if (in->rep)
			d->qual |= 1u << 5;
		d->has_gla = true;
		d->gla = str_gla(cpu, in, is_in, &sreg);
		if (vmx_cap(cpu->vmx->profile, MSR_IA32_VMX_BASIC) & VMX_BASIC_INS_OUTS_INFO) {
			d->has_info = true;
			d->info = ((uint32_t)(in->asize - 1) << 7) | ((uint32_t)sreg << 15);
		}
	}
	return X_OK;
}
