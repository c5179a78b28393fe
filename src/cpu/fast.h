/* Decode-time specialisation of hot register forms (ops_fast.c). */
#ifndef SOFTVTX_CPU_FAST_H
#define SOFTVTX_CPU_FAST_H

#include "insn.h"

/* Replace in->fn by a shape-specific variant when the record's operands
 * allow one; otherwise leave the op table's handler in place. */
void fast_specialize(struct insn *in, unsigned code_size);

/* The threaded entry (thread.h) for a record whose handler is fn. */
op_fn *fast_threaded(op_fn *fn);

#endif
