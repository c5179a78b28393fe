/* Hardware task switching: SDM Vol. 3A §7.3 (the steps), §7.2.1 and §7.6
 * (32- and 16-bit TSS layouts), §7.4 (busy flag, NT and the previous task
 * link, Tables 7-2 and 7-3), Table 7-1 (the checks, in order), Table 6-6
 * (#TS conditions), and the TASK-GATE / TASK-STATE-SEGMENT / TASK-RETURN
 * parts of the Vol. 2 "JMP", "CALL", "INT n" and "IRET" pseudocode.
 *
 * One switch runs in three phases:
 *   1. checks and reads that fault in the context of the old task: the
 *      descriptor checks of the trigger, the new TSS limit, every read of
 *      the new TSS, and a write probe of every byte the switch will store
 *      (§7.3 step 5: "all segment descriptors used in the task switch are
 *      paged into system memory");
 *   2. the commit: busy flags, the old task's state into its TSS, the
 *      previous task link, TR and CR0.TS;
 *   3. the new task's state, whose checks fault in the context of the new
 *      task (§7.3: "Any errors associated with this loading and
 *      qualification occur in the context of the new task and may corrupt
 *      architectural state").
 *
 * Not modelled: the shadow-stack steps of CET, and the #TS the SDM lists
 * for stores to the old TSS that fault (Table 6-6): such a store is
 * probed first and its #PF is raised in the old task. */
#include "task.h"

#include "access.h"
#include "cr.h"
#include "debug.h"
#include "flags.h"
#include "mmu.h"
#include "seg.h"
#include "../vmx/vmx.h"

/* What started the switch: it decides the busy-flag, NT and link rules of
 * §7.4 (Tables 7-2 and 7-3). */
enum task_src { TS_JMP, TS_CALL, TS_IRET, TS_INT };

/* Descriptor fields (SDM Vol. 3A §3.4.5; drawn in seg.h). */
#define D_BUSY    (1ull << 41)  /* TSS type bit 1 */
#define D_WRITE   (1ull << 41)  /* data: writable; code: readable */
#define D_CONFORM (1ull << 42)
#define D_CODE    (1ull << 43)
#define D_S       (1ull << 44)
#define D_P       (1ull << 47)

static unsigned desc_type(uint64_t d)
{
	return (unsigned)(d >> 40) & 0xf;
}

static unsigned desc_dpl(uint64_t d)
{
	return (unsigned)(d >> 45) & 3;
}

/* A TSS descriptor, available or busy, 16- or 32-bit (Table 3-2). */
static bool is_tss(uint64_t d)
{
	unsigned t = desc_type(d);

	return !(d & D_S) && (t == SYS_TSS16_AVAIL || t == SYS_TSS16_BUSY ||
	                      t == SYS_TSS_AVAIL || t == SYS_TSS_BUSY);
}

/* The dynamic fields of a TSS (those a switch saves and loads).
 *
 * 32-bit TSS (§7.2.1, Figure 7-2), byte offsets:
 *   00 link | 04 ESP0 | 08 SS0 | 0C ESP1 | 10 SS1 | 14 ESP2 | 18 SS2
 *   1C CR3 | 20 EIP | 24 EFLAGS | 28 EAX ECX EDX EBX ESP EBP ESI EDI (to 44)
 *   48 ES | 4C CS | 50 SS | 54 DS | 58 FS | 5C GS (16-bit selectors in
 *   32-bit slots) | 60 LDT | 64 T (bit 0) | 66 I/O map base.  Limit >= 67H.
 * 16-bit TSS (§7.6, Figure 7-11):
 *   00 link | 02 SP0 | 04 SS0 | 06 SP1 | 08 SS1 | 0A SP2 | 0C SS2
 *   0E IP | 10 FLAGS | 12 AX CX DX BX SP BP SI DI (to 20)
 *   22 ES | 24 CS | 26 SS | 28 DS | 2A LDT.  Limit >= 2BH. */
