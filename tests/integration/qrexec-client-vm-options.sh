#!/bin/bash
# Integration: qrexec-client-vm's options and the call library's loop tool,
# with the real binaries over the socket vchan: "work" (domain 5) calls
# "personal" (domain 6), each with its agent and daemon, under the simple
# policy. "relay" (domain 8) has fake-source-daemon instead of a daemon, to
# show what a daemon receives for -s; "old" (domain 9) has a version 3 dom0
# (qrexec-fake-peer), which cannot take -s.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-qrexec-cvm.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
export BULKHEAD_POLICY_SOCKET=$T/no-policy.sock BULKHEAD_SIMPLE_POLICY=$T/policy
mkdir -p "$T/vchan" "$T/run" "$T/rpc"
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

printf '#!/bin/sh\necho "arg=$1 from=$QREXEC_REMOTE_DOMAIN"\n' > "$T/rpc/test.Echo"
printf '#!/bin/sh\nexec cat\n' > "$T/rpc/test.Cat"
printf '#!/bin/sh\ntr a-z A-Z\n' > "$T/rpc/test.Upper"
printf '#!/bin/sh\nprintf "x\\033[31my\\n"\n' > "$T/rpc/test.Esc"
printf '#!/bin/sh\nexit 0\n' > "$T/rpc/test.Nop"
printf '#!/bin/sh\nexit 4\n' > "$T/rpc/test.Fail"
chmod +x "$T"/rpc/*
cat > "$T/policy" <<P
test.Echo  *  work  personal  allow user=$U
test.Cat   *  work  personal  allow user=$U
test.Upper *  work  personal  allow user=$U
test.Esc   *  work  personal  allow user=$U
test.Nop   *  work  personal  allow user=$U
test.Fail  *  work  personal  allow user=$U
*          *  @anyvm @anyvm   deny
P

agent() {   # agent DOMID NAME
    QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=$1 "$B/qrexec-agent" --agent-socket "$T/agent.$2" \
        2> "$T/agent.$2.log" &
}
for vm in "5 work" "6 personal"; do
    set -- $vm
    agent "$1" "$2"
    VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D -p "$B/qrexec-policy-simple" --socket-dir "$T/run" \
        "$1" "$2" 2> "$T/daemon.$2.log" &
done
agent 8 relay
VCHAN_DOMAIN=0 "$B/fake-source-daemon" 8 relay "$T/run" "$T/relay.events" 2> "$T/fake.log" &
for i in $(seq 100); do [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.6" ] && break; sleep 0.1; done

call() {   # call FROM_DOMID FROM_NAME ARGS...
    local d=$1 n=$2; shift 2
    VCHAN_DOMAIN=$d timeout 60 "$B/qrexec-client-vm" --agent-socket "$T/agent.$n" "$@"
}
# usage_error ARGS...: exit 2 and exactly one line on stderr
usage_error() {
    local err rc
    err=$(call 5 work "$@" 2>&1 < /dev/null > /dev/null); rc=$?
    [ $rc = 2 ] && [ "$(wc -l <<< "$err")" = 1 ] && [[ $err == qrexec-client-vm:* ]]
}
. tests/integration/lib/tap.sh

echo "1..20"
t "-p: the prefix reaches the service before our stdin" \
    test "$(echo world | call 5 work -p 'hello ' personal test.Cat)" = "hello world"
t "--prefix-data=DATA, with no stdin at all" \
    test "$(call 5 work --prefix-data=abc personal test.Upper < /dev/null)" = ABC

head -c $((4 << 20)) /dev/urandom > "$T/big"
sizes() {
    local s
    for s in 1024 1500 4096 1048576; do
        call 5 work --buffer-size=$s personal test.Cat < "$T/big" > "$T/big.back" &&
            cmp -s "$T/big" "$T/big.back" || { echo "# --buffer-size=$s failed" >&2; return 1; }
    done
}
t "--buffer-size=1024, 1500 (rounded up), 4096, 1048576: 4 MiB there and back intact" sizes
bad_sizes() {
    local s
    for s in 1023 0 abc 64k -5 '' ' 4096' 0x1000 1073741825 99999999999999999999; do
        usage_error --buffer-size="$s" personal test.Echo ||
            { echo "# accepted --buffer-size='$s'" >&2; return 1; }
    done
}
t "--buffer-size is parsed strictly: each bad value is exit 2 and one line" bad_sizes

t "--use-stdin-socket: the service's input and output both use the socket on stdin" \
    test "$(echo abc | VCHAN_DOMAIN=5 "$B/stdin-socket-run" "$B/qrexec-client-vm" \
            --agent-socket "$T/agent.work" --use-stdin-socket personal test.Upper)" = ABC
VCHAN_DOMAIN=5 "$B/stdin-socket-run" "$B/qrexec-client-vm" --agent-socket "$T/agent.work" \
    --use-stdin-socket personal test.Cat < "$T/big" > "$T/big.back"
t "--use-stdin-socket: 4 MiB there and back, byte for byte" cmp -s "$T/big" "$T/big.back"
t "--use-stdin-socket with a stdin that is not a socket, or with LOCAL_PROG: exit 2, one line" \
    bash -c "$(declare -f call usage_error); B='$B' T='$T'
             usage_error --use-stdin-socket personal test.Echo &&
             usage_error --use-stdin-socket personal test.Echo cat"

# -t/-T default to on when the output is a terminal (script gives one)
tty_out() { script -qec "VCHAN_DOMAIN=5 '$B/qrexec-client-vm' --agent-socket '$T/agent.work' $*" /dev/null; }
t "on a terminal, escape sequences are filtered without -t" \
    bash -c "$(declare -f tty_out); B='$B' T='$T'; tty_out personal test.Esc | grep -q 'x_\\[31my'"
t "... and --no-filter-escape-chars-stdout lets them through" \
    bash -c "$(declare -f tty_out); B='$B' T='$T'
             tty_out --no-filter-escape-chars-stdout personal test.Esc | grep -q \$'x\\033\\\\[31my'"
t "not on a terminal, output is passed as it is" \
    test "$(call 5 work personal test.Esc)" = $'x\033[31my'

# -s: the source rides in TRIGGER_SERVICE4
err=$(call 5 work -s personal personal test.Echo+viasource 2>&1); rc=$?
t "-s Q with a version 4 dom0 reaches policy as a relayed call (denied here: no policy daemon, and the program cannot express one)" \
    test $rc = 126 -a "$err" = "Request refused"
call 8 relay --source-qube=work personal test.Echo+relayed < /dev/null > /dev/null 2>&1 &
for i in $(seq 100); do grep -q TRIGGER "$T/relay.events" 2>/dev/null && break; sleep 0.1; done
t "-s Q: the daemon receives the source Q with the target, service and request id" \
    bash -c "grep -q '^TRIGGER source=work target=personal service=test.Echo+relayed id=SOCKET[0-9]*\$' '$T/relay.events'"
agent 9 old
VCHAN_DOMAIN=0 "$B/qrexec-fake-peer" daemon 9 3 > "$T/old.out" 2>&1 &
for i in $(seq 100); do grep -q VERSION "$T/old.out" 2>/dev/null && break; sleep 0.1; done
err=$(call 9 old -s work personal test.Echo 2>&1); rc=$?
t "-s Q with a version 3 dom0, which cannot take a source: refused (126)" \
    test $rc = 126 -a "$err" = "Request refused"
t "-s takes a qube name: a bad one is exit 2 and one line" \
    bash -c "$(declare -f call usage_error); B='$B' T='$T'
             usage_error -s 'bad name' personal test.Echo && usage_error -s work-dm personal test.Echo &&
             usage_error -s '' personal test.Echo"

call 5 work personal test.Cat sh -c 'echo x; exit 7' > /dev/null 2>&1; rc=$?
t "LOCAL_PROG that fails: its status (7), not the service's (0)" test $rc = 7
call 5 work personal test.Fail sh -c 'exit 0' > /dev/null 2>&1; rc=$?
t "LOCAL_PROG that succeeds: the service's status (4)" test $rc = 4

out=$(VCHAN_DOMAIN=5 "$B/qrexec-call-loop" --vm personal --agent-socket "$T/agent.work" -n 20 \
      test.Nop); rc=$?
t "qrexec-call-loop --vm: 20 calls in one process, all exit 0" \
    bash -c "[[ '$out' =~ ^calls=20\ wall_s=[0-9.]+\ cpu_s=[0-9.]+\$ ]] && test $rc = 0"
out=$(VCHAN_DOMAIN=0 "$B/qrexec-call-loop" --dom0 work --socket-dir "$T/run" -n 20 "$U:true"); rc=$?
t "qrexec-call-loop --dom0: 20 calls in one process, all exit 0" \
    bash -c "[[ '$out' =~ ^calls=20\ wall_s=[0-9.]+\ cpu_s=[0-9.]+\$ ]] && test $rc = 0"
err=$(VCHAN_DOMAIN=5 "$B/qrexec-call-loop" --vm personal --agent-socket "$T/agent.work" -n 3 \
      test.Fail 2>&1 >/dev/null); rc=$?
t "qrexec-call-loop stops at a call that exits non-zero (status 1, one line)" \
    test $rc = 1 -a "$(wc -l <<< "$err")" = 1

t "no sanitizer reports from agents and daemons" bash -c "! grep -q Sanitizer '$T'/*.log"
