# Sourced by the GUI tests (and benchmarks): their one prelude. X servers
# on free displays (Xvfb here, the template's Xorg in xorg-qube.sh), dom0's
# X server, gui-agent and gui-daemon starters, gui-test-client windows in
# the qubes driven through a FIFO each, and the EXIT trap that ends it all.
# Needs T (a temporary folder) and B (absolute: the build's bin/), which a
# test gets from gui_test_start.
#
# Two ways to run a qube: on qvmd's local backend (local-qubes.sh, sourced
# once gui_test_start has made T), where the qube's init starts its X server and agent and the
# daemon connects to domain DOMID; or with no qvmd, on the socket vchan
# (export VCHAN_SOCKET_DIR=$T BULKHEAD_VCHAN=socket), the agent started
# here as domain 1 (gui_agent_start) and the daemon as domain 0
# (gui_daemon_start 1 ... VCHAN_DOMAIN=0).

# gui_test_start NAME [COMMAND...]: the start of a GUI test (after tap.sh):
# BUILD (BULKHEAD_BUILD, or build/release) and B; a TAP skip (exit 0)
# unless each COMMAND is installed; T, a new /tmp/bulkhead-NAME.XXXXXX the
# qubes' users can read. The caller sets its traps (gui_traps) once T is
# there.
gui_test_start() {
    local name=$1 p
    shift
    BUILD=${BULKHEAD_BUILD:-build/release}
    B=$(realpath "$BUILD/bin")
    for p in "$@"; do
        command -v "$p" > /dev/null || { echo "1..0 # SKIP $p is not installed"; exit 0; }
    done
    T=$(mktemp -d "/tmp/bulkhead-$name.XXXXXX")
    chmod 755 "$T"
}

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

# gui_x_wait NAME PID LOG: the X server PID was started with -displayfd 3
# into $T/NAME.display; once it names its display (it writes it when it
# accepts connections) sets X_<NAME> (":N") and XPID_<NAME>. The server
# picks the display itself: tests running side by side never pick the same.
gui_x_wait() {
    local name=$1 disp
    eval "XPID_$name=$2"
    # a server that died at start names nothing: no use waiting for it
    gui_wait sh -c "test -s '$T/$name.display' || ! kill -0 $2"
    disp=$(cat "$T/$name.display" 2> /dev/null)
    [ -n "$disp" ] || { echo "gui: the X server $name did not start (see $3)" >&2; return 1; }
    eval "X_$name=:$disp"
}

# gui_xvfb_start NAME [WxH]: an Xvfb (24-bit, 1600x1200 unless said) on a
# free display: X_<NAME>, XPID_<NAME>; log in $T/NAME.xvfb.log
gui_xvfb_start() {
    rm -f "$T/$1.display"
    Xvfb -displayfd 3 -nolisten tcp -screen 0 "${2:-1600x1200}x24" 3> "$T/$1.display" \
        > "$T/$1.xvfb.log" 2>&1 &
    gui_x_wait "$1" $! "$T/$1.xvfb.log"
}

# gui_dom0_start: dom0's X server, an Xvfb of 1600x1200, in D0 (":N")
gui_dom0_start() { gui_xvfb_start dom0 && D0=$X_dom0; }

# probe ARGS...: gui-probe on dom0's display (what is on dom0's screen)
probe() { DISPLAY=$D0 "$B/gui-probe" "$@"; }

# gui_agent_start LOG DISPLAY [ENV=VALUE...]: gui-agent (GUI_AGENT_BIN, or
# $B/gui-agent) on the qube's X server DISPLAY as domain 1 of the socket
# vchan, offering the channel to domain 0; output in LOG, pid in
# GUI_AGENT_PID
gui_agent_start() {
    local log=$1 disp=$2
    shift 2
    env VCHAN_DOMAIN=1 "$@" "${GUI_AGENT_BIN:-$B/gui-agent}" --display "$disp" --gui-domain 0 \
        > "$log" 2>&1 &
    GUI_AGENT_PID=$!
}

# gui_daemon_start DOMID NAME 0xRRGGBB LABEL [ENV=VALUE...]: the qube's
# gui-daemon (GUI_DAEMON_BIN, or $B/gui-daemon) on dom0's display, in the
# foreground (its pid is the daemon's); output appended to
# $T/gui-daemon.NAME.log; gui_daemon_pid NAME gives its pid
gui_daemon_start() {
    local domid=$1 name=$2 color=$3 label=$4
    shift 4
    env DISPLAY="$D0" "$@" "${GUI_DAEMON_BIN:-$B/gui-daemon}" -d "$domid" -N "$name" -c "$color" \
        -l "$label" --foreground >> "$T/gui-daemon.$name.log" 2>&1 &
    eval "GUI_DAEMON_PID_$name=$!"
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

# gui_traps [COMMAND...]: on exit, clients told to quit, COMMAND (e.g.
# local_qubes_stop), every background job of the test (X servers, agents,
# daemons) killed and reaped, $T removed unless KEEP is set
gui_traps() {
    trap "gui_cleanup $*" EXIT
    trap 'exit 1' TERM INT
}
gui_cleanup() {
    gui_clients_stop
    "$@"
    kill $(jobs -p) 2> /dev/null
    wait 2> /dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$T"
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
