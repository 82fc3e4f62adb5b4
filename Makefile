# elfgate: one entry point per job. `make test` is what CI runs.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: all build test unit unit-musl lint testdata bench bench-contract bench-image static man fuzz validate-sarif validate-manifests chroot-test

all: build

build:
	$(CARGO) build --release --locked

# Everything CI checks, in order of cost: format, lint, unit + integration tests,
# then the checks of what ships (SARIF/JUnit validity, manifests, static binary in a chroot).
test: lint unit unit-musl validate-sarif validate-manifests chroot-test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

unit:
	$(CARGO) test --locked

# The Dockerfile ships the musl build: the unit tests and the tests of the
# messages elfgate prints for damaged files and hostile trees run against it
# too (its C library words errors its own way). Adds the Rust target if missing.
MUSL_TARGET := $(shell uname -m | sed 's/^arm64$$/aarch64/')-unknown-linux-musl
unit-musl:
	rustup target list --installed | grep -qx '$(MUSL_TARGET)' || rustup target add '$(MUSL_TARGET)'
	$(CARGO) test --locked --target '$(MUSL_TARGET)' --lib --test hostile_fs --test damaged --test finish

# Rebuild the committed fixtures with real toolchains (needs scripts/install-toolchains.sh).
testdata:
	$(MAKE) -C testdata fixtures

validate-sarif:
	scripts/validate-reports.sh

validate-manifests:
	scripts/validate-manifests.sh

static: man
	scripts/build-static.sh

# Man pages for release artifacts: dist/elfgate.1 and dist/elfgate-<subcommand>.1,
# generated from the clap definitions (examples/man.rs).
man:
	$(CARGO) run --locked --quiet --example man -- dist

chroot-test: static
	scripts/chroot-test.sh

bench:
	scripts/bench.sh

# The contract case alone: snapshot against abidw, diff against abidiff.
bench-contract:
	scripts/bench-contract.sh

# The --image case of `make bench` alone: check --image against umoci unpack + check --root.
bench-image:
	scripts/bench-image.sh

fuzz:
	scripts/fuzz.sh
