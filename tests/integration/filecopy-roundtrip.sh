#!/bin/bash
# Integration: qfile-agent -> qfile-unpacker, the real programs end to end.
#  1. over a Unix socket pair: a 1 GiB tree (deep folders, empty files and
#     folders, symlinks, unicode names, odd modes) arrives with the same
#     SHA-256 for every file, the same symlinks, modes as the rules say,
#     and the same mtimes; as the test user, then as root (chroot + drop);
#  2. through real qrexec over the socket vchan (two agents, their daemons,
#     a simple policy), with qvm-copy-to-vm, qvm-copy (@default) and
#     qvm-move-to-vm as the entry points.
set -u
export LC_ALL=C
cd "$(dirname "$0")/../.."
B=$(realpath "${BULKHEAD_BUILD:-build/release}/bin")
REPO=$PWD
. tests/integration/lib/tap.sh
. tests/integration/lib/testuser.sh
TU=bhfilecopy-test TG=bhfilecopy-grp # its own: other suites remove theirs
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (a test user, chroot)"; exit 0; }
T=$(mktemp -d /tmp/bulkhead-filecopy-rt.XXXXXX)
cleanup() {
    kill $(jobs -p) 2> /dev/null
    wait 2> /dev/null
    rm -rf "$T"
    testuser_cleanup
}
trap cleanup EXIT
testuser_setup || { echo "1..0 # SKIP cannot create user $TU"; exit 0; }
chmod 755 "$T"
craft() { "$B/filecopy-craft" "$@"; }

# ---- the tree ----
S=$T/src/tree
mkdir -p "$S/empty-dir" "$S/big" "$S/many"
craft pattern $((768 << 20)) 1 > "$S/big/768MiB.bin"
for i in $(seq 0 255); do
    craft pattern $(((i * 7919) % (2 << 20))) $((i + 10)) > "$S/many/f$i"
done
deep=$S
for i in $(seq 1 40); do deep=$deep/level$i; done
mkdir -p "$deep"
echo "at the bottom" > "$deep/bottom.txt"
: > "$S/empty-file"
: > "$deep/empty-too"
mkdir -p "$S/ünïcødé/日本語"
echo "unicode" > "$S/ünïcødé/日本語/ファイル.txt"
echo "emoji" > "$S/ünïcødé/😀.txt"
ln -s ../empty-file "$S/many/link-up"
ln -s f1 "$S/many/link-here"
ln -s ünïcødé/日本語 "$S/link-dir"
ln -s "$T/outside" "$S/many/absolute-link" # unsafe: the sender leaves it out
echo ro > "$S/read-only"
chmod 0444 "$S/read-only"
echo x > "$S/setuid"
chmod 04755 "$S/setuid"
echo y > "$S/group-x"
chmod 0750 "$S/group-x"
mkdir "$S/ro-dir"
echo z > "$S/ro-dir/inside"
chmod 0555 "$S/ro-dir"
touch -h -d '2001-02-03 04:05:06.789' "$S/many/link-up"
touch -d '1999-12-31 23:59:59.5' "$S/many/f3" "$S/empty-dir"

