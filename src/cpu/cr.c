/* Control and debug registers.  Every CR write goes through cr_write(),
 * which makes all the checks before changing anything, so a #GP leaves the
 * processor exactly as it was. */
#include "cr.h"

#include "../mem/bus.h"
#include "../vmx/vmx.h"
#include "cpuid.h"
#include "debug.h"
#include "mmu.h"

/* CPUID is fixed for the build (cpuid.c), so the set is computed once:
 * VM entries ask for it twice each (HOST-4, GUEST-6). */
static uint64_t cr4_supported_cached;

static uint64_t cr4_supported_compute(const struct cpu *cpu);

uint64_t cr4_supported(const struct cpu *cpu)
{
	if (!cr4_supported_cached)
		cr4_supported_cached = cr4_supported_compute(cpu);
	return cr4_supported_cached;
}

static uint64_t cr4_supported_compute(const struct cpu *cpu)
{
	uint64_t m = CR4_TSD | CR4_PCE;

	/* SDM Vol. 3A §2.5: VME and PVI both come with CPUID.01H:EDX.VME[bit
	 * 1] (virtual-8086 mode extensions and protected-mode virtual
	 * interrupts, §20.3 and §20.4). */
	if (cpuid_has(cpu, FEAT_VME))
		m |= CR4_VME | CR4_PVI;
	if (cpuid_has(cpu, FEAT_DE))
		m |= CR4_DE;
	if (cpuid_has(cpu, FEAT_PSE))
		m |= CR4_PSE;
	if (cpuid_has(cpu, FEAT_PAE))
		m |= CR4_PAE;
	if (cpuid_has(cpu, FEAT_MCE))
		m |= CR4_MCE;
	if (cpuid_has(cpu, FEAT_PGE))
		m |= CR4_PGE;
	if (cpuid_has(cpu, FEAT_FXSR))
		m |= CR4_OSFXSR;
	if (cpuid_has(cpu, FEAT_SSE))
		m |= CR4_OSXMMEXCPT;
	if (cpuid_has(cpu, FEAT_UMIP))
		m |= CR4_UMIP;
	if (cpuid_has(cpu, FEAT_LA57))
		m |= CR4_LA57;
	if (cpuid_has(cpu, FEAT_VMX))
		m |= CR4_VMXE;
	if (cpuid_has(cpu, FEAT_FSGSBASE))
		m |= CR4_FSGSBASE;
	if (cpuid_has(cpu, FEAT_PCID))
		m |= CR4_PCIDE;
	if (cpuid_has(cpu, FEAT_XSAVE))
		m |= CR4_OSXSAVE;
	if (cpuid_has(cpu, FEAT_SMEP))
		m |= CR4_SMEP;
	if (cpuid_has(cpu, FEAT_SMAP))
		m |= CR4_SMAP;
	if (cpuid_has(cpu, FEAT_PKU))
		m |= CR4_PKE;
	return m;
}

/* SDM Vol. 3A §4.4.1: in PAE paging (not IA-32e), the four PDPTEs are
 * loaded by MOV to CR3, by MOV to CR0 or CR4 that enters PAE paging or
 * changes PAE/PGE/PSE/SMEP (and CD/NW/PG) while in it; a present PDPTE
 * with a reserved bit set (2:1, 8:5, 63:MAXPHYADDR) makes that MOV #GP(0).
 * mmu_load_pdptes() makes the check (the walker re-reads them, except
 * under EPT, where it keeps them as the processor does). */

static bool pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LME);
}

/* A CR or EFER write, for the trace (rare path: only with a trace set). */
static void trace_write(struct cpu *cpu, enum cpu_tev_kind kind, unsigned cr, uint64_t old,
                        uint64_t val)
{
	struct cpu_tev ev = { .kind = kind, .cr = cr, .old = old, .val = val };

	cpu->trace_ev_fn(cpu->trace_opaque, cpu, &ev);
}

