/* Virtual-8086 mode extensions (CR4.VME) and protected-mode virtual
 * interrupts (CR4.PVI), SDM Vol. 3A §20.3 and §20.4:
 *  - INT n in virtual-8086 mode by the methods of Table 20-2 "Software
 *    Interrupt Handling Methods While in Virtual-8086 Mode", chosen by
 *    VME, IOPL and the TSS software interrupt redirection bit map;
 *  - CLI, STI, PUSHF, POPF and IRET acting on VIF with IOPL < 3 (§20.3.2
 *    and the Vol. 2 pages of each instruction);
 *  - CLI/STI at CPL 3 with PVI (§20.4).
 * The virtual-8086 code is vme.S; the PVI code runs in 64-bit ring 3. */
#include "guest.h"

#define SEL_TSS32 (SEL_SPARE + 8)
#define VM86_SEG 0x0900
#define VM86_LIN (VM86_SEG << 4)
#define EFL_VM86 (RFLAGS_VM | RFLAGS_FIXED1)
#define IOPL3 RFLAGS_IOPL

extern const char vme_body[];
extern const char t_int20_off[], t_int20_next_off[], t_int20_hlt_off[], h20_off[], t_int21_off[],
	h21_off[], t_int30_off[], t_int30_next_off[], t_clisti_off[], t_clisti_hlt_off[],
	t_sti_off[], t_pushf_off[], t_pushf_hlt_off[], t_popf_if_off[], t_popf_if_hlt_off[],
	t_popf_tf_off[], t_popf_tf_at_off[], t_popfd_off[], t_popfd_at_off[], t_pushfd_off[],
	t_iret_if_off[], t_iret_if_at_off[], t_iret_if_next_off[], t_iret_tf_off[],
	t_iret_tf_at_off[], t_iretd_off[], t_iretd_at_off[], t_int3_off[], t_int3_next_off[],
	t_intn3_off[];
#define OFF(l) ((uint32_t)(uintptr_t)(l##_off))

/* CR4 bits vme_body sets before entering virtual-8086 mode. */
uint32_t vme_cr4;

/* A 32-bit TSS (SDM Vol. 3A Figure 9-2) followed by the 32-byte software
 * interrupt redirection bit map, which ends at the I/O map base (Figure
 * 20-5: "Bit 0 ... is located at the I/O base map address in the TSS
 * minus 32 bytes"); the I/O map base is the TSS limit + 1, so there is no
 * I/O permission bit map. */
static struct {
	uint32_t regs[26];
	uint8_t redir[32];
} __attribute__((packed)) tss32 __attribute__((aligned(16)));
#define IO_MAP_BASE (sizeof(tss32.regs) + sizeof(tss32.redir))

static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
#define ESP0 ((uint32_t)(uintptr_t)(ring0_stack + sizeof(ring0_stack)))

static void *phys(uint32_t a)
{
	uintptr_t p = a;
	asm("" : "+r"(p));
	return (void *)p;
}

static uint16_t slot(unsigned off)
{
	return *(volatile uint16_t *)phys(VM86_LIN + off);
}

/* What ended a run: the exception (the final HLT is #GP(0) too), where,
 * and EFLAGS in its frame. */
struct result {
	uint32_t vector, error, eip, cs, eflags;
};

static struct result run(uint32_t cr4, uint32_t eflags, uint32_t ip)
{
	uint64_t base = (uintptr_t)&tss32, limit = IO_MAP_BASE - 1;
	struct result r;

	gdt[SEL_TSS32 / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)0x89 << 40 |
			     ((base >> 24) & 0xff) << 56;
	tss32.regs[1] = ESP0;
	tss32.regs[2] = SEL_KDATA;
	((uint16_t *)tss32.regs)[51] = IO_MAP_BASE;
	/* Bit set: protected-mode handler; clear: 8086 handler.  Only
	 * vectors 3, 0x20 and 0x21 are redirected. */
	memset(tss32.redir, 0xff, sizeof(tss32.redir));
	tss32.redir[0x20 / 8] &= (uint8_t)~(3u << (0x20 & 7));
	tss32.redir[0] &= (uint8_t)~(1u << 3);
	/* The 8086 program's vector table at linear address 0. */
	*(volatile uint32_t *)phys(0x20 * 4) = (uint32_t)VM86_SEG << 16 | OFF(h20);
	*(volatile uint32_t *)phys(0x21 * 4) = (uint32_t)VM86_SEG << 16 | OFF(h21);
	*(volatile uint32_t *)phys(3 * 4) = (uint32_t)VM86_SEG << 16 | OFF(h21);
	memset(phys(VM86_LIN + 0x200), 0xee, 16);
	legacy_trap.vector = 0xffffffff;
	vme_cr4 = cr4;
	uint32_t rc = legacy_call((uint32_t)(uintptr_t)vme_body, eflags, ip);
	gdt[SEL_TSS / 8] &= ~(2ull << 40);
	asm volatile("ltr %w0" : : "r"(SEL_TSS));
	if (rc)
		tap_diag("legacy_call returned 0x%x", rc);
	r.vector = legacy_trap.vector;
	r.error = legacy_trap.error;
	r.eip = legacy_trap.eip;
	r.cs = legacy_trap.cs;
	/* Frame below the runtime's saved EAX, vector and error code:
	 * EIP CS EFLAGS ESP SS ES DS FS GS (Figure 20-4). */
	r.eflags = *(volatile uint32_t *)phys(legacy_trap.handler_esp + 20);
	return r;
}

