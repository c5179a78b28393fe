#!/usr/bin/env bash
# The tiny hypervisor's serial observations in the trace format
# (traces/FORMAT.md, docs/silicon.md): for each VM exit the hv prints a
# `vmexit` record built from its own VMREADs of the exit-information
# fields; softvtx's trace writes its `vmexit` records from its VMCS.  The
# two must be identical under `trace-diff --ignore-counters`, which
# cross-checks the hv's VMREADs (and its field-validity rules) against
# softvtx's exit information.  Its `vmx-insn` records must say VMsucceed
# (RFLAGS = 0x2: CF, PF, AF, ZF, SF, OF cleared from the wrappers' preset
# of 0, shared/spec/vmx-instructions.md §2, SDM §30.2) for every VMX
# instruction of a passing run.
# Usage: hv-serial-trace.sh PATH/TO/softvtx HV_IMAGE NO_UG_PROFILE
set -u
bin=$1 hv=$2 no_ug=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
n=0

ok()   { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

# The filter docs/silicon.md uses on both sides.
records=$(dirname "$0")/../../tools/vmexit-records.sh

run() {   # run NAME [softvtx run options]
	local name=$1
	shift
	"$bin" run --max-insns 200000000 "$@" --trace-events --trace-file "$dir/$name.trace" "$hv" \
		> "$dir/$name.serial" 2> "$dir/$name.err"
	rc=$?
	sh "$records" "$dir/$name.serial" > "$dir/$name.hv-exits"
	sh "$records" "$dir/$name.trace" > "$dir/$name.sv-exits"
	"$bin" trace-diff --ignore-counters "$dir/$name.sv-exits" "$dir/$name.hv-exits" \
		> "$dir/$name.diff" 2>&1
	drc=$?
	nexits=$(grep -c ' vmexit ' "$dir/$name.hv-exits")
	ninsn=$(grep -c '^0 0 vmx-insn ' "$dir/$name.serial")
	sh "$records" --vmx-insn "$dir/$name.serial" > "$dir/$name.hv-all"
	nall=$(grep -vc '^#' "$dir/$name.hv-all")
}

for cfg in default no-ug; do
	if [ $cfg = default ]; then run $cfg; else run $cfg --cpu-profile "$no_ug"; fi
	check "$cfg: hv run passes (debug-exit 0 -> status 1)" '[ $rc -eq 1 ] && ! grep -q "^not ok" "$dir/$cfg.serial"'
	check "$cfg: the hv printed vmexit records ($nexits)" '[ "$nexits" -gt 20 ]'
	check "$cfg: the hv's vmexit records are softvtx's trace's, key for key" '[ $drc -eq 0 ]'
	[ $drc -eq 0 ] || sed 's/^/# /' "$dir/$cfg.diff"
	check "$cfg: every vmexit record has counters 0 0" \
		'! grep -v "^#" "$dir/$cfg.hv-exits" | grep -qv "^0 0 vmexit "'
	check "$cfg: a vmx-insn record per VMX instruction ($ninsn)" '[ "$ninsn" -gt 100 ]'
	check "$cfg: vmexit-records.sh --vmx-insn keeps both kinds ($nall)" '[ "$nall" -eq $((nexits + ninsn)) ]'
	check "$cfg: one VMWRITE of HOST_RSP (0x6c14) per VM entry, i.e. per exit" \
		'[ "$(grep -c "^0 0 vmx-insn op=vmwrite field=0x6c14 rflags=0x2$" "$dir/$cfg.serial")" -eq "$nexits" ]'
	check "$cfg: one VMXON and one VMXOFF, both VMsucceed" \
		'[ "$(grep -c "^0 0 vmx-insn op=vmxon addr=0x[0-9a-f]* rflags=0x2$" "$dir/$cfg.serial")" -eq 1 ] &&
		 [ "$(grep -c "^0 0 vmx-insn op=vmxoff rflags=0x2$" "$dir/$cfg.serial")" -eq 1 ]'
	check "$cfg: every VMX instruction left RFLAGS = 0x2 (VMsucceed), no error key" \
		'! grep "^0 0 vmx-insn " "$dir/$cfg.serial" | grep -qv " rflags=0x2$"'
done

# The no-ug run has #GP exits (vm86): their records carry intr and
# intr-err and no ilen (undefined for them, vm-exits.md §6).
check "no-ug: #GP exits with intr=0x80000b0d intr-err=0x0 and no ilen" \
	'grep -q "^0 0 vmexit reason=0 name=EXCEPTION_NMI qual=0x0 rip=0x[0-9a-f]* intr=0x80000b0d intr-err=0x0$" "$dir/no-ug.hv-exits"'

# The comparison can fail: one changed qualification in the hv's records
# is reported at that record.
awk 'done == 0 && / vmexit reason=28 / { sub(/qual=0x[0-9a-f]*/, "qual=0xdead"); done = 1 } { print }' \
	"$dir/default.hv-exits" > "$dir/changed"
"$bin" trace-diff --ignore-counters "$dir/default.sv-exits" "$dir/changed" > "$dir/out" 2>&1
rc=$?
check "a changed hv vmexit record is a difference (status 1, qual=0xdead shown)" \
	'[ $rc -eq 1 ] && grep -q "qual=0xdead" "$dir/out"'

echo "1..$n"
[ $fails -eq 0 ] && echo "# all $n passed" || echo "# failed $fails of $n"
[ $fails -eq 0 ]
