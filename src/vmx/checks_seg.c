/* Checks on the guest segment registers, GUEST-24..64 of
 * shared/spec/vm-entry-checks.md §4.2 (SDM Vol. 3C §26.3.1.2).  A failure
 * is a VM-entry failure, exit reason 33, qualification 0.
 *
 * Access rights use the VMCS layout (vmcs-fields.md §4.1):
 *
 *   31      17 16  15 14  13  12  11   8  7   6 5  4  3    0
 *  +----------+--+---+---+---+---+------+---+-----+---+------+
 *  | reserved |U | G |D/B| L |AVL| rsvd | P | DPL | S | TYPE |
 *  +----------+--+---+---+---+---+------+---+-----+---+------+
 *
 * U = unusable.  "Usable" registers are checked; CS always is. */
#include "checks_int.h"

_Static_assert(VMCS_IDX_GUEST_TR_SELECTOR == VMCS_IDX_GUEST_ES_SELECTOR + SEG_TR &&
               VMCS_IDX_GUEST_TR_BASE == VMCS_IDX_GUEST_ES_BASE + SEG_TR &&
               VMCS_IDX_GUEST_TR_LIMIT == VMCS_IDX_GUEST_ES_LIMIT + SEG_TR &&
               VMCS_IDX_GUEST_TR_AR_BYTES == VMCS_IDX_GUEST_ES_AR_BYTES + SEG_TR,
               "guest segment fields are in SEG_* order in vmcs_fields.def");

#define AR_TYPE(ar)  ((unsigned)(ar) & 0xfu)
#define AR_S(ar)     (((ar) >> 4) & 1u)
#define AR_DPL(ar)   ((unsigned)((ar) >> 5) & 3u)
#define AR_P(ar)     (((ar) >> 7) & 1u)
#define AR_L(ar)     (((ar) >> 13) & 1u)
#define AR_DB(ar)    (((ar) >> 14) & 1u)
#define AR_G(ar)     (((ar) >> 15) & 1u)
#define AR_UNUSABLE  SEG_UNUSABLE
#define AR_RSVD_11_8 0xf00u
#define AR_RSVD_HIGH 0xfffe0000u

struct gseg {
	uint64_t sel, base, limit, ar;
};

static const char *const seg_name[SEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
/* The registers that "CS always, others if usable" checks cover, in the
 * spec's order, and the four data-segment registers. */
static const unsigned cs_and_data[] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
static const unsigned data4[] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS };

static bool usable(const struct gseg *s)
{
	return !(s->ar & AR_UNUSABLE);
}

/* CS is checked as if usable whatever its unusable bit says. */
static bool checked(const struct gseg *s, unsigned k)
{
	return k == SEG_CS || usable(&s[k]);
}

/* Limit and G agree: limit bits 11:0 not all 1 => G = 0; limit bits
 * 31:20 not all 0 => G = 1. */
static bool limit_g_ok(uint64_t limit, uint64_t ar)
{
	if ((limit & 0xfff) != 0xfff && AR_G(ar))
		return false;
	if ((limit >> 20) && !AR_G(ar))
		return false;
	return true;
}

static bool seg_fail(struct vmx_diag *d, enum vmentry_check c, const struct gseg *s, unsigned k)
{
	return vc_fail(d, c, "guest %s selector=0x%04" PRIx64 ", base=0x%" PRIx64 ", limit=0x%"
	               PRIx64 ", AR=0x%" PRIx64, seg_name[k], s[k].sel, s[k].base, s[k].limit,
	               s[k].ar);
}

/* GUEST-24..26: selectors. */
static bool seg_selectors(const struct gseg *s, bool v86, bool ug, struct vmx_diag *d)
{
	/* GUEST-24 */
	if (s[SEG_TR].sel & 4)
		return seg_fail(d, VC_GUEST_24, s, SEG_TR);
	/* GUEST-25 */
	if (usable(&s[SEG_LDTR]) && (s[SEG_LDTR].sel & 4))
		return seg_fail(d, VC_GUEST_25, s, SEG_LDTR);
	/* GUEST-26 */
	if (!v86 && !ug && (s[SEG_SS].sel & 3) != (s[SEG_CS].sel & 3))
		return vc_fail(d, VC_GUEST_26, "SS selector=0x%04" PRIx64 ", CS selector=0x%04" PRIx64,
		               s[SEG_SS].sel, s[SEG_CS].sel);
	return true;
}

