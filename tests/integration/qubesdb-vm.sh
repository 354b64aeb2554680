#!/bin/bash
# Integration: the qube's side of QubesDB. dom0's qubesdb-daemon and
# qubesdb-vm-daemon over the socket vchan; dom0 writes with qubesdb-cmd, the
# qube uses qubesdb-read/-write/-rm/-list/-multiread/-watch through the VM
# daemon's socket: values, watches, the qube's write rights, hostile local
# clients, and the VM daemon ending when dom0's side goes away.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
D=$(mktemp -d /tmp/bulkhead-qdbvm-it.XXXXXX)
DPID= VPID=
trap 'kill $DPID $VPID 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
export VCHAN_SOCKET_DIR=$D BULKHEAD_VCHAN=socket QUBESDB_SOCKET=$D/vm.sock
. tests/integration/lib/tap.sh
S=$D/qubesdb.work.sock
start_dom0() {
    rm -f "$S"
    VCHAN_DOMAIN=0 "$B/qubesdb-daemon" --socket-dir "$D" 5 work 2>> "$D/daemon.log" & DPID=$!
    for _ in $(seq 100); do [ -S "$S" ] && break; sleep 0.1; done
}
wait_sock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done; return 1; }
cmd() { "$B/qubesdb-cmd" --socket "$S" "$@"; }
q() { local c=$1; shift; timeout 20 "$B/qubesdb-$c" "$@"; }
# retry a dom0 write until a waiting process has seen it (no sleeps as limits)
write_until_done() {  # PID KEY VALUE
    for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; cmd write "$2" "$3"; sleep 0.05; done
    return 1
}
echo "1..18"

start_dom0
cmd write /name work && cmd write /qubes-ip 10.137.0.5 && cmd write /qubes-service/meminfo-writer 1
cmd write /qubes-service/cups 0 && cmd write /odd "$(printf 'a\tb\\c')"
VCHAN_DOMAIN=5 "$B/qubesdb-vm-daemon" --socket "$D/vm.sock" --ro-socket "$D/vm.ro.sock" \
    2> "$D/vm.log" & VPID=$!
wait_sock "$D/vm.sock"

t "qubesdb-read prints a value dom0 wrote; -f prints the path too" \
    eval '[ "$(q read /name)" = work ] && [ "$(q read -f /qubes-ip)" = "/qubes-ip = 10.137.0.5" ]'
t "a missing key: exit 1 with a message, nothing printed with -q" eval \
    '! q read /nope 2> "$D/err" && grep -q "/nope" "$D/err" && ! q read -q /nope 2> "$D/err" && [ ! -s "$D/err" ]'
t "unprintable bytes and backslashes are escaped, -r prints them raw" eval \
    '[ "$(q read /odd)" = "a\\x09b\\x5cc" ] && [ "$(q read -r /odd)" = "$(printf "a\tb\\\\c")" ]'
t "qubesdb-list prints keys under the prefix, relative or with -f full" eval \
    '[ "$(q list /qubes-service/ | tr "\n" " ")" = "cups meminfo-writer " ] &&
     [ "$(q list -f /qubes-service/ | tr "\n" " ")" = "/qubes-service/cups /qubes-service/meminfo-writer " ]'
t "qubesdb-multiread prints PATH = VALUE lines" eval \
    '[ "$(q multiread /qubes-service/ | tr "\n" ";")" = "cups = 0;meminfo-writer = 1;" ] &&
     [ "$(q multiread -f /qubes-i)" = "/qubes-ip = 10.137.0.5" ]'

q watch /qubes-timezone > "$D/w1" & W=$!
q watch -n 2 /qubes-firewall/ > "$D/w2" & W2=$!
write_until_done $W /qubes-timezone UTC; wait $W; r1=$?
write_until_done $W2 /qubes-firewall/10.137.0.9/policy drop; wait $W2; r2=$?
t "qubesdb-watch prints the key when dom0 writes it" eval '[ $r1 = 0 ] && grep -qx /qubes-timezone "$D/w1"'
t "a watch on a prefix fires for keys under it, -n counts changes" eval \
    '[ $r2 = 0 ] && [ "$(grep -cx /qubes-firewall/10.137.0.9/policy "$D/w2")" = 2 ]'

q read -w /qubes-late > "$D/late" & W=$!
write_until_done $W /qubes-late here; wait $W; r=$?
t "qubesdb-read -w waits for a key to appear" eval '[ $r = 0 ] && [ "$(cat "$D/late")" = here ]'

t "the qube writes under /features-request/ and /qubes-tools/; dom0 sees it" eval \
    'q write /features-request/gui 1 /qubes-tools/version 4 &&
     [ "$(cmd read /features-request/gui)" = 1 ] && [ "$(cmd read /qubes-tools/version)" = 4 ] &&
     q rm /features-request/gui && ! cmd read /features-request/gui 2>/dev/null'
