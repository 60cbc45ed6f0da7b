#!/usr/bin/env bash
# Checks for (and installs) the Debian bookworm packages kgw needs, by group.
#
#   bin/deps.sh --missing [GROUP...]   print the missing package names, one line; exit 0
#   bin/deps.sh --install [GROUP...]   apt-get update + install what is missing (root only;
#                                      otherwise print the exact apt-get line and exit 1)
#   bin/deps.sh --list [GROUP...]      print each group's packages
#
# Groups (default: build): build (compile and link), run (make run), test (make test: unit,
# integration, faults, e2e, bin/e2e.sh), valgrind, lint, fuzz, bench, kafka (make test-kafka,
# make run KAFKA=real), all. Each make target asks
# for the groups it needs, so `make` and `make run` never install test, lint or bench tools.
# The check is cheap (pkg-config and command -v), so every make target runs it.
set -euo pipefail

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

# "package check" pairs: a check is pkg:<pkg-config name>, cmd:<command> or file:<path>.
# gnutls is named, not left to arrive with libmicrohttpd-dev: kgw-consumer links it for
# webhook signatures (consumer/signature.c), with nettle-dev for ed25519 (v1a).
BUILD_PKGS=(
    "gcc cmd:cc"
    "make cmd:make"
    "pkg-config cmd:pkg-config"
    "libmicrohttpd-dev pkg:libmicrohttpd"
    "librdkafka-dev pkg:rdkafka"
    "libjansson-dev pkg:jansson"
    "libcurl4-openssl-dev pkg:libcurl"
    "libuv1-dev pkg:libuv"
    "libgnutls28-dev pkg:gnutls"
    "nettle-dev pkg:hogweed"
)
# bin/run.sh polls /ready with curl.
RUN_PKGS=(
    "curl cmd:curl"
)
TEST_PKGS=(
    "libcriterion-dev pkg:criterion"
    "kcat cmd:kcat"
    "curl cmd:curl"
    "python3 cmd:python3"
    "openssl cmd:openssl"
    "nginx file:/usr/sbin/nginx"
    "python3-jsonschema file:/usr/lib/python3/dist-packages/jsonschema/__init__.py"
    "npm cmd:npx"
    "procps cmd:ps"
    "iproute2 cmd:ss"
)
VALGRIND_PKGS=(
    "valgrind cmd:valgrind"
)
LINT_PKGS=(
    "shellcheck cmd:shellcheck"
    "clang-format cmd:clang-format"
    "cppcheck cmd:cppcheck"
    "docker-compose cmd:docker-compose"
)
FUZZ_PKGS=(
    "clang cmd:clang"
    "libclang-rt-14-dev file:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
)
# make test-kafka, make run KAFKA=real, bench --kafka: Apache Kafka runs on a JDK, and
# Maven resolves its jars (bin/kafka-cluster.sh).
KAFKA_PKGS=(
    "default-jdk-headless cmd:java"
    "maven cmd:mvn"
    "kcat cmd:kcat"
    "openssl cmd:openssl"
    "python3 cmd:python3"
)
BENCH_PKGS=(
    "wrk cmd:wrk"
    "curl cmd:curl"
    "python3 cmd:python3"
    "procps cmd:ps"
)

# entries GROUP...: the "package check" pairs of the groups, in REQUIRED.
REQUIRED=()
select_groups() {
    local g
    [ $# -gt 0 ] || set -- build
    for g in "$@"; do
        case $g in
        build) REQUIRED+=("${BUILD_PKGS[@]}") ;;
        run) REQUIRED+=("${RUN_PKGS[@]}") ;;
        test) REQUIRED+=("${TEST_PKGS[@]}") ;;
        valgrind) REQUIRED+=("${VALGRIND_PKGS[@]}") ;;
        lint) REQUIRED+=("${LINT_PKGS[@]}") ;;
        fuzz) REQUIRED+=("${FUZZ_PKGS[@]}") ;;
        bench) REQUIRED+=("${BENCH_PKGS[@]}") ;;
        kafka) REQUIRED+=("${KAFKA_PKGS[@]}") ;;
        all) select_groups build run test valgrind lint fuzz bench kafka ;;
        *)
            echo "deps: unknown group '$g' (build run test valgrind lint fuzz bench kafka all)" >&2
            exit 2
            ;;
        esac
    done
}

missing() {
    local out=() entry pkg check
    local have_pkgconfig=0
    command -v pkg-config >/dev/null 2>&1 && have_pkgconfig=1
    for entry in "${REQUIRED[@]}"; do
        pkg=${entry%% *}
        check=${entry#* }
        case " ${out[*]:-} " in *" $pkg "*) continue ;; esac
        case $check in
        pkg:*)
            if [ "$have_pkgconfig" -eq 0 ] || ! pkg-config --exists "${check#pkg:}"; then
                out+=("$pkg")
            fi
            ;;
        cmd:*) command -v "${check#cmd:}" >/dev/null 2>&1 || out+=("$pkg") ;;
        file:*) [ -e "${check#file:}" ] || out+=("$pkg") ;;
        esac
    done
    echo "${out[*]:-}"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
--missing)
    select_groups "$@"
    missing
    ;;
--list)
    select_groups "$@"
    printf '%s\n' "${REQUIRED[@]%% *}" | awk '!seen[$0]++' | tr '\n' ' '
    echo
    ;;
--install)
    select_groups "$@"
    pkgs=$(missing)
    if [ -z "$pkgs" ]; then
        echo "deps: all packages present"
        exit 0
    fi
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    line="apt-get update && apt-get install -y --no-install-recommends $pkgs"
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing packages: $pkgs" >&2
        echo "deps: run as root: $line" >&2
        exit 1
    fi
    echo "deps: installing: $pkgs"
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine's package lists are empty; install alone would find nothing.
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $pkgs
    left=$(missing)
    if [ -n "$left" ]; then
        echo "deps: still missing after install: $left" >&2
        exit 1
    fi
    ;;
-h | --help)
    usage
    ;;
*)
    usage >&2
    exit 2
    ;;
esac
