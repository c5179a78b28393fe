/* The two 8259A interrupt controllers of a PC (master 0x20-0x21, slave
 * 0xA0-0xA1).  No interrupt source exists yet, so IRR and ISR stay 0; the
 * model accepts the initialization sequence and the operation command
 * words a driver sends, and reads back the mask.
 *
 *   port A (0x20/0xA0) write: D4=1 ICW1; D4=0 D3=0 OCW2; D4=0 D3=1 OCW3
 *   port B (0x21/0xA1) write: ICW2..ICW4 during initialization, else OCW1
 *   port A read: IRR or ISR (OCW3 RR/RIS) or the poll word; port B: IMR
 */
#ifndef SOFTVTX_MEM_PIC_H
#define SOFTVTX_MEM_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"

#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT 0xA0

struct pic8259 {
	uint8_t imr;         /* OCW1: interrupt mask */
	uint8_t irr, isr;    /* always 0: nothing raises a line */
	uint8_t vector_base; /* ICW2 bits 7:3 */
	uint8_t icw3, icw4;
	uint8_t init_step;   /* 0: operating; 2, 3, 4: next ICW expected */
	bool single;         /* ICW1 SNGL: no ICW3 */
	bool need_icw4;      /* ICW1 IC4 */
	bool read_isr;       /* OCW3 RIS */
	bool poll;           /* OCW3 P: next port-A read is the poll word */
};

void pic_init(struct pic8259 *p);
int pic_attach(struct pic8259 *p, struct bus *bus, uint16_t base);
uint8_t pic_read(struct pic8259 *p, unsigned a0);
void pic_write(struct pic8259 *p, unsigned a0, uint8_t val);

#endif
