/* softvtx runner: cases in the interpreter at CPL 3 in 64-bit mode.
 *
 * One machine is built once (guest-physical layout below) and reused:
 * per case the code and data pages are rewritten and the user state is
 * reloaded.  The case's instruction is followed by HLT, which at CPL 3
 * raises #GP(0); every exception (vectors 0-31) goes through a 64-bit
 * interrupt gate to a ring-0 stub that is a single HLT, which stops
 * cpu_run.  The stub's address names the vector, the ring-0 stack holds
 * the architectural frame (error code, RIP, CS, RFLAGS, RSP, SS), and the
 * GPRs are untouched by delivery.  So a case ends as "#GP(0) at the HLT"
 * (it completed) or as the fault it raised; nothing but the interpreter's
 * own delivery path reports either.
 *
 *   0x1000  GDT: null, kernel code64 (0x08), kernel data (0x10), and the
 *           user selectors of Linux x86-64: code32 (0x23, compatibility
 *           mode), data (0x2b), code64 (0x33); the TSS (0x38)
 *   0x2000  IDT (32 interrupt gates)
 *   0x3000  TSS (RSP0 = 0x8000)
 *   0x4000  the stubs: vector v at 0x4000 + 8 v
 *   0x8000  ring-0 stack top
 *   0x10000 PML4, 0x11000 PDPT, 0x12000 PD0 (first 2 MiB, supervisor),
 *   0x13000 PD1, 0x14000 PT (maps OC_CODE and OC_DATA, user)
 *   0x20000 the code page, 0x21000 the data page
 */
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/flags.h"
#include "cpu/mmu.h"
#include "mem/bus.h"

#define M_GDT   0x1000u
#define M_IDT   0x2000u
#define M_TSS   0x3000u
#define M_STUBS 0x4000u
#define M_KSTACK 0x8000u
#define M_PML4  0x10000u
#define M_PDPT  0x11000u
#define M_PD0   0x12000u
#define M_PD1   0x13000u
#define M_PT    0x14000u
#define M_CODE  0x20000u
#define M_DATA  0x21000u
#define M_RAM   (1u << 20)

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x23
#define SEL_UDATA 0x2b
#define SEL_UCODE 0x33
#define SEL_TSS   0x38

struct oc_model {
	struct bus *bus;
	struct cpu *cpu;
};

static void put_desc(struct bus *bus, unsigned sel, uint8_t access, uint8_t flags)
{
	uint64_t d = 0xffffull | ((uint64_t)access << 40) | (0xfull << 48) |
	             ((uint64_t)(flags & 0xf) << 52);

	bus_write(bus, M_GDT + (sel & ~7u), 8, d);
}

static void set_seg(struct seg *s, uint16_t sel, uint32_t attr)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->attr = attr;
}

static void user_segments(struct cpu *cpu, bool compat)
{
	uint32_t data = SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB | SEG_G |
	                (3u << SEG_DPL_SHIFT);

	for (int i = 0; i < 6; i++)
		set_seg(&cpu->seg[i], SEL_UDATA, data);
	set_seg(&cpu->seg[SEG_CS], compat ? SEL_UCODE32 : SEL_UCODE,
	        SEG_P | SEG_S | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A | SEG_G |
	                (compat ? SEG_DB : SEG_L) | (3u << SEG_DPL_SHIFT));
}

struct oc_model *oc_model_new(void)
{
	struct oc_model *m = calloc(1, sizeof(*m));
	struct bus *bus;
	struct cpu *cpu;

