#!/bin/bash
# Integration: the local backend (dom0/backend/local*.c) through backend-ctl,
# with two "qubes" whose init (vm-agent/local/bulkhead-local-init) runs the
# real qrexec-agent, and a dom0 qrexec-daemon for each over the socket vchan,
# as the start sequence will. What a user would check: commands run inside
# the qube's namespaces (hostname, PID 1, /rw from its own image, no
# network), pause holds calls, kill -9 and shutdown are reported, a file in
# /rw/home outlives destroy + create, a fresh process lists what runs, and
# nothing is left on the host afterwards.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP the local backend needs root (namespaces, mounts)"
    exit 0
fi
B=$PWD/${BULKHEAD_BUILD:-build/release}/bin
INIT=$PWD/vm-agent/local/bulkhead-local-init
T=$(mktemp -d /tmp/bulkhead-backend-local.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket QREXEC_SERVICE_PATH=$T/rpc
# The agent's socket goes to the qube's own /run, which no other qube sees.
export BULKHEAD_QREXEC_AGENT="$B/qrexec-agent --agent-socket /run/qrexec-agent.sock"
mkdir -p "$T/vchan" "$T/run" "$T/rpc"
truncate -s 64M "$T/work.img" "$T/personal.img"

ctl() { "$B/backend-ctl" --state-dir "$T/state" --vchan-dir "$T/vchan" --init "$INIT" "$@"; }
declare -A daemon
start_daemon() {   # start_daemon DOMID NAME
    [ -n "${daemon[$2]:-}" ] && { kill "${daemon[$2]}"; wait "${daemon[$2]}"; } 2> /dev/null
    rm -f "$T/run/qrexec.$1" "$T/run/qrexec.$2"
    VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D --socket-dir "$T/run" "$1" "$2" 2>> "$T/daemon.$2.log" &
    daemon[$2]=$!
    for i in $(seq 100); do [ -S "$T/run/qrexec.$1" ] && break; sleep 0.1; done
}
qc() {   # qc NAME COMMAND: run COMMAND as root in the qube
    VCHAN_DOMAIN=0 "$B/qrexec-client" --socket-dir "$T/run" -d "$1" "root:$2"
}
init_pid() { sed -n 's/^pid=//p' "$T/state/$1"; }
watch_deaths() {   # starts backend-ctl wait-death DOMID > FILE, returns once it watches
    ctl wait-death "$1" > "$2" &
    for i in $(seq 100); do grep -q watching "$2" 2> /dev/null && break; sleep 0.1; done
}
pids=()
cleanup() {
    for d in $(ctl list 2> /dev/null | cut -d' ' -f1); do ctl destroy "$d"; done
    kill $(jobs -p) 2> /dev/null
    wait 2> /dev/null
    rm -rf "$T"
}
trap cleanup EXIT

echo "1..27"
w=$(ctl create work --disk "xvdb:$T/work.img:rw")
p=$(ctl create personal --disk "xvdb:$T/personal.img:rw")
t "two qubes get the lowest free domids, 1 and 2" test "$w" = 1 -a "$p" = 2
pids+=("$(init_pid "$w")" "$(init_pid "$p")")

t "a fresh process lists both, paused until unpaused" \
    test "$(ctl list)" = "$(printf '1 work paused\n2 personal paused')"
t "nothing runs before unpause: the console log is empty" test ! -s "$T/state/guest-work.log"

ctl unpause "$w" && ctl unpause "$p"
start_daemon "$w" work
start_daemon "$p" personal
t "each qube's hostname is its name" \
    test "$(qc work hostname)" = work -a "$(qc personal hostname)" = personal
t "PID 1 in the qube is the local init" \
    test "$(qc work 'tr "\0" " " < /proc/1/cmdline')" = "/bin/sh $INIT "
t "/rw is an ext4 file system" test "$(qc work 'stat -f -c %T /rw')" = ext2/ext3
dev=$(qc work 'grep " /rw " /proc/mounts | cut -d" " -f1')
t "... on a loop device over the qube's own image" \
    eval '[ -n "$dev" ] && losetup -j "$T/work.img" | grep -q "^$dev:"' 
t "the qube's /home is /rw/home" \
    test "$(qc work 'echo via-home > /home/probe; cat /rw/home/probe')" = via-home
t "the qube has no network, only loopback" \
    test "$(qc work 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "')" = lo
qc work 'echo kept-across-destroy > /home/note; sync'
t "the host sees neither the qube's /rw nor its /home" \
    eval '! grep -q " /rw " /proc/self/mountinfo && [ ! -e /home/note ] && [ ! -e /home/probe ]'
t "a fresh process lists both as running" \
    test "$(ctl list)" = "$(printf '1 work running\n2 personal running')"

ctl pause "$w"
t "pause: the qube is listed as paused" test "$(ctl list | head -1)" = "1 work paused"
qc work 'echo resumed' > "$T/late" 2>&1 &
late=$!
sleep 1
t "a call to a paused qube waits" eval 'kill -0 $late && [ ! -s "$T/late" ]'
ctl unpause "$w"
wait $late
t "after unpause the waiting call completes" test "$(cat "$T/late")" = resumed

watch_deaths "$p" "$T/deaths"
kill -9 "$(init_pid "$p")"
wait $!
t "kill -9 of a qube's init is reported by wait-death" grep -qx "gone $p" "$T/deaths"
t "... and a fresh process no longer lists it" test "$(ctl list)" = "1 work running"

# Without a cgroup v2 freezer, pause stops every process with SIGSTOP.
v=$(BULKHEAD_LOCAL_NO_CGROUP=1 ctl create vault)
pids+=("$(init_pid "$v")")
ctl unpause "$v"
start_daemon "$v" vault
qc vault true
ctl pause "$v"
ns_states() {   # the state letter of every process in domain $1's PID namespace
    local ns pid
    ns=$(readlink "/proc/$(init_pid "$1")/ns/pid")
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        [ "$(readlink "/proc/$pid/ns/pid" 2> /dev/null)" = "$ns" ] &&
            sed 's/.*) //' "/proc/$pid/stat" | cut -c1
    done | grep -v Z | sort -u | tr -d '\n'   # a zombie waits for its stopped parent
}
t "without a cgroup, pause stops every process of the qube" \
    eval '[ "$(ns_states "$v")" = T ] && [ "$(ctl list | grep vault)" = "$v vault paused" ]'
qc vault 'echo resumed' > "$T/late" 2>&1 &
late=$!
sleep 1
t "... a call to it waits" eval 'kill -0 $late && [ ! -s "$T/late" ]'
ctl unpause "$v"
wait $late
t "... and completes after unpause" test "$(cat "$T/late")" = resumed
ctl destroy "$v"

ctl destroy "$w"
t "destroy returns once the qube is gone and its image is released" \
    eval '[ -z "$(ctl list)" ] && [ -z "$(losetup -j "$T/work.img")" ]'
# Created this time by a process that ignores SIGTERM and SIGPIPE (qvmd
# ignores SIGPIPE): the shutdown below shows the init does not inherit that.
w=$(trap '' TERM PIPE; ctl create work --disk "xvdb:$T/work.img:rw")
pids+=("$(init_pid "$w")")
t "created again, the qube gets domid 1 back" test "$w" = 1
ctl unpause "$w"
start_daemon "$w" work
t "a file written in /rw/home survived destroy and create" \
    test "$(qc work 'cat /home/note')" = kept-across-destroy
ign=$(qc work 'sed -n "s/^SigIgn:\t*//p" /proc/1/status')
t "the init does not inherit its creator's ignored SIGPIPE" \
    eval '[ -n "$ign" ] && [ $((0x$ign & 0x1000)) = 0 ]'

watch_deaths "$w" "$T/deaths"
ctl shutdown "$w"
wait $!
t "shutdown ends the qube (though its creator ignored SIGTERM); wait-death reports it" grep -qx "gone $w" "$T/deaths"
t "the init stopped cleanly (its console log says so)" \
    test "$(tail -n 1 "$T/state/guest-work.log")" = "bulkhead-local-init: stopped"

alive=0   # a zombie does not count: whoever reaps orphans here may not
for pid in "${pids[@]}"; do
    st=$(sed 's/.*) //' "/proc/$pid/stat" 2> /dev/null | cut -c1)
    [ -n "$st" ] && [ "$st" != Z ] && alive=1
done
t "no qube process remains" test $alive = 0
t "nothing is left mounted, no loop device, no state, no cgroup" \
    eval '! grep -q "$T" /proc/self/mountinfo && [ -z "$(losetup -j "$T/work.img")$(losetup -j "$T/personal.img")" ] &&
          [ -z "$(ls "$T/state" | grep -v "^guest-")" ] &&
          ! ls -d /sys/fs/cgroup/*/bulkhead-qube-'"${pids[0]}"' /sys/fs/cgroup/bulkhead-qube-'"${pids[0]}"' 2> /dev/null'