/* Did the run end with #GP(0) at offset `at`? */
static bool gp_at(struct result r, uint32_t at)
{
	return r.vector == EXC_GP && r.error == 0 && r.eip == at && r.cs == VM86_SEG;
}

#define DIAG(r) (r).vector, (r).error, (r).eip, (r).eflags
#define RFMT "(vector %u error 0x%x ip 0x%x eflags 0x%x)"

/* SDM Vol. 3A Table 20-2, methods 1 to 6, and the instructions that
 * return from a redirected interrupt. */
static void int_methods(void)
{
	struct result r;

	/* Method 5: VME = 1, IOPL = 3, bit clear.  "Pushes EFLAGS; Pushes
	 * CS and EIP (lower 16 bits only); Clears IF flag; Clears TF flag;
	 * Loads CS and EIP (lower 16 bits only) from selected entry in the
	 * interrupt vector table"; the handler's IRET returns. */
	r = run(CR4_VME, EFL_VM86 | IOPL3 | RFLAGS_IF | RFLAGS_VIF, OFF(t_int20));
	tap_ok(gp_at(r, OFF(t_int20_hlt)),
	       "method 5 (VME, IOPL 3, bit clear): INT 0x20 runs the 8086 handler and returns " RFMT,
	       DIAG(r));
	tap_check_u64(slot(0x200), 0x3202, "method 5: pushed FLAGS are EFLAGS[15:0] (IOPL 3, IF)");
	tap_ok(slot(0x202) == VM86_SEG && slot(0x204) == OFF(t_int20_next),
	       "method 5: pushed CS:IP 0x%x:0x%x is the return address", slot(0x202), slot(0x204));
	tap_check_u64(slot(0x206), 0x3002, "method 5: the 8086 handler runs with IF = 0");
	tap_check_u64(r.eflags & (RFLAGS_VIF | RFLAGS_IF | RFLAGS_IOPL),
		      RFLAGS_VIF | RFLAGS_IF | IOPL3, "method 5: IRET restores IF; VIF is untouched");

	/* Method 6: VME = 1, IOPL < 3, bit clear.  "Pushes EFLAGS with IOPL
	 * set to 3 and VIF copied to IF; ... Clears the VIF flag; Clears TF
	 * flag"; IF itself is not changed. */
	r = run(CR4_VME, EFL_VM86 | RFLAGS_VIF, OFF(t_int20));
	tap_ok(gp_at(r, OFF(t_int20_hlt)),
	       "method 6 (VME, IOPL 0, bit clear): INT 0x20 runs the 8086 handler and returns " RFMT,
	       DIAG(r));
	tap_check_u64(slot(0x200), 0x3202,
		      "method 6: pushed FLAGS hold VIF in the IF position and IOPL 3");
	tap_ok(slot(0x202) == VM86_SEG && slot(0x204) == OFF(t_int20_next),
	       "method 6: pushed CS:IP 0x%x:0x%x is the return address", slot(0x202), slot(0x204));
	tap_check_u64(slot(0x206), 0x3002, "method 6: PUSHF in the handler shows VIF = 0");
	tap_check_u64(slot(0x208), 0x3202, "method 6: the 16-bit IRET copied the popped IF to VIF");
	tap_check_u64(r.eflags & (RFLAGS_VIF | RFLAGS_IF | RFLAGS_IOPL), RFLAGS_VIF,
		      "method 6: IF and IOPL are never changed (IF 0, IOPL 0, VIF 1)");
	r = run(CR4_VME, EFL_VM86 | RFLAGS_IF | RFLAGS_VIF, OFF(t_int21));
	tap_ok(gp_at(r, OFF(h21)) && (r.eflags & (RFLAGS_VIF | RFLAGS_IF)) == RFLAGS_IF,
	       "method 6: the handler is entered with VIF = 0 and IF unchanged " RFMT, DIAG(r));

	/* Method 4: VME = 1, IOPL = 3, bit set: "Interrupt directed to
	 * protected-mode interrupt handler". */
	r = run(CR4_VME, EFL_VM86 | IOPL3, OFF(t_int30));
	tap_ok(r.vector == 0x30 && r.cs == VM86_SEG && r.eip == OFF(t_int30_next),
	       "method 4 (VME, IOPL 3, bit set): INT 0x30 goes through the IDT " RFMT, DIAG(r));
	/* Method 3: VME = 1, IOPL < 3, bit set: "Interrupt directed to a
	 * protected-mode general-protection exception (#GP) handler". */
	r = run(CR4_VME, EFL_VM86, OFF(t_int30));
	tap_ok(gp_at(r, OFF(t_int30)), "method 3 (VME, IOPL 0, bit set): INT 0x30 -> #GP(0) " RFMT,
	       DIAG(r));
	/* Only INT n is redirected.  Vol. 2 INT n, for INT3 (CC):
	 * "Interrupt redirection does not happen when in VME mode; the
	 * interrupt is handled by a protected-mode handler.  The
	 * virtual-8086 mode IOPL checks do not occur. ... Note that the
	 * "normal" 2-byte opcode for INT 3 (CD03) does not have these
	 * special features." */
	r = run(CR4_VME, EFL_VM86, OFF(t_int3));
	tap_ok(r.vector == EXC_BP && r.cs == VM86_SEG && r.eip == OFF(t_int3_next),
	       "INT3 (CC) with VME, IOPL 0, bit clear: #BP through the IDT " RFMT, DIAG(r));
	r = run(CR4_VME, EFL_VM86, OFF(t_intn3));
	tap_ok(gp_at(r, OFF(h21)), "INT 3 (CD 03) with VME, IOPL 0, bit clear: redirected " RFMT,
	       DIAG(r));
	/* Methods 1 and 2: with VME = 0 the bit map is not consulted. */
	r = run(0, EFL_VM86 | IOPL3, OFF(t_int20));
	tap_ok(r.vector == 0x20 && r.cs == VM86_SEG && r.eip == OFF(t_int20_next),
	       "method 1 (no VME, IOPL 3, bit clear): INT 0x20 goes through the IDT " RFMT, DIAG(r));
	r = run(0, EFL_VM86, OFF(t_int20));
	tap_ok(gp_at(r, OFF(t_int20)), "method 2 (no VME, IOPL 0, bit clear): INT 0x20 -> #GP(0) " RFMT,
	       DIAG(r));
}

