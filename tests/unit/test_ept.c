/* EPT and the tagged TLB (shared/spec/ept.md, SDM Vol. 3C §28.2-§28.3):
 * the walk with 4K, 2M and 1G pages; every misconfiguration condition
 * (EPTMC-1..5) and violation kind (EPTV-1..5) with the exact exit
 * qualification of Table 27-7 (ept.md §6, worked examples); A/D flags and
 * PML; execute-only and mode-based execute; #VE; the PDPTE registers;
 * TLB contexts across VM entry and exit, INVEPT and INVVPID.
 *
 * The cpu is put in non-root operation by hand: VMCS fields set in the
 * cache, cpu->vmx_nonroot = true, ept_context_enter().  Expected values
 * come from the spec's tables, never from softvtx's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cpu/access.h"
#include "cpu/cr.h"
#include "cpu/mmu.h"
#include "cpu/ops.h"
#include "fakebus.h"
#include "vmx/ept.h"
#include "vmx/exit.h"
#include "vmx/profile.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

/* EPT paging structures (host-physical):
 *   PML4[0] -> PDPT;  PDPT[0] -> PD;  PDPT[1..3] unused
 *   PD[0] -> PT  (GPA 0-2M in 4K pages, identity)
 *   PD[2] -> PT2 (GPA 4-6M in 4K pages, identity)
 *   PD[1], PD[3..7]: identity 2M pages */
#define EPT_PML4  0xa00000ull
#define EPT_PDPT  0xa01000ull
#define EPT_PD    0xa02000ull
#define EPT_PT    0xa03000ull
#define EPT_PT2   0xa04000ull
#define EPT_PML4B 0xa05000ull   /* a second EPTRTA with the same tables */
#define RWX       7ull
#define MT_WB     (6ull << 3)
#define PS        (1ull << 7)
#define EA        (1ull << 8)
#define ED        (1ull << 9)
#define UX        (1ull << 10)
#define EPTP      (EPT_PML4 | (3ull << 3) | 6)
#define EPTP_AD   (1ull << 6)

#define PROC_SECONDARY (1u << 31)
#define PROC2_EPT  (1u << 1)
#define PROC2_VPID (1u << 5)
#define PROC2_PML  (1u << 17)
#define PROC2_VE   (1u << 18)
#define PROC2_MBE  (1u << 22)

/* Guest paging (guest-physical = host-physical under the identity EPT):
 * 4-level, linear 0x400000-0x5FFFFF supervisor and writable in 4K pages,
 * 0x600000-0x7FFFFF user, writable and execute-disable. */
#define G_PML4  0x30000ull
#define G_PDPT  0x31000ull
#define G_PD    0x32000ull
#define G_PT    0x33000ull
#define G_PTU   0x34000ull

static struct vmx_profile prof;  /* a modified copy, for EPTMC-2/4 */

static void ept_build(struct tm *tm)
{
	tm_write(tm, EPT_PML4, 8, EPT_PDPT | RWX);
	tm_write(tm, EPT_PML4B, 8, EPT_PDPT | RWX);
	tm_write(tm, EPT_PDPT, 8, EPT_PD | RWX);
	tm_write(tm, EPT_PD + 0, 8, EPT_PT | RWX);
	tm_write(tm, EPT_PD + 16, 8, EPT_PT2 | RWX);
	for (uint64_t i = 0; i < 8; i++)
		if (i != 0 && i != 2)
			tm_write(tm, EPT_PD + 8 * i, 8, (i << 21) | PS | MT_WB | RWX);
	for (uint64_t i = 0; i < 512; i++) {
		tm_write(tm, EPT_PT + 8 * i, 8, (i << 12) | MT_WB | RWX);
		tm_write(tm, EPT_PT2 + 8 * i, 8, (0x400000 + (i << 12)) | MT_WB | RWX);
	}
}

/* The EPT PTE that maps guest-physical page `gpa` (0-2M or 4-6M). */
static uint64_t pte_at(uint64_t gpa)
{
	return (gpa < 0x200000 ? EPT_PT : EPT_PT2) + 8 * ((gpa >> 12) & 511);
}

static void vmcs_nonroot(struct cpu *cpu, uint32_t proc2, uint64_t eptp, uint16_t vpid)
{
	struct vmx *v = cpu->vmx;

	VMCS_SET(v, PROC_CONTROLS, PROC_SECONDARY);
	VMCS_SET(v, PROC2_CONTROLS, proc2);
	VMCS_SET(v, EPT_POINTER, eptp);
	VMCS_SET(v, VPID, vpid);
}

static void enter(struct cpu *cpu)
{
	cpu->vmx_nonroot = true;
	ept_context_enter(cpu);
}

static void leave(struct cpu *cpu)
{
	ept_context_exit(cpu);
	cpu->vmx_nonroot = false;
}

/* A 32-bit protected-mode guest with paging off and the identity EPT. */
static struct tm *guest_unpaged(uint32_t proc2_extra, uint64_t eptp_extra)
{
	struct tm *tm = tm_new(TM_PROT32);

	ept_build(tm);
	vmcs_nonroot(tm->cpu, PROC2_EPT | proc2_extra, EPTP | eptp_extra, 0);
	enter(tm->cpu);
	return tm;
}

/* The same guest with 4-level paging on (see G_*). */
static struct tm *guest_paged(uint32_t proc2_extra, uint64_t eptp_extra)
{
	struct tm *tm = guest_unpaged(proc2_extra, eptp_extra);
	struct cpu *cpu = tm->cpu;

	tm_write(tm, G_PML4, 8, G_PDPT | PTE_P | PTE_W | PTE_U);
	tm_write(tm, G_PDPT, 8, G_PD | PTE_P | PTE_W | PTE_U);
	tm_write(tm, G_PD + 16, 8, G_PT | PTE_P | PTE_W);
	tm_write(tm, G_PD + 24, 8, G_PTU | PTE_P | PTE_W | PTE_U);
	for (uint64_t i = 0; i < 512; i++) {
		tm_write(tm, G_PT + 8 * i, 8,
		         (0x400000 + (i << 12)) | PTE_P | PTE_W | PTE_A | PTE_D);
		tm_write(tm, G_PTU + 8 * i, 8,
		         (0x600000 + (i << 12)) | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_XD);
	}
	cpu->cr3 = G_PML4;
	cpu->cr4 = CR4_PAE;
	cpu->efer = EFER_LME | EFER_LMA | EFER_NXE;
	cpu->cr0 |= CR0_PG;
	cpu_update_mode(cpu);
	tlb_flush_all(cpu);
	return tm;
}

static uint64_t xlate(struct cpu *cpu, uint64_t gpa, enum acc_kind k)
{
	uint64_t hpa = ~0ull;

	assert_int_equal(ept_translate(cpu, gpa, k, 0, 0, &hpa), X_OK);
	return hpa;
}

