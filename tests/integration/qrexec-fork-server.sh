#!/bin/bash
# Integration: qrexec-agent hands calls to a qrexec-fork-server (real
# binaries over the socket vchan; dom0 = domain 0, the VM = domain 5). The
# fork server runs as the user the tests run as (root in CI, the agent then
# being root too): calls run in its process tree with its environment, data
# and exit codes flow, the agent frees each port when the call ends, and
# malformed requests or requests from another uid are refused without
# disturbing it.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-forkserver-it.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
mkdir -p "$T/vchan" "$T/run" "$T/rpc" "$T/fs"
U=$(id -un)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

. tests/integration/lib/hexmsg.sh
. tests/integration/lib/tap.sh

# The parent of the service's parent: the process the call ran in belongs
# to the fork server when this is the fork server's pid.
cat > "$T/rpc/test.Tree" <<'S'
#!/bin/sh
echo "pp=$(cut -d' ' -f4 /proc/$PPID/stat) mark=${FS_MARK:-none} arg=$1 from=$QREXEC_REMOTE_DOMAIN"
S
printf '#!/bin/sh\nexec cat\n' > "$T/rpc/test.Cat"
printf '#!/bin/sh\ncat > /dev/null; echo bye; exit 7\n' > "$T/rpc/test.Exit"
chmod +x "$T"/rpc/*

FS_MARK=forked QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=5 \
    "$B/qrexec-fork-server" --socket "$T/fs/qrexec-server.$U.sock" 2> "$T/fs.log" &
FS=$!
QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=5 "$B/qrexec-agent" --agent-socket "$T/agent.sock" \
    --fork-server-socket "$T/fs/qrexec-server.%s.sock" 2> "$T/agent.log" &
VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D --socket-dir "$T/run" 5 work 2> "$T/daemon.log" &
# the same VM again (domain 6), its agent told not to use fork servers
QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=6 "$B/qrexec-agent" --agent-socket "$T/agent6.sock" \
    --fork-server-socket "$T/fs/qrexec-server.%s.sock" --no-fork-server 2> "$T/agent6.log" &
VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D --socket-dir "$T/run" 6 other 2> "$T/daemon6.log" &
for i in $(seq 100); do
    [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.6" ] && [ -S "$T/fs/qrexec-server.$U.sock" ] && break
    sleep 0.1
done

qc() { VCHAN_DOMAIN=0 "$B/qrexec-client" --socket-dir "$T/run" "$@"; }
# forkreq TYPE DOMAIN PORT CMDLINE: a request's bytes in hex
forkreq() {
    printf '42465331%s%s%s%s%s' "$(le32 "$1")" "$(le32 "$2")" "$(le32 "$3")" \
        "$(le32 $((${#4} + 1)))" "$(str0 "$4")"
}
# refused DESCRIPTION HEX...: the fork server closes without answering, and lives on
refused() {
    local desc=$1 ok=1; shift
    n=$((n + 1))
    timeout 20 "$B/unix-peer" "$T/fs/qrexec-server.$U.sock" "$@" > "$T/peer.out" 2>&1
    grep -q '^CLOSED$' "$T/peer.out" && ! grep -q '^GOT' "$T/peer.out" || ok=0
    kill -0 $FS 2>/dev/null || ok=0
    if [ $ok = 1 ]; then echo "ok $n - $desc"; else
        echo "not ok $n - $desc"; sed 's/^/# peer: /' "$T/peer.out"; tail -3 "$T/fs.log" | sed 's/^/# fs: /'; fi
}

echo "1..26"
t "the fork server listens on its socket, which only its user may open" \
    test "$(stat -c %a "$T/fs/qrexec-server.$U.sock")" = 600

out=$(qc -d work "$U:QUBESRPC test.Tree+x dom0")
t "an RPC service runs in the fork server's process tree, with its environment" \
    test "$out" = "pp=$FS mark=forked arg=x from=dom0"

out=$(qc -d work "$U:echo \$FS_MARK; echo err >&2; exit 3" 2> "$T/err"); rc=$?
t "a command's stdout, stderr and exit code come back from the fork server" \
    test "$out" = forked -a "$(cat "$T/err")" = err -a $rc = 3

out=$(echo in | qc -d work "$U:QUBESRPC test.Exit dom0"); rc=$?
t "stdin reaches the service, and its exit code comes back" test "$out" = bye -a $rc = 7

head -c $((32 << 20)) /dev/urandom > "$T/big"
qc -d work "$U:QUBESRPC test.Cat dom0" < "$T/big" > "$T/big.back"
t "32 MiB through a fork server's service and back, byte for byte" cmp -s "$T/big" "$T/big.back"
rm -f "$T/big" "$T/big.back"

qc -d work -e "$U:touch $T/just-exec-ran"; rc=$?
for i in $(seq 50); do [ -e "$T/just-exec-ran" ] && break; sleep 0.1; done
t "-e (JUST_EXEC) through the fork server starts the command" test $rc = 0 -a -e "$T/just-exec-ran"

ports() {   # more calls than data ports: each is freed when its call ends
    local i
    for i in $(seq 300); do test "$(qc -d work "$U:echo \$FS_MARK")" = forked || return 1; done
}
t "300 sequential calls: the agent frees each port when the fork server's call ends" ports

many() {
    local i pids=() rc=0
    for i in $(seq 32); do
        (test "$(qc -d work "$U:QUBESRPC test.Tree+$i dom0")" = "pp=$FS mark=forked arg=$i from=dom0") &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || rc=1; done
    return $rc
}
t "32 calls at once through the fork server" many

out=$(qc -d other "$U:QUBESRPC test.Tree+y dom0")
t "--no-fork-server: the agent runs the call itself" \
    test "${out%% *}" != "pp=$FS" -a "${out#* }" = "mark=none arg=y from=dom0"

# malformed requests, straight to the socket
GOOD=$(forkreq 512 0 999 "$U:true")
refused "bytes that are no request" "$(hexof 'hello, fork server')"
refused "a connection closed without a byte"
refused "half a head" "${GOOD:0:20}"
refused "the wrong magic" "52465331${GOOD:8}"
refused "a type other than EXEC_CMDLINE or JUST_EXEC" "${GOOD:0:8}$(le32 0x300)${GOOD:16}"
refused "a command line size of 0" "${GOOD:0:32}$(le32 0)"
refused "a command line size over 65535" "${GOOD:0:32}$(le32 65536)$(hexof "$U:true")00"
refused "fewer bytes than the size announces" "${GOOD:0:32}$(le32 100)$(hexof "$U:true")00"
refused "a command line without its NUL" "${GOOD:0:32}$(le32 $((${#U} + 6)))$(hexof "$U:true")78"
refused "a NUL inside the command line" "${GOOD:0:32}$(le32 $((${#U} + 6)))$(hexof "$U:t")00$(hexof ue)00"
refused "a command line without a user" "$(forkreq 512 0 999 true)"
refused "a domain beyond the vchan API's range" "${GOOD:0:16}$(le32 0x80000000)${GOOD:24}"

"$B/unix-peer" --hold "$T/fs/qrexec-server.$U.sock" "${GOOD:0:20}" > "$T/held.out" &
HELD=$!
sleep 0.5
out=$(qc -d work "$U:echo \$FS_MARK")
wait $HELD
t "a request that stalls is dropped after a while, and the next call is served" \
    test "$out" = forked -a "$(cat "$T/held.out")" = CLOSED

if [ "$(id -u)" = 0 ]; then
    chmod 755 "$T" "$T/fs"
    chmod 666 "$T/fs/qrexec-server.$U.sock"
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$B/unix-peer" "$T/fs/qrexec-server.$U.sock" "$(forkreq 513 0 999 "$U:touch $T/pwned")" \
        > "$T/peer.out" 2>&1
    chmod 600 "$T/fs/qrexec-server.$U.sock"
    t "a request from another uid is refused, even when the socket is open to all" \
        bash -c "grep -qx CLOSED '$T/peer.out' && ! grep -q GOT '$T/peer.out' &&
                 grep -q 'refusing a request from uid 65534' '$T/fs.log' && kill -0 $FS"
else
    n=$((n + 1)); echo "ok $n # skip a request from another uid: not root"
fi

t "after all that, calls still go through the fork server" \
    test "$(qc -d work "$U:QUBESRPC test.Tree+z dom0")" = "pp=$FS mark=forked arg=z from=dom0"

kill $FS; wait $FS 2>/dev/null
out=$(qc -d work "$U:QUBESRPC test.Tree+w dom0")
t "a fork server that has gone (its socket left behind): the agent runs the call itself" \
    test -S "$T/fs/qrexec-server.$U.sock" -a "${out#* }" = "mark=none arg=w from=dom0"

t "no sanitizer reports from the agents, the fork server and the daemons" \
    bash -c "! grep -q Sanitizer '$T/agent.log' '$T/agent6.log' '$T/fs.log' '$T/daemon.log' '$T/daemon6.log'"
