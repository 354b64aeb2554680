#!/bin/bash
# Benchmark: window contents from a qube's X server to dom0's screen through
# gui-agent and gui-daemon (docs/gui-protocol.md), next to the limit
# measured in the same run: the same XShmPutImage + XSync loop straight into
# a window of dom0's X server.
#
# Two Xvfb servers stand for the qube's X server and dom0's; the agent is the
# vchan server (domain 1), the daemon connects from domain 0 over the socket
# vchan; buffers are sealed memfds. In the qube a client paints a WxH window
# (default 1920x1080), every pixel changing each frame, then a variant where
# only a 100x100 square changes; each either flat out, or paced like an
# application synced to its compositor (at most 2 frames ahead of what dom0
# shows). On dom0 an observer watches the daemon's window with XDamage: each
# damaged rectangle that is the client's whole update area is one frame put
# into dom0's window, what the ceiling counts of its own loop; and it reads
# the frame number from the content's first pixel. Per row: frames/s the
# client sent, frames/s put into dom0's window, that against the ceiling,
# frames/s the pixel reader saw (fewer: its GetImage waits behind the
# daemon's next put), latency from the client sending a frame to dom0
# showing it (median, p95), and CPU per frame put into dom0's window of the
# agent, the daemon and both X servers (utime+stime over the run). The "dom0 copy"
# rows run the daemon with BULKHEAD_GUI_FORCE_COPY=1 (one more copy, in the
# daemon), the "Xen copies" rows the agent with BULKHEAD_GUI_AGENT_COPY=private
# too (one more, in the agent): the copies Xen's grants take, without Xen.
# The "Xorg" rows run the qube's X server as a template does (Xorg, dummy
# driver, the bulkheadshm module: the agent's zero path, no copy in the
# qube), as root only: with three slots per window (GUI_FRAME: dom0 reads
# one copy, the next frame waits in another, the qube draws into the third;
# docs/xorg-module.md "Frames"), with one (BULKHEAD_GUI_AGENT_SLOTS=1: both
# sides on the same memory, GUI_DAMAGE), and with the agent copying
# (direct).
# Figures and where the time goes: docs/gui-protocol.md.
#
# Environment: BULKHEAD_BUILD (build/release), SECONDS_PER_RUN (5), SIZE
# (1920x1080), GUI_AGENT / GUI_DAEMON (other builds of the two, to compare).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/gui.sh
BUILD=${BULKHEAD_BUILD:-build/release}
B=$(realpath "$BUILD/bin")
GB=$(realpath "$BUILD/bench/gui-bench")
SECS=${SECONDS_PER_RUN:-5}
SIZE=${SIZE:-1920x1080}
GUI_AGENT_BIN=${GUI_AGENT:-$B/gui-agent} GUI_DAEMON_BIN=${GUI_DAEMON:-$B/gui-daemon}
for p in "$GUI_AGENT_BIN" "$GUI_DAEMON_BIN" "$B/gui-probe" "$GB"; do
    [ -x "$p" ] || { echo "gui bench: skipped, $p is not built"; exit 0; }
done
command -v Xvfb > /dev/null || { echo "gui bench: skipped, no Xvfb"; exit 0; }

T=$(mktemp -d /tmp/bulkhead-gui-bench.XXXXXX)
trap gui_cleanup EXIT
gui_xvfb_start qube 2048x1280 || { echo "gui bench: Xvfb did not start"; exit 1; }
gui_xvfb_start dom0 2048x1280 || { echo "gui bench: Xvfb did not start"; exit 1; }
D0=$X_dom0
export VCHAN_SOCKET_DIR=$T BULKHEAD_VCHAN=socket BULKHEAD_CLIPBOARD_DIR=$T

cpu_ticks() { # utime+stime of a pid, in clock ticks
    awk '{ print $14 + $15 }' "/proc/$1/stat" 2> /dev/null || echo 0
}
TCK=$(getconf CLK_TCK)

start_agent() { # start_agent [ENV=VALUE...]
    gui_agent_start "$T/agent.log" "$X_qube" "$@"
    AGENT=$GUI_AGENT_PID
}

# one daemon per row (the copy row needs its own environment)
start_daemon() { # start_daemon [ENV=VALUE...]
    : > "$T/gui-daemon.bench.log"
    gui_daemon_start 1 bench 0x3874d8 blue VCHAN_DOMAIN=0 "$@"
    DAEMON=$(gui_daemon_pid bench)
}