/* Expect a pending VM exit with this reason, qualification and GPA. */
static void expect_exit(struct cpu *cpu, int st, uint32_t reason, uint64_t qual, uint64_t gpa)
{
	assert_int_equal(st, X_FAULT);
	assert_int_equal(cpu->fault.vector, VMX_FAULT_VMEXIT);
	assert_int_equal(cpu->vmx->pending_exit_reason, reason);
	assert_int_equal(cpu->vmx->pending_exit_qual, qual);
	assert_int_equal(VMCS_GET(cpu->vmx, GUEST_PHYSICAL_ADDRESS), gpa);
}

static int host_xlate(struct cpu *cpu, uint64_t gla, enum acc_kind k, uint64_t *hpa)
{
	cpu->vmx->pending_exit_reason = 0;
	cpu->vmx->pending_exit_qual = ~0ull;
	return mmu_translate_host(cpu, gla, k, 0, hpa);
}

/* --- the walk (ept.md §3) ----------------------------------------------- */

static void profile_is_reference(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);

	(void)state;
	/* vmx-capabilities.md §8.2: the values these tests assume. */
	assert_int_equal(vmx_cap(tm->cpu->vmx->profile, MSR_IA32_VMX_EPT_VPID_CAP),
	                 0x00000f0106734141ull);
	tm_free(tm);
}

static void walk_4k_2m_1g(void **state)
{
	struct tm *tm = guest_unpaged(0, 0);
	struct cpu *cpu = tm->cpu;
	uint64_t c;

	(void)state;
	tm_write(tm, pte_at(0x5000), 8, 0x600000 | MT_WB | RWX);
	tm_write(tm, EPT_PD + 24, 8, 0xe00000 | PS | MT_WB | RWX);
	tm_write(tm, EPT_PDPT + 8, 8, 0xc0000000ull | PS | MT_WB | RWX);
	c = cpu->cycles;
	assert_int_equal(xlate(cpu, 0x5123, ACC_READ), 0x600123);
	assert_int_equal(cpu->cycles - c, 4 * C_WALK_STEP);
	c = cpu->cycles;
	assert_int_equal(xlate(cpu, 0x6abcde, ACC_WRITE), 0xeabcde);
	assert_int_equal(cpu->cycles - c, 3 * C_WALK_STEP);
	c = cpu->cycles;
	assert_int_equal(xlate(cpu, 0x40012345, ACC_EXEC), 0xc0012345ull);
	assert_int_equal(cpu->cycles - c, 2 * C_WALK_STEP);
	tm_free(tm);
}

static void identity_without_ept(void **state)
{
	struct tm *tm = guest_unpaged(0, 0);
	struct cpu *cpu = tm->cpu;

	(void)state;
	tm_write(tm, pte_at(0x5000), 8, 0x600000 | MT_WB | RWX);
	assert_int_equal(xlate(cpu, 0x5123, ACC_READ), 0x600123);
	/* Root operation. */
	cpu->vmx_nonroot = false;
	assert_int_equal(xlate(cpu, 0x5123, ACC_READ), 0x5123);
	cpu->vmx_nonroot = true;
	/* "enable EPT" = 0, and "activate secondary controls" = 0. */
	VMCS_SET(cpu->vmx, PROC2_CONTROLS, 0);
	assert_int_equal(xlate(cpu, 0x5123, ACC_READ), 0x5123);
	VMCS_SET(cpu->vmx, PROC2_CONTROLS, PROC2_EPT);
	VMCS_SET(cpu->vmx, PROC_CONTROLS, 0);
	assert_int_equal(xlate(cpu, 0x5123, ACC_READ), 0x5123);
	tm_free(tm);
}

/* --- misconfigurations (ept.md §5.2) ------------------------------------ */

struct mc_case {
	const char *id;
	uint64_t at;       /* the EPT entry to replace */
	uint64_t val;
	uint64_t gpa;      /* the access */
	enum acc_kind kind;
	uint32_t reason;   /* 0: no exit, 48 or 49 */
};

static const struct mc_case mc_cases[] = {
	{ "EPTMC-1 PML4E write-only", EPT_PML4, EPT_PDPT | 2, 0x5000, ACC_READ, 49 },
	{ "EPTMC-1 PTE write+execute", EPT_PT + 40, 0x5000 | MT_WB | 6, 0x5000, ACC_EXEC, 49 },
	{ "EPTMC-3 PML4E bit 7", EPT_PML4, EPT_PDPT | RWX | PS, 0x5000, ACC_READ, 49 },
	{ "EPTMC-3 PML4E bit 3", EPT_PML4, EPT_PDPT | RWX | 8, 0x5000, ACC_READ, 49 },
	{ "EPTMC-3 PDPTE bits 6:3", EPT_PDPT, EPT_PD | RWX | 0x40, 0x5000, ACC_READ, 49 },
	{ "EPTMC-3 PDE bits 6:3", EPT_PD, EPT_PT | RWX | 0x8, 0x5000, ACC_READ, 49 },
	{ "EPTMC-3 PTE bit 40 (N = 40)", EPT_PT + 40, (1ull << 40) | 0x5000 | MT_WB | RWX, 0x5000,
	  ACC_READ, 49 },
	{ "EPTMC-3 PTE bit 51", EPT_PT + 40, (1ull << 51) | 0x5000 | MT_WB | RWX, 0x5000, ACC_READ,
	  49 },
	{ "EPTMC-3 2M page bit 12", EPT_PD + 24, 0x601000 | PS | MT_WB | RWX, 0x600000, ACC_READ,
	  49 },
	{ "EPTMC-3 2M page bit 20", EPT_PD + 24, 0x700000 | PS | MT_WB | RWX, 0x600000, ACC_READ,
	  49 },
	{ "EPTMC-3 1G page bit 12", EPT_PDPT + 8, 0x40001000 | PS | MT_WB | RWX, 0x40000000,
	  ACC_READ, 49 },
	{ "EPTMC-3 1G page bit 29", EPT_PDPT + 8, 0x60000000 | PS | MT_WB | RWX, 0x40000000,
	  ACC_READ, 49 },
	{ "EPTMC-5 leaf type 2", EPT_PT + 40, 0x5000 | (2 << 3) | RWX, 0x5000, ACC_READ, 49 },
	{ "EPTMC-5 leaf type 3", EPT_PT + 40, 0x5000 | (3 << 3) | RWX, 0x5000, ACC_READ, 49 },
	{ "EPTMC-5 leaf type 7", EPT_PD + 24, 0x600000 | PS | (7 << 3) | RWX, 0x600000, ACC_READ,
	  49 },
	/* What is not a misconfiguration. */
	{ "type 0 (UC)", EPT_PT + 40, 0x5000 | RWX, 0x5000, ACC_READ, 0 },
	{ "type 1 (WC)", EPT_PT + 40, 0x5000 | (1 << 3) | RWX, 0x5000, ACC_READ, 0 },
	{ "type 4 (WT)", EPT_PT + 40, 0x5000 | (4 << 3) | RWX, 0x5000, ACC_READ, 0 },
	{ "type 5 (WP)", EPT_PT + 40, 0x5000 | (5 << 3) | RWX, 0x5000, ACC_READ, 0 },
	{ "IPAT", EPT_PT + 40, 0x5000 | (1 << 6) | MT_WB | RWX, 0x5000, ACC_READ, 0 },
	{ "PTE bit 7 ignored", EPT_PT + 40, 0x5000 | PS | MT_WB | RWX, 0x5000, ACC_READ, 0 },
	{ "PTE bits 63:52 ignored", EPT_PT + 40, 0xfff0000000005000ull | MT_WB | RWX, 0x5000,
	  ACC_READ, 0 },
	{ "PML4E bits 11:8, 63:52 ignored", EPT_PML4, 0xfff0000000000f00ull | EPT_PDPT | RWX,
	  0x5000, ACC_READ, 0 },
	{ "execute-only with CAP[0] = 1", EPT_PT + 40, 0x5000 | MT_WB | 4, 0x5000, ACC_EXEC, 0 },
	/* §5.1: a not-present entry is never checked; §5.4: the walk stops. */
	{ "EPTV-1 not present, other bits set", EPT_PT + 40, 0xfffffffffffffff8ull, 0x5000,
	  ACC_READ, 48 },
	{ "EPTV-1 upper not present wins", EPT_PD, 0, 0x5000, ACC_READ, 48 },
};

