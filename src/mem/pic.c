/* 8259A programmable interrupt controller (Intel 8259A data sheet,
 * "Programming the 8259A"); see pic.h. */
#include "pic.h"

#include <string.h>

void pic_init(struct pic8259 *p)
{
	memset(p, 0, sizeof(*p));
}

uint8_t pic_read(struct pic8259 *p, unsigned a0)
{
	if (a0)
		return p->imr;
	if (p->poll) {
		/* Poll word: bit 7 clear = no interrupt requested. */
		p->poll = false;
		return 0;
	}
	return p->read_isr ? p->isr : p->irr;
}

void pic_write(struct pic8259 *p, unsigned a0, uint8_t val)
{
	if (!a0) {
		if (val & 0x10) {
			/* ICW1: the mask is cleared and IRR is selected for reads. */
			p->imr = 0;
			p->read_isr = false;
			p->poll = false;
			p->single = (val & 0x02) != 0;
			p->need_icw4 = (val & 0x01) != 0;
			p->icw4 = 0;
			p->init_step = 2;
		} else if (val & 0x08) {
			/* OCW3: RR=1 selects IRR/ISR by RIS; P requests a poll. */
			if (val & 0x02)
				p->read_isr = (val & 0x01) != 0;
			p->poll = (val & 0x04) != 0;
		}
		/* OCW2 (EOI, rotation): no in-service bit can be set. */
		return;
	}
	switch (p->init_step) {
	case 2:
		p->vector_base = val & 0xf8;
		p->init_step = p->single ? (p->need_icw4 ? 4 : 0) : 3;
		return;
	case 3:
		p->icw3 = val;
		p->init_step = p->need_icw4 ? 4 : 0;
		return;
	case 4:
		p->icw4 = val;
		p->init_step = 0;
		return;
	default:
		p->imr = val;
		return;
	}
}

static uint32_t pic_pio_read(void *opaque, uint16_t port, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size && i < 2; i++)
		v |= (uint32_t)pic_read(opaque, (port + i) & 1) << (8 * i);
	if (size > 2)
		v |= 0xffff0000u;
	return v;
}

static void pic_pio_write(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
	for (unsigned i = 0; i < size && i < 2; i++)
		pic_write(opaque, (port + i) & 1, (uint8_t)(val >> (8 * i)));
}

int pic_attach(struct pic8259 *p, struct bus *bus, uint16_t base)
{
	return bus_add_pio(bus, base, (uint16_t)(base + 1), pic_pio_read, pic_pio_write, p);
}
