/* The Capstone edge (decode.c): bytes -> struct insn. */
#ifndef SOFTVTX_CPU_DECODE_H
#define SOFTVTX_CPU_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "insn.h"

enum { DEC_OK = 0, DEC_NEED_MORE, DEC_INVALID };

struct decoder;

struct decoder *decode_new(void);
void decode_free(struct decoder *d);

/* Decode the instruction at bytes[0..n) for a code size of 2, 4 or 8.
 * DEC_NEED_MORE: fewer than 15 bytes were given and they do not form an
 * instruction (fetch more and retry).  DEC_INVALID: `out` raises #UD. */
int decode_one(struct decoder *d, const uint8_t *bytes, size_t n, unsigned code_size,
               struct insn *out);

const char *decode_mnemonic(struct decoder *d, unsigned id);

#endif
