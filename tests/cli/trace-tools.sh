#!/usr/bin/env bash
# softvtx trace-diff and trace-export (traces/FORMAT.md), and the VM-exit
# records of real VMX runs: exit-information keys only where
# shared/spec/vm-exits.md §6 says the field is valid.
# Usage: trace-tools.sh PATH/TO/softvtx HV_IMAGE VMX_EXITS_IMAGE VMX_EPT_IMAGE
set -u
bin=$1 hv=$2 exits_img=$3 ept=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
n=0

ok()   { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
# diff A B [options]: status in $rc, report in $dir/out
tdiff() { "$bin" trace-diff "$@" > "$dir/out" 2> "$dir/err"; rc=$?; }

# --- trace-diff on hand-written traces ---------------------------------
cat > "$dir/a" <<'EOF'
# softvtx-trace 1
0 1 insn 0010:00100020 90 nop
1 2 insn 0010:00100021 90 nop
2 3 cr0 old=0x11 new=0x80000011
2 4 insn 0010:00100022 0f22c0 mov cr0, eax
3 9 vmentry launch=1 rip=0xfff0
4 20 vmexit reason=10 name=CPUID qual=0x0 rip=0xfff2 ilen=2
EOF
cp "$dir/a" "$dir/same"
tdiff "$dir/a" "$dir/same"
check "identical traces: status 0" '[ $rc -eq 0 ] && grep -q "^traces identical" "$dir/out"'
check "identical traces: records counted" 'grep -q "6 records compared" "$dir/out"'

sed 's/name=CPUID qual=0x0/name=CPUID qual=0x1/' "$dir/a" > "$dir/b"
tdiff "$dir/a" "$dir/b"
check "one changed record: status 1" '[ $rc -eq 1 ]'
check "the divergence is record 6, line 7 in both" \
	'grep -q "^traces differ at record 6 ($dir/a line 7, $dir/b line 7)" "$dir/out"'
check "both differing records shown" \
	'grep -q "^  A      7  4 20 vmexit .*qual=0x0" "$dir/out" && grep -q "^  B      7  4 20 vmexit .*qual=0x1" "$dir/out"'
check "five records of context before it, oldest first" \
	'[ "$(grep -c "^    " "$dir/out")" -eq 5 ] && grep "^    " "$dir/out" | head -1 | grep -q " 0 1 insn"'
tdiff --context 1 "$dir/a" "$dir/b"
check "--context 1: one record of context" \
	'[ $rc -eq 1 ] && [ "$(grep -c "^    " "$dir/out")" -eq 1 ] && grep -q "^         6  3 9 vmentry" "$dir/out"'

head -4 "$dir/a" > "$dir/short"
tdiff "$dir/a" "$dir/short"
check "B ends early: status 1, said so" \
	'[ $rc -eq 1 ] && grep -q "^  B  *(end of trace after 3 records)" "$dir/out" && grep -q "^  A      5  2 4 insn" "$dir/out"'

# Comments, empty lines and CRLF are not differences, and are counted.
{ sed -n 1,3p "$dir/a"; echo "# a note"; echo; sed -n '4,$p' "$dir/a"; } | sed 's/$/\r/' > "$dir/crlf"
tdiff "$dir/a" "$dir/crlf"
check "comments, empty lines and CRs are not records" \
	'[ $rc -eq 0 ] && grep -q "0 comment/empty lines in A, 2 in B" "$dir/out"'
sed 's/^# softvtx-trace 1/# softvtx-trace 2/' "$dir/a" > "$dir/v2"
tdiff "$dir/a" "$dir/v2"
check "different header versions: status 1" '[ $rc -eq 1 ] && grep -q "header version" "$dir/out"'

# Counters: compared unless --ignore-counters.
awk '/^#/ { print; next } { $2 = $2 * 2; print }' "$dir/a" > "$dir/slow"
tdiff "$dir/a" "$dir/slow"
check "different cycles: status 1 at the first record" '[ $rc -eq 1 ] && grep -q "at record 1 " "$dir/out"'
tdiff --ignore-counters "$dir/a" "$dir/slow"
check "--ignore-counters: equal" '[ $rc -eq 0 ] && grep -q "counters ignored" "$dir/out"'
tdiff --ignore-counters "$dir/a" "$dir/b"
check "--ignore-counters still sees a changed field" '[ $rc -eq 1 ]'

tdiff "$dir/a" "$dir/missing"
check "missing file: status 2" '[ $rc -eq 2 ] && grep -q "missing" "$dir/err"'
tdiff "$dir/a"
check "one file: status 2" '[ $rc -eq 2 ]'
tdiff --bogus "$dir/a" "$dir/b"
check "unknown option: status 2" '[ $rc -eq 2 ]'
"$bin" --help > "$dir/out"
check "softvtx --help lists trace-diff and trace-export" \
	'grep -q "trace-diff" "$dir/out" && grep -q "trace-export" "$dir/out"'

# --- trace-export ------------------------------------------------------
json_ok() { python3 -m json.tool "$1" > /dev/null 2>&1; }
"$bin" trace-export "$dir/a" "$dir/a.json" 2> "$dir/err"
check "export of a small trace: status 0, valid JSON" '[ $? -eq 0 ] && json_ok "$dir/a.json"'
# 1 cycle = 1 ns by default: the entry at cycle 9 and the exit at 20.
check "guest interval: ts 0.009 us, dur 0.011 us, exit CPUID" \
	'python3 - "$dir/a.json" <<EOF
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
g = [e for e in ev if e["ph"] == "X" and e["tid"] == 2]
h = [e for e in ev if e["ph"] == "X" and e["tid"] == 1]
assert len(g) == 1 and abs(g[0]["ts"] - 0.009) < 1e-9 and abs(g[0]["dur"] - 0.011) < 1e-9, g
assert g[0]["args"]["exit"] == "CPUID" and g[0]["args"]["entry_rip"] == "0xfff0", g
assert [x["name"] for x in h] == ["boot", "CPUID"], h
assert h[0]["ts"] == 0 and abs(h[0]["dur"] - 0.009) < 1e-9, h
EOF'
"$bin" trace-export --cycles-per-us 1 "$dir/a" - > "$dir/a1.json" 2> /dev/null
check "--cycles-per-us 1: timestamps in cycles" \
	'python3 -c "import json,sys; e=[x for x in json.load(open(sys.argv[1]))[\"traceEvents\"] if x[\"tid\"]==2 and x[\"ph\"]==\"X\"]; assert e[0][\"ts\"]==9 and e[0][\"dur\"]==11" "$dir/a1.json"'
"$bin" trace-export "$dir/missing" "$dir/x.json" 2> /dev/null
check "export of a missing trace: status 2" '[ $? -eq 2 ]'

# --- real VMX runs -----------------------------------------------------
"$bin" run --trace-events --trace-file "$dir/hv.trace" "$hv" > /dev/null 2>&1
check "hv events trace: header first, then only event records" \
	'head -1 "$dir/hv.trace" | grep -qx "# softvtx-trace 1" && ! grep -q " insn " "$dir/hv.trace"'
entries=$(grep -c " vmentry " "$dir/hv.trace")
exits=$(grep -c " vmexit " "$dir/hv.trace")
check "hv: VM entries and exits recorded ($entries, $exits)" '[ "$entries" -gt 10 ] && [ "$exits" -gt 10 ]'
check "hv: counters never go backwards" \
	'grep -v "^#" "$dir/hv.trace" | awk "\$1 < n || \$2 < c { bad = 1 } { n = \$1; c = \$2 } END { exit bad }"'
"$bin" trace-export "$dir/hv.trace" "$dir/hv.json" 2> /dev/null
check "hv timeline: valid JSON" 'json_ok "$dir/hv.json"'
check "hv timeline: one guest interval per VM exit, host intervals between" \
	'python3 - "$dir/hv.json" "$exits" "$entries" <<EOF
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
g = [e for e in ev if e["ph"] == "X" and e["tid"] == 2]
h = [e for e in ev if e["ph"] == "X" and e["tid"] == 1]
nexit, nentry = int(sys.argv[2]), int(sys.argv[3])
assert len([e for e in g if e["args"]["exit"] != "(end of trace)"]) == nexit, (len(g), nexit)
assert len(h) >= nentry, (len(h), nentry)
spans = sorted((e["ts"], e["ts"] + e["dur"]) for e in g + h)
assert all(a[1] <= b[0] + 1e-6 for a, b in zip(spans, spans[1:])), "intervals overlap"
EOF'

# Exit-information keys only where valid (vm-exits.md §6).
"$bin" run --trace-events --trace-file "$dir/exits.trace" "$exits_img" > /dev/null 2>&1
"$bin" run --trace-events --trace-file "$dir/ept.trace" "$ept" > /dev/null 2>&1
cat "$dir/hv.trace" "$dir/exits.trace" "$dir/ept.trace" | grep " vmexit " > "$dir/allexits"
check "EPT violations carry gpa=" \
	'grep -q "name=EPT_VIOLATION" "$dir/allexits" && ! grep "name=EPT_VIOLATION" "$dir/allexits" | grep -qv " gpa="'
check "no gpa= outside EPT violations and misconfigurations" \
	'! grep " gpa=" "$dir/allexits" | grep -qv "name=EPT_VIOLATION\|name=EPT_MISCONFIG"'
check "instruction exits (CPUID, VMCALL, CR_ACCESS, IO) carry ilen=" \
	'! grep "name=CPUID \|name=VMCALL \|name=CR_ACCESS \|name=IO_INSTRUCTION " "$dir/allexits" | grep -qv " ilen="'
check "VMX-instruction exits with an operand carry info=" \
	'grep -q "name=VMPTRLD .* info=" "$dir/allexits" && ! grep "name=VMPTRLD \|name=VMCLEAR \|name=VMREAD \|name=VMWRITE " "$dir/allexits" | grep -qv " info="'
check "no info= on CPUID, HLT or CR_ACCESS exits" \
	'! grep "name=CPUID \|name=HLT \|name=CR_ACCESS " "$dir/allexits" | grep -q " info="'
check "no ilen= on EPT violations or external interrupts" \
	'! grep "name=EPT_VIOLATION \|name=EXTERNAL_INTERRUPT " "$dir/allexits" | grep -q " ilen="'
echo "1..$n"
[ "$fails" -eq 0 ]