struct tss_fmt {
	unsigned eip, eflags, gpr, sreg, ldt;
	unsigned w;          /* width of EIP, EFLAGS, the GPRs and a selector slot */
	unsigned nsreg;      /* ES CS SS DS [FS GS] */
	uint32_t min_limit;
};
static const struct tss_fmt fmt32 = { 0x20, 0x24, 0x28, 0x48, 0x60, 4, 6, 0x67 };
static const struct tss_fmt fmt16 = { 0x0e, 0x10, 0x12, 0x22, 0x2a, 2, 4, 0x2b };
#define TSS32_CR3 0x1c
#define TSS32_T   0x64  /* bit 0: debug trap on entry to the task */

/* The state read from the new TSS. */
struct tss_state {
	uint32_t cr3, eip, eflags, gpr[8];
	uint16_t sreg[6];    /* SEG_ES .. SEG_GS order, as in the TSS */
	uint16_t ldt;
	bool trap;           /* the T flag (32-bit TSS only) */
};

/* One requested switch. */
struct tsw {
	enum task_src src;
	uint16_t sel;        /* the new TSS selector */
	uint64_t desc;       /* its descriptor, as read from the GDT */
	uint32_t ext;        /* EXT bit of error codes (events only) */
	uint32_t eip;        /* EIP saved in the old TSS */
	uint32_t eflags;     /* EFLAGS saved in the old TSS (before the NT rule) */
};

/* TSS and GDT addresses are 32-bit linear addresses in legacy mode. */
static uint32_t lin(uint64_t base, unsigned off)
{
	return (uint32_t)(base + off);
}

static int tss_read(struct cpu *cpu, uint64_t base, const struct tss_fmt *f, struct tss_state *s)
{
	uint64_t v;

	*s = (struct tss_state){ 0 };
	if (f == &fmt32) {
		TRY(access_sys_read(cpu, lin(base, TSS32_CR3), 4, &v));
		s->cr3 = (uint32_t)v;
		TRY(access_sys_read(cpu, lin(base, TSS32_T), 1, &v));
		s->trap = v & 1;
	}
	TRY(access_sys_read(cpu, lin(base, f->eip), f->w, &v));
	s->eip = (uint32_t)v;
	TRY(access_sys_read(cpu, lin(base, f->eflags), f->w, &v));
	s->eflags = (uint32_t)v;
	for (unsigned i = 0; i < 8; i++) {
		TRY(access_sys_read(cpu, lin(base, f->gpr + i * f->w), f->w, &v));
		s->gpr[i] = (uint32_t)v;
	}
	for (unsigned i = 0; i < f->nsreg; i++) {
		TRY(access_sys_read(cpu, lin(base, f->sreg + i * f->w), 2, &v));
		s->sreg[i] = (uint16_t)v;
	}
	TRY(access_sys_read(cpu, lin(base, f->ldt), 2, &v));
	s->ldt = (uint16_t)v;
	return X_OK;
}

/* §7.3 step 8: "all the general-purpose registers, segment selectors from
 * the segment registers, the temporarily saved image of the EFLAGS
 * register, and the instruction pointer register (EIP)".  LDTR, CR3 and
 * the privileged stack pointers are static fields and are not written. */
static int tss_save(struct cpu *cpu, uint64_t base, const struct tss_fmt *f, uint32_t eip,
                    uint32_t eflags)
{
	TRY(access_sys_write(cpu, lin(base, f->eip), f->w, eip));
	TRY(access_sys_write(cpu, lin(base, f->eflags), f->w, eflags));
	for (unsigned i = 0; i < 8; i++)
		TRY(access_sys_write(cpu, lin(base, f->gpr + i * f->w), f->w, cpu->gpr[i]));
	for (unsigned i = 0; i < f->nsreg; i++)
		TRY(access_sys_write(cpu, lin(base, f->sreg + i * f->w), 2, cpu->seg[i].sel));
	return X_OK;
}

/* Make sure the `len` bytes at linear `gla` can be written by an implicit
 * supervisor access without a fault, so that the commit cannot stop half
 * way (§7.3 step 5). */
