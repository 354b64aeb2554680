#!/bin/sh
# mmdebstrap setup hook: runs on the build host before any package is
# unpacked into ROOTFS ($1). Puts the initramfs-tools pieces and dpkg's
# exclusions in place first, so that the kernel's postinst builds the
# small initramfs once (not MODULES=most, then again) and no package
# unpacks its manual pages.
set -eu
root=$1
here=$(dirname "$0")
mkdir -p "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/initramfs-tools/conf.d" \
    "$root/etc/initramfs-tools/hooks" "$root/etc/initramfs-tools/scripts/local-premount" \
    "$root/etc/initramfs-tools/scripts/local-bottom"
install -m 644 "$here/dpkg.cfg" "$root/etc/dpkg/dpkg.cfg.d/50bulkhead-nodoc"
install -m 644 "$here/initramfs/bulkhead.conf" "$root/etc/initramfs-tools/conf.d/bulkhead"
install -m 755 "$here/initramfs/hook" "$root/etc/initramfs-tools/hooks/bulkhead"
install -m 755 "$here/initramfs/local-premount" \
    "$root/etc/initramfs-tools/scripts/local-premount/bulkhead-ro"
install -m 755 "$here/initramfs/local-bottom" \
    "$root/etc/initramfs-tools/scripts/local-bottom/bulkhead-overlay"
