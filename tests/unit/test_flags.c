/* PUSHF/POPF, CLI/STI, CLC/STC/CMC, CLD/STD, LAHF/SAHF (SDM Vol. 2).  The
 * POPF expectations are the bit lists of the POPF pseudocode, quoted
 * above each case; LAHF/SAHF are checked against the host processor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tm_events.h"

/* Run one POPF form with `img` on the stack; return the new RFLAGS. */
static uint64_t popf_case(enum tm_mode mode, int user, uint64_t start, const uint8_t *code,
                          size_t len, unsigned size, uint64_t img)
{
	struct tm *tm = tm_new(mode);
	struct cpu *cpu = tm->cpu;
	uint64_t f;

	if (user)
		t_user(tm);
	t_flags(tm, start);
	cpu->gpr[R_RSP] = TM_STACK - size;
	tm_write(tm, TM_STACK - size, size, img);
	tm_code(tm, code, len);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK);
	f = flags_read(cpu);
	tm_free(tm);
	return f;
}

static const uint8_t popfd[] = { 0x9d };
static const uint8_t popfw[] = { 0x66, 0x9d };

/* CPL 0, 32-bit: "All non-reserved flags except RF, VIP, VIF, and VM can
 * be modified; VIP, VIF, VM, and all reserved bits are unaffected. RF is
 * cleared."  Non-reserved bits: 0x3F7FD5; minus RF|VM|VIF|VIP: 0x247FD5.
 * VIF set before stays set. */
static void popf_cpl0(void **state)
{
	(void)state;
	assert_int_equal(popf_case(TM_PROT32, 0, 0x80002, popfd, 1, 4, 0xffffffff), 0x2c7fd7);
	assert_int_equal(popf_case(TM_LONG64, 0, 0x2, popfd, 1, 8, ~0ull), 0x247fd7);
	/* IOPL and IF change at CPL 0 too. */
	assert_int_equal(popf_case(TM_PROT32, 0, 0x3202, popfd, 1, 4, 0x2), 0x2);
}

/* CPL > 0, 32-bit, CPL > IOPL: "All non-reserved bits except IF, IOPL,
 * VIP, VIF, VM and RF can be modified": 0x247FD5 & ~0x3200 = 0x244DD5. */
static void popf_cpl3_iopl0(void **state)
{
	(void)state;
	assert_int_equal(popf_case(TM_PROT32, 1, 0x2, popfd, 1, 4, 0xffffffff), 0x244dd7);
	assert_int_equal(popf_case(TM_PROT32, 1, 0x202, popfd, 1, 4, 0x0), 0x202);
}

/* CPL > 0, CPL <= IOPL: "All non-reserved bits except IOPL, VIP, VIF, VM
 * and RF can be modified": IF follows the image, IOPL stays 3. */
static void popf_cpl3_iopl3(void **state)
{
	(void)state;
	assert_int_equal(popf_case(TM_PROT32, 1, 0x3002, popfd, 1, 4, 0x200), 0x3202);
	assert_int_equal(popf_case(TM_PROT32, 1, 0x3202, popfd, 1, 4, 0x0), 0x3002);
}

/* 16-bit POPF: "EFLAGS[15:0] := Pop()" -- bits 16 and up (AC here) keep
 * their values; at CPL 3 with IOPL 0 IOPL and IF are unaffected. */
static void popf_16bit(void **state)
{
	(void)state;
	assert_int_equal(popf_case(TM_PROT32, 0, 0x40002, popfw, 2, 2, 0xffff), 0x47fd7);
	assert_int_equal(popf_case(TM_PROT32, 1, 0x40002, popfw, 2, 2, 0xffff), 0x44dd7);
}

/* PUSHFD: "push (EFLAGS AND 00FCFFFFH); (* VM and RF EFLAG bits are
 * cleared in image stored on the stack *)"; PUSHFQ likewise in 64-bit
 * mode, 8 bytes. */
static void pushf_clears_rf(void **state)
{
	static const uint8_t pushf[] = { 0x9c };

	(void)state;
	for (int m = TM_PROT32; m <= TM_LONG64; m++) {
		struct tm *tm = tm_new((enum tm_mode)m);
		unsigned size = m == TM_LONG64 ? 8 : 4;

		t_flags(tm, 0x10203);
		tm_write(tm, TM_STACK - 8, 8, ~0ull);
		tm_code(tm, pushf, sizeof(pushf));
		assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
		assert_int_equal(tm->cpu->gpr[R_RSP], TM_STACK - size);
		assert_int_equal(tm_read(tm, TM_STACK - size, size), 0x203);
		tm_free(tm);
	}
}

