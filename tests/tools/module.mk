# Small C tools the tests and scripts use (built by make test / make all-tools).
TOOLS += $(BUILD)/tests/kafka-offsets
$(BUILD)/tests/kafka-offsets: $(BUILD)/tests/tools/kafka_offsets.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
# bin/e2e.sh reads the group's committed offsets with it: `make` (all) builds it too.
RUN_TOOLS += $(BUILD)/tests/kafka-offsets
# make run KAFKA=real creates its topic with it.
RUN_TOOLS += $(BUILD)/tests/kafka-admin
$(BUILD)/tests/kafka-admin: $(BUILD)/tests/tools/kafka_admin.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
