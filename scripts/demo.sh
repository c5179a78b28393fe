#!/usr/bin/env bash
# The main job: build everything and run the demo guest, its serial console
# on this terminal.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cmake -S "$top" -B "$top/build" >/dev/null
cmake --build "$top/build" -j"$(nproc)" >/dev/null
exec "$top/build/softvtx" run --stats "$top/build/guest/demo/demo.elf"
