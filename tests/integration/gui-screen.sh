#!/bin/bash
# Integration: the qube's screen follows dom0's when dom0's changes size
# (a monitor plugged in, another resolution). dom0's X server and the
# qube's are both Xorg with the dummy driver (tests/integration/lib/xorg-qube.sh):
# Xvfb keeps the size it started with, the dummy driver changes it with
# RandR as a real driver does. gui-daemon (domain 0) and the gui-agent
# (domain 1) talk over the socket vchan. dom0's size is changed with
# xrandr, as a user would: the qube's root window takes each size (xwininfo
# on the qube's display), a window that would now stick out of dom0's
# screen is moved back onto it on dom0 and in the qube, a window placed
# where only the larger screen reaches shows there, pixels and frame stay.
# Root only (Xorg).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
. tests/integration/lib/xorg-qube.sh
xorg_qube_test gui-screen xrandr xwininfo

# root_size DISPLAY: "WxH" of that X server's root window now
root_size() { DISPLAY=$1 xwininfo -root | awk '/Width:/ { w = $2 } /Height:/ { h = $2 }
                                             END { print w "x" h }'; }
# dom0_size WxH: dom0's screen made that size, as a user does with xrandr:
# its one output shows a mode of that size when it has one (the screen
# shrinks with it), else keeps its mode inside the larger screen
dom0_size() {
    local out
    out=$(DISPLAY=$D0 xrandr | awk '/ connected/ { print $1; exit }')
    if DISPLAY=$D0 xrandr | grep -q "^ *$1 "; then
        DISPLAY=$D0 xrandr --output "$out" --mode "$1" --fb "$1"
    else
        DISPLAY=$D0 xrandr --fb "$1"
    fi
}

echo "1..11"
xorg_qube_start dom0 "$BUILD" || exit 1
D0=$X_dom0
xorg_qube_start qube "$BUILD" || exit 1
t "dom0's and the qube's X servers start at the dummy driver's 1920x1080" \
    test "$(root_size "$D0")/$(root_size "$X_qube")" = 1920x1080/1920x1080
dom0_size 1600x900
t "before the daemon connects, dom0's screen is made 1600x900" test "$(root_size "$D0")" = 1600x900
gui_agent_start "$T/agent.log" "$X_qube"
gui_daemon_start 1 work 0xcc0000 1 VCHAN_DOMAIN=0
t "at connection the qube's screen is made dom0's: 1600x900" \
    gui_wait eval '[ "$(root_size "$X_qube")" = 1600x900 ]'

gui_client_start w "$X_qube" --title Edge --size 200x150 --pos 1300,100 --color 00ff00 \
    --marker 0000ff
W=$(probe wait-window --title "[work] Edge" --timeout 30)
t "a window at 1300,100 shows on dom0 at 1298,98, 204x154, framed in cc0000" \
    eval '[ -n "$W" ] && test "$(probe geometry "$W")" = "1298 98 204 154" &&
          gui_wait probe check-frame "$W" cc0000'
CW=$(sed -n 's/^window //p' "$T/w.out")
qpos() { DISPLAY=$X_qube xwininfo -id "$CW" | awk '/Absolute upper-left X/ { x = $NF }
                                                  /Absolute upper-left Y/ { y = $NF }
                                                  END { print x "," y }'; }

dom0_size 1280x1024
t "dom0's screen made 1280x1024: the qube's follows" \
    gui_wait eval '[ "$(root_size "$X_qube")" = 1280x1024 ]'
t "the window, now past dom0's right edge, is moved onto it: frame at 1076,98" \
    gui_wait eval 'test "$(probe geometry "$W")" = "1076 98 204 154"'
t "... and the qube's window follows to 1078,100" gui_wait eval '[ "$(qpos)" = 1078,100 ]'
t "... showing its pixels and marker in its frame" \
    gui_wait eval 'probe check-frame "$W" cc0000 && probe check-rect 1100 130 150 110 00ff00 &&
                   probe check-rect 1088 110 10 10 0000ff'

dom0_size 2560x1440
t "dom0's screen made 2560x1440, larger than the qube's ever was: the qube's follows" \
    gui_wait eval '[ "$(root_size "$X_qube")" = 2560x1440 ]'
gui_client w move 2300 1250
gui_client w color 804020
t "a window moved to 2300,1250 (inside the larger screen only) shows there, repainted" \
    gui_wait eval 'test "$(probe geometry "$W")" = "2298 1248 204 154" &&
                   probe check-frame "$W" cc0000 && probe check-rect 2310 1270 180 120 804020'
t "the daemon logged each size; no sanitizer or protocol error in any log" \
    eval 'grep -q "dom0.s screen is now 1280x1024" "$T/gui-daemon.work.log" &&
          grep -q "dom0.s screen is now 2560x1440" "$T/gui-daemon.work.log" &&
          ! grep -l "AddressSanitizer\|runtime error\|protocol error" "$T"/*.log | grep -q .'
