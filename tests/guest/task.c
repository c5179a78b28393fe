/* Hardware task switch by JMP to a TSS descriptor (SDM Vol. 3A §9.3,
 * §9.4): the outgoing state is saved in the old TSS, the new one is
 * loaded, busy bits move, and NT stays clear for JMP (§9.4, Table 9-2). */
#include "guest.h"

#define SEL_TSSA (SEL_SPARE + 8)
#define SEL_TSSB (SEL_SPARE + 16)
extern uint32_t tss_a[26], tss_b[26];
extern uint32_t task_ebx_after, task_tr_after, task_b_eax, task_b_tr, task_b_eflags, task_b_link;
extern const char task_body[], task_back[], task_call_back[], task_b_entry[], task_b_after[];

static uint64_t tss_desc(uint32_t *tss)
{
	uint64_t base = (uintptr_t)tss, limit = 26 * 4 - 1;
	return (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)0x89 << 40 |
	       ((base >> 24) & 0xff) << 56;
}

static uint32_t run(int mode)
{
	gdt[SEL_TSSA / 8] = tss_desc(tss_a);
	gdt[SEL_TSSB / 8] = tss_desc(tss_b);
	/* Task B's initial state: 32-bit TSS offsets (SDM Figure 9-2). */
	tss_b[8] = (uint32_t)(uintptr_t)task_b_entry;    /* EIP */
	tss_b[9] = 0x2;                                  /* EFLAGS */
	tss_b[10] = 0xb0b0;                              /* EAX */
	tss_b[18] = SEL_KDATA;                           /* ES */
	tss_b[19] = SEL_KCODE32;                         /* CS */
	tss_b[20] = SEL_KDATA;                           /* SS */
	tss_b[21] = SEL_KDATA;                           /* DS */
	tss_b[22] = SEL_KDATA;                           /* FS */
	tss_b[23] = SEL_KDATA;                           /* GS */
	((uint16_t *)tss_b)[51] = 104;
	((uint16_t *)tss_a)[51] = 104;

	task_b_eflags = task_b_tr = task_b_eax = task_b_link = 0;
	task_ebx_after = task_tr_after = 0;
	tss_a[8] = 0;
	uint32_t rc = legacy_call((uint32_t)(uintptr_t)task_body, (uint32_t)mode, 0);
	gdt[SEL_TSS / 8] &= ~(2ull << 40);
	asm volatile("ltr %w0" : : "r"(SEL_TSS));
	return rc;
}

int main(void)
{
	tap_plan(14);
	uint32_t rc = run(0);

	tap_check_u64(rc, 0, "task A came back and returned");
	tap_check_u64(task_b_eax, 0xb0b0, "task B started with EAX from its TSS");
	tap_check_u64(task_b_tr, SEL_TSSB, "in task B, TR = task B's selector");
	tap_ok((task_b_eflags & (RFLAGS_FIXED1 | RFLAGS_NT)) == RFLAGS_FIXED1,
	       "JMP to a task leaves NT clear (eflags 0x%x)", task_b_eflags);
	tap_check_u64(task_ebx_after, 0x1111, "task A's EBX came back from its TSS");
	tap_check_u64(task_tr_after, SEL_TSSA, "back in task A, TR = task A's selector");
	tap_check_u64(tss_a[8], (uintptr_t)task_back, "task A's TSS saved the EIP after the JMP");
	tap_ok(tss_b[8] == (uintptr_t)task_b_after && tss_b[13] == 0x2222,
	       "task B's TSS saved its EIP 0x%x and EBX 0x%x on the way out", tss_b[8], tss_b[13]);
	/* Busy bit (type bit 1): JMP clears it in the old task's descriptor. */
	tap_ok(task_b_tr == SEL_TSSB && !(gdt[SEL_TSSB / 8] & (2ull << 40)) &&
	       (gdt[SEL_TSSA / 8] & (2ull << 40)),
	       "busy bits: task B ran and is free again, task A busy");

	/* CALL to a task: NT=1 in the new task, its TSS back link = the old
	 * TSS selector, the old task stays busy; IRET with NT=1 returns
	 * through the link and clears the new task's busy bit (§9.4, §9.6). */
	rc = run(1);
	tap_check_u64(rc, 0, "CALL to a task and IRET back");
	tap_ok(task_b_tr == SEL_TSSB && (task_b_eflags & RFLAGS_NT),
	       "CALL to a task sets NT (eflags 0x%x)", task_b_eflags);
	tap_check_u64(task_b_link, SEL_TSSA, "the new TSS's back link names the caller");
	tap_check_u64(tss_a[8], (uintptr_t)task_call_back, "the caller's TSS saved the EIP after the CALL");
	tap_ok(task_ebx_after == 0x1111 && !(gdt[SEL_TSSB / 8] & (2ull << 40)),
	       "IRET returned to the caller with its EBX; task B free again");
	return tap_done();
}
