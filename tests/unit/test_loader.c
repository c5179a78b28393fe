/* Multiboot v1 loader: every malformed image gives its own vtx_status, and
 * good ELF32, ELF64 and flat images land where their headers say, with the
 * CPU state and information structure the Multiboot spec (0.6.96 §3.2,
 * §3.3) requires.  Images are built here byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "softvtx.h"

#define RAM (16ull << 20)
#define MB_MAGIC 0x1BADB002u

static char tmpdir[64];

/* --- image builders ----------------------------------------------------- */

struct img {
	uint8_t b[0x400];
	size_t len;
};

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Multiboot header: magic, flags, checksum (§3.1.1). */
static void mb_header(uint8_t *p, uint32_t flags)
{
	put32(p, MB_MAGIC);
	put32(p + 4, flags);
	put32(p + 8, -(MB_MAGIC + flags));
}

/* Code at the entry point: mov al,'K'; out 0xE9,al; mov al,7; out 0xF4,al */
static const uint8_t entry_code[] = { 0xb0, 'K', 0xe6, 0xe9, 0xb0, 0x07, 0xe6, 0xf4, 0xf4 };

/* ELF32: two PT_LOAD segments.
 *   seg 0: file 0x100..0x140 -> phys 0x100000 (MB header, then code at +12)
 *   seg 1: file 0x140..0x150 -> phys 0x102000, memsz 0x1000 (BSS after) */
#define E32_SEG0_PA 0x100000u
#define E32_SEG1_PA 0x102000u
#define E32_ENTRY (E32_SEG0_PA + 12)
static void build_elf32(struct img *im)
{
	Elf32_Ehdr *eh = (Elf32_Ehdr *)im->b;
	Elf32_Phdr *ph = (Elf32_Phdr *)(im->b + sizeof(*eh));

	memset(im, 0, sizeof(*im));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_386;
	eh->e_version = EV_CURRENT;
	eh->e_entry = E32_ENTRY;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0] = (Elf32_Phdr){ PT_LOAD, 0x100, E32_SEG0_PA, E32_SEG0_PA, 0x40, 0x40, PF_R | PF_X, 4 };
	ph[1] = (Elf32_Phdr){ PT_LOAD, 0x140, E32_SEG1_PA, E32_SEG1_PA, 0x10, 0x1000, PF_R | PF_W, 4 };
	mb_header(im->b + 0x100, 0x3);
	memcpy(im->b + 0x10c, entry_code, sizeof(entry_code));
	memset(im->b + 0x140, 0xaa, 0x10);
	im->len = 0x150;
}

static Elf32_Ehdr *eh32(struct img *im) { return (Elf32_Ehdr *)im->b; }
static Elf32_Phdr *ph32(struct img *im, int i)
{
	return (Elf32_Phdr *)(im->b + sizeof(Elf32_Ehdr)) + i;
}

/* ELF64: one segment below 1 MiB (phys 0x8000) holding header and code,
 * and one at 0x300000 with BSS. */
#define E64_SEG0_PA 0x8000u
#define E64_SEG1_PA 0x300000u
static void build_elf64(struct img *im, uint64_t entry)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)im->b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(im->b + sizeof(*eh));

	memset(im, 0, sizeof(*im));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_X, 0x100, 0xffffffff80008000ull, E64_SEG0_PA,
	                      0x40, 0x40, 8 };
	ph[1] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_W, 0x140, 0xffffffff80300000ull, E64_SEG1_PA,
	                      0x20, 0x2000, 8 };
	mb_header(im->b + 0x100, 0x2);
	memcpy(im->b + 0x10c, entry_code, sizeof(entry_code));
	memset(im->b + 0x140, 0xbb, 0x20);
	im->len = 0x160;
}

/* Flat (flag 16): the header at file offset 0x40 says header_addr =
 * 0x200040 and load_addr = 0x200000, so the file from offset 0 goes to
 * 0x200000; load_end 0x200080 (0x80 file bytes), bss_end 0x201000. */
