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

# The policy daemon and its program forms share decide.c and agent.c.
POLICY_TOOL_SRCS := qrexec/policy/decide.c qrexec/policy/agent.c $(V5_EVAL_SRCS) \
                    $(QREXEC_POLICY_PARSE_SRCS)
POLICY_TOOL_OBJS := $(POLICY_TOOL_SRCS:%.c=$(BUILD)/%.o)
JSONC_LIBS := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)

BINS += $(BUILD)/bin/qrexec-policy-daemon $(BUILD)/bin/qrexec-policy-exec \
        $(BUILD)/bin/qrexec-policy-explain
$(BUILD)/bin/qrexec-policy-daemon: $(BUILD)/qrexec/policy/qrexec-policy-daemon.o \
        $(BUILD)/qrexec/policy/request.o $(POLICY_TOOL_OBJS) $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(JSONC_LIBS) -lpthread
$(BUILD)/bin/qrexec-policy-%: $(BUILD)/qrexec/policy/qrexec-policy-%.o $(POLICY_TOOL_OBJS) \
        $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(JSONC_LIBS)

# fake-policy-agent: the policy agent's socket for the daemon's ask tests
BINS += $(BUILD)/bin/fake-policy-agent
$(BUILD)/bin/fake-policy-agent: $(BUILD)/tests/tools/fake-policy-agent.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# policy-query: one raw request to the policy socket (tests)
BINS += $(BUILD)/bin/policy-query
$(BUILD)/bin/policy-query: $(BUILD)/tests/tools/policy-query.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# policy-bench: the engine's figures (make bench)
BENCH_BINS += $(BUILD)/bench/policy-bench
$(BUILD)/bench/policy-bench: $(BUILD)/tests/bench/policy-bench.o $(BUILD)/qrexec/policy/request.o \
        $(POLICY_TOOL_OBJS) $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(JSONC_LIBS)
