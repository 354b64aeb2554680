#!/bin/bash
# Integration: qvmd's storage on real filesystems. A 1 GiB btrfs image and
# a 1 GiB XFS image (reflink=1), loop-mounted, each get a file-reflink
# pool (qvm-pool add); qubes are created there (qvm-create) and started and
# stopped through storage-ctl, the storage API qvmd's lifecycle calls. What
# is checked is what a user would see on disk: images appear, a started
# qube writes a reflinked -dirty image that shares the template's extents,
# a stop commits (private) or discards (root, volatile), revisions are kept
# and pruned, revert/resize/import/clone/remove do what they say. An ext4
# image (no reflink) is refused with setup_check=yes and works by copying
# with setup_check=no. Needs root (mount) and loop devices.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}/bin
if [ "$(id -u)" != 0 ] || ! command -v mkfs.btrfs > /dev/null || ! command -v mkfs.xfs > /dev/null \
    || ! command -v losetup > /dev/null || [ ! -e /dev/loop-control ]; then
    echo "1..0 # SKIP needs root, loop devices, mkfs.btrfs and mkfs.xfs"
    exit 0
fi
T=$(mktemp -d /tmp/bulkhead-storage.XXXXXX)
export BULKHEAD_QVMD_SOCKET=$T/qvmd.sock PATH=$PWD/$B:$PATH
QPID=
MOUNTS=()
cleanup() {
    [ -n "$QPID" ] && kill "$QPID" 2> /dev/null && wait "$QPID" 2> /dev/null
    for m in "${MOUNTS[@]}"; do umount "$m" 2> /dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

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
# storage-ctl opens the database, which qvmd holds exclusively
stop_qvmd() { kill "$QPID"; wait "$QPID" 2> /dev/null; QPID=; }
ctl() { "$B/storage-ctl" --db "$T/qvm.db" "$@"; }
check_db() { "$B/qvmd" --db "$T/qvm.db" --check > /dev/null; }

# fs TYPE: a 1 GiB image of TYPE mounted at $T/TYPE
fs() {
    local img=$T/$1.img
    truncate -s 1G "$img" || return 1
    case $1 in
    btrfs) mkfs.btrfs -q "$img" > /dev/null 2>&1 ;;
    xfs) mkfs.xfs -q -m reflink=1 "$img" ;;
    ext4) mkfs.ext4 -q -F "$img" ;;
    esac || return 1
    mkdir -p "$T/$1" && mount -o loop "$img" "$T/$1" && MOUNTS+=("$T/$1")
}
eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'" >&2; return 1; }; }
# head BYTES FILE: the first bytes of an image
head_of() { head -c "$1" "$2" 2> /dev/null; }
put() { printf '%s' "$2" | dd of="$1" conv=notrunc status=none; }
size_of() { stat -c %s "$1"; }
shared() { filefrag -v "$1" 2> /dev/null | grep -q shared; }
fails_with() { # fails_with REGEX CMD...: exits 1 with REGEX in its one line of stderr
    local re=$1 err rc; shift
    err=$("$@" 2>&1 >/dev/null); rc=$?
    [ "$rc" = 1 ] && grep -qiE -- "$re" <<< "$err" || { echo "# rc $rc: $err" >&2; return 1; }
}

start_qvmd || { echo "not ok 1 - qvmd starts"; exit 1; }
t "a fresh database has varlibqubes and linux-kernel" \
    eq "$(qvm-pool | tail -n +2 | tr -s ' ' | tr '\n' ';')" "linux-kernel linux-kernel;varlibqubes file-reflink;"
t "varlibqubes lives next to the database" \
    grep -qx "dir_path *$T/vm-pool" <<< "$(qvm-pool info varlibqubes)"
t "qvm-pool drivers lists the three drivers" \
    eq "$(qvm-pool drivers | cut -d' ' -f1 | tr '\n' ' ')" "file-reflink linux-kernel lvm_thin "