static int probe_sys_write(struct cpu *cpu, uint32_t gla, unsigned len)
{
	uint8_t *host;
	uint64_t gpa;

	TRY(tlb_fill(cpu, gla, ACC_WRITE, ACCF_IMPLICIT, &host, &gpa));
	if ((gla & 0xfff) + len > 4096)
		TRY(tlb_fill(cpu, (uint32_t)(gla + len - 1), ACC_WRITE, ACCF_IMPLICIT, &host, &gpa));
	return X_OK;
}

/* The access byte (bits 47:40) of the GDT descriptor named by `sel`. */
static uint32_t gdt_access_byte(const struct cpu *cpu, uint16_t sel)
{
	return lin(cpu->gdtr.base, (sel & ~7u) + 5);
}

static int set_busy(struct cpu *cpu, uint16_t sel, bool busy)
{
	uint64_t b;

	TRY(access_sys_read(cpu, gdt_access_byte(cpu, sel), 1, &b));
	b = busy ? (b | 2) : (b & ~2ull);
	return access_sys_write(cpu, gdt_access_byte(cpu, sel), 1, b);
}

/* The old TSS's descriptor, when TR names one in the GDT (TR after RESET
 * holds selector 0 and no descriptor: there is nothing to mark). */
static bool old_desc_in_gdt(const struct cpu *cpu)
{
	uint16_t sel = cpu->seg[SEG_TR].sel;

	return (sel & 0xfffc) && !(sel & 4) && (uint32_t)(sel | 7) <= cpu->gdtr.limit;
}

/* --- phase 3: the new task's segments (Table 7-1, lower part) --------- */

/* seg_read_desc with #TS, and EXT in the error code. */
static int read_desc_ts(struct cpu *cpu, uint16_t sel, uint32_t ext, uint64_t *d)
{
	int st = seg_read_desc(cpu, sel, EXC_TS, d);

	if (st == X_FAULT && cpu->fault.vector == EXC_TS)
		cpu->fault.error |= ext;
	return st;
}

/* Table 7-1 "LDT segment selector of new task is valid" and "LDT of new
 * task is present in memory", both #TS(new task's LDT); Table 6-6 "LDT or
 * LDT not present".  A valid LDT selector names an LDT descriptor in the
 * GDT (note 3: "in a compatible type of table"). */
static int load_ldt(struct cpu *cpu, uint16_t sel, uint32_t ext)
{
	uint32_t err = (sel & 0xfffc) | ext;
	uint64_t d;

	cpu->seg[SEG_LDTR] = (struct seg){ sel, 0, 0, SEG_UNUSABLE };
	if (sel & 4)
		return cpu_fault(cpu, EXC_TS, err);
	if ((sel & 0xfffc) == 0)
		return X_OK;
	TRY(read_desc_ts(cpu, sel, ext, &d));
	if ((d & D_S) || desc_type(d) != SYS_LDT || !(d & D_P))
		return cpu_fault(cpu, EXC_TS, err);
	seg_from_desc(&cpu->seg[SEG_LDTR], sel, d);
	return X_OK;
}

/* Table 7-1 "CS segment selector is valid", "Code segment DPL matches
 * segment selector RPL" (#TS), "Code segment is present" (#NP); Table 6-6:
 * "The nonconforming code segment DPL != CPL", "The conforming code
 * segment DPL is greater than CPL".  The new CPL is the selector's RPL. */
static int load_cs(struct cpu *cpu, uint16_t sel, uint32_t ext)
{
	uint32_t err = (sel & 0xfffc) | ext;
	unsigned rpl = sel & 3;
	uint64_t d;

	if ((sel & 0xfffc) == 0)
		return cpu_fault(cpu, EXC_TS, err);
	TRY(read_desc_ts(cpu, sel, ext, &d));
	if (!(d & D_S) || !(d & D_CODE))
		return cpu_fault(cpu, EXC_TS, err);
	if ((d & D_CONFORM) ? desc_dpl(d) > rpl : desc_dpl(d) != rpl)
		return cpu_fault(cpu, EXC_TS, err);
	if (!(d & D_P))
		return cpu_fault(cpu, EXC_NP, err);
	TRY(seg_set_accessed(cpu, sel, d));
	seg_from_desc(&cpu->seg[SEG_CS], sel, d | (1ull << 40));
	return X_OK;
}

