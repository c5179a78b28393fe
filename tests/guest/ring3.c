/* Privilege transitions in 64-bit mode: IRETQ to ring 3, INT n back
 * through a DPL-3 gate (stack switch to TSS.RSP0), #GP for a DPL-0 gate
 * and for privileged instructions at CPL 3, SYSCALL/SYSRET, and #AC. */
#include "guest.h"

static volatile uint64_t user_seen_cs, user_seen_ss, user_seen_rsp;

static void user_basic(void *p)
{
	(void)p;
	uint16_t cs, ss;
	uint64_t rsp;
	asm volatile("mov %%cs, %0; mov %%ss, %1; mov %%rsp, %2" : "=r"(cs), "=r"(ss), "=r"(rsp));
	user_seen_cs = cs;
	user_seen_ss = ss;
	user_seen_rsp = rsp;
	user_exit();
}

static void user_int_dpl0(void *p)
{
	(void)p;
	asm volatile("int %0" : : "i"(VEC_DPL0_TEST));
}

FAULT_FN(user_hlt, ".globl user_hlt_at\nuser_hlt_at: hlt");
FAULT_FN(user_cli, ".globl user_cli_at\nuser_cli_at: cli");
FAULT_FN(user_mov_cr0, ".globl user_mov_cr0_at\nuser_mov_cr0_at: mov %cr0, %rax");
FAULT_FN(user_in, ".globl user_in_at\nuser_in_at: inb $0x80, %al");
FAULT_FN(user_int3, "int3\n.globl user_int3_at\nuser_int3_at:");
/* #AC: CR0.AM=1, RFLAGS.AC=1, CPL 3 and a misaligned dword read (SDM
 * Vol. 3A §7.15, Interrupt 17: error code 0). */
FAULT_FN(user_misaligned, "lea user_ac_buf+1(%rip), %rcx\n"
	 ".globl user_misaligned_at\nuser_misaligned_at: mov (%rcx), %eax\nint $0x80");
uint8_t user_ac_buf[16] __attribute__((aligned(16)));

/* SYSCALL: RCX <- RIP of the next instruction, R11 <- RFLAGS, CS/SS from
 * STAR[47:32], RFLAGS &= ~FMASK (SDM Vol. 2B SYSCALL).  The handler
 * records what it saw and SYSRETQ returns (CS = STAR[63:48]+16 | 3, SS =
 * STAR[63:48]+8 | 3, RIP = RCX, RFLAGS = R11). */
uint64_t sc_rcx, sc_r11, sc_cs, sc_ss, sc_rflags, sc_rax, back_cs, back_ss, back_rflags;
void syscall_entry(void);
asm(".text\n.globl syscall_entry\nsyscall_entry:\n"
    "mov %rcx, sc_rcx(%rip)\n"
    "mov %r11, sc_r11(%rip)\n"
    "mov %rax, sc_rax(%rip)\n"
    "mov %cs, %rax\nmov %rax, sc_cs(%rip)\n"
    "mov %ss, %rax\nmov %rax, sc_ss(%rip)\n"
    "pushfq\npopq sc_rflags(%rip)\n"
    "mov $0x5a, %eax\n"
    "sysretq\n");
FAULT_FN(user_syscall, "mov $0x1234, %eax\n"
	 "syscall\n.globl user_syscall_at\nuser_syscall_at:\n"
	 "mov %cs, %rcx\nmov %rcx, back_cs(%rip)\n"
	 "mov %ss, %rcx\nmov %rcx, back_ss(%rip)\n"
	 "pushfq\npopq back_rflags(%rip)\n"
	 "cmp $0x5a, %eax\njne 1f\n"
	 "int $0x80\n1: ud2");

/* IOPL 3 allows IN and CLI at CPL 3 (SDM Vol. 1 §19.5.1, Vol. 2A CLI). */
static void user_io_ok(void *p)
{
	(void)p;
	asm volatile("inb $0x80, %%al; cli" : : : "eax");
	user_exit();
}

static void test_syscall(void)
{
	if (!cpu_has(0x80000001, 'd', CPUID_81_EDX_SYSCALL)) {
		for (int i = 0; i < 6; i++)
			tap_skip("no SYSCALL", "syscall/sysret %d", i);
		return;
	}
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_SCE);
	wrmsr(MSR_IA32_STAR, (uint64_t)SEL_UCODE32 << 48 | (uint64_t)SEL_KCODE64 << 32);
	wrmsr(MSR_IA32_LSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_IA32_FMASK, RFLAGS_AC | RFLAGS_DF | RFLAGS_CF);
	struct trap_info t;
	/* Enter ring 3 with CF and DF set so that FMASK has work to do. */
	user_try(user_syscall, 0, RFLAGS_CF | RFLAGS_DF, &t);
	tap_ok(t.vector == VEC_USER_EXIT, "syscall/sysret round trip ends in user_exit (vector %d)",
	       t.vector);
	tap_ok(sc_cs == SEL_KCODE64 && sc_ss == SEL_KDATA2,
	       "syscall loads CS 0x%lx SS 0x%lx (expected 0x%x 0x%x)", sc_cs, sc_ss,
	       SEL_KCODE64, SEL_KDATA2);
	tap_check_u64(sc_rcx, (uintptr_t)user_syscall_at, "syscall saves the next RIP in RCX");
	tap_ok((sc_r11 & (RFLAGS_CF | RFLAGS_DF)) == (RFLAGS_CF | RFLAGS_DF) &&
	       !(sc_rflags & (RFLAGS_CF | RFLAGS_DF)) && sc_rax == 0x1234,
	       "syscall: R11 = old RFLAGS (0x%lx), RFLAGS masked by FMASK (0x%lx)", sc_r11, sc_rflags);
	tap_ok(back_cs == (SEL_UCODE64 | 3) && back_ss == (SEL_UDATA | 3),
	       "sysretq returns to CS 0x%lx SS 0x%lx (expected 0x%x 0x%x)", back_cs, back_ss,
	       SEL_UCODE64 | 3, SEL_UDATA | 3);
	tap_ok((back_rflags & (RFLAGS_CF | RFLAGS_DF)) == (RFLAGS_CF | RFLAGS_DF),
	       "sysretq restores RFLAGS from R11 (0x%lx)", back_rflags);
}

