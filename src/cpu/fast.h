/* Decode-time specialisation of hot register forms (ops_fast.c). */
#ifndef SOFTVTX_CPU_FAST_H
#define SOFTVTX_CPU_FAST_H

#include <stdbool.h>

#include "insn.h"

/* Replace in->fn by a shape-specific variant when the record's operands
 * allow one; otherwise leave the op table's handler in place. */
void fast_specialize(struct insn *in, unsigned code_size);

/* Set the threaded entries (thread.h) of a block's n records, whose
 * handlers and operands are final and after which ins[n] is the sentinel.
 * An entry may depend on the records that follow (a compare fused with
 * the Jcc after it, flags that a later record replaces unread).  A record
 * whose handler is not one of fast_specialize's variants gets thr_generic;
 * the variants touch only general registers, the arithmetic flags, RIP by
 * a near branch and data memory, so they cannot change the mode, CS, the
 * privilege level or the translation state. */
void fast_thread_block(struct insn *ins, unsigned n);

/* True if fn is a fast Jcc variant (64-bit mode, or 32-bit code with a
 * 32-bit operand size).  A block goes on past such a branch: not taken,
 * it is an ordinary instruction; taken, it leaves the block (X_JUMP). */
bool fast_is_jcc(op_fn *fn);

#endif
