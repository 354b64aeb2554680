# dom0/qvmd/: qvmd, the qube database and the Admin API (issue 5).
QVMD_STORE_SRCS := dom0/qvmd/props.c dom0/qvmd/store.c dom0/qvmd/store_props.c \
                   dom0/qvmd/store_vm.c dom0/qvmd/store_misc.c dom0/qvmd/store_check.c \
                   dom0/qvmd/store_storage.c dom0/storage/names.c
QVMD_API_SRCS := dom0/qvmd/request.c dom0/qvmd/api.c dom0/qvmd/api_vm.c dom0/qvmd/api_misc.c \
                 dom0/qvmd/api_storage.c dom0/qvmd/api_lifecycle.c $(STORAGE_SRCS)
# the start sequence and what runs (issue 6); needs the backends, storage
# and the QubesDB client (their module.mk files come first)
QVMD_LC_SRCS := dom0/qvmd/start_plan.c dom0/qvmd/lifecycle.c dom0/qvmd/lc_jobs.c \
                dom0/qvmd/lc_state.c dom0/qvmd/daemons.c
QVMD_SRCS := $(QVMD_STORE_SRCS) $(QVMD_API_SRCS) $(QVMD_LC_SRCS) dom0/qvmd/server.c \
             dom0/qvmd/main.c
SQLITE_LIBS := $(shell pkg-config --libs sqlite3 2>/dev/null || echo -lsqlite3)

BINS += $(BUILD)/bin/qvmd
$(BUILD)/bin/qvmd: $(QVMD_SRCS:%.c=$(BUILD)/%.o) $(BACKEND_LIB) $(QUBESDB_LIB) $(QREXEC_LIB) \
        $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(SQLITE_LIBS) $(BACKEND_LIBS)

# admin-call: one raw Admin API request, the reply shown readably (tests, CLI work)
BINS += $(BUILD)/bin/admin-call
$(BUILD)/bin/admin-call: $(BUILD)/tests/tools/admin-call.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# unit tests: the store and its rules; the request parser
TEST_BINS += $(BUILD)/tests/unit/test_qvmd_store $(BUILD)/tests/unit/test_qvmd_request \
             $(BUILD)/tests/unit/test_qvmd_plan
$(BUILD)/tests/unit/test_qvmd_plan: $(BUILD)/tests/unit/test_qvmd_plan.o \
        $(BUILD)/dom0/qvmd/start_plan.o $(QVMD_STORE_SRCS:%.c=$(BUILD)/%.o) $(QREXEC_LIB) \
        $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(SQLITE_LIBS)
$(BUILD)/tests/unit/test_qvmd_store: $(BUILD)/tests/unit/test_qvmd_store.o \
        $(QVMD_STORE_SRCS:%.c=$(BUILD)/%.o) $(QREXEC_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(SQLITE_LIBS)
$(BUILD)/tests/unit/test_qvmd_request: $(BUILD)/tests/unit/test_qvmd_request.o \
        $(QVMD_STORE_SRCS:%.c=$(BUILD)/%.o) $(QVMD_API_SRCS:%.c=$(BUILD)/%.o) \
        $(QVMD_LC_SRCS:%.c=$(BUILD)/%.o) $(BACKEND_LIB) $(QUBESDB_LIB) $(QREXEC_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(SQLITE_LIBS) $(BACKEND_LIBS)

# libFuzzer: arbitrary bytes as a request header
FUZZ_BINS += $(FUZZ_DIR)/fuzz_qvmd_request
$(FUZZ_DIR)/fuzz_qvmd_request: tests/fuzz/fuzz_qvmd_request.c dom0/qvmd/request.c \
                               $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< dom0/qvmd/request.c $(FUZZ_LIB_SRCS)
fuzz: $(FUZZ_DIR)/fuzz_qvmd_request

# qvmd-bench: property-get round trips against a raw socket round trip
BENCH_BINS += $(BUILD)/bench/qvmd-bench
$(BUILD)/bench/qvmd-bench: $(BUILD)/tests/bench/qvmd-bench.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# storage-ctl: storage_plan/start/stop of one qube on a database (tests:
# what qvmd's start and stop will do, without Xen)
BINS += $(BUILD)/bin/storage-ctl
$(BUILD)/bin/storage-ctl: $(BUILD)/tests/tools/storage-ctl.o $(QVMD_STORE_SRCS:%.c=$(BUILD)/%.o) \
        $(STORAGE_SRCS:%.c=$(BUILD)/%.o) $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(SQLITE_LIBS)
