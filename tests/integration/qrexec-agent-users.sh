#!/bin/bash
# Integration: as whom qrexec-agent runs calls (real binaries over the
# socket vchan). Not as root, the agent runs everything as itself, with its
# own environment and directory (in CI, where tests run as root, it is
# started as a test user). As root, a call for a user runs in a PAM login
# session (service "qrexec") as that user, or in that user's fork server
# when one runs as that user.
set -u
cd "$(dirname "$0")/../.."
B=$(realpath "${BULKHEAD_BUILD:-build/release}/bin")   # absolute: some run elsewhere
T=$(mktemp -d /tmp/bulkhead-agent-users-it.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
ROOT=0; [ "$(id -u)" = 0 ] && ROOT=1
PAM_FILE=/etc/pam.d/qrexec PAM_INSTALLED=
. tests/integration/lib/tap.sh
. tests/integration/lib/testuser.sh
cleanup() {
    kill $(jobs -p) 2>/dev/null; wait 2>/dev/null
    rm -rf "$T"
    [ -z "$PAM_INSTALLED" ] || rm -f "$PAM_FILE"
    [ $ROOT = 0 ] || testuser_cleanup
}
trap cleanup EXIT

# Everyone may pass through $T; the agent and fork server of the test user
# create their sockets in vchan/ and fs/.
chmod 755 "$T"
mkdir -p "$T/vchan" "$T/run" "$T/rpc" "$T/rpc-config" "$T/fs" "$T/u"
chmod 1777 "$T/vchan" "$T/fs"
if [ $ROOT = 1 ]; then
    testuser_setup || { echo "1..0 # SKIP cannot create user $TU"; exit 0; }
    chown "$TU" "$T/u"
    AU=$TU AU_UID=$TU_UID
else
    AU=$(id -un) AU_UID=$(id -u)
fi

cat > "$T/rpc/test.Who" <<'S'
#!/bin/sh
echo "uid=$(id -u) gid=$(id -g) home=$HOME cwd=$(pwd) user=$USER logname=$LOGNAME"
S
cat > "$T/rpc/test.Groups" <<'S'
#!/bin/sh
id -Gn
S
cat > "$T/rpc/test.Env" <<'S'
#!/bin/sh
echo "mail=${MAIL:-none} mark=${AGENT_MARK:-none}"
S
cat > "$T/rpc/test.Tree" <<'S'
#!/bin/sh
echo "uid=$(id -u) pp=$(cut -d' ' -f4 /proc/$PPID/stat) mark=${FS_MARK:-none}"
S
printf '#!/bin/sh\necho "service $(id -un)" >> %s/pam.log\n' "$T" > "$T/rpc/test.Logged"
printf '#!/bin/sh\ncat > /dev/null; echo bye; exit 7\n' > "$T/rpc/test.Exit"
printf '#!/bin/sh\nid -un\n' > "$T/rpc/test.Forced"
chmod 755 "$T"/rpc/*
[ $ROOT = 0 ] || echo "force-user = '$TU'" > "$T/rpc-config/test.Forced"

qc() { VCHAN_DOMAIN=0 "$B/qrexec-client" --socket-dir "$T/run" "$@"; }
# a call whose data link a process of another user connects to
qc_open() { (umask 000; qc "$@"); }
wait_sock() { for i in $(seq 100); do [ -S "$1" ] && return; sleep 0.1; done; }
skip() { n=$((n + 1)); echo "ok $n # skip $1"; }

echo "1..13"

# (a) the agent not root: domain 7
if [ $ROOT = 1 ]; then
    (cd "$T/u" && AGENT_MARK=1 QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=7 \
        exec "${AS_TU[@]}" "$B/qrexec-agent" --agent-socket "$T/u/agent.sock" 2> "$T/agent7.log") &
else
    (cd "$T/u" && AGENT_MARK=1 QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=7 \
        exec "$B/qrexec-agent" --agent-socket "$T/u/agent.sock" 2> "$T/agent7.log") &
fi
VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D --socket-dir "$T/run" 7 plain 2> "$T/daemon7.log" &
wait_sock "$T/run/qrexec.7"

t "not root: a call runs as the agent's own user, whoever dom0 names" \
    test "$(qc_open -d plain "root:id -u")" = "$AU_UID" -a \
         "$(qc_open -d plain "no-such-user:id -u")" = "$AU_UID"
t "not root: the call keeps the agent's environment and directory" \
    test "$(qc_open -d plain "$AU:echo \$AGENT_MARK \$(pwd)")" = "1 $T/u"
out=$(echo in | qc_open -d plain "$AU:QUBESRPC test.Exit dom0"); rc=$?
t "not root: a service's input, output and exit code flow" test "$out" = bye -a $rc = 7

# (b) the agent as root: domain 5
if [ $ROOT = 0 ]; then
    for i in $(seq 9); do skip "the agent as root: not root"; done
    exit 0
fi
if [ ! -e "$PAM_FILE" ]; then
    # the shipped stack, and a line that records the session's opening and closing
    printf '#!/bin/sh\necho "$PAM_TYPE $PAM_USER $(id -u)" >> %s/pam.log\n' "$T" > "$T/pamlog"
    chmod 755 "$T/pamlog"
    { cat qrexec/agent/pam/qrexec; echo "session optional pam_exec.so quiet $T/pamlog"; } > "$PAM_FILE"
    PAM_INSTALLED=1
fi
: > "$T/pam.log"
chmod 666 "$T/pam.log"

AGENT_MARK=1 BULKHEAD_QREXEC_DEFAULT_USER=$TU QREXEC_SERVICE_PATH=$T/rpc \
    QUBES_RPC_CONFIG_PATH=$T/rpc-config VCHAN_DOMAIN=5 \
    "$B/qrexec-agent" --agent-socket "$T/agent.sock" \
    --fork-server-socket "$T/fs/qrexec-server.%s.sock" 2> "$T/agent.log" &
AGENT=$!
VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D --socket-dir "$T/run" 5 work 2> "$T/daemon.log" &
wait_sock "$T/run/qrexec.5"

t "as root: a call for a user runs with the user's uid, gid, home and variables" \
    test "$(qc -d work "$TU:QUBESRPC test.Who dom0")" = \
         "uid=$TU_UID gid=$TU_GID home=$TU_HOME cwd=$TU_HOME user=$TU logname=$TU"
t "as root: ... and the user's supplementary groups" \
    bash -c "VCHAN_DOMAIN=0 '$B/qrexec-client' --socket-dir '$T/run' -d work '$TU:QUBESRPC test.Groups dom0' |
             grep -qw '$TG'"
if [ -n "$PAM_INSTALLED" ] || grep -q pam_mail "$PAM_FILE"; then
    t "as root: the PAM session's environment (MAIL, from the shipped stack), not the agent's" \
        test "$(qc -d work "$TU:QUBESRPC test.Env dom0")" = "mail=/var/mail/$TU mark=none"
else
    skip "the PAM session's environment: $PAM_FILE is not the shipped stack"
fi
if [ -n "$PAM_INSTALLED" ]; then
    # earlier calls' sessions may still be closing: wait for them first
    for i in $(seq 50); do
        [ "$(grep -c open_session "$T/pam.log")" = "$(grep -c close_session "$T/pam.log")" ] && break
        sleep 0.1
    done
    : > "$T/pam.log"
    qc -d work "$TU:QUBESRPC test.Logged dom0"
    for i in $(seq 50); do grep -q close_session "$T/pam.log" && break; sleep 0.1; done
    # in this order (a late close of an earlier call's session may be
    # interleaved when the machine is busy; it is not this call's)
    t "as root: the session is opened before the service runs and closed, as root, after it" \
        awk -v u="$TU" '$0 == "open_session " u " 0" && !o { o = NR }
                        $0 == "service " u && o && !s { s = NR }
                        $0 == "close_session " u " 0" && s && !c { c = NR }
                        END { exit !(o && s && c) }' "$T/pam.log"
else
    skip "the session's opening and closing: $PAM_FILE was already there"
fi
t "as root: rpc-config force-user wins over the user dom0 names" \
    test "$(qc -d work "root:QUBESRPC test.Forced dom0")" = "$TU"
t "as root: DEFAULT is the agent's default user" \
    test "$(qc -d work "DEFAULT:id -un")" = "$TU"
out=$(qc -d work "no-such-user:echo ran" 2>/dev/null); rc=$?
t "as root: a user that does not exist: exit 125, nothing runs, and the agent goes on" \
    test $rc = 125 -a -z "$out" -a "$(qc -d work "$TU:id -un")" = "$TU" -a -n "$(kill -0 $AGENT && echo alive)"

# the user's own fork server, started as the user
(cd / && FS_MARK=user-session QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=5 \
    exec "${AS_TU[@]}" "$B/qrexec-fork-server" --socket "$T/fs/qrexec-server.$TU.sock" 2> "$T/fs.log") &
FS=$!
wait_sock "$T/fs/qrexec-server.$TU.sock"
t "as root: a user's call goes to the user's fork server and runs there, as the user" \
    test "$(qc_open -d work "$TU:QUBESRPC test.Tree dom0")" = "uid=$TU_UID pp=$FS mark=user-session"
kill $FS; wait $FS 2>/dev/null

# a fork server at the user's path that is not the user's (the ended one's
# socket file is removed first, so the wait below is for the new server)
rm -f "$T/fs/qrexec-server.$TU.sock"
FS_MARK=impostor QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=5 \
    "$B/qrexec-fork-server" --socket "$T/fs/qrexec-server.$TU.sock" 2> "$T/fs-root.log" &
wait_sock "$T/fs/qrexec-server.$TU.sock"
out=$(qc -d work "$TU:QUBESRPC test.Tree dom0")
t "as root: a fork server at the user's path that runs as someone else gets nothing" \
    test "${out%% *} ${out##* }" = "uid=$TU_UID mark=none" -a \
         "$(grep -c 'does not run as uid' "$T/agent.log")" = 1

t "no sanitizer reports from the agents, fork servers and daemons" \
    bash -c "! grep -q Sanitizer '$T'/*.log"
