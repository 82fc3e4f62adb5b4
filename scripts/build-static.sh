#!/usr/bin/env bash
# Build a fully static elfgate into dist/elfgate.
#
# Target choice, in order:
#   1. $ELFGATE_TARGET, when set (the Dockerfile sets it per TARGETARCH);
#   2. <arch>-unknown-linux-musl, when `rustup target list --installed` has it:
#      musl links statically by default and needs no C library on the host;
#   3. <arch>-unknown-linux-gnu with `-C target-feature=+crt-static`: glibc's
#      static archives (libc6-dev) are linked in. elfgate uses no NSS, iconv
#      or dlopen, the glibc features that do not work from a static binary.
#
# The target is always passed with --target, so build scripts and proc macros
# are still built for the host as usual and only elfgate itself is static.
# `-C relocation-model=static` gives a non-PIE executable: without it rustc
# emits a static-pie, which `file` reports as "static-pie linked", and tools
# that look for "statically linked" (ldd, file, scanners) treat it as dynamic.
#
# On musl targets elfgate links mimalloc (see src/main.rs), one C file built
# by the `cc` crate with the target's C compiler, CC_<target>. When that is
# unset and the target is the host's architecture, it is `musl-gcc` (Debian's
# musl-tools) if installed, else `cc`: the `cc` crate would otherwise look for
# a `<arch>-linux-musl-gcc` that Debian does not ship. A cross build sets it
# (the Dockerfile does, to the cross gcc that also links). mimalloc calls only
# POSIX functions whose ABI glibc's and musl's headers agree on. On x86_64
# musl, elfgate also defines `memcpy` and `memmove` (src/memcpy.rs), which
# the link takes instead of musl's.
#
# The commit the binary reports in `--version` comes from `git` (build.rs),
# or from ELFGATE_REVISION where there is no .git (the Dockerfile passes its
# REVISION build argument).
#
# Environment: ELFGATE_TARGET, ELFGATE_PROFILE (default release),
# CARGO_TARGET_DIR (default target), RUSTFLAGS (appended to), CC_<target>,
# CFLAGS_<target> (appended to), ELFGATE_REVISION.
set -euo pipefail

cd "$(dirname "$0")/.."

arch=$(uname -m)
case "$arch" in
    x86_64 | aarch64) ;;
    arm64) arch=aarch64 ;;
    *) echo "build-static: unsupported host architecture $arch" >&2; exit 2 ;;
esac

target=${ELFGATE_TARGET:-}
if [ -z "$target" ]; then
    if command -v rustup >/dev/null 2>&1 &&
        rustup target list --installed 2>/dev/null | grep -qx "$arch-unknown-linux-musl"; then
        target=$arch-unknown-linux-musl
    else
        target=$arch-unknown-linux-gnu
    fi
fi

flags="-C relocation-model=static"
case "$target" in
    *-linux-gnu*) flags="$flags -C target-feature=+crt-static" ;;
    *-linux-musl*)
        cc_var="CC_$(echo "$target" | tr 'a-z-' 'a-z_')"
        if [ -z "${!cc_var:-}" ] && [ "${target%%-*}" = "$arch" ]; then
            if command -v musl-gcc >/dev/null 2>&1; then
                export "$cc_var=musl-gcc"
            else
                export "$cc_var=cc"
            fi
        fi
        echo "build-static: C compiler for $target: ${!cc_var:-chosen by the cc crate}"
        # mimalloc's defaults, set where they are compiled (they are read at
        # the first allocation, before main): no transparent huge pages and
        # no eager commit of its arenas, each of which made a one-file run's
        # RSS 10 MiB instead of 3 (every touched 4 KiB counted as 2 MiB).
        # MI_SKIP_COLLECT_ON_EXIT: no collection of every heap at exit,
        # whose madvise calls returned memory the exit frees anyway (about
        # 5% of a one-file `inspect`'s CPU in a profile).
        cflags_var="CFLAGS_$(echo "$target" | tr 'a-z-' 'a-z_')"
        export "$cflags_var=${!cflags_var:+${!cflags_var} }-DMI_DEFAULT_ALLOW_THP=0 -DMI_DEFAULT_ARENA_EAGER_COMMIT=0 -DMI_SKIP_COLLECT_ON_EXIT"
        ;;
    *) echo "build-static: $target is not a Linux gnu or musl target" >&2; exit 2 ;;
esac

profile=${ELFGATE_PROFILE:-release}
target_dir=${CARGO_TARGET_DIR:-target}

echo "build-static: target $target, profile $profile, rustflags: $flags"
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }$flags" \
    cargo build --locked --profile "$profile" --target "$target" --bin elfgate

# Cargo names the directory of the built-in `dev` profile `debug`.
profile_dir=$profile
[ "$profile" = dev ] && profile_dir=debug
built=$target_dir/$target/$profile_dir/elfgate

mkdir -p dist
install -m 0755 "$built" dist/elfgate.tmp
mv -f dist/elfgate.tmp dist/elfgate

# Verify: no program interpreter and no DT_NEEDED, whatever reports it.
if command -v file >/dev/null 2>&1; then
    description=$(file -b dist/elfgate)
    echo "build-static: dist/elfgate: $description"
    case "$description" in
        *"statically linked"*) ;;
        *) echo "build-static: dist/elfgate is not statically linked" >&2; exit 1 ;;
    esac
fi
if command -v readelf >/dev/null 2>&1; then
    if readelf -lW dist/elfgate | grep -q 'INTERP'; then
        echo "build-static: dist/elfgate has a PT_INTERP program header" >&2
        exit 1
    fi
    if readelf -dW dist/elfgate 2>/dev/null | grep -q '(NEEDED)'; then
        echo "build-static: dist/elfgate needs shared libraries:" >&2
        readelf -dW dist/elfgate | grep '(NEEDED)' >&2
        exit 1
    fi
fi
if ! command -v file >/dev/null 2>&1 && ! command -v readelf >/dev/null 2>&1; then
    echo "build-static: neither file nor readelf found; linkage not verified" >&2
fi

echo "build-static: dist/elfgate $(wc -c <dist/elfgate) bytes"
