/* CPUID leaves of the modelled processor (SDM Vol. 2 "CPUID", Table 3-8).
 * See cpuid.h for the rule that decides which bits are set. */
#include "cpuid.h"

#include <capstone/capstone.h>
#include <string.h>

#include "cpu.h"
#include "ops.h"

/* One advertised feature bit.  `need` lists Capstone ids that must all
 * have op-table rows for the bit to be set (0 ends the list); a bit with
 * an empty list is implemented here or in the MMU, or is one of the
 * baseline bits marked B below.
 *
 * Leaf 1 EDX, bit by bit:
 *   0 FPU    B  x87 is out of scope (instructions #UD); every x86-64
 *               processor has it and 64-bit software assumes it
 *   1 VME       CR4.VME and CR4.PVI (cr.c): VIF/VIP for CLI/STI/PUSHF/POPF
 *               /IRET (ops_flags.c, ops_events.c) and INT n redirection
 *               through the TSS bitmap (events.c)
 *   2 DE       CR4.DE, DR4/DR5 #UD (cr.c)
 *   3 PSE      4 MB pages (mmu.c)
 *   4 TSC      RDTSC, CR4.TSD
 *   5 MSR      RDMSR/WRMSR
 *   6 PAE      PAE paging (mmu.c), PDPTE checks (cr.c)
 *   7 MCE      CR4.MCE can be set; no machine check is ever raised
 *   8 CX8      CMPXCHG8B row
 *   9 APIC   -  no local APIC MMIO (IA32_APIC_BASE is kept as a plain MSR)
 *  11 SEP      SYSENTER/SYSEXIT rows
 *  12 MTRR     MSR-only: MTRRcap reports no variable or fixed ranges
 *  13 PGE      CR4.PGE; every TLB flush also drops global pages (allowed)
 *  15 CMOV     CMOVcc rows
 *  16 PAT      IA32_PAT (cache types have no effect in an interpreter)
 *  17 PSE-36   4 MB page address bits 39:32 (mmu.c)
 *  19 CLFSH    CLFLUSH
 *  23 MMX    B  baseline of the x86-64 psABI; instructions #UD
 *  24 FXSR   B  baseline; FXSAVE/FXRSTOR #UD, CR4.OSFXSR can be set
 *  25 SSE    B  mandatory in IA-32e mode; instructions #UD
 *  26 SSE2   B  mandatory in IA-32e mode; instructions #UD
 * Leaf 1 ECX: 13 CX16, 17 PCID (CR3 writes always flush), 22 MOVBE,
 *   23 POPCNT; 5 VMX once the VMX instructions have rows; 3 MONITOR
 *   (MONITOR/MWAIT, ops_wait.c: MWAIT never sleeps; leaf 05H below) and
 *   30 RDRAND (ops_rand.c: deterministic values, not random).  No XSAVE,
 *   OSXSAVE or AVX, no hypervisor bit.
 * Leaf 7 EBX: 3 BMI1, 7 SMEP, 8 BMI2, 10 INVPCID, 18 RDSEED (ops_rand.c),
 *   20 SMAP (needs STAC/CLAC), 23 CLFLUSHOPT, 24 CLWB.
 * Leaf 80000001H ECX: 0 LAHF/SAHF in 64-bit mode, 5 LZCNT, 8 PREFETCHW;
 *   EDX: 11 SYSCALL, 20 NX, 26 1 GB pages, 27 RDTSCP, 29 LM.
 */
#define FEAT_NEED_MAX 14

struct feat_row {
	uint64_t feat;
	uint16_t need[FEAT_NEED_MAX];
};