# what must be equal on both sides: content, symlink targets, mtimes
tree_sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
tree_meta() { (cd "$1" && find . -printf '%p %y %l %T@\n' | sort); }
# modes as the receiver keeps them: no set-id bits, owner rw (rwx for folders)
want_modes() {
    (cd "$1" && find . ! -type l -printf '%y %m %p\n' | sort -k3) | while read -r y m p; do
        m=$((8#$m & ~8#6000))
        if [ "$y" = d ]; then m=$((m | 8#700)); else m=$((m | 8#600)); fi
        printf '%o %s\n' $m "$p"
    done
}
got_modes() { (cd "$1" && find . ! -type l -printf '%m %p\n' | sort -k2); }

echo "1..26"
IN=$TU_HOME/QubesIncoming/work
for mode in user root; do
    rm -rf "$TU_HOME/QubesIncoming"
    if [ $mode = user ]; then
        out=$(craft pair "$B/qfile-agent" "$S" -- \
            "${AS_TU[@]}" QREXEC_REMOTE_DOMAIN=work "$B/qfile-unpacker" 2> "$T/err")
    else
        out=$(craft pair "$B/qfile-agent" "$S" -- \
            env ASAN_OPTIONS=detect_leaks=0 QREXEC_REMOTE_DOMAIN=work QFILE_UNPACKER_USER="$TU" \
            "$B/qfile-unpacker" 2> "$T/err")
    fi
    t "$mode: 1 GiB tree over a socket pair: both ends exit 0" test "$out" = "0 0"
    t "$mode: every file's SHA-256 is the same on arrival" \
        test "$(tree_sums "$S")" = "$(tree_sums "$IN/tree")"
    t "$mode: the same entries, symlink targets and mtimes (but the unsafe symlink)" \
        test "$(tree_meta "$S" | grep -v absolute-link)" = "$(tree_meta "$IN/tree")"
    t "$mode: modes kept but set-id bits; the owner may read and write" \
        test "$(want_modes "$S")" = "$(got_modes "$IN/tree")"
    t "$mode: everything belongs to the user" \
        test -z "$(find "$TU_HOME/QubesIncoming" ! -user "$TU")"
    t "$mode: the sender said it left the unsafe symlink out" \
        grep -q "skipping symlink .*absolute-link" "$T/err"
    t "$mode: QubesIncoming and QubesIncoming/work are 0700" \
        test "$(stat -c %a "$TU_HOME/QubesIncoming" "$IN" | tr '\n' ' ')" = "700 700 "
done

# ---- progress: a bar on a terminal, notifications for the desktop ----
P=$T/progress-src
mkdir -p "$P" "$T/fakebin"
craft pattern $((8 << 20)) 5 > "$P/data"
rm -rf "$TU_HOME/QubesIncoming"
script -qec "PROGRESS_TYPE=console FILECOPY_TOTAL_SIZE=$((8 << 20)) $B/filecopy-craft pair \
    $B/qfile-agent $P -- ${AS_TU[*]} QREXEC_REMOTE_DOMAIN=work $B/qfile-unpacker" /dev/null \
    > "$T/tty.out" 2>&1
t "PROGRESS_TYPE=console on a terminal: a bar that reaches 100%, and the copy is whole" \
    bash -c "grep -q '\] 100% 8192/8192 KiB' '$T/tty.out' && cmp -s '$P/data' '$IN/progress-src/data'"
printf '#!/bin/sh\necho "$*" >> %s/notify.log\n' "$T" > "$T/fakebin/notify-send"
chmod 755 "$T/fakebin/notify-send"
rm -rf "$TU_HOME/QubesIncoming"
out=$(PATH=$T/fakebin:$PATH PROGRESS_TYPE=gui craft pair "$B/qfile-agent" "$P" -- \
    "${AS_TU[@]}" QREXEC_REMOTE_DOMAIN=work "$B/qfile-unpacker" 2> "$T/err")
t "PROGRESS_TYPE=gui: notify-send at the start and at the end, the stream untouched" \
    test "$out" = "0 0" -a "$(cut -d' ' -f4- "$T/notify.log" | tr '\n' '|')" = \
    "Copying files...|Files copied.|" -a "$(cmp "$P/data" "$IN/progress-src/data" && echo same)" = same

# ---- through qrexec: work (domain 5) copies to personal (domain 6) ----
rm -rf "$TU_HOME/QubesIncoming"
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket BULKHEAD_SIMPLE_POLICY=$T/policy
export BULKHEAD_POLICY_SOCKET=$T/no-policy-daemon.sock
mkdir -p "$T/vchan" "$T/run" "$T/rpc" "$T/bin"
# the service as shipped, but for the program's path and whose home (it runs
# as root here: chroot, then the test user; LeakSanitizer needs the /proc
# the chroot does not have)
sed "s|^unpacker=.*|unpacker=$B/qfile-unpacker; export QFILE_UNPACKER_USER=$TU ASAN_OPTIONS=detect_leaks=0|" \
    vm-agent/filecopy/qubes.Filecopy > "$T/rpc/qubes.Filecopy"
chmod 755 "$T/rpc/qubes.Filecopy"
cat > "$T/policy" << P
qubes.Filecopy  *  work  personal  allow user=root
qubes.Filecopy  *  work  @default  allow target=personal user=root
*               *  @anyvm @anyvm   deny
P
start_vm() { # start_vm DOMID NAME
    QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=$1 "$B/qrexec-agent" \
        --agent-socket "$T/agent.$2" 2> "$T/agent.$2.log" &
    VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D -p "$B/qrexec-policy-simple" --socket-dir "$T/run" \
        "$1" "$2" 2> "$T/daemon.$2.log" &
}
start_vm 5 work
start_vm 6 personal
for i in $(seq 100); do [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.6" ] && break; sleep 0.1; done
printf '#!/bin/sh\nVCHAN_DOMAIN=5 exec %s/qrexec-client-vm --agent-socket %s/agent.work "$@"\n' \
    "$B" "$T" > "$T/bin/qrexec-client-vm"
chmod 755 "$T/bin/qrexec-client-vm"
for c in qvm-copy qvm-move qvm-copy-to-vm qvm-move-to-vm; do
    ln -s "$REPO/vm-agent/filecopy/qvm-copy" "$T/bin/$c"
done
export QREXEC_CLIENT_VM=$T/bin/qrexec-client-vm QFILE_AGENT=$B/qfile-agent
Q=$T/q
mkdir -p "$Q/docs/sub"
craft pattern $((64 << 20)) 99 > "$Q/docs/sub/data.bin"
echo note > "$Q/note.txt"
IN=$TU_HOME/QubesIncoming/work

(cd "$Q" && "$T/bin/qvm-copy-to-vm" personal docs note.txt 2> "$T/qvm.err")
rc=$?
t "qvm-copy-to-vm personal docs note.txt through qrexec: exit 0, nothing on stderr" \
    test $rc = 0 -a ! -s "$T/qvm.err"
t "... 64 MiB arrived intact in personal's QubesIncoming/work" \
    test "$(tree_sums "$Q")" = "$(tree_sums "$IN")"
(cd "$Q" && "$T/bin/qvm-copy-to-vm" personal note.txt 2> "$T/qvm.err")
rc=$?
t "the same again: exit 1 and the receiver's reason, naming the file" \
    test $rc = 1 -a "$(cat "$T/qvm.err")" = \
    "qvm-copy-to-vm: the receiving qube reported: File exists (file: note.txt)"
(cd "$Q" && "$T/bin/qvm-copy-to-vm" personal docs 2> "$T/qvm.err")
rc=$?
t "a 64 MiB file that is already there: refused at its header, the sender stops and says why" \
    test $rc = 1 -a "$(cat "$T/qvm.err")" = \
    "qvm-copy-to-vm: the receiving qube reported: File exists (file: docs/sub/data.bin)"
rm -rf "$TU_HOME/QubesIncoming"
(cd "$Q" && "$T/bin/qvm-copy" note.txt 2> "$T/qvm.err")
t "qvm-copy (@default, target from policy) delivers" \
    test $? = 0 -a "$(cat "$IN/note.txt" 2> /dev/null)" = note
"$T/bin/qvm-move-to-vm" personal "$Q/note.txt" 2> "$T/qvm.err"
t "qvm-move-to-vm of a file that is already there: exit 1, the source stays" \
    test $? = 1 -a -e "$Q/note.txt"
rm -rf "$TU_HOME/QubesIncoming"
"$T/bin/qvm-move-to-vm" personal "$Q/docs" "$Q/note.txt" 2> "$T/qvm.err"
t "qvm-move-to-vm: exit 0, the sources are gone, the copies arrived" \
    test $? = 0 -a ! -e "$Q/docs" -a ! -e "$Q/note.txt" -a "$(cat "$IN/note.txt")" = note -a \
    "$(stat -c %s "$IN/docs/sub/data.bin")" = $((64 << 20))
ln -s "$S/ünïcødé" "$T/dirlink"
echo target > "$T/file-target"
ln -s file-target "$T/filelink"
"$T/bin/qvm-copy-to-vm" personal "$T/filelink" "$T/dirlink" 2> "$T/qvm.err"
t "a FILE that is a symlink is followed: its target arrives under the link's name" \
    test $? = 0 -a "$(cat "$IN/filelink")" = target -a ! -L "$IN/filelink" -a ! -L "$IN/dirlink" \
    -a -e "$IN/dirlink/日本語/ファイル.txt"
echo "qubes.Filecopy * @anyvm @anyvm deny" > "$T/policy"
echo again > "$T/again"
"$T/bin/qvm-move-to-vm" personal "$T/again" 2> "$T/qvm.err"
t "a copy policy refuses: exit 1, a clear message, the source stays" \
    test $? = 1 -a -e "$T/again" -a -n "$(grep 'refused' "$T/qvm.err")"
t "no sanitizer reports" bash -c "! grep -q Sanitizer '$T'/*.log '$T/err' '$T/qvm.err'"