/* CLI, STI, PUSHF, POPF and IRET with VME and IOPL < 3 (SDM Vol. 2). */
static void vif_instructions(void)
{
	struct result r;

	/* CLI: "IF (IOPL < 3) AND (VME = 1) THEN VIF := 0"; STI: "IF ((IOPL
	 * < 3) and (VIP = 0) and (VME = 1)) THEN VIF := 1"; PUSHF shows VIF
	 * in the IF position. */
	r = run(CR4_VME, EFL_VM86 | RFLAGS_IF | RFLAGS_VIF, OFF(t_clisti));
	tap_ok(gp_at(r, OFF(t_clisti_hlt)), "CLI/STI with VME and IOPL 0 do not fault " RFMT, DIAG(r));
	tap_check_u64(slot(0x200), 0x3002, "CLI clears VIF (PUSHF after CLI)");
	tap_check_u64(slot(0x202), 0x3202, "STI sets VIF (PUSHF after STI)");
	tap_check_u64(r.eflags & (RFLAGS_VIF | RFLAGS_IF), RFLAGS_IF, "CLI left IF set, VIF clear");
	r = run(CR4_VME, EFL_VM86, OFF(t_sti));
	tap_ok(gp_at(r, OFF(t_sti) + 1) && (r.eflags & (RFLAGS_VIF | RFLAGS_IF)) == RFLAGS_VIF,
	       "STI with VIP = 0 sets VIF, not IF " RFMT, DIAG(r));
	r = run(CR4_VME, EFL_VM86 | RFLAGS_VIP, OFF(t_sti));
	tap_ok(gp_at(r, OFF(t_sti)) && !(r.eflags & RFLAGS_VIF),
	       "STI with VIP = 1 -> #GP(0) at the STI " RFMT, DIAG(r));

	/* PUSHF: "tempFLAGS = EFLAGS[15:0]; tempFLAGS[9] = tempFLAGS[19]; (*
	 * VIF replaces IF *) tempFlags[13:12] = 3; (* IOPL is set to 3 in
	 * image stored on the stack *)"; "IF (CR4.VME = 0) OR (OperandSize =
	 * 32) THEN #GP(0)". */
	r = run(CR4_VME, EFL_VM86 | RFLAGS_VIF | 0x1000, OFF(t_pushf));
	tap_ok(gp_at(r, OFF(t_pushf_hlt)) && slot(0x200) == 0x3202,
	       "PUSHF with VME, IOPL 1 pushes 0x%x (VIF as IF, IOPL 3) " RFMT, slot(0x200), DIAG(r));
	r = run(0, EFL_VM86, OFF(t_pushf));
	tap_ok(gp_at(r, OFF(t_pushf)), "PUSHF without VME, IOPL 0 -> #GP(0) " RFMT, DIAG(r));
	r = run(CR4_VME, EFL_VM86, OFF(t_pushfd));
	tap_ok(gp_at(r, OFF(t_pushfd)), "PUSHFD with VME, IOPL 0 -> #GP(0) " RFMT, DIAG(r));

	/* POPF: "IF (EFLAGS.VIP = 1 AND tempFLAGS[9] = 1) OR tempFLAGS[8] = 1
	 * THEN #GP(0) ELSE EFLAGS.VIF := tempFLAGS[9]; EFLAGS[15:0] :=
	 * tempFLAGS; (* IF and IOPL bits are unaffected *)". */
	r = run(CR4_VME, EFL_VM86, OFF(t_popf_if));
	tap_ok(gp_at(r, OFF(t_popf_if_hlt)) &&
	       (r.eflags & (RFLAGS_VIF | RFLAGS_IF | RFLAGS_IOPL | RFLAGS_CF)) ==
		       (RFLAGS_VIF | RFLAGS_CF),
	       "POPF of IF|IOPL 3|CF sets VIF and CF, leaves IF and IOPL " RFMT, DIAG(r));
	r = run(CR4_VME, EFL_VM86 | RFLAGS_VIP, OFF(t_popf_if));
	tap_ok(gp_at(r, OFF(t_popf_if_hlt) - 1), "POPF of IF with VIP = 1 -> #GP(0) " RFMT, DIAG(r));
	r = run(CR4_VME, EFL_VM86, OFF(t_popf_tf));
	tap_ok(gp_at(r, OFF(t_popf_tf_at)), "POPF of TF -> #GP(0) " RFMT, DIAG(r));
	r = run(CR4_VME, EFL_VM86, OFF(t_popfd));
	tap_ok(gp_at(r, OFF(t_popfd_at)), "POPFD with VME, IOPL 0 -> #GP(0) " RFMT, DIAG(r));

	/* IRET with a 16-bit operand returning from method 6 ("An IRET
	 * instruction at the end of the handler procedure reverses these
	 * steps", §20.3.3.4): the FLAGS image is taken as POPF takes it
	 * (VIF from the popped IF; #GP(0) for TF, or IF with VIP).  Vol. 2
	 * IRET lists only #GP(0) for IOPL < 3; the 32-bit form is #GP(0) as
	 * POPFD is. */
	r = run(CR4_VME, EFL_VM86, OFF(t_iret_if));
	tap_ok(gp_at(r, OFF(t_iret_if_next)) &&
	       (r.eflags & (RFLAGS_VIF | RFLAGS_IF | RFLAGS_CF)) == (RFLAGS_VIF | RFLAGS_CF),
	       "IRET with VME, IOPL 0 returns and copies the popped IF to VIF " RFMT, DIAG(r));
	r = run(CR4_VME, EFL_VM86 | RFLAGS_VIP, OFF(t_iret_if));
	tap_ok(gp_at(r, OFF(t_iret_if_at)), "IRET popping IF with VIP = 1 -> #GP(0) " RFMT, DIAG(r));
	r = run(CR4_VME, EFL_VM86, OFF(t_iret_tf));
	tap_ok(gp_at(r, OFF(t_iret_tf_at)), "IRET popping TF -> #GP(0) " RFMT, DIAG(r));
	r = run(CR4_VME, EFL_VM86, OFF(t_iretd));
	tap_ok(gp_at(r, OFF(t_iretd_at)), "IRETD with VME, IOPL 0 -> #GP(0) " RFMT, DIAG(r));
}

