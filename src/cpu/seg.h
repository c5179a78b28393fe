/* Segmentation: descriptor-table reads, descriptor -> cache conversion and
 * segment-register loads with every check of SDM Vol. 3A §5 and the MOV
 * Sreg pseudocode (Vol. 2).  Implemented in seg.c. */
#ifndef SOFTVTX_CPU_SEG_H
#define SOFTVTX_CPU_SEG_H

#include "cpu.h"

/* A segment descriptor, little-endian as in memory (SDM Vol. 3A §3.4.5)
 *  63:56 base 31:24 | 55 G | 54 D/B | 53 L | 52 AVL | 51:48 limit 19:16 |
 *  47 P | 46:45 DPL | 44 S | 43:40 type | 39:16 base 23:0 | 15:0 limit 15:0
 * System descriptors in IA-32e mode are 16 bytes; the upper 8 hold base
 * 63:32 (and a zero type field). */

/* Read the 8-byte descriptor named by `sel` from the GDT or LDT (TI bit)
 * with an implicit supervisor access.  #GP(sel & ~3) -- or the vector
 * given in `vec` (e.g. EXC_TS) -- if it lies outside the table limit. */
int seg_read_desc(struct cpu *cpu, uint16_t sel, unsigned vec, uint64_t *desc) WARN_UNUSED;
/* The same for a 16-byte system descriptor (IA-32e mode). */
int seg_read_desc16(struct cpu *cpu, uint16_t sel, unsigned vec, uint64_t *lo,
                    uint64_t *hi) WARN_UNUSED;
/* Set the accessed bit of the descriptor in memory (if clear). */
int seg_set_accessed(struct cpu *cpu, uint16_t sel, uint64_t desc) WARN_UNUSED;
/* Fill a descriptor cache from a descriptor: base, byte-granular limit,
 * attr in the VMCS access-rights layout (arch.h). */
void seg_from_desc(struct seg *s, uint16_t sel, uint64_t desc);
/* Real-mode and virtual-8086 load: base = sel << 4; limit and attributes
 * as the SDM gives for each mode (vm86 sets limit 0xFFFF, DPL 3). */
void seg_load_real(struct cpu *cpu, unsigned sreg, uint16_t sel);
/* MOV Sreg / POP Sreg / LDS... in any mode: every protected-mode check
 * (null selector rules for SS, type, DPL/RPL/CPL, present -> #NP or #SS).
 * CS cannot be loaded here.  Updates cpu mode state as needed. */
int seg_load(struct cpu *cpu, unsigned sreg, uint16_t sel) WARN_UNUSED;

/* The last step of a far return or IRET to an outer privilege level, with
 * the new CPL already in place: DS/ES/FS/GS that name a segment the new
 * level may not use become null (see seg.c). */
void seg_null_outer(struct cpu *cpu);

#endif
