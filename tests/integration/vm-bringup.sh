#!/bin/bash
# Integration: a qube's bring-up scripts (vm-agent/init/) for real, with
# no Xen: dom0's qubesdb-daemon and qubesdb-vm-daemon over the socket
# vchan hold the qube's keys; the scripts run in their own mount and UTS
# namespaces on a root prefix (BULKHEAD_ROOT) with loop devices as the
# private (xvdb) and volatile (xvdc) volumes. Then the Debian packages
# (build-debs) and their systemd units.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BULKHEAD_BUILD:-build/release}
B=$(realpath "$BUILD/bin")
S=$(realpath vm-agent/init)
D=$(mktemp -d /tmp/bulkhead-bringup-it.XXXXXX)
DPID= VPID= NSPID= XPID= LOOPS=
. tests/integration/lib/tap.sh
. tests/integration/lib/testuser.sh
cleanup() {
    # shellcheck disable=SC2086 # lists of pids and devices
    kill $XPID $DPID $VPID $NSPID 2> /dev/null
    wait 2> /dev/null
    for l in $LOOPS; do
        grep -q "^$l " /proc/swaps && swapoff "$l"
        losetup -d "$l" 2> /dev/null
    done
    rm -rf "$D"
    testuser_cleanup
}
trap cleanup EXIT
export VCHAN_SOCKET_DIR=$D BULKHEAD_VCHAN=socket QUBESDB_SOCKET=$D/vm.sock PATH=$B:$PATH
echo "1..24"
[ "$(id -u)" = 0 ] || { echo "# SKIP needs root (mounts, loop devices)"; exit 0; }
testuser_setup || { echo "# cannot create user $TU"; exit 1; }

# dom0's side of the qube's QubesDB, and the qube's
VCHAN_DOMAIN=0 "$B/qubesdb-daemon" --socket-dir "$D" 5 work 2>> "$D/daemon.log" & DPID=$!
for _ in $(seq 100); do [ -S "$D/qubesdb.work.sock" ] && break; sleep 0.1; done
cmd() { "$B/qubesdb-cmd" --socket "$D/qubesdb.work.sock" "$@"; }
cmd write /name work && cmd write /default-user "$TU" && cmd write /qubes-timezone Europe/Berlin
cmd write /qubes-service/cups 1 && cmd write /qubes-service/meminfo-writer 0
VCHAN_DOMAIN=5 "$B/qubesdb-vm-daemon" --socket "$D/vm.sock" --ro-socket "$D/vm.ro.sock" \
    --daemonize 2>> "$D/vm.log"

# The qube's root: a template's /etc, /usr/local; a time zone database
R=$D/root Z=$D/zoneinfo
mkdir -p "$R/etc/skel" "$R/usr/local/bin" "$R/run" "$Z/Europe"
printf '127.0.0.1\tlocalhost\n127.0.1.1\ttemplate\n::1\tlocalhost\n' > "$R/etc/hosts"
echo template > "$R/etc/hostname"
echo 'echo from skel' > "$R/etc/skel/.bashrc"
echo 'template tool' > "$R/usr/local/bin/tool"
echo zone > "$Z/Europe/Berlin"
export BULKHEAD_ROOT=$R BULKHEAD_ZONEINFO=$Z