/* Table 7-1 "SS segment selector is valid", "Stack segment DPL matches
 * CPL", "Stack segment DPL matches selector RPL" (#TS), "Stack segment is
 * present" (#SS).  A null SS is not valid. */
static int load_ss(struct cpu *cpu, uint16_t sel, unsigned cpl, uint32_t ext)
{
	uint32_t err = (sel & 0xfffc) | ext;
	uint64_t d;

	if ((sel & 0xfffc) == 0)
		return cpu_fault(cpu, EXC_TS, err);
	TRY(read_desc_ts(cpu, sel, ext, &d));
	if (!(d & D_S) || (d & D_CODE) || !(d & D_WRITE))
		return cpu_fault(cpu, EXC_TS, err);
	if (desc_dpl(d) != cpl || (sel & 3u) != cpl)
		return cpu_fault(cpu, EXC_TS, err);
	if (!(d & D_P))
		return cpu_fault(cpu, EXC_SS, err);
	TRY(seg_set_accessed(cpu, sel, d));
	seg_from_desc(&cpu->seg[SEG_SS], sel, d | (1ull << 40));
	return X_OK;
}

/* Table 7-1 "DS, ES, FS, and GS segment selectors are valid", "... are
 * readable", "... DPL greater than or equal to CPL (unless these are
 * conforming segments)" (#TS), "... are present" (#NP).  Table 6-6 adds
 * RPL > DPL.  A null selector leaves the register unusable. */
static int load_data(struct cpu *cpu, unsigned sreg, uint16_t sel, unsigned cpl, uint32_t ext)
{
	uint32_t err = (sel & 0xfffc) | ext;
	unsigned dpl;
	uint64_t d;

	if ((sel & 0xfffc) == 0) {
		cpu->seg[sreg] = (struct seg){ sel, 0, 0, SEG_UNUSABLE };
		return X_OK;
	}
	TRY(read_desc_ts(cpu, sel, ext, &d));
	if (!(d & D_S) || ((d & D_CODE) && !(d & D_WRITE)))
		return cpu_fault(cpu, EXC_TS, err);
	dpl = desc_dpl(d);
	if (!((d & D_CODE) && (d & D_CONFORM)) && (dpl < cpl || dpl < (sel & 3u)))
		return cpu_fault(cpu, EXC_TS, err);
	if (!(d & D_P))
		return cpu_fault(cpu, EXC_NP, err);
	TRY(seg_set_accessed(cpu, sel, d));
	seg_from_desc(&cpu->seg[sreg], sel, d | (1ull << 40));
	return X_OK;
}

/* Registers first, with provisional segment caches (selector, and the CS
 * RPL as CPL) so that a fault while the descriptors are qualified is
 * delivered in the new task at its privilege level; then CR3, LDTR and the
 * segment registers with their checks (§7.3 steps 12 and 14). */