static int write_cr0(struct cpu *cpu, uint64_t val)
{
	uint64_t old = cpu->cr0, efer = cpu->efer;

	/* Vol. 2 MOV CR: setting any of CR0[63:32] is #GP(0). */
	if (val >> 32)
		return cpu_gp0(cpu);
	/* §2.5: reserved bits of CR0[31:0] ignore writes; ET is fixed 1. */
	val = (val & CR0_DEFINED) | CR0_ET;
	/* §2.5 / Vol. 2 MOV CR: PG without PE, and NW without CD, are #GP(0). */
	if ((val & CR0_PG) && !(val & CR0_PE))
		return cpu_gp0(cpu);
	if ((val & CR0_NW) && !(val & CR0_CD))
		return cpu_gp0(cpu);
	/* Vol. 3C §23.8: in VMX operation CR0 stays within
	 * IA32_VMX_CR0_FIXED0/FIXED1 (PE, NE, PG stay 1). */
	if (!vmx_cr_write_ok(cpu, 0, val))
		return cpu_gp0(cpu);
	if (!(val & CR0_PG) && (old & CR0_PG)) {
		/* Vol. 2 MOV CR, 64-bit mode exceptions: clearing PG is #GP(0);
		 * leaving IA-32e mode is done from compatibility mode. */
		if (cpu->mode == MODE_LONG)
			return cpu_gp0(cpu);
		/* §4.10.1: PG cannot be cleared while CR4.PCIDE = 1. */
		if (cpu->cr4 & CR4_PCIDE)
			return cpu_gp0(cpu);
		efer &= ~EFER_LMA;
	}
	if ((val & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
		/* §9.8.5: activating IA-32e mode needs CR4.PAE = 1, and is #GP
		 * from a code segment with L = 1. */
		if (!(cpu->cr4 & CR4_PAE))
			return cpu_gp0(cpu);
		if (cpu->seg[SEG_CS].attr & SEG_L)
			return cpu_gp0(cpu);
		efer |= EFER_LMA;
	}
	if (pae_paging(val, cpu->cr4, efer) && ((val ^ old) & (CR0_PG | CR0_CD | CR0_NW)))
		TRY(mmu_load_pdptes(cpu, cpu->cr3));
	if (unlikely(cpu->trace_ev_fn)) {
		trace_write(cpu, CPU_TEV_CR, 0, old, val);
		if (efer != cpu->efer)
			trace_write(cpu, CPU_TEV_EFER, 0, cpu->efer, efer);
	}

	cpu->cr0 = val;
	cpu->efer = efer;
	/* §4.10.4.1: changing PG flushes; the TLB caches WP and PE-derived
	 * rights too. */
	if ((val ^ old) & (CR0_PG | CR0_PE | CR0_WP))
		tlb_flush_all(cpu);
	cpu_update_mode(cpu);
	return X_OK;
}

static int write_cr3(struct cpu *cpu, uint64_t val)
{
	/* §4.10.4.1: with CR4.PCIDE = 1, bit 63 asks not to flush; it is not
	 * stored.  We flush anyway, which is always allowed. */
	if (cpu->cr4 & CR4_PCIDE)
		val &= ~(1ull << 63);
	/* Vol. 2 MOV CR: in IA-32e mode, bits above MAXPHYADDR are #GP(0)
	 * (bit 63 included when PCIDE = 0). */
	if ((cpu->efer & EFER_LMA) && (val & ~cpu->maxphyaddr_mask))
		return cpu_gp0(cpu);
	if (!(cpu->efer & EFER_LMA))
		val = (uint32_t)val;
	if (pae_paging(cpu->cr0, cpu->cr4, cpu->efer))
		TRY(mmu_load_pdptes(cpu, val));
	if (unlikely(cpu->trace_ev_fn))
		trace_write(cpu, CPU_TEV_CR, 3, cpu->cr3, val);
	cpu->cr3 = val;
	tlb_flush_all(cpu);
	return X_OK;
}

static int write_cr4(struct cpu *cpu, uint64_t val)
{
	uint64_t old = cpu->cr4;
	uint64_t paging_bits = CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP |
	                       CR4_LA57 | CR4_PKE;

	/* Vol. 2 MOV CR: reserved bits, and bits of features CPUID does not
	 * report, are #GP(0). */
	if (val & ~cr4_supported(cpu))
		return cpu_gp0(cpu);
	/* Vol. 3C §23.8: in VMX operation CR4 stays within
	 * IA32_VMX_CR4_FIXED0/FIXED1, and VMXE cannot be cleared. */
	if (!vmx_cr_write_ok(cpu, 4, val))
		return cpu_gp0(cpu);
	/* Vol. 2 MOV CR: leaving IA-32e mode by clearing PAE is #GP(0). */
	if ((cpu->efer & EFER_LMA) && !(val & CR4_PAE))
		return cpu_gp0(cpu);
	/* §4.10.1: PCIDE goes 0 -> 1 only in IA-32e mode with CR3[11:0] = 0. */
	if ((val & CR4_PCIDE) && !(old & CR4_PCIDE) &&
	    (!(cpu->efer & EFER_LMA) || (cpu->cr3 & 0xfff)))
		return cpu_gp0(cpu);
	if (pae_paging(cpu->cr0, val, cpu->efer) &&
	    ((val ^ old) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)))
		TRY(mmu_load_pdptes(cpu, cpu->cr3));
	if (unlikely(cpu->trace_ev_fn))
		trace_write(cpu, CPU_TEV_CR, 4, old, val);
	cpu->cr4 = val;
	/* §4.10.4.1: changes to these bits flush (the TLB caches their
	 * effect). */
	if ((val ^ old) & paging_bits)
		tlb_flush_all(cpu);
	cpu_update_mode(cpu);
	/* CR4.DE decides whether DR7 R/W = 10 arms I/O breakpoints. */
	if ((val ^ old) & CR4_DE)
		debug_update(cpu);
	return X_OK;
}

