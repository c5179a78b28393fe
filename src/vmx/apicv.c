/* APIC virtualization and virtual interrupts (SDM Vol. 3C chapter 29 of
 * the 2016-2022 numbering; chapter 30 in newer SDMs).  The controls of the
 * reference profile it acts on:
 *
 *   PROC  bit 21  use TPR shadow           the virtual-APIC page exists
 *   PROC2 bit 0   virtualize APIC accesses accesses to the APIC-access page
 *   PROC2 bit 4   virtualize x2APIC mode   RDMSR/WRMSR of 0x800-0x8FF
 *   PROC2 bit 8   APIC-register virtualization
 *   PROC2 bit 9   virtual-interrupt delivery (RVI/SVI, VIRR/VISR, VPPR)
 *   PIN   bit 7   process posted interrupts
 *
 * Where the work happens:
 * - Memory-mapped accesses (§29.4): the APIC-access page never enters the
 *   TLB, so every access to it reaches tlb_fill(), where ept_apic_access()
 *   exits for what needs no size (no TPR shadow, instruction fetches), and
 *   then the access slow path, which calls vmx_apic_read()/_write() with
 *   the size.  A virtualized write is followed, once its operation is
 *   complete, by APIC-write emulation (§29.4.3.2).  Blocks run several
 *   instructions without looking at anything between them, so a
 *   virtualized write met inside a block restarts its instruction
 *   (X_RESTART, nothing written: handlers commit nothing before their
 *   stores, as for a fault) with vmx->apic_solo set, and the run loop runs
 *   it as a block of its own; the emulation then happens at the boundary
 *   right after it (vmx_boundary(), window.c).  A REP string instruction
 *   stops after the iteration that wrote (cpu->block_break), since each
 *   iteration is an operation of its own.  Writes during event delivery
 *   are emulated once the delivery is complete, which is a boundary too.
 * - MSR-based accesses (§29.5): apicv_msr(), called by the intercept
 *   module once the MSR bitmap let RDMSR/WRMSR through.
 * - MOV to CR8 (§29.3): intercept_cr.c writes VTPR, then
 *   apicv_tpr_virtualize().
 * - Virtual-interrupt delivery (§29.2): evaluation at VM entry and after
 *   TPR, EOI and self-IPI virtualization sets vmx->vintr_recognized, which
 *   keeps cpu->vmx_events set; delivery waits for a boundary where
 *   RFLAGS.IF = 1 and nothing blocks.  The windows open only through
 *   instructions that end a block (STI, POPF, IRET, MOV SS...), and every
 *   operation that can recognize an interrupt ends its block too (MOV to
 *   CR8 and WRMSR end blocks; APIC-page writes run alone), so looking at
 *   block boundaries is exact.  Nothing is tested per instruction while no
 *   virtual interrupt is recognized.
 * - Posted-interrupt processing (§29.6) starts when the local APIC
 *   delivers an external interrupt whose vector is the notification
 *   vector.  softvtx's platform has no interrupt controller, and a guest
 *   cannot raise an external interrupt by itself (its self-IPIs are
 *   virtualized, never sent), so the processing can never start: it is
 *   not modelled.  VM entry still checks its fields (CTL-21..24).
 */
#include "apicv.h"

#include <capstone/capstone.h>

#include "../cpu/cpu.h"
#include "../cpu/insn.h"
#include "../mem/bus.h"
#include "ept.h"
#include "exit.h"
#include "intercept.h"
#include "nonroot.h"
#include "vmcs.h"
#include "vmx.h"

/* Secondary controls of chapter 29 (vmx-capabilities.md §5.3). */
#define PROC2_VIRT_APIC_ACCESSES (1u << 0)
#define PROC2_VIRT_X2APIC_MODE   (1u << 4)
#define PROC2_APIC_REG_VIRT      (1u << 8)

/* APIC-access exit qualification (vm-exits.md §3.7):
 *   15:12 access type   11:0 page offset
 * types: 0 linear read, 1 linear write, 2 linear fetch, 3 linear access
 * during event delivery, 10 and 15 guest-physical accesses. */
#define APIC_ACCESS_READ   0u
#define APIC_ACCESS_WRITE  1u
#define APIC_ACCESS_EVENT  3u
#define APIC_ACCESS_GPA_EVENT 10u  /* guest-physical, during event delivery */
#define APIC_ACCESS_GPA    15u     /* guest-physical, otherwise */

