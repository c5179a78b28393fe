/* Multiboot v1 loading; see multiboot.h for the layout it builds.
 * References: Multiboot Specification 0.6.96 (§3.1 header, §3.2 machine
 * state, §3.3 information format) and QEMU hw/i386/multiboot.c, whose
 * choices (command line "<file> <append>", flat-image arithmetic, info
 * placed after the kernel) are followed so that one image boots the same
 * way under both. */
#include "diag.h"
#include "multiboot.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cpu/cpu.h"
#include "../cpu/flags.h"
#include "../cpu/icache.h"
#include "../cpu/mmu.h"
#include "../mem/bus.h"
#include "elf.h"
#include "file.h"

#define MB_INFO_GDT   0
#define MB_INFO_MBI   32
#define MB_INFO_MMAP  128
#define MB_MMAP_ENTRIES 4
#define MB_MMAP_ENTRY 24
#define MB_INFO_MODS  (MB_INFO_MMAP + MB_MMAP_ENTRIES * MB_MMAP_ENTRY)
#define MB_MOD_ENTRY  16
#define MB_LOADER_NAME "softvtx"
#define FOUR_GIB (1ull << 32)
#define ONE_MIB 0x100000ull


static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t page_up(uint64_t a)
{
	return (a + PAGE_SIZE - 1) & PAGE_MASK;
}

/* §3.1.1: the header is 32-bit aligned, within the first 8192 bytes, and
 * magic + flags + checksum == 0 (mod 2^32). */
enum vtx_status mb_find_header(const uint8_t *file, size_t size, size_t *off)
{
	size_t lim = size < MB_SEARCH_LEN ? size : MB_SEARCH_LEN;
	bool saw_magic = false;

	for (size_t i = 0; i + 12 <= lim; i += 4) {
		if (ld32(file + i) != MB_HEADER_MAGIC)
			continue;
		saw_magic = true;
		if (MB_HEADER_MAGIC + ld32(file + i + 4) + ld32(file + i + 8) == 0) {
			*off = i;
			return VTX_OK;
		}
	}
	return saw_magic ? VTX_ERR_MB_CHECKSUM : VTX_ERR_MB_NO_HEADER;
}

static void zero_range(struct bus *bus, uint64_t gpa, uint64_t len)
{
	static const uint8_t zeros[4096];

	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);

		bus_write_bytes(bus, gpa, zeros, n);
		gpa += n;
		len -= n;
	}
}

/* Flag 16 (a.out kludge): the header's address fields say where the file
 * goes, with QEMU's arithmetic:
 *   text offset = header offset - (header_addr - load_addr)
 *   load size   = load_end_addr - load_addr (0: to end of file)
 *   kernel size = bss_end_addr - load_addr  (0: load size) */
static enum vtx_status load_flat(struct bus *bus, const char *path, const uint8_t *file,
                                 size_t size, size_t hoff, uint64_t *entry, uint64_t *hi,
                                 char *err, size_t errlen)
{
	uint32_t header_addr, load_addr, load_end, bss_end;
	uint64_t text_off, load_size, kernel_size;

	if (hoff + 32 > size)
		return load_fail(err, errlen, VTX_ERR_TRUNCATED,
		            "%s: Multiboot address fields extend past end of file", path);
	header_addr = ld32(file + hoff + 12);
	load_addr = ld32(file + hoff + 16);
	load_end = ld32(file + hoff + 20);
	bss_end = ld32(file + hoff + 24);
	*entry = ld32(file + hoff + 28);
	if (header_addr < load_addr || header_addr - load_addr > hoff)
		return load_fail(err, errlen, VTX_ERR_MB_ADDRESS,
		            "%s: Multiboot header_addr 0x%x does not fit load_addr 0x%x", path,
		            header_addr, load_addr);
	text_off = hoff - (header_addr - load_addr);
	if (load_end) {
		if (load_end < load_addr)
			return load_fail(err, errlen, VTX_ERR_MB_ADDRESS,
			            "%s: Multiboot load_end_addr 0x%x is below load_addr 0x%x", path,
			            load_end, load_addr);
		load_size = load_end - load_addr;
		if (load_size > size - text_off)
			return load_fail(err, errlen, VTX_ERR_TRUNCATED,
			            "%s: load_end_addr 0x%x needs 0x%llx file bytes, file has 0x%llx",
			            path, load_end, (unsigned long long)load_size,
			            (unsigned long long)(size - text_off));
	} else {
		load_size = size - text_off;
	}
	kernel_size = load_size;
	if (bss_end) {
		if (bss_end < load_addr + load_size)
			return load_fail(err, errlen, VTX_ERR_MB_ADDRESS,
			            "%s: Multiboot bss_end_addr 0x%x is below the loaded end 0x%llx", path,
			            bss_end, (unsigned long long)(load_addr + load_size));
		kernel_size = bss_end - load_addr;
	}
	if (load_addr >= bus->ram_size || kernel_size > bus->ram_size - load_addr)
		return load_fail(err, errlen, VTX_ERR_SEGMENT_RANGE,
		            "%s: image 0x%x+0x%llx is outside guest RAM (0x%llx bytes)", path,
		            load_addr, (unsigned long long)kernel_size,
		            (unsigned long long)bus->ram_size);
	bus_write_bytes(bus, load_addr, file + text_off, (size_t)load_size);
	zero_range(bus, load_addr + load_size, kernel_size - load_size);
	*hi = load_addr + kernel_size;
	return VTX_OK;
}

