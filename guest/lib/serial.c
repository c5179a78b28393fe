/* COM1 16550 driver: polled transmit only.  Programmed as a real driver
 * does (115200 8N1, FIFO on), so it works on hardware as well. */
#include "console.h"
#include "x86.h"

#define COM1     0x3F8
#define UART_THR 0   /* transmit holding (DLAB=0) */
#define UART_DLL 0   /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1   /* divisor latch high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LCR_DLAB 0x80
#define LCR_8N1  0x03
#define LSR_THRE 0x20

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1);   /* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0x07);
	outb(COM1 + UART_MCR, 0x03);
}

void serial_putc(char c)
{
	/* A bounded wait: a missing UART must not hang the guest forever. */
	for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}
