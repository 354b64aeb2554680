#!/bin/bash
# Integration: the lifecycle commands (qvm-start, qvm-shutdown, qvm-kill,
# qvm-pause, qvm-unpause, qvm-run) driving the real qvmd on a temporary
# database and socket.
#
# Part 1 runs everywhere: --help, usage errors, unknown qubes (qvmd's own
# QubesVMNotFoundError message) and what needs no running qube.
# Part 2 starts real qubes on qvmd's `local` backend (processes in Linux
# namespaces, each with a qrexec agent). What it expects of qvmd besides
# the Admin API: it passes its environment on to what it spawns, starts each qube's
# qrexec-daemon with --socket-dir "$BULKHEAD_QREXEC_SOCKET_DIR" (where
# qvm-run looks), the socket vchan in "$VCHAN_SOCKET_DIR", and makes the
# qube's default_user what "DEFAULT:" means to the agent. The set-up is
# tests/integration/lib/local-qubes.sh's.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}/bin
if [ ! -x "$B/qvmd" ] || [ ! -x "$B/qvm-run" ]; then
    echo "1..0 # SKIP qvmd or the lifecycle commands are not built"
    exit 0
fi
T=$(mktemp -d /tmp/bulkhead-qvm-life.XXXXXX)
case $B in /*) ;; *) B=$PWD/$B ;; esac
export PATH=$B:$PATH
# qubes on the local backend: each runs the built qrexec-agent and
# qubesdb-vm-daemon under bulkhead-local-init (docs/backends.md); no policy
# daemon here (calls between qubes: qrexec-vm-to-vm.sh, filecopy-local.sh)
. tests/integration/lib/local-qubes.sh
printf '#!/bin/sh\necho "arg=$1 from=$QREXEC_REMOTE_DOMAIN"\n' > "$T/rpc/test.Echo"
chmod +x "$T/rpc/test.Echo"
cleanup() {
    qvm-kill --all >/dev/null 2>&1
    kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"
}
trap cleanup EXIT
local_qvmd_start

eq() { [ "$1" = "$2" ] || { echo "# got '$1', wanted '$2'" >&2; return 1; }; }
# rc WANT CMD...: CMD exits with WANT (its output is ignored)
rc() { local want=$1 r; shift; "$@" >/dev/null 2>&1 </dev/null; r=$?
    [ "$r" = "$want" ] || { echo "# $*: rc $r, wanted $want" >&2; return 1; }; }
state() { qvm-ls --raw-data -O state "$1"; }
states() { qvm-ls --raw-data -O name,state "$@" | tr '\n' ' '; }
# the domain id as the qube's qrexec-daemon has it: the link it makes in
# the socket folder (qrexec.NAME -> qrexec.XID), a source apart from qvmd's
link_xid() { readlink "$T/qrexec/qrexec.$1" | sed 's/^qrexec\.//'; }

qvm-create -C TemplateVM -l black tpl && qvm-prefs tpl default_user root &&
    qvm-create -l blue -t tpl work && qvm-create -l green -t tpl work2 &&
    qvm-create -l red -t tpl work3 || { echo "Bail out! cannot create the qubes"; exit 1; }

# ---- part 1: what needs no running qube
CMDS="qvm-start qvm-shutdown qvm-kill qvm-pause qvm-unpause qvm-run"
for c in $CMDS; do
    t "$c --help prints its usage" grep -q "^usage: $c " <<< "$($c --help)"
    t "$c without a qube is a usage error" fails 2 $c
    t "$c with an unknown option is a usage error" fails 2 $c --no-such-option work
    t "$c --exclude without --all is a usage error" fails 2 $c --exclude work2 work
done
for c in qvm-start qvm-shutdown qvm-kill qvm-pause qvm-unpause; do
    t "$c with an invalid name is a usage error" fails 2 $c 'bad name'
    t "$c: an unknown qube is qvmd's QubesVMNotFoundError" fails 1 $c nope
    t "$c: ... saying which qube" says "no such qube: nope"
    t "$c --all and a name is a usage error" fails 2 $c --all work
    t "$c --all --exclude of an unknown qube fails" fails 1 $c --all --exclude nope
done
t "qvm-start work nope: refused before anything starts" fails 1 qvm-start work nope
t "... work is still halted" eq "$(state work)" Halted
t "qvm-shutdown --timeout without --wait is a usage error" fails 2 qvm-shutdown --timeout 5 work
t "qvm-shutdown --timeout takes seconds" fails 2 qvm-shutdown --wait --timeout soon work
t "qvm-shutdown of a halted qube says so" eq "$(qvm-shutdown work 2>&1)" "work: already halted"
t "qvm-shutdown -q of a halted qube says nothing" eq "$(qvm-shutdown -q --wait work 2>&1)" ""
t "qvm-run without a command is a usage error" fails 2 qvm-run work
t "qvm-run --localcmd without --pass-io is a usage error" fails 2 qvm-run --localcmd cat work ls
t "qvm-run --service takes one word" fails 2 qvm-run --service work test.Echo extra
t "qvm-run --service checks the name" fails 2 qvm-run --service work 'test Echo'
t "qvm-run --service and --no-shell exclude each other" fails 2 qvm-run --service --no-shell work x
t "qvm-run -u checks the user" fails 2 qvm-run -u 'root:x' work id
t "qvm-run in an unknown qube is qvmd's error" fails 1 qvm-run -p nope true
t "... saying which qube" says "no such qube: nope"
t "qvm-run --color-output checks the colour" fails 2 qvm-run --color-output red work true
t "qvm-run --color-output needs filtering" fails 2 qvm-run --no-filter-escape-chars \
    --color-output 32 work true
t "qvm-run in dom0 is refused" fails 1 qvm-run -p dom0 true
t "qvm-run --all with no running qube says so" fails 0 qvm-run --all true
t "... and -q silences it" eq "$(qvm-run -q --all true 2>&1)" ""
t "qvm-run --no-autostart in a halted qube fails" fails 1 qvm-run -p --no-autostart work3 true
t "... saying it is not running" says "work3 is not running"
t "... and leaves it halted" eq "$(state work3)" Halted

# ---- part 2: real qubes on the local backend
t "qvm-start two qubes" qvm-start work work2
t "qvm-ls shows them running" eq "$(states work work2 work3)" "work|Running work2|Running work3|Halted "
t "qvm-check --running agrees" qvm-check -q --running work work2
XID=$(qvm-prefs work xid)
t "xid of a running qube: its domain id" eq "$XID" "$(link_xid work)"
t "... a number" grep -qxE '[0-9]+' <<< "$XID"
t "... not the other qube's" test "$XID" != "$(qvm-prefs work2 xid)"
t "... in GetAll too (qvm-prefs' list)" grep -qE "^xid +- +$XID\$" <<< "$(qvm-prefs work)"
t "a halted qube's xid is -1" eq "$(qvm-prefs work3 xid)" -1
t "xid of a running qube cannot be set either" fails 1 qvm-prefs work xid 0
t "qvm-start of a running qube fails" fails 1 qvm-start work
t "... as qvmd says" says "work.*already running"
t "qvm-start --skip-if-running does not" qvm-start --skip-if-running work work2

OUT=$(qvm-run -p work 'echo out; echo err >&2; exit 3' 2> "$T/err"); RC=$?
t "qvm-run -p: stdout comes back" eq "$OUT" out
t "qvm-run -p: stderr comes back" eq "$(cat "$T/err")" err
t "qvm-run -p: the exit code is the command's" eq "$RC" 3
t "qvm-run -p: stdin reaches the command" eq "$(echo abc | qvm-run -p work 'tr a-z A-Z')" ABC
t "qvm-run runs in the qube (its hostname)" eq "$(qvm-run -p work hostname)" work
t "qvm-run in the other qube" eq "$(qvm-run -p work2 hostname)" work2
t "several words arrive as words, unexpanded" \
    eq "$(qvm-run -p work -- printf '%s|' 'a b' '$HOME' "it's")" "a b|\$HOME|it's|"
t "--no-shell runs 'echo x' as one program name (none such)" rc 127 qvm-run -p --no-shell work 'echo x'
t "without --user: the qube's default_user" eq "$(qvm-run -p work 'id -un')" root
t "--user runs as that user" eq "$(qvm-run -p -u nobody work 'id -un')" nobody
t "--service runs an RPC service from dom0" \
    eq "$(qvm-run -p --service work test.Echo+hi)" "arg=hi from=dom0"
t "--service without --pass-io exits 0" rc 0 qvm-run --service work test.Echo+hi
t "without --pass-io: exits 0 once started" rc 0 qvm-run work "echo ran > /tmp/qvm-run-$$"
for i in $(seq 100); do qvm-run -p work "test -e /tmp/qvm-run-$$" && break; sleep 0.1; done
t "... and the command ran" eq "$(qvm-run -p work "cat /tmp/qvm-run-$$; rm /tmp/qvm-run-$$")" ran
t "escape characters are filtered on request" \
    eq "$(qvm-run -p --filter-escape-chars work 'printf "a\033]0;x\007b"')" "a_]0;x_b"
t "... and passed with --no-filter-escape-chars" \
    eq "$(qvm-run -p --no-filter-escape-chars work 'printf "a\033b"' | od -An -c | tr -s ' ')" \
    " a 033 b"
# on a terminal (script(1) gives one): filtered and marked red, as in Qubes
TTY=$(script -qc "qvm-run -p work 'echo hi'" /dev/null | od -An -c | tr -s ' \n' ' ')
t "on a terminal the qube's output is red" eq "$TTY" " 033 [ 0 ; 3 1 m 033 [ 0 ; 3 1 m h i \r \n 033 [ 0 m 033 [ 0 m "
TTY=$(script -qc "qvm-run -p --no-colour-output --no-color-stderr work 'echo hi'" /dev/null | od -An -c | tr -s ' \n' ' ')
t "... unless --no-color-output/--no-color-stderr" eq "$TTY" " h i \r \n "
t "qvm-run -p exit code 0" rc 0 qvm-run -p work true
t "qvm-run starts a halted qube first" eq "$(qvm-run -p work3 hostname)" work3
t "... which is then running" eq "$(state work3)" Running

# ---- pause, unpause
t "qvm-pause" qvm-pause work
t "qvm-ls shows it paused" eq "$(state work)" Paused
t "a paused qube keeps its xid" eq "$(qvm-prefs work xid)" "$XID"
t "qvm-run in a paused qube fails" fails 1 qvm-run -p work true
t "... saying it is paused" says "paused"
t "qvm-pause of a paused qube fails" fails 1 qvm-pause work
t "qvm-unpause" qvm-unpause work
t "qvm-ls shows it running" eq "$(state work)" Running
t "it runs commands again" eq "$(qvm-run -p work 'echo back')" back
t "qvm-unpause of a running qube fails" fails 1 qvm-unpause work
t "qvm-pause --all --exclude" qvm-pause --all --exclude work2
t "... pauses all running qubes but that one" \
    eq "$(states work work2 work3)" "work|Paused work2|Running work3|Paused "
t "qvm-unpause --all" qvm-unpause --all
t "... resumes them" eq "$(states work work2 work3)" "work|Running work2|Running work3|Running "

# ---- --all with qvm-run
t "qvm-run --all -p with several qubes is a usage error (as in Qubes)" fails 2 qvm-run --all -p true
t "qvm-run --all --exclude leaving one qube" \
    eq "$(qvm-run --all --exclude work2 --exclude work3 -p hostname)" work
t "qvm-run --all -p --localcmd reaches every running qube" \
    qvm-run -q --all -p --localcmd "cat >> $T/all" hostname
t "... in order" eq "$(tr '\n' ' ' < "$T/all")" "work work2 work3 "

# ---- shutdown, kill
t "qvm-shutdown --wait" qvm-shutdown --wait work2
t "... returns once it is halted" eq "$(state work2)" Halted
t "... with xid -1" eq "$(qvm-prefs work2 xid)" -1
t "qvm-shutdown without --wait" qvm-shutdown work3
t "qvm-shutdown --wait of a qube already on its way down" qvm-shutdown -q --wait work3
t "... halted" eq "$(state work3)" Halted
t "qvm-kill" qvm-kill work
t "... halted at once" eq "$(state work)" Halted
t "... its xid is -1 again" eq "$(qvm-prefs work xid)" -1
t "qvm-kill of a halted qube is not an error (as in Qubes)" qvm-kill work
t "qvm-start --all --exclude" qvm-start --all --exclude tpl --exclude work2
t "... started the others" eq "$(states work work2 work3)" "work|Running work2|Halted work3|Running "
t "qvm-shutdown --all --wait" qvm-shutdown --all --wait
t "... leaves only dom0 running" eq "$(qvm-ls --raw-list --running)" dom0
t "qvm-shutdown --wait --timeout on halted qubes" qvm-shutdown -q --wait --timeout 1 work work3
echo "1..$n"
