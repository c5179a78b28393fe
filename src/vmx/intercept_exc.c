/* Exits caused by events in VMX non-root operation: exceptions through the
 * exception bitmap, the EPT exits that memory accesses leave pending, the
 * triple fault, and the IDT-vectoring information of exits that happen
 * while an event is being delivered (SDM Vol. 3C §25.2, §27.2.1-§27.2.4;
 * shared/spec/vm-exits.md §2.4, §3.1, §4, §6).
 *
 * events.c calls in at three points, only while cpu->vmx_nonroot:
 *   - cpu_deliver_fault(): an instruction's exception, before delivery
 *     (vmx_exception_intercept);
 *   - INT3, INTO and INT1 before delivery, as exceptions of types 6 and 5
 *     (vmx_event_intercept; INT n, type 4, is never intercepted);
 *   - a fault raised while delivering an event (vmx_delivery_fault): a
 *     pending EPT exit, a triple fault, or the bitmap for the next event,
 *     with the event being delivered as IDT-vectoring information.
 */
#include "intercept.h"

#include "../cpu/cpu.h"
#include "exit.h"
#include "vmcs.h"

/* DR6-format bits of the #DB qualification (§3.1): B0-B3, BD, BS. */
#define DB_QUAL_MASK 0x600full

/* "NMI unblocking due to IRET" in the EPT-violation and PML-full
 * qualifications (ept.md §6, §8); INTR_INFO_NMI_UNBLOCK in the VM-exit
 * interruption information. */
#define QUAL_NMI_UNBLOCK (1ull << 12)

bool vmx_exception_exits(const struct vmx *v, unsigned vector, uint32_t pfec)
{
	bool bit;

	if (vector >= 32)
		return false;
	bit = (VMCS_GET(v, EXCEPTION_BITMAP) >> vector) & 1;
	/* §2.4: for #PF the bitmap bit says whether a matching error code
	 * exits: match = (PFEC & PFEC_MASK) == PFEC_MATCH, exit iff
	 * match == bit. */
	if (vector == EXC_PF) {
		bool match = (pfec & (uint32_t)VMCS_GET(v, PF_ERROR_CODE_MASK)) ==
		             (uint32_t)VMCS_GET(v, PF_ERROR_CODE_MATCH);

		return match == bit;
	}
	return bit;
}

static bool soft_type(unsigned type)
{
	return type == INTR_TYPE_SOFT_INT || type == INTR_TYPE_PRIV_SOFT ||
	       type == INTR_TYPE_SOFT_EXC;
}

/* §6: the IDT-vectoring information (and error code) of an exit; `during`
 * is the event whose delivery was under way, NULL if none.  A software
 * event's instruction length goes to the instruction-length field. */
static void record_idt_vectoring(struct vmx *v, const struct vmx_intr *during)
{
	if (!during) {
		VMCS_SET(v, IDT_VECTORING_INFO, 0);
		return;
	}
	VMCS_SET(v, IDT_VECTORING_INFO, intr_info(during->vector, during->type, during->has_error));
	if (during->has_error)
		VMCS_SET(v, IDT_VECTORING_ERROR_CODE, during->error);
	if (soft_type(during->type))
		VMCS_SET(v, EXIT_INSTRUCTION_LEN, during->len);
}

/* RFLAGS.RF as the delivery of `ev` would have pushed it (vm-exits.md §8,
 * SDM Vol. 3A §17.3.1.1): 1 for fault-class exceptions other than #DB,
 * 0 for INT n, INT3 and INTO, unchanged for the rest. */
static void set_rf_as_pushed(struct cpu *cpu, const struct vmx_intr *ev)
{
	if (ev->type == INTR_TYPE_SOFT_INT || ev->type == INTR_TYPE_SOFT_EXC) {
		cpu->rflags &= ~(uint64_t)RFLAGS_RF;
		return;
	}
	if (ev->type != INTR_TYPE_HW_EXC)
		return;
	switch (ev->vector) {
	case EXC_DB: case EXC_NMI: case EXC_BP: case EXC_OF: case EXC_DF: case EXC_MC:
		break;
	default:
		cpu->rflags |= RFLAGS_RF;
		break;
	}
}