FAULT_FN(user_cli_hlt, "cli\n.globl user_cli_hlt_at\nuser_cli_hlt_at: hlt");
FAULT_FN(user_sti_hlt, ".globl user_sti_hlt_at\nuser_sti_hlt_at: sti\nhlt");
FAULT_FN(user_popf_hlt, "pushq $0x202\npopfq\n.globl user_popf_hlt_at\nuser_popf_hlt_at: hlt");

/* SDM Vol. 3A §20.4: "When the PVI flag is set to 1, the CPL is 3, and
 * the IOPL is less than 3, the STI and CLI instructions set and clear the
 * VIF flag in the EFLAGS register, leaving IF unaffected"; STI with VIP
 * set is #GP(0) (Vol. 2 STI).  PVI does not change PUSHF and POPF.  The
 * CLI decision table counts 64-bit mode as protected mode. */
static void pvi(void)
{
	struct trap_info t;
	uint64_t cr4 = read_cr4();

	write_cr4(cr4 | CR4_PVI);
	user_try(user_cli_hlt, 0, RFLAGS_IF | RFLAGS_VIF, &t);
	tap_ok(t.vector == EXC_GP && t.rip == (uintptr_t)user_cli_hlt_at &&
	       (t.rflags & (RFLAGS_VIF | RFLAGS_IF)) == RFLAGS_IF,
	       "PVI: CLI at CPL 3, IOPL 0 clears VIF, not IF (vector %d rflags 0x%lx)", t.vector,
	       t.rflags);
	user_try(user_sti_hlt, 0, 0, &t);
	tap_ok(t.vector == EXC_GP && t.rip == (uintptr_t)user_sti_hlt_at + 1 &&
	       (t.rflags & (RFLAGS_VIF | RFLAGS_IF)) == RFLAGS_VIF,
	       "PVI: STI at CPL 3 sets VIF, not IF (vector %d rflags 0x%lx)", t.vector, t.rflags);
	user_try(user_sti_hlt, 0, RFLAGS_VIP, &t);
	tap_ok(t.vector == EXC_GP && t.error == 0 && t.rip == (uintptr_t)user_sti_hlt_at,
	       "PVI: STI with VIP = 1 -> #GP(0) at the STI (vector %d rip 0x%lx)", t.vector, t.rip);
	user_try(user_popf_hlt, 0, 0, &t);
	tap_ok(t.vector == EXC_GP && t.rip == (uintptr_t)user_popf_hlt_at &&
	       !(t.rflags & (RFLAGS_VIF | RFLAGS_IF)),
	       "PVI: POPFQ at CPL 3 changes neither IF nor VIF (rflags 0x%lx)", t.rflags);
	write_cr4(cr4);
}

