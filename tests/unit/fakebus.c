/* Test fixture: see fakebus.h. */
#include "fakebus.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "cpu/mmu.h"
#include "vmx/vmx.h"

static void put_desc(struct bus *bus, unsigned sel, uint32_t base, uint32_t limit, uint8_t access,
                     uint8_t flags)
{
	uint64_t d = (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) |
	             ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	             ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);

	bus_write(bus, 0x1000 + sel, 8, d);
}

static void set_seg(struct seg *s, uint16_t sel, uint64_t base, uint32_t limit, uint32_t attr)
{
	s->sel = sel;
	s->base = base;
	s->limit = limit;
	s->attr = attr;
}

struct tm *tm_new(enum tm_mode mode)
{
	struct tm *tm = calloc(1, sizeof(*tm));
	struct cpu *cpu;

	tm->bus = bus_new(TM_RAM);
	tm->cpu = cpu_new(tm->bus);
	cpu = tm->cpu;
	put_desc(tm->bus, TM_SEL_CODE64, 0, 0xfffff, 0x9b, 0xa);   /* L=1, G=1 */
	put_desc(tm->bus, TM_SEL_CODE32, 0, 0xfffff, 0x9b, 0xc);   /* D=1, G=1 */
	put_desc(tm->bus, TM_SEL_DATA, 0, 0xfffff, 0x93, 0xc);
	put_desc(tm->bus, TM_SEL_CODE16, 0, 0xffff, 0x9b, 0x0);
	put_desc(tm->bus, TM_SEL_UCODE32 & ~3, 0, 0xfffff, 0xfb, 0xc);
	put_desc(tm->bus, TM_SEL_UDATA & ~3, 0, 0xfffff, 0xf3, 0xc);
	put_desc(tm->bus, TM_SEL_UCODE64 & ~3, 0, 0xfffff, 0xfb, 0xa);
	cpu->gdtr.base = 0x1000;
	cpu->gdtr.limit = 0x3f;
	cpu->idtr.base = 0x2000;
	cpu->idtr.limit = 0;
	cpu->gpr[R_RSP] = TM_STACK;
	if (mode == TM_REAL) {
		cpu->idtr.base = 0;
		cpu->idtr.limit = 0x3ff;
		for (int i = 0; i < 6; i++)
			set_seg(&cpu->seg[i], 0, 0, 0xffff, SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A);
		cpu->seg[SEG_CS].attr |= SEG_TYPE_CODE;
		cpu->gpr[R_RSP] = 0x8000;
	} else {
		uint32_t data = SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB | SEG_G;

		cpu->cr0 = CR0_PE | CR0_ET | CR0_NE;
		for (int i = 0; i < 6; i++)
			set_seg(&cpu->seg[i], TM_SEL_DATA, 0, 0xffffffff, data);
		set_seg(&cpu->seg[SEG_CS], TM_SEL_CODE32, 0, 0xffffffff,
		        SEG_P | SEG_S | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB | SEG_G);
		set_seg(&cpu->seg[SEG_TR], 0, 0, 0x67, SEG_P | SYS_TSS_BUSY);
		if (mode == TM_LONG64) {
			/* Identity map the first 1 GiB with 2M pages. */
			tm_write(tm, 0x10000, 8, 0x11000 | PTE_P | PTE_W | PTE_U);
			tm_write(tm, 0x11000, 8, 0x12000 | PTE_P | PTE_W | PTE_U);
			for (uint64_t i = 0; i < 512; i++)
				tm_write(tm, 0x12000 + 8 * i, 8,
				         (i << 21) | PTE_P | PTE_W | PTE_U | PTE_PS);
			cpu->cr3 = 0x10000;
			cpu->cr4 = CR4_PAE;
			cpu->efer = EFER_LME | EFER_LMA;
			cpu->cr0 |= CR0_PG;
			set_seg(&cpu->seg[SEG_CS], TM_SEL_CODE64, 0, 0xffffffff,
			        SEG_P | SEG_S | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A | SEG_L | SEG_G);
			set_seg(&cpu->seg[SEG_TR], 0, 0, 0x67, SEG_P | SYS_TSS_BUSY);
		}
	}
	cpu_update_mode(cpu);
	tlb_flush_all(cpu);
	return tm;
}

void tm_free(struct tm *tm)
{
	cpu_free(tm->cpu);
	bus_free(tm->bus);
	free(tm);
}

void tm_code(struct tm *tm, const void *bytes, size_t len)
{
	bus_write_bytes(tm->bus, TM_CODE, bytes, len);
	if (tm->cpu->mode == MODE_REAL) {
		tm->cpu->seg[SEG_CS].sel = (uint16_t)(TM_CODE >> 4);
		tm->cpu->seg[SEG_CS].base = TM_CODE;
		tm->cpu->rip = 0;
	} else {
		tm->cpu->rip = TM_CODE;
	}
}

enum cpu_stop tm_run(struct tm *tm, uint64_t n)
{
	return cpu_run(tm->cpu, n);
}

uint64_t tm_read(struct tm *tm, uint64_t gpa, unsigned size)
{
	return bus_read(tm->bus, gpa, size);
}

void tm_write(struct tm *tm, uint64_t gpa, unsigned size, uint64_t v)
{
	bus_write(tm->bus, gpa, size, v);
}

void tm_nonroot(struct tm *tm, uint64_t vmcs_pa, uint64_t host_rip)
{
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;

	cpu->cr4 |= CR4_VMXE;
	v->op = VMX_NONROOT;
	v->vmxon_ptr = vmcs_pa - 0x1000;
	v->current_vmcs = vmcs_pa;
	cpu->vmx_nonroot = true;
	VMCS_SET(v, EXIT_CONTROLS, 1u << 9);   /* host address-space size */
	VMCS_SET(v, HOST_CR0, cpu->cr0);
	VMCS_SET(v, HOST_CR3, cpu->cr3);
	VMCS_SET(v, HOST_CR4, cpu->cr4);
	VMCS_SET(v, HOST_CS_SELECTOR, TM_SEL_CODE64);
	VMCS_SET(v, HOST_SS_SELECTOR, TM_SEL_DATA);
	VMCS_SET(v, HOST_DS_SELECTOR, TM_SEL_DATA);
	VMCS_SET(v, HOST_ES_SELECTOR, TM_SEL_DATA);
	VMCS_SET(v, HOST_TR_SELECTOR, 0x40);
	VMCS_SET(v, HOST_GDTR_BASE, 0x1000);
	VMCS_SET(v, HOST_RIP, host_rip);
	VMCS_SET(v, HOST_RSP, TM_STACK);
	tm_write(tm, host_rip, 1, 0xf4);
}
