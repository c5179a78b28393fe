/* VM entry after the checks, VM exit and boundary events (src/vmx/entry.c,
 * exit.c, window.c) on the fakebus machine: a 64-bit host in VMX root
 * operation with a current VMCS that passes every check, entering a 64-bit
 * guest that shares the host's identity-mapped page tables.  Expected
 * values come from shared/spec/vm-entry-checks.md §5-§8 and
 * shared/spec/vm-exits.md §4, §7-§10; each test names its rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/cr.h"
#include "cpu/flags.h"
#include "cpu/ops.h"
#include "fakebus.h"
#include "vmx/entry.h"
#include "vmx/exit.h"
#include "vmx/nonroot.h"
#include "vmx/vmx.h"

#define VMCS_PA     0x400000ull
#define MSR_AREA    0x410000ull
#define H_RIP       0x150000ull
#define H_RSP       0x2f0000ull
#define H_TR        0x3000ull
#define G_RSP       0x280008ull
#define G_TR        0x3800ull
#define IDT_BASE    0x2000ull
#define GP_HANDLER  0x100800ull

/* Control values: the reference profile's TRUE allowed-0 settings
 * (vmx-capabilities.md §9.1) plus what each test adds. */
#define PIN_BASE    0x16u
#define PROC_BASE   0x04006172u
#define EXIT_BASE   (0x00036dfbu | (1u << 9))        /* + host address-space size */
#define ENTRY_BASE  (0x000011fbu | (1u << 9))        /* + IA-32e mode guest */

#define AR_CODE64   0xa09bu   /* type 11, S, P, L, G */
#define AR_DATA     0xc093u   /* type 3, S, P, D/B, G */
#define AR_TSS64    0x008bu   /* type 11 (busy), P */
#define AR_UNUSABLE 0x10000u

static struct tm *tm;
static struct vmx *v;

static void set(enum vmcs_index i, uint64_t x)
{
	vmcs_set_idx(v, i, x);
}

#define SET(NAME, x) set(VMCS_IDX_##NAME, (x))
#define GET(NAME) VMCS_GET(v, NAME)

static void guest_seg(enum vmcs_index sel, uint16_t s, enum vmcs_index base, uint64_t b,
                      enum vmcs_index lim, uint32_t l, enum vmcs_index ar, uint32_t a)
{
	set(sel, s);
	set(base, b);
	set(lim, l);
	set(ar, a);
}

#define GSEG(N, s, b, l, a) \
	guest_seg(VMCS_IDX_GUEST_##N##_SELECTOR, (s), VMCS_IDX_GUEST_##N##_BASE, (b), \
	          VMCS_IDX_GUEST_##N##_LIMIT, (l), VMCS_IDX_GUEST_##N##_AR_BYTES, (a))

/* A host in 64-bit mode with CR4.VMXE, in VMX root operation with a
 * current, clear VMCS describing a 64-bit guest at TM_CODE. */
static int setup(void **state)
{
	struct cpu *cpu;

	(void)state;
	tm = tm_new(TM_LONG64);
	cpu = tm->cpu;
	v = cpu->vmx;
	cpu->cr4 |= CR4_VMXE;
	v->op = VMX_ROOT;
	v->vmxon_ptr = 0x3ff000;
	v->current_vmcs = VMCS_PA;
	v->current_launched = false;
	memset(&v->vmcs, 0, sizeof(v->vmcs));

	SET(PIN_CONTROLS, PIN_BASE);
	SET(PROC_CONTROLS, PROC_BASE);
	SET(EXIT_CONTROLS, EXIT_BASE);
	SET(ENTRY_CONTROLS, ENTRY_BASE);
	SET(VMCS_LINK_POINTER, ~0ull);

	SET(HOST_CR0, CR0_PE | CR0_ET | CR0_NE | CR0_PG);
	SET(HOST_CR3, 0x10000);
	SET(HOST_CR4, CR4_PAE | CR4_VMXE);
	SET(HOST_CS_SELECTOR, TM_SEL_CODE64);
	SET(HOST_SS_SELECTOR, TM_SEL_DATA);
	SET(HOST_DS_SELECTOR, TM_SEL_DATA);
	SET(HOST_ES_SELECTOR, 0);
	SET(HOST_FS_SELECTOR, 0);
	SET(HOST_GS_SELECTOR, 0);
	SET(HOST_TR_SELECTOR, 0x40);
	SET(HOST_FS_BASE, 0x7000);
	SET(HOST_GS_BASE, 0x8000);
	SET(HOST_TR_BASE, H_TR);
	SET(HOST_GDTR_BASE, 0x1000);
	SET(HOST_IDTR_BASE, IDT_BASE);
	SET(HOST_IA32_SYSENTER_CS, 0x10);
	SET(HOST_IA32_SYSENTER_ESP, 0x11000);
	SET(HOST_IA32_SYSENTER_EIP, 0x12000);
	SET(HOST_RIP, H_RIP);
	SET(HOST_RSP, H_RSP);

	SET(GUEST_CR0, CR0_PE | CR0_ET | CR0_NE | CR0_PG);
	SET(GUEST_CR3, 0x10000);
	SET(GUEST_CR4, CR4_PAE | CR4_VMXE);
	SET(GUEST_DR7, 0x400);
	GSEG(CS, TM_SEL_CODE64, 0, 0xffffffff, AR_CODE64);
	GSEG(SS, TM_SEL_DATA, 0, 0xffffffff, AR_DATA);
	GSEG(DS, TM_SEL_DATA, 0, 0xffffffff, AR_DATA);
	GSEG(ES, TM_SEL_DATA, 0, 0xffffffff, AR_DATA);
	GSEG(FS, 0, 0x5000, 0, AR_UNUSABLE);
	GSEG(GS, 0, 0x6000, 0, AR_UNUSABLE);
	GSEG(LDTR, 0, 0, 0, AR_UNUSABLE);
	GSEG(TR, 0x40, G_TR, 0x67, AR_TSS64);
	SET(GUEST_GDTR_BASE, 0x1000);
	SET(GUEST_GDTR_LIMIT, 0x3f);
	SET(GUEST_IDTR_BASE, IDT_BASE);
	SET(GUEST_IDTR_LIMIT, 0xfff);
	SET(GUEST_IA32_SYSENTER_CS, 0x20);
	SET(GUEST_IA32_SYSENTER_ESP, 0x21000);
	SET(GUEST_IA32_SYSENTER_EIP, 0x22000);
	SET(GUEST_RIP, TM_CODE);
	SET(GUEST_RSP, G_RSP);
	SET(GUEST_RFLAGS, RFLAGS_FIXED1);

	/* The host comes back to a HLT (RFLAGS.IF = 0 after an exit, so the
	 * run ends with STOP_HALT). */
	tm_write(tm, H_RIP, 1, 0xf4);
	*state = tm;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tm_free(tm);
	return 0;
}

static void guest_code(const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++)
		tm_write(tm, TM_CODE + i, 1, bytes[i]);
}