static int load_state(struct cpu *cpu, const struct tsw *t, const struct tss_state *s, bool new32)
{
	unsigned cpl = s->sreg[SEG_CS] & 3;
	uint64_t fl;

	cpu->rip = s->eip;
	if (new32) {
		fl = s->eflags;
		for (unsigned i = 0; i < 8; i++)
			cpu_gpr_write(cpu, i, 2, s->gpr[i]);
	} else {
		/* A 16-bit TSS holds 16-bit registers.  The SDM does not say
		 * what the upper halves become; as Bochs models the
		 * processor, EFLAGS[31:16] are cleared, the upper words of
		 * the GPRs read FFFFH, and FS and GS (absent from the TSS)
		 * become null. */
		fl = s->eflags & 0xffff;
		for (unsigned i = 0; i < 8; i++)
			cpu->gpr[i] = 0xffff0000u | (s->gpr[i] & 0xffff);
	}
	fl = (fl & RFLAGS_DEFINED) | RFLAGS_FIXED1;
	/* §7.4, Table 7-3: CALL, exceptions and interrupts set NT in the new
	 * task; JMP and IRET load it from the TSS. */
	if (t->src == TS_CALL || t->src == TS_INT)
		fl |= RFLAGS_NT;
	flags_write(cpu, fl);
	for (unsigned i = SEG_ES; i <= SEG_GS; i++)
		cpu->seg[i] = (struct seg){ s->sreg[i], 0, 0, SEG_UNUSABLE };
	cpu->seg[SEG_CS].attr = SEG_P | SEG_S | SEG_TYPE_CODE | (new32 ? SEG_DB : 0) |
	                        (cpl << SEG_DPL_SHIFT);
	cpu->seg[SEG_SS].attr = SEG_P | SEG_S | SEG_TYPE_WR | (new32 ? SEG_DB : 0) |
	                        (cpl << SEG_DPL_SHIFT);
	cpu_update_mode(cpu);

	/* §7.3 step 12: "If paging is not enabled, a PDBR value is read from
	 * the new task's TSS, but it is not loaded into CR3."  A 16-bit TSS
	 * has no CR3 field.  §4.4.1: "If PAE paging is in use and a task
	 * switch changes the value of CR3, the PDPTEs are loaded from the
	 * address in the new CR3 value"; §4.10.4.1 flushes only when CR3
	 * changes, so an unchanged CR3 is left alone.  cr_write's only
	 * legacy-mode check is that PDPTE check, whose #GP(0) §4.4.1 gives
	 * to "the MOV to CR instruction"; during a task switch the SDM names
	 * no exception, and the invalid value comes from the TSS, so it is
	 * #TS(EXT) here (§6.15 "Interrupt 10": "an error related to a TSS
	 * ... detected during a task switch"), as Bochs does.  It is raised
	 * in the new task with CR3 unchanged. */
	if (new32 && (cpu->cr0 & CR0_PG) && s->cr3 != (uint32_t)cpu->cr3 &&
	    cr_write(cpu, 3, s->cr3) != X_OK)
		return cpu_fault(cpu, EXC_TS, t->ext);
	TRY(load_ldt(cpu, s->ldt, t->ext));
	if (fl & RFLAGS_VM) {
		/* A virtual-8086 task: every segment register is loaded as
		 * 8086 code sees it (§20.2.1). */
		for (unsigned i = SEG_ES; i <= SEG_GS; i++)
			seg_load_real(cpu, i, s->sreg[i]);
		return X_OK;
	}
	TRY(load_cs(cpu, s->sreg[SEG_CS], t->ext));
	TRY(load_ss(cpu, s->sreg[SEG_SS], cpl, t->ext));
	cpu_update_mode(cpu);
	TRY(load_data(cpu, SEG_ES, s->sreg[SEG_ES], cpl, t->ext));
	TRY(load_data(cpu, SEG_DS, s->sreg[SEG_DS], cpl, t->ext));
	TRY(load_data(cpu, SEG_FS, s->sreg[SEG_FS], cpl, t->ext));
	return load_data(cpu, SEG_GS, s->sreg[SEG_GS], cpl, t->ext);
}

/* Probe every store of the commit: the dynamic fields of the old TSS,
 * the new TSS's link (CALL, events) and the busy flags that change. */
static int probe_stores(struct cpu *cpu, const struct tsw *t, const struct tss_fmt *of,
                        uint64_t nbase, bool clear_old)
{
	TRY(probe_sys_write(cpu, lin(cpu->seg[SEG_TR].base, of->eip),
	                    of->sreg + (of->nsreg - 1) * of->w + 2 - of->eip));
	if (t->src == TS_CALL || t->src == TS_INT)
		TRY(probe_sys_write(cpu, lin(nbase, 0), 2));
	if (clear_old)
		TRY(probe_sys_write(cpu, gdt_access_byte(cpu, cpu->seg[SEG_TR].sel), 1));
	if (t->src != TS_IRET)
		TRY(probe_sys_write(cpu, gdt_access_byte(cpu, t->sel), 1));
	return X_OK;
}

