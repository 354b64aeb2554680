#!/bin/bash
# Integration: the lvm_thin driver's logic end to end, against
# tests/integration/lib/fake-lvm instead of lvm(8): this machine has no
# device-mapper, so real thin LVs can only be tested under the QEMU rig.
# The fake keeps LVs as files and logs every command, so what is checked
# is which LVs exist, with what content, after qvm-pool/qvm-create/
# storage-ctl start and stop/qvm-volume; and the exact lvm command lines.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-lvm.XXXXXX)
export FAKE_LVM_DIR=$T/lvm BULKHEAD_QVMD_SOCKET=$T/qvmd.sock
mkdir -p "$T/bin" "$FAKE_LVM_DIR/qubes_dom0"
ln -s "$PWD/tests/integration/lib/fake-lvm" "$T/bin/lvm"
export PATH=$T/bin:$PWD/$B:$PATH
QPID=
cleanup() { [ -n "$QPID" ] && kill "$QPID" 2> /dev/null && wait "$QPID" 2> /dev/null; rm -rf "$T"; }
trap cleanup EXIT
# the thin pool: 100 GiB, 10 % used
echo "twi-aotz-- 107374182400 - - 10.00" > "$FAKE_LVM_DIR/qubes_dom0/vm-pool"
: > "$FAKE_LVM_DIR/qubes_dom0/vm-pool.data"

start_qvmd() {
    rm -f "$T/qvmd.sock"
    "$B/qvmd" --db "$T/qvm.db" --socket "$T/qvmd.sock" --policy-socket "$T/none" \
        2>> "$T/qvmd.log" &
    QPID=$!
    # the socket file exists a moment before qvmd listens: wait for a reply
    for _ in $(seq 400); do
        "$B/admin-call" -s "$T/qvmd.sock" admin.vm.List > /dev/null 2>&1 && return 0
        sleep 0.05
    done
    return 1
}
stop_qvmd() { kill "$QPID"; wait "$QPID" 2> /dev/null; QPID=; }
ctl() { "$B/storage-ctl" --db "$T/qvm.db" "$@"; }
eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'" >&2; return 1; }; }
lvs_() { (cd "$FAKE_LVM_DIR/qubes_dom0" && ls | grep -v '\.data$' | grep "^vm-$1" | tr '\n' ' '); }
data() { cat "$FAKE_LVM_DIR/qubes_dom0/$1.data"; }
field() { awk -v f="$2" '{print $f}' "$FAKE_LVM_DIR/qubes_dom0/$1"; }
logged() { grep -qxF -- "$1" "$FAKE_LVM_DIR/log" || { echo "# not run: $1" >&2; return 1; }; }
fails_with() {
    local re=$1 err rc; shift
    err=$("$@" 2>&1 >/dev/null); rc=$?
    [ "$rc" = 1 ] && grep -qiE -- "$re" <<< "$err" || { echo "# rc $rc: $err" >&2; return 1; }
}

start_qvmd || { echo "not ok 1 - qvmd starts"; exit 1; }
t "qvm-pool add an lvm_thin pool" \
    qvm-pool add vm-pool lvm_thin -o volume_group=qubes_dom0,thin_pool=vm-pool,revisions_to_keep=2
t "a missing thin pool is refused" fails_with "no LV qubes_dom0/nosuch" \
    qvm-pool add p2 lvm_thin -o volume_group=qubes_dom0,thin_pool=nosuch
t "qvm-pool info: the thin pool's size and usage" \
    eq "$(qvm-pool info vm-pool | grep -E '^(size|usage) ' | tr -s ' ' | tr '\n' ';')" \
    "size 107374182400;usage 10737418240;"
qubes-prefs default_pool vm-pool
t "qvm-create a TemplateVM and an AppVM in it" \
    bash -c 'qvm-create -C TemplateVM -l black tpl && qvm-create -l red -t tpl app'
t "the template's root and private and the AppVM's private are thin LVs" \
    eq "$(lvs_ tpl)$(lvs_ app)" "vm-tpl-private vm-tpl-root vm-app-private "
t "in the thin pool, at their sizes" \
    eq "$(field vm-tpl-root 2) $(field vm-tpl-root 3) $(field vm-app-private 2)" "21474836480 vm-pool 2147483648"
t "lvcreate's exact command line" \
    logged "lvcreate --thinpool qubes_dom0/vm-pool --virtualsize 2147483648b --name vm-app-private --yes"
t "qvm-volume info: the vid is VG/LV" eq "$(qvm-volume info app:private vid)" "qubes_dom0/vm-app-private"
stop_qvmd
echo TPL1 > "$FAKE_LVM_DIR/qubes_dom0/vm-tpl-root.data"

