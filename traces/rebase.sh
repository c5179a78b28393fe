#!/usr/bin/env bash
# rebase.sh BUILD_DIR: regenerate every golden trace in traces/ from the
# images and softvtx of BUILD_DIR (traces/golden.list says which), on
# purpose: after a deliberate change to softvtx or to the hypervisor.
# Shows what changed (softvtx trace-diff) before overwriting; review it,
# and say why in the commit.
set -u
if [ $# -ne 1 ] || [ ! -x "$1/softvtx" ]; then
	echo "usage: traces/rebase.sh BUILD_DIR   (BUILD_DIR/softvtx must exist)" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/softvtx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
for name in $(grep -v '^#' "$src/traces/golden.list" | awk 'NF { print $1 }'); do
	status=$("$src/traces/golden-run.sh" "$bin" "$build" "$src" "$name" "$tmp/$name.trace") || {
		rc=1
		continue
	}
	gold=$src/traces/$name.trace
	if [ -f "$gold" ] && "$bin" trace-diff "$gold" "$tmp/$name.trace" > "$tmp/diff"; then
		echo "$name: unchanged ($(grep -vc '^#' "$gold") records, run status $status)"
		continue
	fi
	[ -f "$gold" ] && sed 's/^/  /' "$tmp/diff"
	cp "$tmp/$name.trace" "$gold"
	echo "$name: rewritten ($(grep -vc '^#' "$gold") records, run status $status)"
done
exit $rc
