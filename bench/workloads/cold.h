/* The straight-line block of cold.S. */
#ifndef SOFTVTX_BENCH_COLD_H
#define SOFTVTX_BENCH_COLD_H

/* Instructions per unit and units in the block: the block retires
 * COLD_UNITS * COLD_UNIT_INSNS + COLD_EXTRA instructions per call, each
 * at its own address (no loop). */
#define COLD_UNITS 12500
#define COLD_UNIT_INSNS 8
#define COLD_EXTRA 4    /* two MOVs before the units, XOR and RET after */

#ifndef __ASSEMBLER__
#include <stdint.h>
uint64_t cold_block(uint64_t seed);
#endif

#endif
