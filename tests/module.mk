# tests/: unit tests (cmocka), test tools, benchmarks, fuzz targets and the
# programs that run inside the Xen system test's guests.

UNIT_TESTS := test_lib_basics test_untrusted test_vchan_socket test_qrexec_proto \
              test_qrexec_names test_qrexec_pump test_qrexec_dom0 test_fork_request \
              test_shm
TEST_BINS += $(UNIT_TESTS:%=$(BUILD)/tests/unit/%)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(QREXEC_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(XEN_LIBS)

# dom0-side qrexec modules under unit test
$(BUILD)/tests/unit/test_qrexec_dom0: $(BUILD)/tests/unit/test_qrexec_dom0.o \
        $(BUILD)/qrexec/daemon/ports.o $(BUILD)/qrexec/daemon/policy.o \
        $(BUILD)/qrexec/policy/simple.o $(BUILD)/qrexec/policy/request.o $(QREXEC_LIB) \
        $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(XEN_LIBS)

# the fork server's request format (VM side)
$(BUILD)/tests/unit/test_fork_request: $(BUILD)/tests/unit/test_fork_request.o \
        $(BUILD)/qrexec/fork-server/request.o $(QREXEC_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(XEN_LIBS)

# vchan-xfer: checksummed transfers over lib/vchan (integration, system, demo)
BINS += $(BUILD)/bin/vchan-xfer
$(BUILD)/bin/vchan-xfer: $(BUILD)/tests/tools/vchan-xfer.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# Its static twin for the busybox dom0 and guest of the system test.
GUEST_BINS += $(BUILD)/guest/vchan-xfer
$(BUILD)/guest/vchan-xfer: $(BUILD)/static/tests/tools/vchan-xfer.o $(LIBBULKHEAD_STATIC)
	@mkdir -p $(dir $@)
	$(CC) -static -o $@ $^ $(XEN_STATIC_LIBS)

BENCH_BINS += $(BUILD)/bench/bench-vchan
$(BUILD)/bench/bench-vchan: $(BUILD)/tests/bench/bench-vchan.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# libFuzzer targets: clang, always with ASan+UBSan, in their own directory.
FUZZ_TARGETS := fuzz_untrusted fuzz_qrexec_msg fuzz_qrexec_cmdline fuzz_qrexec_policy \
                fuzz_rpc_config fuzz_fork_request fuzz_vm_services
FUZZ_DIR := build/fuzz
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=undefined -MMD -MP
FUZZ_LIB_SRCS := lib/untrusted.c lib/log.c lib/buf.c lib/ring.c lib/io.c lib/text.c qrexec/proto/parse.c \
                 qrexec/proto/build.c qrexec/proto/names.c qrexec/policy/simple.c qrexec/policy/request.c \
                 qrexec/daemon/policy.c qrexec/common/rpc_config.c qrexec/fork-server/request.c \
                 vm-agent/services/validate.c
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)

$(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS)

fuzz: $(FUZZ_BINS)

# qrexec-fake-peer: a scriptable (hostile) agent or daemon for malformed-input tests
BINS += $(BUILD)/bin/qrexec-fake-peer
$(BUILD)/bin/qrexec-fake-peer: $(BUILD)/tests/tools/qrexec-fake-peer.o $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# fake-policy-daemon: the policy socket's other end, for the daemon's tests
BINS += $(BUILD)/bin/fake-policy-daemon
$(BUILD)/bin/fake-policy-daemon: $(BUILD)/tests/tools/fake-policy-daemon.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# tcp-echo: the far end of /dev/tcp service tests
BINS += $(BUILD)/bin/tcp-echo
$(BUILD)/bin/tcp-echo: $(BUILD)/tests/tools/tcp-echo.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# fake-source-daemon: a calling VM's daemon for the qrexec-client -c tests
BINS += $(BUILD)/bin/fake-source-daemon
$(BUILD)/bin/fake-source-daemon: $(BUILD)/tests/tools/fake-source-daemon.o $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# fake-qvmd: qvmd's Admin API socket for the qrexec-client -k tests
BINS += $(BUILD)/bin/fake-qvmd
$(BUILD)/bin/fake-qvmd: $(BUILD)/tests/tools/fake-qvmd.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# stdin-socket-run: a program with a stream socket for stdin (--use-stdin-socket tests)
BINS += $(BUILD)/bin/stdin-socket-run
$(BUILD)/bin/stdin-socket-run: $(BUILD)/tests/tools/stdin-socket-run.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# qrexec-call-loop: N calls in one process through the call library (benchmarks)
BINS += $(BUILD)/bin/qrexec-call-loop
$(BUILD)/bin/qrexec-call-loop: $(BUILD)/tests/tools/qrexec-call-loop.o $(QREXEC_CALL_LIB) \
                               $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# unix-peer: raw bytes to a Unix socket (the fork server's malformed-request tests)
BINS += $(BUILD)/bin/unix-peer
$(BUILD)/bin/unix-peer: $(BUILD)/tests/tools/unix-peer.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# ---- v5 policy parser tests (issue 4, p4-parser branch) ----
TEST_BINS += $(BUILD)/tests/unit/test_policy_parse
$(BUILD)/tests/unit/test_policy_parse: $(BUILD)/tests/unit/test_policy_parse.o \
        $(QREXEC_POLICY_PARSE_SRCS:%.c=$(BUILD)/%.o) $(QREXEC_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

# libFuzzer: one policy file of arbitrary bytes; what parses must print
# and parse back to the same rules. sort drops duplicates, should the
# evaluator's block add the parser sources to FUZZ_LIB_SRCS too.
FUZZ_BINS += $(FUZZ_DIR)/fuzz_policy_v5
$(FUZZ_DIR)/fuzz_policy_v5: tests/fuzz/fuzz_policy_v5.c $(FUZZ_LIB_SRCS) \
                            $(QREXEC_POLICY_PARSE_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(sort $(FUZZ_LIB_SRCS) $(QREXEC_POLICY_PARSE_SRCS))
fuzz: $(FUZZ_DIR)/fuzz_policy_v5
# ---- end v5 policy parser tests ----

# ---- GUI (issue 8, helper A): protocol and shm tests, the dom0 probe ----
# The proto object is named directly: gui-daemon/module.mk (GUI_PROTO_LIB)
# is included after this file.
GUI_PROTO_OBJ := $(BUILD)/gui-daemon/proto/gui_proto.o
TEST_BINS += $(BUILD)/tests/unit/test_gui_proto
$(BUILD)/tests/unit/test_gui_proto: $(BUILD)/tests/unit/test_gui_proto.o $(GUI_PROTO_OBJ) \
        $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

# gui-probe: what is on dom0's screen (window by title, pixels, frame, properties)
GUI_PROBE_PKGS := x11 gdk-pixbuf-2.0
$(BUILD)/tests/tools/gui-probe.o: CFLAGS += $(shell pkg-config --cflags $(GUI_PROBE_PKGS) \
                                                2>/dev/null | sed 's/-I/-isystem /g')
BINS += $(BUILD)/bin/gui-probe
$(BUILD)/bin/gui-probe: $(BUILD)/tests/tools/gui-probe.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(GUI_PROBE_PKGS) 2>/dev/null)
# ---- end GUI helper A ----

# libFuzzer: the GUI channel's byte stream through the header and body parsers (helper A)
FUZZ_BINS += $(FUZZ_DIR)/fuzz_gui_proto
$(FUZZ_DIR)/fuzz_gui_proto: tests/fuzz/fuzz_gui_proto.c gui-daemon/proto/gui_proto.c \
                            lib/text.c | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< gui-daemon/proto/gui_proto.c lib/text.c
fuzz: $(FUZZ_DIR)/fuzz_gui_proto

# ---- the bulkheadshm socket messages (vm-agent/xorg/, helper E) ----
FUZZ_BINS += $(FUZZ_DIR)/fuzz_xorg_shm_proto
$(FUZZ_DIR)/fuzz_xorg_shm_proto: tests/fuzz/fuzz_xorg_shm_proto.c vm-agent/xorg/xorg_shm_proto.c | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) # -MMD's headers join $^ on a rebuild
fuzz: $(FUZZ_DIR)/fuzz_xorg_shm_proto

# gui-bench: client, observer, ceiling and report of tests/bench/gui-bench.sh (helper A)
GUI_BENCH_PKGS := x11 xext xdamage xfixes
$(BUILD)/tests/bench/gui-bench.o: CFLAGS += $(shell pkg-config --cflags $(GUI_BENCH_PKGS) \
                                                2>/dev/null | sed 's/-I/-isystem /g')
BENCH_BINS += $(BUILD)/bench/gui-bench
$(BUILD)/bench/gui-bench: $(BUILD)/tests/bench/gui-bench.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(GUI_BENCH_PKGS) 2>/dev/null)
