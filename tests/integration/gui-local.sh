#!/bin/bash
# Integration: the GUI end to end under Xvfb on qvmd's local backend. Two
# qubes, "work" (label red) and "personal" (label blue), each run an Xvfb
# and the gui-agent (bulkhead-local-init's BULKHEAD_LOCAL_GUI switch, which
# runs vm-agent/init/bulkhead-xorg as a template does); dom0 has its own
# Xvfb and one gui-daemon per qube. gui-test-client windows in the qubes
# (clients of the qube's X server) are checked on dom0's screen with
# gui-probe and driven with xdotool as a user would: pixels inside a frame
# of exactly the label colour, the title, moves, resizes, map and unmap (in
# the qube and by the user on dom0), keys and modifiers, a click, closing,
# the clipboard between qubes under dom0's policy, keys held while the focus
# moves to another qube's window released when it comes back, the qube's
# pointer following dom0's into a window. Then: killing one qube's
# agent leaves the other qube's windows as they were and bulkhead-xorg
# starts the agent again; an agent shows its windows again to a new daemon;
# the agent's other two copy paths (BULKHEAD_GUI_AGENT_COPY) show the same
# pixels.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
. tests/integration/lib/gui.sh
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP the local backend needs root"; exit 0; }
gui_test_start gui-local Xvfb xdotool
. tests/integration/lib/local-qubes.sh
gui_traps local_qubes_stop

# the qubes' X sessions, through their init
export BULKHEAD_LOCAL_GUI="Xvfb -nolisten tcp -screen 0 1280x1024x24"
export BULKHEAD_GUI_AGENT=$T/gui-agent BULKHEAD_CLIPBOARD_DIR=$T/clip
# the agent through a wrapper: the copy path the test asks of each qube
cat > "$T/gui-agent" << W
#!/bin/sh
BULKHEAD_GUI_AGENT_COPY=\$(cat "$T/copy.\$BULKHEAD_QUBE_NAME" 2> /dev/null)
export BULKHEAD_GUI_AGENT_COPY
exec "$B/gui-agent" "\$@"
W
chmod 755 "$T/gui-agent"
mkdir -p "$T/clip"
cat > "$T/policy.d/30-clipboard.policy" << P
qubes.ClipboardPaste  *  work      personal  allow
qubes.ClipboardPaste  *  @anyvm    @anyvm    deny
P
printf 'work class=AppVM running=yes\npersonal class=AppVM running=yes\n' > "$T/qubes.list"
local_qubes_start || exit 1
"$B/qvm-create" -C TemplateVM -l black tpl > /dev/null &&
    "$B/qvm-create" -t tpl -l red work > /dev/null &&
    "$B/qvm-create" -t tpl -l blue personal > /dev/null || exit 1

echo "1..42"
t "qvm-start work personal" "$B/qvm-start" work personal
gui_wait eval '[ -n "$(gui_xid work)" ] && [ -n "$(gui_xid personal)" ]'
WD=$(gui_xid work) PD=$(gui_xid personal)
WX=:$((100 + WD)) PX=:$((100 + PD))
t "each qube's init started its X server (displays $WX, $PX)" \
    gui_wait test -S "/tmp/.X11-unix/X$((100 + WD))" -a -S "/tmp/.X11-unix/X$((100 + PD))"

gui_dom0_start || exit 1
gui_daemon_start "$WD" work 0xcc0000 1
gui_daemon_start "$PD" personal 0x3465a4 6

# ---- a window of known pixels in work ----
gui_client_start w "$WX" --title Hello --size 200x150 --pos 100,120 --color 00ff00 --marker 0000ff
W=$(probe wait-window --title "[work] Hello" --timeout 30)
t "the window appears on dom0, titled '[work] Hello'" test -n "$W"
t "its frame is exactly work's label colour, cc0000" probe check-frame "$W" cc0000
t "dom0 window = qube window + 2 px frame: at 98,118, 204x154" \
    test "$(probe geometry "$W")" = "98 118 204 154"
t "its content: the client's colour (00ff00) inside the frame" probe check-rect 130 130 150 120 00ff00
t "... and the 10x10 marker (0000ff) at 10,10 of the content" probe check-rect 110 130 10 10 0000ff
t "_QUBES_VMNAME and _QUBES_LABEL_COLOR name the qube" \
    test "$(probe prop "$W" _QUBES_VMNAME)/$(probe prop "$W" _QUBES_LABEL_COLOR)" = "work/0xcc0000 13369344"
gui_client w color 804020
t "a repaint in the qube reaches dom0 (damage)" gui_wait probe check-rect 130 130 150 120 804020

gui_client w move 300 200
t "a move in the qube is followed on dom0" \
    gui_wait eval 'test "$(probe geometry "$W")" = "298 198 204 154"'
gui_client w resize 320 240
t "a resize too: 324x244, frame still cc0000" \
    gui_wait eval 'test "$(probe geometry "$W")" = "298 198 324 244" && probe check-frame "$W" cc0000'
