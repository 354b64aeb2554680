#!/bin/sh
# /init of the busybox dom0 in the Xen vchan system test. Brings up the Xen
# toolstack, starts a PV guest, and moves checksummed streams over lib/vchan
# (Xen backend) both ways, then kills the guest mid-transfer to check the
# dom0 side sees the channel closed instead of hanging. Everything it prints
# reaches the host on the serial console; tests/system/test-xen-vchan.sh
# reads the markers.
. /etc/rig-dom0-lib
BYTES=$(sed -n 's/.* xfer_bytes=\([0-9]*\).*/\1/p' /proc/cmdline)
M "init started, kernel $(uname -r)"
for m in xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc; do
    insmod /lib/modules/$m.ko || M "insmod $m FAILED"
done
dom0_toolstack
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

# Each step has a time limit so that a failure still reaches the guest's
# console (dumped at the end) instead of hanging the run.
# 1: dom0 is the server and sends; the guest connects and receives.
timeout 180 vchan-xfer server "$D" 4000 send "$BYTES"; M "transfer dom0->guest rc=$?"
# 2: the guest is the server and sends; dom0 connects and receives.
timeout 180 vchan-xfer client "$D" 4001 recv 0 120000; M "transfer guest->dom0 rc=$?"
# qrexec: dom0 runs a command and an RPC service in the guest through
# qrexec-daemon and the guest's qrexec-agent, over libxenvchan.
mkdir -p /run/qubes
# a loaded machine can take more than the default 60 s to boot the guest
QREXEC_STARTUP_TIMEOUT=300 BULKHEAD_SIMPLE_POLICY=/etc/bulkhead/qrexec-simple.policy \
    QREXEC_SERVICE_PATH=/etc/qubes-rpc qrexec-daemon -D -p /bin/qrexec-policy-simple --socket-dir /run/qubes "$D" guest root \
    > /tmp/qrexec-daemon.log 2>&1 &
i=0; while [ ! -S /run/qubes/qrexec.$D ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
out=$(timeout 120 qrexec-client -d guest -w 60 'root:echo QREXEC_HELLO $(cat /sys/hypervisor/guest_type)')
M "QREXEC exec rc=$? out=$out"
head -c 4194304 /dev/urandom > /tmp/rnd
sum=$(timeout 120 qrexec-client -d guest -w 60 'root:QUBESRPC test.Sum dom0' < /tmp/rnd)
M "QREXEC rpc rc=$? local=$(wc -c < /tmp/rnd) $(md5sum < /tmp/rnd | cut -d' ' -f1) $(head -c 8 /tmp/rnd | od -An -tx1 | tr -d ' ') $(tail -c 8 /tmp/rnd | od -An -tx1 | tr -d ' ') remote=$sum"
timeout 120 qrexec-client -d guest -w 60 'root:exit 42'
M "QREXEC exitcode rc=$?"
timeout 120 qrexec-client -d guest -w 60 'root:QUBESRPC test.Cat dom0' < /tmp/rnd > /tmp/back
M "QREXEC cat rc=$? sizes $(wc -c < /tmp/rnd) $(wc -c < /tmp/back): $(cmp /tmp/rnd /tmp/back 2>&1 | head -1)"
sed 's/^/  qrexec-daemon| /' /tmp/qrexec-daemon.log

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

# the guest's console (xenconsoled keeps the file after the guest is gone)
sleep 1
echo "---- guest console"
tr -d '\r' < /var/log/xen/console/guest-guest.log | sed 's/^/  guest| /'
M "ALL_DONE"
sync; poweroff -f