int cr_write(struct cpu *cpu, unsigned n, uint64_t val)
{
	switch (n) {
	case 0:
		return write_cr0(cpu, val);
	case 2:
		cpu->cr2 = val;
		return X_OK;
	case 3:
		return write_cr3(cpu, val);
	case 4:
		return write_cr4(cpu, val);
	case 8:
		/* §10.8.6.1: CR8 is the TPR; bits 63:4 are reserved (#GP). */
		if (val & ~0xfull)
			return cpu_gp0(cpu);
		cpu->cr8 = val;
		return X_OK;
	default:
		return cpu_ud(cpu);
	}
}

uint64_t efer_supported(const struct cpu *cpu)
{
	uint64_t ok = 0;

	if (cpuid_has(cpu, FEAT_SYSCALL))
		ok |= EFER_SCE;
	if (cpuid_has(cpu, FEAT_LM))
		ok |= EFER_LME | EFER_LMA;
	if (cpuid_has(cpu, FEAT_NX))
		ok |= EFER_NXE;
	return ok;
}

int efer_write(struct cpu *cpu, uint64_t val)
{
	uint64_t ok = efer_supported(cpu);

	/* Vol. 4 Table 2-2: reserved bits are #GP(0). */
	if (val & ~ok)
		return cpu_gp0(cpu);
	/* §9.8.5: LME cannot change while paging is on; LMA is set and
	 * cleared by the processor only, so the written value is ignored. */
	if ((cpu->cr0 & CR0_PG) && ((val ^ cpu->efer) & EFER_LME))
		return cpu_gp0(cpu);
	val = (val & ~EFER_LMA) | (cpu->efer & EFER_LMA);
	if ((val ^ cpu->efer) & EFER_NXE)
		tlb_flush_all(cpu);
	if (unlikely(cpu->trace_ev_fn))
		trace_write(cpu, CPU_TEV_EFER, 0, cpu->efer, val);
	cpu->efer = val;
	cpu_update_mode(cpu);
	return X_OK;
}

/* The general register of a MOV CR/DR: 64 bits in 64-bit mode whatever
 * REX.W says, 32 bits elsewhere (Vol. 2 MOV CR: "operand size ... fixed"). */
static unsigned crmov_lg(const struct cpu *cpu)
{
	return cpu->mode == MODE_LONG ? 3 : 2;
}

static bool cr_exists(unsigned n)
{
	return n == 0 || n == 2 || n == 3 || n == 4 || n == 8;
}

/* Vol. 2 "MOV—Move to/from Control Registers": #UD for CR1, CR5-CR7,
 * CR9-CR15 (before the privilege check), then #GP(0) unless CPL 0. */