for FS in btrfs xfs; do
    P=$T/$FS/pool
    t "$FS: a loop-mounted image" fs "$FS"
    t "$FS: qvm-pool add $FS file-reflink" qvm-pool add "p$FS" file-reflink -o "dir_path=$P,revisions_to_keep=1"
    t "$FS: qvm-pool info shows the options" \
        grep -q "setup_check *True" <<< "$(qvm-pool info "p$FS")"
    t "$FS: qvm-pool info shows the filesystem's size" \
        grep -qE "^size +[0-9]{9,}" <<< "$(qvm-pool info "p$FS")"
    t "$FS: new qubes go to the pool (default_pool)" qubes-prefs default_pool "p$FS"
    t "$FS: qvm-create a TemplateVM" qvm-create -C TemplateVM -l black "tpl$FS"
    t "$FS: qvm-create an AppVM on it" qvm-create -l red -t "tpl$FS" "app$FS"
    t "$FS: the template's root and private images exist, sparse and full size" \
        eq "$(size_of "$P/vm-templates/tpl$FS/root.img") $(du -k "$P/vm-templates/tpl$FS/root.img" | cut -f1)" "21474836480 0"
    t "$FS: the AppVM has its private image only (root is the template's, volatile made at start)" \
        eq "$(cd "$P/appvms/app$FS" && ls)" "private.img"
    t "$FS: qvm-volume info names the pool and source" \
        eq "$(qvm-volume info "app$FS:root" pool) $(qvm-volume info "app$FS:root" source)" \
        "p$FS vm-templates/tpl$FS/root"
    t "$FS: qvm-volume list shows the AppVM's volumes" \
        eq "$(qvm-volume list "app$FS" | tail -n +2 | awk '{print $1}' | tr '\n' ' ')" \
        "p$FS:appvms/app$FS/root p$FS:appvms/app$FS/private p$FS:appvms/app$FS/volatile linux-kernel:- "
    qubes-prefs default_pool varlibqubes
    stop_qvmd
    put "$P/vm-templates/tpl$FS/root.img" "TEMPLATE-V1"
    dd if=/dev/urandom of="$P/vm-templates/tpl$FS/root.img" bs=1M count=4 seek=1 conv=notrunc status=none

    t "$FS: the plan: xvda..xvdd with pools and vids" \
        eq "$(ctl plan "app$FS" | tr '\n' ';')" \
        "xvda root p$FS appvms/app$FS/root ro;xvdb private p$FS appvms/app$FS/private rw;xvdc volatile p$FS appvms/app$FS/volatile rw;xvdd kernel linux-kernel - ro;"
    OUT=$(ctl start "app$FS")
    t "$FS: start gives the domain -dirty images, and no kernel (none set)" \
        eq "$OUT" "xvda $P/appvms/app$FS/root-dirty.img
