#!/bin/bash
# Integration: the everyday RPC services (vm-agent/services) through the
# real qrexec path over the socket vchan. Two qubes, "work" (domain 5) and
# "personal" (domain 6), each with its qrexec-agent and qrexec-daemon; the
# services are installed from vm-agent/services/install.list into a test
# root (their /usr/lib/qubes paths pointed there), and each is reached
# through a small wrapper that gives it the test's environment (fake
# xdg-open, test desktop files, the Xvfb display, session paths).
# dom0's calls go through qrexec-client; a qube's through qrexec-client-vm.
set -u
cd "$(dirname "$0")/../.."
BD=${BULKHEAD_BUILD:-build/release}
B=$BD/bin
T=$(mktemp -d /tmp/bulkhead-vmsvc.XXXXXX)
chmod 755 "$T"
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
export BULKHEAD_POLICY_SOCKET=$T/no-policy.sock BULKHEAD_SIMPLE_POLICY=$T/policy
mkdir -p "$T/vchan" "$T/run" "$T/rpc" "$T/rpc-config" "$T/dom0rpc" "$T/root" "$T/fakebin" \
    "$T/share/applications" "$T/home-share/applications" "$T/tmp"
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. tests/integration/lib/tap.sh

# ---- install the package's files into $T/root, as the packaging would ----
R=$T/root
while read -r pkg src dest mode; do
    case "$pkg" in ''|'#'*) continue ;; esac
    mkdir -p "$R$(dirname "$dest")"
    case "$src" in
    '->'*) ln -sf "$R${src#->}" "$R$dest" ;;
    *) install -m "$mode" "${src/@BUILD@/$BD}" "$R$dest" ;;
    esac
