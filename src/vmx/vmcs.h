/* The VMCS: field encodings, the on-processor copy of the current VMCS,
 * and its layout inside a VMCS region in guest memory.
 *
 * Every field comes from one row of vmcs_fields.def.  The enum vmcs_field
 * holds the architectural encodings (VMCS_GUEST_RIP = 0x681E); enum
 * vmcs_index numbers the rows densely (VMCS_IDX_GUEST_RIP) and is what
 * the cache and the region layout use.
 *
 * The current VMCS is cached in struct vmcs_cache while it is current
 * (SDM Vol. 3C §24.1: "the processor may maintain VMCS data ... on the
 * processor"); VMCLEAR, VMPTRLD of another region and VMXOFF write it back
 * to its region, so a cleared region holds every field.
 */
#ifndef SOFTVTX_VMX_VMCS_H
#define SOFTVTX_VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>

struct vmx;
struct vmx_profile;

/* Width codes, as in bits 14:13 of an encoding. */
enum vmcs_width { W16 = 0, W64 = 1, W32 = 2, WNAT = 3 };
/* Type codes, bits 11:10. */
enum vmcs_type { VMCS_T_CONTROL = 0, VMCS_T_RO = 1, VMCS_T_GUEST = 2, VMCS_T_HOST = 3 };

#define VMCS_ENC_HIGH(e)   ((e) & 1u)
#define VMCS_ENC_INDEX(e)  (((e) >> 1) & 0x1ffu)
#define VMCS_ENC_TYPE(e)   (((e) >> 10) & 3u)
#define VMCS_ENC_WIDTH(e)  (((e) >> 13) & 3u)
#define VMCS_ENC_RSVD_MASK 0xffff9000u

enum vmcs_field {
#define VMCS_FIELD(name, enc, w, ex, desc) VMCS_##name = enc,
#include "vmcs_fields.def"
#undef VMCS_FIELD
};

enum vmcs_index {
#define VMCS_FIELD(name, enc, w, ex, desc) VMCS_IDX_##name,
#include "vmcs_fields.def"
#undef VMCS_FIELD
	VMCS_NFIELDS
};

/* The on-processor copy of the current VMCS: one 64-bit slot per field,
 * always holding the value truncated to the field's width. */
struct vmcs_cache {
	uint64_t val[VMCS_NFIELDS];
};

/* Fast access by row name, for the VMX modules (not for VMREAD/VMWRITE,
 * which go through the acceptance rules in vmcs.c):
 *     VMCS_GET(vmx, GUEST_RIP)      VMCS_SET(vmx, EXIT_REASON, r)  */
#define VMCS_GET(v, name) ((v)->vmcs.val[VMCS_IDX_##name])
#define VMCS_SET(v, name, x) vmcs_set_idx((v), VMCS_IDX_##name, (x))

/* Store `x` truncated to the field's width. */
void vmcs_set_idx(struct vmx *v, enum vmcs_index i, uint64_t x);

/* Row lookups: -1 if the encoding names no row (ignores bit 0, the high
 * access bit, which callers handle). */
int vmcs_index_of(uint32_t enc);
uint32_t vmcs_encoding(enum vmcs_index i);
enum vmcs_width vmcs_width(enum vmcs_index i);
const char *vmcs_name(enum vmcs_index i);        /* "GUEST_RIP" */
const char *vmcs_description(enum vmcs_index i); /* "Guest RIP" */

/* shared/spec/vmcs-fields.md §2.1: does this CPU profile implement the
 * field (the "exists when" column)? */
bool vmcs_field_exists(const struct vmx_profile *p, enum vmcs_index i);

/* The highest index (encoding bits 9:1) of any field the profile
 * implements: IA32_VMX_VMCS_ENUM bits 9:1 (vmcs-fields.md §2.4). */
unsigned vmcs_highest_index(const struct vmx_profile *p);

/* VMREAD/VMWRITE acceptance (shared/spec/vmcs-fields.md §2): the row of a
 * supported encoding (the whole encoding register), or -1 for an
 * unsupported one (VM-instruction error 12). */
int vmcs_rw_index(const struct vmx_profile *p, uint64_t enc);
/* VMWRITE to a read-only field (error 13)?  Honours IA32_VMX_MISC[29]. */
bool vmcs_rw_readonly(const struct vmx_profile *p, uint64_t enc);
/* Width rules of vmx-instructions.md §12.3: what VMREAD returns from the
 * stored value, and what VMWRITE stores given the old value and the
 * source (op64: 64-bit operand size). */
uint64_t vmcs_read_value(uint64_t enc, uint64_t stored, bool op64);
uint64_t vmcs_write_value(const struct vmx_profile *p, enum vmcs_index i, uint64_t enc,
                          uint64_t old, uint64_t src, bool op64);

/* Region layout (implementation-defined, SDM Vol. 3C §24.2): bytes 0-3
 * revision identifier and shadow-VMCS indicator (bit 31), bytes 4-7 the
 * VMX-abort indicator, then softvtx's own data: the launch state and one
 * 8-byte slot per field. */
#define VMCS_OFF_REVISION   0
#define VMCS_OFF_ABORT      4
#define VMCS_OFF_LAUNCH     8
#define VMCS_OFF_FIELDS     16
#define VMCS_DATA_BYTES     (VMCS_OFF_FIELDS + 8 * VMCS_NFIELDS)

/* Copy the current VMCS between the cache and its region in guest
 * memory (physical address v->current_vmcs). */
void vmcs_load_region(struct vmx *v, uint64_t pa);
void vmcs_store_region(struct vmx *v, uint64_t pa);
/* VMCLEAR of a region that is not current: launch state clear (fields of
 * a never-initialised region become 0). */
void vmcs_clear_region(struct vmx *v, uint64_t pa);
/* One field of a VMCS that is not current, in its region (the shadow VMCS
 * of VMCS shadowing). */
uint64_t vmcs_region_get(struct vmx *v, uint64_t pa, enum vmcs_index i);
void vmcs_region_set(struct vmx *v, uint64_t pa, enum vmcs_index i, uint64_t x);

#endif
