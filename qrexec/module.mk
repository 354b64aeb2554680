# qrexec/: the RPC system. proto/ (wire protocol) and common/ (message I/O,
# the data pump) are used on both sides.
QREXEC_PROTO_SRCS := qrexec/proto/parse.c qrexec/proto/build.c qrexec/proto/names.c \
                     qrexec/common/msgio.c qrexec/common/pump.c qrexec/common/spawn.c \
                     qrexec/common/services.c qrexec/common/service_run.c \
                     qrexec/common/rpc_config.c
QREXEC_LIB := $(BUILD)/qrexec/libqrexec.a

$(QREXEC_LIB): $(QREXEC_PROTO_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# qrexec-agent (VM side). session.c opens PAM login sessions for calls; the
# static guest twin uses session_static.c instead (the same code without PAM,
# whose modules a static program cannot load).
QREXEC_AGENT_COMMON_SRCS := qrexec/agent/main.c qrexec/agent/exec.c qrexec/agent/trigger.c \
                            qrexec/agent/delegate.c qrexec/fork-server/request.c
QREXEC_AGENT_SRCS := $(QREXEC_AGENT_COMMON_SRCS) qrexec/agent/session.c
QREXEC_AGENT_STATIC_SRCS := $(QREXEC_AGENT_COMMON_SRCS) qrexec/agent/session_static.c
PAM_LIBS := $(shell pkg-config --libs pam 2>/dev/null || echo -lpam)
BINS += $(BUILD)/bin/qrexec-agent
$(BUILD)/bin/qrexec-agent: $(QREXEC_AGENT_SRCS:%.c=$(BUILD)/%.o) $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS) $(PAM_LIBS)

# qrexec-fork-server (VM side): a user's calls, run inside that user's session
QREXEC_FORK_SERVER_SRCS := qrexec/fork-server/main.c qrexec/fork-server/request.c \
                           qrexec/agent/exec.c
BINS += $(BUILD)/bin/qrexec-fork-server
$(BUILD)/bin/qrexec-fork-server: $(QREXEC_FORK_SERVER_SRCS:%.c=$(BUILD)/%.o) $(QREXEC_LIB) \
                                 $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# qrexec-daemon (dom0)
QREXEC_DAEMON_SRCS := qrexec/daemon/main.c qrexec/daemon/agent.c qrexec/daemon/clients.c \
                      qrexec/daemon/ports.c qrexec/daemon/policy.c qrexec/daemon/calls.c
BINS += $(BUILD)/bin/qrexec-daemon
$(BUILD)/bin/qrexec-daemon: $(QREXEC_DAEMON_SRCS:%.c=$(BUILD)/%.o) $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# The call library (qrexec/client/call.h): calls made from a program; the
# two clients wrap it, qvmd and the benchmarks link it.
QREXEC_CALL_SRCS := qrexec/client/call.c qrexec/client/connect.c qrexec/client/admin.c
QREXEC_CALL_LIB := $(BUILD)/qrexec/libqrexec-call.a
$(QREXEC_CALL_LIB): $(QREXEC_CALL_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# qrexec-client (dom0)
BINS += $(BUILD)/bin/qrexec-client
$(BUILD)/bin/qrexec-client: $(BUILD)/qrexec/client/qrexec-client.o $(QREXEC_CALL_LIB) \
                            $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# qrexec-policy-simple (dom0): the interim policy program
BINS += $(BUILD)/bin/qrexec-policy-simple
$(BUILD)/bin/qrexec-policy-simple: $(BUILD)/qrexec/policy/qrexec-policy-simple.o \
                                   $(BUILD)/qrexec/policy/simple.o \
                                   $(BUILD)/qrexec/policy/request.o $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

# qrexec-client-vm (VM side)
BINS += $(BUILD)/bin/qrexec-client-vm
$(BUILD)/bin/qrexec-client-vm: $(BUILD)/qrexec/client/qrexec-client-vm.o $(QREXEC_CALL_LIB) \
                               $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(XEN_LIBS)

# Static twins of the qrexec programs, for the busybox dom0 and guest of the
# Xen system test (same sources, no sanitizers).
QREXEC_STATIC_LIB := $(BUILD)/static/qrexec/libqrexec.a
$(QREXEC_STATIC_LIB): $(QREXEC_PROTO_SRCS:%.c=$(BUILD)/static/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# $(call qrexec_static,NAME,SOURCES)
define qrexec_static
GUEST_BINS += $(BUILD)/guest/$(1)
$(BUILD)/guest/$(1): $(2:%.c=$(BUILD)/static/%.o) $(QREXEC_STATIC_LIB) $(LIBBULKHEAD_STATIC)
	@mkdir -p $$(dir $$@)
	$$(CC) -static -o $$@ $$^ $(XEN_STATIC_LIBS)
endef
$(eval $(call qrexec_static,qrexec-agent,$(QREXEC_AGENT_STATIC_SRCS)))
$(eval $(call qrexec_static,qrexec-daemon,$(QREXEC_DAEMON_SRCS)))
$(eval $(call qrexec_static,qrexec-client,qrexec/client/qrexec-client.c $(QREXEC_CALL_SRCS)))
$(eval $(call qrexec_static,qrexec-client-vm,qrexec/client/qrexec-client-vm.c $(QREXEC_CALL_SRCS)))
$(eval $(call qrexec_static,qrexec-policy-simple,qrexec/policy/qrexec-policy-simple.c qrexec/policy/simple.c qrexec/policy/request.c))

# ---- v5 policy parser (issue 4, p4-parser branch) ----
# The parser half of the v5 policy engine; the evaluator adds its files to
# QREXEC_POLICY_V5_SRCS in its own block.
QREXEC_POLICY_PARSE_SRCS := qrexec/policy/v5_parse.c qrexec/policy/v5_line.c \
                            qrexec/policy/v5_format.c qrexec/policy/v5_files.c

# qrexec-policy-check (dom0): checks and prints the v5 policy
BINS += $(BUILD)/bin/qrexec-policy-check
$(BUILD)/bin/qrexec-policy-check: $(BUILD)/qrexec/policy/qrexec-policy-check.o \
                                  $(QREXEC_POLICY_PARSE_SRCS:%.c=$(BUILD)/%.o) \
                                  $(QREXEC_LIB) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
# ---- end v5 policy parser ----