done < vm-agent/services/install.list
sed -i "s|/usr/lib/qubes/|$R/usr/lib/qubes/|g" "$R"/etc/qubes-rpc/*
cp "$R"/etc/qubes/rpc-config/* "$T/rpc-config/"
install -m 0755 dom0/rpc/qubes.GetDate "$T/dom0rpc/"

# ---- the test environment each service gets ----
D=
for d in $(seq 71 99); do
    [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ] || { D=$d; break; }
done
Xvfb ":$D" -nolisten tcp > "$T/xvfb.log" 2>&1 &
for s in "$R"/etc/qubes-rpc/*; do
    cat > "$T/rpc/$(basename "$s")" <<W
#!/bin/sh
export PATH="$T/fakebin:\$PATH" XDG_DATA_DIRS="$T/share" XDG_DATA_HOME="$T/home-share"
export DISPLAY=":$D" TMPDIR="$T/tmp" QUBESDB_SOCKET="$T/qubesdb.work.sock"
export BULKHEAD_XORG_SERVICE_FLAG="$T/xorg-flag" BULKHEAD_SESSION_READY_FILE="$T/session-ready"
export BULKHEAD_SESSION_X_SOCKET="/tmp/.X11-unix/X$D" BULKHEAD_SESSION_TIMEOUT="\$(cat "$T/session-timeout")"
unset XDG_RUNTIME_DIR
exec "$s" "\$@"
W
done
chmod +x "$T"/rpc/*
echo 60 > "$T/session-timeout"
# xdg-open: a URL is recorded; a file is recorded, then "edited"
cat > "$T/fakebin/xdg-open" <<F
#!/bin/sh
case "\$1" in
http*|ftp*|mailto*) printf '%s\n' "\$1" >> "$T/url.log" ;;
*) printf '%s\n' "\$1" >> "$T/open.log"; sed -i 's/edit-me/edited/' "\$1" ;;
esac
F
chmod +x "$T/fakebin/xdg-open"
mkdesktop() {   # mkdesktop ID EXTRA-LINES
    printf '[Desktop Entry]\nType=Application\nName=%s app\nComment=for tests\nCategories=Utility;\n%s\n' \
        "$1" "$2" > "$T/share/applications/$1.desktop"
}
mkdesktop bhtest-app "Exec=sh -c 'echo started > $T/app-marker'"
mkdesktop bhtest-hidden "Exec=sh -c 'echo started > $T/hidden-marker'
NoDisplay=true"
printf '[Desktop Entry]\nType=Link\nName=a link\nURL=https://example.org/\n' \
    > "$T/share/applications/bhtest-link.desktop"

cat > "$T/policy" <<P
qubes.GetDate    *  work      @default  allow target=dom0
qubes.OpenInVM   *  personal  work      allow user=$U
qubes.OpenURL    *  personal  work      allow user=$U
*                *  @anyvm    @anyvm    deny
P
start_vm() {   # start_vm DOMID NAME
    QREXEC_SERVICE_PATH=$T/rpc QUBES_RPC_CONFIG_PATH=$T/rpc-config VCHAN_DOMAIN=$1 \
        "$B/qrexec-agent" --agent-socket "$T/agent.$2" 2> "$T/agent.$2.log" &
    QREXEC_SERVICE_PATH=$T/dom0rpc VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D \
        -p "$B/qrexec-policy-simple" --socket-dir "$T/run" "$1" "$2" 2> "$T/daemon.$2.log" &
}
start_vm 5 work
start_vm 6 personal
# work's QubesDB (dom0's daemon; its local socket speaks the client protocol)
VCHAN_DOMAIN=0 "$B/qubesdb-daemon" --socket-dir "$T" 5 work 2> "$T/qubesdb.log" &
qdb() { "$B/qubesdb-cmd" --socket "$T/qubesdb.work.sock" "$@"; }
for i in $(seq 100); do
    [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.6" ] && [ -S "/tmp/.X11-unix/X$D" ] &&
        [ -S "$T/qubesdb.work.sock" ] && break
    sleep 0.1
done
for q in 5:work 6:personal; do   # qrexec-client-vm of each qube, for the commands
    printf '#!/bin/sh\nVCHAN_DOMAIN=%s exec %s --agent-socket %s "$@"\n' \
        "${q%%:*}" "$PWD/$B/qrexec-client-vm" "$T/agent.${q#*:}" > "$T/qcvm.${q#*:}"
    chmod +x "$T/qcvm.${q#*:}"
done
qc() { VCHAN_DOMAIN=0 "$B/qrexec-client" --socket-dir "$T/run" "$@"; }
rpc() {   # rpc SERVICE[+ARG] [qrexec-client options]: dom0 calls a service in work
    local s=$1; shift
    qc -d work "$@" "$U:QUBESRPC $s dom0"
}
wait_for() { for i in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }

echo "1..34"
# ---- qubes.VMShell ----
out=$(printf 'echo "hello from $(id -un)"\necho oops >&2\nexit 5\n' |
      rpc qubes.VMShell 2> "$T/err"); rc=$?
t "VMShell runs the caller's stdin as a script: output, stderr and exit code come back" \
    test "$out" = "hello from $U" -a "$(cat "$T/err")" = oops -a $rc = 5

# ---- qubes.GetDate and qvm-sync-clock ----
out=$(BULKHEAD_QREXEC_CLIENT_VM=$T/qcvm.work "$R/usr/bin/qvm-sync-clock" --dry-run); rc=$?
now=$(date +%s)
t "qvm-sync-clock asks dom0's qubes.GetDate (via @default) and parses the reply" \
    bash -c "[ $rc = 0 ] && [[ '$out' =~ ^20[0-9-]{8}T[0-9:]{8}\+00:00\ [0-9]+$ ]] &&
             [ \$(( ${out#* } - $now )) -le 3600 ] && [ \$(( $now - ${out#* } )) -le 3600 ]"
t "... and its date and seconds agree" \
    test "$(date -u -d "@${out#* }" +%Y-%m-%dT%H:%M:%S+00:00)" = "${out%% *}"
printf '#!/bin/sh\necho 2026-11-30T06:42:22+01:00\n' > "$T/bad-date"; chmod +x "$T/bad-date"
BULKHEAD_QREXEC_CLIENT_VM=$T/bad-date "$R/usr/bin/qvm-sync-clock" --dry-run 2> "$T/err"; rc=$?
t "qvm-sync-clock refuses a reply that is not exactly a UTC date" \
    bash -c "[ $rc = 1 ] && grep -q 'not a UTC date' '$T/err'"

# ---- qubes.StartApp ----
rpc qubes.StartApp+bhtest-app < /dev/null; rc=$?
t "StartApp starts the application of a desktop file (its Exec ran)" \
    bash -c "[ $rc = 0 ] && { for i in \$(seq 100); do [ -e '$T/app-marker' ] && exit 0; sleep 0.1; done; exit 1; }"
rpc qubes.StartApp+bhtest-hidden < /dev/null 2> "$T/err"; rc=$?
t "StartApp refuses a NoDisplay application (exit 4)" \
    bash -c "[ $rc = 4 ] && [ ! -e '$T/hidden-marker' ] && grep -q NoDisplay '$T/err'"
rpc qubes.StartApp+bhtest-link < /dev/null 2> /dev/null; rc1=$?
rpc qubes.StartApp+no-such-app < /dev/null 2> /dev/null; rc2=$?
t "StartApp: a missing or non-Application desktop file is an error (exit 3)" \
    test $rc1 = 3 -a $rc2 = 3
rm -f "$T/app-marker"
bad=0
for name in .. .hidden -x '../x' 'x/y' ''; do
    rpc "qubes.StartApp+$name" < /dev/null 2> /dev/null && bad=1
    "$R/usr/lib/qubes/qubes-start-app" "$name" 2> /dev/null; [ $? = 2 ] || bad=1
done
cp "$T/share/applications/bhtest-app.desktop" "$T/share/.bhtest-app.desktop"
"$R/usr/lib/qubes/qubes-start-app" ../.bhtest-app 2> /dev/null && bad=1
t "StartApp refuses ../x, x/y, an empty name, hidden and option-like names" \
    test $bad = 0 -a ! -e "$T/app-marker"

# ---- qubes.OpenURL ----
echo "https://example.org/a?b=c" | rpc qubes.OpenURL; rc=$?
t "OpenURL hands one checked URL to xdg-open" \
    test $rc = 0 -a "$(cat "$T/url.log")" = "https://example.org/a?b=c"
: > "$T/url.log"
bad=0
for u in 'javascript:alert(1)' 'file:///etc/passwd' $'https://a.example/\e[31m' \
         $'https://a.example/\nhttps://b.example/' 'https://a.example/x y'; do
    printf '%s\n' "$u" | rpc qubes.OpenURL 2> /dev/null && bad=1
done
t "OpenURL refuses javascript:, file:, control characters, two lines, spaces" \
    test $bad = 0 -a ! -s "$T/url.log"
{ printf 'https://example.org/'; head -c 65536 /dev/zero | tr '\0' a; echo; } |
    rpc qubes.OpenURL 2> "$T/err"; rc=$?
t "OpenURL refuses a URL over 64 KiB" test $rc = 1 -a ! -s "$T/url.log"

# ---- qubes.OpenInVM: from personal to work with qvm-open-in-vm ----
export BULKHEAD_QOPEN_IN_VM=$R/usr/lib/qubes/qopen-in-vm
mkdir -p "$T/home"
printf 'line one\nplease edit-me\n' > "$T/home/notes.txt"
chmod 0640 "$T/home/notes.txt"
BULKHEAD_QREXEC_CLIENT_VM=$T/qcvm.personal "$R/usr/bin/qvm-open-in-vm" work "$T/home/notes.txt" \
    2> "$T/err"; rc=$?
t "qvm-open-in-vm: the file is opened in the other qube and the edits come back" \
    test $rc = 0 -a "$(cat "$T/home/notes.txt")" = $'line one\nplease edited'
t "... saved in place with the file's mode kept, no temporary left beside it" \
    test "$(stat -c %a "$T/home/notes.txt")" = 640 -a "$(ls -A "$T/home")" = notes.txt
opened=$(tail -n 1 "$T/open.log")
t "... it was opened under its own name in a private directory, removed afterwards" \
    bash -c "[[ '$opened' == '$T/tmp/qubes-open-'??????'/notes.txt' ]] && [ ! -e '$(dirname "$opened")' ]"
printf 'keep edit-me\n' > "$T/home/view.txt"
BULKHEAD_QREXEC_CLIENT_VM=$T/qcvm.personal "$R/usr/bin/qvm-open-in-vm" --view-only work \
    "$T/home/view.txt" 2> /dev/null; rc=$?
wait_for_log() { for i in $(seq 100); do grep -q "$1" "$T/open.log" && return 0; sleep 0.1; done; return 1; }
t "qvm-open-in-vm --view-only: opened there, the local file is left as it was" \
    bash -c "[ $rc = 0 ] && $(declare -f wait_for_log); T='$T' wait_for_log view.txt && [ \"\$(cat '$T/home/view.txt')\" = 'keep edit-me' ]"
printf 'unchanged\n' > "$T/home/same.txt"
BULKHEAD_QREXEC_CLIENT_VM=$T/qcvm.personal "$R/usr/bin/qvm-open-in-vm" work "$T/home/same.txt" \
    2> "$T/err"; rc=$?
t "a file the other qube did not change is not rewritten" \
    bash -c "[ $rc = 0 ] && ! grep -q saved '$T/err' && [ \"\$(cat '$T/home/same.txt')\" = unchanged ]"
BULKHEAD_QREXEC_CLIENT_VM=$T/qcvm.personal "$R/usr/bin/qvm-open-in-vm" work \
    "https://example.org/from-personal" 2> /dev/null; rc=$?
t "qvm-open-in-vm with a URL calls qubes.OpenURL" \
    test $rc = 0 -a "$(tail -n 1 "$T/url.log")" = "https://example.org/from-personal"
BULKHEAD_QREXEC_CLIENT_VM=$T/qcvm.personal "$R/usr/bin/qvm-open-in-vm" work "$T/home/nope" \
    2> "$T/err"; rc=$?
t "qvm-open-in-vm: a missing file is a clear error (exit 1)" \
    bash -c "[ $rc = 1 ] && grep -q 'No such file' '$T/err'"
BULKHEAD_QREXEC_CLIENT_VM=$T/qcvm.work "$R/usr/bin/qvm-open-in-dvm" "$T/home/notes.txt" \
    2> /dev/null; rc=$?
t "qvm-open-in-dvm asks for @dispvm (policy here refuses it: 126)" test $rc = 126

sum=$(sha256sum < /etc/passwd)
: > "$T/open.log"
printf '../../etc/passwd\nroot::0:0:owned:/root:/bin/sh edit-me\n' |
    rpc qubes.OpenInVM > "$T/back" 2> "$T/err"; rc=$?
opened=$(cat "$T/open.log")
t "OpenInVM: a name like ../../etc/passwd lands as a safe name inside the private directory" \
    bash -c "[ $rc = 0 ] && [[ '$opened' == '$T/tmp/qubes-open-'??????'/file' ]] &&
             [ \"\$(sha256sum < /etc/passwd)\" = '$sum' ] && grep -q 'unusable file name' '$T/err'"
t "... and the edited content still comes back" grep -q "owned:/root:/bin/sh edited" "$T/back"
head -c 300 /dev/zero | tr '\0' a | rpc qubes.OpenInVM > /dev/null 2> "$T/err"; rc=$?
t "OpenInVM refuses a request without a name line" \
    bash -c "[ $rc = 1 ] && grep -q 'no file name line' '$T/err'"
t "no private directory is left behind" test -z "$(ls -A "$T/tmp")"

# ---- qubes.GetAppmenus ----
rpc qubes.GetAppmenus < /dev/null > "$T/menus"; rc=$?
t "GetAppmenus lists the applications as ID.desktop:Key=Value lines" \
    bash -c "[ $rc = 0 ] && grep -qx 'bhtest-app.desktop:Name=bhtest-app app' '$T/menus' &&
             grep -qx 'bhtest-app.desktop:Categories=Utility;' '$T/menus' &&
             grep -q '^bhtest-app.desktop:Exec=sh -c ' '$T/menus'"
t "... without NoDisplay entries or non-applications" \
    bash -c "! grep -q -e bhtest-hidden -e bhtest-link '$T/menus'"
printf '[Desktop Entry]\nType=Application\nName=mine\nExec=true\n' \
    > "$T/home-share/applications/bhtest-user.desktop"
rpc qubes.GetAppmenus < /dev/null > "$T/menus"
qdb write /qubes-vm-type AppVM
rpc qubes.GetAppmenus < /dev/null > "$T/menus.appvm"
t "the user's own applications are listed only in an AppVM (QubesDB /qubes-vm-type)" \
    bash -c "! grep -q bhtest-user '$T/menus' && grep -qx 'bhtest-user.desktop:Name=mine' '$T/menus.appvm'"

# ---- the clipboard pair, under Xvfb ----
printf 'h\xc3\xa9llo clipboard' | rpc qubes.ClipboardPaste; rc=$?
out=$(rpc qubes.ClipboardCopy < /dev/null)
t "ClipboardPaste sets the qube's clipboard; ClipboardCopy reads it back" \
    test $rc = 0 -a "$out" = $'h\xc3\xa9llo clipboard'
head -c 65537 /dev/zero | tr '\0' x | rpc qubes.ClipboardPaste 2> "$T/err"; rc=$?
t "an over-long paste is refused and sets nothing" \
    bash -c "[ $rc = 1 ] && [ \"\$(VCHAN_DOMAIN=0 '$B/qrexec-client' --socket-dir '$T/run' -d work '$U:QUBESRPC qubes.ClipboardCopy dom0' < /dev/null)\" = \$'h\\xc3\\xa9llo clipboard' ]"
printf 'bad \xff utf-8' | rpc qubes.ClipboardPaste 2> /dev/null; rc=$?
t "a paste that is not UTF-8 is refused" test $rc = 1

# ---- qubes.WaitForSession ----
rpc qubes.WaitForSession < /dev/null; rc=$?
qdb write /qubes-gui-enabled False
rpc qubes.WaitForSession < /dev/null; rc2=$?
t "WaitForSession returns at once (0) in a qube without a desktop session" test $rc = 0 -a $rc2 = 0
qdb write /qubes-gui-enabled True; echo 1 > "$T/session-timeout"
rpc qubes.WaitForSession < /dev/null 2> "$T/err"; rc=$?
t "QubesDB /qubes-gui-enabled=True: a session that is not ready times out (exit 1)" \
    bash -c "[ $rc = 1 ] && grep -q 'not ready after 1 s' '$T/err'"
qdb rm /qubes-gui-enabled
touch "$T/xorg-flag"
rpc qubes.WaitForSession < /dev/null 2> "$T/err"; rc=$?
t "the same with the xorg service flag instead, with a clear message" \
    bash -c "[ $rc = 1 ] && grep -q 'not ready after 1 s' '$T/err'"
echo 120 > "$T/session-timeout"
(rpc qubes.WaitForSession < /dev/null; echo $? > "$T/wait.rc") &
touch "$T/session-ready"
wait $!
t "it waits until the marker exists and the X socket accepts, then returns 0" \
    test "$(cat "$T/wait.rc")" = 0
rm -f "$T/xorg-flag" "$T/session-ready"

t "no sanitizer reports from agents and daemons" \
    bash -c "! grep -q Sanitizer '$T'/*.log"