static enum vtx_status load_elf(struct bus *bus, const char *path, const uint8_t *file,
                                size_t size, uint64_t *entry, uint64_t *hi, char *err,
                                size_t errlen)
{
	struct elf_image img;
	char why[200];
	enum vtx_status st;

	st = elf_parse(file, size, bus->ram_size, &img, why, sizeof(why));
	if (st == VTX_ERR_NOT_ELF)
		return load_fail(err, errlen, st,
		            "%s: not an ELF file and the Multiboot header has no address fields "
		            "(flag 16)", path);
	if (st != VTX_OK)
		return load_fail(err, errlen, st, "%s: %s", path, why);
	*hi = 0;
	for (size_t i = 0; i < img.nsegs; i++) {
		const struct elf_seg *s = &img.segs[i];

		bus_write_bytes(bus, s->paddr, file + s->offset, (size_t)s->filesz);
		zero_range(bus, s->paddr + s->filesz, s->memsz - s->filesz);
		if (s->paddr + s->memsz > *hi)
			*hi = s->paddr + s->memsz;
	}
	*entry = img.entry;
	elf_image_free(&img);
	return VTX_OK;
}

struct mb_mod {
	uint8_t *data;
	size_t size;
	uint64_t gpa;
};

static enum vtx_status load_modules(struct bus *bus, const char *const *modules, size_t n,
                                    struct mb_mod *mods, uint64_t *cursor, char *err,
                                    size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const char *spec = modules[i];
		size_t plen = strcspn(spec, " ");
		char *path = strndup(spec, plen);
		enum vtx_status st;

		if (!path)
			return load_fail(err, errlen, VTX_ERR_NOMEM, "out of host memory");
		st = file_read_all(path, &mods[i].data, &mods[i].size, err, errlen);
		if (st != VTX_OK) {
			free(path);
			return st;
		}
		mods[i].gpa = page_up(*cursor);
		if (mods[i].gpa >= FOUR_GIB || mods[i].gpa > bus->ram_size ||
		    mods[i].size > bus->ram_size - mods[i].gpa ||
		    mods[i].size > FOUR_GIB - mods[i].gpa) {
			st = load_fail(err, errlen, VTX_ERR_NO_ROOM,
			          "%s: module (0x%zx bytes) does not fit in guest RAM", path,
			          mods[i].size);
			free(path);
			return st;
		}
		free(path);
		bus_write_bytes(bus, mods[i].gpa, mods[i].data, mods[i].size);
		free(mods[i].data);
		mods[i].data = NULL;
		*cursor = mods[i].gpa + mods[i].size;
	}
	return VTX_OK;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* §3.3 memory map entry: size (of the rest, 20), base, length, type. */
static void put_mmap(uint8_t *p, uint64_t base, uint64_t len, uint32_t type)
{
	put32(p, 20);
	put64(p + 4, base);
	put64(p + 12, len);
	put32(p + 20, type);
}

/* GDT descriptor: base 0, limit 0xFFFFF pages, G=1 D/B=1, access byte
 * `access` (SDM Vol. 3A §3.4.5). */
static uint64_t flat_desc(uint8_t access)
{
	return 0xffffull | ((uint64_t)access << 40) | (0xfull << 48) | (0xcull << 52);
}

/* Build the info block at `info` (see multiboot.h).  Returns the bytes
 * used, or 0 when it does not fit below RAM end and 4 GiB. */
