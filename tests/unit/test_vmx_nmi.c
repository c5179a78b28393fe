/* IRET and NMI blocking in VMX non-root operation (src/vmx/nmi.c).
 * Expected values come from the spec and the SDM text it paraphrases:
 *   - SDM Vol. 3C §25.3 "IRET": "NMI exiting" = 0: IRET unblocks NMIs;
 *     "NMI exiting" = 1: IRET does not affect blocking by NMI, and with
 *     "virtual NMIs" = 1 it removes virtual-NMI blocking; the unblocking
 *     happens even if IRET faults (also Vol. 3A §6.7.1).
 *   - §27.1: an exit from a fault / EPT violation met while executing IRET
 *     saves the blocking already cleared (interruptibility bit 3 = 0).
 *   - vm-exits.md §4 (SDM §27.2): bit 12 "NMI unblocking due to IRET" of
 *     the VM-exit interruption information, and of the EPT-violation
 *     (ept.md §6) and PML-full (ept.md §8) qualifications, is 1 when the
 *     exit is due to a fault on IRET and the blocking was in effect before
 *     the IRET; 0 for the other relevant exits.
 *   - vm-exits.md §1 row 8: the NMI window opens when virtual-NMI
 *     blocking is gone.
 *
 * The machine is put into non-root operation by hand (as in
 * test_vmx_intercept.c): a 64-bit guest with the fixture's identity map,
 * and a host state that continues at a HLT (HOST_RIP_ADDR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tm_events.h"
#include "vmx/ept.h"
#include "vmx/exit.h"
#include "vmx/intercept.h"
#include "vmx/vmcs.h"

#define HOST_RIP_ADDR 0x190000ull   /* above tm_events.h's handlers */
#define VMCS_REGION   0x400000ull
#define FRAME         (TM_STACK - 0x100)
#define TARGET        (TM_CODE + 0x40) /* where the IRET frames return */

#define PROC_NMI_WINDOW (1u << 22)
#define INTR_STATE_NMI  (1u << 3)

/* EPT for the EPT-violation and PML-full cases (host-physical): identity
 * 2 MiB leaves for 0-32 MiB, except leaf 6 (0xC00000) per test. */
#define EPT_PML4  0xa00000ull
#define EPT_PDPT  0xa01000ull
#define EPT_PD    0xa02000ull
#define EPT_PML   0xa03000ull
#define EPT_RWX   7ull
#define EPT_WB    (6ull << 3)
#define EPT_PS    (1ull << 7)
#define EPT_A     (1ull << 8)
#define EPT_D     (1ull << 9)
#define EPTP      (EPT_PML4 | (3ull << 3) | 6)
#define EPTP_AD   (1ull << 6)
#define HOLE      0xc00000ull
#define PROC2_EPT (1u << 1)
#define PROC2_PML (1u << 17)

static struct tm *nr_machine(uint32_t pin, uint32_t proc)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;

	tm_nonroot(tm, VMCS_REGION, HOST_RIP_ADDR);
	VMCS_SET(v, PIN_CONTROLS, pin);
	VMCS_SET(v, PROC_CONTROLS, proc);
	/* The boundary events are looked at while this is set (window.c
	 * recomputes it from the controls). */
	cpu->vmx_events = (proc & PROC_NMI_WINDOW) != 0;
	return tm;
}

/* An IRETQ frame at FRAME returning to `rip` at CPL 0 with `rflags`; RSP
 * points at it. */
static void iret_frame(struct tm *tm, uint64_t rip, uint64_t rflags)
{
	tm_write(tm, FRAME + 0, 8, rip);
	tm_write(tm, FRAME + 8, 8, TM_SEL_CODE64);
	tm_write(tm, FRAME + 16, 8, rflags);
	tm_write(tm, FRAME + 24, 8, TM_STACK - 0x800);
	tm_write(tm, FRAME + 32, 8, TM_SEL_DATA);
	tm->cpu->gpr[R_RSP] = FRAME;
}

/* Code at TM_CODE (IRETQ and whatever precedes it), CPUID; HLT at TARGET. */
static enum cpu_stop run_iret(struct tm *tm, const uint8_t *code, size_t n)
{
	static const uint8_t at_target[] = { 0x0f, 0xa2, 0xf4 };

	for (size_t i = 0; i < sizeof(at_target); i++)
		tm_write(tm, TARGET + i, 1, at_target[i]);
	tm_code(tm, code, n);
	return tm_run(tm, 100);
}

