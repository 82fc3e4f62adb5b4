# elfgate: one entry point per job. `make test` is what CI runs.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: all build test unit lint testdata bench bench-contract bench-image static man fuzz validate-sarif validate-manifests chroot-test

all: build

build:
	$(CARGO) build --release --locked

# Everything CI checks, in order of cost: format, lint, unit + integration tests,
# then the checks of what ships (SARIF/JUnit validity, manifests, static binary in a chroot).
test: lint unit validate-sarif validate-manifests chroot-test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

unit:
	$(CARGO) test --locked

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