static const struct feat_row feat_rows[] = {
	{ CPUID_FEAT(1, CPUID_EDX, 0), { 0 } },                       /* FPU (B) */
	{ FEAT_VME, { 0 } },
	{ FEAT_DE, { 0 } },
	{ FEAT_PSE, { 0 } },
	{ FEAT_TSC, { X86_INS_RDTSC } },
	{ CPUID_FEAT(1, CPUID_EDX, 5), { X86_INS_RDMSR, X86_INS_WRMSR } },
	{ FEAT_PAE, { 0 } },
	{ FEAT_MCE, { 0 } },
	{ CPUID_FEAT(1, CPUID_EDX, 8), { X86_INS_CMPXCHG8B } },
	{ CPUID_FEAT(1, CPUID_EDX, 11), { X86_INS_SYSENTER, X86_INS_SYSEXIT } },
	{ CPUID_FEAT(1, CPUID_EDX, 12), { X86_INS_RDMSR } },           /* MTRR */
	{ FEAT_PGE, { 0 } },
	{ CPUID_FEAT(1, CPUID_EDX, 15), { X86_INS_CMOVA, X86_INS_CMOVE, X86_INS_CMOVL } },
	{ CPUID_FEAT(1, CPUID_EDX, 16), { X86_INS_RDMSR } },           /* PAT */
	{ CPUID_FEAT(1, CPUID_EDX, 17), { 0 } },                       /* PSE-36 */
	{ FEAT_CLFSH, { X86_INS_CLFLUSH } },
	{ CPUID_FEAT(1, CPUID_EDX, 23), { 0 } },                       /* MMX (B) */
	{ FEAT_FXSR, { 0 } },                                         /* (B) */
	{ FEAT_SSE, { 0 } },                                          /* (B) */
	{ CPUID_FEAT(1, CPUID_EDX, 26), { 0 } },                       /* SSE2 (B) */
	{ CPUID_FEAT(1, CPUID_ECX, 13), { X86_INS_CMPXCHG16B } },
	/* VMX: reported once every VMX instruction has its row
	 * (src/vmx/ops_vmx.def); INVEPT, INVVPID and VMFUNC included, as the
	 * default CPU profile advertises EPT, VPID and VM functions.  What
	 * VMX can do is reported by the capability MSRs (src/vmx/profile.c),
	 * never by CPUID (shared/spec/vmx-capabilities.md §10). */
	{ FEAT_VMX, { X86_INS_VMXON, X86_INS_VMXOFF, X86_INS_VMCLEAR, X86_INS_VMPTRLD,
	              X86_INS_VMPTRST, X86_INS_VMREAD, X86_INS_VMWRITE, X86_INS_VMLAUNCH,
	              X86_INS_VMRESUME, X86_INS_VMCALL, X86_INS_INVEPT, X86_INS_INVVPID,
	              X86_INS_VMFUNC } },
	{ FEAT_PCID, { 0 } },
	{ FEAT_MONITOR, { X86_INS_MONITOR, X86_INS_MWAIT } },
	{ FEAT_RDRAND, { X86_INS_RDRAND } },
	{ FEAT_RDSEED, { X86_INS_RDSEED } },
	{ CPUID_FEAT(1, CPUID_ECX, 22), { X86_INS_MOVBE } },
	{ CPUID_FEAT(1, CPUID_ECX, 23), { X86_INS_POPCNT } },
	{ CPUID_FEAT(7, CPUID_EBX, 3), { X86_INS_ANDN, X86_INS_BEXTR, X86_INS_BLSI, X86_INS_BLSMSK,
	                                 X86_INS_BLSR, X86_INS_TZCNT } },
	{ FEAT_SMEP, { 0 } },
	{ CPUID_FEAT(7, CPUID_EBX, 8), { X86_INS_BZHI, X86_INS_MULX, X86_INS_PDEP, X86_INS_PEXT,
	                                 X86_INS_RORX, X86_INS_SARX, X86_INS_SHLX, X86_INS_SHRX } },
	{ FEAT_INVPCID, { X86_INS_INVPCID } },
	{ FEAT_SMAP, { X86_INS_STAC, X86_INS_CLAC } },
	{ FEAT_CLFLUSHOPT, { X86_INS_CLFLUSHOPT } },
	{ FEAT_CLWB, { X86_INS_CLWB } },
	{ CPUID_FEAT(0x80000001u, CPUID_ECX, 0), { X86_INS_LAHF, X86_INS_SAHF } },
	{ CPUID_FEAT(0x80000001u, CPUID_ECX, 5), { X86_INS_LZCNT } },
	{ CPUID_FEAT(0x80000001u, CPUID_ECX, 8), { X86_INS_PREFETCHW } },
	{ FEAT_SYSCALL, { X86_INS_SYSCALL, X86_INS_SYSRET } },
	{ FEAT_NX, { 0 } },
	{ FEAT_PAGE1GB, { 0 } },
	{ FEAT_RDTSCP, { X86_INS_RDTSCP } },
	{ FEAT_LM, { 0 } },
};

static bool rows_present(const uint16_t *need)
{
	for (unsigned i = 0; i < FEAT_NEED_MAX && need[i]; i++) {
		const struct opdesc *od = optable_lookup(need[i]);

		if (!od || !od->fn)
			return false;
	}
	return true;
}

static uint32_t feat_leaf(uint64_t feat) { return (uint32_t)(feat >> 8); }
static unsigned feat_reg(uint64_t feat) { return (unsigned)(feat >> 6) & 3; }
static unsigned feat_bit(uint64_t feat) { return (unsigned)feat & 31; }

/* The feature words of the leaves feat_rows names.  The op table is
 * fixed at build time, so they are computed once (VM entry checks and CR
 * writes ask for features often); computing them twice is harmless. */
static const uint32_t feat_leaves[3] = { 1, 7, 0x80000001u };
static uint32_t feat_words[3][4];
static bool feat_words_ready;