static const uint8_t iretq[] = { 0x48, 0xcf };
static const uint8_t nop_iretq[] = { 0x90, 0x48, 0xcf };

static uint64_t field(struct tm *tm, enum vmcs_index i)
{
	return tm->cpu->vmx->vmcs.val[i];
}

static void assert_exited(struct tm *tm, enum cpu_stop stop, uint32_t reason, uint64_t rip)
{
	assert_int_equal(stop, STOP_HALT);
	assert_false(tm->cpu->vmx_nonroot);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_REASON), reason);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_RIP), rip);
	assert_int_equal(tm->cpu->rip, HOST_RIP_ADDR + 1);
}

/* --- §25.3: what IRET does to the blocking ------------------------------ */

/* "virtual NMIs" = 1: IRET removes virtual-NMI blocking, and the NMI
 * window (closed before it: the NOP does not exit) opens at the boundary
 * after it, RIP = the IRET's target. */
static void iret_opens_nmi_window(void **state)
{
	struct tm *tm = nr_machine(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, PROC_NMI_WINDOW);
	enum cpu_stop stop;

	(void)state;
	tm->cpu->vmx->nmi_blocked_virtual = true;
	iret_frame(tm, TARGET, RFLAGS_FIXED1);
	stop = run_iret(tm, nop_iretq, sizeof(nop_iretq));
	assert_exited(tm, stop, EXIT_NMI_WINDOW, TARGET);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTERRUPTIBILITY) & INTR_STATE_NMI, 0);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0);
	tm_free(tm);
}

/* Without blocking the window is open before the first instruction. */
static void nmi_window_open_without_blocking(void **state)
{
	struct tm *tm = nr_machine(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, PROC_NMI_WINDOW);
	enum cpu_stop stop;

	(void)state;
	iret_frame(tm, TARGET, RFLAGS_FIXED1);
	stop = run_iret(tm, nop_iretq, sizeof(nop_iretq));
	assert_exited(tm, stop, EXIT_NMI_WINDOW, TM_CODE);
	tm_free(tm);
}

/* "NMI exiting" = 0: IRET unblocks NMIs (blocking by NMI). */
static void iret_unblocks_nmis(void **state)
{
	struct tm *tm = nr_machine(0, 0);
	enum cpu_stop stop;

	(void)state;
	tm->cpu->vmx->nmi_blocked = true;
	iret_frame(tm, TARGET, RFLAGS_FIXED1);
	stop = run_iret(tm, iretq, sizeof(iretq));
	assert_exited(tm, stop, EXIT_CPUID, TARGET);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTERRUPTIBILITY) & INTR_STATE_NMI, 0);
	tm_free(tm);
}

/* "NMI exiting" = 1, "virtual NMIs" = 0: IRET does not affect blocking by
 * NMI. */
static void iret_keeps_nmi_blocking_with_nmi_exiting(void **state)
{
	struct tm *tm = nr_machine(PIN_NMI_EXITING, 0);
	enum cpu_stop stop;

	(void)state;
	tm->cpu->vmx->nmi_blocked = true;
	iret_frame(tm, TARGET, RFLAGS_FIXED1);
	stop = run_iret(tm, iretq, sizeof(iretq));
	assert_exited(tm, stop, EXIT_CPUID, TARGET);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTERRUPTIBILITY) & INTR_STATE_NMI,
	                 INTR_STATE_NMI);
	tm_free(tm);
}

/* --- Bit 12 of the VM-exit interruption information -------------------- */

/* A #PF on the IRET's stack read (RSP beyond the fixture's 1 GiB map),
 * through exception-bitmap bit 14: exit 0, fault-like (RIP = the IRET,
 * RSP unchanged), qualification = the address, bit 12 = 1 exactly when
 * the blocking was in effect, and the saved blocking cleared (§27.1).
 * Both ways of blocking: blocking by NMI with "NMI exiting" = 0, and
 * virtual-NMI blocking. */
