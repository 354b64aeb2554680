#!/bin/bash
# qvmd crash safety: 100 runs of a fixed sequence of mixed changes
# (create, clone, property and global changes, features, tags, remove),
# each killed with SIGKILL at a random moment. After each kill the database
# must pass qvmd --check (PRAGMA integrity_check, foreign_key_check and the
# model's rules), and what qvmd then serves must be exactly the state after
# some prefix of the sequence: every change there whole, or not at all.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib/tap.sh
B=${BULKHEAD_BUILD:-build/release}
RUNS=${QVMD_CRASH_RUNS:-100}
T=$(mktemp -d)
QPID=
trap 'kill -9 $QPID 2>/dev/null; rm -rf "$T"' EXIT

start() {   # start DB: qvmd on DB, waiting for its socket
    rm -f "$T/s"
    "$B/bin/qvmd" --db "$1" --socket "$T/s" --policy-socket "$T/none" 2>> "$T/qvmd.log" &
    QPID=$!
    for _ in $(seq 200); do [ -S "$T/s" ] && return 0; sleep 0.01; done
    return 1
}
stop() { kill $QPID 2>/dev/null; wait $QPID 2>/dev/null; QPID=; }
A() { "$B/bin/admin-call" -s "$T/s" "$@"; }

# The changes, in order; the client stops at the first failure.
STEPS=(
    "admin.vm.Create.TemplateVM -p name=tmpl2_label=black"
    "admin.vm.Create.AppVM+tmpl2 -p name=app1_label=red"
    "admin.vm.property.Set+memory app1 -p 600"
    "admin.vm.feature.Set+service.x app1 -p 1"
    "admin.vm.tag.Set+office app1"
    "admin.vm.Clone+app2 app1"
    "admin.property.Set+default_template -p tmpl2"
    "admin.vm.property.Set+label app2 -p green"
    "admin.vm.notes.Set app2 -p note"
    "admin.vm.Remove app1"
    "admin.vm.property.Set+provides_network app2 -p True"
    "admin.property.Set+default_netvm -p app2"
    "admin.vm.Create.StandaloneVM -p name=solo_label=blue"
    "admin.vm.property.Reset+memory app2"
    "admin.vm.feature.Remove+service.x app2"
)
run_steps() {   # the test client: every step, in order
    local s
    for s in "${STEPS[@]}"; do
        # shellcheck disable=SC2086
        set -- $s
        local args=() a
        for a in "$@"; do args+=("${a//_label/ label}"); done
        A "${args[@]}" > /dev/null || return 1
    done
}
dump() {   # what qvmd serves, without the random uuids
    local vm
    A admin.vm.List
    A admin.property.GetAll
    for vm in $(A admin.vm.List | tail -n +2 | cut -d' ' -f1); do
        echo "== $vm"
        A admin.vm.property.GetAll "$vm" | grep -v '^uuid '
        A admin.vm.feature.List "$vm"
        A admin.vm.tag.List "$vm"
        A admin.vm.notes.Get "$vm"
    done
}

# The allowed states: after each prefix of the sequence.
cp /dev/null "$T/qvmd.log"
start "$T/base.db" || { echo "not ok 1 - qvmd starts"; exit 1; }
A admin.vm.Create.TemplateVM -p "name=fedora label=black" > /dev/null
stop
cp "$T/base.db" "$T/ref.db"
start "$T/ref.db"
dump > "$T/state.0"
t0=$(date +%s%N)
for i in "${!STEPS[@]}"; do
    STEPS_SAVE=("${STEPS[@]}")
    STEPS=("${STEPS_SAVE[$i]}")
    run_steps || echo "# step $i failed"
    STEPS=("${STEPS_SAVE[@]}")
    dump > "$T/state.$((i + 1))"
done
dur_us=$((($(date +%s%N) - t0) / 1000))
stop
t "the reference sequence ran" grep -q "^solo " "$T/state.${#STEPS[@]}"
# the wall time of the bare changes, without the dumps, bounds the kill delay
cp "$T/base.db" "$T/t.db"
start "$T/t.db"
t0=$(date +%s%N)
run_steps
dur_us=$((($(date +%s%N) - t0) / 1000 + 2000))
stop
echo "# sequence takes about $((dur_us / 1000)) ms; killing within that"

bad=0 hits=()
for run in $(seq "$RUNS"); do
    rm -f "$T"/run.db*
    cp "$T/base.db" "$T/run.db"
    start "$T/run.db" || { bad=$((bad + 1)); echo "# run $run: no start"; continue; }
    run_steps 2> /dev/null &
    CPID=$!
    delay=$((RANDOM * 32768 + RANDOM))
    sleep "$(printf '0.%06d' $((delay % dur_us)))"
    kill -9 $QPID
    wait $QPID 2>/dev/null
    QPID=
    wait $CPID 2>/dev/null
    if ! "$B/bin/qvmd" --db "$T/run.db" --check > "$T/check" 2>&1; then
        bad=$((bad + 1)); echo "# run $run: $(cat "$T/check")"; continue
    fi
    start "$T/run.db"
    match=
    # a second read of the same database tells a reply that went wrong
    # (logged, with what admin-call said) from a database that is wrong
    for try in 1 2; do
        dump > "$T/got" 2> "$T/dump.err"
        for k in $(seq 0 ${#STEPS[@]}); do
            cmp -s "$T/got" "$T/state.$k" && { match=$k; break; }
        done
        [ -n "$match" ] && break
        echo "# run $run: read $try matches no prefix: $(head -c 300 "$T/dump.err" | tr '\n' ' ')"
    done
    stop
    if [ -z "$match" ]; then
        bad=$((bad + 1)); echo "# run $run: state matches no prefix"; head -8 "$T/got" | sed 's/^/#   /'
    else
        hits+=("$match")
    fi
done
echo "# prefixes reached at the kill: $(printf '%s\n' "${hits[@]}" | sort -n | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
t "$RUNS kills: database consistent and state one of the allowed ones ($bad bad)" test "$bad" -eq 0
t "kills landed at several points of the sequence" test "$(printf '%s\n' "${hits[@]}" | sort -u | wc -l)" -ge 3
echo "1..$n"
