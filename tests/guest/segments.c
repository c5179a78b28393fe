/* Segment checks in legacy 32-bit protected mode (paging off): limits
 * (byte and page granular), expand-down segments, read-only data,
 * execute-only and readable code loaded into DS, not-present and null
 * selectors, and segment bases.  SDM Vol. 3A §6.3 (limit checking), §6.4
 * (type checking), §6.4.1 (null selectors), Vol. 2B MOV (segment loads). */
#include "guest.h"

static struct pm32_op ops[32];
static struct pm32_cfg cfg;
static int nops;
static uint8_t frame[4096] __attribute__((aligned(4096)));

#define SEL(i) (SEL_SPARE + 8 * (i))
#define PA(p) ((uint32_t)(uintptr_t)(p))

/* flags: G (8), D/B (4) in the nibble above the limit's high bits. */
static uint64_t desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
	       (uint64_t)(base >> 24) << 56;
}

static int op(uint32_t kind, uint16_t sel, uint32_t addr, uint32_t value)
{
	ops[nops] = (struct pm32_op){ .kind = kind, .sel = sel, .addr = addr, .value = value };
	ops[nops + 1].kind = PM32_END;
	return nops++;
}

static void expect(int i, int vector, uint32_t error, const char *name)
{
	tap_ok(ops[i].vector == vector && (vector < 0 || ops[i].error == error),
	       "%s (got vector %d error 0x%x, expected %d 0x%x)", name, ops[i].vector,
	       ops[i].error, vector, error);
}

int main(void)
{
	tap_plan(20);

	gdt[SEL(0) / 8] = desc(0, 0xfff, 0x93, 0x4);          /* data, limit 4 KiB - 1 */
	gdt[SEL(1) / 8] = desc(0, 0, 0x93, 0xc);              /* G=1: limit 0xfff */
	gdt[SEL(2) / 8] = desc(0, 0xffff, 0x91, 0x4);         /* read-only data */
	gdt[SEL(3) / 8] = desc(0, 0xfff, 0x97, 0x4);          /* expand-down, B=1 */
	gdt[SEL(4) / 8] = desc(0, 0xfffff, 0x99, 0xc);        /* execute-only code */
	gdt[SEL(5) / 8] = desc(0, 0xfffff, 0x9b, 0xc);        /* readable code */
	gdt[SEL(6) / 8] = desc(0, 0xfffff, 0x13, 0xc);        /* data, not present */
	gdt[SEL(7) / 8] = desc(PA(frame), 0xfff, 0x93, 0x4);  /* based at frame */
	*(volatile uint32_t *)(frame + 0x10) = 0xc0ffee11;

	nops = 0;
	int a = op(PM32_READ, SEL(0), 0xffc, 0);
	int b = op(PM32_READ, SEL(0), 0xffd, 0);
	int c = op(PM32_READ, SEL(0), 0x1000, 0);
	int d = op(PM32_READ, SEL(1), 0xffc, 0);
	int e = op(PM32_WRITE, SEL(1), 0xffe, 0);
	int f = op(PM32_READ, SEL(2), 0x100, 0);
	int g = op(PM32_WRITE, SEL(2), 0x7100, 0);
	int h = op(PM32_READ, SEL(3), 0x1000, 0);
	int i = op(PM32_READ, SEL(3), 0xffe, 0);
	int j = op(PM32_READ, SEL(3), 0xfffffffc, 0);
	int k = op(PM32_READ, SEL(3), 0xfffffffd, 0);
	int l = op(PM32_LOAD_DS, SEL(4), 0, 0);
	int m = op(PM32_READ, SEL(5), PA(frame) + 0x10, 0);
	/* Writes back the same value, so a wrongly allowed write changes nothing. */
	int n = op(PM32_WRITE, SEL(5), PA(frame) + 0x10, 0xc0ffee11);
	int o = op(PM32_LOAD_DS, SEL(6), 0, 0);
	int p = op(PM32_LOAD_DS, 0x1000, 0, 0);
	int q = op(PM32_READ, SEL(7), 0x10, 0);
	int r = op(PM32_LOAD_DS, SEL_KDATA | 3, 0, 0);
	cfg = (struct pm32_cfg){ 0 };
	uint32_t rc = legacy_call((uint32_t)(uintptr_t)pm32_run_ops, PA(&cfg), PA(ops));

	tap_check_u64(rc, 0, "the ops ran to the end");
	expect(a, -1, 0, "dword read ending at the limit");
	expect(b, EXC_GP, 0, "dword read crossing the limit -> #GP(0)");
	expect(c, EXC_GP, 0, "read past the limit -> #GP(0)");
	expect(d, -1, 0, "G=1, limit 0: a read at 0xffc is inside");
	expect(e, EXC_GP, 0, "G=1, limit 0: a write crossing 0xfff -> #GP(0)");
	expect(f, -1, 0, "read-only data: read");
	expect(g, EXC_GP, 0, "read-only data: write -> #GP(0)");
	/* Expand-down with B=1: valid offsets are limit+1 .. 0xffffffff. */
	expect(h, -1, 0, "expand-down: read at limit + 1");
	expect(i, EXC_GP, 0, "expand-down: read at or below the limit -> #GP(0)");
	expect(j, -1, 0, "expand-down: dword read ending at 0xffffffff");
	expect(k, EXC_GP, 0, "expand-down: dword read past 0xffffffff -> #GP(0)");
	expect(l, EXC_GP, SEL(4), "mov ds, execute-only code -> #GP(sel)");
	expect(m, -1, 0, "readable code in DS: read");
	tap_check_u64(ops[m].result, 0xc0ffee11, "readable code in DS: the value read");
	expect(n, EXC_GP, 0, "readable code in DS: write -> #GP(0)");
	expect(o, EXC_NP, SEL(6), "mov ds, not-present segment -> #NP(sel)");
	expect(p, EXC_GP, 0x1000, "mov ds, selector beyond the GDT limit -> #GP(sel)");
	tap_ok(ops[q].vector == -1 && ops[q].result == 0xc0ffee11,
	       "segment base is added to the offset (read 0x%x)", ops[q].result);
	expect(r, EXC_GP, SEL_KDATA, "mov ds, RPL 3 > DPL 0 data -> #GP(sel)");
	return tap_done();
}
