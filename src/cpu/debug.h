/* Debug-register breakpoints (SDM Vol. 3B §17.2-17.3): which of DR0-DR3
 * are armed, the checks the run loop and the access slow paths make, and
 * the #DB they raise.  None of this runs while nothing is armed: the run
 * loop takes its one-instruction debug path only while cpu->dbg_armed,
 * RFLAGS.TF/RF or a held MOV SS trap asks for it (run.c), and data
 * breakpoints keep their pages out of the TLB so that only the slow path
 * (access.c) sees those accesses.
 *
 * DR7 (§17.2.4, Figure 17-2):
 *
 *   31  30 29  28 27  26 25  24 23  22 21  20 19  18 17  16
 *   | LEN3 | R/W3 | LEN2 | R/W2 | LEN1 | R/W1 | LEN0 | R/W0 |
 *    15 14  13  12 11 10  9  8  7  6  5  4  3  2  1  0
 *   | 0  0 | GD | 0 0 1 |GE|LE|G3|L3|G2|L2|G1|L1|G0|L0|
 *
 *   R/W: 00 execute, 01 data write, 10 I/O (CR4.DE = 1), 11 data read or
 *   write.  LEN: 00 one byte, 01 two, 10 eight (IA-32e), 11 four.
 */
#ifndef SOFTVTX_CPU_DEBUG_H
#define SOFTVTX_CPU_DEBUG_H

#include "cpu.h"

/* DR6 status bits (§17.2.3, Figure 17-1). */
#define DR6_B0_B3 0xfull
#define DR6_BS    (1ull << 14)

/* cpu->dbg_held: #DB conditions an instruction that loaded SS raised,
 * held until after the next instruction (§6.8.3).  B0-B3 in bits 3:0. */
#define DEBUG_HELD_BS     (1u << 4)  /* a single-step trap */
#define DEBUG_HELD_SHADOW (1u << 7)  /* the next instruction is shadowed */

/* Recompute cpu->dbg_exec/dbg_data/dbg_io/dbg_armed from DR7 and CR4.DE,
 * and flush the TLB when data breakpoints are or were armed (their pages
 * must not stay in it).  Call after any write of DR0-DR3, DR7 or CR4. */
void debug_update(struct cpu *cpu);

/* Instruction breakpoints on the instruction at CS:RIP (§17.3.1.1): the
 * DR6 B0-B3 mask of armed execute breakpoints at its linear address, 0
 * when none (or when RFLAGS.RF suppresses them). */
unsigned debug_exec_hits(const struct cpu *cpu);

/* True when the 4 KiB linear page of `gla` overlaps an armed data
 * breakpoint's range; tlb_fill() keeps such pages out of the TLB. */
bool debug_page_watched(const struct cpu *cpu, uint64_t gla);

/* A completed data access of `size` bytes at `gla`: record in
 * cpu->dbg_hits every armed data breakpoint it matches (§17.3.1.2). */
void debug_data_access(struct cpu *cpu, uint64_t gla, unsigned size, bool write);

/* An I/O access of `size` bytes at `port` (§17.3.1.2, CR4.DE = 1). */
void debug_io_access(struct cpu *cpu, uint16_t port, unsigned size);

/* Record a #DB in cpu->fault with DR6 B0-B3 set to `b` (the other
 * breakpoint bits cleared, as §17.2.3 allows) and BS when `bs`. */
int debug_raise(struct cpu *cpu, unsigned b, bool bs);

#endif
