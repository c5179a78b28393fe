/* Guest side of the instruction vectors: runs one family of vec.h and
 * compares with what the host CPU computed (vec_expected.h). */
#ifndef VEC_CHECK_H
#define VEC_CHECK_H

#include "guest.h"
#include "vec.h"
#include "vec_expected.h"

static bool vec_feature(enum vfeat f)
{
	switch (f) {
	case FEAT_NONE:
		return true;
	case FEAT_POPCNT:
		return cpu_has(1, 'c', CPUID_1_ECX_POPCNT);
	case FEAT_LZCNT:
		return cpu_has(0x80000001, 'c', CPUID_81_ECX_ABM);
	case FEAT_BMI1:
		return cpu_has(7, 'b', CPUID_7_EBX_BMI1);
	case FEAT_BMI2:
		return cpu_has(7, 'b', CPUID_7_EBX_BMI2);
	case FEAT_MOVBE:
		return cpu_has(1, 'c', CPUID_1_ECX_MOVBE);
	}
	return false;
}

static int vec_groups(enum vfam fam)
{
	int n = 0;
	for (unsigned k = 0; k < VEC_NOPS; k++)
		for (int s = 0; s < 4; s++)
			n += vec_ops[k].fam == fam && vec_ops[k].fn[s];
	return n;
}

/* One TAP line per (instruction, operand size). */
static void vec_check(enum vfam fam)
{
	unsigned idx = 0;

	for (unsigned k = 0; k < VEC_NOPS; k++) {
		const struct vop *op = &vec_ops[k];
		for (int s = 0; s < 4; s++) {
			if (!op->fn[s])
				continue;
			bool mine = op->fam == fam, have = vec_feature(op->feat);
			unsigned bad = 0, cases = 0;
			for (unsigned i = 0; i < vec_ninputs(op); i++) {
				struct vin in;
				struct vout o;
				if (!vec_input(op, s, i, &in))
					continue;
				const struct vout *e = &vec_expected[idx++];
				if (!mine || !have)
					continue;
				vec_run(op, s, i, &o);
				cases++;
				if (o.r1 == e->r1 && o.r2 == e->r2 && o.flags == e->flags)
					continue;
				if (bad++ < 3)
					tap_diag("%s/%d a=0x%lx b=0x%lx c=0x%lx fl=0x%lx: got r=0x%lx r2=0x%lx fl=0x%lx"
						 " expected r=0x%lx r2=0x%lx fl=0x%lx",
						 op->name, 8 << s, in.a, in.b, in.c, in.flags,
						 o.r1, o.r2, o.flags, e->r1, e->r2, e->flags);
			}
			if (!mine)
				continue;
			if (!have) {
				tap_skip("CPUID does not report it", "%s %d-bit", op->name, 8 << s);
				continue;
			}
			if (bad)
				tap_diag("%s %d-bit: %u of %u cases differ", op->name, 8 << s, bad, cases);
			tap_ok(!bad, "%s %d-bit (%u cases)", op->name, 8 << s, cases);
		}
	}
	if (idx != VEC_NEXPECTED)
		tap_bail("vector table out of step: %u of %u", idx, (unsigned)VEC_NEXPECTED);
}

#endif
