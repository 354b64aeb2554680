#!/bin/bash
# Integration: the bulkheadshm module's slots (copies) of a window pixmap
# (vm-agent/xorg/slots.c, docs/xorg-module.md "Frames"), in the qube's Xorg
# as a template runs it (dummy driver). xorg-slots-check asks the module's
# socket for a window's two copies, locks one as the gui-agent does for a
# GUI_FRAME, draws, and reads both copies: the locked one keeps its
# pixels, drawing goes to the other, which is brought up to date first.
# Root only (Xorg).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BULKHEAD_BUILD:-build/release}
T=$(mktemp -d /tmp/bulkhead-xorg-slots.XXXXXX)
. tests/integration/lib/xorg-qube.sh
xorg_qube_usable "$BUILD" || {
    echo "1..0 # SKIP needs root, Xorg, the dummy driver and $BUILD/xorg/modules (bulkheadshm)"
    rm -rf "$T"
    exit 0
}
cleanup() {
    kill $(jobs -p) 2> /dev/null
    wait 2> /dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
CHECKS=38 # xorg-slots-check's
echo "1..$((CHECKS + 1))"
xorg_qube_start qube "$BUILD" || exit 1
out=$(DISPLAY=$X_qube "$BUILD/bin/xorg-slots-check")
echo "$out"
n=$(grep -cE '^(not )?ok ' <<< "$out")
for i in $(seq $((n + 1)) $CHECKS); do echo "not ok $i - (xorg-slots-check stopped before it)"; done
# the X server survived all of it
if kill -0 "$XPID_qube" 2> /dev/null; then echo "ok $((CHECKS + 1)) - Xorg still runs"; else
    echo "not ok $((CHECKS + 1)) - Xorg still runs"; tail -20 "$T/qube.xorg.log"; fi
