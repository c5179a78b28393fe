/* ELF executables through libelf (elfutils).  libelf validates the header
 * and program-header table against the buffer size; the checks here cover
 * what it leaves to the caller: segment file ranges, physical placement in
 * guest RAM, overlaps and the entry point. */
#include "diag.h"
#include "elf.h"

#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


bool elf_is_elf(const uint8_t *file, size_t size)
{
	return size >= SELFMAG && memcmp(file, ELFMAG, SELFMAG) == 0;
}

static bool ranges_overlap(const struct elf_seg *a, const struct elf_seg *b)
{
	return a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}

/* Per-segment checks, in the order a reader would diagnose them. */
static enum vtx_status check_seg(const struct elf_seg *s, size_t idx, size_t size,
                                 uint64_t ram_size, char *err, size_t errlen)
{
	if (s->filesz > s->memsz)
		return load_fail(err, errlen, VTX_ERR_ELF_BAD,
		            "segment %zu: file size 0x%llx exceeds memory size 0x%llx", idx,
		            (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (s->offset > size || s->filesz > size - s->offset)
		return load_fail(err, errlen, VTX_ERR_TRUNCATED,
		            "segment %zu: file bytes 0x%llx+0x%llx extend past end of file (0x%zx bytes)",
		            idx, (unsigned long long)s->offset, (unsigned long long)s->filesz, size);
	if (s->paddr >= ram_size || s->memsz > ram_size - s->paddr)
		return load_fail(err, errlen, VTX_ERR_SEGMENT_RANGE,
		            "segment %zu: physical 0x%llx+0x%llx is outside guest RAM (0x%llx bytes)",
		            idx, (unsigned long long)s->paddr, (unsigned long long)s->memsz,
		            (unsigned long long)ram_size);
	return VTX_OK;
}

static enum vtx_status collect(Elf *e, size_t size, uint64_t ram_size, struct elf_image *img,
                               char *err, size_t errlen)
{
	size_t phnum, n = 0;
	GElf_Ehdr eh;

	if (!gelf_getehdr(e, &eh))
		return load_fail(err, errlen, VTX_ERR_ELF_BAD, "bad ELF header: %s", elf_errmsg(-1));
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return load_fail(err, errlen, VTX_ERR_ELF_BAD, "ELF file is not little-endian");
	if (eh.e_type != ET_EXEC)
		return load_fail(err, errlen, VTX_ERR_ELF_BAD, "ELF file is not an executable (e_type %u)",
		            (unsigned)eh.e_type);
	if (eh.e_machine != (img->is64 ? EM_X86_64 : EM_386))
		return load_fail(err, errlen, VTX_ERR_ELF_BAD, "ELF%d file is not for %s (e_machine %u)",
		            img->is64 ? 64 : 32, img->is64 ? "x86-64" : "i386",
		            (unsigned)eh.e_machine);
	img->entry = eh.e_entry;
	/* Diagnose a table cut off by the end of the file before libelf
	 * reports it as a generic error. */
	if (eh.e_phnum != PN_XNUM &&
	    (eh.e_phoff > size || (uint64_t)eh.e_phnum * eh.e_phentsize > size - eh.e_phoff))
		return load_fail(err, errlen, VTX_ERR_TRUNCATED,
		            "program header table extends past end of file");
	if (elf_getphdrnum(e, &phnum) != 0)
		return load_fail(err, errlen, VTX_ERR_ELF_BAD, "bad program header count: %s",
		            elf_errmsg(-1));
	if (phnum == 0)
		return load_fail(err, errlen, VTX_ERR_ELF_BAD, "ELF file has no program headers");
	if (eh.e_phoff > size || (uint64_t)phnum * eh.e_phentsize > size - eh.e_phoff)
		return load_fail(err, errlen, VTX_ERR_TRUNCATED,
		            "program header table extends past end of file");
	img->segs = calloc(phnum, sizeof(*img->segs));
	if (!img->segs)
		return load_fail(err, errlen, VTX_ERR_NOMEM, "out of host memory");
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		struct elf_seg *s = &img->segs[n];
		enum vtx_status st;

		if (!gelf_getphdr(e, (int)i, &ph))
			return load_fail(err, errlen, VTX_ERR_ELF_BAD, "bad program header %zu: %s", i,
			            elf_errmsg(-1));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		*s = (struct elf_seg){ ph.p_paddr, ph.p_memsz, ph.p_filesz, ph.p_offset };
		st = check_seg(s, i, size, ram_size, err, errlen);
		if (st != VTX_OK)
			return st;
		for (size_t j = 0; j < n; j++)
			if (ranges_overlap(s, &img->segs[j]))
				return load_fail(err, errlen, VTX_ERR_OVERLAP,
				            "segments overlap at physical 0x%llx-0x%llx and 0x%llx-0x%llx",
				            (unsigned long long)img->segs[j].paddr,
				            (unsigned long long)(img->segs[j].paddr + img->segs[j].memsz),
				            (unsigned long long)s->paddr,
				            (unsigned long long)(s->paddr + s->memsz));
		n++;
	}
	img->nsegs = n;
	if (n == 0)
		return load_fail(err, errlen, VTX_ERR_ELF_BAD, "ELF file has no loadable segment");
	/* Multiboot enters in 32-bit protected mode: EIP is 32 bits. */
	if (img->entry > 0xffffffffull)
		return load_fail(err, errlen, VTX_ERR_ENTRY_RANGE,
		            "ELF64 entry point 0x%llx is above 4 GiB", (unsigned long long)img->entry);
	return VTX_OK;
}

enum vtx_status elf_parse(const uint8_t *file, size_t size, uint64_t ram_size,
                          struct elf_image *img, char *err, size_t errlen)
{
	enum vtx_status st;
	Elf *e;
	int cls;

	memset(img, 0, sizeof(*img));
	if (!elf_is_elf(file, size))
		return load_fail(err, errlen, VTX_ERR_NOT_ELF, "not an ELF file");
	if (elf_version(EV_CURRENT) == EV_NONE)
		return load_fail(err, errlen, VTX_ERR_ELF_BAD, "libelf: %s", elf_errmsg(-1));
	/* The buffer is the caller's private copy of the file: libelf may
	 * convert a foreign-endian header in place before we reject it. */
	e = elf_memory((char *)file, size);
	if (!e)
		return load_fail(err, errlen, VTX_ERR_ELF_BAD, "libelf: %s", elf_errmsg(-1));
	cls = gelf_getclass(e);
	if (elf_kind(e) != ELF_K_ELF || (cls != ELFCLASS32 && cls != ELFCLASS64)) {
		elf_end(e);
		return load_fail(err, errlen, VTX_ERR_ELF_BAD, "unsupported ELF class");
	}
	img->is64 = cls == ELFCLASS64;
	st = collect(e, size, ram_size, img, err, errlen);
	elf_end(e);
	if (st != VTX_OK)
		elf_image_free(img);
	return st;
}

void elf_image_free(struct elf_image *img)
{
	free(img->segs);
	img->segs = NULL;
	img->nsegs = 0;
}
