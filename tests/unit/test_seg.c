/* Segment-register loads and the descriptor instructions: every expected
 * value follows the SDM rule quoted above the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cpu/seg.h"
#include "segtest.h"

/* Test descriptors (GDT grown to 0x1ff). */
#define S_DATA    0x40  /* RW data, DPL 0, not accessed, base 0x200000 */
#define S_RODATA  0x48  /* read-only data, DPL 0 */
#define S_UDATA3  0x50  /* RW data, DPL 3 */
#define S_NPDATA  0x58  /* RW data, not present */
#define S_XCODE   0x60  /* execute-only code */
#define S_RCODE   0x68  /* readable code */
#define S_CONF    0x70  /* conforming readable code, DPL 0 */
#define S_LDT     0x78  /* LDT at 0x3000, limit 0x17 (3 entries) */
#define S_EDOWN32 0x80  /* expand-down RW data, limit 0xfff, B = 1 */
#define S_EDOWN16 0x88  /* expand-down RW data, limit 0xfff, B = 0 */
#define S_TSS     0x90  /* available 32-bit TSS */
#define S_NPSS    0xc0  /* RW data, not present (for SS) */
#define S_TSS16   0xc8  /* available 16-bit TSS */
#define S_BIG     0xd0  /* RW data, limit 0xfffff with G = 1 */
#define S_NPLDT   0xd8  /* LDT, not present */
#define LDT_BASE  0x3000

static struct tm *setup(enum tm_mode mode)
{
	struct tm *tm = tm_new(mode);

	grow_gdt(tm);
	put_gdt(tm, S_DATA, mkdesc(0x200000, 0xffff, 0x92, 0x4));
	put_gdt(tm, S_RODATA, mkdesc(0, 0xffff, 0x90, 0x4));
	put_gdt(tm, S_UDATA3, mkdesc(0, 0xffff, 0xf2, 0x4));
	put_gdt(tm, S_NPDATA, mkdesc(0, 0xffff, 0x12, 0x4));
	put_gdt(tm, S_XCODE, mkdesc(0, 0xffff, 0x98, 0x4));
	put_gdt(tm, S_RCODE, mkdesc(0, 0xffff, 0x9a, 0x4));
	put_gdt(tm, S_CONF, mkdesc(0, 0xffff, 0x9e, 0x4));
	put_gdt(tm, S_LDT, mkdesc(LDT_BASE, 0x17, 0x82, 0));
	put_gdt(tm, S_EDOWN32, mkdesc(0, 0x0fff, 0x96, 0x4));
	put_gdt(tm, S_EDOWN16, mkdesc(0, 0x0fff, 0x96, 0x0));
	put_gdt(tm, S_TSS, mkdesc(0x4000, 0x67, 0x89, 0));
	put_gdt(tm, S_NPSS, mkdesc(0, 0xffff, 0x12, 0x4));
	put_gdt(tm, S_TSS16, mkdesc(0x4000, 0x2b, 0x81, 0));
	put_gdt(tm, S_BIG, mkdesc(0, 0xfffff, 0x92, 0xc));
	put_gdt(tm, S_NPLDT, mkdesc(LDT_BASE, 0x17, 0x02, 0));
	/* LDT: 0x0c = data DPL 0 at 0x5000, 0x14 = data DPL 3. */
	tm_write(tm, LDT_BASE + 8, 8, mkdesc(0x5000, 0xffff, 0x92, 0x4));
	tm_write(tm, LDT_BASE + 16, 8, mkdesc(0x6000, 0xffff, 0xf2, 0x4));
	return tm;
}

/* SDM Vol. 2 "MOV" + Vol. 3A §3.4.5.1: a valid data selector loads base,
 * byte-granular limit and attributes, and the processor sets the
 * accessed bit of the descriptor in memory. */
static void load_ds_sets_accessed(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	const struct seg *ds = &tm->cpu->seg[SEG_DS];

	(void)state;
	assert_int_equal(gdt_access(tm, S_DATA), 0x92);
	assert_int_equal(seg_load(tm->cpu, SEG_DS, S_DATA), X_OK);
	assert_int_equal(ds->sel, S_DATA);
	assert_int_equal(ds->base, 0x200000);
	assert_int_equal(ds->limit, 0xffff);
	assert_int_equal(ds->attr, SEG_P | SEG_S | SEG_TYPE_WR | SEG_TYPE_A | SEG_DB);
	assert_int_equal(gdt_access(tm, S_DATA), 0x93);
	/* G = 1 scales the limit: 0xfffff -> 0xffffffff. */
	assert_int_equal(seg_load(tm->cpu, SEG_ES, S_BIG), X_OK);
	assert_int_equal(tm->cpu->seg[SEG_ES].limit, 0xffffffffu);
	tm_free(tm);
}

/* SDM Vol. 2 "MOV": "IF segment selector index is outside descriptor
 * table limits THEN #GP(selector)"; the error code is the selector with
 * the RPL bits replaced by EXT/IDT = 0. */
