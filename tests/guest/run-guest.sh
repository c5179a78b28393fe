#!/bin/sh
# run-guest.sh MODE IMAGE [SOFTVTX]
#   MODE softvtx: SOFTVTX run --max-insns 200000000 IMAGE.elf
#   MODE qemu:    qemu-system-x86_64 -accel tcg ... -kernel IMAGE.elf32
# Prints the guest's TAP output.  Passes when the guest exits through
# isa-debug-exit with 0 (status 1) and no "not ok" line appears except
# those marked "# TODO" (known QEMU TCG differences), and the number of
# results matches the TAP plan.  Exits 77 (CTest
# SKIP_RETURN_CODE) when QEMU is not installed.
mode=$1
image=$2
softvtx=$3
timeout_s=${GUEST_TIMEOUT:-120}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

case $mode in
softvtx)
	timeout "$timeout_s" "$softvtx" run --max-insns 200000000 "$image.elf" \
		</dev/null >"$out" 2>&1
	status=$?
	;;
qemu)
	if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
		echo "SKIP: qemu-system-x86_64 is not installed"
		exit 77
	fi
	# -cpu max exposes every feature TCG implements (BMI, MOVBE, 1G pages)
	# so that the feature-gated subtests run instead of skipping; GUEST_QEMU_CPU
	# picks another model (e.g. qemu64, where they skip).
	timeout "$timeout_s" qemu-system-x86_64 -accel tcg -cpu "${GUEST_QEMU_CPU:-max}" \
		-kernel "$image.elf32" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-serial stdio -display none -no-reboot -m 128 \
		</dev/null >"$out" 2>&1
	status=$?
	;;
*)
	echo "usage: $0 softvtx|qemu IMAGE [SOFTVTX]" >&2
	exit 2
	;;
esac

cat "$out"
fail=0
if [ "$status" -ne 1 ]; then
	echo "FAIL: exit status $status, expected 1 (guest wrote 0 to port 0xF4)"
	fail=1
fi
if grep -a -v '# TODO' "$out" | grep -a -q '^not ok'; then
	echo "FAIL: some subtests failed"
	fail=1
fi
plan=$(LC_ALL=C sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out" | head -n 1)
ran=$(grep -a -c -E '^(not )?ok [0-9]+' "$out")
if [ -z "$plan" ] || [ "$plan" -ne "$ran" ]; then
	echo "FAIL: TAP plan '${plan:-missing}' but $ran results"
	fail=1
fi
if grep -a -q '^Bail out!' "$out"; then
	echo "FAIL: the guest bailed out"
	fail=1
fi
exit $fail
