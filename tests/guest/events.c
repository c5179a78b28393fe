/* Event delivery in IA-32e mode: the EXT bit and IDT bit of error codes,
 * double faults from the class table, IST stacks, far return and IRET to
 * ring 3 (64-bit and compatibility mode), and a 64-bit call gate.
 * SDM Vol. 3A §7.13 (error code), §7.15 Interrupt 8 and Table 7-5, §7.14.5
 * (IST), §5.8.3.1 (IA-32e call gates), Vol. 2A/2B IRET and RET. */
#include "guest.h"

#define SEL_GATE SEL_SPARE      /* 16-byte call gate: two slots */

FAULT_FN(do_ud, ".globl do_ud_at\ndo_ud_at: ud2");
FAULT_FN(do_int3, "int3\n.globl do_int3_at\ndo_int3_at:");
FAULT_FN(do_gp, "movabs $0x8000000000000000, %rax\n.globl do_gp_at\ndo_gp_at: mov (%rax), %rax");
FAULT_FN(do_pf, "movabs $0x7fff00000000, %rax\n.globl do_pf_at\ndo_pf_at: mov (%rax), %rax");

static uint8_t ist_stack[4096] __attribute__((aligned(16)));
static uint8_t user_stack2[4096] __attribute__((aligned(16)));

/* Far return to ring 3 (SDM RET: return to outer privilege pops RIP, CS,
 * then RSP, SS). */
void lret_to_user(void *);
asm(".text\n.globl lret_to_user\nlret_to_user:\n"
    "lea user_stack2+4096(%rip), %rax\n"
    "pushq $0x33\n"              /* SEL_UDATA | 3 */
    "push %rax\n"
    "pushq $0x3b\n"              /* SEL_UCODE64 | 3 */
    "lea 1f(%rip), %rax\n"
    "push %rax\n"
    "lretq\n"
    "1: int $0x80\n");

/* IRETQ to 32-bit code at CPL 3 (compatibility mode). */
void iret_to_compat(void *);
extern const char compat_user_at[];
asm(".text\n.globl iret_to_compat\niret_to_compat:\n"
    "lea user_stack2+4096(%rip), %rax\n"
    "pushq $0x33\n"
    "push %rax\n"
    "pushq $0x2\n"
    "pushq $0x2b\n"              /* SEL_UCODE32 | 3 */
    "lea 1f(%rip), %rax\n"
    "push %rax\n"
    "iretq\n"
    ".code32\n"
    "1: mov $0x11223344, %eax\n"
    "int $0x80\n"
    ".globl compat_user_at\ncompat_user_at:\n"
    ".code64\n");

/* Ring 3 calls through the DPL-3 call gate to gate_target at CPL 0. */
void user_callgate(void *);
asm(".text\n.globl user_callgate\nuser_callgate:\n"
    "lcall *callgate_ptr(%rip)\n"
    "ud2\n");
uint64_t gate_cs, gate_frame[4];
void gate_target(void);
asm(".text\n.globl gate_target\ngate_target:\n"
    "mov %cs, %rax\nmov %rax, gate_cs(%rip)\n"
    "mov 0(%rsp), %rax\nmov %rax, gate_frame(%rip)\n"     /* RIP */
    "mov 8(%rsp), %rax\nmov %rax, gate_frame+8(%rip)\n"   /* CS */
    "mov 16(%rsp), %rax\nmov %rax, gate_frame+16(%rip)\n" /* RSP */
    "mov 24(%rsp), %rax\nmov %rax, gate_frame+24(%rip)\n" /* SS */
    "int $0x80\n");
struct { uint32_t off; uint16_t sel; } __attribute__((packed)) callgate_ptr = { 0, SEL_GATE | 3 };

