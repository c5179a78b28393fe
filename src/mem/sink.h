/* Where console devices (UART THR, debug console) send guest bytes.  The
 * machine owns one sink and every console device points at it, so the
 * destination can change without touching the devices. */
#ifndef SOFTVTX_MEM_SINK_H
#define SOFTVTX_MEM_SINK_H

#include <stddef.h>
#include <stdint.h>

typedef void sink_fn(void *opaque, const uint8_t *bytes, size_t len);

struct sink {
	sink_fn *fn;     /* NULL drops the bytes */
	void *opaque;
};

static inline void sink_put(const struct sink *s, uint8_t byte)
{
	if (s && s->fn)
		s->fn(s->opaque, &byte, 1);
}

#endif
