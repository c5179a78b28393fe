/* VM-entry checks (src/vmx/checks_*.c, shared/spec/vm-entry-checks.md
 * §2-§4, §6).  Known-good VMCSs (64-bit, PAE with and without EPT,
 * virtual-8086, real mode under unrestricted guest) pass every group; each
 * failing case then breaks ONE rule (enabling, where needed, the control
 * that makes the rule apply, with otherwise valid values) and expects one
 * check ID and its outcome: VMfailValid(7) for CTL, VMfailValid(8) for
 * HOST, exit 33 with the spec's qualification for GUEST.  A few cases go
 * through vmx_vmentry() (entry.c) to see those outcomes in the VMCS, and
 * the check table is compared with shared/spec/vm-entry-checks.md.
 *
 * The capability values are the spec's (vmx-capabilities.md §9.1, §9.2),
 * written here rather than read from profile.c, so that the test checks
 * the checks against the spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "fakebus.h"
#include "vmx/checks.h"
#include "vmx/entry.h"
#include "vmx/profile.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

/* --- The spec's reference profile (vmx-capabilities.md §9.1, §9.2) --- */
static const struct { unsigned msr; uint64_t val; } spec_msrs[] = {
	{ MSR_IA32_VMX_BASIC, 0x00D810000000002Bull },
	{ MSR_IA32_VMX_PINBASED_CTLS, 0x000000FF00000016ull },
	{ MSR_IA32_VMX_PROCBASED_CTLS, 0xFFF9FFFE0401E172ull },
	{ MSR_IA32_VMX_EXIT_CTLS, 0x407FFFFF00036DFFull },
	{ MSR_IA32_VMX_ENTRY_CTLS, 0x0000FFFF000011FFull },
	{ MSR_IA32_VMX_MISC, 0x00000000600401E0ull },
	{ MSR_IA32_VMX_CR0_FIXED0, 0x0000000080000021ull },
	{ MSR_IA32_VMX_CR0_FIXED1, 0x00000000FFFFFFFFull },
	{ MSR_IA32_VMX_CR4_FIXED0, 0x0000000000002000ull },
	{ MSR_IA32_VMX_CR4_FIXED1, 0x00000000003727FFull },
	{ MSR_IA32_VMX_VMCS_ENUM, 0x0000000000000032ull },
	{ MSR_IA32_VMX_PROCBASED_CTLS2, 0x02577FFF00000000ull },
	{ MSR_IA32_VMX_EPT_VPID_CAP, 0x00000F0106734141ull },
	{ MSR_IA32_VMX_TRUE_PINBASED, 0x000000FF00000016ull },
	{ MSR_IA32_VMX_TRUE_PROCBASED, 0xFFF9FFFE04006172ull },
	{ MSR_IA32_VMX_TRUE_EXIT, 0x407FFFFF00036DFBull },
	{ MSR_IA32_VMX_TRUE_ENTRY, 0x0000FFFF000011FBull },
	{ MSR_IA32_VMX_VMFUNC, 0x0000000000000001ull },
};

static void spec_profile(struct vmx_profile *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "spec-9.1");
	for (size_t i = 0; i < sizeof(spec_msrs) / sizeof(spec_msrs[0]); i++) {
		p->msr[spec_msrs[i].msr - VMX_MSR_FIRST] = spec_msrs[i].val;
		p->msr_present[spec_msrs[i].msr - VMX_MSR_FIRST] = true;
	}
	p->nmi_inject_sti_fails = true;          /* GUEST-85 recommended default */
	p->ar_write_mask = 0x1f0ff;
	p->debugctl_valid = 0x7FC3;              /* §9.2 DEBUGCTL_VALID */
	p->perf_global_ctrl_rsvd = 0xFFFFFFF8FFFFFFF0ull; /* §9.2 */
}

/* --- Control bits used below (vmx-capabilities.md §5) --------------- */
#define B(n) (1ull << (n))
#define PIN_BASE   0x16ull                 /* TRUE_PINBASED allowed-0 */
#define PROC_BASE  (0x04006172ull | B(31)) /* TRUE_PROCBASED allowed-0 + secondary */
#define EXIT_BASE  (0x00036DFBull | B(9))  /* TRUE_EXIT allowed-0 + host address-space size */
#define ENTRY_BASE 0x000011FBull           /* TRUE_ENTRY allowed-0 */
#define IA32E      B(9)
#define EPT        B(1)
#define VPID_EN    B(5)
#define UG         B(7)
#define EPTP_GOOD  0x501Eull               /* WB, 4-level, table at 0x5000 */
#define PAT_GOOD   0x0007040600070406ull   /* the power-up PAT */
#define NONCANON   0x0000800000000000ull
#define LINK_PA    0x40000ull              /* a page used as VMCS link target */
#define VAPIC_PA   0x6000ull
#define PDPT_PA    0x30000ull

enum base { B64, BPAE, BPAE_NOEPT, BV86, BREAL };

static void set(struct vmx *v, enum vmcs_index i, uint64_t x)
{
	vmcs_set_idx(v, i, x);
}
#define S(name, x) set(v, VMCS_IDX_##name, (x))

/* Guest segment: selector, base, limit, access rights. */
static void gseg(struct vmx *v, unsigned k, uint64_t sel, uint64_t base, uint64_t lim, uint64_t ar)
{
	set(v, VMCS_IDX_GUEST_ES_SELECTOR + k, sel);
	set(v, VMCS_IDX_GUEST_ES_BASE + k, base);
	set(v, VMCS_IDX_GUEST_ES_LIMIT + k, lim);
	set(v, VMCS_IDX_GUEST_ES_AR_BYTES + k, ar);
}

/* A 64-bit guest under a 64-bit host, valid by every rule of the spec. */
static void base64(struct vmx *v)
{
	memset(&v->vmcs, 0, sizeof(v->vmcs));
	S(PIN_CONTROLS, PIN_BASE);
	S(PROC_CONTROLS, PROC_BASE);
	S(PROC2_CONTROLS, EPT | VPID_EN);
	S(EXIT_CONTROLS, EXIT_BASE);
	S(ENTRY_CONTROLS, ENTRY_BASE | IA32E);
	S(VPID, 1);
	S(EPT_POINTER, EPTP_GOOD);
	/* host */
	S(HOST_CR0, 0x80000031);
	S(HOST_CR3, 0x10000);
	S(HOST_CR4, 0x2020);
	S(HOST_CS_SELECTOR, 0x08);
	S(HOST_SS_SELECTOR, 0x10);
	S(HOST_DS_SELECTOR, 0x10);
	S(HOST_ES_SELECTOR, 0x10);
	S(HOST_FS_SELECTOR, 0x10);
	S(HOST_GS_SELECTOR, 0x10);
	S(HOST_TR_SELECTOR, 0x28);
	S(HOST_TR_BASE, 0x3000);
	S(HOST_GDTR_BASE, 0x1000);
	S(HOST_IDTR_BASE, 0x2000);
	S(HOST_RSP, 0x300000);
	S(HOST_RIP, 0x100000);
	S(HOST_IA32_EFER, 0xD01);
	S(HOST_IA32_PAT, PAT_GOOD);
	/* guest */
	S(GUEST_CR0, 0x80000031);
	S(GUEST_CR3, 0x10000);
	S(GUEST_CR4, 0x2020);
	S(GUEST_DR7, 0x400);
	S(GUEST_RSP, 0x300000);
	S(GUEST_RIP, 0x100000);
	S(GUEST_RFLAGS, 0x2);
	gseg(v, SEG_ES, 0x10, 0, 0xffffffff, 0xC093);
	gseg(v, SEG_CS, 0x08, 0, 0xffffffff, 0xA09B);
	gseg(v, SEG_SS, 0x10, 0, 0xffffffff, 0xC093);
	gseg(v, SEG_DS, 0x10, 0, 0xffffffff, 0xC093);
	gseg(v, SEG_FS, 0x10, 0, 0xffffffff, 0xC093);
	gseg(v, SEG_GS, 0x10, 0, 0xffffffff, 0xC093);
	gseg(v, SEG_LDTR, 0, 0, 0, 0x10000);
	gseg(v, SEG_TR, 0x28, 0x3000, 0x67, 0x8B);
	S(GUEST_GDTR_BASE, 0x1000);
	S(GUEST_GDTR_LIMIT, 0x3f);
	S(GUEST_IDTR_BASE, 0x2000);
	S(GUEST_IDTR_LIMIT, 0xfff);
	S(VMCS_LINK_POINTER, ~0ull);
	S(GUEST_IA32_EFER, 0xD01);
	S(GUEST_IA32_PAT, PAT_GOOD);
}

