#!/usr/bin/env bash
# Make sure the Debian packages softvtx needs are installed.
# Usage: scripts/deps.sh [extra packages...]
# As root, missing packages are installed with apt-get; otherwise the exact
# apt-get line is printed and the script fails.
set -euo pipefail

pkgs=(build-essential cmake pkg-config libcapstone-dev libelf-dev libcmocka-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	echo "softvtx: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
	echo "softvtx: missing Debian packages; run as root:" >&2
	echo "  apt-get install -y ${missing[*]}" >&2
	exit 1
fi
