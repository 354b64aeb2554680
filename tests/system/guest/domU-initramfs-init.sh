#!/bin/sh
# /init of the guest initramfs in the rig: loads xen-blkfront and ext4,
# mounts root= (default /dev/xvda) read-write and switch_roots to its
# /sbin/init. Qubes mounts a dm snapshot of xvda (with xvdc as the COW)
# instead; the rig uses xvda itself because dom0 already hands an AppVM a
# throwaway LVM snapshot of its template's root (docs/xen-rig.md).
# "bulkhead.hang" on the command line makes it stop after mounting the root
# and ignore shutdown requests, for tests of xl destroy.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
. /etc/rig-functions
M() { echo "INITRD_MARK[$(cut -d' ' -f1 /proc/uptime)]: $*"; }
root=/dev/xvda hang=
for a in $(cat /proc/cmdline); do
    case $a in
    root=*) root=${a#root=} ;;
    bulkhead.hang) hang=1 ;;
    esac
done
rig_load root.list
i=0
while [ ! -b "$root" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if ! mount -t ext4 -o rw "$root" /newroot; then
    M "cannot mount $root; powering off"
    poweroff -f
fi
if [ -n "$hang" ]; then
    # PID 1 without a handler ignores the SIGUSR2 that poweroff sends it
    M "root $root mounted; hanging on purpose (bulkhead.hang)"
    while :; do sleep 1; done
fi
M "root $root mounted, switching to its /sbin/init"
mount --move /dev /newroot/dev
umount /proc /sys
exec switch_root /newroot /sbin/init
