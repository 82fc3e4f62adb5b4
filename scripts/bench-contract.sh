#!/usr/bin/env bash
# Benchmark `elfgate snapshot` against `abidw` and `elfgate diff` against
# `abidiff` on a generated C library pair with BENCH_SYMBOLS exported
# symbols (default 20,000: a small pair only measures process start-up),
# in one run, and print a Markdown section for BENCHMARKS.md with each
# target (wall time <= 0.1 x the other tool's) and PASS or MISS.
#
#   scripts/bench-contract.sh                 # alone: builds elfgate, prints the section
#   make bench-contract                       # the same
#   ELFGATE=dist/elfgate scripts/bench-contract.sh >>BENCHMARKS.md   # what bench.sh does
#
# Environment:
#   ELFGATE        the elfgate binary (default: cargo build --release, target/release/elfgate)
#   BENCH_SYMBOLS  exported functions in the library (default 20000; objects add 1/20 more)
#   BENCH_RUNS     hyperfine runs per command (default 20)
#
# Debian 12 (installs hyperfine, abigail-tools and gcc when missing, as root).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$PWD
N=${BENCH_SYMBOLS:-20000}
RUNS=${BENCH_RUNS:-20}
WARMUP=3

log() { printf '\n== %s\n' "$*" >&2; }

missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v abidiff >/dev/null || missing+=(abigail-tools)
command -v gcc >/dev/null || missing+=(gcc)
command -v python3 >/dev/null || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
        { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
fi

if [ -z "${ELFGATE:-}" ]; then
    log "building elfgate (cargo build --release --locked)"
    cargo build --release --locked >&2
    target_dir=$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    ELFGATE=$target_dir/release/elfgate
fi
[ -x "$ELFGATE" ] || { echo "bench-contract.sh: $ELFGATE is not executable" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/elfgate-bench-contract.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- the library pair ----------------------------------------------------------
# OLD: N functions and N/20 objects over two version nodes. NEW: 10 functions
# removed, 10 added, 5 objects resized, a default version moved.
log "generating a library pair with $N exported functions"
python3 - "$work" "$N" <<'EOF'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
objs = max(n // 20, 10)
def write(name, removed, added, resized):
    with open(os.path.join(work, name + ".c"), "w") as f:
        for i in range(n):
            if i not in removed:
                f.write(f"int bench_fn_{i}(int x) {{ return x + {i}; }}\n")
        for i in added:
            f.write(f"int bench_new_{i}(int x) {{ return x - {i}; }}\n")
        for i in range(objs):
            size = 8 if i in resized else 4
            f.write(f"int bench_obj_{i}[{size}] = {{{i}}};\n")
    half = n // 2
    with open(os.path.join(work, name + ".map"), "w") as f:
        f.write("BENCH_1.0 {\n  global:\n")
        for i in range(half):
            if i not in removed:
                f.write(f"    bench_fn_{i};\n")
        for i in range(objs):
            f.write(f"    bench_obj_{i};\n")
        f.write("  local: *;\n};\nBENCH_2.0 {\n  global:\n")
        for i in range(half, n):
            if i not in removed:
                f.write(f"    bench_fn_{i};\n")
        for i in added:
            f.write(f"    bench_new_{i};\n")
        f.write("} BENCH_1.0;\n")
write("old", set(), [], set())
write("new", set(range(100, 110)), list(range(10)), set(range(5)))
EOF
for side in old new; do
    gcc -shared -fPIC -O1 -Wl,--version-script="$work/$side.map" -Wl,-soname,libbench.so.1 \
        -o "$work/lib$side.so" "$work/$side.c" >&2
done
exports=$(readelf --dyn-syms -W "$work/libold.so" | awk '$7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK")' | grep -c ' FUNC \| OBJECT ')

# --- correctness first -----------------------------------------------------------
"$ELFGATE" snapshot "$work/libold.so" >"$work/old.json"
"$ELFGATE" snapshot "$work/libnew.so" >"$work/new.json"
status=0
"$ELFGATE" diff --format json "$work/libold.so" "$work/libnew.so" >"$work/diff.json" || status=$?
abidiff_status=0
abidiff "$work/libold.so" "$work/libnew.so" >"$work/abidiff.txt" || abidiff_status=$?
summary=$(python3 - "$work/diff.json" "$work/old.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
snap = json.load(open(sys.argv[2]))
kinds = {}
for c in d["changes"]:
    kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
print(len(snap["files"][0]["symbols"]), ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
EOF
)
recorded=${summary%% *}
kinds=${summary#* }

# --- timings -----------------------------------------------------------------------
log "timing (hyperfine, $RUNS runs)"
hyperfine -N -i --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/snapshot.json" \
    -n "elfgate snapshot" "$ELFGATE snapshot $work/libold.so" \
    -n "abidw" "abidw $work/libold.so" >&2
hyperfine -N -i --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/diff-times.json" \
    -n "elfgate diff" "$ELFGATE diff $work/libold.so $work/libnew.so" \
    -n "abidiff" "abidiff $work/libold.so $work/libnew.so" >&2

python3 - "$work" "$N" "$exports" "$recorded" "$kinds" "$status" "$abidiff_status" \
    "$(abidiff --version)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$ELFGATE" <<'EOF'
import json, os, sys
work, n, exports, recorded, kinds, status, abst, abiver, load, elfgate = sys.argv[1:]
def res(name):
    return {r["command"]: r for r in json.load(open(os.path.join(work, name)))["results"]}
snap, diff = res("snapshot.json"), res("diff-times.json")
def ms(x): return f"{x * 1000:.1f}"
rows, summary = [], []
for title, table, me, them in [("snapshot", snap, "elfgate snapshot", "abidw"),
                               ("diff", diff, "elfgate diff", "abidiff")]:
    a, b = table[me], table[them]
    ratio = a["mean"] / b["mean"]
    cpu = (a["user"] + a["system"]) / max(b["user"] + b["system"], 1e-9)
    ok = ratio <= 0.1
    rows.append(f"| `{me}` | {ms(a['mean'])} ± {ms(a['stddev'])} | {ms(a['user'] + a['system'])} | — |")
    rows.append(f"| `{them}` | {ms(b['mean'])} ± {ms(b['stddev'])} | {ms(b['user'] + b['system'])} | {ratio:.3f} (CPU {cpu:.3f}) |")
    summary.append(f"| {title} | wall ≤ 0.1 × `{them}` | {ratio:.3f} × | {'PASS' if ok else '**MISS**'} |")
print(f"""
## Contracts: `snapshot` against `abidw`, `diff` against `abidiff`

Written by `scripts/bench-contract.sh` (`make bench-contract`, also run by `make bench`).
A generated C library with {n} exported functions and {int(n) // 20} objects over two
version nodes ({exports} exported functions and objects by `readelf`; the snapshot records
{recorded} symbols), and a second build with 10 functions removed, 10 added and 5 objects
resized. Both tools read ELF symbols only (no debug info). hyperfine `-N`, {3} warm-up
runs, {len(json.load(open(os.path.join(work, 'snapshot.json')))['results'][0]['times'])} timed
runs each; load average {load} (1, 5, 15 min) at the end. elfgate: `{os.path.basename(elfgate)}`;
{abiver}.

| command | wall mean ± σ (ms) | user+sys (ms) | elfgate ÷ this (wall) |
| --- | --- | --- | --- |
""" + "\n".join(rows) + f"""

| case | target | measured | |
| --- | --- | --- | --- |
""" + "\n".join(summary) + f"""

`elfgate diff` exited {status} and found: {kinds}. `abidiff` exited {abst}.""")
EOF