static void load_beyond_limit(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	int st;

	(void)state;
	st = seg_load(tm->cpu, SEG_DS, 0x203);
	assert_fault(tm, st, EXC_GP, 0x200);
	st = seg_load(tm->cpu, SEG_SS, 0x200);
	assert_fault(tm, st, EXC_GP, 0x200);
	/* The last descriptor that fits (0x1f8..0x1ff) is checked on its
	 * type, not on the limit: a zero descriptor is not data. */
	st = seg_load(tm->cpu, SEG_DS, 0x1f8);
	assert_fault(tm, st, EXC_GP, 0x1f8);
	/* A descriptor only partly inside the limit is outside it. */
	tm->cpu->gdtr.limit = S_DATA + 6;
	st = seg_load(tm->cpu, SEG_DS, S_DATA);
	assert_fault(tm, st, EXC_GP, S_DATA);
	tm_free(tm);
}

/* SDM Vol. 2 "MOV": a null selector may be loaded into DS..GS ("segment
 * register marked as unusable"); a later access through it is #GP(0)
 * (Vol. 3A §5.4.1). */
static void load_null_data(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	int st;

	(void)state;
	assert_int_equal(seg_load(tm->cpu, SEG_DS, 3), X_OK);
	assert_int_equal(tm->cpu->seg[SEG_DS].sel, 3);
	assert_true(tm->cpu->seg[SEG_DS].attr & SEG_UNUSABLE);
	tm->cpu->gpr[R_RBX] = TM_DATA;
	st = EXEC(tm, 0x8b, 0x03); /* mov eax, [ebx] */
	assert_fault(tm, st, EXC_GP, 0);
	tm_free(tm);
}

/* SDM Vol. 2 "MOV": SS with a null selector is #GP(0), except in 64-bit
 * mode at CPL < 3 with RPL = CPL (Vol. 3A §6.15 #GP list: "load a null
 * selector in the SS register in CPL3 and 64-bit mode" / "non-CPL3 and
 * 64-bit mode where RPL is not equal to CPL" / "in compatibility mode"). */
static void load_null_ss(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	int st;

	(void)state;
	st = seg_load(tm->cpu, SEG_SS, 0);
	assert_fault(tm, st, EXC_GP, 0);
	tm_free(tm);

	tm = setup(TM_LONG64);
	assert_int_equal(seg_load(tm->cpu, SEG_SS, 0), X_OK);
	assert_true(tm->cpu->seg[SEG_SS].attr & SEG_UNUSABLE);
	assert_int_equal(tm->cpu->cpl, 0);
	st = seg_load(tm->cpu, SEG_SS, 1);
	assert_fault(tm, st, EXC_GP, 0);
	/* Compatibility mode (CS.L = 0). */
	tm->cpu->seg[SEG_CS].attr = (tm->cpu->seg[SEG_CS].attr & ~SEG_L) | SEG_DB;
	cpu_update_mode(tm->cpu);
	assert_int_equal(tm->cpu->mode, MODE_COMPAT);
	st = seg_load(tm->cpu, SEG_SS, 0);
	assert_fault(tm, st, EXC_GP, 0);
	tm_free(tm);

	tm = setup(TM_LONG64);
	to_user(tm);
	st = seg_load(tm->cpu, SEG_SS, 3);
	assert_fault(tm, st, EXC_GP, 0);
	tm_free(tm);
}

/* SDM Vol. 2 "MOV": for SS, "RPL != CPL or segment is not a writable
 * data segment or DPL != CPL THEN #GP(selector)"; "segment not marked
 * present THEN #SS(selector)". */
static void load_ss_checks(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	st = seg_load(cpu, SEG_SS, S_DATA | 1);
	assert_fault(tm, st, EXC_GP, S_DATA);
	st = seg_load(cpu, SEG_SS, S_RODATA);
	assert_fault(tm, st, EXC_GP, S_RODATA);
	st = seg_load(cpu, SEG_SS, S_UDATA3);
	assert_fault(tm, st, EXC_GP, S_UDATA3);
	st = seg_load(cpu, SEG_SS, S_RCODE);
	assert_fault(tm, st, EXC_GP, S_RCODE);
	st = seg_load(cpu, SEG_SS, S_TSS);
	assert_fault(tm, st, EXC_GP, S_TSS);
	st = seg_load(cpu, SEG_SS, S_NPSS);
	assert_fault(tm, st, EXC_SS, S_NPSS);
	/* Nothing was committed by the faulting loads. */
	assert_int_equal(cpu->seg[SEG_SS].sel, TM_SEL_DATA);
	assert_int_equal(seg_load(cpu, SEG_SS, S_DATA), X_OK);
	assert_int_equal(cpu->seg[SEG_SS].base, 0x200000);
	assert_int_equal(gdt_access(tm, S_DATA), 0x93);
	/* At CPL 3 the DPL-3 segment with RPL 3 is the valid one. */
	to_user(tm);
	assert_int_equal(seg_load(cpu, SEG_SS, S_UDATA3 | 3), X_OK);
	assert_int_equal(cpu->cpl, 3);
	st = seg_load(cpu, SEG_SS, S_UDATA3);
	assert_fault(tm, st, EXC_GP, S_UDATA3);
	tm_free(tm);
}

