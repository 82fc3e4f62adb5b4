# syntax=docker/dockerfile:1
#
# elfgate image: one static binary on an empty filesystem. No shell, no CA
# bundle, no libc: elfgate reads files and writes a verdict, nothing more.
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg SOURCE=https://... -t REGISTRY/elfgate:0.1.0 .
#
# The builder runs on the build machine's platform and cross-compiles to the
# musl target of TARGETARCH, so an arm64 image needs no emulation. musl links
# statically by default; scripts/build-static.sh adds the flags and checks
# that the result has no interpreter and no needed libraries.
# tests/dockerfile.rs asserts the properties this file promises.

ARG RUST_VERSION=1.95.0

FROM --platform=$BUILDPLATFORM rust:${RUST_VERSION}-bookworm AS builder
ARG TARGETARCH
WORKDIR /src

# Map the image architecture to a Rust target and, when it differs from the
# build machine's, install a cross linker for it, which also compiles the one
# C file of mimalloc (the allocator of musl builds, see src/main.rs). The
# choice is written to /etc/elfgate-build.env for the build step.
RUN set -eu; \
    case "$TARGETARCH" in \
        amd64) arch=x86_64; gcc_pkg=gcc-x86-64-linux-gnu ;; \
        arm64) arch=aarch64; gcc_pkg=gcc-aarch64-linux-gnu ;; \
        *) echo "elfgate: unsupported TARGETARCH '$TARGETARCH' (amd64, arm64)" >&2; exit 1 ;; \
    esac; \
    target="$arch-unknown-linux-musl"; \
    rustup target add "$target"; \
    echo "export ELFGATE_TARGET=$target" > /etc/elfgate-build.env; \
    if [ "$(uname -m)" != "$arch" ]; then \
        apt-get update; \
        apt-get install -y --no-install-recommends "$gcc_pkg"; \
        rm -rf /var/lib/apt/lists/*; \
        linker_var="CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_LINKER"; \
        echo "export $linker_var=$arch-linux-gnu-gcc" >> /etc/elfgate-build.env; \
        cc_var="CC_$(echo "$target" | tr 'a-z-' 'a-z_')"; \
        echo "export $cc_var=$arch-linux-gnu-gcc" >> /etc/elfgate-build.env; \
    fi; \
    cat /etc/elfgate-build.env

COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY scripts/build-static.sh ./scripts/build-static.sh

# No .git here: build.rs takes the commit `elfgate --version` reports from
# ELFGATE_REVISION (empty: the version alone).
ARG REVISION=

# The registry and target directories are cache mounts: they speed up
# rebuilds and stay out of every layer. The binary leaves through dist/.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=elfgate-target-${TARGETARCH} \
    set -eu; \
    . /etc/elfgate-build.env; \
    ELFGATE_REVISION="$REVISION" ./scripts/build-static.sh

FROM scratch
ARG VERSION=0.1.0
ARG REVISION=
ARG SOURCE=
ARG LICENSES=NOASSERTION
LABEL org.opencontainers.image.title="elfgate" \
      org.opencontainers.image.description="Static checks of ELF binaries: Go toolchain version, build settings, symbols, ABI markers, loadability" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="${LICENSES}" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=builder --chown=0:0 --chmod=0555 /src/dist/elfgate /elfgate
USER 65532:65532
ENTRYPOINT ["/elfgate"]
CMD ["--help"]
