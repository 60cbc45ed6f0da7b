# kgw: Kafka HTTP gateway. Hand-written Makefile in hiredis's spirit.
#
#   make            build every binary (and what bin/e2e.sh runs) into build/
#   make test       unit, integration and end-to-end tests; last line "N passed, N failed"
#   make test-kafka the integration, fault and e2e suites on a real 3-node Apache Kafka
#   make run        the whole pipeline on the embedded cluster (see README);
#                   PORT=6969 TOPIC=events PARTITIONS=6 override its defaults;
#                   KAFKA=real runs it on a real 3-node Apache Kafka (bin/kafka-cluster.sh)
#   make lint       clang-format check, cppcheck, shellcheck, docker-compose config
#   make asan       the test suite built with -fsanitize=address,undefined (build/asan/)
#   make valgrind   the integration tests with kgw programs under valgrind memcheck
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 30)
#   make bench      benchmarks beside their ceilings (bench/)
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install missing Debian packages (root), or print the apt-get line;
#                   GROUPS='build run' limits it to those groups (bin/deps.sh --help)
#   make help       this list
#
# Each program directory adds its sources through its own module.mk fragment.

.DEFAULT_GOAL := all
VERSION    := 0.1.0
BUILD      ?= build
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
CC         ?= cc
CFLAGS     ?= -O2 -g
WERROR     ?= 1
SANITIZE   ?=
PKGS       := libmicrohttpd rdkafka jansson libcurl libuv
TEST_PKGS  := criterion

# A cheap check on every run: when a package a goal needs is missing, the deps stamp
# below is forced, make runs bin/deps.sh --install for the goal's groups, then restarts
# with the packages present. `make` needs the build group only, `make run` adds run,
# `make test` test; lint, fuzz, valgrind and bench add their own (bin/deps.sh --list).
# KGW_SKIP_DEPS=1 skips it (container builds install their packages themselves).
NODEPS_GOALS := deps clean format help uninstall
KGW_SKIP_DEPS ?= 0
deps_for = $(if $(filter all install $(BUILD)/kgw-% $(BUILD)/libkgw.a,$(1)),build) \
           $(if $(filter run,$(1)),build run) \
           $(if $(filter test unit integration e2e asan $(BUILD)/tests/%,$(1)),build test) \
           $(if $(filter valgrind,$(1)),build test valgrind) \
           $(if $(filter lint,$(1)),lint) \
           $(if $(filter fuzz $(BUILD)/fuzz/%,$(1)),build fuzz) \
           $(if $(filter bench $(BUILD)/bench/%,$(1)),build test bench) \
           $(if $(filter test-kafka kafka-deps,$(1)),build test kafka) \
           $(if $(filter real,$(KAFKA)),$(if $(filter run,$(1)),kafka))
DEPS_GROUPS := $(sort $(call deps_for,$(or $(MAKECMDGOALS),all)))
ifeq ($(KGW_SKIP_DEPS),0)
ifneq ($(DEPS_GROUPS),)
DEPS_MISSING := $(shell bin/deps.sh --missing $(DEPS_GROUPS))
endif
endif
DEPS_STAMP := $(BUILD)/.deps.mk
ifneq ($(strip $(DEPS_MISSING)),)
$(DEPS_STAMP): FORCE
-include $(DEPS_STAMP)
endif
$(DEPS_STAMP):
	@bin/deps.sh --install $(DEPS_GROUPS)
	@mkdir -p $(@D) && echo '# packages checked' > $@

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wwrite-strings -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) -pthread -MMD -MP -I. \
             -DKGW_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS) -pthread
LIBS        = $(PKG_LIBS) -lm

# --- common/: build/libkgw.a -------------------------------------------------
COMMON_SRCS := common/kgw_log.c common/kgw_json.c common/kgw_config.c common/kgw_kafka.c common/kgw_metrics.c \
               common/kgw_security.c
COMMON_OBJS  = $(COMMON_SRCS:%.c=$(BUILD)/%.o)
LIBKGW      := $(BUILD)/libkgw.a

# Fragments append to these.
BINS        :=
UNIT_TESTS  :=
TOOLS       :=
RUN_TOOLS   :=
COMMON_UNIT_SRCS := tests/unit/test_kgw_log.c tests/unit/test_kgw_config.c \
                    tests/unit/test_kgw_kafka.c tests/unit/test_kgw_metrics.c \
                    tests/unit/test_kgw_security.c tests/unit/test_kgw_json.c

include common/module.mk
include devcluster/module.mk
include producer/module.mk
include consumer/module.mk
include tests/tools/module.mk
include bench/module.mk

# --- unit tests for common/ ----------------------------------------------------
UNIT_TESTS += $(BUILD)/tests/unit-common
$(BUILD)/tests/unit-common: $(COMMON_UNIT_SRCS:%.c=$(BUILD)/%.o) $(LIBKGW)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