/* SDM Vol. 2 "MOV": for DS..GS, "segment is not a data or readable code
 * segment THEN #GP(selector)"; "not marked present THEN #NP(selector)". */
static void load_data_types(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	st = seg_load(cpu, SEG_DS, S_LDT);
	assert_fault(tm, st, EXC_GP, S_LDT);
	st = seg_load(cpu, SEG_FS, S_XCODE);
	assert_fault(tm, st, EXC_GP, S_XCODE);
	st = seg_load(cpu, SEG_GS, S_NPDATA);
	assert_fault(tm, st, EXC_NP, S_NPDATA);
	assert_int_equal(seg_load(cpu, SEG_ES, S_RCODE), X_OK);
	assert_int_equal(seg_load(cpu, SEG_DS, S_RODATA), X_OK);
	/* MOV to CS does not exist (#UD). */
	assert_int_equal(seg_load(cpu, SEG_CS, TM_SEL_CODE32), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_UD);
	tm_free(tm);
}

/* SDM Vol. 2 "MOV": "(segment is a data or nonconforming code segment)
 * AND ((RPL > DPL) or (CPL > DPL)) THEN #GP(selector)"; conforming code
 * is exempt. */
static void load_data_privilege(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	st = seg_load(cpu, SEG_DS, S_DATA | 3);          /* RPL 3 > DPL 0 */
	assert_fault(tm, st, EXC_GP, S_DATA);
	assert_int_equal(seg_load(cpu, SEG_DS, S_UDATA3), X_OK);
	to_user(tm);
	st = seg_load(cpu, SEG_DS, S_DATA);              /* CPL 3 > DPL 0 */
	assert_fault(tm, st, EXC_GP, S_DATA);
	st = seg_load(cpu, SEG_DS, S_RCODE | 3);
	assert_fault(tm, st, EXC_GP, S_RCODE);
	assert_int_equal(seg_load(cpu, SEG_DS, S_CONF | 3), X_OK);
	assert_int_equal(seg_load(cpu, SEG_ES, S_UDATA3 | 3), X_OK);
	tm_free(tm);
}

/* SDM Vol. 2 "LLDT": the selector must name a present LDT descriptor in
 * the GDT; afterwards TI = 1 selectors index the LDT and are checked
 * against its limit (Vol. 3A §3.5.1).  A null LLDT leaves LDTR unusable,
 * so every TI = 1 selector is then outside the table. */
static void ldt_selectors(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	cpu->gpr[R_RAX] = S_LDT | 3; /* RPL is ignored */
	assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xd0), X_OK); /* lldt ax */
	assert_int_equal(cpu->seg[SEG_LDTR].sel, S_LDT | 3);
	assert_int_equal(cpu->seg[SEG_LDTR].base, LDT_BASE);
	assert_int_equal(cpu->seg[SEG_LDTR].limit, 0x17);
	assert_int_equal(seg_load(cpu, SEG_DS, 0x0c), X_OK);
	assert_int_equal(cpu->seg[SEG_DS].base, 0x5000);
	assert_int_equal(tm_read(tm, LDT_BASE + 8 + 5, 1), 0x93);
	st = seg_load(cpu, SEG_DS, 0x1c);               /* index 3 > limit */
	assert_fault(tm, st, EXC_GP, 0x1c);
	/* SLDT stores the selector. */
	cpu->gpr[R_RCX] = 0xffffffffu;
	assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xc1), X_OK); /* sldt ecx */
	assert_int_equal(cpu->gpr[R_RCX], S_LDT | 3);
	cpu->gpr[R_RAX] = 0;
	assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xd0), X_OK);
	assert_true(cpu->seg[SEG_LDTR].attr & SEG_UNUSABLE);
	st = seg_load(cpu, SEG_DS, 0x0c);
	assert_fault(tm, st, EXC_GP, 0x0c);
	tm_free(tm);
}

/* SDM Vol. 2 "LLDT" exceptions: #GP(selector) if the selector does not
 * point into the GDT or the entry is not an LDT; #NP(selector) if the LDT
 * descriptor is not present. */
static void lldt_faults(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	cpu->gpr[R_RAX] = S_LDT | 4;
	st = EXEC(tm, 0x0f, 0x00, 0xd0);
	assert_fault(tm, st, EXC_GP, S_LDT | 4);
	cpu->gpr[R_RAX] = S_DATA;
	st = EXEC(tm, 0x0f, 0x00, 0xd0);
	assert_fault(tm, st, EXC_GP, S_DATA);
	cpu->gpr[R_RAX] = S_NPLDT;
	st = EXEC(tm, 0x0f, 0x00, 0xd0);
	assert_fault(tm, st, EXC_NP, S_NPLDT);
	cpu->gpr[R_RAX] = 0x200;
	st = EXEC(tm, 0x0f, 0x00, 0xd0);
	assert_fault(tm, st, EXC_GP, 0x200);
	tm_free(tm);
}