/* §5: guest state loaded from the VMCS into the processor, 64-bit guest. */
static void entry_loads_guest_state(void **state)
{
	struct cpu *cpu = tm->cpu;
	uint64_t cycles;
	int st;

	(void)state;
	/* §5 step 1: CR0.CD (bit 30) keeps its current value (0 here) even
	 * though the guest field has it set; GUEST-2 never checks it. */
	SET(GUEST_CR0, CR0_PE | CR0_ET | CR0_NE | CR0_PG | CR0_CD);
	cpu->efer = EFER_LME | EFER_LMA | EFER_SCE;
	cycles = cpu->cycles;
	st = vmx_vmentry(cpu, true, 3);
	assert_int_equal(st, X_JUMP);
	assert_true(cpu->vmx_nonroot);
	assert_int_equal(v->op, VMX_NONROOT);
	/* §7 step 1: VMLAUNCH sets the launch state. */
	assert_true(v->current_launched);
	assert_true(cpu->cycles > cycles);

	assert_int_equal(cpu->cr0 & CR0_CD, 0);
	assert_int_equal(cpu->cr0 & (CR0_PE | CR0_PG | CR0_NE), CR0_PE | CR0_PG | CR0_NE);
	assert_int_equal(cpu->cr4, CR4_PAE | CR4_VMXE);
	assert_int_equal(cpu->cr3, 0x10000);
	/* §5 step 5, "load IA32_EFER" = 0: LMA = LME = IA32E (guest PG = 1),
	 * other bits unchanged. */
	assert_int_equal(cpu->efer, EFER_LME | EFER_LMA | EFER_SCE);
	/* §5 step 3: SYSENTER always loaded. */
	assert_int_equal(cpu->sysenter_cs, 0x20);
	assert_int_equal(cpu->sysenter_esp, 0x21000);
	assert_int_equal(cpu->sysenter_eip, 0x22000);
	/* §5 step 6: segments with their caches, unusable ones unusable. */
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_CODE64);
	assert_int_equal(cpu->seg[SEG_CS].attr, AR_CODE64);
	assert_int_equal(cpu->seg[SEG_SS].attr, AR_DATA);
	assert_int_equal(cpu->seg[SEG_SS].limit, 0xffffffff);
	assert_true(cpu->seg[SEG_FS].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->seg[SEG_FS].base, 0x5000);
	assert_int_equal(cpu->seg[SEG_GS].base, 0x6000);
	assert_true(cpu->seg[SEG_LDTR].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->seg[SEG_TR].sel, 0x40);
	assert_int_equal(cpu->seg[SEG_TR].base, G_TR);
	assert_int_equal(cpu->seg[SEG_TR].limit, 0x67);
	assert_int_equal(cpu->seg[SEG_TR].attr, AR_TSS64);
	assert_int_equal(cpu->gdtr.base, 0x1000);
	assert_int_equal(cpu->gdtr.limit, 0x3f);
	assert_int_equal(cpu->idtr.limit, 0xfff);
	/* §5 step 7 and the derived state: 64-bit mode, CPL = SS.DPL = 0. */
	assert_int_equal(cpu->rip, TM_CODE);
	assert_int_equal(cpu->gpr[R_RSP], G_RSP);
	assert_int_equal(cpu->rflags & ~(uint64_t)RFLAGS_ARITH, RFLAGS_FIXED1);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->cpl, 0);
	/* Nothing armed: no boundary events. */
	assert_false(cpu->vmx_events);
	assert_false(cpu->halted);
}

