#!/bin/bash
# Benchmark: qfile-agent -> qfile-unpacker over a Unix socket pair, next to
# its physical reference, tar c | tar x over the same kind of socket pair,
# for one 1 GiB file and for 10,000 small files (0-8 KiB, 100 folders).
# Both receivers run as an unprivileged user (the receiver's usual case);
# the source is read from the page cache (each is read once before). Each
# pair runs twice: into the user's home on disk, then into a tmpfs mounted
# on it (file-system costs out of the way: what is left is the programs').
#   FILECOPY_BENCH_RUNS (default 3): best of N.
set -u
cd "$(dirname "$0")/../.."
B=$(realpath "${BULKHEAD_BUILD:-build/release}/bin")
RUNS=${FILECOPY_BENCH_RUNS:-3}
T=$(mktemp -d /tmp/bulkhead-filecopy-bench.XXXXXX)
. tests/integration/lib/testuser.sh
TU=bhfilecopy-test TG=bhfilecopy-grp   # its own: other suites use and remove theirs
MNT=
cleanup() { [ -z "$MNT" ] || umount "$MNT"; rm -rf "$T"; testuser_cleanup; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "filecopy-bench: needs root (makes a test user)"; exit 0; }
testuser_setup || exit 1
chmod 755 "$T"
mkdir -p "$T/big" "$T/small"
"$B/filecopy-craft" pattern $((1 << 30)) 1 > "$T/big/file"
for d in $(seq 0 99); do
    mkdir "$T/small/d$d"
    for f in $(seq 0 99); do head -c $(( (d * 100 + f) * 37 % 8192 )) "$T/big/file" > "$T/small/d$d/f$f"; done
done
chmod -R a+rX "$T"
cat "$T"/big/file "$T"/small/*/* > /dev/null

now() { date +%s.%N; }
best() {   # best SRC KIND: prints the best wall time of RUNS runs
    local src=$1 kind=$2 i t0 t1 b=
    for i in $(seq "$RUNS"); do
        rm -rf "$TU_HOME/QubesIncoming" "$TU_HOME/tarout"
        "${AS_TU[@]}" mkdir -p "$TU_HOME/tarout"
        sync
        t0=$(now)
        if [ "$kind" = tar ]; then
            "$B/filecopy-craft" pair tar cf - -C "$T" "$src" -- \
                "${AS_TU[@]}" tar xf - -C "$TU_HOME/tarout" > /dev/null
        else
            "$B/filecopy-craft" pair "$B/qfile-agent" "$T/$src" -- \
                "${AS_TU[@]}" QREXEC_REMOTE_DOMAIN=bench "$B/qfile-unpacker" > /dev/null
        fi
        t1=$(now)
        t1=$(echo "$t1 - $t0" | bc)
        if [ -z "$b" ] || [ "$(echo "$t1 < $b" | bc)" = 1 ]; then b=$t1; fi
    done
    echo "$b"
}
printf '%-36s %10s %10s %8s\n' "what" "tar|tar s" "qfile s" "ratio"
for fs in disk tmpfs; do
    if [ $fs = tmpfs ]; then
        mount -t tmpfs -o size=3g,mode=0755 bench "$TU_HOME" && MNT=$TU_HOME || break
        chown "$TU": "$TU_HOME"
    fi
    for w in big small; do
        tt=$(best "$w" tar)
        tq=$(best "$w" qfile)
        printf '%-36s %10.3f %10.3f %7.0f%%\n' \
            "$([ $w = big ] && echo '1 GiB, one file' || echo '10,000 files, 40 MiB'), $fs" \
            "$tt" "$tq" "$(echo "100 * $tt / $tq" | bc -l)"
    done
done
echo "ratio: tar's time / qfile's (100% = as fast as tar; the goal is >= 70%)"
