/* CPUID: what the modelled processor reports (SDM Vol. 2 "CPUID").
 *
 * The rule is that CPUID never claims more than softvtx implements, with
 * the exceptions listed in the table in cpuid.c (bits that 64-bit software
 * takes for granted).  Feature bits whose instructions live in other
 * families are set only when those instructions have op-table rows, so the
 * answer follows what the build actually implements.
 *
 * The control-register and MSR checks ask cpuid_has() whether a feature is
 * advertised, so that a bit CPUID does not report is reserved (#GP). */
#ifndef SOFTVTX_CPU_CPUID_H
#define SOFTVTX_CPU_CPUID_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* A feature bit named by leaf, output register and bit number. */
enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };
#define CPUID_FEAT(leaf, reg, bit) (((uint64_t)(leaf) << 8) | ((unsigned)(reg) << 6) | (bit))

/* The features the rest of the CPU asks about. */
#define FEAT_VME       CPUID_FEAT(1, CPUID_EDX, 1)
#define FEAT_DE        CPUID_FEAT(1, CPUID_EDX, 2)
#define FEAT_PSE       CPUID_FEAT(1, CPUID_EDX, 3)
#define FEAT_TSC       CPUID_FEAT(1, CPUID_EDX, 4)
#define FEAT_PAE       CPUID_FEAT(1, CPUID_EDX, 6)
#define FEAT_MCE       CPUID_FEAT(1, CPUID_EDX, 7)
#define FEAT_PGE       CPUID_FEAT(1, CPUID_EDX, 13)
#define FEAT_FXSR      CPUID_FEAT(1, CPUID_EDX, 24)
#define FEAT_SSE       CPUID_FEAT(1, CPUID_EDX, 25)
#define FEAT_CLFSH     CPUID_FEAT(1, CPUID_EDX, 19)
#define FEAT_VMX       CPUID_FEAT(1, CPUID_ECX, 5)
#define FEAT_SMX       CPUID_FEAT(1, CPUID_ECX, 6)
#define FEAT_PCID      CPUID_FEAT(1, CPUID_ECX, 17)
#define FEAT_MONITOR   CPUID_FEAT(1, CPUID_ECX, 3)
#define FEAT_RDRAND    CPUID_FEAT(1, CPUID_ECX, 30)
#define FEAT_RDSEED    CPUID_FEAT(7, CPUID_EBX, 18)
#define FEAT_XSAVE     CPUID_FEAT(1, CPUID_ECX, 26)
#define FEAT_FSGSBASE  CPUID_FEAT(7, CPUID_EBX, 0)
#define FEAT_SMEP      CPUID_FEAT(7, CPUID_EBX, 7)
#define FEAT_INVPCID   CPUID_FEAT(7, CPUID_EBX, 10)
#define FEAT_SMAP      CPUID_FEAT(7, CPUID_EBX, 20)
#define FEAT_CLFLUSHOPT CPUID_FEAT(7, CPUID_EBX, 23)
#define FEAT_CLWB      CPUID_FEAT(7, CPUID_EBX, 24)
#define FEAT_UMIP      CPUID_FEAT(7, CPUID_ECX, 2)
#define FEAT_PKU       CPUID_FEAT(7, CPUID_ECX, 3)
#define FEAT_LA57      CPUID_FEAT(7, CPUID_ECX, 16)
#define FEAT_SYSCALL   CPUID_FEAT(0x80000001u, CPUID_EDX, 11)
#define FEAT_NX        CPUID_FEAT(0x80000001u, CPUID_EDX, 20)
#define FEAT_PAGE1GB   CPUID_FEAT(0x80000001u, CPUID_EDX, 26)
#define FEAT_RDTSCP    CPUID_FEAT(0x80000001u, CPUID_EDX, 27)
#define FEAT_LM        CPUID_FEAT(0x80000001u, CPUID_EDX, 29)

#define CPUID_MAX_BASIC    0x7u

/* Leaf 05H (MONITOR/MWAIT), reported with FEAT_MONITOR: the smallest and
 * largest monitor-line size in bytes (EAX, EBX), the ECX extension bits
 * EMX (MWAIT extensions are enumerated) and IBE (interrupts break MWAIT
 * even when masked), and EDX: one C1 sub-state (bits 7:4). */
#define CPUID_MONITOR_LINE 64u
#define CPUID_5_ECX_EMX    (1u << 0)
#define CPUID_5_ECX_IBE    (1u << 1)
#define CPUID_5_EDX        (1u << 4)
#define CPUID_MAX_EXTENDED 0x80000008u

/* out[] = EAX, EBX, ECX, EDX for CPUID.(EAX=leaf, ECX=subleaf). */
void cpuid_query(const struct cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* Is the feature bit `feat` (a CPUID_FEAT value, subleaf 0) reported? */
bool cpuid_has(const struct cpu *cpu, uint64_t feat);

#endif
