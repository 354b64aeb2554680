#!/bin/bash
# System test: real Xen 4.17 + dom0 + a PV guest under QEMU, and lib/vchan's
# Xen backend (vchan-xfer, built statically from the project's sources)
# moving checksummed streams both ways, then seeing a destroyed guest as a
# closed channel. Output is TAP; with --demo, a readable summary too.
set -u
cd "$(dirname "$0")/../.."
. tests/system/rig.sh
DEMO=0; [ "${1:-}" = --demo ] && DEMO=1
BYTES=${XFER_BYTES:-33554432}
MIB=$((BYTES >> 20))
W=$RIG_BUILD/xen-rig/vchan
GUEST_XFER=$RIG_BUILD/guest/vchan-xfer
echo "1..13"
for b in vchan-xfer qrexec-agent qrexec-daemon qrexec-client qrexec-client-vm \
         qrexec-policy-simple; do
    [ -x "$RIG_BUILD/guest/$b" ] || { echo "not ok 1 - $RIG_BUILD/guest/$b is not built (run make)"; exit 1; }
done
rig_init || { echo "not ok 1 - rig set-up failed"; exit 1; }
mkdir -p "$W"

# the guest's initramfs, then dom0's (which carries the guest's kernel and initramfs)
rig_mkroot "$W/domU"
rig_modules "$W/domU" drivers/xen/xen-evtchn drivers/xen/xen-gntdev drivers/xen/xen-gntalloc
cp "$GUEST_XFER" "$W/domU/bin/vchan-xfer"
cp "$RIG_BUILD/guest/qrexec-agent" "$RIG_BUILD/guest/qrexec-client-vm" "$W/domU/bin/"
echo 'root:x:0:0:root:/root:/bin/sh' > "$W/domU/etc/passwd"
mkdir -p "$W/domU/etc/qubes-rpc" "$W/domU/root"
printf '#!/bin/sh\ncat > /tmp/in\necho "$(wc -c < /tmp/in) $(md5sum < /tmp/in | cut -d" " -f1) $(head -c 8 /tmp/in | od -An -tx1 | tr -d " ") $(tail -c 8 /tmp/in | od -An -tx1 | tr -d " ")"\n' > "$W/domU/etc/qubes-rpc/test.Sum"
printf '#!/bin/sh\nexec cat\n' > "$W/domU/etc/qubes-rpc/test.Cat"
chmod +x "$W/domU/etc/qubes-rpc/test.Sum" "$W/domU/etc/qubes-rpc/test.Cat"
install -m 755 tests/system/guest/domU-vchan-init.sh "$W/domU/init"
rig_cpio "$W/domU" "$W/domU.gz" gzip

rig_mkroot "$W/dom0"
rig_xen_dom0_tools "$W/dom0"
cp "$GUEST_XFER" "$W/dom0/bin/vchan-xfer"
cp "$RIG_BUILD/guest/qrexec-daemon" "$RIG_BUILD/guest/qrexec-client" \
   "$RIG_BUILD/guest/qrexec-policy-simple" "$W/dom0/bin/"
# dom0's side of a call from the guest: a service and the policy allowing it
mkdir -p "$W/dom0/etc/qubes-rpc" "$W/dom0/etc/bulkhead"
printf '#!/bin/sh\necho "dom0 got $(wc -c) bytes from $QREXEC_REMOTE_DOMAIN"\n' \
    > "$W/dom0/etc/qubes-rpc/test.FromGuest"
chmod +x "$W/dom0/etc/qubes-rpc/test.FromGuest"
printf 'test.FromGuest * guest @adminvm allow\n* * @anyvm @anyvm deny\n' \
    > "$W/dom0/etc/bulkhead/qrexec-simple.policy"
mkdir -p "$W/dom0/guest"
cp "$RIG_VMLINUZ" "$W/dom0/guest/vmlinuz"
cp "$W/domU.gz" "$W/dom0/guest/initrd.gz"
install -m 755 tests/system/guest/dom0-vchan-init.sh "$W/dom0/init"
rig_cpio "$W/dom0" "$W/dom0.cpio"
rig_log "initramfs: dom0 $(du -h "$W/dom0.cpio" | cut -f1), guest $(du -h "$W/domU.gz" | cut -f1)"