#define FLAT_LOAD 0x200000u
static void build_flat(struct img *im)
{
	uint8_t *h = im->b + 0x40;

	memset(im, 0, sizeof(*im));
	for (int i = 0; i < 0x40; i++)
		im->b[i] = (uint8_t)(0x10 + i);
	mb_header(h, 0x10000);
	put32(h + 12, FLAT_LOAD + 0x40);
	put32(h + 16, FLAT_LOAD);
	put32(h + 20, FLAT_LOAD + 0x80);
	put32(h + 24, FLAT_LOAD + 0x1000);
	put32(h + 28, FLAT_LOAD + 0x60);
	memcpy(im->b + 0x60, entry_code, sizeof(entry_code));
	memset(im->b + 0x80, 0xcc, 0x20);  /* past load_end: must not load */
	im->len = 0xa0;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	static char path[8][128];
	static int slot;
	char *p = path[slot++ & 7];
	FILE *f;

	snprintf(p, 128, "%s/%s", tmpdir, name);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return p;
}

static const char *write_img(const char *name, const struct img *im)
{
	return write_file(name, im->b, im->len);
}

/* --- harness ------------------------------------------------------------ */

struct capture {
	char buf[256];
	size_t len;
};

static void capture_out(void *opaque, const uint8_t *bytes, size_t len)
{
	struct capture *c = opaque;

	for (size_t i = 0; i < len && c->len + 1 < sizeof(c->buf); i++)
		c->buf[c->len++] = (char)bytes[i];
}

static vtx_t *machine(struct capture *cap)
{
	struct vtx_config cfg = { .ram_bytes = RAM, .output = capture_out, .output_opaque = cap };
	vtx_t *vtx = NULL;

	assert_int_equal(vtx_open(&cfg, &vtx), VTX_OK);
	return vtx;
}

/* Load and return the status; err must be one line, non-empty on failure. */
static enum vtx_status load(const char *path, const char *append, const char *const *mods,
                            size_t n)
{
	struct capture cap = { 0 };
	vtx_t *vtx = machine(&cap);
	char err[256];
	enum vtx_status st;

	memset(err, 'x', sizeof(err));
	st = vtx_load_multiboot(vtx, path, append, mods, n, err, sizeof(err));
	if (st != VTX_OK) {
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
	}
	vtx_close(vtx);
	return st;
}

static enum vtx_status load_img(const struct img *im)
{
	return load(write_img("bad.elf", im), NULL, NULL, 0);
}

static uint64_t reg(vtx_t *vtx, enum vtx_reg r)
{
	uint64_t v = 0;

	assert_int_equal(vtx_reg_get(vtx, r, &v), VTX_OK);
	return v;
}

static uint32_t rd32(vtx_t *vtx, uint64_t gpa)
{
	uint8_t b[4];

	assert_int_equal(vtx_phys_read(vtx, gpa, b, 4), VTX_OK);
	return get32(b);
}

