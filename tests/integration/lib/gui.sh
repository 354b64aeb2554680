# Sourced by GUI tests on the local backend (after local-qubes.sh): dom0's
# Xvfb, one gui-daemon per qube, and gui-test-client windows in the qubes,
# driven through a FIFO each. Needs T and B (absolute) as local-qubes.sh.

# gui_wait COMMAND...: until it succeeds, for up to 30 s (a bound, not a
# measure: the checks say what must happen, not how fast)
gui_wait() {
    local i
    for i in $(seq 300); do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# gui_xid NAME: the running qube's domain id, as its init logged it
gui_xid() { sed -n "s/^bulkhead-local-init: qube $1 (domain \([0-9]*\)) starting$/\1/p" \
    "$T/local/guest-$1.log"; }

# gui_dom0_start: dom0's X server on a free display, in D0 (":N"). The
# server picks the display itself (-displayfd): tests running side by side
# never pick the same one.
gui_dom0_start() {
    rm -f "$T/dom0.display"
    Xvfb -displayfd 3 -nolisten tcp -screen 0 1600x1200x24 3> "$T/dom0.display" \
        2> "$T/xvfb-dom0.log" &
    gui_wait test -s "$T/dom0.display" || { echo "gui: dom0's Xvfb did not start" >&2; return 1; }
    D0=:$(cat "$T/dom0.display")
    gui_wait env DISPLAY="$D0" xdotool getdisplaygeometry > /dev/null
}

# gui_daemon_start DOMID NAME 0xRRGGBB LABEL: the qube's gui-daemon on dom0's
# display, log in $T/gui-daemon.NAME.log; gui_daemon_pid NAME gives its pid
gui_daemon_start() {
    DISPLAY=$D0 "$B/gui-daemon" -d "$1" -N "$2" -c "$3" -l "$4" --foreground \
        2> "$T/gui-daemon.$2.log" &
    eval "GUI_DAEMON_PID_$2=$!"
}
gui_daemon_pid() { eval "echo \$GUI_DAEMON_PID_$1"; }

# gui_agent_pid DISPLAY: the pid (as dom0 sees it) of the gui-agent bulkhead-xorg
# started in a qube for that display
gui_agent_pid() { pgrep -f -- "^$B/gui-agent --display $1 " | head -n 1; }

GUI_CLIENTS=
# gui_client_start ID DISPLAY ARGS...: gui-test-client ARGS on the qube's
# display; stdout in $T/ID.out, commands through gui_client ID COMMAND
gui_client_start() {
    local id=$1 disp=$2
    shift 2
    rm -f "$T/$id.in"
    mkfifo "$T/$id.in"
    DISPLAY=$disp "$B/gui-test-client" "$@" < "$T/$id.in" >> "$T/$id.out" 2> "$T/$id.err" &
    # read-write: opening never waits for the reader, even one that died
    eval "exec {GUI_FD_$id}<> \"\$T/\$id.in\""
    GUI_CLIENTS="$GUI_CLIENTS $id"
}
gui_client() {
    local id=$1
    shift
    eval "echo \"\$*\" >&\$GUI_FD_$id"
}
# gui_copy ID DISPLAY TEXT: the client copies TEXT; returns once the
# qube's CLIPBOARD holds it (qubes-clipboard --get, the service's reader)
gui_copy() {
    gui_client "$1" copy "$3"
    gui_wait gui_clipboard_is "$2" "$3"
}
# gui_clipboard_is DISPLAY TEXT: the CLIPBOARD on DISPLAY holds exactly TEXT
gui_clipboard_is() { [ "$(DISPLAY=$1 "$B/qubes-clipboard" --get)" = "$2" ]; }
gui_clients_stop() {
    local id
    for id in $GUI_CLIENTS; do
        gui_client "$id" quit 2> /dev/null
        eval "exec {GUI_FD_$id}>&-"
    done
    GUI_CLIENTS=
}

# gui_keys WIN KEYS...: focus the dom0 window and press the keys (xdotool key)
gui_keys() {
    local w=$1
    shift
    DISPLAY=$D0 xdotool windowfocus --sync "$w" key "$@"
}

# gui_policy_is allow|deny SOURCE TARGET: the policy daemon's answer for
# qubes.ClipboardPaste now (it reloads its files on change)
gui_policy_is() {
    printf 'domain_id=0\nsource=%s\nintended_target=%s\nservice_and_arg=qubes.ClipboardPaste+\nprocess_ident=0\njust_evaluate=yes\n\n' \
        "$2" "$3" | "$B/policy-query" "$T/policy.sock" | grep -q "^result=$1"
}
