/* TSS and IDT for 64-bit mode (SDM Vol. 3A §7.14, §9.7). */
#include "guest.h"

extern const char trap_stubs[], legacy_stubs[];
extern uint64_t idt32[LEGACY_VECTORS];
extern const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdt_desc;

/* 64-bit TSS: RSP0 at offset 4, IST1-7 at 36, I/O map base at 102. */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* 64-bit interrupt gate (16 bytes):
 *  63        48 47 46-45 44 43-40 39-35 34-32 31      16 15        0
 * | offset 31:16| P | DPL | 0 | type| 0   | IST | selector | offset 15:0 |
 * then offset 63:32 and a reserved dword. */
struct gate64 {
	uint64_t lo, hi;
};

static struct tss64 tss;
static struct gate64 idt[256] __attribute__((aligned(16)));
static uint8_t ring0_stack[STACK_SIZE] __attribute__((aligned(16)));

void idt_gate(int vec, int dpl, bool present)
{
	uint64_t off = (uint64_t)(uintptr_t)(trap_stubs + 16 * vec);
	idt[vec].lo = (off & 0xffff) | (uint64_t)SEL_KCODE64 << 16 |
		      (uint64_t)(0x0e | present << 7 | dpl << 5) << 40 |
		      ((off >> 16) & 0xffff) << 48;
	idt[vec].hi = off >> 32;
}

/* 32-bit interrupt gate for legacy_call (SDM Vol. 3A §7.11):
 * offset 31:16 | P DPL 0 1110 | selector | offset 15:0. */
void idt32_gate(int vec, int dpl)
{
	uint32_t off = (uint32_t)(uintptr_t)(legacy_stubs + 16 * vec);
	idt32[vec] = (off & 0xffff) | (uint64_t)SEL_KCODE32 << 16 |
		     (uint64_t)(0x8e | dpl << 5) << 40 | (uint64_t)(off >> 16) << 48;
}

void idt_gate_ist(int vec, int ist)
{
	idt[vec].lo = (idt[vec].lo & ~(7ull << 32)) | (uint64_t)(ist & 7) << 32;
}

void tss_set_ist(int n, uint64_t rsp)
{
	tss.ist[n - 1] = rsp;
}

void desc_init(void)
{
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;

	tss.rsp[0] = (uintptr_t)(ring0_stack + sizeof(ring0_stack));
	tss.iomap_base = sizeof(tss);
	/* Available 64-bit TSS, type 9, present (SDM Vol. 3A §9.2.3). */
	gdt[SEL_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			   (uint64_t)0x89 << 40 | ((limit >> 16) & 0xf) << 48 |
			   ((base >> 24) & 0xff) << 56;
	gdt[SEL_TSS / 8 + 1] = base >> 32;
	asm volatile("lgdt %0" : : "m"(gdt_desc));
	asm volatile("ltr %w0" : : "r"(SEL_TSS));

	for (int v = 0; v < 256; v++)
		idt_gate(v, 0, true);
	/* INT3, INTO and the user-exit gate are meant to be used from ring 3. */
	idt_gate(EXC_BP, 3, true);
	idt_gate(EXC_OF, 3, true);
	idt_gate(VEC_USER_EXIT, 3, true);
	for (int v = 0; v < LEGACY_VECTORS; v++)
		idt32_gate(v, 0);
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = {
		sizeof(idt) - 1, (uintptr_t)idt };
	asm volatile("lidt %0" : : "m"(d));
}
