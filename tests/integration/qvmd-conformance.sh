#!/bin/bash
# qvmd's Admin API on the wire (docs/admin-api.md): each method's reply
# bytes through tests/tools/admin-call, exceptions with their types,
# events, calls from VMs under policy, and malformed requests (qvmd
# survives and answers an exception or closes).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}
T=$(mktemp -d)
trap 'kill $QPID $PPID2 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
PPID2=
"$B/bin/qvmd" --db "$T/q.db" --socket "$T/qvmd.sock" --policy-socket "$T/policy.sock" \
    2> "$T/qvmd.log" &
QPID=$!
for _ in $(seq 100); do [ -S "$T/qvmd.sock" ] && break; sleep 0.05; done

A() { "$B/bin/admin-call" -s "$T/qvmd.sock" "$@"; }
# is EXPECTED CALL...: the readable reply equals EXPECTED
is() { local want=$1 got; shift; got=$(A "$@" 2>&1); [ "$got" = "$want" ] || { echo "# $*: got [$got] want [$want]"; return 1; }; }
has() { local want=$1 got; shift; got=$(A "$@" 2>&1); case "$got" in *"$want"*) ;; *) echo "# $*: got [$got]"; return 1;; esac; }

t "List on an empty system: dom0" is $'OK\ndom0 class=AdminVM state=Running' admin.vm.List
t "vmclass.List" is $'OK\nAdminVM\nTemplateVM\nAppVM\nDispVM\nStandaloneVM' admin.vmclass.List
t "label.List" has $'OK\nred\norange\nyellow\ngreen\ngray\nblue\npurple\nblack' admin.label.List
t "label.Get" is $'OK\n0xcc0000' admin.label.Get+red
t "label.Index" is $'OK\n8' admin.label.Index+black
t "label.Get unknown" is "EXCEPTION QubesLabelNotFoundError: no such label: pink" admin.label.Get+pink
t "pool.List: the two default pools (storage)" is $'OK\nlinux-kernel\nvarlibqubes' admin.pool.List
t "Create.TemplateVM" is OK admin.vm.Create.TemplateVM -p "name=fedora label=black"
t "Create.AppVM with a template" is OK admin.vm.Create.AppVM+fedora -p "name=work label=blue"
t "Create.AppVM duplicate" has "EXCEPTION QubesValueError: a qube named work already exists" \
    admin.vm.Create.AppVM+fedora -p "name=work label=blue"
t "Create bad name" has "EXCEPTION QubesValueError: invalid qube name" \
    admin.vm.Create.AppVM+fedora -p "name=-x label=blue"
t "Create bad payload" has "EXCEPTION QubesValueError" admin.vm.Create.AppVM+fedora -p "name=x"
t "Create with a non-template" has "is not a TemplateVM" \
    admin.vm.Create.AppVM+work -p "name=x label=red"
t "Create unknown class" has "EXCEPTION QubesValueError" admin.vm.Create.Nope -p "name=x label=red"
t "List all" is $'OK\ndom0 class=AdminVM state=Running\nfedora class=TemplateVM state=Halted\nwork class=AppVM state=Halted' admin.vm.List
t "List one" is $'OK\nwork class=AppVM state=Halted' admin.vm.List work
t "List unknown qube" is "EXCEPTION QubesVMNotFoundError: no such qube: ghost" admin.vm.List ghost
t "property.Get default" is $'OK\ndefault=True type=int 400' admin.vm.property.Get+memory work
t "property.Set" is OK admin.vm.property.Set+memory work -p 800
t "property.Get set" is $'OK\ndefault=False type=int 800' admin.vm.property.Get+memory work
t "property.Get vm" is $'OK\ndefault=False type=vm fedora' admin.vm.property.Get+template work
t "property.Get label" is $'OK\ndefault=False type=label blue' admin.vm.property.Get+label work
t "property.Get bool" is $'OK\ndefault=True type=bool False' admin.vm.property.Get+autostart work
t "property.GetDefault" is $'OK\ntype=int 400' admin.vm.property.GetDefault+memory work
t "property.Reset" is OK admin.vm.property.Reset+memory work
t "property.Get after reset" is $'OK\ndefault=True type=int 400' admin.vm.property.Get+memory work
t "property.Set bad value" is "EXCEPTION QubesValueError: memory must be a whole number" \
    admin.vm.property.Set+memory work -p lots
t "property.Set out of range" has "EXCEPTION QubesValueError: vcpus must be between" \
    admin.vm.property.Set+vcpus work -p 0
t "property.Set read-only" has "EXCEPTION QubesPropertyAccessError" admin.vm.property.Set+qid work -p 9
t "property.Get unknown" has "EXCEPTION QubesNoSuchPropertyError" admin.vm.property.Get+nope work
t "property.Set netvm not a netvm" has "does not provide network" \
    admin.vm.property.Set+netvm work -p fedora
