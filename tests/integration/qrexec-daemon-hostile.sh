#!/bin/bash
# Malformed input against qrexec-daemon: a hostile agent (qrexec-fake-peer,
# domain 6) sends every kind of bad message. Each must end only that VM's
# connection (or be refused, for a well-formed call with odd names), log a
# printable line, run nothing, and leave another VM's daemon working.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-qrexec-hostile.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
mkdir -p "$T/vchan" "$T/run"
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

. tests/integration/lib/hexmsg.sh
. tests/integration/lib/tap.sh

# A well-behaved VM next door, which must keep working throughout.
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)
VCHAN_DOMAIN=5 "$B/qrexec-agent" --agent-socket "$T/agent5.sock" 2> "$T/agent5.log" &
VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D --socket-dir "$T/run" 5 work 2> "$T/daemon5.log" &
for i in $(seq 100); do [ -S "$T/run/qrexec.5" ] && break; sleep 0.1; done

hostile() {   # hostile DESCRIPTION VERSION EXPECT(closed|refused|ends) MSG...
    local desc=$1 ver=$2 expect=$3 ok=1 dpid; shift 3
    n=$((n + 1))
    VCHAN_DOMAIN=6 "$B/qrexec-fake-peer" agent "$ver" "$@" > "$T/fake.out" 2>&1 &
    local fpid=$!
    VCHAN_DOMAIN=0 QREXEC_STARTUP_TIMEOUT=5 "$B/qrexec-daemon" -D --socket-dir "$T/run" 6 evil \
        2> "$T/daemon6.log" &
    dpid=$!
    wait $fpid
    case $expect in
    closed) grep -q '^CLOSED' "$T/fake.out" || ok=0 ;;
    refused) grep -q '^GOT 0x203 32' "$T/fake.out" && grep -q '^STILL_OPEN' "$T/fake.out" || ok=0 ;;
    esac
    # the daemon ends (at the latest when the fake agent hangs up), never hangs
    for i in $(seq 50); do kill -0 $dpid 2>/dev/null || break; sleep 0.1; done
    kill -0 $dpid 2>/dev/null && { ok=0; kill $dpid; }
    # it ends cleanly: a crash or a sanitizer report is a failure
    wait $dpid 2>/dev/null || ok=0
    grep -q 'Sanitizer' "$T/daemon6.log" && ok=0
    # every log line is printable: nothing the VM sent reaches the log raw
    LC_ALL=C grep -q '[^[:print:]]' "$T/daemon6.log" && ok=0
    [ -e "$T/pwned" ] && ok=0
    if [ $ok = 1 ]; then echo "ok $n - $desc"; else
        echo "not ok $n - $desc"; sed 's/^/# fake: /' "$T/fake.out"; sed 's/^/# daemon: /' "$T/daemon6.log"; fi
}

SOCK=$(fixed SOCKET1 32)
echo "1..16"
hostile "unknown message type" 3 closed "0x999:00"
hostile "EXEC_CMDLINE from the VM (only dom0 may send it)" 3 closed \
    "0x200:$(le32 0)$(le32 513)$(str0 "root:touch $T/pwned")"
hostile "DATA_STDOUT on the control link" 3 closed "0x191:41"
hostile "HELLO after the handshake" 3 closed "0x300:$(le32 3)"
hostile "TRIGGER_SERVICE3 shorter than its fixed part" 3 closed "0x212:00"
hostile "TRIGGER_SERVICE3 with an unterminated service name" 3 closed \
    "0x212:$(fixed work 64)$SOCK$(hexof abc)"
hostile "TRIGGER_SERVICE3 with junk after the request id's NUL" 3 closed \
    "0x212:$(fixed work 64)$(hexof SOCKET1)00ff$(printf '0%.0s' $(seq 48))$(str0 qubes.Filecopy)"
hostile "TRIGGER_SERVICE3 with a bad character in the request id" 3 closed \
    "0x212:$(fixed work 64)$(fixed 'SOCK/1' 32)$(str0 qubes.Filecopy)"
hostile "TRIGGER_SERVICE4 on a version 3 link" 3 closed \
    "0x213:$(fixed a 64)$(fixed work 64)$SOCK$(str0 svc)"
hostile "a length of 4 GiB" 3 closed "0x212/0xffffffff:00"
hostile "CONNECTION_TERMINATED for a port that is not in use" 3 closed \
    "0x211:$(le32 0)$(le32 600)"
# a VM that stalls mid-message holds up only its own daemon, which ends
# when the VM hangs up
hostile "a message cut short, then silence: the daemon ends when the VM hangs up" 3 ends \
    "0x212/200:$(fixed work 64)"
hostile "a well-formed call with control characters in its names is refused, logged printable" \
    3 refused "0x212:$(fixed "wo$(printf '\033')rk" 64)$SOCK$(str0 "qubes.Evil$(printf '\n')+x")"
hostile "a version 2 agent: handshake falls back, V2 call refused" 2 refused \
    "0x210:$(fixed qubes.Filecopy 64)$(fixed work 32)$SOCK"

out=$(VCHAN_DOMAIN=0 "$B/qrexec-client" --socket-dir "$T/run" -d work "$U:echo alive")
t "the other VM's daemon kept working and nothing ran" test "$out" = alive -a ! -e "$T/pwned"

t "no sanitizer reports from the other VM's agent and daemon" \
    bash -c "! grep -q Sanitizer '$T/agent5.log' '$T/daemon5.log'"