static uint64_t build_info(struct bus *bus, uint64_t info, const char *cmdline,
                           const char *const *modules, const struct mb_mod *mods, size_t n)
{
	uint64_t strings = info + MB_INFO_MODS + n * MB_MOD_ENTRY;
	uint64_t total = strings - info + strlen(cmdline) + 1 + sizeof(MB_LOADER_NAME);
	uint64_t ram = bus->ram_size;
	uint64_t mem_upper_end = ram < FOUR_GIB ? ram : FOUR_GIB;
	uint8_t *blk;
	uint64_t s;

	for (size_t i = 0; i < n; i++)
		total += strlen(modules[i]) + 1;
	if (info >= mem_upper_end || total > mem_upper_end - info)
		return 0;
	blk = calloc(1, (size_t)total);
	if (!blk)
		return 0;
	put64(blk + MB_INFO_GDT + MB_SEL_CODE, flat_desc(0x9b));
	put64(blk + MB_INFO_GDT + MB_SEL_DATA, flat_desc(0x93));

	/* Strings first, so their addresses are known. */
	s = strings - info;
	memcpy(blk + s, cmdline, strlen(cmdline) + 1);
	put32(blk + MB_INFO_MBI + MBI_CMDLINE, (uint32_t)(info + s));
	s += strlen(cmdline) + 1;
	for (size_t i = 0; i < n; i++) {
		uint8_t *m = blk + MB_INFO_MODS + i * MB_MOD_ENTRY;

		put32(m, (uint32_t)mods[i].gpa);
		put32(m + 4, (uint32_t)(mods[i].gpa + mods[i].size));
		put32(m + 8, (uint32_t)(info + s));
		memcpy(blk + s, modules[i], strlen(modules[i]) + 1);
		s += strlen(modules[i]) + 1;
	}
	memcpy(blk + s, MB_LOADER_NAME, sizeof(MB_LOADER_NAME));
	put32(blk + MB_INFO_MBI + MBI_LOADER_NAME, (uint32_t)(info + s));

	/* The PC map QEMU's BIOS reports through E820: conventional memory
	 * up to the EBDA, the EBDA, the BIOS ROM, and RAM above 1 MiB. */
	put_mmap(blk + MB_INFO_MMAP, 0, 0x9fc00, 1);
	put_mmap(blk + MB_INFO_MMAP + 24, 0x9fc00, 0x400, 2);
	put_mmap(blk + MB_INFO_MMAP + 48, 0xf0000, 0x10000, 2);
	put_mmap(blk + MB_INFO_MMAP + 72, ONE_MIB, ram - ONE_MIB, 1);

	put32(blk + MB_INFO_MBI + MBI_FLAGS, MBI_FLAG_MEM | MBI_FLAG_BOOTDEV | MBI_FLAG_CMDLINE |
	                                     MBI_FLAG_MODS | MBI_FLAG_MMAP | MBI_FLAG_LOADER);
	/* QEMU's value: BIOS drive 0x80, no partition. */
	put32(blk + MB_INFO_MBI + MBI_BOOT_DEVICE, 0x8000ffff);
	put32(blk + MB_INFO_MBI + MBI_MEM_LOWER, 639);
	put32(blk + MB_INFO_MBI + MBI_MEM_UPPER, (uint32_t)((mem_upper_end - ONE_MIB) / 1024));
	put32(blk + MB_INFO_MBI + MBI_MODS_COUNT, (uint32_t)n);
	put32(blk + MB_INFO_MBI + MBI_MODS_ADDR, (uint32_t)(info + MB_INFO_MODS));
	put32(blk + MB_INFO_MBI + MBI_MMAP_LENGTH, MB_MMAP_ENTRIES * MB_MMAP_ENTRY);
	put32(blk + MB_INFO_MBI + MBI_MMAP_ADDR, (uint32_t)(info + MB_INFO_MMAP));

	bus_write_bytes(bus, info, blk, (size_t)total);
	free(blk);
	return total;
}

static void set_flat(struct seg *s, uint16_t sel, uint32_t attr)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->attr = attr;
}

/* Multiboot §3.2 machine state: EAX magic, EBX info, CS/DS/ES/FS/GS/SS
 * flat 4 GiB segments, CR0.PG = 0, CR0.PE = 1, EFLAGS.VM = 0 and IF = 0.
 * GDTR points at our GDT; IDTR keeps the real-mode value (base 0, limit
 * 0x3FF) as it does after QEMU's Multiboot option ROM. */
