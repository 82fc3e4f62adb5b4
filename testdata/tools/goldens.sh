#!/usr/bin/env bash
# Write the goldens for one fixture: golden/NAME.{go-version-m,readelf-n,
# readelf-s,readelf-V,readelf-d}. Run from testdata/ so every path in the
# output is relative (bin/NAME) and the goldens do not depend on the checkout.
#
#   goldens.sh OUTDIR NAME GOCMD [SUFFIX GOCMD2]
#
# Each golden holds the tool's stdout, then its stderr, then a last line
# "[exit status N]" when the tool exited non-zero. With SUFFIX and GOCMD2,
# GOCMD2's `go version -m` is also written to NAME.go-version-m-SUFFIX.
set -euo pipefail

outdir=$1 name=$2 gocmd=$3
f="bin/$name"
[ -f "$f" ] || { echo "goldens.sh: $f missing" >&2; exit 1; }
mkdir -p "$(dirname "$outdir/$name")"

# go wants a HOME; give it an empty one that is thrown away.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT

capture() { # out cmd...
    local out=$1 err rc
    shift
    err=$(mktemp)
    set +e
    env -i PATH=/usr/bin:/bin HOME="$home" GOCACHE=off LC_ALL=C GOENV=off GOTOOLCHAIN=local \
        "$@" >"$out" 2>"$err"
    rc=$?
    set -e
    cat "$err" >>"$out"
    rm -f "$err"
    if [ "$rc" -ne 0 ]; then
        echo "[exit status $rc]" >>"$out"
    fi
}

capture "$outdir/$name.go-version-m" "$gocmd" version -m "$f"
# GO_VERSION_ONLY=1: the go version -m golden alone (the contract fixtures,
# whose readelf output would be megabytes and adds nothing).
if [ "${GO_VERSION_ONLY:-}" = 1 ]; then
    exit 0
fi
capture "$outdir/$name.readelf-n" readelf -nW "$f"
capture "$outdir/$name.readelf-s" readelf -sW --dyn-syms "$f"
capture "$outdir/$name.readelf-V" readelf -VW "$f"
capture "$outdir/$name.readelf-d" readelf -dW "$f"
if [ $# -ge 5 ]; then
    capture "$outdir/$name.go-version-m-$4" "$5" version -m "$f"
fi