int vmx_exit_plain(struct cpu *cpu, uint32_t reason, uint64_t qual)
{
	struct vmx *v = cpu->vmx;

	VMCS_SET(v, EXIT_INTR_INFO, 0);
	VMCS_SET(v, IDT_VECTORING_INFO, 0);
	return vmx_exit(cpu, reason, qual);
}

/* Exit reason 0 for exception `ev`, raised while delivering `during`
 * (NULL: not during delivery).  §2.4: the architectural side effects of
 * delivery do not happen -- CR2 is not written for #PF (the address is the
 * qualification), DR6 is not written for #DB (its bits are).
 * `nmi_unblock`: it is the fault of an IRET that removed (virtual-)NMI
 * blocking (nmi.c); §4 sets bit 12 then, except for #DF. */
static int exception_exit(struct cpu *cpu, const struct vmx_intr *ev,
                          const struct vmx_intr *during, bool nmi_unblock)
{
	struct vmx *v = cpu->vmx;
	uint64_t qual = 0;

	if (ev->type == INTR_TYPE_HW_EXC && ev->vector == EXC_PF) {
		qual = cpu->fault.cr2;
	} else if (ev->type == INTR_TYPE_HW_EXC && ev->vector == EXC_DB) {
		qual = cpu->fault.db_bits & DB_QUAL_MASK;
		cpu->dr[6] = cpu->fault.db_dr6;
	}
	VMCS_SET(v, EXIT_INTR_INFO, intr_info(ev->vector, ev->type, ev->has_error) |
	                            (nmi_unblock && ev->vector != EXC_DF ? INTR_INFO_NMI_UNBLOCK : 0));
	if (ev->has_error)
		VMCS_SET(v, EXIT_INTR_ERROR_CODE, ev->error);
	if (soft_type(ev->type))
		VMCS_SET(v, EXIT_INSTRUCTION_LEN, ev->len);
	record_idt_vectoring(v, during);
	set_rf_as_pushed(cpu, ev);
	return vmx_exit(cpu, EXIT_EXCEPTION_NMI, qual);
}

/* The EPT violation or misconfiguration ept.c recorded (VMX_FAULT_VMEXIT).
 * RF: 1 when not during delivery, else as the delivered event would have
 * pushed it (vm-exits.md §8).  `nmi_unblock` as for exception_exit(): bit
 * 12 of the EPT-violation and PML-full qualifications (the misconfiguration
 * qualification is 0, and bits 15:12 of the APIC-access one are the access
 * type, §3.7). */
static int pending_exit(struct cpu *cpu, const struct vmx_intr *during, bool nmi_unblock)
{
	struct vmx *v = cpu->vmx;

	if (nmi_unblock && (v->pending_exit_reason == EXIT_EPT_VIOLATION ||
	                    v->pending_exit_reason == EXIT_PML_FULL))
		v->pending_exit_qual |= QUAL_NMI_UNBLOCK;
	VMCS_SET(v, EXIT_INTR_INFO, 0);
	record_idt_vectoring(v, during);
	if (during)
		set_rf_as_pushed(cpu, during);
	else
		cpu->rflags |= RFLAGS_RF;
	return vmx_exit(cpu, v->pending_exit_reason, v->pending_exit_qual);
}

/* An exception raised as cpu->fault: a hardware exception (type 3).
 * Error codes are pushed only in protected mode and only for the vectors
 * that have one (SDM Vol. 3A §6.3.1, §20.1.4). */
static struct vmx_intr fault_event(const struct cpu *cpu)
{
	unsigned vec = cpu->fault.vector;
	bool errvec = vec == EXC_DF || vec == EXC_TS || vec == EXC_NP || vec == EXC_SS ||
	              vec == EXC_GP || vec == EXC_PF || vec == EXC_AC;

