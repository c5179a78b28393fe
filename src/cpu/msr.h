/* Model-specific registers reached by RDMSR and WRMSR (SDM Vol. 4 chapter
 * 2, the architectural MSRs of Table 2-2).  Any index not listed in msr.c
 * is #GP(0). */
#ifndef SOFTVTX_CPU_MSR_H
#define SOFTVTX_CPU_MSR_H

#include <stdint.h>

#include "cpu.h"
#include "../vmx/vmx.h"

/* Read MSR `idx`; #GP(0) in cpu->fault for an unknown index. */
int msr_read(struct cpu *cpu, uint32_t idx, uint64_t *val) WARN_UNUSED;
/* Write MSR `idx` with its reserved-bit, canonical and lock checks; on
 * failure nothing changes.  May change the mode (EFER) or flush the TLB. */
int msr_write(struct cpu *cpu, uint32_t idx, uint64_t val) WARN_UNUSED;

/* The time-stamp counter: the cycle counter plus the offset that writes
 * to IA32_TSC establish. */
static inline uint64_t cpu_tsc(const struct cpu *cpu)
{
	uint64_t t = cpu->cycles + cpu->tsc_offset;

	/* In VMX non-root operation RDTSC, RDTSCP and RDMSR of IA32_TSC
	 * read it offset and scaled by the VMCS (Vol. 3C §25.3). */
	if (unlikely(cpu->vmx_nonroot))
		t = vmx_guest_tsc(cpu, t);
	return t;
}

/* IA32_FEATURE_CONTROL (Vol. 4 Table 2-2)
 *   2 enable VMX outside SMX | 1 enable VMX inside SMX | 0 lock */
#define FEATURE_CONTROL_LOCK        (1ull << 0)
#define FEATURE_CONTROL_VMX_IN_SMX  (1ull << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE (1ull << 2)

/* IA32_APIC_BASE: 63:MAXPHYADDR reserved | base | 11 enable | 10 x2APIC |
 *   8 BSP (read-only) */
#define APIC_BASE_BSP    (1ull << 8)
#define APIC_BASE_ENABLE (1ull << 11)

/* IA32_MISC_ENABLE bits: 0 fast strings (writable); 11 BTS unavailable and
 * 12 PEBS unavailable read as 1 because no debug store is reported. */
#define MISC_ENABLE_FAST_STRINGS (1ull << 0)
#define MISC_ENABLE_RO1          ((1ull << 11) | (1ull << 12))

#endif
