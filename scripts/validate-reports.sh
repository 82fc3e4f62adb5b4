#!/usr/bin/env bash
# Validates what `elfgate check` writes for CI systems:
# - SARIF against the official SARIF 2.1.0 schema, twice: with Microsoft's
#   SARIF Multitool (npm @microsoft/sarif-multitool) and with Python's
#   jsonschema against the sarif-2.1.0.json that package ships;
# - JUnit XML with junitparser (PyPI) and the standard library's XML parser.
# Installs its tools on first use into .tools/ (npm) and the user's pip.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=.tools/sarif
MULTITOOL_VERSION=5.7.0
if [ ! -x "$TOOLS/node_modules/.bin/sarif-multitool" ]; then
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --silent "@microsoft/sarif-multitool@$MULTITOOL_VERSION"
fi
# The package's postinstall script (which marks the binary executable) may not run.
chmod u+x "$TOOLS"/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
python3 -c 'import junitparser, jsonschema' 2>/dev/null \
  || python3 -m pip install --quiet 'junitparser==5.0.3' 'jsonschema==4.26.0'

cargo build --locked --quiet
ELFGATE=target/debug/elfgate
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# A run with passes, failures, unknowns and an unreadable target, so that every
# result shape is exercised.
args=(--min-version go1.22.0 --require-symbol runtime.mallocgc --forbid-symbol '*boring*'
      --require-property ibt,shstk --max-isa x86-64-v2 --arch amd64 --max-glibc 2.34
      testdata/bin testdata/bin/notelf.txt)
set +e
"$ELFGATE" check --format sarif --output "$OUT/report.sarif" "${args[@]}" >/dev/null
rc_sarif=$?
"$ELFGATE" check --format junit --output "$OUT/report.xml" "${args[@]}" >/dev/null
rc_junit=$?
set -e
for rc in $rc_sarif $rc_junit; do
  case $rc in 1|3) ;; *) echo "unexpected exit status $rc from check" >&2; exit 1 ;; esac
done

"$TOOLS/node_modules/.bin/sarif-multitool" validate "$OUT/report.sarif" --output "$OUT/validation.sarif" >/dev/null
python3 - "$OUT" "$TOOLS/node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json" <<'PY'
import json, sys, xml.etree.ElementTree as ET
import jsonschema, junitparser
out, schema_path = sys.argv[1], sys.argv[2]
problems = []
val = json.load(open(f"{out}/validation.sarif"))
for run in val.get("runs", []):
    for r in run.get("results", []):
        if r.get("level", "warning") == "error":
            problems.append(f"multitool: {r.get('ruleId')}: {r.get('message')}")
report = json.load(open(f"{out}/report.sarif"))
schema = json.load(open(schema_path))
for e in jsonschema.Draft7Validator(schema).iter_errors(report):
    problems.append(f"jsonschema: {list(e.path)}: {e.message}")
results = report["runs"][0]["results"]
if not results:
    problems.append("SARIF report has no results")
ET.parse(f"{out}/report.xml")
xml = junitparser.JUnitXml.fromfile(f"{out}/report.xml")
cases = [c for suite in xml for c in suite]
if not cases:
    problems.append("JUnit report has no test cases")
failed = [c for c in cases if not c.is_passed]
if not failed:
    problems.append("JUnit report has no failure although rules failed")
print(f"SARIF: {len(results)} results; JUnit: {len(cases)} test cases, {len(failed)} failing")
if problems:
    print("\n".join(problems)); sys.exit(1)
PY

# The same for a run over an image (--image): results carry the image digest
# and the file's layer in their properties, the run the image object. The
# image is written here (Python's tarfile and gzip) to need no other tool.
python3 - "$OUT/img" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
d = sys.argv[1]
os.makedirs(f"{d}/blobs/sha256")
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(f"{d}/blobs/sha256/{h}", "wb").write(b)
    return {"digest": f"sha256:{h}", "size": len(b)}
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    t.add("testdata/bin/go127-exe", "app/server")
    t.add("testdata/bin/libcet.so", "app/lib/libcet.so")
layer = raw.getvalue()
config = {"os": "linux", "architecture": "amd64", "config": {"Entrypoint": ["/app/server"]},
          "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": dict(put(json.dumps(config).encode()), mediaType="application/vnd.oci.image.config.v1+json"),
            "layers": [dict(put(gzip.compress(layer)), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")]}
m = dict(put(json.dumps(manifest).encode()), mediaType="application/vnd.oci.image.manifest.v1+json")
json.dump({"schemaVersion": 2, "manifests": [m]}, open(f"{d}/index.json", "w"))
open(f"{d}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
set +e
"$ELFGATE" check --format sarif --output "$OUT/image.sarif" --image "oci:$OUT/img" \
  --min-version go1.22.0 --require-symbol runtime.mallocgc --require-property ibt --max-isa x86-64-v2 / >/dev/null
rc=$?
set -e
case $rc in 1|3) ;; *) echo "unexpected exit status $rc from check --image" >&2; exit 1 ;; esac
"$TOOLS/node_modules/.bin/sarif-multitool" validate "$OUT/image.sarif" --output "$OUT/image-validation.sarif" >/dev/null
python3 - "$OUT" "$TOOLS/node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json" <<'PY'
import json, sys
import jsonschema
out, schema_path = sys.argv[1], sys.argv[2]
problems = []
for run in json.load(open(f"{out}/image-validation.sarif")).get("runs", []):
    for r in run.get("results", []):
        if r.get("level", "warning") == "error":
            problems.append(f"multitool: {r.get('ruleId')}: {r.get('message')}")
report = json.load(open(f"{out}/image.sarif"))
for e in jsonschema.Draft7Validator(json.load(open(schema_path))).iter_errors(report):
    problems.append(f"jsonschema: {list(e.path)}: {e.message}")
results = report["runs"][0]["results"]
digest = report["runs"][0]["properties"]["image"]["digest"]
if not results or any(r["properties"].get("image_digest") != digest for r in results):
    problems.append("image SARIF results do not all carry the image digest")
print(f"image SARIF: {len(results)} results, image {digest}")
if problems:
    print("\n".join(problems)); sys.exit(1)
PY
