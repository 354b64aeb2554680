# dom0/storage/: storage pools and volumes for qvmd (issue 6). Included
# before dom0/qvmd/module.mk, which links these into qvmd. names.c is
# part of the store (its check parses pool options) and so not listed here.
STORAGE_SRCS := dom0/storage/driver.c dom0/storage/run.c dom0/storage/lvm_cmd.c \
                dom0/storage/fileutil.c dom0/storage/file_reflink.c dom0/storage/lvm_thin.c \
                dom0/storage/linux_kernel.c dom0/storage/storage.c

# unit test of the pure parts: names, pruning, sizes, pool options, lvm
# argv and the lvs report
TEST_BINS += $(BUILD)/tests/unit/test_storage
$(BUILD)/tests/unit/test_storage: $(BUILD)/tests/unit/test_storage.o \
        $(BUILD)/dom0/storage/names.o $(BUILD)/dom0/storage/lvm_cmd.o $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

# libFuzzer: arbitrary bytes as lvs output
FUZZ_BINS += $(FUZZ_DIR)/fuzz_lvs_report
$(FUZZ_DIR)/fuzz_lvs_report: tests/fuzz/fuzz_lvs_report.c dom0/storage/lvm_cmd.c | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< dom0/storage/lvm_cmd.c
fuzz: $(FUZZ_DIR)/fuzz_lvs_report
