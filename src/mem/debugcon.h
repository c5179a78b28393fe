/* QEMU's debug console (isa-debugcon, port 0xE9): bytes written go to the
 * sink; a read returns 0xE9 so a guest can detect the port. */
#ifndef SOFTVTX_MEM_DEBUGCON_H
#define SOFTVTX_MEM_DEBUGCON_H

#include "bus.h"
#include "sink.h"

#define DEBUGCON_PORT 0xE9

struct debugcon {
	const struct sink *out;
};

void debugcon_init(struct debugcon *d, const struct sink *out);
int debugcon_attach(struct debugcon *d, struct bus *bus, uint16_t port);

#endif
