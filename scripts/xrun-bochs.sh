#!/usr/bin/env bash
# scripts/xrun-bochs.sh [BUILD_DIR] [IMAGE...]
#   Builds softvtx and the guest images in BUILD_DIR (default: build), then
#   runs the VMX images (tests/vmx, guest/hv) under softvtx --cpu-profile bochs-2.7
#   and under Debian's Bochs 2.7 (corei7_skylake_x), booted from a GRUB ISO,
#   and compares their serial output line by line (tests/xrun/README.md).
#   Lists every divergence per image; expected differences are declared in
#   tests/xrun/expected-differences.txt.  Status 0: no undeclared
#   difference; 1: divergences; 77: the reference machine is missing.
#   XRUN_VERBOSE=1 also lists the expected differences with their reasons.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
shift || true
"$top/scripts/deps.sh" bochs bochsbios vgabios bochs-term grub-pc-bin xorriso mtools python3
cmake -S "$top" -B "$build" >/dev/null
cmake --build "$build" -j2 >/dev/null
exec python3 "$top/tests/xrun/xrun.py" bochs --build "$build" -j 2 ${XRUN_VERBOSE:+-v} "$@"
