# Sourced first by the /init of every busybox dom0 the system tests boot
# (tests/system/guest/dom0-*-init.sh; rig_xen_dom0_tools installs it as
# /etc/rig-dom0-lib): the early file systems, the lines the host scripts
# turn into TAP and timings, and Xen's toolstack.
export PATH=/usr/bin:/bin:/usr/sbin:/sbin:/usr/lib/xen-4.17/bin XENSTORED_ROOTDIR=/run/xenstored
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /run/xen /run/xenstored /run/lvm /run/lock/lvm /run/qubes /run/bulkhead /dev/pts \
    /var/lock /var/tmp
mount -t devpts devpts /dev/pts
ln -s /proc/self/fd /dev/fd
# rig_load LIST (kernel modules), when the test's dom0 has module lists
[ -f /etc/rig-functions ] && . /etc/rig-functions

# M TEXT: a marker with dom0's uptime; SAY TEXT: a line of the demo's story
M() { echo "DOM0_MARK[$(cut -d' ' -f1 /proc/uptime)]: $*"; }
SAY() { echo "SAY $*"; }
up() { cut -d' ' -f1 /proc/uptime; }
# PHASE NAME SINCE: how long a step took, from its start time (up)
PHASE() { echo "PHASE $1 $(awk -v a="$2" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }') s"; }
# R WHAT CMD...: runs CMD, prints RESULT ok/FAIL for WHAT (with its output)
R() {
    what=$1
    shift
    if out=$("$@" 2>&1); then
        echo "RESULT ok: $what"
    else
        echo "RESULT FAIL: $what (rc $?: $(echo "$out" | tail -n 5 | tr '\n' ' '))"
        return 1
    fi
}
# eq WHAT GOT WANT
eq() {
    if [ "$2" = "$3" ]; then echo "RESULT ok: $1"; else echo "RESULT FAIL: $1 (got '$2', wanted '$3')"; return 1; fi
}
ok() { echo "RESULT ok: $1"; }
fail() { echo "RESULT FAIL: $1"; }
# disk SERIAL: the virtio disk QEMU was given with that serial
disk() {
    for b in /sys/block/vd*; do
        [ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] && echo "/dev/${b##*/}" && return 0
    done
    return 1
}

# dom0_toolstack: xenfs, xenstored (waited for), dom0's own entry, and
# xenconsoled logging each guest's console to /var/log/xen/console
dom0_toolstack() {
    mount -t xenfs xenfs /proc/xen
    xenstored --pid-file /run/xenstore.pid
    i=0
    while ! xenstore-read -s / > /dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
    xen-init-dom0 > /dev/null
    xenconsoled --log=guest --log-dir=/var/log/xen/console
}
