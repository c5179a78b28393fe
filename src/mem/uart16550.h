/* 16550A UART (COM1 at 0x3F8-0x3FF), transmit side only: every byte
 * written to THR goes to the sink at once, so the transmitter is always
 * empty and no data ever arrives (except in loopback mode).
 *
 *   off  DLAB=0 read / write      DLAB=1
 *    0   RBR      / THR            DLL
 *    1   IER                       DLM
 *    2   IIR      / FCR
 *    3   LCR   (bit 7 = DLAB)
 *    4   MCR   (bit 4 = loopback)
 *    5   LSR   (0x60: THRE | TEMT, plus DR in loopback)
 *    6   MSR
 *    7   SCR
 */
#ifndef SOFTVTX_MEM_UART16550_H
#define SOFTVTX_MEM_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "sink.h"

#define UART_COM1_BASE 0x3F8

/* Register bits (PC16550D data sheet, Table II). */
#define UART_LCR_DLAB 0x80
#define UART_LSR_DR   0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_IER_THRI 0x02
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_FIFO 0xC0
#define UART_FCR_ENABLE 0x01
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

struct uart16550 {
	const struct sink *out;
	uint8_t rbr;        /* loopback receive byte */
	uint8_t ier, fcr, lcr, mcr, scr;
	uint8_t dll, dlm;
	bool data_ready;    /* loopback byte waiting in RBR */
	bool thri_pending;  /* "THR empty" interrupt condition, as IIR shows it */
};

void uart_init(struct uart16550 *u, const struct sink *out);
/* Register ports base..base+7.  Returns -1 when the bus table is full. */
int uart_attach(struct uart16550 *u, struct bus *bus, uint16_t base);
/* One register access at offset 0..7 (the port handlers use these). */
uint8_t uart_read(struct uart16550 *u, unsigned off);
void uart_write(struct uart16550 *u, unsigned off, uint8_t val);

#endif