/* VICR_LO as self-IPI virtualization wants it (§29.4.3.2, offset 300H):
 *   31:20 rsvd | 19:18 shorthand = 01 (self) | 17:16 rsvd | 15 trigger = 0
 *   (edge) | 13 rsvd | 12 delivery status = 0 | 10:8 mode = 000 (fixed) |
 *   7:4 not 0000
 * Bits 14 (level) and 11 (destination mode) are not looked at. */
#define VICR_MUST_BE_0     0xfffbb700u
#define VICR_SELF          (1u << 18)

/* --- the virtual-APIC page --------------------------------------------- */

static uint64_t vapic(const struct vmx *v)
{
	return VMCS_GET(v, VIRTUAL_APIC_ADDR) & ~0xfffull;
}

static uint32_t vapic_read32(struct cpu *cpu, unsigned off)
{
	return (uint32_t)bus_read(cpu->bus, vapic(cpu->vmx) + off, 4);
}

static void vapic_write32(struct cpu *cpu, unsigned off, uint32_t val)
{
	bus_write(cpu->bus, vapic(cpu->vmx) + off, 4, val);
}

/* VISR and VIRR (§29.1.1): bit x is bit (x & 1FH) of the 32-bit field at
 * base | ((x & E0H) >> 1). */
static void vapic_set_bit(struct cpu *cpu, unsigned base, unsigned x, bool on)
{
	unsigned off = base | ((x & 0xe0u) >> 1);
	uint32_t w = vapic_read32(cpu, off);

	w = on ? w | (1u << (x & 31)) : w & ~(1u << (x & 31));
	vapic_write32(cpu, off, w);
}

/* The highest index of a bit set in VISR or VIRR, 0 when none is. */
static unsigned vapic_highest(struct cpu *cpu, unsigned base)
{
	for (int i = 7; i >= 0; i--) {
		uint32_t w = vapic_read32(cpu, base | ((unsigned)i << 4));

		if (w)
			return (unsigned)i * 32 + 31 - (unsigned)__builtin_clz(w);
	}
	return 0;
}

/* Guest interrupt status (VMCS 0x0810): RVI in bits 7:0, SVI in 15:8. */
static unsigned rvi(const struct vmx *v)
{
	return (unsigned)VMCS_GET(v, GUEST_INTR_STATUS) & 0xff;
}

static unsigned svi(const struct vmx *v)
{
	return ((unsigned)VMCS_GET(v, GUEST_INTR_STATUS) >> 8) & 0xff;
}

static void set_intr_status(struct vmx *v, unsigned r, unsigned s)
{
	VMCS_SET(v, GUEST_INTR_STATUS, (r & 0xff) | (s & 0xff) << 8);
}

static bool vid(const struct vmx *v)
{
	return (vmx_proc2(v) & PROC2_VIRT_INTR_DELIVERY) != 0;
}

/* --- §29.1-§29.2: the virtual-interrupt machinery ---------------------- */

/* §29.2.1: evaluation of pending virtual interrupts.
 *   IF "interrupt-window exiting" is 0 AND RVI[7:4] > VPPR[7:4]
 *   THEN recognize a pending virtual interrupt. */
static void evaluate(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	unsigned vppr = vapic_read32(cpu, APICV_VPPR) & 0xff;

	v->vintr_recognized = !(VMCS_GET(v, PROC_CONTROLS) & VMX_PROC_INTR_WINDOW) &&
	                      (rvi(v) >> 4) > (vppr >> 4);
	if (v->vintr_recognized)
		cpu->vmx_events = true;
}

/* §29.1.3: PPR virtualization.
 *   IF VTPR[7:4] >= SVI[7:4] THEN VPPR <- VTPR & FFH ELSE VPPR <- SVI & F0H */
static void ppr_virtualize(struct cpu *cpu)
{
	const struct vmx *v = cpu->vmx;
	unsigned vtpr = vapic_read32(cpu, APICV_VTPR) & 0xff;
	unsigned s = svi(v);

	vapic_write32(cpu, APICV_VPPR, (vtpr >> 4) >= (s >> 4) ? vtpr : s & 0xf0);
}

/* §29.1.2: TPR virtualization, after VTPR was written.  Without virtual-
 * interrupt delivery, VTPR[7:4] below TPR threshold[3:0] is a TPR-below-
 * threshold exit (reason 43); with it, PPR virtualization and evaluation.
 * The exit is trap-like: the caller has RIP past the operation. */