/* SWITCH-TASKS of the Vol. 2 pseudocode: §7.3 steps 3 and 5-14.  The
 * trigger has done steps 1, 2 and 4 (selector, privilege, busy). */
static int switch_tasks(struct cpu *cpu, const struct tsw *t, bool *trap)
{
	const struct seg *otr = &cpu->seg[SEG_TR];
	bool new32 = (desc_type(t->desc) & 8) != 0;
	bool old32 = (otr->attr & 8) != 0;
	const struct tss_fmt *nf = new32 ? &fmt32 : &fmt16, *of = old32 ? &fmt32 : &fmt16;
	bool clear_old = (t->src == TS_JMP || t->src == TS_IRET) && old_desc_in_gdt(cpu);
	bool link = t->src == TS_CALL || t->src == TS_INT;
	uint16_t old_sel = otr->sel;
	uint64_t obase = otr->base;
	uint32_t eflags = t->eflags;
	struct tss_state ns;
	struct seg ntr;

	*trap = false;
	/* Vol. 3C §25.4.2: in VMX non-root operation any task switch is a
	 * VM exit, after the checks its trigger made (src/vmx). */
	if (unlikely(cpu->vmx_nonroot)) {
		static const unsigned source[] = { [TS_CALL] = 0, [TS_IRET] = 1, [TS_JMP] = 2,
		                                   [TS_INT] = 3 };

		return vmx_task_switch(cpu, t->sel, source[t->src], (uint32_t)(t->eip - cpu->rip));
	}
	seg_from_desc(&ntr, t->sel, t->desc);
	/* §7.2.2: "Attempting to switch to a task whose TSS descriptor has
	 * a limit less than 67H generates an invalid-TSS exception (#TS)";
	 * Table 6-6: "less than 67H for 32-bit TSS or less than 2CH for
	 * 16-bit TSS" (i.e. the limit must reach 2BH). */
	if (ntr.limit < nf->min_limit)
		return cpu_fault(cpu, EXC_TS, (t->sel & 0xfffc) | t->ext);
	/* §7.3 step 5: the old TSS, the new TSS and the descriptors used
	 * must be present in memory; a #PF here is in the old task. */
	TRY(tss_read(cpu, ntr.base, nf, &ns));
	TRY(probe_stores(cpu, t, of, ntr.base, clear_old));

	/* Step 6 (Table 7-2): "If the task switch was initiated with a JMP
	 * or IRET instruction, the processor clears the busy (B) flag in
	 * the current (old) task's TSS descriptor". */
	if (clear_old)
		TRY(set_busy(cpu, old_sel, false));
	/* Step 7: "If the task switch was initiated with an IRET
	 * instruction, the processor clears the NT flag in a temporarily
	 * saved image of the EFLAGS register". */
	if (t->src == TS_IRET)
		eflags &= ~(uint32_t)RFLAGS_NT;
	TRY(tss_save(cpu, obase, of, t->eip, eflags));
	/* §7.4: with CALL, an exception or an interrupt "the processor
	 * copies the segment selector for the current TSS to the previous
	 * task link field of the TSS for the new task". */
	if (link)
		TRY(access_sys_write(cpu, lin(ntr.base, 0), 2, old_sel));
	/* Step 10: CALL, JMP, exceptions and interrupts set the new task's
	 * busy flag; IRET finds it set. */
	if (t->src != TS_IRET)
		TRY(set_busy(cpu, t->sel, true));

	/* Step 11, the commit point: TR holds the new TSS (busy). */
	ntr.attr |= 2;
	cpu->seg[SEG_TR] = ntr;
	/* §2.5: CR0.TS "is set on every task switch". */
	cpu->cr0 |= CR0_TS;
	/* Vol. 3B §17.2.4: L0-L3 "are automatically cleared by the processor
	 * with every task switch". */
	if (cpu->dr[7] & 0x55) {
		cpu->dr[7] &= ~0x55ull;
		debug_update(cpu);
	}
	*trap = ns.trap;
	return load_state(cpu, t, &ns, new32);
}

