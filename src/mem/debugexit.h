/* QEMU's isa-debug-exit at port 0xF4: writing v (width 1, 2 or 4) ends
 * the run with status (v << 1) | 1, always odd, so it never collides with
 * the statuses the machine itself produces. */
#ifndef SOFTVTX_MEM_DEBUGEXIT_H
#define SOFTVTX_MEM_DEBUGEXIT_H

#include "bus.h"

#define DEBUGEXIT_PORT 0xF4

struct debugexit {
	struct bus *bus;
};

int debugexit_attach(struct debugexit *d, struct bus *bus, uint16_t port);

#endif
