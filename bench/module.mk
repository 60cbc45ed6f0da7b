# bench/: the benchmark's ceilings and helpers (see bench/README.md).
# bare_mhd and bare_curl are the producer's and consumer's ceilings, bare_producer
# the batch ceiling and preloader, bare_consumer the Kafka side of forwarding on real
# Kafka, sink the counting webhook receiver, count
# reads a topic's watermarks.
BENCH_PROGS := bare_mhd bare_gateway bare_producer bare_consumer bare_curl sink count
TOOLS += $(BENCH_PROGS:%=$(BUILD)/bench/%)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBKGW)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
# Keep the objects: make would delete them as intermediates of the pattern rule.
.SECONDARY: $(BENCH_PROGS:%=$(BUILD)/bench/%.o)
