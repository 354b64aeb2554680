#!/bin/bash
# Start time of a qube on the local backend: qvmd on a temporary database,
# an AppVM on a template, RUNS times qvm-start then qvm-shutdown --wait;
# the median of each, and the median of each start step as qvmd logs it
# (storage, domain, qubesdb, unpause, boot to agent), next to the floor:
# an empty process tree in new namespaces (unshare of /bin/true), timed the
# same way in the same run. On Xen the same steps are measured by the
# system test (tests/system/test-xen-qvmd.sh).
set -eu
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
case $B in /*) ;; *) B=$PWD/$B ;; esac
RUNS=${RUNS:-11}
if [ "$(id -u)" != 0 ]; then
    echo "qvm-start bench: skipped, the local backend needs root"
    exit 0
fi
T=$(mktemp -d /tmp/bulkhead-start-bench.XXXXXX)
mkdir -p "$T/qrexec" "$T/vchan"
export BULKHEAD_QVMD_SOCKET=$T/qvmd.sock BULKHEAD_QREXEC_SOCKET_DIR=$T/qrexec
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket VCHAN_DOMAIN=0
export BULKHEAD_QREXEC_AGENT=$B/qrexec-agent BULKHEAD_QUBESDB_VM_DAEMON=$B/qubesdb-vm-daemon
trap '"$B/qvm-kill" --all >/dev/null 2>&1; kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
"$B/qvmd" --db "$T/qvm.db" --socket "$T/qvmd.sock" --backend local --run-dir "$T/qrexec" \
    --state-dir "$T/state" --local-state-dir "$T/local" --vchan-dir "$T/vchan" \
    --local-init "$PWD/vm-agent/local/bulkhead-local-init" --qrexec-daemon "$B/qrexec-daemon" \
    --qubesdb-daemon "$B/qubesdb-daemon" 2> "$T/qvmd.log" &
for _ in $(seq 100); do [ -S "$T/qvmd.sock" ] && break; sleep 0.1; done
"$B/qvm-create" -C TemplateVM -l black tpl
"$B/qvm-prefs" tpl default_user root
"$B/qvm-create" -l red -t tpl work
# the first start formats the private volume: not what is measured
"$B/qvm-start" work && "$B/qvm-shutdown" --wait work

ms() { echo "($2 - $1) * 1000" | bc -l; }
median() { sort -g | sed -n "$((RUNS / 2 + 1))p" | xargs printf '%.1f'; }
starts=() stops=() floors=()
for ((i = 0; i < RUNS; i++)); do
    t0=$EPOCHREALTIME
    unshare --pid --fork --mount --uts --ipc --net /bin/true
    t1=$EPOCHREALTIME
    "$B/qvm-start" work
    t2=$EPOCHREALTIME
    "$B/qvm-shutdown" --wait work
    t3=$EPOCHREALTIME
    floors+=("$(ms "$t0" "$t1")") starts+=("$(ms "$t1" "$t2")") stops+=("$(ms "$t2" "$t3")")
done
phase() { # the median of one step over the measured starts (not the first)
    grep -o "$1 [0-9]* ms" "$T/qvmd.log" | tail -n "$RUNS" | awk '{print $(NF-1)}' | median
}
echo "qube start on the local backend (median of $RUNS runs)"
printf '  %-36s %8s ms\n' "floor: unshare of /bin/true" "$(printf '%s\n' "${floors[@]}" | median)" \
    "qvm-start (to agent connected)" "$(printf '%s\n' "${starts[@]}" | median)" \
    "  storage (snapshots)" "$(phase storage)" \
    "  domain (namespaces, init)" "$(phase domain)" \
    "  qubesdb (daemon, keys)" "$(phase qubesdb)" \
    "  unpause" "$(phase unpause)" \
    "  boot to agent" "$(phase 'boot to agent')" \
    "qvm-shutdown --wait" "$(printf '%s\n' "${stops[@]}" | median)"
