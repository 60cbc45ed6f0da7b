# kgw-consumer: Kafka -> HTTP. Built by docker-compose.yml; by hand:
#   docker build -f consumer.Dockerfile -t kgw-consumer .
#   docker run --rm -e KGW_BROKERS=host1:9092 -e KGW_TOPIC=events \
#       -e KGW_TARGET_URL=http://receiver/hook -e KGW_GROUP=kgw kgw-consumer
# Every flag is also an environment variable: KGW_<FLAG NAME, upper case, '-' -> '_'>.
#
# Two stages: compile on debian:bookworm with the -dev packages, run on debian:bookworm-slim
# with only the shared libraries. Versions are pinned to the bookworm release with a glob on the
# Debian revision, so security updates (+deb12uN) still install and a stale pin never breaks
# the build. producer.Dockerfile has the same build stage: keep the two in step.

# --- build -----------------------------------------------------------------------------------
FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential=12.9 \
        pkg-config=1.8.1-* \
        libmicrohttpd-dev=0.9.75-* \
        librdkafka-dev=2.0.2-* \
        libjansson-dev=2.14-* \
        libcurl4-openssl-dev=7.88.1-10+deb12u* \
        libuv1-dev=1.44.2-* \
        libgnutls28-dev=3.7.9-* \
        nettle-dev=3.8.1-* \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
# The same `make` as the README. The packages above are bin/deps.sh's build group (gnutls and nettle:
# kgw-consumer links it for webhook signatures, libmicrohttpd for HTTPS); KGW_SKIP_DEPS=1
# keeps make from checking them again.
# The --help runs are the smoke check: the binaries start and parse their options. This
# stage is identical in both Dockerfiles, so the builder compiles once for both images.
RUN make all KGW_SKIP_DEPS=1 \
    && build/kgw-producer --help >/dev/null \
    && build/kgw-consumer --help >/dev/null \
    && make install KGW_SKIP_DEPS=1 PREFIX=/usr/local DESTDIR=/out

# --- run -------------------------------------------------------------------------------------
FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
# ca-certificates: target URLs and brokers may be TLS. curl is for the HEALTHCHECK only (it
# shares libcurl4 with the binary).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates=202* \
        libmicrohttpd12=0.9.75-* \
        librdkafka1=2.0.2-* \
        libjansson4=2.14-* \
        libcurl4=7.88.1-10+deb12u* \
        libuv1=1.44.2-* \
        libgnutls30=3.7.9-* \
        libhogweed6=3.8.1-* \
        curl=7.88.1-10+deb12u* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin kgw

COPY --from=build /out/usr/local/bin/kgw-consumer /usr/local/bin/kgw-consumer
# Fails the build if a runtime library is missing from the list above.
RUN kgw-consumer --help >/dev/null

# /health (and /metrics) on the metrics port: 200 while the process runs.
ENV KGW_METRICS_PORT=9100
EXPOSE 9100
USER 10001:10001
# SIGTERM: stop fetching, finish in-flight deliveries (each within -timeout, 30 s by default),
# commit, leave the group, exit 0. Give it time: docker-compose.yml sets stop_grace_period: 45s;
# with docker run, pass --stop-timeout 45 (Docker's default is 10 s).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${KGW_METRICS_PORT:-9100}/health" || exit 1
ENTRYPOINT ["kgw-consumer"]
