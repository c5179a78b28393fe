/* Debug console at port 0xE9 (QEMU hw/char/debugcon.c). */
#include "debugcon.h"

void debugcon_init(struct debugcon *d, const struct sink *out)
{
	d->out = out;
}

/* QEMU's readback value, which is what guests probe for. */
static uint32_t debugcon_read(void *opaque, uint16_t port, unsigned size)
{
	(void)opaque; (void)port; (void)size;
	return 0xE9;
}

/* Only the low byte is printed, whatever the access width (QEMU does the
 * same). */
static void debugcon_write(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
	struct debugcon *d = opaque;

	(void)port; (void)size;
	sink_put(d->out, (uint8_t)val);
}

int debugcon_attach(struct debugcon *d, struct bus *bus, uint16_t port)
{
	return bus_add_pio(bus, port, port, debugcon_read, debugcon_write, d);
}
