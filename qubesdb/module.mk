# qubesdb/: the per-qube configuration database. proto/ is the wire format
# (both sides); daemon/ is dom0's per-qube daemon; client/ a dom0 tool.
QUBESDB_PROTO_SRCS := qubesdb/proto/parse.c qubesdb/proto/build.c
QUBESDB_LIB := $(BUILD)/qubesdb/libqubesdb.a
$(QUBESDB_LIB): $(QUBESDB_PROTO_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

BINS += $(BUILD)/bin/qubesdb-daemon $(BUILD)/bin/qubesdb-cmd
$(BUILD)/bin/qubesdb-daemon: $(BUILD)/qubesdb/daemon/main.o $(BUILD)/qubesdb/daemon/store.o \
                             $(QUBESDB_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)
$(BUILD)/bin/qubesdb-cmd: $(BUILD)/qubesdb/client/qubesdb-cmd.o $(QUBESDB_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# qubesdb-fake-vm: the VM end of port 111, scripted (integration tests)
BINS += $(BUILD)/bin/qubesdb-fake-vm
$(BUILD)/bin/qubesdb-fake-vm: $(BUILD)/tests/tools/qubesdb-fake-vm.o $(QUBESDB_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

TEST_BINS += $(BUILD)/tests/unit/test_qubesdb
$(BUILD)/tests/unit/test_qubesdb: $(BUILD)/tests/unit/test_qubesdb.o $(BUILD)/qubesdb/daemon/store.o \
                                  $(QUBESDB_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

FUZZ_BINS += $(FUZZ_DIR)/fuzz_qubesdb_msg
$(FUZZ_DIR)/fuzz_qubesdb_msg: tests/fuzz/fuzz_qubesdb_msg.c $(QUBESDB_PROTO_SRCS) $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(QUBESDB_PROTO_SRCS) $(FUZZ_LIB_SRCS)
fuzz: $(FUZZ_DIR)/fuzz_qubesdb_msg
