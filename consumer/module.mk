# kgw-consumer: Kafka -> webhook forwarder (consumer/), its unit tests and test tools.
CONSUMER_SRCS := consumer/cli.c consumer/record.c consumer/offsets.c consumer/lanes.c \
                 consumer/policy.c consumer/stats.c consumer/sink.c consumer/source.c \
                 consumer/deadletter.c consumer/parts.c consumer/delivery.c \
                 consumer/delivery_breaker.c \
                 consumer/dispatch.c consumer/encode.c consumer/app.c consumer/signature.c \
                 consumer/shape.c consumer/batch.c consumer/breaker.c consumer/token.c \
                 consumer/oauth2.c consumer/credentials.c consumer/headers.c
CONSUMER_UNIT_SRCS := tests/unit/test_consumer_cli.c tests/unit/test_consumer_record.c \
                      tests/unit/test_consumer_offsets.c tests/unit/test_consumer_lanes.c \
                      tests/unit/test_consumer_policy.c \
                      tests/unit/test_consumer_signature.c tests/unit/test_consumer_stats.c \
                      tests/unit/test_consumer_dispatch.c tests/unit/test_consumer_parts.c \
                      tests/unit/test_consumer_dispatch_batch.c \
                      tests/unit/test_consumer_dispatch_breaker.c tests/unit/fake_dispatch.c \
                      tests/unit/test_consumer_encode.c tests/unit/test_consumer_batch.c \
                      tests/unit/test_consumer_breaker.c tests/unit/test_consumer_token.c

# Webhook signatures (consumer/signature.c): HMAC-SHA256 and PEM parsing from GnuTLS,
# ed25519 from Nettle (hogweed).
CONSUMER_LIBS := $(shell pkg-config --libs gnutls hogweed nettle)

BINS += $(BUILD)/kgw-consumer
$(BUILD)/kgw-consumer: $(BUILD)/consumer/main.o $(CONSUMER_SRCS:%.c=$(BUILD)/%.o) $(LIBKGW)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(CONSUMER_LIBS)

UNIT_TESTS += $(BUILD)/tests/unit-consumer
$(BUILD)/tests/unit-consumer: $(CONSUMER_UNIT_SRCS:%.c=$(BUILD)/%.o) $(CONSUMER_SRCS:%.c=$(BUILD)/%.o) $(LIBKGW)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(CONSUMER_LIBS) $(shell pkg-config --libs criterion)

# consumer_committed: prints a group's committed offsets (rd_kafka_committed).
TOOLS += $(BUILD)/tests/consumer_committed
$(BUILD)/tests/consumer_committed: $(BUILD)/tests/tools/consumer_committed.o $(LIBKGW)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
