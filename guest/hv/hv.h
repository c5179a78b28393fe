/* The tiny hypervisor: one vCPU, created, reset and run the way KVM's
 * arch/x86/kvm/vmx does it (kvm_vm_ioctl_create_vcpu -> kvm_arch_vcpu_create
 * -> vmx_create_vcpu -> init_vmcs; kvm_vcpu_reset -> vmx_vcpu_reset ->
 * set_cr0).
 *
 * The host is this image, running identity-mapped in 64-bit mode.  The
 * guest gets GUEST_RAM_SIZE bytes of guest-physical memory at GPA 0 through
 * EPT, plus the reset-vector page and KVM's two real-mode helper areas
 * (identity page table, vm86 TSS) just below 4 GiB.
 *
 * Trace: every observation is one line "hv cfg=ug|noug ev=NAME key=value...",
 * with fixed keys per event (guest/README.md lists them).  Besides those,
 * what the hypervisor observes of the processor is also printed as records
 * of softvtx's trace format (traces/FORMAT.md, counters "0 0"): a `vmexit`
 * record per VM exit, with the keys softvtx's own trace writes for it, and
 * a `vmx-insn` record per VMX instruction (RFLAGS after it, and the
 * VM-instruction error on VMfailValid), so that a serial log from silicon
 * and softvtx's trace can be compared with `softvtx trace-diff
 * --ignore-counters` (docs/silicon.md). */
#ifndef GUEST_HV_HV_H
#define GUEST_HV_HV_H

#include <stdbool.h>
#include <stdint.h>
#include "guest.h"
#include "vmx/vmcs.h"

/* --- guest-physical layout (payload.S uses the same numbers) ---------- */
#define GUEST_RAM_SIZE      0x200000ull     /* GPA 0 .. 2 MiB, EPT 4K pages */
#define GUEST_PAYLOAD_GPA   0xFF000ull      /* payload.S, one page */
#define GUEST_RESET_GPA     0xFFFFF000ull   /* alias of the payload page */
#define GUEST_RESET_RIP     0xFFF0ull
#define GUEST_RESET_CS_BASE 0xFFFF0000ull
#define GUEST_RESULT_GPA    0x5000ull       /* the guest's work is stored here */
/* KVM's real-mode helpers (without unrestricted guest): a 32-bit page
 * directory of 4 MiB identity pages used as CR3 while guest paging is off,
 * and a TSS whose I/O and interrupt-redirection bitmaps vm86 mode needs. */
#define HV_IDENTITY_MAP_GPA 0xFFFBC000ull
#define HV_RMODE_TSS_GPA    0xFFFBD000ull
#define HV_RMODE_TSS_PAGES  3
/* 104-byte TSS, 32-byte interrupt-redirection bitmap, 8 KiB I/O bitmap,
 * and the all-ones byte that must end the I/O bitmap (SDM Vol. 1 §19.5.2,
 * Vol. 3A §20.3.3). */
#define HV_RMODE_TSS_SIZE   (0x68 + 32 + 65536 / 8 + 1)

/* Guest-owned CR0/CR4 bits: writes to them do not exit (KVM's
 * KVM_POSSIBLE_CR0_GUEST_BITS / KVM_POSSIBLE_CR4_GUEST_BITS under EPT).
 * Every other bit is host-owned: the guest reads the shadow and a write
 * that changes it is a CR-access exit (SDM Vol. 3C §25.1.3, MOV to CR0). */
#define HV_CR0_GUEST_BITS (CR0_TS | CR0_WP)
#define HV_CR4_GUEST_BITS (CR4_TSD | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_PGE | CR4_FSGSBASE)

/* Control bits the hypervisor uses (SDM Vol. 3C §24.6, Appendix A). */
#define PIN_EXTINT_EXITING     (1u << 0)
#define PIN_NMI_EXITING        (1u << 3)
#define PROC_HLT_EXITING       (1u << 7)
#define PROC_CR3_LOAD_EXITING  (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_MOV_DR_EXITING    (1u << 23)
#define PROC_UNCOND_IO_EXITING (1u << 24)
#define PROC_SECONDARY         (1u << 31)
#define PROC_CR3_EXITING       (PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING)
#define PROC2_EPT              (1u << 1)
#define PROC2_UG               (1u << 7)
#define EXIT_HOST_ADDR_SPACE   (1u << 9)
#define EXIT_ACK_INTR          (1u << 15)
#define EXIT_SAVE_EFER         (1u << 20)
#define EXIT_LOAD_EFER         (1u << 21)
#define ENTRY_LOAD_DEBUG       (1u << 2)
#define ENTRY_IA32E_MODE       (1u << 9)
#define ENTRY_LOAD_EFER        (1u << 15)

