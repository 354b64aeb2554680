#!/bin/bash
# Integration: `make install-dom0 DESTDIR=...` puts the dom0 session's files
# where a dom0 desktop finds them (docs/session.md): the tray program and
# its man page under PREFIX, the XDG autostart entries of the tray and of
# qvm-start-daemon in /etc/xdg/autostart, and nothing else. The entries are
# checked as desktop files (desktop-file-validate when it is installed, and
# always the rules this test knows) and for what they start.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
BUILD=${BULKHEAD_BUILD:-build/release}
if [ ! -x "$BUILD/bin/bulkhead-domains" ]; then
    echo "1..0 # SKIP bulkhead-domains is not built"
    exit 0
fi
T=$(mktemp -d /tmp/bulkhead-install-dom0.XXXXXX)
trap 'rm -rf "$T"' EXIT
D=$T/root
# the sanitizer build is made with SANITIZE=1; make must see the same
# settings, or it would take the build for out of date
SAN=0
[ "$(basename "$BUILD")" = sanitize ] && SAN=1
mk() { make -s --no-print-directory BUILD="$BUILD" SANITIZE=$SAN BULKHEAD_DEPS_DONE=1 "$@"; }
eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'" >&2; return 1; }; }
mode() { stat -c %a "$1"; }
AS=etc/xdg/autostart

mk install-dom0 DESTDIR="$D" PREFIX=/usr > "$T/make.log" 2>&1; RC=$?
t "make install-dom0 DESTDIR=... exits 0" eq "$RC" 0
[ "$RC" = 0 ] || sed 's/^/# /' "$T/make.log" >&2
t "it installs exactly the tray, its man page and the two autostart entries" \
    eq "$(cd "$D" && find . -type f | sort | tr '\n' ' ')" \
    "./$AS/bulkhead-domains.desktop ./$AS/qvm-start-daemon.desktop ./usr/bin/bulkhead-domains ./usr/share/man/man1/bulkhead-domains.1 "
t "the program is the build's, mode 755" eval \
    'cmp -s "$BUILD/bin/bulkhead-domains" "$D/usr/bin/bulkhead-domains" && [ "$(mode "$D/usr/bin/bulkhead-domains")" = 755 ]'
t "the man page, mode 644" eval \
    'cmp -s docs/man/bulkhead-domains.1 "$D/usr/share/man/man1/bulkhead-domains.1" && [ "$(mode "$D/usr/share/man/man1/bulkhead-domains.1")" = 644 ]'
for e in bulkhead-domains qvm-start-daemon; do
    f=$D/$AS/$e.desktop
    t "$e.desktop: the source's, mode 644" eval 'cmp -s "dom0/tray/autostart/$e.desktop" "$f" && [ "$(mode "$f")" = 644 ]'
    # what this test knows of the format: one [Desktop Entry] group first,
    # then only comments, blank lines and Key=Value lines, each key once
    t "$e.desktop: a [Desktop Entry] group of Key=Value lines" awk '
        NR == 1 { if ($0 != "[Desktop Entry]") exit 1; next }
        /^(#.*)?$/ { next }
        !/^[A-Za-z0-9-]+(\[[A-Za-z0-9_@.-]+\])?=/ { exit 1 }
        { k = substr($0, 1, index($0, "=") - 1); if (seen[k]++) exit 1 }' "$f"
    t "$e.desktop: an application with a name, started in every session" eval \
        'grep -qx "Type=Application" "$f" && grep -q "^Name=." "$f" &&
         grep -qx "X-GNOME-Autostart-enabled=true" "$f" && ! grep -q "^Hidden=true" "$f"'
    if command -v desktop-file-validate > /dev/null; then
        t "$e.desktop: desktop-file-validate accepts it" desktop-file-validate "$f"
    else
        t "$e.desktop: desktop-file-validate accepts it # SKIP desktop-file-validate is not installed" true
    fi
done
t "the tray's entry starts the installed tray" \
    eq "$(sed -n 's/^Exec=//p' "$D/$AS/bulkhead-domains.desktop")" bulkhead-domains
t "qvm-start-daemon's entry runs every GUI daemon and follows qvmd" \
    eq "$(sed -n 's/^Exec=//p' "$D/$AS/qvm-start-daemon.desktop")" "qvm-start-daemon --all --watch"
for e in bulkhead-domains qvm-start-daemon; do
    prog=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$D/$AS/$e.desktop")
    t "$e.desktop starts a program the build makes ($prog)" test -x "$BUILD/bin/$prog"
done

mk install-dom0 DESTDIR="$D" PREFIX=/usr > "$T/make2.log" 2>&1; RC=$?
t "installing again over it works" eq "$RC" 0
t "... and changes nothing" eq "$(cd "$D" && find . -type f | wc -l)" 4

# without DESTDIR and PREFIX: the system's places (a dry run: nothing written)
DRY=$(mk -n install-dom0 2>&1)
t "by default the program goes to /usr/local/bin" grep -q " /usr/local/bin/bulkhead-domains\$" <<< "$DRY"
t "... and the entries to /etc/xdg/autostart, whatever PREFIX is" \
    grep -q "qvm-start-daemon.desktop /etc/xdg/autostart/\$" <<< "$(mk -n install-dom0 PREFIX=/opt/b 2>&1)"
echo "1..$n"
