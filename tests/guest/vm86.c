/* Virtual-8086 mode entered by IRET from legacy protected mode: real-mode
 * style addressing, INT n through the IDT with IOPL 3 (frame with the
 * VM86 segment registers on TSS.ESP0), and #GP(0) for INT n with IOPL < 3
 * (SDM Vol. 3A §21.2, §21.3, Table 21-2). */
#include "guest.h"

#define SEL_TSS32 (SEL_SPARE + 8)
#define VM86_SEG 0x0900
extern const char vm86_body[], vm86_int_off[];

static uint32_t tss32[26] __attribute__((aligned(16)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
#define ESP0 ((uint32_t)(uintptr_t)(ring0_stack + sizeof(ring0_stack)))

static void *phys(uint32_t a)
{
	uintptr_t p = a;
	asm("" : "+r"(p));
	return (void *)p;
}

static void run(int iopl)
{
	uint64_t base = (uintptr_t)tss32, limit = sizeof(tss32) - 1;
	gdt[SEL_TSS32 / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)0x89 << 40 |
			     ((base >> 24) & 0xff) << 56;
	tss32[1] = ESP0;
	tss32[2] = SEL_KDATA;
	((uint16_t *)tss32)[51] = sizeof(tss32);
	legacy_trap.vector = 0xffffffff;
	memset(phys(0x9100), 0, 8);
	uint32_t rc = legacy_call((uint32_t)(uintptr_t)vm86_body, (uint32_t)iopl, 0);
	gdt[SEL_TSS / 8] &= ~(2ull << 40);
	asm volatile("ltr %w0" : : "r"(SEL_TSS));
	if (rc)
		tap_diag("legacy_call returned 0x%x", rc);
}

int main(void)
{
	tap_plan(7);
	idt32_gate(0x30, 3);

	run(3);
	volatile uint16_t *r = phys(0x9100);
	tap_check_u64(r[0], 0x2345, "VM86 code ran and stored through DS (linear 0x9100)");
	tap_check_u64(r[1], VM86_SEG, "VM86: CS holds the segment value");
	tap_check_u64(r[2], 0x7777, "VM86: push/pop on SS:SP");
	tap_ok(legacy_trap.vector == 0x30 && legacy_trap.cs == VM86_SEG &&
	       legacy_trap.eip == (uintptr_t)vm86_int_off,
	       "IOPL 3: INT 0x30 goes to the protected-mode handler (vector 0x%x cs 0x%x eip 0x%x)",
	       legacy_trap.vector, legacy_trap.cs, legacy_trap.eip);
	/* CPU frame from VM86: GS FS DS ES SS ESP EFLAGS CS EIP = 36 bytes,
	 * then the runtime's 12. */
	tap_check_u64(legacy_trap.handler_esp, ESP0 - 48,
		      "the handler ran on TSS.ESP0 with the VM86 segment registers pushed");

	run(0);
	tap_ok(legacy_trap.vector == EXC_GP && legacy_trap.error == 0 &&
	       legacy_trap.eip == (uintptr_t)vm86_int_off - 2,
	       "IOPL 0: INT 0x30 in VM86 -> #GP(0) at the INT (vector %d error 0x%x eip 0x%x)",
	       legacy_trap.vector, legacy_trap.error, legacy_trap.eip);
	tap_ok(rdmsr(MSR_IA32_EFER) & EFER_LMA, "back in IA-32e mode");
	return tap_done();
}
