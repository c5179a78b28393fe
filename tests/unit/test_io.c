/* IN/OUT and the I/O permission check (SDM Vol. 1 §19.5, Vol. 2 IN/OUT). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tm_events.h"

struct dev {
	unsigned writes, reads;
	uint16_t port;
	unsigned size;
	uint32_t val;
	int exit_on_write;
	struct bus *bus;
};

static uint32_t dev_read(void *opaque, uint16_t port, unsigned size)
{
	struct dev *d = opaque;

	d->reads++;
	d->port = port;
	d->size = size;
	return 0x12345678u & (size == 4 ? ~0u : (1u << (8 * size)) - 1);
}

static void dev_write(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
	struct dev *d = opaque;

	d->writes++;
	d->port = port;
	d->size = size;
	d->val = val;
	if (d->exit_on_write)
		bus_request_stop(d->bus, (int)(val << 1) | 1);
}

static struct tm *io_machine(struct dev *d)
{
	struct tm *tm = tm_new(TM_PROT32);

	*d = (struct dev){ .bus = tm->bus };
	assert_int_equal(bus_add_pio(tm->bus, 0x0, 0x7ff, dev_read, dev_write, d), 0);
	return tm;
}

/* CPL 0 <= IOPL: no bit-map check.  E6 (OUT imm8, AL), E5 (IN EAX, imm8),
 * 66 ED (IN AX, DX), EF (OUT DX, EAX). */
static void in_out_forms(void **state)
{
	static const uint8_t code[] = { 0xe6, 0x80, 0xe5, 0x70, 0x66, 0xed, 0xef };
	struct dev d;
	struct tm *tm = io_machine(&d);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->gpr[R_RAX] = 0xffffffffaabbccddull;
	cpu->gpr[R_RDX] = 0x1f0;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(d.port, 0x80);
	assert_int_equal(d.size, 1);
	assert_int_equal(d.val, 0xdd);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(d.port, 0x70);
	/* A 32-bit register write zero-extends (Vol. 1 §3.4.1.1). */
	assert_int_equal(cpu->gpr[R_RAX], 0x12345678);
	cpu->gpr[R_RAX] = 0xffffffffaabbccddull;
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(d.port, 0x1f0);
	assert_int_equal(d.size, 2);
	assert_int_equal(cpu->gpr[R_RAX], 0xffffffffaabb5678ull);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(d.size, 4);
	assert_int_equal(d.val, 0xaabb5678);
	tm_free(tm);
}

/* Run `code` at CPL 3 with the given IOPL and a TSS whose bit map (at
 * 0x68) covers ports 0..0x3ff plus the trailing byte (limit 0xe8), every
 * bit set except those of ports 0x80, 0x87 and 0x88.  Returns the number
 * of device accesses, or -1 when #GP(0) was raised. */
static int user_io(const uint8_t *code, size_t len, uint16_t dx, unsigned iopl)
{
	struct dev d;
	struct tm *tm = io_machine(&d);
	struct cpu *cpu = tm->cpu;
	int r;

	t_idt(tm, 32);
	t_tss(tm, 0xe8);
	for (unsigned i = 0; i <= 0x80; i++)
		tm_write(tm, T_TSS + 0x68 + i, 1, 0xff);
	tm_write(tm, T_TSS + 0x68 + 0x10, 1, 0x7e);   /* ports 0x80 and 0x87 */
	tm_write(tm, T_TSS + 0x68 + 0x11, 1, 0xfe);   /* port 0x88 */
	t_user(tm);
	t_flags(tm, 0x202 | (iopl << 12));
	cpu->gpr[R_RDX] = dx;
	tm_code(tm, code, len);
	if (tm_run(tm, 1) == STOP_BUDGET) {
		r = (int)(d.reads + d.writes);
	} else {
		assert_int_equal(t_vector(tm), EXC_GP);
		assert_int_equal(tm_read(tm, T_STACK0 - 24, 4), 0);
		assert_int_equal(tm_read(tm, T_STACK0 - 20, 4), TM_CODE);
		r = -1;
	}
	tm_free(tm);
	return r;
}

