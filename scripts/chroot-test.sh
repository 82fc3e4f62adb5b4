#!/usr/bin/env bash
# Run dist/elfgate where a FROM-scratch image or a copied-in binary runs it:
# a root holding nothing but the binary and the file to check, with no /lib,
# /etc, /tmp, /proc or shell, as the unprivileged user 65532 of the image.
#
# Usage: scripts/chroot-test.sh [TARGET]   (as root; builds nothing)
# TARGET defaults to dist/elfgate itself, which is an ELF for this host.
#
# Each step prints its command, exit status and output, then "ok" or
# "FAIL"; the script ends with "N passed, N failed" and exits 1 if any
# step failed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

binary=${ELFGATE_BIN:-dist/elfgate}
target=${1:-$binary}
uid=65532

if [ "$(id -u)" -ne 0 ]; then
    echo "chroot-test: must run as root (chroot needs CAP_SYS_CHROOT)" >&2
    exit 2
fi
if [ ! -f "$binary" ]; then
    echo "chroot-test: $binary not found; run scripts/build-static.sh first" >&2
    exit 2
fi
if [ ! -f "$target" ]; then
    echo "chroot-test: target $target not found" >&2
    exit 2
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# Only what is listed here exists inside the root.
#   /elfgate          the binary under test
#   /target           the file to check
#   /image/bin/app    the same file, inside a directory used with --root
#   /image/app        -> /bin/app, an absolute symlink that must resolve
#                        inside /image, not inside the chroot
#   /image/escape     -> ../../target, which must stay inside /image too,
#                        where nothing is found
#   /out              writable by the check, like the emptyDir in a pod
install -m 0555 "$binary" "$root/elfgate"
install -m 0444 "$target" "$root/target"
mkdir -p "$root/image/bin" "$root/out"
install -m 0444 "$target" "$root/image/bin/app"
ln -s /bin/app "$root/image/app"
# /image/escape -> ../../target would reach /target if resolved outside /image.
ln -s ../../target "$root/image/escape"
chown "$uid:$uid" "$root/out"
chmod 0755 "$root" "$root/image" "$root/image/bin"

case "$(uname -m)" in
    x86_64) foreign=arm64 ;;
    *) foreign=amd64 ;;
esac

passed=0
failed=0

chroot_bin=$(command -v chroot) || { echo "chroot-test: chroot not found" >&2; exit 2; }

# step NAME EXPECTED_STATUS [VAR=VALUE...] COMMAND...: run COMMAND inside the
# root with an empty environment plus the VAR=VALUE pairs (there is no `env`
# inside the root to set them).
step() {
    local name=$1 expected=$2 status
    shift 2
    local vars=()
    while [ $# -gt 0 ] && [[ $1 == *=* ]]; do
        vars+=("$1")
        shift
    done
    echo "--- $name"
    echo "\$ ${vars[*]:+${vars[*]} }chroot --userspec=$uid:$uid <root> $*"
    env -i "${vars[@]}" "$chroot_bin" --userspec="$uid:$uid" "$root" "$@" >"$root.out" 2>&1
    status=$?
    sed 's/^/    /' "$root.out"
    if [ "$status" -eq "$expected" ] && [ -n "${need_output:-}" ] && [ ! -s "$root.out" ]; then
        echo "FAIL: exit $status but no output"
        failed=$((failed + 1))
    elif [ "$status" -eq "$expected" ]; then
        echo "ok: exit $status"
        passed=$((passed + 1))
    else
        echo "FAIL: exit $status, expected $expected"
        failed=$((failed + 1))
    fi
    rm -f "$root.out"
    need_output=
}

# expect_file NAME PATH [MIN_BYTES [MAX_BYTES]]: PATH (inside the root) must
# exist and have a size within the bounds.
expect_file() {
    local size
    if [ ! -f "$root$2" ]; then
        echo "FAIL: $1 ($2 missing)"
        failed=$((failed + 1))
        return
    fi
    size=$(wc -c <"$root$2")
    if [ "$size" -lt "${3:-0}" ] || [ "$size" -gt "${4:-$size}" ]; then
        echo "FAIL: $1 ($2 is $size bytes, expected ${3:-0} to ${4:-any})"
        failed=$((failed + 1))
    else
        echo "ok: $1 ($2, $size bytes)"
        passed=$((passed + 1))
    fi
}

expect_no_file() {
    if [ -e "$root$2" ]; then
        echo "FAIL: $1 ($2 exists)"
        failed=$((failed + 1))
    else
        echo "ok: $1"
        passed=$((passed + 1))
    fi
}

echo "chroot-test: $binary checking $target in $root"

need_output=1
step "inspect reads the target" 0 /elfgate inspect /target
need_output=1
step "inspect --format json" 0 /elfgate inspect --format json /target
step "check --arch host passes" 0 \
    /elfgate check --arch host --success-file /out/passed /target
expect_file "success file written on a pass" /out/passed

step "check --arch $foreign fails the rule" 1 \
    /elfgate check --arch "$foreign" --termination-log /out/termination-log \
    --success-file /out/passed-foreign /target
# The kubelet keeps at most 4096 bytes of a termination message.
expect_file "termination log written on a failure" /out/termination-log 1 4096
expect_no_file "no success file on a failure" /out/passed-foreign
if [ -s "$root/out/termination-log" ]; then
    echo "    termination log:"
    sed 's/^/    | /' "$root/out/termination-log"
fi

step "check --root resolves an absolute symlink inside the root" 0 \
    /elfgate check --arch host --root /image /app
step "environment variables stand in for flags" 0 \
    ELFGATE_ARCH=host ELFGATE_TARGETS=/target /elfgate check
step "a missing target exits 3" 3 /elfgate check --arch host /missing
step "a symlink out of --root is not followed out" 3 \
    /elfgate check --arch host --root /image /escape

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
