# vm-agent/xorg/: bulkheadshm, an Xorg extension module for the qube's X
# server: Composite's window pixmaps live in shared memory, so the
# gui-agent hands dom0 the window's own pixels (docs/xorg-module.md).
# Included before vm-agent/gui/module.mk: the agent links the socket
# messages ($(XORG_SHM_PROTO_OBJ)).
#
# The module is loaded into Xorg, which has no sanitizer runtime: it is
# built without -fsanitize (and as PIC, not PIE) in every build, SANITIZE=1
# included, from its own objects under $(BUILD)/xorg-module/.

XMOD := vm-agent/xorg
XORG_SHM_PROTO_OBJ := $(BUILD)/$(XMOD)/xorg_shm_proto.o
XMOD_SDK := $(shell pkg-config --exists xorg-server 2>/dev/null && echo yes)

# the socket messages' pure checks under unit test (no SDK needed)
TEST_BINS += $(BUILD)/tests/unit/test_xorg_shm_proto
$(BUILD)/tests/unit/test_xorg_shm_proto: $(BUILD)/tests/unit/test_xorg_shm_proto.o \
                                         $(XORG_SHM_PROTO_OBJ) $(LIBBULKHEAD)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS)

# xorg-slots-check: the module's two slots seen from its socket and the
# pixels (tests/integration/xorg-slots.sh)
XSLOTS_PKGS := x11 xcomposite
BINS += $(BUILD)/bin/xorg-slots-check
$(BUILD)/tests/tools/xorg-slots-check.o: CFLAGS += $(shell pkg-config --cflags $(XSLOTS_PKGS) \
                                                      2>/dev/null | sed 's/-I/-isystem /g')
$(BUILD)/bin/xorg-slots-check: $(BUILD)/tests/tools/xorg-slots-check.o $(XORG_SHM_PROTO_OBJ) \
                               $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(XSLOTS_PKGS) 2>/dev/null)

ifeq ($(XMOD_SDK),yes)
# Xorg's SDK headers as system headers: our -Werror set is for our code
XMOD_SDK_CFLAGS := $(shell pkg-config --cflags xorg-server | sed 's/-I/-isystem /g')
XMOD_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
               -fPIC -fvisibility=hidden -I. -MMD -MP $(XMOD_SDK_CFLAGS)
XMOD_SRCS := $(XMOD)/pixmaps.c $(XMOD)/slots.c $(XMOD)/socket.c $(XMOD)/xorg_shm_proto.c lib/shm.c
XMOD_OBJS := $(XMOD_SRCS:%.c=$(BUILD)/xorg-module/%.o)
XORG_MODULE := $(BUILD)/xorg/modules/extensions/libbulkheadshm.so

$(BUILD)/xorg-module/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(XMOD_CFLAGS) -c -o $@ $<

# Symbols of the X server stay undefined: the loader resolves them.
$(XORG_MODULE): $(XMOD_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-z,relro,-z,now -o $@ $^

BINS += $(XORG_MODULE)
endif
