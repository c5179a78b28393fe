/* Control and debug registers: MOV to/from CRn and DRn, and the one
 * architectural write path that every other writer (LMSW, CLTS, WRMSR of
 * EFER, later VMX) goes through, so the checks of SDM Vol. 3A §2.5, §4.1
 * and Vol. 2 "MOV—Move to/from Control Registers" live in one place. */
#ifndef SOFTVTX_CPU_CR_H
#define SOFTVTX_CPU_CR_H

#include <stdint.h>

#include "cpu.h"
#include "insn.h"

/* MOV CRn forms (0F 20 / 0F 22): called from op_mov, which owns the
 * shared X86_INS_MOV row.  Checks CPL itself. */
int cr_mov(struct cpu *cpu, const struct insn *in) WARN_UNUSED;
/* MOV DRn forms (0F 21 / 0F 23). */
int dr_mov(struct cpu *cpu, const struct insn *in) WARN_UNUSED;

/* Write CRn (n = 0, 2, 3, 4 or 8) with every reserved-bit and consistency
 * check; #GP(0) in cpu->fault on failure, nothing changed.  Does not check
 * CPL.  Updates EFER.LMA, flushes the TLB and recomputes the mode as the
 * write requires. */
int cr_write(struct cpu *cpu, unsigned n, uint64_t val) WARN_UNUSED;
/* WRMSR IA32_EFER with its checks (SDM Vol. 4 Table 2-2, Vol. 3A §9.8.5). */
int efer_write(struct cpu *cpu, uint64_t val) WARN_UNUSED;

/* The CR4 bits this processor lets software set (depends on CPUID). */
uint64_t cr4_supported(const struct cpu *cpu);
/* The EFER bits CPUID reports (SCE, LME/LMA, NXE): the rest are reserved. */
uint64_t efer_supported(const struct cpu *cpu);

/* CR0 bits that exist; the others read 0 and ignore writes (§2.5). */
#define CR0_DEFINED (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | \
                     CR0_NW | CR0_CD | CR0_PG)

/* DR6 and DR7 (SDM Vol. 3B §17.2.3-17.2.4)
 * DR6:  31:16 fixed 1 | 15 BT | 14 BS | 13 BD | 12 0 | 11:4 fixed 1 | 3:0 B3-B0
 * DR7:  31:16 R/W, LEN | 13 GD | 10 fixed 1 | 9 GE | 8 LE | 7:0 G3 L3 .. G0 L0
 */
#define DR6_FIXED1   0xffff0ff0ull
#define DR6_WRITABLE 0x0000e00full
#define DR6_BD       (1ull << 13)
#define DR7_FIXED1   0x00000400ull
#define DR7_WRITABLE 0xffff23ffull
#define DR7_GD       (1ull << 13)

#endif
