# qrexec/policy/agent/: qrexec-policy-agent (dom0), the policy.Ask dialog and
# policy.Notify notifications, with its unit test, fuzz target and test
# client. Included from the top Makefile after tests/module.mk.

# GTK and json-c headers are included as system headers: our -Werror set
# (-Wstrict-prototypes and friends) is for our code, not theirs.
AGENT_PKGS := gtk+-3.0 json-c x11
AGENT_CFLAGS := $(shell pkg-config --cflags $(AGENT_PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
AGENT_LIBS := $(shell pkg-config --libs $(AGENT_PKGS) 2>/dev/null)
JSONC_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null | sed 's/-I/-isystem /g')
JSONC_LIBS := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)

$(BUILD)/qrexec/policy/agent/%.o: CFLAGS += $(AGENT_CFLAGS)
$(BUILD)/tests/unit/test_policy_agent_request.o: CFLAGS += $(JSONC_CFLAGS)

AGENT_SRCS := qrexec/policy/agent/main.c qrexec/policy/agent/request.c \
              qrexec/policy/agent/dialog.c qrexec/policy/agent/notify.c
BINS += $(BUILD)/bin/qrexec-policy-agent
$(BUILD)/bin/qrexec-policy-agent: $(AGENT_SRCS:%.c=$(BUILD)/%.o) $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(AGENT_LIBS)

# the request parser (pure) under unit test
TEST_BINS += $(BUILD)/tests/unit/test_policy_agent_request
$(BUILD)/tests/unit/test_policy_agent_request: $(BUILD)/tests/unit/test_policy_agent_request.o \
        $(BUILD)/qrexec/policy/agent/request.o $(QREXEC_LIB) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(JSONC_LIBS)

# policy-agent-client: sends one request to the agent's socket, prints the answer
BINS += $(BUILD)/bin/policy-agent-client
$(BUILD)/bin/policy-agent-client: $(BUILD)/tests/tools/policy-agent-client.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# libFuzzer target for the request parser (json-c linked in)
FUZZ_BINS += $(FUZZ_DIR)/fuzz_policy_agent_request
$(FUZZ_DIR)/fuzz_policy_agent_request: tests/fuzz/fuzz_policy_agent_request.c \
        qrexec/policy/agent/request.c $(FUZZ_LIB_SRCS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(JSONC_CFLAGS) -o $@ $< qrexec/policy/agent/request.c \
	    $(FUZZ_LIB_SRCS) $(JSONC_LIBS)
fuzz: $(FUZZ_DIR)/fuzz_policy_agent_request