static void misconfigurations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(mc_cases) / sizeof(mc_cases[0]); i++) {
		const struct mc_case *c = &mc_cases[i];
		struct tm *tm = guest_unpaged(0, 0);
		struct cpu *cpu = tm->cpu;
		uint64_t hpa;
		int st;

		tm_write(tm, c->at, 8, c->val);
		cpu->vmx->pending_exit_reason = 0;
		st = ept_translate(cpu, c->gpa | 0x123, c->kind, 0x9000, EPTF_GLA_VALID, &hpa);
		print_message("%s\n", c->id);
		if (c->reason == 0) {
			assert_int_equal(st, X_OK);
		} else if (c->reason == 49) {
			/* §5.2: qualification 0, the GPA being translated. */
			expect_exit(cpu, st, 49, 0, c->gpa | 0x123);
		} else {
			/* EPTV-1: bits 3-5 are 0 at a not-present entry. */
			expect_exit(cpu, st, 48, 0x181, c->gpa | 0x123);
		}
		tm_free(tm);
	}
}

/* EPTMC-2 and EPTMC-4 depend on capabilities the reference profile has:
 * take them away. */
static void misconfig_by_capability(void **state)
{
	struct tm *tm = guest_unpaged(0, 0);
	struct cpu *cpu = tm->cpu;
	uint64_t hpa, *cap;

	(void)state;
	prof = *cpu->vmx->profile;
	cap = &prof.msr[MSR_IA32_VMX_EPT_VPID_CAP - VMX_MSR_FIRST];
	vmx_set_profile(cpu->vmx, &prof);

	/* EPTMC-2: execute-only without CAP[0]. */
	tm_write(tm, pte_at(0x5000), 8, 0x5000 | MT_WB | 4);
	*cap &= ~1ull;
	expect_exit(cpu, ept_translate(cpu, 0x5000, ACC_EXEC, 0, 0, &hpa), 49, 0, 0x5000);
	*cap |= 1;
	assert_int_equal(ept_translate(cpu, 0x5000, ACC_EXEC, 0, 0, &hpa), X_OK);

	/* EPTMC-4: a 2M page without CAP[16], a 1G page without CAP[17]. */
	tm_write(tm, EPT_PDPT + 8, 8, 0x40000000 | PS | MT_WB | RWX);
	*cap &= ~(1ull << 16);
	expect_exit(cpu, ept_translate(cpu, 0x600000, ACC_READ, 0, 0, &hpa), 49, 0, 0x600000);
	assert_int_equal(ept_translate(cpu, 0x40000000, ACC_READ, 0, 0, &hpa), X_OK);
	*cap |= 1ull << 16;
	*cap &= ~(1ull << 17);
	assert_int_equal(ept_translate(cpu, 0x600000, ACC_READ, 0, 0, &hpa), X_OK);
	expect_exit(cpu, ept_translate(cpu, 0x40000000, ACC_READ, 0, 0, &hpa), 49, 0, 0x40000000);
	tm_free(tm);
}

/* --- violations and their qualification (ept.md §5.3, §6) --------------- */

/* The worked examples of ept.md §6: guest paging maps the linear address
 * supervisor-mode, writable, not execute-disable. */
static void worked_examples(void **state)
{
	struct tm *tm = guest_paged(0, 0);
	struct cpu *cpu = tm->cpu;
	uint64_t hpa;

	(void)state;
	/* Read of a page whose EPT PTE is not present: 0x581. */
	tm_write(tm, pte_at(0x401000), 8, 0);
	expect_exit(cpu, host_xlate(cpu, 0x401234, ACC_READ, &hpa), 48, 0x581, 0x401234);
	assert_int_equal(VMCS_GET(cpu->vmx, GUEST_LINEAR_ADDRESS), 0x401234);
	/* Write to a page mapped R-X: 0x5AA. */
	tm_write(tm, pte_at(0x402000), 8, 0x402000 | MT_WB | 5);
	expect_exit(cpu, host_xlate(cpu, 0x402008, ACC_WRITE, &hpa), 48, 0x5aa, 0x402008);
	/* Fetch from a page mapped RW-: 0x59C. */
	tm_write(tm, pte_at(0x403000), 8, 0x403000 | MT_WB | 3);
	expect_exit(cpu, host_xlate(cpu, 0x403ff0, ACC_EXEC, &hpa), 48, 0x59c, 0x403ff0);
	/* The guest walk reads a PDE whose GPA is unmapped: 0x081, GPA of
	 * the PDE, GLA of the address being translated. */
	tm_write(tm, pte_at(G_PD), 8, 0);
	expect_exit(cpu, host_xlate(cpu, 0x404000, ACC_READ, &hpa), 48, 0x081, G_PD + 16);
	assert_int_equal(VMCS_GET(cpu->vmx, GUEST_LINEAR_ADDRESS), 0x404000);
	tm_free(tm);

	/* Same as the first row with CR0.PG = 0: 0x781. */
	tm = guest_unpaged(0, 0);
	cpu = tm->cpu;
	tm_write(tm, pte_at(0x5000), 8, 0);
	expect_exit(cpu, host_xlate(cpu, 0x5010, ACC_READ, &hpa), 48, 0x781, 0x5010);
	assert_int_equal(VMCS_GET(cpu->vmx, GUEST_LINEAR_ADDRESS), 0x5010);
	tm_free(tm);
}