static int tpr_virtualize(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;

	if (!vid(v)) {
		unsigned vtpr = vapic_read32(cpu, APICV_VTPR) & 0xff;

		if ((vtpr >> 4) < (VMCS_GET(v, TPR_THRESHOLD) & 0xf))
			return vmx_exit_plain(cpu, EXIT_TPR_BELOW_THRESHOLD, 0);
		return X_OK;
	}
	ppr_virtualize(cpu);
	evaluate(cpu);
	return X_OK;
}

static bool eoi_exit_bit(const struct vmx *v, unsigned vector)
{
	uint64_t w;

	switch (vector >> 6) {
	case 0: w = VMCS_GET(v, EOI_EXIT_BITMAP0); break;
	case 1: w = VMCS_GET(v, EOI_EXIT_BITMAP1); break;
	case 2: w = VMCS_GET(v, EOI_EXIT_BITMAP2); break;
	default: w = VMCS_GET(v, EOI_EXIT_BITMAP3); break;
	}
	return (w >> (vector & 63)) & 1;
}

/* §29.1.4: EOI virtualization (virtual-interrupt delivery only).
 *   Vector <- SVI; VISR[Vector] <- 0; SVI <- highest VISR bit or 0;
 *   PPR virtualization;
 *   IF EOI_exit_bitmap[Vector] THEN EOI-induced exit (reason 45, trap-like,
 *   qualification = Vector) ELSE evaluate pending virtual interrupts. */
static int eoi_virtualize(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	unsigned vector = svi(v);

	vapic_set_bit(cpu, APICV_VISR, vector, false);
	set_intr_status(v, rvi(v), vapic_highest(cpu, APICV_VISR));
	ppr_virtualize(cpu);
	if (eoi_exit_bit(v, vector))
		return vmx_exit_plain(cpu, EXIT_VIRTUALIZED_EOI, vector);
	evaluate(cpu);
	return X_OK;
}

/* §29.1.5: self-IPI virtualization.
 *   VIRR[Vector] <- 1; RVI <- max{RVI, Vector}; evaluate. */
static void self_ipi_virtualize(struct cpu *cpu, unsigned vector)
{
	struct vmx *v = cpu->vmx;

	vapic_set_bit(cpu, APICV_VIRR, vector, true);
	if (vector > rvi(v))
		set_intr_status(v, vector, svi(v));
	evaluate(cpu);
}

void apicv_entry(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;

	v->vintr_recognized = false;
	v->apic_solo = false;
	v->apic_write_pending = false;
	if (!vid(v))
		return;
	ppr_virtualize(cpu);
	evaluate(cpu);
}

bool apicv_wants_boundary(const struct vmx *v)
{
	return v->vintr_recognized || v->apic_solo || v->apic_write_pending;
}

/* §29.2.2: virtual-interrupt delivery.
 *   Vector <- RVI; VISR[Vector] <- 1; SVI <- Vector; VPPR <- Vector & F0H;
 *   VIRR[Vector] <- 0; RVI <- highest VIRR bit or 0;
 *   deliver interrupt with Vector through IDT;
 *   cease recognition of any pending virtual interrupt.
 * It is delivered as an external interrupt is (interruption type 0: no
 * exception bitmap, IDT-vectoring information if the delivery exits), and
 * wakes the processor from HLT but not from shutdown or wait-for-SIPI. */
int apicv_boundary_deliver(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	unsigned vector = rvi(v);
	int st;

	if (!v->vintr_recognized || !(cpu->rflags & RFLAGS_IF) || cpu->intr_shadow != 0 ||
	    (VMCS_GET(v, PROC_CONTROLS) & VMX_PROC_INTR_WINDOW) ||
	    (cpu->halted && v->guest_activity >= VMX_SHUTDOWN))
		return X_OK;
	vapic_set_bit(cpu, APICV_VISR, vector, true);
	vapic_write32(cpu, APICV_VPPR, vector & 0xf0);
	vapic_set_bit(cpu, APICV_VIRR, vector, false);
	set_intr_status(v, vapic_highest(cpu, APICV_VIRR), vector);
	v->vintr_recognized = false;
	cpu->halted = false;
	st = cpu_deliver_event(cpu, vector, VMX_INTR_EXTERNAL, false, 0, cpu->rip);
	if (st != X_OK || !cpu->vmx_nonroot)
		return st;
	/* The delivery is an operation of its own: a write it virtualized
	 * (its stack in the APIC-access page) is emulated before the
	 * handler runs. */
	return apicv_boundary_writes(cpu);
}

