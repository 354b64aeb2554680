#!/bin/bash
# Integration: qubesdb-daemon over the socket vchan with a scripted fake VM
# (qubesdb-fake-vm) and dom0 clients (qubesdb-cmd): reads, the VM's write
# rights, watches, and malformed VM messages that end only the VM's
# connection.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
D=$(mktemp -d /tmp/bulkhead-qdb-it.XXXXXX)
trap 'kill $DPID 2>/dev/null; rm -rf "$D"' EXIT
export VCHAN_SOCKET_DIR=$D BULKHEAD_VCHAN=socket
. tests/integration/lib/tap.sh
S=$D/qubesdb.work.sock
VCHAN_DOMAIN=0 "$B/qubesdb-daemon" --socket-dir "$D" 5 work 2> "$D/daemon.log" & DPID=$!
for _ in $(seq 50); do [ -S "$S" ] && break; sleep 0.1; done
cmd() { "$B/qubesdb-cmd" --socket "$S" "$@"; }
vm() { VCHAN_DOMAIN=5 timeout 10 "$B/qubesdb-fake-vm" 0 > "$D/vm.out" 2>&1; }
has() { grep -qxF -- "$1" "$D/vm.out"; }
hdr() { python3 -c 'import sys,struct; t,p,l=int(sys.argv[1]),sys.argv[2].encode(),int(sys.argv[3]); print((bytes([t])+p.ljust(64,b"\0")[:64]+b"\0\0\0"+struct.pack("<I",l)).hex())' "$@"; }
echo "1..14"

cmd write /name work && cmd write /qubes-ip 10.137.0.5 && cmd write /qubes-service/meminfo-writer 1
t "dom0 writes and reads back through the local socket" [ "$(cmd read /name)" = work ]
ro() { "$B/qubesdb-cmd" --socket "$D/qubesdb.work.ro.sock" "$@"; }
t "the .ro socket reads but may not write or remove" eval \
    '[ "$(ro read /name)" = work ] && ! ro write /name x 2>/dev/null && ! ro rm /name 2>/dev/null &&
     [ "$(cmd read /name)" = work ]'

printf 'read /name\nread /nope\nlist /qubes-\nmultiread /qubes-\n' | vm
t "the VM reads a key and gets NOENT for a missing one" \
    eval 'has "RESP_READ /name work" && has "ERROR_NOENT /nope"'
t "the VM lists and multireads a prefix" eval 'has "RESP_LIST /qubes-ip" && has "RESP_LIST /qubes-service/meminfo-writer" && has "RESP_LIST " && has "RESP_MULTIREAD /qubes-ip 10.137.0.5"'

printf 'write /features-request/gui 1\nwrite /name evil\nrm /qubes-ip\nwrite /qubes-tools/version 4\n' | vm
t "the VM's write under /features-request/ is visible to dom0" \
    eval 'has "OK /features-request/gui" && [ "$(cmd read /features-request/gui)" = 1 ]'
t "the VM's writes and removals elsewhere are refused with ERROR" \
    eval 'has "ERROR /name" && has "ERROR /qubes-ip" && [ "$(cmd read /name)" = work ] && [ "$(cmd read /qubes-ip)" = 10.137.0.5 ]'

( sleep 0.5; cmd write /qubes-timezone UTC ) &
printf 'watch /qubes-timezone\nnext\n' | vm; wait $!
t "a WATCH fires when dom0 writes the key" has "RESP_WATCH /qubes-timezone"

wdog() { cmd watch /features-request/ > "$D/watch.out" & local w=$!; sleep 0.3
         printf 'write /features-request/x 1\n' | vm; wait $w; grep -qx /features-request/x "$D/watch.out"; }
t "a dom0 watch on a prefix fires when the VM writes under it" wdog

malformed() {  # sends one bad header; the VM's connection must end, dom0 still served
    printf 'raw %s\n' "$1" | vm
    has closed && [ "$(cmd read /name)" = work ]
}
t "unknown type ends only the VM connection" malformed "$(hdr 99 /name 0)"
t "a response type from the VM ends its connection" malformed "$(hdr 7 /name 0)"
t "bad paths (no '/', '//', space, no NUL) end its connection" eval \
    'malformed "$(hdr 0 name 0)" && malformed "$(hdr 0 /a//b 0)" && malformed "$(hdr 0 "/a b" 0)" && malformed "$(hdr 0 /$(printf "a%.0s" $(seq 70)) 0)"'
t "oversize data and data on READ end its connection" eval \
    'malformed "$(hdr 1 /features-request/a 3073)" && malformed "$(hdr 0 /name 5)"'
printf 'read /name\n' | vm
t "the VM reconnects and is served; the daemon logged the bad messages" \
    eval 'has "RESP_READ /name work" && grep -q "malformed message" "$D/daemon.log" && kill -0 $DPID'

# A VM that asks for a lot and never reads: dom0's clients must not wait on
# it, and past the daemon's bound its connection ends.
big=$(head -c 3000 /dev/zero | tr '\0' v)
for i in $(seq 40); do cmd write /big/$i "$big"; done
python3 -c 'import socket,struct,sys,time
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
h=bytes([2])+b"/big/".ljust(64,b"\0")+b"\0\0\0"+struct.pack("<I",0)
s.sendall(h*200); time.sleep(float(sys.argv[2]))' "$D/vchan.0.5.111.sock" 30 & SP=$!
stalled() {
    for _ in $(seq 100); do grep -q "not reading" "$D/daemon.log" && break
        timeout 10 "$B/qubesdb-cmd" --socket "$S" write /qubes-x 1 || return 1; sleep 0.1; done
    grep -q "not reading" "$D/daemon.log" && [ "$(timeout 10 "$B/qubesdb-cmd" --socket "$S" read /name)" = work ]
}
t "a VM that never reads stalls no dom0 client and is cut off past the bound" stalled
kill $SP 2>/dev/null; wait $SP 2>/dev/null || true  # its status is the kill's, not a failure