# one_run LABEL AREA CEILING PACE -> prints the row. PACE: "free" (the
# client paints flat out) or N (at most N frames ahead of dom0's screen).
one_run() {
    local label=$1 area=$2 pace=$4 areaopt= paceopt= obsopt= win a0 d0 q0 o0 a1 d1 q1 o1 rep
    [ "$area" != full ] && areaopt="--area $area"
    # the last row's window may still be on dom0 while the agent works
    # through that client's backlog of damage: it must not be the one found
    for _ in $(seq 300); do
        DISPLAY=$X_dom0 "$B/gui-probe" list | grep -qF "[bench] gui-bench" || break
        sleep 0.1
    done
    rm -f "$T/start" "$T/ready" "$T/done" "$T/client.log" "$T/obs.log" "$T/puts.log" "$T/feedback"
    if [ "$pace" != free ]; then
        mkfifo "$T/feedback"
        paceopt="--feedback $T/feedback --ahead $pace" obsopt="--feedback $T/feedback"
    fi
    DISPLAY=$X_qube "$GB" client --title gui-bench --size "$SIZE" $areaopt --seconds "$SECS" \
        --start-file "$T/ready" --done-file "$T/done" --log "$T/client.log" $paceopt \
        > "$T/client.out" 2>&1 &
    local client=$!
    win=$(DISPLAY=$X_dom0 "$B/gui-probe" wait-window --title "[bench] gui-bench" --timeout 30) ||
        { echo "  $label: the window never reached dom0"; cat "$T/gui-daemon.bench.log" "$T/agent.log";
          kill $client; return 1; }
    a0=$(cpu_ticks $AGENT) d0=$(cpu_ticks $DAEMON)
    q0=$(cpu_ticks $XPID_qube) o0=$(cpu_ticks $XPID_dom0)
    DISPLAY=$X_dom0 "$GB" observe --window "$win" --size "$SIZE" $areaopt --ready-file "$T/ready" \
        --done-file "$T/done" --log "$T/obs.log" --puts-log "$T/puts.log" \
        --timeout $((SECS + 60)) $obsopt || { kill $client; return 1; }
    a1=$(cpu_ticks $AGENT) d1=$(cpu_ticks $DAEMON)
    q1=$(cpu_ticks $XPID_qube) o1=$(cpu_ticks $XPID_dom0)
    wait $client
    rep=$("$GB" report "$T/client.log" "$T/obs.log" "$T/puts.log") ||
        { echo "  $label: $(wc -l < "$T/client.log") frames sent, $(wc -l < "$T/puts.log") put," \
            "$(wc -l < "$T/obs.log") seen";
          tail -3 "$T/gui-daemon.bench.log" "$T/agent.log"; return 1; }
    # rep: sent/s put/s seen/s nput lat_median lat_p95 torn%
    echo "$rep" | awk -v l="$label" -v ceil="$3" -v tck="$TCK" \
        -v a=$((a1 - a0)) -v d=$((d1 - d0)) -v q=$((q1 - q0)) -v o=$((o1 - o0)) '{
        ms = 1000 / tck / $4
        printf "  %-27s %7.1f %7.1f %6.0f%% %5.0f%% %7.1f %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f\n",
            l, $1, $2, 100 * $2 / ceil, $7, $3, $5, $6, a * ms, d * ms, q * ms, o * ms }'
}

ceiling() { # ceiling AREA -> frames/s
    local areaopt=
    [ "$1" != full ] && areaopt="--area $1"
    DISPLAY=$X_dom0 "$GB" ceiling --size "$SIZE" $areaopt --seconds "$SECS"
}

echo "GUI: qube window -> gui-agent -> gui-daemon -> dom0 screen ($SIZE window, ${SECS} s per row)"
C_FULL=$(ceiling full) && C_SMALL=$(ceiling 100) || { echo "  the ceiling runs failed"; exit 1; }
printf '  ceiling (XShmPutImage+XSync into a dom0 window): full %s frames/s, 100x100 %s frames/s\n' \
    "$C_FULL" "$C_SMALL"
printf '  %-27s %7s %7s %7s %6s %7s %6s %6s %6s %6s %6s %6s\n' "what" "sent/s" "dom0/s" \
    "of ceil" "torn" "seen/s" "lat ms" "p95 ms" "agent" "daemon" "X qube" "X dom0"
