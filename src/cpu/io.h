/* I/O permission (SDM Vol. 1 §19.5): IOPL and the TSS I/O permission
 * bitmap.  Implemented in ops_io.c; used by IN/OUT and INS/OUTS. */
#ifndef SOFTVTX_CPU_IO_H
#define SOFTVTX_CPU_IO_H

#include "cpu.h"

/* X_OK when the access to `size` bytes at `port` is allowed at the current
 * CPL/IOPL (or by the bitmap); otherwise #GP(0) is recorded. */
int io_check(struct cpu *cpu, uint16_t port, unsigned size) WARN_UNUSED;

#endif
