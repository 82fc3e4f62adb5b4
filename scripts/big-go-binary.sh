#!/usr/bin/env bash
# Build a large stripped Go binary offline, for `make bench` on a machine
# that has none: PACKAGES generated packages of FUNCS functions each (all
# kept alive through function tables that main indexes by its arguments),
# plus a wide set of the standard library, linked with `-s -w` like a
# release build. The defaults give about 140,000 functions, a binary over
# 100 MB with a .gopclntab in the tens of MB, the scale of kubectl or
# anthoscli; the build takes a few minutes on 2 cores.
#
# Usage: scripts/big-go-binary.sh OUT [GO]
# Environment: PACKAGES (default 200), FUNCS (default 700).
set -euo pipefail

out=${1:?usage: big-go-binary.sh OUT [GO]}
go=${2:-go}
packages=${PACKAGES:-200}
funcs=${FUNCS:-700}

src=$(mktemp -d "${TMPDIR:-/tmp}/elfgate-biggo.XXXXXX")
trap 'rm -rf "$src"' EXIT

python3 - "$src" "$packages" "$funcs" <<'EOF'
import os, sys

src, packages, funcs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
open(os.path.join(src, "go.mod"), "w").write("module example.com/bigbin\n\ngo 1.21\n")
for p in range(packages):
    d = os.path.join(src, "p%03d" % p)
    os.makedirs(d)
    lines = ["package p%03d" % p, "", 'import (\n\t"fmt"\n\t"strconv"\n\t"strings"\n)', ""]
    for f in range(funcs):
        # Distinct constants keep the linker from folding bodies together.
        lines.append(
            "func F%04d(s string, n int) string {\n"
            "\tswitch n %% 5 {\n"
            "\tcase 0:\n\t\treturn strings.Repeat(s, n%%3) + \"p%03d.F%04d\"\n"
            "\tcase 1:\n\t\treturn fmt.Sprint(s, %d, n*%d)\n"
            "\tcase 2:\n\t\treturn strconv.Itoa(n+%d) + strings.ToUpper(s)\n"
            "\tcase 3:\n\t\treturn strings.TrimPrefix(s, \"%d\") + strconv.Quote(s)\n"
            "\t}\n"
            "\treturn s + \"/%d/%d\"\n"
            "}\n" % (f, p, f, p, f, p * funcs + f, f, p, f)
        )
    lines.append("var Funcs = []func(string, int) string{")
    lines += ["\tF%04d," % f for f in range(funcs)]
    lines.append("}")
    open(os.path.join(d, "f.go"), "w").write("\n".join(lines) + "\n")

std = [
    "archive/tar", "archive/zip", "bufio", "compress/bzip2", "compress/flate", "compress/gzip",
    "compress/lzw", "compress/zlib", "container/heap", "container/list", "container/ring",
    "crypto/aes", "crypto/ecdsa", "crypto/ed25519", "crypto/elliptic", "crypto/hmac",
    "crypto/mlkem", "crypto/rsa", "crypto/sha256", "crypto/sha512", "crypto/tls",
    "crypto/x509", "database/sql", "debug/buildinfo", "debug/dwarf", "debug/elf",
    "debug/gosym", "debug/macho", "debug/pe", "encoding/ascii85", "encoding/asn1",
    "encoding/base32", "encoding/base64", "encoding/csv", "encoding/gob", "encoding/hex",
    "encoding/json", "encoding/pem", "encoding/xml", "expvar", "flag", "go/ast",
    "go/build", "go/doc", "go/format", "go/importer", "go/parser", "go/printer",
    "go/token", "go/types", "hash/crc32", "hash/crc64", "hash/fnv", "html/template",
    "image/draw", "image/gif", "image/jpeg", "image/png", "index/suffixarray", "log/slog",
    "math/big", "mime/multipart", "net/http", "net/http/httputil", "net/http/pprof",
    "net/mail", "net/rpc", "net/smtp", "net/textproto", "os/exec", "os/user", "regexp",
    "runtime/pprof", "runtime/trace", "text/tabwriter", "text/template", "testing",
    "time", "unicode/utf16",
]
main = ["package main", "", "import ("]
main += ['\t_ "%s"' % s for s in std]
main += ['\t"os"', '\t"fmt"']
main += ['\tp%03d "example.com/bigbin/p%03d"' % (p, p) for p in range(packages)]
main += [")", "", "var tables = [][]func(string, int) string{"]
main += ["\tp%03d.Funcs," % p for p in range(packages)]
main += [
    "}",
    "",
    "func main() {",
    "\tt := tables[len(os.Args)%len(tables)]",
    "\tfmt.Println(t[len(os.Args)%len(t)](os.Args[0], len(os.Args)))",
    "}",
]
open(os.path.join(src, "main.go"), "w").write("\n".join(main) + "\n")
EOF

# Packages a given toolchain does not have are dropped rather than failing.
for pkg in crypto/mlkem log/slog; do
    if ! "$go" list "$pkg" >/dev/null 2>&1; then
        sed -i "\|\"$pkg\"|d" "$src/main.go"
    fi
done

(cd "$src" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
    "$go" build -trimpath -ldflags="-s -w" -o "$out" .)
echo "big-go-binary: $out: $(stat -c %s "$out") bytes, $packages packages x $funcs functions" >&2
