# Booting real Xen 4.17 + a Linux dom0 under QEMU, for system tests and the
# demo. Sourced, not run. Works on machines without Xen or KVM: QEMU's TCG
# emulates the CPU (KVM is used when /dev/kvm really works).
#
# What it needs from Debian (tools/install-deps installs it): the Xen
# hypervisor and tools (for xen.gz, xl, xenstored, xenconsoled), QEMU,
# busybox-static, and Debian's kernel package, which is downloaded (not
# installed) and unpacked into the rig's cache; for guests on LVM: lvm2,
# thin-provisioning-tools, e2fsprogs and xz-utils.
#
# Facts this depends on (each cost time to find; see docs/xen-rig.md):
#  - QEMU's multiboot loader takes the 32-bit ELF of Xen, not xen.gz;
#  - with -cpu max, Xen needs smap=0 or the PV dom0 dies at its first
#    exception bounce, and PV guests see corrupted data now and then, so the
#    rig uses -cpu qemu64 (RIG_CPU overrides);
#  - xl dlopen()s libgcc_s.so.1, which ldd does not list;
#  - /var/run must point at /run or xl cannot take its lock;
#  - Debian's init does not load xen-gntalloc; a vchan server needs it.
# RIG_XEN_ARGS adds to Xen's command line, RIG_CPU and RIG_SMP set QEMU's CPU,
# RIG_MEM its memory in MiB (3072).

RIG_XEN_BIN=/usr/lib/xen-4.17/bin
RIG_BUILD=${BULKHEAD_BUILD:-build/release}
RIG_CACHE=${BULKHEAD_RIG_CACHE:-build/rig-cache}

rig_log() { printf '[rig %5ss] %s\n' "$(( $(date +%s) - RIG_T0 ))" "$*" >&2; }