/* CLI/STI in protected mode: "IF IOPL >= CPL THEN IF := 0 (1)"; "IF
 * ((IOPL < CPL) and (CPL = 3) and (PVI = 1)) THEN VIF := 0 (1)"; "ELSE
 * #GP(0)". */
static void cli_sti_privilege(void **state)
{
	static const uint8_t cli[] = { 0xfa };
	static const uint8_t sti[] = { 0xfb };
	struct tm *tm;

	(void)state;
	/* CPL 3, IOPL 0, no PVI: #GP(0). */
	tm = tm_new(TM_PROT32);
	t_idt(tm, 32);
	t_tss(tm, 0x67);
	t_user(tm);
	t_flags(tm, 0x202);
	tm_code(tm, cli, 1);
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(t_vector(tm), EXC_GP);
	assert_int_equal(tm_read(tm, T_STACK0 - 24, 4), 0);
	tm_free(tm);

	/* CPL 3, IOPL 3: IF := 0. */
	tm = tm_new(TM_PROT32);
	t_user(tm);
	t_flags(tm, 0x3202);
	tm_code(tm, cli, 1);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(flags_read(tm->cpu), 0x3002);
	tm_free(tm);

	/* CPL 3, IOPL 0, CR4.PVI: VIF := 0, IF untouched; STI sets VIF. */
	tm = tm_new(TM_PROT32);
	t_user(tm);
	tm->cpu->cr4 |= CR4_PVI;
	t_flags(tm, RFLAGS_VIF | 0x202);
	tm_code(tm, cli, 1);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(flags_read(tm->cpu), 0x202);
	tm_code(tm, sti, 1);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(flags_read(tm->cpu), RFLAGS_VIF | 0x202);
	tm_free(tm);
}

/* STI: "If IF = 0, maskable hardware interrupts remain inhibited on the
 * instruction boundary following an execution of STI"; the inhibition
 * ends once that next instruction has completed; with IF already 1 there
 * is no shadow. */
static void sti_interrupt_shadow(void **state)
{
	static const uint8_t code[] = { 0xfb, 0x90, 0x90, 0xfb };     /* sti; nop; nop; sti */
	struct tm *tm = tm_new(TM_PROT32);

	(void)state;
	t_flags(tm, 0x2);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(flags_read(tm->cpu), 0x202);
	assert_true(tm->cpu->intr_shadow != 0);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);                  /* the shadowed nop */
	assert_int_equal(tm_run(tm, 2), STOP_BUDGET);
	assert_int_equal(tm->cpu->rip, TM_CODE + 4);
	assert_int_equal(tm->cpu->intr_shadow, 0);                     /* IF was already 1 */
	tm_free(tm);
}

/* LAHF/SAHF: "EFLAGS(SF:ZF:0:AF:0:PF:1:CF) := AH" then "AH :=
 * EFLAGS(SF:ZF:0:AF:0:PF:1:CF)", compared with the host. */
static void sahf_lahf_host(void **state)
{
	static const uint8_t code[] = { 0x9e, 0x9f };   /* sahf; lahf */
	static const uint8_t vals[] = { 0x00, 0xff, 0xd5, 0x2a, 0x41, 0x80 };

	(void)state;
	for (size_t i = 0; i < sizeof(vals); i++) {
		struct tm *tm = tm_new(TM_LONG64);
		uint32_t a = (uint32_t)vals[i] << 8, host;

		__asm__ volatile("sahf\n\tlahf" : "+a"(a) : : "cc");
		host = (a >> 8) & 0xff;
		tm->cpu->gpr[R_RAX] = (uint64_t)vals[i] << 8;
		tm_code(tm, code, sizeof(code));
		assert_int_equal(tm_run(tm, 2), STOP_BUDGET);
		assert_int_equal((tm->cpu->gpr[R_RAX] >> 8) & 0xff, host);
		assert_int_equal(flags_read(tm->cpu) & 0xff, host);
		tm_free(tm);
	}
}

