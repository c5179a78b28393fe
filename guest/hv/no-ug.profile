# softvtx CPU profile for the hypervisor's test guest/hv-no-ug: the
# skylake-x reference profile (profiles/skylake-x.profile) without
# "unrestricted guest" (IA32_VMX_PROCBASED_CTLS2 allowed-1 bit 39 = control
# bit 7 cleared), as on Westmere and earlier VT-x parts.  guest/hv must
# skip its unrestricted-guest run and still run the vm86 one.

name = skylake-x-no-ug
0x480 = 0x00D81000_0000002B   # IA32_VMX_BASIC: rev 0x2B, 4096 bytes, WB, TRUE MSRs
0x481 = 0x000000FF_00000016   # IA32_VMX_PINBASED_CTLS
0x482 = 0xFFF9FFFE_0401E172   # IA32_VMX_PROCBASED_CTLS
0x483 = 0x407FFFFF_00036DFF   # IA32_VMX_EXIT_CTLS
0x484 = 0x0000FFFF_000011FF   # IA32_VMX_ENTRY_CTLS
0x485 = 0x00000000_600401E0   # IA32_VMX_MISC
0x486 = 0x00000000_80000021   # IA32_VMX_CR0_FIXED0: PE, NE, PG
0x487 = 0x00000000_FFFFFFFF   # IA32_VMX_CR0_FIXED1
0x488 = 0x00000000_00002000   # IA32_VMX_CR4_FIXED0: VMXE
0x489 = 0x00000000_003727FF   # IA32_VMX_CR4_FIXED1
0x48A = 0x00000000_00000032   # IA32_VMX_VMCS_ENUM: highest index 0x19
0x48B = 0x02577F7F_00000000   # IA32_VMX_PROCBASED_CTLS2
0x48C = 0x00000F01_06734141   # IA32_VMX_EPT_VPID_CAP
0x48D = 0x000000FF_00000016   # IA32_VMX_TRUE_PINBASED_CTLS
0x48E = 0xFFF9FFFE_04006172   # IA32_VMX_TRUE_PROCBASED_CTLS: CR3 exiting may be 0
0x48F = 0x407FFFFF_00036DFB   # IA32_VMX_TRUE_EXIT_CTLS: save debug controls may be 0
0x490 = 0x0000FFFF_000011FB   # IA32_VMX_TRUE_ENTRY_CTLS: load debug controls may be 0
0x491 = 0x00000000_00000001   # IA32_VMX_VMFUNC: EPTP switching
# 0x492 IA32_VMX_PROCBASED_CTLS3 and 0x493 IA32_VMX_EXIT_CTLS2: absent

# Model-specific choices (§9.2; shared/spec/README.md).
nmi_inject_sti_fails = 1                      # GUEST-85 fails the entry
ar_write_mask = 0x1F0FF                       # VMWRITE keeps these AR bits
debugctl_valid = 0x7FC3                       # GUEST-7
perf_global_ctrl_rsvd = 0xFFFFFFF8_FFFFFFF0   # 4 GP + 3 fixed counters
