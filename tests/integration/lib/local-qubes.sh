# Sourced by tests and benchmarks that run qubes on qvmd's local backend
# with a policy daemon, so that qube-to-qube calls are decided as on a real
# system. Needs root. Before sourcing: T (a temporary folder) and B (the
# build's bin folder, absolute). local_qubes_start starts the policy daemon
# (policy files from $T/policy.d, qubes listed in $T/qubes.list) and qvmd;
# services the qubes offer go in $T/rpc (QREXEC_SERVICE_PATH, which qvmd
# hands down to each qube's agent); local_qvmd_start starts qvmd alone.
# local_qubes_stop kills every qube.
mkdir -p "$T/qrexec" "$T/vchan" "$T/rpc" "$T/policy.d"
export BULKHEAD_QVMD_SOCKET=$T/qvmd.sock BULKHEAD_QREXEC_SOCKET_DIR=$T/qrexec
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket VCHAN_DOMAIN=0
export BULKHEAD_POLICY_SOCKET=$T/policy.sock QREXEC_SERVICE_PATH=$T/rpc
export BULKHEAD_QREXEC_AGENT=$B/qrexec-agent BULKHEAD_QUBESDB_VM_DAEMON=$B/qubesdb-vm-daemon

# local_qvmd_start [QVMD OPTION...]: qvmd alone (local backend, log in
# $T/qvmd.log, pid in QVMD_PID), waited for.
local_qvmd_start() {
    local i
    "$B/qvmd" --db "$T/qvm.db" --socket "$T/qvmd.sock" --backend local --run-dir "$T/qrexec" \
        --state-dir "$T/state" --local-state-dir "$T/local" --vchan-dir "$T/vchan" \
        --local-init "$PWD/vm-agent/local/bulkhead-local-init" \
        --qrexec-daemon "$B/qrexec-daemon" --qubesdb-daemon "$B/qubesdb-daemon" "$@" \
        2> "$T/qvmd.log" &
    QVMD_PID=$!
    for i in $(seq 100); do
        [ -S "$T/qvmd.sock" ] && return 0
        sleep 0.1
    done
    echo "local-qubes: qvmd did not start" >&2
    return 1
}

local_qubes_start() {
    local i
    "$B/qrexec-policy-daemon" --socket "$T/policy.sock" --policy-dir "$T/policy.d" \
        --system "$T/qubes.list" 2> "$T/policy.log" &
    local_qvmd_start || return 1
    for i in $(seq 100); do
        [ -S "$T/policy.sock" ] && return 0
        sleep 0.1
    done
    echo "local-qubes: the policy daemon did not start" >&2
    return 1
}

local_qubes_stop() { "$B/qvm-kill" --all > /dev/null 2>&1; }