/* --- §29.3: MOV to CR8 ------------------------------------------------- */

int apicv_tpr_virtualize(struct cpu *cpu, unsigned len)
{
	uint64_t rip = cpu->rip;
	int st;

	/* A TPR-below-threshold exit is trap-like. */
	cpu->rip += len;
	st = tpr_virtualize(cpu);
	if (st == X_OK)
		cpu->rip = rip;
	return st;
}

/* --- §29.4: the APIC-access page --------------------------------------- */

bool vmx_apic_page(const struct cpu *cpu, uint64_t hpa)
{
	const struct vmx *v = cpu->vmx;

	return (vmx_proc2(v) & PROC2_VIRT_APIC_ACCESSES) &&
	       (hpa & ~0xfffull) == (VMCS_GET(v, APIC_ACCESS_ADDR) & ~0xfffull);
}

/* The registers of §29.4.2 (reads) and §29.4.3.1 (writes) under APIC-
 * register virtualization, by 16-byte register (offset >> 4):
 *   reads:  020 ID, 030 version, 080 TPR, 0B0 EOI, 0D0 LDR, 0E0 DFR,
 *           0F0 SVR, 100-170 ISR, 180-1F0 TMR, 200-270 IRR, 280 ESR,
 *           300/310 ICR, 320-370 LVT, 380 initial count, 3E0 divide
 *   writes: 020, 080, 0B0, 0D0, 0E0, 0F0, 280, 300, 310, 320-370, 380, 3E0 */
static bool reg_listed(unsigned off, bool write)
{
	unsigned r = off >> 4;

	if (off >= 0x400)
		return false;
	switch (r) {
	case 0x02: case 0x08: case 0x0b: case 0x0d: case 0x0e: case 0x0f:
	case 0x28: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34:
	case 0x35: case 0x36: case 0x37: case 0x38: case 0x3e:
		return true;
	case 0x03:
		return !write;
	default:
		/* ISR 100-170, TMR 180-1F0, IRR 200-270: reads only. */
		return !write && r >= 0x10 && r <= 0x27;
	}
}

bool apicv_virtualizes(uint32_t proc2, unsigned off, unsigned size, bool write)
{
	unsigned last = off + size - 1;

	/* "The access is more than 32 bits in size", "The access is not
	 * entirely contained within the low 4 bytes of a naturally aligned
	 * 16-byte region": an APIC-access exit. */
	if (size > 4 || (off & 0xc) || (last & 0xc) || (off >> 4) != (last >> 4))
		return false;
	if (proc2 & PROC2_APIC_REG_VIRT)
		return reg_listed(off, write);
	/* Without APIC-register virtualization: reads and writes of page
	 * offset 080H; with virtual-interrupt delivery also writes of 0B0H
	 * (EOI) and 300H (ICR low).  The offset is the access's own: a write
	 * to 081H exits. */
	if (off == APICV_VTPR)
		return true;
	return write && (proc2 & PROC2_VIRT_INTR_DELIVERY) &&
	       (off == APICV_VEOI || off == APICV_VICR_LO);
}

/* An APIC-access exit (reason 44, fault-like), recorded the way EPT
 * records its exits: the instruction unwinds and cpu_deliver_fault()
 * performs the exit (vmx.h, VMX_FAULT_VMEXIT). */
static int access_exit(struct cpu *cpu, uint64_t hpa, bool write)
{
	struct vmx *v = cpu->vmx;
	unsigned type = cpu->event_depth ? APIC_ACCESS_EVENT : write ? APIC_ACCESS_WRITE
	                                                            : APIC_ACCESS_READ;

	v->pending_exit_reason = EXIT_APIC_ACCESS;
	v->pending_exit_qual = (hpa & 0xfff) | (uint64_t)type << 12;
	cpu->fault.vector = VMX_FAULT_VMEXIT;
	cpu->fault.has_error = false;
	cpu->fault.error = 0;
	return X_FAULT;
}

/* §29.4.2: "The access is part of an operation for which the processor
 * has already virtualized a write to the APIC-access page" exits too. */