/* After the switch: "IF EIP not within code segment limit THEN #GP(0)"
 * (#GP(EXT) for events).  Then the T flag: Vol. 3B §17.3.1.5, "The
 * processor generates a debug exception after a task switch if the T flag
 * of the new task's TSS is set.  This exception is generated after
 * program control has passed to the new task, and prior to the execution
 * of the first instruction of that task", with DR6.BT (bit 15) set. */
static int check_eip(struct cpu *cpu, uint32_t ext, bool trap)
{
	if (cpu->rip > cpu->seg[SEG_CS].limit)
		return cpu_gp(cpu, ext);
	if (trap) {
		cpu->fault.db_dr6 = cpu->dr[6];
		cpu->fault.db_bits = 1ull << 15;
		cpu->dr[6] |= 1ull << 15;
		return cpu_fault_noerr(cpu, EXC_DB);
	}
	return X_OK;
}

int task_far(struct cpu *cpu, uint16_t sel, uint64_t desc, bool call, uint64_t next_eip)
{
	uint16_t tsel = sel;
	uint64_t tdesc = desc;
	struct tsw t;
	bool trap;

	/* Vol. 2 "JMP"/"CALL": "IF task gate DPL < CPL or RPL THEN
	 * #GP(task gate selector)"; "IF TSS DPL < CPL or RPL ... THEN
	 * #GP(TSS selector)" (§7.3 step 2: data-access privilege rules). */
	if (desc_dpl(desc) < cpu->cpl || desc_dpl(desc) < (sel & 3u))
		return cpu_gp(cpu, sel & 0xfffc);
	if (desc_type(desc) == SYS_TASKGATE) {
		/* "IF task gate not present THEN #NP(gate selector)" */
		if (!(desc & D_P))
			return cpu_fault(cpu, EXC_NP, sel & 0xfffc);
		tsel = (uint16_t)(desc >> 16);
		/* "IF TSS segment selector local/global bit is set to local
		 * or index not within GDT limits THEN #GP(TSS selector)" */
		if (tsel & 4)
			return cpu_gp(cpu, tsel & 0xfffc);
		TRY(seg_read_desc(cpu, tsel, EXC_GP, &tdesc));
		/* "IF descriptor is not a TSS segment THEN #GP(TSS
		 * selector)"; "IF TSS descriptor specifies that the TSS is
		 * busy THEN #GP(TSS selector)" */
		if (!is_tss(tdesc) || (tdesc & D_BUSY))
			return cpu_gp(cpu, tsel & 0xfffc);
	} else {
		/* Table 7-1: the TSS selector "references the GDT"; "TSS
		 * descriptor indicates TSS not available THEN #GP(TSS
		 * selector)". */
		if ((sel & 4) || (desc & D_BUSY))
			return cpu_gp(cpu, sel & 0xfffc);
	}
	/* "IF TSS not present THEN #NP(TSS selector)" */
	if (!(tdesc & D_P))
		return cpu_fault(cpu, EXC_NP, tsel & 0xfffc);
	t = (struct tsw){ call ? TS_CALL : TS_JMP, tsel, tdesc, 0, (uint32_t)next_eip,
	                  (uint32_t)flags_read(cpu) };
	TRY(switch_tasks(cpu, &t, &trap));
	TRY(check_eip(cpu, 0, trap));
	return X_JUMP;
}