/* §5 step 2 and §9: DR7 with "load debug controls" (bits 15:14 read 0,
 * bit 10 reads 1); a VM exit sets DR7 to 0x400. */
static void entry_dr7_and_exit_dr7(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	SET(ENTRY_CONTROLS, ENTRY_BASE | (1u << 2));
	SET(EXIT_CONTROLS, EXIT_BASE | (1u << 2));
	SET(GUEST_DR7, 0xc001);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_int_equal(cpu->dr[7], 0x401);
	assert_int_equal(vmx_exit(cpu, EXIT_CPUID, 0), X_VMEXIT);
	/* vm-exits.md §8: DR7 saved with "save debug controls". */
	assert_int_equal(GET(GUEST_DR7), 0x401);
	assert_int_equal(cpu->dr[7], 0x400);
}

/* vm-exits.md §7-§9: an exit saves the guest state and loads the host
 * state exactly as the table of §9 gives it. */
static void exit_saves_guest_loads_host(void **state)
{
	struct cpu *cpu = tm->cpu;
	uint64_t cycles;

	(void)state;
	SET(ENTRY_INTR_INFO, 0);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	/* The guest ran a little: new RIP, RSP, IF and a general register. */
	cpu->rip = TM_CODE + 0x10;
	cpu->gpr[R_RSP] = G_RSP - 0x40;
	cpu->gpr[R_RBX] = 0x1234;
	cpu->rflags |= RFLAGS_IF;
	cycles = cpu->cycles;
	assert_int_equal(vmx_exit(cpu, EXIT_CPUID, 0), X_VMEXIT);
	assert_true(cpu->cycles > cycles);

	/* §6: reason and qualification. */
	assert_int_equal(GET(EXIT_REASON), EXIT_CPUID);
	assert_int_equal(GET(EXIT_QUALIFICATION), 0);
	/* §8: guest state saved. */
	assert_int_equal(GET(GUEST_RIP), TM_CODE + 0x10);
	assert_int_equal(GET(GUEST_RSP), G_RSP - 0x40);
	assert_int_equal(GET(GUEST_RFLAGS), RFLAGS_FIXED1 | RFLAGS_IF);
	assert_int_equal(GET(GUEST_CS_SELECTOR), TM_SEL_CODE64);
	assert_int_equal(GET(GUEST_CS_AR_BYTES), AR_CODE64);
	assert_int_equal(GET(GUEST_FS_AR_BYTES) & AR_UNUSABLE, AR_UNUSABLE);
	assert_int_equal(GET(GUEST_FS_BASE), 0x5000);
	assert_int_equal(GET(GUEST_TR_BASE), G_TR);
	assert_int_equal(GET(GUEST_ACTIVITY_STATE), 0);
	assert_int_equal(GET(GUEST_INTERRUPTIBILITY), 0);
	assert_int_equal(GET(GUEST_PENDING_DBG_EXCEPTIONS), 0);
	/* MISC[5] = 1 in the profile: "IA-32e mode guest" follows EFER.LMA. */
	assert_int_equal(GET(ENTRY_CONTROLS) & (1u << 9), 1u << 9);

	/* §9: host state. */
	assert_false(cpu->vmx_nonroot);
	assert_int_equal(v->op, VMX_ROOT);
	assert_int_equal(cpu->rip, H_RIP);
	assert_int_equal(cpu->gpr[R_RSP], H_RSP);
	assert_int_equal(cpu->gpr[R_RBX], 0x1234);     /* GPRs are not switched */
	assert_int_equal(cpu->rflags & ~(uint64_t)RFLAGS_ARITH, 0x2);
	assert_int_equal(cpu->cr3, 0x10000);
	assert_int_equal(cpu->cr4, CR4_PAE | CR4_VMXE);
	assert_int_equal(cpu->efer & (EFER_LMA | EFER_LME), EFER_LMA | EFER_LME);
	assert_int_equal(cpu->dr[7], 0x400);
	/* CS: base 0, limit 4G, type 11, S, DPL 0, P, L = HASS, D = 0, G. */
	assert_int_equal(cpu->seg[SEG_CS].sel, TM_SEL_CODE64);
	assert_int_equal(cpu->seg[SEG_CS].base, 0);
	assert_int_equal(cpu->seg[SEG_CS].limit, 0xffffffff);
	assert_int_equal(cpu->seg[SEG_CS].attr, 0xa09b);
	/* SS/DS: type 3, S, P, D/B, G; ES with a null selector: unusable. */
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_DATA);
	assert_int_equal(cpu->seg[SEG_SS].attr, 0xc093);
	assert_int_equal(cpu->seg[SEG_DS].attr, 0xc093);
	assert_true(cpu->seg[SEG_ES].attr & SEG_UNUSABLE);
	/* FS/GS bases load with HASS = 1 even with null selectors. */
	assert_true(cpu->seg[SEG_FS].attr & SEG_UNUSABLE);
	assert_int_equal(cpu->seg[SEG_FS].base, 0x7000);
	assert_int_equal(cpu->seg[SEG_GS].base, 0x8000);
	/* TR: limit 0x67, busy TSS type 11, P; LDTR unusable. */
	assert_int_equal(cpu->seg[SEG_TR].sel, 0x40);
	assert_int_equal(cpu->seg[SEG_TR].base, H_TR);
	assert_int_equal(cpu->seg[SEG_TR].limit, 0x67);
	assert_int_equal(cpu->seg[SEG_TR].attr, 0x8b);
	assert_true(cpu->seg[SEG_LDTR].attr & SEG_UNUSABLE);
	/* GDTR/IDTR: limit 0xFFFF. */
	assert_int_equal(cpu->gdtr.base, 0x1000);
	assert_int_equal(cpu->gdtr.limit, 0xffff);
	assert_int_equal(cpu->idtr.base, IDT_BASE);
	assert_int_equal(cpu->idtr.limit, 0xffff);
	assert_int_equal(cpu->sysenter_cs, 0x10);
	assert_int_equal(cpu->sysenter_esp, 0x11000);
	assert_int_equal(cpu->sysenter_eip, 0x12000);
	assert_int_equal(cpu->mode, MODE_LONG);
	assert_int_equal(cpu->cpl, 0);
	assert_false(cpu->vmx_events);

	/* The host runs again: its HLT. */
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->rip, H_RIP + 1);
}