/* --- exit codes written to isa-debug-exit on failure ----------------- */
enum hv_status {
	HV_OK = 0,
	HV_ERR_NO_VMX = 2,     /* CPUID or IA32_FEATURE_CONTROL forbids VMX */
	HV_ERR_CAPS = 3,       /* a required control is not allowed */
	HV_ERR_VMX_INSN = 4,   /* a VMX instruction failed */
	HV_ERR_ENTRY = 5,      /* VM entry failed (exit reason bit 31) */
	HV_ERR_EXIT = 6,       /* an exit the hypervisor cannot handle */
	HV_ERR_EMULATE = 7,    /* an instruction the emulator does not know */
	HV_ERR_GUEST = 8,      /* the guest's results were wrong */
};

/* Segment registers in VMCS order (the field encodings step by 2). */
enum hv_sreg { SREG_ES, SREG_CS, SREG_SS, SREG_DS, SREG_FS, SREG_GS, SREG_LDTR, SREG_TR, SREG_COUNT };

/* One segment register as the VMCS holds it.  Access rights:
 *   16      12   11..8  7   6:5   4   3:0
 *   unusable AVL  (L,D,G in 13..15)  P   DPL   S   type */
struct hv_seg {
	uint16_t sel;
	uint64_t base;
	uint32_t limit;
	uint32_t ar;
};
#define AR_TYPE(ar)  ((ar) & 0xf)
#define AR_S         (1u << 4)
#define AR_DPL(ar)   (((ar) >> 5) & 3)
#define AR_P         (1u << 7)
#define AR_L         (1u << 13)
#define AR_DB        (1u << 14)
#define AR_G         (1u << 15)
#define AR_UNUSABLE  (1u << 16)
#define AR_TYPE_ACCESSED 1u
#define AR_TYPE_WRITE    2u   /* data: writable; code: readable */
#define AR_TYPE_CONFORM  4u   /* code: conforming */
#define AR_TYPE_CODE     8u

/* The VMX controls chosen once from the capability MSRs (KVM's
 * setup_vmcs_config). */
struct hv_vmcs_config {
	uint32_t revision;
	uint32_t pin, proc, proc2, exit, entry;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	/* CR3-load/store exiting may be 0: their allowed-0 comes from
	 * IA32_VMX_TRUE_PROCBASED_CTLS when IA32_VMX_BASIC[55] = 1 (SDM
	 * Appendix A.3.2); the plain MSR reports them as default1. */
	bool cr3_exiting_optional;
};

/* Guest GPRs, indexed by the register numbers the exit qualifications
 * use (0 RAX .. 15 R15).  Slot 4 (RSP) is unused: RSP lives in the VMCS.
 * vmenter.S depends on this layout. */
struct hv_regs {
	uint64_t gpr[16];
};

/* The VMCS guest state at one moment, for the checks in main.c. */
struct hv_snapshot {
	bool taken;
	uint64_t cr0, cr0_shadow, cr3, cr4, cr4_shadow, rflags, efer, tr_base;
	uint32_t proc, entry, cs_ar;
};

struct hv_vcpu {
	struct hv_regs regs;
	bool ug;                 /* unrestricted guest in use */
	bool launched;
	uint64_t cr0, cr3, cr4, efer;   /* what the guest believes */
	/* KVM's rmode state: vm86 emulation of real mode. */
	bool vm86_active;
	uint64_t rmode_saved_rflags;
	struct hv_seg rmode_segs[SREG_COUNT];
	bool emulation_required;
	uint32_t proc;           /* current primary processor-based controls */
	uint32_t entry;          /* current VM-entry controls */
	unsigned exits;
	/* What the guest reported on its ports (exits.c). */
	uint32_t post_codes[16];
	unsigned npost;
	uint32_t result;
	bool have_result;
	uint32_t cpuid_ebx0;
	bool halted;
	struct hv_snapshot at_reset, in_long_mode, at_halt;
};

