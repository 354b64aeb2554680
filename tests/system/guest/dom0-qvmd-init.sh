#!/bin/sh
# /init of the busybox dom0 in tests/system/test-xen-qvmd.sh: brings up
# Xen's toolstack, starts qvmd with the xen backend (libxl), and then does
# everything the way a user would, with the qvm-* commands: an LVM thin
# pool as qvmd's default pool, the rig's guest kernel as the default
# kernel, a template whose root is the rig's root image, an AppVM started,
# used, shut down, killed, and destroyed behind qvmd's back.
# "RESULT ok|FAIL: WHAT" lines are the checks the host turns into TAP;
# "bulkhead.demo" on the kernel command line runs the demo instead (two
# qubes, a command in each; SAY lines tell the story).
. /etc/rig-dom0-lib
mkdir -p /var/lib/bulkhead/vm-kernels/rig
state() { qvm-ls --raw-data -O state "$1" 2>&1; }
# wait_state QUBE STATE SECONDS
wait_state() {
    i=0
    while [ "$(state "$1")" != "$2" ] && [ $i -lt $(($3 * 5)) ]; do sleep 0.2; i=$((i + 1)); done
    [ "$(state "$1")" = "$2" ]
}
lvnames() { lvs --noheadings -o lv_name qubes_dom0 2>/dev/null | tr -d ' ' | tr '\n' ' '; }
finish() {
    M "qvmd log:"
    sed 's/^/  qvmd| /' /tmp/qvmd.log
    sed 's/^/  policy| /' /tmp/policy.log
    for f in /var/log/xen/console/guest-*.log; do
        [ -f "$f" ] || continue
        echo "---- guest console: $f"
        tr -d '\r' < "$f" | sed 's/^/  guest| /'
    done
    M "ALL_DONE"
    sync
    poweroff -f
}
DEMO=
grep -q bulkhead.demo /proc/cmdline && DEMO=1
# bulkhead.virt=pvh: the qubes boot PVH instead (QVMD_VIRT_MODE on the host)
VIRT=pv
for a in $(cat /proc/cmdline); do case $a in bulkhead.virt=*) VIRT=${a#bulkhead.virt=} ;; esac; done

M "init started, kernel $(uname -r); qubes boot $VIRT"
for l in xen.list blkback.list virtio.list lvm.list ext4.list; do rig_load $l; done
dom0_toolstack
M "toolstack up"
i=0
while { ! disk pool > /dev/null || ! disk rootimg > /dev/null; } && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
POOLDEV=$(disk pool)
IMGDEV=$(disk rootimg)

# the kernel for qubes: vm-kernels/<version>/{vmlinuz,initramfs} next to
# qvmd's database (the linux-kernel pool's folder)
cp /guest/vmlinuz /guest/initramfs /var/lib/bulkhead/vm-kernels/rig/

# the policy daemon (calls from qubes; the qube list says who runs),
# qvmd and the per-qube daemons it starts
mkdir -p /var/lib/bulkhead
echo "work class=AppVM running=yes" > /var/lib/bulkhead/qubes.list
qrexec-policy-daemon --socket /run/qubes/policy.sock --policy-dir /etc/qubes/policy.d \
    --system /var/lib/bulkhead/qubes.list 2> /tmp/policy.log &
QREXEC_SERVICE_PATH=/etc/qubes-rpc \
    qvmd --backend xen --qrexec-daemon /usr/bin/qrexec-daemon \
    --qubesdb-daemon /usr/bin/qubesdb-daemon 2> /tmp/qvmd.log &
QVMD=$!
i=0
while [ ! -S /run/bulkhead/qvmd.sock ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
R "qvmd is up with the xen backend" qvm-ls || finish

# ---- storage: a VG and thin pool as the installer makes them, then qvmd's pool
t=$(up)
pvcreate -q "$POOLDEV" && vgcreate -q qubes_dom0 "$POOLDEV" &&
    lvcreate -q -T -L 3g -n vm-pool qubes_dom0
M "LVM vgcreate + thin pool rc=$?"
PHASE lvm-pool "$t"
if [ -n "$DEMO" ]; then
    SAY "dom0: LVM thin pool qubes_dom0/vm-pool made; qvmd runs with the xen backend (libxl)"
    R "storage and kernel set up" sh -c 'qvm-pool add vm-pool lvm_thin -o volume_group=qubes_dom0,thin_pool=vm-pool &&
        qubes-prefs default_pool vm-pool && qubes-prefs default_kernel rig' || finish
else
    R "qvm-pool add vm-pool lvm_thin" qvm-pool add vm-pool lvm_thin \
        -o volume_group=qubes_dom0,thin_pool=vm-pool || finish
    R "qubes-prefs default_pool and default_kernel" sh -c \
        'qubes-prefs default_pool vm-pool && qubes-prefs default_kernel rig' || finish
fi

# ---- the template: its root volume is the rig's root image
t=$(up)
dd if="$IMGDEV" of=/var/tmp/root.img bs=1M 2> /dev/null
# qubes boot PV (faster than PVH under emulation) with little memory; the
# guest has only root; the first boot formats the private volume
setup_qube() {
    qvm-prefs "$1" virt_mode $VIRT && qvm-prefs "$1" memory 256 && qvm-prefs "$1" maxmem 0 &&
        qvm-prefs "$1" default_user root && qvm-prefs "$1" qrexec_timeout 240
}
if [ -n "$DEMO" ]; then
    R "qvm-create tmpl, work, personal" sh -c "qvm-create -C TemplateVM -l black tmpl &&
        qvm-volume import tmpl:root /var/tmp/root.img &&
        qvm-create -t tmpl -l blue work && qvm-create -t tmpl -l green personal" || finish
    for q in tmpl work personal; do setup_qube $q; done
    SAY "qvm-create: template tmpl (root = the 48 MiB rig image, imported), AppVMs work and personal"
    qvm-ls | sed 's/^/SAY   /'
    t=$(up)
    R "qvm-start work personal" qvm-start work personal
    PHASE "qvm-start-work+personal" "$t"
    SAY "qvm-start work personal: both running as Xen PV domains"
    qvm-ls | sed 's/^/SAY   /'
    xl list | sed 's/^/SAY   xl list: /'
    echo "SAY   LVs: $(lvnames)"
    out=$(qvm-run -p work 'echo "hello from $(qubesdb-read /name), kernel $(uname -r), / on $(awk '"'"'$2 == "/" {print $1}'"'"' /proc/mounts)"' 2>&1)
    rc=$?
    SAY "qvm-run -p work ... -> $out (exit $rc)"
    case $out in "hello from work"*) echo "RESULT ok: qvm-run in work" ;; *) echo "RESULT FAIL: qvm-run in work ($out)" ;; esac
    out=$(qvm-run -p personal 'echo "hello from $(qubesdb-read /name); /rw is $(awk '"'"'$2 == "/rw" {print $1}'"'"' /proc/mounts)"' 2>&1)
    rc=$?
    SAY "qvm-run -p personal ... -> $out (exit $rc)"
    case $out in "hello from personal"*) echo "RESULT ok: qvm-run in personal" ;; *) echo "RESULT FAIL: qvm-run in personal ($out)" ;; esac
    t=$(up)
    R "qvm-shutdown --wait work personal" qvm-shutdown --wait work personal
    PHASE "qvm-shutdown-work+personal" "$t"
    SAY "qvm-shutdown --wait work personal: both halted; their private volumes kept, with a revision each"
    qvm-ls | sed 's/^/SAY   /'
    echo "SAY   LVs: $(lvnames)"
    kill $QVMD
    finish