int vmx_apic_read(struct cpu *cpu, uint64_t hpa, unsigned size, uint64_t *val)
{
	struct vmx *v = cpu->vmx;
	unsigned off = (unsigned)(hpa & 0xfff);

	if (v->apic_write_pending || !apicv_virtualizes(vmx_proc2(v), off, size, false))
		return access_exit(cpu, hpa, false);
	*val = bus_read(cpu->bus, vapic(v) + off, size);
	return X_OK;
}

/* §29.4.3.1, and for the second write of one operation "with a different
 * page offset or a different size" an exit too.  The data goes to the
 * same offset of the virtual-APIC page; the emulation follows the
 * operation (see the top of this file). */
int vmx_apic_write(struct cpu *cpu, uint64_t hpa, unsigned size, uint64_t val)
{
	struct vmx *v = cpu->vmx;
	unsigned off = (unsigned)(hpa & 0xfff);

	if (!apicv_virtualizes(vmx_proc2(v), off, size, true) ||
	    (v->apic_write_pending && (v->apic_write_off != off || v->apic_write_size != size)))
		return access_exit(cpu, hpa, true);
	if (!v->apic_solo && cpu->event_depth == 0) {
		v->apic_solo = true;
		v->apic_solo_icount = cpu->icount;
		v->apic_solo_rip = cpu->rip;
		cpu->vmx_events = true;
		return X_RESTART;
	}
	bus_write(cpu->bus, vapic(v) + off, size, val);
	v->apic_write_pending = true;
	v->apic_write_off = (uint16_t)off;
	v->apic_write_size = (uint8_t)size;
	cpu->vmx_events = true;
	/* A REP string instruction stops after this iteration. */
	cpu->block_break = true;
	return X_OK;
}

int apicv_guest_physical(struct cpu *cpu, uint64_t hpa, unsigned eptf)
{
	struct vmx *v = cpu->vmx;

	if (eptf & EPTF_NOFAULT)
		return X_FAULT;
	/* Bits 11:0 are undefined for these types; softvtx gives the
	 * offset. */
	v->pending_exit_reason = EXIT_APIC_ACCESS;
	v->pending_exit_qual = (hpa & 0xfff) |
	                       (uint64_t)(cpu->event_depth ? APIC_ACCESS_GPA_EVENT : APIC_ACCESS_GPA)
	                               << 12;
	cpu->fault.vector = VMX_FAULT_VMEXIT;
	cpu->fault.has_error = false;
	cpu->fault.error = 0;
	return X_FAULT;
}

int vmx_apic_split_write(struct cpu *cpu, uint64_t hpa)
{
	return access_exit(cpu, hpa, true);
}

/* §29.4.3.2: APIC-write emulation, by the page offset of the write:
 *   080H       clear bytes 3:1 of VTPR, TPR virtualization
 *   0B0H       with virtual-interrupt delivery: clear VEOI, EOI
 *              virtualization; else an APIC-write exit
 *   300H       with virtual-interrupt delivery and a VICR_LO that asks for
 *              a fixed, edge-triggered self-IPI of vector >= 16: self-IPI
 *              virtualization; else an APIC-write exit
 *   310H-313H  clear bytes 2:0 of VICR_HI; nothing else
 *   any other  APIC-write exit (reason 56, qualification = the offset)
 * Every exit here is trap-like: RIP is already past the operation. */
int apicv_boundary_writes(struct cpu *cpu)
{
	struct vmx *v = cpu->vmx;
	unsigned off = v->apic_write_off;

	/* The boundary right after the restart comes before the instruction
	 * ran alone: keep it alone until it has (or a fault moved RIP). */
	if (!v->apic_write_pending && v->apic_solo && cpu->icount == v->apic_solo_icount &&
	    cpu->rip == v->apic_solo_rip)
		return X_OK;
	v->apic_solo = false;
	if (!v->apic_write_pending)
		return X_OK;
	v->apic_write_pending = false;
	if (off == APICV_VTPR) {
		vapic_write32(cpu, APICV_VTPR, vapic_read32(cpu, APICV_VTPR) & 0xff);
		return tpr_virtualize(cpu);
	}
	if (off == APICV_VEOI && vid(v)) {
		vapic_write32(cpu, APICV_VEOI, 0);
		return eoi_virtualize(cpu);
	}
	if (off == APICV_VICR_LO && vid(v)) {
		uint32_t icr = vapic_read32(cpu, APICV_VICR_LO);

		if (!(icr & VICR_MUST_BE_0) && (icr & VICR_SELF) && (icr & 0xf0)) {
			self_ipi_virtualize(cpu, icr & 0xff);
			return X_OK;
		}
	}
	if (off >= APICV_VICR_HI && off <= APICV_VICR_HI + 3) {
		vapic_write32(cpu, APICV_VICR_HI, vapic_read32(cpu, APICV_VICR_HI) & 0xff000000u);
		return X_OK;
	}
	return vmx_exit_plain(cpu, EXIT_APIC_WRITE, off);
}

