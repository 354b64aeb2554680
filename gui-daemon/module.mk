# gui-daemon/: dom0's side of the GUI (docs/gui-protocol.md). proto/ holds
# the wire protocol's header and pure parsers, which the VM's gui-agent
# (vm-agent/gui/) links too. Included after tests/module.mk.

GUI_PROTO_LIB := $(BUILD)/gui-daemon/proto/gui_proto.o

# gui-daemon itself: pure xcb (xcb-shm for MIT-SHM descriptor passing,
# xcb-randr to hear of dom0's screen changing size), no Xlib: it needs no
# toolkit, only requests, events and fd attach.
GUID := gui-daemon
GUID_PKGS := xcb xcb-shm xcb-randr
GUID_CFLAGS := $(shell pkg-config --cflags $(GUID_PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
GUID_LIBS := $(shell pkg-config --libs $(GUID_PKGS) 2>/dev/null)
GUID_SRCS := main.c agent_msgs.c windows.c draw.c frames.c input.c clipboard.c notice.c sanitize.c
GUID_OBJS := $(GUID_SRCS:%.c=$(BUILD)/$(GUID)/%.o)
$(GUID_OBJS): CFLAGS += $(GUID_CFLAGS)

BINS += $(BUILD)/bin/gui-daemon
# the policy client is qrexec-daemon's own (qrexec/daemon/policy.c)
$(BUILD)/bin/gui-daemon: $(GUID_OBJS) $(BUILD)/qrexec/daemon/policy.o $(GUI_PROTO_LIB) \
        $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(GUID_LIBS) $(XEN_LIBS)

# the sanitize rules and the frame rules (pure) under unit test
TEST_BINS += $(BUILD)/tests/unit/test_gui_daemon
$(BUILD)/tests/unit/test_gui_daemon: $(BUILD)/tests/unit/test_gui_daemon.o \
        $(BUILD)/gui-daemon/sanitize.o $(BUILD)/gui-daemon/frames.o $(GUI_PROTO_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(XEN_LIBS)

# gui-fake-agent: plays a (possibly hostile) gui-agent from a script on
# stdin, for tests/integration/gui-daemon-hostile.sh.
BINS += $(BUILD)/bin/gui-fake-agent
$(BUILD)/bin/gui-fake-agent: $(BUILD)/tests/tools/gui-fake-agent.o $(GUI_PROTO_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# libFuzzer target for the sanitize step (with the protocol's parsers in front)
FUZZ_BINS += $(FUZZ_DIR)/fuzz_gui_daemon_sanitize
$(FUZZ_DIR)/fuzz_gui_daemon_sanitize: tests/fuzz/fuzz_gui_daemon_sanitize.c gui-daemon/sanitize.c \
        gui-daemon/proto/gui_proto.c $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< gui-daemon/sanitize.c gui-daemon/proto/gui_proto.c \
	    $(FUZZ_LIB_SRCS)
fuzz: $(FUZZ_DIR)/fuzz_gui_daemon_sanitize
