# vm-agent/packaging/: the qube's Debian packages (docs/vm-agent.md).
# make debs: build/debs/bulkhead-vm-{core,services}_<VERSION>_<arch>.deb
# from the install manifests, with the release build's programs (a
# sanitizer build cannot go into a template: no ASan runtime there).
DEBS_DIR := build/debs
.PHONY: debs
ifeq ($(SANITIZE),1)
debs:
	@$(MAKE) --no-print-directory SANITIZE=0 debs
else
debs: all
	vm-agent/packaging/build-debs $(BUILD) $(DEBS_DIR)
endif