/* GUEST-27..33: base addresses. */
static bool seg_bases(const struct gseg *s, bool cpu64, bool v86, struct vmx_diag *d)
{
	static const unsigned ssdses[] = { SEG_SS, SEG_DS, SEG_ES };

	/* GUEST-27 */
	for (unsigned k = 0; v86 && k < SEG_LDTR; k++)
		if (s[k].base != s[k].sel << 4)
			return seg_fail(d, VC_GUEST_27, s, k);
	if (!cpu64)
		return true;
	/* GUEST-28 */
	if (!cpu_is_canonical(s[SEG_TR].base))
		return seg_fail(d, VC_GUEST_28, s, SEG_TR);
	/* GUEST-29 */
	if (!v86 && !cpu_is_canonical(s[SEG_FS].base))
		return seg_fail(d, VC_GUEST_29, s, SEG_FS);
	/* GUEST-30 */
	if (!v86 && !cpu_is_canonical(s[SEG_GS].base))
		return seg_fail(d, VC_GUEST_30, s, SEG_GS);
	/* GUEST-31 */
	if (usable(&s[SEG_LDTR]) && !cpu_is_canonical(s[SEG_LDTR].base))
		return seg_fail(d, VC_GUEST_31, s, SEG_LDTR);
	if (v86)
		return true;
	/* GUEST-32 */
	if (s[SEG_CS].base >> 32)
		return seg_fail(d, VC_GUEST_32, s, SEG_CS);
	/* GUEST-33 */
	for (unsigned i = 0; i < 3; i++) {
		unsigned k = ssdses[i];

		if (usable(&s[k]) && (s[k].base >> 32))
			return seg_fail(d, VC_GUEST_33, s, k);
	}
	return true;
}

/* GUEST-34, GUEST-35: virtual-8086 limits and access rights. */
static bool seg_v86(const struct gseg *s, struct vmx_diag *d)
{
	/* GUEST-34 */
	for (unsigned k = 0; k < SEG_LDTR; k++)
		if (s[k].limit != 0xffff)
			return seg_fail(d, VC_GUEST_34, s, k);
	/* GUEST-35 */
	for (unsigned k = 0; k < SEG_LDTR; k++)
		if (s[k].ar != 0xf3)
			return seg_fail(d, VC_GUEST_35, s, k);
	return true;
}

/* GUEST-36..40: types and the S bit. */
static bool seg_types(const struct gseg *s, bool ug, struct vmx_diag *d)
{
	unsigned cs_type = AR_TYPE(s[SEG_CS].ar), ss_type = AR_TYPE(s[SEG_SS].ar);
	bool cs_ok = cs_type == 9 || cs_type == 11 || cs_type == 13 || cs_type == 15 ||
	             (ug && cs_type == 3);

	/* GUEST-36 */
	if (!cs_ok)
		return seg_fail(d, VC_GUEST_36, s, SEG_CS);
	/* GUEST-37 */
	if (usable(&s[SEG_SS]) && ss_type != 3 && ss_type != 7)
		return seg_fail(d, VC_GUEST_37, s, SEG_SS);
	/* GUEST-38 */
	for (unsigned i = 0; i < 4; i++)
		if (usable(&s[data4[i]]) && !(AR_TYPE(s[data4[i]].ar) & SEG_TYPE_A))
			return seg_fail(d, VC_GUEST_38, s, data4[i]);
	/* GUEST-39 */
	for (unsigned i = 0; i < 4; i++) {
		unsigned t = AR_TYPE(s[data4[i]].ar);

		if (usable(&s[data4[i]]) && (t & SEG_TYPE_CODE) && !(t & SEG_TYPE_WR))
			return seg_fail(d, VC_GUEST_39, s, data4[i]);
	}
	/* GUEST-40 */
	for (unsigned i = 0; i < 6; i++)
		if (checked(s, cs_and_data[i]) && !AR_S(s[cs_and_data[i]].ar))
			return seg_fail(d, VC_GUEST_40, s, cs_and_data[i]);
	return true;
}

