/* RDMSR/WRMSR back end: the architectural MSRs of SDM Vol. 4 Table 2-2
 * that softvtx models.  Every write is checked completely before it is
 * stored. */
#include "msr.h"

#include "../vmx/profile.h"
#include "../vmx/vmx.h"
#include "cpuid.h"
#include "cr.h"

/* MTRRcap: no variable ranges (VCNT = 0), no fixed ranges, no WC, no SMRR:
 * only IA32_MTRR_DEF_TYPE exists.  Vol. 3A §11.11.1. */
#define MTRRCAP_VALUE 0ull

/* IA32_MTRR_DEF_TYPE: 11 E | 10 FE | 7:0 type.  FE is reserved because
 * MTRRcap.FIX = 0. */
#define MTRR_DEF_TYPE_E (1ull << 11)

/* Memory types valid in PAT entries and MTRRs (Vol. 3A Table 11-10):
 * UC 0, WC 1, WT 4, WP 5, WB 6, and UC- 7 for the PAT only. */
static bool mem_type_ok(unsigned t, bool pat)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || (pat && t == 7);
}

int msr_read(struct cpu *cpu, uint32_t idx, uint64_t *val)
{
	switch (idx) {
	case MSR_IA32_TSC: *val = cpu_tsc(cpu); break;
	case MSR_IA32_APIC_BASE: *val = cpu->apic_base; break;
	case MSR_IA32_FEATURE_CONTROL: *val = cpu->feature_control; break;
	case MSR_IA32_MTRRCAP: *val = MTRRCAP_VALUE; break;
	case MSR_IA32_SYSENTER_CS: *val = cpu->sysenter_cs; break;
	case MSR_IA32_SYSENTER_ESP: *val = cpu->sysenter_esp; break;
	case MSR_IA32_SYSENTER_EIP: *val = cpu->sysenter_eip; break;
	case MSR_IA32_MISC_ENABLE: *val = cpu->misc_enable | MISC_ENABLE_RO1; break;
	case MSR_IA32_PAT: *val = cpu->pat; break;
	case MSR_IA32_MTRR_DEF_TYPE: *val = cpu->mtrr_def_type; break;
	case MSR_IA32_EFER: *val = cpu->efer; break;
	case MSR_IA32_STAR: *val = cpu->star; break;
	case MSR_IA32_LSTAR: *val = cpu->lstar; break;
	case MSR_IA32_CSTAR: *val = cpu->cstar; break;
	case MSR_IA32_FMASK: *val = cpu->fmask; break;
	case MSR_IA32_FS_BASE: *val = cpu->seg[SEG_FS].base; break;
	case MSR_IA32_GS_BASE: *val = cpu->seg[SEG_GS].base; break;
	case MSR_IA32_KERNEL_GS_BASE: *val = cpu->kernel_gs_base; break;
	case MSR_IA32_TSC_AUX:
		if (!cpuid_has(cpu, FEAT_RDTSCP))
			return cpu_gp0(cpu);
		*val = cpu->tsc_aux;
		break;
	default:
		/* The VMX capability MSRs come from the CPU profile; absent
		 * ones are #GP(0) (vmx-capabilities.md §1). */
		if (idx >= VMX_MSR_FIRST && idx < VMX_MSR_FIRST + VMX_MSR_COUNT) {
			if (!vmx_rdmsr_cap(cpu, idx, val))
				return cpu_gp0(cpu);
			break;
		}
		/* Vol. 2 RDMSR: a reserved or unimplemented MSR is #GP(0). */
		return cpu_gp0(cpu);
	}
	return X_OK;
}

/* Vol. 2 WRMSR: addresses written to these MSRs must be canonical. */
static int canonical_store(struct cpu *cpu, uint64_t *dst, uint64_t val)
{
	if (!cpu_is_canonical(val))
		return cpu_gp0(cpu);
	*dst = val;
	return X_OK;
}

static int write_apic_base(struct cpu *cpu, uint64_t val)
{
	/* Vol. 3A §10.4.4: bits 7:0, 9 and 63:MAXPHYADDR are reserved; bit
	 * 10 (x2APIC enable) too, as x2APIC is not reported.  BSP is
	 * read-only. */
	uint64_t rsvd = ~cpu->maxphyaddr_mask | 0x6ffull;

	if ((val & ~APIC_BASE_BSP) & rsvd)
		return cpu_gp0(cpu);
	cpu->apic_base = (val & ~APIC_BASE_BSP) | (cpu->apic_base & APIC_BASE_BSP);
	return X_OK;
}

