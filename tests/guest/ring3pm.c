/* Privilege changes in legacy 32-bit protected mode: IRET to CPL 3, and
 * back to CPL 0 through interrupt gates with the stack switch from the
 * 32-bit TSS (SDM Vol. 3A §7.12.1, §9.2.1: ESP0/SS0), INT from CPL 3
 * through DPL-3 and DPL-0 gates, and CPL checks on HLT and segment loads. */
#include "guest.h"

#define SEL_TSS32 (SEL_SPARE + 8)
extern const char ring3pm_body[], ring3pm_int_next[], ring3pm_hlt[], ring3pm_int31[],
	ring3pm_movds[], ring3pm_nullds[];
extern uint32_t ring3pm_cs, ring3pm_ds, sysenter_seen[6];
extern const char ring3pm_sysenter_entry[];
static uint8_t sysenter_stack[4096] __attribute__((aligned(16)));

/* 32-bit TSS (SDM Figure 9-2): ESP0 at 4, SS0 at 8; I/O map base at 102. */
static uint32_t tss32[26] __attribute__((aligned(16)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));
#define ESP0 ((uint32_t)(uintptr_t)(ring0_stack + sizeof(ring0_stack)))
#define USER_ESP ((uint32_t)(uintptr_t)(user_stack + sizeof(user_stack) - 16))

static void run(int c)
{
	uint64_t base = (uintptr_t)tss32, limit = sizeof(tss32) - 1;
	/* An available 32-bit TSS (type 9); LTR marks it busy, so rewrite it
	 * before every run. */
	gdt[SEL_TSS32 / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)0x89 << 40 |
			     ((base >> 24) & 0xff) << 56;
	tss32[1] = ESP0;
	tss32[2] = SEL_KDATA;
	((uint16_t *)tss32)[51] = sizeof(tss32);
	legacy_trap.vector = 0xffffffff;
	ring3pm_cs = 0;
	ring3pm_ds = 0xffff;
	uint32_t rc = legacy_call((uint32_t)(uintptr_t)ring3pm_body, (uint32_t)c, USER_ESP);
	/* Back in long mode: TR still names the 32-bit TSS; reload the
	 * 64-bit one (clear its busy bit first). */
	gdt[SEL_TSS / 8] &= ~(2ull << 40);
	asm volatile("ltr %w0" : : "r"(SEL_TSS));
	if (rc)
		tap_diag("legacy_call returned 0x%x", rc);
}

int main(void)
{
	tap_plan(15);
	idt32_gate(0x30, 3);

	run(0);
	tap_check_u64(ring3pm_cs, SEL_UCODE32 | 3, "iret to CPL 3: CS = SEL_UCODE32 | 3");
	tap_check_u64(ring3pm_ds, 0, "iret to CPL 3 nulls DS, whose DPL 0 < CPL 3");
	tap_ok(legacy_trap.vector == 0x30 && legacy_trap.cs == (SEL_UCODE32 | 3) &&
	       legacy_trap.eip == (uintptr_t)ring3pm_int_next,
	       "int 0x30 from CPL 3 through a DPL-3 gate (vector 0x%x cs 0x%x eip 0x%x)",
	       legacy_trap.vector, legacy_trap.cs, legacy_trap.eip);
	tap_check_u64(legacy_trap.esp, USER_ESP, "the gate pushed the CPL-3 ESP");
	/* CPU frame 20 bytes + runtime stub 8 + saved EAX 4. */
	tap_check_u64(legacy_trap.handler_esp, ESP0 - 32, "the handler ran on TSS.ESP0");

	run(1);
	tap_ok(legacy_trap.vector == EXC_GP && legacy_trap.error == 0 &&
	       legacy_trap.eip == (uintptr_t)ring3pm_hlt,
	       "hlt at CPL 3 -> #GP(0) at the HLT (vector %d error 0x%x)", legacy_trap.vector,
	       legacy_trap.error);
	tap_check_u64(legacy_trap.handler_esp, ESP0 - 32, "#GP from CPL 3 switched to TSS.ESP0");

	run(2);
	tap_ok(legacy_trap.vector == EXC_GP && legacy_trap.error == (0x31 << 3 | 2) &&
	       legacy_trap.eip == (uintptr_t)ring3pm_int31,
	       "int 0x31 through a DPL-0 gate -> #GP(0x18a) (vector %d error 0x%x)",
	       legacy_trap.vector, legacy_trap.error);

	run(3);
	tap_ok(legacy_trap.vector == EXC_GP && legacy_trap.error == SEL_KDATA &&
	       legacy_trap.eip == (uintptr_t)ring3pm_movds,
	       "mov ds, DPL-0 data at CPL 3 -> #GP(sel) (vector %d error 0x%x)", legacy_trap.vector,
	       legacy_trap.error);

	/* SDM Vol. 3A §6.4.1 (null selectors): using a null DS in protected
	 * mode is #GP(0). */
	run(4);
	tap_ok(legacy_trap.vector == EXC_GP && legacy_trap.error == 0 &&
	       legacy_trap.eip == (uintptr_t)ring3pm_nullds,
	       "read through a null DS -> #GP(0) (vector %d error 0x%x eip 0x%x)", legacy_trap.vector,
	       legacy_trap.error, legacy_trap.eip);

	wrmsr(MSR_IA32_SYSENTER_CS, SEL_KCODE32);
	wrmsr(MSR_IA32_SYSENTER_ESP, (uintptr_t)(sysenter_stack + sizeof(sysenter_stack)));
	wrmsr(MSR_IA32_SYSENTER_EIP, (uintptr_t)ring3pm_sysenter_entry);
	run(5);
	tap_ok(legacy_trap.vector == 0x30, "sysenter/sysexit round trip ends in int 0x30 (vector %d)",
	       legacy_trap.vector);
	tap_ok(sysenter_seen[0] == SEL_KCODE32 && sysenter_seen[1] == SEL_KDATA &&
	       sysenter_seen[2] == (uintptr_t)(sysenter_stack + sizeof(sysenter_stack)),
	       "sysenter: CS 0x%x SS 0x%x ESP 0x%x from the MSRs", sysenter_seen[0],
	       sysenter_seen[1], sysenter_seen[2]);
	tap_ok(sysenter_seen[3] == ((SEL_KCODE32 + 16) | 3) && sysenter_seen[4] == ((SEL_KCODE32 + 24) | 3) &&
	       sysenter_seen[5] == USER_ESP,
	       "sysexit: CS 0x%x SS 0x%x ESP 0x%x (expected 0x%x 0x%x 0x%x)", sysenter_seen[3],
	       sysenter_seen[4], sysenter_seen[5], (SEL_KCODE32 + 16) | 3, (SEL_KCODE32 + 24) | 3, USER_ESP);

	/* Long mode still works: a ring-3 round trip through the 64-bit TSS. */
	struct trap_info t;
	user_try((void (*)(void *))user_exit, 0, 0, &t);
	tap_check_u64(t.vector, VEC_USER_EXIT, "64-bit ring 3 round trip after reloading TR");
	tap_ok(rdmsr(MSR_IA32_EFER) & EFER_LMA, "back in IA-32e mode");
	return tap_done();
}
