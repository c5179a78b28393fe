# A profile that differs from skylake-x where two VM-entry control checks
# depend on it: the secondary controls force "enable EPT" on (allowed-0
# bit 1, so CTL-5 can fail), and EPT accessed/dirty flags are absent
# (IA32_VMX_EPT_VPID_CAP bit 21 = 0, so CTL-28 can fail; PML goes with
# them, INV-13).  Used by vmx-variant/ tests.
name = conform-ctl
0x480 = 0x00D81000_0000002B
0x481 = 0x000000FF_00000016
0x482 = 0xFFF9FFFE_0401E172
0x483 = 0x407FFFFF_00036DFF
0x484 = 0x0000FFFF_000011FF
0x485 = 0x00000000_600401E0
0x486 = 0x00000000_80000021
0x487 = 0x00000000_FFFFFFFF
0x488 = 0x00000000_00002000
0x489 = 0x00000000_003727FF
0x48A = 0x00000000_00000032
0x48B = 0x02557FFF_00000002
0x48C = 0x00000F01_06534141
0x48D = 0x000000FF_00000016
0x48E = 0xFFF9FFFE_04006172
0x48F = 0x407FFFFF_00036DFB
0x490 = 0x0000FFFF_000011FB
0x491 = 0x00000000_00000001
