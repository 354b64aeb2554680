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

# make install-dom0 [DESTDIR=...] [PREFIX=/usr/local]: the dom0 session's
# part of dom0 (docs/session.md): the tray program and its man page, and the
# XDG autostart entries that start it and `qvm-start-daemon --all --watch`
# in every desktop session. Autostart entries go where every XDG desktop
# looks (/etc/xdg/autostart), whatever PREFIX is. Nothing else of dom0 is
# installed yet; a module that adds its files adds an `install-dom0::`
# recipe of its own (double-colon: each one runs).
PREFIX ?= /usr/local
XDG_AUTOSTART_DIR ?= /etc/xdg/autostart
TRAY_AUTOSTART := dom0/tray/autostart/bulkhead-domains.desktop \
                  dom0/tray/autostart/qvm-start-daemon.desktop
.PHONY: install-dom0
install-dom0:: $(BUILD)/bin/bulkhead-domains
	install -D -m 755 $< $(DESTDIR)$(PREFIX)/bin/bulkhead-domains
	install -D -m 644 docs/man/bulkhead-domains.1 $(DESTDIR)$(PREFIX)/share/man/man1/bulkhead-domains.1
	install -d -m 755 $(DESTDIR)$(XDG_AUTOSTART_DIR)
	install -m 644 $(TRAY_AUTOSTART) $(DESTDIR)$(XDG_AUTOSTART_DIR)/
