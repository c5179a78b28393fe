#!/bin/sh
# run-vmx.sh IMAGE SOFTVTX LOG [SOFTVTX-OPTIONS...]
#   Runs IMAGE.elf under softvtx (with the given run options, e.g.
#   --cpu-profile bochs-2.7), prints its TAP output and keeps a copy in
#   LOG (tests/vmx/coverage.py reads the check IDs from there).  Passes when
#   the guest exits through isa-debug-exit with 0 (status 1), no "not ok"
#   line appears, the number of results matches the plan and nothing
#   bailed out.  softvtx's stderr, where it names the check that failed a
#   VM entry, goes to LOG.err (coverage.py compares those names with the
#   IDs the guest tested).
image=$1
softvtx=$2
log=$3
shift 3
mkdir -p "$(dirname "$log")"
timeout_s=${GUEST_TIMEOUT:-120}

timeout "$timeout_s" "$softvtx" run --max-insns 400000000 "$@" "$image.elf" \
	</dev/null >"$log" 2>"$log.err"
status=$?
cat "$log"
cat "$log.err" >&2
fail=0
if [ "$status" -ne 1 ]; then
	echo "FAIL: exit status $status, expected 1 (guest wrote 0 to port 0xF4)"
	fail=1
fi
if grep -a -q '^not ok' "$log"; then
	echo "FAIL: some subtests failed"
	fail=1
fi
plan=$(LC_ALL=C sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
ran=$(grep -a -c -E '^(not )?ok [0-9]+' "$log")
if [ -z "$plan" ] || [ "$plan" -ne "$ran" ]; then
	echo "FAIL: TAP plan '${plan:-missing}' but $ran results"
	fail=1
fi
if grep -a -q '^Bail out!' "$log"; then
	echo "FAIL: the guest bailed out"
	fail=1
fi
exit $fail