static void load_base(struct tm *tm, enum base b)
{
	struct vmx *v = tm->cpu->vmx;

	base64(v);
	switch (b) {
	case B64:
		break;
	case BPAE:          /* 32-bit PAE paging, PDPTEs from the VMCS (EPT) */
	case BPAE_NOEPT:    /* the same, PDPTEs read from memory at CR3 */
		S(ENTRY_CONTROLS, ENTRY_BASE);
		gseg(v, SEG_CS, 0x08, 0, 0xffffffff, 0xC09B);
		S(GUEST_PDPTE0, 0x20001);
		S(GUEST_PDPTE1, 0x21001);
		S(GUEST_PDPTE2, 0);
		S(GUEST_PDPTE3, 0x22001);
		if (b == BPAE_NOEPT) {
			S(PROC2_CONTROLS, VPID_EN);
			S(GUEST_CR3, PDPT_PA);
			tm_write(tm, PDPT_PA, 8, 0x20001);
			tm_write(tm, PDPT_PA + 8, 8, 0x21001);
			tm_write(tm, PDPT_PA + 16, 8, 0xfff0);   /* not present: ignored */
			tm_write(tm, PDPT_PA + 24, 8, 0x22001);
		}
		break;
	case BV86:          /* virtual-8086 under 32-bit paging */
		S(ENTRY_CONTROLS, ENTRY_BASE);
		S(GUEST_CR4, 0x2000);
		S(GUEST_RFLAGS, 0x20002);
		S(GUEST_RIP, 0x1000);
		for (unsigned k = 0; k < SEG_LDTR; k++)
			gseg(v, k, 0x1000 + k, (0x1000ull + k) << 4, 0xffff, 0xF3);
		break;
	case BREAL:         /* real mode under unrestricted guest */
		S(PROC2_CONTROLS, EPT | VPID_EN | UG);
		S(ENTRY_CONTROLS, ENTRY_BASE);
		S(GUEST_CR0, 0x30);
		S(GUEST_CR4, 0x2000);
		S(GUEST_RIP, 0xfff0);
		for (unsigned k = 0; k < SEG_LDTR; k++)
			gseg(v, k, 0, 0, 0xffff, 0x93);
		gseg(v, SEG_CS, 0xf000, 0xf0000, 0xffff, 0x9B);
		break;
	}
}

/* --- The case table -------------------------------------------------- */
enum op { E_END = 0, E_SET, E_OR, E_CLR };
struct edit { enum op op; enum vmcs_index f; uint64_t val; };
struct pedit { enum op op; unsigned msr; uint64_t val; };
struct mem { uint64_t gpa; unsigned size; uint64_t val; };

#define SET(name, x) { E_SET, VMCS_IDX_##name, (x) }
#define OR(name, x)  { E_OR, VMCS_IDX_##name, (x) }
#define CLR(name, x) { E_CLR, VMCS_IDX_##name, (x) }
#define PSET(m, x)   { E_SET, MSR_IA32_VMX_##m, (x) }
#define POR(m, x)    { E_OR, MSR_IA32_VMX_##m, (x) }
#define PCLR(m, x)   { E_CLR, MSR_IA32_VMX_##m, (x) }
/* Allow a control bit in both the classic and TRUE MSR (high dword). */
#define PALLOW(m, tm, bit) POR(m, B(32 + (bit))), POR(tm, B(32 + (bit)))

struct ecase {
	const char *expect;    /* the check that must fail; NULL: all pass */
	enum base base;
	uint64_t qual;         /* GUEST: the exit qualification */
	struct edit e[8];
	struct pedit p[4];
	struct mem m[2];
	bool lma0;             /* run VMLAUNCH with EFER.LMA = 0 */
	uint64_t current;      /* current-VMCS pointer, 0: none */
	bool sti_nmi_ok;       /* profile: GUEST-85 does not fail */
};