static void guest_pf_before_final_ept(void **state)
{
	struct tm *tm = guest_paged(0, 0);
	struct cpu *cpu = tm->cpu;
	uint64_t hpa;

	(void)state;
	/* ept.md §5.4: a guest #PF has priority over the final access's EPT
	 * violation. */
	tm_write(tm, G_PT + 8 * 5, 8, 0);
	tm_write(tm, pte_at(0x405000), 8, 0);
	assert_int_equal(host_xlate(cpu, 0x405000, ACC_READ, &hpa), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_PF);
	/* ... and a walk access's violation over the guest faults below. */
	tm_write(tm, pte_at(G_PT), 8, 0);
	expect_exit(cpu, host_xlate(cpu, 0x405000, ACC_READ, &hpa), 48, 0x081, G_PT + 8 * 5);
	tm_free(tm);
}

/* Bits 9-11 (advanced information, CAP[22]): a user-mode, writable,
 * execute-disable linear address. */
static void advanced_information(void **state)
{
	struct tm *tm = guest_paged(0, 0);
	struct cpu *cpu = tm->cpu;
	uint64_t hpa;

	(void)state;
	tm_write(tm, EPT_PD + 24, 8, 0);  /* GPA 0x600000-0x7FFFFF unmapped */
	expect_exit(cpu, host_xlate(cpu, 0x600040, ACC_READ, &hpa), 48, 0xf81, 0x600040);
	/* Without CAP[22] the bits are 0. */
	prof = *cpu->vmx->profile;
	prof.msr[MSR_IA32_VMX_EPT_VPID_CAP - VMX_MSR_FIRST] &= ~(1ull << 22);
	vmx_set_profile(cpu->vmx, &prof);
	expect_exit(cpu, host_xlate(cpu, 0x600040, ACC_READ, &hpa), 48, 0x181, 0x600040);
	tm_free(tm);
}

/* EPTV-3 for the guest's own A/D writes; EPTV-5 with EPT A/D on: every
 * guest paging-structure access is a write (qualification bits 0 and 1). */
static void paging_structure_writes(void **state)
{
	struct tm *tm = guest_paged(0, 0);
	struct cpu *cpu = tm->cpu;
	uint64_t hpa;

	(void)state;
	/* The guest PT page is read-only in EPT and its entry lacks A. */
	tm_write(tm, G_PT + 8 * 6, 8, 0x406000 | PTE_P | PTE_W);
	tm_write(tm, pte_at(G_PT), 8, G_PT | MT_WB | 1);
	expect_exit(cpu, host_xlate(cpu, 0x406000, ACC_READ, &hpa), 48, 0x08a, G_PT + 8 * 6);
	assert_int_equal(VMCS_GET(cpu->vmx, GUEST_LINEAR_ADDRESS), 0x406000);
	/* With A set the walk only reads: fine. */
	tm_write(tm, G_PT + 8 * 6, 8, 0x406000 | PTE_P | PTE_W | PTE_A | PTE_D);
	assert_int_equal(host_xlate(cpu, 0x406000, ACC_READ, &hpa), X_OK);
	assert_int_equal(hpa, 0x406000);
	tm_free(tm);

	tm = guest_paged(0, EPTP_AD);
	cpu = tm->cpu;
	tm_write(tm, pte_at(G_PT), 8, G_PT | MT_WB | 1);
	expect_exit(cpu, host_xlate(cpu, 0x406000, ACC_READ, &hpa), 48, 0x08b, G_PT + 8 * 6);
	tm_free(tm);
}

static void execute_only(void **state)
{
	struct tm *tm = guest_unpaged(0, 0);
	struct cpu *cpu = tm->cpu;
	uint64_t hpa;

	(void)state;
	tm_write(tm, pte_at(0x5000), 8, 0x5000 | MT_WB | 4);
	assert_int_equal(host_xlate(cpu, 0x5000, ACC_EXEC, &hpa), X_OK);
	assert_int_equal(hpa, 0x5000);
	/* Read: bit 0; X (bit 5); GLA valid, final; unpaged: user, writable. */
	expect_exit(cpu, host_xlate(cpu, 0x5004, ACC_READ, &hpa), 48, 0x7a1, 0x5004);
	expect_exit(cpu, host_xlate(cpu, 0x5004, ACC_WRITE, &hpa), 48, 0x7a2, 0x5004);
	tm_free(tm);
}

/* Mode-based execute control: bit 2 for supervisor-mode linear addresses,
 * bit 10 for user-mode ones; qualification bit 6 = AND of bit 10. */
static void mode_based_execute(void **state)
{
	struct tm *tm = guest_paged(PROC2_MBE, 0);
	struct cpu *cpu = tm->cpu;
	uint64_t hpa;

	(void)state;
	tm_write(tm, EPT_PML4, 8, EPT_PDPT | RWX | UX);
	tm_write(tm, EPT_PDPT, 8, EPT_PD | RWX | UX);
	tm_write(tm, EPT_PD + 16, 8, EPT_PT2 | RWX | UX);
	tm_write(tm, EPT_PD + 24, 8, 0x600000 | PS | MT_WB | 1 | UX);
	tm_write(tm, pte_at(0x407000), 8, 0x407000 | MT_WB | 1 | UX);
	/* 0x407000: supervisor linear, X = 0: violation (fetch, R, UX). */
	expect_exit(cpu, host_xlate(cpu, 0x407000, ACC_EXEC, &hpa), 48, 0x5cc, 0x407000);
	/* 0x600000: user linear (XD in the guest's paging, so the guest
	 * would #PF first): an EPT-only probe of the user-mode rule. */
	assert_int_equal(ept_translate(cpu, 0x600000, ACC_EXEC, 0x600000,
	                               EPTF_GLA_VALID | EPTF_USER, &hpa), X_OK);
	tm_write(tm, EPT_PD + 24, 8, 0x600000 | PS | MT_WB | RWX);
	expect_exit(cpu, ept_translate(cpu, 0x600000, ACC_EXEC, 0x600000,
	                               EPTF_GLA_VALID | EPTF_USER, &hpa), 48, 0x3bc, 0x600000);
	/* An entry with only bit 10 is present under MBE. */
	tm_write(tm, pte_at(0x408000), 8, 0x408000 | MT_WB | UX);
	assert_int_equal(ept_translate(cpu, 0x408000, ACC_EXEC, 0x408000,
	                               EPTF_GLA_VALID | EPTF_USER, &hpa), X_OK);
	tm_free(tm);
}

/* --- A/D flags and PML (ept.md §7, §8) ---------------------------------- */

