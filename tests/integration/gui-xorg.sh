#!/bin/bash
# Integration: the GUI with the qube's X server as a template runs it: Xorg
# with the dummy driver and the bulkheadshm module (vm-agent/xorg/), whose
# window pixmaps are the buffers dom0 reads, so the gui-agent copies
# nothing (its "zero" path). The agent (vchan server, domain 1) and
# gui-daemon (domain 0, on a dom0 Xvfb) talk over the socket vchan, as in
# tests/bench/gui-bench.sh. A gui-test-client window is checked on dom0's
# screen with gui-probe and driven with xdotool: pixels, repaint, resize
# (Composite's new pixmap), unmap and map (another new pixmap), keys; the
# agent says it uses the zero path; the same server with the agent forced
# to copy shows the same pixels; a window painted while no agent ran shows
# once one starts; a peer of another uid gets nothing from the module's
# socket. Root only (Xorg).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
. tests/integration/lib/xorg-qube.sh
xorg_qube_test gui-xorg Xvfb xdotool
daemon_start() { gui_daemon_start 1 work 0xcc0000 1 VCHAN_DOMAIN=0; }

echo "1..16"
xorg_qube_start qube "$BUILD" || exit 1
t "the qube's Xorg (dummy driver) loaded bulkheadshm and serves its socket" \
    grep -q "bulkheadshm: agent socket @bulkhead-xorg-shm:${X_qube#:}" "$T/qube.xorg.log"
gui_dom0_start || exit 1
gui_agent_start "$T/agent.log" "$X_qube"
daemon_start
t "the agent found the module: 'the zero path (bulkheadshm)'" \
    gui_wait grep -q "window copies: the zero path (bulkheadshm)" "$T/agent.log"

gui_client_start w "$X_qube" --title Hello --size 200x150 --pos 100,120 --color 00ff00 \
    --marker 0000ff
W=$(probe wait-window --title "[work] Hello" --timeout 30)
t "the window appears on dom0 at 98,118, 204x154, framed in cc0000" \
    eval '[ -n "$W" ] && test "$(probe geometry "$W")" = "98 118 204 154" &&
          probe check-frame "$W" cc0000'
t "its content is the client's colour and marker" \
    gui_wait eval 'probe check-rect 130 130 150 120 00ff00 && probe check-rect 110 130 10 10 0000ff'
t "the agent shows it with no copy: the X server's own shared pixmap" \
    grep -q "window 0x[0-9a-f]* is the X server's own shared pixmap: zero copies" "$T/agent.log"
gui_client w color 804020
t "a repaint in the qube reaches dom0" gui_wait probe check-rect 130 130 150 120 804020
gui_client w resize 320 240
t "a resize (Composite's new pixmap): 324x244 on dom0, the new area painted" \
    gui_wait eval 'test "$(probe geometry "$W")" = "98 118 324 244" &&
                   probe check-rect 280 300 138 60 804020 && probe check-frame "$W" cc0000'
gui_client w unmap
t "unmap in the qube hides the dom0 window" gui_wait eval '! probe list | grep -q "^$W "'
gui_client w color 3060c0
gui_client w map
t "map (another new pixmap) shows it again with the new colour" \
    gui_wait eval 'probe list | grep -q "^$W " && probe check-rect 130 130 280 200 3060c0 &&
                   probe check-rect 110 130 10 10 0000ff'
DISPLAY=$D0 xdotool windowfocus --sync "$W" 2> /dev/null
DISPLAY=$D0 xdotool type --delay 20 "bh7"
t "keys typed into the dom0 window arrive in the qube's client" \
    gui_wait eval '[ "$(grep "^key " "$T/w.out" | tr "\n" " ")" = "key b key h key 7 " ]'
t "the agent never fell back from the zero path" \
    eval '! grep -q "not shared by the X server\|stopped answering" "$T/agent.log"'

# the same X server, the agent forced to copy (direct path): same pixels
kill "$GUI_AGENT_PID"
wait "$(gui_daemon_pid work)"
gui_agent_start "$T/agent-direct.log" "$X_qube" BULKHEAD_GUI_AGENT_COPY=direct
daemon_start
W=$(probe wait-window --title "[work] Hello" --timeout 30)
gui_client w color c03080
t "BULKHEAD_GUI_AGENT_COPY=direct on the same Xorg: the same window, copied" \
    gui_wait eval 'probe check-frame "$W" cc0000 && probe check-rect 130 130 280 200 c03080 &&
                   probe check-rect 110 130 10 10 0000ff &&
                   grep -q "window copies: the direct path" "$T/agent-direct.log"'

# a window painted while no agent ran, and never drawn again: the next
# agent shares its pixmap with nothing drawn since, and its first frame
# must still show what is there
kill "$GUI_AGENT_PID"
wait "$(gui_daemon_pid work)"
gui_client_start q "$X_qube" --title Quiet --size 120x80 --pos 400,300 --color 336699 \
    --marker 0000ff
gui_wait env DISPLAY="$X_qube" "$B/gui-probe" check-rect 430 330 60 40 336699
gui_agent_start "$T/agent-late.log" "$X_qube"
daemon_start
t "a window painted before the agent started, and not since, shows its pixels" \
    gui_wait eval 'probe check-rect 430 330 60 40 336699 && probe check-rect 410 310 10 10 0000ff'

# the module answers only its own uid and root: "nobody" is turned away
if [ -x /usr/bin/python3 ] && id nobody > /dev/null 2>&1; then
    cat > "$T/ask.py" << 'P'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("\0bulkhead-xorg-shm:" + sys.argv[1])
s.send(struct.pack("=IIII", 0x42485331, int(sys.argv[2], 16), 2, 0))
s.settimeout(10)
print("answered" if s.recv(128) else "closed")
P
    t "root asking the module gets an answer" \
        test "$(/usr/bin/python3 "$T/ask.py" "${X_qube#:}" 0x1)" = answered
    t "another uid (nobody) is refused, and the server logs it" \
        eval '[ "$(setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$T/ask.py" \
                   "${X_qube#:}" 0x1 2> /dev/null)" != answered ] &&
              grep -q "bulkheadshm: refused a peer of uid $(id -u nobody)" "$T/qube.xorg.log"'
else
    echo "ok 14 # SKIP no python3 or no user nobody"
    echo "ok 15 # SKIP no python3 or no user nobody"
    n=15
fi
t "no sanitizer or protocol error in the daemon's or agents' logs; the server is up" \
    eval '! grep -l "AddressSanitizer\|runtime error\|protocol error" "$T"/*.log | grep -q . &&
          kill -0 "$XPID_qube"'
