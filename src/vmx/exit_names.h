/* Names of the basic exit reasons (shared/spec/vm-exits.md §1), as Linux
 * spells them.  One table for softvtx (exit.c: trace records, --stats)
 * and for guest programs that print the same names (guest/hv writes
 * trace-format records over serial). */
#ifndef SOFTVTX_VMX_EXIT_NAMES_H
#define SOFTVTX_VMX_EXIT_NAMES_H

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

#endif
