#!/bin/bash
# qrexec benchmarks on the socket vchan: two VMs ("work" = 5, "personal" =
# 6), each with its agent, fork server and daemon, and the real policy path
# (qrexec-policy-daemon with a v5 policy and the qube list). Prints latency of sequential trivial calls and 1 GiB
# throughput, with CPU time (clients + daemons + agents) beside wall time,
# medians of 3 runs, and the plain Unix-socket copy limit from bench-vchan.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
CALLS=${BENCH_CALLS:-500}
T=$(mktemp -d /tmp/bulkhead-qrexec-bench.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
export BULKHEAD_POLICY_SOCKET=$T/policy.sock
mkdir -p "$T/vchan" "$T/run" "$T/rpc"
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
# the trivial service does nothing at all; the data services move 1 GiB in
# 1 MiB writes (head and cat write 4 KiB at a time and would measure
# themselves); the callers read /dev/zero, with no pipe in between
ln -s "$(type -P true)" "$T/rpc/test.Nop"
printf '#!/bin/sh\nexec dd of=/dev/null bs=1M count=1024 iflag=fullblock status=none\n' \
    > "$T/rpc/test.Sink"
printf '#!/bin/sh\nexec dd if=/dev/zero bs=1M count=1024 status=none\n' > "$T/rpc/test.Source"
chmod +x "$T"/rpc/test.S*
mkdir -p "$T/policy.d"
printf 'test.Nop * work personal allow user=%s\ntest.Sink * work personal allow user=%s\n' \
    "$U" "$U" > "$T/policy.d/30-bench.policy"
cat qrexec/policy/defaults/90-default.policy > "$T/policy.d/90-default.policy"
printf 'work class=AppVM running=yes\npersonal class=AppVM running=yes\n' > "$T/qubes.list"
pids=()
"$B/qrexec-policy-daemon" --socket "$T/policy.sock" --policy-dir "$T/policy.d" \
    --system "$T/qubes.list" 2>/dev/null & pids+=($!)
# each VM as in production: the agent (root, so a user's call gets a PAM
# session unless) the user's fork server, started in the user's session,
# takes it; here the user is $U
for vm in "5 work" "6 personal"; do
    set -- $vm
    QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=$1 "$B/qrexec-fork-server" \
        --socket "$T/fs.$2.$U.sock" 2>/dev/null & pids+=($!)
    QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=$1 "$B/qrexec-agent" --agent-socket "$T/agent.$2" \
        --fork-server-socket "$T/fs.$2.%s.sock" 2>/dev/null & pids+=($!)
    VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D -q -p /nonexistent --socket-dir "$T/run" \
        "$1" "$2" 2>/dev/null & pids+=($!)
done
for i in $(seq 100); do [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.6" ] && [ -S "$T/policy.sock" ] &&
    [ -S "$T/fs.work.$U.sock" ] && [ -S "$T/fs.personal.$U.sock" ] && break; sleep 0.1; done

now() { date +%s%N; }
# CPU time of the whole machine (every process a call involves: clients,
# daemons, agents, fork servers, their per-call processes, services, policy;
# forked grandchildren escape per-process accounting), in clock ticks
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
HZ=$(getconf CLK_TCK)

measure() {   # measure NAME N CMD...: prints "wall_ms cpu_ms" for N runs of CMD
    local n=$1 t0 c0 t1 c1 i; shift
    t0=$(now); c0=$(busy)
    for ((i = 0; i < n; i++)); do "$@" || { echo "FAILED: $*" >&2; return 1; }; done
    t1=$(now); c1=$(busy)
    echo "$(( (t1 - t0) / 1000000 )) $(( (c1 - c0) * 1000 / HZ ))"
}
median3() { sort -n | sed -n 2p; }

dom0_nop() { VCHAN_DOMAIN=0 "$B/qrexec-client" -d work --socket-dir "$T/run" "$U:QUBESRPC test.Nop dom0"; }
vm_nop() { VCHAN_DOMAIN=5 "$B/qrexec-client-vm" --agent-socket "$T/agent.work" personal test.Nop; }
dom0_in() { VCHAN_DOMAIN=0 "$B/qrexec-client" -d work --socket-dir "$T/run" \
    "$U:QUBESRPC test.Sink dom0" < /dev/zero; }
dom0_out() { VCHAN_DOMAIN=0 "$B/qrexec-client" -d work --socket-dir "$T/run" \
    "$U:QUBESRPC test.Source dom0" > /dev/null; }
vm_vm() { VCHAN_DOMAIN=5 "$B/qrexec-client-vm" --agent-socket "$T/agent.work" personal \
    test.Sink < /dev/zero; }
floor() { "$T/rpc/test.Nop"; }
# the same calls from a program that makes them itself (qvmd, a GUI daemon):
# qrexec-call-loop, one process, the call library
loop_dom0() { VCHAN_DOMAIN=0 "$B/qrexec-call-loop" --dom0 work --socket-dir "$T/run" -n "$1" \
    "$U:QUBESRPC test.Nop dom0" > /dev/null; }
loop_vm() { VCHAN_DOMAIN=5 "$B/qrexec-call-loop" --vm personal --agent-socket "$T/agent.work" \
    -n "$1" test.Nop > /dev/null; }

row_latency() {   # row_latency LABEL FUNC
    local r w c; r=$(for k in 1 2 3; do measure "$CALLS" "$2"; done | sort -n | sed -n 2p)
    [ -n "$r" ] || { printf '%-36s %10s %12s\n' "$1" "$CALLS calls" "FAILED"; return; }
    w=${r% *}; c=${r#* }
    printf '%-36s %10s %12s %12s\n' "$1" "$CALLS calls" \
        "$(awk -v w="$w" -v n="$CALLS" 'BEGIN{printf "%.3f ms", w / n}')" \
        "$(awk -v c="$c" -v n="$CALLS" 'BEGIN{printf "%.3f ms", c / n}')"
}
row_loop() {   # row_loop LABEL FUNC: FUNC N makes N calls in one process
    local r w c; r=$(for k in 1 2 3; do measure 1 "$2" "$CALLS"; done | sort -n | sed -n 2p)
    [ -n "$r" ] || { printf '%-36s %10s %12s\n' "$1" "$CALLS calls" "FAILED"; return; }
    w=${r% *}; c=${r#* }
    printf '%-36s %10s %12s %12s\n' "$1" "$CALLS calls" \
        "$(awk -v w="$w" -v n="$CALLS" 'BEGIN{printf "%.3f ms", w / n}')" \
        "$(awk -v c="$c" -v n="$CALLS" 'BEGIN{printf "%.3f ms", c / n}')"
}
row_throughput() {   # row_throughput LABEL FUNC
    local r w c; r=$(for k in 1 2 3; do measure 1 "$2"; done | sort -n | sed -n 2p)
    [ -n "$r" ] || { printf '%-36s %10s %12s\n' "$1" "1 GiB" "FAILED"; return; }
    w=${r% *}; c=${r#* }
    printf '%-36s %10s %12s %12s\n' "$1" "1 GiB" \
        "$(awk -v w="$w" 'BEGIN{printf "%.0f MB/s", 1073.741824 / (w / 1000)}')" \
        "$(awk -v c="$c" 'BEGIN{printf "%.2f s/GiB", c / 1000}')"
}

echo "qrexec on the socket vchan: medians of 3 runs"
echo
printf '%-36s %10s %12s %12s\n' "what" "size" "wall" "CPU"
row_latency "dom0 -> VM call (qrexec-client)" dom0_nop
row_loop "dom0 -> VM call (in-process caller)" loop_dom0
row_latency "VM -> VM call with policy" vm_nop
row_loop "VM -> VM call, in-process caller" loop_vm
row_latency "start+wait of /bin/true (floor)" floor
row_throughput "dom0 -> VM (stdin to a service)" dom0_in
row_throughput "VM -> dom0 (a service's stdout)" dom0_out
row_throughput "VM -> VM with policy" vm_vm
echo
echo "The limit, measured in the same run (bench-vchan, 1 GiB per row):"
"${BULKHEAD_BUILD:-build/release}/bench/bench-vchan" 1024 | grep -E 'memcpy|64 KiB  '