	if (!m)
		return NULL;
	m->bus = bus = bus_new(M_RAM);
	m->cpu = cpu = cpu_new(bus);
	put_desc(bus, SEL_KCODE, 0x9b, 0xa);
	put_desc(bus, SEL_KDATA, 0x93, 0xc);
	put_desc(bus, SEL_UCODE32, 0xfb, 0xc);
	put_desc(bus, SEL_UDATA, 0xf3, 0xc);
	put_desc(bus, SEL_UCODE, 0xfb, 0xa);
	/* 64-bit TSS descriptor (16 bytes), busy. */
	bus_write(bus, M_GDT + SEL_TSS, 8,
	          0x67ull | ((uint64_t)M_TSS << 16) | (0x8bull << 40));
	bus_write(bus, M_GDT + SEL_TSS + 8, 8, 0);
	bus_write(bus, M_TSS + 4, 8, M_KSTACK);
	for (unsigned v = 0; v < 32; v++) {
		uint64_t stub = M_STUBS + 8 * v;
		uint64_t lo = (stub & 0xffff) | ((uint64_t)SEL_KCODE << 16) | (0x8eull << 40) |
		              ((stub >> 16) & 0xffff) << 48;

		bus_write(bus, M_IDT + 16 * v, 8, lo);
		bus_write(bus, M_IDT + 16 * v + 8, 8, stub >> 32);
		bus_write(bus, stub, 1, 0xf4);   /* HLT */
	}
	bus_write(bus, M_PML4, 8, M_PDPT | PTE_P | PTE_W | PTE_U);
	bus_write(bus, M_PDPT, 8, M_PD0 | PTE_P | PTE_W | PTE_U);
	bus_write(bus, M_PDPT + 8, 8, M_PD1 | PTE_P | PTE_W | PTE_U);
	bus_write(bus, M_PD0, 8, PTE_P | PTE_W | PTE_PS);
	bus_write(bus, M_PD1, 8, M_PT | PTE_P | PTE_W | PTE_U);
	bus_write(bus, M_PT + 8 * ((OC_CODE >> 12) & 511), 8, M_CODE | PTE_P | PTE_W | PTE_U);
	bus_write(bus, M_PT + 8 * ((OC_DATA >> 12) & 511), 8, M_DATA | PTE_P | PTE_W | PTE_U);

	cpu->gdtr.base = M_GDT;
	cpu->gdtr.limit = 0x47;
	cpu->idtr.base = M_IDT;
	cpu->idtr.limit = 32 * 16 - 1;
	cpu->seg[SEG_TR].sel = SEL_TSS;
	cpu->seg[SEG_TR].base = M_TSS;
	cpu->seg[SEG_TR].limit = 0x67;
	cpu->seg[SEG_TR].attr = SEG_P | SYS_TSS_BUSY;
	cpu->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	cpu->cr3 = M_PML4;
	cpu->cr4 = CR4_PAE;
	cpu->efer = EFER_LME | EFER_LMA | EFER_NXE;
	return m;
}

void oc_model_free(struct oc_model *m)
{
	if (!m)
		return;
	cpu_free(m->cpu);
	bus_free(m->bus);
	free(m);
}

static bool pushes_error(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

void oc_model_run(struct oc_model *m, const struct oc_case *c, struct oc_result *r)
{
	struct cpu *cpu = m->cpu;
	uint8_t page[OC_PAGE];
	enum cpu_stop stop;

	memset(r, 0, offsetof(struct oc_result, mem));
	memset(page, 0xf4, sizeof(page));        /* HLT after the instruction */
	memcpy(page, c->code, c->len);
	bus_write_bytes(m->bus, M_CODE, page, c->len + 16);
	oc_mem_init(c, page);
	bus_write_bytes(m->bus, M_DATA, page, OC_PAGE);

	memcpy(cpu->gpr, c->gpr, sizeof(cpu->gpr));
	user_segments(cpu, c->compat);
	cpu->halted = false;
	cpu->event_depth = 0;
	cpu->intr_shadow = 0;
	cpu->cr2 = 0;
	cpu->rip = OC_CODE;
	flags_write(cpu, c->rflags | RFLAGS_IF);
	cpu_update_mode(cpu);
	cpu_update_ac(cpu);
	tlb_flush_all(cpu);

	stop = cpu_run(cpu, 1000000);
	if (stop != STOP_HALT || cpu->cpl != 0 || cpu->rip < M_STUBS + 1 ||
	    cpu->rip > M_STUBS + 8 * 31 + 1) {
		r->harness_error = true;
		return;
	}
	unsigned vector = (unsigned)(cpu->rip - M_STUBS - 1) / 8;
	uint64_t sp = cpu->gpr[R_RSP];
	if (pushes_error(vector)) {
		r->error = (uint32_t)bus_read(m->bus, sp, 8);
		sp += 8;
	}
	uint64_t rip = bus_read(m->bus, sp, 8);
	memcpy(r->gpr, cpu->gpr, sizeof(r->gpr));
	r->gpr[R_RSP] = bus_read(m->bus, sp + 24, 8);
	r->rflags = bus_read(m->bus, sp + 16, 8);
	if (vector == 13 && r->error == 0 && rip == OC_CODE + c->len) {
		r->fault = OC_NOFAULT;          /* the HLT after the case */
		r->error = 0;
	} else {
		r->fault = (uint8_t)vector;
		r->rip = rip - OC_CODE;
		r->cr2 = vector == 14 ? cpu->cr2 : 0;
	}
	bus_read_bytes(m->bus, M_DATA, r->mem, OC_PAGE);
	r->feat_absent = c->feat && !cpuid_has(cpu, c->feat);
}
