#!/usr/bin/env bash
# Determinism (DESIGN.md "What flows where"): the same image with the same
# options gives a byte-identical trace.  Each trace record carries the
# cycle counter, so equal traces also mean equal cycle accounting.  The
# images exercise paging, exceptions, mode switches and self-modifying
# code, where hidden state (TLB, decode cache) could leak into results.
# Usage: determinism.sh PATH/TO/softvtx IMAGE...
set -u
bin=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0
fails=0
echo "1..$#"
for img in "$@"; do
	n=$((n + 1))
	name=$(basename "$img")
	for k in 1 2; do
		"$bin" run --trace --trace-file "$dir/$k.trace" "$img" > "$dir/$k.out" 2>/dev/null
		echo $? > "$dir/$k.rc"
	done
	if [ ! -s "$dir/1.trace" ]; then
		echo "not ok $n - $name: no trace written"
		fails=$((fails + 1))
	elif cmp -s "$dir/1.trace" "$dir/2.trace" && cmp -s "$dir/1.out" "$dir/2.out" &&
	     cmp -s "$dir/1.rc" "$dir/2.rc"; then
		echo "ok $n - $name: $(wc -l < "$dir/1.trace") trace records identical across two runs"
	else
		echo "not ok $n - $name: runs differ"
		cmp "$dir/1.trace" "$dir/2.trace" | head -1
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