static const struct ecase cases[] = {
	/* Known-good VMCSs and valid uses of optional features. */
	{ NULL, B64, .qual = 0 }, { NULL, BPAE, .qual = 0 }, { NULL, BPAE_NOEPT, .qual = 0 },
	{ NULL, BV86, .qual = 0 }, { NULL, BREAL, .qual = 0 },
	{ NULL, B64, .e = { OR(PROC_CONTROLS, B(25) | B(28)), SET(IO_BITMAP_A, 0x7000),
	                    SET(IO_BITMAP_B, 0x8000), SET(MSR_BITMAP, 0x9000) } },
	{ NULL, B64, .e = { OR(PROC_CONTROLS, B(21)), SET(VIRTUAL_APIC_ADDR, VAPIC_PA),
	                    SET(TPR_THRESHOLD, 5) },
	  .m = { { VAPIC_PA + 0x80, 1, 0x50 } } },
	{ NULL, B64, .e = { SET(PIN_CONTROLS, PIN_BASE | B(0) | B(7)), OR(PROC_CONTROLS, B(21)),
	                    SET(VIRTUAL_APIC_ADDR, VAPIC_PA), OR(PROC2_CONTROLS, B(9)),
	                    OR(EXIT_CONTROLS, B(15)), SET(POSTED_INTR_NV, 0xf2),
	                    SET(POSTED_INTR_DESC_ADDR, 0x8040) } },
	{ NULL, B64, .e = { OR(PROC2_CONTROLS, B(13) | B(14) | B(17) | B(18)),
	                    SET(VMFUNC_CONTROLS, 1),
	                    SET(EPTP_LIST_ADDR, 0xa000), SET(VMREAD_BITMAP, 0xb000),
	                    SET(VMWRITE_BITMAP, 0xc000),
	                    SET(PML_ADDR, 0xd000), SET(VE_INFO_ADDR, 0xe000) } },
	{ NULL, B64, .e = { SET(EXIT_MSR_STORE_COUNT, 2), SET(EXIT_MSR_STORE_ADDR, 0xf010),
	                    SET(ENTRY_MSR_LOAD_COUNT, 512),
	                    SET(ENTRY_MSR_LOAD_ADDR, (1ull << 40) - 0x2000) } },
	{ NULL, B64, .e = { SET(ENTRY_INTR_INFO, 0x80000B0E),
	                    SET(ENTRY_EXCEPTION_ERROR_CODE, 0xffff) } },
	{ NULL, B64, .e = { SET(ENTRY_INTR_INFO, 0x80000403), SET(ENTRY_INSTRUCTION_LEN, 0) } },
	{ NULL, B64, .e = { SET(ENTRY_INTR_INFO, 0x80000700) } },
	{ NULL, B64, .e = { OR(EXIT_CONTROLS, B(12) | B(19) | B(21)),
	                    SET(HOST_IA32_PERF_GLOBAL_CTRL, 0x70000000F),
	                    OR(ENTRY_CONTROLS, B(2) | B(13) | B(14) | B(15)),
	                    SET(GUEST_IA32_DEBUGCTL, 0x7FC3),
	                    SET(GUEST_IA32_PERF_GLOBAL_CTRL, 0x70000000F) } },
	{ NULL, B64, .e = { SET(GUEST_DS_AR_BYTES, 0x10000), SET(GUEST_DS_BASE, 1ull << 32) } },
	{ NULL, B64, .e = { SET(GUEST_LDTR_SELECTOR, 0x48), SET(GUEST_LDTR_AR_BYTES, 0x82),
	                    SET(GUEST_LDTR_LIMIT, 0xffff) } },
	{ NULL, BPAE, .e = { SET(GUEST_TR_AR_BYTES, 0x83) } },
	{ NULL, B64, .e = { SET(GUEST_ACTIVITY_STATE, 1), SET(ENTRY_INTR_INFO, 0x80000202) } },
	{ NULL, B64, .e = { SET(GUEST_ACTIVITY_STATE, 1), SET(ENTRY_INTR_INFO, 0x80000301) } },
	{ NULL, B64, .e = { SET(GUEST_ACTIVITY_STATE, 2), SET(ENTRY_INTR_INFO, 0x80000312) } },
	{ NULL, B64, .e = { SET(GUEST_INTERRUPTIBILITY, 1), SET(GUEST_RFLAGS, 0x202),
	                    SET(ENTRY_INTR_INFO, 0x80000202) },
	  .sti_nmi_ok = true },
	{ NULL, B64, .e = { SET(PIN_CONTROLS, PIN_BASE), SET(GUEST_INTERRUPTIBILITY, 8),
	                    SET(ENTRY_INTR_INFO, 0x80000202) } },
	{ NULL, B64, .e = { SET(GUEST_INTERRUPTIBILITY, 2), SET(GUEST_RFLAGS, 0x102),
	                    SET(GUEST_PENDING_DBG_EXCEPTIONS, 0x4000) } },
	{ NULL, B64, .e = { OR(PROC2_CONTROLS, B(14)), SET(VMREAD_BITMAP, 0xb000),
	                    SET(VMWRITE_BITMAP, 0xc000), SET(VMCS_LINK_POINTER, LINK_PA) },
	  .m = { { LINK_PA, 4, 0x8000002B } } },
	{ NULL, B64, .e = { SET(VMCS_LINK_POINTER, LINK_PA) }, .m = { { LINK_PA, 4, 0x2B } },
	  .current = 0x50000 },
	{ NULL, BPAE_NOEPT, .m = { { PDPT_PA + 16, 8, 0xfffffffffffffffeull } } },

	/* §2.1 execution controls -> VMfailValid(7) */
	{ "CTL-1", B64, .e = { SET(PIN_CONTROLS, 0x06) } },
	{ "CTL-2", B64, .e = { OR(PIN_CONTROLS, B(8)) } },
	{ "CTL-3", B64, .e = { CLR(PROC_CONTROLS, B(1)) } },
	{ "CTL-4", B64, .e = { OR(PROC_CONTROLS, B(0)) } },
	{ "CTL-5", B64, .p = { POR(PROCBASED_CTLS2, B(2)) } },
	{ "CTL-6", B64, .e = { OR(PROC2_CONTROLS, B(15)) } },
	{ "CTL-7", B64, .e = { OR(PROC_CONTROLS, B(17)), SET(TERTIARY_PROC_CONTROLS, 1) },
	  .p = { PALLOW(PROCBASED_CTLS, TRUE_PROCBASED, 17), PSET(PROCBASED_CTLS3, 0) } },
	{ "CTL-8", B64, .e = { SET(CR3_TARGET_COUNT, 5) } },
	{ "CTL-9", B64, .e = { OR(PROC_CONTROLS, B(25)), SET(IO_BITMAP_A, 0x7001),
	                       SET(IO_BITMAP_B, 0x8000) } },
	{ "CTL-10", B64, .e = { OR(PROC_CONTROLS, B(25)), SET(IO_BITMAP_A, 0x7000),
	                        SET(IO_BITMAP_B, 1ull << 40) } },
	{ "CTL-11", B64, .e = { OR(PROC_CONTROLS, B(28)), SET(MSR_BITMAP, 0x9008) } },
	{ "CTL-12", B64, .e = { OR(PROC_CONTROLS, B(21)), SET(VIRTUAL_APIC_ADDR, 0x6800) } },
	{ "CTL-13", B64, .e = { OR(PROC_CONTROLS, B(21)), SET(VIRTUAL_APIC_ADDR, VAPIC_PA),
	                        SET(TPR_THRESHOLD, 0x10) } },
	{ "CTL-14", B64, .e = { OR(PROC_CONTROLS, B(21)), SET(VIRTUAL_APIC_ADDR, VAPIC_PA),
	                        SET(TPR_THRESHOLD, 5) },
	  .m = { { VAPIC_PA + 0x80, 1, 0x40 } } },
	{ "CTL-15", B64, .e = { OR(PROC2_CONTROLS, B(8)) } },
	{ "CTL-15", B64, .e = { OR(PROC2_CONTROLS, B(4)) } },
	{ "CTL-16", B64, .e = { OR(PIN_CONTROLS, B(5)) } },
	{ "CTL-17", B64, .e = { OR(PROC_CONTROLS, B(22)) } },
	{ "CTL-18", B64, .e = { OR(PROC2_CONTROLS, B(0)), SET(APIC_ACCESS_ADDR, 0x7004) } },
	{ "CTL-19", B64, .e = { OR(PROC_CONTROLS, B(21)), SET(VIRTUAL_APIC_ADDR, VAPIC_PA),
	                        OR(PROC2_CONTROLS, B(0) | B(4)), SET(APIC_ACCESS_ADDR, 0x7000) } },
	{ "CTL-20", B64, .e = { OR(PROC_CONTROLS, B(21)), SET(VIRTUAL_APIC_ADDR, VAPIC_PA),
	                        OR(PROC2_CONTROLS, B(9)) } },
	{ "CTL-21", B64, .e = { SET(PIN_CONTROLS, PIN_BASE | B(0) | B(7)) } },
	{ "CTL-22", B64, .e = { SET(PIN_CONTROLS, PIN_BASE | B(0) | B(7)), OR(PROC_CONTROLS, B(21)),
	                        SET(VIRTUAL_APIC_ADDR, VAPIC_PA), OR(PROC2_CONTROLS, B(9)) } },
	{ "CTL-23", B64, .e = { SET(PIN_CONTROLS, PIN_BASE | B(0) | B(7)), OR(PROC_CONTROLS, B(21)),
	                        SET(VIRTUAL_APIC_ADDR, VAPIC_PA), OR(PROC2_CONTROLS, B(9)),
	                        OR(EXIT_CONTROLS, B(15)), SET(POSTED_INTR_NV, 0x1f2) } },
	{ "CTL-24", B64, .e = { SET(PIN_CONTROLS, PIN_BASE | B(0) | B(7)), OR(PROC_CONTROLS, B(21)),
	                        SET(VIRTUAL_APIC_ADDR, VAPIC_PA), OR(PROC2_CONTROLS, B(9)),
	                        OR(EXIT_CONTROLS, B(15)), SET(POSTED_INTR_NV, 0xf2),
	                        SET(POSTED_INTR_DESC_ADDR, 0x8020) } },
	{ "CTL-25", B64, .e = { SET(VPID, 0) } },
	{ "CTL-26", B64, .e = { SET(EPT_POINTER, 0x5019) } },
	{ "CTL-26", B64, .e = { SET(EPT_POINTER, 0x5018) }, .p = { PCLR(EPT_VPID_CAP, B(8)) } },
	{ "CTL-27", B64, .e = { SET(EPT_POINTER, 0x5016) } },
	{ "CTL-27", B64, .e = { SET(EPT_POINTER, 0x5026) } },
	{ "CTL-28", B64, .e = { SET(EPT_POINTER, EPTP_GOOD | B(6)) },
	  .p = { PCLR(EPT_VPID_CAP, B(21)) } },
	{ "CTL-29", B64, .e = { SET(EPT_POINTER, EPTP_GOOD | B(7)) } },
	{ "CTL-30", B64, .e = { SET(EPT_POINTER, EPTP_GOOD | B(8)) } },
	{ "CTL-30", B64, .e = { SET(EPT_POINTER, EPTP_GOOD | B(40)) } },
	{ "CTL-31", B64, .e = { SET(PROC2_CONTROLS, VPID_EN | B(17)), SET(PML_ADDR, 0xd000) } },
	{ "CTL-32", B64, .e = { OR(PROC2_CONTROLS, B(17)), SET(PML_ADDR, 0xd001) } },
	{ "CTL-33", B64, .e = { SET(PROC2_CONTROLS, VPID_EN | UG) } },
	{ "CTL-34", B64, .e = { SET(PROC2_CONTROLS, VPID_EN | B(22)) } },
	{ "CTL-35", B64, .e = { OR(PROC2_CONTROLS, B(23)), SET(SPPTP, 0x123) },
	  .p = { POR(PROCBASED_CTLS2, B(32 + 23)) } },
	{ "CTL-36", B64, .e = { OR(PROC2_CONTROLS, B(13)), SET(VMFUNC_CONTROLS, 2) } },
	{ "CTL-37", B64, .e = { SET(PROC2_CONTROLS, VPID_EN | B(13)), SET(VMFUNC_CONTROLS, 1),
	                        SET(EPTP_LIST_ADDR, 0xa000) } },
	{ "CTL-38", B64, .e = { OR(PROC2_CONTROLS, B(13)), SET(VMFUNC_CONTROLS, 1),
	                        SET(EPTP_LIST_ADDR, 0xa008) } },
	{ "CTL-39", B64, .e = { OR(PROC2_CONTROLS, B(14)), SET(VMREAD_BITMAP, 0xb001),
	                        SET(VMWRITE_BITMAP, 0xc000) } },
	{ "CTL-40", B64, .e = { OR(PROC2_CONTROLS, B(14)), SET(VMREAD_BITMAP, 0xb000),
	                        SET(VMWRITE_BITMAP, 1ull << 45) } },
	{ "CTL-41", B64, .e = { OR(PROC2_CONTROLS, B(18)), SET(VE_INFO_ADDR, 0xe100) } },
	{ "CTL-42", B64, .e = { OR(PROC2_CONTROLS, B(24)) },
	  .p = { POR(PROCBASED_CTLS2, B(32 + 24)) } },
	{ "CTL-43", B64, .e = { OR(PROC_CONTROLS, B(17)), SET(TERTIARY_PROC_CONTROLS, 2),
	                        SET(HLAT_POINTER, 0x123) },
	  .p = { PALLOW(PROCBASED_CTLS, TRUE_PROCBASED, 17), PSET(PROCBASED_CTLS3, 2) } },
	/* §2.2 exit controls */
	{ "CTL-44", B64, .e = { CLR(EXIT_CONTROLS, B(0)) } },
	{ "CTL-45", B64, .e = { OR(EXIT_CONTROLS, B(23)) } },
	{ "CTL-46", B64, .e = { OR(EXIT_CONTROLS, B(31)), SET(SECONDARY_EXIT_CONTROLS, 1) },
	  .p = { PALLOW(EXIT_CTLS, TRUE_EXIT, 31), PSET(EXIT_CTLS2, 0) } },
	{ "CTL-47", B64, .e = { OR(EXIT_CONTROLS, B(22)) } },
	{ "CTL-48", B64, .e = { SET(EXIT_MSR_STORE_COUNT, 1), SET(EXIT_MSR_STORE_ADDR, 0xf008) } },
	{ "CTL-49", B64, .e = { SET(EXIT_MSR_STORE_COUNT, 0x10),
	                        SET(EXIT_MSR_STORE_ADDR, (1ull << 40) - 0x80) } },
	{ "CTL-50", B64, .e = { SET(EXIT_MSR_LOAD_COUNT, 1),
	                        SET(EXIT_MSR_LOAD_ADDR, 1ull << 41) } },
	{ "CTL-51", B64, .e = { SET(EXIT_MSR_LOAD_COUNT, 0x101),
	                        SET(EXIT_MSR_LOAD_ADDR, (1ull << 40) - 0x1000) } },
	/* §2.3 entry controls and event injection */
	{ "CTL-52", B64, .e = { CLR(ENTRY_CONTROLS, B(12)) } },
	{ "CTL-53", B64, .e = { OR(ENTRY_CONTROLS, B(16)) } },
	{ "CTL-54", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000100) } },
	{ "CTL-54", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000700) },
	  .p = { PCLR(PROCBASED_CTLS, B(32 + 27)), PCLR(TRUE_PROCBASED, B(32 + 27)) } },
	{ "CTL-55", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000203) } },
	{ "CTL-55", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000320) } },
	{ "CTL-55", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000701) } },
	{ "CTL-56", B64, .e = { SET(ENTRY_INTR_INFO, 0x8000030D) } },
	{ "CTL-56", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000B06) } },
	{ "CTL-56", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000E03), SET(ENTRY_INSTRUCTION_LEN, 2) } },
	{ "CTL-56", BREAL, .e = { SET(ENTRY_INTR_INFO, 0x80000B0D) } },
	{ "CTL-57", B64, .e = { SET(ENTRY_INTR_INFO, 0x80001020), SET(GUEST_RFLAGS, 0x202) } },
	{ "CTL-58", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000B0D),
	                        SET(ENTRY_EXCEPTION_ERROR_CODE, 0x10000) } },
	{ "CTL-59", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000403),
	                        SET(ENTRY_INSTRUCTION_LEN, 16) } },
	{ "CTL-59", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000603), SET(ENTRY_INSTRUCTION_LEN, 0) },
	  .p = { PCLR(MISC, B(30)) } },
	{ "CTL-60", B64, .e = { SET(ENTRY_MSR_LOAD_COUNT, 1), SET(ENTRY_MSR_LOAD_ADDR, 0xf004) } },
	{ "CTL-61", B64, .e = { SET(ENTRY_MSR_LOAD_COUNT, 512),
	                        SET(ENTRY_MSR_LOAD_ADDR, (1ull << 40) - 0x1ff0) } },
	{ "CTL-62", B64, .e = { OR(ENTRY_CONTROLS, B(10)) } },
	{ "CTL-62", B64, .e = { OR(ENTRY_CONTROLS, B(11)) } },

	/* §3 host state -> VMfailValid(8) */
	{ "HOST-1", B64, .e = { SET(HOST_CR0, 0x80000011) } },
	{ "HOST-1", B64, .e = { SET(HOST_CR0, 0x00000031) } },
	{ "HOST-2", B64, .e = { SET(HOST_CR0, 0x180000031ull) } },
	{ "HOST-3", B64, .e = { SET(HOST_CR4, 0x20) } },
	{ "HOST-4", B64, .e = { OR(HOST_CR4, B(11)) } },
	/* HOST-5 (CR4.CET needs CR0.WP) cannot fail first on softvtx: it has
	 * no CET, so the CR4_FIXED1 it reports never allows CR4.CET
	 * (vmx-capabilities.md §7, matched to CPUID), even under a profile
	 * that does, and HOST-4 comes first. */
	{ "HOST-4", B64, .e = { OR(HOST_CR4, B(23)) }, .p = { POR(CR4_FIXED1, B(23)) } },
	{ "HOST-4", B64, .e = { OR(HOST_CR4, B(23)) } },
	{ "HOST-6", B64, .e = { SET(HOST_CR3, 1ull << 40) } },
	{ "HOST-7", B64, .e = { SET(HOST_IA32_SYSENTER_ESP, NONCANON) } },
	{ "HOST-8", B64, .e = { SET(HOST_IA32_SYSENTER_EIP, NONCANON) } },
	{ "HOST-9", B64, .e = { OR(EXIT_CONTROLS, B(28)), SET(HOST_SSP, 2) },
	  .p = { PALLOW(EXIT_CTLS, TRUE_EXIT, 28) } },
	{ "HOST-10", B64, .e = { OR(EXIT_CONTROLS, B(12)),
	                         SET(HOST_IA32_PERF_GLOBAL_CTRL, 0x10) } },
	{ "HOST-11", B64, .e = { OR(EXIT_CONTROLS, B(19)),
	                         SET(HOST_IA32_PAT, 0x0007040600070402ull) } },
	{ "HOST-11", B64, .e = { OR(EXIT_CONTROLS, B(19)),
	                         SET(HOST_IA32_PAT, 0x0807040600070406ull) } },
	{ "HOST-12", B64, .e = { OR(EXIT_CONTROLS, B(21)), SET(HOST_IA32_EFER, 0xD03) } },
	{ "HOST-13", B64, .e = { OR(EXIT_CONTROLS, B(21)), SET(HOST_IA32_EFER, 0x901) } },
	{ "HOST-14", B64, .e = { OR(EXIT_CONTROLS, B(21)), SET(HOST_IA32_EFER, 0x401) } },
	{ "HOST-15", B64, .e = { OR(EXIT_CONTROLS, B(29)), SET(HOST_IA32_PKRS, 1ull << 32) },
	  .p = { PALLOW(EXIT_CTLS, TRUE_EXIT, 29) } },
	{ "HOST-16", B64, .e = { SET(HOST_DS_SELECTOR, 0x13) } },
	{ "HOST-16", B64, .e = { SET(HOST_TR_SELECTOR, 0x2c) } },
	{ "HOST-17", B64, .e = { SET(HOST_CS_SELECTOR, 0) } },
	{ "HOST-18", B64, .e = { SET(HOST_TR_SELECTOR, 0) } },
	{ "HOST-19", B64, .e = { CLR(EXIT_CONTROLS, B(9)), CLR(ENTRY_CONTROLS, IA32E),
	                         SET(HOST_SS_SELECTOR, 0) },
	  .lma0 = true },
	{ "HOST-20", B64, .e = { SET(HOST_FS_BASE, NONCANON) } },
	{ "HOST-21", B64, .e = { SET(HOST_GS_BASE, NONCANON) } },
	{ "HOST-22", B64, .e = { SET(HOST_GDTR_BASE, NONCANON) } },
	{ "HOST-23", B64, .e = { SET(HOST_IDTR_BASE, NONCANON) } },
	{ "HOST-24", B64, .e = { SET(HOST_TR_BASE, NONCANON) } },
	{ "HOST-25", B64, .lma0 = true },
	{ "HOST-26", B64, .e = { CLR(ENTRY_CONTROLS, IA32E) }, .lma0 = true },
	{ "HOST-27", B64, .e = { CLR(EXIT_CONTROLS, B(9)) } },
	{ "HOST-29", B64, .e = { CLR(EXIT_CONTROLS, B(9)), CLR(ENTRY_CONTROLS, IA32E),
	                         OR(HOST_CR4, B(17)) },
	  .lma0 = true },
	{ "HOST-30", B64, .e = { CLR(EXIT_CONTROLS, B(9)), CLR(ENTRY_CONTROLS, IA32E),
	                         SET(HOST_RIP, 1ull << 32) },
	  .lma0 = true },
	{ "HOST-31", B64, .e = { SET(HOST_CR4, 0x2000) } },
	{ "HOST-32", B64, .e = { SET(HOST_RIP, NONCANON) } },
	{ NULL, B64, .e = { CLR(EXIT_CONTROLS, B(9)), CLR(ENTRY_CONTROLS, IA32E),
	                    SET(HOST_RIP, 0xfffff000),
	                    SET(GUEST_CR4, 0x2000), SET(GUEST_IA32_EFER, 0) }, .lma0 = true },

	/* §4.1 guest control registers and MSRs -> exit 33 */
	{ "GUEST-1", B64, .e = { SET(GUEST_CR0, 0x80000011) } },
	{ "GUEST-1", B64, .e = { SET(GUEST_CR0, 0x80000030) } },
	{ "GUEST-2", B64, .e = { SET(GUEST_CR0, 0x180000031ull) } },
	{ "GUEST-3", BREAL, .e = { SET(GUEST_CR0, 0x80000030) } },
	{ "GUEST-4", B64, .e = { OR(GUEST_CR4, B(23)) }, .p = { POR(CR4_FIXED1, B(23)) } },
	{ "GUEST-5", B64, .e = { SET(GUEST_CR4, 0x20) } },
	{ "GUEST-6", B64, .e = { OR(GUEST_CR4, B(22)) } },
	{ "GUEST-7", B64, .e = { OR(ENTRY_CONTROLS, B(2)), SET(GUEST_IA32_DEBUGCTL, B(2)) } },
	{ "GUEST-8", B64, .e = { OR(PROC2_CONTROLS, UG), SET(GUEST_CR0, 0x31) } },
	{ "GUEST-9", B64, .e = { SET(GUEST_CR4, 0x2000) } },
	{ "GUEST-10", BPAE, .e = { OR(GUEST_CR4, B(17)) } },
	{ "GUEST-11", B64, .e = { SET(GUEST_CR3, 1ull << 40) } },
	{ "GUEST-12", B64, .e = { OR(ENTRY_CONTROLS, B(2)), SET(GUEST_DR7, 0x100000400ull) } },
	{ "GUEST-13", B64, .e = { SET(GUEST_IA32_SYSENTER_ESP, NONCANON) } },
	{ "GUEST-14", B64, .e = { SET(GUEST_IA32_SYSENTER_EIP, NONCANON) } },
	{ "GUEST-15", B64, .e = { OR(ENTRY_CONTROLS, B(20)), SET(GUEST_SSP, 1) },
	  .p = { PALLOW(ENTRY_CTLS, TRUE_ENTRY, 20) } },
	{ "GUEST-16", B64, .e = { OR(ENTRY_CONTROLS, B(13)),
	                          SET(GUEST_IA32_PERF_GLOBAL_CTRL, B(4)) } },
	{ "GUEST-17", B64, .e = { OR(ENTRY_CONTROLS, B(14)),
	                          SET(GUEST_IA32_PAT, 0x0007040600030406ull) } },
	{ "GUEST-18", B64, .e = { OR(ENTRY_CONTROLS, B(15)), SET(GUEST_IA32_EFER, 0xD03) } },
	{ "GUEST-19", B64, .e = { OR(ENTRY_CONTROLS, B(15)), SET(GUEST_IA32_EFER, 0x901) } },
	{ "GUEST-20", B64, .e = { OR(ENTRY_CONTROLS, B(15)), SET(GUEST_IA32_EFER, 0x401) } },
	{ "GUEST-20", BPAE, .e = { OR(ENTRY_CONTROLS, B(15)), SET(GUEST_IA32_EFER, 0x101) } },
	{ NULL, BREAL, .e = { OR(ENTRY_CONTROLS, B(15)), SET(GUEST_IA32_EFER, 0x101) } },
	{ "GUEST-21", B64, .e = { OR(ENTRY_CONTROLS, B(16)), SET(GUEST_IA32_BNDCFGS, 4) },
	  .p = { PALLOW(ENTRY_CTLS, TRUE_ENTRY, 16) } },
	{ "GUEST-23", B64, .e = { OR(ENTRY_CONTROLS, B(22)), SET(GUEST_IA32_PKRS, 1ull << 32) },
	  .p = { PALLOW(ENTRY_CTLS, TRUE_ENTRY, 22) } },

	/* §4.2 guest segment registers */
	{ "GUEST-24", B64, .e = { SET(GUEST_TR_SELECTOR, 0x2c) } },
	{ "GUEST-25", B64, .e = { SET(GUEST_LDTR_SELECTOR, 0x4c), SET(GUEST_LDTR_AR_BYTES, 0x82),
	                          SET(GUEST_LDTR_LIMIT, 0xffff) } },
	{ "GUEST-26", B64, .e = { SET(GUEST_SS_SELECTOR, 0x13) } },
	{ "GUEST-27", BV86, .e = { SET(GUEST_DS_BASE, 0x10) } },
	{ "GUEST-28", B64, .e = { SET(GUEST_TR_BASE, NONCANON) } },
	{ "GUEST-29", B64, .e = { SET(GUEST_FS_BASE, NONCANON) } },
	{ "GUEST-30", B64, .e = { SET(GUEST_GS_BASE, NONCANON) } },
	{ "GUEST-31", B64, .e = { SET(GUEST_LDTR_SELECTOR, 0x48), SET(GUEST_LDTR_AR_BYTES, 0x82),
	                          SET(GUEST_LDTR_LIMIT, 0xffff), SET(GUEST_LDTR_BASE, NONCANON) } },
	{ "GUEST-32", B64, .e = { SET(GUEST_CS_BASE, 1ull << 32) } },
	{ "GUEST-33", B64, .e = { SET(GUEST_DS_BASE, 1ull << 32) } },
	{ "GUEST-33", B64, .e = { SET(GUEST_SS_BASE, 1ull << 32) } },
	{ "GUEST-34", BV86, .e = { SET(GUEST_FS_LIMIT, 0xfffff) } },
	{ "GUEST-35", BV86, .e = { SET(GUEST_GS_AR_BYTES, 0xFB) } },
	{ "GUEST-35", BV86, .e = { SET(GUEST_CS_AR_BYTES, 0x100F3) } },
	{ "GUEST-36", B64, .e = { SET(GUEST_CS_AR_BYTES, 0xA093) } },
	{ "GUEST-36", B64, .e = { SET(GUEST_CS_AR_BYTES, 0xA09A) } },
	{ "GUEST-37", B64, .e = { SET(GUEST_SS_AR_BYTES, 0xC09B) } },
	{ "GUEST-38", B64, .e = { SET(GUEST_DS_AR_BYTES, 0xC092) } },
	{ "GUEST-39", B64, .e = { SET(GUEST_ES_AR_BYTES, 0xC099) } },
	{ "GUEST-40", B64, .e = { SET(GUEST_FS_AR_BYTES, 0xC083) } },
	{ "GUEST-40", B64, .e = { SET(GUEST_CS_AR_BYTES, 0x1A08B) } },
	{ "GUEST-41", BREAL, .e = { SET(GUEST_CS_AR_BYTES, 0xF3) } },
	{ "GUEST-42", B64, .e = { SET(GUEST_CS_AR_BYTES, 0xA0FB) } },
	/* A null SS at CPL 0 (unusable) is fine, but its DPL still counts. */
	{ NULL, B64, .e = { SET(GUEST_SS_SELECTOR, 0), SET(GUEST_SS_AR_BYTES, 0x10000) } },
	{ "GUEST-42", B64, .e = { SET(GUEST_SS_SELECTOR, 0), SET(GUEST_SS_AR_BYTES, 0x10060) } },
	{ "GUEST-43", B64, .e = { SET(GUEST_CS_AR_BYTES, 0xA0FF) } },
	{ "GUEST-44", B64, .e = { SET(GUEST_CS_AR_BYTES, 0xA09F),
	                          SET(GUEST_SS_AR_BYTES, 0xC0F3) } },
	{ "GUEST-45", BREAL, .e = { SET(GUEST_CS_AR_BYTES, 0x9F), SET(GUEST_SS_AR_BYTES, 0xF3) } },
	{ "GUEST-46", B64, .e = { SET(GUEST_DS_SELECTOR, 0x13) } },
	{ "GUEST-47", B64, .e = { SET(GUEST_GS_AR_BYTES, 0xC013) } },
	{ "GUEST-48", B64, .e = { SET(GUEST_DS_AR_BYTES, 0xC193) } },
	{ "GUEST-49", B64, .e = { SET(GUEST_CS_AR_BYTES, 0xE09B) } },
	{ "GUEST-50", B64, .e = { SET(GUEST_DS_LIMIT, 0xffff0) } },
	{ "GUEST-50", B64, .e = { SET(GUEST_SS_LIMIT, 0x100000), SET(GUEST_SS_AR_BYTES, 0x4093) } },
	{ "GUEST-51", B64, .e = { SET(GUEST_ES_AR_BYTES, 0x2C093) } },
	{ "GUEST-52", B64, .e = { SET(GUEST_TR_AR_BYTES, 0x89) } },
	{ "GUEST-52", B64, .e = { SET(GUEST_TR_AR_BYTES, 0x83) } },
	{ "GUEST-53", B64, .e = { SET(GUEST_TR_AR_BYTES, 0x9B) } },
	{ "GUEST-54", B64, .e = { SET(GUEST_TR_AR_BYTES, 0x0B) } },
	{ "GUEST-55", B64, .e = { SET(GUEST_TR_AR_BYTES, 0x18B) } },
	{ "GUEST-56", B64, .e = { SET(GUEST_TR_AR_BYTES, 0x808B) } },
	{ "GUEST-57", B64, .e = { SET(GUEST_TR_AR_BYTES, 0x1008B) } },
	{ "GUEST-58", B64, .e = { SET(GUEST_TR_AR_BYTES, 0x2008B) } },
	{ "GUEST-59", B64, .e = { SET(GUEST_LDTR_SELECTOR, 0x48), SET(GUEST_LDTR_AR_BYTES, 0x83),
	                          SET(GUEST_LDTR_LIMIT, 0xffff) } },
	{ "GUEST-60", B64, .e = { SET(GUEST_LDTR_SELECTOR, 0x48), SET(GUEST_LDTR_AR_BYTES, 0x92),
	                          SET(GUEST_LDTR_LIMIT, 0xffff) } },
	{ "GUEST-61", B64, .e = { SET(GUEST_LDTR_SELECTOR, 0x48), SET(GUEST_LDTR_AR_BYTES, 0x02),
	                          SET(GUEST_LDTR_LIMIT, 0xffff) } },
	{ "GUEST-62", B64, .e = { SET(GUEST_LDTR_SELECTOR, 0x48), SET(GUEST_LDTR_AR_BYTES, 0x482),
	                          SET(GUEST_LDTR_LIMIT, 0xffff) } },
	{ "GUEST-63", B64, .e = { SET(GUEST_LDTR_SELECTOR, 0x48), SET(GUEST_LDTR_AR_BYTES, 0x82),
	                          SET(GUEST_LDTR_LIMIT, 0x100000) } },
	{ "GUEST-63", B64, .e = { SET(GUEST_LDTR_SELECTOR, 0x48), SET(GUEST_LDTR_AR_BYTES, 0x8082),
	                          SET(GUEST_LDTR_LIMIT, 0xffff0) } },
	{ "GUEST-64", B64, .e = { SET(GUEST_LDTR_SELECTOR, 0x48), SET(GUEST_LDTR_AR_BYTES, 0x40082),
	                          SET(GUEST_LDTR_LIMIT, 0xffff) } },

	/* §4.3 descriptor tables, §4.4 RIP and RFLAGS */
	{ "GUEST-65", B64, .e = { SET(GUEST_GDTR_BASE, NONCANON) } },
	{ "GUEST-66", B64, .e = { SET(GUEST_IDTR_BASE, NONCANON) } },
	{ "GUEST-67", B64, .e = { SET(GUEST_GDTR_LIMIT, 0x10000) } },
	{ "GUEST-68", B64, .e = { SET(GUEST_IDTR_LIMIT, 0x10000) } },
	{ "GUEST-69", BPAE, .e = { SET(GUEST_RIP, 1ull << 32) } },
	{ "GUEST-70", B64, .e = { SET(GUEST_RIP, NONCANON) } },
	{ "GUEST-71", B64, .e = { SET(GUEST_RFLAGS, 0x8002) } },
	{ "GUEST-71", B64, .e = { SET(GUEST_RFLAGS, 0x400002) } },
	{ "GUEST-72", B64, .e = { SET(GUEST_RFLAGS, 0) } },
	{ "GUEST-73", BV86, .e = { OR(ENTRY_CONTROLS, IA32E), SET(GUEST_CR4, 0x2020) } },
	{ "GUEST-73", BV86, .e = { OR(PROC2_CONTROLS, UG), SET(GUEST_CR0, 0x30) } },
	{ "GUEST-74", B64, .e = { SET(ENTRY_INTR_INFO, 0x80000020) } },

	/* §4.5 activity and interruptibility */
	{ "GUEST-75", B64, .e = { SET(GUEST_ACTIVITY_STATE, 4) } },
	{ "GUEST-75", B64, .e = { SET(GUEST_ACTIVITY_STATE, 1) }, .p = { PCLR(MISC, B(6)) } },
	{ "GUEST-76", B64, .e = { SET(GUEST_CS_SELECTOR, 0x0b), SET(GUEST_CS_AR_BYTES, 0xA0FB),
	                          SET(GUEST_SS_SELECTOR, 0x13), SET(GUEST_SS_AR_BYTES, 0xC0F3),
	                          SET(GUEST_ACTIVITY_STATE, 1) } },
	{ "GUEST-77", B64, .e = { SET(GUEST_INTERRUPTIBILITY, 1), SET(GUEST_RFLAGS, 0x202),
	                          SET(GUEST_ACTIVITY_STATE, 1) } },
	{ "GUEST-78", B64, .e = { SET(GUEST_ACTIVITY_STATE, 1),
	                          SET(ENTRY_INTR_INFO, 0x80000B0D) } },
	{ "GUEST-78", B64, .e = { SET(GUEST_ACTIVITY_STATE, 2), SET(ENTRY_INTR_INFO, 0x80000020),
	                          SET(GUEST_RFLAGS, 0x202) } },
	{ "GUEST-78", B64, .e = { SET(GUEST_ACTIVITY_STATE, 3),
	                          SET(ENTRY_INTR_INFO, 0x80000202) } },
	{ "GUEST-80", B64, .e = { SET(GUEST_INTERRUPTIBILITY, B(5)) } },
	{ "GUEST-80", B64, .e = { SET(GUEST_INTERRUPTIBILITY, B(4)) } },
	{ "GUEST-81", B64, .e = { SET(GUEST_INTERRUPTIBILITY, 3), SET(GUEST_RFLAGS, 0x202) } },
	{ "GUEST-82", B64, .e = { SET(GUEST_INTERRUPTIBILITY, 1) } },
	{ "GUEST-83", B64, .e = { SET(GUEST_INTERRUPTIBILITY, 2), SET(GUEST_RFLAGS, 0x202),
	                          SET(ENTRY_INTR_INFO, 0x80000020) } },
	{ "GUEST-84", B64, .e = { SET(GUEST_INTERRUPTIBILITY, 2),
	                          SET(ENTRY_INTR_INFO, 0x80000202) } },
	{ "GUEST-85", B64, 3, .e = { SET(GUEST_INTERRUPTIBILITY, 1), SET(GUEST_RFLAGS, 0x202),
	                             SET(ENTRY_INTR_INFO, 0x80000202) } },
	{ "GUEST-86", B64, .e = { SET(GUEST_INTERRUPTIBILITY, 4) } },
	{ "GUEST-88", B64, .e = { SET(PIN_CONTROLS, PIN_BASE | B(3) | B(5)),
	                          SET(GUEST_INTERRUPTIBILITY, 8),
	                          SET(ENTRY_INTR_INFO, 0x80000202) } },
	{ "GUEST-90", B64, .e = { SET(GUEST_PENDING_DBG_EXCEPTIONS, 0x10) } },
	{ "GUEST-90", B64, .e = { SET(GUEST_PENDING_DBG_EXCEPTIONS, B(16) | B(12)) } },
	{ "GUEST-90", B64, .e = { SET(GUEST_PENDING_DBG_EXCEPTIONS, B(17)) } },
	{ "GUEST-91", B64, .e = { SET(GUEST_INTERRUPTIBILITY, 2), SET(GUEST_RFLAGS, 0x102) } },
	{ "GUEST-91", B64, .e = { SET(GUEST_ACTIVITY_STATE, 1), SET(GUEST_RFLAGS, 0x102) } },
	{ "GUEST-92", B64, .e = { SET(GUEST_INTERRUPTIBILITY, 2),
	                          SET(GUEST_PENDING_DBG_EXCEPTIONS, 0x4000) } },
	{ "GUEST-92", B64, .e = { SET(GUEST_INTERRUPTIBILITY, 2), SET(GUEST_RFLAGS, 0x102),
	                          OR(ENTRY_CONTROLS, B(2)),
	                          SET(GUEST_IA32_DEBUGCTL, 2),
	                          SET(GUEST_PENDING_DBG_EXCEPTIONS, 0x4000) } },
	{ NULL, B64, .e = { SET(GUEST_PENDING_DBG_EXCEPTIONS, 0x4000 | 0x100f) } },

	/* VMCS link pointer -> qualification 4 */
	{ "GUEST-94", B64, 4, .e = { SET(VMCS_LINK_POINTER, LINK_PA + 8) } },
	{ "GUEST-95", B64, 4, .e = { SET(VMCS_LINK_POINTER, 1ull << 40) } },
	{ "GUEST-96", B64, 4, .e = { SET(VMCS_LINK_POINTER, LINK_PA) },
	  .m = { { LINK_PA, 4, 0x2C } } },
	{ "GUEST-97", B64, 4, .e = { SET(VMCS_LINK_POINTER, LINK_PA) },
	  .m = { { LINK_PA, 4, 0x8000002B } } },
	{ "GUEST-97", B64, 4, .e = { OR(PROC2_CONTROLS, B(14)), SET(VMREAD_BITMAP, 0xb000),
	                             SET(VMWRITE_BITMAP, 0xc000), SET(VMCS_LINK_POINTER, LINK_PA) },
	  .m = { { LINK_PA, 4, 0x2B } } },
	{ "GUEST-98", B64, 4, .e = { SET(VMCS_LINK_POINTER, LINK_PA) },
	  .m = { { LINK_PA, 4, 0x2B } }, .current = LINK_PA },

	/* §4.6 PDPTEs -> qualification 2 */
	{ "GUEST-100", BPAE, 2, .e = { SET(GUEST_PDPTE1, 0x21007) } },
	{ "GUEST-100", BPAE, 2, .e = { SET(GUEST_PDPTE3, 0x22001 | B(40)) } },
	{ "GUEST-100", BPAE, 2, .e = { SET(GUEST_PDPTE0, 0x20101) } },
	{ "GUEST-101", BPAE_NOEPT, 2, .m = { { PDPT_PA + 24, 8, 0x22021 } } },
	{ "GUEST-101", BPAE_NOEPT, 2, .m = { { PDPT_PA, 8, 0x20001 | B(63) } } },

	/* Two faults: the earlier check in the spec's order is reported. */
	{ "CTL-8", B64, .e = { SET(VPID, 0), SET(CR3_TARGET_COUNT, 5) } },
	{ "HOST-1", B64, .e = { SET(HOST_RIP, NONCANON), SET(HOST_CR0, 0x80000011) } },
	{ "GUEST-5", B64, .e = { SET(GUEST_RFLAGS, 0), SET(GUEST_CR4, 0x20) } },
	{ "GUEST-94", BPAE, 4, .e = { SET(GUEST_PDPTE1, 0x21007), SET(VMCS_LINK_POINTER, 0x123) } },
};

