#!/bin/sh
# /init of the busybox dom0 in tests/system/test-xen-template.sh: brings up
# Xen's toolstack and qvmd (xen backend), installs the Debian 12 template
# built by templates/build from a read-only disk (qvm-template install;
# qvm-create + qvm-volume import where qvm-template is not built), makes
# the AppVMs work and personal from it, starts both (Debian with systemd,
# PV) and checks what a user would: hostname and services from QubesDB,
# /home on the private volume, qvm-copy allowed and denied by policy,
# qubes.StartApp starting the terminal, and a clean shutdown.
# "RESULT ok|FAIL: WHAT" lines are the checks the host turns into TAP,
# "PHASE NAME S s" the timings; "bulkhead.demo" on the command line runs
# the demo's story instead (SAY lines).
. /etc/rig-dom0-lib
mkdir -p /var/lib/bulkhead/vm-kernels /mnt/templates
lvnames() { lvs --noheadings -o lv_name qubes_dom0 2>/dev/null | tr -d ' ' | tr '\n' ' '; }
# qrun QUBE CMD: the command's output in the qube (as its default user)
# (at most 300 s: a call that hangs fails its check, not the whole run)
qrun() { timeout 300 qvm-run -p --no-color-output --no-color-stderr "$1" "$2" 2>&1; }
finish() {
    sleep 1 # the last lines of the logs followed below
    M "ALL_DONE"
    sync
    poweroff -f
}
DEMO=
grep -q bulkhead.demo /proc/cmdline && DEMO=1
MEM=400
for a in $(cat /proc/cmdline); do case $a in bulkhead.qubemem=*) MEM=${a#bulkhead.qubemem=} ;; esac; done

M "init started, kernel $(uname -r)"
for l in xen.list blkback.list virtio.list lvm.list ext4.list; do rig_load $l; done
dom0_toolstack
# the qubes' consoles and dom0's daemons' logs, live into the serial log
# ("work| ...", "qvmd| ..."): a step that hangs shows where
follow() {
    tail -F "$1" 2> /dev/null |
        awk -v q="$2" '{ gsub(/\r|\033\[[0-9;?]*[A-Za-z]/, ""); print "  " q "| " $0; fflush() }' &
}
for q in work personal; do follow "/var/log/xen/console/guest-$q.log" "$q"; done
follow /tmp/qvmd.log qvmd
follow /tmp/policy.log policy
M "toolstack up"
i=0
while { ! disk pool > /dev/null || ! disk templates > /dev/null; } && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
POOLDEV=$(disk pool)
mount -o ro "$(disk templates)" /mnt/templates || M "cannot mount the templates disk"
TFILE=$(ls /mnt/templates/*.template 2> /dev/null | head -n1)
M "template file: $TFILE ($(du -m "$TFILE" | cut -f1) MiB)"

# the policy daemon: file copies from work go to personal (qvm-copy asks
# for @default; target= sends it there), and the qube list it reads
mkdir -p /var/lib/bulkhead
printf 'work class=AppVM running=yes\npersonal class=AppVM running=yes\n' > /etc/qubes/qubes.list
ALLOW='qubes.Filecopy * work @default allow target=personal
qubes.Filecopy * work personal allow'
echo "$ALLOW" > /etc/qubes/policy.d/30-filecopy.policy
qrexec-policy-daemon --socket /run/qubes/policy.sock --policy-dir /etc/qubes/policy.d \
    --system /etc/qubes/qubes.list 2> /tmp/policy.log &
# qrexec-daemon as qvmd starts it, but without -q: its log (in qvmd's)
# shows each call from a qube and what became of it
printf '#!/bin/sh\nfor a; do shift; [ "$a" = -q ] || set -- "$@" "$a"; done\nexec /usr/bin/qrexec-daemon "$@"\n' \
    > /usr/bin/qrexec-daemon-verbose
chmod 755 /usr/bin/qrexec-daemon-verbose
QREXEC_SERVICE_PATH=/etc/qubes-rpc \
    qvmd --backend xen --qrexec-daemon /usr/bin/qrexec-daemon-verbose \
    --qubesdb-daemon /usr/bin/qubesdb-daemon 2> /tmp/qvmd.log &
QVMD=$!
i=0
while [ ! -S /run/bulkhead/qvmd.sock ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
R "qvmd is up with the xen backend" qvm-ls || finish

# ---- storage: a VG and thin pool as the installer makes them
t=$(up)
pvcreate -q "$POOLDEV" && vgcreate -q qubes_dom0 "$POOLDEV" &&
    lvcreate -q -T -L 7g -n vm-pool qubes_dom0 &&
    qvm-pool add vm-pool lvm_thin -o volume_group=qubes_dom0,thin_pool=vm-pool &&
    qubes-prefs default_pool vm-pool
R "an LVM thin pool as qvmd's default pool" test $? = 0 || finish
PHASE pool "$t"

# ---- the template: qvm-template install of the file, as a user does
t=$(up)
if [ -x /usr/bin/qvm-template ]; then
    R "install the template" qvm-template install "$TFILE" || finish
    how="qvm-template install $(basename "$TFILE")"
else
    # until qvm-template is built: what it does, by hand (docs/templates.md)
    kver=$(sed -n 's/^kernel_version=//p' /mnt/templates/unpacked/template.conf)
    mkdir -p "/var/lib/bulkhead/vm-kernels/$kver"
    cp /mnt/templates/unpacked/vmlinuz /mnt/templates/unpacked/initramfs \
        "/var/lib/bulkhead/vm-kernels/$kver/"
    R "install the template" sh -c "qvm-create -C TemplateVM -l black debian-12 &&
        qvm-volume import debian-12:root /mnt/templates/unpacked/root.img &&
        qvm-prefs debian-12 kernel $kver" || finish
    how="qvm-create + qvm-volume import (no qvm-template built)"
fi
PHASE install "$t"
M "template installed with $how; kernel $(qvm-prefs debian-12 kernel 2>&1); LVs: $(lvnames)"
[ -n "$DEMO" ] && SAY "dom0: $how -> TemplateVM debian-12 (kernel $(qvm-prefs debian-12 kernel 2>&1))"

# ---- two AppVMs. Set on the template, which its qubes inherit: PV
# (faster than PVH under emulation), fixed memory, a long qrexec timeout
# (systemd boots for minutes under emulation), and kernel options for
# emulation: no crypto self-tests at boot (seconds each under TCG), and a
# quiet console (every line is a hypercall; systemd still reports failures)
t=$(up)
qvm-prefs debian-12 virt_mode pv && qvm-prefs debian-12 memory "$MEM" &&
    qvm-prefs debian-12 maxmem 0 && qvm-prefs debian-12 qrexec_timeout 600 &&
    qvm-prefs debian-12 kernelopts "swiotlb=2048 quiet cryptomgr.notests" ||
    M "qvm-prefs debian-12 failed"
R "qvm-create -t debian-12 work, personal" sh -c "qvm-create -t debian-12 -l blue work &&
    qvm-create -t debian-12 -l green personal" || finish
# services: xorg on in work (its own X server, for the terminal); one
# turned off must not appear
R "qvm-service work xorg on, cups off" sh -c 'qvm-service work xorg on && qvm-service work cups off'
PHASE create "$t"
[ -n "$DEMO" ] && { SAY "qvm-create: AppVMs work and personal from debian-12"; qvm-ls | sed 's/^/SAY   /'; }

# both at once (qvm-start starts its arguments one after the other)
t=$(up)
qvm-start work > /tmp/start-work.log 2>&1 &
w=$!
qvm-start personal > /tmp/start-personal.log 2>&1 &
p=$!
wait $w
rw=$?
PHASE start-work "$t"
wait $p
rp=$?
PHASE start-personal "$t"
if [ $rw = 0 ] && [ $rp = 0 ]; then
    ok "qvm-start work personal"
else
    fail "qvm-start work personal (work: rc $rw $(tail -n 2 /tmp/start-work.log | tr '\n' ' '); personal: rc $rp $(tail -n 2 /tmp/start-personal.log | tr '\n' ' '))"
    finish
fi
[ -n "$DEMO" ] && { SAY "qvm-start work personal: Debian 12 with systemd, as Xen PV domains"; qvm-ls | sed 's/^/SAY   /'; }

eq "hostname in work is work (from QubesDB)" "$(qrun work hostname)" work
eq "hostname in personal is personal" "$(qrun personal hostname)" personal
eq "service xorg on: /run/qubes-service/xorg in work" "$(qrun work 'test -e /run/qubes-service/xorg && echo yes')" yes
eq "service cups off: no /run/qubes-service/cups in work" "$(qrun work 'test -e /run/qubes-service/cups || echo absent')" absent
got=$(qrun work 'echo "$(id -un) $HOME $(test -d /home/user && echo home) $(awk '"'"'$2 == "/rw" || $2 == "/home" {print $2 "=" $1}'"'"' /proc/mounts | sort -u | tr "\n" " ")"')
eq "/home/user on the private volume (/rw and /home from xvdb)" "$got" "user /home/user home /home=/dev/xvdb /rw=/dev/xvdb "
M "work: $(qrun work 'uname -r; cat /etc/debian_version; systemctl is-system-running; free -m | sed -n 2p; id; ls -l /dev/xen' | tr '\n' ' ')"

# ---- qvm-copy from work to personal, policy allow
qrun work 'rm -rf ~/share && mkdir -p ~/share/sub/deeper && cd ~/share &&
    echo "notes from work" > notes.txt && head -c 300000 /dev/urandom > sub/data.bin &&
    : > sub/empty && seq 1 5000 > sub/deeper/numbers.txt' > /dev/null
sums() { qrun "$1" "cd $2 && find . -type f | sort | xargs sha256sum"; }
SRC=$(sums work '~/share')
t=$(up)
out=$(qrun work 'PROGRESS_TYPE=none qvm-copy ~/share; echo "exit $?"')
PHASE qvm-copy "$t"
M "qvm-copy in work: $(echo "$out" | tr '\n' ' ')"
case $out in
*"exit 0") ;;
*)
    M "qvm-copy-to-vm personal in work: $(qrun work 'PROGRESS_TYPE=none qvm-copy-to-vm personal ~/share; echo "exit $?"' | tr '\n' ' ')"
    for q in work personal; do
        timeout 120 qvm-run -p -u root --no-color-output "$q" 'journalctl -b -o short-monotonic --no-pager -u qubes-qrexec-agent | tail -n 25' 2>&1 |
            sed "s/^/  $q-agent-log| /"
    done
    ;;
esac
DST=$(sums personal '~/QubesIncoming/work/share')
if [ -n "$SRC" ] && [ "$SRC" = "$DST" ] && [ "$(echo "$out" | tail -n1)" = "exit 0" ]; then
    ok "qvm-copy work -> personal (allow): the folder arrives in QubesIncoming/work, same checksums"
else
    fail "qvm-copy work -> personal (allow): the folder arrives in QubesIncoming/work, same checksums (copy said '$(echo "$out" | tr '\n' ' ')'; sent: $(echo "$SRC" | wc -l) files; arrived: '$(echo "$DST" | head -c 300 | tr '\n' ' ')')"
fi
[ -n "$DEMO" ] && {
    SAY "qvm-copy ~/share in work (policy: qubes.Filecopy * work @default allow target=personal)"
    qrun personal 'cd ~/QubesIncoming && find . | sort && du -sh work/share' | sed 's/^/SAY   personal: /'
}

# ---- the same with policy deny: refused, and the user in work is told
if [ -z "$DEMO" ]; then
    echo 'qubes.Filecopy * work @anyvm deny' > /etc/qubes/policy.d/30-filecopy.policy
    sleep 1 # the policy daemon rereads the folder when inotify tells it
    qrun work 'mkdir -p ~/share2 && echo x > ~/share2/f' > /dev/null
    out=$(qrun work 'PROGRESS_TYPE=none qvm-copy ~/share2; echo "exit $?"')
    M "qvm-copy with policy deny: $(echo "$out" | tr '\n' ' ')"
    if [ "$(echo "$out" | tail -n1)" != "exit 0" ] &&
        echo "$out" | grep -qiE 'refused|denied|not allowed'; then
        ok "qvm-copy with policy deny fails with a refusal the user sees"
    else
        fail "qvm-copy with policy deny fails with a refusal the user sees (got '$(echo "$out" | tr '\n' ' ')')"
    fi
    eq "nothing arrived after the refusal" "$(qrun personal 'test -e ~/QubesIncoming/work/share2 && echo there || echo none')" none
    echo "$ALLOW" > /etc/qubes/policy.d/30-filecopy.policy

    # ---- qubes.StartApp: the terminal, by its .desktop name, on work's X server
    # in the background: the call lasts as long as the application
    t=$(up)
    qvm-run --service work qubes.StartApp+debian-xterm > /tmp/startapp.log 2>&1 &
    sa=$!
    i=0
    while ! pid=$(qrun work 'pgrep -x xterm') && [ $i -lt 20 ]; do sleep 1; i=$((i + 1)); done
    PHASE startapp "$t"
    if [ -n "$pid" ] || { ! kill -0 $sa 2> /dev/null && wait $sa; }; then
        ok "qvm-run --service work qubes.StartApp+debian-xterm"
    else
        fail "qvm-run --service work qubes.StartApp+debian-xterm ($(tail -n 3 /tmp/startapp.log | tr '\n' ' '))"
    fi
    if [ -n "$pid" ] && [ "$pid" -gt 0 ] 2> /dev/null; then
        ok "the terminal runs in work (pgrep xterm: $pid)"
    else
        fail "the terminal runs in work (pgrep: '$pid'; X: $(qrun work 'ls /tmp/.X11-unix; pgrep -a Xorg' | tr '\n' ' '))"
    fi

fi

# ---- the GUI: dom0's desktop (Xvfb), one gui-daemon per qube started by
# qvm-start-daemon, a window from each qube, framed in its label colour;
# window buffers cross from the qubes' gntalloc pages to dom0's gntdev
if [ -x /usr/bin/gui-daemon ]; then
    t=$(up)
    Xvfb :0 -screen 0 1280x800x24 -nolisten tcp > /tmp/xvfb.log 2>&1 &
    export DISPLAY=:0
    i=0
    while [ ! -S /tmp/.X11-unix/X0 ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
    follow /tmp/guid.log guid
    # as a desktop session runs it: following qvmd's events (it also says
    # when a daemon ends, and how)
    qvm-start-daemon --all --watch 2>> /tmp/guid.log &
    i=0
    while [ "$(grep -c 'started gui-daemon' /tmp/guid.log)" -lt 2 ] && [ $i -lt 100 ]; do
        sleep 0.2
        i=$((i + 1))
    done
    R "qvm-start-daemon --all starts a gui-daemon for work and personal" \
        test "$(grep -c 'started gui-daemon' /tmp/guid.log)" = 2
    # a terminal in each qube, background and text in one colour, so its
    # whole window is that colour; in work it also writes what is typed
    # into it to /tmp/typed
    qrun work 'printf "%s\n" "read -r line; echo \"\$line\" > /tmp/typed; sleep 100000" > /tmp/typer.sh &&
        setsid xterm -bg "#ff8000" -fg "#ff8000" -cr "#ff8000" -geometry 40x8+40+60 -T hello-work \
        -e sh /tmp/typer.sh > /dev/null 2>&1 < /dev/null &' > /dev/null
    # (a program of its own: the user's shell would retitle the window)
    qrun personal 'setsid xterm -bg "#00c0c0" -fg "#00c0c0" -cr "#00c0c0" -geometry 40x8+600+300 \
        -T hello-personal -e sleep 100000 > /dev/null 2>&1 < /dev/null &' > /dev/null
    for q in work:3465a4:ff8000 personal:73d216:00c0c0; do
        name=${q%%:*} rest=${q#*:}
        frame=${rest%%:*} inside=${rest#*:}
        if win=$(gui-probe wait-window --title "[$name] hello-$name" --timeout 240 2>&1); then
            ok "a window from $name on dom0's desktop, titled [$name] hello-$name"
        else
            fail "a window from $name on dom0's desktop, titled [$name] hello-$name ($win; $(gui-probe list 2>&1 | tr '\n' ' '))"
            # what the qube's side says: its X server, the agent, the module
            timeout 120 qvm-run -p -u root --no-color-output "$name" 'pgrep -a Xorg; pgrep -a gui-agent;
                pgrep -a xterm; cat /sys/module/xen_gntalloc/parameters/limit;
                journalctl -b --no-pager -o short-monotonic -u bulkhead-xorg | tail -n 40;
                grep -hiE "bulkheadshm|\(EE\)" /home/user/.local/share/xorg/Xorg*.log 2>/dev/null | tail -n 20' 2>&1 |
                sed "s/^/  $name-gui| /"
            tail -n 20 /tmp/xvfb.log | sed 's/^/  xvfb| /'
            dmesg | grep -iE 'segfault|gntdev|gntalloc|grant' | tail -n 10 | sed 's/^/  dom0-kernel| /'
            continue
        fi
        R "$name's window framed in its label colour (0x$frame)" gui-probe check-frame "$win" "$frame"
        set -- $(gui-probe geometry "$win")
        R "$name's pixels inside the frame (0x$inside)" \
            gui-probe check-rect $(($1 + 8)) $(($2 + 8)) $(($3 - 16)) $(($4 - 16)) "$inside"
    done
    PHASE gui-windows "$t"
    # how the qubes' windows reach dom0: the agent's choice of copy path
    for q in work personal; do
        timeout 60 qvm-run -p -u root --no-color-output "$q" 'journalctl -b --no-pager -o cat -u bulkhead-xorg |
            grep "window copies"' > "/tmp/copies-$q.log" 2>&1
        sed "s/^/  $q-gui| /" "/tmp/copies-$q.log"
        timeout 60 qvm-run -p -u root --no-color-output "$q" 'grep -hi bulkheadshm \
            /home/user/.local/share/xorg/Xorg*.log | grep -v -e LoadModule -e Loading -e vendor' 2>&1 |
            sed "s/^/  $q-xorg| /"
    done
    if grep -qi "grant" /tmp/guid.log; then
        ok "window buffers crossed as grant references ($(grep -i -m1 grant /tmp/guid.log))"
    else
        fail "window buffers crossed as grant references (gui-daemon said: $(tail -n 3 /tmp/guid.log | tr '\n' ' '))"
    fi
    # the Xorg module's grant pages are the window itself: the agent logs
    # the zero path once; a window it had to copy ("not shared"), a module
    # that stopped answering, or a copying path set up ("from now on the
    # private path") would each be logged too
    z="work's windows reach dom0 with no copy in work: the agent says 'zero copies (bulkheadshm)'"
    if grep -q "zero copies (bulkheadshm)" /tmp/copies-work.log &&
        ! grep -q -e "not shared by the X server" -e "stopped answering" -e "from now on the" \
            /tmp/copies-work.log; then
        ok "$z ($(grep -m1 -o 'window 0x[0-9a-f]* is the X.*' /tmp/copies-work.log))"
    else
        fail "$z (the agent: $(tr '\n' ' ' < /tmp/copies-work.log))"
        # the evidence: what the module said about each pixmap it did not
        # share, and the grant limits it ran into
        timeout 60 qvm-run -p -u root --no-color-output work 'echo "gntalloc limit: $(cat /sys/module/xen_gntalloc/parameters/limit)";
            journalctl -b --no-pager -o cat -u bulkhead-xorg | grep -i -e bulkheadshm -e "(EE)" | tail -n 20' 2>&1 |
            sed "s/^/  work-xorg| /"
    fi
    win=$(gui-probe wait-window --title "[work] hello-work" --timeout 5 2> /dev/null)
    xdotool windowfocus --sync "$win" type --delay 50 "typed-in-dom0" 2> /dev/null
    xdotool key --window "$win" Return 2> /dev/null
    sleep 2
    eq "keys typed into work's window in dom0 arrive in work" "$(qrun work 'cat /tmp/typed')" typed-in-dom0
    gui-probe screenshot /tmp/desktop.png &&
        dd if=/tmp/desktop.png of="$(disk out)" bs=1M conv=notrunc 2> /dev/null &&
        echo "SHOT $(stat -c %s /tmp/desktop.png)"
    [ -n "$DEMO" ] && SAY "dom0's desktop: a terminal from work framed in blue, one from personal framed in green"
fi

# ---- clean shutdown of both
t=$(up)
R "qvm-shutdown --wait work personal" qvm-shutdown --wait work personal
PHASE shutdown-both "$t"
L=$(xl list | awk 'NR > 1 {print $1}' | tr '\n' ' ')
eq "after shutdown only dom0 is left" "$L" "Domain-0 "
[ -n "$DEMO" ] && { SAY "qvm-shutdown --wait work personal: both halted"; qvm-ls | sed 's/^/SAY   /'; }
kill $QVMD
finish