int task_iret(struct cpu *cpu, uint64_t next_eip)
{
	uint64_t link, d;
	uint16_t sel;
	struct tsw t;
	bool trap;

	/* Vol. 2 "IRET", TASK-RETURN: "SWITCH-TASKS (without nesting) to
	 * TSS specified in link field of current TSS".  Table 6-6, #TS(TSS
	 * selector): "During an IRET task switch, the TI flag in the TSS
	 * segment selector indicates the LDT", "... exceeds descriptor table
	 * limit", "... the backlink is a NULL selector", "... the backlink
	 * points to a descriptor which is not a busy TSS". */
	TRY(access_sys_read(cpu, lin(cpu->seg[SEG_TR].base, 0), 2, &link));
	sel = (uint16_t)link;
	if ((sel & 4) || (sel & 0xfffc) == 0)
		return cpu_fault(cpu, EXC_TS, sel & 0xfffc);
	TRY(seg_read_desc(cpu, sel, EXC_TS, &d));
	if (!is_tss(d) || !(d & D_BUSY))
		return cpu_fault(cpu, EXC_TS, sel & 0xfffc);
	/* Table 7-1: "P flag in TSS descriptor is set", else #NP. */
	if (!(d & D_P))
		return cpu_fault(cpu, EXC_NP, sel & 0xfffc);
	t = (struct tsw){ TS_IRET, sel, d, 0, (uint32_t)next_eip, (uint32_t)flags_read(cpu) };
	TRY(switch_tasks(cpu, &t, &trap));
	TRY(check_eip(cpu, 0, trap));
	return X_JUMP;
}

/* Vol. 2 "INT n", TASK-GATE: "IF interrupt caused by fault with error
 * code THEN IF stack limit does not allow push of error code THEN
 * #SS(EXT); Push(error code)".  The code is as wide as the new TSS. */
static int push_error(struct cpu *cpu, bool new32, uint32_t error, uint32_t ext)
{
	const struct seg *ss = &cpu->seg[SEG_SS];
	unsigned w = new32 ? 4 : 2;
	uint64_t m = (ss->attr & SEG_DB) ? 0xffffffffull : 0xffffull;
	uint64_t sp = cpu->gpr[R_RSP], off = (sp - w) & m;
	bool ok;

	/* §5.3: expand-down segments hold the offsets above the limit. */
	if (ss->attr & SEG_TYPE_EC)
		ok = off > ss->limit && off + w - 1 <= m;
	else
		ok = off + w - 1 <= ss->limit;
	if (!ok || (ss->attr & SEG_UNUSABLE))
		return cpu_fault(cpu, EXC_SS, ext);
	TRY(access_lin_write_slow(cpu, lin(ss->base, (unsigned)off), w, access_user_flag(cpu),
	                          error));
	cpu->gpr[R_RSP] = (sp & ~m) | off;
	return X_OK;
}

int task_gate_event(struct cpu *cpu, uint16_t tss_sel, uint32_t ext, uint64_t ret_eip,
                    uint64_t eflags, bool has_error, uint32_t error)
{
	uint32_t err = (tss_sel & 0xfffc) | ext;
	uint64_t d;
	struct tsw t;
	bool trap;
	int st;

	/* "IF local/global bit is set to local or index not within GDT
	 * limits THEN #GP(error_code(TSS selector,0,EXT))" */
	if (tss_sel & 4)
		return cpu_gp(cpu, err);
	st = seg_read_desc(cpu, tss_sel, EXC_GP, &d);
	if (st == X_FAULT && cpu->fault.vector == EXC_GP)
		cpu->fault.error |= ext;
	TRY(st);
	/* "IF TSS descriptor specifies that the TSS is busy (low-order 5
	 * bits set to 00011) THEN #GP(error_code(TSS selector,0,EXT))";
	 * anything but an available TSS cannot be switched to either. */
	if (!is_tss(d) || (d & D_BUSY))
		return cpu_gp(cpu, err);
	/* "IF TSS not present THEN #NP(error_code(TSS selector,0,EXT))" */
	if (!(d & D_P))
		return cpu_fault(cpu, EXC_NP, err);
	/* "SWITCH-TASKS (with nesting) to TSS" */
	t = (struct tsw){ TS_INT, tss_sel, d, ext, (uint32_t)ret_eip, (uint32_t)eflags };
	TRY(switch_tasks(cpu, &t, &trap));
	if (has_error)
		TRY(push_error(cpu, (desc_type(d) & 8) != 0, error, ext));
	/* "IF EIP not within code segment limit THEN #GP(EXT)" */
	return check_eip(cpu, ext, trap);
}