/* SDM Vol. 3A §5.3: in an expand-down segment valid offsets run from
 * limit + 1 to FFFFFFFFH (B = 1) or FFFFH (B = 0); anything else is
 * #GP(0) (#SS(0) for SS). */
static void expand_down_limits(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	assert_int_equal(seg_load(cpu, SEG_DS, S_EDOWN32), X_OK);
	cpu->gpr[R_RBX] = 0x0fff;
	st = EXEC(tm, 0x8b, 0x03);
	assert_fault(tm, st, EXC_GP, 0);
	cpu->gpr[R_RBX] = 0x0ffe;                    /* straddles limit + 1 */
	st = EXEC(tm, 0x8b, 0x03);
	assert_fault(tm, st, EXC_GP, 0);
	cpu->gpr[R_RBX] = 0x1000;
	assert_int_equal(EXEC(tm, 0x8b, 0x03), X_OK);
	cpu->gpr[R_RBX] = 0xfffffffc;
	assert_int_equal(EXEC(tm, 0x8b, 0x03), X_OK);

	assert_int_equal(seg_load(cpu, SEG_DS, S_EDOWN16), X_OK);
	cpu->gpr[R_RBX] = 0xfffc;
	assert_int_equal(EXEC(tm, 0x8b, 0x03), X_OK);
	cpu->gpr[R_RBX] = 0xfffe;                    /* last byte at 0x10001 */
	st = EXEC(tm, 0x8b, 0x03);
	assert_fault(tm, st, EXC_GP, 0);
	/* As a stack the same violation is #SS(0). */
	assert_int_equal(seg_load(cpu, SEG_SS, S_EDOWN32), X_OK);
	cpu->gpr[R_RSP] = 0x0ffe;
	st = EXEC(tm, 0x8b, 0x04, 0x24);             /* mov eax, [esp]: 0xffe..0x1001 */
	assert_fault(tm, st, EXC_SS, 0);
	tm_free(tm);
}

/* SDM Vol. 2 "LTR": loads TR from an available TSS and marks the
 * descriptor busy in memory; a busy or non-TSS descriptor is
 * #GP(selector), a null selector #GP(0), an LDT selector #GP(selector). */
static void ltr_busy(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	cpu->gpr[R_RAX] = S_TSS;
	assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xd8), X_OK); /* ltr ax */
	assert_int_equal(cpu->seg[SEG_TR].sel, S_TSS);
	assert_int_equal(cpu->seg[SEG_TR].base, 0x4000);
	assert_int_equal(cpu->seg[SEG_TR].limit, 0x67);
	assert_int_equal(cpu->seg[SEG_TR].attr & SEG_TYPE_MASK, SYS_TSS_BUSY);
	assert_int_equal(gdt_access(tm, S_TSS), 0x8b);
	st = EXEC(tm, 0x0f, 0x00, 0xd8);
	assert_fault(tm, st, EXC_GP, S_TSS);
	cpu->gpr[R_RAX] = 3;
	st = EXEC(tm, 0x0f, 0x00, 0xd8);
	assert_fault(tm, st, EXC_GP, 0);
	cpu->gpr[R_RAX] = S_TSS | 4;
	st = EXEC(tm, 0x0f, 0x00, 0xd8);
	assert_fault(tm, st, EXC_GP, S_TSS | 4);
	cpu->gpr[R_RAX] = S_DATA;
	st = EXEC(tm, 0x0f, 0x00, 0xd8);
	assert_fault(tm, st, EXC_GP, S_DATA);
	/* A 16-bit TSS is valid outside IA-32e mode. */
	cpu->gpr[R_RAX] = S_TSS16;
	assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xd8), X_OK);
	assert_int_equal(gdt_access(tm, S_TSS16), 0x83);
	cpu->gpr[R_RDX] = ~0ull;
	assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xca), X_OK); /* str edx */
	assert_int_equal(cpu->gpr[R_RDX], S_TSS16);
	tm_free(tm);
}

/* SDM Vol. 3A §7.2.3: in IA-32e mode the TSS (and LDT) descriptor is 16
 * bytes with base 63:32 in the upper half; LTR (Vol. 2, 64-bit mode exceptions)
 * takes only a 64-bit TSS and faults #GP(selector) when the upper half's
 * type is not zero. */
