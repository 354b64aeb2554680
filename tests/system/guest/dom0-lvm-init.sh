#!/bin/sh
# /init of the busybox dom0 in the Xen LVM system test. Builds the LVM thin
# storage a Qubes dom0 has (VG qubes_dom0, thin pool vm-pool, a template
# root and an AppVM private volume) and starts a PV guest twice the way qvmd
# will: root = a fresh snapshot of the template root, private = a snapshot
# of the private volume (Qubes' "-snap"); talks to it over qrexec, shuts it
# down, rotates the volumes (the root snapshot goes; the private volume
# becomes a "-<epoch>-back" revision and the snapshot takes its name), and
# destroys a guest that ignores shutdown. Markers go to the serial console
# for tests/system/test-xen-lvm.sh; "PHASE name seconds" lines time steps.
. /etc/rig-dom0-lib
mkdir -p /mnt/chk
# console LOG PATTERN SECONDS: waits until a guest's console shows PATTERN
console() {
    i=0
    while ! grep -q "$2" "/var/log/xen/console/guest-$1.log" 2>/dev/null && [ $i -lt $(($3 * 5)) ]; do
        sleep 0.2
        i=$((i + 1))
    done
    grep -q "$2" "/var/log/xen/console/guest-$1.log" 2>/dev/null
}
# gone NAME SECONDS: waits until the domain no longer exists
gone() {
    i=0
    while xl domid "$1" > /dev/null 2>&1 && [ $i -lt $(($2 * 5)) ]; do sleep 0.2; i=$((i + 1)); done
    ! xl domid "$1" > /dev/null 2>&1
}
VG=qubes_dom0
M "init started, kernel $(uname -r)"
for l in xen.list blkback.list virtio.list lvm.list ext4.list; do rig_load $l; done
dom0_toolstack
M "toolstack up"

i=0
while { ! disk pool > /dev/null || ! disk rootimg > /dev/null; } && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
POOLDEV=$(disk pool)
IMGDEV=$(disk rootimg)
M "disks: pool=$POOLDEV ($(cat /sys/block/${POOLDEV#/dev/}/size) sectors) root image=$IMGDEV"

# ---- storage as a Qubes installer and qvm-create leave it ----
t=$(up)
pvcreate -q "$POOLDEV" && vgcreate -q $VG "$POOLDEV" &&
    lvcreate -q -T -L 3g -n vm-pool $VG
M "LVM vgcreate + thin pool rc=$?"
PHASE pool "$t"
t=$(up)
lvcreate -q -T $VG/vm-pool -V 1g -n vm-tmpl-root &&
    lvcreate -q -T $VG/vm-pool -V 512m -n vm-work-private
M "LVM thin volumes rc=$?"
PHASE lvcreate "$t"
t=$(up)
dd if="$IMGDEV" of=/dev/$VG/vm-tmpl-root bs=1M conv=fsync 2> /dev/null
M "root image written to vm-tmpl-root rc=$?"
PHASE image "$t"

cat > /tmp/work.cfg << CFG
name = "work"
type = "pv"
kernel = "/guest/vmlinux"
ramdisk = "/guest/initrd.gz"
extra = "console=hvc0 root=/dev/xvda"
memory = 256
vcpus = 1
disk = [ "format=raw, vdev=xvda, access=rw, script=block-rig, target=/dev/$VG/vm-work-root-snap",
         "format=raw, vdev=xvdb, access=rw, script=block-rig, target=/dev/$VG/vm-work-private-snap" ]
CFG

# start_work P: what qvmd will do to start an AppVM (root: snapshot of the
# template's root, thrown away at stop; private: snapshot kept at stop),
# then xl create and wait for the agent. P prefixes the phase names.
start_work() {
    t=$(up)
    lvcreate -q -s -n vm-work-root-snap $VG/vm-tmpl-root && lvchange -q -ay -K $VG/vm-work-root-snap &&
        lvcreate -q -s -n vm-work-private-snap $VG/vm-work-private &&
        lvchange -q -ay -K $VG/vm-work-private-snap
    M "${1}LVM snapshots rc=$?"
    PHASE "${1}snapshot" "$t"
    lvs --noheadings -o lv_name,lv_attr,pool_lv,origin,lv_size $VG | sed "s/^/${1}LVS1 /"
    t=$(up)
    xl create /tmp/work.cfg
    rc=$?
    D=$(xl domid work)
    M "${1}xl create work rc=$rc domid=$D"
    PHASE "${1}create" "$t"
    t=$(up)
    # a loaded machine took more than the default 60 s to boot the guest
    QREXEC_STARTUP_TIMEOUT=300 BULKHEAD_SIMPLE_POLICY=/etc/bulkhead/qrexec-simple.policy \
        QREXEC_SERVICE_PATH=/etc/qubes-rpc \
        qrexec-daemon -D -p /bin/qrexec-policy-simple --socket-dir /run/qubes "$D" work root \
        > "/tmp/qrexec-daemon.$D.log" 2>&1 &
    i=0
    while [ -n "$D" ] && [ ! -S "/run/qubes/qrexec.$D" ] && [ $i -lt 900 ]; do sleep 0.2; i=$((i + 1)); done
    out=
    [ -n "$D" ] && out=$(timeout 180 qrexec-client -d work -w 170 'root:echo AGENT_UP')
    M "${1}QREXEC first call rc=$? out=$out"
    PHASE "${1}boot" "$t"
}

