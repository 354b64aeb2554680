#!/bin/bash
# System test: qvmd runs real qubes on Xen 4.17 under QEMU. One boot: the
# busybox dom0 (tests/system/guest/dom0-qvmd-init.sh) runs qvmd with the
# xen backend (libxl), and everything else goes through the qvm-* commands:
# an LVM thin pool made a qvmd pool, a template whose root is the rig's
# guest root image (qvm-volume import), an AppVM started, used with
# qvm-run, shut down, killed, and destroyed behind qvmd's back.
# dom0 prints "RESULT ok|FAIL: WHAT" lines; this script turns them into TAP
# (a check dom0 never reached fails too), and qvmd's start log line into
# "# phase" lines.
#   --demo  the dom0 init's demo instead (two qubes; used by tests/system/demo)
# QVMD_VIRT_MODE=pvh boots the qubes PVH instead of PV.
set -u
cd "$(dirname "$0")/../.."
. tests/system/rig.sh
MODE="test"
[ "${1:-}" = --demo ] && MODE=demo
W=$RIG_BUILD/xen-rig/qvmd-$MODE
B=$RIG_BUILD/bin
# what dom0 checks, in order (dom0-qvmd-init.sh prints the same words)
if [ $MODE = test ]; then
    CHECKS=(
        "qvmd is up with the xen backend"
        "qvm-pool add vm-pool lvm_thin"
        "qubes-prefs default_pool and default_kernel"
        "qvm-create -C TemplateVM tmpl"
        "qvm-volume import tmpl:root"
        "qvm-create -t tmpl work"
        "qvm-start work"
        "qvm-ls: work is Running"
        "xl list shows the domain work"
        "qvm-run -p returns the output"
        "qvm-run -p returns the exit code"
        "qvm-run -p: qubesdb-read /name in the qube"
        "a call from the qube to dom0, allowed by the policy daemon"
        "a call the policy denies fails"
        "the qube's root is xvda, its private volume /rw is xvdb"
        "the root is a snapshot of the template's root"
        "qvm-shutdown --wait work"
        "after shutdown the domain is gone"
        "after shutdown the root snapshot is gone"
        "after shutdown a private revision is kept"
        "second qvm-start work"
        "the private volume kept its data"
        "the qube ignores shutdown"
        "qvm-kill of a qube that ignores shutdown"
        "after qvm-kill the domain and the snapshot are gone"
        "third qvm-start work"
        "xl destroy behind qvmd's back: work is Halted"
        "... and cleaned up"
        "qvmd is still running"
    )
else
    CHECKS=(
        "qvmd is up with the xen backend"
        "storage and kernel set up"
        "qvm-create tmpl, work, personal"
        "qvm-start work personal"
        "qvm-run in work"
        "qvm-run in personal"
        "qvm-shutdown --wait work personal"
    )
fi
echo "1..$(( ${#CHECKS[@]} + 1 ))"
for b in qvmd qubesdb-daemon qrexec-daemon qrexec-policy-daemon qvm-create qvm-start qvm-run \
         qvm-shutdown qvm-kill qvm-ls qvm-pool qvm-volume qvm-prefs qubes-prefs; do
    [ -x "$B/$b" ] || { echo "not ok 1 - $B/$b is not built (run make)"; exit 1; }
done
for b in qrexec-agent qubesdb-vm-daemon qubesdb-read; do
    [ -x "$RIG_BUILD/guest/$b" ] || { echo "not ok 1 - $RIG_BUILD/guest/$b is not built (run make)"; exit 1; }
done
for b in /sbin/lvm /usr/sbin/pdata_tools /sbin/mke2fs; do
    [ -x "$b" ] || { echo "not ok 1 - $b is missing (run tools/install-deps)"; exit 1; }
done
rig_init || { echo "not ok 1 - rig set-up failed"; exit 1; }
mkdir -p "$W"

# the guest: kernel + initramfs (carried by dom0, for vm-kernels), root
# image (a read-only disk of dom0, imported with qvm-volume)
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
# libxl runs /etc/xen/scripts/block for phy disks (qvmd sets no script):
# the rig's busybox one stands in for Xen's bash script (docs/xen-rig.md)
ln -sf block-rig "$W/dom0/etc/xen/scripts/block"
echo "$RIG_KMODS_LOAD" > "$W/dom0/etc/rig-functions"
# Bulkhead's dom0 programs, dynamically linked: into /usr/bin, with the
# libraries ldd names (libsqlite3, libxenlight and the rest)
mkdir -p "$W/dom0/usr/bin"
for b in qvmd qubesdb-daemon qrexec-daemon qrexec-client qrexec-policy-daemon qvm-create \
         qvm-start qvm-run qvm-shutdown qvm-kill qvm-ls qvm-pool qvm-volume qvm-prefs \
         qubes-prefs qvm-check; do
    cp "$B/$b" "$W/dom0/usr/bin/"
    for l in $(ldd "$B/$b" 2>/dev/null | grep -oE '/[^ ]+'); do
        mkdir -p "$W/dom0$(dirname "$l")"
        cp -Ln "$l" "$W/dom0$l" 2>/dev/null || true
    done