static void ltr_64(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	put_gdt(tm, 0x100, mkdesc(0x4000, 0x67, 0x89, 0));
	put_gdt(tm, 0x108, 0x12345678);
	cpu->gpr[R_RAX] = 0x100;
	assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xd8), X_OK);
	assert_int_equal(cpu->seg[SEG_TR].base, 0x1234567800004000ull);
	assert_int_equal(gdt_access(tm, 0x100), 0x8b);
	put_gdt(tm, 0x110, mkdesc(0x4000, 0x67, 0x89, 0));
	put_gdt(tm, 0x118, 1ull << 40);              /* upper type = 1 */
	cpu->gpr[R_RAX] = 0x110;
	st = EXEC(tm, 0x0f, 0x00, 0xd8);
	assert_fault(tm, st, EXC_GP, 0x110);
	put_gdt(tm, 0x120, mkdesc(0x4000, 0x2b, 0x81, 0));
	put_gdt(tm, 0x128, 0);
	cpu->gpr[R_RAX] = 0x120;
	st = EXEC(tm, 0x0f, 0x00, 0xd8);
	assert_fault(tm, st, EXC_GP, 0x120);
	/* The upper half must lie inside the GDT. */
	put_gdt(tm, 0x120, mkdesc(0x4000, 0x67, 0x89, 0));
	cpu->gdtr.limit = 0x127;
	cpu->gpr[R_RAX] = 0x120;
	st = EXEC(tm, 0x0f, 0x00, 0xd8);
	assert_fault(tm, st, EXC_GP, 0x120);
	/* LLDT takes the same 16-byte form (Vol. 3A §3.5.2). */
	cpu->gdtr.limit = 0x1ff;
	put_gdt(tm, 0x130, mkdesc(LDT_BASE, 0x17, 0x82, 0));
	put_gdt(tm, 0x138, 0x1);
	cpu->gpr[R_RAX] = 0x130;
	assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xd0), X_OK);  /* lldt ax */
	assert_int_equal(cpu->seg[SEG_LDTR].base, 0x100000000ull + LDT_BASE);
	assert_int_equal(cpu->seg[SEG_LDTR].limit, 0x17);
	tm_free(tm);
}

/* System types LAR/LSL accept, per the SDM Vol. 2 "LAR" and "LSL" type
 * tables: legacy LAR 1 2 3 4 5 9 B C, LSL 1 2 3 9 B; IA-32e LAR 9 B C
 * (the LDT is "No"), LSL 0 ("upper 8 bytes of a 16-byte descriptor") 2 9 B. */
static const struct { uint8_t type; bool lar, lsl, lar64, lsl64; } sys_types[] = {
	{ 0x0, 0, 0, 0, 1 }, { 0x1, 1, 1, 0, 0 }, { 0x2, 1, 1, 0, 1 }, { 0x3, 1, 1, 0, 0 },
	{ 0x4, 1, 0, 0, 0 }, { 0x5, 1, 0, 0, 0 }, { 0x6, 0, 0, 0, 0 }, { 0x7, 0, 0, 0, 0 },
	{ 0x8, 0, 0, 0, 0 }, { 0x9, 1, 1, 1, 1 }, { 0xa, 0, 0, 0, 0 }, { 0xb, 1, 1, 1, 1 },
	{ 0xc, 1, 0, 1, 0 }, { 0xd, 0, 0, 0, 0 }, { 0xe, 0, 0, 0, 0 }, { 0xf, 0, 0, 0, 0 },
};

static void lar_lsl_system_types(void **state)
{
	(void)state;
	for (int m = 0; m < 2; m++) {
		struct tm *tm = setup(m ? TM_LONG64 : TM_PROT32);
		struct cpu *cpu = tm->cpu;

		for (size_t i = 0; i < sizeof(sys_types) / sizeof(sys_types[0]); i++) {
			uint64_t d = mkdesc(0x4000, 0x2345, (uint8_t)(0x80 | sys_types[i].type), 0);
			bool lar = m ? sys_types[i].lar64 : sys_types[i].lar;
			bool lsl = m ? sys_types[i].lsl64 : sys_types[i].lsl;

			put_gdt(tm, 0x100, d);
			put_gdt(tm, 0x108, 0);
			cpu->gpr[R_RCX] = 0x100;
			cpu->gpr[R_RAX] = 0x5555;
			assert_int_equal(EXEC(tm, 0x0f, 0x02, 0xc1), X_OK); /* lar eax, ecx */
			assert_int_equal(zf(tm), lar);
			/* "DEST := access rights ... masked by 00F0FF00H"; no
			 * change when ZF = 0. */
			assert_int_equal(cpu->gpr[R_RAX],
			                 lar ? (uint32_t)(d >> 32) & 0x00f0ff00u : 0x5555u);
			cpu->gpr[R_RAX] = 0x5555;
			assert_int_equal(EXEC(tm, 0x0f, 0x03, 0xc1), X_OK); /* lsl eax, ecx */
			assert_int_equal(zf(tm), lsl);
			assert_int_equal(cpu->gpr[R_RAX], lsl ? 0x2345u : 0x5555u);
		}
		if (m) {
			/* IA-32e: a TSS whose upper half has a non-zero type
			 * is not a valid 16-byte descriptor: ZF = 0. */
			put_gdt(tm, 0x100, mkdesc(0x4000, 0x2345, 0x89, 0));
			put_gdt(tm, 0x108, 1ull << 40);
			assert_int_equal(EXEC(tm, 0x0f, 0x03, 0xc1), X_OK);
			assert_false(zf(tm));
			/* ... or whose upper half lies beyond the GDT limit. */
			put_gdt(tm, 0x108, 0);
			cpu->gdtr.limit = 0x10f;
			assert_int_equal(EXEC(tm, 0x0f, 0x03, 0xc1), X_OK);
			assert_true(zf(tm));
			cpu->gdtr.limit = 0x10e;
			assert_int_equal(EXEC(tm, 0x0f, 0x03, 0xc1), X_OK);
			assert_false(zf(tm));
		}
		tm_free(tm);
	}
}

