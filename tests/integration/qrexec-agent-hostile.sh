#!/bin/bash
# Malformed input against qrexec-agent: a broken dom0 daemon
# (qrexec-fake-peer) sends bad messages on the control link. The agent must
# refuse each without running anything, drop only that link when the
# protocol is broken, offer the channel again, and serve a real daemon
# afterwards.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-agent-hostile.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
mkdir -p "$T/vchan" "$T/run" "$T/rpc"
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

. tests/integration/lib/hexmsg.sh
. tests/integration/lib/tap.sh

printf '#!/bin/sh\ntouch %s/pwned\n' "$T" > "$T/rpc/test.Touch"
chmod +x "$T/rpc/test.Touch"
QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=5 "$B/qrexec-agent" --agent-socket "$T/agent.sock" \
    2> "$T/agent.log" &
AGENT=$!

hostile() {   # hostile DESCRIPTION VERSION EXPECT(closed|open|v2) MSG...
    local desc=$1 ver=$2 expect=$3 ok=1; shift 3
    n=$((n + 1))
    VCHAN_DOMAIN=0 timeout 30 "$B/qrexec-fake-peer" daemon 5 "$ver" "$@" > "$T/fake.out" 2>&1
    case $expect in
    closed) grep -q '^CLOSED' "$T/fake.out" || ok=0 ;;
    open) grep -q '^STILL_OPEN' "$T/fake.out" || ok=0 ;;
    v2) grep -q '^VERSION 2$' "$T/fake.out" && grep -q '^STILL_OPEN' "$T/fake.out" || ok=0 ;;
    esac
    sleep 0.2
    kill -0 $AGENT 2>/dev/null || ok=0     # the agent lives on
    [ -e "$T/pwned" ] && ok=0               # and ran nothing
    if [ $ok = 1 ]; then echo "ok $n - $desc"; else
        echo "not ok $n - $desc"; sed 's/^/# fake: /' "$T/fake.out"; tail -3 "$T/agent.log" | sed 's/^/# agent: /'; fi
}

echo "1..12"
hostile "unknown message type" 3 closed "0x999:00"
hostile "TRIGGER_SERVICE3 from dom0 (only VMs send it)" 3 closed \
    "0x212:$(fixed work 64)$(fixed SOCKET1 32)$(hexof test.Touch)00"
hostile "DATA_STDOUT on the control link" 3 closed "0x191:41"
hostile "EXEC_CMDLINE whose command line is not terminated" 3 closed \
    "0x200:$(le32 0)$(le32 513)$(hexof "$U:QUBESRPC test.Touch dom0")"
hostile "EXEC_CMDLINE whose command line has no user: refused, link kept" 3 open \
    "0x200:$(le32 0)$(le32 513)$(hexof "QUBESRPC test.Touch dom0")00"
hostile "SERVICE_CONNECT with a bad request id" 3 closed \
    "0x202:$(le32 0)$(le32 513)$(fixed 'SOCK/1' 32)"
hostile "SERVICE_REFUSED for a request nobody made: ignored, link kept" 3 open \
    "0x203:$(fixed SOCKET99 32)"
hostile "a length of 4 GiB" 3 closed "0x200/0xffffffff:00"
hostile "HELLO after the handshake" 3 closed "0x300:$(le32 3)"
hostile "a version 2 daemon: the handshake falls back to version 2" 2 v2

VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D --socket-dir "$T/run" 5 work 2> "$T/daemon.log" &
for i in $(seq 100); do [ -S "$T/run/qrexec.5" ] && break; sleep 0.1; done
out=$(VCHAN_DOMAIN=0 "$B/qrexec-client" --socket-dir "$T/run" -d work "$U:echo alive")
t "afterwards a real daemon is served, and nothing ran" test "$out" = alive -a ! -e "$T/pwned"
t "the agent's log is printable and has no sanitizer report" \
    bash -c "! grep -q Sanitizer '$T/agent.log' && ! LC_ALL=C grep -q '[^[:print:]]' '$T/agent.log'"
