#!/bin/bash
# Integration: qvm-appmenus turns a real (local-backend) qube's
# qubes.GetAppmenus output into dom0 menu entries in a temporary
# XDG_DATA_HOME / XDG_CONFIG_HOME. The qube's service is this test's own
# script printing crafted output: normal applications, hostile ids ("../x",
# "/etc/..."), control and bidi characters, an Exec line with a shell
# injection (which must not reach dom0's files), 10,000 lines and overlong
# lines. The entry's Exec line is then run as a menu would, and the
# application starts in the qube through qubes.StartApp.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}/bin
if [ ! -x "$B/qvmd" ] || [ ! -x "$B/qvm-appmenus" ]; then
    echo "1..0 # SKIP qvmd or qvm-appmenus is not built"
    exit 0
fi
case $B in /*) ;; *) B=$PWD/$B ;; esac
T=$(mktemp -d /tmp/bulkhead-appmenus.XXXXXX)
. tests/integration/lib/local-qubes.sh
export PATH=$B:$PATH XDG_DATA_HOME=$T/data XDG_CONFIG_HOME=$T/config
A=$XDG_DATA_HOME/applications
cleanup() { local_qubes_stop; kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
touch "$T/qubes.list"
# qubes reach nothing through policy here; the one rule keeps the policy
# folder from being empty (the policy daemon's SANITIZE=1 build trips over an
# empty one: qsort of NULL in qrexec/policy/v5_parse.c)
echo 'qubes.Filecopy * @anyvm @anyvm deny' > "$T/policy.d/50-test.policy"

# the qube's qubes.GetAppmenus: "v1" output, or "v2" once $T/v2 exists
cat > "$T/rpc/qubes.GetAppmenus" <<EOS
#!/bin/bash
if [ -e "$T/hang" ]; then # a qube that starts its answer and never ends it
    printf 'stuck.desktop:Name=Stuck\n'
    exec sleep 100000
fi
if [ -e "$T/v2" ]; then
    printf 'debian-xterm.desktop:Name=XTerm\n'
    exit 0
fi
printf 'debian-xterm.desktop:Name=XTerm\n'
printf 'debian-xterm.desktop:GenericName=Terminal\n'
printf 'debian-xterm.desktop:Comment=standard terminal emulator\n'
printf 'debian-xterm.desktop:Categories=System;TerminalEmulator;\n'
printf 'debian-xterm.desktop:Exec=xterm\n'
printf 'firefox-esr.desktop:Name=Firefox ESR\n'
printf 'firefox-esr.desktop:Exec=firefox-esr %%u; touch /tmp/PWNED \$(reboot) \`id\`\n'
printf 'firefox-esr.desktop:Icon=/etc/shadow\n'
printf '../x.desktop:Name=Escape\n'
printf '/etc/cron.d/evil.desktop:Name=Absolute\n'
printf -- '-rf.desktop:Name=Option\n'
printf 'evil.desktop:Name=Evil\033[31m\007 App\342\200\256txt.exe\n'
printf 'evil.desktop:Comment=line1\\\\nExec=rm -rf /\n'
printf 'evil.desktop:Categories=Game;Bad Cat;X-Bulkhead-personal\n'
printf 'hidden.desktop:Name=Hidden\nhidden.desktop:NoDisplay=true\n'
printf 'bad-utf8.desktop:Name=\300\257\n'
printf 'long.desktop:Name=%s\n' "\$(head -c 100000 /dev/zero | tr '\\0' y)"
printf 'longname.desktop:Name=%s\n' "\$(head -c 1000 /dev/zero | tr '\\0' z)"
for i in \$(seq 10000); do printf 'many%d.desktop:Comment=no name %d\n' \$((i % 100)) \$i; done
printf 'last.desktop:Name=Last One\n'
EOS
cat > "$T/rpc/qubes.StartApp" <<EOS
#!/bin/sh
echo "\$QREXEC_SERVICE_ARGUMENT" > "$T/started"
EOS
chmod +x "$T/rpc/qubes.GetAppmenus" "$T/rpc/qubes.StartApp"
local_qubes_start || { echo "Bail out! qvmd did not start"; exit 1; }
qvm-create -C TemplateVM -l black tpl && qvm-prefs tpl default_user root &&
    qvm-create -l red -t tpl work && qvm-create -l blue -t tpl work-web ||
    { echo "Bail out! cannot create the qubes"; exit 1; }

eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'" >&2; return 1; }; }
rc() { local want=$1 r; shift; "$@" >/dev/null 2>&1 </dev/null; r=$?
    [ "$r" = "$want" ] || { echo "# $*: rc $r, wanted $want" >&2; return 1; }; }
# the qube's entries: the files that say they are its own
entries() { (cd "$A" 2>/dev/null && grep -lx "X-Bulkhead-VM=$1" bulkhead-*.desktop 2>/dev/null) |
    sort | tr '\n' ' '; }
key() { grep "^$2=" "$A/$1" | cut -d= -f2-; }

t "--help prints the usage" grep -q "^usage: qvm-appmenus --update" <<< "$(qvm-appmenus --help)"
t "no mode is a usage error" rc 2 qvm-appmenus work
t "--update without a qube is a usage error" rc 2 qvm-appmenus --update
t "a bad qube name is a usage error" rc 2 qvm-appmenus --update '../x'
t "--list and --remove together is a usage error" rc 2 qvm-appmenus --list --remove work
ERR=$(qvm-appmenus --update work 2>&1); RC=$?
t "--update of a halted qube fails" eq "$RC" 1
t "... saying it is not running and how to start it" grep -q "work is not running.*--start" <<< "$ERR"
t "... and writes nothing" eq "$(entries work)" ""
t "--update of an unknown qube is qvmd's error" rc 1 qvm-appmenus --update nope

ERR=$(qvm-appmenus --update --start work 2>&1); RC=$?
t "--update --start starts the qube and succeeds" eq "$RC" 0
t "... the qube runs" eq "$(qvm-ls --raw-data -O state work)" Running
t "one file per application offered" \
    eq "$(entries work)" "bulkhead-work-debian-xterm.desktop bulkhead-work-evil.desktop bulkhead-work-firefox-esr.desktop bulkhead-work-last.desktop bulkhead-work-longname.desktop "
t "it says lines were skipped" grep -q "lines of qubes.GetAppmenus output broke the rules" <<< "$ERR"
X=bulkhead-work-debian-xterm.desktop
t "Name is 'QUBE: App'" eq "$(key $X Name)" "work: XTerm"
t "GenericName is prefixed too" eq "$(key $X GenericName)" "work: Terminal"
t "Comment is kept" eq "$(key $X Comment)" "standard terminal emulator"
t "Exec is dom0's qubes.StartApp call" \
    eq "$(key $X Exec)" "qvm-run -q -a --service -- work qubes.StartApp+debian-xterm"
t "Categories are dom0's, per qube" eq "$(key $X Categories)" "X-Bulkhead;X-Bulkhead-work;"
t "Type=Application" eq "$(key $X Type)" Application
F=bulkhead-work-firefox-esr.desktop
t "the qube's Exec never reaches dom0's file" \
    eq "$(key $F Exec)" "qvm-run -q -a --service -- work qubes.StartApp+firefox-esr"
t "... nothing of the injection anywhere in dom0's files" \
    eq "$(grep -rlE 'PWNED|reboot|/etc/shadow|id`' "$T/data" "$T/config" | wc -l)" 0
t "no Icon from the qube" eq "$(grep -c '^Icon' "$A/$F")" 0
t "no file escaped the folder (../x, /etc/...)" \
    eq "$(find "$T/data" "$T/config" -type f | grep -vc -e "^$A/bulkhead-work-" -e 'bulkhead-work\.')" 0
t "an id starting with '-' is refused" eq "$(ls "$A" | grep -c -- '-rf')" 0
E=bulkhead-work-evil.desktop
t "control and bidi characters are gone from a name" eq "$(key $E Name)" "work: Evil [31m  App txt.exe"
t "... no control byte in any file" eq "$(cat "$A"/* | tr -d '\n' | LC_ALL=C grep -c '[[:cntrl:]]')" 0
t "a backslash is escaped, so no second line appears" eq "$(key $E Comment)" 'line1\\nExec=rm -rf /'
t "... and the entry has one Exec" eq "$(grep -c '^Exec=' "$A/$E")" 1
t "a NoDisplay entry is not offered" eq "$(ls "$A" | grep -c hidden)" 0
t "an invalid UTF-8 name is skipped" eq "$(ls "$A" | grep -c bad-utf8)" 0
t "an overlong line is skipped" eq "$(ls "$A" | grep -c 'work-long\.')" 0
t "a long name is cut to 256 bytes" eq "$(key bulkhead-work-longname.desktop Name | wc -c)" $((6 + 256 + 1))
t "the entry after 10,000 lines is there" eq "$(key bulkhead-work-last.desktop Name)" "work: Last One"
t "the submenu groups the qube's category" \
    grep -q "<Include><Category>X-Bulkhead-work</Category></Include>" \
    "$XDG_CONFIG_HOME/menus/applications-merged/bulkhead-work.menu"
t "the submenu's directory entry is named after the qube" \
    grep -qx "Name=work" "$XDG_DATA_HOME/desktop-directories/bulkhead-work.directory"
if command -v desktop-file-validate >/dev/null; then
    t "desktop-file-validate accepts the entries" desktop-file-validate "$A"/bulkhead-work-*.desktop
fi
t "--list prints 'QUBE: Application' lines" \
    eq "$(qvm-appmenus --list work | tr '\n' '|')" "work: XTerm|work: Evil [31m  App txt.exe|work: Firefox ESR|work: Last One|work: $(head -c 256 /dev/zero | tr '\0' z)|"

# the entry's command, run as a menu would run it
sh -c "$(key $X Exec)"
for _ in $(seq 100); do [ -e "$T/started" ] && break; sleep 0.1; done
t "the entry's Exec starts the application in the qube (qubes.StartApp)" \
    eq "$(cat "$T/started" 2>/dev/null)" debian-xterm

# a qube that never ends its answer is given up on after --timeout
BEFORE=$(entries work)
touch "$T/hang"
ERR=$(qvm-appmenus --update --timeout 2 work 2>&1); RC=$?
rm -f "$T/hang"
t "a qubes.GetAppmenus that never ends fails after --timeout" eq "$RC" 1
t "... saying so" grep -q "work: qubes.GetAppmenus did not finish within 2 s" <<< "$ERR"
t "... and changes nothing" eq "$(entries work)" "$BEFORE"
t "--timeout takes seconds" rc 2 qvm-appmenus --update --timeout soon work

# another qube whose name starts the same way keeps its own entries
qvm-start work-web && qvm-appmenus --update work-web 2>/dev/null
WEB=$(entries work-web)
touch "$T/v2"
t "--update again" rc 0 qvm-appmenus --update work
t "... removes what the qube no longer offers" eq "$(entries work)" "bulkhead-work-debian-xterm.desktop "
t "... and leaves work-web's entries alone" eq "$(entries work-web | wc -w)" 5
qvm-prefs work label green
t "--update after a label change rewrites the entries" rc 0 qvm-appmenus --update --force work
t "--remove removes the qube's entries" rc 0 qvm-appmenus --remove work
t "... all of them" eq "$(entries work)" ""
t "... and its submenu" test ! -e "$XDG_CONFIG_HOME/menus/applications-merged/bulkhead-work.menu"
t "... but not work-web's" eq "$(entries work-web)" "$WEB"
t "--list of a qube without entries prints nothing" eq "$(qvm-appmenus --list work)" ""
t "--update --all updates every running qube" rc 0 qvm-appmenus --update --all
t "... work is back" eq "$(entries work)" "bulkhead-work-debian-xterm.desktop "
echo "1..$n"