static int setup(void **state)
{
	(void)state;
	/* Hundreds of small files: prefer a RAM-backed directory. */
	strcpy(tmpdir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/softvtx-loader-XXXXXX"
	                                              : "/tmp/softvtx-loader-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* --- malformed images --------------------------------------------------- */

static void missing_file(void **state)
{
	(void)state;
	assert_int_equal(load("/nonexistent/softvtx/kernel.elf", NULL, NULL, 0), VTX_ERR_FILE);
	/* A directory is not a regular file. */
	assert_int_equal(load(tmpdir, NULL, NULL, 0), VTX_ERR_FILE);
}

static void no_header(void **state)
{
	struct img im;

	(void)state;
	build_elf32(&im);
	put32(im.b + 0x100, 0x1BADB003);
	assert_int_equal(load_img(&im), VTX_ERR_MB_NO_HEADER);
	/* §3.1.1: the header must be 32-bit aligned. */
	build_elf32(&im);
	memmove(im.b + 0x102, im.b + 0x100, 12);
	memset(im.b + 0x100, 0, 2);
	assert_int_equal(load_img(&im), VTX_ERR_MB_NO_HEADER);
}

/* The header must lie within the first 8192 bytes. */
static void header_beyond_8k(void **state)
{
	static uint8_t big[8192 + 64];

	(void)state;
	mb_header(big + 8192, 0x10000);
	assert_int_equal(load(write_file("late.bin", big, sizeof(big)), NULL, NULL, 0),
	                 VTX_ERR_MB_NO_HEADER);
}

static void bad_checksum(void **state)
{
	struct img im;

	(void)state;
	build_elf32(&im);
	put32(im.b + 0x108, get32(im.b + 0x108) + 1);
	assert_int_equal(load_img(&im), VTX_ERR_MB_CHECKSUM);
}

static void unsupported_flags(void **state)
{
	struct img im;

	(void)state;
	build_elf32(&im);
	mb_header(im.b + 0x100, 0x3 | (1u << 3));
	assert_int_equal(load_img(&im), VTX_ERR_MB_FLAGS);
	/* Bit 2 (video mode) is ignored as QEMU does. */
	build_elf32(&im);
	mb_header(im.b + 0x100, 0x3 | (1u << 2));
	assert_int_equal(load_img(&im), VTX_OK);
	/* Bits 17-31 are optional: unknown ones are ignored. */
	build_elf32(&im);
	mb_header(im.b + 0x100, 0x3 | (1u << 20));
	assert_int_equal(load_img(&im), VTX_OK);
}

static void not_elf(void **state)
{
	struct img im;

	(void)state;
	build_elf32(&im);
	im.b[1] = 'X';
	assert_int_equal(load_img(&im), VTX_ERR_NOT_ELF);
}

static void elf_corrupt(void **state)
{
	struct img im;

	(void)state;
	build_elf32(&im);
	eh32(&im)->e_machine = EM_ARM;
	assert_int_equal(load_img(&im), VTX_ERR_ELF_BAD);
	build_elf32(&im);
	im.b[EI_CLASS] = 7;
	assert_int_equal(load_img(&im), VTX_ERR_ELF_BAD);
	build_elf32(&im);
	im.b[EI_DATA] = ELFDATA2MSB;
	assert_int_equal(load_img(&im), VTX_ERR_ELF_BAD);
	build_elf32(&im);
	eh32(&im)->e_type = ET_REL;
	assert_int_equal(load_img(&im), VTX_ERR_ELF_BAD);
	build_elf32(&im);
	eh32(&im)->e_phnum = 0;
	assert_int_equal(load_img(&im), VTX_ERR_ELF_BAD);
	/* No PT_LOAD at all. */
	build_elf32(&im);
	ph32(&im, 0)->p_type = PT_NOTE;
	ph32(&im, 1)->p_type = PT_NOTE;
	assert_int_equal(load_img(&im), VTX_ERR_ELF_BAD);
	/* p_filesz > p_memsz. */
	build_elf32(&im);
	ph32(&im, 0)->p_memsz = 0x20;
	assert_int_equal(load_img(&im), VTX_ERR_ELF_BAD);
}

static void segment_outside_ram(void **state)
{
	struct img im;

	(void)state;
	build_elf32(&im);
	ph32(&im, 1)->p_paddr = RAM - 0x800;  /* BSS runs past the end */
	assert_int_equal(load_img(&im), VTX_ERR_SEGMENT_RANGE);
	build_elf32(&im);
	ph32(&im, 1)->p_paddr = 0xfffff000u;  /* paddr + memsz wraps 32 bits */
	assert_int_equal(load_img(&im), VTX_ERR_SEGMENT_RANGE);
}

static void truncated(void **state)
{
	struct img im;

	(void)state;
	build_elf32(&im);
	im.len = 0x148;  /* segment 1 needs file bytes up to 0x150 */
	assert_int_equal(load_img(&im), VTX_ERR_TRUNCATED);
	build_elf32(&im);
	ph32(&im, 1)->p_offset = 0xfffffff8u;
	assert_int_equal(load_img(&im), VTX_ERR_TRUNCATED);
	/* Program header table past the end of the file. */
	build_elf32(&im);
	eh32(&im)->e_phoff = 0x3f0;
	assert_int_equal(load_img(&im), VTX_ERR_TRUNCATED);
}

static void overlapping(void **state)
{
	struct img im;

	(void)state;
	build_elf32(&im);
	ph32(&im, 1)->p_paddr = E32_SEG0_PA + 0x3f;
	assert_int_equal(load_img(&im), VTX_ERR_OVERLAP);
	/* Touching is not overlapping. */
	build_elf32(&im);
	ph32(&im, 1)->p_paddr = E32_SEG0_PA + 0x40;
	assert_int_equal(load_img(&im), VTX_OK);
}

static void elf64_entry_above_4g(void **state)
{
	struct img im;

	(void)state;
	build_elf64(&im, 0x100008000ull);
	assert_int_equal(load_img(&im), VTX_ERR_ENTRY_RANGE);
}

static void flat_bad_addresses(void **state)
{
	struct img im;

	(void)state;
	/* header_addr below load_addr. */
	build_flat(&im);
	put32(im.b + 0x40 + 12, FLAT_LOAD - 4);
	assert_int_equal(load_img(&im), VTX_ERR_MB_ADDRESS);
	/* header_addr - load_addr larger than the header's file offset. */
	build_flat(&im);
	put32(im.b + 0x40 + 12, FLAT_LOAD + 0x44);
	assert_int_equal(load_img(&im), VTX_ERR_MB_ADDRESS);
	/* load_end_addr below load_addr. */
	build_flat(&im);
	put32(im.b + 0x40 + 20, FLAT_LOAD - 1);
	assert_int_equal(load_img(&im), VTX_ERR_MB_ADDRESS);
	/* bss_end_addr below load_end_addr. */
	build_flat(&im);
	put32(im.b + 0x40 + 24, FLAT_LOAD + 0x40);
	assert_int_equal(load_img(&im), VTX_ERR_MB_ADDRESS);
	/* load_end_addr asks for more bytes than the file has. */
	build_flat(&im);
	put32(im.b + 0x40 + 20, FLAT_LOAD + 0x100);
	assert_int_equal(load_img(&im), VTX_ERR_TRUNCATED);
	/* Address fields cut off by the end of the file. */
	build_flat(&im);
	im.len = 0x40 + 20;
	assert_int_equal(load_img(&im), VTX_ERR_TRUNCATED);
	/* Placed past the end of RAM. */
	build_flat(&im);
	put32(im.b + 0x40 + 12, (uint32_t)RAM + 0x40);
	put32(im.b + 0x40 + 16, (uint32_t)RAM);
	put32(im.b + 0x40 + 20, 0);
	put32(im.b + 0x40 + 24, 0);
	assert_int_equal(load_img(&im), VTX_ERR_SEGMENT_RANGE);
}

static void no_room_for_info(void **state)
{
	struct img im;

	(void)state;
	/* BSS up to the last byte of RAM: nothing fits after the image. */
	build_elf32(&im);
	ph32(&im, 1)->p_memsz = (uint32_t)(RAM - E32_SEG1_PA);
	assert_int_equal(load_img(&im), VTX_ERR_NO_ROOM);
}

static void module_no_room(void **state)
{
	static uint8_t mod[0x4000];
	struct img im;
	const char *mods[1];

	(void)state;
	/* 12 KiB left after the image: a 16 KiB module cannot fit. */
	build_elf32(&im);
	ph32(&im, 1)->p_memsz = (uint32_t)(RAM - E32_SEG1_PA - 0x3000);
	mods[0] = write_file("big.mod", mod, sizeof(mod));
	assert_int_equal(load(write_img("k.elf", &im), NULL, mods, 1), VTX_ERR_NO_ROOM);
}

static void missing_module(void **state)
{
	struct img im;
	const char *mods[1] = { "/nonexistent/softvtx/module.bin arg" };

	(void)state;
	build_elf32(&im);
	assert_int_equal(load(write_img("k.elf", &im), NULL, mods, 1), VTX_ERR_FILE);
}

/* Every prefix of a good image, and every single-byte corruption of its
 * headers, must give a status (never a crash or a sanitizer report). */
static void corrupt_all(vtx_t *vtx, const struct img *good, size_t min_len)
{
	static const uint8_t vals[4] = { 0x00, 0xff, 0x80, 0x7f };
	char err[128];
	struct img im;

	for (size_t len = 0; len <= good->len; len++) {
		const char *p = write_file("cut.elf", good->b, len);
		enum vtx_status st = vtx_load_multiboot(vtx, p, NULL, NULL, 0, err, sizeof(err));

		assert_true(st < VTX_STATUS_COUNT);
		if (len < min_len)
			assert_int_not_equal(st, VTX_OK);
	}
	for (size_t off = 0; off < 0x100 + 12; off++) {
		for (int v = 0; v < 4; v++) {
			const char *p;

			im = *good;
			im.b[off] = vals[v];
			p = write_img("flip.elf", &im);
			assert_true(vtx_load_multiboot(vtx, p, NULL, NULL, 0, err, sizeof(err)) <
			            VTX_STATUS_COUNT);
		}
	}
}

static void corruption_never_crashes(void **state)
{
	struct img good;
	struct capture cap = { 0 };
	vtx_t *vtx = machine(&cap);

	(void)state;
	build_elf32(&good);
	corrupt_all(vtx, &good, good.len);
	build_elf64(&good, E64_SEG0_PA + 12);
	corrupt_all(vtx, &good, good.len);
	/* Bytes past load_end_addr are not needed. */
	build_flat(&good);
	corrupt_all(vtx, &good, 0x80);
	vtx_close(vtx);
}

/* --- good images -------------------------------------------------------- */

/* §3.2 machine state, common to every good load. */
static void check_entry_state(vtx_t *vtx, uint64_t entry)
{
	uint8_t gdt[32];
	uint64_t gdtr = reg(vtx, VTX_REG_GDTR_BASE);

	assert_int_equal(reg(vtx, VTX_REG_RAX), 0x2BADB002);
	assert_int_equal(reg(vtx, VTX_REG_RIP), entry);
	/* IF = 0, VM = 0: only the fixed bit 1 is set. */
	assert_int_equal(reg(vtx, VTX_REG_RFLAGS), 0x2);
	assert_int_equal(reg(vtx, VTX_REG_CR0) & 0x80000001u, 0x1);  /* PE=1 PG=0 */
	assert_int_equal(reg(vtx, VTX_REG_EFER), 0);
	assert_int_equal(reg(vtx, VTX_REG_CS), 0x10);
	for (enum vtx_reg r = VTX_REG_ES_BASE; r <= VTX_REG_GS_BASE; r++)
		assert_int_equal(reg(vtx, r), 0);
	assert_int_equal(reg(vtx, VTX_REG_DS), 0x18);
	assert_int_equal(reg(vtx, VTX_REG_SS), 0x18);
	/* The GDT in guest RAM describes the same flat segments (SDM Vol. 3A
	 * §3.4.5): 4 GiB limit, G=1, D=1, code 0x9B and data 0x93. */
	assert_int_equal(reg(vtx, VTX_REG_GDTR_LIMIT), 0x1f);
	assert_int_equal(vtx_phys_read(vtx, gdtr, gdt, sizeof(gdt)), VTX_OK);
	assert_int_equal(get32(gdt + 0x10), 0x0000ffff);
	assert_int_equal(get32(gdt + 0x14), 0x00cf9b00);
	assert_int_equal(get32(gdt + 0x18), 0x0000ffff);
	assert_int_equal(get32(gdt + 0x1c), 0x00cf9300);
}

static void check_mmap(vtx_t *vtx, uint32_t mbi)
{
	static const uint64_t want[4][3] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x400, 2 },
		{ 0xf0000, 0x10000, 2 },
		{ 0x100000, RAM - 0x100000, 1 },
	};
	uint32_t addr = rd32(vtx, mbi + 48), len = rd32(vtx, mbi + 44);
	uint8_t e[24];

	assert_int_equal(len, 4 * 24);
	for (int i = 0; i < 4; i++) {
		uint64_t base, size;

		assert_int_equal(vtx_phys_read(vtx, addr + 24 * i, e, 24), VTX_OK);
		memcpy(&base, e + 4, 8);
		memcpy(&size, e + 12, 8);
		assert_int_equal(get32(e), 20);
		assert_int_equal(base, want[i][0]);
		assert_int_equal(size, want[i][1]);
		assert_int_equal(get32(e + 20), want[i][2]);
	}
}