done
# calls from qubes: the policy daemon with one rule, and the service
mkdir -p "$W/dom0/etc/qubes/policy.d" "$W/dom0/etc/qubes-rpc" "$W/dom0/guest"
printf 'test.Hello * @anyvm dom0 allow\ntest.Denied * @anyvm @anyvm deny notify=no\n' \
    > "$W/dom0/etc/qubes/policy.d/30-test.policy"
printf '#!/bin/sh\nread -r x\necho "dom0 got $x from $QREXEC_REMOTE_DOMAIN"\n' > "$W/dom0/etc/qubes-rpc/test.Hello"
chmod +x "$W/dom0/etc/qubes-rpc/test.Hello"
cp "$RIG_CACHE/guest-vmlinux" "$W/dom0/guest/vmlinuz"
cp "$RIG_CACHE/guest-root-initrd.gz" "$W/dom0/guest/initramfs"
install -m 755 tests/system/guest/dom0-qvmd-init.sh "$W/dom0/init"
rig_cpio "$W/dom0" "$W/dom0.cpio"
rm -f "$W/pool.img"
truncate -s 4G "$W/pool.img"
rig_log "initramfs: dom0 $(du -h "$W/dom0.cpio" | cut -f1); guest root image $(du -h "$RIG_CACHE/guest-root.img" | cut -f1)"

LOG=$W/serial.log
DOM0_ARGS=
[ $MODE = demo ] && DOM0_ARGS=bulkhead.demo
# QVMD_VIRT_MODE=pvh: the qubes boot PVH (default pv: faster under emulation)
[ -n "${QVMD_VIRT_MODE:-}" ] && DOM0_ARGS="$DOM0_ARGS bulkhead.virt=$QVMD_VIRT_MODE"
rig_boot "$W/dom0.cpio" "$LOG" "$DOM0_ARGS" "pool=$W/pool.img" "rootimg=$RIG_CACHE/guest-root.img:ro"
# no CRs, and no colour codes (qvm-run colours what it prints on dom0's
# console, which is a terminal)
S=$(tr -d '\r' < "$LOG" | sed 's/\x1b\[[0-9;]*m//g')

n=0
for c in "${CHECKS[@]}"; do
    n=$((n + 1))
    line=$(grep -E '^RESULT (ok|FAIL): ' <<<"$S" | grep -F -m1 -- ": $c")
    case $line in
    "RESULT ok: $c"*) echo "ok $n - $c" ;;
    "RESULT FAIL: $c"*) echo "not ok $n - $c"; echo "# ${line#RESULT FAIL: }" ;;
    *) echo "not ok $n - $c"; echo "# dom0 never got to it (see $LOG)" ;;
    esac
done
n=$((n + 1))
if grep -qE 'DOM0_MARK.*ALL_DONE' <<<"$S" &&
    ! grep -qE 'Kernel panic|\(XEN\) .*FATAL|BUG: ' <<<"$S"; then
    echo "ok $n - dom0 finished, no kernel panic or Xen fatal error"
else
    echo "not ok $n - dom0 finished, no kernel panic or Xen fatal error"
    grep -m3 -E 'Kernel panic|FATAL|BUG: ' <<<"$S" | sed 's/^/# /'
fi
grep -E '^(PHASE|SAY) ' <<<"$S" | sed -E 's/^PHASE /# phase /; s/^SAY /# /'
# qvmd's line per start: "NAME started as domain N: storage X ms, ..."
grep -E 'started as domain [0-9]+: ' <<<"$S" | sed -E 's/.*qvmd[^:]*: //' | while read -r line; do
    echo "# start: $line"
    sed -E 's/.*: storage ([0-9]+) ms, domain ([0-9]+) ms, qubesdb ([0-9]+) ms, unpause ([0-9]+) ms, boot to agent ([0-9]+) ms.*/# phase storage \1 ms, domain build \2 ms, qubesdb \3 ms, unpause \4 ms, boot to agent ready \5 ms/' <<<"$line"
done
echo "# QEMU ran ${RIG_QEMU_SECS:-?} s, peak RSS $(( ${RIG_QEMU_KIB:-0} / 1024 )) MiB; serial log $LOG"
