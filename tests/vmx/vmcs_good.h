/* The known-good VMCS every VMX conformance test starts from, and the
 * table-driven runner for single-field corruptions.
 *
 * vmcs_good() builds what a real hypervisor would: a 64-bit host (the
 * current state of this image), a 64-bit guest with its own stack and code
 * in the same identity map, I/O and MSR bitmaps (all zero: nothing exits
 * by them), EPT identity-mapping the first 4 GiB and a VPID when the
 * capability MSRs allow them, and every control adjusted from the
 * capability MSRs: allowed-0 bits forced on, allowed-1 respected, the TRUE
 * MSRs used when IA32_VMX_BASIC[55] = 1 (SDM Vol. 3C Appendix A.3-A.5,
 * shared/spec/vmx-capabilities.md §2).  The guest code executes VMCALL, so
 * a good VMCS ends in exit reason 18.
 *
 * Expectations come from shared/spec, never from softvtx.  Each subtest
 * that tests a VM-entry check starts its TAP name with the check ID from
 * shared/spec/vm-entry-checks.md ("CTL-26 ..."); tests/vmx/coverage.py
 * collects those IDs. */
#ifndef VMX_TEST_VMCS_GOOD_H
#define VMX_TEST_VMCS_GOOD_H

#include <stdbool.h>
#include <stdint.h>
#include "guest.h"
#include "vmx.h"
#include "vmx/vmcs.h"

#define MSR_VMX_BASIC          0x480
#define MSR_VMX_PINBASED       0x481
#define MSR_VMX_PROCBASED      0x482
#define MSR_VMX_EXIT           0x483
#define MSR_VMX_ENTRY          0x484
#define MSR_VMX_MISC           0x485
#define MSR_VMX_CR0_FIXED0     0x486
#define MSR_VMX_CR0_FIXED1     0x487
#define MSR_VMX_CR4_FIXED0     0x488
#define MSR_VMX_CR4_FIXED1     0x489
#define MSR_VMX_VMCS_ENUM      0x48A
#define MSR_VMX_PROCBASED2     0x48B
#define MSR_VMX_EPT_VPID_CAP   0x48C
#define MSR_VMX_TRUE_PINBASED  0x48D
#define MSR_VMX_TRUE_PROCBASED 0x48E
#define MSR_VMX_TRUE_EXIT      0x48F
#define MSR_VMX_TRUE_ENTRY     0x490
#define MSR_VMX_VMFUNC         0x491
#define MSR_IA32_DEBUGCTL      0x1D9
#define MSR_IA32_PERF_GLOBAL_CTRL 0x38F

/* Control bits (vmx-capabilities.md §5). */
#define PIN_EXTINT      (1u << 0)
#define PIN_NMI         (1u << 3)
#define PIN_VNMI        (1u << 5)
#define PIN_PREEMPT     (1u << 6)
#define PIN_POSTED      (1u << 7)
#define PROC_INTWIN     (1u << 2)
#define PROC_TSC_OFFSET (1u << 3)
#define PROC_HLT        (1u << 7)
#define PROC_INVLPG     (1u << 9)
#define PROC_RDTSC      (1u << 12)
#define PROC_CR3_LOAD   (1u << 15)
#define PROC_CR3_STORE  (1u << 16)
#define PROC_CR8_LOAD   (1u << 19)
#define PROC_CR8_STORE  (1u << 20)
#define PROC_TPR_SHADOW (1u << 21)
#define PROC_NMIWIN     (1u << 22)
#define PROC_MOV_DR     (1u << 23)
#define PROC_UNCOND_IO  (1u << 24)
#define PROC_IO_BITMAPS (1u << 25)
#define PROC_MTF        (1u << 27)
#define PROC_MSR_BITMAPS (1u << 28)
#define PROC_SECONDARY  (1u << 31)
#define PROC2_VAPIC     (1u << 0)
#define PROC2_EPT       (1u << 1)
#define PROC2_DESC      (1u << 2)
#define PROC2_RDTSCP    (1u << 3)
#define PROC2_X2APIC    (1u << 4)
#define PROC2_VPID      (1u << 5)
#define PROC2_UG        (1u << 7)
#define PROC2_APIC_REG  (1u << 8)
#define PROC2_VID       (1u << 9)
#define PROC2_VMFUNC    (1u << 13)
#define PROC2_SHADOW    (1u << 14)
#define PROC2_PML       (1u << 17)
#define PROC2_VE        (1u << 18)
#define PROC2_MBE       (1u << 22)
#define EXIT_SAVE_DEBUG (1u << 2)
#define EXIT_HASS       (1u << 9)
#define EXIT_LOAD_PERF  (1u << 12)
#define EXIT_ACK_INTR   (1u << 15)
#define EXIT_SAVE_PAT   (1u << 18)
#define EXIT_LOAD_PAT   (1u << 19)
#define EXIT_SAVE_EFER  (1u << 20)
#define EXIT_LOAD_EFER  (1u << 21)
#define EXIT_SAVE_TIMER (1u << 22)
#define ENTRY_LOAD_DEBUG (1u << 2)
#define ENTRY_IA32E     (1u << 9)
#define ENTRY_SMM       (1u << 10)
#define ENTRY_DEACT_DUAL (1u << 11)
#define ENTRY_LOAD_PERF (1u << 13)
#define ENTRY_LOAD_PAT  (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

