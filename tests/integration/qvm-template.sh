#!/bin/bash
# Integration: qvm-template driving the real qvmd on a temporary database,
# with the default pools next to it (file-reflink vm-pool, linux-kernel
# vm-kernels). The template files are made here, small: a 32 MiB ext4 root
# made with mkfs.ext4 -d (sparse), a fake vmlinuz and initramfs of a few
# bytes, a template.conf with their SHA-256, packed with
# `tar --format=pax --sparse` once plain and once through zstd.
#
# What is checked is what a user sees: install registers a TemplateVM with
# the right label, kernel, features; its root volume holds exactly root.img;
# the kernel files are in the kernels directory; an AppVM can be made from
# it; list and info say so; remove is refused while the AppVM uses it and
# then removes the qube and its kernel. Damaged files (a flipped byte, a
# truncated file, bad template.conf values, an existing name) are refused
# with one line and leave no qube and no kernel directory behind. An
# AppVM of the installed template is started on the local backend and
# runs a command.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}/bin
if [ ! -x "$B/qvmd" ] || [ ! -x "$B/qvm-template" ]; then
    echo "1..0 # SKIP qvmd or qvm-template is not built"
    exit 0
fi
if ! command -v mkfs.ext4 > /dev/null || ! command -v zstd > /dev/null; then
    echo "1..0 # SKIP needs mkfs.ext4 and zstd"
    exit 0