xvdb $P/appvms/app$FS/private-dirty.img
xvdc $P/appvms/app$FS/volatile-dirty.img
xvdd -"
    t "$FS: the root snapshot holds the template's data" \
        eq "$(head_of 11 "$P/appvms/app$FS/root-dirty.img")" "TEMPLATE-V1"
    t "$FS: and shares its extents (a reflink, not a copy)" shared "$P/appvms/app$FS/root-dirty.img"
    t "$FS: volatile is a fresh sparse 10 GiB image" \
        eq "$(size_of "$P/appvms/app$FS/volatile-dirty.img")" 10737418240
    put "$P/appvms/app$FS/private-dirty.img" "APP-1"
    put "$P/appvms/app$FS/root-dirty.img" "SCRIBBLED!!"
    put "$P/vm-templates/tpl$FS/root.img" "TEMPLATE-V2"
    t "$FS: a template change does not reach the running snapshot" \
        eq "$(head_of 11 "$P/appvms/app$FS/root-dirty.img")" "SCRIBBLED!!"
    start_qvmd
    t "$FS: which is now outdated" eq "$(qvm-volume info "app$FS:root" is_outdated)" True
    t "$FS: (a volume that is not a snapshot never is)" \
        eq "$(qvm-volume info "app$FS:private" is_outdated)" False
    stop_qvmd
    t "$FS: stop" ctl stop "app$FS"
    t "$FS: stop committed private" eq "$(head_of 5 "$P/appvms/app$FS/private.img")" "APP-1"
    t "$FS: stop dropped the root and volatile snapshots" \
        eq "$(cd "$P/appvms/app$FS" && ls | grep -c dirty)" 0
    t "$FS: the old private is kept as a revision" \
        eq "$(cd "$P/appvms/app$FS" && ls | grep -cE '^private\.img\.[0-9]+~$')" 1
    ctl start "app$FS" > /dev/null
    t "$FS: after a restart the AppVM sees the template's change" \
        eq "$(head_of 11 "$P/appvms/app$FS/root-dirty.img")" "TEMPLATE-V2"
    t "$FS: the private snapshot starts from the committed data" \
        eq "$(head_of 5 "$P/appvms/app$FS/private-dirty.img")" "APP-1"
    put "$P/appvms/app$FS/private-dirty.img" "APP-2"
    sleep 1 # revisions are named by the second; the next one must differ
    ctl stop "app$FS"
    t "$FS: revisions_to_keep=1 pruned the older revision" \
        eq "$(cd "$P/appvms/app$FS" && ls | grep -cE '^private\.img\.[0-9]+~$')" 1
    start_qvmd
    t "$FS: qvm-volume revisions lists it" eq "$(qvm-volume revisions "app$FS:private" | wc -l)" 1
    t "$FS: qvm-volume revert (to the newest revision)" qvm-volume revert "app$FS:private"
    t "$FS: the data is back to the revision's" eq "$(head_of 5 "$P/appvms/app$FS/private.img")" "APP-1"
    t "$FS: and the reverted-from data became a revision" \
        eq "$(head_of 5 "$P/appvms/app$FS"/private.img.*~)" "APP-2"
    t "$FS: qvm-volume resize 3G" qvm-volume resize "app$FS:private" 3G
    t "$FS: the image and the setting grew" \
        eq "$(size_of "$P/appvms/app$FS/private.img") $(qvm-volume info "app$FS:private" size)" \
        "3221225472 3221225472"
    t "$FS: shrinking is refused" fails_with "shrink" qvm-volume resize "app$FS:private" 1G
    t "$FS: a bad size is a usage error" bash -c "qvm-volume resize app$FS:private 3X 2>/dev/null; [ \$? = 2 ]"
    stop_qvmd
    ctl start "app$FS" > /dev/null
    start_qvmd
    t "$FS: a fresh snapshot is not outdated" eq "$(qvm-volume info "app$FS:root" is_outdated)" False
    t "$FS: info's path is the running image" \
        eq "$(qvm-volume info "app$FS:root" path)" "$P/appvms/app$FS/root-dirty.img"
    t "$FS: resize while running grows the running image too" qvm-volume resize "app$FS:private" 4G
    t "$FS: (the -dirty image is 4 GiB)" eq "$(size_of "$P/appvms/app$FS/private-dirty.img")" 4294967296
    t "$FS: revert while running is refused" fails_with "in use" qvm-volume revert "app$FS:private"
    t "$FS: import while running is refused" fails_with "in use" qvm-volume import "app$FS:private" /etc/hostname
    stop_qvmd
    ctl stop "app$FS"
    start_qvmd
    t "$FS: after the stop the image kept the new size" eq "$(size_of "$P/appvms/app$FS/private.img")" 4294967296
    printf 'IMPORTED' > "$T/image"
    dd if=/dev/urandom bs=1M count=2 status=none >> "$T/image"
    t "$FS: qvm-volume import FILE" qvm-volume import "app$FS:private" "$T/image"
    t "$FS: the image holds the file's bytes" cmp -n "$(size_of "$T/image")" "$T/image" "$P/appvms/app$FS/private.img"
    t "$FS: and keeps the volume's size" eq "$(size_of "$P/appvms/app$FS/private.img")" 4294967296
    t "$FS: admin.vm.volume.ImportWithSize (binary payload) grows it to 5 GiB" \
        bash -c "{ echo 5368709120; printf 'SMALL\0IMG'; } | admin-call -s $T/qvmd.sock -P admin.vm.volume.ImportWithSize+private app$FS | grep -qx OK"
    t "$FS: (the data, NUL included, and the size)" \
        eq "$(head_of 9 "$P/appvms/app$FS/private.img" | od -An -c | tr -s ' ')" " S M A L L \\0 I M G"
    t "$FS: qvm-volume config app:private revisions_to_keep 0" \
        qvm-volume config "app$FS:private" revisions_to_keep 0
    t "$FS: info shows it" eq "$(qvm-volume info "app$FS:private" revisions_to_keep)" 0
    A="admin-call -s $T/qvmd.sock"
    TOKEN=$($A admin.vm.volume.CloneFrom+private "app$FS" | tail -n 1)
    t "$FS: admin.vm.volume.CloneFrom gives a token" grep -qxE '[0-9a-f]{32}' <<< "$TOKEN"
    t "$FS: CloneTo with it copies the volume into another qube's" \
        eq "$($A -p "$TOKEN" admin.vm.volume.CloneTo+private "tpl$FS")" OK
    t "$FS: (same data and size)" \
        cmp "$P/appvms/app$FS/private.img" "$P/vm-templates/tpl$FS/private.img"
    t "$FS: a token works once" \
        grep -q "unknown or used" <<< "$($A -p "$TOKEN" admin.vm.volume.CloneTo+private "tpl$FS")"
    t "$FS: admin.pool.Set.ephemeral_volatile" \
        eq "$($A -p True admin.pool.Set.ephemeral_volatile+"p$FS")" OK
    t "$FS: (info shows it)" grep -q "ephemeral_volatile *True" <<< "$(qvm-pool info "p$FS")"
    t "$FS: qvm-clone copies the private image" qvm-clone "app$FS" "clone$FS"
    t "$FS: the clone's private image has the data" \
        cmp "$P/appvms/app$FS/private.img" "$P/appvms/clone$FS/private.img"
    t "$FS: as a reflink" shared "$P/appvms/clone$FS/private.img"
    t "$FS: a pool in use cannot be removed" fails_with "in use" qvm-pool remove "p$FS"
    t "$FS: qvm-remove removes the images and revisions" qvm-remove -f "clone$FS" "app$FS"
    t "$FS: (the AppVMs' directories are gone)" eq "$(ls "$P/appvms")" ""
    t "$FS: qvm-remove the template" qvm-remove -f "tpl$FS"
    t "$FS: qvm-pool remove" qvm-pool remove "p$FS"
    stop_qvmd
    t "$FS: qvmd --check passes" check_db
    start_qvmd