static void read_str(vtx_t *vtx, uint32_t gpa, char *buf, size_t len)
{
	assert_int_equal(vtx_phys_read(vtx, gpa, buf, len), VTX_OK);
	buf[len - 1] = 0;
}

static void good_elf32(void **state)
{
	struct img im;
	struct capture cap = { 0 };
	vtx_t *vtx = machine(&cap);
	static const char modtext[] = "module payload";
	const char *kpath, *mpath;
	const char *mods[1];
	char modspec[200], want[300], s[300];
	uint8_t seg[0x40], bss[0x1000];
	uint32_t mbi, mods_addr;
	char err[256];

	(void)state;
	build_elf32(&im);
	kpath = write_img("good32.elf", &im);
	mpath = write_file("mod.bin", modtext, sizeof(modtext));
	snprintf(modspec, sizeof(modspec), "%s root=/dev/ram", mpath);
	mods[0] = modspec;
	/* Dirty the BSS area first: the loader must zero it. */
	memset(bss, 0x55, sizeof(bss));
	assert_int_equal(vtx_phys_write(vtx, E32_SEG1_PA, bss, sizeof(bss)), VTX_OK);
	assert_int_equal(vtx_load_multiboot(vtx, kpath, "console=ttyS0", mods, 1, err,
	                                    sizeof(err)), VTX_OK);

	assert_int_equal(vtx_phys_read(vtx, E32_SEG0_PA, seg, sizeof(seg)), VTX_OK);
	assert_memory_equal(seg, im.b + 0x100, 0x40);
	assert_int_equal(vtx_phys_read(vtx, E32_SEG1_PA, bss, sizeof(bss)), VTX_OK);
	for (int i = 0; i < 0x10; i++)
		assert_int_equal(bss[i], 0xaa);
	for (size_t i = 0x10; i < sizeof(bss); i++)
		assert_int_equal(bss[i], 0);
	check_entry_state(vtx, E32_ENTRY);

	/* §3.3 information structure. */
	mbi = (uint32_t)reg(vtx, VTX_REG_RBX);
	assert_true(mbi >= E32_SEG1_PA + 0x1000);  /* after the image */
	/* mem, boot_device, cmdline, mods, mmap, boot_loader_name (§3.3) */
	assert_int_equal(rd32(vtx, mbi), 0x24f);
	assert_int_equal(rd32(vtx, mbi + 12), 0x8000ffff);
	read_str(vtx, rd32(vtx, mbi + 64), s, 8);
	assert_string_equal(s, "softvtx");
	assert_int_equal(rd32(vtx, mbi + 4), 639);
	assert_int_equal(rd32(vtx, mbi + 8), (RAM - 0x100000) / 1024);
	snprintf(want, sizeof(want), "%s console=ttyS0", kpath);
	read_str(vtx, rd32(vtx, mbi + 16), s, strlen(want) + 1);
	assert_string_equal(s, want);
	check_mmap(vtx, mbi);

	assert_int_equal(rd32(vtx, mbi + 20), 1);
	mods_addr = rd32(vtx, mbi + 24);
	assert_int_equal(rd32(vtx, mods_addr) & 0xfff, 0);  /* page-aligned (flag 0) */
	assert_true(rd32(vtx, mods_addr) >= E32_SEG1_PA + 0x1000);
	assert_int_equal(rd32(vtx, mods_addr + 4) - rd32(vtx, mods_addr), sizeof(modtext));
	read_str(vtx, rd32(vtx, mods_addr), s, sizeof(modtext));
	assert_string_equal(s, modtext);
	read_str(vtx, rd32(vtx, mods_addr + 8), s, strlen(modspec) + 1);
	assert_string_equal(s, modspec);

	/* The entry code prints 'K' on port 0xE9 and exits with 7. */
	assert_int_equal(vtx_run(vtx, 100), VTX_STOP_DEBUG_EXIT);
	assert_int_equal(vtx_exit_status(vtx), (7 << 1) | 1);
	assert_int_equal(cap.len, 1);
	assert_int_equal(cap.buf[0], 'K');
	vtx_close(vtx);
}

