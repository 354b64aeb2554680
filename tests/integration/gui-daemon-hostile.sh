#!/bin/bash
# Integration: gui-daemon against hostile agents. Xvfb is dom0's screen; qube
# "good" (domain 1) shows a window of known pixels through its own daemon,
# then qube "bad" (domain 2) sends, one run each, every kind of malformed
# message: bad lengths for every type, types only the daemon may send,
# unknown window ids, a CREATE of an existing id, absurd geometry, overlong
# titles, a subwindow, broken buffers, frames (protocol 1.1) of a slot the
# buffer lacks or outside it, too many windows, clipboard data over
# the limit or unasked for, a partial message, a huge length. Each time:
# bad's daemon exits with status 2 saying "protocol error", bad's windows
# are gone, good's window still shows its pixels in its frame, and the X
# server still answers. Also the happy path: frame colour, title, the
# _QUBES_* properties, map/unmap/configure, BUFFER_ACK, user moves and
# keys sent back, the copy path, the clipboard shortcut, 2-slot buffers and
# GUI_FRAME / GUI_FRAME_DONE. Drives the real
# gui-daemon with tests/tools/gui-fake-agent over the socket vchan.
set -u
cd "$(dirname "$0")/../.."
B=$(cd "${BULKHEAD_BUILD:-build/release}/bin" && pwd)
T=$(mktemp -d /tmp/bulkhead-gui-hostile.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket BULKHEAD_CLIPBOARD_DIR=$T/clip
export BULKHEAD_POLICY_SOCKET=$T/policy.sock
mkdir -p "$T/vchan" "$T/clip" "$T/policy.d"
. tests/integration/lib/tap.sh
PIDS=()
cleanup() {
    exec 4>&- 2>/dev/null
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${BULKHEAD_KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
P=$B/gui-probe

for tool in Xvfb xdotool; do
    if ! command -v $tool > /dev/null; then
        echo "1..0 # SKIP $tool is not installed"
        exit 0
    fi
done

# dom0's X server on a free display
Xvfb -displayfd 5 -screen 0 1024x768x24 -nolisten tcp 5> "$T/display" 2> "$T/xvfb.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/display" ] && break; sleep 0.1; done
export DISPLAY=:$(cat "$T/display")

# waits (bounded, no threshold asserted) until FILE has a line matching RE
wait_for() { for _ in $(seq 100); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
# runs COMMAND until it succeeds (bounded: what changes on screen takes a moment)
eventually() { for _ in $(seq 100); do "$@" > /dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
focus() { timeout 10 xdotool windowfocus --sync "$1" || xdotool windowfocus "$1"; }
x_alive() { "$P" list > /dev/null; }

# policy: pasting from good into copy asks (which the shortcut counts as yes)
cat > "$T/policy.d/30-test.policy" <<'EOF'
qubes.ClipboardPaste  *  good   copy     ask
qubes.ClipboardPaste  *  @anyvm @anyvm   deny
EOF
printf 'good class=AppVM running=yes\ncopy class=AppVM running=yes\n' > "$T/qubes.list"
if [ -x "$B/qrexec-policy-daemon" ]; then
    "$B/qrexec-policy-daemon" --socket "$T/policy.sock" --policy-dir "$T/policy.d" \
        --system "$T/qubes.list" 2> "$T/policy.log" &
    PIDS+=($!)
    for _ in $(seq 100); do [ -S "$T/policy.sock" ] && break; sleep 0.1; done
fi

# --- good: a window of known pixels, kept open through the fifo ------------
GOOD_COLOR=73d216
mkfifo "$T/good.in"
VCHAN_DOMAIN=1 "$B/gui-fake-agent" < "$T/good.in" > "$T/good.out" 2>&1 &
PIDS+=($!)
exec 4> "$T/good.in"
cat >&4 <<'EOF'
hello
expect SCREEN
create 0x200 100 100 50 40
title 0x200 good window
class 0x200 XTerm xterm
hints 0x200 16 20 20 0 0
buffer 0x200 50 40 ff0000
expect BUFFER_ACK
map 0x200 0 0
damage 0x200 0 0 50 40
EOF
VCHAN_DOMAIN=0 "$B/gui-daemon" -d 1 -N good -c 0x$GOOD_COLOR -l 3 --foreground \
    > "$T/good.log" 2>&1 4>&- &
GOOD_PID=$!
PIDS+=($GOOD_PID)

GW=$("$P" wait-window --title "[good] good window" --timeout 10)
t "good's window appears titled \"[good] good window\"" test -n "$GW"
t "the daemon answered the agent's HELLO with its own and the screen" \
    grep -q "GOT GUI_SCREEN win=0x0 len=12 1024x768 depth=24" "$T/good.out"
t "GUI_BUFFER was acknowledged with GUI_BUFFER_ACK for the window" \
    grep -q "GOT GUI_BUFFER_ACK win=0x200" "$T/good.out"
t "the dom0 window is the content plus a 2-px frame, at the content's place minus 2" \
    test "$("$P" geometry "$GW")" = "98 98 54 44"
# where good's content is now, and its colour
GX=100 GY=100 GWIDTH=50 GHEIGHT=40 GRGB=ff0000
good_ok() {
    "$P" check-frame "$GW" $GOOD_COLOR > /dev/null &&
        "$P" check-rect $GX $GY $GWIDTH $GHEIGHT $GRGB > /dev/null
}
t "the frame is exactly the label colour" "$P" check-frame "$GW" $GOOD_COLOR
t "the content shows the buffer's pixels" "$P" check-rect 100 100 50 40 ff0000
t "_QUBES_VMNAME is the qube's name" test "$("$P" prop "$GW" _QUBES_VMNAME)" = good
t "_QUBES_LABEL is the label index" test "$("$P" prop "$GW" _QUBES_LABEL)" = "0x000003 3"
t "_QUBES_LABEL_COLOR is the colour" \
    test "$("$P" prop "$GW" _QUBES_LABEL_COLOR)" = "0x$GOOD_COLOR $((0x$GOOD_COLOR))"
t "_QUBES_VMWINDOWID is the qube's window id" \
    test "$("$P" prop "$GW" _QUBES_VMWINDOWID)" = "0x000200 512"
t "WM_CLASS is NAME:class" test "$("$P" prop "$GW" WM_CLASS)" = "good:XTerm good:XTerm"
t "WM_PROTOCOLS offers WM_DELETE_WINDOW" xprop -id "$GW" WM_PROTOCOLS | grep -q WM_DELETE_WINDOW
t "size hints carry the frame" sh -c "xprop -id $GW WM_NORMAL_HINTS | grep -q 'minimum size: 24 by 24'"

# damage: new pixels show
echo "fill 0x200 0000ff" >&4
echo "damage 0x200 0 0 50 40" >&4
t "a damaged rectangle shows the buffer's new pixels" eventually "$P" check-rect 100 100 50 40 0000ff
echo "fill 0x200 ff0000" >&4
echo "damage 0x200 0 0 25 40" >&4
t "only the damaged part is redrawn" \
    eventually sh -c "'$P' check-rect 100 100 25 40 ff0000 && '$P' check-rect 125 100 25 40 0000ff"
echo "damage 0x200 25 0 25 40" >&4

# unmap, map, configure
echo "unmap 0x200" >&4
t "GUI_UNMAP hides the window" eventually sh -c "! '$P' list | grep -q '$GW'"
echo "map 0x200 0 0" >&4
t "GUI_MAP shows it again" eventually sh -c "'$P' list | grep -q '$GW'"
cat >&4 <<'EOF'
configure 0x200 300 200 60 50
buffer 0x200 60 50 ff0000
expect BUFFER_ACK
damage 0x200 0 0 60 50
EOF
t "GUI_CONFIGURE moves and resizes the dom0 window" \
    eventually sh -c "[ \"\$('$P' geometry $GW)\" = '298 198 64 54' ]"
t "the new buffer fills the resized window" eventually "$P" check-rect 300 200 60 50 ff0000
t "the frame follows the resize" "$P" check-frame "$GW" $GOOD_COLOR
echo "configure 0x200 -500 -500 60 50" >&4
t "a position off screen is clamped so the frame stays on it" \
    eventually sh -c "[ \"\$('$P' geometry $GW)\" = '0 0 64 54' ]"
echo "expect CONFIGURE" >&4
t "and the agent is told where its window ended up" \
    wait_for "$T/good.out" "GOT GUI_CONFIGURE win=0x200 len=20 60x50+2+2"
# the user moves the window
xdotool windowmove "$GW" 400 300
echo "expect CONFIGURE" >&4
t "a user move goes back to the agent as GUI_CONFIGURE of the content" \
    wait_for "$T/good.out" "GOT GUI_CONFIGURE win=0x200 len=20 60x50+402+302"
GX=402 GY=302 GWIDTH=60 GHEIGHT=50
# two moves in a row from the agent: the daemon does not echo the first back
printf 'begin\nconfigure 0x200 100 100 70 40\nconfigure 0x200 402 302 60 50\nend\nsleep 500\n' >&4
echo "sleep 300" >&4
sleep 1
t "an overtaken move of the agent's is not echoed back to it" \
    sh -c "! grep -q '70x40+' '$T/good.out' && [ \"\$('$P' geometry $GW)\" = '400 300 64 54' ]"
t "and the content moved with it" good_ok
# non-printable title: sanitized, not an error
printf 'title 0x200 a\\x01b\\x1b[31mc\\x7f\n' >&4
t "a non-printable title is shown sanitized" \
    sh -c "'$P' wait-window --title '[good] a_b_[31mc_' --timeout 10 > /dev/null"
printf 'title 0x200 caf\\xc3\\xa9\n' >&4
t "UTF-8 in a title is replaced without --allow-utf8-titles" \
    sh -c "'$P' wait-window --title '[good] caf__' --timeout 10 > /dev/null"
echo "title 0x200 good window" >&4
"$P" wait-window --title "[good] good window" --timeout 10 > /dev/null

# input: keys to the focused window, the copy shortcut trapped
focus "$GW"
echo "expect FOCUS" >&4
t "focusing the window sends GUI_FOCUS" wait_for "$T/good.out" "GOT GUI_FOCUS win=0x200"
xdotool key a
echo "expect KEY" >&4
t "a key press reaches the focused window as GUI_KEY" \
    wait_for "$T/good.out" "GOT GUI_KEY win=0x200 len=20 type=2"
xdotool mousemove --window "$GW" 10 10 click 1
echo "expect BUTTON" >&4
t "a click goes as GUI_BUTTON in content coordinates" \
    wait_for "$T/good.out" "GOT GUI_BUTTON win=0x200 len=20 type=4 button=1 at=8,8"
xdotool key ctrl+shift+c ctrl+shift+c
printf 'expect CLIPBOARD_REQ\nexpect CLIPBOARD_REQ\nclipboard one\nclipboard two\nsleep 300\n' >&4
t "two copies in a row, two answers: both taken" wait_for "$T/clip/qubes-clipboard.bin" "two"
xdotool key ctrl+shift+c
echo "expect CLIPBOARD_REQ" >&4
t "Ctrl+Shift+C asks the qube for its clipboard" \
    wait_for "$T/good.out" "GOT GUI_CLIPBOARD_REQ win=0x200"
echo "clipboard secret from good" >&4
t "the answer becomes dom0's clipboard" \
    wait_for "$T/clip/qubes-clipboard.bin" "secret from good"
t "with its source qube" grep -qx good "$T/clip/qubes-clipboard.bin.source"
t "Ctrl+Shift+C itself did not reach the qube as keys" \
    sh -c "! grep -q 'keycode=$(xmodmap -pke | awk '$4 == "c" {print $2; exit}')' '$T/good.out'"

# --- copy: the copy path (BULKHEAD_GUI_FORCE_COPY=1), and a paste ---------
mkfifo "$T/copy.in"
VCHAN_DOMAIN=3 "$B/gui-fake-agent" < "$T/copy.in" > "$T/copy.out" 2>&1 4>&- &
PIDS+=($!)
exec 6> "$T/copy.in"
cat >&6 <<'EOF'
hello
expect SCREEN
create 0x300 600 100 30 30
title 0x300 copy window
buffer 0x300 30 30 ffff00
expect BUFFER_ACK
map 0x300 0 0
damage 0x300 0 0 30 30
EOF
BULKHEAD_GUI_FORCE_COPY=1 VCHAN_DOMAIN=0 "$B/gui-daemon" -d 3 -N copy -c 0x3465a4 -l blue \
    --allow-utf8-titles --foreground > "$T/copy.log" 2>&1 4>&- 6>&- &
COPY_PID=$!
PIDS+=($COPY_PID)
CW=$("$P" wait-window --title "[copy] copy window" --timeout 10)
t "the copy path shows the pixels too" eventually "$P" check-rect 600 100 30 30 ffff00
t "a label given by name is a STRING _QUBES_LABEL" test "$("$P" prop "$CW" _QUBES_LABEL)" = blue
if [ -x "$B/qrexec-policy-daemon" ]; then
    focus "$CW"
    xdotool key ctrl+shift+v
    echo "expect CLIPBOARD_DATA" >&6
    t "Ctrl+Shift+V pastes (policy: ask) into the other qube" \
        wait_for "$T/copy.out" "GOT GUI_CLIPBOARD_DATA win=0x0 len=16 data=secret from good"
    t "a paste empties dom0's clipboard" test ! -s "$T/clip/qubes-clipboard.bin"
    # the other way round the policy says deny
    xdotool key ctrl+shift+c
    echo "expect CLIPBOARD_REQ" >&6
    wait_for "$T/copy.out" "GOT GUI_CLIPBOARD_REQ win=0x300"
    echo "clipboard from copy" >&6
    wait_for "$T/clip/qubes-clipboard.bin" "from copy"
    focus "$GW"
    xdotool key ctrl+shift+v
    t "a paste the policy denies is refused, with a notice" \
        wait_for "$T/good.log" "Policy denied pasting from qube copy into qube good"
    echo "sleep 100" >&4
    t "and nothing reaches the qube" sh -c "! grep -q 'GOT GUI_CLIPBOARD_DATA' '$T/good.out'"
    t "dom0's clipboard keeps the data" grep -q "from copy" "$T/clip/qubes-clipboard.bin"
fi
# override-redirect: a menu keeps it (and its frame), a fake desktop loses it
cat >&6 <<'EOF'
create 0x301 0 0 1000 760 1
title 0x301 fake desktop
map 0x301 0 1
create 0x302 700 400 100 50 1
title 0x302 menu
buffer 0x302 100 50 ffffff
expect BUFFER_ACK
map 0x302 0 1
damage 0x302 0 0 100 50
create 0x303 10 10 20 20
title 0x303 unmapped
flags 0x303 3 0
EOF
FW=$("$P" wait-window --title "[copy] fake desktop" --timeout 10)
MW=$("$P" wait-window --title "[copy] menu" --timeout 10)
t "an override-redirect window covering > 90% of the screen loses the flag" \
    sh -c "xwininfo -id '$FW' | grep -q 'Override Redirect State: no'"
t "a menu stays override-redirect" sh -c "xwininfo -id '$MW' | grep -q 'Override Redirect State: yes'"
t "and gets the frame too" "$P" check-frame "$MW" 3465a4
UW=$(xwininfo -root -tree | awk '/"\[copy\] unmapped"/ {print $1}')
t "urgency becomes _NET_WM_STATE_DEMANDS_ATTENTION" \
    sh -c "xprop -id '$UW' _NET_WM_STATE | grep -q DEMANDS_ATTENTION"
t "fullscreen is not set without --allow-fullscreen" \
    sh -c "! xprop -id '$UW' _NET_WM_STATE | grep -q FULLSCREEN"
printf 'destroy 0x301\ndestroy 0x302\ndestroy 0x303\n' >&6
t "GUI_DESTROY removes the windows" eventually sh -c "! '$P' list | grep -q -e '$FW' -e '$MW'"
printf 'title 0x300 caf\\xc3\\xa9 \\xe2\\x80\\xaeevil\n' >&6
t "with --allow-utf8-titles UTF-8 stays, a direction override does not" \
    sh -c "'$P' wait-window --title '[copy] café _evil' --timeout 10 > /dev/null"
# a window destroyed behind the daemon's back (as a window manager may)
xdotool windowclose "$CW"
printf 'damage 0x300 0 0 30 30\ntitle 0x300 gone\ndestroy 0x300\nsleep 100\n' >&6
t "X errors on a window destroyed from outside are logged, not fatal" \
    eventually sh -c "kill -0 $COPY_PID && grep -q 'X error 3 ' '$T/copy.log'"
exec 6>&-

# --- frames: protocol 1.1 slots, with the memfd attached and on the copy path -
# frames_run DOMAIN NAME [ENV...]: a window with a 2-slot buffer (slot 0
# magenta, slot 1 cyan); GUI_FRAME shows the slot it names and is answered
# with GUI_FRAME_DONE of its seq and slot; GUI_DAMAGE and exposes as said
frames_run() {
    local dom=$1 name=$2 fw pid
    shift 2
    rm -f "$T/frames.in"
    mkfifo "$T/frames.in"
    VCHAN_DOMAIN=$dom "$B/gui-fake-agent" < "$T/frames.in" > "$T/frames.out" 2>&1 4>&- &
    PIDS+=($!)
    exec 7> "$T/frames.in"
    cat >&7 <<'EOF'
hello
expect SCREEN
create 0x400 700 500 40 30
title 0x400 frames window
buffer2 0x400 40 30 ff00ff 00ffff
expect BUFFER_ACK
map 0x400 0 0
frame 0x400 1 1 0 0 40 30
expect-done 1 1
EOF
    env "$@" VCHAN_DOMAIN=0 "$B/gui-daemon" -d "$dom" -N frames -c 0x75507b -l 5 --foreground \
        > "$T/frames.log" 2>&1 4>&- 7>&- &
    pid=$!
    PIDS+=($pid)
    fw=$("$P" wait-window --title "[frames] frames window" --timeout 10)
    t "$name: a 2-slot buffer is taken (GUI_BUFFER_ACK)" \
        wait_for "$T/frames.out" "GOT GUI_BUFFER_ACK win=0x400"
    t "$name: GUI_FRAME of slot 1 shows slot 1's pixels" \
        eventually "$P" check-rect 700 500 40 30 00ffff
    t "$name: and is answered with GUI_FRAME_DONE of its seq and slot" \
        wait_for "$T/frames.out" "GOT GUI_FRAME_DONE win=0x400 len=8 seq=1 slot=1"
    printf 'frame 0x400 2 0 0 0 40 30\nexpect-done 2 0\n' >&7
    t "$name: GUI_FRAME of slot 0 shows slot 0's pixels" \
        eventually "$P" check-rect 700 500 40 30 ff00ff
    t "$name: answered with seq 2, slot 0" \
        wait_for "$T/frames.out" "GOT GUI_FRAME_DONE win=0x400 len=8 seq=2 slot=0"
    # slot 1 turns blue, all of it; the frame names only its left half
    printf 'fill 0x400 0000ff 1\nframe 0x400 3 1 0 0 20 30\nexpect-done 3 1\n' >&7
    t "$name: only the frame's rectangle is put from its slot" eventually sh -c \
        "'$P' check-rect 700 500 20 30 0000ff && '$P' check-rect 720 500 20 30 ff00ff"
    t "$name: answered with seq 3, slot 1" \
        wait_for "$T/frames.out" "GOT GUI_FRAME_DONE win=0x400 len=8 seq=3 slot=1"
    # a burst, sent without waiting: puts pile up in flight (two on the copy
    # path) and held; the newest (slot 1, all blue) is what stays
    for seq in 10 11 12 13 14 15; do printf 'frame 0x400 %s %s 0 0 40 30\n' $seq $((seq % 2)); done >&7
    echo "take-dones 6" >&7
    t "$name: a burst of frames ends showing the newest" \
        eventually "$P" check-rect 700 500 40 30 0000ff
    t "$name: each frame of the burst is answered, once" eventually sh -c \
        "for seq in 10 11 12 13 14 15; do
             [ \$(grep -c \"GUI_FRAME_DONE win=0x400 len=8 seq=\$seq slot=\$((seq % 2))\$\" \
                 '$T/frames.out') = 1 ] || exit 1
         done; [ \$(grep -c GUI_FRAME_DONE '$T/frames.out') = 9 ]"
    printf 'unmap 0x400\nmap 0x400 0 0\n' >&7
    t "$name: an expose repaints from the slot shown last" \
        eventually "$P" check-rect 700 500 40 30 0000ff
    printf 'damage 0x400 0 0 40 30\nsleep 200\n' >&7
    t "$name: GUI_DAMAGE still draws slot 0, and is not answered" eventually sh -c \
        "'$P' check-rect 700 500 40 30 ff00ff && [ \$(grep -c GUI_FRAME_DONE '$T/frames.out') = 9 ]"
    # a window destroyed behind the daemon's back: a put on it gets an X
    # error, no completion; the frame is answered all the same
    xdotool windowclose "$fw"
    printf 'frame 0x400 4 0 0 0 40 30\nexpect-done 4 0\n' >&7
    t "$name: a frame on a window destroyed from outside is still answered" \
        wait_for "$T/frames.out" "GOT GUI_FRAME_DONE win=0x400 len=8 seq=4 slot=0"
    t "$name: every answer was the one expected" \
        sh -c "! grep -q -e WRONG -e TIMEOUT '$T/frames.out' && kill -0 $pid"
    exec 7>&-
    wait $pid
    t "$name: the daemon exits 0 when the agent goes" test $? = 0
}
frames_run 4 "frames, memfd attached"
frames_run 5 "frames, copy path" BULKHEAD_GUI_FORCE_COPY=1

# --- bad: one daemon run per attack -----------------------------------------
PRELUDE='hello
expect SCREEN
create 0x100 10 500 40 30
title 0x100 bad window
buffer 0x100 40 30 00ff00
expect BUFFER_ACK
map 0x100 0 0
damage 0x100 0 0 40 30'

hex0() { printf "%0$(($1 * 2))d" 0; }
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# bad NAME [DAEMON OPTIONS...] < SCRIPT: the attack; "nohold" in SCRIPT ends
# the agent at the end of the script instead of holding the channel
bad() {
    local name=$1 rc apid script
    shift
    script=$(cat)
    if grep -q '^nohold' <<< "$script"; then
        grep -v '^nohold' <<< "$script" > "$T/bad.script"
    else
        printf '%s\nhold\n' "$script" > "$T/bad.script"
    fi
    VCHAN_DOMAIN=2 "$B/gui-fake-agent" < "$T/bad.script" > "$T/bad.out" 2>&1 4>&- &
    apid=$!
    VCHAN_DOMAIN=0 timeout 30 "$B/gui-daemon" -d 2 -N bad -c 0xcc0000 -l 1 --foreground "$@" \
        > "$T/bad.log" 2>&1 4>&-
    rc=$?
    kill $apid 2>/dev/null
    wait $apid 2>/dev/null
    if [ $rc = 2 ] && grep -q "gui-daemon\[bad\]: protocol error" "$T/bad.log" &&
        ! "$P" list | grep -q '\[bad\]' && good_ok && x_alive; then
        echo "ok $((n += 1)) - bad: $name: protocol error, exit 2, good's window intact"
    else
        echo "not ok $((n += 1)) - bad: $name (status $rc)"
        sed 's/^/# /' "$T/bad.log" "$T/bad.out" | tail -n 8
    fi
}
# bad_with ATTACK NAME [OPTIONS]: the prelude (a window), then ATTACK
bad_with() {
    local attack=$1
    shift
    bad "$@" <<< "$(printf '%s\n%s' "$PRELUDE" "$attack")"
}

# 1. wrong length, for every type an agent sends (one byte too many)
for spec in CONFIGURE:0x100:20 CREATE:0x101:24 DESTROY:0x100:0 MAP:0x100:8 UNMAP:0x100:0 \
    CLASS:0x100:128 HINTS:0x100:36 FLAGS:0x100:8 CURSOR:0x100:4 DAMAGE:0x100:16 \
    FRAME:0x100:24 HELLO:0:12; do
    IFS=: read -r type win size <<< "$spec"
    bad_with "raw $type $win $((size + 1)) $(hex0 $((size + 1)))" "$type with length $((size + 1))"
done
bad_with "raw CREATE 0x101 20 $(hex0 20)" "CREATE with length 20"
bad_with "raw FRAME 0x100 23 $(hex0 23)" "FRAME with length 23"
bad_with "raw BUFFER 0x100 20 $(hex0 20)" "BUFFER shorter than its fixed part"
bad_with "raw TITLE 0x100 256 $(printf '41%.0s' $(seq 256))" "title of 256 bytes"
bad_with "raw 0x100 0 4 00000000" "unknown type 256"
# 2. types only the daemon sends
for spec in SCREEN:0:12 KEY:0x100:20 BUTTON:0x100:20 MOTION:0x100:16 CROSSING:0x100:28 \
    FOCUS:0x100:12 KEYMAP:0x100:32 CLOSE:0x100:0 CLIPBOARD_REQ:0x100:0 BUFFER_ACK:0x100:0 \
    FRAME_DONE:0x100:8; do
    IFS=: read -r type win size <<< "$spec"
    bad_with "raw $type $win $size $(hex0 "$size")" "$type from an agent"
done
# 3. unknown window ids, and window 0 where one is needed
for spec in DESTROY: MAP:$(hex0 8) UNMAP: CONFIGURE:$(hex0 8)0a0000000a00000000000000 \
    TITLE:41 CLASS:$(hex0 128) HINTS:$(hex0 36) FLAGS:$(hex0 8) CURSOR:$(hex0 4) \
    DAMAGE:$(hex0 8)0100000001000000 FRAME:$(hex0 16)0100000001000000; do
    IFS=: read -r type body <<< "$spec"
    bad_with "raw $type 0x999 $((${#body} / 2)) $body" "$type for an unknown window"
done
bad_with "buffer 0x999 10 10" "BUFFER for an unknown window"
bad_with "raw MAP 0 8 $(hex0 8)" "MAP for window 0"
# 4. windows
bad_with "create 0x100 0 0 10 10" "CREATE of an existing window"
bad_with "create 0x101 0 0 100000 10" "a window 100000 pixels wide"
bad_with "create 0x101 0 0 0 10" "a window 0 pixels wide"
bad_with "create 0x101 99999 0 10 10" "a window at x 99999"
bad_with "create 0x101 0 0 10 10 2" "override-redirect 2"
bad_with "create 0x101 0 0 10 10 0 0x100" "a subwindow (parent 0x100)"
bad_with "flags 0x100 0x100 0" "unknown window flags"
bad_with "cursor 0x100 0x1ff" "an unknown cursor"
bad_with $'create 0x101 0 0 10 10\ncreate 0x102 0 0 10 10\ncreate 0x103 0 0 10 10' \
    "more windows than --max-windows" --max-windows 3
# 5. buffers
bad_with "buffer 0x100 40 30 00ff00 nrefs=2" "BUFFER with 2 references for a memfd"
bad_with "buffer 0x100 40 30 00ff00 stride=4" "BUFFER with stride < width * 4"
bad_with "buffer 0x100 40 30 00ff00 unsealed" "BUFFER of a memfd that is not sealed"
bad_with "buffer 0x100 400 300 00ff00 small" "BUFFER of a memfd smaller than claimed"
bad_with "buffer 0x100 40 30 00ff00 closedfd" "BUFFER naming a descriptor not open"
bad_with "buffer 0x100 40 30 00ff00 kind=1" "BUFFER of grants on a memfd machine"
bad_with "$(for w in 1 2 3; do
    echo "create 0x10$w 0 0 16384 6144"
    echo "buffer 0x10$w 16384 6144 0 nofill"
done)" "three buffers of 384 MiB (more than 1 GiB in all)"
bad_with "damage 0x100 30 20 20 20" "damage outside the buffer"
bad_with "damage 0x100 -1 0 1 1" "damage at a negative x"
bad "damage before any buffer" <<< $'hello\nexpect SCREEN\ncreate 0x101 0 0 10 10\ndamage 0x101 0 0 1 1'
# 5b. frame slots (protocol 1.1)
BUF2='buffer2 0x100 40 30 00ff00 00ff00'
GUI_MAX_SLOTS=$(sed -n 's/^#define GUI_MAX_SLOTS *\([0-9]*\).*/\1/p' gui-daemon/proto/gui_proto.h)
bad "FRAME before any buffer" <<< $'hello\nexpect SCREEN\ncreate 0x101 0 0 10 10\nframe 0x101 1 0 0 0 1 1'
bad_with "frame 0x100 1 1 0 0 10 10" "FRAME of slot 1 on a 1-slot buffer"
bad_with "$BUF2"$'\nexpect BUFFER_ACK\nframe 0x100 1 2 0 0 10 10' "FRAME of slot 2"
bad_with "$BUF2"$'\nexpect BUFFER_ACK\nframe 0x100 1 1 30 20 20 20' "FRAME outside the buffer"
bad_with "$BUF2"$'\nexpect BUFFER_ACK\nframe 0x100 1 1 0 -1 1 1' "FRAME at a negative y"
bad_with "$BUF2 nrefs=$((GUI_MAX_SLOTS + 1))" "a buffer with more slots than the protocol's $GUI_MAX_SLOTS"
bad_with "$BUF2 kind=1" "a 2-slot buffer of grants on a memfd machine"
# 6. clipboard, framing, handshake
bad_with "clipboard unasked" "clipboard data nobody asked for"
bad_with "clipboard-size 1001" "clipboard data over the limit" --max-clipboard-size 1000
bad_with $'raw CREATE 0x101 24 0000\nnohold' "a partial message, then close"
bad_with "raw BUFFER 0x100 0xffffffff" "a length of 4 GiB"
bad "HELLO of protocol 2.0" <<< 'hello 0x20000'
bad "no HELLO first" <<< 'create 0x100 0 0 10 10'
# an agent that connects and says nothing: the daemon gives up (status 1)
echo hold > "$T/mute.script"
VCHAN_DOMAIN=2 "$B/gui-fake-agent" < "$T/mute.script" > /dev/null 2>&1 4>&- &
MUTE=$!
VCHAN_DOMAIN=0 timeout 30 "$B/gui-daemon" -d 2 -N bad -c 0xcc0000 -l 1 --foreground \
    --connect-timeout 1 > "$T/mute.log" 2>&1 4>&-
rc=$?
kill $MUTE 2>/dev/null
wait $MUTE 2>/dev/null
t "an agent that never says HELLO is given up on after --connect-timeout (status 1)" \
    sh -c "[ $rc = 1 ] && grep -q 'no GUI_HELLO from the agent within 1 s' '$T/mute.log'"

# the good daemon is unaffected by all of it, and exits 0 when its qube goes
t "good's daemon is still running" kill -0 $GOOD_PID
echo 'fill 0x200 00ffff' >&4
echo 'damage 0x200 0 0 60 50' >&4
t "and still serves its qube" eventually "$P" check-rect $GX $GY 60 50 00ffff
exec 4>&-
wait $GOOD_PID
t "good's daemon exits 0 when the agent closes the channel" test $? = 0
t "and its windows are gone" sh -c "! '$P' list | grep -q '\\[good\\]'"
t "the X server is still there" x_alive
echo "1..$n"
