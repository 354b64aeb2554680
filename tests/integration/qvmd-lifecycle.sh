#!/bin/bash
# Integration: qvmd's start sequence on the local backend, with the real
# programs (qvmd, qubesdb-daemon, qrexec-daemon, bulkhead-local-init,
# qubesdb-vm-daemon, qrexec-agent) and the qvm-* commands: what a started
# qube has (its QubesDB keys, its disks, its name), a failure injected at
# each step of the start leaving nothing behind, a qube that ends by
# itself, and qvmd killed and restarted while qubes run. Needs root (the
# local backend makes namespaces and loop mounts).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}/bin
case $B in /*) ;; *) B=$PWD/$B ;; esac
if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP the local backend needs root"
    exit 0
fi
T=$(mktemp -d /tmp/bulkhead-qvmd-life.XXXXXX)
mkdir -p "$T/qrexec" "$T/vchan"
export BULKHEAD_QVMD_SOCKET=$T/qvmd.sock PATH=$B:$PATH BULKHEAD_QREXEC_SOCKET_DIR=$T/qrexec
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket VCHAN_DOMAIN=0
AGENT=$B/qrexec-agent QDBVM=$B/qubesdb-vm-daemon QDBD=$B/qubesdb-daemon
QVMD_PID=

qvmd_up() { # qvmd_up [QVMD OPTION]... ; the qubes' agent is $AGENT
    rm -f "$T/qvmd.sock"
    BULKHEAD_QREXEC_AGENT=$AGENT BULKHEAD_QUBESDB_VM_DAEMON=$QDBVM \
        "$B/qvmd" --db "$T/qvm.db" --socket "$T/qvmd.sock" --backend local \
        --run-dir "$T/qrexec" --state-dir "$T/state" --local-state-dir "$T/local" \
        --vchan-dir "$T/vchan" --local-init "$PWD/vm-agent/local/bulkhead-local-init" \
        --qrexec-daemon "$B/qrexec-daemon" --qubesdb-daemon "$QDBD" "$@" 2>> "$T/qvmd.log" &
    QVMD_PID=$!
    for _ in $(seq 100); do [ -S "$T/qvmd.sock" ] && return 0; sleep 0.1; done
    echo "# qvmd did not start" >&2
}
qvmd_kill() { kill -9 "$QVMD_PID" 2>/dev/null; wait "$QVMD_PID" 2>/dev/null; }
qvmd_stop() { kill "$QVMD_PID" 2>/dev/null; wait "$QVMD_PID" 2>/dev/null; }
cleanup() {
    qvm-kill --all > /dev/null 2>&1
    qvmd_stop
    # whatever a failing run left: the local qubes, then the daemons
    for f in "$T"/local/[0-9]*; do
        [ -f "$f" ] && kill -9 "$(sed -n 's/^pid=//p' "$f")" 2>/dev/null
    done
    for p in $(pgrep -f -- "--socket-dir $T/qrexec"); do kill -9 "$p"; done
    sleep 0.2
    rm -rf "$T"
}
trap cleanup EXIT

state() { qvm-ls --raw-data -O state "$1"; }
eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'" >&2; return 1; }; }
# run_in Q CMD: runs a shell command in qube Q, its output on stdout
run_in() { qvm-run -p --no-autostart "$1" "$2" 2>&1; }
domid_of() { "$B/backend-ctl" --kind local --state-dir "$T/local" --init "$PWD/vm-agent/local/bulkhead-local-init" list | awk -v n="$1" '$2 == n {print $1}'; }
init_pid_of() { local d; d=$(domid_of "$1"); [ -n "$d" ] && sed -n 's/^pid=//p' "$T/local/$d"; }
daemons_of() { pgrep -f -- "--socket-dir $T/qrexec .* $1( |\$)"; }
# What is left of qube Q after it stopped or failed to start; empty when
# nothing: its state file, its domain, its daemons, started volumes.
leftovers() {
    local q=$1
    [ -e "$T/state/$q.state" ] && echo "state file"
    [ -n "$(domid_of "$q")" ] && echo "domain $(domid_of "$q")"
    [ -n "$(daemons_of "$q")" ] && echo "daemons $(daemons_of "$q" | tr '\n' ' ')"
    find "$T/vm-pool" -path "*/$q/*-dirty.img" | sed 's/^/started volume /'
    grep -q "$T" /proc/self/mountinfo && echo "a mount under $T"
    return 0
}
nothing_left() {
    local l
    l=$(leftovers "$1")
    [ -z "$l" ] || { echo "# left behind by $1: $l" >&2; return 1; }
}
# start_fails Q STEP: qvm-start fails at STEP, saying so
start_fails() {
    local out rc
    out=$(qvm-start "$1" 2>&1); rc=$?
    [ $rc = 1 ] && grep -q "Start failed at step $2: " <<< "$out" ||
        { echo "# qvm-start $1: rc $rc: $out" >&2; return 1; }
}
wait_state() { # wait_state Q STATE: up to 20 s
    for _ in $(seq 200); do [ "$(state "$1")" = "$2" ] && return 0; sleep 0.1; done
    echo "# $1 is $(state "$1"), not $2" >&2
    return 1
}

echo "1..43"
qvmd_up
qvm-create -C TemplateVM -l black tpl && qvm-prefs tpl default_user root &&
    qvm-create -l red -t tpl work && qvm-create -l green -t tpl work2 &&
    qvm-service work crond on && qvm-service work cups off ||
    { echo "Bail out! cannot create the qubes"; exit 1; }

# ---- a started qube
t "qvm-start work" qvm-start work
t "... it is Running" eq "$(state work)" Running
t "its QubesDB holds what qvmd wrote" eq \
    "$(run_in work "$B/qubesdb-read /name /qubes-vm-type /qubes-vm-persistence /qubes-base-template /default-user")" \
    "$(printf 'work\nAppVM\nrw-only\ntpl\nroot')"
t "... its services" eq "$(run_in work "$B/qubesdb-read /qubes-service/crond /qubes-service/cups")" \
    "$(printf '1\n0')"
t "... and a random seed of 64 bytes" eq "$(run_in work "$B/qubesdb-read /qubes-random-seed | base64 -d | wc -c")" 64
t "the qube may not change what qvmd wrote" eq "$(run_in work "$B/qubesdb-write /name evil 2>/dev/null; echo \$?; $B/qubesdb-read /name")" "$(printf '1\nwork')"
t "its hostname is its name" eq "$(run_in work hostname)" work
t "its private volume is mounted at /rw" run_in work "grep -q ' /rw ' /proc/mounts"
t "its root is a snapshot of the template's, made at start" \
    test -f "$T/vm-pool/appvms/work/root-dirty.img"
run_in work "echo kept > /rw/home/f" > /dev/null
t "qvm-shutdown --wait" qvm-shutdown --wait work
t "... it is Halted" eq "$(state work)" Halted
t "... nothing of it is left running or started" nothing_left work
t "... its private volume's earlier state is kept as a revision" \
    test -n "$(find "$T/vm-pool/appvms/work" -name 'private.img.*~')"
qvm-start work > /dev/null 2>&1
t "what it wrote to /rw is there at the next start" eq "$(run_in work 'cat /rw/home/f')" kept

# ---- a failure at each step of the start leaves nothing behind
mv "$T/vm-pool/vm-templates/tpl/root.img" "$T/root.img.away"
t "storage: the template's root image is missing" start_fails work2 storage
t "... work2 is Halted, nothing left" nothing_left work2
mv "$T/root.img.away" "$T/vm-pool/vm-templates/tpl/root.img"

qvm-prefs work2 virt_mode hvm
t "domain: a virt_mode the backend cannot build" start_fails work2 domain
t "... nothing left" nothing_left work2
qvm-prefs --default work2 virt_mode

qvmd_stop
QDBD=/bin/false qvmd_up
t "qubesdb: its daemon ends at once" start_fails work2 qubesdb
t "... the domain is destroyed, nothing left" nothing_left work2
qvmd_stop

AGENT=/bin/true qvmd_up
qvm-prefs work2 qrexec_timeout 2
t "qrexec: the agent never connects within qrexec_timeout" start_fails work2 qrexec
t "... nothing left" nothing_left work2
qvm-prefs work2 qrexec_timeout 60
qvm-start work2 > "$T/start.out" 2>&1 &
starter=$!
wait_state work2 Transient
t "qvm-kill of a qube that is starting" qvm-kill work2
wait "$starter"
t "... its start fails, saying why" grep -q "Start failed at step .*killed" "$T/start.out"
t "... nothing left" nothing_left work2
t "failed starts kept no revision of the private volume" \
    test -z "$(find "$T/vm-pool/appvms/work2" -name 'private.img.*~')"
qvmd_stop
qvmd_up
qvm-prefs --default work2 qrexec_timeout

# ---- a qube that ends by itself
t "work was found again by the restarted qvmd" eq "$(state work)" Running
qvm-start work2
kill -9 "$(init_pid_of work2)"
t "a qube whose init is killed is seen halted" wait_state work2 Halted
t "... and cleaned up" nothing_left work2

# ---- qvmd killed and restarted while qubes run
qvm-start work2
qvmd_kill
kill -9 "$(init_pid_of work2)"
sleep 0.5
qvmd_up
t "after a restart, the running qube is Running" eq "$(state work)" Running
t "... commands run in it" eq "$(run_in work 'echo back; cat /rw/home/f')" "$(printf 'back\nkept')"
t "... its QubesDB answers" eq "$(run_in work "$B/qubesdb-read /name")" work
t "the qube that ended while qvmd was away is Halted" wait_state work2 Halted
t "... and was cleaned up" nothing_left work2
qvmd_kill
kill -9 $(pgrep -f -- "qubesdb-daemon --socket-dir $T/qrexec .* work$")
qvmd_up
t "a qubesdb-daemon that died while qvmd was away is started and filled again" \
    eq "$("$B/qubesdb-cmd" --socket "$T/qrexec/qubesdb.work.sock" read /name)" work
t "qvm-pause" qvm-pause work
qvmd_kill
qvmd_up
t "a paused qube is found Paused" eq "$(state work)" Paused
t "qvm-unpause" qvm-unpause work
t "qvm-shutdown --all --wait" qvm-shutdown --all --wait
t "... every qube is Halted" eq "$(qvm-ls --raw-data -O state | sort -u | tr '\n' ' ')" \
    "Halted Running "
t "... nothing of work is left" nothing_left work
t "... nothing of work2 is left" nothing_left work2
qvmd_stop
t "qvmd's database is consistent" "$B/qvmd" --db "$T/qvm.db" --check