/* --- Running a case -------------------------------------------------- */
static uint64_t edit(enum op op, uint64_t old, uint64_t val)
{
	return op == E_SET ? val : op == E_OR ? old | val : old & ~val;
}

static struct vmx_profile case_prof;
static bool exercised[512];

static void apply(struct tm *tm, const struct ecase *c)
{
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;

	spec_profile(&case_prof);
	case_prof.nmi_inject_sti_fails = !c->sti_nmi_ok;
	for (unsigned i = 0; i < 4 && c->p[i].op; i++) {
		uint64_t *m = &case_prof.msr[c->p[i].msr - VMX_MSR_FIRST];

		case_prof.msr_present[c->p[i].msr - VMX_MSR_FIRST] = true;
		*m = edit(c->p[i].op, *m, c->p[i].val);
	}
	vmx_set_profile(v, &case_prof);
	tm_write(tm, LINK_PA, 4, 0);
	tm_write(tm, VAPIC_PA + 0x80, 1, 0);
	load_base(tm, c->base);
	for (unsigned i = 0; i < 8 && c->e[i].op; i++) {
		uint64_t x = v->vmcs.val[c->e[i].f];

		x = edit(c->e[i].op, x, c->e[i].val);
		vmcs_set_idx(v, c->e[i].f, x);
	}
	for (unsigned i = 0; i < 2 && c->m[i].size; i++)
		tm_write(tm, c->m[i].gpa, c->m[i].size, c->m[i].val);
	cpu->efer = c->lma0 ? 0 : EFER_LME | EFER_LMA;
	v->current_vmcs = c->current ? c->current : VMCS_NONE;
}

