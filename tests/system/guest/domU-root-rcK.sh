#!/bin/sh
# /etc/init.d/rcK of the guest root image: busybox init runs it when the
# guest is asked to power off (xl shutdown); /rw must be clean for dom0.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
M() { echo "ROOT_MARK[$(cut -d' ' -f1 /proc/uptime)]: $*"; }
M "shutting down: stopping qrexec-agent, unmounting /rw"
killall qrexec-agent 2>/dev/null
sync
M "synced"
umount /rw 2>/dev/null
M "/rw unmounted rc=$?"
mount -o remount,ro /
M "clean shutdown done"