/* Vol. 1 §19.5.2: with CPL > IOPL "the processor checks the I/O
 * permission bit map ... if any of the bits corresponding to the I/O
 * port(s) is set, a #GP is generated"; a multi-byte access tests every
 * port's bit, and the two bytes read must lie within the TSS limit.  With
 * CPL <= IOPL the map is not consulted (§19.5.1). */
static void bitmap_allow_deny(void **state)
{
	static const uint8_t out80[] = { 0xe6, 0x80 };
	static const uint8_t out81[] = { 0xe6, 0x81 };
	static const uint8_t in_ax_dx[] = { 0x66, 0xed };
	static const uint8_t out_dx_al[] = { 0xee };

	(void)state;
	assert_int_equal(user_io(out80, 2, 0, 0), 1);
	assert_int_equal(user_io(out81, 2, 0, 0), -1);
	assert_int_equal(user_io(in_ax_dx, 2, 0x80, 0), -1);   /* 0x81 is denied */
	assert_int_equal(user_io(in_ax_dx, 2, 0x87, 0), 1);    /* 0x87-0x88 span two bytes */
	assert_int_equal(user_io(out_dx_al, 1, 0x7ff, 0), -1); /* beyond the TSS limit */
	assert_int_equal(user_io(out81, 2, 0, 3), 1);          /* CPL <= IOPL */
}

/* A device that ends the run (isa-debug-exit): the OUT retires and the
 * run stops with STOP_EXIT. */
static void out_debug_exit(void **state)
{
	static const uint8_t code[] = { 0xe6, 0xf4, 0x90 };
	struct dev d;
	struct tm *tm = io_machine(&d);

	(void)state;
	d.exit_on_write = 1;
	tm->cpu->gpr[R_RAX] = 3;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_EXIT);
	assert_int_equal(tm->cpu->rip, TM_CODE + 2);
	assert_int_equal(tm->bus->exit_status, 7);
	tm_free(tm);
}

/* Virtual-8086 mode: "the processor ... checks the I/O permission bit
 * map ... in virtual-8086 mode" whatever the IOPL (Vol. 1 §19.5.1 and Vol.
 * 3A §20.2.8.1): with IOPL = 3, port 0x80 (bit clear) is allowed and
 * port 0x81 (bit set) is #GP(0). */
static int vm86_io(uint8_t port)
{
	struct dev d;
	struct tm *tm = io_machine(&d);
	struct cpu *cpu = tm->cpu;
	uint32_t a = SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | (3u << SEG_DPL_SHIFT);
	int r;

	t_idt(tm, 32);
	t_tss(tm, 0xe8);
	for (unsigned i = 0; i <= 0x80; i++)
		tm_write(tm, T_TSS + 0x68 + i, 1, 0xff);
	tm_write(tm, T_TSS + 0x68 + 0x10, 1, 0xfe);
	for (int i = 0; i < 6; i++)
		cpu->seg[i] = (struct seg){ 0x1000, 0x10000, 0xffff, a };
	tm_write(tm, 0x10000, 1, 0xe6);
	tm_write(tm, 0x10001, 1, port);
	cpu->rip = 0;
	cpu->gpr[R_RSP] = 0x100;
	t_flags(tm, RFLAGS_VM | 0x3202);
	if (tm_run(tm, 1) == STOP_BUDGET) {
		r = (int)d.writes;
	} else {
		assert_int_equal(t_vector(tm), EXC_GP);
		r = -1;
	}
	tm_free(tm);
	return r;
}

static void vm86_always_uses_bitmap(void **state)
{
	(void)state;
	assert_int_equal(vm86_io(0x80), 1);
	assert_int_equal(vm86_io(0x81), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_out_forms),
		cmocka_unit_test(bitmap_allow_deny),
		cmocka_unit_test(out_debug_exit),
		cmocka_unit_test(vm86_always_uses_bitmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
