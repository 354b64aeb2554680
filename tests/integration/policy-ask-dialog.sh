#!/bin/bash
# Integration: qrexec-policy-agent under a headless X server (Xvfb), driven
# by xdotool as a user would: the dialog appears, a screenshot is taken,
# a target is picked and OK clicked (allow:THAT_TARGET), Deny clicked
# (deny), no answer (deny on timeout), Enter pressed at once (no allow),
# malformed requests (deny, and the agent keeps serving), and a
# policy.Notify that reaches the session bus as a Notify call.
set -u
cd "$(dirname "$0")/../.."
# a private session bus for the notification checks
if [ -z "${BULKHEAD_TEST_DBUS:-}" ]; then
    exec env BULKHEAD_TEST_DBUS=1 dbus-run-session -- "$0" "$@"
fi
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-policy-ask.XXXXXX)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. tests/integration/lib/tap.sh

# Geometry of the dialog's buttons (qrexec/policy/agent/dialog.c): OK is the
# last button at the bottom right, Deny left of it.
BORDER=10 BUTTON_W=100 BUTTON_H=34

Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3> "$T/display" 2> "$T/xvfb.log" &
for i in $(seq 100); do [ -s "$T/display" ] && break; sleep 0.1; done
export DISPLAY=:$(cat "$T/display")
# no accessibility bus: nothing here uses it, and it would start more daemons
export NO_AT_BRIDGE=1
dbus-monitor "interface='org.freedesktop.Notifications',member='Notify'" > "$T/monitor.log" 2>&1 &

"$B/qrexec-policy-agent" --socket "$T/agent.sock" --timeout 30 2> "$T/agent.log" &
agent=$!
"$B/qrexec-policy-agent" --socket "$T/agent2.sock" --timeout 2 2> "$T/agent2.log" &
for i in $(seq 100); do [ -S "$T/agent.sock" ] && [ -S "$T/agent2.sock" ] && break; sleep 0.1; done

# ask SOCKET SOURCE DEFAULT_TARGET: a policy.Ask as the policy daemon sends it
ask() {
    printf '{"source": "%s", "service": "qubes.Filecopy", "argument": "+", ' "$2"
    printf '"targets": ["personal", "vault", "@dispvm:dvm"], "default_target": "%s", ' "$3"
    printf '"icons": {"%s": "appvm-red", "personal": "appvm-green"}}' "$2"
}
send_ask() { ask "$@" | "$B/policy-agent-client" "$1" "policy.Ask dom0"; }
window() { xdotool search --sync --name "^qrexec: $1 wants qubes.Filecopy\$" 2>/dev/null | head -1; }
# click WINDOW ok|deny: the button's centre
click() {
    local w=$1 x y W H
    eval "$(xdotool getwindowgeometry --shell "$w")"
    W=$WIDTH H=$HEIGHT
    y=$((H - BORDER - BUTTON_H / 2))
    if [ "$2" = ok ]; then x=$((W - BORDER - BUTTON_W / 2)); else x=$((W - BORDER - BUTTON_W - BORDER - BUTTON_W / 2)); fi
    xdotool mousemove --window "$w" "$x" "$y" click 1
}
# xwd's header: big-endian u32 fields; width and height are the 5th and 6th
xwd_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}'; }

echo "1..11"

# 1-3: shown, screenshot, pick "vault" with the keyboard, click OK
send_ask "$T/agent.sock" work personal > "$T/r1" &
p=$!
w=$(timeout 30 bash -c "$(declare -f window); window work")
t "the dialog for work -> qubes.Filecopy appears" test -n "$w"
eval "$(xdotool getwindowgeometry --shell "$w" 2>/dev/null)"
xwd -id "$w" -silent > "$T/shot.xwd" 2>/dev/null
t "a screenshot of it is a non-empty ${WIDTH:-?}x${HEIGHT:-?} image" \
    test -s "$T/shot.xwd" -a "$(xwd_size "$T/shot.xwd")" = "${WIDTH:-0}x${HEIGHT:-0}" -a "${WIDTH:-0}" -gt 100
xdotool windowfocus --sync "$w" 2>/dev/null
sleep 1.3 # OK becomes usable after 1 s
xdotool key --clearmodifiers alt+t Down 2>/dev/null
sleep 0.3
click "$w" ok
wait $p 2>/dev/null
t "picking vault and clicking OK answers allow:vault" test "$(cat "$T/r1")" = "allow:vault"

# 4: Deny clicked
send_ask "$T/agent.sock" personal vault > "$T/r2" &
p=$!
w=$(timeout 30 bash -c "$(declare -f window); window personal")
sleep 1.3
click "$w" deny
wait $p 2>/dev/null
t "clicking Deny answers deny" test "$(cat "$T/r2")" = "deny"

