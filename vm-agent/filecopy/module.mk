# vm-agent/filecopy/: qubes.Filecopy, the file copy between qubes (VM side).
# proto.c and names.c are the pure stream parser, builders and naming rules
# (unit-tested and fuzzed); unpack.c is the receiver's file-system side;
# progress.c the sender's progress report. CRC-32 comes from ISA-L (libisal).
FILECOPY_LIB_SRCS := vm-agent/filecopy/proto.c vm-agent/filecopy/names.c
FILECOPY_LIB := $(BUILD)/vm-agent/libfilecopy.a
ISAL_LIBS := $(shell pkg-config --libs libisal 2>/dev/null || echo -lisal)

$(FILECOPY_LIB): $(FILECOPY_LIB_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

BINS += $(BUILD)/bin/qfile-unpacker $(BUILD)/bin/qfile-agent $(BUILD)/bin/filecopy-craft

# the receiver checks the source's name with qrexec's qube-name rule
$(BUILD)/bin/qfile-unpacker: $(BUILD)/vm-agent/filecopy/qfile-unpacker.o \
                             $(BUILD)/vm-agent/filecopy/unpack.o $(FILECOPY_LIB) $(QREXEC_LIB) \
                             $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(ISAL_LIBS)

$(BUILD)/bin/qfile-agent: $(BUILD)/vm-agent/filecopy/qfile-agent.o \
                          $(BUILD)/vm-agent/filecopy/progress.o $(FILECOPY_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(ISAL_LIBS)

# filecopy-craft: writes crafted (hostile) streams and decodes result headers
# for tests/integration/filecopy-*.sh
$(BUILD)/bin/filecopy-craft: $(BUILD)/tests/tools/filecopy-craft.o $(FILECOPY_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(ISAL_LIBS)

TEST_BINS += $(BUILD)/tests/unit/test_filecopy
$(BUILD)/tests/unit/test_filecopy: $(BUILD)/tests/unit/test_filecopy.o $(FILECOPY_LIB) \
                                   $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(ISAL_LIBS)

FUZZ_BINS += $(FUZZ_DIR)/fuzz_filecopy_stream
$(FUZZ_DIR)/fuzz_filecopy_stream: tests/fuzz/fuzz_filecopy_stream.c $(FILECOPY_LIB_SRCS) \
                                  $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FILECOPY_LIB_SRCS) $(FUZZ_LIB_SRCS) $(ISAL_LIBS)
fuzz: $(FUZZ_DIR)/fuzz_filecopy_stream
