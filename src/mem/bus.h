/* The guest-physical bus: RAM ranges, port-I/O and MMIO callbacks.
 *
 * This is the only seam below the CPU: the core reaches memory and devices
 * only through these functions.  Unbacked addresses read as all ones and
 * drop writes, as on a PC.
 *
 * The bus also tracks which 64-byte chunks of RAM hold decoded code, so that
 * any write to them (by the CPU's slow path, a device or the loader) tells
 * the decode cache exactly what went stale.
 */
#ifndef SOFTVTX_MEM_BUS_H
#define SOFTVTX_MEM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096ull
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define CODE_CHUNK_SHIFT 6   /* 64-byte chunks: 64 per page, one uint64_t */

/* Port I/O: `size` is 1, 2 or 4.  A read returns the value. */
typedef uint32_t bus_pio_read_fn(void *opaque, uint16_t port, unsigned size);
typedef void bus_pio_write_fn(void *opaque, uint16_t port, unsigned size, uint32_t val);
/* MMIO: `size` is 1, 2, 4 or 8; `off` is relative to the region start. */
typedef uint64_t bus_mmio_read_fn(void *opaque, uint64_t off, unsigned size);
typedef void bus_mmio_write_fn(void *opaque, uint64_t off, unsigned size, uint64_t val);
/* Called when a write lands on code: [gpa, gpa + len). */
typedef void bus_code_write_fn(void *opaque, uint64_t gpa, uint64_t len);

struct bus_pio {
	uint16_t first, last;  /* inclusive port range */
	bus_pio_read_fn *read;
	bus_pio_write_fn *write;
	void *opaque;
};

struct bus_mmio {
	uint64_t base, size;
	bus_mmio_read_fn *read;
	bus_mmio_write_fn *write;
	void *opaque;
};

#define BUS_MAX_PIO 32
#define BUS_MAX_MMIO 16

struct bus {
	uint8_t *ram;           /* RAM at guest-physical 0 .. ram_size - 1 */
	uint64_t ram_size;      /* multiple of PAGE_SIZE */
	uint64_t *code_chunks;  /* per RAM page: bit i = chunk i holds code */
	struct bus_pio pio[BUS_MAX_PIO];
	unsigned npio;
	struct bus_mmio mmio[BUS_MAX_MMIO];
	unsigned nmmio;
	bus_code_write_fn *code_write;
	void *code_write_opaque;
	/* Set by a device that ends the run (isa-debug-exit). */
	bool stop_requested;
	int exit_status;
};

/* Returns NULL when host memory runs out. */
struct bus *bus_new(uint64_t ram_size);
void bus_free(struct bus *bus);

/* Registration fails (returns -1) when the table is full. */
int bus_add_pio(struct bus *bus, uint16_t first, uint16_t last, bus_pio_read_fn *rd,
                bus_pio_write_fn *wr, void *opaque);
int bus_add_mmio(struct bus *bus, uint64_t base, uint64_t size, bus_mmio_read_fn *rd,
                 bus_mmio_write_fn *wr, void *opaque);

/* Host pointer for a whole RAM page, or NULL if the page is not plain RAM
 * (unbacked or MMIO).  Used to fill the TLB. */
static inline uint8_t *bus_ram_page(struct bus *bus, uint64_t gpa)
{
	if (gpa < bus->ram_size)
		return bus->ram + (gpa & PAGE_MASK);
	return NULL;
}

static inline bool bus_page_has_code(const struct bus *bus, uint64_t gpa)
{
	return gpa < bus->ram_size && bus->code_chunks[gpa >> 12] != 0;
}

/* Physical reads and writes of 1..8 bytes that may touch MMIO, unbacked
 * space or code.  They must not cross a page boundary. */
uint64_t bus_read(struct bus *bus, uint64_t gpa, unsigned size);
void bus_write(struct bus *bus, uint64_t gpa, unsigned size, uint64_t val);

/* Bulk copies (loader, DMA).  Bytes outside RAM are all ones / dropped. */
void bus_read_bytes(struct bus *bus, uint64_t gpa, void *dst, size_t len);
void bus_write_bytes(struct bus *bus, uint64_t gpa, const void *src, size_t len);

/* Port I/O.  Unclaimed ports read all ones and drop writes. */
uint32_t bus_in(struct bus *bus, uint16_t port, unsigned size);
void bus_out(struct bus *bus, uint16_t port, unsigned size, uint32_t val);

/* Code tracking for the decode cache. */
void bus_mark_code(struct bus *bus, uint64_t gpa, uint64_t len);
void bus_unmark_code(struct bus *bus, uint64_t gpa, uint64_t len);
/* Called after any RAM write that was not checked yet. */
void bus_note_write(struct bus *bus, uint64_t gpa, uint64_t len);

/* Devices ask the machine to stop with a status. */
static inline void bus_request_stop(struct bus *bus, int status)
{
	bus->stop_requested = true;
	bus->exit_status = status;
}

#endif