static void accessed_dirty(void **state)
{
	struct tm *tm = guest_unpaged(0, EPTP_AD);
	struct cpu *cpu = tm->cpu;
	uint64_t hpa;

	(void)state;
	assert_int_equal(host_xlate(cpu, 0x5000, ACC_READ, &hpa), X_OK);
	assert_true(tm_read(tm, EPT_PML4, 8) & EA);
	assert_true(tm_read(tm, EPT_PDPT, 8) & EA);
	assert_true(tm_read(tm, EPT_PD, 8) & EA);
	assert_true(tm_read(tm, pte_at(0x5000), 8) & EA);
	assert_false(tm_read(tm, pte_at(0x5000), 8) & ED);
	assert_false(tm_read(tm, EPT_PD, 8) & ED);
	assert_int_equal(host_xlate(cpu, 0x5000, ACC_WRITE, &hpa), X_OK);
	assert_true(tm_read(tm, pte_at(0x5000), 8) & ED);
	assert_false(tm_read(tm, EPT_PD, 8) & ED);
	/* Large pages: the leaf is the PDE. */
	assert_int_equal(host_xlate(cpu, 0x600000, ACC_WRITE, &hpa), X_OK);
	assert_int_equal(tm_read(tm, EPT_PD + 24, 8) & (EA | ED), EA | ED);
	/* Never on a violation. */
	tm_write(tm, pte_at(0x6000), 8, 0x6000 | MT_WB | 5);
	expect_exit(cpu, host_xlate(cpu, 0x6000, ACC_WRITE, &hpa), 48, 0x7aa, 0x6000);
	assert_false(tm_read(tm, pte_at(0x6000), 8) & (EA | ED));
	/* A probe sets nothing. */
	assert_int_equal(ept_translate(cpu, 0x7000, ACC_WRITE, 0, EPTF_NOFAULT, &hpa), X_OK);
	assert_false(tm_read(tm, pte_at(0x7000), 8) & (EA | ED));
	tm_free(tm);

	/* EPTP[6] = 0: bits 8 and 9 are left alone. */
	tm = guest_unpaged(0, 0);
	assert_int_equal(host_xlate(tm->cpu, 0x5000, ACC_WRITE, &hpa), X_OK);
	assert_false(tm_read(tm, EPT_PML4, 8) & (EA | ED));
	assert_false(tm_read(tm, pte_at(0x5000), 8) & (EA | ED));
	tm_free(tm);
}

/* EPTV-5 / §7: with A/D on, the guest walk's reads set D on the EPT leaf
 * that maps the guest page tables. */
static void ad_for_guest_paging_structures(void **state)
{
	struct tm *tm = guest_paged(0, EPTP_AD);
	uint64_t hpa;

	(void)state;
	assert_int_equal(host_xlate(tm->cpu, 0x409000, ACC_READ, &hpa), X_OK);
	assert_int_equal(tm_read(tm, pte_at(G_PT), 8) & (EA | ED), EA | ED);
	assert_int_equal(tm_read(tm, pte_at(G_PML4), 8) & (EA | ED), EA | ED);
	assert_int_equal(tm_read(tm, pte_at(0x409000), 8) & (EA | ED), EA);
	tm_free(tm);
}

static void page_modification_log(void **state)
{
	struct tm *tm = guest_unpaged(PROC2_PML, EPTP_AD);
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	uint64_t hpa;

	(void)state;
	VMCS_SET(v, PML_ADDR, 0x700000);
	VMCS_SET(v, GUEST_PML_INDEX, 511);
	/* A read sets only A: nothing logged. */
	assert_int_equal(host_xlate(cpu, 0x5000, ACC_READ, &hpa), X_OK);
	assert_int_equal(VMCS_GET(v, GUEST_PML_INDEX), 511);
	/* A write dirties the page: its GPA (bits 11:0 clear) at index 511. */
	assert_int_equal(host_xlate(cpu, 0x5678, ACC_WRITE, &hpa), X_OK);
	assert_int_equal(tm_read(tm, 0x700000 + 8 * 511, 8), 0x5000);
	assert_int_equal(VMCS_GET(v, GUEST_PML_INDEX), 510);
	/* Already dirty: no entry. */
	assert_int_equal(host_xlate(cpu, 0x5000, ACC_WRITE, &hpa), X_OK);
	assert_int_equal(VMCS_GET(v, GUEST_PML_INDEX), 510);
	/* Index 0 logs and wraps to 0xFFFF; the next flag to set is a
	 * PML-full exit (62, qualification 0) and nothing is set. */
	VMCS_SET(v, GUEST_PML_INDEX, 0);
	assert_int_equal(host_xlate(cpu, 0x6000, ACC_WRITE, &hpa), X_OK);
	assert_int_equal(tm_read(tm, 0x700000, 8), 0x6000);
	assert_int_equal(VMCS_GET(v, GUEST_PML_INDEX), 0xffff);
	assert_int_equal(host_xlate(cpu, 0x7000, ACC_WRITE, &hpa), X_FAULT);
	assert_int_equal(cpu->fault.vector, VMX_FAULT_VMEXIT);
	assert_int_equal(v->pending_exit_reason, EXIT_PML_FULL);
	assert_int_equal(v->pending_exit_qual, 0);
	assert_false(tm_read(tm, pte_at(0x7000), 8) & (EA | ED));
	/* With every flag already set, no check at all. */
	assert_int_equal(host_xlate(cpu, 0x6000, ACC_WRITE, &hpa), X_OK);
	tm_free(tm);
}

/* --- #VE (ept.md §10) ------------------------------------------------------ */

static void virtualization_exception(void **state)
{
	struct tm *tm = guest_unpaged(PROC2_VE, 0);
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	uint64_t hpa;

	(void)state;
	VMCS_SET(v, VE_INFO_ADDR, 0x710000);
	VMCS_SET(v, EPTP_INDEX, 3);
	VMCS_SET(v, GUEST_PHYSICAL_ADDRESS, 0);
	tm_write(tm, pte_at(0x5000), 8, 0);
	cpu->fault.vector = 0;
	assert_int_equal(host_xlate(cpu, 0x5010, ACC_READ, &hpa), X_FAULT);
	assert_int_equal(cpu->fault.vector, 20);
	assert_false(cpu->fault.has_error);
	assert_int_equal(tm_read(tm, 0x710000, 4), 48);
	assert_int_equal(tm_read(tm, 0x710004, 4), 0xffffffffu);
	assert_int_equal(tm_read(tm, 0x710008, 8), 0x781);
	assert_int_equal(tm_read(tm, 0x710010, 8), 0x5010);
	assert_int_equal(tm_read(tm, 0x710018, 8), 0x5010);
	assert_int_equal(tm_read(tm, 0x710020, 2), 3);
	assert_int_equal(VMCS_GET(v, GUEST_PHYSICAL_ADDRESS), 0); /* no exit field */
	/* The area is not re-armed: a VM exit. */
	expect_exit(cpu, host_xlate(cpu, 0x5010, ACC_READ, &hpa), 48, 0x781, 0x5010);
	/* Re-armed, but the entry suppresses #VE (bit 63). */
	tm_write(tm, 0x710004, 4, 0);
	tm_write(tm, pte_at(0x5000), 8, 1ull << 63);
	expect_exit(cpu, host_xlate(cpu, 0x5010, ACC_READ, &hpa), 48, 0x781, 0x5010);
	/* Misconfigurations are never converted. */
	tm_write(tm, pte_at(0x5000), 8, 0x5000 | MT_WB | 2);
	expect_exit(cpu, host_xlate(cpu, 0x5010, ACC_READ, &hpa), 49, 0, 0x5010);
	tm_free(tm);
}