/* GUEST-41..46: privilege levels. */
static bool seg_dpl(const struct gseg *s, bool ug, uint64_t cr0, struct vmx_diag *d)
{
	unsigned cs_type = AR_TYPE(s[SEG_CS].ar);
	unsigned cs_dpl = AR_DPL(s[SEG_CS].ar), ss_dpl = AR_DPL(s[SEG_SS].ar);

	/* GUEST-41 */
	if (cs_type == 3 && cs_dpl != 0)
		return seg_fail(d, VC_GUEST_41, s, SEG_CS);
	/* GUEST-42 */
	if ((cs_type == 9 || cs_type == 11) && cs_dpl != ss_dpl)
		return vc_fail(d, VC_GUEST_42, "CS AR=0x%" PRIx64 ", SS AR=0x%" PRIx64, s[SEG_CS].ar,
		               s[SEG_SS].ar);
	/* GUEST-43 */
	if ((cs_type == 13 || cs_type == 15) && cs_dpl > ss_dpl)
		return vc_fail(d, VC_GUEST_43, "CS AR=0x%" PRIx64 ", SS AR=0x%" PRIx64, s[SEG_CS].ar,
		               s[SEG_SS].ar);
	/* GUEST-44 */
	if (!ug && ss_dpl != (s[SEG_SS].sel & 3))
		return seg_fail(d, VC_GUEST_44, s, SEG_SS);
	/* GUEST-45 */
	if ((cs_type == 3 || !(cr0 & CR0_PE)) && ss_dpl != 0)
		return vc_fail(d, VC_GUEST_45, "CS AR=0x%" PRIx64 ", SS AR=0x%" PRIx64
		               ", guest CR0=0x%" PRIx64, s[SEG_CS].ar, s[SEG_SS].ar, cr0);
	/* GUEST-46 */
	for (unsigned i = 0; !ug && i < 4; i++) {
		const struct gseg *g = &s[data4[i]];

		if (usable(g) && AR_TYPE(g->ar) <= 11 && AR_DPL(g->ar) < (g->sel & 3))
			return seg_fail(d, VC_GUEST_46, s, data4[i]);
	}
	return true;
}

/* GUEST-47..51: present, reserved bits, D/B, limit and granularity. */
static bool seg_attrs(const struct gseg *s, bool ia32e, struct vmx_diag *d)
{
	/* GUEST-47 */
	for (unsigned i = 0; i < 6; i++)
		if (checked(s, cs_and_data[i]) && !AR_P(s[cs_and_data[i]].ar))
			return seg_fail(d, VC_GUEST_47, s, cs_and_data[i]);
	/* GUEST-48 */
	for (unsigned i = 0; i < 6; i++)
		if (checked(s, cs_and_data[i]) && (s[cs_and_data[i]].ar & AR_RSVD_11_8))
			return seg_fail(d, VC_GUEST_48, s, cs_and_data[i]);
	/* GUEST-49 */
	if (ia32e && AR_L(s[SEG_CS].ar) && AR_DB(s[SEG_CS].ar))
		return seg_fail(d, VC_GUEST_49, s, SEG_CS);
	/* GUEST-50 */
	for (unsigned i = 0; i < 6; i++) {
		const struct gseg *g = &s[cs_and_data[i]];

		if (checked(s, cs_and_data[i]) && !limit_g_ok(g->limit, g->ar))
			return seg_fail(d, VC_GUEST_50, s, cs_and_data[i]);
	}
	/* GUEST-51 */
	for (unsigned i = 0; i < 6; i++)
		if (checked(s, cs_and_data[i]) && (s[cs_and_data[i]].ar & AR_RSVD_HIGH))
			return seg_fail(d, VC_GUEST_51, s, cs_and_data[i]);
	return true;
}

