#!/bin/bash
# qvm-ls with 500 qubes (goal: under 30 ms wall time): qvmd on a temporary
# database with 500 AppVMs on one template, then the median of RUNS runs of
# qvm-ls (default columns, so one property fetch per qube) and of
# qvm-ls --raw-list (the list call alone), next to the floor: starting
# /bin/true, timed the same way in the same run. Also qvmd's RSS (goal
# under 15 MiB).
set -eu
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
N=${QUBES:-500}
RUNS=${RUNS:-51}
if [ ! -x "$B/qvmd" ]; then
    echo "qvm-ls bench: skipped, qvmd is not built (merge p5-qvmd)"
    exit 0
fi
T=$(mktemp -d /tmp/bulkhead-qvm-ls-bench.XXXXXX)
export BULKHEAD_QVMD_SOCKET=$T/qvmd.sock
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
"$B/qvmd" --db "$T/qvm.db" --socket "$T/qvmd.sock" 2> "$T/qvmd.log" &
QVMD=$!
for i in $(seq 100); do [ -S "$T/qvmd.sock" ] && break; sleep 0.1; done
"$B/qvm-create" -C TemplateVM -l black tpl
for i in $(seq 2 "$N"); do "$B/qvm-create" -l blue -t tpl "q$i"; done
[ "$("$B/qvm-ls" --raw-list | wc -l)" -ge "$N" ] || { echo "setup failed" >&2; exit 1; }

# median_ms CMD...: the median wall time of RUNS runs, in ms (bash's
# EPOCHREALTIME: no process started to read the clock)
median_ms() {
    local i t0 t1 times=()
    for ((i = 0; i < RUNS; i++)); do
        t0=$EPOCHREALTIME
        "$@" > /dev/null
        t1=$EPOCHREALTIME
        times+=("$(echo "($t1 - $t0) * 1000" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -g | sed -n "$((RUNS / 2 + 1))p" | xargs printf '%.2f'
}
floor=$(median_ms /bin/true)
ls_ms=$(median_ms "$B/qvm-ls")
raw_ms=$(median_ms "$B/qvm-ls" --raw-list)
json_ms=$(median_ms "$B/qvm-ls" --format json)
rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$QVMD/status")
echo "qvm-ls with $N qubes (median of $RUNS runs; goal < 30 ms)"
printf '  %-28s %8s ms\n' "floor: /bin/true" "$floor" "qvm-ls" "$ls_ms" \
    "qvm-ls --raw-list" "$raw_ms" "qvm-ls --format json" "$json_ms"
printf '  %-28s %8s MiB (goal < 15)\n' "qvmd RSS" "$rss"