/* vm-entry-checks.md §6 and §8: the third MSR-load entry (IA32_FS_BASE,
 * MSR-2) fails the entry with exit reason 34 | 0x80000000 and
 * qualification 3; the first two stay loaded; only host state is loaded
 * and the launch state stays clear. */
static void msr_load_failure_index(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	tm_write(tm, MSR_AREA + 0, 8, MSR_IA32_STAR);
	tm_write(tm, MSR_AREA + 8, 8, 0x0023001000000000ull);
	tm_write(tm, MSR_AREA + 16, 8, MSR_IA32_KERNEL_GS_BASE);
	tm_write(tm, MSR_AREA + 24, 8, 0x9000);
	tm_write(tm, MSR_AREA + 32, 8, MSR_IA32_FS_BASE);
	tm_write(tm, MSR_AREA + 40, 8, 0xa000);
	SET(ENTRY_MSR_LOAD_ADDR, MSR_AREA);
	SET(ENTRY_MSR_LOAD_COUNT, 3);
	SET(GUEST_RIP, TM_CODE + 0x20);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_VMEXIT);
	assert_int_equal(GET(EXIT_REASON), 0x80000022u);
	assert_int_equal(GET(EXIT_QUALIFICATION), 3);
	assert_string_equal(v->last_fail.id, "MSR-2");
	assert_int_equal(cpu->star, 0x0023001000000000ull);
	assert_int_equal(cpu->kernel_gs_base, 0x9000);
	assert_false(v->current_launched);
	assert_false(cpu->vmx_nonroot);
	assert_int_equal(v->op, VMX_ROOT);
	assert_int_equal(cpu->rip, H_RIP);
	assert_int_equal(cpu->gpr[R_RSP], H_RSP);
	/* The guest-state area is not written by an entry failure. */
	assert_int_equal(GET(GUEST_RIP), TM_CODE + 0x20);
}

/* vm-entry-checks.md §4 and §8: a guest-state failure (GUEST-9: IA-32e
 * guest without CR4.PAE) is exit 33 | 0x80000000, qualification 0. */
static void guest_state_failure(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	SET(GUEST_CR4, CR4_VMXE);
	assert_int_equal(vmx_vmentry(cpu, false, 3), X_VMEXIT);
	assert_int_equal(GET(EXIT_REASON), 0x80000021u);
	assert_int_equal(GET(EXIT_QUALIFICATION), 0);
	assert_int_equal(cpu->rip, H_RIP);
	assert_false(cpu->vmx_nonroot);
}

