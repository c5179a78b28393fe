/* Guest-physical bus: RAM, unbacked space, MMIO and port-I/O dispatch. */
#include "bus.h"

#include <stdlib.h>
#include <string.h>

struct bus *bus_new(uint64_t ram_size)
{
	struct bus *bus = calloc(1, sizeof(*bus));

	if (!bus)
		return NULL;
	ram_size = (ram_size + PAGE_SIZE - 1) & PAGE_MASK;
	bus->ram_size = ram_size;
	bus->ram = calloc(1, ram_size ? ram_size : 1);
	bus->code_chunks = calloc(ram_size / PAGE_SIZE + 1, sizeof(uint64_t));
	if (!bus->ram || !bus->code_chunks) {
		bus_free(bus);
		return NULL;
	}
	return bus;
}

void bus_free(struct bus *bus)
{
	if (!bus)
		return;
	free(bus->ram);
	free(bus->code_chunks);
	free(bus);
}

int bus_add_pio(struct bus *bus, uint16_t first, uint16_t last, bus_pio_read_fn *rd,
                bus_pio_write_fn *wr, void *opaque)
{
	if (bus->npio == BUS_MAX_PIO)
		return -1;
	bus->pio[bus->npio++] = (struct bus_pio){ first, last, rd, wr, opaque };
	return 0;
}

int bus_add_mmio(struct bus *bus, uint64_t base, uint64_t size, bus_mmio_read_fn *rd,
                 bus_mmio_write_fn *wr, void *opaque)
{
	if (bus->nmmio == BUS_MAX_MMIO)
		return -1;
	bus->mmio[bus->nmmio++] = (struct bus_mmio){ base, size, rd, wr, opaque };
	return 0;
}

static struct bus_mmio *mmio_find(struct bus *bus, uint64_t gpa)
{
	for (unsigned i = 0; i < bus->nmmio; i++)
		if (gpa - bus->mmio[i].base < bus->mmio[i].size)
			return &bus->mmio[i];
	return NULL;
}

static uint64_t chunk_mask(uint64_t gpa, uint64_t len)
{
	unsigned first = (unsigned)((gpa & (PAGE_SIZE - 1)) >> CODE_CHUNK_SHIFT);
	unsigned last = (unsigned)(((gpa & (PAGE_SIZE - 1)) + len - 1) >> CODE_CHUNK_SHIFT);
	uint64_t hi = last >= 63 ? ~0ull : (1ull << (last + 1)) - 1;

	return hi & ~((1ull << first) - 1);
}

/* Apply fn to each page piece of [gpa, gpa+len) inside RAM. */
void bus_mark_code(struct bus *bus, uint64_t gpa, uint64_t len)
{
	while (len && gpa < bus->ram_size) {
		uint64_t n = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));

		if (n > len)
			n = len;
		bus->code_chunks[gpa >> 12] |= chunk_mask(gpa, n);
		gpa += n;
		len -= n;
	}
}

void bus_unmark_code(struct bus *bus, uint64_t gpa, uint64_t len)
{
	while (len && gpa < bus->ram_size) {
		uint64_t n = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));

		if (n > len)
			n = len;
		bus->code_chunks[gpa >> 12] &= ~chunk_mask(gpa, n);
		gpa += n;
		len -= n;
	}
}

void bus_note_write(struct bus *bus, uint64_t gpa, uint64_t len)
{
	uint64_t g = gpa, l = len;

	while (l && g < bus->ram_size) {
		uint64_t n = PAGE_SIZE - (g & (PAGE_SIZE - 1));

		if (n > l)
			n = l;
		if (bus->code_chunks[g >> 12] & chunk_mask(g, n)) {
			if (bus->code_write)
				bus->code_write(bus->code_write_opaque, g, n);
		}
		g += n;
		l -= n;
	}
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, p, size); /* little-endian host */
	return v;
}

uint64_t bus_read(struct bus *bus, uint64_t gpa, unsigned size)
{
	struct bus_mmio *m;

	if (gpa < bus->ram_size && gpa + size <= bus->ram_size)
		return load_le(bus->ram + gpa, size);
	m = mmio_find(bus, gpa);
	if (m && m->read)
		return m->read(m->opaque, gpa - m->base, size);
	return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

void bus_write(struct bus *bus, uint64_t gpa, unsigned size, uint64_t val)
{
	struct bus_mmio *m;

	if (gpa < bus->ram_size && gpa + size <= bus->ram_size) {
		memcpy(bus->ram + gpa, &val, size);
		if (bus->code_chunks[gpa >> 12])
			bus_note_write(bus, gpa, size);
		return;
	}
	m = mmio_find(bus, gpa);
	if (m && m->write)
		m->write(m->opaque, gpa - m->base, size, val);
}

void bus_read_bytes(struct bus *bus, uint64_t gpa, void *dst, size_t len)
{
	uint8_t *d = dst;

	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)bus_read(bus, gpa + i, 1);
}

void bus_write_bytes(struct bus *bus, uint64_t gpa, const void *src, size_t len)
{
	const uint8_t *s = src;

	if (gpa < bus->ram_size && len <= bus->ram_size - gpa) {
		memcpy(bus->ram + gpa, s, len);
		bus_note_write(bus, gpa, len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		bus_write(bus, gpa + i, 1, s[i]);
}

uint32_t bus_in(struct bus *bus, uint16_t port, unsigned size)
{
	for (unsigned i = 0; i < bus->npio; i++) {
		struct bus_pio *p = &bus->pio[i];

		if (port >= p->first && port <= p->last)
			return p->read ? p->read(p->opaque, port, size)
			               : (uint32_t)((1ull << (size * 8)) - 1);
	}
	return (uint32_t)((1ull << (size * 8)) - 1);
}

void bus_out(struct bus *bus, uint16_t port, unsigned size, uint32_t val)
{
	for (unsigned i = 0; i < bus->npio; i++) {
		struct bus_pio *p = &bus->pio[i];

		if (port >= p->first && port <= p->last) {
			if (p->write)
				p->write(p->opaque, port, size, val);
			return;
		}
	}
}