fi

R "qvm-create -C TemplateVM tmpl" qvm-create -C TemplateVM -l black tmpl || finish
setup_qube tmpl
R "qvm-volume import tmpl:root" qvm-volume import tmpl:root /var/tmp/root.img || finish
PHASE import "$t"
R "qvm-create -t tmpl work" qvm-create -t tmpl -l blue work || finish
setup_qube work
M "LVs after create: $(lvnames)"

# ---- first start: the private volume gets formatted by the guest
t=$(up)
R "qvm-start work" qvm-start work
PHASE qvm-start "$t"
eq "qvm-ls: work is Running" "$(state work)" Running
R "xl list shows the domain work" xl domid work
out=$(qvm-run -p work 'echo hi; exit 3' 2> /tmp/err)
rc=$?
eq "qvm-run -p returns the output" "$out" hi
eq "qvm-run -p returns the exit code" "$rc" 3
eq "qvm-run -p: qubesdb-read /name in the qube" "$(qvm-run -p work 'qubesdb-read /name' 2>&1)" work
eq "a call from the qube to dom0, allowed by the policy daemon" \
    "$(qvm-run -p work 'echo hi | qrexec-client-vm --agent-socket /run/qrexec-agent dom0 test.Hello' 2>&1)" \
    "dom0 got hi from work"
