# qubesdb/: the per-qube configuration database. proto/ is the wire format
# (both sides); daemon/ is dom0's per-qube daemon; client/ the client
# library and the commands; vm/ the qube's daemon (a proxy to dom0's).
QUBESDB_PROTO_SRCS := qubesdb/proto/parse.c qubesdb/proto/build.c qubesdb/proto/reply.c
QUBESDB_LIB_SRCS := $(QUBESDB_PROTO_SRCS) qubesdb/client/qdb_client.c
QUBESDB_LIB := $(BUILD)/qubesdb/libqubesdb.a
$(QUBESDB_LIB): $(QUBESDB_LIB_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

BINS += $(BUILD)/bin/qubesdb-daemon $(BUILD)/bin/qubesdb-cmd $(BUILD)/bin/qubesdb-vm-daemon
$(BUILD)/bin/qubesdb-daemon: $(BUILD)/qubesdb/daemon/main.o $(BUILD)/qubesdb/daemon/store.o \
                             $(QUBESDB_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)
$(BUILD)/bin/qubesdb-cmd: $(BUILD)/qubesdb/client/qubesdb-cmd.o $(QUBESDB_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
$(BUILD)/bin/qubesdb-vm-daemon: $(BUILD)/qubesdb/vm/main.o $(QUBESDB_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# The qube's commands: one program under six names (it reads its name).
QUBESDB_TOOLS := qubesdb-read qubesdb-write qubesdb-rm qubesdb-list qubesdb-multiread \
                 qubesdb-watch
BINS += $(QUBESDB_TOOLS:%=$(BUILD)/bin/%)
$(QUBESDB_TOOLS:%=$(BUILD)/bin/%): $(BUILD)/qubesdb/client/qubesdb-tools.o $(QUBESDB_LIB) \
                                   $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# Static twins for the system test's guest (build/*/guest/).
QUBESDB_STATIC_LIB := $(BUILD)/static/qubesdb/libqubesdb.a
$(QUBESDB_STATIC_LIB): $(QUBESDB_LIB_SRCS:%.c=$(BUILD)/static/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^
GUEST_BINS += $(BUILD)/guest/qubesdb-vm-daemon $(QUBESDB_TOOLS:%=$(BUILD)/guest/%)
$(BUILD)/guest/qubesdb-vm-daemon: $(BUILD)/static/qubesdb/vm/main.o $(QUBESDB_STATIC_LIB) \
                                  $(LIBBULKHEAD_STATIC)
	@mkdir -p $(dir $@)
	$(CC) -static -o $@ $^ $(XEN_STATIC_LIBS)
$(QUBESDB_TOOLS:%=$(BUILD)/guest/%): $(BUILD)/static/qubesdb/client/qubesdb-tools.o \
                                     $(QUBESDB_STATIC_LIB) $(LIBBULKHEAD_STATIC)
	@mkdir -p $(dir $@)
	$(CC) -static -o $@ $^

# qubesdb-fake-vm: the VM end of port 111, scripted (integration tests)
BINS += $(BUILD)/bin/qubesdb-fake-vm
$(BUILD)/bin/qubesdb-fake-vm: $(BUILD)/tests/tools/qubesdb-fake-vm.o $(QUBESDB_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

TEST_BINS += $(BUILD)/tests/unit/test_qubesdb $(BUILD)/tests/unit/test_qdb_client
$(BUILD)/tests/unit/test_qubesdb: $(BUILD)/tests/unit/test_qubesdb.o $(BUILD)/qubesdb/daemon/store.o \
                                  $(QUBESDB_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)
$(BUILD)/tests/unit/test_qdb_client: $(BUILD)/tests/unit/test_qdb_client.o $(QUBESDB_LIB) \
                                     $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

FUZZ_BINS += $(FUZZ_DIR)/fuzz_qubesdb_msg
$(FUZZ_DIR)/fuzz_qubesdb_msg: tests/fuzz/fuzz_qubesdb_msg.c $(QUBESDB_PROTO_SRCS) $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(QUBESDB_PROTO_SRCS) $(FUZZ_LIB_SRCS)
fuzz: $(FUZZ_DIR)/fuzz_qubesdb_msg