struct ucase {
	const char *name;
	void (*fn)(void *);
	const char *at;
	int vector;
	uint64_t error;
};

static const struct ucase ucases[] = {
	/* SDM Vol. 2A HLT, CLI (IOPL 0 < CPL 3), MOV CR, IN: #GP(0). */
	{ "hlt at CPL 3 -> #GP(0)", user_hlt, user_hlt_at, EXC_GP, 0 },
	{ "cli at CPL 3 with IOPL 0 -> #GP(0)", user_cli, user_cli_at, EXC_GP, 0 },
	{ "mov from cr0 at CPL 3 -> #GP(0)", user_mov_cr0, user_mov_cr0_at, EXC_GP, 0 },
	{ "in at CPL 3 with IOPL 0 and no I/O bitmap -> #GP(0)", user_in, user_in_at, EXC_GP, 0 },
	/* INT3 through the DPL-3 gate: a trap, RIP after it. */
	{ "int3 at CPL 3 -> #BP", user_int3, user_int3_at, EXC_BP, 0 },
};

int main(void)
{
	struct trap_info t;
	tap_plan(6 + 2 * (int)ARRAY_SIZE(ucases) + 1 + 6 + 3);

	user_try(user_basic, 0, 0, &t);
	tap_check_u64(t.vector, VEC_USER_EXIT, "iretq to ring 3, back by INT 0x80 (DPL-3 gate)");
	tap_ok(user_seen_cs == (SEL_UCODE64 | 3) && user_seen_ss == (SEL_UDATA | 3),
	       "ring 3 runs with CS 0x%lx SS 0x%lx", user_seen_cs, user_seen_ss);
	tap_ok((t.cs & 3) == 3, "the INT frame holds the ring-3 CS (0x%lx)", t.cs);
	/* SDM Vol. 3A §7.14.2: a privilege change loads RSP from TSS.RSP0 and
	 * pushes the old SS:RSP. */
	tap_ok(t.rsp == user_seen_rsp, "the INT frame holds the ring-3 RSP (0x%lx vs 0x%lx)",
	       t.rsp, user_seen_rsp);

	/* SDM Vol. 3A §7.12.1.1: INT n with gate DPL < CPL: #GP with error
	 * code vector*8 + 2 (IDT bit). */
	user_try(user_int_dpl0, 0, 0, &t);
	tap_ok(t.vector == EXC_GP && t.error == (VEC_DPL0_TEST << 3 | 2),
	       "int 0x81 (DPL-0 gate) from ring 3 -> #GP(0x40a) (got %d 0x%lx)", t.vector, t.error);
	tap_ok((t.cs & 3) == 3, "the #GP was taken from ring 3 (cs 0x%lx)", t.cs);

	for (unsigned i = 0; i < ARRAY_SIZE(ucases); i++) {
		const struct ucase *c = &ucases[i];
		user_try(c->fn, 0, 0, &t);
		tap_ok(t.vector == c->vector && t.error == c->error,
		       "%s (got %d 0x%lx)", c->name, t.vector, t.error);
		tap_check_u64(t.rip, (uintptr_t)c->at, "%s: pushed RIP", c->name);
	}

	user_try(user_io_ok, 0, RFLAGS_IOPL, &t);
	tap_check_u64(t.vector, VEC_USER_EXIT, "in and cli at CPL 3 with IOPL 3 do not fault");

	test_syscall();

	/* #AC needs CR0.AM and RFLAGS.AC at CPL 3. */
	write_cr0(read_cr0() | CR0_AM);
	user_try(user_misaligned, 0, RFLAGS_AC, &t);
	tap_ok(t.vector == EXC_AC && t.error == 0, "misaligned read at CPL 3 with AM and AC -> #AC(0) (got %d 0x%lx)",
	       t.vector, t.error);
	tap_check_u64(t.rip, (uintptr_t)user_misaligned_at, "#AC: pushed RIP");
	/* Without RFLAGS.AC no check is made. */
	user_try(user_misaligned, 0, 0, &t);
	tap_ok(t.vector == VEC_USER_EXIT,
	       "misaligned read at CPL 3 without AC does not fault (got %d)", t.vector);
	write_cr0(read_cr0() & ~CR0_AM);
	return tap_done();
}
