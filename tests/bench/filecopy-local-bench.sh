#!/bin/bash
# Benchmark: qvm-copy between two qubes on qvmd's local backend, the path a
# user takes (qvm-copy-to-vm in "work" -> qrexec over the socket vchan ->
# qubes.Filecopy in "personal" writing to its private volume), next to the
# limit measured in the same run: tar c | tar x over a Unix socket pair,
# run in "personal" as the same user into the same private volume, from
# the same source. Both are started from dom0 with qvm-run -p, so both
# carry the same few milliseconds of call overhead. One 1 GiB file, then
# 10,000 small files (0-8 KiB in 100 folders). Best of $RUNS (default 3).
# tests/bench/filecopy-bench.sh measures the two programs alone over a
# socket pair, without qrexec.
set -u
cd "$(dirname "$0")/../.."
B=$(realpath "${BULKHEAD_BUILD:-build/release}/bin")
RUNS=${RUNS:-3}
if [ "$(id -u)" != 0 ]; then
    echo "filecopy-local bench: skipped, the local backend needs root"
    exit 0
fi
T=$(mktemp -d /tmp/bulkhead-filecopy-local-bench.XXXXXX)
chmod 755 "$T"
. tests/integration/lib/testuser.sh
TU=bhfcbench-test TG=bhfcbench-grp
. tests/integration/lib/local-qubes.sh
cleanup() {
    local_qubes_stop
    kill $(jobs -p) 2> /dev/null
    wait 2> /dev/null
    rm -rf "$T"
    testuser_cleanup
}
trap cleanup EXIT
testuser_setup || exit 1
sed "s|^unpacker=.*|unpacker=$B/qfile-unpacker|" vm-agent/filecopy/qubes.Filecopy \
    > "$T/rpc/qubes.Filecopy"
chmod 755 "$T/rpc/qubes.Filecopy"
mkdir -p "$T/bin"
ln -s "$PWD/vm-agent/filecopy/qvm-copy" "$T/bin/qvm-copy-to-vm"
VMENV="QFILE_AGENT=$B/qfile-agent QREXEC_CLIENT_VM=$B/qrexec-client-vm PROGRESS_TYPE=none"
echo 'qubes.Filecopy  *  work  personal  allow' > "$T/policy.d/30-bench.policy"
printf 'work class=AppVM running=yes\npersonal class=AppVM running=yes\n' > "$T/qubes.list"
local_qubes_start || exit 1
{ "$B/qvm-create" -C TemplateVM -l black tpl && "$B/qvm-prefs" tpl default_user "$TU" &&
    "$B/qvm-create" -t tpl -l red work && "$B/qvm-create" -t tpl -l blue personal &&
    "$B/qvm-volume" resize personal:private 4g && "$B/qvm-start" work personal; } > /dev/null ||
    exit 1
"$B/qvm-run" -p -q -u root personal "mkdir -p $TU_HOME && chown $TU: $TU_HOME" || exit 1

mkdir -p "$T/src/big" "$T/src/small" "$T/src/empty"
"$B/filecopy-craft" pattern $((1 << 30)) 1 > "$T/src/big/file"
for d in $(seq 0 99); do
    mkdir "$T/src/small/d$d"
    for f in $(seq 0 99); do
        head -c $(((d * 100 + f) * 37 % 8192)) "$T/src/big/file" > "$T/src/small/d$d/f$f"
    done
done
chmod -R a+rX "$T/src"
cat "$T"/src/big/file "$T"/src/small/*/* > /dev/null

in_personal() { "$B/qvm-run" -p -q personal "$@"; }
best() { # best WHAT KIND: the best wall time of RUNS runs, in seconds
    local w=$1 kind=$2 i t0 t1 b=
    for i in $(seq "$RUNS"); do
        in_personal "rm -rf ~/QubesIncoming ~/tarout; mkdir ~/tarout; sync" || return 1
        t0=$EPOCHREALTIME
        if [ "$kind" = tar ]; then
            in_personal "$B/filecopy-craft pair tar cf - -C $T/src $w -- tar xf - -C ~/tarout" \
                > /dev/null || return 1
        else
            "$B/qvm-run" -p -q work "$VMENV $T/bin/qvm-copy-to-vm personal $T/src/$w" || return 1
        fi
        t1=$(echo "$EPOCHREALTIME - $t0" | bc)
        if [ -z "$b" ] || [ "$(echo "$t1 < $b" | bc)" = 1 ]; then b=$t1; fi
    done
    echo "$b"
}
echo "qvm-copy between two qubes on the local backend (best of $RUNS)"
printf '  %-34s %12s %12s %8s\n' "what" "tar|tar s" "qvm-copy s" "ratio"
for w in empty big small; do
    tt=$(best "$w" tar) && tq=$(best "$w" qfile) || { echo "  $w: a run failed"; exit 1; }
    printf '  %-34s %12.3f %12.3f %7.0f%%\n' \
        "$(case $w in empty) echo 'an empty folder (call overhead)' ;; big) echo '1 GiB, one file' ;; *) echo '10,000 files (0-8 KiB)' ;; esac)" \
        "$tt" "$tq" "$(echo "100 * $tt / $tq" | bc -l)"
done
echo "  ratio: tar|tar's time / qvm-copy's (100% = as fast as the limit; the goal is >= 70%)"
