#!/bin/sh
# /init of the busybox dom0 in the Xen vchan system test. Brings up the Xen
# toolstack, starts a PV guest, and moves checksummed streams over lib/vchan
# (Xen backend) both ways, then kills the guest mid-transfer to check the
# dom0 side sees the channel closed instead of hanging. Everything it prints
# reaches the host on the serial console; tests/system/test-xen-vchan.sh
# reads the markers.
export PATH=/bin:/usr/bin:/usr/sbin:/sbin:/usr/lib/xen-4.17/bin XENSTORED_ROOTDIR=/run/xenstored
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mkdir -p /run/xen /run/xenstored /dev/pts /var/lock; mount -t devpts devpts /dev/pts
ln -s /proc/self/fd /dev/fd
M() { echo "DOM0_MARK[$(cut -d' ' -f1 /proc/uptime)]: $*"; }
BYTES=$(sed -n 's/.* xfer_bytes=\([0-9]*\).*/\1/p' /proc/cmdline)
M "init started, kernel $(uname -r)"
for m in xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc; do
    insmod /lib/modules/$m.ko || M "insmod $m FAILED"
done
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xenstore.pid
i=0; while ! xenstore-read -s / >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done
xen-init-dom0 >/dev/null
xenconsoled --log=guest --log-dir=/var/log/xen/console
xl info | grep -E 'xen_version|xen_caps|nr_cpus|total_memory' | sed 's/^/XL_INFO /'
M "toolstack up"

cat > /tmp/guest.cfg <<CFG
name = "guest"
type = "pv"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
memory = 256
vcpus = 1
extra = "console=hvc0 xfer_bytes=$BYTES"
CFG
xl create /tmp/guest.cfg && D=$(xl domid guest)
M "xl create rc=$? guest domid=$D"
# the guest's console, live, on ours
# (xenconsoled creates the file some seconds after the domain exists, and
# busybox's tail gives up on a file that is not there yet)
GLOG=/var/log/xen/console/guest-guest.log
( i=0; while [ ! -f $GLOG ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
  tail -n +1 -f $GLOG | tr -d '\r' | sed 's/^/  guest| /' ) &

# Each step has a time limit so that a failure still reaches the guest's
# console instead of hanging the run.
# 1: dom0 is the server and sends; the guest connects and receives.
timeout 180 vchan-xfer server "$D" 4000 send "$BYTES"; M "transfer dom0->guest rc=$?"
# 2: the guest is the server and sends; dom0 connects and receives.
timeout 180 vchan-xfer client "$D" 4001 recv 0 120000; M "transfer guest->dom0 rc=$?"
# 3: the guest serves an endless stream; dom0 reads it until the guest is
#    destroyed under it. dom0's blocking read must end with "closed".
vchan-xfer client "$D" 4002 recv 0 120000 > /tmp/dead.out 2>&1 &
P=$!
sleep 3
t0=$(cut -d' ' -f1 /proc/uptime)
xl destroy guest; M "xl destroy rc=$?"
i=0; while kill -0 $P 2>/dev/null && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done
if kill -0 $P 2>/dev/null; then
    M "DEAD_PEER_HANG: dom0 reader still blocked 30 s after the guest died"
    kill -9 $P
else
    wait $P; rc=$?
    t1=$(cut -d' ' -f1 /proc/uptime)
    M "DEAD_PEER_SEEN rc=$rc after $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.1f", b-a}') s: $(cat /tmp/dead.out)"
fi

sleep 2 # tail polls the guest's console once a second
M "ALL_DONE"
sync; poweroff -f
