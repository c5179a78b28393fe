/* Test fixture: one CPU on a bare bus (RAM only, no devices), put into a
 * chosen mode with flat segments, so unit tests can run a few instructions
 * and look at registers and memory. */
#ifndef SOFTVTX_TESTS_FAKEBUS_H
#define SOFTVTX_TESTS_FAKEBUS_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "mem/bus.h"

enum tm_mode {
	TM_REAL,     /* real mode, all segments 0 */
	TM_PROT32,   /* flat 32-bit protected mode, CPL 0, paging off */
	TM_LONG64,   /* 64-bit mode, CPL 0, identity-mapped first 1 GiB (2M pages) */
};

/* Layout used by the fixture (guest-physical):
 *   0x1000  GDT    (null, code64, code32, data, code16, user code32/data/code64)
 *   0x2000  IDT    (empty: faults with no handler end in shutdown)
 *   0x10000 PML4, 0x11000 PDPT, 0x12000 PD (64-bit mode)
 *   0x100000 where tests put code (TM_CODE)
 *   0x200000 scratch data (TM_DATA), stack top at 0x300000 (TM_STACK)
 */
#define TM_CODE  0x100000ull
#define TM_DATA  0x200000ull
#define TM_STACK 0x300000ull
#define TM_RAM   (16ull << 20)

/* Selectors in the fixture's GDT. */
#define TM_SEL_CODE64 0x08
#define TM_SEL_CODE32 0x10
#define TM_SEL_DATA   0x18
#define TM_SEL_CODE16 0x20
#define TM_SEL_UCODE32 0x2b
#define TM_SEL_UDATA  0x33
#define TM_SEL_UCODE64 0x3b

struct tm {
	struct bus *bus;
	struct cpu *cpu;
};

struct tm *tm_new(enum tm_mode mode);
void tm_free(struct tm *tm);
/* Put the cpu in VMX non-root operation by hand, without a VM entry, for
 * tests of exit decisions: CR4.VMXE set, a current VMCS at vmcs_pa (the
 * VMXON region just below it), and host state (64-bit, "host address-space
 * size") that returns to this machine's code and data selectors, GDT and
 * stack at host_rip, where a HLT is written: a run that exits stops there
 * with STOP_HALT.  Controls are left for the test to set. */
void tm_nonroot(struct tm *tm, uint64_t vmcs_pa, uint64_t host_rip);
/* Copy code to TM_CODE and point RIP (and CS base) at it. */
void tm_code(struct tm *tm, const void *bytes, size_t len);
/* Run up to n instructions; returns the stop reason. */
enum cpu_stop tm_run(struct tm *tm, uint64_t n);
uint64_t tm_read(struct tm *tm, uint64_t gpa, unsigned size);
void tm_write(struct tm *tm, uint64_t gpa, unsigned size, uint64_t v);

#endif
