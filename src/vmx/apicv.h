/* APIC virtualization (SDM Vol. 3C chapter 29, "APIC Virtualization and
 * Virtual Interrupts"; newer SDMs chapter 30): what apicv.c offers the
 * other VMX files.  The hooks src/cpu calls (APIC-access page reads and
 * writes) are in vmx.h.
 *
 * The virtual-APIC page (VMCS field 0x2012, host-physical) holds the
 * virtual registers at the offsets of the xAPIC's MMIO page (§29.1.1):
 *
 *   0x080 VTPR   0x0A0 VPPR   0x0B0 VEOI   0x100-0x170 VISR (8 x 32 bits)
 *   0x200-0x270 VIRR (8 x 32 bits)   0x300 VICR_LO   0x310 VICR_HI
 *   0x3F0 SELF IPI (x2APIC MSR 0x83F)
 *
 * and the guest interrupt status (VMCS field 0x0810) holds RVI (bits 7:0,
 * the highest requesting vector) and SVI (bits 15:8, the highest in
 * service).
 */
#ifndef SOFTVTX_VMX_APICV_H
#define SOFTVTX_VMX_APICV_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct insn;
struct vmx;

/* Virtual-APIC page offsets (§29.1.1). */
#define APICV_VTPR      0x080
#define APICV_VPPR      0x0A0
#define APICV_VEOI      0x0B0
#define APICV_VISR      0x100
#define APICV_VIRR      0x200
#define APICV_VICR_LO   0x300
#define APICV_VICR_HI   0x310
#define APICV_SELF_IPI  0x3F0

/* §29.4.2 / §29.4.3.1: is an access of `size` bytes at page offset `off`
 * of the APIC-access page virtualized (true) or an APIC-access VM exit
 * (false), under secondary controls `proc2`?  Assumes "use TPR shadow" =
 * 1 and a data access (fetches always exit); ignores the "operation
 * already virtualized a write" rule, which needs the running state. */
bool apicv_virtualizes(uint32_t proc2, unsigned off, unsigned size, bool write);

/* VM entry (SDM §26.3.2.5): forget the previous guest's pending APIC
 * work; with virtual-interrupt delivery, PPR virtualization and the
 * evaluation of pending virtual interrupts.  Called once the entry can no
 * longer fail, before event injection. */
void apicv_entry(struct cpu *cpu);

/* Does APIC virtualization need vmx_boundary() at the next instruction
 * boundary (a pending APIC-write emulation, an instruction to run alone,
 * or a recognized virtual interrupt)? */
bool apicv_wants_boundary(const struct vmx *v);

/* At an instruction boundary, first of all (§29.4.3.2: APIC-write
 * emulation ranks above SMIs, INIT and lower-priority events; it is not
 * blocked by RFLAGS.IF or STI/MOV-SS blocking): perform the APIC-write
 * emulation of the operation that just completed.  X_OK or X_VMEXIT
 * (APIC-write, virtualized-EOI or TPR-below-threshold exit, trap-like). */
int apicv_boundary_writes(struct cpu *cpu);

/* §29.2.2: deliver a recognized virtual interrupt if RFLAGS.IF = 1, there
 * is no STI/MOV-SS blocking, "interrupt-window exiting" is 0 and the
 * guest is active or halted.  X_OK (nothing to deliver, or delivered),
 * X_VMEXIT (delivery caused an exit), X_STOP (shutdown). */
int apicv_boundary_deliver(struct cpu *cpu);

/* §29.4.6.1: an access to the APIC-access page through EPT that is not
 * the translation of a linear address -- a guest paging-structure read,
 * a PDPTE load, an A/D update (EPTF_PAGING) -- is never virtualized: an
 * APIC-access exit, access type 10 during event delivery and 15
 * otherwise, recorded like an EPT exit.  X_FAULT (also for a probe,
 * EPTF_NOFAULT, which records nothing). */
int apicv_guest_physical(struct cpu *cpu, uint64_t hpa, unsigned eptf);

/* MOV to CR8 with "use TPR shadow", after VTPR was written (§29.3): TPR
 * virtualization (§29.1.2).  `len` is the instruction's length, for the
 * trap-like TPR-below-threshold exit.  X_OK or X_VMEXIT. */
int apicv_tpr_virtualize(struct cpu *cpu, unsigned len);

/* RDMSR or WRMSR of ECX in 0x800-0x8FF that the MSR bitmap lets through
 * (§29.5).  X_OK when "virtualize x2APIC mode" leaves the instruction
 * alone (it then runs normally), X_JUMP when it was virtualized and
 * retired (RIP advanced), X_FAULT for #GP(0), X_VMEXIT for a trap-like
 * exit. */
int apicv_msr(struct cpu *cpu, const struct insn *in);

#endif
