#!/usr/bin/env bash
# golden-run.sh SOFTVTX BUILD_DIR SRC_DIR NAME OUT: record golden trace
# NAME of traces/golden.list into OUT, as rebase.sh and check-golden.sh
# both do (one definition of how a golden trace is made).  Prints the
# run's exit status on stdout; a missing image is status 2 with a reason.
#
# The guest sees its Multiboot command line, which starts with the image
# path as given (README "Running an image"), and a longer path shifts what
# the guest does by a few instructions.  So the image runs from a scratch
# directory under its bare file name: the trace does not depend on where
# the build directory is.
set -u
bin=$1 build=$2 src=$3 name=$4 out=$5
line=$(grep -v '^#' "$src/traces/golden.list" | awk -v n="$name" '$1 == n')
if [ -z "$line" ]; then
	echo "golden-run.sh: no trace '$name' in traces/golden.list" >&2
	exit 2
fi
set -- $line
img=$build/$2
shift 2
if [ ! -f "$img" ]; then
	echo "golden-run.sh: $img not built" >&2
	exit 2
fi
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
case $out in /*) ;; *) out=$PWD/$out ;; esac
case $src in /*) ;; *) src=$PWD/$src ;; esac
opts=()
for o in "$@"; do opts+=("${o//@SRC@/$src}"); done
run=$(mktemp -d)
base=$(basename "$img")
cp "$img" "$run/$base"
(cd "$run" && "$bin" run --max-insns 200000000 --trace-events --trace-file "$out" \
	"${opts[@]}" "$base" > /dev/null 2>&1)
status=$?
rm -rf "$run"
echo $status
