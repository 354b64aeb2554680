# vm-agent/gui/: the qube's gui-agent, an X11 client of the qube's own X
# server that shows its windows on dom0's desktop through gui-daemon
# (docs/gui-agent.md). Included after gui-daemon/module.mk (it links
# $(GUI_PROTO_LIB)), vm-agent/xorg/module.mk (the bulkheadshm socket's
# messages, $(XORG_SHM_PROTO_OBJ)) and vm-agent/services/module.mk (it
# shares $(VMSVC_XSEL), the X selection code, with qubes-clipboard).
# What goes into the package: install.list beside this file.

GUIAGENT := vm-agent/gui
GUIAGENT_PKGS := x11 x11-xcb xcb xcb-shm xext xcomposite xdamage xfixes xtst xrandr
# X headers as system headers: our -Werror set is for our code.
GUIAGENT_CFLAGS := $(shell pkg-config --cflags $(GUIAGENT_PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
GUIAGENT_LIBS := $(shell pkg-config --libs $(GUIAGENT_PKGS) 2>/dev/null)
GUIAGENT_SRCS := main.c windows.c props.c buffers.c zerocopy.c frames.c input.c clipboard.c screen.c
GUIAGENT_OBJS := $(GUIAGENT_SRCS:%.c=$(BUILD)/$(GUIAGENT)/%.o)
$(GUIAGENT_OBJS): CFLAGS += $(GUIAGENT_CFLAGS)

BINS += $(BUILD)/bin/gui-agent
$(BUILD)/bin/gui-agent: $(GUIAGENT_OBJS) $(XORG_SHM_PROTO_OBJ) $(VMSVC_XSEL) $(GUI_PROTO_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(GUIAGENT_LIBS) $(XEN_LIBS)

# The X client tests/integration/gui-local.sh runs inside a qube: a window
# of known pixels that prints the input it gets and drives the clipboard.
BINS += $(BUILD)/bin/gui-test-client
$(BUILD)/tests/tools/gui-test-client.o: CFLAGS += $(GUIAGENT_CFLAGS)
$(BUILD)/bin/gui-test-client: $(BUILD)/tests/tools/gui-test-client.o $(VMSVC_XSEL) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(GUIAGENT_LIBS) $(XEN_LIBS)

# the pure conversions under unit test
TEST_BINS += $(BUILD)/tests/unit/test_gui_agent
$(BUILD)/tests/unit/test_gui_agent.o: CFLAGS += $(GUIAGENT_CFLAGS)
$(BUILD)/tests/unit/test_gui_agent: $(BUILD)/tests/unit/test_gui_agent.o \
                                    $(BUILD)/$(GUIAGENT)/props.o $(GUI_PROTO_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)
