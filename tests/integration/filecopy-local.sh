#!/bin/bash
# Integration: file copy between qubes on qvmd's local backend, the whole
# path a user takes: qvm-copy-to-vm (and qvm-copy, qvm-move-to-vm) run in
# "work" by qvm-run, the call decided by dom0's policy daemon, qubes.Filecopy
# in "personal" unpacking into the default user's ~/QubesIncoming/work/ on
# personal's private volume; then dom0's own qvm-copy-to-vm and
# qvm-move-to-vm. The tree: deep folders, empty files and folders, symlinks,
# unicode names, 1 GiB in all (1004 MiB + 200 files of up to 200 KiB); on arrival every file's SHA-256, every
# symlink, mode (as the rules keep them) and mtime is compared.
set -u
export LC_ALL=C.UTF-8
cd "$(dirname "$0")/../.."
B=$(realpath "${BULKHEAD_BUILD:-build/release}/bin")
. tests/integration/lib/tap.sh
. tests/integration/lib/testuser.sh
TU=bhfilelocal-test TG=bhfilelocal-grp # its own: other suites remove theirs
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP the local backend needs root"; exit 0; }
T=$(mktemp -d /tmp/bulkhead-filecopy-local.XXXXXX)
chmod 755 "$T"
. tests/integration/lib/local-qubes.sh
cleanup() {
    local_qubes_stop
    kill $(jobs -p) 2> /dev/null
    wait 2> /dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$T"
    testuser_cleanup
}
trap cleanup EXIT
testuser_setup || { echo "1..0 # SKIP cannot create user $TU"; exit 0; }

# the service and the commands as shipped, with the build's programs
sed "s|^unpacker=.*|unpacker=$B/qfile-unpacker|" vm-agent/filecopy/qubes.Filecopy \
    > "$T/rpc/qubes.Filecopy"
chmod 755 "$T/rpc/qubes.Filecopy"
mkdir -p "$T/bin"
for c in qvm-copy qvm-move qvm-copy-to-vm qvm-move-to-vm; do
    ln -s "$PWD/vm-agent/filecopy/qvm-copy" "$T/bin/$c"
done
VMENV="QFILE_AGENT=$B/qfile-agent QREXEC_CLIENT_VM=$B/qrexec-client-vm PATH=$T/bin:/usr/bin:/bin"
cat > "$T/policy.d/30-test.policy" << P
qubes.Filecopy  *  work      personal  allow
qubes.Filecopy  *  work      @default  allow target=personal
qubes.Filecopy  *  personal  work      deny
P
printf 'work class=AppVM running=yes\npersonal class=AppVM running=yes\n' > "$T/qubes.list"
local_qubes_start || exit 1
"$B/qvm-create" -C TemplateVM -l black tpl > /dev/null &&
    "$B/qvm-prefs" tpl default_user "$TU" &&
    "$B/qvm-create" -t tpl -l red work > /dev/null &&
    "$B/qvm-create" -t tpl -l blue personal > /dev/null || exit 1

# ---- the tree (in /tmp, which the local backend's qubes share) ----
S=$T/src/tree
mkdir -p "$S/empty-dir" "$S/big" "$S/many" "$S/ünïcødé/日本語"
"$B/filecopy-craft" pattern $((1004 << 20)) 1 > "$S/big/1004MiB.bin"
for i in $(seq 0 199); do
    "$B/filecopy-craft" pattern $(((i * 7919) % (200 << 10))) $((i + 10)) > "$S/many/f$i"
done
deep=$S
for i in $(seq 1 30); do deep=$deep/d$i; done
mkdir -p "$deep"
echo bottom > "$deep/bottom.txt"
: > "$S/empty-file"
: > "$deep/empty-too"
echo unicode > "$S/ünïcødé/日本語/ファイル.txt"
ln -s ../empty-file "$S/many/link-up"
ln -s ünïcødé/日本語 "$S/link-dir"
echo ro > "$S/read-only" && chmod 0444 "$S/read-only"
echo x > "$S/group-x" && chmod 0750 "$S/group-x"
touch -d '1999-12-31 23:59:59.5' "$S/many/f3" "$S/empty-dir"
chmod -R a+rX "$T/src"

