/* VMX instruction wrappers for guest code (the tiny hypervisor and the
 * VMX conformance tests).  Every wrapper loads RFLAGS with `preset` first
 * and returns RFLAGS as the instruction left it, so a test can tell
 * VMsucceed (CF=ZF=0), VMfailInvalid (CF=1) and VMfailValid (ZF=1) apart
 * and see that the instruction really cleared flags it was given set
 * (SDM Vol. 3C §32.2 "Conventions").  Preset only arithmetic flags. */
#ifndef GUEST_VMX_H
#define GUEST_VMX_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu/arch.h"

enum vmx_outcome { VMX_SUCCEED, VMX_FAIL_INVALID, VMX_FAIL_VALID, VMX_FLAGS_BAD };

/* Decodes captured RFLAGS: both CF and ZF set is not a VMX outcome. */
static inline enum vmx_outcome vmx_outcome(uint64_t rflags)
{
	bool cf = rflags & RFLAGS_CF, zf = rflags & RFLAGS_ZF;
	return cf && zf ? VMX_FLAGS_BAD : cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_SUCCEED;
}

/* Instructions with a 64-bit memory operand holding a physical address. */
#define VMX_MEM_OP(name, insn)                                               \
	static inline uint64_t name(uint64_t *pa_ptr, uint64_t preset)       \
	{                                                                    \
		uint64_t fl = preset | RFLAGS_FIXED1;                        \
		asm volatile("push %0; popfq; " insn " %1; pushfq; pop %0"   \
			     : "+r"(fl), "+m"(*pa_ptr) : : "cc", "memory");   \
		return fl;                                                   \
	}
VMX_MEM_OP(vmxon_flags, "vmxon")
VMX_MEM_OP(vmclear_flags, "vmclear")
VMX_MEM_OP(vmptrld_flags, "vmptrld")
VMX_MEM_OP(vmptrst_flags, "vmptrst")
#undef VMX_MEM_OP

/* Instructions without operands.  VMLAUNCH and VMRESUME return here only
 * when they fail; on success the guest runs and a VM exit lands at the
 * VMCS host RIP. */
#define VMX_NO_OP(name, insn)                                                \
	static inline uint64_t name(uint64_t preset)                         \
	{                                                                    \
		uint64_t fl = preset | RFLAGS_FIXED1;                        \
		asm volatile("push %0; popfq; " insn "; pushfq; pop %0"      \
			     : "+r"(fl) : : "cc", "memory");                  \
		return fl;                                                   \
	}
VMX_NO_OP(vmxoff_flags, "vmxoff")
VMX_NO_OP(vmlaunch_flags, "vmlaunch")
VMX_NO_OP(vmresume_flags, "vmresume")
VMX_NO_OP(vmcall_flags, "vmcall")
#undef VMX_NO_OP

/* VMREAD field -> *value; VMWRITE value -> field. */
static inline uint64_t vmread_flags(uint64_t field, uint64_t *value, uint64_t preset)
{
	uint64_t fl = preset | RFLAGS_FIXED1, v = *value;
	asm volatile("push %0; popfq; vmread %2, %1; pushfq; pop %0"
		     : "+r"(fl), "+r"(v) : "r"(field) : "cc", "memory");
	*value = v;
	return fl;
}

static inline uint64_t vmwrite_flags(uint64_t field, uint64_t value, uint64_t preset)
{
	uint64_t fl = preset | RFLAGS_FIXED1;
	asm volatile("push %0; popfq; vmwrite %1, %2; pushfq; pop %0"
		     : "+r"(fl) : "r"(value), "r"(field) : "cc", "memory");
	return fl;
}

/* INVEPT / INVVPID: type in a register, 128-bit descriptor in memory. */
struct vmx_inv_desc {
	uint64_t lo, hi;
};

static inline uint64_t invept_flags(uint64_t type, struct vmx_inv_desc *d, uint64_t preset)
{
	uint64_t fl = preset | RFLAGS_FIXED1;
	asm volatile("push %0; popfq; invept %1, %2; pushfq; pop %0"
		     : "+r"(fl) : "m"(*d), "r"(type) : "cc", "memory");
	return fl;
}

static inline uint64_t invvpid_flags(uint64_t type, struct vmx_inv_desc *d, uint64_t preset)
{
	uint64_t fl = preset | RFLAGS_FIXED1;
	asm volatile("push %0; popfq; invvpid %1, %2; pushfq; pop %0"
		     : "+r"(fl) : "m"(*d), "r"(type) : "cc", "memory");
	return fl;
}

#endif