static void good_elf32_no_append(void **state)
{
	struct img im;
	struct capture cap = { 0 };
	vtx_t *vtx = machine(&cap);
	const char *kpath;
	char want[200], s[200];
	uint32_t mbi;

	(void)state;
	build_elf32(&im);
	kpath = write_img("plain.elf", &im);
	assert_int_equal(vtx_load_multiboot(vtx, kpath, NULL, NULL, 0, NULL, 0), VTX_OK);
	mbi = (uint32_t)reg(vtx, VTX_REG_RBX);
	/* QEMU's "%s %s" with an empty -append leaves a trailing space. */
	snprintf(want, sizeof(want), "%s ", kpath);
	read_str(vtx, rd32(vtx, mbi + 16), s, strlen(want) + 1);
	assert_string_equal(s, want);
	assert_int_equal(rd32(vtx, mbi + 20), 0);
	vtx_close(vtx);
}

static void good_elf64(void **state)
{
	struct img im;
	struct capture cap = { 0 };
	vtx_t *vtx = machine(&cap);
	uint8_t b[0x2000];

	(void)state;
	build_elf64(&im, E64_SEG0_PA + 12);
	assert_int_equal(vtx_load_multiboot(vtx, write_img("good64.elf", &im), "", NULL, 0, NULL,
	                                    0), VTX_OK);
	/* Loaded by p_paddr (below 1 MiB), not by the high p_vaddr. */
	assert_int_equal(vtx_phys_read(vtx, E64_SEG0_PA, b, 0x40), VTX_OK);
	assert_memory_equal(b, im.b + 0x100, 0x40);
	assert_int_equal(vtx_phys_read(vtx, E64_SEG1_PA, b, sizeof(b)), VTX_OK);
	for (int i = 0; i < 0x20; i++)
		assert_int_equal(b[i], 0xbb);
	for (size_t i = 0x20; i < sizeof(b); i++)
		assert_int_equal(b[i], 0);
	check_entry_state(vtx, E64_SEG0_PA + 12);
	assert_true(reg(vtx, VTX_REG_RBX) >= E64_SEG1_PA + 0x2000);
	check_mmap(vtx, (uint32_t)reg(vtx, VTX_REG_RBX));
	assert_int_equal(vtx_run(vtx, 100), VTX_STOP_DEBUG_EXIT);
	assert_int_equal(vtx_exit_status(vtx), 15);
	vtx_close(vtx);
}

