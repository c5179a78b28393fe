/* Slow paths of guest memory access: TLB misses, page-crossing accesses,
 * MMIO and unbacked memory, writes to code, and the full legacy
 * segmentation checks. */
#include "access.h"

#include "../mem/bus.h"
#include "../vmx/vmx.h"
#include "debug.h"

/* Linear addresses wrap at 4 GiB outside 64-bit mode. */
static uint64_t lin_next(const struct cpu *cpu, uint64_t gla)
{
	return cpu->mode == MODE_LONG ? gla : (uint32_t)gla;
}

/* Read `size` bytes that lie in one page. */
static int read_in_page(struct cpu *cpu, uint64_t gla, unsigned size, unsigned accf, uint64_t *val)
{
	uint8_t *host;
	uint64_t gpa;

	TRY(tlb_fill(cpu, gla, ACC_READ, accf, &host, &gpa));
	/* VMX: the APIC-access page (src/vmx/apicv.c). */
	if (unlikely(!host && cpu->vmx_nonroot) && vmx_apic_page(cpu, gpa))
		return vmx_apic_read(cpu, gpa, size, val);
	*val = host ? access_load(host, size) : bus_read(cpu->bus, gpa, size);
	return X_OK;
}

/* #AC(0) for a misaligned explicit data access at CPL 3 while alignment
 * checking is armed (SDM Vol. 3A §6.15, "Interrupt 17"). */
static bool misaligned(const struct cpu *cpu, uint64_t gla, unsigned size, unsigned accf)
{
	return cpu->ac_check && (accf & ACCF_USER) && !(accf & ACCF_IMPLICIT) &&
	       (gla & (size - 1));
}

int access_lin_read_slow(struct cpu *cpu, uint64_t gla, unsigned size, unsigned accf,
                         uint64_t *val)
{
	unsigned first = 4096 - (unsigned)(gla & 0xfff);
	uint64_t lo = 0;

	if (misaligned(cpu, gla, size, accf))
		return cpu_fault(cpu, EXC_AC, 0);

	if (first >= size) {
		TRY(read_in_page(cpu, gla, size, accf, val));
		goto done;
	}
	/* Page-crossing: byte by byte across the two pages, both translated
	 * before anything is returned. */
	for (unsigned i = 0; i < size; i++) {
		uint64_t b;

		TRY(read_in_page(cpu, lin_next(cpu, gla + i), 1, accf, &b));
		lo |= b << (8 * i);
	}
	*val = lo;
done:
	/* Data breakpoints match the completed access (debug.c); their pages
	 * are never in the TLB, so this is the only place that sees them. */
	if (unlikely(cpu->dbg_data))
		debug_data_access(cpu, gla, size, false);
	return X_OK;
}

static int write_in_page(struct cpu *cpu, uint64_t gla, unsigned size, unsigned accf, uint64_t val)
{
	uint8_t *host;
	uint64_t gpa;

	TRY(tlb_fill(cpu, gla, ACC_WRITE, accf, &host, &gpa));
	if (unlikely(!host && cpu->vmx_nonroot) && vmx_apic_page(cpu, gpa))
		return vmx_apic_write(cpu, gpa, size, val);
	if (host)
		access_store(host, size, val);
	else
		bus_write(cpu->bus, gpa, size, val); /* MMIO, unbacked, or code */
	return X_OK;
}

int access_lin_probe_write(struct cpu *cpu, uint64_t gla, unsigned size)
{
	uint8_t *host;
	uint64_t gpa;
	unsigned accf = access_user_flag(cpu);

	TRY(tlb_fill(cpu, gla, ACC_WRITE, accf, &host, &gpa));
	if ((gla & 0xfff) + size > 4096)
		TRY(tlb_fill(cpu, lin_next(cpu, (gla | 0xfff) + 1), ACC_WRITE, accf, &host, &gpa));
	return X_OK;
}

int access_lin_write_slow(struct cpu *cpu, uint64_t gla, unsigned size, unsigned accf,
                          uint64_t val)
{
	unsigned first = 4096 - (unsigned)(gla & 0xfff);
	uint8_t *host;
	uint64_t gpa;

	if (misaligned(cpu, gla, size, accf))
		return cpu_fault(cpu, EXC_AC, 0);
	if (first >= size) {
		TRY(write_in_page(cpu, gla, size, accf, val));
	} else {
		/* Both pages must be writable before any byte is stored. */
		TRY(tlb_fill(cpu, gla, ACC_WRITE, accf, &host, &gpa));
		if (unlikely(!host && cpu->vmx_nonroot) && vmx_apic_page(cpu, gpa))
			return vmx_apic_split_write(cpu, gpa);
		TRY(tlb_fill(cpu, lin_next(cpu, gla + first), ACC_WRITE, accf, &host, &gpa));
		if (unlikely(!host && cpu->vmx_nonroot) && vmx_apic_page(cpu, gpa))
			return vmx_apic_split_write(cpu, gpa);
		for (unsigned i = 0; i < size; i++)
			TRY(write_in_page(cpu, lin_next(cpu, gla + i), 1, accf, (val >> (8 * i)) & 0xff));
	}
	if (unlikely(cpu->dbg_data))
		debug_data_access(cpu, gla, size, true);
	return X_OK;
}

/* SDM Vol. 3A §5.3 (limit checking) and §5.4-5.5 (type checking) for
 * protected, real and virtual-8086 mode.  Faults are #SS(0) for SS and
 * #GP(0) otherwise. */
int access_seg_legacy(struct cpu *cpu, unsigned sreg, uint64_t ea, unsigned size, int write,
                      uint64_t *gla)
{
	const struct seg *s = &cpu->seg[sreg];
	unsigned vec = sreg == SEG_SS ? EXC_SS : EXC_GP;
	uint64_t last = ea + size - 1;

	if (cpu->mode == MODE_PROT || cpu->mode == MODE_COMPAT) {
		if (s->attr & SEG_UNUSABLE)
			return cpu_fault(cpu, vec, 0);
		if (s->attr & SEG_TYPE_CODE) {
			/* Code segments are never writable; readable only with R. */
			if (write || !(s->attr & SEG_TYPE_WR))
				return cpu_fault(cpu, vec, 0);
		} else if (write && !(s->attr & SEG_TYPE_WR)) {
			return cpu_fault(cpu, vec, 0);
		}
	}
	if (!(s->attr & SEG_TYPE_CODE) && (s->attr & SEG_TYPE_EC)) {
		/* Expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF. */
		uint64_t top = (s->attr & SEG_DB) ? 0xffffffffull : 0xffffull;

		if (ea <= s->limit || last > top)
			return cpu_fault(cpu, vec, 0);
	} else if (last > s->limit) {
		return cpu_fault(cpu, vec, 0);
	}
	*gla = (uint32_t)(s->base + ea);
	return X_OK;
}