/* --- PDPTE registers (SDM §26.3.2.4, ept.md §1) ---------------------------- */

static void pae_pdptes_from_vmcs(void **state)
{
	struct tm *tm = guest_unpaged(0, 0);
	struct cpu *cpu = tm->cpu;
	uint64_t hpa;

	(void)state;
	/* In memory, PDPTE 0 -> PD 0x32000; in the VMCS, -> PD 0x35000. */
	tm_write(tm, 0x36000, 8, 0x32000 | PTE_P);
	tm_write(tm, 0x32000, 8, 0x200000 | PTE_P | PTE_W | PTE_PS | PTE_A | PTE_D);
	tm_write(tm, 0x35000, 8, 0x400000 | PTE_P | PTE_W | PTE_PS | PTE_A | PTE_D);
	VMCS_SET(cpu->vmx, GUEST_PDPTE0, 0x35000 | PTE_P);
	leave(cpu);
	cpu->cr3 = 0x36000;
	cpu->cr4 = CR4_PAE;
	cpu->cr0 |= CR0_PG;
	cpu_update_mode(cpu);
	enter(cpu);
	assert_true(cpu->pdpte_valid);
	assert_int_equal(host_xlate(cpu, 0x1234, ACC_READ, &hpa), X_OK);
	assert_int_equal(hpa, 0x401234);
	/* Without EPT the walk reads memory. */
	leave(cpu);
	assert_int_equal(host_xlate(cpu, 0x1234, ACC_READ, &hpa), X_OK);
	assert_int_equal(hpa, 0x201234);
	tm_free(tm);
}

/* ept.md §1, §6: MOV to CR3 in PAE mode loads the PDPTEs through EPT;
 * an unmapped PDPT is an EPT violation without a guest-linear address
 * (qualification 0x001); a reserved bit is #GP(0) as without VMX. */
static void mov_cr3_loads_pdptes_through_ept(void **state)
{
	struct tm *tm = guest_unpaged(0, 0);
	struct cpu *cpu = tm->cpu;
	uint64_t hpa;

	(void)state;
	tm_write(tm, 0x36000, 8, 0x32000 | PTE_P);
	tm_write(tm, 0x32000, 8, 0x200000 | PTE_P | PTE_W | PTE_PS | PTE_A | PTE_D);
	tm_write(tm, 0x35000, 8, 0x400000 | PTE_P | PTE_W | PTE_PS | PTE_A | PTE_D);
	leave(cpu);
	cpu->cr3 = 0x36000;
	cpu->cr4 = CR4_PAE;
	cpu->cr0 |= CR0_PG;
	cpu_update_mode(cpu);
	enter(cpu);
	/* Guest-physical 0x37000 is host-physical 0x38000. */
	tm_write(tm, 0x37000, 8, 0xffull << 52 | PTE_P);  /* would be #GP */
	tm_write(tm, 0x38000, 8, 0x35000 | PTE_P);
	tm_write(tm, pte_at(0x37000), 8, 0x38000 | MT_WB | RWX);
	assert_int_equal(cr_write(cpu, 3, 0x37000), X_OK);
	assert_int_equal(cpu->pdpte[0], 0x35000 | PTE_P);
	assert_int_equal(host_xlate(cpu, 0x1234, ACC_READ, &hpa), X_OK);
	assert_int_equal(hpa, 0x401234);
	/* The PDPT's page unmapped in EPT. */
	tm_write(tm, pte_at(0x39000), 8, 0);
	cpu->vmx->pending_exit_reason = 0;
	expect_exit(cpu, cr_write(cpu, 3, 0x39020), 48, 0x001, 0x39020);
	assert_int_equal(cpu->cr3, 0x37000);
	/* A reserved bit in a present PDPTE. */
	tm_write(tm, 0x3a008, 8, (1ull << 45) | PTE_P);
	assert_int_equal(cr_write(cpu, 3, 0x3a000), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_GP);
	assert_int_equal(cpu->cr3, 0x37000);
	tm_free(tm);
}

/* TLB fills under EPT: entries hold the host-physical page, and an entry
 * of one access kind exists only where EPT allows that kind. */
static void tlb_fills_respect_ept(void **state)
{
	struct tm *tm = guest_unpaged(0, 0);
	struct cpu *cpu = tm->cpu;
	const struct tlb_entry *rd = &cpu->tlb[MMU_SUPER][TLB_READ][tlb_index(0x5000)];
	const struct tlb_entry *wr = &cpu->tlb[MMU_SUPER][TLB_WRITE][tlb_index(0x5000)];
	uint64_t v, hpa;
	uint8_t *host;

	(void)state;
	/* GPA 0x5000 is HPA 0x600000, read-only. */
	tm_write(tm, 0x600010, 4, 0xfeedf00d);
	tm_write(tm, 0x5010, 4, 0x12345678);
	tm_write(tm, pte_at(0x5000), 8, 0x600000 | MT_WB | 1);
	assert_int_equal(access_lin_read(cpu, 0x5010, 4, &v), X_OK);
	assert_int_equal(v, 0xfeedf00d);
	assert_int_equal(rd->tag, tlb_tag(cpu, 0x5000));
	assert_int_equal(rd->gpa, 0x600000);
	cpu->vmx->pending_exit_reason = 0;
	expect_exit(cpu, access_lin_write(cpu, 0x5010, 4, 1), 48, 0x78a, 0x5010);
	assert_int_not_equal(wr->tag, tlb_tag(cpu, 0x5000));
	assert_int_equal(tm_read(tm, 0x600010, 4), 0xfeedf00d);
	/* Execute-only: the exec array only. */
	tm_write(tm, pte_at(0x8000), 8, 0x8000 | MT_WB | 4);
	assert_int_equal(tlb_fill(cpu, 0x8000, ACC_EXEC, 0, &host, &hpa), X_OK);
	assert_int_equal(cpu->tlb[MMU_SUPER][TLB_EXEC][tlb_index(0x8000)].tag,
	                 tlb_tag(cpu, 0x8000));
	expect_exit(cpu, access_lin_read(cpu, 0x8000, 1, &v), 48, 0x7a1, 0x8000);
	assert_int_not_equal(cpu->tlb[MMU_SUPER][TLB_READ][tlb_index(0x8000)].tag,
	                     tlb_tag(cpu, 0x8000));
	tm_free(tm);
}

