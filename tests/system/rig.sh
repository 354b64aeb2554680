# Booting real Xen 4.17 + a Linux dom0 under QEMU, for system tests and the
# demo. Sourced, not run. Works on machines without Xen or KVM: QEMU's TCG
# emulates the CPU (KVM is used when /dev/kvm really works).
#
# What it needs from Debian (tools/install-deps installs it): the Xen
# hypervisor and tools (for xen.gz, xl, xenstored, xenconsoled), QEMU,
# busybox-static, and Debian's kernel package, which is downloaded (not
# installed) and unpacked into the rig's cache.
#
# Facts this depends on (each cost time to find; see docs/xen-rig.md):
#  - QEMU's multiboot loader takes the 32-bit ELF of Xen, not xen.gz;
#  - with -cpu max, Xen needs smap=0 or the PV dom0 dies at its first
#    exception bounce, and PV guests see corrupted data now and then, so the
#    rig uses -cpu qemu64 (RIG_CPU overrides);
#  - xl dlopen()s libgcc_s.so.1, which ldd does not list;
#  - /var/run must point at /run or xl cannot take its lock;
#  - Debian's init does not load xen-gntalloc; a vchan server needs it.

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

# rig_xen_dom0_tools DIR: what a minimal dom0 needs to run xl.
rig_xen_dom0_tools() {
    local r=$1 t
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

# rig_boot INITRD SERIAL_LOG [DOM0_ARGS]: boots Xen with INITRD as dom0's
# initramfs; returns when dom0 powers off (or after $RIG_TIMEOUT seconds).
rig_boot() {
    local initrd=$1 log=$2 args=${3:-} accel cpu
    accel=${RIG_ACCEL:-$(rig_accel)}
    # -cpu max corrupts PV guests' state under TCG now and then (memcpy
    # results, a static binary's TLS at start-up): see docs/xen-rig.md
    cpu=${RIG_CPU:-qemu64}
    [ "$accel" = kvm ] && cpu=host
    rig_log "booting Xen + dom0 under QEMU ($accel); serial log: $log"
    /usr/bin/time -f '%e %M' -o "$log.time" \
    timeout -k 10 "${RIG_TIMEOUT:-600}" qemu-system-x86_64 -accel "$accel" -machine q35 \
        -cpu "$cpu" -m 3072 -smp "${RIG_SMP:-2}" -display none -monitor none -serial stdio -no-reboot -nic none \
        -kernel "$RIG_XEN_ELF" \
        -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M smap=0 loglvl=all guest_loglvl=all" \
        -initrd "$RIG_VMLINUZ console=hvc0 earlyprintk=xen $args,$initrd" \
        </dev/null > "$log" 2>&1
    local rc=$?
    # GNU time prepends "Command exited with non-zero status N" when it did
    read -r RIG_QEMU_SECS RIG_QEMU_KIB < <(tail -n1 "$log.time" 2>/dev/null) || true
    [[ "${RIG_QEMU_SECS:-}" =~ ^[0-9.]+$ ]] || RIG_QEMU_SECS="?"
    [[ "${RIG_QEMU_KIB:-}" =~ ^[0-9]+$ ]] || RIG_QEMU_KIB=0
    rig_log "QEMU exited (status $rc) after ${RIG_QEMU_SECS:-?} s, peak RSS $(( ${RIG_QEMU_KIB:-0} / 1024 )) MiB"
    return 0
}
