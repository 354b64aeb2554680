#!/bin/sh
# mmdebstrap customize hook: runs on the build host once the package list
# is installed in ROOTFS ($1), before mmdebstrap's clean-up. Installs the
# vm-agent packages from DEBS_DIR ($2; their dependencies come from the
# archive, whose lists are still there), then the template's own files.
set -eu
root=$1
debs=$2
here=$(dirname "$0")

# the vm-agent: apt-get resolves what the packages depend on
rm -rf "$root/tmp/bulkhead-debs"
mkdir -p "$root/tmp/bulkhead-debs"
cp "$debs"/*.deb "$root/tmp/bulkhead-debs/"
chroot "$root" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends /tmp/bulkhead-debs/*.deb'
rm -rf "$root/tmp/bulkhead-debs"

# files of the template itself (rootfs/ mirrors /)
cp -a "$here/rootfs/." "$root/"
chmod 0440 "$root/etc/sudoers.d/bulkhead-user"

# Units a qube has no use for: package-list refreshes, upgrades and dpkg
# database backups run in the template by hand, file system scrubs and
# TRIM belong to dom0's pool, and a PV qube has no virtual terminals (its
# console is hvc0), no GPU (drm), no EFI (efi_pstore, pstore), and no use
# for device-mapper, configfs, debugfs or tracefs at boot (dm_mod still
# loads on demand). Each of these costs a process or a module load at
# every start of every qube: milliseconds on hardware, seconds under
# emulation (the system tests).
chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
    e2scrub_all.timer e2scrub_reap.service fstrim.timer getty@tty1.service \
    modprobe@drm.service modprobe@efi_pstore.service modprobe@dm_mod.service \
    modprobe@configfs.service sys-kernel-config.mount sys-kernel-debug.mount \
    sys-kernel-tracing.mount systemd-pstore.service > /dev/null 2>&1 || true

# Every qube made from the template gets its own machine id at boot (an
# empty file: systemd makes one up, and no "first boot" set-up runs).
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
echo localhost > "$root/etc/hostname"

# dpkg.cfg keeps documentation, manual pages and translations out of what
# apt installs, but mmdebstrap unpacks the Essential packages with
# dpkg-deb before that configuration applies: remove their share of it
# the same way (copyright files and locale.alias stay).
before=$(du -sxk "$root" | cut -f1)
find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/lintian"
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
echo "customize-hook: documentation, manual pages, translations left: $(( (before - $(du -sxk "$root" | cut -f1)) / 1024 )) MiB removed" >&2
