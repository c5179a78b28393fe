/* DAA DAS AAA AAS AAM AAD in compatibility mode against the host CPU (run
 * in its 32-bit code segment by vecgen), then INTO (#OF) and BOUND (#BR),
 * which exist only outside 64-bit mode, and AAM 0 (#DE). */
#include "guest.h"
#include "bcd.h"
#include "bcd_expected.h"

static struct bcd_io io[BCD_NCASES];

/* 32-bit helpers; each returns 0 if no exception arrived.  The labels
 * mark the instructions whose address the exception frame must hold. */
asm(".text\n.code32\n"
    "into_of1:\n"                     /* OF=1: INTO traps, EIP after it */
    "mov $0x7f, %al\nadd $1, %al\n"
    "into\n.globl into_of1_at\ninto_of1_at:\n"
    "xor %eax, %eax\nret\n"
    "into_of0:\n"                     /* OF=0: INTO does nothing */
    "xor %eax, %eax\n"
    "into\nret\n"
    "bound_out:\n"                    /* index above the upper bound: #BR fault */
    "mov $11, %eax\n"
    ".globl bound_out_at\nbound_out_at: bound %eax, bound_pair\n"
    "xor %eax, %eax\nret\n"
    "bound_in:\n"
    "mov $10, %eax\nbound %eax, bound_pair\n"
    "mov $-5, %eax\nbound %eax, bound_pair\n"
    "xor %eax, %eax\nret\n"
    "aam0:\n"
    "mov $0x1234, %eax\n.globl aam0_at\naam0_at: aam $0\nret\n"
    ".code64\n");
extern const char into_of1[], into_of0[], bound_out[], bound_in[], aam0[];
extern const char into_of1_at[], bound_out_at[], aam0_at[];
int32_t bound_pair[2] = { -5, 10 };

static uint32_t c32_fn;
static void c32(void *p)
{
	(void)p;
	compat_call(c32_fn, 0, 0);
}

static void run32(const char *fn, struct trap_info *t)
{
	c32_fn = (uint32_t)(uintptr_t)fn;
	trap_try(c32, 0, t);
}

int main(void)
{
	struct trap_info t;
	tap_plan((int)BCD_NOPS + 7);

	for (unsigned k = 0; k < BCD_NOPS; k++) {
		for (unsigned i = 0; i < BCD_NCASES; i++)
			bcd_input(i, &io[i]);
		compat_call((uint32_t)(uintptr_t)bcd_ops[k].fn, (uint32_t)(uintptr_t)io, BCD_NCASES);
		unsigned bad = 0;
		for (unsigned i = 0; i < BCD_NCASES; i++) {
			const struct bcd_io *e = &bcd_expected[k][i];
			uint32_t fl = io[i].eflags & 0x8d5 & ~bcd_ops[k].undef;
			if (io[i].eax == e->eax && fl == e->eflags)
				continue;
			if (bad++ < 3) {
				struct bcd_io in;
				bcd_input(i, &in);
				tap_diag("%s eax=0x%x fl=0x%x: got eax 0x%x fl 0x%x, expected 0x%x 0x%x",
					 bcd_ops[k].name, in.eax, in.eflags, io[i].eax, fl, e->eax,
					 e->eflags);
			}
		}
		tap_ok(!bad, "%s: %u cases (%u differ)", bcd_ops[k].name, BCD_NCASES, bad);
	}

	/* SDM Vol. 2A INTO: #OF is a trap; the saved EIP follows INTO. */
	run32(into_of1, &t);
	tap_ok(t.vector == EXC_OF, "into with OF=1 -> #OF (got %d)", t.vector);
	tap_check_u64(t.rip, (uintptr_t)into_of1_at, "#OF: pushed EIP follows INTO");
	tap_check_u64(t.cs, SEL_KCODE32, "#OF: pushed CS is the 32-bit code segment");
	run32(into_of0, &t);
	tap_check_u64(t.vector, (uint64_t)-1, "into with OF=0 does nothing");
	/* SDM Vol. 2A BOUND: #BR is a fault; EIP points at BOUND. */
	run32(bound_out, &t);
	tap_ok(t.vector == EXC_BR && t.rip == (uintptr_t)bound_out_at,
	       "bound out of range -> #BR at the BOUND (got %d at 0x%lx)", t.vector, t.rip);
	run32(bound_in, &t);
	tap_check_u64(t.vector, (uint64_t)-1, "bound at both limits does not fault");
	/* SDM Vol. 2A AAM: #DE "If an immediate value of 0 is used". */
	run32(aam0, &t);
	tap_ok(t.vector == EXC_DE && t.rip == (uintptr_t)aam0_at && (uint16_t)t.rax == 0x1234,
	       "aam 0 -> #DE at the AAM, AX unchanged (got %d at 0x%lx ax 0x%lx)", t.vector,
	       t.rip, t.rax & 0xffff);
	return tap_done();
}
