/* Guest memory accesses by the CPU: segmentation (logical -> linear) and the
 * TLB fast path (linear -> host).  Every function here that can fail
 * returns enum xstatus with the exception in cpu->fault.
 *
 * Sizes are in bytes: 1, 2, 4 or 8.  Values are little-endian, zero-extended.
 */
#ifndef SOFTVTX_CPU_ACCESS_H
#define SOFTVTX_CPU_ACCESS_H

#include <string.h>

#include "cpu.h"
#include "mmu.h"

/* Out-of-line slow paths (access.c). */
int access_lin_read_slow(struct cpu *cpu, uint64_t gla, unsigned size, unsigned accf,
                         uint64_t *val) WARN_UNUSED;
int access_lin_write_slow(struct cpu *cpu, uint64_t gla, unsigned size, unsigned accf,
                          uint64_t val) WARN_UNUSED;
int access_seg_legacy(struct cpu *cpu, unsigned sreg, uint64_t ea, unsigned size, int write,
                      uint64_t *gla) WARN_UNUSED;
/* Check that [gla, gla+size) is writable without writing (used before a
 * multi-part store so that nothing is committed if a later part faults). */
int access_lin_probe_write(struct cpu *cpu, uint64_t gla, unsigned size) WARN_UNUSED;

static inline uint64_t access_load(const uint8_t *p, unsigned size)
{
	switch (size) {
	case 1: return *p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

static inline void access_store(uint8_t *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: *p = (uint8_t)v; break;
	case 2: { uint16_t w = (uint16_t)v; memcpy(p, &w, 2); break; }
	case 4: { uint32_t w = (uint32_t)v; memcpy(p, &w, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

static inline unsigned access_user_flag(const struct cpu *cpu)
{
	return cpu->mmu_idx == MMU_USER ? ACCF_USER : 0;
}

/* Linear read at the current privilege.  Fast path: compare and add.
 * The entry is the one of gla's page; it is compared with the tag of the
 * access's last byte, which equals the entry's only when that byte lies
 * in the same page (the next page's tag lives in the next slot): one
 * compare tests both the hit and that the access does not cross a page. */
static inline WARN_UNUSED int access_lin_read(struct cpu *cpu, uint64_t gla, unsigned size,
                                              uint64_t *val)
{
	const struct tlb_entry *e = &cpu->tlb[cpu->mmu_idx][TLB_READ][tlb_index(gla)];

	if (likely(e->tag == tlb_tag(cpu, gla + size - 1))) {
		*val = access_load((const uint8_t *)(uintptr_t)(gla + e->addend), size);
		return X_OK;
	}
	return access_lin_read_slow(cpu, gla, size, access_user_flag(cpu), val);
}

static inline WARN_UNUSED int access_lin_write(struct cpu *cpu, uint64_t gla, unsigned size,
                                               uint64_t val)
{
	const struct tlb_entry *e = &cpu->tlb[cpu->mmu_idx][TLB_WRITE][tlb_index(gla)];

	if (likely(e->tag == tlb_tag(cpu, gla + size - 1))) {
		access_store((uint8_t *)(uintptr_t)(gla + e->addend), size, val);
		return X_OK;
	}
	return access_lin_write_slow(cpu, gla, size, access_user_flag(cpu), val);
}

/* Implicit supervisor-mode accesses (descriptor tables, TSS, IDT): the
 * U/S check is that of CPL 0 whatever the CPL is. SDM Vol. 3A §4.6. */
static inline WARN_UNUSED int access_sys_read(struct cpu *cpu, uint64_t gla, unsigned size,
                                              uint64_t *val)
{
	const struct tlb_entry *e = &cpu->tlb[MMU_SUPER][TLB_READ][tlb_index(gla)];

	if (likely(e->tag == tlb_tag(cpu, gla + size - 1))) {
		*val = access_load((const uint8_t *)(uintptr_t)(gla + e->addend), size);
		return X_OK;
	}
	return access_lin_read_slow(cpu, gla, size, ACCF_IMPLICIT, val);
}

static inline WARN_UNUSED int access_sys_write(struct cpu *cpu, uint64_t gla, unsigned size,
                                               uint64_t val)
{
	return access_lin_write_slow(cpu, gla, size, ACCF_IMPLICIT, val);
}

/* Logical (segment:offset) -> linear, with the segmentation checks of
 * SDM Vol. 3A §5.3 (limits), §5.4-5.5 (types) and, in 64-bit mode, the
 * canonical check of §3.3.7.1.  `ea` is the effective address already
 * truncated to the address size. */
static inline WARN_UNUSED int access_linear(struct cpu *cpu, unsigned sreg, uint64_t ea,
                                            unsigned size, int write, uint64_t *gla)
{
	if (likely(cpu->mode == MODE_LONG)) {
		uint64_t a = ea + ((sreg == SEG_FS || sreg == SEG_GS) ? cpu->seg[sreg].base : 0);

		if (unlikely(!cpu_is_canonical(a) || !cpu_is_canonical(a + size - 1)))
			return cpu_fault(cpu, sreg == SEG_SS ? EXC_SS : EXC_GP, 0);
		*gla = a;
		return X_OK;
	} else {
		const struct seg *s = &cpu->seg[sreg];
		const uint32_t bad = SEG_TYPE_EC | SEG_TYPE_CODE | SEG_UNUSABLE;

		/* Fast case: usable expand-up data segment within its limit. */
		if (likely(!(s->attr & bad) && (!write || (s->attr & SEG_TYPE_WR)) &&
		           ea + size - 1 <= s->limit)) {
			*gla = (uint32_t)(s->base + ea);
			return X_OK;
		}
		return access_seg_legacy(cpu, sreg, ea, size, write, gla);
	}
}

static inline WARN_UNUSED int access_read(struct cpu *cpu, unsigned sreg, uint64_t ea,
                                          unsigned size, uint64_t *val)
{
	uint64_t gla;

	TRY(access_linear(cpu, sreg, ea, size, 0, &gla));
	return access_lin_read(cpu, gla, size, val);
}

static inline WARN_UNUSED int access_write(struct cpu *cpu, unsigned sreg, uint64_t ea,
                                           unsigned size, uint64_t val)
{
	uint64_t gla;

	TRY(access_linear(cpu, sreg, ea, size, 1, &gla));
	return access_lin_write(cpu, gla, size, val);
}

#endif