/* SDM Vol. 2 "LAR"/"LSL": every code and data segment is valid; ZF = 0
 * for a null selector, a selector beyond the table limit (no fault), or
 * "(CPL > DPL) or (RPL > DPL)" unless the segment is conforming code.
 * LAR with a 16-bit operand keeps FF00H; LSL returns the scaled limit. */
static void lar_lsl_segments(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->gpr[R_RCX] = S_BIG;
	assert_int_equal(EXEC(tm, 0x0f, 0x03, 0xc1), X_OK);
	assert_true(zf(tm));
	assert_int_equal(cpu->gpr[R_RAX], 0xffffffffu);
	cpu->gpr[R_RAX] = 0x12340000;
	assert_int_equal(EXEC(tm, 0x66, 0x0f, 0x03, 0xc1), X_OK); /* lsl ax, cx */
	assert_int_equal(cpu->gpr[R_RAX], 0x1234ffffu);
	assert_int_equal(EXEC(tm, 0x0f, 0x02, 0xc1), X_OK);
	assert_int_equal(cpu->gpr[R_RAX], 0x00c09200u);           /* G D P S W */
	cpu->gpr[R_RAX] = 0x12340000;
	assert_int_equal(EXEC(tm, 0x66, 0x0f, 0x02, 0xc1), X_OK); /* lar ax, cx */
	assert_int_equal(cpu->gpr[R_RAX], 0x12349200u);
	/* Null, beyond the limit: ZF = 0 without a fault. */
	cpu->gpr[R_RCX] = 0;
	assert_int_equal(EXEC(tm, 0x0f, 0x02, 0xc1), X_OK);
	assert_false(zf(tm));
	cpu->gpr[R_RCX] = 0x400;
	assert_int_equal(EXEC(tm, 0x0f, 0x03, 0xc1), X_OK);
	assert_false(zf(tm));
	/* RPL 3 > DPL 0. */
	cpu->gpr[R_RCX] = S_DATA | 3;
	assert_int_equal(EXEC(tm, 0x0f, 0x02, 0xc1), X_OK);
	assert_false(zf(tm));
	/* CPL 3: DPL 0 data invisible, DPL 0 conforming code visible. */
	to_user(tm);
	cpu->gpr[R_RCX] = S_DATA | 3;
	assert_int_equal(EXEC(tm, 0x0f, 0x03, 0xc1), X_OK);
	assert_false(zf(tm));
	cpu->gpr[R_RCX] = S_CONF | 3;
	assert_int_equal(EXEC(tm, 0x0f, 0x03, 0xc1), X_OK);
	assert_true(zf(tm));
	assert_int_equal(cpu->gpr[R_RAX], 0xffff);
	/* An LDT selector with the LDT in use. */
	cpu->seg[SEG_LDTR] = (struct seg){ S_LDT, LDT_BASE, 0x17, SEG_P | SYS_LDT };
	cpu->gpr[R_RCX] = 0x14 | 3;
	assert_int_equal(EXEC(tm, 0x0f, 0x03, 0xc1), X_OK);
	assert_true(zf(tm));
	tm_free(tm);
}

/* SDM Vol. 2 "VERR/VERW": ZF = 1 when the segment is accessible (as for
 * LAR: conforming code exempt from the DPL test) and readable (VERR:
 * data or readable code) or writable (VERW: writable data only); system
 * descriptors give ZF = 0. */
static void verr_verw(void **state)
{
	static const struct { uint16_t sel; bool r, w, r3, w3; } v[] = {
		{ S_DATA, 1, 1, 0, 0 },  { S_RODATA, 1, 0, 0, 0 }, { S_UDATA3 | 3, 1, 1, 1, 1 },
		{ S_XCODE, 0, 0, 0, 0 }, { S_RCODE, 1, 0, 0, 0 },  { S_CONF | 3, 1, 0, 1, 0 },
		{ S_TSS, 0, 0, 0, 0 },   { S_LDT, 0, 0, 0, 0 },    { S_NPDATA, 1, 1, 0, 0 },
		{ 0, 0, 0, 0, 0 },       { 0x400, 0, 0, 0, 0 },
	};
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	for (int user = 0; user < 2; user++) {
		if (user)
			to_user(tm);
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			cpu->gpr[R_RCX] = v[i].sel;
			assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xe1), X_OK); /* verr cx */
			assert_int_equal(zf(tm), user ? v[i].r3 : v[i].r);
			assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xe9), X_OK); /* verw cx */
			assert_int_equal(zf(tm), user ? v[i].w3 : v[i].w);
		}
	}
	tm_free(tm);
}

/* SDM Vol. 2 "LGDT/LIDT": "IF OperandSize = 16 THEN GDTR(Base) :=
 * SRC[24:47] (24 bits)"; 32-bit takes 32 bits; 64-bit mode 64 bits.
 * "SGDT/SIDT": limit then the full 32-bit base (legacy) or 64-bit base. */