t "the qube's writes and removals elsewhere are refused; dom0's values stay" eval \
    '! q write /name evil 2> "$D/err" && grep -q refused "$D/err" && ! q rm -q /qubes-ip &&
     [ "$(cmd read /name)" = work ] && [ "$(cmd read /qubes-ip)" = 10.137.0.5 ]'

t "the read-only socket reads and lists but may not write or remove" eval \
    '[ "$(q read --socket "$D/vm.ro.sock" /name)" = work ] &&
     [ "$(q list --socket "$D/vm.ro.sock" /qubes-service/ | wc -l)" = 2 ] &&
     ! q write --socket "$D/vm.ro.sock" -q /qubes-tools/ro 1 &&
     ! q rm --socket "$D/vm.ro.sock" -q /qubes-tools/version &&
     ! cmd read /qubes-tools/ro 2>/dev/null && [ "$(cmd read /qubes-tools/version)" = 4 ]'

big=$(head -c 3072 /dev/zero | tr '\0' x)
t "a 3072-byte value round-trips; 3073 bytes are refused by the library" eval \
    'q write /qubes-tools/big "$big" && [ "$(q read /qubes-tools/big)" = "$big" ] &&
     [ "$(cmd read /qubes-tools/big)" = "$big" ] && ! q write -q /qubes-tools/big "${big}x"'

# two watchers of one key: one leaves, the other is still told
# (appends: the file is emptied below while it runs)
q watch -n 0 /qubes-shared >> "$D/wa" 2>/dev/null & WA=$!
q watch /qubes-shared > "$D/wb" & WB=$!
write_until_done $WB /qubes-shared 1; wait $WB
for _ in $(seq 200); do grep -q . "$D/wa" && break; sleep 0.05; done
: > "$D/wa"; q watch /qubes-shared > "$D/wc" & WC=$!
write_until_done $WC /qubes-shared 2; wait $WC
for _ in $(seq 200); do grep -q . "$D/wa" && break; cmd write /qubes-shared 3; sleep 0.05; done
kill $WA; wait $WA 2>/dev/null
t "two clients watching one key are both told; one leaving keeps the other's watch" eval \
    'grep -qx /qubes-shared "$D/wb" && grep -qx /qubes-shared "$D/wc" && grep -qx /qubes-shared "$D/wa"'

hostile() {  # connects, sends bytes, lingers; the daemon must serve others meanwhile
    python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(bytes.fromhex(sys.argv[2]))
time.sleep(float(sys.argv[3]))' "$D/vm.sock" "$1" "$2"
}
hostile "$(head -c 200 /dev/urandom | od -v -An -tx1 | tr -d ' \n')" 0.2 &
hostile "00" 3 & HP=$!   # half a header, then nothing
hostile "63$(head -c 71 /dev/zero | od -v -An -tx1 | tr -d ' \n')" 0.2
# asks (multiread of everything, watch) and leaves before the answers
hostile "02$(printf / | od -An -tx1 | tr -d ' \n')$(head -c 70 /dev/zero | od -v -An -tx1 | tr -d ' \n')05$(printf /name | od -An -tx1 | tr -d ' \n')$(head -c 66 /dev/zero | od -v -An -tx1 | tr -d ' \n')" 0
t "garbage, half messages, clients leaving before their answer: others are still served" eval \
    '[ "$(q read /name)" = work ] && kill -0 $VPID && grep -q "malformed" "$D/vm.log" &&
     cmd write /name work && [ "$(q read /name)" = work ]'
wait $HP

# a client that asks and never reads its (large) replies
python3 -c 'import socket,sys,struct,time
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
h=bytes([2])+b"/".ljust(64,b"\0")+b"\0\0\0"+struct.pack("<I",0)
for _ in range(50): s.sendall(h)
time.sleep(1)' "$D/vm.sock" & HP=$!
t "a client that does not read its replies stalls nobody" eval '[ "$(q read /name)" = work ]'
wait $HP

t "qubesdb-cmd (dom0) and the library agree: list and multiread of / over both daemons" eval \
    '[ "$(cmd list / | sort)" = "$(q list -f / | sort)" ] && [ "$(q multiread -f / | wc -l)" = "$(cmd multiread / | wc -l)" ]'

kill $DPID; wait $DPID 2>/dev/null
wait $VPID; r=$?; VPID=
t "dom0's daemon going away ends the VM daemon, non-zero" eval '[ $r != 0 ] && grep -q "dom0 closed" "$D/vm.log"'

start_dom0
cmd write /name again
VCHAN_DOMAIN=5 "$B/qubesdb-vm-daemon" --socket "$D/vm2.sock" --ro-socket "$D/vm2.ro.sock" --daemonize 2>> "$D/vm.log"; r=$?
t "--daemonize returns once connected and listening" eval \
    '[ $r = 0 ] && [ "$(QUBESDB_SOCKET=$D/vm2.sock q read /name)" = again ]'
kill $DPID; wait $DPID 2>/dev/null; DPID=
