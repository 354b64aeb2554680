#!/bin/bash
# Integration: calls between two VMs under dom0 policy, with the real
# binaries over the socket vchan: "work" (domain 5) and "personal"
# (domain 6), each with its agent and its daemon; qrexec-client-vm in one
# VM calls a service in the other, as the interim simple policy decides.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
T=$(mktemp -d /tmp/bulkhead-qrexec-v2v.XXXXXX)
export VCHAN_SOCKET_DIR=$T/vchan BULKHEAD_VCHAN=socket
export BULKHEAD_POLICY_SOCKET=$T/policy.sock BULKHEAD_SIMPLE_POLICY=$T/policy
mkdir -p "$T/vchan" "$T/run" "$T/rpc" "$T/dom0rpc"
U=root; [ "$(id -u)" = 0 ] || U=$(id -un)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

printf '#!/bin/sh\necho "arg=$1 from=$QREXEC_REMOTE_DOMAIN in=$(hostname -s 2>/dev/null || true)"\n' \
    > "$T/rpc/test.Echo"
printf '#!/bin/sh\nexec cat\n' > "$T/rpc/test.Cat"
printf '#!/bin/sh\ntr a-z A-Z\nexit 7\n' > "$T/rpc/test.Upper"
printf '#!/bin/sh\ntouch %s/denied-ran\n' "$T" > "$T/rpc/test.Secret"
printf '#!/bin/sh\nprintf "x\\033[31my\\n"\n' > "$T/rpc/test.Esc"
chmod +x "$T"/rpc/*
# dom0's own services, for calls whose target is dom0
printf '#!/bin/sh\necho "dom0 arg=$1 from=$QREXEC_REMOTE_DOMAIN type=$QREXEC_REQUESTED_TARGET_TYPE target=$QREXEC_REQUESTED_TARGET keyword=$QREXEC_REQUESTED_TARGET_KEYWORD"\n' \
    > "$T/dom0rpc/test.Dom0"
printf '#!/bin/sh\nexec cat\n' > "$T/dom0rpc/test.Dom0Cat"
chmod +x "$T"/dom0rpc/*
cat > "$T/policy" <<P
# interim simple policy for this test
test.Echo   *   work  personal  allow user=$U
test.Cat    *   work  personal  allow user=$U
test.Upper  +   work  @default  allow target=personal user=$U
test.Echo   *   work  offline   allow user=$U
test.Esc    *   work  personal  allow user=$U
test.Dom0   *   work  @adminvm  allow
test.Dom0Cat *  work  @adminvm  allow
*           *   @anyvm @anyvm   deny
P

start_vm() {   # start_vm DOMID NAME
    QREXEC_SERVICE_PATH=$T/rpc VCHAN_DOMAIN=$1 "$B/qrexec-agent" --agent-socket "$T/agent.$2" \
        2> "$T/agent.$2.log" &
    QREXEC_SERVICE_PATH=$T/dom0rpc VCHAN_DOMAIN=0 "$B/qrexec-daemon" -D \
        -p "$B/qrexec-policy-simple" --socket-dir "$T/run" \
        "$1" "$2" 2> "$T/daemon.$2.log" &
}
start_vm 5 work
start_vm 6 personal
for i in $(seq 100); do [ -S "$T/run/qrexec.5" ] && [ -S "$T/run/qrexec.6" ] && break; sleep 0.1; done

call() {   # call FROM_DOMID FROM_NAME TARGET SERVICE [LOCAL_PROG...]
    local d=$1 n=$2; shift 2
    VCHAN_DOMAIN=$d "$B/qrexec-client-vm" --agent-socket "$T/agent.$n" "$@"
}
. tests/integration/lib/tap.sh

echo "1..19"
out=$(call 5 work personal test.Echo+hi); rc=$?
t "work calls personal's test.Echo as policy allows; argument and caller arrive" \
    test $rc = 0 -a "${out%% in=*}" = "arg=hi from=work"

out=$(call 6 personal work test.Echo 2> "$T/err"); rc=$?
t "personal -> work is denied: exit 126 and 'Request refused'" \
    test $rc = 126 -a "$(cat "$T/err")" = "Request refused"

out=$(echo hello | call 5 work @default test.Upper); rc=$?
t "@default is redirected by target=; stdin, stdout and the exit code cross" \
    test "$out" = HELLO -a $rc = 7

call 5 work personal test.Secret; rc=$?
t "a service no rule allows does not run" test $rc = 126 -a ! -e "$T/denied-ran"

head -c $((64 << 20)) /dev/urandom > "$T/big"
call 5 work personal test.Cat < "$T/big" > "$T/big.back"
t "64 MiB from one VM to the other and back, byte for byte" cmp -s "$T/big" "$T/big.back"
rm -f "$T/big" "$T/big.back"

t "qrexec-client-vm -t makes the service's output terminal-safe" \
    test "$(call 5 work -t personal test.Esc)" = "x_[31my"

call 5 work personal test.Cat sh -c 'echo via-local-prog; exec cat > '"$T/lp.out"
t "LOCAL_PROG is connected to the service" test "$(cat "$T/lp.out")" = via-local-prog

many() {
    local i pids=() rc=0
    for i in $(seq 20); do
        (test "$(call 5 work personal test.Echo+c$i | cut -d' ' -f1)" = "arg=c$i") & pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || rc=1; done
    return $rc
}
t "20 VM-to-VM calls at once" many

call 5 work offline test.Echo 2> /dev/null; rc=$?
t "an allowed target that is not running is refused (126)" test $rc = 126

out=$(call 5 work dom0 test.Dom0+a); rc=$?
t "a VM calls a service in dom0 by name: it runs in dom0 and learns how it was asked" \
    test $rc = 0 -a "$out" = "dom0 arg=a from=work type=name target=dom0 keyword="
out=$(call 5 work @adminvm test.Dom0+b)
t "... and by the @adminvm keyword" \
    test "$out" = "dom0 arg=b from=work type=keyword target= keyword=adminvm"
head -c $((16 << 20)) /dev/urandom > "$T/big"
call 5 work dom0 test.Dom0Cat < "$T/big" > "$T/big.back"
t "16 MiB to a dom0 service and back, byte for byte" cmp -s "$T/big" "$T/big.back"
rm -f "$T/big" "$T/big.back"
call 6 personal dom0 test.Dom0 2> /dev/null; rc=$?
t "a call to dom0 that policy does not allow is refused (126)" test $rc = 126

echo "test.Echo * work personal allow bogus=1" > "$T/policy"
call 5 work personal test.Echo 2> /dev/null; rc=$?
t "a policy file that does not parse denies everything" test $rc = 126

# The policy daemon, when its socket answers, is asked first (the file would
# deny these calls).
printf 'result=allow\ntarget=work\nuser=%s\nautostart=True\n' "$U" > "$T/reply"
"$B/fake-policy-daemon" "$T/policy.sock" "$T/policy-requests.log" "$T/reply" &
for i in $(seq 50); do [ -S "$T/policy.sock" ] && break; sleep 0.1; done
out=$(call 6 personal work test.Echo+viasocket); rc=$?
t "the policy daemon's answer is used before the policy program" \
    test $rc = 0 -a "${out%% in=*}" = "arg=viasocket from=personal"
req=$(tr '\n' ' ' < "$T/policy-requests.log")
t "the request carries domain_id, source, intended_target, service_and_arg, process_ident" \
    bash -c "[[ '$req' == 'domain_id=6 source=personal intended_target=work service_and_arg=test.Echo+viasocket process_ident=SOCKET'*' -- ' ]]"
printf 'result=deny\n' > "$T/reply"
call 6 personal work test.Echo 2> /dev/null; rc=$?
t "the policy daemon's deny is final" test $rc = 126
printf 'result=allow\n' > "$T/reply"
call 6 personal work test.Echo 2> /dev/null; rc=$?
t "an unusable answer (allow without a target) is a deny" test $rc = 126

t "no sanitizer reports from agents and daemons" \
    bash -c "! grep -q Sanitizer '$T'/*.log"