/* vm-entry-checks.md §2: a bad control (CTL-2: PIN lacks its default1
 * bits) is VMfailValid(7): ZF = 1, error field 7, nothing loaded. */
static void control_failure_vmfail7(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	SET(PIN_CONTROLS, 0);
	cpu->rip = TM_CODE + 0x40;
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_OK);
	assert_int_equal(GET(VM_INSTRUCTION_ERROR), 7);
	assert_int_equal(flags_read(cpu) & RFLAGS_ARITH, RFLAGS_ZF);
	assert_int_equal(cpu->rip, TM_CODE + 0x40);
	assert_false(cpu->vmx_nonroot);
	assert_false(v->current_launched);
}

/* The cycle count when the last VM exit was reported, before the exit's
 * own charge. */
static uint64_t exit_cycles;

static void on_event(void *opaque, const struct cpu *cpu, const struct vmx_event *ev)
{
	(void)opaque;
	if (ev->kind == VMX_EV_EXIT)
		exit_cycles = cpu->cycles - VMX_EXIT_CYCLES;
}

/* vm-exits.md §2.4, vmx-capabilities.md §6 (rate 0: one decrement per
 * cycle): the timer exit (52) comes once N cycles of guest execution have
 * passed, at the first instruction boundary at or after the deadline. */
static void preemption_timer_after_n_cycles(void **state)
{
	static const uint8_t spin[] = { 0xeb, 0xfe };      /* jmp $ */
	struct cpu *cpu = tm->cpu;
	const uint64_t n = 101;
	uint64_t t0;

	(void)state;
	guest_code(spin, sizeof(spin));
	SET(PIN_CONTROLS, PIN_BASE | (1u << 6));
	SET(EXIT_CONTROLS, EXIT_BASE | (1u << 22));
	SET(PREEMPTION_TIMER_VALUE, n);
	v->event_fn = on_event;
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_true(cpu->vmx_events);
	t0 = cpu->cycles;
	assert_int_equal(tm_run(tm, 10000), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_PREEMPTION_TIMER);
	/* The exit follows the JMP (C_BR cycles) that reached the deadline. */
	assert_true(exit_cycles - t0 >= n);
	assert_true(exit_cycles - t0 < n + C_BR);
	assert_int_equal(GET(GUEST_RIP), TM_CODE);
	/* vm-exits.md §8: the saved timer value is 0 for a timer exit. */
	assert_int_equal(GET(PREEMPTION_TIMER_VALUE), 0);
}

/* The same inside one long block of straight-line code: the exit comes at
 * the first instruction boundary at or after the deadline, in the middle
 * of the block (each NOP costs C_ALU = 1 cycle). */
static void preemption_timer_mid_block(void **state)
{
	uint8_t code[42];
	struct cpu *cpu = tm->cpu;
	const uint64_t n = 30;
	uint64_t t0;

	(void)state;
	memset(code, 0x90, 40);
	code[40] = 0xeb;                               /* jmp to the start */
	code[41] = (uint8_t)-42;
	guest_code(code, sizeof(code));
	SET(PIN_CONTROLS, PIN_BASE | (1u << 6));
	SET(PREEMPTION_TIMER_VALUE, n);
	v->event_fn = on_event;
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	t0 = cpu->cycles;
	assert_int_equal(tm_run(tm, 10000), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_PREEMPTION_TIMER);
	assert_true(exit_cycles - t0 >= n);
	assert_true(exit_cycles - t0 < n + C_ALU);
	assert_true(GET(GUEST_RIP) > TM_CODE && GET(GUEST_RIP) < TM_CODE + 40);
}

/* vm-entry-checks.md §7 step 3: a timer value of 0 exits before the first
 * guest instruction. */
static void preemption_timer_zero(void **state)
{
	static const uint8_t spin[] = { 0xeb, 0xfe };
	struct cpu *cpu = tm->cpu;
	uint64_t icount;

	(void)state;
	guest_code(spin, sizeof(spin));
	SET(PIN_CONTROLS, PIN_BASE | (1u << 6));
	SET(PREEMPTION_TIMER_VALUE, 0);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	icount = cpu->icount;
	assert_int_equal(tm_run(tm, 10000), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_PREEMPTION_TIMER);
	assert_int_equal(cpu->icount - icount, 1);     /* only the host's HLT */
	assert_int_equal(GET(GUEST_RIP), TM_CODE);
}

/* vm-exits.md §8: with "save VMX-preemption timer value", another exit
 * stores what is left of the count. */
static void preemption_timer_saved_value(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	SET(PIN_CONTROLS, PIN_BASE | (1u << 6));
	SET(EXIT_CONTROLS, EXIT_BASE | (1u << 22));
	SET(PREEMPTION_TIMER_VALUE, 1000);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	cpu->cycles += 300;
	assert_int_equal(vmx_exit(cpu, EXIT_CPUID, 0), X_VMEXIT);
	assert_int_equal(GET(PREEMPTION_TIMER_VALUE), 700);
}

