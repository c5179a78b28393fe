#!/bin/sh
# read-vmx-profile-test.sh SOURCE_DIR SOFTVTX IMAGE.elf
#   Writes the MSR values of profiles/bochs-2.7.profile into a sparse file
#   in read-vmx-profile.sh's --msr-file layout (each MSR's 8 bytes,
#   little-endian, at offset 8 * index), plus two MSRs whose gate is not reported (0x492,
#   0x493, as Bochs answers them), runs tools/read-vmx-profile.sh on it and
#   checks that (1) every MSR line of the source profile comes back with the
#   same value, (2) 0x492/0x493 are left out, (3) softvtx accepts the result
#   as --cpu-profile and boots IMAGE with it.
set -eu
src=$1
softvtx=$2
image=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fake=$dir/msr
: > "$fake"
put() {   # put INDEX HEX16
	v=$2
	le=""
	for i in 15 13 11 9 7 5 3 1; do
		le="$le\\$(printf '%03o' "0x$(echo "$v" | cut -c"$i-$((i + 1))")")"
	done
	printf "$le" | dd of="$fake" bs=8 seek=$(($1)) conv=notrunc 2>/dev/null
}
sed -n 's/^\(0x4[0-9A-Fa-f][0-9A-Fa-f]\) = 0x\([0-9A-Fa-f_]*\).*/\1 \2/p' \
	"$src/profiles/bochs-2.7.profile" | tr -d _ > "$dir/want"
while read -r idx v; do
	put "$idx" "$v"
done < "$dir/want"
put 0x492 00000000FFFFFFFF
put 0x493 00000000FFFFFFFF
put 0x3A 0000000000000005
"$src/tools/read-vmx-profile.sh" --msr-file "$fake" --name fake-bochs "$dir/out.profile"
cat "$dir/out.profile"
fail=0
while read -r idx v; do
	got=$(sed -n "s/^$idx = 0x\([0-9A-F_]*\) .*/\1/p" "$dir/out.profile" | tr -d _)
	if [ "$got" != "$(echo "$v" | tr a-f A-F)" ]; then
		echo "FAIL: $idx: got '$got', want $v"
		fail=1
	fi
done < "$dir/want"
if grep -q '^0x49[23] =' "$dir/out.profile"; then
	echo "FAIL: 0x492/0x493 written although their gates are not reported"
	fail=1
fi
grep -q '^# IA32_FEATURE_CONTROL = 0x0000000000000005' "$dir/out.profile" ||
	{ echo "FAIL: IA32_FEATURE_CONTROL comment missing"; fail=1; }
set +e
"$softvtx" run --max-insns 200000000 --cpu-profile "$dir/out.profile" "$image" >/dev/null 2>"$dir/err"
status=$?
set -e
if [ "$status" -ne 1 ]; then
	echo "FAIL: softvtx --cpu-profile exited $status:"
	cat "$dir/err"
	fail=1
fi
exit $fail