LOG=$W/serial.log
rig_boot "$W/dom0.cpio" "$LOG" "xfer_bytes=$BYTES"
S=$(tr -d '\r' < "$LOG")

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
check "Xen 4.17 boots under QEMU" '\(XEN\) Xen version 4\.17' 'XL_INFO xen_version +: 4\.17'
check "dom0 brings up the toolstack" 'DOM0_MARK.*toolstack up'
check "a PV guest boots" 'xl create rc=0' 'guest\| DOMU_MARK.*guest init started.*PV guest'
check "vchan dom0 -> guest: $MIB MiB, checksum matches on both ends" \
    'VCHAN_XFER xen/server\(dom0<->dom[0-9]+:4000\) sent .* OK' \
    'guest\| VCHAN_XFER xen/client\(dom[0-9]+<->dom0:4000\) received .* OK'
check "vchan guest -> dom0: $MIB MiB, checksum matches on both ends" \
    'VCHAN_XFER xen/client\(dom0<->dom[0-9]+:4001\) received .* OK' \
    'guest\| VCHAN_XFER xen/server\(dom[0-9]+<->dom0:4001\) sent .* OK'
check "qrexec: dom0 runs a command in the guest (qrexec-client, -daemon, -agent over Xen)" \
    'QREXEC exec rc=0 out=QREXEC_HELLO PV'
n=$((n + 1))
if grep -qE 'QREXEC rpc rc=0 local=(.+) remote=\1$' <<<"$S"; then
    echo "ok $n - qrexec: 4 MiB through an RPC service in the guest, checksums match"
else
    echo "not ok $n - qrexec: 4 MiB through an RPC service in the guest, checksums match"
    grep -E 'QREXEC rpc' <<<"$S" | sed 's/^/# /'
fi
check "qrexec: the guest command's exit code reaches dom0" 'QREXEC exitcode rc=42'
check "qrexec: 4 MiB to a service in the guest and back, byte for byte" \
    'QREXEC cat rc=0 sizes 4194304 4194304: $'
check "qrexec: the guest calls a service in dom0 under dom0 policy (qrexec-client-vm)" \
    'guest\| DOMU_MARK.*QREXEC guest->dom0 rc=0 out=dom0 got 11 bytes from guest'
check "dom0 sees a destroyed guest as a closed channel, not a hang" \
    'DEAD_PEER_SEEN rc=1 .*receive failed'
check "dom0 powers off cleanly" 'DOM0_MARK.*ALL_DONE'
n=$((n + 1))
if grep -qE 'Kernel panic|\(XEN\) .*FATAL|BUG: ' <<<"$S"; then
    echo "not ok $n - no kernel panic or Xen fatal error"; grep -m3 -E 'Kernel panic|FATAL|BUG: ' <<<"$S"
else
    echo "ok $n - no kernel panic or Xen fatal error"
fi

if [ "$DEMO" = 1 ] || [ -n "${VERBOSE:-}" ]; then
    echo
    echo "---- what happened (from the serial console; full log: $LOG)"
    grep -E '\(XEN\) Xen version|XL_INFO xen_version|DOM0_MARK|DOMU_MARK|VCHAN_XFER|DEAD_PEER|QREXEC' <<<"$S" |
        sed -E 's/^\(XEN\) (Xen version [^ ]+).*/xen    \1 is running/;
                s/^XL_INFO (xen_version) +: /dom0   xl info: \1 /;
                s/^DOM0_MARK\[([0-9.]+)\]: /dom0   [\1 s] /;
                s/^  guest\| DOMU_MARK\[([0-9.]+)\]: /guest  [\1 s] /;
                s/^VCHAN_XFER /dom0   vchan: /; s/^  guest\| VCHAN_XFER /guest  vchan: /' | cut -c1-160
fi
echo "# QEMU ran ${RIG_QEMU_SECS:-?} s, peak RSS $(( ${RIG_QEMU_KIB:-0} / 1024 )) MiB"