/* --- §29.5: MSR-based accesses ----------------------------------------- */

/* RDMSR: with APIC-register virtualization, any ECX in 800H-8FFH reads
 * the 8 bytes at offset (ECX & FFH) << 4 of the virtual-APIC page; without
 * it only 808H (TPR) does, from offset 080H.  "This occurs even if the
 * local APIC is not in x2APIC mode" -- softvtx's CPUID reports no x2APIC
 * and its MSRs 800H-8FFH are #GP(0) otherwise, but the SDM makes these
 * accesses independent of the local APIC's mode, so they are virtualized
 * all the same.
 * WRMSR (each "even if the local APIC is not in x2APIC mode"):
 *   808H  #GP(0) if EDX:EAX[63:8] != 0; else bytes 87H:80H <- EDX:EAX,
 *         TPR virtualization
 *   80BH  (virtual-interrupt delivery) #GP(0) if EDX:EAX != 0; else bytes
 *         B7H:B0H <- 0, EOI virtualization
 *   83FH  (virtual-interrupt delivery) #GP(0) if EDX:EAX[63:8] != 0; else
 *         bytes 3F7H:3F0H <- EDX:EAX, then an APIC-write exit
 *         (qualification 3F0H) for a vector below 16, self-IPI
 *         virtualization otherwise
 * Anything else runs as it would without the control (#GP(0) here). */
int apicv_msr(struct cpu *cpu, const struct insn *in)
{
	struct vmx *v = cpu->vmx;
	uint32_t proc2 = vmx_proc2(v), ecx = (uint32_t)cpu->gpr[R_RCX];
	uint64_t val = (cpu->gpr[R_RDX] << 32) | (uint32_t)cpu->gpr[R_RAX];
	unsigned off = (ecx & 0xff) << 4;
	int st = X_OK;

	if ((ecx & ~0xffu) != 0x800 || !(VMCS_GET(v, PROC_CONTROLS) & PROC_USE_TPR_SHADOW) ||
	    !(proc2 & PROC2_VIRT_X2APIC_MODE))
		return X_OK;
	if (in->id == X86_INS_RDMSR) {
		if (!(proc2 & PROC2_APIC_REG_VIRT) && ecx != 0x808)
			return X_OK;
		val = bus_read(cpu->bus, vapic(v) + off, 8);
		cpu->gpr[R_RAX] = (uint32_t)val;
		cpu->gpr[R_RDX] = val >> 32;
		cpu->rip += in->len;
		return X_JUMP;
	}
	if (ecx == 0x808) {
		if (val >> 8)
			return cpu_gp0(cpu);
		bus_write(cpu->bus, vapic(v) + off, 8, val);
		cpu->rip += in->len;
		st = tpr_virtualize(cpu);
	} else if (ecx == 0x80b && (proc2 & PROC2_VIRT_INTR_DELIVERY)) {
		if (val)
			return cpu_gp0(cpu);
		bus_write(cpu->bus, vapic(v) + off, 8, 0);
		cpu->rip += in->len;
		st = eoi_virtualize(cpu);
	} else if (ecx == 0x83f && (proc2 & PROC2_VIRT_INTR_DELIVERY)) {
		if (val >> 8)
			return cpu_gp0(cpu);
		bus_write(cpu->bus, vapic(v) + off, 8, val);
		cpu->rip += in->len;
		if ((val & 0xf0) == 0)
			return vmx_exit_plain(cpu, EXIT_APIC_WRITE, APICV_SELF_IPI);
		self_ipi_virtualize(cpu, val & 0xff);
	} else {
		return X_OK;
	}
	return st == X_OK ? X_JUMP : st;
}
