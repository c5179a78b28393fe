/* BCD cases shared by vecgen.c (host) and bcd.c (guest). */
#ifndef BCD_H
#define BCD_H

#include <stdint.h>

struct bcd_io {
	uint32_t eax, eflags;
};

typedef void bcd_fn(struct bcd_io *, uint32_t);
bcd_fn bcd_daa, bcd_das, bcd_aaa, bcd_aas, bcd_aam10, bcd_aam16, bcd_aad10, bcd_aad7;

/* OF SF ZF AF PF CF masks the SDM leaves undefined (Vol. 2A DAA, DAS,
 * AAA, AAS, AAM, AAD "Flags Affected"). */
static const struct {
	const char *name;
	bcd_fn *fn;
	uint32_t undef;
} bcd_ops[] = {
	{ "daa", bcd_daa, 0x800 },
	{ "das", bcd_das, 0x800 },
	{ "aaa", bcd_aaa, 0x800 | 0x80 | 0x40 | 0x04 },
	{ "aas", bcd_aas, 0x800 | 0x80 | 0x40 | 0x04 },
	{ "aam 10", bcd_aam10, 0x800 | 0x10 | 0x01 },
	{ "aam 16", bcd_aam16, 0x800 | 0x10 | 0x01 },
	{ "aad 10", bcd_aad10, 0x800 | 0x10 | 0x01 },
	{ "aad 7", bcd_aad7, 0x800 | 0x10 | 0x01 },
};
#define BCD_NOPS (sizeof(bcd_ops) / sizeof(bcd_ops[0]))
/* AL 0..255 x AH {0, 0x99, 0xff} x CF/AF in.  The upper half of EAX holds
 * a pattern that must survive. */
#define BCD_NCASES (256 * 3 * 4)

static inline void bcd_input(unsigned i, struct bcd_io *io)
{
	static const uint32_t ah[] = { 0x00, 0x99, 0xff };
	io->eax = 0x5a5a0000u | ah[(i / 256) % 3] << 8 | (i % 256);
	unsigned f = i / 768;
	io->eflags = 0x2 | (f & 1) | (f & 2) << 3;
}

#endif
