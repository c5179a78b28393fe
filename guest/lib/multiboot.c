/* Multiboot v1 information structure (Multiboot spec §3.3). */
#include "guest.h"

#define MB_BOOTLOADER_MAGIC 0x2BADB002
#define MB_INFO_MEMORY  (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP    (1u << 6)

/* Offsets in the info block:
 *   0 flags | 4 mem_lower | 8 mem_upper | 12 boot_device | 16 cmdline
 *  20 mods_count | 24 mods_addr | 28..43 syms | 44 mmap_length
 *  48 mmap_addr
 * Each mmap entry: size (not counting itself), base_addr(8), length(8),
 * type(4). */
struct mb_summary mb;

static uint32_t rd32(uint32_t pa)
{
	return *(volatile uint32_t *)(uintptr_t)pa;
}

static uint64_t rd64(uint32_t pa)
{
	return rd32(pa) | (uint64_t)rd32(pa + 4) << 32;
}

void mb_parse(uint32_t magic, uint32_t info)
{
	mb.cmdline = "";
	mb.valid = magic == MB_BOOTLOADER_MAGIC;
	if (!mb.valid)
		return;
	mb.flags = rd32(info);
	if (mb.flags & MB_INFO_MEMORY) {
		mb.has_mem = true;
		mb.mem_lower_kib = rd32(info + 4);
		mb.mem_upper_kib = rd32(info + 8);
	}
	if ((mb.flags & MB_INFO_CMDLINE) && rd32(info + 16))
		mb.cmdline = (const char *)(uintptr_t)rd32(info + 16);
	if (mb.flags & MB_INFO_MMAP) {
		uint32_t p = rd32(info + 48), end = p + rd32(info + 44);
		while (p < end && mb.mmap_count < (int)ARRAY_SIZE(mb.mmap)) {
			struct mb_mmap_entry *e = &mb.mmap[mb.mmap_count++];
			e->base = rd64(p + 4);
			e->len = rd64(p + 12);
			e->type = rd32(p + 20);
			p += rd32(p) + 4;
		}
	}
}