/* --- trace (main.c) ------------------------------------------------- */
extern const char *hv_cfg;      /* "ug" or "noug"; "init"/"done" outside the runs */
/* One trace record: "hv cfg=<cfg> ev=<ev> <fmt...>\n". */
void hv_trace(const char *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One trace-format record "0 0 <fmt...>\n" (traces/FORMAT.md: the hv
 * has no softvtx counters). */
void hv_record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints an ev=fail record with reason and ends the run with code. */
void hv_fail(enum hv_status code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* --- vmx.c: VMX operation and checked VMX instructions ---------------- */
extern struct hv_vmcs_config hv_config;
void hv_hardware_enable(void);
void hv_hardware_disable(void);
bool hv_setup_vmcs_config(bool want_ug);
void hv_vmcs_load(void *region);   /* VMCLEAR + VMPTRLD */
void hv_vmcs_clear(void *region);
void hv_invept_all(void);
/* The vmx-insn record of one VMX instruction: op, then key=arg when key is
 * not NULL (its operand), the RFLAGS it left and, on VMfailValid, the
 * VM-instruction error. */
void hv_vmx_insn_record(const char *op, const char *key, uint64_t arg, uint64_t rflags);
/* Prints the ev=fail record of a failed VMX instruction (its outcome and,
 * for VMfailValid, the VM-instruction error) and ends the run. */
void hv_vmx_insn_fail(const char *insn, uint64_t arg, uint64_t rflags) __attribute__((noreturn));
uint64_t hv_vmread(uint32_t field);
void hv_vmwrite(uint32_t field, uint64_t value);
static inline void hv_vmcs_setbits(uint32_t field, uint64_t bits)
{
	hv_vmwrite(field, hv_vmread(field) | bits);
}
static inline void hv_vmcs_clearbits(uint32_t field, uint64_t bits)
{
	hv_vmwrite(field, hv_vmread(field) & ~bits);
}

/* --- ept.c: guest memory ---------------------------------------------- */
void hv_guest_memory_init(void);
uint64_t hv_eptp(void);
/* Host pointer for a guest-physical range that lies inside one mapped
 * page, or NULL. */
void *hv_gpa_to_hva(uint64_t gpa, uint64_t len);

/* --- vmcs_init.c ------------------------------------------------------ */
void hv_init_vmcs(struct hv_vcpu *v);

/* --- vcpu.c: the KVM path --------------------------------------------- */
/* Creates vCPU 0 and gives it its power-on reset. */
void hv_vm_create_vcpu(struct hv_vcpu *v, bool ug);
/* VMCLEAR: the VMCS data goes back to its region, not current any more. */
void hv_destroy_vcpu(struct hv_vcpu *v);
void hv_vcpu_reset(struct hv_vcpu *v);
void hv_set_cr0(struct hv_vcpu *v, uint64_t cr0);
void hv_set_cr3(struct hv_vcpu *v, uint64_t cr3);
void hv_set_cr4(struct hv_vcpu *v, uint64_t cr4);
void hv_set_efer(struct hv_vcpu *v, uint64_t efer);
void hv_get_seg(struct hv_vcpu *v, enum hv_sreg s, struct hv_seg *out);
void hv_set_seg(struct hv_vcpu *v, enum hv_sreg s, const struct hv_seg *seg);
void hv_update_exception_bitmap(struct hv_vcpu *v);
bool hv_guest_state_valid(struct hv_vcpu *v);
static inline bool hv_is_paging(const struct hv_vcpu *v) { return v->cr0 & CR0_PG; }

/* --- emulate.c: real-mode instructions a restricted guest cannot run -- */
/* Emulates the instruction at the guest's CS:RIP; fails the run when it
 * is not one of the forms emulate.c knows. */
void hv_emulate_one(struct hv_vcpu *v);

/* --- exits.c ---------------------------------------------------------- */
/* Runs the vCPU until the guest halts. */
void hv_vcpu_run(struct hv_vcpu *v);
void hv_snapshot(struct hv_snapshot *s);

/* --- vmenter.S -------------------------------------------------------- */
/* Loads guest GPRs from regs and executes VMLAUNCH (launched = 0) or
 * VMRESUME.  Returns 0 after a VM exit (guest GPRs saved back to regs),
 * or the RFLAGS VMLAUNCH/VMRESUME left when it failed. */
uint64_t hv_vmenter(struct hv_regs *regs, int launched);
extern const char hv_vmexit[];
/* RFLAGS after hv_vmenter's VMWRITE of HOST_RSP (0x6C14). */
extern uint64_t hv_host_rsp_rflags;

/* --- payload.S -------------------------------------------------------- */
extern const char hv_payload_start[], hv_payload_end[];
/* Values the payload's work must produce. */
#define PAYLOAD_SUM_N       1000u        /* sum of i*i, i = 1..N */
#define PAYLOAD_PORT_POST   0x80         /* one byte per milestone */
#define PAYLOAD_PORT_RESULT 0x84         /* 32-bit result */
#define PAYLOAD_PORT_CPUID  0x88         /* CPUID.0:EBX as the guest saw it */

#endif