static void good_flat(void **state)
{
	struct img im;
	struct capture cap = { 0 };
	vtx_t *vtx = machine(&cap);
	uint8_t b[0x1000];

	(void)state;
	build_flat(&im);
	memset(b, 0x77, sizeof(b));
	assert_int_equal(vtx_phys_write(vtx, FLAT_LOAD, b, sizeof(b)), VTX_OK);
	assert_int_equal(vtx_load_multiboot(vtx, write_img("flat.bin", &im), "x", NULL, 0, NULL,
	                                    0), VTX_OK);
	assert_int_equal(vtx_phys_read(vtx, FLAT_LOAD, b, sizeof(b)), VTX_OK);
	assert_memory_equal(b, im.b, 0x80);
	/* Bytes past load_end_addr are BSS up to bss_end_addr. */
	for (size_t i = 0x80; i < sizeof(b); i++)
		assert_int_equal(b[i], 0);
	check_entry_state(vtx, FLAT_LOAD + 0x60);
	assert_int_equal(vtx_run(vtx, 100), VTX_STOP_DEBUG_EXIT);
	assert_int_equal(vtx_exit_status(vtx), 15);
	vtx_close(vtx);
}

/* Flag 16 wins over ELF, as in QEMU: an ELF file with address fields is
 * loaded flat. */