static void set_entry_state(struct cpu *cpu, uint32_t entry, uint32_t info, uint32_t gdt)
{
	const uint32_t code = SEG_P | SEG_S | SEG_TYPE_CODE | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB | SEG_G;
	const uint32_t data = SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB | SEG_G;

	cpu_reset(cpu);
	cpu->cr0 |= CR0_PE;
	for (int i = 0; i < 6; i++)
		set_flat(&cpu->seg[i], MB_SEL_DATA, data);
	set_flat(&cpu->seg[SEG_CS], MB_SEL_CODE, code);
	cpu->gdtr.base = gdt;
	cpu->gdtr.limit = MB_SEL_DATA + 7;
	cpu->idtr.base = 0;
	cpu->idtr.limit = 0x3ff;
	cpu->gpr[R_RAX] = MB_BOOT_MAGIC;
	cpu->gpr[R_RBX] = info;
	flags_write(cpu, RFLAGS_FIXED1);
	cpu->rip = entry;
	cpu_update_mode(cpu);
	tlb_flush_all(cpu);
	icache_flush_jump_cache(cpu->icache);
}

static enum vtx_status load_kernel(struct bus *bus, const char *path, const uint8_t *file,
                                   size_t size, uint64_t *entry, uint64_t *hi, char *err,
                                   size_t errlen)
{
	enum vtx_status st;
	size_t hoff = 0;
	uint32_t flags;

	st = mb_find_header(file, size, &hoff);
	if (st == VTX_ERR_MB_NO_HEADER)
		return load_fail(err, errlen, st, "%s: no Multiboot header in the first %u bytes", path,
		            MB_SEARCH_LEN);
	if (st == VTX_ERR_MB_CHECKSUM)
		return load_fail(err, errlen, st, "%s: Multiboot header checksum is wrong", path);
	flags = ld32(file + hoff + 4);
	/* §3.1.2: a boot loader must refuse a kernel that requires (bits
	 * 0-15) something it cannot do.  Bit 2 (video mode) is ignored, as
	 * QEMU does. */
	if (flags & 0xffffu & ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE))
		return load_fail(err, errlen, VTX_ERR_MB_FLAGS,
		            "%s: Multiboot header requires unsupported features (flags 0x%08x)", path,
		            flags);
	/* QEMU takes the address fields whenever flag 16 is set, ELF or not. */
	if (flags & MB_FLAG_AOUT_KLUDGE)
		return load_flat(bus, path, file, size, hoff, entry, hi, err, errlen);
	return load_elf(bus, path, file, size, entry, hi, err, errlen);
}

enum vtx_status mb_load(struct bus *bus, struct cpu *cpu, const char *path,
                        const char *cmdline_append, const char *const *modules,
                        size_t nmodules, char *err, size_t errlen)
{
	struct mb_mod *mods = NULL;
	uint8_t *file = NULL;
	size_t size = 0;
	uint64_t entry = 0, hi = 0, cursor, info;
	char *cmdline = NULL;
	enum vtx_status st;

	if (err && errlen)
		err[0] = 0;
	if (!path || (nmodules && !modules))
		return load_fail(err, errlen, VTX_ERR_INVALID_ARG, "no image given");
	for (size_t i = 0; i < nmodules; i++)
		if (!modules[i])
			return load_fail(err, errlen, VTX_ERR_INVALID_ARG, "module %zu has no file name", i);
	st = file_read_all(path, &file, &size, err, errlen);
	if (st != VTX_OK)
		return st;
	st = load_kernel(bus, path, file, size, &entry, &hi, err, errlen);
	free(file);
	if (st != VTX_OK)
		return st;

	mods = calloc(nmodules + 1, sizeof(*mods));
	/* QEMU's "%s %s": file name, a space, then the -append text. */
	if (!cmdline_append)
		cmdline_append = "";
	cmdline = malloc(strlen(path) + strlen(cmdline_append) + 2);
	if (!mods || !cmdline) {
		st = load_fail(err, errlen, VTX_ERR_NOMEM, "out of host memory");
		goto out;
	}
	sprintf(cmdline, "%s %s", path, cmdline_append);
	cursor = hi > ONE_MIB ? hi : ONE_MIB;
	st = load_modules(bus, modules, nmodules, mods, &cursor, err, errlen);
	if (st != VTX_OK)
		goto out;
	info = page_up(cursor);
	if (!build_info(bus, info, cmdline, modules, mods, nmodules)) {
		st = load_fail(err, errlen, VTX_ERR_NO_ROOM,
		          "%s: no room for the Multiboot information above 0x%llx", path,
		          (unsigned long long)info);
		goto out;
	}
	set_entry_state(cpu, (uint32_t)entry, (uint32_t)(info + MB_INFO_MBI),
	                (uint32_t)(info + MB_INFO_GDT));
out:
	for (size_t i = 0; mods && i < nmodules; i++)
		free(mods[i].data);
	free(mods);
	free(cmdline);
	return st;
}
