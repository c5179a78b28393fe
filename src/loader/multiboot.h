/* Multiboot v1 hand-off, as QEMU's `-kernel` (hw/i386/multiboot.c) does
 * it: find and check the header, load the kernel (ELF, or flat when header
 * flag 16 gives the address fields), load modules, build the information
 * structure and put the CPU in the state the Multiboot spec (§3.2)
 * requires.
 *
 * Guest-physical layout after the kernel image (all page-aligned starts):
 *
 *   [kernel segments ...]
 *   base -> module 0, module 1, ...          (each page-aligned)
 *   info -> +0    GDT: null, null, code32 (0x10), data32 (0x18)
 *           +32   multiboot_info (88 bytes)
 *           +128  memory map (4 entries x 24 bytes)
 *           +224  module list (16 bytes each)
 *           ...   kernel command line, module strings, loader name
 *
 * base is the end of the kernel rounded up to 4 KiB, and at least 1 MiB.
 */
#ifndef SOFTVTX_LOADER_MULTIBOOT_H
#define SOFTVTX_LOADER_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "softvtx.h"

struct bus;
struct cpu;

#define MB_HEADER_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC   0x2BADB002u
#define MB_SEARCH_LEN   8192

/* Header flags (Multiboot 0.6.96 §3.1.2). */
#define MB_FLAG_PAGE_ALIGN (1u << 0)
#define MB_FLAG_MEMORY_INFO (1u << 1)
#define MB_FLAG_VIDEO_MODE (1u << 2)
#define MB_FLAG_AOUT_KLUDGE (1u << 16)

/* Info flags (§3.3). */
#define MBI_FLAG_MEM     (1u << 0)
#define MBI_FLAG_BOOTDEV (1u << 1)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS    (1u << 3)
#define MBI_FLAG_MMAP    (1u << 6)
#define MBI_FLAG_LOADER  (1u << 9)

/* Offsets in struct multiboot_info. */
#define MBI_FLAGS        0
#define MBI_MEM_LOWER    4
#define MBI_MEM_UPPER    8
#define MBI_BOOT_DEVICE  12
#define MBI_CMDLINE      16
#define MBI_MODS_COUNT   20
#define MBI_MODS_ADDR    24
#define MBI_MMAP_LENGTH  44
#define MBI_MMAP_ADDR    48
#define MBI_LOADER_NAME  64
#define MBI_SIZE         88

/* The selectors the kernel is entered with. */
#define MB_SEL_CODE 0x10
#define MB_SEL_DATA 0x18

/* Find a valid header in the first 8 KiB: *off is its offset.  Returns
 * VTX_OK, MB_NO_HEADER (no magic at a 4-byte aligned offset) or
 * MB_CHECKSUM (magic present but no candidate sums to zero). */
enum vtx_status mb_find_header(const uint8_t *file, size_t size, size_t *off);

/* Load `path` (see vtx_load_multiboot in softvtx.h for the arguments and
 * errors) into the bus's RAM and set the CPU up for the kernel entry. */
enum vtx_status mb_load(struct bus *bus, struct cpu *cpu, const char *path,
                        const char *cmdline_append, const char *const *modules,
                        size_t nmodules, char *err, size_t errlen);

#endif
