#!/bin/bash
# Integration: bulkhead-domains, the tray widget, under a headless X server
# (Xvfb) with a real system tray (trayer, XEmbed) and real qubes on qvmd's
# local backend. The menu's model is read with --dump and, from the running
# tray, with SIGUSR1 (so live updates from qvmd's events are seen); the
# real menu is driven once as a user would: a click on the icon in the
# tray, the keyboard down to a running qube, its submenu, Shutdown, and
# the qube stops. The other actions go through --activate, the same handler
# a menu item calls.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}/bin
if [ ! -x "$B/qvmd" ] || [ ! -x "$B/bulkhead-domains" ]; then
    echo "1..0 # SKIP qvmd or bulkhead-domains is not built"
    exit 0
fi
for c in Xvfb xdotool trayer xwininfo; do
    command -v $c >/dev/null || { echo "1..0 # SKIP $c is not installed (tools/install-deps)"; exit 0; }
done
case $B in /*) ;; *) B=$PWD/$B ;; esac
T=$(mktemp -d /tmp/bulkhead-tray.XXXXXX)
. tests/integration/lib/local-qubes.sh
export PATH=$B:$PATH NO_AT_BRIDGE=1
# GTK's own caches are not ours to report (the tray names them for LSan;
# this covers the helper programs GTK may start)
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0
TRAY=
cleanup() {
    [ -n "$TRAY" ] && kill "$TRAY" 2>/dev/null
    local_qubes_stop
    kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"
}
trap cleanup EXIT
touch "$T/qubes.list"
# qubes reach nothing through policy here; the one rule keeps the policy
# folder from being empty (the policy daemon's SANITIZE=1 build trips over an
# empty one: qsort of NULL in qrexec/policy/v5_parse.c)
echo 'qubes.Filecopy * @anyvm @anyvm deny' > "$T/policy.d/50-test.policy"
cat > "$T/rpc/qubes.StartApp" <<EOS
#!/bin/sh
echo "\$QREXEC_SERVICE_ARGUMENT" > "$T/started"
EOS
chmod +x "$T/rpc/qubes.StartApp"
local_qubes_start || { echo "Bail out! qvmd did not start"; exit 1; }
qvm-create -C TemplateVM -l black tpl && qvm-prefs tpl default_user root &&
    qvm-create -l red -t tpl personal && qvm-create -l blue -t tpl work &&
    qvm-create -l purple -t tpl vault || { echo "Bail out! cannot create the qubes"; exit 1; }

eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'" >&2; return 1; }; }
waitfor() { for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done; "$@"; }
state() { qvm-ls --raw-data -O state "$1"; }
# the running tray's model: SIGUSR1 appends it to $T/tray.out, then "--"
dumps() { grep -c '^--$' "$T/tray.out"; }
more_dumps() { [ "$(dumps)" -gt "$1" ]; }
live() {
    local before
    before=$(dumps)
    kill -USR1 "$TRAY"
    waitfor more_dumps "$before" || return 1
    awk '/^--$/ { if (++k == '$((before + 1))') exit; blk = ""; next } { blk = blk $0 "\n" }
         END { printf "%s", blk }' "$T/tray.out"
}
is_state() { [ "$(state "$1")" = "$2" ]; }
started_is() { [ "$(cat "$T/started" 2>/dev/null)" = "$1" ]; }
live_has() { live | grep -qx "$1"; }

t "--help prints the usage" grep -q "^usage: bulkhead-domains" <<< "$(bulkhead-domains --help)"
t "an unknown action is a usage error" eq "$(bulkhead-domains --activate work fly >/dev/null 2>&1; echo $?)" 2
t "a bad qube name is a usage error" eq "$(bulkhead-domains --activate ../x start >/dev/null 2>&1; echo $?)" 2
qvm-start work
t "--dump lists every qube with its state and label colour" eq "$(bulkhead-domains --dump)" \
    "personal Halted 0xcc0000 red
tpl Halted 0x000000 black
vault Halted 0x75507b purple
work Running 0x3465a4 blue"

Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3> "$T/display" 2> "$T/xvfb.log" &
waitfor test -s "$T/display"
export DISPLAY=:$(cat "$T/display")
trayer --edge top --align left --widthtype pixel --width 120 --height 24 --SetDockType false \
    --SetPartialStrut false > "$T/trayer.log" 2>&1 &
waitfor xdotool search --classname '^panel$' > /dev/null
bulkhead-domains > "$T/tray.out" 2> "$T/tray.err" & TRAY=$!
# the icon, once the tray embedded it: a window named Qubes inside the panel
icon() { xwininfo -root -tree 2>/dev/null | grep -q '"Qubes": ("bulkhead-domains"'; }
t "the icon is embedded in the system tray" waitfor icon
t "the running tray's model matches --dump" eq "$(live)" "$(bulkhead-domains --dump)"

# the real menu: click the icon, Down to work (4th), Right into its
# submenu, 'd' (Shut_down's mnemonic)
# the tray's mapped windows (GTK keeps closed menus' windows, unmapped)
menus() { xdotool search --onlyvisible --classname '^bulkhead-domains$' 2>/dev/null | wc -l; }
menus_over() { [ "$(menus)" -gt "$1" ]; }
menus_are() { [ "$(menus)" = "$1" ]; }
BASE=$(menus)
eval "$(xdotool search --name '^Qubes$' getwindowgeometry --shell 2>/dev/null | head -5)"
xdotool mousemove $((X + 11)) $((Y + 11)) click 1
t "a click on the icon opens the menu" waitfor menus_over "$BASE"
xdotool key Down Down Down Down
sleep 0.3 # GTK selects on key press; nothing is asserted on this wait
xdotool key Right
t "Right opens the qube's submenu" waitfor menus_over $((BASE + 1))
xdotool key d
t "Shutdown in work's submenu shuts work down" waitfor is_state work Halted
t "... and the tray shows it halted (from qvmd's events)" waitfor live_has "work Halted 0x3465a4 blue"
t "the menu closed" waitfor menus_are "$BASE"

# the other actions, through the handler the menu items call
t "--activate vault start starts vault" eq "$(bulkhead-domains --activate vault start; echo $?)" 0
t "... vault runs" eq "$(state vault)" Running
t "... and the running tray shows it" waitfor live_has "vault Running 0x75507b purple"
t "a label change shows in the new colour" qvm-prefs vault label green
t "... in the running tray" waitfor live_has "vault Running 0x73d216 green"
t "--activate vault terminal starts the terminal in vault" bulkhead-domains --activate vault terminal
t "... through qubes.StartApp+debian-xterm" waitfor started_is debian-xterm
t "--activate vault kill kills vault" bulkhead-domains --activate vault kill
t "... it is halted" eq "$(state vault)" Halted
t "... and the tray shows it" waitfor live_has "vault Halted 0x73d216 green"
qvm-create -l yellow -t tpl newbie
t "a qube created later appears in the running tray" waitfor live_has "newbie Halted 0xedd400 yellow"

# qvmd restarts (it finds its running qubes again); the tray reconnects
kill "$QVMD_PID"; wait "$QVMD_PID" 2>/dev/null
local_qvmd_start
t "after qvmd restarted the tray says it reconnects" \
    waitfor grep -q "event stream ended" "$T/tray.err"
qvm-start personal
t "... and follows the events again" waitfor live_has "personal Running 0xcc0000 red"
t "the tray is still running" kill -0 "$TRAY"
echo "1..$n"
