# dom0/tray/: bulkhead-domains, the GTK3 tray widget listing the qubes
# (docs/session.md). Reads qvmd through the qvm-* tools' library and
# dom0/tools/start_daemon_qube.c (what qvm-start-daemon asks about a qube);
# its actions run the qvm-* commands. Included after dom0/tools.
TRAY_PKGS := gtk+-3.0
TRAY_CFLAGS := $(shell pkg-config --cflags $(TRAY_PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
TRAY_LIBS := $(shell pkg-config --libs $(TRAY_PKGS) 2>/dev/null)
$(BUILD)/dom0/tray/main.o: CFLAGS += $(TRAY_CFLAGS)

TRAY_OBJS := $(addprefix $(BUILD)/dom0/tray/,main.o tray_model.o tray_actions.o)
BINS += $(BUILD)/bin/bulkhead-domains
$(BUILD)/bin/bulkhead-domains: $(TRAY_OBJS) $(BUILD)/dom0/tools/start_daemon_qube.o $(QADMIN_LIB) \
                               $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TRAY_LIBS)