static void flat_flag_wins_over_elf(void **state)
{
	struct img im;
	struct capture cap = { 0 };
	vtx_t *vtx = machine(&cap);
	uint8_t *h;
	uint8_t b[0x40];

	(void)state;
	build_elf32(&im);
	h = im.b + 0x100;
	mb_header(h, 0x10000);
	put32(h + 12, 0x400100);  /* header_addr: file offset 0x100 -> load_addr 0x400000 */
	put32(h + 16, 0x400000);
	put32(h + 20, 0);
	put32(h + 24, 0);
	put32(h + 28, 0x40010c);
	assert_int_equal(vtx_load_multiboot(vtx, write_img("both.elf", &im), NULL, NULL, 0, NULL,
	                                    0), VTX_OK);
	assert_int_equal(vtx_phys_read(vtx, 0x400000, b, sizeof(b)), VTX_OK);
	assert_memory_equal(b, im.b, sizeof(b));  /* the ELF header itself */
	assert_int_equal(reg(vtx, VTX_REG_RIP), 0x40010c);
	vtx_close(vtx);
}

static void strerror_names_every_status(void **state)
{
	(void)state;
	for (int s = 0; s < VTX_STATUS_COUNT; s++)
		assert_string_not_equal(vtx_strerror((enum vtx_status)s), "unknown status");
	assert_string_equal(vtx_strerror((enum vtx_status)999), "unknown status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(missing_file),
		cmocka_unit_test(no_header),
		cmocka_unit_test(header_beyond_8k),
		cmocka_unit_test(bad_checksum),
		cmocka_unit_test(unsupported_flags),
		cmocka_unit_test(not_elf),
		cmocka_unit_test(elf_corrupt),
		cmocka_unit_test(segment_outside_ram),
		cmocka_unit_test(truncated),
		cmocka_unit_test(overlapping),
		cmocka_unit_test(elf64_entry_above_4g),
		cmocka_unit_test(flat_bad_addresses),
		cmocka_unit_test(no_room_for_info),
		cmocka_unit_test(missing_module),
		cmocka_unit_test(module_no_room),
		cmocka_unit_test(corruption_never_crashes),
		cmocka_unit_test(good_elf32),
		cmocka_unit_test(good_elf32_no_append),
		cmocka_unit_test(good_elf64),
		cmocka_unit_test(good_flat),
		cmocka_unit_test(flat_flag_wins_over_elf),
		cmocka_unit_test(strerror_names_every_status),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
