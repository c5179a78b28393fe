/* Platform devices on the bus: the 16550 UART registers (PC16550D data
 * sheet, Table II), isa-debug-exit (QEMU hw/misc/debugexit.c), the debug
 * console and the 8259A PICs, through bus_in/bus_out as the CPU's IN/OUT
 * reach them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mem/bus.h"
#include "mem/debugcon.h"
#include "mem/debugexit.h"
#include "mem/pic.h"
#include "mem/sink.h"
#include "mem/uart16550.h"

struct rig {
	struct bus *bus;
	struct sink sink;
	struct uart16550 uart;
	struct debugcon dbgcon;
	struct debugexit dbgexit;
	struct pic8259 master, slave;
	char out[64];
	size_t nout;
};

static void collect(void *opaque, const uint8_t *bytes, size_t len)
{
	struct rig *r = opaque;

	for (size_t i = 0; i < len && r->nout < sizeof(r->out); i++)
		r->out[r->nout++] = (char)bytes[i];
}

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));

	r->bus = bus_new(1 << 20);
	r->sink = (struct sink){ collect, r };
	uart_init(&r->uart, &r->sink);
	debugcon_init(&r->dbgcon, &r->sink);
	pic_init(&r->master);
	pic_init(&r->slave);
	assert_int_equal(uart_attach(&r->uart, r->bus, UART_COM1_BASE), 0);
	assert_int_equal(debugcon_attach(&r->dbgcon, r->bus, DEBUGCON_PORT), 0);
	assert_int_equal(debugexit_attach(&r->dbgexit, r->bus, DEBUGEXIT_PORT), 0);
	assert_int_equal(pic_attach(&r->master, r->bus, PIC_MASTER_PORT), 0);
	assert_int_equal(pic_attach(&r->slave, r->bus, PIC_SLAVE_PORT), 0);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	bus_free(r->bus);
	free(r);
	return 0;
}

#define COM1 0x3F8

static void uart_thr_to_sink(void **state)
{
	struct rig *r = *state;

	bus_out(r->bus, COM1, 1, 'o');
	bus_out(r->bus, COM1, 1, 'k');
	assert_int_equal(r->nout, 2);
	assert_memory_equal(r->out, "ok", 2);
}

/* LSR: THRE (bit 5) and TEMT (bit 6) always, DR (bit 0) never outside
 * loopback; RBR reads 0 with no data. */
static void uart_lsr_idle(void **state)
{
	struct rig *r = *state;

	assert_int_equal(bus_in(r->bus, COM1 + 5, 1), 0x60);
	bus_out(r->bus, COM1, 1, 'x');
	assert_int_equal(bus_in(r->bus, COM1 + 5, 1), 0x60);
	assert_int_equal(bus_in(r->bus, COM1, 1), 0);
	/* LSR writes (factory test) change nothing. */
	bus_out(r->bus, COM1 + 5, 1, 0x1f);
	assert_int_equal(bus_in(r->bus, COM1 + 5, 1), 0x60);
}

/* LCR.DLAB switches offsets 0 and 1 to the divisor latch. */
static void uart_dlab(void **state)
{
	struct rig *r = *state;

	bus_out(r->bus, COM1 + 1, 1, 0x05);          /* IER */
	bus_out(r->bus, COM1 + 3, 1, 0x83);          /* DLAB=1, 8N1 */
	assert_int_equal(bus_in(r->bus, COM1 + 3, 1), 0x83);
	/* QEMU resets the divisor to 12 (9600 baud). */
	assert_int_equal(bus_in(r->bus, COM1, 1), 0x0C);
	assert_int_equal(bus_in(r->bus, COM1 + 1, 1), 0x00);
	bus_out(r->bus, COM1, 1, 0x01);              /* DLL: 115200 baud */
	bus_out(r->bus, COM1 + 1, 1, 0x02);          /* DLM */
	assert_int_equal(bus_in(r->bus, COM1, 1), 0x01);
	assert_int_equal(bus_in(r->bus, COM1 + 1, 1), 0x02);
	assert_int_equal(r->nout, 0);                /* DLL write is not THR */
	bus_out(r->bus, COM1 + 3, 1, 0x03);          /* DLAB=0 */
	assert_int_equal(bus_in(r->bus, COM1 + 1, 1), 0x05);  /* IER again */
	bus_out(r->bus, COM1, 1, 'z');
	assert_int_equal(r->nout, 1);
	/* The divisor survives DLAB=0. */
	bus_out(r->bus, COM1 + 3, 1, 0x80);
	assert_int_equal(bus_in(r->bus, COM1, 1), 0x01);
	assert_int_equal(bus_in(r->bus, COM1 + 1, 1), 0x02);
}

