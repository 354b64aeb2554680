#!/bin/bash
# Integration: qrexec-daemon asks qrexec-policy-daemon (the v5 engine) for
# real, over the policy socket, for calls between two VMs with real agents
# on the socket vchan: allow, deny, a redirect, a reload with a broken file
# that keeps the old policy, and ask answered by a fake policy agent
# (including an answer naming a target that was not offered).
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-policy-v5.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
export BULKHEAD_POLICY_SOCKET=$T/policy.sock
mkdir -p "$T/vchan" "$T/run" "$T/rpc" "$T/policy.d"
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

printf '#!/bin/sh\necho "hello from $QREXEC_REMOTE_DOMAIN"\n' > "$T/rpc/test.Hello"
printf '#!/bin/sh\ntouch %s/other-ran\n' "$T" > "$T/rpc/test.Other"
printf '#!/bin/sh\necho "redirected"\n' > "$T/rpc/test.Where"
printf '#!/bin/sh\necho "asked"\n' > "$T/rpc/test.Ask"
chmod +x "$T"/rpc/*
cat > "$T/qubes.list" <<EOL
work class=AppVM running=yes
personal class=AppVM running=yes tags=home
EOL
cat > "$T/policy.d/30-test.policy" <<EOL
test.Hello * work personal allow user=$U
test.Where * work @default allow target=personal user=$U
test.Ask   * work @tag:home ask user=$U
* * @anyvm @anyvm deny
EOL
"$B/fake-policy-agent" "$T/agent-ask.sock" "allow:personal" "$T/asked" &
AG=$!
"$B/qrexec-policy-daemon" --socket "$T/policy.sock" --policy-dir "$T/policy.d" \
    --system "$T/qubes.list" --agent-socket "$T/agent-ask.sock" --ask-timeout 5 \
    2> "$T/policy.log" &
PD=$!
for vm in "5 work" "6 personal"; do
    set -- $vm
    QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=$1 "$B/qrexec-agent" --agent-socket "$T/agent.$2" \
        2> "$T/agent.$2.log" &
    VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D -p /nonexistent/policy-program --socket-dir "$T/run" \
        "$1" "$2" 2> "$T/daemon.$2.log" &
done
for i in $(seq 100); do
    [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.6" ] && [ -S "$T/policy.sock" ] &&
        [ -S "$T/agent-ask.sock" ] && break
    sleep 0.1
done
call() { VCHAN_DOMAIN=5 "$B/qrexec-client-vm" --agent-socket "$T/agent.work" "$@"; }
# the policy line protocol directly (for what the daemon does not show)
ask_pd() { printf 'domain_id=5\nsource=work\nintended_target=%s\nservice_and_arg=%s\nprocess_ident=1\n%b\n' \
    "$1" "$2" "${3:-}" | "$B/policy-query" "$T/policy.sock"; }
. tests/integration/lib/tap.sh

echo "1..14"
out=$(call personal test.Hello); rc=$?
t "the v5 policy daemon allows work -> personal test.Hello" test "$rc:$out" = "0:hello from work"
err=$(call personal test.Other 2>&1); rc=$?
t "it denies what a deny rule matches: exit 126, nothing ran" \
    test "$rc:$err" = "126:Request refused" -a ! -e "$T/other-ran"
out=$(call @default test.Where); rc=$?
t "a @default call is redirected by target=" test "$rc:$out" = "0:redirected"
grep -q "test.Where+ from work to @default: allow by $T/policy.d/30-test.policy:2" "$T/policy.log"
t "the daemon logs the deciding rule with file:line" test $? = 0
sleep 0.2
printf 'test.Hello * work personal maybe\n' > "$T/policy.d/20-broken.policy"
sleep 0.5
out=$(call personal test.Hello); rc=$?
t "a broken file leaves the previous policy in force" test "$rc:$out" = "0:hello from work"
t "and the daemon says why, naming file and line" \
    grep -q "20-broken.policy:1" "$T/policy.log"
rm -f "$T/policy.d/20-broken.policy"
printf 'test.Other * work personal allow user=%s\n' "$U" > "$T/policy.d/25-other.policy"
# the reload waits 20 ms for an editor to finish; a loaded machine (or the
# sanitizer build) takes longer: wait for it, up to 10 s
for i in $(seq 100); do
    [ "$(grep -c 'policy loaded: 5 rules' "$T/policy.log")" -gt 0 ] && break
    sleep 0.1
done
call personal test.Other; rc=$?
t "a new good file takes effect without a restart (inotify)" test "$rc" = 0 -a -e "$T/other-ran"
out=$(call personal test.Ask); rc=$?
t "ask: the agent's allow:personal lets the call through" test "$rc:$out" = "0:asked"
t "the agent got policy.Ask with the JSON request (source, targets, argument)" \
    grep -q '^{"source":"work","service":"test.Ask","argument":"+","targets":\["personal"\],"default_target":"personal","icons":{}}$' "$T/asked"
kill "$AG"; wait "$AG" 2>/dev/null
"$B/fake-policy-agent" "$T/agent-ask.sock" "allow:work" "$T/asked2" &
for i in $(seq 50); do [ -S "$T/agent-ask.sock" ] && break; sleep 0.1; done
sleep 0.2
err=$(call personal test.Ask 2>&1); rc=$?
t "an answer naming a target that was not offered is a deny" test "$rc" = 126
reply=$(ask_pd personal test.Ask+x 'just_evaluate=yes\n')
t "just_evaluate: an ask is a deny that says it would ask" \
    test "$reply" = "$(printf 'result=deny\nwould_ask=yes')"
reply=$(ask_pd ghost test.Hello)
t "a call to a qube that does not exist is denied" test "$reply" = "result=deny"
# what changes beside the qube list (qvmd's database and logs share its
# folder) must not reload anything; a change of the list must
before=$(grep -c 'policy loaded\|qube list loaded\|loaded' "$T/policy.log")
for i in $(seq 20); do echo "$i" >> "$T/neighbour.log"; done
sleep 0.5
after=$(grep -c 'policy loaded\|qube list loaded\|loaded' "$T/policy.log")
t "writes to a file beside the qube list reload nothing" test "$before" = "$after"
echo "guest class=AppVM running=yes" >> "$T/qubes.list"
sleep 0.5
reply=$(ask_pd guest test.Hello)
t "a qube added to the list is known without a restart (denied by the rules, not unknown)" \
    grep -q "test.Hello+ from work to guest: deny by" "$T/policy.log"