/* Which group an ID belongs to, i.e. its outcome: 7, 8 or exit 33. */
static int group_of(const char *id)
{
	if (!id)
		return 0;
	if (!strncmp(id, "CTL-", 4))
		return 1;
	if (!strncmp(id, "HOST-", 5))
		return 2;
	return 3;
}

/* Does checks_*.c report this ID (checks.def: no note, or a note that
 * starts with "implemented")? */
static bool reported_here(const struct vmentry_check_info *ci)
{
	return !ci->note || !strncmp(ci->note, "implemented", 11);
}

static void mark(const char *id)
{
	for (size_t i = 0; i < vmentry_check_count; i++)
		if (!strcmp(vmentry_check_table[i].id, id))
			exercised[i] = true;
}

/* The diagnostic: "ID: <rule> (<values>)", the rule from the table, not
 * truncated. */
static void check_text(const struct vmx_diag *d)
{
	const struct vmentry_check_info *ci = vmentry_check_find(d->id);
	char prefix[200];
	size_t n = strlen(d->text);

	assert_non_null(ci);
	snprintf(prefix, sizeof(prefix), "%s: %s (", ci->id, ci->rule);
	assert_memory_equal(d->text, prefix, strlen(prefix));
	assert_true(n > strlen(prefix) + 1 && n < sizeof(d->text) - 1);
	assert_int_equal(d->text[n - 1], ')');
}

