# qrexec/policy/: the v5 policy evaluator, the policy daemon and its tools
# (issue 4, evaluator side), with their tests and benchmark. Included by the
# top Makefile after tests/module.mk.
V5_EVAL_SRCS := qrexec/policy/v5_eval.c qrexec/policy/v5_system.c

TEST_BINS += $(BUILD)/tests/unit/test_policy_eval
$(BUILD)/tests/unit/test_policy_eval: $(BUILD)/tests/unit/test_policy_eval.o \
        $(V5_EVAL_SRCS:%.c=$(BUILD)/%.o) $(QREXEC_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

FUZZ_BINS += $(FUZZ_DIR)/fuzz_policy_system
$(FUZZ_DIR)/fuzz_policy_system: tests/fuzz/fuzz_policy_system.c $(V5_EVAL_SRCS) \
        $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(V5_EVAL_SRCS) $(FUZZ_LIB_SRCS)
fuzz: $(FUZZ_DIR)/fuzz_policy_system
