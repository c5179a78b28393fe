#!/usr/bin/env bash
# Checks the CLI contract of `softvtx run` (README "Exit status"): every
# outcome has its status, and every non-zero status that is not a
# debug-exit status prints exactly one line on stderr.  The images are
# tiny flat Multiboot kernels (header flag 16) built here with printf.
# Usage: cli-test.sh PATH/TO/softvtx
set -u
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
n=0

ok()   { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }

# le32 N: N as 4 little-endian bytes, in hex.
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
	$((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }

# mkflat FILE HEXBYTES: header at 0x100000, code right after it (entry
# 0x100020).
mkflat() {
	local flags=$((0x10000)) load=$((0x100000)) hex
	hex="$(le32 $((0x1BADB002)))$(le32 $flags)$(le32 $(((-(0x1BADB002 + flags)) & 0xffffffff)))"
	hex="$hex$(le32 $load)$(le32 $load)$(le32 0)$(le32 0)$(le32 $((load + 32)))${2// /}"
	printf "$(echo "$hex" | sed 's/\([0-9a-f][0-9a-f]\)/\\x\1/g')" > "$1"
}

# run NAME ARGS...: status in $rc, stdout in $dir/out, stderr in $dir/err
run() { "$bin" "$@" > "$dir/out" 2> "$dir/err"; rc=$?; }
errlines() { wc -l < "$dir/err"; }

# mov edx,0x3f8; mov al,'h'; out dx,al; mov al,'i'; out dx,al;
# mov al,5; out 0xf4,al
mkflat "$dir/exit.bin" "baf8030000 b068 ee b069 ee b005 e6f4"
# cli; hlt
mkflat "$dir/halt.bin" "fa f4"
# jmp $
mkflat "$dir/loop.bin" "ebfe"
# fninit (x87 has no op-table row) -> #UD -> no usable IDT -> triple fault
mkflat "$dir/unimpl.bin" "dbe3 f4"
printf 'not a kernel' > "$dir/junk.bin"

run --help
check "--help exits 0" '[ $rc -eq 0 ]'
check "--help documents the exit statuses" 'grep -q "Exit status" "$dir/out" && grep -q "triple fault" "$dir/out"'
run run --help
check "run --help exits 0" '[ $rc -eq 0 ]'
for o in -m --append --module --max-insns --stats --trace --trace-file --trace-events \
	--cpu-profile --feature-control; do
	check "run --help lists $o" 'grep -q -- "$o" "$dir/out"'
done
check "run --help lists the built-in CPU profiles" \
	'grep -q "^CPU profiles: skylake-x (default) bochs-2.7" "$dir/out"'

run
check "no command: status 2" '[ $rc -eq 2 ]'
run run --bogus "$dir/exit.bin"
check "unknown option: status 2, one line" '[ $rc -eq 2 ] && [ $(errlines) -eq 1 ]'
run run -m lots "$dir/exit.bin"
check "bad -m: status 2, one line" '[ $rc -eq 2 ] && [ $(errlines) -eq 1 ]'
run run
check "no IMAGE: status 2, one line" '[ $rc -eq 2 ] && [ $(errlines) -eq 1 ]'

# --cpu-profile (docs/cpu-profiles.md): a built-in name or a file; an
# unknown name or an invalid file is a usage error with one line.
profiles=$(cd "$(dirname "$0")/../../profiles" && pwd)
run run --cpu-profile nosuch "$dir/exit.bin"
check "unknown --cpu-profile: status 2, one line listing the names" \
	'[ $rc -eq 2 ] && [ $(errlines) -eq 1 ] && grep -q "nosuch.*skylake-x" "$dir/err"'
run run --cpu-profile "$dir/missing.profile" "$dir/exit.bin"
check "missing --cpu-profile file: status 2, one line" '[ $rc -eq 2 ] && [ $(errlines) -eq 1 ]'
sed 's/^0x48E = 0xFFF9FFFE/0x48E = 0xFFF9FFF6/' "$profiles/skylake-x.profile" > "$dir/bad.profile"
run run --cpu-profile "$dir/bad.profile" "$dir/exit.bin"
check "invalid --cpu-profile file: status 2, one line naming INV-3" \
	'[ $rc -eq 2 ] && [ $(errlines) -eq 1 ] && grep -q "bad.profile: INV-3: " "$dir/err"'
printf 'name = x\n0x480 = 0x00D81000_0000002B\nbogus line\n' > "$dir/syntax.profile"
run run --cpu-profile "$dir/syntax.profile" "$dir/exit.bin"
check "--cpu-profile syntax error: status 2, one line with the line number" \
	'[ $rc -eq 2 ] && [ $(errlines) -eq 1 ] && grep -q "syntax.profile:3: " "$dir/err"'
# mov ecx,0x482; rdmsr; shr edx,24; mov eax,edx; out 0xf4,al: exits with
# bits 63:56 of IA32_VMX_PROCBASED_CTLS, 0xFF in skylake-x and 0xF7 (no
# monitor trap flag) in bochs-2.7 (status (v << 1 | 1) & 0xFF).
mkflat "$dir/proc.bin" "b982040000 0f32 c1ea18 89d0 e6f4"
for p in skylake-x "$profiles/skylake-x.profile"; do
	run run --cpu-profile "$p" "$dir/proc.bin"
	check "--cpu-profile $(basename "$p"): IA32_VMX_PROCBASED_CTLS[63:56] = 0xFF" \
		'[ $rc -eq 255 ] && [ $(errlines) -eq 0 ]'
done
for p in bochs-2.7 "$profiles/bochs-2.7.profile"; do
	run run --cpu-profile "$p" "$dir/proc.bin"
	check "--cpu-profile $(basename "$p"): IA32_VMX_PROCBASED_CTLS[63:56] = 0xF7" \
		'[ $rc -eq 239 ] && [ $(errlines) -eq 0 ]'
done
run run "$dir/proc.bin"
check "default CPU profile is skylake-x" '[ $rc -eq 255 ]'

# mov ecx,0x3a; rdmsr; out 0xf4,al: exits with IA32_FEATURE_CONTROL[7:0]
# (vmx-capabilities.md §3: the firmware leaves 0x5, lock + VMXON outside
# SMX, when VMX is reported).
mkflat "$dir/fc.bin" "b93a000000 0f32 e6f4"
run run "$dir/fc.bin"
check "firmware leaves IA32_FEATURE_CONTROL = 0x5 (status 11)" '[ $rc -eq 11 ]'
run run --feature-control 0 "$dir/fc.bin"
check "--feature-control 0 leaves it clear (status 1)" '[ $rc -eq 1 ]'
run run --feature-control 0x4 "$dir/fc.bin"
check "--feature-control 0x4 (status 9)" '[ $rc -eq 9 ]'
run run --feature-control 0x2 "$dir/fc.bin"
check "--feature-control with an SMX bit: status 2, one line" '[ $rc -eq 2 ] && [ $(errlines) -eq 1 ]'

run run "$dir/missing.elf"
check "missing image: status 4, one line naming it" \
	'[ $rc -eq 4 ] && [ $(errlines) -eq 1 ] && grep -q "missing.elf" "$dir/err"'
run run "$dir/junk.bin"
check "no Multiboot header: status 4, one line" \
	'[ $rc -eq 4 ] && [ $(errlines) -eq 1 ] && grep -q "Multiboot header" "$dir/err"'
run run --module "$dir/nomodule.bin" "$dir/exit.bin"
check "missing module: status 4, one line" '[ $rc -eq 4 ] && [ $(errlines) -eq 1 ]'

run run "$dir/exit.bin"
check "debug-exit 5: status 11, console on stdout, stderr empty" \
	'[ $rc -eq 11 ] && [ "$(cat "$dir/out")" = "hi" ] && [ $(errlines) -eq 0 ]'
run run -m 4 --append "a b" --module "$dir/halt.bin x" "$dir/exit.bin"
check "-m, --append and --module accepted" '[ $rc -eq 11 ]'

run run "$dir/halt.bin"
check "HLT with IF=0: status 0, stderr empty" '[ $rc -eq 0 ] && [ $(errlines) -eq 0 ]'

run run --max-insns 1000 "$dir/loop.bin"
check "budget exhausted: status 8, one line" \
	'[ $rc -eq 8 ] && [ $(errlines) -eq 1 ] && grep -q "budget exhausted after 1000 instructions" "$dir/err"'

run run "$dir/unimpl.bin"
check "triple fault: status 6" '[ $rc -eq 6 ]'
check "triple fault: reason line" 'grep -q "^softvtx: triple fault at 0010:" "$dir/err"'
check "unimplemented instruction reported" \
	"grep -q \"^softvtx: unimplemented instruction 'fninit' at 00100020 raised #UD\" \"\$dir/err\""

# Traces (traces/FORMAT.md): the header line, then one record per line.
run run --trace=1,2 "$dir/exit.bin"
check "--trace=1,2: header, two records and the stop record on stderr" '[ $rc -eq 11 ] && [ $(errlines) -eq 4 ]'
check "--trace: the last record says how the run stopped" \
	'tail -1 "$dir/err" | grep -qx "7 [0-9]* stop reason=debug-exit value=0x5"'
check "--trace: the first line is the version header" 'head -1 "$dir/err" | grep -qx "# softvtx-trace 1"'
check "--trace records start at index 1" 'sed -n 2p "$dir/err" | grep -q "^1 [0-9]* insn 0010:00100025 b068 mov al, 0x68 ; rax="'
run run --trace --trace-file "$dir/trace.txt" "$dir/exit.bin"
check "--trace-file gets every instruction" '[ $rc -eq 11 ] && [ $(grep -c " insn " "$dir/trace.txt") -eq 7 ] && [ $(errlines) -eq 0 ]'

# mov eax,0x20; mov cr4,eax; mov ecx,0xc0000080; rdmsr; or eax,1; wrmsr;
# ud2 -> #UD, IDT limit 0 -> #GP(6*8+2+EXT = 0x33) -> #DF(0) -> shutdown
# (SDM Vol. 3A §6.13, §6.15).  Event records are written with or without
# instruction records, and carry the index of the instruction that caused
# them.
mkflat "$dir/events.bin" "b820000000 0f22e0 b9800000c0 0f32 83c801 0f30 0f0b"
for mode in --trace-events --trace=0,3; do
	run run $mode --trace-file "$dir/ev.txt" "$dir/events.bin"
	check "$mode: triple fault still status 6" '[ $rc -eq 6 ]'
	check "$mode: stop record after instruction 6" 'tail -1 "$dir/ev.txt" | grep -q "^6 [0-9]* stop reason=shutdown$"'
	check "$mode: CR4 write record" 'grep -q "^1 [0-9]* cr4 old=0x0 new=0x20$" "$dir/ev.txt"'
	check "$mode: EFER write record" 'grep -q "^5 [0-9]* efer old=0x0 new=0x1$" "$dir/ev.txt"'
	check "$mode: #UD, #GP, #DF delivery records in order" \
		'[ "$(grep " event " "$dir/ev.txt" | cut -d" " -f1,3-)" = "6 event vector=6 type=exception ret=0x100034 guest=0
6 event vector=13 type=exception err=0x33 ret=0x100034 guest=0
6 event vector=8 type=exception err=0x0 ret=0x100034 guest=0" ]'
done
check "--trace=0,3: three instruction records" '[ $(grep -c " insn " "$dir/ev.txt") -eq 3 ]'
check "--trace=0,3: the CR4 record comes before the MOV CR4 record" \
	'[ "$(sed -n "3p;4p" "$dir/ev.txt" | cut -d" " -f3)" = "cr4
insn" ]'
run run --trace-events --trace-file "$dir/ev.txt" "$dir/events.bin"
check "--trace-events: no instruction records" '! grep -q " insn " "$dir/ev.txt"'
check "every record has <n> <cycles> <kind>" \
	'! grep -v "^#" "$dir/ev.txt" | grep -qv "^[0-9][0-9]* [0-9][0-9]* [a-z][a-z0-9-]* "'

run run --stats "$dir/exit.bin"
check "--stats prints instructions and MIPS" \
	'[ $rc -eq 11 ] && grep -q "7 instructions" "$dir/err" && grep -q "MIPS" "$dir/err"'

echo "1..$n"
[ $fails -eq 0 ]
