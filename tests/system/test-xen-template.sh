#!/bin/bash
# System test: the Debian 12 template on real Xen 4.17 under QEMU. The
# template file is built once (make template; cached in build/templates
# until its inputs change) and given to the rig's busybox dom0 as a
# read-only disk; dom0 (tests/system/guest/dom0-template-init.sh) runs qvmd
# with the xen backend, installs the template into an LVM thin pool, makes
# the AppVMs work and personal from it, starts both and checks hostname and
# services from QubesDB, /home on the private volume, qvm-copy with the
# policy allowing and denying it, qubes.StartApp of the terminal, the GUI
# (a window from each qube on dom0's Xvfb, framed in its colour; work's
# pixels reach dom0 through the Xorg module's grant pages with no copy in
# the qube), and a clean shutdown. dom0 prints "RESULT ok|FAIL: WHAT"; this script turns
# them into TAP (a check dom0 never reached fails too) and prints dom0's
# phase timings and qvmd's per-start timings as "# phase" lines.
#   --demo  the demo's story instead (used by tests/system/demo)
# RIG_MEM (MiB, default 3072) sizes QEMU; QUBE_MEM (MiB, 400) each qube.
set -u
cd "$(dirname "$0")/../.."
. tests/system/rig.sh
MODE=test
[ "${1:-}" = --demo ] && MODE=demo
W=$RIG_BUILD/xen-rig/template-$MODE
TEMPLATES=${BULKHEAD_TEMPLATES:-build/templates}
B=$RIG_BUILD/bin
# what dom0 checks, in order (dom0-template-init.sh prints the same words)
CHECKS=(
    "qvmd is up with the xen backend"
    "an LVM thin pool as qvmd's default pool"
    "install the template"
    "qvm-create -t debian-12 work, personal"
    "qvm-service work xorg on, cups off"
    "qvm-start work personal"
    "hostname in work is work (from QubesDB)"
    "hostname in personal is personal"
    "service xorg on: /run/qubes-service/xorg in work"
    "service cups off: no /run/qubes-service/cups in work"
    "/home/user on the private volume (/rw and /home from xvdb)"
    "qvm-copy work -> personal (allow): the folder arrives in QubesIncoming/work, same checksums"
)
[ $MODE = test ] && CHECKS+=(
    "qvm-copy with policy deny fails with a refusal the user sees"
    "nothing arrived after the refusal"
    "qvm-run --service work qubes.StartApp+debian-xterm"
    "the terminal runs in work"
)
# the GUI (when gui-daemon is built)
[ -x "$B/gui-daemon" ] && CHECKS+=(
    "qvm-start-daemon --all starts a gui-daemon for work and personal"
    "a window from work on dom0's desktop, titled [work] hello-work"
    "work's window framed in its label colour (0x3465a4)"
    "work's pixels inside the frame (0xff8000)"
    "a window from personal on dom0's desktop, titled [personal] hello-personal"
    "personal's window framed in its label colour (0x73d216)"
    "personal's pixels inside the frame (0x00c0c0)"
    "window buffers crossed as grant references"
    "work's windows reach dom0 with no copy in work: the agent says 'zero copies (bulkheadshm)'"
    "keys typed into work's window in dom0 arrive in work"
)
CHECKS+=(
    "qvm-shutdown --wait work personal"
    "after shutdown only dom0 is left"
)
echo "1..$(( ${#CHECKS[@]} + 2 ))"
B=$RIG_BUILD/bin
for b in qvmd qubesdb-daemon qrexec-daemon qrexec-policy-daemon qvm-create qvm-start qvm-run \
         qvm-shutdown qvm-ls qvm-pool qvm-volume qvm-prefs qubes-prefs qvm-service; do
    [ -x "$B/$b" ] || { echo "not ok 1 - $B/$b is not built (run make)"; exit 1; }
done
for b in /sbin/lvm /usr/sbin/pdata_tools /usr/bin/zstd; do
    [ -x "$b" ] || { echo "not ok 1 - $b is missing (run tools/install-deps)"; exit 1; }
done
rig_init || { echo "not ok 1 - rig set-up failed"; exit 1; }

# the template: built once, then only when its inputs change (make's
# template target runs templates/build, which returns at once when the
# template is up to date)
t=$(date +%s)
if ! make --no-print-directory BULKHEAD_DEPS_DONE=1 template > "$RIG_CACHE/template-build.log" 2>&1; then
    echo "not ok 1 - make template"
    tail -n 20 "$RIG_CACHE/template-build.log" | sed 's/^/# /'
    exit 1
