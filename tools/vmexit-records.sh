#!/bin/sh
# vmexit-records.sh FILE
#   Prints the VM exits recorded in FILE as trace records (traces/FORMAT.md,
#   version 1) that only hold what a hypervisor can observe on any machine:
#
#       # softvtx-trace 1
#       0 0 vmexit reason=30 qual=0x800040 rip=0xf00e
#
#   FILE is either a softvtx trace (`softvtx run --trace-events --trace-file
#   FILE`: its `vmexit` records) or the serial log of the tiny hypervisor
#   (guest/hv: its `hv cfg=... ev=exit n=.. reason=.. qual=.. rip=..` lines),
#   from softvtx, Bochs, QEMU/KVM or bare metal.  The counters are 0 (the
#   serial log has none) and `name`, `ilen`, the other optional keys and the
#   hv's `cs`/`len` are left out, so that the two kinds of file give the same
#   records for the same exits.  Compare two of them with
#       softvtx trace-diff --ignore-counters A.exits B.exits
#   (docs/silicon.md).  A serial log's CRs are dropped.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: vmexit-records.sh TRACE-OR-HV-SERIAL-LOG" >&2
	exit 2
fi
echo "# softvtx-trace 1"
tr -d '\r' < "$1" | awk '
function field(key,    i) {
	for (i = 1; i <= NF; i++)
		if (index($i, key "=") == 1)
			return substr($i, length(key) + 2)
	return ""
}
($3 == "vmexit") || ($1 == "hv" && $3 == "ev=exit") {
	printf "0 0 vmexit reason=%s qual=%s rip=%s\n", field("reason"), field("qual"), field("rip")
}'
