/* Debug-register breakpoints: arming from DR7, the address matches, and
 * the #DB they raise.  See debug.h for the DR7 layout and for where the
 * run loop and the access slow paths call in. */
#include "debug.h"

#include "cr.h"
#include "mmu.h"

static unsigned bp_rw(uint64_t dr7, unsigned n)
{
	return (unsigned)(dr7 >> (16 + 4 * n)) & 3;
}

/* §17.2.4 "LEN0 through LEN3": 00 one byte, 01 two, 10 eight (IA-32e
 * mode; undefined on older processors, taken as eight here too), 11
 * four. */
static uint64_t bp_len(uint64_t dr7, unsigned n)
{
	static const uint8_t len[4] = { 1, 2, 8, 4 };

	return len[(dr7 >> (18 + 4 * n)) & 3];
}

/* Linear addresses are 32 bits wide outside 64-bit mode; so is the part
 * of DR0-DR3 the processor compares then. */
static uint64_t lin_mask(const struct cpu *cpu)
{
	return cpu->mode == MODE_LONG ? ~0ull : 0xffffffffull;
}

/* §17.2.5: a multi-byte breakpoint must be aligned on its length; the
 * low address bits inside that length are not compared. */
static uint64_t bp_base(const struct cpu *cpu, unsigned n)
{
	return cpu->dr[n] & lin_mask(cpu) & ~(bp_len(cpu->dr[7], n) - 1);
}

void debug_update(struct cpu *cpu)
{
	uint64_t dr7 = cpu->dr[7];
	uint8_t old_data = cpu->dbg_data;

	cpu->dbg_exec = cpu->dbg_data = cpu->dbg_io = 0;
	for (unsigned n = 0; n < 4; n++) {
		/* §17.2.4: Ln or Gn enables breakpoint n. */
		if (!((dr7 >> (2 * n)) & 3))
			continue;
		switch (bp_rw(dr7, n)) {
		case 0:
			/* §17.2.4: "instruction breakpoint addresses must have a
			 * length specification of 1 byte (the LENn field is set
			 * to 00)"; other lengths are undefined and arm nothing
			 * here. */
			if (((dr7 >> (18 + 4 * n)) & 3) == 0)
				cpu->dbg_exec |= 1u << n;
			break;
		case 2:
			/* §17.2.4: R/W = 10 means I/O reads and writes only with
			 * CR4.DE = 1; it is undefined otherwise. */
			if (cpu->cr4 & CR4_DE)
				cpu->dbg_io |= 1u << n;
			break;
		default:
			cpu->dbg_data |= 1u << n;
			break;
		}
	}
	cpu->dbg_armed = (cpu->dbg_exec | cpu->dbg_data | cpu->dbg_io) != 0;
	/* Pages of armed data breakpoints must not be in the TLB (tlb_fill);
	 * whenever the set may have changed, drop every entry. */
	if (old_data || cpu->dbg_data)
		tlb_flush_all(cpu);
}

/* §17.3.1.1: "When the RF flag is set, the processor ignores instruction
 * breakpoints." */
unsigned debug_exec_hits(const struct cpu *cpu)
{
	uint64_t lin = (cpu->seg[SEG_CS].base + cpu->rip) & lin_mask(cpu);
	unsigned hits = 0;

	if (cpu->rflags & RFLAGS_RF)
		return 0;
	for (unsigned n = 0; n < 4; n++)
		if (((cpu->dbg_exec >> n) & 1) && (cpu->dr[n] & lin_mask(cpu)) == lin)
			hits |= 1u << n;
	return hits;
}

bool debug_page_watched(const struct cpu *cpu, uint64_t gla)
{
	for (unsigned n = 0; n < 4; n++)
		if (((cpu->dbg_data >> n) & 1) && ((bp_base(cpu, n) ^ gla) & ~0xfffull) == 0)
			return true;
	return false;
}

/* Do [a, a+size) and breakpoint n's range share a byte? */
static bool overlaps(const struct cpu *cpu, unsigned n, uint64_t a, uint64_t size)
{
	uint64_t base = bp_base(cpu, n), len = bp_len(cpu->dr[7], n);

	return a < base + len && base < a + size;
}

/* §17.2.4 R/W: 01 "break on data writes only", 11 "break on data reads
 * or writes but not instruction fetches".  §17.2.5: the breakpoint is
 * triggered when any byte of the access lies in the breakpoint's range. */
void debug_data_access(struct cpu *cpu, uint64_t gla, unsigned size, bool write)
{
	gla &= lin_mask(cpu);
	for (unsigned n = 0; n < 4; n++) {
		if (!((cpu->dbg_data >> n) & 1))
			continue;
		if (!write && bp_rw(cpu->dr[7], n) != 3)
			continue;
		if (overlaps(cpu, n, gla, size))
			cpu->dbg_hits |= (uint8_t)(1u << n);
	}
}

/* §17.2.4 R/W = 10: "break on I/O reads or writes"; the port is compared
 * with the low 16 bits of DRn, within LENn. */
void debug_io_access(struct cpu *cpu, uint16_t port, unsigned size)
{
	for (unsigned n = 0; n < 4; n++) {
		uint64_t len = bp_len(cpu->dr[7], n), base = cpu->dr[n] & 0xffff & ~(len - 1);

		if (((cpu->dbg_io >> n) & 1) && port < base + len && base < (uint64_t)port + size)
			cpu->dbg_hits |= (uint8_t)(1u << n);
	}
}

/* §17.2.3: B0-B3 report the breakpoint conditions met ("certain debug
 * exceptions may clear bits 0-3"), BS the single-step trap; the other
 * DR6 bits are left as they were. */
int debug_raise(struct cpu *cpu, unsigned b, bool bs)
{
	cpu->fault.db_dr6 = cpu->dr[6];
	cpu->fault.db_bits = (b & DR6_B0_B3) | (bs ? DR6_BS : 0);
	cpu->dr[6] = (cpu->dr[6] & ~DR6_B0_B3) | (b & DR6_B0_B3);
	if (bs)
		cpu->dr[6] |= DR6_BS;
	return cpu_fault_noerr(cpu, EXC_DB);
}