static void lgdt_sgdt(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	tm_write(tm, TM_DATA, 2, 0x1234);
	tm_write(tm, TM_DATA + 2, 4, 0xaabbccdd);
	tm_write(tm, TM_DATA + 6, 4, 0x11223344);
	cpu->gpr[R_RBX] = TM_DATA;
	assert_int_equal(EXEC(tm, 0x0f, 0x01, 0x1b), X_OK); /* lidt [ebx] */
	assert_int_equal(cpu->idtr.base, 0xaabbccdd);
	assert_int_equal(cpu->idtr.limit, 0x1234);
	assert_int_equal(EXEC(tm, 0x66, 0x0f, 0x01, 0x1b), X_OK); /* o16 lidt */
	assert_int_equal(cpu->idtr.base, 0xbbccdd);
	cpu->gpr[R_RBX] = TM_DATA + 0x100;
	tm_write(tm, TM_DATA + 0x106, 2, 0x7777);
	assert_int_equal(EXEC(tm, 0x0f, 0x01, 0x03), X_OK); /* sgdt [ebx] */
	assert_int_equal(tm_read(tm, TM_DATA + 0x100, 2), 0x1ff);
	assert_int_equal(tm_read(tm, TM_DATA + 0x102, 4), GDT);
	assert_int_equal(tm_read(tm, TM_DATA + 0x106, 2), 0x7777);
	/* "IF OperandSize = 16 or OperandSize = 32 ... DEST[16:47] :=
	 * IDTR(Base) (* Full 32-bit base address stored *)". */
	cpu->idtr.base = 0xaabbccdd;
	assert_int_equal(EXEC(tm, 0x66, 0x0f, 0x01, 0x0b), X_OK); /* o16 sidt */
	assert_int_equal(tm_read(tm, TM_DATA + 0x100, 2), 0x1234);
	assert_int_equal(tm_read(tm, TM_DATA + 0x102, 4), 0xaabbccdd);
	tm_free(tm);

	tm = setup(TM_LONG64);
	cpu = tm->cpu;
	tm_write(tm, TM_DATA, 2, 0x0fff);
	tm_write(tm, TM_DATA + 2, 8, 0xffff800000001000ull);
	cpu->gpr[R_RBX] = TM_DATA;
	assert_int_equal(EXEC(tm, 0x0f, 0x01, 0x1b), X_OK); /* lidt [rbx] */
	assert_int_equal(cpu->idtr.base, 0xffff800000001000ull);
	assert_int_equal(cpu->idtr.limit, 0x0fff);
	cpu->gpr[R_RBX] = TM_DATA + 0x100;
	assert_int_equal(EXEC(tm, 0x0f, 0x01, 0x0b), X_OK); /* sidt [rbx] */
	assert_int_equal(tm_read(tm, TM_DATA + 0x100, 2), 0x0fff);
	assert_int_equal(tm_read(tm, TM_DATA + 0x102, 8), 0xffff800000001000ull);
	tm_free(tm);
}

/* SDM Vol. 3A §2.5: with CR4.UMIP = 1, SGDT/SIDT/SLDT/STR at CPL > 0 are
 * #GP(0); at CPL 0 they work. */
static void umip(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	cpu->cr4 |= CR4_UMIP;
	cpu->gpr[R_RBX] = TM_DATA;
	assert_int_equal(EXEC(tm, 0x0f, 0x01, 0x03), X_OK);
	to_user(tm);
	st = EXEC(tm, 0x0f, 0x01, 0x03);
	assert_fault(tm, st, EXC_GP, 0);
	st = EXEC(tm, 0x0f, 0x00, 0xc8);                /* str eax */
	assert_fault(tm, st, EXC_GP, 0);
	cpu->cr4 &= ~CR4_UMIP;
	assert_int_equal(EXEC(tm, 0x0f, 0x00, 0xc8), X_OK);
	tm_free(tm);
}

/* SDM Vol. 2 "LDS/LES/LFS/LGS/LSS": DEST := offset, Sreg := selector
 * with the MOV Sreg checks; a faulting load leaves DEST unchanged. */
static void lxs(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	int st;

	(void)state;
	tm_write(tm, TM_DATA, 4, 0x00123456);
	tm_write(tm, TM_DATA + 4, 2, S_DATA);
	cpu->gpr[R_RBX] = TM_DATA;
	assert_int_equal(EXEC(tm, 0x0f, 0xb2, 0x23), X_OK); /* lss esp, [ebx] */
	assert_int_equal(cpu->gpr[R_RSP], 0x00123456);
	assert_int_equal(cpu->seg[SEG_SS].sel, S_DATA);
	assert_int_equal(cpu->seg[SEG_SS].base, 0x200000);
	/* 16-bit operand: offset word, selector word. */
	tm_write(tm, TM_DATA + 8, 2, 0xbeef);
	tm_write(tm, TM_DATA + 10, 2, S_RODATA);
	cpu->gpr[R_RBX] = TM_DATA + 8;
	cpu->gpr[R_RAX] = 0x11110000;
	assert_int_equal(EXEC(tm, 0x66, 0x0f, 0xb4, 0x03), X_OK); /* lfs ax, [ebx] */
	assert_int_equal(cpu->gpr[R_RAX], 0x1111beef);
	assert_int_equal(cpu->seg[SEG_FS].sel, S_RODATA);
	/* LSS with a read-only segment: #GP(selector), ESP unchanged. */
	tm_write(tm, TM_DATA + 14, 2, S_RODATA);
	cpu->gpr[R_RBX] = TM_DATA + 10;
	st = EXEC(tm, 0x0f, 0xb2, 0x23);
	assert_fault(tm, st, EXC_GP, S_RODATA);
	assert_int_equal(cpu->gpr[R_RSP], 0x00123456);
	tm_free(tm);
}