static int write_pat(struct cpu *cpu, uint64_t val)
{
	/* Vol. 3A §11.12.2: each entry holds a type in bits 2:0; bits 7:3
	 * and the reserved types 2 and 3 are #GP(0). */
	for (unsigned i = 0; i < 8; i++)
		if (!mem_type_ok((val >> (8 * i)) & 0xff, true))
			return cpu_gp0(cpu);
	cpu->pat = val;
	return X_OK;
}

static int write_mtrr_def_type(struct cpu *cpu, uint64_t val)
{
	/* Vol. 3A §11.11.2.1: reserved bits and invalid types are #GP(0). */
	if ((val & ~(MTRR_DEF_TYPE_E | 0xffull)) || !mem_type_ok(val & 0xff, false))
		return cpu_gp0(cpu);
	cpu->mtrr_def_type = val;
	return X_OK;
}

static int write_feature_control(struct cpu *cpu, uint64_t val)
{
	uint64_t ok = FEATURE_CONTROL_LOCK;

	/* vmx-capabilities.md §3: bit 2 exists with VMX, bit 1 only with
	 * both VMX and SMX (none is reported: the writable mask is 0x5). */
	if (cpuid_has(cpu, FEAT_VMX))
		ok |= FEATURE_CONTROL_VMX_OUTSIDE;
	if (cpuid_has(cpu, FEAT_VMX) && cpuid_has(cpu, FEAT_SMX))
		ok |= FEATURE_CONTROL_VMX_IN_SMX;
	/* Vol. 4 Table 2-2: once the lock bit is set, WRMSR is #GP(0) until
	 * reset; reserved bits are #GP(0). */
	if ((cpu->feature_control & FEATURE_CONTROL_LOCK) || (val & ~ok))
		return cpu_gp0(cpu);
	cpu->feature_control = val;
	return X_OK;
}

int msr_write(struct cpu *cpu, uint32_t idx, uint64_t val)
{
	switch (idx) {
	case MSR_IA32_TSC:
		/* Vol. 3B §17.17: the written value is what the TSC reads next. */
		cpu->tsc_offset = val - cpu->cycles;
		return X_OK;
	case MSR_IA32_APIC_BASE:
		return write_apic_base(cpu, val);
	case MSR_IA32_FEATURE_CONTROL:
		return write_feature_control(cpu, val);
	case MSR_IA32_SYSENTER_CS:
		cpu->sysenter_cs = val;
		return X_OK;
	case MSR_IA32_SYSENTER_ESP:
		return canonical_store(cpu, &cpu->sysenter_esp, val);
	case MSR_IA32_SYSENTER_EIP:
		return canonical_store(cpu, &cpu->sysenter_eip, val);
	case MSR_IA32_MISC_ENABLE:
		/* Only fast strings can be changed; the other bits read as
		 * they are, and writing a different value is #GP(0). */
		if ((val ^ (cpu->misc_enable | MISC_ENABLE_RO1)) & ~MISC_ENABLE_FAST_STRINGS)
			return cpu_gp0(cpu);
		cpu->misc_enable = val & MISC_ENABLE_FAST_STRINGS;
		return X_OK;
	case MSR_IA32_PAT:
		return write_pat(cpu, val);
	case MSR_IA32_MTRR_DEF_TYPE:
		return write_mtrr_def_type(cpu, val);
	case MSR_IA32_EFER:
		return efer_write(cpu, val);
	case MSR_IA32_STAR:
		cpu->star = val;
		return X_OK;
	case MSR_IA32_LSTAR:
		return canonical_store(cpu, &cpu->lstar, val);
	case MSR_IA32_CSTAR:
		return canonical_store(cpu, &cpu->cstar, val);
	case MSR_IA32_FMASK:
		/* Bits 63:32 are reserved. */
		if (val >> 32)
			return cpu_gp0(cpu);
		cpu->fmask = val;
		return X_OK;
	case MSR_IA32_FS_BASE:
		return canonical_store(cpu, &cpu->seg[SEG_FS].base, val);
	case MSR_IA32_GS_BASE:
		return canonical_store(cpu, &cpu->seg[SEG_GS].base, val);
	case MSR_IA32_KERNEL_GS_BASE:
		return canonical_store(cpu, &cpu->kernel_gs_base, val);
	case MSR_IA32_TSC_AUX:
		/* Bits 63:32 are reserved; the MSR exists with RDTSCP. */
		if (!cpuid_has(cpu, FEAT_RDTSCP) || (val >> 32))
			return cpu_gp0(cpu);
		cpu->tsc_aux = val;
		return X_OK;
	default:
		/* MTRRcap and the VMX capability MSRs 0x480-0x493 are
		 * read-only (vmx-capabilities.md §1); everything else is not
		 * modelled. */
		return cpu_gp0(cpu);
	}
}
