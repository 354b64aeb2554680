#!/bin/bash
# Integration: qrexec-client -> qrexec-daemon -> qrexec-agent, the real
# binaries over the socket vchan (dom0 = domain 0, the VM = domain 5):
# commands and RPC services from dom0, their data and exit codes.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-qrexec-it.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
mkdir -p "$T/vchan" "$T/run" "$T/rpc" "$T/rpc-config"
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)   # as root the agent switches users
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

cat > "$T/rpc/test.Echo" <<'S'
#!/bin/sh
echo "arg=$1 from=$QREXEC_REMOTE_DOMAIN full=$QREXEC_SERVICE_FULL_NAME leaked=${QREXEC_LEAK:-none}"
S
printf '#!/bin/sh\necho generic\n' > "$T/rpc/test.Pref"
printf '#!/bin/sh\necho specific\n' > "$T/rpc/test.Pref+x"
printf '#!/bin/sh\nexec cat\n' > "$T/rpc/test.Cat"
printf '#!/bin/sh\necho done; exec >&-; sleep 30\n' > "$T/rpc/test.EarlyEof"
printf '#!/bin/sh\ncat > /dev/null; sleep 30\n' > "$T/rpc/test.Lingers"
printf '#!/bin/sh\ntouch %s/session-waited\n' "$T" > "$T/rpc/qubes.WaitForSession"
printf '#!/bin/sh\ntest -e %s/session-waited && echo after-session\n' "$T" > "$T/rpc/test.Session"
printf '#!/bin/sh\necho must-not-run\n' > "$T/rpc/test.BadConfig"
chmod +x "$T"/rpc/*
"$B/tcp-echo" > "$T/tcp.port" &
for i in $(seq 50); do [ -s "$T/tcp.port" ] && break; sleep 0.1; done
TCP=$(cat "$T/tcp.port")
ln -s "/dev/tcp/127.0.0.1/$TCP" "$T/rpc/test.TcpFull"
ln -s /dev/tcp/127.0.0.1 "$T/rpc/test.TcpHost"
ln -s /dev/tcp "$T/rpc/test.TcpAny"
echo "exit-on-service-eof = true" > "$T/rpc-config/test.EarlyEof"
echo "exit-on-client-eof = true" > "$T/rpc-config/test.Lingers"
echo "wait-for-session = true" > "$T/rpc-config/test.Session"
echo "no-such-key = true" > "$T/rpc-config/test.BadConfig"

QREXEC_LEAK=yes QREXEC_SERVICE_PATH=$T/nonexistent:$T/rpc QUBES_RPC_CONFIG_PATH=$T/rpc-config \
    VCHAN_DOMAIN=5 \
    "$B/qrexec-agent" --agent-socket "$T/agent.sock" 2> "$T/agent.log" &
VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D -u 0f8fad5b-d9cb-469f-a165-70867728950e \
    --socket-dir "$T/run" 5 work 2> "$T/daemon.log" &
for i in $(seq 100); do [ -S "$T/run/qrexec.5" ] && break; sleep 0.1; done

qc() { VCHAN_DOMAIN=0 "$B/qrexec-client" --socket-dir "$T/run" "$@"; }
. tests/integration/lib/tap.sh

echo "1..19"
t "daemon listens as qrexec.5 with links for the name and the uuid" \
    test -S "$T/run/qrexec.5" -a -L "$T/run/qrexec.work" -a \
         -L "$T/run/qrexec.uuid:0f8fad5b-d9cb-469f-a165-70867728950e"

out=$(qc -d work "$U:echo out; echo err >&2; exit 3" 2> "$T/err"); rc=$?
t "a command's stdout, stderr and exit code come back" \
    test "$out" = out -a "$(cat "$T/err")" = err -a $rc = 3

t "stdin reaches the command" test "$(echo abc | qc -d 5 "$U:tr a-z A-Z")" = ABC

out=$(qc -d work "$U:QUBESRPC test.Echo+hello dom0")
t "an RPC service gets its argument and QREXEC_* environment, nothing inherited" \
    test "$out" = "arg=hello from=dom0 full=test.Echo+hello leaked=none"

t "SERVICE+ARG is found before SERVICE" \
    test "$(qc -d work "$U:QUBESRPC test.Pref+x dom0")" = specific -a \
         "$(qc -d work "$U:QUBESRPC test.Pref+y dom0")" = generic

qc -d work "$U:QUBESRPC test.Missing dom0"; rc=$?
t "a service that does not exist exits 127" test $rc = 127

qc -d work -e "$U:touch $T/just-exec-ran"; rc=$?
for i in $(seq 50); do [ -e "$T/just-exec-ran" ] && break; sleep 0.1; done
t "-e starts the command and returns 0" test $rc = 0 -a -e "$T/just-exec-ran"

qc -d work -l "echo ping; exec cat > $T/local.out" "$U:tr a-z A-Z"
t "-l connects the command's stdin and stdout to a local program" \
    test "$(cat "$T/local.out")" = PING

head -c $((256 << 20)) /dev/urandom > "$T/big"
qc -d work "$U:QUBESRPC test.Cat dom0" < "$T/big" > "$T/big.back"
t "256 MiB through an RPC service and back, byte for byte" cmp -s "$T/big" "$T/big.back"
rm -f "$T/big" "$T/big.back"

many() {
    local i pids=() rc=0
    for i in $(seq 64); do
        (test "$(qc -d work "$U:echo call-$i")" = "call-$i") & pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || rc=1; done
    return $rc
}
t "64 calls at once" many

ports() {   # more calls than there are data ports: each must be freed again
    local i
    for i in $(seq 300); do qc -d work "$U:true" || return 1; done
}
t "300 sequential calls: data ports are freed when calls end" ports

t "an unknown VM is a clear error with exit 125" \
    bash -c "VCHAN_DOMAIN=0 '$B/qrexec-client' --socket-dir '$T/run' -d nosuchvm 'x:true' 2>&1 |
             grep -q 'cannot reach the qrexec daemon of nosuchvm'; test \${PIPESTATUS[0]} = 125"

out=$(qc -d work -t -T "$U:printf 'a\\033[2Jb\\001c\\n'; printf 'e\\033]0;x\\007f' >&2" 2> "$T/err")
t "-t/-T replace escape sequences and control bytes in stdout and stderr" \
    test "$out" = "a_[2Jb_c" -a "$(cat "$T/err")" = "e_]0;x_f"

out=$(timeout 15 bash -c "VCHAN_DOMAIN=0 '$B/qrexec-client' --socket-dir '$T/run' -d work '$U:QUBESRPC test.EarlyEof dom0'"); rc=$?
t "rpc-config exit-on-service-eof: the call ends when the service's stdout does" \
    test $rc = 0 -a "$out" = done
echo x | timeout 15 bash -c "VCHAN_DOMAIN=0 '$B/qrexec-client' --socket-dir '$T/run' -d work '$U:QUBESRPC test.Lingers dom0'"; rc=$?
t "rpc-config exit-on-client-eof: the call ends when the caller's stdin does" test $rc = 0
t "rpc-config wait-for-session runs qubes.WaitForSession first" \
    test "$(qc -d work "$U:QUBESRPC test.Session dom0")" = after-session
out=$(qc -d work "$U:QUBESRPC test.BadConfig dom0" 2>/dev/null); rc=$?
t "a service whose rpc-config is invalid is not run (125)" test $rc = 125 -a -z "$out"

tcp() {
    test "$(echo "via-$1" | qc -d work "$U:QUBESRPC $1 dom0")" = "via-$1"
}
t "/dev/tcp services: /dev/tcp/HOST/PORT, /dev/tcp/HOST (+PORT) and /dev/tcp (+HOST+PORT)" \
    bash -c "$(declare -f qc tcp); B='$B' T='$T' U='$U'; tcp test.TcpFull && tcp test.TcpHost+$TCP && tcp test.TcpAny+127.0.0.1+$TCP"

t "no sanitizer reports from the agent and the daemon" \
    bash -c "! grep -q Sanitizer '$T/agent.log' '$T/daemon.log'"