static void pf_on_iret_reports_unblocking(void **state)
{
	static const struct { uint32_t pin; bool virt, blocked; } t[] = {
		{ 0, false, true },
		{ 0, false, false },
		{ PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, true, true },
		{ PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, true, false },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tm *tm = nr_machine(t[i].pin, 0);
		struct vmx *v = tm->cpu->vmx;
		enum cpu_stop stop;

		if (t[i].virt)
			v->nmi_blocked_virtual = t[i].blocked;
		else
			v->nmi_blocked = t[i].blocked;
		VMCS_SET(v, EXCEPTION_BITMAP, 1u << EXC_PF);
		tm->cpu->gpr[R_RSP] = 0x40000000;
		stop = run_iret(tm, iretq, sizeof(iretq));
		assert_exited(tm, stop, EXIT_EXCEPTION_NMI, TM_CODE);
		assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO),
		                 INTR_INFO_VALID | INTR_INFO_ERROR_VALID | (3u << 8) | EXC_PF |
		                 (t[i].blocked ? INTR_INFO_NMI_UNBLOCK : 0));
		assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0x40000000);
		assert_int_equal(field(tm, VMCS_IDX_GUEST_RSP), 0x40000000);
		assert_int_equal(field(tm, VMCS_IDX_GUEST_INTERRUPTIBILITY) & INTR_STATE_NMI, 0);
		assert_int_equal(field(tm, VMCS_IDX_IDT_VECTORING_INFO) & INTR_INFO_VALID, 0);
		assert_false(v->iret_nmi_unblocked);
		tm_free(tm);
	}
}

/* A #GP on IRET (null CS in the frame) that the bitmap does not intercept
 * is delivered with NMIs already unblocked ("even if IRET causes a
 * fault"); its handler's UD2 then exits through bit 6 -- not a fault on
 * IRET, so bit 12 = 0. */
static void delivered_fault_keeps_unblocking(void **state)
{
	struct tm *tm = nr_machine(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, 0);
	struct vmx *v = tm->cpu->vmx;
	uint64_t h_gp = T_HBASE + 16 * EXC_GP;
	enum cpu_stop stop;

	(void)state;
	t_idt(tm, 32);
	tm_write(tm, h_gp, 2, 0x0b0f);                /* UD2 */
	v->nmi_blocked_virtual = true;
	VMCS_SET(v, EXCEPTION_BITMAP, 1u << EXC_UD);
	iret_frame(tm, TARGET, RFLAGS_FIXED1);
	tm_write(tm, FRAME + 8, 8, 0);                /* CS = null: #GP(0) */
	stop = run_iret(tm, iretq, sizeof(iretq));
	assert_exited(tm, stop, EXIT_EXCEPTION_NMI, h_gp);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO), INTR_INFO_VALID | (3u << 8) | EXC_UD);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTERRUPTIBILITY) & INTR_STATE_NMI, 0);
	tm_free(tm);
}

/* A single-step #DB trap after an IRET that completed is not a fault on
 * the IRET: bit 12 = 0 although the IRET unblocked virtual NMIs. */
static void trap_after_iret_reports_nothing(void **state)
{
	struct tm *tm = nr_machine(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, 0);
	struct vmx *v = tm->cpu->vmx;
	enum cpu_stop stop;

	(void)state;
	v->nmi_blocked_virtual = true;
	VMCS_SET(v, EXCEPTION_BITMAP, 1u << EXC_DB);
	iret_frame(tm, TARGET, RFLAGS_FIXED1);
	t_flags(tm, RFLAGS_FIXED1 | RFLAGS_TF);
	stop = run_iret(tm, iretq, sizeof(iretq));
	assert_exited(tm, stop, EXIT_EXCEPTION_NMI, TARGET);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO), INTR_INFO_VALID | (3u << 8) | EXC_DB);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 1u << 14);   /* BS */
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTERRUPTIBILITY) & INTR_STATE_NMI, 0);
	tm_free(tm);
}

/* --- Bit 12 of the EPT-violation and PML-full qualifications ------------ */

/* EPT identity map; leaf 6 (the IRET's stack at HOLE) is `hole`.  With
 * `ad`, A and D are set everywhere else, so that only the stack read
 * needs a flag set. */
static void ept_on(struct tm *tm, uint64_t hole, bool ad)
{
	struct vmx *v = tm->cpu->vmx;
	uint64_t flags = ad ? EPT_A | EPT_D : 0;

	tm_write(tm, EPT_PML4, 8, EPT_PDPT | EPT_RWX | flags);
	tm_write(tm, EPT_PDPT, 8, EPT_PD | EPT_RWX | flags);
	for (uint64_t i = 0; i < 16; i++)
		tm_write(tm, EPT_PD + 8 * i, 8, (i << 21) | EPT_PS | EPT_WB | EPT_RWX | flags);
	tm_write(tm, EPT_PD + 8 * (HOLE >> 21), 8, hole);
	VMCS_SET(v, PROC_CONTROLS, PROC_SECONDARY);
	VMCS_SET(v, PROC2_CONTROLS, PROC2_EPT | (ad ? PROC2_PML : 0));
	VMCS_SET(v, EPT_POINTER, EPTP | (ad ? EPTP_AD : 0));
	VMCS_SET(v, PML_ADDR, EPT_PML);
	VMCS_SET(v, GUEST_PML_INDEX, 0xffff);        /* log full */
	ept_context_enter(tm->cpu);
	tm->cpu->gpr[R_RSP] = HOLE + 0x100;
}

