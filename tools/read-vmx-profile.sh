#!/bin/sh
# read-vmx-profile.sh [--cpu N] [--msr-file FILE] [--name NAME] [OUT]
#
# Reads the VMX capability MSRs IA32_VMX_BASIC (0x480) .. IA32_VMX_EXIT_CTLS2
# (0x493) of a Linux machine and writes them as a softvtx CPU profile
# (docs/cpu-profiles.md) to OUT (default: standard output), for
#     softvtx run --cpu-profile OUT IMAGE
#
# The MSRs are read the way rdmsr(8) reads them: 8 bytes at offset MSR-index
# of /dev/cpu/N/msr (the msr driver: `modprobe msr`, root), little-endian.
# A read that fails (EIO: the CPU raised #GP, the MSR does not exist) leaves
# the MSR out, which is how the format marks it absent.  A gated MSR whose
# gate is not reported (docs/cpu-profiles.md "Absent MSRs", spec §1) is left
# out too, with a comment, even if the CPU (or a hypervisor) answers it.
# IA32_FEATURE_CONTROL (0x3A) is written as a comment: it is no part of a
# profile; pass it to softvtx with --feature-control.
#
# --msr-file FILE reads a regular file instead, which is how tests check
# this script: a sparse file with each MSR's 8 bytes at offset 8 * index (a
# plain file cannot overlap reads the way the msr device does).
set -eu

cpu=0
dev=
name=
out=
while [ $# -gt 0 ]; do
	case $1 in
	--cpu) cpu=$2; shift 2 ;;
	--msr-file) dev=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	-h|--help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "read-vmx-profile.sh: unknown option $1" >&2; exit 2 ;;
	*) out=$1; shift ;;
	esac
done
fake=$dev
[ -n "$dev" ] || dev=/dev/cpu/$cpu/msr
if [ ! -r "$dev" ]; then
	echo "read-vmx-profile.sh: cannot read $dev (as root: modprobe msr)" >&2
	exit 1
fi
if [ -z "$name" ]; then
	name=$(hostname -s 2>/dev/null | tr -c 'A-Za-z0-9._\n-' '_' | cut -c1-31)
	[ -n "$name" ] || name=this-machine
fi

# rdmsr INDEX: the MSR as 16 hex digits, or nothing when the read fails.
rdmsr() {
	if [ -n "$fake" ]; then
		skip="skip=$(($1))"
	else
		skip="skip=$(($1)) iflag=skip_bytes"
	fi
	# shellcheck disable=SC2086
	v=$(dd if="$dev" bs=8 count=1 $skip 2>/dev/null |
	    od -An -tx8 | tr -d ' \n')
	[ ${#v} -eq 16 ] && echo "$v"
	return 0
}
# bit HEX16 N: 1 when bit N of the 64-bit value HEX16 is set (each 32-bit
# half on its own: the shell's arithmetic is signed 64-bit).
bit() {
	if [ "$2" -ge 32 ]; then
		echo $(( (0x$(echo "$1" | cut -c1-8) >> ($2 - 32)) & 1 ))
	else
		echo $(( (0x$(echo "$1" | cut -c9-16) >> $2) & 1 ))
	fi
}
upper() {
	echo "$1" | tr a-f A-F
}

basic=$(rdmsr 0x480)
if [ -z "$basic" ]; then
	echo "read-vmx-profile.sh: IA32_VMX_BASIC (0x480) cannot be read: no VMX on this CPU, or VMX hidden by a hypervisor or the firmware" >&2
	exit 1
fi
proc=$(rdmsr 0x482)
exitc=$(rdmsr 0x483)
proc2=
if [ -n "$proc" ] && [ "$(bit "$proc" 63)" = 1 ]; then
	proc2=$(rdmsr 0x48B)
fi

# gate INDEX: why the MSR must be absent, or nothing if it may be present.
gate() {
	case $1 in
	0x48B) [ -n "$proc" ] && [ "$(bit "$proc" 63)" = 1 ] || echo "primary bit 31 (activate secondary controls) cannot be 1" ;;
	0x48C) [ -n "$proc2" ] && { [ "$(bit "$proc2" 33)" = 1 ] || [ "$(bit "$proc2" 37)" = 1 ]; } ||
		echo "neither EPT nor VPID can be enabled" ;;
	0x48D|0x48E|0x48F|0x490) [ "$(bit "$basic" 55)" = 1 ] || echo "IA32_VMX_BASIC[55] = 0" ;;
	0x491) [ -n "$proc2" ] && [ "$(bit "$proc2" 45)" = 1 ] || echo "secondary bit 13 (enable VM functions) cannot be 1" ;;
	0x492) [ -n "$proc" ] && [ "$(bit "$proc" 49)" = 1 ] || echo "primary bit 17 (activate tertiary controls) cannot be 1" ;;
	0x493) [ -n "$exitc" ] && [ "$(bit "$exitc" 63)" = 1 ] || echo "exit bit 31 (activate secondary exit controls) cannot be 1" ;;
	esac
}

emit() {
	echo "# softvtx CPU profile read by tools/read-vmx-profile.sh from $dev"
	echo "# on $(date -u +%Y-%m-%d) ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1))."
	echo "# Check it with: softvtx run --cpu-profile FILE IMAGE (docs/cpu-profiles.md"
	echo "# says how to edit a profile that fails SUPPORT)."
	fc=$(rdmsr 0x3A)
	[ -n "$fc" ] && echo "# IA32_FEATURE_CONTROL = 0x$(upper "$fc") (softvtx run --feature-control 0x$(upper "$fc"))"
	echo
	echo "name = $name"
	echo
	for m in 0x480:IA32_VMX_BASIC 0x481:IA32_VMX_PINBASED_CTLS \
		0x482:IA32_VMX_PROCBASED_CTLS 0x483:IA32_VMX_EXIT_CTLS \
		0x484:IA32_VMX_ENTRY_CTLS 0x485:IA32_VMX_MISC \
		0x486:IA32_VMX_CR0_FIXED0 0x487:IA32_VMX_CR0_FIXED1 \
		0x488:IA32_VMX_CR4_FIXED0 0x489:IA32_VMX_CR4_FIXED1 \
		0x48A:IA32_VMX_VMCS_ENUM 0x48B:IA32_VMX_PROCBASED_CTLS2 \
		0x48C:IA32_VMX_EPT_VPID_CAP 0x48D:IA32_VMX_TRUE_PINBASED_CTLS \
		0x48E:IA32_VMX_TRUE_PROCBASED_CTLS 0x48F:IA32_VMX_TRUE_EXIT_CTLS \
		0x490:IA32_VMX_TRUE_ENTRY_CTLS 0x491:IA32_VMX_VMFUNC \
		0x492:IA32_VMX_PROCBASED_CTLS3 0x493:IA32_VMX_EXIT_CTLS2; do
		idx=${m%%:*}
		msr=${m#*:}
		why=$(gate "$idx")
		v=$(rdmsr "$idx")
		if [ -n "$why" ]; then
			[ -n "$v" ] && echo "# $idx ($msr) answers 0x$(upper "$v") but is absent: $why"
			continue
		fi
		if [ -z "$v" ]; then
			echo "# $idx ($msr): the read failed (#GP): absent"
			continue
		fi
		v=$(upper "$v")
		echo "$idx = 0x$(echo "$v" | cut -c1-8)_$(echo "$v" | cut -c9-16)   # $msr"
	done
}

if [ -n "$out" ]; then
	emit > "$out"
else
	emit
fi