	return (struct vmx_intr){
		.vector = (uint8_t)vec,
		.type = INTR_TYPE_HW_EXC,
		.has_error = errvec && cpu->fault.has_error && (cpu->cr0 & CR0_PE),
		.error = cpu->fault.error,
	};
}

int vmx_exception_intercept(struct cpu *cpu)
{
	/* Is this the fault of an IRET that unblocked NMIs (nmi.c)?  Taken
	 * whatever follows: if the fault is delivered instead, an exit
	 * during its delivery leaves bit 12 undefined, written as 0. */
	bool unblocked = vmx_iret_take_unblocked(cpu->vmx);
	struct vmx_intr ev;

	if (cpu->fault.vector == VMX_FAULT_VMEXIT)
		return pending_exit(cpu, NULL, unblocked);
	ev = fault_event(cpu);
	if (!vmx_exception_exits(cpu->vmx, ev.vector, ev.error))
		return X_OK;
	return exception_exit(cpu, &ev, NULL, unblocked);
}

int vmx_event_intercept(struct cpu *cpu, const struct vmx_intr *ev)
{
	/* INT n (type 4) never exits by itself (§2.4); the NMI and external
	 * interrupt controls concern platform sources, which reach the guest
	 * only by injection here. */
	if (ev->type != INTR_TYPE_HW_EXC && ev->type != INTR_TYPE_PRIV_SOFT &&
	    ev->type != INTR_TYPE_SOFT_EXC)
		return X_OK;
	if (!vmx_exception_exits(cpu->vmx, ev->vector, ev->error))
		return X_OK;
	return exception_exit(cpu, ev, NULL, false);
}

int vmx_delivery_fault(struct cpu *cpu, const struct vmx_intr *during, bool becomes_df)
{
	struct vmx_intr ev;

	if (cpu->fault.vector == VMX_FAULT_VMEXIT)
		return pending_exit(cpu, during, false);
	/* A fault while delivering #DF: triple fault, exit reason 2 -- not
	 * "during delivery" (§4). */
	if (during->type == INTR_TYPE_HW_EXC && during->vector == EXC_DF)
		return vmx_triple_fault(cpu);
	if (becomes_df) {
		/* The #DF the two exceptions make is what the bitmap sees
		 * (§2.4), and it is not during delivery either.  A #PF that
		 * turned into it was detected: CR2 is loaded, as events.c
		 * does outside VMX. */
		if (cpu->fault.vector == EXC_PF)
			cpu->cr2 = cpu->fault.cr2;
		ev = (struct vmx_intr){ .vector = EXC_DF, .type = INTR_TYPE_HW_EXC,
		                        .has_error = (cpu->cr0 & CR0_PE) != 0, .error = 0 };
		during = NULL;
	} else {
		ev = fault_event(cpu);
	}
	if (!vmx_exception_exits(cpu->vmx, ev.vector, ev.error))
		return X_OK;
	return exception_exit(cpu, &ev, during, false);
}

/* A task switch (§1 row 9, §3.5): qualification
 *   31:30 source (0 CALL, 1 IRET, 2 JMP, 3 task gate in IDT) | 15:0 TSS selector
 * An instruction's switch records its length; one through a task gate in
 * the IDT happens during the delivery of vmx->task_event. */
int vmx_task_switch(struct cpu *cpu, uint16_t sel, unsigned source, unsigned len)
{
	struct vmx *v = cpu->vmx;

	VMCS_SET(v, EXIT_INTR_INFO, 0);
	if (source == 3) {
		record_idt_vectoring(v, &v->task_event);
	} else {
		VMCS_SET(v, IDT_VECTORING_INFO, 0);
		VMCS_SET(v, EXIT_INSTRUCTION_LEN, len);
	}
	return vmx_exit(cpu, EXIT_TASK_SWITCH, sel | ((uint64_t)source << 30));
}

/* SDM §25.2: a triple fault in non-root operation is a VM exit, never a
 * shutdown. */
int vmx_triple_fault(struct cpu *cpu)
{
	return vmx_exit_plain(cpu, EXIT_TRIPLE_FAULT, 0);
}
