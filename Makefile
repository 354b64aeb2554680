# Bulkhead: one non-recursive build for the whole tree.
#
#   make                 build everything into build/release
#   make SANITIZE=1      the same tree with ASan+UBSan into build/sanitize
#   make check           all suites (unit, integration, system); last line "N passed, N failed"
#   make check-unit | check-integration | check-system | check-fuzz
#   make bench           benchmarks, each next to its physical limit
#   make demo            what Bulkhead can show today (Xen + dom0 + a guest under QEMU)
#   make fuzz            build the libFuzzer targets (clang)
#   make format          clang-format the tree
#   make install-dom0    the dom0 session's files (tray, autostart entries) into DESTDIR
#
# Every target first makes sure the Debian packages it needs are installed
# (tools/install-deps, which returns at once when nothing is missing).

SANITIZE ?= 0
CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif

ifeq ($(SANITIZE),1)
BUILD ?= build/sanitize
# FORTIFY is left out here: it replaces the very calls ASan intercepts.
OPT := -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=address,undefined
else
BUILD ?= build/release
OPT := -O2 -D_FORTIFY_SOURCE=2
SAN_LDFLAGS :=
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wno-format-nonliteral
HARDEN := -fstack-protector-strong -fPIE -fstack-clash-protection
CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(OPT) -g $(HARDEN) -I. -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SAN_LDFLAGS) $(EXTRA_LDFLAGS)

XEN_LIBS := $(shell pkg-config --libs xenvchan xenevtchn xenstore 2>/dev/null)
XEN_STATIC_LIBS := $(shell pkg-config --static --libs xenvchan xenevtchn xenstore 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

# Keep every intermediate file (objects of pattern-built programs): no
# rebuilds, and no "rm ..." printed after the test summary.
.SECONDARY:

# Module fragments append to these.
BINS :=
TEST_BINS :=
BENCH_BINS :=
FUZZ_BINS :=
GUEST_BINS :=

.PHONY: all deps check check-unit check-integration check-system check-fuzz \
        bench demo fuzz format clean
all: deps

deps:
ifndef BULKHEAD_DEPS_DONE
	@tools/install-deps
endif

include lib/module.mk
include qrexec/module.mk
include tests/module.mk
include qrexec/policy/policy.mk
include qrexec/policy/agent/module.mk
# before qvmd, which links $(BACKEND_LIB) (prerequisites expand at parse time)
include qubesdb/module.mk
include dom0/backend/module.mk
include dom0/storage/module.mk
include dom0/qvmd/module.mk
include dom0/tools/module.mk
include dom0/tray/module.mk
include gui-daemon/module.mk
include vm-agent/filecopy/module.mk
include vm-agent/services/module.mk
include vm-agent/xorg/module.mk
include vm-agent/gui/module.mk
# after every vm-agent module: the packages take their programs
include vm-agent/packaging/module.mk
include templates/module.mk

all: $(BINS) $(TEST_BINS) $(BENCH_BINS) $(GUEST_BINS)

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Objects for statically linked programs that run inside the test guests:
# no PIE, no sanitizers (ASan cannot link statically), same sources.
$(BUILD)/static/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong -I. \
	    -MMD -MP -c -o $@ $<

RUN := BULKHEAD_BUILD=$(BUILD) BULKHEAD_DEPS_DONE=1

# make check: every suite on the normal build, then unit and integration
# again under ASan+UBSan, then a short run of every fuzz target. With
# SANITIZE=1 it runs every suite (system included) on the sanitizer build.
ifeq ($(SANITIZE),1)
check: all
	@$(RUN) tests/run unit integration system
else
check: all fuzz
	@$(MAKE) --no-print-directory SANITIZE=1 BULKHEAD_DEPS_DONE=1 all
	@$(RUN) tests/run unit integration system san:unit san:integration fuzz
endif
check-unit: all
	@$(RUN) tests/run unit
check-integration: all
	@$(RUN) tests/run integration
check-system: all
	@$(RUN) tests/run system
check-fuzz: fuzz
	@$(RUN) tests/run fuzz

bench: all
	@$(RUN) tests/bench/run

demo: all
	@$(RUN) tests/system/demo

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build/release build/sanitize build/fuzz

# -type f: the system tests' dom0 roots under $(BUILD)/xen-rig have folders named *.d
-include $(shell find $(BUILD) build/fuzz -name "*.d" -type f 2>/dev/null)
