#!/bin/bash
# Integration: what qrexec-daemon does with a dom0 client's SERVICE_CONNECT
# (qrexec-client -c, the way older policy tools connect a call a VM asked
# for) and with a relayed call (qrexec-client-vm -s, a V4 trigger).
# The calling VM "src" (domain 9) is qrexec-fake-peer as its agent, so the
# test sees exactly what the real daemon forwards to it.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-qrexec-connect.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
export BULKHEAD_POLICY_SOCKET=$T/policy.sock
mkdir -p "$T/vchan" "$T/run" "$T/rpc" "$T/dom0rpc"
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. tests/integration/lib/tap.sh

printf '#!/bin/sh\necho hi\n' > "$T/rpc/test.Echo"
printf '#!/bin/sh\necho dom0\n' > "$T/dom0rpc/test.Dom0"
chmod +x "$T"/rpc/* "$T"/dom0rpc/*
printf 'test.Echo * @anyvm @anyvm allow user=%s\n' "$U" > "$T/policy"
"$B/qrexec-policy-simple" --file "$T/policy" --daemon --socket "$T/policy.sock" \
    2> "$T/policy.log" &
QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=5 "$B/qrexec-agent" --agent-socket "$T/agent.work" \
    2> "$T/agent.work.log" &
VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D --socket-dir "$T/run" 5 work 2> "$T/daemon.work.log" &
VCHAN_DOMAIN=9 "$B/qrexec-fake-peer" agent 3 > "$T/fake.out" 2>&1 &
FAKE=$!
VCHAN_DOMAIN=0 QREXEC_STARTUP_TIMEOUT=5 "$B/qrexec-daemon" -D --socket-dir "$T/run" 9 src \
    2> "$T/daemon.src.log" &
for i in $(seq 100); do [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.9" ] && break; sleep 0.1; done
qc() { VCHAN_DOMAIN=0 "$B/qrexec-client" --socket-dir "$T/run" "$@"; }

echo "1..5"
# A: the call runs in work; src's daemon passes work's data port on to src
qc -w 1 -d work -c "req-a,src,9" "$U:QUBESRPC test.Echo src" 2> "$T/a.err"; rca=$?
# B, twice: the call is served in dom0; src's daemon gives the client a port
# and tells src to serve it (the fake agent never does: the client times out
# and goes away, which must free the port for the next one)
for r in req-b req-c; do
    QREXEC_SERVICE_PATH=$T/dom0rpc qc -w 1 -d dom0 -c "$r,src,9" \
        "QUBESRPC test.Dom0 src name dom0" 2> "$T/$r.err"
done
wait $FAKE
. tests/integration/lib/hexmsg.sh
got() { grep '^GOT 0x202 40 ' "$T/fake.out" | sed -n "$1p" | cut -d' ' -f4; }
a=$(got 1) b=$(got 2) c=$(got 3)
t "-c to a VM: exit 0 once work runs it" test "$rca" = 0
t "-c to a VM: src is told to serve work (domain 5) on a data port, for req-a" \
    test "${a:0:8}" = "$(le32 5)" -a "${a:16:10}" = "$(hexof req-a)" -a "${a:8:8}" != 00000000
t "-c to dom0: src is told to serve dom0 (domain 0) on a port, for req-b" \
    test "${b:0:8}" = "$(le32 0)" -a "${b:16:10}" = "$(hexof req-b)" -a "${b:8:8}" != 00000000
t "the port is freed when the dom0 client goes away: req-c gets the same one" \
    test -n "$c" -a "${c:8:8}" = "${b:8:8}"
# C: a relayed call (-s): the interim policy denies it, and says why
err=$(VCHAN_DOMAIN=5 "$B/qrexec-client-vm" --agent-socket "$T/agent.work" -s personal \
    src test.Echo 2>&1); rc=$?
t "a call made on behalf of another qube (-s) reaches policy as such and is denied" \
    bash -c "test $rc = 126 && grep -q 'on behalf of personal' '$T/policy.log'"
