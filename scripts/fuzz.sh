#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for FUZZ_SECONDS each, one after
# another, seeded from testdata/, and exits non-zero if any target found a
# crash, a timeout (one input over 10 s), an out-of-memory (2 GiB RSS or a
# single 2 GiB allocation) or a leak. See docs/fuzzing.md.
#
#   scripts/fuzz.sh                      # every target, 600 s each
#   FUZZ_SECONDS=60 scripts/fuzz.sh      # a quick pass
#   scripts/fuzz.sh facts pclntab        # some targets only
#
# Environment:
#   FUZZ_SECONDS     seconds per target (default 600)
#   FUZZ_JOBS        libFuzzer -jobs; unset: one in-process fuzzer per target
#   FUZZ_TARGET_DIR  cargo target dir for the fuzz build (default fuzz/target)
#   FUZZ_LOG_DIR     one log per target (default fuzz/logs)
#
# Installs what it needs on a fresh machine: cargo-fuzz from crates.io, and
# a nightly toolchain through rustup when rustup can reach its server; else
# it builds with the stable toolchain and RUSTC_BOOTSTRAP=1 (cargo-fuzz
# needs -Z flags for the sanitizer and coverage instrumentation).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-600}
target_dir=${FUZZ_TARGET_DIR:-$root/fuzz/target}
log_dir=${FUZZ_LOG_DIR:-$root/fuzz/logs}
all_targets=(facts buildinfo modinfo pclntab properties versions version_string scan dwarf policy image_json image_tar ldcache ldso_dirs musl_path)
all_targets=(facts buildinfo modinfo pclntab properties versions version_string scan dwarf policy image_json image_tar snapshot accept)
if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=("${all_targets[@]}")
fi

say() { printf 'fuzz.sh: %s\n' "$*" >&2; }

# --- toolchain ---------------------------------------------------------------
toolchain=()
if command -v rustup >/dev/null 2>&1; then
	if rustup toolchain list | grep -q '^nightly'; then
		toolchain=(+nightly)
	elif rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
		toolchain=(+nightly)
	fi