fi
TFILE=$TEMPLATES/$(cat "$TEMPLATES/debian-12.file" 2>/dev/null)
[ -f "$TFILE" ] || { echo "not ok 1 - make template left no template file"; exit 1; }
echo "ok 1 - make template: $(basename "$TFILE") ($(( $(stat -c %s "$TFILE") / 1048576 )) MiB, $(( $(date +%s) - t )) s)"
grep -E '^  ' "$RIG_CACHE/template-build.log" | sed 's/^/# build /'

mkdir -p "$W"
rig_template_disk "$RIG_CACHE/template-disk.img" "$TFILE" ||
    { echo "not ok 2 - the template disk for dom0"; exit 1; }
{ rig_qvmd_dom0 "$W/dom0" tests/system/guest/dom0-template-init.sh && rig_x11_dom0 "$W/dom0"; } ||
    { echo "not ok 2 - building dom0's root failed"; exit 1; }
rig_cpio "$W/dom0" "$W/dom0.cpio"
# the pool: sparse, so only what the qubes write takes room on the host
rm -f "$W/pool.img" "$W/out.img"
truncate -s 8G "$W/pool.img"
# where dom0 leaves the desktop's screenshot (raw bytes; "SHOT N" gives the size)
truncate -s 16M "$W/out.img"
rig_log "initramfs: dom0 $(du -h "$W/dom0.cpio" | cut -f1); template disk $(du -h "$RIG_CACHE/template-disk.img" | cut -f1)"

LOG=$W/serial.log
ARGS="bulkhead.qubemem=${QUBE_MEM:-400}"
[ $MODE = demo ] && ARGS="$ARGS bulkhead.demo"
RIG_TIMEOUT=${RIG_TIMEOUT:-1200} rig_boot "$W/dom0.cpio" "$LOG" "$ARGS" "pool=$W/pool.img" \
    "templates=$RIG_CACHE/template-disk.img:ro" "out=$W/out.img"
# no CRs, and no colour codes (qvm-run colours what it prints on dom0's
# console, which is a terminal)
S=$(tr -d '\r' < "$LOG" | sed 's/\x1b\[[0-9;]*m//g')

n=1
gui_failed=
for c in "${CHECKS[@]}"; do
    n=$((n + 1))
    line=$(grep -E '^RESULT (ok|FAIL): ' <<<"$S" | grep -F -m1 -- ": $c")
    case $line in
    "RESULT ok: $c"*) echo "ok $n - $c" ;;
    "RESULT FAIL: $c"*) echo "not ok $n - $c"; echo "# ${line#RESULT FAIL: }" ;;
    *) echo "not ok $n - $c"; echo "# dom0 never got to it (see $LOG)" ;;
    esac
    case $line in "RESULT ok: "*) ;; *) case $c in *window*) gui_failed=1 ;; esac ;; esac
done
# a window check failed: what the qubes' agents and X servers said (the
# copy path, the bulkheadshm module's lines: why a pixmap was not shared)
if [ -n "$gui_failed" ]; then
    grep -E '^  [a-z]+-(gui|xorg)\| ' <<<"$S" | sed 's/^  /# /'
fi
n=$((n + 1))
if grep -qE 'DOM0_MARK.*ALL_DONE' <<<"$S" &&
    ! grep -qE 'Kernel panic|\(XEN\) .*FATAL|BUG: ' <<<"$S"; then
    echo "ok $n - dom0 finished, no kernel panic or Xen fatal error"
else
    echo "not ok $n - dom0 finished, no kernel panic or Xen fatal error"
    grep -m3 -E 'Kernel panic|FATAL|BUG: ' <<<"$S" | sed 's/^/# /'
fi
grep -E '^(PHASE|SAY) ' <<<"$S" | sed -E 's/^PHASE /# phase /; s/^SAY /# /'
grep -E 'DOM0_MARK.*(template installed|work: |qvm-copy)' <<<"$S" | sed -E 's/^DOM0_MARK\[[0-9.]+\]: /# /'
# qvmd's line per start: "NAME started as domain N: storage X ms, ..."
grep -E 'started as domain [0-9]+: ' <<<"$S" | sed -E 's/.*qvmd[^:]*: //' | while read -r line; do
    echo "# start: $line"
done
shot=$(grep -oE '^SHOT [0-9]+' <<<"$S" | tail -n1 | cut -d' ' -f2)
if [ -n "$shot" ]; then
    mkdir -p "$RIG_BUILD/screenshots"
    head -c "$shot" "$W/out.img" > "$RIG_BUILD/screenshots/desktop-$MODE.png"
    echo "# dom0's desktop: $RIG_BUILD/screenshots/desktop-$MODE.png"
fi
echo "# QEMU ran ${RIG_QEMU_SECS:-?} s, peak RSS $(( ${RIG_QEMU_KIB:-0} / 1024 )) MiB; serial log $LOG"