static void uart_scr_mcr_msr(void **state)
{
	struct rig *r = *state;

	bus_out(r->bus, COM1 + 7, 1, 0xa5);
	assert_int_equal(bus_in(r->bus, COM1 + 7, 1), 0xa5);
	/* MCR keeps its low 5 bits. */
	bus_out(r->bus, COM1 + 4, 1, 0xeb);
	assert_int_equal(bus_in(r->bus, COM1 + 4, 1), 0x0b);
	/* Not in loopback: DCD, DSR and CTS asserted, no deltas. */
	assert_int_equal(bus_in(r->bus, COM1 + 6, 1), 0xb0);
}

/* IIR: 0x01 (no interrupt); FIFO enable sets bits 7:6; enabling the THRE
 * interrupt with THR empty reports source 0x02 until IIR is read. */
static void uart_iir_fcr(void **state)
{
	struct rig *r = *state;

	assert_int_equal(bus_in(r->bus, COM1 + 2, 1), 0x01);
	bus_out(r->bus, COM1 + 2, 1, 0x07);  /* FCR: enable, clear both FIFOs */
	assert_int_equal(bus_in(r->bus, COM1 + 2, 1), 0xc1);
	bus_out(r->bus, COM1 + 1, 1, 0x02);  /* IER: THRE interrupt */
	assert_int_equal(bus_in(r->bus, COM1 + 2, 1), 0xc2);
	assert_int_equal(bus_in(r->bus, COM1 + 2, 1), 0xc1);  /* read cleared it */
	bus_out(r->bus, COM1, 1, 'q');                         /* THR empties again */
	assert_int_equal(bus_in(r->bus, COM1 + 2, 1), 0xc2);
	bus_out(r->bus, COM1 + 1, 1, 0x00);
	assert_int_equal(bus_in(r->bus, COM1 + 2, 1), 0xc1);
}

/* Loopback (MCR bit 4): THR bytes come back in RBR with LSR.DR, nothing
 * goes out, and MSR mirrors the MCR outputs (DTR->DSR, RTS->CTS,
 * OUT1->RI, OUT2->DCD). */
static void uart_loopback(void **state)
{
	struct rig *r = *state;

	bus_out(r->bus, COM1 + 4, 1, 0x1e);  /* loop, RTS, OUT1, OUT2 */
	assert_int_equal(bus_in(r->bus, COM1 + 6, 1), 0xd0);
	bus_out(r->bus, COM1, 1, 0xae);
	assert_int_equal(r->nout, 0);
	assert_int_equal(bus_in(r->bus, COM1 + 5, 1), 0x61);
	assert_int_equal(bus_in(r->bus, COM1, 1), 0xae);
	assert_int_equal(bus_in(r->bus, COM1 + 5, 1), 0x60);
	bus_out(r->bus, COM1 + 4, 1, 0x0f);
	bus_out(r->bus, COM1, 1, 'y');
	assert_int_equal(r->nout, 1);
}

/* A 16-bit access reaches two consecutive registers. */
static void uart_wide_access(void **state)
{
	struct rig *r = *state;

	bus_out(r->bus, COM1 + 3, 1, 0x80);
	bus_out(r->bus, COM1, 2, 0x0201);
	assert_int_equal(bus_in(r->bus, COM1, 2), 0x0201);
}