OUT=$(ctl start app)
t "start: the domain gets the -snap LVs and a fresh volatile LV" eq "$OUT" "xvda /dev/qubes_dom0/vm-app-root-snap
xvdb /dev/qubes_dom0/vm-app-private-snap
xvdc /dev/qubes_dom0/vm-app-volatile
xvdd -"
t "root is a thin snapshot of the template's root" \
    eq "$(field vm-app-root-snap 4) $(data vm-app-root-snap)" "vm-tpl-root TPL1"
t "made with activation (thin snapshots skip it by default)" \
    logged "lvcreate --snapshot --setactivationskip n --activate y --name vm-app-root-snap qubes_dom0/vm-tpl-root"
echo APP1 > "$FAKE_LVM_DIR/qubes_dom0/vm-app-private-snap.data"
t "stop" ctl stop app
t "stop: private committed, the old one a revision, snapshots and volatile gone" \
    eq "$(lvs_ app | sed -E 's/-[0-9]+-back/-N-back/')" "vm-app-private vm-app-private-N-back "
t "the committed data is the qube's" eq "$(data vm-app-private)" APP1
t "the revision is deactivated" eq "$(field "$(cd "$FAKE_LVM_DIR/qubes_dom0" && ls | grep -- '-back$')" 1)" "Vwi---tz--"
for i in 2 3 4; do
    ctl start app > /dev/null
    echo "APP$i" > "$FAKE_LVM_DIR/qubes_dom0/vm-app-private-snap.data"
    ctl stop app
done
t "after four runs revisions_to_keep=2 left two revisions" \
    eq "$(lvs_ app-private- | wc -w)" 2
t "a -snap left by a crash is dropped at the next start" \
    bash -c "$B/storage-ctl --db $T/qvm.db start app >/dev/null && echo JUNK > $FAKE_LVM_DIR/qubes_dom0/vm-app-private-snap.data && $B/storage-ctl --db $T/qvm.db start app >/dev/null && [ \"\$(cat $FAKE_LVM_DIR/qubes_dom0/vm-app-private-snap.data)\" = APP4 ]"
start_qvmd
t "a fresh snapshot is not outdated" eq "$(qvm-volume info app:root is_outdated)" False
stop_qvmd
ctl start tpl > /dev/null
ctl stop tpl
start_qvmd
t "after the template committed a new root, the running snapshot is outdated" \
    eq "$(qvm-volume info app:root is_outdated)" True
t "resize of a running volume extends the LV and its snapshot" qvm-volume resize app:private 3G
t "(both are 3 GiB)" eq "$(field vm-app-private 2) $(field vm-app-private-snap 2)" "3221225472 3221225472"
t "revert of a running volume is refused" fails_with "in use" qvm-volume revert app:private
stop_qvmd
echo APP5 > "$FAKE_LVM_DIR/qubes_dom0/vm-app-private-snap.data"
ctl stop app
start_qvmd
t "qvm-volume revisions lists two" eq "$(qvm-volume revisions app:private | wc -l)" 2
t "qvm-volume revert" qvm-volume revert app:private
t "the newest revision's data is back" eq "$(data vm-app-private)" APP4
t "and the reverted-from data is the newest revision" \
    eq "$(data "vm-app-private-$(qvm-volume revisions app:private | tail -1)-back")" APP5
t "admin.vm.volume.Clear: an empty volume" \
    bash -c "admin-call -s $T/qvmd.sock admin.vm.volume.Clear+private app | grep -qx OK"
t "(empty, same size)" eq "$(data vm-app-private)|$(field vm-app-private 2)" "|3221225472"
t "an import whose writing fails leaves no -import LV" \
    bash -c "! qvm-volume import app:private /etc/hostname 2>/dev/null && ! ls $FAKE_LVM_DIR/qubes_dom0 | grep -q import"
t "qvm-clone: the clone's private is a snapshot of the source's" qvm-clone app app2
t "(vm-app2-private from vm-app-private)" \
    eq "$(lvs_ app2) $(field vm-app2-private 4)" "vm-app2-private  vm-app-private"
t "qvm-remove removes every LV of the qubes" qvm-remove -f app2 app
t "(none left)" eq "$(lvs_ app)" ""
t "lvremove's exact command line" logged "lvremove --force qubes_dom0/vm-app-private"
t "no lvm command failed unexpectedly (log has only known verbs)" \
    bash -c "! grep -vE '^(lvs|lvcreate|lvremove|lvrename|lvextend|lvchange) ' $FAKE_LVM_DIR/log"
echo "1..$n"