/* SDM Vol. 2 "ARPL": "IF DEST[RPL] < SRC[RPL] THEN ZF := 1; DEST[RPL] :=
 * SRC[RPL]; ELSE ZF := 0". */
static void arpl(void **state)
{
	struct tm *tm = setup(TM_PROT32);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->gpr[R_RAX] = 0xabcd0010;
	cpu->gpr[R_RCX] = 0x0002;
	assert_int_equal(EXEC(tm, 0x63, 0xc8), X_OK);  /* arpl ax, cx */
	assert_int_equal(cpu->gpr[R_RAX], 0xabcd0012);
	assert_true(zf(tm));
	cpu->gpr[R_RCX] = 0x0001;
	assert_int_equal(EXEC(tm, 0x63, 0xc8), X_OK);
	assert_int_equal(cpu->gpr[R_RAX], 0xabcd0012);
	assert_false(zf(tm));
	tm_free(tm);
}

/* SDM Vol. 3A §20.1.1 / §20.2: a real-mode load sets selector and base
 * (sel << 4) and leaves the limit ("unreal" mode); a virtual-8086 load
 * also makes the limit FFFFH and the attributes DPL-3 read/write data. */
static void real_and_vm86_loads(void **state)
{
	struct tm *tm = setup(TM_REAL);
	struct cpu *cpu = tm->cpu;

	(void)state;
	cpu->seg[SEG_DS].limit = 0xffffffff;
	assert_int_equal(seg_load(cpu, SEG_DS, 0x1234), X_OK);
	assert_int_equal(cpu->seg[SEG_DS].base, 0x12340);
	assert_int_equal(cpu->seg[SEG_DS].limit, 0xffffffffu);
	tm_free(tm);

	tm = setup(TM_PROT32);
	cpu = tm->cpu;
	flags_write(cpu, flags_read(cpu) | RFLAGS_VM);
	cpu_update_mode(cpu);
	assert_int_equal(cpu->mode, MODE_VM86);
	assert_int_equal(seg_load(cpu, SEG_ES, 0xb800), X_OK);
	assert_int_equal(cpu->seg[SEG_ES].base, 0xb8000);
	assert_int_equal(cpu->seg[SEG_ES].limit, 0xffff);
	assert_int_equal(cpu->seg[SEG_ES].attr,
	                 SEG_P | SEG_S | (3u << SEG_DPL_SHIFT) | SEG_TYPE_WR | SEG_TYPE_A);
	tm_free(tm);
}

/* SDM Vol. 3A §3.4.4: in 64-bit mode a MOV to FS loads the base from the
 * descriptor (32 bits); DS/ES/SS bases are ignored for addressing. */
static void fs_base_64(void **state)
{
	struct tm *tm = setup(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	(void)state;
	assert_int_equal(seg_load(cpu, SEG_FS, S_DATA), X_OK);
	assert_int_equal(cpu->seg[SEG_FS].base, 0x200000);
	tm_write(tm, 0x200010, 4, 0xfeedf00d);
	cpu->gpr[R_RBX] = 0x10;
	assert_int_equal(EXEC(tm, 0x64, 0x8b, 0x03), X_OK); /* mov eax, fs:[rbx] */
	assert_int_equal(cpu->gpr[R_RAX], 0xfeedf00d);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_ds_sets_accessed),
		cmocka_unit_test(load_beyond_limit),
		cmocka_unit_test(load_null_data),
		cmocka_unit_test(load_null_ss),
		cmocka_unit_test(load_ss_checks),
		cmocka_unit_test(load_data_types),
		cmocka_unit_test(load_data_privilege),
		cmocka_unit_test(ldt_selectors),
		cmocka_unit_test(lldt_faults),
		cmocka_unit_test(expand_down_limits),
		cmocka_unit_test(ltr_busy),
		cmocka_unit_test(ltr_64),
		cmocka_unit_test(lar_lsl_system_types),
		cmocka_unit_test(lar_lsl_segments),
		cmocka_unit_test(verr_verw),
		cmocka_unit_test(lgdt_sgdt),
		cmocka_unit_test(umip),
		cmocka_unit_test(lxs),
		cmocka_unit_test(arpl),
		cmocka_unit_test(real_and_vm86_loads),
		cmocka_unit_test(fs_base_64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