static bool run_case(struct tm *tm, size_t k)
{
	const struct ecase *c = &cases[k];
	struct vmx_diag d = { "", "" };
	uint64_t qual = 99;
	int want = group_of(c->expect), got;

	apply(tm, c);
	if (!vmentry_check_controls(tm->cpu, &d))
		got = 1;                      /* VMfailValid(7) */
	else if (!vmentry_check_host(tm->cpu, &d))
		got = 2;                      /* VMfailValid(8) */
	else if (!vmentry_check_guest(tm->cpu, &d, &qual))
		got = 3;                      /* exit 33, qual */
	else
		got = 0;
	if (got != want || (want && strcmp(d.id, c->expect)) || (want == 3 && qual != c->qual) ||
	    (want == 0 && qual != 0)) {
		print_error("case %zu: expected %s (qual %llu), got group %d: %s (qual %llu)\n", k,
		            c->expect ? c->expect : "pass", (unsigned long long)c->qual, got,
		            got ? d.text : "pass", (unsigned long long)qual);
		return false;
	}
	if (want) {
		check_text(&d);
		mark(d.id);
	}
	return true;
}

static int setup(void **state)
{
	*state = tm_new(TM_LONG64);
	return 0;
}

static int teardown(void **state)
{
	tm_free(*state);
	return 0;
}