/* STC: CF := 1; CMC: "CF := NOT CF"; CLC: CF := 0; STD/CLD: DF. */
static void carry_and_direction(void **state)
{
	static const uint8_t code[] = { 0xf9, 0xf5, 0xf5, 0xfd, 0xf8, 0xfc };
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(flags_read(cpu), 0x3);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(flags_read(cpu), 0x2);
	assert_int_equal(tm_run(tm, 2), STOP_BUDGET);
	assert_int_equal(flags_read(cpu), 0x403);
	assert_int_equal(tm_run(tm, 2), STOP_BUDGET);
	assert_int_equal(flags_read(cpu), 0x2);
	tm_free(tm);
}

/* Virtual-8086 mode, IOPL < 3, CR4.VME = 1 (Vol. 2 PUSHF/POPF; Vol. 3A
 * §20.3.3.2): PUSHF pushes FLAGS with "IF replaced by VIF and IOPL = 3";
 * POPF: "IF (EFLAGS.VIP = 1 AND tempFLAGS[9] = 1) OR tempFLAGS[8] = 1
 * THEN #GP(0) ELSE EFLAGS.VIF := tempFLAGS[9]; EFLAGS[15:0] := tempFLAGS
 * (* IF and IOPL unaffected *)"; without VME, or with a 32-bit operand,
 * both are #GP(0). */
static uint64_t vm86_case(const uint8_t *code, size_t len, uint64_t cr4, uint64_t flags,
                          uint16_t img, uint64_t *pushed, int *vector)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	uint32_t a = SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | (3u << SEG_DPL_SHIFT);
	uint64_t f;

	t_idt(tm, 32);
	t_tss(tm, 0x67);
	for (int i = 0; i < 6; i++)
		cpu->seg[i] = (struct seg){ 0x1000, 0x10000, 0xffff, a };
	bus_write_bytes(tm->bus, 0x10000, code, len);
	tm_write(tm, 0x100fe, 2, img);
	tm_write(tm, 0x100fc, 2, 0xeeee);
	cpu->rip = 0;
	cpu->gpr[R_RSP] = 0xfe;
	cpu->cr4 |= cr4;
	t_flags(tm, RFLAGS_VM | flags);
	*vector = -1;
	if (tm_run(tm, 1) != STOP_BUDGET)
		*vector = (int)t_vector(tm);
	*pushed = tm_read(tm, 0x100fc, 2);
	f = flags_read(cpu);
	tm_free(tm);
	return f;
}

static void vm86_vme_pushf_popf(void **state)
{
	static const uint8_t pushf[] = { 0x9c }, popf[] = { 0x9d }, popfd[] = { 0x66, 0x9d };
	uint64_t pushed, f;
	int vec;

	(void)state;
	vm86_case(pushf, 1, CR4_VME, RFLAGS_VIF | 0x2, 0, &pushed, &vec);
	assert_int_equal(vec, -1);
	assert_int_equal(pushed, 0x3202);
	vm86_case(pushf, 1, 0, RFLAGS_VIF | 0x2, 0, &pushed, &vec);
	assert_int_equal(vec, EXC_GP);
	f = vm86_case(popf, 1, CR4_VME, 0x2, 0x0ad7, &pushed, &vec);
	assert_int_equal(vec, -1);
	assert_int_equal(f, RFLAGS_VM | RFLAGS_VIF | 0x8d7);
	vm86_case(popf, 1, CR4_VME, RFLAGS_VIP | 0x2, 0x0200, &pushed, &vec);
	assert_int_equal(vec, EXC_GP);
	vm86_case(popf, 1, CR4_VME, 0x2, 0x0100, &pushed, &vec);
	assert_int_equal(vec, EXC_GP);
	vm86_case(popfd, 2, CR4_VME, 0x2, 0, &pushed, &vec);
	assert_int_equal(vec, EXC_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(popf_cpl0),
		cmocka_unit_test(popf_cpl3_iopl0),
		cmocka_unit_test(popf_cpl3_iopl3),
		cmocka_unit_test(popf_16bit),
		cmocka_unit_test(pushf_clears_rf),
		cmocka_unit_test(cli_sti_privilege),
		cmocka_unit_test(sti_interrupt_shadow),
		cmocka_unit_test(sahf_lahf_host),
		cmocka_unit_test(carry_and_direction),
		cmocka_unit_test(vm86_vme_pushf_popf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
