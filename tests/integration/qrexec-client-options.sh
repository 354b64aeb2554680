#!/bin/bash
# Integration: qrexec-client's options, with the real binaries over the
# socket vchan: "work" (domain 5) has its agent and the real daemon; "src"
# (domain 7) has its agent and fake-source-daemon, which stands in for the
# daemon of a VM whose call dom0's policy tools connect with -c.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-qrexec-client.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
mkdir -p "$T/vchan" "$T/run" "$T/rpc" "$T/dom0rpc"
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

printf '#!/bin/sh\necho "arg=$1 from=$QREXEC_REMOTE_DOMAIN"\n' > "$T/rpc/test.Echo"
printf '#!/bin/sh\nexec cat\n' > "$T/rpc/test.Cat"
chmod +x "$T"/rpc/*
printf '#!/bin/sh\necho "dom0 arg=$1 from=$QREXEC_REMOTE_DOMAIN type=$QREXEC_REQUESTED_TARGET_TYPE target=$QREXEC_REQUESTED_TARGET keyword=$QREXEC_REQUESTED_TARGET_KEYWORD"\n' \
    > "$T/dom0rpc/test.Dom0"
printf '#!/bin/sh\nexec cat\n' > "$T/dom0rpc/test.Dom0Cat"
chmod +x "$T"/dom0rpc/*

for vm in "5 work" "7 src"; do
    set -- $vm
    QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=$1 "$B/qrexec-agent" --agent-socket "$T/agent.$2" \
        2> "$T/agent.$2.log" &
done
VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D --socket-dir "$T/run" 5 work 2> "$T/daemon.work.log" &
VCHAN_DOMAIN=0 "$B/fake-source-daemon" 7 src "$T/run" "$T/src.events" 2> "$T/fake.log" &
for i in $(seq 100); do [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.src" ] && break; sleep 0.1; done

qc() { VCHAN_DOMAIN=0 "$B/qrexec-client" --socket-dir "$T/run" "$@"; }
from_src() { VCHAN_DOMAIN=7 timeout 30 "$B/qrexec-client-vm" --agent-socket "$T/agent.src" "$@"; }
# usage_error ARGS...: exit 2 and exactly one line on stderr
usage_error() {
    local err rc
    err=$(qc "$@" 2>&1 < /dev/null > /dev/null); rc=$?
    [ $rc = 2 ] && [ "$(wc -l <<< "$err")" = 1 ] && [[ $err == qrexec-client:* ]]
}
# waiting_id: the request id of src's latest call, once its trigger arrived
waiting_id() {
    local i n=$1
    for i in $(seq 100); do
        [ "$(grep -c TRIGGER "$T/src.events" 2>/dev/null)" -ge "$n" ] && break
        sleep 0.1
    done
    grep TRIGGER "$T/src.events" | sed -n "${n}p" | sed 's/.* id=//'
}
. tests/integration/lib/tap.sh

echo "1..19"
t "-p: the prefix reaches the command before our stdin" \
    test "$(echo world | qc -d work -p 'hello ' "$U:cat")" = "hello world"
# a stdin that stays open and never has data: a FIFO we hold a writer of
mkfifo "$T/never"; exec 3<> "$T/never"
out=$(timeout 20 bash -c "VCHAN_DOMAIN=0 '$B/qrexec-client' --socket-dir '$T/run' -d work \
    --prefix-data 'first
' '$U:head -n 1'" < "$T/never"); rc=$?
exec 3>&-
t "--prefix-data is sent at once, without waiting for stdin" test $rc = 0 -a "$out" = first

qc -d work -E "$U:exit 3"; rc=$?
qc -d work "$U:exit 3"; rc2=$?
t "-E: exit 0 once the command has finished, though it exited 3" test $rc = 0 -a $rc2 = 3

printf '0\0' > "$T/qvmd.reply"
"$B/fake-qvmd" "$T/qvmd.sock" "$T/qvmd.log" "$T/qvmd.reply" &
for i in $(seq 50); do [ -S "$T/qvmd.sock" ] && break; sleep 0.1; done
out=$(BULKHEAD_QVMD_SOCKET=$T/qvmd.sock qc -d work -k "$U:echo hi"); rc=$?
t "-k: the call runs, then qvmd gets exactly 'admin.vm.Kill+ dom0 name work\\0'" \
    bash -c "test '$out' = hi -a $rc = 0 && printf 'admin.vm.Kill+ dom0 name work\\0' | cmp -s - '$T/qvmd.log'"
printf '2\0QubesVMNotFoundError\0\0No such domain: %%s\0work\0' > "$T/qvmd.reply"
err=$(BULKHEAD_QVMD_SOCKET=$T/qvmd.sock qc -d work -k "$U:true" 2>&1); rc=$?
t "-k: qvmd's exception is one line, and status 125" \
    test $rc = 125 -a "$err" = "qrexec-client: qvmd did not kill work: QubesVMNotFoundError: No such domain: work"
err=$(BULKHEAD_QVMD_SOCKET=$T/nothing qc -d work -k "$U:echo still-ran" 2>&1); rc=$?
t "-k: an unreachable qvmd is one clear line and status 125; the call itself ran" \
    bash -c "[[ '$err' == 'still-ran'$'\\n''qrexec-client: cannot reach qvmd at $T/nothing to kill work: '* ]] && test $rc = 125"

t "--use-stdin-socket: the command's input and output both use the socket on stdin" \
    test "$(echo abc | VCHAN_DOMAIN=0 "$B/stdin-socket-run" "$B/qrexec-client" --socket-dir "$T/run" \
            -d work --use-stdin-socket "$U:tr a-z A-Z")" = ABC
head -c $((8 << 20)) /dev/urandom > "$T/big"
VCHAN_DOMAIN=0 "$B/stdin-socket-run" "$B/qrexec-client" --socket-dir "$T/run" -d work \
    --use-stdin-socket "$U:QUBESRPC test.Cat dom0" < "$T/big" > "$T/big.back"
t "--use-stdin-socket: 8 MiB there and back, byte for byte, ended by a half-close" \
    cmp -s "$T/big" "$T/big.back"
t "-w 0 (no time limit) makes the call" test "$(qc -d work -w 0 "$U:echo ok")" = ok

# -c: a call from src that dom0 connects, as policy tools do
from_src work test.Echo+viac > "$T/c1.out" & p=$!
id=$(waiting_id 1)
qc -d work -c "$id,src,7" "$U:QUBESRPC test.Echo+viac src"; rc=$?
wait $p; rc2=$?
t "-c: the target daemon runs the service and src's daemon gets SERVICE_CONNECT; the call works" \
    test $rc = 0 -a $rc2 = 0 -a "$(cat "$T/c1.out")" = "arg=viac from=src" -a -n "$id"
t "-c: what src's daemon got is (work's domain, its data port, the request id)" \
    bash -c "grep -q '^CONNECT domain=5 port=5[0-9][0-9] id=$id\$' '$T/src.events'"

from_src work test.Cat < <(echo with-W) > "$T/c2.out" & p=$!
id=$(waiting_id 2)
qc -d work -W -c "$id,src,7" "$U:QUBESRPC test.Cat src"; rc=$?
wait $p
t "-c -W: returns once the daemon lets go; the call works" \
    test $rc = 0 -a "$(cat "$T/c2.out")" = with-W

from_src dom0 test.Dom0+byname > "$T/c3.out" & p=$!
id=$(waiting_id 3)
QREXEC_SERVICE_PATH=$T/dom0rpc qc -d dom0 -c "$id,src,7" "QUBESRPC test.Dom0+byname src name dom0"; rc=$?
wait $p
t "-d dom0 -c: the service runs in dom0 and the caller gets its output" \
    test $rc = 0 -a "$(cat "$T/c3.out")" = "dom0 arg=byname from=src type=name target=dom0 keyword="
from_src @adminvm test.Dom0+kw > "$T/c4.out" & p=$!
id=$(waiting_id 4)
QREXEC_SERVICE_PATH=$T/dom0rpc qc -d @adminvm -c "$id,src,7" "DEFAULT:QUBESRPC test.Dom0+kw src keyword adminvm"
wait $p
t "-d @adminvm -c with a USER: prefix: the service learns it was asked by keyword" \
    test "$(cat "$T/c4.out")" = "dom0 arg=kw from=src type=keyword target= keyword=adminvm"
head -c $((4 << 20)) /dev/urandom > "$T/big"
from_src dom0 test.Dom0Cat < "$T/big" > "$T/big.back" & p=$!
id=$(waiting_id 5)
QREXEC_SERVICE_PATH=$T/dom0rpc qc -d dom0 -c "$id,src,7" "QUBESRPC test.Dom0Cat src name dom0"
wait $p
t "-d dom0 -c: 4 MiB to the dom0 service and back, byte for byte" cmp -s "$T/big" "$T/big.back"
t "... dom0 asked src's daemon for a port with SERVICE_CONNECT (0, 0, id)" \
    bash -c "grep -q '^CONNECT domain=0 port=0 id=$id\$' '$T/src.events'"

bad_c() {
    local c
    for c in x id,src id,src,0 id,src,7,8 id,src,7x id,src,+7 id,src,99999 'i$d,src,7' ,src,7 \
        id,,7 'id,bad name,7' id,src-dm,7 "$(printf 'x%.0s' $(seq 32)),src,7"; do
        usage_error -d work -c "$c" "$U:true" || { echo "# accepted -c '$c'" >&2; return 1; }
    done
}
t "-c is parsed strictly: each bad form is exit 2 and one line" bad_c

bad_usage() {
    usage_error -d work -w 5s "$U:true" && usage_error -d work -w -1 "$U:true" &&
        usage_error -d work -e -l cat "$U:true" && usage_error -d work -e -p x "$U:true" &&
        usage_error -d work -l cat --use-stdin-socket "$U:true" &&
        usage_error -d work --use-stdin-socket "$U:true" &&
        usage_error -d dom0 "QUBESRPC test.Dom0 src name dom0" &&
        usage_error -d dom0 -c id,src,7 "$U:echo not-rpc" &&
        usage_error -d dom0 -k -c id,src,7 "QUBESRPC test.Dom0 src name dom0"
}
t "bad combinations, a bad -w, a stdin that is not a socket: exit 2 and one line" bad_usage

t "no sanitizer reports from the agents and the daemon" \
    bash -c "! grep -q Sanitizer '$T'/*.log"
