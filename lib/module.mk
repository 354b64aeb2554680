# lib/: code shared by dom0 and VM components.
LIB_SRCS := lib/log.c lib/buf.c lib/io.c lib/untrusted.c lib/ring.c lib/text.c \
            lib/vchan.c lib/vchan_socket.c lib/vchan_xen.c lib/shm.c lib/shm_kind.c
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBBULKHEAD := $(BUILD)/lib/libbulkhead.a

$(LIBBULKHEAD): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# The same library for static programs that run inside test guests.
LIB_STATIC_OBJS := $(LIB_SRCS:%.c=$(BUILD)/static/%.o)
LIBBULKHEAD_STATIC := $(BUILD)/static/lib/libbulkhead.a

$(LIBBULKHEAD_STATIC): $(LIB_STATIC_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^