/* vm-exits.md §8 (activity state) and §2.4: a guest that halts with the
 * timer armed wakes by the timer exit, with activity state HLT and RIP
 * after the HLT. */
static void halted_guest_wakes_by_timer(void **state)
{
	static const uint8_t hlt[] = { 0xf4 };
	struct cpu *cpu = tm->cpu;
	uint64_t t0;

	(void)state;
	guest_code(hlt, sizeof(hlt));
	SET(PIN_CONTROLS, PIN_BASE | (1u << 6));
	SET(PREEMPTION_TIMER_VALUE, 5000);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	t0 = cpu->cycles;
	assert_int_equal(tm_run(tm, 10000), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_PREEMPTION_TIMER);
	assert_int_equal(GET(GUEST_ACTIVITY_STATE), 1);
	assert_int_equal(GET(GUEST_RIP), TM_CODE + 1);
	assert_true(cpu->cycles >= t0 + 5000);
	assert_int_equal(cpu->rip, H_RIP + 1);
}

/* vm-entry-checks.md §5 step 9: activity state HLT at entry; the timer
 * still wakes it. */
static void entry_in_hlt_state(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	SET(GUEST_ACTIVITY_STATE, 1);
	SET(PIN_CONTROLS, PIN_BASE | (1u << 6));
	SET(PREEMPTION_TIMER_VALUE, 50);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_true(cpu->halted);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_PREEMPTION_TIMER);
	assert_int_equal(GET(GUEST_ACTIVITY_STATE), 1);
	assert_int_equal(GET(GUEST_RIP), TM_CODE);
}

/* vm-exits.md §1 row 7: interrupt-window exiting exits before the first
 * guest instruction when RFLAGS.IF = 1 and nothing blocks; with blocking
 * by STI it exits after one instruction. */
static void interrupt_window(void **state)
{
	static const uint8_t nops[] = { 0x90, 0x90, 0xeb, 0xfe };
	struct cpu *cpu = tm->cpu;

	(void)state;
	guest_code(nops, sizeof(nops));
	SET(PROC_CONTROLS, PROC_BASE | (1u << 2));
	SET(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_IF);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_INTERRUPT_WINDOW);
	assert_int_equal(GET(GUEST_RIP), TM_CODE);

	SET(GUEST_INTERRUPTIBILITY, 1);               /* blocking by STI */
	assert_int_equal(vmx_vmentry(cpu, false, 3), X_JUMP);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_INTERRUPT_WINDOW);
	assert_int_equal(GET(GUEST_RIP), TM_CODE + 1);
	assert_int_equal(GET(GUEST_INTERRUPTIBILITY), 0);
}

/* vm-exits.md §1 row 37: the monitor trap flag exits after each guest
 * instruction (trap-like: RIP of the next one). */
static void monitor_trap_flag(void **state)
{
	static const uint8_t nops[] = { 0x90, 0x90, 0x90, 0xeb, 0xfe };
	struct cpu *cpu = tm->cpu;

	(void)state;
	guest_code(nops, sizeof(nops));
	SET(PROC_CONTROLS, PROC_BASE | (1u << 27));
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_MONITOR_TRAP_FLAG);
	assert_int_equal(GET(GUEST_RIP), TM_CODE + 1);
	assert_int_equal(vmx_vmentry(cpu, false, 3), X_JUMP);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_MONITOR_TRAP_FLAG);
	assert_int_equal(GET(GUEST_RIP), TM_CODE + 2);
}

/* Write a 64-bit interrupt gate (SDM Vol. 3A Figure 6-8) to the IDT. */
static void put_gate64(unsigned vector, uint64_t offset)
{
	uint64_t lo = (offset & 0xffff) | ((uint64_t)TM_SEL_CODE64 << 16) |
	              (0x8eull << 40) | ((offset >> 16 & 0xffff) << 48);

	tm_write(tm, IDT_BASE + 16 * vector, 8, lo);
	tm_write(tm, IDT_BASE + 16 * vector + 8, 8, offset >> 32);
}

/* vm-entry-checks.md §7 step 4: an injected #GP with error code is
 * delivered through the guest IDT as if it occurred in the guest: the
 * 64-bit frame SS, RSP, RFLAGS, CS, RIP, error code on the stack aligned
 * to 16, RIP at the handler, IF cleared by the interrupt gate. */
