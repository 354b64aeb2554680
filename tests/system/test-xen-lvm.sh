#!/bin/bash
# System test: real Xen 4.17 under QEMU, with a dom0 that keeps guest disks
# on LVM thin volumes as Qubes does (VG qubes_dom0, thin pool vm-pool), and a
# PV guest that boots from its root disk (a snapshot of a template's root
# volume) with its private volume at /rw. Checks the guest's boot, qrexec
# into it, that data written to /rw survives shutdown and the volume
# rotation and a restart (with Qubes' -<epoch>-back revisions), and that a
# hung guest can be destroyed and its disk freed.
# Output is TAP; "# phase NAME SECONDS s" lines time each step in dom0.
set -u
cd "$(dirname "$0")/../.."
. tests/system/rig.sh
W=$RIG_BUILD/xen-rig/lvm
echo "1..16"
for b in qrexec-agent qrexec-daemon qrexec-client qrexec-client-vm qrexec-policy-simple; do
    [ -x "$RIG_BUILD/guest/$b" ] || { echo "not ok 1 - $RIG_BUILD/guest/$b is not built (run make)"; exit 1; }
done
for b in /sbin/lvm /usr/sbin/pdata_tools /sbin/mke2fs; do
    [ -x "$b" ] || { echo "not ok 1 - $b is missing (run tools/install-deps)"; exit 1; }
done
rig_init || { echo "not ok 1 - rig set-up failed"; exit 1; }
mkdir -p "$W"

# the guest: kernel + initramfs (carried by dom0), root image (a disk of dom0)
rig_guest_initramfs "$RIG_CACHE/guest-root-initrd.gz" &&
    rig_guest_root_image "$RIG_CACHE/guest-root.img" && rig_guest_vmlinux "$RIG_CACHE/guest-vmlinux" ||
    { echo "not ok 1 - building the guest's kernel, initramfs or root image failed"; exit 1; }

rig_mkroot "$W/dom0"
rig_xen_dom0_tools "$W/dom0"
rig_kmods "$W/dom0" xen.list xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc &&
    rig_kmods "$W/dom0" virtio.list virtio_pci virtio_blk &&
    rig_kmods "$W/dom0" ext4.list crc32c_generic ext4 &&
    rig_block_script "$W/dom0" && rig_lvm "$W/dom0" ||
    { echo "not ok 1 - building dom0's root failed"; exit 1; }
echo "$RIG_KMODS_LOAD" > "$W/dom0/etc/rig-functions"
cp "$RIG_BUILD/guest/qrexec-daemon" "$RIG_BUILD/guest/qrexec-client" \
   "$RIG_BUILD/guest/qrexec-policy-simple" "$W/dom0/bin/"
mkdir -p "$W/dom0/etc/bulkhead" "$W/dom0/etc/qubes-rpc" "$W/dom0/guest"
printf '* * @anyvm @anyvm deny\n' > "$W/dom0/etc/bulkhead/qrexec-simple.policy"
cp "$RIG_CACHE/guest-vmlinux" "$W/dom0/guest/vmlinux"
cp "$RIG_CACHE/guest-root-initrd.gz" "$W/dom0/guest/initrd.gz"
install -m 755 tests/system/guest/dom0-lvm-init.sh "$W/dom0/init"
rig_cpio "$W/dom0" "$W/dom0.cpio"
# the pool's disk: sparse, fresh each run
rm -f "$W/pool.img"
truncate -s 4G "$W/pool.img"
rig_log "initramfs: dom0 $(du -h "$W/dom0.cpio" | cut -f1); guest root image $(du -h "$RIG_CACHE/guest-root.img" | cut -f1)"

LOG=$W/serial.log
rig_boot "$W/dom0.cpio" "$LOG" "" "pool=$W/pool.img" "rootimg=$RIG_CACHE/guest-root.img:ro"
S=$(tr -d '\r' < "$LOG")
ID=$(cat "$RIG_CACHE/guest-root.img.key")

n=0
check() {   # check DESCRIPTION GREP-PATTERN...: ok if every pattern is in the log
    local desc=$1 p; shift; n=$((n + 1))
    for p in "$@"; do
        if ! grep -qE -- "$p" <<<"$S"; then
            echo "not ok $n - $desc"; echo "# missing in $LOG: $p"; return 1
        fi
    done
    echo "ok $n - $desc"
}
check "dom0 brings up the toolstack and finds both disks" 'DOM0_MARK.*toolstack up' \
    'DOM0_MARK.*disks: pool=/dev/vd[a-z] \(8388608 sectors\) root image=/dev/vd[a-z]'
