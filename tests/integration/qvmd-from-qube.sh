#!/bin/bash
# Integration: the Admin API from a qube, the whole way: qrexec-client-vm in
# "work" asks for admin.* calls about "personal"; dom0's policy daemon lets
# qrexec redirect them to dom0, where admin.* are links to qvmd's socket;
# the daemon serves them with the descriptor "METHOD+ARG SOURCE name DEST",
# and qvmd asks the policy again, for that source and that destination.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-qvmd-qube.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
export BULKHEAD_POLICY_SOCKET=$T/policy.sock BULKHEAD_QVMD_SOCKET=$T/qvmd.sock
mkdir -p "$T/vchan" "$T/run" "$T/rpc" "$T/dom0rpc" "$T/policy.d"
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. tests/integration/lib/tap.sh

for m in admin.vm.List admin.vm.property.Get admin.vm.Remove; do
    ln -s "$T/qvmd.sock" "$T/dom0rpc/$m"
done
cat > "$T/policy.d/30-admin.policy" <<P
admin.vm.List          *      work  personal  allow target=@adminvm
admin.vm.property.Get  +label work  personal  allow target=@adminvm
*                      *      @anyvm @anyvm   deny notify=no
P
printf 'work class=AppVM running=yes\npersonal class=AppVM running=yes\n' > "$T/qubes.list"
"$B/qrexec-policy-daemon" --socket "$T/policy.sock" --policy-dir "$T/policy.d" \
    --system "$T/qubes.list" 2> "$T/policy.log" &
"$B/qvmd" --db "$T/qvm.db" --socket "$T/qvmd.sock" --policy-socket "$T/policy.sock" \
    2> "$T/qvmd.log" &
for vm in "5 work" "6 personal"; do
    set -- $vm
    VCHAN_DOMAIN=$1 "$B/qrexec-agent" --agent-socket "$T/agent.$2" 2> "$T/agent.$2.log" &
    QREXEC_SERVICE_PATH=$T/dom0rpc VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D -p /nonexistent \
        --socket-dir "$T/run" "$1" "$2" 2> "$T/daemon.$2.log" &
done
for i in $(seq 100); do
    [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.6" ] && [ -S "$T/qvmd.sock" ] &&
        [ -S "$T/policy.sock" ] && break
    sleep 0.1
done
"$B/qvm-create" -C TemplateVM -l black tpl && "$B/qvm-create" -t tpl -l red work &&
    "$B/qvm-create" -t tpl -l blue personal
call() { VCHAN_DOMAIN=5 "$B/qrexec-client-vm" --agent-socket "$T/agent.work" "$@"; }
# the reply without its two-byte header (0x30 0x00 is OK)
body() { tail -c +3 "$1" | tr -d "\\0"; }
head2() { od -An -tx1 -N2 "$1" | tr -d ' '; }

echo "1..5"
call personal admin.vm.List < /dev/null > "$T/list"; rc=$?
t "work lists personal through qrexec and qvmd: OK, and only personal" \
    test "$rc:$(head2 "$T/list"):$(body "$T/list")" = "0:3000:personal class=AppVM state=Halted"
call personal admin.vm.property.Get+label < /dev/null > "$T/label"
t "work reads personal's label: default=False type=label blue" \
    test "$(body "$T/label")" = "default=False type=label blue"
err=$(call personal admin.vm.property.Get+netvm < /dev/null 2>&1); rc=$?
t "a property the policy does not allow is refused by qrexec (126)" test "$rc" = 126
call personal admin.vm.Remove < /dev/null > /dev/null 2>&1; rc=$?
t "so is removing personal, and personal is still there" \
    bash -c "test $rc = 126 && '$B/qvm-check' personal > /dev/null"
t "qvmd and the daemons survived, no sanitizer reports" \
    bash -c "[ -S '$T/qvmd.sock' ] && ! grep -q Sanitizer '$T'/*.log"
