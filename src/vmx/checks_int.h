/* Shared by the VM-entry check files (checks_ctl.c, checks_host.c,
 * checks_guest.c, checks_seg.c, checks_msr.c, checks_table.c): the check
 * IDs, the failure reporter, the control bits the checks name, and the
 * address predicates of shared/spec/vm-entry-checks.md §0. */
#ifndef SOFTVTX_VMX_CHECKS_INT_H
#define SOFTVTX_VMX_CHECKS_INT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>

#include "../cpu/cpu.h"
#include "checks.h"
#include "profile.h"
#include "vmx.h"

/* One enumerator per row of checks.def: VC_CTL_26 indexes
 * vmentry_check_table[]. */
enum vmentry_check {
#define VMENTRY_CHECK(sym, id, rule, note) VC_##sym,
#include "checks.def"
#undef VMENTRY_CHECK
	VC_COUNT
};

/* Record a failed check: d->id = its ID, d->text = "ID: rule (values)",
 * the values formatted from `fmt`.  Returns false, so a check reads
 *     if (bad) return vc_fail(d, VC_CTL_26, "EPTP=0x%" PRIx64, eptp); */
bool vc_fail(struct vmx_diag *d, enum vmentry_check c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- Control bits (shared/spec/vmx-capabilities.md §5) -------------- */
#define VC_BIT(n) (1ull << (n))

/* Pin-based (0x4000), §5.1 */
#define PIN_EXT_INTR_EXITING   VC_BIT(0)
#define PIN_NMI_EXITING        VC_BIT(3)
#define PIN_VIRTUAL_NMIS       VC_BIT(5)
#define PIN_PREEMPTION_TIMER   VC_BIT(6)
#define PIN_POSTED_INTR        VC_BIT(7)
/* Primary processor-based (0x4002), §5.2 */
#define PROC_TERTIARY          VC_BIT(17)
#define PROC_TPR_SHADOW        VC_BIT(21)
#define PROC_NMI_WINDOW        VC_BIT(22)
#define PROC_IO_BITMAPS        VC_BIT(25)
#define PROC_MTF_BIT           27
#define PROC_MSR_BITMAPS       VC_BIT(28)
#define PROC_SECONDARY         VC_BIT(31)
/* Secondary processor-based (0x401E), §5.3 */
#define PROC2_VIRT_APIC_ACCESS VC_BIT(0)
#define PROC2_EPT              VC_BIT(1)
#define PROC2_VIRT_X2APIC      VC_BIT(4)
#define PROC2_VPID             VC_BIT(5)
#define PROC2_UNRESTRICTED     VC_BIT(7)
#define PROC2_APIC_REG_VIRT    VC_BIT(8)
#define PROC2_VINTR_DELIVERY   VC_BIT(9)
#define PROC2_VMFUNC           VC_BIT(13)
#define PROC2_VMCS_SHADOWING   VC_BIT(14)
#define PROC2_PML              VC_BIT(17)
#define PROC2_EPT_VE           VC_BIT(18)
#define PROC2_MBE              VC_BIT(22)
#define PROC2_SPP              VC_BIT(23)
#define PROC2_PT_USE_GPA       VC_BIT(24)
/* Tertiary (0x2034), §5.4 */
#define PROC3_HLAT             VC_BIT(1)
/* VM-exit (0x400C), §5.5 */
#define EXIT_HOST_ADDR_SPACE   VC_BIT(9)
#define EXIT_LOAD_PERF_GLOBAL  VC_BIT(12)
#define EXIT_ACK_INTR          VC_BIT(15)
#define EXIT_LOAD_PAT          VC_BIT(19)
#define EXIT_LOAD_EFER         VC_BIT(21)
#define EXIT_SAVE_PREEMPTION   VC_BIT(22)
#define EXIT_CLEAR_RTIT_CTL    VC_BIT(25)
#define EXIT_LOAD_CET          VC_BIT(28)
#define EXIT_LOAD_PKRS         VC_BIT(29)
#define EXIT_SECONDARY         VC_BIT(31)
/* VM-entry (0x4012), §5.7 */
#define ENTRY_LOAD_DEBUG       VC_BIT(2)
#define ENTRY_IA32E_GUEST      VC_BIT(9)
#define ENTRY_SMM              VC_BIT(10)
#define ENTRY_DEACT_DUAL_MON   VC_BIT(11)
#define ENTRY_LOAD_PERF_GLOBAL VC_BIT(13)
#define ENTRY_LOAD_PAT         VC_BIT(14)
#define ENTRY_LOAD_EFER        VC_BIT(15)
#define ENTRY_LOAD_BNDCFGS     VC_BIT(16)
#define ENTRY_LOAD_RTIT_CTL    VC_BIT(18)
#define ENTRY_LOAD_CET         VC_BIT(20)
#define ENTRY_LOAD_PKRS        VC_BIT(22)

/* VM-entry interruption information (0x4016), vm-exits.md §4:
 *   31 valid | 30:12 reserved | 11 deliver error code | 10:8 type | 7:0 vector */
#define INTR_INFO_VALID        VC_BIT(31)
#define INTR_INFO_ERROR_CODE   VC_BIT(11)
#define INTR_INFO_TYPE(x)      (((x) >> 8) & 7u)
#define INTR_INFO_VECTOR(x)    ((x) & 0xffu)
enum { INTR_TYPE_EXT_INTR = 0, INTR_TYPE_RESERVED = 1, INTR_TYPE_NMI = 2, INTR_TYPE_HW_EXC = 3,
       INTR_TYPE_SW_INTR = 4, INTR_TYPE_PRIV_SW_EXC = 5, INTR_TYPE_SW_EXC = 6, INTR_TYPE_OTHER = 7 };

/* Guest interruptibility state (0x4824), vmcs-fields.md §4.2 */
#define INTR_BLOCK_STI         VC_BIT(0)
#define INTR_BLOCK_MOV_SS      VC_BIT(1)
#define INTR_BLOCK_SMI         VC_BIT(2)
#define INTR_BLOCK_NMI         VC_BIT(3)
#define INTR_ENCLAVE           VC_BIT(4)
/* Guest activity state (0x4826), vmcs-fields.md §4.3 */
enum { ACTIVITY_ACTIVE = 0, ACTIVITY_HLT = 1, ACTIVITY_SHUTDOWN = 2, ACTIVITY_WAIT_SIPI = 3 };

/* IA32_VMX_BASIC (vmx-capabilities.md §4) */
#define BASIC_TRUE_CTLS        55
#define BASIC_NO_ERRCODE_CHECK 56
/* IA32_VMX_EPT_VPID_CAP (vmx-capabilities.md §8.2) */
#define EPT_CAP_WALK4          6
#define EPT_CAP_WALK5          7
#define EPT_CAP_UC             8
#define EPT_CAP_WB             14
#define EPT_CAP_AD             21
#define EPT_CAP_SSS            23

/* CR4.CET (bit 23) and IA32_DEBUGCTL.BTF, which arch.h does not name. */
#define CR4_CET                VC_BIT(23)
#define DEBUGCTL_BTF           VC_BIT(1)

/* --- The controls as this entry uses them --------------------------- */
/* Gated controls read as 0 when their activating bit is 0
 * (vm-entry-checks.md §2.1 notes): PROC2 without PROC bit 31, PROC3
 * without PROC bit 17, EXIT2 without EXIT bit 31. */
struct vc_ctls {
	uint32_t pin, proc, proc2, exit, entry;
	uint64_t proc3, exit2;
};

static inline struct vc_ctls vc_ctls(const struct vmx *v)
{
	struct vc_ctls c = {
		.pin = VMCS_GET(v, PIN_CONTROLS),
		.proc = VMCS_GET(v, PROC_CONTROLS),
		.exit = VMCS_GET(v, EXIT_CONTROLS),
		.entry = VMCS_GET(v, ENTRY_CONTROLS),
	};

	c.proc2 = (c.proc & PROC_SECONDARY) ? VMCS_GET(v, PROC2_CONTROLS) : 0;
	c.proc3 = (c.proc & PROC_TERTIARY) ? VMCS_GET(v, TERTIARY_PROC_CONTROLS) : 0;
	c.exit2 = (c.exit & EXIT_SECONDARY) ? VMCS_GET(v, SECONDARY_EXIT_CONTROLS) : 0;
	return c;
}

/* A capability MSR of the profile, 0 when the profile does not have it
 * (RDMSR would #GP: nothing may be 1). */
static inline uint64_t vc_cap(const struct vmx_profile *p, unsigned msr)
{
	return p->msr_present[msr - VMX_MSR_FIRST] ? vmx_cap(p, msr) : 0;
}

/* The guest as the GUEST checks see it. */
struct vc_guest {
	struct vc_ctls c;
	bool cpu64;       /* a processor with Intel 64 (vc_cpu64) */
	bool ug;          /* unrestricted guest (PROC2 bit 7) */
	bool ia32e;       /* IA-32e mode guest (ENTRY bit 9) */
	bool v86;         /* guest RFLAGS.VM */
	uint64_t cr0, cr4, rflags;
	uint32_t inj;     /* VM-entry interruption information, 0 if not valid */
};

/* GUEST-24..64 (checks_seg.c). */
bool vc_guest_segments(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d);

/* --- Address predicates (vm-entry-checks.md §0) --------------------- */
/* aligned(n) and in-range: low n bits clear, nothing at or above
 * MAXPHYADDR. */
static inline bool vc_addr_ok(const struct cpu *cpu, uint64_t a, unsigned align_bits)
{
	return (a & ((1ull << align_bits) - 1)) == 0 && (a & ~cpu->maxphyaddr_mask) == 0;
}

static inline bool vc_in_range(const struct cpu *cpu, uint64_t a)
{
	return (a & ~cpu->maxphyaddr_mask) == 0;
}

/* IA32_PAT: every byte a valid memory type (0, 1, 4, 5, 6, 7). */
static inline bool vc_pat_ok(uint64_t pat)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned t = (pat >> (8 * i)) & 0xff;

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* IA32_EFER bits the processor implements (vmx-capabilities.md §9.2:
 * EFER_VALID, the same rule efer_write() applies). */
uint64_t vc_efer_valid(const struct cpu *cpu);

/* Is this a processor with Intel 64 ("64-bit CPU" in the spec)?  Read
 * from the profile: allowed-1 of the "IA-32e mode guest" entry control. */
bool vc_cpu64(const struct cpu *cpu);

#endif
