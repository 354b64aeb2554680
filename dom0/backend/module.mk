# dom0/backend/: hypervisor backends for qvmd (issue 6): "xen" through libxl
# and "local" (Linux namespaces). qvmd links $(BACKEND_LIB) $(BACKEND_LIBS).
BACKEND_SRCS := dom0/backend/backend.c dom0/backend/xen.c dom0/backend/xen_config.c \
                dom0/backend/local.c dom0/backend/local_state.c dom0/backend/local_spawn.c
BACKEND_LIB := $(BUILD)/dom0/libbackend.a
BACKEND_LIBS := $(shell pkg-config --libs xenlight xentoollog 2>/dev/null || \
                  echo -lxenlight -lxentoollog) -lpthread

$(BACKEND_LIB): $(BACKEND_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# backend-ctl: one backend operation from the command line (tests, trying by hand)
BINS += $(BUILD)/bin/backend-ctl
$(BUILD)/bin/backend-ctl: $(BUILD)/tests/tools/backend-ctl.o $(BACKEND_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(BACKEND_LIBS)

# unit test: be_spec -> libxl_domain_config, checked through libxl's JSON
TEST_BINS += $(BUILD)/tests/unit/test_backend_xen_config
$(BUILD)/tests/unit/test_backend_xen_config: $(BUILD)/tests/unit/test_backend_xen_config.o \
        $(BACKEND_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(BACKEND_LIBS)

# unit test: the local backend's state files
TEST_BINS += $(BUILD)/tests/unit/test_backend_local_state
$(BUILD)/tests/unit/test_backend_local_state: $(BUILD)/tests/unit/test_backend_local_state.o \
        $(BUILD)/dom0/backend/local_state.o
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

# unit test: the local backend's C API from several threads (root; skipped otherwise)
TEST_BINS += $(BUILD)/tests/unit/test_backend_local
$(BUILD)/tests/unit/test_backend_local: $(BUILD)/tests/unit/test_backend_local.o \
        $(BACKEND_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(BACKEND_LIBS)
