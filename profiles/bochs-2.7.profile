# softvtx CPU profile: what Debian 12's Bochs 2.7 reports for
# corei7_skylake_x (shared/spec/README.md "Debian's Bochs 2.7"): the
# skylake-x profile without posted interrupts (PIN bit 7), the monitor trap
# flag (PROC bit 27), exit control bit 30, mode-based execute control
# (PROC2 bit 22) and advanced EPT-violation information (CAP bit 22), and
# with IA32_VMX_VMCS_ENUM = 0x34.  Built in as `--cpu-profile bochs-2.7`.

name = bochs-2.7

0x480 = 0x00D81000_0000002B   # IA32_VMX_BASIC
0x481 = 0x0000007F_00000016   # IA32_VMX_PINBASED_CTLS: no posted interrupts
0x482 = 0xF7F9FFFE_0401E172   # IA32_VMX_PROCBASED_CTLS: no MTF
0x483 = 0x007FFFFF_00036DFF   # IA32_VMX_EXIT_CTLS: no save PERF_GLOBAL_CTRL
0x484 = 0x0000FFFF_000011FF   # IA32_VMX_ENTRY_CTLS
0x485 = 0x00000000_600401E0   # IA32_VMX_MISC
0x486 = 0x00000000_80000021   # IA32_VMX_CR0_FIXED0
0x487 = 0x00000000_FFFFFFFF   # IA32_VMX_CR0_FIXED1
0x488 = 0x00000000_00002000   # IA32_VMX_CR4_FIXED0
0x489 = 0x00000000_003727FF   # IA32_VMX_CR4_FIXED1
0x48A = 0x00000000_00000034   # IA32_VMX_VMCS_ENUM
0x48B = 0x02177FFF_00000000   # IA32_VMX_PROCBASED_CTLS2: no MBE
0x48C = 0x00000F01_06334141   # IA32_VMX_EPT_VPID_CAP: no advanced EPT-violation info
0x48D = 0x0000007F_00000016   # IA32_VMX_TRUE_PINBASED_CTLS
0x48E = 0xF7F9FFFE_04006172   # IA32_VMX_TRUE_PROCBASED_CTLS
0x48F = 0x007FFFFF_00036DFB   # IA32_VMX_TRUE_EXIT_CTLS
0x490 = 0x0000FFFF_000011FB   # IA32_VMX_TRUE_ENTRY_CTLS
0x491 = 0x00000000_00000001   # IA32_VMX_VMFUNC

nmi_inject_sti_fails = 1
ar_write_mask = 0xFFFFFFFF                   # Bochs 2.7 keeps reserved AR bits (tests/xrun)
debugctl_valid = 0x7FC3
perf_global_ctrl_rsvd = 0xFFFFFFF8_FFFFFFF0
