#!/usr/bin/env bash
# Build and run the whole test suite:
#   1. the normal build: unit tests, guest tests under softvtx, and the same
#      guest tests under QEMU TCG (real x86 semantics);
#   2. an ASan+UBSan build: unit, CLI, guest and VMX conformance tests again.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
"$top/scripts/deps.sh" qemu-system-x86 python3

echo "== build (RelWithDebInfo)"
cmake -S "$top" -B "$top/build" >/dev/null
cmake --build "$top/build" -j"$jobs" >/dev/null
echo "== tests (unit, CLI, guest under softvtx and under QEMU TCG, VMX conformance, bench checksums)"
(cd "$top/build" && ctest --output-on-failure -j"$jobs")

echo "== build (ASan + UBSan)"
cmake -S "$top" -B "$top/build-asan" -DSOFTVTX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$top/build-asan" -j"$jobs" >/dev/null
echo "== tests under ASan + UBSan (unit, CLI, guest and VMX conformance under softvtx)"
(cd "$top/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --output-on-failure -j"$jobs" -L 'unit|guest|cli|vmx')