done

# ---- a filesystem without reflinks
t "ext4: a loop-mounted image" fs ext4
t "ext4: setup_check=yes refuses it, saying why" \
    fails_with "does not support reflinks" qvm-pool add pext4 file-reflink -o "dir_path=$T/ext4/pool"
t "ext4: and adds no pool" eq "$(qvm-pool | grep -c pext4)" 0
t "ext4: setup_check=no accepts it (copies)" \
    qvm-pool add pext4 file-reflink -o "dir_path=$T/ext4/pool,setup_check=no"
qubes-prefs default_pool pext4
t "ext4: qvm-create a template and an AppVM there" \
    bash -c "qvm-create -C TemplateVM -l black tplx && qvm-create -l red -t tplx appx"
qubes-prefs default_pool varlibqubes
t "qvm-create -P POOL --pool VOLUME=POOL (admin.vm.CreateInPool)" \
    qvm-create -C StandaloneVM -l red -P pext4 --pool volatile=varlibqubes solo
t "(root and private in the -P pool, volatile where --pool said)" \
    eq "$(for v in root private volatile kernel; do qvm-volume info solo:$v pool; done | tr '\n' ' ')" \
    "pext4 pext4 varlibqubes linux-kernel "
t "(the images are in that pool's directory)" \
    eq "$(ls "$T/ext4/pool/appvms/solo" | tr '\n' ' ')" "private.img root.img "