/* ept.md §1, vm-exits.md §3.7: the APIC-access page is recognised by its
 * host-physical address, after EPT allowed the access. */
static void apic_access_page(void **state)
{
	struct tm *tm = guest_unpaged(1u << 0, 0);
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	uint64_t val;

	(void)state;
	VMCS_SET(v, APIC_ACCESS_ADDR, 0x600000);
	tm_write(tm, pte_at(0x5000), 8, 0x600000 | MT_WB | 5);
	expect_exit(cpu, access_lin_read(cpu, 0x5080, 4, &val), 44, 0x080, 0);
	/* Not in the TLB: the next read exits again. */
	expect_exit(cpu, access_lin_read(cpu, 0x5080, 4, &val), 44, 0x080, 0);
	/* EPT says no write: the EPT violation comes first. */
	VMCS_SET(v, GUEST_PHYSICAL_ADDRESS, 0);
	expect_exit(cpu, access_lin_write(cpu, 0x5300, 4, 0), 48, 0x7aa, 0x5300);
	tm_write(tm, pte_at(0x5000), 8, 0x600000 | MT_WB | RWX);
	VMCS_SET(v, GUEST_PHYSICAL_ADDRESS, 0);
	expect_exit(cpu, access_lin_write(cpu, 0x5300, 4, 0), 44, 0x1300, 0);
	/* Guest-physical 0x600000, mapped elsewhere, is not the page. */
	tm_write(tm, EPT_PD + 24, 8, 0xe00000 | PS | MT_WB | RWX);
	assert_int_equal(access_lin_read(cpu, 0x600080, 4, &val), X_OK);
	tm_free(tm);
}

/* --- TLB contexts (ept.md §11, SDM §28.3) ---------------------------------- */

/* A read through the TLB; true if it hit (no page walk was charged). */
static bool read_hits(struct cpu *cpu, uint64_t gla)
{
	uint64_t c = cpu->cycles, v;

	assert_int_equal(access_lin_read(cpu, gla, 4, &v), X_OK);
	return cpu->cycles == c;
}

/* A 64-bit host with paging; guests share its paging state and see
 * guest-physical = host-physical through the identity EPT. */
static struct tm *host64(void)
{
	struct tm *tm = tm_new(TM_LONG64);

	ept_build(tm);
	return tm;
}

static void host_entries_survive_guests(void **state)
{
	struct tm *tm = host64();
	struct cpu *cpu = tm->cpu;

	(void)state;
	assert_false(read_hits(cpu, TM_DATA));
	assert_true(read_hits(cpu, TM_DATA));
	assert_int_equal(cpu->tlb_asid, 0);

	vmcs_nonroot(cpu, PROC2_EPT | PROC2_VPID, EPTP, 1);
	enter(cpu);
	assert_int_not_equal(cpu->tlb_asid, 0);
	/* The guest's context does not see the host's entry... */
	assert_false(read_hits(cpu, TM_DATA + 0x1000));
	assert_true(read_hits(cpu, TM_DATA + 0x1000));
	leave(cpu);
	assert_int_equal(cpu->tlb_asid, 0);
	/* ... and the host's survives the guest. */
	assert_true(read_hits(cpu, TM_DATA));

	/* With VPID the guest's entries survive the exit too. */
	enter(cpu);
	assert_true(read_hits(cpu, TM_DATA + 0x1000));
	/* A guest flush (MOV CR3) drops the guest's entries only. */
	tlb_flush_all(cpu);
	assert_false(read_hits(cpu, TM_DATA + 0x1000));
	leave(cpu);
	assert_true(read_hits(cpu, TM_DATA));
	tm_free(tm);
}

/* SDM §28.3.3.3: with "enable VPID" = 0, VM entries invalidate VPID 0's
 * linear and combined mappings.  Unpaged guests have only guest-physical
 * mappings, which stay until INVEPT. */
static void vpid_off_flushes_paged_guests(void **state)
{
	struct tm *tm = host64();
	struct cpu *cpu = tm->cpu;

	(void)state;
	vmcs_nonroot(cpu, PROC2_EPT, EPTP, 0);
	enter(cpu);
	assert_false(read_hits(cpu, TM_DATA));
	assert_true(read_hits(cpu, TM_DATA));
	leave(cpu);
	enter(cpu);
	assert_false(read_hits(cpu, TM_DATA));
	leave(cpu);
	tm_free(tm);

	tm = guest_unpaged(0, 0);
	cpu = tm->cpu;
	assert_false(read_hits(cpu, TM_DATA));
	leave(cpu);
	enter(cpu);
	assert_true(read_hits(cpu, TM_DATA));
	ept_invept(cpu, 1, EPTP);
	leave(cpu);
	ept_invept(cpu, 1, EPTP);
	enter(cpu);
	assert_false(read_hits(cpu, TM_DATA));
	tm_free(tm);
}

/* The guest's paging state is part of what its entries mean: the host
 * changing the guest's CR3 between entries drops them. */
static void new_guest_cr3_drops_entries(void **state)
{
	struct tm *tm = host64();
	struct cpu *cpu = tm->cpu;

	(void)state;
	vmcs_nonroot(cpu, PROC2_EPT | PROC2_VPID, EPTP, 1);
	enter(cpu);
	assert_false(read_hits(cpu, TM_DATA));
	leave(cpu);
	tm_write(tm, 0x20000, 8, 0x11000 | PTE_P | PTE_W | PTE_U);
	cpu->cr3 = 0x20000;
	enter(cpu);
	assert_false(read_hits(cpu, TM_DATA));
	leave(cpu);
	tm_free(tm);
}

static void fill_context(struct cpu *cpu, uint16_t vpid, uint64_t eptp, uint64_t gla)
{
	vmcs_nonroot(cpu, PROC2_EPT | PROC2_VPID, eptp, vpid);
	enter(cpu);
	(void)read_hits(cpu, gla);
	assert_true(read_hits(cpu, gla));
	leave(cpu);
}

static bool context_hits(struct cpu *cpu, uint16_t vpid, uint64_t eptp, uint64_t gla)
{
	bool hit;

	vmcs_nonroot(cpu, PROC2_EPT | PROC2_VPID, eptp, vpid);
	enter(cpu);
	hit = read_hits(cpu, gla);
	leave(cpu);
	return hit;
}

#define EPTP_B (EPT_PML4B | (3ull << 3) | 6)
#define GLA_A  (TM_DATA + 0x3000)
#define GLA_B  (TM_DATA + 0x5000)