t "the new area shows the client's pixels" gui_wait probe check-rect 480 380 138 60 804020
gui_client w unmap
t "unmap in the qube hides the dom0 window" gui_wait eval '! probe list | grep -q "^$W "'
gui_client w map
t "map shows it again" gui_wait eval 'probe list | grep -q "^$W "'
gui_client w title "Renamed"
t "a new title is followed: '[work] Renamed'" gui_wait eval 'probe list | grep -q "\"\[work\] Renamed\""'

# ---- keys typed on dom0 arrive in the client ----
DISPLAY=$D0 xdotool windowfocus --sync "$W" 2> /dev/null
DISPLAY=$D0 xdotool type --delay 20 "bh7"
t "keys typed into the dom0 window arrive in the qube's client" \
    gui_wait eval '[ "$(grep "^key " "$T/w.out" | tr "\n" " ")" = "key b key h key 7 " ]'

# ---- a click, and the user moving and resizing the dom0 window ----
DISPLAY=$D0 xdotool mousemove 340 230 click 1
t "a click at content 40,30 on dom0 arrives in the client at 40,30" \
    gui_wait grep -qx "button 1 40 30" "$T/w.out"
CW=$(sed -n 's/^window //p' "$T/w.out")
qgeom() { DISPLAY=$WX xdotool getwindowgeometry "$CW" | tr -s ' \n' ' '; }
DISPLAY=$D0 xdotool windowmove "$W" 400 300
t "moving the dom0 window to 400,300 moves the qube's window to 402,302" \
    gui_wait eval 'qgeom | grep -q "Position: 402,302 "'
DISPLAY=$D0 xdotool windowsize "$W" 404 304
t "resizing it to 404x304 makes the qube's window 400x300, painted to the edge" \
    gui_wait eval 'qgeom | grep -q "Geometry: 400x300" &&
                   test "$(probe geometry "$W")" = "400 300 404 304" &&
                   probe check-rect 602 482 198 118 804020 && probe check-frame "$W" cc0000'
gui_client w move 300 200
gui_client w resize 320 240
gui_wait eval 'test "$(probe geometry "$W")" = "298 198 324 244"'

# ---- the clipboard between qubes ----
gui_client_start p "$PX" --title Notes --size 180x100 --pos 700,500 --color 3465a4
P=$(probe wait-window --title "[personal] Notes" --timeout 30)
t "personal's window appears, framed in blue (3465a4)" \
    eval '[ -n "$P" ] && probe check-frame "$P" 3465a4'
# the qubes' modifiers follow dom0's: Caps Lock turned on in personal's
# window is on for a key typed into work's next
gui_keys "$P" Caps_Lock
gui_keys "$W" q
t "Caps Lock turned on in personal's window: q typed into work's arrives as Q" \
    gui_wait grep -qx "key Q" "$T/w.out"
gui_keys "$W" Caps_Lock
gui_copy w "$WX" "from work 1"
gui_copy p "$PX" "personal's own"
gui_keys "$W" ctrl+shift+c
t "Ctrl+Shift+C in work: dom0's clipboard holds work's text, source work" \
    gui_wait eval '[ "$(cat "$T/clip/qubes-clipboard.bin" 2> /dev/null)" = "from work 1" ] &&
                   [ "$(cat "$T/clip/qubes-clipboard.bin.source")" = work ]'
gui_keys "$P" ctrl+shift+v
gui_wait eval '[ ! -s "$T/clip/qubes-clipboard.bin" ]'
gui_client p paste
t "Ctrl+Shift+V in personal: personal's programs paste work's text" \
    gui_wait grep -qx "paste from work 1" "$T/p.out"
t "... and dom0's clipboard is empty after the paste" test ! -s "$T/clip/qubes-clipboard.bin"

printf 'qubes.ClipboardPaste  *  work  personal  deny\n' > "$T/policy.d/30-clipboard.policy"
gui_wait gui_policy_is deny work personal
gui_copy p "$PX" "personal's own"
gui_copy w "$WX" "from work 2"
gui_keys "$W" ctrl+shift+c
gui_wait eval '[ "$(cat "$T/clip/qubes-clipboard.bin" 2> /dev/null)" = "from work 2" ]'
gui_keys "$P" ctrl+shift+v
: > "$T/p.out"
gui_client p paste
gui_wait grep -q "^paste " "$T/p.out"
t "with policy 'work personal deny' the paste is refused: personal keeps its own" \
    grep -qx "paste personal's own" "$T/p.out"

gui_copy w "$WX" "changed in work"
gui_keys "$W" ctrl+shift+v
: > "$T/w.out"
gui_client w paste
gui_wait grep -q "^paste " "$T/w.out"
t "pasting back into the source qube is refused" grep -qx "paste changed in work" "$T/w.out"

# ---- keys held while the focus moves away; the pointer entering ----
# client_keys ID: the keys the client's X server has down now ("keys ...")
client_keys() {
    : > "$T/$1.out"
    gui_client "$1" keys
    gui_wait grep -q "^keys" "$T/$1.out" && grep "^keys" "$T/$1.out"
}
DISPLAY=$D0 xdotool windowfocus --sync "$W" keydown alt+a
t "alt+a held down on dom0 in work's window: work's X server has a and Alt_L down" \
    gui_wait eval '[ "$(client_keys w)" = "keys a Alt_L" ]'
