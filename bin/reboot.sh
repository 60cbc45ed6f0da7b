#!/usr/bin/env bash
# Restarts the docker-compose stack from scratch and waits until the producer is ready.
#
#   bin/reboot.sh [--no-build] [--scale-consumers N] [--timeout S] [--url URL]
#
# docker-compose down, build the kgw images, up -d, then poll the producer's
# /ready (default http://127.0.0.1:6969/ready) until it answers 200, for at most
# S seconds (default 120). On timeout prints the containers and their last logs
# and exits 1. Uses `docker compose` when the plugin is there, else docker-compose.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=1
CONSUMERS=
TIMEOUT_S=120
READY_URL=http://127.0.0.1:6969/ready

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
    echo "reboot.sh: $*" >&2
    exit 2
}

need_arg() {
    [ $# -ge 2 ] || die "$1 needs a value (see --help)"
}

is_uint() {
    case $1 in
    '' | *[!0-9]*) return 1 ;;
    *) return 0 ;;
    esac
}

while [ $# -gt 0 ]; do
    case $1 in
    --no-build)
        BUILD=0
        shift
        ;;
    --scale-consumers)
        need_arg "$@"
        is_uint "$2" || die "--scale-consumers wants a number, got '$2'"
        CONSUMERS=$2
        shift 2
        ;;
    --timeout)
        need_arg "$@"
        if ! is_uint "$2" || [ "$2" -eq 0 ]; then
            die "--timeout wants seconds > 0, got '$2'"
        fi
        TIMEOUT_S=$2
        shift 2
        ;;
    --url)
        need_arg "$@"
        READY_URL=$2
        shift 2
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        die "unknown argument '$1' (see --help)"
        ;;
    esac
done

command -v curl >/dev/null 2>&1 || die "curl is needed to poll $READY_URL"

# The compose front end: the v2 plugin when present, else the standalone v1 tool.
if docker compose version >/dev/null 2>&1; then
    COMPOSE_NAME="docker compose"
    COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE_NAME=docker-compose
    COMPOSE=(docker-compose)
else
    die "neither 'docker compose' nor 'docker-compose' is installed"
fi
COMPOSE+=(-f "$ROOT/docker-compose.yml")

compose() {
    echo "+ $COMPOSE_NAME $*"
    "${COMPOSE[@]}" "$@"
}

compose down --remove-orphans
if [ "$BUILD" -eq 1 ]; then
    compose build
fi
UP=(up -d)
[ "$BUILD" -eq 1 ] || UP+=(--no-build)
[ -z "$CONSUMERS" ] || UP+=(--scale "consumer=$CONSUMERS")
compose "${UP[@]}"

echo "reboot.sh: waiting up to ${TIMEOUT_S}s for $READY_URL"
start=$SECONDS
deadline=$((SECONDS + TIMEOUT_S))
last=
while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$READY_URL" || true)
    elapsed=$((SECONDS - start))
    if [ "$code" = 200 ]; then
        echo "reboot.sh: producer ready after ${elapsed}s"
        break
    fi
    # 000: nothing listening yet; 503: up, Kafka metadata not reachable yet.
    if [ "$code" != "$last" ] || [ $((elapsed % 10)) -eq 0 ]; then
        echo "reboot.sh: ${elapsed}s: /ready -> ${code:-000}"
        last=$code
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "reboot.sh: producer not ready after ${TIMEOUT_S}s (last answer ${code:-000})" >&2
        "${COMPOSE[@]}" ps >&2 || true
        "${COMPOSE[@]}" logs --no-color --tail=40 >&2 || true
        exit 1
    fi
    sleep 1
done

"${COMPOSE[@]}" ps
cat <<EOF

Brokers (from the host): localhost:9092,localhost:9093,localhost:9094
Try:
  curl -X POST http://127.0.0.1:6969/produce -H 'Content-Type: application/json' \\
       -d '{"topic":"events","key":"k1","payload":{"hello":"world"}}'
  $COMPOSE_NAME logs -f consumer producer
  bin/e2e.sh --brokers localhost:9092,localhost:9093,localhost:9094
EOF