/* ept.md §6: a read (bit 0) of a not-present GPA (bits 5:3 = 0), GLA
 * valid (7), final access (8); bits 11:9 depend on the advanced-
 * information capability and are not looked at; bit 12 as above. */
static void ept_violation_on_iret_reports_unblocking(void **state)
{
	(void)state;
	for (int blocked = 0; blocked < 2; blocked++) {
		struct tm *tm = nr_machine(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, 0);
		struct vmx *v = tm->cpu->vmx;
		enum cpu_stop stop;

		v->nmi_blocked_virtual = blocked;
		ept_on(tm, 0, false);
		stop = run_iret(tm, iretq, sizeof(iretq));
		assert_exited(tm, stop, EXIT_EPT_VIOLATION, TM_CODE);
		assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION) & ~0xe00ull,
		                 0x181u | (blocked ? 1u << 12 : 0));
		assert_int_equal(field(tm, VMCS_IDX_GUEST_PHYSICAL_ADDRESS) & ~0xfffull,
		                 HOLE);
		assert_int_equal(field(tm, VMCS_IDX_GUEST_INTERRUPTIBILITY) & INTR_STATE_NMI, 0);
		assert_int_equal(field(tm, VMCS_IDX_EXIT_INTR_INFO) & INTR_INFO_VALID, 0);
		tm_free(tm);
	}
}

/* ept.md §8: the stack read needs the accessed flag set and the log is
 * full: exit 62, qualification = bit 12 only. */
static void pml_full_on_iret_reports_unblocking(void **state)
{
	(void)state;
	for (int blocked = 0; blocked < 2; blocked++) {
		struct tm *tm = nr_machine(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, 0);
		struct vmx *v = tm->cpu->vmx;
		enum cpu_stop stop;

		v->nmi_blocked_virtual = blocked;
		ept_on(tm, HOLE | EPT_PS | EPT_WB | EPT_RWX, true);
		stop = run_iret(tm, iretq, sizeof(iretq));
		assert_exited(tm, stop, EXIT_PML_FULL, TM_CODE);
		assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), blocked ? 1u << 12 : 0);
		assert_int_equal(field(tm, VMCS_IDX_GUEST_INTERRUPTIBILITY) & INTR_STATE_NMI, 0);
		tm_free(tm);
	}
}

/* An EPT misconfiguration's qualification stays 0 (vm-exits.md §1 row 49):
 * memory type 2 in the stack's leaf (EPTMC-5). */
static void ept_misconfig_on_iret_has_no_bit(void **state)
{
	struct tm *tm = nr_machine(PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, 0);
	enum cpu_stop stop;

	(void)state;
	tm->cpu->vmx->nmi_blocked_virtual = true;
	ept_on(tm, HOLE | EPT_PS | (2ull << 3) | EPT_RWX, false);   /* memory type 2 */
	stop = run_iret(tm, iretq, sizeof(iretq));
	assert_exited(tm, stop, EXIT_EPT_MISCONFIG, TM_CODE);
	assert_int_equal(field(tm, VMCS_IDX_EXIT_QUALIFICATION), 0);
	assert_int_equal(field(tm, VMCS_IDX_GUEST_INTERRUPTIBILITY) & INTR_STATE_NMI, 0);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iret_opens_nmi_window),
		cmocka_unit_test(nmi_window_open_without_blocking),
		cmocka_unit_test(iret_unblocks_nmis),
		cmocka_unit_test(iret_keeps_nmi_blocking_with_nmi_exiting),
		cmocka_unit_test(pf_on_iret_reports_unblocking),
		cmocka_unit_test(delivered_fault_keeps_unblocking),
		cmocka_unit_test(trap_after_iret_reports_nothing),
		cmocka_unit_test(ept_violation_on_iret_reports_unblocking),
		cmocka_unit_test(pml_full_on_iret_reports_unblocking),
		cmocka_unit_test(ept_misconfig_on_iret_has_no_bit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
