/* Helpers shared by the event, flag and I/O tests: an IDT whose every
 * vector leads to its own HLT, a TSS, and a switch to CPL 3, all built in
 * the fixture's RAM (see fakebus.h for the rest of the layout). */
#ifndef SOFTVTX_TESTS_TM_EVENTS_H
#define SOFTVTX_TESTS_TM_EVENTS_H

#include "cpu/flags.h"
#include "cpu/mmu.h"
#include "fakebus.h"

#define T_IDT    0x3000ull
#define T_TSS    0x4000ull
#define T_HBASE  0x180000ull  /* handler for vector v: HLT at T_HBASE + 16 v */
#define T_STACK0 0x280000ull  /* ring-0 stack top named by the TSS */

static inline int t_lm(struct tm *tm)
{
	return (tm->cpu->efer & EFER_LMA) != 0;
}

/* One IDT gate (SDM Vol. 3A Figure 6-2 / 6-8). */
static inline void t_gate(struct tm *tm, unsigned v, unsigned type, unsigned dpl, uint16_t sel,
                          uint64_t off, unsigned ist, int present)
{
	uint64_t lo = (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)ist << 32) |
	              ((uint64_t)type << 40) | ((uint64_t)dpl << 45) |
	              ((uint64_t)(present ? 1 : 0) << 47) | (((off >> 16) & 0xffff) << 48);

	if (t_lm(tm)) {
		tm_write(tm, T_IDT + 16 * v, 8, lo);
		tm_write(tm, T_IDT + 16 * v + 8, 8, off >> 32);
	} else {
		tm_write(tm, T_IDT + 8 * v, 8, lo);
	}
}

/* Vectors 0..n-1: DPL-0 interrupt gates to T_HBASE + 16 v. */
static inline void t_idt(struct tm *tm, unsigned n)
{
	int lm = t_lm(tm);

	for (unsigned i = 0; i < 256 * 16; i++)
		tm_write(tm, T_HBASE + i, 1, 0xf4);
	for (unsigned v = 0; v < n; v++)
		t_gate(tm, v, SYS_INTGATE, 0, lm ? TM_SEL_CODE64 : TM_SEL_CODE32, T_HBASE + 16 * v, 0, 1);
	tm->cpu->idtr.base = T_IDT;
	tm->cpu->idtr.limit = n * (lm ? 16 : 8) - 1;
}

/* The vector whose HLT stopped the run. */
static inline unsigned t_vector(struct tm *tm)
{
	return (unsigned)((tm->cpu->rip - 1 - T_HBASE) / 16);
}

/* A 32-bit (or 64-bit) TSS at T_TSS: ESP0/SS0 (RSP0), I/O map base 0x68,
 * limit `limit`. */
static inline void t_tss(struct tm *tm, uint32_t limit)
{
	struct cpu *cpu = tm->cpu;

	for (unsigned i = 0; i < 0x68; i++)
		tm_write(tm, T_TSS + i, 1, 0);
	if (t_lm(tm)) {
		tm_write(tm, T_TSS + 4, 8, T_STACK0);
	} else {
		tm_write(tm, T_TSS + 4, 4, T_STACK0);
		tm_write(tm, T_TSS + 8, 2, TM_SEL_DATA);
	}
	tm_write(tm, T_TSS + 0x66, 2, 0x68);
	cpu->seg[SEG_TR].sel = 0x40;
	cpu->seg[SEG_TR].base = T_TSS;
	cpu->seg[SEG_TR].limit = limit;
	cpu->seg[SEG_TR].attr = SEG_P | SYS_TSS_BUSY;
}

/* CPL 3 with the fixture's user code and data segments. */
static inline void t_user(struct tm *tm)
{
	struct cpu *cpu = tm->cpu;
	uint32_t data = SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB | SEG_G |
	                (3u << SEG_DPL_SHIFT);

	for (int i = 0; i < 6; i++)
		cpu->seg[i] = (struct seg){ TM_SEL_UDATA, 0, 0xffffffff, data };
	if (t_lm(tm))
		cpu->seg[SEG_CS] = (struct seg){ TM_SEL_UCODE64, 0, 0xffffffff,
		                                 (data & ~SEG_DB) | SEG_TYPE_CODE | SEG_L };
	else
		cpu->seg[SEG_CS] = (struct seg){ TM_SEL_UCODE32, 0, 0xffffffff,
		                                 data | SEG_TYPE_CODE };
	cpu_update_mode(cpu);
}

static inline void t_flags(struct tm *tm, uint64_t f)
{
	flags_write(tm->cpu, f);
	cpu_update_mode(tm->cpu);
}

#endif
