/* Helpers shared by test_seg.c and test_far.c: descriptor builders, a
 * CPL-3 setup, and a one-instruction executor that returns the handler's
 * status (so a test reads cpu->fault before any delivery happens). */
#ifndef SOFTVTX_TESTS_SEGTEST_H
#define SOFTVTX_TESTS_SEGTEST_H

#include <stdint.h>

#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/mmu.h"
#include "fakebus.h"

#define GDT 0x1000ull

/* Descriptor layout of SDM Vol. 3A §3.4.5 (drawn in seg.h). */
static inline uint64_t mkdesc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

/* Call/task gate (SDM Vol. 3A Figure 5-8). */
static inline uint64_t mkgate(uint16_t sel, uint32_t off, uint8_t access, uint8_t params)
{
	return (off & 0xffffull) | ((uint64_t)sel << 16) | ((uint64_t)(params & 0x1f) << 32) |
	       ((uint64_t)access << 40) | ((uint64_t)(off >> 16) << 48);
}

static inline void put_gdt(struct tm *tm, unsigned sel, uint64_t d)
{
	tm_write(tm, GDT + (sel & ~7u), 8, d);
}

static inline uint8_t gdt_access(struct tm *tm, unsigned sel)
{
	return (uint8_t)tm_read(tm, GDT + (sel & ~7u) + 5, 1);
}

/* Room for test descriptors from 0x40 on. */
static inline void grow_gdt(struct tm *tm)
{
	tm->cpu->gdtr.limit = 0x1ff;
}

/* CPL 3 with the fixture's user selectors (flat, 32- or 64-bit code). */
static inline void to_user(struct tm *tm)
{
	struct cpu *cpu = tm->cpu;
	uint32_t data = SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB | SEG_G |
	                (3u << SEG_DPL_SHIFT);

	for (int i = 0; i < 6; i++)
		cpu->seg[i] = (struct seg){ TM_SEL_UDATA, 0, 0xffffffff, data };
	if (cpu->mode == MODE_LONG)
		cpu->seg[SEG_CS] = (struct seg){ TM_SEL_UCODE64, 0, 0xffffffff,
			SEG_P | SEG_S | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A | SEG_L | SEG_G |
			(3u << SEG_DPL_SHIFT) };
	else
		cpu->seg[SEG_CS] = (struct seg){ TM_SEL_UCODE32, 0, 0xffffffff,
			SEG_P | SEG_S | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB | SEG_G |
			(3u << SEG_DPL_SHIFT) };
	cpu_update_mode(cpu);
}

/* Decode `bytes` in the current code size and run the handler once; X_OK
 * advances RIP as the run loop would.  The central F_* checks are not
 * applied (they are the run loop's). */
static inline int exec1(struct tm *tm, const uint8_t *bytes, size_t n)
{
	static struct decoder *d;
	struct insn in;
	int st;

	if (!d)
		d = decode_new();
	if (decode_one(d, bytes, n, tm->cpu->code_size, &in) != DEC_OK)
		return -1;
	st = in.fn(tm->cpu, &in);
	if (st == X_OK)
		tm->cpu->rip += in.len;
	return st;
}

#define EXEC(tm, ...) \
	({ static const uint8_t b_[] = { __VA_ARGS__ }; exec1((tm), b_, sizeof(b_)); })

/* Expect a fault with this vector and error code. */
#define assert_fault(tm, st, vec, err) do { \
	assert_int_equal((st), X_FAULT); \
	assert_int_equal((tm)->cpu->fault.vector, (vec)); \
	assert_true((tm)->cpu->fault.has_error); \
	assert_int_equal((tm)->cpu->fault.error, (err)); \
} while (0)

static inline int zf(struct tm *tm)
{
	return (flags_read(tm->cpu) & RFLAGS_ZF) != 0;
}

#endif