static void inject_gp_with_error_code(void **state)
{
	struct cpu *cpu = tm->cpu;
	uint64_t sp = (G_RSP & ~0xfull) - 48;

	(void)state;
	put_gate64(EXC_GP, GP_HANDLER);
	SET(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_IF);
	SET(ENTRY_INTR_INFO, 0x80000000u | (1u << 11) | (3u << 8) | EXC_GP);
	SET(ENTRY_EXCEPTION_ERROR_CODE, 0x18);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_true(cpu->vmx_nonroot);
	assert_int_equal(cpu->rip, GP_HANDLER);
	assert_int_equal(cpu->gpr[R_RSP], sp);
	assert_int_equal(tm_read(tm, sp, 8), 0x18);
	assert_int_equal(tm_read(tm, sp + 8, 8), TM_CODE);
	assert_int_equal(tm_read(tm, sp + 16, 8), TM_SEL_CODE64);
	assert_int_equal(tm_read(tm, sp + 24, 8) & RFLAGS_IF, RFLAGS_IF);
	assert_int_equal(tm_read(tm, sp + 32, 8), G_RSP);
	assert_int_equal(tm_read(tm, sp + 40, 8), TM_SEL_DATA);
	assert_int_equal(cpu->rflags & RFLAGS_IF, 0);
	/* vm-exits.md §4: the next exit clears the valid bit of the
	 * VM-entry interruption information. */
	assert_int_equal(vmx_exit(cpu, EXIT_CPUID, 0), X_VMEXIT);
	assert_int_equal(GET(ENTRY_INTR_INFO), (1u << 11) | (3u << 8) | EXC_GP);
}

/* vm-entry-checks.md §7 step 4: a software interrupt (type 4) pushes RIP
 * plus the VM-entry instruction length. */
static void inject_software_interrupt(void **state)
{
	struct cpu *cpu = tm->cpu;
	uint64_t sp = (G_RSP & ~0xfull) - 40;

	(void)state;
	put_gate64(0x80, GP_HANDLER);
	SET(ENTRY_INTR_INFO, 0x80000000u | (4u << 8) | 0x80);
	SET(ENTRY_INSTRUCTION_LEN, 2);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_int_equal(cpu->rip, GP_HANDLER);
	assert_int_equal(tm_read(tm, sp, 8), TM_CODE + 2);
}

/* vm-exits.md §11: a VM-exit MSR-load entry that cannot be loaded is a
 * VMX abort 4: indicator in bytes 4-7 of the VMCS region, shutdown. */
static void exit_msr_load_abort(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	tm_write(tm, MSR_AREA, 8, MSR_IA32_GS_BASE);
	tm_write(tm, MSR_AREA + 8, 8, 0);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	SET(EXIT_MSR_LOAD_ADDR, MSR_AREA);
	SET(EXIT_MSR_LOAD_COUNT, 1);
	assert_int_equal(vmx_exit(cpu, EXIT_CPUID, 0), X_STOP);
	assert_int_equal(cpu->stop, STOP_SHUTDOWN);
	assert_int_equal(tm_read(tm, VMCS_PA + 4, 4), 4);
}

/* vm-exits.md §10: the VM-exit MSR-store list gets the guest's values. */
static void exit_msr_store(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	tm_write(tm, MSR_AREA, 8, MSR_IA32_LSTAR);
	tm_write(tm, MSR_AREA + 8, 8, 0);
	SET(EXIT_MSR_STORE_ADDR, MSR_AREA);
	SET(EXIT_MSR_STORE_COUNT, 1);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	cpu->lstar = 0xffff800000001000ull;
	assert_int_equal(vmx_exit(cpu, EXIT_CPUID, 0), X_VMEXIT);
	assert_int_equal(tm_read(tm, MSR_AREA + 8, 8), 0xffff800000001000ull);
}

/* vm-entry-checks.md §7 step 4: type 7 vector 0 delivers nothing and makes
 * an MTF exit pending before the first guest instruction, even with the
 * "monitor trap flag" control 0. */
static void inject_pending_mtf(void **state)
{
	static const uint8_t spin[] = { 0xeb, 0xfe };
	struct cpu *cpu = tm->cpu;
	uint64_t icount;

	(void)state;
	guest_code(spin, sizeof(spin));
	SET(ENTRY_INTR_INFO, 0x80000000u | (7u << 8));
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	icount = cpu->icount;
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_MONITOR_TRAP_FLAG);
	assert_int_equal(GET(GUEST_RIP), TM_CODE);
	assert_int_equal(cpu->icount - icount, 1);     /* only the host's HLT */
}

/* vm-entry-checks.md §7 step 6: with MTF on, the MTF exit follows the
 * delivery of an injected event (RIP = the handler). */
static void mtf_after_injection(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	put_gate64(EXC_GP, GP_HANDLER);
	tm_write(tm, GP_HANDLER, 1, 0x90);
	SET(PROC_CONTROLS, PROC_BASE | (1u << 27));
	SET(ENTRY_INTR_INFO, 0x80000000u | (1u << 11) | (3u << 8) | EXC_GP);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_MONITOR_TRAP_FLAG);
	assert_int_equal(GET(GUEST_RIP), GP_HANDLER);
}

