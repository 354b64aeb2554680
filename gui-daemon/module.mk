# gui-daemon/: dom0's side of the GUI (docs/gui-protocol.md). proto/ holds
# the wire protocol's header and pure parsers, which the VM's gui-agent
# (vm-agent/gui/) links too. Included after tests/module.mk.

GUI_PROTO_LIB := $(BUILD)/gui-daemon/proto/gui_proto.o
