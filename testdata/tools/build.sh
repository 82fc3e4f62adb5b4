#!/usr/bin/env bash
# Build one fixture into bin/NAME and write its fixtures.tsv row to
# $BUILD/rows/NAME.tsv (a "/" in NAME becomes "_"). Called by testdata/Makefile; run from testdata/.
#
#   build.sh go  NAME GOCMD KIND SRC NOTES [VAR=VALUE...] -- [go build args...]
#   build.sh cmd NAME TOOLCHAIN PLATFORM KIND SRC NOTES -- command args...
#
# `go` mode runs `GOCMD build -o bin/NAME [args] .` in $BUILD/src/SRC (or in
# SRC itself when it is an absolute path) under a scrubbed environment: no
# network, no user go env, local toolchain only, a private module cache.
# VAR=VALUE words are added to that environment and recorded in the row.
# `cmd` mode runs the command as given in $BUILD/src/SRC; the token @OUT@ is
# replaced by the absolute output path and recorded as bin/NAME.
set -euo pipefail

: "${BUILD:?BUILD must name the scratch directory}"
here=$(pwd)
mode=$1
shift

# Quote a word for the recorded command only when it needs it.
q() {
    case $1 in
        *[!A-Za-z0-9_./=:,+@%-]*) printf "'%s'" "${1//\'/\'\\\'\'}" ;;
        *) printf '%s' "$1" ;;
    esac
}

row() { # name toolchain platform kind command notes
    mkdir -p "$BUILD/rows"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >"$BUILD/rows/${1//\//_}.tsv"
}

# The source as the notes name it: src/DIR for a directory of src/ (which
# may be nested, src/plugins/host), the last component of an absolute path.
srcnote() {
    case $1 in
        /*) echo "src/$(basename "$1")" ;;
        *) echo "src/$1" ;;
    esac
}

srcdir() {
    case $1 in
        /*) echo "$1" ;;
        *) echo "$BUILD/src/$1" ;;
    esac
}

case $mode in
go)
    name=$1 gocmd=$2 kind=$3 src=$4 notes=$5
    shift 5
    vars=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        vars+=("$1")
        shift
    done
    [ "${1:-}" = -- ] && shift
    out="$here/bin/$name"
    mkdir -p "$(dirname "$out")" "$BUILD/home"
    base_env=(
        PATH=/usr/local/bin:/usr/bin:/bin
        HOME="$BUILD/home"
        GOENV=off
        GOTOOLCHAIN=local
        GOPROXY=off
        GOSUMDB=off
        GOWORK=off
        GOFLAGS="-mod=mod -buildvcs=false"
        GOCACHE="$BUILD/gocache"
        GOMODCACHE="$BUILD/gomodcache"
        GOPATH="$BUILD/gopath"
        CC=gcc
        CXX=g++
        LC_ALL=C
    )
    version=$(env -i "${base_env[@]}" "$gocmd" env GOVERSION)
    (cd "$(srcdir "$src")" && env -i "${base_env[@]}" "${vars[@]}" "$gocmd" build -o "$out" "$@" .)
    goos=$(env -i "${base_env[@]}" "${vars[@]}" "$gocmd" env GOOS)
    goarch=$(env -i "${base_env[@]}" "${vars[@]}" "$gocmd" env GOARCH)
    cmd=""
    for w in "${vars[@]}"; do cmd+="$(q "$w") "; done
    cmd+="go build -o bin/$name"
    for w in "$@"; do cmd+=" $(q "$w")"; done
    cmd+=" ."
    row "$name" "$version" "$goos/$goarch" "$kind" "$cmd" "$notes ($(srcnote "$src"))"
    ;;
cmd)
    name=$1 toolchain=$2 platform=$3 kind=$4 src=$5 notes=$6
    shift 6
    [ "${1:-}" = -- ] && shift
    out="$here/bin/$name"
    mkdir -p "$(dirname "$out")"
    args=()
    cmd=""
    for w in "$@"; do
        args+=("${w//@OUT@/$out}")
        [ -n "$cmd" ] && cmd+=" "
        w=${w//@OUT@/bin/$name}
        cmd+=$(q "${w//$here\//}")
    done
    (cd "$(srcdir "$src")" && env LC_ALL=C "${args[@]}")
    row "$name" "$toolchain" "$platform" "$kind" "$cmd" "$notes ($(srcnote "$src"))"
    ;;
*)
    echo "build.sh: unknown mode $mode" >&2
    exit 2
    ;;
esac
