# syntax=docker/dockerfile:1
# sealant-controller image: a release Rust build, run on distroless
# "nonroot" (no shell, no package manager, UID 65532). Build from the repository root:
#   docker build -t sealant-controller .
# See deploy/README.md ("Container image") for building, scanning and signing.

# ---- build ---------------------------------------------------------------------------
# Pinned by digest: update both tag and digest together (docker buildx imagetools inspect).
FROM docker.io/library/rust:1.95-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1 AS build
WORKDIR /src
COPY --chown=root:root . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release -p sealant-controller --features aws-lc --bin sealant-controller \
 && install -D -m 0555 target/release/sealant-controller /out/sealant-controller

# ---- runtime -------------------------------------------------------------------------
# distroless/cc: glibc + libgcc only (aws-lc needs libc); the :nonroot variant runs as 65532.
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f
COPY --from=build --chown=65532:65532 /out/sealant-controller /sealant-controller
# Bitnami's chart and controller.yaml run `command: [controller]`: the same binary under that
# name on PATH, so an existing install swaps the image and changes nothing else. A second
# copy, not a link: distroless has no shell to make one, and COPY's handling of links is not
# something to rely on. PATH is set explicitly rather than inherited from the base image.
COPY --from=build --chown=65532:65532 /out/sealant-controller /usr/local/bin/controller
ENV PATH=/usr/local/bin:/usr/bin:/bin
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/sealant-controller"]