static void debugexit_status(void **state)
{
	struct rig *r = *state;

	assert_false(r->bus->stop_requested);
	bus_out(r->bus, 0xF4, 1, 0x00);
	assert_true(r->bus->stop_requested);
	assert_int_equal(r->bus->exit_status, 1);
	bus_out(r->bus, 0xF4, 1, 0x21);
	assert_int_equal(r->bus->exit_status, 0x43);
	bus_out(r->bus, 0xF4, 2, 0x1234);
	assert_int_equal(r->bus->exit_status, 0x2469);
	bus_out(r->bus, 0xF4, 4, 0x40000000);
	assert_int_equal((uint32_t)r->bus->exit_status, 0x80000001u);
	/* The neighbouring port is not the device. */
	r->bus->stop_requested = false;
	bus_out(r->bus, 0xF5, 1, 1);
	assert_false(r->bus->stop_requested);
}

static void debugcon_bytes(void **state)
{
	struct rig *r = *state;

	bus_out(r->bus, 0xE9, 1, 'd');
	bus_out(r->bus, 0xE9, 2, 0x4145);  /* only the low byte */
	assert_int_equal(r->nout, 2);
	assert_memory_equal(r->out, "dE", 2);
	assert_int_equal(bus_in(r->bus, 0xE9, 1), 0xE9);
}

/* The usual initialization (Linux init_8259A): ICW1 0x11, ICW2 vector
 * base, ICW3 cascade, ICW4 8086 mode, then OCW1 masks that read back. */
static void pic_init_sequence(void **state)
{
	struct rig *r = *state;

	bus_out(r->bus, 0x21, 1, 0xff);
	assert_int_equal(bus_in(r->bus, 0x21, 1), 0xff);
	bus_out(r->bus, 0x20, 1, 0x11);
	/* ICW1 clears the mask. */
	assert_int_equal(bus_in(r->bus, 0x21, 1), 0x00);
	bus_out(r->bus, 0x21, 1, 0x20);
	bus_out(r->bus, 0x21, 1, 0x04);
	bus_out(r->bus, 0x21, 1, 0x01);
	assert_int_equal(r->master.vector_base, 0x20);
	assert_int_equal(r->master.icw3, 0x04);
	assert_int_equal(r->master.icw4, 0x01);
	bus_out(r->bus, 0xA0, 1, 0x11);
	bus_out(r->bus, 0xA1, 1, 0x28);
	bus_out(r->bus, 0xA1, 1, 0x02);
	bus_out(r->bus, 0xA1, 1, 0x01);
	assert_int_equal(r->slave.vector_base, 0x28);
	/* Now OCW1. */
	bus_out(r->bus, 0x21, 1, 0xfb);
	bus_out(r->bus, 0xA1, 1, 0xff);
	assert_int_equal(bus_in(r->bus, 0x21, 1), 0xfb);
	assert_int_equal(bus_in(r->bus, 0xA1, 1), 0xff);
	/* OCW2 (EOI) leaves the mask alone; OCW3 selects ISR for reads. */
	bus_out(r->bus, 0x20, 1, 0x20);
	bus_out(r->bus, 0x20, 1, 0x0b);
	assert_true(r->master.read_isr);
	assert_int_equal(bus_in(r->bus, 0x20, 1), 0x00);
	assert_int_equal(bus_in(r->bus, 0x21, 1), 0xfb);
}

/* ICW1 with SNGL and no IC4: only ICW2 follows. */
static void pic_single_no_icw4(void **state)
{
	struct rig *r = *state;

	bus_out(r->bus, 0x20, 1, 0x12);
	bus_out(r->bus, 0x21, 1, 0x08);
	assert_int_equal(r->master.vector_base, 0x08);
	bus_out(r->bus, 0x21, 1, 0x3c);  /* already OCW1 */
	assert_int_equal(bus_in(r->bus, 0x21, 1), 0x3c);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(uart_thr_to_sink), T(uart_lsr_idle), T(uart_dlab), T(uart_scr_mcr_msr),
		T(uart_iir_fcr), T(uart_loopback), T(uart_wide_access), T(debugexit_status),
		T(debugcon_bytes), T(pic_init_sequence), T(pic_single_no_icw4),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
