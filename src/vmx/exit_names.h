/* Facts about the basic exit reasons (shared/spec/vm-exits.md §1, §6):
 * their names, as Linux spells them, and which exit-information fields
 * are valid.  Shared by softvtx (exit.c, the trace records of vtx.c) and
 * by guest programs that print the same records (guest/hv writes
 * trace-format records over serial). */
#ifndef SOFTVTX_VMX_EXIT_NAMES_H
#define SOFTVTX_VMX_EXIT_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "exit.h"

#define VMX_EXIT_NAME_COUNT 86

static const char *const vmx_exit_names[VMX_EXIT_NAME_COUNT] = {
	[0] = "EXCEPTION_NMI", [1] = "EXTERNAL_INTERRUPT", [2] = "TRIPLE_FAULT",
	[3] = "INIT_SIGNAL", [4] = "SIPI_SIGNAL", [5] = "IO_SMI", [6] = "OTHER_SMI",
	[7] = "INTERRUPT_WINDOW", [8] = "NMI_WINDOW", [9] = "TASK_SWITCH", [10] = "CPUID",
	[11] = "GETSEC", [12] = "HLT", [13] = "INVD", [14] = "INVLPG", [15] = "RDPMC",
	[16] = "RDTSC", [17] = "RSM", [18] = "VMCALL", [19] = "VMCLEAR", [20] = "VMLAUNCH",
	[21] = "VMPTRLD", [22] = "VMPTRST", [23] = "VMREAD", [24] = "VMRESUME",
	[25] = "VMWRITE", [26] = "VMXOFF", [27] = "VMXON", [28] = "CR_ACCESS",
	[29] = "DR_ACCESS", [30] = "IO_INSTRUCTION", [31] = "MSR_READ", [32] = "MSR_WRITE",
	[33] = "INVALID_STATE", [34] = "MSR_LOAD_FAIL", [36] = "MWAIT_INSTRUCTION",
	[37] = "MONITOR_TRAP_FLAG", [39] = "MONITOR_INSTRUCTION", [40] = "PAUSE_INSTRUCTION",
	[41] = "MCE_DURING_VMENTRY", [43] = "TPR_BELOW_THRESHOLD", [44] = "APIC_ACCESS",
	[45] = "EOI_INDUCED", [46] = "GDTR_IDTR", [47] = "LDTR_TR", [48] = "EPT_VIOLATION",
	[49] = "EPT_MISCONFIG", [50] = "INVEPT", [51] = "RDTSCP", [52] = "PREEMPTION_TIMER",
	[53] = "INVVPID", [54] = "WBINVD", [55] = "XSETBV", [56] = "APIC_WRITE",
	[57] = "RDRAND", [58] = "INVPCID", [59] = "VMFUNC", [60] = "ENCLS", [61] = "RDSEED",
	[62] = "PML_FULL", [63] = "XSAVES", [64] = "XRSTORS", [65] = "PCONFIG",
	[66] = "SPP", [67] = "UMWAIT", [68] = "TPAUSE", [69] = "LOADIWKEY", [70] = "ENCLV",
	[72] = "ENQCMD_PASID_FAIL", [73] = "ENQCMDS_PASID_FAIL", [74] = "BUS_LOCK",
	[75] = "NOTIFY", [76] = "SEAMCALL", [77] = "TDCALL", [78] = "RDMSRLIST",
	[79] = "WRMSRLIST", [80] = "URDMSR", [81] = "UWRMSR", [84] = "RDMSR_IMM",
	[85] = "WRMSRNS_IMM",
};

/* Exits caused by executing an instruction: the VM-exit instruction length
 * is valid (shared/spec/vm-exits.md §6). */
static inline bool vmx_exit_has_insn_len(uint32_t r)
{
	return (r >= EXIT_CPUID && r <= EXIT_WRMSR && r != EXIT_RSM) || r == EXIT_MWAIT ||
	       r == EXIT_MONITOR || r == EXIT_PAUSE || r == EXIT_GDTR_IDTR || r == EXIT_LDTR_TR ||
	       (r >= EXIT_INVEPT && r <= EXIT_INVVPID && r != EXIT_PREEMPTION_TIMER) ||
	       r == EXIT_WBINVD || r == EXIT_XSETBV || (r >= EXIT_RDRAND && r <= EXIT_RDSEED) ||
	       r == EXIT_XSAVES || r == EXIT_XRSTORS;
}

/* Reasons with an instruction-information field (vm-exits.md §1, §5);
 * INS/OUTS only for string I/O (qualification bit 4). */
static inline bool vmx_exit_has_insn_info(uint32_t r, uint64_t qual)
{
	switch (r) {
	case EXIT_VMCLEAR: case EXIT_VMPTRLD: case EXIT_VMPTRST: case EXIT_VMREAD:
	case EXIT_VMWRITE: case EXIT_VMXON: case EXIT_GDTR_IDTR: case EXIT_LDTR_TR:
	case EXIT_INVEPT: case EXIT_INVVPID: case EXIT_RDRAND: case EXIT_INVPCID:
	case EXIT_RDSEED: case EXIT_XSAVES: case EXIT_XRSTORS:
		return true;
	case EXIT_IO_INSTRUCTION:
		return qual & 0x10;
	default:
		return false;
	}
}

#endif
