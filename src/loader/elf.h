/* ELF32/ELF64 executables through libelf: the loadable segments a
 * Multiboot loader copies, validated against the file and guest RAM. */
#ifndef SOFTVTX_LOADER_ELF_H
#define SOFTVTX_LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softvtx.h"

struct elf_seg {
	uint64_t paddr;    /* p_paddr: where it is copied */
	uint64_t memsz;    /* bytes in memory; memsz - filesz are zeroed */
	uint64_t filesz;   /* bytes taken from the file */
	uint64_t offset;   /* p_offset */
};

struct elf_image {
	bool is64;
	uint64_t entry;          /* e_entry */
	size_t nsegs;
	struct elf_seg *segs;    /* PT_LOAD with memsz > 0, file order */
};

/* True when the buffer starts with the ELF magic. */
bool elf_is_elf(const uint8_t *file, size_t size);

/* Parse an x86 ELF executable held in file[0..size) and check that every
 * loadable segment lies in [0, ram_size), within the file, and apart from
 * the others.  Returns VTX_OK and fills *img (free with elf_image_free),
 * or ELF_BAD, TRUNCATED, SEGMENT_RANGE, OVERLAP, ENTRY_RANGE or NOMEM with
 * a one-line reason in err[0..errlen). */
enum vtx_status elf_parse(const uint8_t *file, size_t size, uint64_t ram_size,
                          struct elf_image *img, char *err, size_t errlen);
void elf_image_free(struct elf_image *img);

#endif