#define N_TESTS (1 + 18 + 17 + 4 + 1)

int main(void)
{
	tap_plan(N_TESTS);
	/* No maskable interrupt may arrive while IF is 1 below: mask both
	 * 8259s (OCW1). */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	idt32_gate(EXC_BP, 3);
	idt32_gate(0x20, 3);
	idt32_gate(0x30, 3);

	/* SDM Vol. 2 CPUID: leaf 1 EDX bit 1 "VME: Virtual 8086 Mode
	 * Enhancements ... including CR4.VME ..., CR4.PVI ..., and the
	 * EFLAGS.VIF and EFLAGS.VIP flags". */
	bool vme = cpuid(1, 0).d & 2;

	/* QEMU 7.2 TCG has no VME ("TCG doesn't support requested feature:
	 * CPUID.01H:EDX.vme [bit 1]"), which the SDM allows: without it
	 * CR4.VME and CR4.PVI are reserved, so nothing here can run.
	 * softvtx (and any silicon since the Pentium) must report it. */
	if (!vme && cpu_is_qemu_tcg()) {
		for (int i = 0; i < N_TESTS; i++)
			tap_skip("this QEMU TCG does not implement VME", "VME/PVI subtest %d", i + 1);
		return tap_done();
	}
	if (!tap_ok(vme, "CPUID.01H:EDX.VME[bit 1] is set")) {
		for (int i = 1; i < N_TESTS; i++)
			tap_skip("no VME", "VME/PVI subtest %d", i + 1);
		return tap_done();
	}
	int_methods();
	vif_instructions();
	pvi();
	tap_ok(rdmsr(MSR_IA32_EFER) & EFER_LMA, "back in IA-32e mode");
	return tap_done();
}
