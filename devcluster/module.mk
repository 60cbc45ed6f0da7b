# kgw-devcluster: the embedded in-memory Kafka for development and tests.
DEVCLUSTER_SRCS := devcluster/main.c devcluster/devcluster_control.c
BINS += $(BUILD)/kgw-devcluster
$(BUILD)/kgw-devcluster: $(DEVCLUSTER_SRCS:%.c=$(BUILD)/%.o) $(LIBKGW)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