/* vm-exits.md §1 row 8: NMI-window exiting exits at once without NMI
 * blocking; with blocking by NMI (interruptibility bit 3) it does not,
 * and the guest runs on to its HLT. */
static void nmi_window(void **state)
{
	static const uint8_t hlt[] = { 0xf4 };
	struct cpu *cpu = tm->cpu;

	(void)state;
	guest_code(hlt, sizeof(hlt));
	/* CTL: NMI-window exiting needs virtual NMIs, which need NMI
	 * exiting. */
	SET(PIN_CONTROLS, PIN_BASE | (1u << 3) | (1u << 5));
	SET(PROC_CONTROLS, PROC_BASE | (1u << 22));
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(GET(EXIT_REASON), EXIT_NMI_WINDOW);
	assert_int_equal(GET(GUEST_RIP), TM_CODE);

	SET(GUEST_INTERRUPTIBILITY, 8);
	assert_int_equal(vmx_vmentry(cpu, false, 3), X_JUMP);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_true(cpu->vmx_nonroot);
	assert_true(cpu->halted);
	assert_int_equal(cpu->rip, TM_CODE + 1);
}

/* vm-entry-checks.md §5 step 9 and vm-exits.md §8: blocking by STI and
 * by MOV SS, and blocking by NMI, survive an entry/exit round trip. */
static void interruptibility_round_trip(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	SET(GUEST_RFLAGS, RFLAGS_FIXED1 | RFLAGS_IF);
	SET(GUEST_INTERRUPTIBILITY, 1 | 8);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_int_equal(vmx_exit(cpu, EXIT_CPUID, 0), X_VMEXIT);
	assert_int_equal(GET(GUEST_INTERRUPTIBILITY), 1 | 8);

	SET(GUEST_RFLAGS, RFLAGS_FIXED1);
	SET(GUEST_INTERRUPTIBILITY, 2);
	assert_int_equal(vmx_vmentry(cpu, false, 3), X_JUMP);
	assert_int_equal(vmx_exit(cpu, EXIT_CPUID, 0), X_VMEXIT);
	assert_int_equal(GET(GUEST_INTERRUPTIBILITY), 2);
}

/* vm-entry-checks.md §7 step 4: an injected NMI establishes blocking by
 * NMI, which the next exit saves (interruptibility bit 3). */
static void inject_nmi_blocks_nmis(void **state)
{
	struct cpu *cpu = tm->cpu;

	(void)state;
	put_gate64(EXC_NMI, GP_HANDLER);
	SET(ENTRY_INTR_INFO, 0x80000000u | (2u << 8) | EXC_NMI);
	assert_int_equal(vmx_vmentry(cpu, true, 3), X_JUMP);
	assert_int_equal(cpu->rip, GP_HANDLER);
	assert_int_equal(vmx_exit(cpu, EXIT_CPUID, 0), X_VMEXIT);
	assert_int_equal(GET(GUEST_INTERRUPTIBILITY) & 8, 8);
}

static void reason_names(void **state)
{
	(void)state;
	assert_string_equal(vmx_exit_reason_name(EXIT_CPUID), "CPUID");
	assert_string_equal(vmx_exit_reason_name(EXIT_PREEMPTION_TIMER), "PREEMPTION_TIMER");
	assert_string_equal(vmx_exit_reason_name(35), "?");
	assert_string_equal(vmx_exit_reason_name(1000), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(entry_loads_guest_state, setup, teardown),
		cmocka_unit_test_setup_teardown(entry_dr7_and_exit_dr7, setup, teardown),
		cmocka_unit_test_setup_teardown(exit_saves_guest_loads_host, setup, teardown),
		cmocka_unit_test_setup_teardown(msr_load_failure_index, setup, teardown),
		cmocka_unit_test_setup_teardown(guest_state_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(control_failure_vmfail7, setup, teardown),
		cmocka_unit_test_setup_teardown(preemption_timer_after_n_cycles, setup, teardown),
		cmocka_unit_test_setup_teardown(preemption_timer_mid_block, setup, teardown),
		cmocka_unit_test_setup_teardown(preemption_timer_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(preemption_timer_saved_value, setup, teardown),
		cmocka_unit_test_setup_teardown(halted_guest_wakes_by_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(entry_in_hlt_state, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupt_window, setup, teardown),
		cmocka_unit_test_setup_teardown(monitor_trap_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(inject_gp_with_error_code, setup, teardown),
		cmocka_unit_test_setup_teardown(inject_software_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(exit_msr_load_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(exit_msr_store, setup, teardown),
		cmocka_unit_test_setup_teardown(inject_pending_mtf, setup, teardown),
		cmocka_unit_test_setup_teardown(mtf_after_injection, setup, teardown),
		cmocka_unit_test_setup_teardown(nmi_window, setup, teardown),
		cmocka_unit_test_setup_teardown(interruptibility_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(inject_nmi_blocks_nmis, setup, teardown),
		cmocka_unit_test(reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