fi
T=$(mktemp -d /tmp/bulkhead-qvm-template.XXXXXX)
case $B in /*) ;; *) B=$PWD/$B ;; esac
export PATH=$B:$PATH
. tests/integration/lib/local-qubes.sh
QVMD_PID=
cleanup() {
    qvm-kill --all > /dev/null 2>&1
    [ -n "$QVMD_PID" ] && kill "$QVMD_PID" 2> /dev/null && wait "$QVMD_PID" 2> /dev/null
    rm -rf "$T"
}
trap cleanup EXIT
local_qvmd_start --policy-socket "$T/none"
POOL=$T/vm-pool KDIR=$T/vm-kernels

eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'" >&2; return 1; }; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# nothing left of a refused install: no such qube, no kernel directory
# (nor a temporary one), no volume files
nothing_left() {
    ! qvm-ls --raw-list | grep -qx "$1" &&
        [ -z "$(ls -A "$KDIR" 2> /dev/null)" ] &&
        [ -z "$(find "$POOL" -path "*/$1/*" 2> /dev/null)" ] || {
        echo "# left: $(qvm-ls --raw-list | tr '\n' ' ') / $(ls -A "$KDIR" 2>&1) /" \
            "$(find "$POOL" -path "*/$1/*" 2>&1)" >&2; return 1; }
}

# ---- the template files
S=$T/src
mkdir -p "$S/rootfs/etc" "$S/rootfs/usr/bin"
echo debian-12-test > "$S/rootfs/etc/hostname"
head -c 300000 /dev/urandom > "$S/rootfs/usr/bin/blob"
truncate -s 32M "$S/root.img"
mkfs.ext4 -q -F -L root -d "$S/rootfs" "$S/root.img" > /dev/null
printf 'not really a kernel\n' > "$S/vmlinuz"
printf 'not really an initramfs\n' > "$S/initramfs"
KV=6.1.0-28-amd64
# conf [KEY=VALUE...]: template.conf with these lines replaced or added
conf() {
    {
        echo "# made by tests/integration/qvm-template.sh"
        echo "format=1"
        echo "name=debian-12"
        echo "version=1.0.20261130"
        echo "description=Debian 12 test template"
        echo "built=2026-11-30T06:00:00Z"
        echo "kernel_version=$KV"
        echo "root_size=$(stat -c %s "$S/root.img")"
        echo "root_sha256=$(sha "$S/root.img")"
        echo "vmlinuz_sha256=$(sha "$S/vmlinuz")"
        echo "initramfs_sha256=$(sha "$S/initramfs")"
        echo "label=purple"
        echo "default_user=user"
    } | awk -v repl="$*" '
        BEGIN { n = split(repl, r, " "); for (i = 1; i <= n; i++) { split(r[i], kv, "="); new[kv[1]] = r[i] } }
        { split($0, kv, "="); if (kv[1] in new) { print new[kv[1]]; done[kv[1]] = 1 } else print }
        END { for (k in new) if (!(k in done)) print new[k] }'
}
# pack OUT [KEY=VALUE...]: a template file (members in the contract's order)
pack() {
    local out=$1; shift
    conf "$@" > "$S/template.conf"
    tar --format=pax --sparse -cf "$out" -C "$S" template.conf root.img vmlinuz initramfs
}
pack "$T/plain.template"
zstd -q -c "$T/plain.template" > "$T/zstd.template"
t "the test's root.img is sparse" test "$(du -k "$S/root.img" | cut -f1)" -lt 16000
t "the test's template file stores it sparse" test "$(stat -c %s "$T/plain.template")" -lt 8000000

# ---- the command line
t "qvm-template --help prints its usage" grep -q '^usage: qvm-template ' <<< "$(qvm-template --help)"
t "no command is a usage error" fails 2 qvm-template
t "an unknown command is a usage error" fails 2 qvm-template frobnicate
t "install without a file is a usage error" fails 2 qvm-template install
t "--name must be a qube name" fails 2 qvm-template install --name '../x' "$T/plain.template"
t "a missing file" fails 1 qvm-template install "$T/nope.template"
t "... nothing installed" nothing_left debian-12

# ---- info of a file, without installing
INFO=$(qvm-template info "$T/plain.template")
t "info FILE shows the name" grep -qE '^name +debian-12$' <<< "$INFO"
t "info FILE shows the kernel version" grep -qE "^kernel_version +$KV\$" <<< "$INFO"
t "info --verify FILE checks every member" grep -q '^verified' \
    <<< "$(qvm-template info --verify "$T/zstd.template")"
t "info --raw FILE is template.conf's canonical form" \
    eq "$(qvm-template info --raw "$T/plain.template" | grep -v '^description=')" \
    "$(conf | grep -vE '^(#|description=)')"
t "info FILE installs nothing" nothing_left debian-12

# ---- install (the zstd file)
OUT=$(qvm-template install "$T/zstd.template" 2> "$T/err"); RC=$?
t "install exits 0" eq "$RC" 0
[ "$RC" = 0 ] || sed 's/^/# /' "$T/err"
t "install says what it installed" grep -q "installed debian-12" <<< "$OUT"
t "a TemplateVM debian-12 exists" eq "$(qvm-ls --raw-data -O class,label debian-12)" "TemplateVM|purple"
t "its kernel property is the template's kernel" eq "$(qvm-prefs debian-12 kernel)" "$KV"
t "feature template-name" eq "$(qvm-features debian-12 template-name)" debian-12
t "feature template-version" eq "$(qvm-features debian-12 template-version)" 1.0.20261130
t "feature template-description" eq "$(qvm-features debian-12 template-description)" \
    "Debian 12 test template"
t "feature template-buildtime" eq "$(qvm-features debian-12 template-buildtime)" \
    2026-11-30T06:00:00Z
t "feature template-installtime is today" grep -q "^$(date -u +%Y-%m-%d)T" \
    <<< "$(qvm-features debian-12 template-installtime)"
VOL=$POOL/vm-templates/debian-12/root.img
t "the root volume holds exactly root.img" cmp "$VOL" "$S/root.img"
t "the root volume is sparse" test "$(du -k "$VOL" | cut -f1)" -lt 16000
t "the root volume's size is root_size" eq "$(qvm-volume info debian-12:root size)" \
    "$(stat -c %s "$S/root.img")"
t "vmlinuz is in the kernels directory" cmp "$KDIR/$KV/vmlinuz" "$S/vmlinuz"
t "initramfs is in the kernels directory" cmp "$KDIR/$KV/initramfs" "$S/initramfs"
t "no temporary directory is left" eq "$(ls -A "$KDIR")" "$KV"

# ---- list and info
L=$(qvm-template list)
t "list shows it with its version" grep -qE '^debian-12 +1\.0\.20261130 +[0-9-]+T' <<< "$L"
t "list --installed is the same" eq "$(qvm-template list --installed)" "$L"
t "list --machine-readable" grep -qE '^debian-12\|1\.0\.20261130\|[0-9T:-]+Z\|debian-12$' \
    <<< "$(qvm-template list --machine-readable)"
qvm-create -C TemplateVM -l black handmade > /dev/null 2>&1
t "list leaves out templates not installed from a file" bash -c \
    "! qvm-template list | grep -q handmade"
I=$(qvm-template info debian-12)
t "info NAME shows the version" grep -qE '^version +1\.0\.20261130$' <<< "$I"
t "info NAME shows the kernel" grep -qE "^kernel +$KV\$" <<< "$I"
t "info of a template not installed from a file is refused" fails 1 qvm-template info handmade
t "... saying so" says "not a template installed by qvm-template"

# ---- refusals while it is installed
t "installing it again is refused" fails 1 qvm-template install "$T/plain.template"
t "... naming the installed version" says "debian-12 is already installed \(version 1\.0\.20261130\); remove it first"
t "installing over a hand-made qube's name is refused" \
    fails 1 qvm-template install --name handmade "$T/plain.template"

# ---- a second copy under another name shares the kernel directory
t "install --name installs a second copy" \
    bash -c "qvm-template install -q --name deb-copy '$T/plain.template' > /dev/null"
t "... with template-name from the file" eq "$(qvm-features deb-copy template-name)" debian-12
t "... its root is root.img too" cmp "$POOL/vm-templates/deb-copy/root.img" "$S/root.img"

# ---- an AppVM on it, and remove
t "qvm-create -t debian-12 work" qvm-create -t debian-12 -l blue work
t "work inherits the kernel" eq "$(qvm-prefs work kernel)" "$KV"
t "remove is refused while work uses it" fails 1 qvm-template remove debian-12
t "... naming the users" says "cannot remove debian-12: used as template by work$"
t "... and the template is still there" eq "$(qvm-ls --raw-data -O class debian-12)" TemplateVM
t "remove of a qube not installed from a file is refused" fails 1 qvm-template remove handmade

qvm-prefs debian-12 default_user root > /dev/null
t "work (local backend) starts" qvm-start work
t "work runs a command" eq "$(qvm-run -p work 'echo hello from $(hostname)' 2> /dev/null)" \
    "hello from work"
qvm-kill work > /dev/null 2>&1
qvm-prefs deb-copy default_user root > /dev/null
qvm-start deb-copy > /dev/null 2>&1
t "remove of a running template is refused" fails 1 qvm-template remove deb-copy
t "... saying so" says "cannot remove deb-copy: it is Running"
qvm-kill deb-copy > /dev/null 2>&1

t "qvm-remove work" qvm-remove -f work
t "remove debian-12" qvm-template remove debian-12
t "... the qube is gone" bash -c "! qvm-ls --raw-list | grep -qx debian-12"
t "... its volumes are gone" test ! -e "$POOL/vm-templates/debian-12"
t "... the kernel stays while deb-copy uses it" test -f "$KDIR/$KV/vmlinuz"
t "remove deb-copy" qvm-template remove deb-copy
t "... now the kernel directory is gone" eq "$(ls -A "$KDIR")" ""
t "remove of what is not there" fails 1 qvm-template remove debian-12

# ---- damaged files leave nothing behind
# flip FILE NEEDLE-FILE SKIP: adds 1 to the byte SKIP bytes after the
# first place the first 16 bytes of NEEDLE-FILE appear in FILE
flip() {
    python3 - "$@" << 'PY'
import sys
path, needle, skip = sys.argv[1], open(sys.argv[2], "rb").read(16), int(sys.argv[3])
data = bytearray(open(path, "rb").read())
at = data.find(needle)
assert at >= 0, "needle not found"
data[at + skip] = (data[at + skip] + 1) % 256
open(path, "wb").write(data)
PY
}
cp "$T/plain.template" "$T/bad-root.template"
flip "$T/bad-root.template" "$S/rootfs/usr/bin/blob" 1000
t "a flipped byte in root.img is refused" fails 1 qvm-template install "$T/bad-root.template"
t "... with a checksum error" says "root.img: checksum mismatch"
t "... leaving no qube, no volume and no kernel directory" nothing_left debian-12

cp "$T/plain.template" "$T/bad-kernel.template"
flip "$T/bad-kernel.template" "$S/vmlinuz" 4
t "a flipped byte in vmlinuz is refused" fails 1 qvm-template install "$T/bad-kernel.template"
t "... with a checksum error" says "vmlinuz: checksum mismatch"
t "... leaving nothing" nothing_left debian-12

SZ=$(stat -c %s "$T/plain.template")
head -c $((SZ / 2)) "$T/plain.template" > "$T/short.template"
t "a truncated file is refused" fails 1 qvm-template install "$T/short.template"
t "... leaving nothing" nothing_left debian-12
head -c $((SZ - 3000)) "$T/plain.template" > "$T/short2.template"
t "a file cut inside initramfs is refused" fails 1 qvm-template install "$T/short2.template"
t "... leaving nothing" nothing_left debian-12
head -c $(($(stat -c %s "$T/zstd.template") - 100)) "$T/zstd.template" > "$T/short.zst.template"
t "a truncated zstd file is refused" fails 1 qvm-template install "$T/short.zst.template"
t "... leaving nothing" nothing_left debian-12

pack "$T/f2.template" format=2
t "an unknown format is refused" fails 1 qvm-template install "$T/f2.template"
t "... as such" says "unsupported format 2"
pack "$T/n.template" name=../x
t "name=../x is refused" fails 1 qvm-template install "$T/n.template"
t "... as not a qube name" says "name: not a valid qube name"
pack "$T/k.template" kernel_version=../../etc
t "kernel_version=../../etc is refused" fails 1 qvm-template install "$T/k.template"
t "... by the metadata check" says "kernel_version:"
pack "$T/s.template" root_size=67108864
t "a root_size other than root.img's is refused" fails 1 qvm-template install "$T/s.template"
t "... leaving nothing" nothing_left debian-12
pack "$T/u.template" colour=red
t "an unknown key is refused" fails 1 qvm-template install "$T/u.template"
t "... naming it" says "unknown key colour"
conf > "$S/template.conf"
tar --format=pax -cf "$T/order.template" -C "$S" template.conf vmlinuz root.img initramfs
t "members out of order are refused" fails 1 qvm-template install "$T/order.template"
t "... saying what was expected" says "expected the member root.img, found vmlinuz"
t "... leaving nothing" nothing_left debian-12
tar --format=pax -cf "$T/extra.template" -C "$S" template.conf root.img vmlinuz initramfs \
    rootfs/etc/hostname
t "an extra member is refused" fails 1 qvm-template install "$T/extra.template"
t "... leaving nothing" nothing_left debian-12
t "--verify finds the flipped byte" fails 1 qvm-template info --verify "$T/bad-root.template"

# an existing kernel version with other files is not replaced
mkdir -p "$KDIR/$KV" && echo other > "$KDIR/$KV/vmlinuz" && echo other > "$KDIR/$KV/initramfs"
t "a different kernel of the same version is refused" fails 1 qvm-template install "$T/plain.template"
t "... saying so" says "already installed .* with a different vmlinuz"
t "... and left as it was" eq "$(cat "$KDIR/$KV/vmlinuz")" other
t "... no qube made" bash -c "! qvm-ls --raw-list | grep -qx debian-12"
rm -rf "${KDIR:?}/$KV"
# an identical one is reused
mkdir -p "$KDIR/$KV" && cp "$S/vmlinuz" "$S/initramfs" "$KDIR/$KV/"
t "an identical kernel already there is reused" \
    bash -c "qvm-template install -q '$T/plain.template' | grep -q 'already there'"
t "... and still in place" cmp "$KDIR/$KV/vmlinuz" "$S/vmlinuz"

# from a pipe, into another pool, with a kernel version holding a '+'
mkdir -p "$T/pool2"
qvm-pool add p2 file-reflink -o dir_path="$T/pool2",setup_check=no > /dev/null
pack "$T/plus.template" kernel_version=6.1.0+bh1-amd64
t "install from stdin into --pool p2" bash -c \
    "zstd -q -c '$T/plus.template' | qvm-template install -q --pool p2 --name piped - > /dev/null"
t "... its root is in p2" cmp "$T/pool2/vm-templates/piped/root.img" "$S/root.img"
t "... its kernel is 6.1.0+bh1-amd64" eq "$(qvm-prefs piped kernel)" 6.1.0+bh1-amd64
t "... in place" cmp "$KDIR/6.1.0+bh1-amd64/vmlinuz" "$S/vmlinuz"

kill "$QVMD_PID"; wait "$QVMD_PID" 2> /dev/null; QVMD_PID=
t "qvmd's database is consistent" "$B/qvmd" --db "$T/qvm.db" --check

echo "1..$n"