in_qube() { "$B/qvm-run" -p -q "$@"; }
# what must be equal on both sides (run in the qube or here, from $1)
SUMS='find . -type f -print0 | sort -z | xargs -0 sha256sum'
META="find . -printf '%p %y %l %T@\n' | sort"
MODES="find . ! -type l -printf '%y %m %p\n' | sort -k3"
# modes as the receiver keeps them: no set-id bits, the owner may read and
# write (and enter folders)
want_modes() {
    while read -r y m p; do
        m=$((8#$m & ~8#6000))
        if [ "$y" = d ]; then m=$((m | 8#700)); else m=$((m | 8#600)); fi
        printf '%s %o %s\n' "$y" $m "$p"
    done
}
sums_in() { in_qube personal "cd '$1' && $SUMS"; }
meta_in() { in_qube personal "cd '$1' && $META"; }

echo "1..17"
t "qvm-start work personal" "$B/qvm-start" work personal
in_qube -u root personal "mkdir -p $TU_HOME && chown $TU: $TU_HOME"
IN=$TU_HOME/QubesIncoming/work
in_qube work "$VMENV qvm-copy-to-vm personal $S" > "$T/copy.out" 2>&1
t "qvm-copy-to-vm personal TREE in work: exit 0" test $? = 0
t "every file's SHA-256 is the same in personal" \
    test "$(cd "$S" && eval "$SUMS")" = "$(sums_in "$IN/tree")"
t "the same entries, symlink targets and mtimes" \
    test "$(cd "$S" && eval "$META")" = "$(meta_in "$IN/tree")"
t "modes kept as the rules say (0444 -> 0644, 0750 kept)" \
    test "$(cd "$S" && eval "$MODES" | want_modes)" = "$(in_qube personal "cd '$IN/tree' && $MODES")"
t "the copy is on personal's private volume, not in dom0's view of /home" \
    test ! -e "$IN/tree"
t "QubesIncoming/work belongs to the user, mode 0700" \
    test "$(in_qube personal "stat -c '%U %a' $IN")" = "$TU 700"

echo again > "$T/src/second.txt" && chmod 644 "$T/src/second.txt"
in_qube work "$VMENV qvm-copy $T/src/second.txt" > /dev/null 2>&1
t "qvm-copy (destination @default, chosen by policy) arrives in personal" \
    test "$(in_qube personal "cat $IN/second.txt")" = again
ERR=$(in_qube work "$VMENV qvm-copy-to-vm personal $T/src/second.txt" 2>&1); rc=$?
t "copying a name that is there already fails and says so (rc $rc)" \
    bash -c "[ $rc != 0 ] && grep -qi 'exists' <<< '$ERR'"
ERR=$(in_qube personal "$VMENV qvm-copy-to-vm work $T/src/second.txt" 2>&1); rc=$?
t "personal -> work is denied by policy: non-zero, a clear refusal (rc $rc)" \
    bash -c "[ $rc != 0 ] && grep -qi 'refused\|denied' <<< '$ERR'"
t "... and nothing arrived in work" \
    test "$(in_qube work "ls -A $TU_HOME/QubesIncoming 2>/dev/null")" = ""

mkdir -p "$T/src/tomove" && echo m > "$T/src/tomove/m.txt" && chmod -R a+rwX "$T/src"
in_qube work "$VMENV qvm-move-to-vm personal $T/src/tomove" > /dev/null 2>&1
t "qvm-move-to-vm: arrived and the source is gone" \
    bash -c "[ \"\$(\"$B/qvm-run\" -p -q personal 'cat $IN/tomove/m.txt')\" = m ] && [ ! -e '$T/src/tomove' ]"
mkdir -p "$T/src/keep" && echo k > "$T/src/keep/second.txt" && chmod -R a+rwX "$T/src"
in_qube work "$VMENV qvm-move-to-vm personal $T/src/keep/second.txt" > /dev/null 2>&1
t "qvm-move-to-vm whose copy fails (name taken) keeps the source" test -e "$T/src/keep/second.txt"

# ---- from dom0 ----
echo "from dom0" > "$T/dom0.txt"
BULKHEAD_QFILE_AGENT=$B/qfile-agent "$B/qvm-copy-to-vm" personal "$T/dom0.txt"
t "dom0's qvm-copy-to-vm: exit 0" test $? = 0
t "... arrived in personal's ~/QubesIncoming/dom0/" \
    test "$(in_qube personal "cat $TU_HOME/QubesIncoming/dom0/dom0.txt")" = "from dom0"
ERR=$(BULKHEAD_QFILE_AGENT=$B/qfile-agent "$B/qvm-move-to-vm" personal "$T/dom0.txt" 2>&1); rc=$?
t "dom0's qvm-move-to-vm of a name that is there: exit 1, the reason, source kept" \
    bash -c "[ $rc = 1 ] && grep -qi exists <<< '$ERR' && [ -e '$T/dom0.txt' ]"
mv "$T/dom0.txt" "$T/dom0-2.txt"
BULKHEAD_QFILE_AGENT=$B/qfile-agent "$B/qvm-move-to-vm" personal "$T/dom0-2.txt"
t "dom0's qvm-move-to-vm: arrived, source removed" \
    bash -c "[ \"\$(\"$B/qvm-run\" -p -q personal 'cat $TU_HOME/QubesIncoming/dom0/dom0-2.txt')\" = 'from dom0' ] && [ ! -e '$T/dom0-2.txt' ]"