static void invept_and_invvpid(void **state)
{
	struct tm *tm = host64();
	struct cpu *cpu = tm->cpu;

	(void)state;
	(void)read_hits(cpu, TM_DATA);
	fill_context(cpu, 1, EPTP, GLA_A);
	fill_context(cpu, 2, EPTP_B, GLA_B);
	assert_true(context_hits(cpu, 1, EPTP, GLA_A));
	assert_true(context_hits(cpu, 2, EPTP_B, GLA_B));

	/* INVEPT single-context: the EPTRTA's mappings, for all VPIDs. */
	ept_invept(cpu, 1, EPTP);
	assert_false(context_hits(cpu, 1, EPTP, GLA_A));
	assert_true(context_hits(cpu, 2, EPTP_B, GLA_B));
	/* INVVPID single-context. */
	ept_invvpid(cpu, 1, 2, 0);
	assert_true(context_hits(cpu, 1, EPTP, GLA_A));
	assert_false(context_hits(cpu, 2, EPTP_B, GLA_B));
	/* INVEPT all-context. */
	ept_invept(cpu, 2, 0);
	assert_false(context_hits(cpu, 1, EPTP, GLA_A));
	assert_false(context_hits(cpu, 2, EPTP_B, GLA_B));
	/* INVVPID individual-address and all-context. */
	ept_invvpid(cpu, 0, 1, GLA_A);
	assert_false(context_hits(cpu, 1, EPTP, GLA_A));
	assert_true(context_hits(cpu, 2, EPTP_B, GLA_B));
	ept_invvpid(cpu, 2, 0, 0);
	assert_false(context_hits(cpu, 1, EPTP, GLA_A));
	assert_false(context_hits(cpu, 2, EPTP_B, GLA_B));
	/* INVVPID single-context retaining globals. */
	ept_invvpid(cpu, 3, 1, 0);
	assert_false(context_hits(cpu, 1, EPTP, GLA_A));
	assert_true(context_hits(cpu, 2, EPTP_B, GLA_B));
	/* None of them touches the host. */
	assert_true(read_hits(cpu, TM_DATA));
	tm_free(tm);
}

static void switch_eptp(struct cpu *cpu, uint64_t eptp)
{
	VMCS_SET(cpu->vmx, EPT_POINTER, eptp);
	ept_context_eptp_changed(cpu);
}

/* ept.md §12: VMFUNC EPTP switching needs no INVEPT (translations are
 * tagged by EPTRTA); a flush by the guest acts on its VPID under every
 * EPTRTA. */
static void eptp_switching(void **state)
{
	struct tm *tm = host64();
	struct cpu *cpu = tm->cpu;

	(void)state;
	vmcs_nonroot(cpu, PROC2_EPT | PROC2_VPID, EPTP, 1);
	enter(cpu);
	assert_false(read_hits(cpu, GLA_A));
	switch_eptp(cpu, EPTP_B);
	assert_false(read_hits(cpu, GLA_B));
	switch_eptp(cpu, EPTP);
	assert_true(read_hits(cpu, GLA_A));
	switch_eptp(cpu, EPTP_B);
	assert_true(read_hits(cpu, GLA_B));
	/* MOV CR3 under EPTP B. */
	tlb_flush_all(cpu);
	switch_eptp(cpu, EPTP);
	assert_false(read_hits(cpu, GLA_A));
	switch_eptp(cpu, EPTP_B);
	assert_false(read_hits(cpu, GLA_B));
	/* INVLPG under EPTP B. */
	tlb_flush_page(cpu, GLA_B);
	assert_false(read_hits(cpu, GLA_B));
	switch_eptp(cpu, EPTP);
	assert_false(read_hits(cpu, GLA_A));
	leave(cpu);
	tm_free(tm);
}

/* The tags wrap after 2047 fresh contexts: one real flush, and every
 * context starts again. */
static void tag_space_wraps(void **state)
{
	struct tm *tm = host64();
	struct cpu *cpu = tm->cpu;

	(void)state;
	vmcs_nonroot(cpu, PROC2_EPT, EPTP, 0);
	for (unsigned i = 0; i < 2100; i++) {
		enter(cpu);
		assert_int_equal(cpu->tlb_asid & 1, 0);
		assert_true(cpu->tlb_asid != 0 && cpu->tlb_asid < 4096);
		assert_false(read_hits(cpu, TM_DATA));
		assert_true(read_hits(cpu, TM_DATA));
		leave(cpu);
		assert_int_equal(cpu->tlb_asid, 0);
	}
	tm_free(tm);
}

/* The jump cache and the block links: the same linear address runs the
 * host's code in the host and the guest's under the guest's EPT. */
static void same_linear_address_other_code(void **state)
{
	static const uint8_t host_code[] = { 0xb8, 1, 0, 0, 0, 0xf4 };   /* mov eax, 1; hlt */
	static const uint8_t guest_code[] = { 0xb8, 2, 0, 0, 0, 0xf4 };  /* mov eax, 2; hlt */
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	ept_build(tm);
	/* Guest-physical TM_CODE is host-physical 0x500000. */
	tm_write(tm, pte_at(TM_CODE), 8, 0x500000 | MT_WB | RWX);
	tm_code(tm, host_code, sizeof(host_code));
	bus_write_bytes(tm->bus, 0x500000, guest_code, sizeof(guest_code));
	vmcs_nonroot(cpu, PROC2_EPT | PROC2_VPID, EPTP, 1);
	for (int round = 0; round < 3; round++) {
		cpu->rip = TM_CODE;
		cpu->halted = false;
		assert_int_equal(tm_run(tm, 10), STOP_HALT);
		assert_int_equal(cpu->gpr[R_RAX], 1);
		enter(cpu);
		cpu->rip = TM_CODE;
		cpu->halted = false;
		assert_int_equal(tm_run(tm, 10), STOP_HALT);
		assert_int_equal(cpu->gpr[R_RAX], 2);
		leave(cpu);
	}
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(profile_is_reference),
		cmocka_unit_test(walk_4k_2m_1g),
		cmocka_unit_test(identity_without_ept),
		cmocka_unit_test(misconfigurations),
		cmocka_unit_test(misconfig_by_capability),
		cmocka_unit_test(worked_examples),
		cmocka_unit_test(guest_pf_before_final_ept),
		cmocka_unit_test(advanced_information),
		cmocka_unit_test(paging_structure_writes),
		cmocka_unit_test(execute_only),
		cmocka_unit_test(mode_based_execute),
		cmocka_unit_test(accessed_dirty),
		cmocka_unit_test(ad_for_guest_paging_structures),
		cmocka_unit_test(page_modification_log),
		cmocka_unit_test(virtualization_exception),
		cmocka_unit_test(pae_pdptes_from_vmcs),
		cmocka_unit_test(mov_cr3_loads_pdptes_through_ept),
		cmocka_unit_test(tlb_fills_respect_ept),
		cmocka_unit_test(apic_access_page),
		cmocka_unit_test(host_entries_survive_guests),
		cmocka_unit_test(vpid_off_flushes_paged_guests),
		cmocka_unit_test(new_guest_cr3_drops_entries),
		cmocka_unit_test(invept_and_invvpid),
		cmocka_unit_test(eptp_switching),
		cmocka_unit_test(tag_space_wraps),
		cmocka_unit_test(same_linear_address_other_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
