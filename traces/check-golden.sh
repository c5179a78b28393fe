#!/usr/bin/env bash
# check-golden.sh SOFTVTX BUILD_DIR SRC_DIR: every golden trace in
# traces/golden.list, recorded again, must equal traces/NAME.trace record
# for record (softvtx trace-diff, no normalisation of counters).  Any
# change fails with the trace-diff report; if the change is intended, run
# traces/rebase.sh BUILD_DIR and commit the new traces with the reason.
set -u
bin=$1 build=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
names=$(grep -v '^#' "$src/traces/golden.list" | awk 'NF { print $1 }')
echo "1..$(echo "$names" | wc -w)"
n=0
fails=0
for name in $names; do
	n=$((n + 1))
	gold=$src/traces/$name.trace
	if [ ! -f "$gold" ]; then
		echo "not ok $n - $name: traces/$name.trace missing (run traces/rebase.sh)"
		fails=$((fails + 1))
		continue
	fi
	if ! status=$("$src/traces/golden-run.sh" "$bin" "$build" "$src" "$name" "$tmp/$name.trace"); then
		echo "not ok $n - $name: could not run"
		fails=$((fails + 1))
		continue
	fi
	if "$bin" trace-diff "$gold" "$tmp/$name.trace" > "$tmp/diff" 2>&1; then
		echo "ok $n - $name: $(grep -vc '^#' "$gold") records as recorded (run status $status)"
	else
		echo "not ok $n - $name: the trace changed (run status $status)"
		sed 's/^/# /' "$tmp/diff"
		echo "# intended? regenerate with: traces/rebase.sh $build"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ]
