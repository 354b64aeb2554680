# vm-agent/filecopy/: qubes.Filecopy, the file copy between qubes (VM side).
# proto.c and names.c are the pure stream parser, builders and naming rules
# (unit-tested and fuzzed); unpack.c is the receiver's file-system side;
# progress.c the sender's progress report. CRC-32 comes from zlib.
FILECOPY_LIB_SRCS := vm-agent/filecopy/proto.c vm-agent/filecopy/names.c
FILECOPY_LIB := $(BUILD)/vm-agent/libfilecopy.a
ZLIB_LIBS := $(shell pkg-config --libs zlib 2>/dev/null || echo -lz)

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
	$(CC) $(LDFLAGS) -o $@ $^ $(ZLIB_LIBS)

$(BUILD)/bin/qfile-agent: $(BUILD)/vm-agent/filecopy/qfile-agent.o \
                          $(BUILD)/vm-agent/filecopy/progress.o $(FILECOPY_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(ZLIB_LIBS)

# filecopy-craft: writes crafted (hostile) streams and decodes result headers
# for tests/integration/filecopy-*.sh
$(BUILD)/bin/filecopy-craft: $(BUILD)/tests/tools/filecopy-craft.o $(FILECOPY_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(ZLIB_LIBS)

TEST_BINS += $(BUILD)/tests/unit/test_filecopy
$(BUILD)/tests/unit/test_filecopy: $(BUILD)/tests/unit/test_filecopy.o $(FILECOPY_LIB) \
                                   $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(ZLIB_LIBS)

FUZZ_BINS += $(FUZZ_DIR)/fuzz_filecopy_stream
$(FUZZ_DIR)/fuzz_filecopy_stream: tests/fuzz/fuzz_filecopy_stream.c $(FILECOPY_LIB_SRCS) \
                                  $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FILECOPY_LIB_SRCS) $(FUZZ_LIB_SRCS) $(ZLIB_LIBS)
fuzz: $(FUZZ_DIR)/fuzz_filecopy_stream
