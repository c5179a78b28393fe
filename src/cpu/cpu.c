/* Processor lifecycle: creation, power-on reset and derived-mode upkeep. */
#include "cpu.h"

#include <stdlib.h>
#include <string.h>

#include "../mem/bus.h"
#include "flags.h"
#include "icache.h"
#include "mmu.h"
#include "../vmx/vmx.h"

struct cpu *cpu_new(struct bus *bus)
{
	struct cpu *cpu = calloc(1, sizeof(*cpu));

	if (!cpu)
		return NULL;
	cpu->bus = bus;
	cpu->maxphyaddr_mask = (1ull << CPU_MAXPHYADDR) - 1;
	cpu->icache = icache_new(cpu, bus);
	cpu->vmx = vmx_new(cpu);
	if (!cpu->icache || !cpu->vmx) {
		icache_free(cpu->icache);
		vmx_free(cpu->vmx);
		free(cpu);
		return NULL;
	}
	cpu_reset(cpu);
	return cpu;
}

void cpu_free(struct cpu *cpu)
{
	if (!cpu)
		return;
	icache_free(cpu->icache);
	vmx_free(cpu->vmx);
	free(cpu);
}

static void seg_set_real(struct seg *s, uint16_t sel, uint32_t attr)
{
	s->sel = sel;
	s->base = (uint64_t)sel << 4;
	s->limit = 0xffff;
	s->attr = attr;
}

/* SDM Vol. 3A §9.1.1, Table 9-1: state after RESET. */
void cpu_reset(struct cpu *cpu)
{
	struct bus *bus = cpu->bus;
	struct icache *ic = cpu->icache;
	uint64_t mask = cpu->maxphyaddr_mask;

	memset(cpu, 0, offsetof(struct cpu, bus));
	cpu->bus = bus;
	cpu->icache = ic;
	cpu->maxphyaddr_mask = mask;
	cpu->vmx_nonroot = false;
	cpu->tlb_asid = 0;
	if (cpu->vmx)
		vmx_reset(cpu->vmx);
	flags_write(cpu, RFLAGS_FIXED1);
	cpu->rip = 0xfff0;
	cpu->cr0 = CR0_ET | CR0_CD | CR0_NW;
	cpu->gpr[R_RDX] = CPU_RESET_EDX;
	for (int i = 0; i < 6; i++)
		seg_set_real(&cpu->seg[i], 0, SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A);
	/* CS: selector F000, base FFFF0000, code, readable, accessed. */
	cpu->seg[SEG_CS].sel = 0xf000;
	cpu->seg[SEG_CS].base = 0xffff0000ull;
	cpu->seg[SEG_CS].attr = SEG_P | SEG_S | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A;
	cpu->seg[SEG_LDTR] = (struct seg){ 0, 0, 0xffff, SEG_P | SYS_LDT };
	cpu->seg[SEG_TR] = (struct seg){ 0, 0, 0xffff, SEG_P | SYS_TSS16_BUSY };
	cpu->gdtr.limit = 0xffff;
	cpu->idtr.limit = 0xffff;
	cpu->dr[6] = 0xffff0ff0;
	cpu->dr[7] = 0x400;
	cpu->pat = 0x0007040600070406ull;
	cpu->apic_base = 0xfee00900ull; /* BSP, enabled */
	cpu->misc_enable = 1;           /* fast strings */
	cpu_update_mode(cpu);
	tlb_flush_all(cpu);
}

/* Mode from CR0.PE, RFLAGS.VM, EFER.LMA and CS.L (SDM Vol. 3A §2.2, §9.8).
 * CPL is CS.DPL in protected mode (SS.DPL equals it), 0 in real mode and
 * 3 in virtual-8086 mode. */
void cpu_update_mode(struct cpu *cpu)
{
	uint32_t cs = cpu->seg[SEG_CS].attr;

	if (!(cpu->cr0 & CR0_PE)) {
		cpu->mode = MODE_REAL;
		cpu->cpl = 0;
	} else if (cpu->rflags & RFLAGS_VM) {
		cpu->mode = MODE_VM86;
		cpu->cpl = 3;
	} else {
		if (cpu->efer & EFER_LMA)
			cpu->mode = (cs & SEG_L) ? MODE_LONG : MODE_COMPAT;
		else
			cpu->mode = MODE_PROT;
		cpu->cpl = (uint8_t)((cpu->seg[SEG_SS].attr & SEG_DPL_MASK) >> SEG_DPL_SHIFT);
	}
	if (cpu->mode == MODE_LONG)
		cpu->code_size = 8;
	else if (cpu->mode != MODE_VM86 && (cs & SEG_DB))
		cpu->code_size = 4;
	else
		cpu->code_size = 2;
	cpu->paging = (cpu->cr0 & CR0_PG) != 0;
	{
		uint8_t idx = cpu->cpl == 3 ? MMU_USER : MMU_SUPER;

		if (idx != cpu->mmu_idx && cpu->icache)
			icache_flush_jump_cache(cpu->icache);
		cpu->mmu_idx = idx;
	}
	cpu_update_ac(cpu);
}
