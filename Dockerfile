# syntax=docker/dockerfile:1
# orgsweep container image: deploy/kubernetes and deploy/aws-batch run it.
#   docker build -t orgsweep .
#   docker run --rm orgsweep --help
# The image holds the binary only: no shell, no package manager, runs as a non-root user.

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# The caches keep the crates.io downloads and the (slow: AWS SDK) build between builds; the
# binary is copied out of the cached target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p orgsweep \
    && install -D -m 0755 target/release/orgsweep /out/orgsweep

# distroless cc: glibc, libgcc, CA certificates and tzdata, nothing else; the :nonroot tag
# runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=builder /out/orgsweep /usr/local/bin/orgsweep
# 65532 is distroless's "nonroot" user. Numeric, so Kubernetes can check runAsNonRoot
# without a runAsUser (it cannot resolve a user name inside the image).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/orgsweep"]
CMD ["--help"]
