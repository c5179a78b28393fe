/* Exact instruction counts of alu_loop (alu.S). */
#ifndef SOFTVTX_BENCH_ALU_H
#define SOFTVTX_BENCH_ALU_H

#define ALU_SETUP 8
#define ALU_BODY 24
#define ALU_TAIL 7

#ifndef __ASSEMBLER__
#include <stdint.h>
uint64_t alu_loop(uint64_t iters);
#endif

#endif