fi
if [ ${#toolchain[@]} -eq 0 ]; then
	say "no nightly toolchain: using the default toolchain with RUSTC_BOOTSTRAP=1"
	export RUSTC_BOOTSTRAP=1
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
	say "installing cargo-fuzz"
	cargo install cargo-fuzz --locked
fi
fuzz() { cargo "${toolchain[@]}" fuzz "$@"; }

# --- seeds -------------------------------------------------------------------
# The corpus directories are git-ignored; seeds are copied in every run (the
# corpus keeps what earlier runs found). Section dumps need objcopy
# (binutils); without it, whole files are used, which still work but make
# slower, less focused seeds.
corpus=$root/fuzz/corpus
have_objcopy=false
command -v objcopy >/dev/null 2>&1 && have_objcopy=true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

elf_fixtures() {
	local f
	for f in "$root"/testdata/bin/*; do
		[ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && printf '%s\n' "$f"
	done
	return 0
}

# dump_section SECTION OUT_DIR: the raw bytes of SECTION of every fixture
# that has it, as OUT_DIR/<fixture>.<section>. Fixtures of architectures
# this objcopy does not know are passed over.
dump_section() {
	local sec=$1 out=$2 f name
	mkdir -p "$out"
	while read -r f; do
		name=$(basename "$f")
		objcopy -O binary --only-section="$sec" "$f" "$out/$name$sec" 2>/dev/null || true
		[ -s "$out/$name$sec" ] || rm -f "$out/$name$sec"
	done < <(elf_fixtures)
}

seed() {
	local t=$1 dir=$corpus/$1 f
	mkdir -p "$dir"
	case $t in
	facts | versions)
		elf_fixtures | while read -r f; do cp "$f" "$dir/"; done
		cp "$root"/testdata/bin/notelf.txt "$dir/" ;;
	buildinfo)
		if $have_objcopy; then dump_section .go.buildinfo "$dir"; else elf_fixtures | while read -r f; do cp "$f" "$dir/"; done; fi ;;
	pclntab)
		if $have_objcopy; then
			dump_section .gopclntab "$dir"
			dump_section .data.rel.ro.gopclntab "$dir"
		fi ;;
	scan)
		if $have_objcopy; then dump_section .rodata "$dir"; else elf_fixtures | while read -r f; do cp "$f" "$dir/"; done; fi ;;
	properties)
		# Byte 0 selects class/endian/machine (see the target); the note
		# header (namesz, descsz, type, "GNU\0") is 16 bytes.
		if $have_objcopy; then
			dump_section .note.gnu.property "$tmp/prop"
			for f in "$tmp"/prop/*; do
				[ -e "$f" ] || continue
				case $f in
				*arm64*) { printf '\010'; tail -c +17 "$f"; } > "$dir/$(basename "$f")" ;;
				*) { printf '\000'; tail -c +17 "$f"; } > "$dir/$(basename "$f")" ;;
				esac
			done
		fi
		printf '\000\002\000\000\300\004\000\000\000\003\000\000\000\000\000\000\000' > "$dir/x86-ibt-shstk" ;;
	modinfo)
		# `go version -m` output is the module info text indented by a tab,
		# after a "file: version" line.
		for f in "$root"/testdata/golden/*.go-version-m; do
			grep -q '^	path	' "$f" || continue
			tail -n +2 "$f" | sed -n 's/^\t//p' > "$dir/$(basename "$f")"
		done ;;
	version_string)
		for f in "$root"/testdata/golden/*.go-version-m; do
			head -n 1 "$f" | sed -n 's/^[^:]*: \(go1.*\)$/\1/p' | tr -d '\n' > "$dir/$(basename "$f")"
		done
		local i=0 v
		for v in 'go1.21.0' 'go1.21rc1' 'go1.9.2rc2' 'go1' 'go1.22' \
			'go1.25.5 X:boringcrypto,arenas' 'devel go1.24-0a1b2c3 Tue Jan 1 00:00:00 2025 +0000' \
			'go1.25-devel_0a1b2c3' 'go1.18 gccgo (GCC) 12.2.0' 'go1.21.0 X:nocoverageredesign'; do
			for r in '>=1.21.0, <1.26' 'go1.22.0' '~1.21' '^1.20' '=go1.21rc1' '>1.20,<=1.22.3'; do
				printf '%s\0%s' "$v" "$r" > "$dir/fixed-$i"
				i=$((i + 1))
			done
		done ;;
	dwarf)
		# Only the debug sections, so that mutations land in DWARF; also a
		# zlib-compressed copy for the .zdebug/SHF_COMPRESSED path.
		while read -r f; do
			readelf -S "$f" 2>/dev/null | grep -q '\.debug_info' || continue
			if $have_objcopy && objcopy --only-keep-debug "$f" "$dir/$(basename "$f").debug" 2>/dev/null; then
				objcopy --compress-debug-sections=zlib "$dir/$(basename "$f").debug" "$dir/$(basename "$f").zdebug" 2>/dev/null || true
			else
				cp "$f" "$dir/"
			fi
		done < <(elf_fixtures) ;;
	policy)
		cp "$root"/ci-examples/elfgate-policy.yaml "$dir/ci-example.yaml"
		find "$root"/manifests -name policy.yaml | while read -r f; do
			cp "$f" "$dir/$(echo "${f#"$root"/}" | tr / _)"
		done
		# The YAML examples of the docs, one file per block.
		awk -v dir="$dir" '/^```yaml/ {n++; out=dir "/doc-" n ".yaml"; next} /^```/ {out=""; next} out {print > out}' \
			"$root"/docs/policy-schema.md ;;
	image_json | image_tar)
		image_seeds "$t" "$dir" ;;
	ldcache)
		# The host's cache, and the real ldconfig's output in each layout
		# for a small root with glibc-hwcaps subdirectories.
		[ -f /etc/ld.so.cache ] && cp /etc/ld.so.cache "$dir/host"
		if command -v ldconfig >/dev/null 2>&1 && [ -f /lib/x86_64-linux-gnu/libc.so.6 ]; then
			local r=$tmp/ldroot sub fmt
			for sub in "" glibc-hwcaps/x86-64-v2/ glibc-hwcaps/x86-64-v3/; do
				mkdir -p "$r/opt/h/$sub"
				cp /lib/x86_64-linux-gnu/libc.so.6 "$r/opt/h/${sub}libc.so.6"
			done
			mkdir -p "$r/etc"
			echo /opt/h > "$r/etc/ld.so.conf"
			for fmt in new old compat; do
				ldconfig -r "$r" -c "$fmt" 2>/dev/null && cp "$r/etc/ld.so.cache" "$dir/$fmt" || true
			done
		fi ;;
	ldso_dirs)
		# Byte 0: bit 0 set = ELF32, bit 1 set = big-endian.
		for f in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux.so.2 /lib/ld-linux-aarch64.so.1; do
			[ -f "$f" ] && { printf '\000'; cat "$f"; } > "$dir/$(basename "$f")"
		done
		printf '\000\026\000\000\000\000\000\000\000\011\000\000\000\000\000\000\000/lib/x86_64-linux-gnu/\000/usr/lib/\000\000ORIGIN\000PLATFORM\000LIB\000lib64\000 release version 2.36.' > "$dir/small" ;;
	musl_path)
		printf '/lib\n/usr/local/lib\n/usr/lib\n' > "$dir/default"
		printf '/opt/a::/opt/b\n\n/usr/lib\000/ignored' > "$dir/odd"
		printf '/lib/ld-musl-x86_64.so.1' > "$dir/interp" ;;
	snapshot)
		# Snapshots of a few fixtures of each kind, by the elfgate of this
		# checkout, and hostile documents.
		cargo run --quiet --release -- snapshot "$root"/testdata/bin/libversioned.so \
			"$root"/testdata/bin/go127-cshared.so "$root"/testdata/bin/contract/plugin-same.so \
			"$root"/testdata/bin/contract/linkshared "$root"/testdata/bin/contract/libruntime.so \
			>"$dir/fixtures.json"
		printf '{"schema": "elfgate.contract/v1", "files": []}' >"$dir/empty.json"
		printf '{"schema": "elfgate.contract/v1", "files": [{"path": "a", "sha256": 5}]}' >"$dir/types.json"
		printf '{"schema": "elfgate.contract/v1", "files": [[[[[[[[[[]]]]]]]]]]}' >"$dir/nested.json" ;;
	accept)
		awk -v dir="$dir" '/^```yaml/ {n++; out=dir "/doc-" n ".yaml"; next} /^```/ {out=""; next} out {print > out}' \
			"$root"/docs/contract.md ;;
	*)
		say "unknown target $t"
		return 1 ;;
	esac
}

# Image documents and layers from the real tools: umoci builds a small
# image (a binary, a symlink, a hard link, a whiteout), skopeo writes its
# docker-archive manifest.json; GNU tar writes layers in its own formats.
# Without umoci/skopeo only the tar seeds are made.
image_seeds() {
	local t=$1 dir=$2 work=$tmp/image-$1 f i=0
	mkdir -p "$work/stage/app" "$work/stage/etc"
	# A small ELF file: tar structure is what this fuzzes, not ELF.
	cp "$root"/testdata/bin/libcet.so "$work/stage/app/server"
	ln -sf server "$work/stage/app/link"
	ln -f "$work/stage/app/server" "$work/stage/app/hard"
	printf 'text\n' > "$work/stage/etc/notes"
	: > "$work/stage/etc/.wh.old"
	: > "$work/stage/app/.wh..wh..opq"
	for fmt in gnu pax ustar; do
		tar --format=$fmt -cf "$work/$fmt.tar" -C "$work/stage" . 2>/dev/null || continue
		[ "$t" = image_tar ] && cp "$work/$fmt.tar" "$dir/gnu-tar-$fmt"
	done
	if [ "$t" = image_tar ] && [ -e "$work/pax.tar" ] && [ -e "$work/gnu.tar" ]; then
		{ cat "$work/gnu.tar"; printf -- '--elfgate-layer--'; cat "$work/pax.tar"; } > "$dir/two-layers"
	fi
	command -v umoci >/dev/null && command -v skopeo >/dev/null || return 0
	(
		cd "$work"
		umoci init --layout lay >/dev/null 2>&1 && umoci new --image lay:t >/dev/null 2>&1 &&
			umoci unpack --rootless --image lay:t b >/dev/null 2>&1 &&
			cp -a stage/. b/rootfs/ && rm -f b/rootfs/etc/.wh.old b/rootfs/app/.wh..wh..opq &&
			umoci repack --image lay:t b >/dev/null 2>&1 &&
			umoci config --image lay:t --config.entrypoint /app/server --config.env PATH=/app >/dev/null 2>&1 &&
			skopeo copy oci:lay:t docker-archive:d.tar:elfgate/x:v1 >/dev/null 2>&1
	) || return 0
	if [ "$t" = image_json ]; then
		cp "$work/lay/index.json" "$dir/index.json"
		for f in "$work"/lay/blobs/sha256/*; do
			head -c 1 "$f" | grep -q '{' && cp "$f" "$dir/blob-$(basename "$f")"
		done
		tar -xOf "$work/d.tar" manifest.json > "$dir/docker-manifest.json" 2>/dev/null || true
		for r in 'oci:lay:t' 'docker-archive:d.tar:elfgate/x:v1' 'docker-archive:d.tar:@0' 'linux/arm64/v8'; do
			printf '%s' "$r" > "$dir/ref-$i"
			i=$((i + 1))
		done
	else
		for f in "$work"/lay/blobs/sha256/*; do
			gzip -dc "$f" > "$dir/umoci-layer-$(basename "$f")" 2>/dev/null || rm -f "$dir/umoci-layer-$(basename "$f")"
		done
	fi
}

# --- run ---------------------------------------------------------------------
say "building the fuzz targets"
fuzz build --target-dir "$target_dir"
mkdir -p "$log_dir"
status=0
summary=()
for t in "${targets[@]}"; do
	seed "$t"
	artifacts=$root/fuzz/artifacts/$t
	mkdir -p "$artifacts"
	before=$(find "$artifacts" -type f | wc -l)
	extra=()
	[ -n "${FUZZ_JOBS:-}" ] && extra+=("-jobs=$FUZZ_JOBS")
	# Whole-file targets: libFuzzer's default limit (1 MiB) would cut
	# the Go fixtures (1-3.3 MiB) before their section headers.
	case $t in facts | versions | dwarf | image_tar) extra+=("-max_len=4194304") ;; esac
	say "$t: ${seconds}s, $(find "$corpus/$t" -type f | wc -l) corpus files"
	set +e
	fuzz run --target-dir "$target_dir" "$t" "$corpus/$t" -- \
		-max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 "${extra[@]}" > "$log_dir/$t.log" 2>&1
	rc=$?
	set -e
	after=$(find "$artifacts" -type f | wc -l)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_dir/$t.log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log_dir/$t.log" | tail -n 1 | cut -d' ' -f2)
	if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		status=1
		summary+=("$t	runs=${runs:-?}	cov=${cov:-?}	FINDING (exit $rc; see $log_dir/$t.log and $artifacts)")
	else
		summary+=("$t	runs=${runs:-?}	cov=${cov:-?}	ok")
	fi
done

printf '%s\n' "${summary[@]}"
exit "$status"
