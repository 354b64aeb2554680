#!/bin/bash
# Integration: the real vchan-xfer program, two processes per transfer over
# the socket backend, the way daemons and agents will use lib/vchan. Checks
# both directions and both roles, several pairs at once, a client started
# before its server, and a peer killed mid-stream.
set -u
cd "$(dirname "$0")/../.."
BIN=${BULKHEAD_BUILD:-build/release}/bin/vchan-xfer
D=$(mktemp -d /tmp/bulkhead-vchan-it.XXXXXX)
trap 'rm -rf "$D"; kill $(jobs -p) 2>/dev/null' EXIT
export VCHAN_SOCKET_DIR=$D BULKHEAD_VCHAN=socket
echo "1..6"

xfer() {   # xfer SERVER_DOM CLIENT_DOM PORT DIRECTION BYTES -> both outputs in $D/PORT.*
    local s=$1 c=$2 port=$3 dir=$4 bytes=$5 other
    [ "$dir" = send ] && other=recv || other=send
    VCHAN_DOMAIN=$s "$BIN" server "$c" "$port" "$dir" "$bytes" > "$D/$port.server" 2>&1 &
    VCHAN_DOMAIN=$c "$BIN" client "$s" "$port" "$other" "$bytes" 10000 > "$D/$port.client" 2>&1
    local rc=$?
    wait $! ; local rs=$?
    return $(( rc | rs ))
}

n=0
t() { n=$((n + 1)); if "$@"; then echo "ok $n - $DESC"; else echo "not ok $n - $DESC"; cat "$D"/*.server "$D"/*.client 2>/dev/null | sed 's/^/# /'; fi; }

DESC="server sends 256 MiB to client, checksums match"
t xfer 0 5 600 send $((256 << 20))
DESC="client sends 256 MiB to server, checksums match"
t xfer 5 0 601 recv $((256 << 20))

DESC="8 pairs at once, each with its own data"
many() {
    local i pids=() rc=0
    for i in 1 2 3 4 5 6 7 8; do xfer 0 $i $((700 + i)) send $((16 << 20)) & pids+=($!); done
    for i in "${pids[@]}"; do wait "$i" || rc=1; done
    [ $rc = 0 ] && [ "$(cat "$D"/70?.client | grep -c ' OK$')" = 8 ]
}
t many

DESC="client started 1 s before its server connects when the server appears"
late() {
    VCHAN_DOMAIN=3 "$BIN" client 0 800 recv 0 10000 > "$D/800.client" 2>&1 & local c=$!
    sleep 1
    VCHAN_DOMAIN=0 "$BIN" server 3 800 send 1000000 > "$D/800.server" 2>&1
    wait $c && grep -q ' OK$' "$D/800.client"
}
t late

DESC="receiver killed mid-stream: the sender ends with an error, no hang"
killed_receiver() {
    VCHAN_DOMAIN=0 timeout 20 "$BIN" server 4 801 send $((64 << 30)) > "$D/801.server" 2>&1 & local s=$!
    VCHAN_DOMAIN=4 "$BIN" client 0 801 recv 0 10000 > /dev/null 2>&1 & local c=$!
    sleep 0.5; kill -9 $c
    wait $s; local rc=$?
    [ $rc = 1 ] && grep -q 'send failed: Broken pipe' "$D/801.server"
}
t killed_receiver

DESC="sender killed mid-stream: the receiver ends with an error, no hang"
killed_sender() {
    VCHAN_DOMAIN=0 "$BIN" server 6 802 send $((64 << 30)) > /dev/null 2>&1 & local s=$!
    VCHAN_DOMAIN=6 timeout 20 "$BIN" client 0 802 recv 0 10000 > "$D/802.client" 2>&1 & local c=$!
    sleep 0.5; kill -9 $s
    wait $c; local rc=$?
    [ $rc = 1 ] && grep -q 'receive failed: Broken pipe' "$D/802.client"
}
t killed_sender