# 5: left alone with --timeout 2
s=$(date +%s)
r=$(send_ask "$T/agent2.sock" work personal)
t "a dialog left alone is denied after --timeout 2" test "$r" = deny -a $(( $(date +%s) - s )) -lt 10

# 6: OK clicked and Enter pressed as soon as the dialog is up: OK is not
# usable yet and focus starts on Deny, so this denies
send_ask "$T/agent.sock" vault personal > "$T/r3" &
p=$!
w=$(timeout 30 bash -c "$(declare -f window); window vault")
xdotool windowfocus --sync "$w" 2>/dev/null
click "$w" ok
xdotool key --window "$w" Return 2>/dev/null
for i in $(seq 50); do [ -s "$T/r3" ] && break; sleep 0.1; done
t "an OK click and Enter right after the dialog appears do not allow (deny)" \
    test "$(cat "$T/r3")" = deny
kill $p 2>/dev/null; wait $p 2>/dev/null

# 7-8: malformed requests are denied and logged; the agent goes on serving
r1=$(printf '{"source": "work", "service": "x<y"}' | "$B/policy-agent-client" "$T/agent.sock" "policy.Ask dom0")
r2=$(printf '{}' | "$B/policy-agent-client" "$T/agent.sock" "policy.Ask work")
r3=$(head -c 70000 /dev/zero | tr '\0' 'x' | "$B/policy-agent-client" "$T/agent.sock" "policy.Ask dom0")
t "malformed JSON, a caller that is not dom0, an oversized request: each denied" \
    test "$r1:$r2:$r3" = "deny:deny:deny"
t "and each logged on one line" test "$(grep -c 'refused' "$T/agent.log")" -ge 3

# 9: the next good request still gets a dialog, closed by the test -> deny
send_ask "$T/agent.sock" untrusted "" > "$T/r4" &
w=$(timeout 30 bash -c "$(declare -f window); window untrusted")
xdotool windowclose "$w" 2>/dev/null || xdotool windowkill "$w" 2>/dev/null
for i in $(seq 50); do [ -s "$T/r4" ] && break; sleep 0.1; done
t "after them, a new request still gets a dialog (closed: deny)" test -n "$w" -a "$(cat "$T/r4")" = deny

# 10: policy.Notify reaches the session bus as a Notify call (no daemon there)
printf '{"resolution": "deny", "service": "qubes.Filecopy", "argument": "+", "source": "work", "target": "vault"}' |
    "$B/policy-agent-client" "$T/agent.sock" "policy.Notify dom0"
for i in $(seq 50); do grep -q 'Denied: work -> vault: qubes.Filecopy' "$T/monitor.log" && break; sleep 0.1; done
t "policy.Notify: a Notify call 'Denied: work -> vault: qubes.Filecopy' on the bus, agent alive" \
    grep -q 'Denied: work -> vault: qubes.Filecopy' "$T/monitor.log"
kill -0 $agent || echo "# agent died"

# 11: end to end: qrexec-policy-daemon meets an ask rule, asks this agent,
# the person picks vault, and the daemon's reply allows the call to vault
mkdir -p "$T/policy.d"
printf 'qubes.Filecopy * work @anyvm ask default_target=personal\n' > "$T/policy.d/30-test.policy"
printf 'work class=AppVM running=yes\npersonal class=AppVM running=yes\nvault class=AppVM running=yes\n' \
    > "$T/qubes.list"
"$B/qrexec-policy-daemon" --socket "$T/policy.sock" --policy-dir "$T/policy.d" \
    --system "$T/qubes.list" --agent-socket "$T/agent.sock" 2> "$T/daemon.log" &
for i in $(seq 100); do [ -S "$T/policy.sock" ] && break; sleep 0.1; done
printf 'domain_id=5\nsource=work\nintended_target=@default\nservice_and_arg=qubes.Filecopy+\nprocess_ident=1\n\n' |
    "$B/policy-query" "$T/policy.sock" > "$T/r5" &
p=$!
w=$(timeout 30 bash -c "$(declare -f window); window work")
xdotool windowfocus --sync "$w" 2>/dev/null
sleep 1.3
xdotool key --clearmodifiers alt+t Down 2>/dev/null
sleep 0.3
click "$w" ok
wait $p 2>/dev/null
t "policy daemon + this agent: ask, vault picked, the reply allows work -> vault" \
    bash -c "grep -qx 'result=allow' '$T/r5' && grep -qx 'target=vault' '$T/r5'"