# A namespace to run the scripts in; in_ns runs a command there.
unshare -m -u --propagation private sleep 100000 & NSPID=$!
in_ns() { nsenter -t "$NSPID" -m -u -- env "$@"; }
for _ in $(seq 100); do
    [ "$(readlink /proc/$NSPID/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && break
    sleep 0.05
done
loopdev() {  # loopdev FILE: $L, a loop device for FILE, detached at the end
    L=$(losetup -f --show "$1") || return 1
    LOOPS="$LOOPS $L"
}

# ---- bulkhead-sysinit
in_ns "$S/bulkhead-sysinit" 2> "$D/sysinit.log"; r=$?
t "sysinit: host name from /name, in /etc/hostname and on /etc/hosts' 127.0.1.1 line" eval \
    '[ $r = 0 ] && [ "$(in_ns hostname)" = work ] && [ "$(cat "$R/etc/hostname")" = work ] &&
     grep -qx "127.0.1.1	work" "$R/etc/hosts" && ! grep -q template "$R/etc/hosts" &&
     grep -qx "::1	localhost" "$R/etc/hosts" && [ "$(hostname)" != work ]'
t "sysinit: time zone from /qubes-timezone: /etc/localtime and /etc/timezone" eval \
    '[ "$(readlink "$R/etc/localtime")" = "$Z/Europe/Berlin" ] && [ "$(cat "$R/etc/timezone")" = Europe/Berlin ]'
t "sysinit: service toggles: /run/qubes-service/cups made, meminfo-writer not" eval \
    '[ -f "$R/run/qubes-service/cups" ] && [ ! -e "$R/run/qubes-service/meminfo-writer" ]'
cmd write /qubes-service/cups 0 && cmd write /qubes-service/meminfo-writer 1
in_ns "$S/bulkhead-sysinit" 2>> "$D/sysinit.log"; r=$?
t "sysinit: a toggle turned off removes its flag, one turned on makes it" eval \
    '[ $r = 0 ] && [ ! -e "$R/run/qubes-service/cups" ] && [ -f "$R/run/qubes-service/meminfo-writer" ]'

# odd names: dom0's mistakes must not reach outside their folders
mkdir -p "$R/run/x"
cmd write /qubes-service/.. 1 && cmd write /qubes-service/../x 1 && cmd write /qubes-service/x/y 1
cmd write '/qubes-service/a*b' 1 && cmd write /qubes-service/. 0
cmd write /name ../evil && cmd write /qubes-timezone ../../../etc/passwd
: > "$D/sysinit.log"
in_ns "$S/bulkhead-sysinit" 2>> "$D/sysinit.log"; r=$?
t "sysinit: odd service names, host name and time zone are refused and logged, nothing changes" eval \
    '[ $r = 1 ] && [ "$(ls -A "$R/run/qubes-service")" = meminfo-writer ] && [ -z "$(ls -A "$R/run/x")" ] &&
     [ "$(in_ns hostname)" = work ] && [ "$(cat "$R/etc/hostname")" = work ] &&
     [ "$(readlink "$R/etc/localtime")" = "$Z/Europe/Berlin" ] &&
     grep -q "refusing host name" "$D/sysinit.log" && grep -q "refusing time zone" "$D/sysinit.log" &&
     [ "$(grep -c "ignoring service toggle" "$D/sysinit.log")" = 5 ]'
cmd write /qubes-timezone Nowhere/Land && cmd write /name work
for k in .. ../x x/y 'a*b' .; do cmd rm "/qubes-service/$k"; done
in_ns "$S/bulkhead-sysinit" 2> "$D/sysinit.log"; r=$?
t "sysinit: a time zone that is not in the database is refused" eval \
    '[ $r = 1 ] && grep -q "refusing time zone .Nowhere/Land" "$D/sysinit.log" && [ "$(cat "$R/etc/timezone")" = Europe/Berlin ]'
cmd write /qubes-timezone Europe/Berlin

# ---- bulkhead-mount-private
truncate -s 64M "$D/private.img"
loopdev "$D/private.img" || { echo "# no loop device"; exit 1; }
P=$L
export BULKHEAD_PRIVATE_DEV=$P
in_ns "$S/bulkhead-mount-private" start 2> "$D/mount.log"; r=$?
t "mount-private: a blank private volume is formatted (ext4) and mounted on /rw" eval \
    '[ $r = 0 ] && [ "$(blkid -p -s TYPE -o value "$P")" = ext4 ] && in_ns mountpoint -q "$R/rw" &&
     ! mountpoint -q "$R/rw" && grep -q "was blank" "$D/mount.log"'
in_ns "$S/bulkhead-sysinit" 2> "$D/sysinit.log"; r=$?
t "mount-private: /rw/home bound on /home; sysinit makes the user's home from /etc/skel, the user's, 0700" eval \
    '[ $r = 0 ] && in_ns mountpoint -q "$R/home" && in_ns test -d "$R/rw/home/$TU" && [ "$(in_ns cat "$R/home/$TU/.bashrc")" = "echo from skel" ] &&
     [ "$(in_ns stat -c "%U %a" "$R/home/$TU" "$R/home/$TU/.bashrc" | tr "\n" " ")" = "$TU 700 $TU 644 " ]'
t "mount-private: /rw/usrlocal bound on /usr/local, a copy of the template's" eval \
    'in_ns mountpoint -q "$R/usr/local" && [ "$(in_ns cat "$R/rw/usrlocal/bin/tool")" = "template tool" ] &&
     [ "$(in_ns cat "$R/usr/local/bin/tool")" = "template tool" ]'
in_ns sh -c "echo mine > '$R/home/$TU/notes' && rm '$R/home/$TU/.bashrc' && echo local > '$R/usr/local/bin/tool'"
in_ns "$S/bulkhead-mount-private" stop 2>> "$D/mount.log"; r=$?
t "mount-private stop: /usr/local, /home and /rw unmounted" eval \
    '[ $r = 0 ] && ! in_ns mountpoint -q "$R/home" && ! in_ns mountpoint -q "$R/usr/local" &&
     ! in_ns mountpoint -q "$R/rw" && [ "$(cat "$R/usr/local/bin/tool")" = "template tool" ]'
in_ns "$S/bulkhead-mount-private" start 2>> "$D/mount.log"; r=$?
t "mount-private again: the user's files kept, nothing copied over them" eval \
    '[ $r = 0 ] && [ "$(in_ns cat "$R/home/$TU/notes")" = mine ] && ! in_ns test -e "$R/home/$TU/.bashrc" &&
     [ "$(in_ns cat "$R/usr/local/bin/tool")" = local ]'
in_ns "$S/bulkhead-mount-private" stop 2>> "$D/mount.log"

# a volume with data that does not mount as ext4: never formatted
head -c 1M /dev/urandom > "$D/data.img" && truncate -s 64M "$D/data.img"
sum=$(sha256sum < "$D/data.img")
loopdev "$D/data.img"
export BULKHEAD_PRIVATE_DEV=$L
in_ns "$S/bulkhead-mount-private" start 2> "$D/mount.log"; r=$?
t "mount-private: a volume holding data that does not mount is not formatted; /rw left empty" eval \
    '[ $r = 1 ] && grep -q "holds data but does not mount" "$D/mount.log" && ! in_ns mountpoint -q "$R/rw" &&
     ! in_ns mountpoint -q "$R/home" && [ "$(sha256sum < "$D/data.img")" = "$sum" ]'
BULKHEAD_PRIVATE_DEV=$D/none in_ns "$S/bulkhead-mount-private" start 2> "$D/mount.log"; r=$?
t "mount-private: no private volume: nothing mounted, success" eval \
    '[ $r = 0 ] && ! in_ns mountpoint -q "$R/rw" && grep -q "no private volume" "$D/mount.log"'

# ---- bulkhead-volatile
BULKHEAD_VOLATILE_DEV=$D/none in_ns "$S/bulkhead-volatile" start 2> "$D/vol.log"; r=$?
t "volatile: no volatile volume: no swap, success" eval '[ $r = 0 ] && grep -q "no volatile volume" "$D/vol.log"'
dd if=/dev/zero of="$D/volatile.img" bs=1M count=32 status=none
loopdev "$D/volatile.img"
V=$L
export BULKHEAD_VOLATILE_DEV=$V BULKHEAD_SWAP_KIB=16384
in_ns "$S/bulkhead-volatile" start 2> "$D/vol.log"; r=$?
if [ $r != 0 ] && grep -q "swapon .* failed" "$D/vol.log"; then
    n=$((n + 1)); echo "ok $n - volatile: swap on the first 16 MiB # SKIP swapon refused here"
    n=$((n + 1)); echo "ok $n - volatile stop: swap off # SKIP swapon refused here"
else
    t "volatile: swap on the first 16 MiB of the volume, the rest unused" eval \
        '[ $r = 0 ] && [ "$(awk -v d="$V" "\$1 == d {print \$3}" /proc/swaps)" -lt 16384 ] &&
         [ "$(awk -v d="$V" "\$1 == d {print \$3}" /proc/swaps)" -gt 16000 ]'
    in_ns "$S/bulkhead-volatile" stop 2>> "$D/vol.log"; r=$?
    t "volatile stop: swap off" eval '[ $r = 0 ] && ! grep -q "^$V " /proc/swaps'
fi

# ---- bulkhead-xorg (Xvfb stands in for Xorg with the dummy driver: the
# same -displayfd handshake), on a display nobody uses
for disp in $(seq 87 99); do [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ] || break; done
export BULKHEAD_X_DISPLAY=$disp BULKHEAD_XSERVER="Xvfb -nolisten tcp" BULKHEAD_FORK_SERVER=
cmd write /qubes-gui-enabled False
in_ns "$S/bulkhead-xorg" 2> "$D/x.log"; r=$?
t "xorg: no GUI and no xorg toggle: no X server, success" eval \
    '[ $r = 0 ] && grep -q "no X server" "$D/x.log" && [ ! -e "$R/run/qubes/session-ready" ]'
cmd write /qubes-gui-enabled True
"$S/bulkhead-xorg" 2> "$D/x.log" & XPID=$!
for _ in $(seq 200); do [ -e "$R/run/qubes/session-ready" ] && break; sleep 0.05; done
t "xorg: /qubes-gui-enabled True: the marker appears once the X socket accepts" eval \
    '[ -e "$R/run/qubes/session-ready" ] && [ -S "/tmp/.X11-unix/X$disp" ] &&
     [ "$(DISPLAY=:$disp xdotool getdisplaygeometry)" != "" ]'
kill $XPID; wait $XPID; r=$?; XPID=
t "xorg: stopped, the server ends and the marker goes" eval \
    '[ ! -e "$R/run/qubes/session-ready" ] && [ ! -e "/tmp/.X11-unix/X$disp" ] && grep -q ended "$D/x.log"'
cmd write /qubes-gui-enabled False
mkdir -p "$R/run/qubes-service" && : > "$R/run/qubes-service/xorg"
"$S/bulkhead-xorg" 2> "$D/x.log" & XPID=$!
for _ in $(seq 200); do [ -e "$R/run/qubes/session-ready" ] && break; sleep 0.05; done
t "xorg: the xorg service toggle alone starts it too" eval '[ -e "$R/run/qubes/session-ready" ]'
kill $XPID; wait $XPID; XPID=

# ---- the Debian packages
DEBS=$D/debs
SOURCE_DATE_EPOCH=1700000000 vm-agent/packaging/build-debs "$BUILD" "$DEBS" > "$D/debs.log" 2>&1; r=$?
V=$(cat VERSION)
CORE=$DEBS/bulkhead-vm-core_${V}_amd64.deb SERV=$DEBS/bulkhead-vm-services_${V}_amd64.deb
# every manifest line's destination, per package
manifest() { grep -hv '^[[:space:]]*\(#\|$\)' vm-agent/packaging/core.list vm-agent/*/install.list 2> /dev/null |
    awk -v p="$1" '$1 == p {print "." $3}' | sort; }
in_deb() {  # in_deb PACKAGE DEB: each manifest entry is a member
    dpkg-deb -c "$2" | awk '{print $6}' | sort > "$D/members"
    [ -z "$(manifest "$1" | comm -23 - "$D/members")" ]
}
t "build-debs (what make debs runs): both packages, every manifest entry in its package" eval \
    '[ $r = 0 ] && make -s -n debs BULKHEAD_DEPS_DONE=1 | grep -q "^vm-agent/packaging/build-debs build/release build/debs$" &&
     in_deb bulkhead-vm-core "$CORE" && in_deb bulkhead-vm-services "$SERV"'
t "the control files parse: names, version, Depends computed (libc6, libpam0g, the Xen libraries)" eval \
    '[ "$(dpkg-deb -f "$CORE" Package Version)" = "Package: bulkhead-vm-core
Version: $V" ] && dpkg-deb -f "$CORE" Depends | grep -q "libc6 (>= .*libpam0g.*libxenmisc.*systemd" &&
     [ "$(dpkg-deb -f "$SERV" Package)" = bulkhead-vm-services ] &&
     dpkg-deb -f "$SERV" Depends | grep -qx ".*bulkhead-vm-core (= $V)" &&
     dpkg-deb -I "$CORE" postinst | grep -q "^UNITS=\".*qubes-qrexec-agent.service" &&
     dpkg-deb -I "$CORE" conffiles | grep -qx /etc/pam.d/qrexec'
mkdir -p "$D/debs2"
SOURCE_DATE_EPOCH=1700000000 vm-agent/packaging/build-debs "$BUILD" "$D/debs2" > /dev/null 2>&1
t "build-debs is reproducible: the same packages byte for byte" eval \
    'cmp -s "$CORE" "$D/debs2/${CORE##*/}" && cmp -s "$SERV" "$D/debs2/${SERV##*/}"'

# the units, in a root with systemd's own units, the package unpacked on it
if command -v systemd-analyze > /dev/null && [ -d /lib/systemd/system ]; then
    U=$D/uroot
    mkdir -p "$U/lib/systemd" "$U/bin" && cp -a /lib/systemd/system "$U/lib/systemd/" &&
        cp /bin/rm "$U/bin/" && dpkg-deb -x "$CORE" "$U"
    systemd-analyze verify --root="$U" \
        $(dpkg-deb -c "$CORE" | awk '$6 ~ /\.service$/ {sub("^\\.", "'"$U"'", $6); print $6}') \
        > "$D/verify.log" 2>&1; r=$?
    t "systemd-analyze verify: the units load, nothing to say" eval '[ $r = 0 ] && [ ! -s "$D/verify.log" ]'
else
    n=$((n + 1)); echo "ok $n - systemd-analyze verify # SKIP no systemd-analyze"
fi
