/* VM exits (shared/spec/vm-exits.md): basic exit reasons and the one
 * function every exit goes through. */
#ifndef SOFTVTX_VMX_EXIT_H
#define SOFTVTX_VMX_EXIT_H

#include <stdint.h>

struct cpu;

/* Basic exit reasons, shared/spec/vm-exits.md §1 (SDM Appendix C). */
enum vmx_exit_reason {
	EXIT_EXCEPTION_NMI = 0,
	EXIT_EXTERNAL_INTERRUPT = 1,
	EXIT_TRIPLE_FAULT = 2,
	EXIT_INIT = 3,
	EXIT_SIPI = 4,
	EXIT_IO_SMI = 5,
	EXIT_OTHER_SMI = 6,
	EXIT_INTERRUPT_WINDOW = 7,
	EXIT_NMI_WINDOW = 8,
	EXIT_TASK_SWITCH = 9,
	EXIT_CPUID = 10,
	EXIT_GETSEC = 11,
	EXIT_HLT = 12,
	EXIT_INVD = 13,
	EXIT_INVLPG = 14,
	EXIT_RDPMC = 15,
	EXIT_RDTSC = 16,
	EXIT_RSM = 17,
	EXIT_VMCALL = 18,
	EXIT_VMCLEAR = 19,
	EXIT_VMLAUNCH = 20,
	EXIT_VMPTRLD = 21,
	EXIT_VMPTRST = 22,
	EXIT_VMREAD = 23,
	EXIT_VMRESUME = 24,
	EXIT_VMWRITE = 25,
	EXIT_VMXOFF = 26,
	EXIT_VMXON = 27,
	EXIT_CR_ACCESS = 28,
	EXIT_DR_ACCESS = 29,
	EXIT_IO_INSTRUCTION = 30,
	EXIT_RDMSR = 31,
	EXIT_WRMSR = 32,
	EXIT_INVALID_GUEST_STATE = 33,
	EXIT_MSR_LOADING = 34,
	EXIT_MWAIT = 36,
	EXIT_MONITOR_TRAP_FLAG = 37,
	EXIT_MONITOR = 39,
	EXIT_PAUSE = 40,
	EXIT_MACHINE_CHECK = 41,
	EXIT_TPR_BELOW_THRESHOLD = 43,
	EXIT_APIC_ACCESS = 44,
	EXIT_VIRTUALIZED_EOI = 45,
	EXIT_GDTR_IDTR = 46,
	EXIT_LDTR_TR = 47,
	EXIT_EPT_VIOLATION = 48,
	EXIT_EPT_MISCONFIG = 49,
	EXIT_INVEPT = 50,
	EXIT_RDTSCP = 51,
	EXIT_PREEMPTION_TIMER = 52,
	EXIT_INVVPID = 53,
	EXIT_WBINVD = 54,
	EXIT_XSETBV = 55,
	EXIT_APIC_WRITE = 56,
	EXIT_RDRAND = 57,
	EXIT_INVPCID = 58,
	EXIT_VMFUNC = 59,
	EXIT_ENCLS = 60,
	EXIT_RDSEED = 61,
	EXIT_PML_FULL = 62,
	EXIT_XSAVES = 63,
	EXIT_XRSTORS = 64,
	EXIT_REASON_COUNT = 86,
};

#define EXIT_REASON_ENTRY_FAIL (1u << 31)

/* Name of a basic exit reason ("CPUID"), "?" if unknown. */
const char *vmx_exit_reason_name(unsigned reason);

/* Perform a VM exit from non-root operation (SDM Vol. 3C §27,
 * shared/spec/vm-exits.md §6-§11).  The caller has already written the
 * exit-information fields it owns (instruction length and information,
 * guest-linear/physical address, interruption information, IDT-vectoring
 * information) with VMCS_SET; this records the reason and qualification,
 * saves guest state from the cpu (RIP as the cpu holds it: the caller
 * advances it first for trap-like exits), stores MSRs, loads host state
 * and loads MSRs.  Returns X_VMEXIT (or X_STOP after a VMX abort, with
 * cpu->stop = STOP_SHUTDOWN). */
int vmx_exit(struct cpu *cpu, uint32_t reason, uint64_t qual);

/* Fill the exit-instruction-length field from the instruction at cpu->rip
 * (helper for instruction-caused exits). */
void vmx_exit_set_insn_len(struct cpu *cpu, unsigned len);

#endif
