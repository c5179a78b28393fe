/* isa-debug-exit (QEMU hw/misc/debugexit.c): status (v << 1) | 1. */
#include "debugexit.h"

static void debugexit_write(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
	struct debugexit *d = opaque;

	(void)port; (void)size;
	/* Computed in 32 bits as QEMU's exit((val << 1) | 1) does. */
	bus_request_stop(d->bus, (int)((val << 1) | 1u));
}

int debugexit_attach(struct debugexit *d, struct bus *bus, uint16_t port)
{
	d->bus = bus;
	return bus_add_pio(bus, port, port, NULL, debugexit_write, d);
}