t "property.List" has $'OK\nautostart\ndefault_dispvm\ndefault_user' admin.vm.property.List work
t "property.GetAll" has $'\nmemory default=True type=int 400\n' admin.vm.property.GetAll work
t "property.Help" has "Initial memory" admin.vm.property.Help+memory work
t "admin.property.Get" is $'OK\ndefault=True type=int 3' admin.property.Get+stats_interval
t "admin.property.Set" is OK admin.property.Set+default_template -p fedora
t "admin.property.Get vm" is $'OK\ndefault=False type=vm fedora' admin.property.Get+default_template
t "admin.property.Set bad" has "is not a TemplateVM" admin.property.Set+default_template -p work
t "admin.property.List" has $'\nstats_interval\nupdatevm' admin.property.List
t "Create.AppVM with default_template" is OK admin.vm.Create.AppVM -p "label=red name=mail"
t "feature.Set" is OK admin.vm.feature.Set+service.cups work -p 1
t "feature.Get" is $'OK\n1' admin.vm.feature.Get+service.cups work
t "feature.List" is $'OK\nservice.cups' admin.vm.feature.List work
t "feature.Get missing" has "EXCEPTION QubesFeatureNotFoundError" admin.vm.feature.Get+nope work
t "feature.Set on template" is OK admin.vm.feature.Set+os fedora -p Linux
t "feature.CheckWithTemplate" is $'OK\nLinux' admin.vm.feature.CheckWithTemplate+os work
t "feature.Remove" is OK admin.vm.feature.Remove+service.cups work
A admin.vm.feature.Set+gui dom0 -p 1 > /dev/null
t "feature.CheckWithAdminVM: dom0's when the qube has none" is $'OK\n1' \
    admin.vm.feature.CheckWithAdminVM+gui work
t "feature.CheckWithTemplateAndAdminVM: the template's first" is $'OK\nLinux' \
    admin.vm.feature.CheckWithTemplateAndAdminVM+os work
A admin.vm.Create.AppVM+fedora -p "name=netq label=red" > /dev/null
A admin.vm.property.Set+provides_network netq -p True > /dev/null
A admin.vm.property.Set+netvm work -p netq > /dev/null
A admin.vm.feature.Set+net.fake netq -p 10.0.0.1 > /dev/null
t "feature.CheckWithNetvm: from the qube that gives it network" is $'OK\n10.0.0.1' \
    admin.vm.feature.CheckWithNetvm+net.fake work
t "feature.CheckWithNetvm: nobody has it" has "EXCEPTION QubesFeatureNotFoundError" \
    admin.vm.feature.CheckWithNetvm+nope work
A admin.vm.property.Reset+netvm work > /dev/null
A admin.vm.Remove netq > /dev/null
t "label.Create is refused with a reason" has "the eight standard ones" \
    admin.label.Create+pink dom0 -p 0xff00ff
t "tag.Set" is OK admin.vm.tag.Set+office work
t "tag.Get" is $'OK\n1' admin.vm.tag.Get+office work
t "tag.Get absent" is $'OK\n0' admin.vm.tag.Get+home work
t "tag.List" is $'OK\noffice' admin.vm.tag.List work
t "notes.Set" is OK admin.vm.notes.Set work -p "my notes"
t "notes.Get" is $'OK\nmy notes' admin.vm.notes.Get work
t "Clone" is OK admin.vm.Clone+work2 work
t "Clone copied tags" is $'OK\noffice' admin.vm.tag.List work2
t "Clone copied label" is $'OK\ndefault=False type=label blue' admin.vm.property.Get+label work2
t "Remove a template in use" is "EXCEPTION QubesVMInUseError: fedora is in use by: global default_template, mail (template), work (template), work2 (template)" admin.vm.Remove fedora
t "Remove dom0" has "EXCEPTION QubesValueError: dom0 cannot be removed" admin.vm.Remove dom0
t "Remove" is OK admin.vm.Remove work2
t "unknown method" has "EXCEPTION QubesException: unknown method" admin.vm.Frobnicate work

# events: a subscriber sees connection-established, then the changes
A -e 6 admin.Events > "$T/events" &
EPID=$!
sleep 0.3
A admin.vm.property.Set+vcpus work -p 4 > /dev/null
A admin.vm.tag.Set+t1 work > /dev/null
A admin.vm.feature.Set+f1 work -p v > /dev/null
A admin.vm.Create.AppVM -p "name=ev label=red" > /dev/null
A admin.vm.Remove ev > /dev/null
wait $EPID
t "events: connection-established first" grep -qx "EVENT - connection-established" "$T/events"
t "events: property-set" grep -qx "EVENT work property-set:vcpus name=vcpus newvalue=4 oldvalue=2" "$T/events"
t "events: tag-add" grep -qx "EVENT work tag-add:t1 tag=t1" "$T/events"
t "events: feature-set" grep -qx "EVENT work feature-set:f1 feature=f1 value=v" "$T/events"
t "events: domain-add, domain-delete" grep -qx "EVENT - domain-delete vm=ev" "$T/events"