# --- rules -------------------------------------------------------------------
.PHONY: all test test-kafka kafka-deps unit integration e2e run bench lint format asan valgrind fuzz install uninstall clean deps help FORCE
# RUN_TOOLS: what bin/e2e.sh runs besides the programs, so that `make` is enough for it.
all: $(BINS) $(RUN_TOOLS)

$(LIBKGW): $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Test binaries need criterion's flags too. (cppcheck skips them: it cannot expand
# criterion's Test() macros.)
$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null) -c -o $@ $<

test: all $(UNIT_TESTS) $(TOOLS)
	@BUILD=$(BUILD) tests/run.sh

unit: $(UNIT_TESTS)
	@BUILD=$(BUILD) tests/run.sh unit

integration: all $(TOOLS)
	@BUILD=$(BUILD) tests/run.sh integration

e2e: all $(TOOLS)
	@BUILD=$(BUILD) tests/run.sh e2e

# Real Apache Kafka (bin/kafka-cluster.sh): a JDK and Maven come from Debian when missing.
test-kafka: all $(TOOLS)
	@BUILD=$(BUILD) tests/kafka/run.sh

kafka-deps:
	@bin/deps.sh --install kafka

# KGW_SANITIZED tells tests that memory figures are the sanitizer's, not kgw's.
asan:
	KGW_SANITIZED=1 $(MAKE) BUILD=build/asan SANITIZE=address,undefined CFLAGS='-O1 -g' test

# libFuzzer targets (clang): the producer's request parsing and framing checks, the consumer's
# record encoding, common/kgw_json and kgw_log's JSON lines.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_FLAGS    = -std=gnu11 -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -DKGW_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
FUZZ_PRODUCE_SRCS := tests/fuzz/fuzz_produce.c producer/envelope.c producer/restproxy.c \
                     producer/jscan.c producer/batch.c producer/errmap.c \
                     common/kgw_kafka.c common/kgw_log.c common/kgw_json.c common/kgw_fmt.c
FUZZ_RECORD_SRCS  := tests/fuzz/fuzz_record.c consumer/record.c common/kgw_json.c common/kgw_fmt.c
FUZZ_JSON_SRCS    := tests/fuzz/fuzz_json.c common/kgw_json.c common/kgw_log.c common/kgw_fmt.c
FUZZ_FRAMING_SRCS := tests/fuzz/fuzz_framing.c producer/framing.c
FUZZERS := $(BUILD)/fuzz/fuzz_produce $(BUILD)/fuzz/fuzz_record $(BUILD)/fuzz/fuzz_json \
           $(BUILD)/fuzz/fuzz_framing
$(BUILD)/fuzz/fuzz_produce: $(FUZZ_PRODUCE_SRCS) $(wildcard producer/*.h common/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_PRODUCE_SRCS) $(PKG_LIBS)
$(BUILD)/fuzz/fuzz_record: $(FUZZ_RECORD_SRCS) $(wildcard consumer/*.h common/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_RECORD_SRCS) $(PKG_LIBS)
$(BUILD)/fuzz/fuzz_json: $(FUZZ_JSON_SRCS) $(wildcard common/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_JSON_SRCS) $(PKG_LIBS)
$(BUILD)/fuzz/fuzz_framing: $(FUZZ_FRAMING_SRCS) producer/framing.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_FRAMING_SRCS)
fuzz: $(FUZZERS)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(abspath $(FUZZERS))

valgrind: all $(TOOLS)
	@BUILD=$(BUILD) tests/valgrind.sh integration

run: all
	@BUILD=$(BUILD) bin/run.sh $(if $(PORT),--port $(PORT)) $(if $(TOPIC),--topic $(TOPIC)) \
		$(if $(PARTITIONS),--partitions $(PARTITIONS)) $(if $(KAFKA),--kafka $(KAFKA))

bench: all $(TOOLS)
	@BUILD=$(BUILD) bench/run.sh --runs 3

C_FILES  = $(shell git ls-files -co --exclude-standard '*.c' '*.h' 2>/dev/null)
SH_FILES = $(shell git ls-files -co --exclude-standard '*.sh' .ci/run 2>/dev/null)
lint:
	@echo "lint: clang-format"; clang-format --dry-run --Werror $(C_FILES)
	@echo "lint: cppcheck"; cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,performance,portability --suppress=missingIncludeSystem \
		-I. -DKGW_VERSION='"$(VERSION)"' $(filter-out tests/unit/%,$(C_FILES))
	@echo "lint: shellcheck"; shellcheck -x $(SH_FILES)
	@echo "lint: docker-compose"; docker-compose -f docker-compose.yml config -q && \
		docker-compose -f docker-compose.yml -f docker-compose.sasl.yml config -q
	@echo "lint: clean"

format:
	clang-format -i $(C_FILES)

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BINS)))

clean:
	rm -rf build

# make deps GROUPS='build test': install the packages of those groups (default: all).
GROUPS ?= all
deps:
	@bin/deps.sh --install $(GROUPS)

help:
	@sed -n '3,/^#$$/p' Makefile | sed -e '$$d' -e 's/^# \{0,1\}//'

FORCE:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