# stop_work P: xl shutdown, then what qvmd will do at stop: drop the root
# snapshot, keep the old private volume as revision -<epoch>-back and give
# the snapshot the volume's name. Sets $epoch.
stop_work() {
    t=$(up)
    timeout 120 xl shutdown -w work
    M "${1}xl shutdown work rc=$?"
    PHASE "${1}shutdown" "$t"
    gone work 30 && M "${1}work is gone"
    t=$(up)
    epoch=$(date +%s)
    lvremove -q -f $VG/vm-work-root-snap &&
        lvrename -q $VG/vm-work-private $VG/vm-work-private-$epoch-back &&
        lvrename -q $VG/vm-work-private-snap $VG/vm-work-private
    M "${1}LVM stop rotation rc=$?"
    PHASE "${1}rotate" "$t"
    lvs --noheadings -o lv_name,lv_attr,pool_lv,origin,lv_size $VG | sed "s/^/${1}LVS2 /"
    # renamed snapshots keep the activation-skip flag: -K
    lvchange -q -ay -K $VG/vm-work-private $VG/vm-work-private-$epoch-back
}

# cat_private LV FILE: a file from a private volume, mounted read-only in dom0
cat_private() {
    if mount -t ext4 -o ro "/dev/$VG/$1" /mnt/chk; then
        tr '\n' ' ' < "/mnt/chk/$2"
        umount /mnt/chk
    else
        echo "(no file system)"
    fi
}

# ---- first start: the guest formats its blank private volume ----
start_work ""
out=$(timeout 60 qrexec-client -d work -w 30 'root:echo "root=$(awk '"'"'$2 == "/" {print $1}'"'"' /proc/mounts) id=$(cat /etc/rig-root-id) rw=$(awk '"'"'$2 == "/rw" {print $1}'"'"' /proc/mounts)"')
M "QREXEC mounts rc=$? $out"
timeout 60 qrexec-client -d work -w 30 'root:exit 42'
M "QREXEC exitcode rc=$?"
out=$(timeout 60 qrexec-client -d work -w 30 'root:echo boot1-$(cat /etc/rig-root-id) > /rw/hello.txt && sync && cat /rw/hello.txt')
M "QREXEC write /rw rc=$? out=$out"
stop_work ""
epoch1=$epoch
M "dom0 reads vm-work-private: hello.txt=$(cat_private vm-work-private hello.txt)"
if cmp -s -n 1048576 /dev/$VG/vm-work-private-$epoch1-back /dev/zero; then b=blank; else b=data; fi
M "revision vm-work-private-$epoch1-back holds the volume from before the start: $b"

# ---- second start: /rw is still there; the revision keeps the old data ----
start_work "second-"
out=$(timeout 60 qrexec-client -d work -w 30 'root:cat /rw/hello.txt && echo boot2 >> /rw/hello.txt && sync')
M "second-QREXEC read /rw rc=$? out=$out"
stop_work "second-"
# revisions_to_keep=1 (the Qubes driver's default): the older one goes
lvremove -q -f $VG/vm-work-private-$epoch1-back
M "second-LVM prune of revision $epoch1 rc=$?"
M "dom0 reads vm-work-private: hello.txt=$(cat_private vm-work-private hello.txt)"
M "dom0 reads revision vm-work-private-$epoch-back: hello.txt=$(cat_private vm-work-private-$epoch-back hello.txt)"

# ---- a guest that ignores shutdown: xl destroy, then its disk is free ----
lvcreate -q -s -n vm-hung-root-snap $VG/vm-tmpl-root && lvchange -q -ay -K $VG/vm-hung-root-snap
cat > /tmp/hung.cfg << CFG
name = "hung"
type = "pv"
kernel = "/guest/vmlinux"
ramdisk = "/guest/initrd.gz"
extra = "console=hvc0 root=/dev/xvda bulkhead.hang"
memory = 256
vcpus = 1
disk = [ "format=raw, vdev=xvda, access=rw, script=block-rig, target=/dev/$VG/vm-hung-root-snap" ]
CFG
xl create /tmp/hung.cfg
rc=$?
M "xl create hung rc=$rc"
[ $rc = 0 ] && console hung 'hanging on purpose' 120
M "hung guest is up: rc=$?"
timeout 5 xl shutdown -w hung
M "xl shutdown of the hung guest rc=$? (the guest ignores it)"
t=$(up)
xl destroy hung
M "xl destroy hung rc=$?"
gone hung 30
M "hung guest gone after destroy rc=$?"
PHASE destroy "$t"
lvremove -q -f $VG/vm-hung-root-snap
M "lvremove of the destroyed guest's root snapshot rc=$?"
lvs --noheadings -o lv_name $VG | sed 's/^/LVS3 /'

cat /tmp/qrexec-daemon.*.log | sed 's/^/  qrexec-daemon| /'
for g in work hung; do
    echo "---- guest console: $g"
    tr -d '\r' < /var/log/xen/console/guest-$g.log | sed "s/^/  $g| /"
done
M "ALL_DONE"
sync
poweroff -f
