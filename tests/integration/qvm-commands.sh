#!/bin/bash
# Integration: the qvm-* commands driving the real qvmd, started on a
# temporary database and socket: every command's normal use, every output
# format of qvm-ls, and each kind of bad input with its exit code, its one
# line of error and the proof that nothing changed.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}/bin
if [ ! -x "$B/qvmd" ]; then
    echo "1..0 # SKIP qvmd is not built on this branch (merge p5-qvmd)"
    exit 0
fi
T=$(mktemp -d /tmp/bulkhead-qvm-cli.XXXXXX)
export BULKHEAD_QVMD_SOCKET=$T/qvmd.sock PATH=$PWD/$B:$PATH
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
"$B/qvmd" --db "$T/qvm.db" --socket "$T/qvmd.sock" 2> "$T/qvmd.log" &
for i in $(seq 100); do [ -S "$T/qvmd.sock" ] && break; sleep 0.1; done

# fails RC CMD...: exits with RC and says why in exactly one line on
# stderr, prefixed with the command's name; the line is left in $ERR
# the whole visible state: every qube with its settings, and the globals
snapshot() {
    qvm-ls --raw-data -O name,class,label,template,netvm,memory,provides_network
    qubes-prefs
    for q in $(qvm-ls --raw-list); do qvm-features "$q"; qvm-tags "$q"; qvm-notes "$q"; done
}
unchanged() { [ "$(snapshot 2>&1)" = "$BEFORE" ]; }
eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'" >&2; return 1; }; }

# a fresh system: dom0 alone has no template property, yet the default
# columns are shown
t "qvm-ls with only dom0" grep -qE '^dom0 +Running +AdminVM ' <<< "$(qvm-ls)"

# ---- creating
t "qvm-create a TemplateVM" qvm-create -C TemplateVM -l black tpl
t "qvm-create an AppVM on it" qvm-create -l blue -t tpl work
t "qvm-create with --property" qvm-create -l green -t tpl --prop provides_network=True \
    --property memory=500 net
t "qvm-create a second netvm behind the first" qvm-create -l red -t tpl \
    --prop provides_network=True --prop netvm=net net2
t "qvm-create with -C StandaloneVM" qvm-create -C StandaloneVM -l purple alone
t "qvm-clone" qvm-clone work work2
t "the clone has the source's template" eq "$(qvm-prefs work2 template)" tpl

# ---- qvm-ls, every format
t "qvm-ls header" eq "$(qvm-ls | head -1 | tr -s ' ')" "NAME STATE CLASS LABEL TEMPLATE NETVM"
t "qvm-ls lists work with its class, label and template" \
    grep -qE '^work +Halted +AppVM +blue +tpl ' <<< "$(qvm-ls)"
t "qvm-ls --raw-list, sorted" eq "$(qvm-ls --raw-list | tr '\n' ' ')" "alone dom0 net net2 tpl work work2 "
t "qvm-ls --raw-data -O" eq "$(qvm-ls --raw-data -O name,label,memory net)" "net|green|500"
t "qvm-ls -O in capitals" eq "$(qvm-ls --raw-data -O NAME,CLASS tpl)" "tpl|TemplateVM"
t "qvm-ls --class" eq "$(qvm-ls --raw-list --class TemplateVM)" "tpl"
t "qvm-ls --halted lists the halted" grep -qx work <<< "$(qvm-ls --raw-list --halted)"
t "qvm-ls --paused lists none" eq "$(qvm-ls --raw-list --paused)" ""
J=$(qvm-ls --format json -O name,label,memory,provides_network net)
t "qvm-ls --format json is typed JSON" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d == [{"name": "net", "label": "green", "memory": 500, "provides_network": True}], d' "$J"
t "qvm-ls --format json, all qubes" python3 -c '
import json, sys; assert len(json.loads(sys.argv[1])) == 7' "$(qvm-ls --format json)"

# ---- prefs
t "qvm-prefs sets" qvm-prefs work memory 800
t "qvm-prefs gets" eq "$(qvm-prefs work memory)" 800
t "qvm-prefs --get" eq "$(qvm-prefs --get work memory)" 800
t "qvm-prefs lists it as set" grep -qE '^memory +- +800$' <<< "$(qvm-prefs work)"
t "qvm-prefs -D resets" qvm-prefs -D work memory
t "qvm-prefs lists it as default" grep -qE '^memory +D ' <<< "$(qvm-prefs work)"
t "qvm-prefs --hide-default hides it" bash -c '! qvm-prefs --hide-default work | grep -q ^memory'
t "qvm-prefs --set netvm" qvm-prefs --set work netvm net
t "qvm-ls shows the netvm" eq "$(qvm-ls --raw-data -O netvm work)" net
t "qubes-prefs sets" qubes-prefs default_netvm net
t "qubes-prefs gets" eq "$(qubes-prefs default_netvm)" net
t "qubes-prefs lists" grep -qE '^default_netvm +- +net$' <<< "$(qubes-prefs)"
t "qubes-prefs -D" qubes-prefs -D default_netvm
# xid: the domain id while a qube runs (qvm-lifecycle.sh runs them)
t "qvm-prefs xid of a halted qube is -1" eq "$(qvm-prefs work xid)" -1
t "dom0's xid is 0" eq "$(qvm-prefs dom0 xid)" 0
t "qvm-prefs lists xid as qvmd's own" grep -qE '^xid +- +-1$' <<< "$(qvm-prefs work)"

