#!/bin/sh
# /etc/init.d/rcS of the guest root image (busybox init runs it at start):
# mounts the private volume xvdb at /rw, formatting it first when it is
# blank, and starts qubesdb-vm-daemon and qrexec-agent. Prints ROOT_MARK lines on the console.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
grep -q ' /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
. /etc/rig-functions
M() { echo "ROOT_MARK[$(cut -d' ' -f1 /proc/uptime)]: $*"; }
M "init from the root disk: / is $(awk '$2 == "/" {split($4, o, ","); print $1, o[1]}' /proc/mounts), image $(cat /etc/rig-root-id)"
rig_load agent.list
# blkfront announces the disks one after the other
i=0
while [ ! -b /dev/xvdb ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/xvdb ]; then
    if mount -t ext4 /dev/xvdb /rw 2>/dev/null; then
        M "private volume xvdb mounted at /rw"
    elif cmp -s -n 1048576 /dev/xvdb /dev/zero; then
        # blank (a new volume): format it; never one that holds data but
        # fails to mount. A new thin volume reads as zeros already: no
        # discard, and no zeroing of inode tables and journal (seconds
        # under emulation).
        /sbin/mke2fs -q -t ext4 -m 0 -L private -E nodiscard,lazy_itable_init=1,lazy_journal_init=1 /dev/xvdb && mount -t ext4 /dev/xvdb /rw &&
            M "private volume xvdb was blank: formatted and mounted at /rw"
    else
        M "private volume xvdb holds data but does not mount; /rw left empty"
    fi
fi
# the qube's end of QubesDB (a proxy to dom0's qubesdb-daemon, which qvmd
# starts and fills before it unpauses the domain), before the agent, as
# in Qubes; with no dom0 daemon (xl-only tests) it just keeps waiting
setsid qubesdb-vm-daemon > /dev/console 2>&1 < /dev/null &
setsid qrexec-agent --agent-socket /run/qrexec-agent > /dev/console 2>&1 < /dev/null &
M "qrexec-agent started"
