#!/usr/bin/env bash
# Checks for (and installs) the Debian bookworm packages kgw builds and tests with.
#
#   bin/deps.sh --missing   print the missing package names, one line; exit 0
#   bin/deps.sh --install   apt-get update + install what is missing (root only;
#                           otherwise print the exact apt-get line and exit 1)
#
# The check is cheap (pkg-config and command -v), so every make target runs it.
set -euo pipefail

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

# "package check" pairs: a check is pkg:<pkg-config name> or cmd:<command>.
REQUIRED=(
    "pkg-config cmd:pkg-config"
    "libmicrohttpd-dev pkg:libmicrohttpd"
    "librdkafka-dev pkg:rdkafka"
    "libjansson-dev pkg:jansson"
    "libcurl4-openssl-dev pkg:libcurl"
    "libuv1-dev pkg:libuv"
    "libgnutls28-dev pkg:gnutls"
    "libcriterion-dev pkg:criterion"
    "kcat cmd:kcat"
    "curl cmd:curl"
    "python3 cmd:python3"
    "python3-jsonschema file:/usr/lib/python3/dist-packages/jsonschema/__init__.py"
    "npm cmd:npx"
    "shellcheck cmd:shellcheck"
    "clang-format cmd:clang-format"
    "cppcheck cmd:cppcheck"
    "valgrind cmd:valgrind"
    "docker-compose cmd:docker-compose"
    "wrk cmd:wrk"
    "clang cmd:clang"
    "libclang-rt-14-dev file:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
    "openssl cmd:openssl"
    "nginx file:/usr/sbin/nginx"
    "procps cmd:ps"
    "iproute2 cmd:ss"
)

missing() {
    local out=() entry pkg check
    local have_pkgconfig=0
    command -v pkg-config >/dev/null 2>&1 && have_pkgconfig=1
    for entry in "${REQUIRED[@]}"; do
        pkg=${entry%% *}
        check=${entry#* }
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

case ${1:-} in
--missing)
    missing
    ;;
--install)
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
