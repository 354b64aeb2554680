#!/bin/bash
# Integration: VM-to-VM calls decided by a policy daemon on the socket (the
# path a real system takes), here the interim policy in --daemon mode:
# allow and deny, a policy file edited while running, a broken edit that
# must leave the previous rules in force. The daemons get no policy
# program, so every decision below came over the socket.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-qrexec-pd.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
export BULKHEAD_POLICY_SOCKET=$T/policy.sock
mkdir -p "$T/vchan" "$T/run" "$T/rpc"
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

printf '#!/bin/sh\necho "hello from $QREXEC_REMOTE_DOMAIN"\n' > "$T/rpc/test.Hello"
printf '#!/bin/sh\ntouch %s/other-ran\n' "$T" > "$T/rpc/test.Other"
chmod +x "$T"/rpc/*
printf 'test.Hello * work personal allow user=%s\n* * @anyvm @anyvm deny\n' "$U" > "$T/policy"
"$B/qrexec-policy-simple" --file "$T/policy" --daemon --socket "$T/policy.sock" \
    2> "$T/policy.log" &
for vm in "5 work" "6 personal"; do
    set -- $vm
    QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=$1 "$B/qrexec-agent" --agent-socket "$T/agent.$2" \
        2> "$T/agent.$2.log" &
    VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D -p /nonexistent/policy-program --socket-dir "$T/run" \
        "$1" "$2" 2> "$T/daemon.$2.log" &
done
for i in $(seq 100); do
    [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.6" ] && [ -S "$T/policy.sock" ] && break
    sleep 0.1
done
call() { VCHAN_DOMAIN=5 "$B/qrexec-client-vm" --agent-socket "$T/agent.work" personal "$@"; }
. tests/integration/lib/tap.sh

echo "1..8"
out=$(call test.Hello); rc=$?
t "the policy daemon allows work -> personal test.Hello" \
    test "$rc:$out" = "0:hello from work"
err=$(call test.Other 2>&1); rc=$?
t "it denies what no rule allows: exit 126, Request refused, nothing ran" \
    test "$rc:$err" = "126:Request refused" -a ! -e "$T/other-ran"
# back to back from one program, with both CPUs kept busy: a service that
# needs no input can finish before the caller has sent its EOF, and that
# must not cost the caller the exit code already on its way
ln -s "$(type -P true)" "$T/rpc/test.True"
sed -i "1i test.True * work personal allow user=$U" "$T/policy"
sleep 1.1
busy=()
for k in 1 2; do timeout 20 sh -c 'while :; do :; done' & busy+=($!); done
VCHAN_DOMAIN=5 "$B/qrexec-call-loop" --vm personal --agent-socket "$T/agent.work" -n 300 \
    test.True > "$T/loop.out" 2>&1; rc=$?
kill "${busy[@]}" 2>/dev/null
t "300 calls back to back under CPU load: every one returns its exit code" \
    bash -c "test $rc = 0 && grep -q '^calls=300 ' '$T/loop.out'"
sleep 1.1 # a new mtime second, so the edit is seen even on coarse clocks
printf 'test.Hello * work personal allow user=%s\ntest.Other * work personal allow user=%s\n' \
    "$U" "$U" > "$T/policy"
call test.Other; rc=$?
t "an edited policy file takes effect without a restart" test "$rc" = 0 -a -e "$T/other-ran"
sleep 1.1
printf 'test.Hello * work personal maybe\n' > "$T/policy"
out=$(call test.Hello); rc=$?
t "a broken edit leaves the previous rules in force" test "$rc:$out" = "0:hello from work"
t "and the policy daemon says why, naming the line" \
    grep -q "line 1" "$T/policy.log"
kill %1 2>/dev/null; wait %1 2>/dev/null
rm -f "$T/policy.sock"
err=$(call test.Hello 2>&1); rc=$?
t "no policy daemon and no policy program: the call is denied (fail closed)" \
    test "$rc" = 126
t "the daemons survived all of it" test -S "$T/run/qrexec.5" -a -S "$T/run/qrexec.6"
