/* Architectural constants, spelled as the SDM spells them so that grepping
 * the code finds the manual's terms.  Pure definitions: no state, no code. */
#ifndef SOFTVTX_CPU_ARCH_H
#define SOFTVTX_CPU_ARCH_H

#include <stdint.h>

/* --- RFLAGS (SDM Vol. 1 §3.4.3) ---------------------------------------
 *  21  20  19  18  17  16  14  13:12 11  10   9   8   7   6   4   2   1   0
 *  ID VIP VIF  AC  VM  RF  NT  IOPL  OF  DF  IF  TF  SF  ZF  AF  PF   1  CF
 */
#define RFLAGS_CF   (1u << 0)
#define RFLAGS_FIXED1 (1u << 1)
#define RFLAGS_PF   (1u << 2)
#define RFLAGS_AF   (1u << 4)
#define RFLAGS_ZF   (1u << 6)
#define RFLAGS_SF   (1u << 7)
#define RFLAGS_TF   (1u << 8)
#define RFLAGS_IF   (1u << 9)
#define RFLAGS_DF   (1u << 10)
#define RFLAGS_OF   (1u << 11)
#define RFLAGS_IOPL (3u << 12)
#define RFLAGS_IOPL_SHIFT 12
#define RFLAGS_NT   (1u << 14)
#define RFLAGS_RF   (1u << 16)
#define RFLAGS_VM   (1u << 17)
#define RFLAGS_AC   (1u << 18)
#define RFLAGS_VIF  (1u << 19)
#define RFLAGS_VIP  (1u << 20)
#define RFLAGS_ID   (1u << 21)
/* The six arithmetic status flags. */
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)
/* Bits that exist; everything else reads 0 (bit 1 reads 1). */
#define RFLAGS_DEFINED (RFLAGS_ARITH | RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_IOPL | \
                        RFLAGS_NT | RFLAGS_RF | RFLAGS_VM | RFLAGS_AC | RFLAGS_VIF | \
                        RFLAGS_VIP | RFLAGS_ID)

/* --- Control registers (SDM Vol. 3A §2.5) ----------------------------- */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

#define CR4_VME        (1ull << 0)
#define CR4_PVI        (1ull << 1)
#define CR4_TSD        (1ull << 2)
#define CR4_DE         (1ull << 3)
#define CR4_PSE        (1ull << 4)
#define CR4_PAE        (1ull << 5)
#define CR4_MCE        (1ull << 6)
#define CR4_PGE        (1ull << 7)
#define CR4_PCE        (1ull << 8)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP       (1ull << 11)
#define CR4_LA57       (1ull << 12)
#define CR4_VMXE       (1ull << 13)
#define CR4_SMXE       (1ull << 14)
#define CR4_FSGSBASE   (1ull << 16)
#define CR4_PCIDE      (1ull << 17)
#define CR4_OSXSAVE    (1ull << 18)
#define CR4_SMEP       (1ull << 20)
#define CR4_SMAP       (1ull << 21)
#define CR4_PKE        (1ull << 22)

/* --- MSRs (SDM Vol. 4) ------------------------------------------------ */
#define MSR_IA32_TSC                0x00000010
#define MSR_IA32_APIC_BASE          0x0000001B
#define MSR_IA32_FEATURE_CONTROL    0x0000003A
#define MSR_IA32_TSC_ADJUST         0x0000003B
#define MSR_IA32_MTRRCAP            0x000000FE
#define MSR_IA32_SYSENTER_CS        0x00000174
#define MSR_IA32_SYSENTER_ESP       0x00000175
#define MSR_IA32_SYSENTER_EIP       0x00000176
#define MSR_IA32_MISC_ENABLE        0x000001A0
#define MSR_IA32_PAT                0x00000277
#define MSR_IA32_MTRR_DEF_TYPE      0x000002FF
#define MSR_IA32_EFER               0xC0000080
#define MSR_IA32_STAR               0xC0000081
#define MSR_IA32_LSTAR              0xC0000082
#define MSR_IA32_CSTAR              0xC0000083
#define MSR_IA32_FMASK              0xC0000084
#define MSR_IA32_FS_BASE            0xC0000100
#define MSR_IA32_GS_BASE            0xC0000101
#define MSR_IA32_KERNEL_GS_BASE     0xC0000102
#define MSR_IA32_TSC_AUX            0xC0000103

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* --- Exception vectors (SDM Vol. 3A §6.3.1) --------------------------- */
enum {
	EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
	EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
	EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
	EXC_VE = 20,
};

/* #PF error code (SDM Vol. 3A §4.7)
 *   4    3     2    1    0
 *  I/D RSVD  U/S  W/R   P
 */
#define PFEC_P    (1u << 0)
#define PFEC_W    (1u << 1)
#define PFEC_U    (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_I    (1u << 4)
#define PFEC_PK   (1u << 5)

/* --- Page-table entries (SDM Vol. 3A §4.3-4.5)
 *  63   62:52   51:12            8   7     6   5   4    3    2   1   0
 *  XD  ignored  address          G  PS/PAT D   A  PCD  PWT  U/S R/W  P
 */
#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)
#define PTE_G    (1ull << 8)
#define PTE_XD   (1ull << 63)

/* --- Segment access rights, in the VMCS "access rights" layout
 * (SDM Vol. 3C §24.4.1, Table 24-2), which is also the descriptor's
 * attribute bytes 40:47 and 52:55 shifted down by 40.
 *   16        15  14  13  12    7   6:5   4   3:0
 *  unusable    G  D/B  L  AVL   P   DPL   S   type
 */
#define SEG_TYPE_MASK   0xFu
#define SEG_TYPE_A      (1u << 0)   /* accessed */
#define SEG_TYPE_WR     (1u << 1)   /* data: writable; code: readable */
#define SEG_TYPE_EC     (1u << 2)   /* data: expand-down; code: conforming */
#define SEG_TYPE_CODE   (1u << 3)
#define SEG_S           (1u << 4)
#define SEG_DPL_SHIFT   5
#define SEG_DPL_MASK    (3u << 5)
#define SEG_P           (1u << 7)
#define SEG_AVL         (1u << 12)
#define SEG_L           (1u << 13)
#define SEG_DB          (1u << 14)
#define SEG_G           (1u << 15)
#define SEG_UNUSABLE    (1u << 16)

/* System-descriptor types (S = 0), SDM Vol. 3A Table 3-2. */
enum {
	SYS_TSS16_AVAIL = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALLGATE16 = 4,
	SYS_TASKGATE = 5, SYS_INTGATE16 = 6, SYS_TRAPGATE16 = 7,
	SYS_TSS_AVAIL = 9, SYS_TSS_BUSY = 11, SYS_CALLGATE = 12,
	SYS_INTGATE = 14, SYS_TRAPGATE = 15,
};

/* Segment register numbers: the encoding used by MOV Sreg and by the
 * VMX instruction-information field. */
enum { SEG_ES = 0, SEG_CS = 1, SEG_SS = 2, SEG_DS = 3, SEG_FS = 4, SEG_GS = 5,
       SEG_LDTR = 6, SEG_TR = 7, SEG_COUNT = 8, SEG_NONE = 15 };

/* General registers in encoding order. */
enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };

#endif
