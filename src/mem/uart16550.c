/* 16550A UART: see uart16550.h.  Register behaviour follows the PC16550D
 * data sheet and QEMU's hw/char/serial.c (reset values, IIR priorities). */
#include "uart16550.h"

#include <string.h>

void uart_init(struct uart16550 *u, const struct sink *out)
{
	memset(u, 0, sizeof(*u));
	u->out = out;
	/* QEMU serial_reset: divisor 0x0C (9600 baud), OUT2 set. */
	u->dll = 0x0C;
	u->mcr = UART_MCR_OUT2;
}

/* Interrupt identification, highest priority first: received data, then
 * THR empty (data sheet Table IV; line and modem status never pend here). */
static uint8_t uart_iir(const struct uart16550 *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if ((u->ier & 0x01) && u->data_ready)
		return fifo | 0x04;
	if ((u->ier & UART_IER_THRI) && u->thri_pending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NO_INT;
}

static uint8_t uart_msr(const struct uart16550 *u)
{
	/* Loopback wires MCR outputs to the modem inputs: DTR->DSR, RTS->CTS,
	 * OUT1->RI, OUT2->DCD. */
	if (u->mcr & UART_MCR_LOOP)
		return (uint8_t)(((u->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
		                 ((u->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
		                 ((u->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
		                 ((u->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
	/* A connected terminal: carrier, data set ready, clear to send. */
	return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

uint8_t uart_read(struct uart16550 *u, unsigned off)
{
	bool dlab = (u->lcr & UART_LCR_DLAB) != 0;
	uint8_t v;

	switch (off & 7) {
	case 0:
		if (dlab)
			return u->dll;
		v = u->data_ready ? u->rbr : 0;
		u->data_ready = false;
		return v;
	case 1:
		return dlab ? u->dlm : u->ier;
	case 2:
		v = uart_iir(u);
		/* Reading IIR while it reports THR empty clears that source. */
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thri_pending = false;
		return v;
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		return UART_LSR_THRE | UART_LSR_TEMT | (u->data_ready ? UART_LSR_DR : 0);
	case 6:
		return uart_msr(u);
	default:
		return u->scr;
	}
}

void uart_write(struct uart16550 *u, unsigned off, uint8_t val)
{
	bool dlab = (u->lcr & UART_LCR_DLAB) != 0;

	switch (off & 7) {
	case 0:
		if (dlab) {
			u->dll = val;
			return;
		}
		if (u->mcr & UART_MCR_LOOP) {
			u->rbr = val;
			u->data_ready = true;
		} else {
			sink_put(u->out, val);
		}
		/* The byte leaves at once, so THR is empty again. */
		u->thri_pending = true;
		return;
	case 1:
		if (dlab) {
			u->dlm = val;
			return;
		}
		/* Enabling the THRE interrupt while THR is empty raises it. */
		if ((val & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
			u->thri_pending = true;
		u->ier = val & 0x0f;
		return;
	case 2:
		/* FCR: bits 1-2 (clear FIFOs) self-clear; keep enable and trigger. */
		u->fcr = val & 0xc9;
		if (val & 0x02)
			u->data_ready = false;
		return;
	case 3:
		u->lcr = val;
		return;
	case 4:
		u->mcr = val & 0x1f;
		return;
	case 5:
	case 6:
		/* LSR and MSR are read-only (factory test writes ignored). */
		return;
	default:
		u->scr = val;
		return;
	}
}

/* Wider accesses reach consecutive registers, one byte each. */
static uint32_t uart_pio_read(void *opaque, uint16_t port, unsigned size)
{
	struct uart16550 *u = opaque;
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)uart_read(u, (port + i) & 7) << (8 * i);
	return v;
}

static void uart_pio_write(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
	struct uart16550 *u = opaque;

	for (unsigned i = 0; i < size; i++)
		uart_write(u, (port + i) & 7, (uint8_t)(val >> (8 * i)));
}

int uart_attach(struct uart16550 *u, struct bus *bus, uint16_t base)
{
	return bus_add_pio(bus, base, (uint16_t)(base + 7), uart_pio_read, uart_pio_write, u);
}
