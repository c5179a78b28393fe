/* The VMCS field table, the cache of the current VMCS, its layout in a VMCS
 * region, and the VMREAD/VMWRITE acceptance and width rules
 * (shared/spec/vmcs-fields.md, vmx-instructions.md §12.3; SDM Vol. 3C
 * §24.11.2 and Appendix B).
 *
 * Everything derives from the rows of vmcs_fields.def; the rows are in
 * ascending encoding order, so an encoding is found by binary search. */
#include "vmcs.h"

#include <stddef.h>

#include "../mem/bus.h"
#include "../cpu/cpu.h"
#include "profile.h"
#include "vmx.h"

/* "Exists when" (the column of vmcs-fields.md §3): the capability bit that
 * makes a field exist, as the kind of capability word and a bit in it. */
enum ex_kind {
	EXK_ALWAYS,
	EXK_NEVER,
	EXK_PIN,            /* allowed-1 of the pin-based controls */
	EXK_PROC,           /* allowed-1 of the primary processor-based controls */
	EXK_PROC2,          /* allowed-1 of the secondary controls */
	EXK_PROC3,          /* IA32_VMX_PROCBASED_CTLS3 (64-bit allowed-1 mask) */
	EXK_EXIT,           /* allowed-1 of the primary VM-exit controls */
	EXK_EXIT2,          /* IA32_VMX_EXIT_CTLS2 (64-bit allowed-1 mask) */
	EXK_ENTRY,          /* allowed-1 of the VM-entry controls */
	EXK_ENTRY_OR_EXIT,  /* entry bit a or exit bit b */
	EXK_VMFUNC,         /* IA32_VMX_VMFUNC (64-bit allowed-1 mask) */
};

struct exists_when {
	uint8_t kind;
	uint8_t a, b;
};

#define EX_ALWAYS               { EXK_ALWAYS, 0, 0 }
#define EX_NEVER                { EXK_NEVER, 0, 0 }
#define EX_PIN(x)               { EXK_PIN, (x), 0 }
#define EX_PROC(x)              { EXK_PROC, (x), 0 }
#define EX_PROC2(x)             { EXK_PROC2, (x), 0 }
#define EX_PROC3(x)             { EXK_PROC3, (x), 0 }
#define EX_EXIT(x)              { EXK_EXIT, (x), 0 }
#define EX_EXIT2(x)             { EXK_EXIT2, (x), 0 }
#define EX_ENTRY(x)             { EXK_ENTRY, (x), 0 }
#define EX_ENTRY_OR_EXIT(x, y)  { EXK_ENTRY_OR_EXIT, (x), (y) }
#define EX_VMFUNC(x)            { EXK_VMFUNC, (x), 0 }

struct vmcs_row {
	uint16_t enc;
	uint8_t width;      /* enum vmcs_width */
	struct exists_when ex;
	const char *name;
	const char *desc;
};

static const struct vmcs_row rows[VMCS_NFIELDS] = {
#define VMCS_FIELD(name, enc, w, ex, desc) { enc, w, ex, #name, desc },
#include "vmcs_fields.def"
#undef VMCS_FIELD
};

/* Launch state word at VMCS_OFF_LAUNCH.  A region VMCLEAR has never
 * initialised holds neither value: VMPTRLD then treats it as clear with
 * every field 0 (vmx-instructions.md §6, first row). */
#define VMCS_LAUNCH_MAGIC     0x53565458ull   /* "XTVS" */
#define VMCS_LAUNCH_CLEAR     (VMCS_LAUNCH_MAGIC << 32)
#define VMCS_LAUNCH_LAUNCHED  ((VMCS_LAUNCH_MAGIC << 32) | 1)

/* --- Rows ------------------------------------------------------------- */

static uint64_t width_mask(enum vmcs_width w)
{
	return w == W16 ? 0xffffull : w == W32 ? 0xffffffffull : ~0ull;
}

void vmcs_set_idx(struct vmx *v, enum vmcs_index i, uint64_t x)
{
	v->vmcs.val[i] = x & width_mask((enum vmcs_width)rows[i].width);
}

