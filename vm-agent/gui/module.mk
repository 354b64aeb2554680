# vm-agent/gui/: the qube's gui-agent, an X11 client of the qube's own X
# server that shows its windows on dom0's desktop through gui-daemon.
# Included after gui-daemon/module.mk (it links $(GUI_PROTO_LIB)).
