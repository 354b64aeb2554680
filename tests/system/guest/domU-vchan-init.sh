#!/bin/sh
# /init of the busybox PV guest in the Xen vchan system test: the other end
# of each transfer dom0-vchan-init.sh runs, and qrexec-agent.
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
M() { echo "DOMU_MARK[$(cut -d' ' -f1 /proc/uptime)]: $*"; }
BYTES=$(sed -n 's/.* xfer_bytes=\([0-9]*\).*/\1/p' /proc/cmdline)
M "guest init started, kernel $(uname -r), $(cat /sys/hypervisor/guest_type 2>/dev/null) guest"
for m in xen-evtchn xen-gntdev xen-gntalloc; do insmod /lib/modules/$m.ko || M "insmod $m FAILED"; done
timeout 180 vchan-xfer client 0 4000 recv 0 120000; M "transfer dom0->guest rc=$?"
timeout 180 vchan-xfer server 0 4001 send "$BYTES"; M "transfer guest->dom0 rc=$?"
# qrexec: the real agent, for dom0's qrexec-daemon and qrexec-client
qrexec-agent --agent-socket /run/qrexec-agent 2>&1 &
M "qrexec-agent started"
# a call to dom0; it waits until dom0's qrexec-daemon has connected
out=$(echo hello-dom0 | timeout 300 qrexec-client-vm --agent-socket /run/qrexec-agent dom0 test.FromGuest)
M "QREXEC guest->dom0 rc=$? out=$out"
M "serving an endless stream until destroyed"
vchan-xfer server 0 4002 send 1099511627776
M "endless stream ended rc=$?"
while :; do sleep 3600; done