check "LVM: VG qubes_dom0, thin pool vm-pool, thin volumes, root image written" \
    'LVM vgcreate \+ thin pool rc=0' 'LVM thin volumes rc=0' 'root image written to vm-tmpl-root rc=0'
check "LVM: snapshots of the template root and the private volume, activated" \
    'LVM snapshots rc=0' 'LVS1 +vm-work-root-snap +Vwi-a-t[^ ]* +vm-pool +vm-tmpl-root' \
    'LVS1 +vm-work-private-snap +Vwi-a-t[^ ]* +vm-pool +vm-work-private'
check "xl create of a PV guest with xvda = root snapshot, xvdb = private snapshot" \
    'xl create work rc=0 domid=[0-9]+'
check "the guest boots from its root disk (initramfs -> switch_root -> /sbin/init on xvda)" \
    'work\| INITRD_MARK.*root /dev/xvda mounted, switching' \
    "work\\| ROOT_MARK.*init from the root disk: / is /dev/xvda rw, image $ID"
check "the guest formats its blank private volume and mounts it at /rw" \
    'work\| ROOT_MARK.*private volume xvdb was blank: formatted and mounted at /rw'
check "qrexec: dom0 runs a command in the guest; it sees root xvda, /rw on xvdb" \
    'QREXEC first call rc=0 out=AGENT_UP' "QREXEC mounts rc=0 root=/dev/xvda id=$ID rw=/dev/xvdb"
check "qrexec: the guest command's exit code reaches dom0" 'QREXEC exitcode rc=42'
check "xl shutdown: the guest stops cleanly (unmounts /rw) and is gone" \
    "QREXEC write /rw rc=0 out=boot1-$ID" 'work\| ROOT_MARK.*clean shutdown done' \
    'DOM0_MARK[^ ]* xl shutdown work rc=0' 'DOM0_MARK[^ ]* work is gone'
check "after stop: root snapshot removed, private rotated to a -<epoch>-back revision" \
    'DOM0_MARK[^ ]* LVM stop rotation rc=0' '^LVS2 +vm-work-private-[0-9]+-back ' \
    '^LVS2 +vm-work-private +V' '^LVS2 +vm-tmpl-root '
n=$((n + 1))
if grep -qE 'LVS2 +vm-work-root-snap|LVS2 +vm-work-private-snap' <<<"$S"; then
    echo "not ok $n - the started snapshots are gone after each stop"; grep LVS2 <<<"$S" | sed 's/^/# /'
else
    echo "ok $n - the started snapshots are gone after each stop"
fi
check "the data written to /rw in the guest is in vm-work-private; the revision has the old (blank) state" \
    "DOM0_MARK[^ ]* dom0 reads vm-work-private: hello.txt=boot1-$ID \$" \
    'revision vm-work-private-[0-9]+-back holds the volume from before the start: blank'
check "second start: the guest mounts its private volume as it was and reads the file" \
    'second-LVM snapshots rc=0' 'second-xl create work rc=0' \
    'work\| ROOT_MARK.*private volume xvdb mounted at /rw' \
    "second-QREXEC read /rw rc=0 out=boot1-$ID\$"
check "second stop: new revision keeps the first boot's data, the volume has both, old revision pruned" \
    'second-xl shutdown work rc=0' 'second-LVM stop rotation rc=0' 'second-LVM prune of revision [0-9]+ rc=0' \
    "DOM0_MARK[^ ]* dom0 reads vm-work-private: hello.txt=boot1-$ID boot2 \$" \
    "dom0 reads revision vm-work-private-[0-9]+-back: hello.txt=boot1-$ID \$"
check "xl destroy ends a guest that ignores shutdown, and frees its disk" \
    'hung\| INITRD_MARK.*hanging on purpose' 'xl shutdown of the hung guest rc=[1-9]' \
    'xl destroy hung rc=0' 'hung guest gone after destroy rc=0' \
    "lvremove of the destroyed guest's root snapshot rc=0" 'DOM0_MARK.*ALL_DONE'
n=$((n + 1))
if grep -qE 'Kernel panic|\(XEN\) .*FATAL|BUG: ' <<<"$S"; then
    echo "not ok $n - no kernel panic or Xen fatal error"; grep -m3 -E 'Kernel panic|FATAL|BUG: ' <<<"$S" | sed 's/^/# /'
else
    echo "ok $n - no kernel panic or Xen fatal error"
fi
grep -E '^PHASE ' <<<"$S" | sed 's/^PHASE /# phase /'
grep -E '^(second-)?LVS3 ' <<<"$S" | sed 's/^/# /'
echo "# QEMU ran ${RIG_QEMU_SECS:-?} s, peak RSS $(( ${RIG_QEMU_KIB:-0} / 1024 )) MiB"