printf '  %-27s %7s %7s %7s %6s %7s %6s %6s %6s %6s %6s %6s\n' "" "" "" "" "" "" "" "" "ms/fr" \
    "ms/fr" "ms/fr" "ms/fr"
stop() { # stop PID
    kill "$1" 2> /dev/null
    wait "$1" 2> /dev/null
}
start_agent
start_daemon
rc=0
one_run "full, memfd, paced 2" full "$C_FULL" 2 || rc=1
one_run "full, memfd, flat out" full "$C_FULL" free || rc=1
one_run "100x100, memfd, paced 2" 100 "$C_SMALL" 2 || rc=1
one_run "100x100, memfd, flat out" 100 "$C_SMALL" free || rc=1
# the copies Xen's grants take: the daemon copies (it cannot hand a grant
# mapping to X), and so does the agent (X cannot attach a gntalloc fd)
stop $DAEMON
start_daemon BULKHEAD_GUI_FORCE_COPY=1
one_run "full, dom0 copy, paced 2" full "$C_FULL" 2 || rc=1
one_run "100x100, dom0 copy, paced 2" 100 "$C_SMALL" 2 || rc=1
stop $DAEMON
stop $AGENT
start_agent BULKHEAD_GUI_AGENT_COPY=private
start_daemon BULKHEAD_GUI_FORCE_COPY=1
one_run "full, Xen copies, paced 2" full "$C_FULL" 2 || rc=1
one_run "100x100, Xen copies, paced" 100 "$C_SMALL" 2 || rc=1
# The qube's X server as a template runs it: Xorg with the dummy driver and
# the bulkheadshm module, whose window pixmaps are the shared buffers (the
# agent's zero path: no copy in the qube); then the same server with the
# agent forced to copy (direct path), to compare on one server.
. tests/integration/lib/xorg-qube.sh
if xorg_qube_usable "$BUILD"; then
    stop $DAEMON
    stop $AGENT
    xorg_qube_start xorg "$BUILD" || exit 1
    X_qube=$X_xorg XPID_qube=$XPID_xorg
    # the machine's load moves: these rows against a ceiling measured now
    C_FULL=$(ceiling full) && C_SMALL=$(ceiling 100) || { echo "  the ceiling runs failed"; exit 1; }
    printf '  ceiling again, for the Xorg rows: full %s frames/s, 100x100 %s frames/s\n' \
        "$C_FULL" "$C_SMALL"
    start_agent
    start_daemon
    one_run "full, Xorg 3 slots, paced 2" full "$C_FULL" 2 || rc=1
    one_run "full, Xorg 3 slots, flat out" full "$C_FULL" free || rc=1
    one_run "100x100, Xorg 3 slots, paced" 100 "$C_SMALL" 2 || rc=1
    one_run "100x100, Xorg 3 slots, free" 100 "$C_SMALL" free || rc=1
    grep -q "zero copies (bulkheadshm), 3 slots (frames)" "$T/agent.log" ||
        { echo "  the agent did not use the zero path with three slots:"; cat "$T/agent.log"; rc=1; }
    # as on Xen: the qube shares grant pages (no copy), the daemon copies
    stop $DAEMON
    start_daemon BULKHEAD_GUI_FORCE_COPY=1
    one_run "full, Xorg 3 slots, Xen's" full "$C_FULL" 2 || rc=1
    one_run "full, Xorg 3 slots, Xen's, free" full "$C_FULL" free || rc=1
    stop $DAEMON
    stop $AGENT
    start_agent BULKHEAD_GUI_AGENT_SLOTS=1
    start_daemon
    one_run "full, Xorg 1 slot, paced 2" full "$C_FULL" 2 || rc=1
    one_run "full, Xorg 1 slot, flat out" full "$C_FULL" free || rc=1
    stop $DAEMON
    stop $AGENT
    start_agent BULKHEAD_GUI_AGENT_COPY=direct
    start_daemon
    one_run "full, Xorg direct, paced 2" full "$C_FULL" 2 || rc=1
    one_run "full, Xorg direct, flat out" full "$C_FULL" free || rc=1
else
    echo "  (no Xorg rows: they need root, Xorg, its dummy driver and $BUILD's bulkheadshm)"
fi
exit $rc