int main(void)
{
	struct trap_info t;
	tap_plan(14);

	/* A not-present gate met while delivering an exception: #NP with
	 * error (vector << 3) | IDT | EXT (EXT=1: not caused by software). */
	idt_gate(EXC_UD, 0, false);
	trap_try(do_ud, 0, &t);
	tap_ok(t.vector == EXC_NP && t.error == (EXC_UD << 3 | 2 | 1),
	       "#UD through a not-present gate -> #NP(0x33, EXT=1) (got %d 0x%lx)", t.vector, t.error);
	idt_gate(EXC_UD, 0, true);
	/* INT3 is software: EXT=0. */
	idt_gate(EXC_BP, 3, false);
	trap_try(do_int3, 0, &t);
	tap_ok(t.vector == EXC_NP && t.error == (EXC_BP << 3 | 2),
	       "int3 through a not-present gate -> #NP(0x1a, EXT=0) (got %d 0x%lx)", t.vector, t.error);
	idt_gate(EXC_BP, 3, true);

	/* Table 7-5: contributory then contributory, or #PF then #PF or
	 * contributory, is a double fault with error code 0. */
	idt_gate(EXC_GP, 0, false);
	trap_try(do_gp, 0, &t);
	tap_ok(t.vector == EXC_DF && t.error == 0, "#GP with a not-present #GP gate -> #DF(0) (got %d 0x%lx)",
	       t.vector, t.error);
	idt_gate(EXC_GP, 0, true);
	idt_gate(EXC_PF, 0, false);
	trap_try(do_pf, 0, &t);
	tap_ok(t.vector == EXC_DF && t.error == 0, "#PF with a not-present #PF gate -> #DF(0) (got %d 0x%lx)",
	       t.vector, t.error);
	idt_gate(EXC_PF, 0, true);
	trap_try(do_pf, 0, &t);
	tap_ok(t.vector == EXC_PF && t.error == 0 && t.cr2 == 0x7fff00000000ull,
	       "the #PF gate works again (got %d 0x%lx cr2 0x%lx)", t.vector, t.error, t.cr2);

	/* IST: the CPU switches to TSS.IST1 unconditionally (§7.14.5). */
	tss_set_ist(1, (uintptr_t)(ist_stack + sizeof(ist_stack)));
	idt_gate_ist(EXC_BP, 1);
	trap_try(do_int3, 0, &t);
	tap_ok(t.vector == EXC_BP && t.frame == (uintptr_t)(ist_stack + sizeof(ist_stack)) - 40,
	       "#BP with IST1 builds its frame at the top of the IST stack (frame 0x%lx)", t.frame);
	idt_gate_ist(EXC_BP, 0);

	trap_try(lret_to_user, 0, &t);
	tap_ok(t.vector == VEC_USER_EXIT && t.cs == (SEL_UCODE64 | 3) &&
	       t.rsp == (uintptr_t)(user_stack2 + sizeof(user_stack2)),
	       "lretq to ring 3 (vector %d cs 0x%lx rsp 0x%lx)", t.vector, t.cs, t.rsp);

	trap_try(iret_to_compat, 0, &t);
	tap_ok(t.vector == VEC_USER_EXIT && t.cs == (SEL_UCODE32 | 3),
	       "iretq to compatibility mode at CPL 3 (vector %d cs 0x%lx)", t.vector, t.cs);
	tap_check_u64(t.rip, (uintptr_t)compat_user_at, "INT from compatibility mode saves the next EIP");
	tap_check_u64(t.rax, 0x11223344, "the 32-bit code ran (EAX)");

	/* 64-bit call gate, DPL 3, target SEL_KCODE64:gate_target. */
	uint64_t off = (uintptr_t)gate_target;
	gdt[SEL_GATE / 8] = (off & 0xffff) | (uint64_t)SEL_KCODE64 << 16 |
			    (uint64_t)(0x80 | 3 << 5 | 0xc) << 40 | ((off >> 16) & 0xffff) << 48;
	gdt[SEL_GATE / 8 + 1] = off >> 32;
	user_try(user_callgate, 0, 0, &t);
	tap_ok(t.vector == VEC_USER_EXIT && gate_cs == SEL_KCODE64,
	       "far call through a DPL-3 call gate reaches CPL 0 (vector %d cs 0x%lx)", t.vector, gate_cs);
	tap_check_u64(gate_frame[1], SEL_UCODE64 | 3, "call gate pushes the caller's CS");
	tap_check_u64(gate_frame[3], SEL_UDATA | 3, "call gate to inner privilege pushes the caller's SS");
	tap_check_u64(gate_frame[0], (uintptr_t)user_callgate + 6, "call gate pushes the return RIP");
	return tap_done();
}
