# qrexec/: the RPC system. proto/ is the wire-protocol library both sides use.
QREXEC_PROTO_SRCS := qrexec/proto/parse.c qrexec/proto/build.c qrexec/proto/names.c
QREXEC_PROTO_LIB := $(BUILD)/qrexec/libqrexec-proto.a

$(QREXEC_PROTO_LIB): $(QREXEC_PROTO_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^