static void every_case(void **state)
{
	struct tm *tm = *state;
	size_t bad = 0, n = sizeof(cases) / sizeof(cases[0]);

	for (size_t k = 0; k < n; k++)
		bad += !run_case(tm, k);
	print_message("%zu cases, %zu wrong\n", n, bad);
	assert_int_equal(bad, 0);
}

/* Runs last: how many of the IDs checks_*.c can report this test made
 * fail, and which not. */
static void coverage_report(void **state)
{
	size_t n = 0, total = 0;

	(void)state;
	for (size_t i = 0; i < vmentry_check_count; i++) {
		const struct vmentry_check_info *ci = &vmentry_check_table[i];

		if (!reported_here(ci))
			continue;
		total++;
		n += exercised[i];
		if (!exercised[i])
			print_message("not exercised: %s\n", ci->id);
	}
	print_message("check IDs exercised by this test: %zu of %zu reported by checks_*.c\n", n,
	              total);
	assert_true(n > 0);
}

/* The diagnostic reads "ID: rule (values)", e.g. the issue's
 * "GUEST-12: CR0.PG=1 requires CR0.PE=1 (guest CR0=..., unrestricted
 * guest=0)" (that rule is GUEST-3 in the spec). */
static void diagnostic_texts(void **state)
{
	static const struct ecase g3 = { "GUEST-3", BREAL, .e = { SET(GUEST_CR0, 0x80000030) } };
	static const struct ecase c26 = { "CTL-26", B64, .e = { SET(EPT_POINTER, 0x5019) } };
	struct tm *tm = *state;
	struct vmx_diag d;
	uint64_t qual;

	apply(tm, &g3);
	assert_true(vmentry_check_controls(tm->cpu, &d) && vmentry_check_host(tm->cpu, &d));
	assert_false(vmentry_check_guest(tm->cpu, &d, &qual));
	assert_string_equal(d.id, "GUEST-3");
	assert_string_equal(d.text, "GUEST-3: guest CR0.PG=1 requires CR0.PE=1 "
	                            "(guest CR0=0x80000030, unrestricted guest=1)");
	assert_int_equal(qual, 0);
	apply(tm, &c26);
	assert_false(vmentry_check_controls(tm->cpu, &d));
	assert_string_equal(d.text, "CTL-26: EPTP memory type must be UC (0) or WB (6) and allowed "
	                            "by IA32_VMX_EPT_VPID_CAP (EPTP=0x5019, memory type 1, "
	                            "EPT_VPID_CAP=0xf0106734141)");
}

/* The outcome of each group through VM entry itself (entry.c calls the
 * checks): VMfailValid(7) and (8) with ZF, exit 33 and 34 with bit 31 and
 * the qualification; an MSR-load failure keeps the MSRs loaded before it
 * (vm-entry-checks.md §6, §8). */