# Finds Xen and the kernel; downloads and unpacks the kernel package once.
rig_init() {
    RIG_T0=$(date +%s)
    local kpkg deb
    mkdir -p "$RIG_CACHE"
    RIG_CACHE=$(cd "$RIG_CACHE" && pwd)
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
           awk '/Depends: linux-image-/{print $2; exit}')
    [ -n "$kpkg" ] || { echo "rig: cannot find Debian's kernel package name" >&2; return 1; }
    RIG_KVER=${kpkg#linux-image-}
    RIG_KDIR=$RIG_CACHE/kernel-$RIG_KVER
    if [ ! -f "$RIG_KDIR/boot/vmlinuz-$RIG_KVER" ]; then
        rig_log "downloading $kpkg (not installed, only unpacked)"
        rm -rf "$RIG_CACHE/debs" && mkdir -p "$RIG_CACHE/debs"
        (cd "$RIG_CACHE/debs" && apt-get download -q "$kpkg" >/dev/null 2>&1) ||
            (apt-get update -q >/dev/null 2>&1 && cd "$RIG_CACHE/debs" && apt-get download -q "$kpkg" >/dev/null 2>&1) ||
            { echo "rig: apt-get download $kpkg failed" >&2; return 1; }
        deb=$(ls "$RIG_CACHE"/debs/*.deb | head -n1)
        rm -rf "$RIG_KDIR.tmp" && mkdir -p "$RIG_KDIR.tmp"
        dpkg-deb -x "$deb" "$RIG_KDIR.tmp"
        rm -rf "$RIG_KDIR" && mv "$RIG_KDIR.tmp" "$RIG_KDIR"
        rm -rf "$RIG_CACHE/debs"
    fi
    RIG_VMLINUZ=$RIG_KDIR/boot/vmlinuz-$RIG_KVER
    RIG_KMOD=$RIG_KDIR/lib/modules/$RIG_KVER/kernel
    local xgz
    xgz=$(ls /boot/xen-4.17*.gz 2>/dev/null | head -n1)
    [ -n "$xgz" ] || { echo "rig: no /boot/xen-4.17*.gz (package xen-hypervisor-4.17-amd64)" >&2; return 1; }
    RIG_XEN_ELF=$RIG_CACHE/xen.elf
    [ "$RIG_XEN_ELF" -nt "$xgz" ] || zcat "$xgz" > "$RIG_XEN_ELF"
    rig_log "kernel $RIG_KVER, $(basename "$xgz")"
}

# rig_mkroot DIR: a busybox root with the usual directories.
rig_mkroot() {
    local r=$1 a
    rm -rf "$r"
    mkdir -p "$r"/{bin,sbin,proc,sys,dev,tmp,run,etc,lib/modules,usr/bin,usr/sbin,var/lib/xen,var/log/xen/console}
    ln -s ../run "$r/var/run"
    cp /bin/busybox "$r/bin/"
    for a in $(/bin/busybox --list); do
        [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
    done
}

# rig_modules DIR MOD...: copies kernel modules (paths under kernel/, no .ko)
# flat into DIR/lib/modules.
rig_modules() {
    local r=$1 m; shift
    for m in "$@"; do cp "$RIG_KMOD/$m.ko" "$r/lib/modules/"; done
}

# rig_binaries DIR BIN...: copies programs with the libraries ldd names.
rig_binaries() {
    local r=$1 b l; shift
    for b in "$@"; do
        mkdir -p "$r$(dirname "$b")"
        cp -L "$b" "$r$b"
        for l in $(ldd "$b" 2>/dev/null | grep -oE '/[^ ]+'); do
            mkdir -p "$r$(dirname "$l")"
            cp -Ln "$l" "$r$l" 2>/dev/null || true
        done
    done
}

# rig_xen_dom0_tools DIR: what a minimal dom0 needs to run xl, and the
# functions every dom0 /init sources (tests/system/guest/dom0-lib.sh).
rig_xen_dom0_tools() {
    local r=$1 t
    mkdir -p "$r/etc"
    install -m 644 tests/system/guest/dom0-lib.sh "$r/etc/rig-dom0-lib"
    rig_binaries "$r" $RIG_XEN_BIN/xl $RIG_XEN_BIN/xenstored $RIG_XEN_BIN/xenconsoled \
        $RIG_XEN_BIN/xen-init-dom0 /usr/bin/xenstore
    mkdir -p "$r/lib/x86_64-linux-gnu"
    cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$r/lib/x86_64-linux-gnu/"
    for t in read write ls rm exists; do ln -sf xenstore "$r/usr/bin/xenstore-$t"; done
    mkdir -p "$r/etc/xen"; : > "$r/etc/xen/xl.conf"
    rig_modules "$r" drivers/xen/xen-evtchn drivers/xen/xen-privcmd drivers/xen/xenfs/xenfs \
        drivers/xen/xen-gntdev drivers/xen/xen-gntalloc
}

# rig_cpio DIR OUT [gzip]: packs DIR as a newc initramfs.
rig_cpio() {
    if [ "${3:-}" = gzip ]; then
        (cd "$1" && find . | cpio -o -H newc --quiet) | gzip -1 > "$2"
    else
        (cd "$1" && find . | cpio -o -H newc --quiet) > "$2"
    fi
}

rig_accel() {
    # /dev/kvm can exist without working (nested virtualization off): try it.
    if [ -w /dev/kvm ] && timeout 20 qemu-system-x86_64 -accel kvm -machine q35 -display none \
        -nodefaults -no-reboot -kernel /dev/null >/dev/null 2>&1 </dev/null; then
        echo kvm
    else
        echo tcg
    fi
}

# rig_boot INITRD SERIAL_LOG [DOM0_ARGS [SERIAL=FILE[:ro]...]]: boots Xen
# with INITRD as dom0's initramfs; returns when dom0 powers off (or after
# $RIG_TIMEOUT seconds). Each SERIAL=FILE becomes a raw virtio disk of dom0;
# dom0 finds it by /sys/block/vdX/serial, since the vdX names follow PCI
# probe order, not the order given here.
rig_boot() {
    local initrd=$1 log=$2 args=${3:-} accel cpu d file ro
    local -a drives=()
    shift 2; [ $# -gt 0 ] && shift
    for d in "$@"; do
        file=${d#*=}; ro=
        case $file in *:ro) file=${file%:ro}; ro=,readonly=on ;; esac
        # cache=unsafe: the disks are thrown away after the run, so flushes
        # need not reach the host's disk (they cost seconds under load)
        drives+=(-drive "file=$file,format=raw,if=none,id=${d%%=*},cache=unsafe$ro"
                 -device "virtio-blk-pci,drive=${d%%=*},serial=${d%%=*}")
    done
    accel=${RIG_ACCEL:-$(rig_accel)}
    # -cpu max corrupts PV guests' state under TCG now and then (memcpy
    # results, a static binary's TLS at start-up): see docs/xen-rig.md
    cpu=${RIG_CPU:-qemu64}
    [ "$accel" = kvm ] && cpu=host
    # bootscrub=0: Xen would otherwise zero all free RAM, which QEMU's RAM
    # is already; touching it made QEMU's RSS 3.4-4 GB instead of ~1.8 GB
    # and held up the first xl create by 5-7 s (pages scrubbed on demand)
    rig_log "booting Xen + dom0 under QEMU ($accel); serial log: $log"
    /usr/bin/time -f '%e %M' -o "$log.time" \
    timeout -k 10 "${RIG_TIMEOUT:-600}" qemu-system-x86_64 -accel "$accel" -machine q35 \
        -cpu "$cpu" -m "${RIG_MEM:-3072}" -smp "${RIG_SMP:-2}" -display none -monitor none -serial stdio -no-reboot -nic none \
        -kernel "$RIG_XEN_ELF" \
        -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M smap=0 bootscrub=0 loglvl=all guest_loglvl=all ${RIG_XEN_ARGS:-}" \
        -initrd "$RIG_VMLINUZ console=hvc0 earlyprintk=xen $args,$initrd" "${drives[@]}" \
        </dev/null > "$log" 2>&1
    local rc=$?
    # GNU time prepends "Command exited with non-zero status N" when it did
    read -r RIG_QEMU_SECS RIG_QEMU_KIB < <(tail -n1 "$log.time" 2>/dev/null) || true
    [[ "${RIG_QEMU_SECS:-}" =~ ^[0-9.]+$ ]] || RIG_QEMU_SECS="?"
    [[ "${RIG_QEMU_KIB:-}" =~ ^[0-9]+$ ]] || RIG_QEMU_KIB=0
    rig_log "QEMU exited (status $rc) after ${RIG_QEMU_SECS:-?} s, peak RSS $(( ${RIG_QEMU_KIB:-0} / 1024 )) MiB"
    return 0
}

# ---- kernel modules with their dependencies ----

# rig_kmod_path NAME: the module's path under kernel/ (no .ko), from
# modules.order ("-" and "_" are the same in module names).
rig_kmod_path() {
    local want=${1//-/_}
    awk -v w="$want" '{ n = $0; sub(/.*\//, "", n); sub(/\.ko$/, "", n); gsub(/-/, "_", n)
                        if (n == w) { sub(/^kernel\//, ""); sub(/\.ko$/, ""); print; exit } }' \
        "$RIG_KMOD/../modules.order"
}

# rig_kmods DIR LIST NAME...: copies the modules NAME... and everything they
# depend on into DIR/lib/modules and appends their names to
# DIR/lib/modules/LIST in an order insmod can follow (dependencies first).
# The unpacked kernel package has no modules.dep (depmod runs at install
# time), so the dependencies come from each module's own "depends=" entry.
# Soft dependencies ("softdep=pre: crc32c") name crypto algorithms, not
# modules: callers list such modules first (crc32c_generic before ext4 and
# libcrc32c, whose init fails with ENOENT when no crc32c is registered).
rig_kmods() {
    local r=$1 list=$2 m p deps d; shift 2
    mkdir -p "$r/lib/modules"; touch "$r/lib/modules/$list"
    for m in "$@"; do
        grep -qx -- "$m" "$r/lib/modules/$list" && continue
        p=$(rig_kmod_path "$m")
        [ -n "$p" ] || { echo "rig: no kernel module $m" >&2; return 1; }
        deps=$(tr '\0' '\n' < "$RIG_KMOD/$p.ko" | sed -n 's/^depends=//p' | tr ',' ' ')
        for d in $deps; do rig_kmods "$r" "$list" "$d" || return 1; done
        grep -qx -- "$m" "$r/lib/modules/$list" && continue
        cp "$RIG_KMOD/$p.ko" "$r/lib/modules/$m.ko"
        echo "$m" >> "$r/lib/modules/$list"
    done
}

# The insmod loop for a LIST written by rig_kmods, for init scripts; skips
# modules already loaded (another list may have pulled them in).
RIG_KMODS_LOAD='rig_load() { for m in $(cat /lib/modules/$1); do
    [ -d /sys/module/$(echo $m | tr - _) ] || insmod /lib/modules/$m.ko || echo "insmod $m FAILED"; done; }'

# ---- LVM2 in the busybox dom0 ----

# rig_lvm DIR: the lvm tool with its command names, thin_check and friends
# (LVM runs thin_check each time it activates a thin pool), the device-mapper
# modules for thin pools, and an lvm.conf for a system without udev.
rig_lvm() {
    local r=$1 c
    rig_binaries "$r" /sbin/lvm /usr/sbin/pdata_tools
    for c in pvcreate pvs pvremove vgcreate vgs vgchange vgremove lvcreate lvs lvremove \
             lvrename lvchange lvextend lvdisplay lvscan vgscan pvscan; do
        ln -sf lvm "$r/sbin/$c"
    done
    for c in thin_check thin_dump thin_repair thin_restore thin_metadata_size; do
        ln -sf pdata_tools "$r/usr/sbin/$c"
    done
    # dm-snapshot too: "lvcreate -s" of a thin volume checks for the old
    # snapshot target before it settles on a thin snapshot, and the busybox
    # dom0 has no /sbin/modprobe for LVM to load it on demand
    rig_kmods "$r" lvm.list crc32c_generic dm-mod dm-thin-pool dm-snapshot
    mkdir -p "$r/etc/lvm" "$r/run/lvm" "$r/run/lock/lvm"
    # No udev in the busybox dom0: libdevmapper must create /dev/mapper and
    # /dev/VG nodes itself (udev_rules=0) and not wait for udev (udev_sync=0);
    # without monitoring no dmeventd is started. Only the virtio disks are
    # PVs: LVs (the guests' disks) are never scanned for PVs.
    cat > "$r/etc/lvm/lvm.conf" <<'CONF'
config { checks = 1 }
devices {
    dir = "/dev"
    scan = [ "/dev" ]
    obtain_device_list_from_udev = 0
    external_device_info_source = "none"
    use_devicesfile = 0
    scan_lvs = 0
    multipath_component_detection = 0
    md_component_detection = 0
    filter = [ "a|^/dev/vd[a-z]+$|", "r|.*|" ]
}
activation {
    udev_sync = 0
    udev_rules = 0
    verify_udev_operations = 0
    monitoring = 0
}
global {
    event_activation = 0
    thin_check_executable = "/usr/sbin/thin_check"
    thin_check_options = [ "-q", "--clear-needs-check-flag" ]
}
backup { backup = 1  archive = 0 }
CONF
}

# ---- guests that boot from a root disk ----

# rig_inputs_key FILE...: one hash over the files' contents (and this
# script's), naming a cached build of them.
rig_inputs_key() {
    { sha256sum "$@" tests/system/rig.sh | cut -d' ' -f1; } | sha256sum | cut -c1-16
}

# rig_guest_rootfs DIR: the folder a guest's root file system is made of:
# busybox with busybox init, the static guest programs (qrexec-agent,
# qrexec-client-vm, qubesdb-vm-daemon, qubesdb-read), the Xen modules the agent needs, e2fsprogs' mke2fs
# as /sbin/mke2fs (busybox's /bin/mke2fs makes only ext2; the guest
# formats a blank private volume itself, as a Qubes VM does on its first
# start), and the start/stop scripts from tests/system/guest/.
RIG_GUEST_INPUTS="tests/system/guest/domU-root-rcS.sh tests/system/guest/domU-root-rcK.sh"
rig_guest_rootfs() {
    local r=$1
    rig_mkroot "$r"
    mkdir -p "$r"/{rw,root,mnt,etc/init.d,etc/qubes-rpc}
    cp "$RIG_BUILD/guest/qrexec-agent" "$RIG_BUILD/guest/qrexec-client-vm" \
       "$RIG_BUILD/guest/qubesdb-vm-daemon" "$RIG_BUILD/guest/qubesdb-read" "$r/bin/"
    rig_binaries "$r" /sbin/mke2fs
    rig_kmods "$r" agent.list xen-evtchn xen-gntdev xen-gntalloc
    # the kernel runs /sbin/poweroff when Xen asks the guest to shut down
    # (xl shutdown); without it the request is silently dropped
    for c in init poweroff reboot halt; do ln -sf ../bin/busybox "$r/sbin/$c"; done
    printf '::sysinit:/etc/init.d/rcS\n::shutdown:/etc/init.d/rcK\n' > "$r/etc/inittab"
    install -m 755 tests/system/guest/domU-root-rcS.sh "$r/etc/init.d/rcS"
    install -m 755 tests/system/guest/domU-root-rcK.sh "$r/etc/init.d/rcK"
    echo "$RIG_KMODS_LOAD" > "$r/etc/rig-functions"
    echo 'root:x:0:0:root:/root:/bin/sh' > "$r/etc/passwd"
    echo 'root:x:0:' > "$r/etc/group"
}

# rig_guest_root_image OUT: a 48 MiB ext4 image of rig_guest_rootfs, made
# without mounting (mkfs.ext4 -d); rebuilt only when its inputs change. The
# image's /etc/rig-root-id holds the inputs' hash, so a test can tell that a
# guest really runs from this image.
rig_guest_root_image() {
    local out=$1 key tmp
    # shellcheck disable=SC2046,SC2086 # word lists on purpose
    key=$(rig_inputs_key /bin/busybox /sbin/mke2fs $(ldd /sbin/mke2fs | grep -oE '/[^ ]+') \
          "$RIG_BUILD/guest/qrexec-agent" "$RIG_BUILD/guest/qrexec-client-vm" \
          "$RIG_BUILD/guest/qubesdb-vm-daemon" "$RIG_BUILD/guest/qubesdb-read" \
          $RIG_GUEST_INPUTS "$RIG_KMOD/../modules.order")
    if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
        rig_log "guest root image: cached ($key)"; return 0
    fi
    tmp=$RIG_CACHE/guest-rootfs.tmp
    rig_guest_rootfs "$tmp" || return 1
    echo "$key" > "$tmp/etc/rig-root-id"
    # built aside and renamed, so an interrupted build never looks cached
    rm -f "$out.key" "$out.tmp"
    truncate -s 48M "$out.tmp"
    mkfs.ext4 -q -F -L bulkhead-root -d "$tmp" "$out.tmp" 48M || return 1
    mv "$out.tmp" "$out"
    echo "$key" > "$out.key"
    rm -rf "$tmp"
    rig_log "guest root image built ($key)"
}

# rig_guest_initramfs OUT: the guest's first stage: loads xen-blkfront and
# ext4, mounts root= (default /dev/xvda) read-write and switch_roots to its
# /sbin/init. Cached like the root image.
rig_guest_initramfs() {
    local out=$1 key tmp
    key=$(rig_inputs_key /bin/busybox tests/system/guest/domU-initramfs-init.sh \
          "$RIG_KMOD/../modules.order")
    if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
        rig_log "guest initramfs: cached ($key)"; return 0
    fi
    tmp=$RIG_CACHE/guest-initramfs.tmp
    rig_mkroot "$tmp"
    mkdir -p "$tmp/newroot"
    for c in poweroff reboot halt; do ln -sf ../bin/busybox "$tmp/sbin/$c"; done
    rig_kmods "$tmp" root.list crc32c_generic xen-blkfront ext4 || return 1
    echo "$RIG_KMODS_LOAD" > "$tmp/etc/rig-functions"
    install -m 755 tests/system/guest/domU-initramfs-init.sh "$tmp/init"
    rm -f "$out.key"
    rig_cpio "$tmp" "$out.tmp" gzip && mv "$out.tmp" "$out" || return 1
    echo "$key" > "$out.key"
    rm -rf "$tmp"
    rig_log "guest initramfs built ($key)"
}

# rig_guest_vmlinux OUT: the guest kernel as the plain ELF inside Debian's
# bzImage (xz-compressed), cached. Xen's PV loader takes either, but in dom0
# under emulation unpacking the bzImage costs 6-8 s of every xl create, time
# a real machine spends in a fraction of a second; with the ELF, phase
# timings show what starting a guest itself costs.
rig_guest_vmlinux() {
    local out=$1 key off
    key=$(rig_inputs_key "$RIG_VMLINUZ")
    if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
        rig_log "guest kernel ELF: cached ($key)"; return 0
    fi
    for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$RIG_VMLINUZ" | cut -d: -f1); do
        rm -f "$out.key"
        tail -c +$((off + 1)) "$RIG_VMLINUZ" | xz -dc --single-stream > "$out.tmp" 2> /dev/null
        if [ "$(head -c 4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            mv "$out.tmp" "$out"
            echo "$key" > "$out.key"
            rig_log "guest kernel unpacked to ELF ($(du -h "$out" | cut -f1))"
            return 0
        fi
    done
    rm -f "$out.tmp"
    echo "rig: no xz-compressed ELF found in $RIG_VMLINUZ" >&2
    return 1
}

# rig_block_script DIR: the project's hotplug script for guest disks
# (tests/system/guest/block-rig) as /etc/xen/scripts/block-rig, and the
# backend module. Disks name it with "script=block-rig".
rig_block_script() {
    local r=$1
    mkdir -p "$r/etc/xen/scripts"
    install -m 755 tests/system/guest/block-rig "$r/etc/xen/scripts/block-rig"
    rig_kmods "$r" blkback.list xen-blkback
}

# ---- a busybox dom0 running qvmd (shared by the system tests that need it)

# The dom0 programs rig_qvmd_dom0 copies (those built are taken; qvm-*
# commands other branches add appear here once they exist).
RIG_DOM0_PROGRAMS="qvmd qubesdb-daemon qrexec-daemon qrexec-client qrexec-policy-daemon qvm-create
    qvm-start qvm-run qvm-shutdown qvm-kill qvm-ls qvm-pool qvm-volume qvm-prefs qubes-prefs
    qvm-check qvm-service qvm-features qvm-template qvm-remove qvm-copy-to-vm
    gui-daemon qvm-start-daemon gui-probe"

# rig_qvmd_dom0 DIR INIT: a busybox dom0 root with Xen's toolstack, the
# modules for Xen, virtio disks, ext4, block back-ends and LVM, the rig's
# block hotplug script standing in for Xen's (libxl runs
# /etc/xen/scripts/block for qvmd's phy disks), Bulkhead's dom0 programs
# (dynamically linked, with the libraries ldd names) in /usr/bin, an empty
# /etc/qubes/policy.d, and INIT as /init.
rig_qvmd_dom0() {
    local r=$1 init=$2 b l
    rig_mkroot "$r"
    rig_xen_dom0_tools "$r"
    rig_kmods "$r" xen.list xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc &&
        rig_kmods "$r" virtio.list virtio_pci virtio_blk &&
        rig_kmods "$r" ext4.list crc32c_generic ext4 &&
        rig_block_script "$r" && rig_lvm "$r" || return 1
    ln -sf block-rig "$r/etc/xen/scripts/block"
    echo "$RIG_KMODS_LOAD" > "$r/etc/rig-functions"
    mkdir -p "$r/usr/bin" "$r/etc/qubes/policy.d" "$r/etc/qubes-rpc"
    for b in $RIG_DOM0_PROGRAMS; do
        [ -x "$RIG_BUILD/bin/$b" ] || continue
        cp "$RIG_BUILD/bin/$b" "$r/usr/bin/"
        for l in $(ldd "$RIG_BUILD/bin/$b" 2>/dev/null | grep -oE '/[^ ]+'); do
            mkdir -p "$r$(dirname "$l")"
            cp -Ln "$l" "$r$l" 2>/dev/null || true
        done
    done
    install -m 755 "$init" "$r/init"
}

# rig_x11_dom0 DIR: dom0's desktop for GUI tests: Xvfb (a real X server
# drawing into memory, with MIT-SHM) with the keymap compiler and data it
# runs at start-up, and xdotool to type into windows.
rig_x11_dom0() {
    local r=$1
    rig_binaries "$r" /usr/bin/Xvfb /usr/bin/xkbcomp /usr/bin/xdotool
    mkdir -p "$r/usr/share/X11" "$r/var/lib/xkb" "$r/tmp/.X11-unix"
    chmod 1777 "$r/tmp/.X11-unix"
    cp -a /usr/share/X11/xkb "$r/usr/share/X11/"
}

# rig_template_disk OUT TEMPLATE: an ext4 image (made without mounting)
# holding the template file TEMPLATE, for dom0 to mount read-only and
# install from, as a user installs a template file from a disk. Where
# qvm-template is not built, also its members unpacked in unpacked/
# (root.img sparse), for the test to import by hand. Cached: rebuilt when
# TEMPLATE changes.
rig_template_disk() {
    local out=$1 tf=$2 key tmp mib
    key=$( { basename "$tf"; stat -c '%s %Y' "$tf"; sha256sum tests/system/rig.sh
             [ -x "$RIG_BUILD/bin/qvm-template" ] && echo qvm-template; } | sha256sum | cut -c1-16)
    if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
        rig_log "template disk: cached ($key)"; return 0
    fi
    tmp=$RIG_CACHE/template-disk.tmp
    rm -rf "$tmp" "$out" "$out.key"
    mkdir -p "$tmp"
    cp "$tf" "$tmp/"
    # zstd'd or plain: the same test as the readers make (the magic number)
    if [ ! -x "$RIG_BUILD/bin/qvm-template" ]; then
        mkdir -p "$tmp/unpacked"
        if [ "$(head -c 4 "$tf" | od -An -tx1 | tr -d ' ')" = 28b52ffd ]; then
            zstd -dc "$tf" | tar -xS -C "$tmp/unpacked" || return 1
        else
            tar -xS -C "$tmp/unpacked" -f "$tf" || return 1
        fi
    fi
    mib=$(( $(du -sm "$tmp" | cut -f1) + 128 ))
    mkfs.ext4 -q -F -L templates -m 0 -d "$tmp" "$out.tmp" "${mib}M" > /dev/null || return 1
    mv "$out.tmp" "$out"
    echo "$key" > "$out.key"
    rm -rf "$tmp"
    rig_log "template disk built ($key, $mib MiB)"
}