# released over personal's window, as after Alt+Tab: work never sees it
DISPLAY=$D0 xdotool windowfocus --sync "$P" keyup alt+a
DISPLAY=$D0 xdotool windowfocus --sync "$W"
t "released while personal's window had the focus: back in work's, no key is left down" \
    gui_wait eval '[ "$(client_keys w)" = keys ]'
# dom0's pointer still, personal's window moved under it: the pointer
# enters the window without moving (no motion to pass on)
DISPLAY=$D0 xdotool mousemove 1000 700
: > "$T/p.out"
gui_client p move 900 650
t "a window moved under dom0's still pointer: personal's pointer goes there (1000,700)" \
    gui_wait eval 'DISPLAY=$PX xdotool getmouselocation | grep -q "^x:1000 y:700 "'
t "... and the client sees it enter at 100,50 of the window (hover)" \
    gui_wait grep -qx "enter 100 50" "$T/p.out"
gui_client p move 700 500
gui_wait eval 'test "$(probe geometry "$P")" = "698 498 184 104"'

# ---- closing windows from dom0 ----
gui_client_start c "$WX" --title Closable --size 120x80 --pos 50,600 --color ffffff
C=$(probe wait-window --title "[work] Closable" --timeout 30)
DISPLAY=$D0 "$B/gui-test-client" --close "$C"
t "closing a dom0 window (WM_DELETE_WINDOW) asks the qube's client, which closes" \
    gui_wait eval 'grep -qx closed "$T/c.out" && ! probe list | grep -q "^$C "'
gui_client_start k "$WX" --title Stubborn --size 120x80 --pos 200,600 --color ffffff --no-delete
K=$(probe wait-window --title "[work] Stubborn" --timeout 30)
DISPLAY=$D0 "$B/gui-test-client" --close "$K"
t "a client that does not take WM_DELETE_WINDOW is disconnected: its window goes" \
    gui_wait eval '! probe list | grep -q "^$K "'

# ---- one qube's agent killed: the other qube is unaffected ----
t "work has one window on dom0, personal one" \
    test "$(probe list | grep -c ' work$')/$(probe list | grep -c ' personal$')" = "1/1"
A1=$(gui_agent_pid "$WX")
kill "$A1"
wait "$(gui_daemon_pid work)"
t "work's agent killed: work's daemon ends with status 0 (the qube's side closed)" test $? = 0
t "... its window is gone from dom0" gui_wait eval '! probe list | grep -q " work$"'
t "personal's window is still there, same frame and pixels" \
    eval 'probe list | grep -q " personal$" && probe check-frame "$P" 3465a4 &&
          probe check-rect 704 504 170 90 3465a4'
gui_wait eval '[ -n "$(gui_agent_pid "$WX")" ] && [ "$(gui_agent_pid "$WX")" != "$A1" ]'
gui_daemon_start "$WD" work 0xcc0000 1
W=$(probe wait-window --title "[work] Renamed" --timeout 30)
t "bulkhead-xorg starts work's agent again; a new daemon shows its window" \
    gui_wait eval 'probe check-frame "$W" cc0000 && probe check-rect 330 230 280 200 804020'

# ---- a daemon that goes away and comes back; the other copy paths ----
kill "$(gui_daemon_pid personal)"
wait "$(gui_daemon_pid personal)"
t "personal's daemon stopped: its window goes" gui_wait eval '! probe list | grep -q " personal$"'
gui_daemon_start "$PD" personal 0x3465a4 6
P=$(probe wait-window --title "[personal] Notes" --timeout 30)
t "a new daemon: personal's agent shows the window again, frame and pixels" \
    gui_wait eval 'probe check-frame "$P" 3465a4 && probe check-rect 704 504 170 90 3465a4'
# work's agent restarted on another copy path (the wrapper reads copy.work)
for path in private:c03080 getimage:2090e0; do
    colour=${path#*:} path=${path%:*}
    echo "$path" > "$T/copy.work"
    A1=$(gui_agent_pid "$WX")
    kill "$A1"
    wait "$(gui_daemon_pid work)"
    gui_wait eval '[ -n "$(gui_agent_pid "$WX")" ] && [ "$(gui_agent_pid "$WX")" != "$A1" ]'
    gui_daemon_start "$WD" work 0xcc0000 1
    W=$(probe wait-window --title "[work] Renamed" --timeout 30)
    gui_client w color "$colour"
    t "the $path copy path: work's window, frame cc0000, repainted $colour, marker kept" \
        gui_wait eval 'probe check-frame "$W" cc0000 && probe check-rect 330 230 280 200 "$colour" &&
                       probe check-rect 310 210 10 10 0000ff &&
                       grep -q "window copies: the $path path" "$T/local/guest-work.log"'
done
t "no sanitizer or protocol error in any daemon's or agent's log" \
    eval '! grep -l "AddressSanitizer\|runtime error\|protocol error" "$T"/*.log \
              "$T"/local/guest-*.log 2> /dev/null | grep -q .'
