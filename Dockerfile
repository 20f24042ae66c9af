# syntax=docker/dockerfile:1
#
# referral-relay container image: the Swift toolchain builds a release binary with the Swift
# standard library and Foundation linked statically; the runtime is Debian bookworm-slim with
# only the shared libraries that binary still loads (librdkafka1 and its dependencies, libstdc++)
# and the CA bundle for TLS to Kafka and to MMOLove. It runs as UID/GID 10001 and needs no shell.
#
#   docker build -t referral-relay:dev .

# ---------------------------------------------------------------------------------------------
FROM swift:6.3.1-bookworm AS build

# Build-time C dependencies: librdkafka headers (the CRDKafka system library, via pkg-config)
# and OpenSSL headers.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        librdkafka-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Resolve dependencies in their own layer so source edits don't refetch them.
# (Package.resolved is optional: the glob lets COPY succeed without it.)
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve

COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product referral-relay \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/referral-relay" /out/referral-relay \
    && install -D -m 0755 /usr/libexec/swift/linux/swift-backtrace-static /out/swift-backtrace-static

# ---------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# librdkafka1 pulls in libssl3, libsasl2-2, zlib1g, libzstd1 and liblz4-1. The Swift runtime
# needs libstdc++6 and libgcc-s1 even with --static-swift-stdlib. No libcurl/libxml2: the relay
# links neither FoundationNetworking nor FoundationXML.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        librdkafka1 libstdc++6 libgcc-s1 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 relay \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin relay

COPY --from=build /out/referral-relay /usr/local/bin/referral-relay
COPY --from=build /out/swift-backtrace-static /usr/libexec/swift/linux/swift-backtrace-static

# Fail the build if the binary needs a shared library the runtime image lacks.
RUN if ldd /usr/local/bin/referral-relay | grep -q 'not found'; then \
        ldd /usr/local/bin/referral-relay; exit 1; \
    fi

# Symbolicated crash backtraces on stderr without an interactive debugger.
ENV SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/libexec/swift/linux/swift-backtrace-static

LABEL org.opencontainers.image.title="referral-relay" \
      org.opencontainers.image.description="Relays player lifecycle events from Kafka to MMOLove's referral ingest endpoint"

USER 10001:10001
# The ops port: /healthz, /readyz, /metrics (RELAY_OPS_PORT).
EXPOSE 8080

# Kubernetes probes /healthz and /readyz (see the Helm chart); a Docker HEALTHCHECK would be
# ignored there and would need a shell or curl in the image.
#checkov:skip=CKV_DOCKER_2:Kubernetes ignores Docker HEALTHCHECK; the chart's liveness/readiness/startup probes hit /healthz and /readyz, and the image deliberately ships no curl
ENTRYPOINT ["/usr/local/bin/referral-relay"]
CMD ["run"]