# ---- features, services, tags, notes
t "qvm-features sets" qvm-features work gui 1
t "qvm-features gets" eq "$(qvm-features work gui)" 1
t "qvm-features lists" grep -qE '^gui +1$' <<< "$(qvm-features work)"
t "qvm-features --unset" qvm-features --unset work gui
t "qvm-service on" qvm-service work cups on
t "qvm-service is service.NAME=1" eq "$(qvm-features work service.cups)" 1
t "qvm-service off" qvm-service work cups off
t "qvm-service lists" grep -qE '^cups +off$' <<< "$(qvm-service work)"
t "qvm-service --default removes it" qvm-service --default work cups
t "qvm-tags add" qvm-tags work add project-x other
t "qvm-tags list" grep -qx project-x <<< "$(qvm-tags work)"
t "qvm-tags list TAG (present)" eq "$(qvm-tags work list project-x)" project-x
t "qvm-ls --tags" eq "$(qvm-ls --raw-list --tags project-x)" work
t "qvm-tags del" qvm-tags work del other
t "qvm-tags list TAG (absent): exit 1" bash -c 'qvm-tags work list other; [ $? = 1 ]' 
t "qvm-notes --set" qvm-notes work --set "bank only"
t "qvm-notes prints" eq "$(qvm-notes work)" "bank only"
printf 'line 1\nline 2\n' > "$T/notes"
t "qvm-notes --file" qvm-notes --file "$T/notes" work
t "qvm-notes prints the file" eq "$(qvm-notes work)" "$(printf 'line 1\nline 2')"

# ---- qvm-check
t "qvm-check exists" qvm-check -q work net
t "qvm-check --template" qvm-check -q --template tpl
t "qvm-check --halted" qvm-check -q --halted work
t "qvm-check --networked" qvm-check -q --networked work
t "qvm-check: missing qube is exit 1" bash -c 'qvm-check -q work nosuch; [ $? = 1 ]'
t "qvm-check --running on a halted qube is exit 1" bash -c 'qvm-check -q --running work; [ $? = 1 ]'

# ---- bad input: one line, the exit code, nothing changed
BEFORE=$(snapshot 2>&1)
t "invalid name: exit 2" fails 2 qvm-create -l red 1bad
t "name ending in -dm: exit 2" fails 2 qvm-create -l red work-dm
t "missing --label: exit 2" fails 2 qvm-create -t tpl lbl
t "duplicate name: exit 1" fails 1 qvm-create -l red -t tpl work
t "unknown label: exit 1" fails 1 qvm-create -l pink -t tpl pinky
t "template that is not a TemplateVM: exit 1" fails 1 qvm-create -l red -t work bad
t "a refused --property creates nothing" fails 1 qvm-create -l red -t tpl --prop memory=lots half
t "unknown property: exit 1" fails 1 qvm-prefs work no_such_property
t "wrong type: exit 1" fails 1 qvm-prefs work memory lots
t "out of range: exit 1" fails 1 qvm-prefs work vcpus -3
t "setting xid: exit 1" fails 1 qvm-prefs work xid 5
t "... it is read-only" says "read-only"
t "resetting xid: exit 1" fails 1 qvm-prefs -D work xid
t "netvm to a qube that provides no network: exit 1" fails 1 qvm-prefs work netvm work2
t "netvm cycle: exit 1" fails 1 qvm-prefs net netvm net2
t "removing dom0: exit 1" fails 1 qvm-remove -f dom0
t "removing a template in use: exit 1" fails 1 qvm-remove -f tpl
t "... and qvmd says which qubes use it" says 'work'
t "removing a missing qube removes nothing" fails 1 qvm-remove -f work2 nosuch
t "removal not confirmed: exit 1" fails 1 qvm-remove work2
t "unknown qvm-ls field: exit 2" fails 2 qvm-ls -O name,no_such_field
t "qvmd unreachable: exit 1" env BULKHEAD_QVMD_SOCKET=$T/none bash -c \
    "$(declare -f fails); fails 1 qvm-ls"
t "after all of that, nothing changed" unchanged

# ---- removing
t "qvm-remove -f" qvm-remove -f work2
t "qvm-remove asks and takes y" bash -c 'echo y | qvm-remove alone >/dev/null'
t "both are gone" eq "$(qvm-ls --raw-list | tr '\n' ' ')" "dom0 net net2 tpl work "
echo "1..$n"
