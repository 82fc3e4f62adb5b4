#!/usr/bin/env bash
# Install package runtime as a Go shared library (libruntime.so) into
# PKGDIR, under the scrubbed environment tools/build.sh gives Go builds;
# extra arguments go to `go install` (e.g. -trimpath). The -linkshared
# fixtures are linked against it.
#
#   goshlib.sh GOCMD PKGDIR [go install flags...]
set -euo pipefail
: "${BUILD:?BUILD must name the scratch directory}"
gocmd=$1 pkgdir=$2
shift 2
mkdir -p "$BUILD/home"
cd "$BUILD"
env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$BUILD/home" GOENV=off GOTOOLCHAIN=local \
    GOPROXY=off GOSUMDB=off GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" \
    GOCACHE="$BUILD/gocache" GOMODCACHE="$BUILD/gomodcache" GOPATH="$BUILD/gopath" \
    CC=gcc CXX=g++ LC_ALL=C GOOS=linux GOARCH=amd64 CGO_ENABLED=1 \
    "$gocmd" install -buildmode=shared -pkgdir "$pkgdir" "$@" runtime