# calls from VMs: the policy daemon decides (a stand-in answering allow or deny)
t "from a VM, no policy daemon: PermissionDenied" has "EXCEPTION PermissionDenied" -S work admin.vm.List
policy() {   # policy REPLY: a one-shot-per-connection stand-in on the policy socket
    rm -f "$T/policy.sock"
    python3 -c '
import socket,sys,os
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
log=open(sys.argv[3],"a")
while True:
    c,_=s.accept(); d=b""
    while not d.endswith(b"\n\n"):
        x=c.recv(4096)
        if not x: break
        d+=x
    log.write(d.decode()); log.flush()
    c.sendall(sys.argv[2].encode().replace(b"|",b"\n")); c.close()
' "$T/policy.sock" "$1" "$T/policy.log" &
    PPID2=$!
    for _ in $(seq 50); do [ -S "$T/policy.sock" ] && break; sleep 0.05; done
}
policy "result=deny|"
t "from a VM, policy deny: PermissionDenied" is "EXCEPTION PermissionDenied: refused by policy" -S work admin.vm.List
t "the policy request" grep -q "^source=work$" "$T/policy.log"
t "the policy request: just_evaluate" grep -q "^just_evaluate=yes$" "$T/policy.log"
t "the policy request: service" grep -q "^service_and_arg=admin.vm.List+$" "$T/policy.log"
kill $PPID2; wait $PPID2 2>/dev/null
policy "result=allow|target=@adminvm|autostart=True|requested_target=@adminvm|"
t "from a VM, policy allow" has $'OK\ndom0 class=AdminVM' -S work admin.vm.List
t "from a VM: created-by tag" is OK -S work admin.vm.Create.AppVM -p "name=byvm label=red"
t "created-by tag set" is $'OK\ncreated-by-work' admin.vm.tag.List byvm

# malformed requests: an exception (or a close), and qvmd carries on
hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
for bad in "" "admin.vm.List" "admin.vm.List+ dom0 keyword" "admin.vm.List+ dom0 name ../x" \
           "admin.vm.List+ dom0 kw adminvm" "$(head -c 2000 /dev/zero | tr '\0' a)"; do
    out=$("$B/bin/admin-call" -s "$T/qvmd.sock" -x "$(hex "$bad")00" 2>&1)
    t "malformed [${bad:0:30}]: exception" bash -c "case '$out' in EXCEPTION*|EOF) exit 0;; *) exit 1;; esac"
done
t "no NUL at all: closed or exception" bash -c "out=\$('$B/bin/admin-call' -s '$T/qvmd.sock' -x 61626364); case \"\$out\" in EXCEPTION*|EOF) exit 0;; *) exit 1;; esac"
t "NUL in the payload" has "EXCEPTION QubesValueError" -x "$(hex 'admin.vm.notes.Set+ dom0 name work')00610062"
# a client that sends half a header and stalls, and one that never reads
python3 -c 'import socket,sys,time
a=socket.socket(socket.AF_UNIX); a.connect(sys.argv[1]); a.send(b"admin.vm.Li")
b=socket.socket(socket.AF_UNIX); b.connect(sys.argv[1]); b.send(b"admin.Events+ dom0 keyword adminvm\0")
time.sleep(3)' "$T/qvmd.sock" &
SPID=$!
sleep 0.3
t "a stalled client does not block others" bash -c "timeout 1 '$B/bin/admin-call' -s '$T/qvmd.sock' admin.vm.List | grep -q dom0"
for i in $(seq 50); do A admin.vm.property.Set+kernelopts work -p "x$i" > /dev/null; done
t "a subscriber that does not read does not block changes" bash -c "timeout 1 '$B/bin/admin-call' -s '$T/qvmd.sock' admin.vm.property.Get+kernelopts work | grep -q x50"
kill $SPID 2>/dev/null; wait $SPID 2>/dev/null
pids=()
for i in $(seq 64); do A admin.vm.property.Get+memory work > "$T/par.$i" & pids+=($!); done
wait "${pids[@]}"
t "64 clients at once: every one answered" bash -c "cat '$T'/par.* | grep -c '^default=' | grep -qx 64"
t "qvmd still alive" kill -0 $QPID
kill $QPID; wait $QPID 2>/dev/null
t "database consistent" "$B/bin/qvmd" --db "$T/q.db" --check
t "qvmd's log has no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error' '$T/qvmd.log'"
echo "1..$n"
