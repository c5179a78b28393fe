#!/bin/sh
# vmexit-records.sh [--vmx-insn] FILE
#   Prints the `vmexit` records of FILE as a trace (traces/FORMAT.md,
#   version 1: the `# softvtx-trace 1` header, then the records in order),
#   ready for
#       softvtx trace-diff --ignore-counters A.exits B.exits
#   (docs/silicon.md).  FILE is either a softvtx trace (`softvtx run
#   --trace-events --trace-file FILE`) or the serial log of a hypervisor
#   that prints trace-format records among its other output, as the tiny
#   hypervisor (guest/hv) does, captured on silicon, under QEMU/KVM, Bochs
#   or softvtx.  Records are kept whole (counters, every key); other lines
#   (TAP, `hv ...` records, boot noise) and CRs are dropped.
#
#   --vmx-insn also keeps the `vmx-insn` records, which only a guest writes
#   (softvtx's own trace has none): for comparing two serial logs.
set -eu
kinds='$3 == "vmexit"'
if [ $# -ge 1 ] && [ "$1" = --vmx-insn ]; then
	kinds='$3 == "vmexit" || $3 == "vmx-insn"'
	shift
fi
if [ $# -ne 1 ]; then
	echo "usage: vmexit-records.sh [--vmx-insn] TRACE-OR-SERIAL-LOG" >&2
	exit 2
fi
echo "# softvtx-trace 1"
tr -d '\r' < "$1" | awk "(\$1 ~ /^[0-9]+\$/) && (\$2 ~ /^[0-9]+\$/) && ($kinds)"