qvm-run -p work 'qrexec-client-vm --agent-socket /run/qrexec-agent dom0 test.Denied < /dev/null' > /dev/null 2>&1
rc=$?
if [ $rc != 0 ]; then echo "RESULT ok: a call the policy denies fails (rc $rc)"; else echo "RESULT FAIL: a call the policy denies fails (rc 0)"; fi
eq "the qube's root is xvda, its private volume /rw is xvdb" \
    "$(qvm-run -p work 'echo $(awk '"'"'$2 == "/" || $2 == "/rw" {print $2 "=" $1}'"'"' /proc/mounts)' 2>&1)" \
    "/=/dev/xvda /rw=/dev/xvdb"
snap=$(lvs --noheadings -o lv_name,origin qubes_dom0/vm-work-root-snap 2>&1 | tr -s ' ' | sed 's/^ //')
eq "the root is a snapshot of the template's root" "$snap" "vm-work-root-snap vm-tmpl-root"
M "LVs while running: $(lvnames)"
qvm-run -p work 'echo kept > /rw/kept.txt && sync' > /dev/null

# ---- clean shutdown: the snapshot goes, the private volume's revision stays
t=$(up)
R "qvm-shutdown --wait work" qvm-shutdown --wait work
PHASE qvm-shutdown "$t"
if xl domid work > /dev/null 2>&1; then
    echo "RESULT FAIL: after shutdown the domain is gone ($(xl list | tr '\n' ' '))"
else
    echo "RESULT ok: after shutdown the domain is gone"
fi
L=$(lvnames)
M "LVs after shutdown: $L"
case " $L" in
*" vm-work-root-snap "*) echo "RESULT FAIL: after shutdown the root snapshot is gone ($L)" ;;
*) echo "RESULT ok: after shutdown the root snapshot is gone" ;;
esac
case " $L" in
*" vm-work-private-"*"-back "*) echo "RESULT ok: after shutdown a private revision is kept" ;;
*) echo "RESULT FAIL: after shutdown a private revision is kept ($L)" ;;
esac

# ---- second start; a guest that ignores shutdown; qvm-kill
t=$(up)
R "second qvm-start work" qvm-start work
PHASE second-qvm-start "$t"
eq "the private volume kept its data" "$(qvm-run -p work 'cat /rw/kept.txt' 2>&1)" kept
# the kernel runs /sbin/poweroff when asked to shut down; without it the
# request is dropped. The AppVM's root is read-only (rw=False, as in
# Qubes), so an empty tmpfs goes over /sbin instead of removing the link.
qvm-run -p work 'mount -t tmpfs tmpfs /sbin' > /dev/null
qvm-shutdown work
sleep 8
# qvmd shows Halting (asked to shut down) while the domain keeps running
st=$(state work)
if xl domid work > /dev/null 2>&1 && [ "$st" = Halting ]; then
    echo "RESULT ok: the qube ignores shutdown (after 8 s: still a domain, $st)"
else
    echo "RESULT FAIL: the qube ignores shutdown (state $st; $(xl list | tr '\n' ' '))"
fi
t=$(up)
R "qvm-kill of a qube that ignores shutdown" qvm-kill work
PHASE qvm-kill "$t"
wait_state work Halted 60
L=$(lvnames)
if xl domid work > /dev/null 2>&1 || [ "$(state work)" != Halted ]; then
    echo "RESULT FAIL: after qvm-kill the domain and the snapshot are gone ($(state work), $(xl list | tr '\n' ' '))"
else
    case " $L" in
    *" vm-work-root-snap "*) echo "RESULT FAIL: after qvm-kill the domain and the snapshot are gone ($L)" ;;
    *) echo "RESULT ok: after qvm-kill the domain and the snapshot are gone" ;;
    esac
fi

# ---- a domain destroyed behind qvmd's back
t=$(up)
R "third qvm-start work" qvm-start work
PHASE third-qvm-start "$t"
xl destroy work
M "xl destroy work rc=$?"
wait_state work Halted 60
eq "xl destroy behind qvmd's back: work is Halted" "$(state work)" Halted
i=0
while { case " $(lvnames)" in *" vm-work-root-snap "*) true ;; *) false ;; esac; } && [ $i -lt 100 ]; do
    sleep 0.2
    i=$((i + 1))
done
L=$(lvnames)
case " $L" in
*" vm-work-root-snap "*) echo "RESULT FAIL: ... and cleaned up ($L)" ;;
*) echo "RESULT ok: ... and cleaned up" ;;
esac
M "LVs at the end: $L"
if kill -0 $QVMD 2> /dev/null; then echo "RESULT ok: qvmd is still running"; else echo "RESULT FAIL: qvmd is still running (it exited)"; fi
kill $QVMD
finish
