#!/usr/bin/env bash
# Determinism (DESIGN.md "What flows where"): the same image with the same
# options gives a byte-identical trace.  Each trace record carries the
# cycle counter, so equal traces also mean equal cycle accounting.  The
# images exercise paging, exceptions, mode switches and self-modifying
# code, where hidden state (TLB, decode cache) could leak into results,
# and VMX (VM entries/exits, CR writes, event delivery: traces/FORMAT.md).
# Per image: the full trace (--trace) twice, the events-only trace
# (--trace-events) twice, and the events-only trace must be exactly the
# full trace without its instruction records (the instruction window does
# not change what the events say).
# Usage: determinism.sh PATH/TO/softvtx IMAGE...
set -u
bin=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0
fails=0
echo "1..$(($# * 3))"
# twice NAME OPTIONS...: two runs into $dir/1.* and $dir/2.*, one TAP line
twice() {
	local what=$1
	shift
	for k in 1 2; do
		"$bin" run "$@" --trace-file "$dir/$k.trace" "$img" > "$dir/$k.out" 2>/dev/null
		echo $? > "$dir/$k.rc"
	done
	n=$((n + 1))
	if [ ! -s "$dir/1.trace" ]; then
		echo "not ok $n - $name $what: no trace written"
		fails=$((fails + 1))
	elif cmp -s "$dir/1.trace" "$dir/2.trace" && cmp -s "$dir/1.out" "$dir/2.out" &&
	     cmp -s "$dir/1.rc" "$dir/2.rc"; then
		echo "ok $n - $name $what: $(grep -vc '^#' "$dir/1.trace") records" \
		     "($(grep -c ' vmexit ' "$dir/1.trace") VM exits) identical across two runs"
	else
		echo "not ok $n - $name $what: runs differ"
		cmp "$dir/1.trace" "$dir/2.trace" | head -1
		fails=$((fails + 1))
	fi
}
for img in "$@"; do
	name=$(basename "$img")
	twice --trace --trace
	grep -v '^[0-9]* [0-9]* insn ' "$dir/1.trace" > "$dir/full-events"
	twice --trace-events --trace-events
	n=$((n + 1))
	if cmp -s "$dir/full-events" "$dir/1.trace"; then
		echo "ok $n - $name: --trace-events gives the event records of --trace"
	else
		echo "not ok $n - $name: --trace-events and --trace disagree on events"
		diff "$dir/full-events" "$dir/1.trace" | head -4
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
