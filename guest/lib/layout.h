/* The fixed machine layout every guest image shares: GDT selectors, the
 * IDT vectors the runtime reserves, and the boot page tables.  Included by
 * both C and assembly. */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

/* GDT.  The order is forced by SYSCALL/SYSRET (SDM Vol. 2B SYSCALL,
 * SYSRET): STAR[47:32] = SEL_KCODE64 gives SS = SEL_KCODE64 + 8, and
 * STAR[63:48] = SEL_UCODE32 gives SS = +8 and 64-bit CS = +16. */
#define SEL_KCODE32 0x08  /* ring 0, 32-bit code, flat */
#define SEL_KDATA   0x10  /* ring 0, data, flat */
#define SEL_KCODE64 0x18  /* ring 0, 64-bit code */
#define SEL_KDATA2  0x20  /* ring 0, data (SYSCALL's SS) */
#define SEL_UCODE32 0x28  /* ring 3, 32-bit code, flat */
#define SEL_UDATA   0x30  /* ring 3, data, flat */
#define SEL_UCODE64 0x38  /* ring 3, 64-bit code */
#define SEL_CODE16  0x40  /* ring 0, 16-bit code, base LOW_TRAMP, limit 64K */
#define SEL_DATA16  0x48  /* ring 0, 16-bit data, base 0, limit 64K */
#define SEL_TSS     0x50  /* 64-bit TSS (two slots) */
#define SEL_SPARE   0x60  /* first of GDT_SPARE slots tests may rewrite */
#define GDT_SPARE   8
#define GDT_ENTRIES 20

/* Low-memory scratch used by mode-switch code (below 1 MiB). */
#define LOW_TRAMP   0x8000  /* 16-bit trampoline is copied here */

/* Vectors: 0-31 exceptions; the runtime's DPL-3 gate. */
#define VEC_USER_EXIT 0x80  /* ring 3 returns to ring 0 through this */
#define VEC_DPL0_TEST 0x81  /* a DPL-0 gate, #GP when used from ring 3 */

#define STACK_SIZE  0x10000
/* The 32-bit IDT used in legacy protected mode covers vectors 0-63. */
#define LEGACY_VECTORS 64
#endif