/* GUEST-52..58: TR, always checked. */
static bool seg_tr(const struct gseg *s, bool ia32e, struct vmx_diag *d)
{
	uint64_t ar = s[SEG_TR].ar;
	unsigned t = AR_TYPE(ar);

	/* GUEST-52 */
	if (!(t == SYS_TSS_BUSY || (!ia32e && t == SYS_TSS16_BUSY)))
		return vc_fail(d, VC_GUEST_52, "TR AR=0x%" PRIx64 ", IA-32e mode guest=%d", ar, ia32e);
	/* GUEST-53 */
	if (AR_S(ar))
		return seg_fail(d, VC_GUEST_53, s, SEG_TR);
	/* GUEST-54 */
	if (!AR_P(ar))
		return seg_fail(d, VC_GUEST_54, s, SEG_TR);
	/* GUEST-55 */
	if (ar & AR_RSVD_11_8)
		return seg_fail(d, VC_GUEST_55, s, SEG_TR);
	/* GUEST-56 */
	if (!limit_g_ok(s[SEG_TR].limit, ar))
		return seg_fail(d, VC_GUEST_56, s, SEG_TR);
	/* GUEST-57 */
	if (ar & AR_UNUSABLE)
		return seg_fail(d, VC_GUEST_57, s, SEG_TR);
	/* GUEST-58 */
	if (ar & AR_RSVD_HIGH)
		return seg_fail(d, VC_GUEST_58, s, SEG_TR);
	return true;
}

/* GUEST-59..64: LDTR, if usable. */
static bool seg_ldtr(const struct gseg *s, struct vmx_diag *d)
{
	uint64_t ar = s[SEG_LDTR].ar;

	if (!usable(&s[SEG_LDTR]))
		return true;
	/* GUEST-59 */
	if (AR_TYPE(ar) != SYS_LDT)
		return seg_fail(d, VC_GUEST_59, s, SEG_LDTR);
	/* GUEST-60 */
	if (AR_S(ar))
		return seg_fail(d, VC_GUEST_60, s, SEG_LDTR);
	/* GUEST-61 */
	if (!AR_P(ar))
		return seg_fail(d, VC_GUEST_61, s, SEG_LDTR);
	/* GUEST-62 */
	if (ar & AR_RSVD_11_8)
		return seg_fail(d, VC_GUEST_62, s, SEG_LDTR);
	/* GUEST-63 */
	if (!limit_g_ok(s[SEG_LDTR].limit, ar))
		return seg_fail(d, VC_GUEST_63, s, SEG_LDTR);
	/* GUEST-64 */
	if (ar & AR_RSVD_HIGH)
		return seg_fail(d, VC_GUEST_64, s, SEG_LDTR);
	return true;
}

/* GUEST-24..64 in the spec's order.  Virtual-8086 mode replaces
 * GUEST-36..51 by GUEST-27/34/35. */
bool vc_guest_segments(const struct cpu *cpu, const struct vc_guest *g, struct vmx_diag *d)
{
	const struct vmx *v = cpu->vmx;
	struct gseg s[SEG_COUNT];

	for (unsigned k = 0; k < SEG_COUNT; k++) {
		s[k].sel = v->vmcs.val[VMCS_IDX_GUEST_ES_SELECTOR + k];
		s[k].base = v->vmcs.val[VMCS_IDX_GUEST_ES_BASE + k];
		s[k].limit = v->vmcs.val[VMCS_IDX_GUEST_ES_LIMIT + k];
		s[k].ar = v->vmcs.val[VMCS_IDX_GUEST_ES_AR_BYTES + k];
	}
	if (!seg_selectors(s, g->v86, g->ug, d) || !seg_bases(s, g->cpu64, g->v86, d))
		return false;
	if (g->v86) {
		if (!seg_v86(s, d))
			return false;
	} else if (!seg_types(s, g->ug, d) || !seg_dpl(s, g->ug, g->cr0, d) ||
	           !seg_attrs(s, g->ia32e, d)) {
		return false;
	}
	return seg_tr(s, g->ia32e, d) && seg_ldtr(s, d);
}
