#!/bin/bash
# Integration: qvm-start-daemon runs one GUI daemon per running qube, with
# the qube's domain id, name, label colour and index, following qvmd's
# events with --watch. Real qvmd on the local backend with real qubes; the
# GUI daemon is a stand-in program (this test's own) that records its
# arguments and waits for SIGTERM, since this test is about who runs which
# daemon when, not about drawing.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}/bin
if [ ! -x "$B/qvmd" ] || [ ! -x "$B/qvm-start-daemon" ]; then
    echo "1..0 # SKIP qvmd or qvm-start-daemon is not built"
    exit 0
fi
case $B in /*) ;; *) B=$PWD/$B ;; esac
T=$(mktemp -d /tmp/bulkhead-start-daemon.XXXXXX)
. tests/integration/lib/local-qubes.sh
export PATH=$B:$PATH XDG_RUNTIME_DIR=$T/xdg
mkdir -p -m 0700 "$T/xdg"
LOG=$T/guid.log
# The stand-in: one "start ARGS" line when it starts, "stop NAME" on
# SIGTERM (then it exits).
cat > "$T/fake-guid" <<EOS
#!/bin/bash
name=\$4
echo "start \$*" >> "$LOG"
trap 'echo "stop \$name" >> "$LOG"; kill \$child 2>/dev/null; exit 0' TERM
sleep 100000 & child=\$!
wait
EOS
chmod +x "$T/fake-guid"
WATCH=
cleanup() {
    [ -n "$WATCH" ] && kill "$WATCH" 2>/dev/null
    "$B/qvm-start-daemon" --kill --all 2>/dev/null
    local_qubes_stop
    kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"
}
trap cleanup EXIT
touch "$LOG" "$T/qubes.list"
# the one rule keeps the policy folder from being empty (the policy
# daemon's SANITIZE=1 build trips over an empty one: qsort of NULL in
# qrexec/policy/v5_parse.c)
echo 'qubes.Filecopy * @anyvm @anyvm deny' > "$T/policy.d/50-test.policy"
local_qubes_start || { echo "Bail out! qvmd did not start"; exit 1; }

eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'" >&2; return 1; }; }
# waitfor CMD...: CMD becomes true (polled; 30 s at most, for a slow
# sanitizer build: no timing is asserted)
waitfor() { for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done; "$@"; }
starts() { grep -c "^start .*-N $1 " "$LOG"; }
stops() { grep -c "^stop $1\$" "$LOG"; }
starts_are() { [ "$(starts "$1")" = "$2" ]; }
stops_are() { [ "$(stops "$1")" = "$2" ]; }
last_start() { grep "^start .*-N $1 " "$LOG" | tail -1 | cut -d' ' -f2-; }
# the domain id as the qube's qrexec-daemon has it (qrexec.NAME ->
# qrexec.XID in the socket folder), not as qvmd says it: what
# qvm-start-daemon takes from qvmd's xid property is checked against it
xid() { readlink "$T/qrexec/qrexec.$1" | sed 's/^qrexec\.//'; }
pidof_guid() { cat "$XDG_RUNTIME_DIR/bulkhead/guid.$1.pid" 2>/dev/null; }
# gone PID: exited (a zombie its new parent has not reaped yet counts)
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
alive() { local p; p=$(pidof_guid "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
SD=(qvm-start-daemon --gui-daemon "$T/fake-guid")

qvm-create -C TemplateVM -l black tpl && qvm-prefs tpl default_user root &&
    qvm-create -l blue -t tpl work && qvm-create -l red -t tpl personal &&
    qvm-create -l yellow -t tpl vault && qvm-create -l green -t tpl nogui &&
    qvm-features nogui gui '' || { echo "Bail out! cannot create the qubes"; exit 1; }

t "--help prints the usage" grep -q "^usage: qvm-start-daemon" <<< "$(qvm-start-daemon --help)"
t "no qube and no --all is a usage error" eq "$(qvm-start-daemon >/dev/null 2>&1; echo $?)" 2
t "--all with names is a usage error" eq "$(qvm-start-daemon --all work >/dev/null 2>&1; echo $?)" 2
t "dom0 is refused" eq "$(qvm-start-daemon dom0 >/dev/null 2>&1; echo $?)" 2

qvm-start work personal nogui || echo "# qvm-start failed" >&2
"${SD[@]}" --all 2> "$T/sd.err"; RC=$?
t "qvm-start-daemon --all exits 0" eq "$RC" 0
waitfor starts_are work 1
t "work's daemon: -d XID -N work -c blue's colour -l blue's index" \
    eq "$(last_start work)" "-d $(xid work) -N work -c 0x3465a4 -l 6 --foreground"
waitfor starts_are personal 1
t "personal's daemon: red" eq "$(last_start personal)" "-d $(xid personal) -N personal -c 0xcc0000 -l 1 --foreground"
t "the two qubes have different domain ids" test "$(xid work)" != "$(xid personal)"
t "the log names the domain id" grep -q "work: started gui-daemon (pid [0-9]*) for domain $(xid work)," "$T/sd.err"
t "no daemon for a halted qube" eq "$(starts vault)" 0
t "no daemon for the halted template" eq "$(starts tpl)" 0
t "no daemon for a qube whose gui feature is off" eq "$(starts nogui)" 0
t "each start is logged with the qube's name" grep -q "qvm-start-daemon: work: started gui-daemon" "$T/sd.err"
t "the pid file names a live daemon" alive work
"${SD[@]}" --all 2>/dev/null
"${SD[@]}" work 2>/dev/null
t "run again: no second daemon for work" eq "$(starts work)" 1
t "... nor for personal" eq "$(starts personal)" 1
P1=$(pidof_guid work)
"${SD[@]}" --force work 2>/dev/null
waitfor starts_are work 2
t "--force restarts work's daemon" eq "$(stops work)/$(starts work)" 1/2
t "... as a new process" test "$(pidof_guid work)" != "$P1"
t "... and the old one is gone" gone "$P1"
"${SD[@]}" --kill personal 2>/dev/null
t "--kill stops personal's daemon" eq "$(stops personal)" 1
t "... and removes its pid file" test ! -e "$XDG_RUNTIME_DIR/bulkhead/guid.personal.pid"
t "... leaving work's alone" alive work

# ---- --watch
"${SD[@]}" --all --watch 2> "$T/watch.err" & WATCH=$!
waitfor starts_are personal 2
t "--watch first brings personal's daemon back" eq "$(starts personal)" 2
t "... and does not restart work's" eq "$(starts work)" 2
qvm-start vault
waitfor starts_are vault 1
t "qvm-start vault: its daemon starts" eq "$(last_start vault)" "-d $(xid vault) -N vault -c 0xedd400 -l 3 --foreground"
qvm-shutdown --wait work
waitfor stops_are work 2
t "qvm-shutdown work: its daemon stops" eq "$(stops work)" 2
t "... its pid file is gone" waitfor test ! -e "$XDG_RUNTIME_DIR/bulkhead/guid.work.pid"
qvm-kill personal
waitfor stops_are personal 2
t "qvm-kill personal: its daemon stops" eq "$(stops personal)" 2
qvm-prefs vault label purple
waitfor starts_are vault 2
t "a label change restarts the daemon" eq "$(stops vault)/$(starts vault)" 1/2
t "... in the new colour" eq "$(last_start vault)" "-d $(xid vault) -N vault -c 0x75507b -l 7 --foreground"
t "the watcher logs the restart" waitfor grep -q "vault: label changed" "$T/watch.err"
qvm-features vault gui ''
waitfor stops_are vault 2
t "gui feature set to '': the daemon stops" eq "$(stops vault)" 2
qvm-features -D vault gui
waitfor starts_are vault 3
t "gui feature removed: the daemon starts again" eq "$(starts vault)" 3

# qvmd restarts (it finds its running qubes again); the watcher reconnects
kill "$QVMD_PID"; wait "$QVMD_PID" 2>/dev/null
local_qvmd_start
t "after qvmd restarted the watcher follows again" waitfor grep -q "following qvmd's events again" "$T/watch.err"
t "the restarted qvmd gives vault's xid again" eq "$(qvm-prefs vault xid)" "$(xid vault)"
qvm-start work
waitfor starts_are work 3
t "... and starts work's daemon when work starts" eq "$(starts work)" 3
t "the watcher is still running" kill -0 "$WATCH"
kill "$WATCH"; wait "$WATCH" 2>/dev/null; RC=$?; WATCH=
t "SIGTERM ends --watch with status 0" eq "$RC" 0
"${SD[@]}" --kill --all 2>/dev/null
t "--kill --all stops every daemon" eq "$(ls "$XDG_RUNTIME_DIR/bulkhead" | grep -c pid)" 0
t "a missing gui-daemon program fails with status 1" \
    eq "$(qvm-start-daemon --gui-daemon "$T/none" work >/dev/null 2>&1; echo $?)" 1
echo "1..$n"