t "qvm-create -P of a missing pool is refused, nothing created" \
    bash -c "qvm-create -l red -t tplx -P nosuch x1 2>&1 | grep -q 'no such pool: nosuch' && ! qvm-ls --raw-list | grep -qx x1"
t "a new qube without -P uses the defaults again" \
    bash -c "qvm-create -l red -t tplx x2 && [ \"\$(qvm-volume info x2:private pool)\" = varlibqubes ] && qvm-remove -f x2 solo"
put "$T/ext4/pool/vm-templates/tplx/root.img" "EXT4-ROOT"
mkdir -p "$T/vm-kernels/6.1.0"
: > "$T/vm-kernels/6.1.0/vmlinuz"
: > "$T/vm-kernels/6.1.0/modules.img"
t "kernel: a qube's kernel property picks a linux-kernel volume" qvm-prefs appx kernel 6.1.0
stop_qvmd
OUT=$(ctl start appx)
t "ext4: start copies the template's root (sparse)" \
    eq "$(head_of 9 "$T/ext4/pool/appvms/appx/root-dirty.img")" "EXT4-ROOT"
t "kernel: xvdd is the kernel's modules.img" grep -qx "xvdd $T/vm-kernels/6.1.0/modules.img" <<< "$OUT"
t "ext4: stop" ctl stop appx
# a volume that cannot start (a directory where its image goes)
mkdir "$T/ext4/pool/appvms/appx/volatile-dirty.img"
cp "$T/ext4/pool/appvms/appx/private.img" "$T/private.before"
REVS=$(ls "$T/ext4/pool/appvms/appx" | grep -c '~$')
t "a failing volume fails the start, saying which" \
    bash -c "$B/storage-ctl --db $T/qvm.db start appx 2>&1 | grep -q 'volume volatile (xvdc) of appx'"
t "the volumes started before it were discarded, not committed" \
    eq "$(ls "$T/ext4/pool/appvms/appx" | grep -c '^r.*dirty\|^p.*dirty') $(ls "$T/ext4/pool/appvms/appx" | grep -c '~$')" "0 $REVS"
t "(private is unchanged)" cmp "$T/private.before" "$T/ext4/pool/appvms/appx/private.img"
rmdir "$T/ext4/pool/appvms/appx/volatile-dirty.img"
rm "$T/vm-kernels/6.1.0/vmlinuz"
t "kernel: a kernel that is not installed fails the start, saying which" \
    bash -c "$B/storage-ctl --db $T/qvm.db start appx 2>&1 | grep -q 'kernel 6.1.0 is not installed'"
t "kernel: and nothing was started (every volume is verified first)" \
    eq "$(ls "$T/ext4/pool/appvms/appx" | grep -c dirty)" 0
start_qvmd
t "the default pools cannot be removed while in use" fails_with "in use" qvm-pool remove varlibqubes
t "a default_pool that is not a pool is refused" fails_with "no such pool" qubes-prefs default_pool nosuch
t "qvm-pool add of an unknown driver is refused" fails_with "unknown pool driver" qvm-pool add x nodriver -o dir_path=/x
t "qvm-pool add without dir_path is refused" fails_with "needs dir_path" qvm-pool add x file-reflink
echo "1..$n"
