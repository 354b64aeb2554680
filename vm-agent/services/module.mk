# vm-agent/services/: the everyday RPC services a qube offers (qubes.VMShell,
# qubes.StartApp, qubes.OpenURL, qubes.OpenInVM, qubes.GetAppmenus,
# qubes.WaitForSession, the clipboard pair) and the commands that call them
# (qvm-sync-clock, qvm-open-in-vm, qvm-open-in-dvm). validate.c holds every
# check of what another domain sends; xsel.c the X selection work that
# qubes-clipboard and vm-agent/gui share. Included after dom0/tools/module.mk.
# What goes into the package: install.list beside this file.

VMSVC := vm-agent/services
VMSVC_VALIDATE := $(BUILD)/$(VMSVC)/validate.o
VMSVC_FILEUTIL := $(BUILD)/$(VMSVC)/fileutil.o

# GLib/GIO and Xlib headers as system headers: our -Werror set is for our code.
VMSVC_GIO_CFLAGS := $(shell pkg-config --cflags gio-unix-2.0 2>/dev/null | sed 's/-I/-isystem /g')
VMSVC_GIO_LIBS := $(shell pkg-config --libs gio-unix-2.0 2>/dev/null)
VMSVC_X11_CFLAGS := $(shell pkg-config --cflags x11 2>/dev/null | sed 's/-I/-isystem /g')
VMSVC_X11_LIBS := $(shell pkg-config --libs x11 2>/dev/null || echo -lX11)
$(BUILD)/$(VMSVC)/start-app.o $(BUILD)/$(VMSVC)/get-appmenus.o: CFLAGS += $(VMSVC_GIO_CFLAGS)
VMSVC_XSEL := $(BUILD)/$(VMSVC)/xsel.o
$(BUILD)/$(VMSVC)/clipboard.o $(VMSVC_XSEL): CFLAGS += $(VMSVC_X11_CFLAGS)

# plain C programs: each one .c file plus the checks and lib/
VMSVC_PLAIN := qvm-sync-clock qubes-open-url vm-file-editor qopen-in-vm qvm-open-in-vm
BINS += $(VMSVC_PLAIN:%=$(BUILD)/bin/%)
$(VMSVC_PLAIN:%=$(BUILD)/bin/%): $(BUILD)/bin/%: $(BUILD)/$(VMSVC)/%.o $(VMSVC_VALIDATE) \
                                               $(VMSVC_FILEUTIL) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

BINS += $(BUILD)/bin/qubes-wait-for-session
$(BUILD)/bin/qubes-wait-for-session: $(BUILD)/$(VMSVC)/wait-for-session.o $(QUBESDB_LIB) \
                                     $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

BINS += $(BUILD)/bin/qubes-start-app
$(BUILD)/bin/qubes-start-app: $(BUILD)/$(VMSVC)/start-app.o $(VMSVC_VALIDATE) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(VMSVC_GIO_LIBS)

BINS += $(BUILD)/bin/qubes-get-appmenus
$(BUILD)/bin/qubes-get-appmenus: $(BUILD)/$(VMSVC)/get-appmenus.o $(VMSVC_VALIDATE) \
                                 $(QUBESDB_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(VMSVC_GIO_LIBS)

BINS += $(BUILD)/bin/qubes-clipboard
$(BUILD)/bin/qubes-clipboard: $(BUILD)/$(VMSVC)/clipboard.o $(VMSVC_XSEL) $(VMSVC_VALIDATE) \
                            $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(VMSVC_X11_LIBS)

# qvm-open-in-dvm is qvm-open-in-vm under another name (it reads its name)
BINS += $(BUILD)/bin/qvm-open-in-dvm
$(BUILD)/bin/qvm-open-in-dvm: $(BUILD)/bin/qvm-open-in-vm
	ln -sf qvm-open-in-vm $@

# the checks under unit test (the fuzz target, fuzz_vm_services, is in tests/module.mk)
TEST_BINS += $(BUILD)/tests/unit/test_vm_services
$(BUILD)/tests/unit/test_vm_services: $(BUILD)/tests/unit/test_vm_services.o $(VMSVC_VALIDATE) \
                                     $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)
