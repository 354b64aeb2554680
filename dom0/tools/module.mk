# dom0/tools/: the qvm-* commands over one Admin API client library.
# prefs.c: the body qvm-prefs and qubes-prefs share (linked only by them);
# power.c: the same for qvm-start, qvm-kill, qvm-pause and qvm-unpause
QADMIN_SRCS := dom0/tools/lib/admin_reply.c dom0/tools/lib/admin_call.c dom0/tools/lib/cli.c \
               dom0/tools/lib/vmsel.c dom0/tools/lib/events.c dom0/tools/lib/qube_call.c \
               dom0/tools/prefs.c dom0/tools/power.c
QADMIN_LIB := $(BUILD)/dom0/libqadmin.a
$(QADMIN_LIB): $(QADMIN_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

QVM_TOOLS := qvm-ls qvm-create qvm-clone qvm-remove qvm-prefs qubes-prefs qvm-features \
             qvm-tags qvm-service qvm-notes qvm-check qvm-pool qvm-volume \
             qvm-start qvm-shutdown qvm-kill qvm-pause qvm-unpause qvm-run
JSONC_LIBS := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
BINS += $(QVM_TOOLS:%=$(BUILD)/bin/%)

$(BUILD)/bin/qvm-%: $(BUILD)/dom0/tools/qvm-%.o $(QADMIN_LIB) $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(JSONC_LIBS)
# qvm-run makes its qrexec call in-process through the call library
$(BUILD)/bin/qvm-run: $(BUILD)/dom0/tools/qvm-run.o $(QADMIN_LIB) $(QREXEC_CALL_LIB) $(QREXEC_LIB) \
                      $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)
# qvm-copy-to-vm (dom0; qvm-move-to-vm is the same program) calls
# qubes.Filecopy in-process, with qfile-agent as the local program
BINS += $(BUILD)/bin/qvm-copy-to-vm $(BUILD)/bin/qvm-move-to-vm
$(BUILD)/bin/qvm-copy-to-vm: $(BUILD)/dom0/tools/qvm-copy-to-vm.o $(QADMIN_LIB) $(QREXEC_CALL_LIB) \
                             $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)
$(BUILD)/bin/qvm-move-to-vm: $(BUILD)/bin/qvm-copy-to-vm
	ln -sf qvm-copy-to-vm $@
# qvm-volume parses sizes as dom0/storage does (k/M/G/T)
$(BUILD)/bin/qvm-volume: $(BUILD)/dom0/storage/names.o

$(BUILD)/bin/qubes-%: $(BUILD)/dom0/tools/qubes-%.o $(QADMIN_LIB) $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# the reply parsers' unit test and fuzz target
TEST_BINS += $(BUILD)/tests/unit/test_qadmin_reply
$(BUILD)/tests/unit/test_qadmin_reply: $(BUILD)/tests/unit/test_qadmin_reply.o $(QADMIN_LIB) \
                                       $(QREXEC_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

# the event stream reader and qvm-run's shell quoting
TEST_BINS += $(BUILD)/tests/unit/test_qadmin_events
$(BUILD)/tests/unit/test_qadmin_events: $(BUILD)/tests/unit/test_qadmin_events.o $(QADMIN_LIB) \
                                        $(QREXEC_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

FUZZ_BINS += $(FUZZ_DIR)/fuzz_qadmin_reply
$(FUZZ_DIR)/fuzz_qadmin_reply: tests/fuzz/fuzz_qadmin_reply.c dom0/tools/lib/admin_reply.c \
                               $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< dom0/tools/lib/admin_reply.c $(FUZZ_LIB_SRCS)
fuzz: $(FUZZ_DIR)/fuzz_qadmin_reply

# qvm-template: template files read with libarchive (tar, zstd), members
# hashed with libcrypto's SHA-256 (docs/dependencies.md)
TEMPLATE_OBJS := $(addprefix $(BUILD)/dom0/tools/,template_conf.o template_file.o template_hash.o \
                   template_kernel.o template_install.o)
TEMPLATE_LIBS := $(shell pkg-config --libs libarchive libcrypto 2>/dev/null || \
                   echo -larchive -lcrypto)
BINS += $(BUILD)/bin/qvm-template
$(BUILD)/bin/qvm-template: $(BUILD)/dom0/tools/qvm-template.o $(TEMPLATE_OBJS) $(QADMIN_LIB) \
                           $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEMPLATE_LIBS)

# template.conf's parser: unit test and fuzz target
TEST_BINS += $(BUILD)/tests/unit/test_template_conf
$(BUILD)/tests/unit/test_template_conf: $(BUILD)/tests/unit/test_template_conf.o \
        $(BUILD)/dom0/tools/template_conf.o $(QREXEC_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

FUZZ_BINS += $(FUZZ_DIR)/fuzz_template_conf
$(FUZZ_DIR)/fuzz_template_conf: tests/fuzz/fuzz_template_conf.c dom0/tools/template_conf.c \
                                $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< dom0/tools/template_conf.c $(FUZZ_LIB_SRCS)
fuzz: $(FUZZ_DIR)/fuzz_template_conf

# ---- session integration (issue 8): qvm-start-daemon runs each running
# qube's gui-daemon; start_daemon_qube.c (what qvmd says about a qube's
# GUI) is shared with the domains tray (dom0/tray)
START_DAEMON_OBJS := $(BUILD)/dom0/tools/start_daemon_qube.o $(BUILD)/dom0/tools/start_daemon_guid.o
BINS += $(BUILD)/bin/qvm-start-daemon
$(BUILD)/bin/qvm-start-daemon: $(BUILD)/dom0/tools/qvm-start-daemon.o $(START_DAEMON_OBJS) \
                               $(QADMIN_LIB) $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# qvm-appmenus: qubes.GetAppmenus output parsed as hostile text
# (appmenus_parse.c: unit test and fuzz target), menu files written by dom0
# (appmenus_files.c); the call runs in a child, read with a deadline
BINS += $(BUILD)/bin/qvm-appmenus
$(BUILD)/bin/qvm-appmenus: $(BUILD)/dom0/tools/qvm-appmenus.o $(BUILD)/dom0/tools/appmenus_parse.o \
                           $(BUILD)/dom0/tools/appmenus_files.o $(QADMIN_LIB) $(QREXEC_CALL_LIB) \
                           $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

TEST_BINS += $(BUILD)/tests/unit/test_appmenus
$(BUILD)/tests/unit/test_appmenus: $(BUILD)/tests/unit/test_appmenus.o \
                                   $(BUILD)/dom0/tools/appmenus_parse.o $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

FUZZ_BINS += $(FUZZ_DIR)/fuzz_appmenus
$(FUZZ_DIR)/fuzz_appmenus: tests/fuzz/fuzz_appmenus.c dom0/tools/appmenus_parse.c \
                           $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< dom0/tools/appmenus_parse.c $(FUZZ_LIB_SRCS)
fuzz: $(FUZZ_DIR)/fuzz_appmenus