int vmcs_index_of(uint32_t enc)
{
	uint32_t key = enc & ~1u;
	size_t lo = 0, hi = VMCS_NFIELDS;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (rows[mid].enc == key)
			return (int)mid;
		if (rows[mid].enc < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

uint32_t vmcs_encoding(enum vmcs_index i)
{
	return rows[i].enc;
}

enum vmcs_width vmcs_width(enum vmcs_index i)
{
	return (enum vmcs_width)rows[i].width;
}

const char *vmcs_name(enum vmcs_index i)
{
	return rows[i].name;
}

const char *vmcs_description(enum vmcs_index i)
{
	return rows[i].desc;
}

/* --- Exists-when against the profile --------------------------------- */

/* A capability MSR's value, 0 when the profile does not have it (an
 * absent MSR grants nothing). */
static uint64_t cap(const struct vmx_profile *p, unsigned msr)
{
	return p->msr_present[msr - VMX_MSR_FIRST] ? vmx_cap(p, msr) : 0;
}

/* Allowed-1 bit of a 32-bit control (vmx-capabilities.md §2).  With
 * IA32_VMX_BASIC[55] = 1 the TRUE MSR is the one VM entry uses (§2.1); its
 * allowed-1 dword equals the plain MSR's in a consistent profile, so the
 * choice only matters for an inconsistent one. */
static bool allows1(const struct vmx_profile *p, unsigned msr, unsigned true_msr, unsigned bit)
{
	bool use_true = (cap(p, MSR_IA32_VMX_BASIC) >> 55) & 1;
	uint64_t m = cap(p, use_true && true_msr ? true_msr : msr);

	return (m >> 32 >> bit) & 1;
}

static bool pin1(const struct vmx_profile *p, unsigned bit)
{
	return allows1(p, MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED, bit);
}

static bool proc1(const struct vmx_profile *p, unsigned bit)
{
	return allows1(p, MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED, bit);
}

static bool exit1(const struct vmx_profile *p, unsigned bit)
{
	return allows1(p, MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT, bit);
}

static bool entry1(const struct vmx_profile *p, unsigned bit)
{
	return allows1(p, MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY, bit);
}

/* Secondary controls exist only if "activate secondary controls" (primary
 * bit 31) may be 1; tertiary controls need primary bit 17, secondary exit
 * controls exit bit 31, VM functions secondary bit 13. */
static bool proc2_1(const struct vmx_profile *p, unsigned bit)
{
	return proc1(p, 31) && allows1(p, MSR_IA32_VMX_PROCBASED_CTLS2, 0, bit);
}

bool vmcs_field_exists(const struct vmx_profile *p, enum vmcs_index i)
{
	const struct exists_when *e = &rows[i].ex;

	switch (e->kind) {
	case EXK_ALWAYS: return true;
	case EXK_PIN: return pin1(p, e->a);
	case EXK_PROC: return proc1(p, e->a);
	case EXK_PROC2: return proc2_1(p, e->a);
	case EXK_PROC3:
		return proc1(p, 17) && ((cap(p, MSR_IA32_VMX_PROCBASED_CTLS3) >> e->a) & 1);
	case EXK_EXIT: return exit1(p, e->a);
	case EXK_EXIT2:
		return exit1(p, 31) && ((cap(p, MSR_IA32_VMX_EXIT_CTLS2) >> e->a) & 1);
	case EXK_ENTRY: return entry1(p, e->a);
	case EXK_ENTRY_OR_EXIT: return entry1(p, e->a) || exit1(p, e->b);
	case EXK_VMFUNC:
		return proc2_1(p, 13) && ((cap(p, MSR_IA32_VMX_VMFUNC) >> e->a) & 1);
	default: return false;
	}
}

unsigned vmcs_highest_index(const struct vmx_profile *p)
{
	unsigned hi = 0;

	for (unsigned i = 0; i < VMCS_NFIELDS; i++)
		if (vmcs_field_exists(p, (enum vmcs_index)i) && VMCS_ENC_INDEX(rows[i].enc) > hi)
			hi = VMCS_ENC_INDEX(rows[i].enc);
	return hi;
}

/* --- VMREAD / VMWRITE ------------------------------------------------- */

/* shared/spec/vmcs-fields.md §2.1 (SDM Vol. 3C §30.3 VMREAD/VMWRITE,
 * §24.11.2): the encoding register names a supported field iff bits 63:32
 * are 0 (Bochs, KVM), no reserved bit (31:15, 12) is set, a high-access
 * encoding names a 64-bit field, and the profile implements the field. */
int vmcs_rw_index(const struct vmx_profile *p, uint64_t enc)
{
	int i;

	if (enc >> 32)
		return -1;
	if (enc & VMCS_ENC_RSVD_MASK)
		return -1;
	if (VMCS_ENC_HIGH(enc) && VMCS_ENC_WIDTH(enc) != W64)
		return -1;
	i = vmcs_index_of((uint32_t)enc);
	if (i < 0 || !vmcs_field_exists(p, (enum vmcs_index)i))
		return -1;
	return i;
}

/* §2.2: VM-exit information fields (type 1) are read-only unless
 * IA32_VMX_MISC[29] ("VMWRITE to any supported field") is 1. */
bool vmcs_rw_readonly(const struct vmx_profile *p, uint64_t enc)
{
	return VMCS_ENC_TYPE(enc) == VMCS_T_RO && !((cap(p, MSR_IA32_VMX_MISC) >> 29) & 1);
}

/* vmx-instructions.md §12.3, the VMREAD column: 16- and 32-bit fields are
 * zero-extended; a 64-bit or natural-width field gives its low 32 bits to
 * a 32-bit operand; the high access gives bits 63:32. */
uint64_t vmcs_read_value(uint64_t enc, uint64_t stored, bool op64)
{
	if (VMCS_ENC_HIGH(enc))
		return stored >> 32;
	return op64 ? stored : (uint32_t)stored;
}

/* Access-rights fields whose reserved bits VMWRITE may drop
 * (vmx-instructions.md §12.3). */
static bool is_ar_field(enum vmcs_index i)
{
	return rows[i].enc >= VMCS_GUEST_ES_AR_BYTES && rows[i].enc <= VMCS_GUEST_TR_AR_BYTES;
}

/* §12.3, the VMWRITE column: truncation to the field width; a 32-bit
 * operand written to a 64-bit or natural-width field clears bits 63:32;
 * the high access replaces bits 63:32 only.  Guest access-rights fields
 * keep the profile's ar_write_mask bits (0 in a profile means it keeps
 * every bit, as VirtualBox does). */
uint64_t vmcs_write_value(const struct vmx_profile *p, enum vmcs_index i, uint64_t enc,
                          uint64_t old, uint64_t src, bool op64)
{
	uint64_t v;

	if (VMCS_ENC_HIGH(enc))
		return (old & 0xffffffffull) | ((uint64_t)(uint32_t)src << 32);
	v = op64 ? src : (uint32_t)src;
	v &= width_mask((enum vmcs_width)rows[i].width);
	if (is_ar_field(i) && p->ar_write_mask)
		v &= p->ar_write_mask;
	return v;
}

/* --- Region layout ---------------------------------------------------- */

/*   VMCS region (SDM Vol. 3C §24.2; bytes 8.. are softvtx's own)
 *   +0   revision identifier (30:0) | shadow-VMCS indicator (31)
 *   +4   VMX-abort indicator
 *   +8   launch state: VMCS_LAUNCH_CLEAR or VMCS_LAUNCH_LAUNCHED
 *   +16  field data: one little-endian 8-byte slot per row, in row order
 */
static uint64_t field_off(enum vmcs_index i)
{
	return VMCS_OFF_FIELDS + 8ull * i;
}

void vmcs_load_region(struct vmx *v, uint64_t pa)
{
	struct bus *bus = v->cpu->bus;
	uint64_t launch = bus_read(bus, pa + VMCS_OFF_LAUNCH, 8);

	v->current_shadow = (bus_read(bus, pa + VMCS_OFF_REVISION, 4) >> 31) & 1;
	if (launch != VMCS_LAUNCH_CLEAR && launch != VMCS_LAUNCH_LAUNCHED) {
		v->current_launched = false;
		for (unsigned i = 0; i < VMCS_NFIELDS; i++)
			v->vmcs.val[i] = 0;
		return;
	}
	v->current_launched = launch == VMCS_LAUNCH_LAUNCHED;
	for (unsigned i = 0; i < VMCS_NFIELDS; i++)
		vmcs_set_idx(v, (enum vmcs_index)i, bus_read(bus, pa + field_off(i), 8));
}

void vmcs_store_region(struct vmx *v, uint64_t pa)
{
	struct bus *bus = v->cpu->bus;

	bus_write(bus, pa + VMCS_OFF_LAUNCH, 8,
	          v->current_launched ? VMCS_LAUNCH_LAUNCHED : VMCS_LAUNCH_CLEAR);
	for (unsigned i = 0; i < VMCS_NFIELDS; i++)
		bus_write(bus, pa + field_off(i), 8, v->vmcs.val[i]);
}

/* VMCLEAR of a region that is not current (vmx-instructions.md §9,
 * VMCLEAR.7): nothing of it is cached, so only the launch state changes;
 * a region never initialised gets every field 0. */
void vmcs_clear_region(struct vmx *v, uint64_t pa)
{
	struct bus *bus = v->cpu->bus;
	uint64_t launch = bus_read(bus, pa + VMCS_OFF_LAUNCH, 8);

	if (launch != VMCS_LAUNCH_CLEAR && launch != VMCS_LAUNCH_LAUNCHED)
		for (unsigned i = 0; i < VMCS_NFIELDS; i++)
			bus_write(bus, pa + field_off(i), 8, 0);
	bus_write(bus, pa + VMCS_OFF_LAUNCH, 8, VMCS_LAUNCH_CLEAR);
}

/* A field of a VMCS that is not current, straight from its region (VMCS
 * shadowing reads and writes the shadow VMCS this way). */
uint64_t vmcs_region_get(struct vmx *v, uint64_t pa, enum vmcs_index i)
{
	return bus_read(v->cpu->bus, pa + field_off(i), 8) &
	       width_mask((enum vmcs_width)rows[i].width);
}

void vmcs_region_set(struct vmx *v, uint64_t pa, enum vmcs_index i, uint64_t x)
{
	bus_write(v->cpu->bus, pa + field_off(i), 8, x & width_mask((enum vmcs_width)rows[i].width));
}
