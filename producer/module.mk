# kgw-producer: the HTTP -> Kafka service. Every source but main.c also goes
# into the unit-test binary, so pure modules are tested without sockets.
PRODUCER_SRCS := producer/config.c producer/access.c producer/framing.c producer/route.c producer/request.c producer/reaper.c producer/jscan.c producer/batch.c \
                 producer/errmap.c producer/envelope.c producer/restproxy.c producer/cors.c producer/idem.c producer/replay.c producer/v3rec.c producer/v3stream.c producer/meta.c producer/metaview.c producer/api.c producer/openapi.c \
                 producer/simulator.c producer/produce.c producer/iplimit.c producer/httpd.c producer/server.c
PRODUCER_UNIT_SRCS := tests/unit/test_producer_access.c tests/unit/test_producer_envelope.c \
                      tests/unit/test_producer_jscan.c tests/unit/test_producer_misc.c \
                      tests/unit/test_producer_reaper.c tests/unit/test_producer_restproxy.c \
                      tests/unit/test_producer_simulator.c tests/unit/test_producer_v3.c \
                      tests/unit/test_producer_iplimit.c

BINS += $(BUILD)/kgw-producer
$(BUILD)/kgw-producer: $(BUILD)/producer/main.o $(PRODUCER_SRCS:%.c=$(BUILD)/%.o) $(LIBKGW)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

UNIT_TESTS += $(BUILD)/tests/unit-producer
$(BUILD)/tests/unit-producer: $(PRODUCER_UNIT_SRCS:%.c=$(BUILD)/%.o) $(PRODUCER_SRCS:%.c=$(BUILD)/%.o) $(LIBKGW)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(shell pkg-config --libs criterion)

# The OpenAPI document is compiled in with .incbin (producer/openapi.c).
$(BUILD)/producer/openapi.o: producer/openapi.json