int cr_mov(struct cpu *cpu, const struct insn *in)
{
	bool to_cr = in->op[0].kind == OPK_CR;
	unsigned n = to_cr ? in->op[0].reg : in->op[1].reg;
	unsigned gpr = to_cr ? in->op[1].reg : in->op[0].reg;
	unsigned lg = crmov_lg(cpu);

	if (!cr_exists(n))
		return cpu_ud(cpu);
	if (cpu->cpl != 0)
		return cpu_gp0(cpu);
	if (to_cr) {
		uint64_t val = cpu_gpr_read(cpu, gpr, lg);

		/* Vol. 3C §25.3, in VMX non-root operation (the exit decision
		 * came first): host-owned CR0/CR4 bits keep their values, and
		 * with the TPR shadow CR8 is the virtual-APIC page's VTPR. */
		if (unlikely(cpu->vmx_nonroot)) {
			if (n == 8 && vmx_tpr_shadow(cpu))
				return vmx_tpr_write(cpu, val, in->len);
			val = vmx_cr_write_value(cpu, n, val);
		}
		return cr_write(cpu, n, val);
	}
	{
		uint64_t v;

		switch (n) {
		case 0: v = cpu->cr0; break;
		case 2: v = cpu->cr2; break;
		case 3: v = cpu->cr3; break;
		case 4: v = cpu->cr4; break;
		default: v = cpu->cr8; break;
		}
		/* Vol. 3C §25.3: read shadows, VTPR (intercept_cr.c). */
		if (unlikely(cpu->vmx_nonroot))
			v = vmx_cr_read(cpu, n, v);
		cpu_gpr_write(cpu, gpr, lg, v);
	}
	return X_OK;
}

/* Vol. 2 "MOV—Move to/from Debug Registers". */
int dr_mov(struct cpu *cpu, const struct insn *in)
{
	bool to_dr = in->op[0].kind == OPK_DR;
	unsigned n = to_dr ? in->op[0].reg : in->op[1].reg;
	unsigned gpr = to_dr ? in->op[1].reg : in->op[0].reg;
	unsigned lg = crmov_lg(cpu);

	/* DR8-DR15 do not exist; DR4/DR5 are #UD with CR4.DE = 1 and alias
	 * DR6/DR7 otherwise (Vol. 3B §17.2.2). */
	if (n > 7 || ((n == 4 || n == 5) && (cpu->cr4 & CR4_DE)))
		return cpu_ud(cpu);
	if (n == 4 || n == 5)
		n += 2;
	if (cpu->cpl != 0)
		return cpu_gp0(cpu);
	/* Vol. 3B §17.2.4: with DR7.GD set, any MOV DR is a #DB fault with
	 * DR6.BD set; the processor clears GD so the handler can use them. */
	if (cpu->dr[7] & DR7_GD) {
		cpu->fault.db_dr6 = cpu->dr[6];
		cpu->fault.db_bits = DR6_BD;
		cpu->dr[6] |= DR6_BD;
		cpu->dr[7] &= ~DR7_GD;
		return cpu_fault_noerr(cpu, EXC_DB);
	}
	if (!to_dr) {
		cpu_gpr_write(cpu, gpr, lg, cpu->dr[n]);
		return X_OK;
	}
	{
		uint64_t v = cpu_gpr_read(cpu, gpr, lg);

		switch (n) {
		case 6:
		case 7:
			/* Vol. 2 MOV DR: in 64-bit mode, DR6/DR7 bits 63:32 must
			 * be 0 (#GP(0)). */
			if (v >> 32)
				return cpu_gp0(cpu);
			cpu->dr[n] = n == 6 ? (v & DR6_WRITABLE) | DR6_FIXED1
			                    : (v & DR7_WRITABLE) | DR7_FIXED1;
			break;
		default:
			/* DR0-DR3 hold linear addresses; outside 64-bit mode only
			 * the low 32 bits are written. */
			cpu->dr[n] = v;
			break;
		}
		/* Breakpoints are armed from DR0-DR3 and DR7 (debug.c). */
		if (n != 6)
			debug_update(cpu);
	}
	return X_OK;
}