#define INTR_VALID      (1u << 31)
#define INTR_ERRCODE    (1u << 11)
#define INTR_TYPE(t)    ((uint32_t)(t) << 8)

/* Access rights (vmcs-fields.md §4.1). */
#define AR_CODE64   0xA09Bu   /* type 11, S, DPL 0, P, L, G */
#define AR_DATA     0xC093u   /* type 3, S, DPL 0, P, DB, G */
#define AR_TSS_BUSY 0x008Bu   /* type 11, P */
#define AR_LDT      0x0082u   /* type 2, P */
#define AR_UNUSABLE 0x10000u

#define NOT_CANONICAL 0x0000800000000000ull

/* The capability MSRs, read once by vmx_test_init(). */
struct vmx_caps {
	uint64_t basic, pin, proc, exit, entry, misc, proc2, ept_vpid, vmfunc;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	int maxphyaddr;
	bool true_msrs;
	uint32_t revision;
};
extern struct vmx_caps caps;

/* A control field's capability word: allowed-0 in bits 31:0, allowed-1 in
 * bits 63:32. */
static inline uint32_t allowed0(uint64_t cap) { return (uint32_t)cap; }
static inline uint32_t allowed1(uint64_t cap) { return (uint32_t)(cap >> 32); }
/* want | allowed-0, & allowed-1: how a hypervisor sets a control field. */
static inline uint32_t ctl_adjust(uint64_t cap, uint32_t want)
{
	return (want | allowed0(cap)) & allowed1(cap);
}
static inline bool can_set(uint64_t cap, uint32_t bits) { return (allowed1(cap) & bits) == bits; }
static inline bool has_proc2(uint32_t bits)
{
	return can_set(caps.proc, PROC_SECONDARY) && can_set(caps.proc2, bits);
}

/* VMREAD / VMWRITE that must succeed (a failure is reported once as a
 * diagnostic; the subtest's own checks then fail). */
uint64_t vmr(uint32_t field);
void vmw(uint32_t field, uint64_t value);
static inline void vmw_or(uint32_t f, uint64_t bits) { vmw(f, vmr(f) | bits); }
static inline void vmw_clear(uint32_t f, uint64_t bits) { vmw(f, vmr(f) & ~bits); }

/* Options for vmcs_good(). */
enum {
	GOOD_EPT   = 1u << 0,  /* EPT identity map (if allowed) */
	GOOD_VPID  = 1u << 1,  /* VPID 1 (if allowed) */
	GOOD_UG    = 1u << 2,  /* unrestricted guest (needs EPT) */
	GOOD_NO_BITMAPS = 1u << 3,  /* no I/O or MSR bitmaps */
	GOOD_DEFAULT = GOOD_EPT | GOOD_VPID,
};