static void outcomes_through_vmentry(void **state)
{
	static const struct ecase ctl = { "CTL-26", B64, .e = { SET(EPT_POINTER, 0x5019) } };
	static const struct ecase host = { "HOST-17", B64, .e = { SET(HOST_CS_SELECTOR, 0) } };
	static const struct ecase guest = { "GUEST-94", B64, 4,
	                                    .e = { SET(VMCS_LINK_POINTER, LINK_PA + 8) } };
	static const struct ecase msr = { "MSR-2", B64,
	                                  .e = { SET(ENTRY_MSR_LOAD_COUNT, 2),
	                                         SET(ENTRY_MSR_LOAD_ADDR, 0x9000) } };
	struct tm *tm = *state;
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;

	v->op = VMX_ROOT;
	apply(tm, &ctl);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_OK);
	assert_int_equal(VMCS_GET(v, VM_INSTRUCTION_ERROR), 7);
	assert_true(flags_read(cpu) & RFLAGS_ZF);
	assert_string_equal(v->last_fail.id, "CTL-26");

	apply(tm, &host);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_OK);
	assert_int_equal(VMCS_GET(v, VM_INSTRUCTION_ERROR), 8);
	assert_string_equal(v->last_fail.id, "HOST-17");

	apply(tm, &guest);
	v->op = VMX_ROOT;
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_VMEXIT);
	assert_int_equal(VMCS_GET(v, EXIT_REASON), 0x80000021);
	assert_int_equal(VMCS_GET(v, EXIT_QUALIFICATION), 4);
	assert_string_equal(v->last_fail.id, "GUEST-94");

	/* Entry 1 loads IA32_PAT, entry 2 (IA32_FS_BASE) fails MSR-2. */
	apply(tm, &msr);
	v->op = VMX_ROOT;
	tm_write(tm, 0x9000, 8, 0x277);
	tm_write(tm, 0x9008, 8, 0x0006040600060406ull);
	tm_write(tm, 0x9010, 8, 0xC0000100);
	tm_write(tm, 0x9018, 8, 0);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_VMEXIT);
	assert_int_equal(VMCS_GET(v, EXIT_REASON), 0x80000022);
	assert_int_equal(VMCS_GET(v, EXIT_QUALIFICATION), 2);
	assert_string_equal(v->last_fail.id, "MSR-2");
	assert_int_equal(cpu->pat, 0x0006040600060406ull);

	/* MSR-6: WRMSR of IA32_PAT with the reserved memory type 2. */
	apply(tm, &msr);
	v->op = VMX_ROOT;
	tm_write(tm, 0x9008, 8, 0x0006040600060402ull);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_VMEXIT);
	assert_int_equal(VMCS_GET(v, EXIT_REASON), 0x80000022);
	assert_int_equal(VMCS_GET(v, EXIT_QUALIFICATION), 1);
	assert_string_equal(v->last_fail.id, "MSR-6");
}

/* The built-in default profile (profile.c) accepts the 64-bit VMCS too:
 * it is the spec's profile. */
static void builtin_profile_accepts_good_vmcs(void **state)
{
	struct tm *tm = *state;
	struct vmx_diag d = { "", "" };
	uint64_t qual = 99;

	apply(tm, &cases[0]);
	vmx_set_profile(tm->cpu->vmx, &vmx_profiles[0]);
	assert_true(vmentry_check_controls(tm->cpu, &d));
	assert_true(vmentry_check_host(tm->cpu, &d));
	assert_true(vmentry_check_guest(tm->cpu, &d, &qual));
	assert_int_equal(qual, 0);
}

/* MSR-1..7 (§6): the per-entry predicate and the MSR-6 explanation. */
static void msr_entries(void **state)
{
	static const struct {
		const char *expect;
		uint32_t msr, rsvd;
		unsigned index1;
		bool x2apic;
	} t[] = {
		{ NULL, 0x277, 0, 1, false },           /* IA32_PAT */
		{ NULL, 0xC0000080, 0, 2, false },      /* EFER may be loaded */
		{ "MSR-1", 0x277, 1, 3, false },
		{ "MSR-1", 0x277, 0x80000000u, 3, false },
		{ "MSR-2", 0xC0000100, 0, 1, false },
		{ "MSR-2", 0xC0000101, 0, 1, false },
		{ NULL, 0xC0000102, 0, 1, false },      /* KERNEL_GS_BASE is fine */
		{ "MSR-3", 0x9B, 0, 1, false },
		{ "MSR-4", 0x808, 0, 1, true },
		{ "MSR-4", 0x8FF, 0, 1, true },
		{ NULL, 0x808, 0, 1, false },           /* xAPIC mode: WRMSR decides */
		{ NULL, 0x900, 0, 1, true },
		{ "MSR-5", 0x79, 0, 1, false },
		{ "MSR-5", 0x8B, 0, 1, false },
		{ NULL, 0x277, 0, 512, false },
		{ "MSR-7", 0x277, 0, 513, false },
	};
	struct tm *tm = *state;
	struct vmx_diag d;

	spec_profile(&case_prof);
	vmx_set_profile(tm->cpu->vmx, &case_prof);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok;

		tm->cpu->apic_base = 0xFEE00900ull | (t[i].x2apic ? B(10) : 0);
		memset(&d, 0, sizeof(d));
		ok = vmentry_check_msr_entry(tm->cpu, t[i].msr, t[i].rsvd, 6, t[i].index1, &d);
		if (ok != !t[i].expect || (t[i].expect && strcmp(d.id, t[i].expect))) {
			print_error("msr case %zu: expected %s, got %s\n", i,
			            t[i].expect ? t[i].expect : "ok",
			            ok ? "ok" : d.text);
			fail();
		}
		if (t[i].expect) {
			char idx[16];

			check_text(&d);
			snprintf(idx, sizeof(idx), "entry %u", t[i].index1);
			assert_non_null(strstr(d.text, idx));
			mark(d.id);
		}
	}
	/* MSR-7's limit follows IA32_VMX_MISC[27:25]: 512 * (1 + 1). */
	case_prof.msr[MSR_IA32_VMX_MISC - VMX_MSR_FIRST] |= 1ull << 25;
	assert_true(vmentry_check_msr_entry(tm->cpu, 0x277, 0, 6, 1024, &d));
	assert_false(vmentry_check_msr_entry(tm->cpu, 0x277, 0, 6, 1025, &d));
	assert_string_equal(d.id, "MSR-7");
	vmentry_msr_write_failed(0x277, 0x0202020202020202ull, 7, &d);
	assert_string_equal(d.id, "MSR-6");
	check_text(&d);
	assert_non_null(strstr(d.text, "entry 7"));
	assert_non_null(strstr(d.text, "0x277"));
	mark("MSR-6");
}

/* "CTL-26": a group prefix, '-', then only digits. */
static bool is_check_id(const char *id)
{
	static const char *const prefix[] = { "BASIC-", "CTL-", "HOST-", "GUEST-", "MSR-" };

	for (unsigned g = 0; g < 5; g++) {
		size_t n = strlen(prefix[g]);

		if (strncmp(id, prefix[g], n) == 0 && id[n])
			return strspn(id + n, "0123456789") == strlen(id + n);
	}
	return false;
}

/* vmentry_check_table lists exactly the spec's IDs in the spec's order:
 * against shared/spec/vm-entry-checks.md when it is there, and always
 * against the group counts of its §9. */
static void table_matches_spec(void **state)
{
	static const struct { const char *prefix; unsigned n; } groups[] = {
		{ "BASIC-", 8 }, { "CTL-", 63 }, { "HOST-", 32 }, { "GUEST-", 102 }, { "MSR-", 7 },
	};
	char path[4096], line[2048];
	const char *env = getenv("SOFTVTX_SPEC_DIR");
	size_t k = 0, noted = 0;
	FILE *f;

	(void)state;
	assert_int_equal(vmentry_check_count, 212);
	for (unsigned g = 0; g < 5; g++)
		for (unsigned i = 1; i <= groups[g].n; i++, k++) {
			char id[16];

			snprintf(id, sizeof(id), "%s%u", groups[g].prefix, i);
			assert_string_equal(vmentry_check_table[k].id, id);
			assert_true(strlen(vmentry_check_table[k].rule) > 10);
			assert_true(strlen(vmentry_check_table[k].rule) < 130);
			noted += !reported_here(&vmentry_check_table[k]);
		}
	/* Not reported by checks_*.c: BASIC-1..8 (insn.c), GUEST-102 (cannot
	 * fail), GUEST-22 and GUEST-99 (left out). */
	assert_int_equal(noted, 8 + 1 + 2);

	if (env) {
		snprintf(path, sizeof(path), "%s/vm-entry-checks.md", env);
	} else {
		char src[4096];

		snprintf(src, sizeof(src), "%s", __FILE__);
		snprintf(path, sizeof(path), "%s/../../../shared/spec/vm-entry-checks.md",
		         dirname(src));
	}
	f = fopen(path, "r");
	if (!f) {
		print_message("skipped the cross-check with the spec: %s not found\n", path);
		return;
	}
	k = 0;
	while (fgets(line, sizeof(line), f)) {
		char id[32];

		/* Check rows start with "| <GROUP>-<n> |". */
		if (sscanf(line, "| %31s |", id) != 1 || !is_check_id(id))
			continue;
		assert_true(k < vmentry_check_count);
		if (strcmp(vmentry_check_table[k].id, id)) {
			print_error("table row %zu is %s, the spec's is %s\n", k,
			            vmentry_check_table[k].id, id);
			fail();
		}
		k++;
	}
	fclose(f);
	assert_int_equal(k, vmentry_check_count);
	print_message("table cross-checked with %s: %zu IDs\n", path, k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_matches_spec),
		cmocka_unit_test_setup_teardown(every_case, setup, teardown),
		cmocka_unit_test_setup_teardown(diagnostic_texts, setup, teardown),
		cmocka_unit_test_setup_teardown(outcomes_through_vmentry, setup, teardown),
		cmocka_unit_test_setup_teardown(builtin_profile_accepts_good_vmcs, setup, teardown),
		cmocka_unit_test_setup_teardown(msr_entries, setup, teardown),
		cmocka_unit_test(coverage_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