static void compute_feat_words(void)
{
	uint32_t w[3][4] = { { 0 } };

	for (size_t i = 0; i < sizeof(feat_rows) / sizeof(feat_rows[0]); i++) {
		const struct feat_row *r = &feat_rows[i];

		for (unsigned l = 0; l < 3; l++)
			if (feat_leaf(r->feat) == feat_leaves[l] && rows_present(r->need))
				w[l][feat_reg(r->feat)] |= 1u << feat_bit(r->feat);
	}
	memcpy(feat_words, w, sizeof(w));
	feat_words_ready = true;
}

/* OR into out[] every advertised bit of `leaf` (subleaf 0). */
static void add_features(uint32_t leaf, uint32_t out[4])
{
	if (!feat_words_ready)
		compute_feat_words();
	for (unsigned l = 0; l < 3; l++)
		if (feat_leaves[l] == leaf)
			for (unsigned r = 0; r < 4; r++)
				out[r] |= feat_words[l][r];
}

bool cpuid_has(const struct cpu *cpu, uint64_t feat)
{
	uint32_t out[4];

	/* The feature words come only from feat_rows: answer from them
	 * (CR4 and EFER checks, and every VM entry, ask often). */
	if (!feat_words_ready)
		compute_feat_words();
	for (unsigned l = 0; l < 3; l++)
		if (feat_leaves[l] == feat_leaf(feat))
			return (feat_words[l][feat_reg(feat)] >> feat_bit(feat)) & 1;
	cpuid_query(cpu, feat_leaf(feat), 0, out);
	return (out[feat_reg(feat)] >> feat_bit(feat)) & 1;
}

static void put_str(uint32_t *regs, const char *s, size_t n)
{
	memcpy(regs, s, n);
}

void cpuid_query(const struct cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	/* 48 bytes, NUL-padded (leaves 80000002H-80000004H). */
	static const char brand[48] = "softvtx x86-64 interpreter";

	(void)cpu;
	memset(out, 0, 4 * sizeof(out[0]));
	/* Table 3-8: an input above the maximum basic or extended leaf
	 * returns the data of the highest basic leaf. */
	if ((leaf > CPUID_MAX_BASIC && leaf < 0x80000000u) || leaf > CPUID_MAX_EXTENDED) {
		leaf = CPUID_MAX_BASIC;
	}
	switch (leaf) {
	case 0:
		out[CPUID_EAX] = CPUID_MAX_BASIC;
		/* "GenuineIntel" is spelt across EBX, EDX, ECX. */
		put_str(&out[CPUID_EBX], "Genu", 4);
		put_str(&out[CPUID_EDX], "ineI", 4);
		put_str(&out[CPUID_ECX], "ntel", 4);
		break;
	case 1:
		/* Family/model/stepping as after RESET (EDX there). */
		out[CPUID_EAX] = CPU_RESET_EDX;
		/* EBX: APIC ID 0, one logical processor, CLFLUSH line size in
		 * 8-byte units (valid only when CLFSH is set). */
		add_features(1, out);
		out[CPUID_EBX] = (1u << 16) | ((out[CPUID_EDX] & (1u << 19)) ? 8u << 8 : 0);
		break;
	case 2:
		/* AL = 1 (one call); no descriptors: caches are not modelled. */
		out[CPUID_EAX] = 1;
		break;
	case 5: {
		/* MONITOR/MWAIT parameters, only while leaf 1 reports MONITOR
		 * (cpuid.h: 64-byte lines, EMX and IBE, one C1 sub-state). */
		uint32_t l1[4] = { 0 };

		add_features(1, l1);
		if (l1[feat_reg(FEAT_MONITOR)] & (1u << feat_bit(FEAT_MONITOR))) {
			out[CPUID_EAX] = CPUID_MONITOR_LINE;
			out[CPUID_EBX] = CPUID_MONITOR_LINE;
			out[CPUID_ECX] = CPUID_5_ECX_EMX | CPUID_5_ECX_IBE;
			out[CPUID_EDX] = CPUID_5_EDX;
		}
		break;
	}
	case 7:
		if (subleaf == 0)
			add_features(7, out);
		break;
	case 0x80000000u:
		out[CPUID_EAX] = CPUID_MAX_EXTENDED;
		break;
	case 0x80000001u:
		add_features(0x80000001u, out);
		break;
	case 0x80000002u:
	case 0x80000003u:
	case 0x80000004u:
		memcpy(out, brand + 16 * (leaf - 0x80000002u), 16);
		break;
	case 0x80000007u:
		/* EDX bit 8: invariant TSC -- it counts the one cycle counter. */
		out[CPUID_EDX] = 1u << 8;
		break;
	case 0x80000008u:
		out[CPUID_EAX] = CPU_MAXPHYADDR | (48u << 8);
		break;
	default:
		/* Leaves 3, 4, 6 and 80000005H-80000006H: nothing to report. */
		break;
	}
}