/* Reads the capability MSRs, enables VMX (CR4.VMXE, IA32_FEATURE_CONTROL,
 * CR0.NE) and executes VMXON.  Bails out if VMX is absent. */
void vmx_test_init(void);
/* vmx_test_init without the VMXON: capability MSRs, IA32_FEATURE_CONTROL,
 * CR0/CR4 set for VMX, the VMXON region's revision written. */
void vmx_prepare(void);
/* Set before vmx_prepare() to leave IA32_FEATURE_CONTROL as the firmware
 * left it (vmx_fixed tests VMXON.9/10 with it unlocked). */
extern bool vmx_leave_feature_control;
/* The VMXON region's physical address. */
extern uint64_t vmxon_pa;

/* VMCLEARs and VMPTRLDs the test VMCS region and writes every field of the
 * known-good VMCS.  guest_rip == 0 runs guest_vmcall. */
void vmcs_good(unsigned opts, void (*guest_rip)(void));
/* The test VMCS region and spare 4 KiB pages tests may point fields at. */
extern uint8_t vmcs_region[4096];
extern uint8_t scratch_pages[8][4096];
uint64_t ept_identity_eptp(void);
/* Variants of the good VMCS: an unrestricted real-mode guest whose CS
 * base is `code` (IP 0), and a virtual-8086 guest running a copy of `len`
 * bytes of 16-bit code at V86_CODE (CS = V86_CODE >> 4, IP 0). */
#define V86_CODE 0x7000u
void vmcs_real_mode_guest(uint64_t code);
void vmcs_v86_guest(const void *code, size_t len);
/* The guest code the good VMCS enters: VMCALL, then HLT. */
void guest_vmcall(void);
extern uint8_t guest_stack[8192];

/* Result of a VMLAUNCH/VMRESUME attempt. */
struct entry_result {
	bool exited;        /* a VM exit (or entry-failure exit) reached the host RIP */
	uint64_t rflags;    /* RFLAGS after a VMfail (when !exited) */
	uint32_t reason;    /* exit reason field (when exited) */
	uint64_t qual;      /* exit qualification */
	uint32_t insn_error;/* VM-instruction error field (when VMfailValid) */
};
/* VMLAUNCH (resume = false) or VMRESUME of the current VMCS; HOST_RSP and
 * HOST_RIP are set to a landing pad inside. */
struct entry_result vmx_enter(bool resume);
/* The assembly half: returns RFLAGS after VMfail, or 0 after a VM exit. */
uint64_t vmx_enter_asm(uint64_t preset, int resume, uint64_t host_rip);
/* When non-zero, the HOST_RIP vmx_enter writes instead of its landing pad
 * (HOST-32 tests a non-canonical one). */
extern uint64_t host_rip_override;
/* RFLAGS as the last VM exit left them at the host RIP. */
extern uint64_t vmx_exit_rflags;

/* Exact VMX results (vmx-instructions.md §2): the six arithmetic flags
 * are all 0 except CF (VMfailInvalid) or ZF (VMfailValid). */
bool vm_succeeded(uint64_t rflags);
bool vm_failed_invalid(uint64_t rflags);
bool vm_failed_valid(uint64_t rflags, uint32_t error);

/* One VM-entry check: corrupt one rule of the good VMCS and expect the
 * spec's outcome. */
enum expect { X_VMFAIL_VALID, X_ENTRY_FAIL, X_EXIT };
struct entry_case {
	const char *id;            /* check ID, vm-entry-checks.md */
	const char *what;          /* the corruption */
	unsigned opts;             /* vmcs_good() options */
	void (*mutate)(void);
	enum expect expect;
	uint32_t num;              /* VM-instruction error, or basic exit reason */
	uint64_t qual;             /* for X_ENTRY_FAIL / X_EXIT */
	/* NULL: always applicable; else returns NULL or why it is not. */
	const char *(*unsupported)(void);
};
void run_entry_cases(const struct entry_case *c, int n);
/* One subtest: the outcome of the current VMCS after mutate. */
void check_entry(const struct entry_case *c);
/* The good VMCS with opts enters and exits through VMCALL (reason 18). */
void check_good(unsigned opts, const char *label);

#endif
