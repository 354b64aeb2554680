#!/bin/bash
# qvmd's figures (make bench): the property-get round trip next to a raw
# Unix-socket round trip measured in the same run, and qvmd's memory (RSS)
# with 500 qubes, plus the time of admin.vm.List over them.
set -eu
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}
N=${QVMD_BENCH_CALLS:-2000}
T=$(mktemp -d)
trap 'kill $QPID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
"$B/bin/qvmd" --db "$T/q.db" --socket "$T/s" --policy-socket "$T/none" 2> "$T/log" &
QPID=$!
for _ in $(seq 100); do [ -S "$T/s" ] && break; sleep 0.05; done
A() { "$B/bin/admin-call" -s "$T/s" "$@" > /dev/null; }
rss() { awk '/^VmRSS/ {print $2}' /proc/$QPID/status; }
echo "== qvmd (Admin API)"
printf '%-44s %10s KiB\n' "qvmd RSS, empty" "$(rss)"
A admin.vm.Create.TemplateVM -p "name=tmpl label=black"
A admin.property.Set+default_template -p tmpl
t0=$(date +%s%N)
for i in $(seq 499); do A admin.vm.Create.AppVM -p "name=q$i label=red"; done
t1=$(date +%s%N)
printf '%-44s %10d ms\n' "creating 499 qubes (one call each)" $(((t1 - t0) / 1000000))
t0=$(date +%s%N)
"$B/bin/admin-call" -s "$T/s" admin.vm.List | wc -l > "$T/n"
t1=$(date +%s%N)
printf '%-44s %10.1f ms (%d lines)\n' "admin.vm.List, 500 qubes + dom0" "$(echo "($t1 - $t0) / 1000000" | bc -l)" "$(cat "$T/n")"
for i in $(seq 1 5 499); do A admin.vm.property.GetAll "q$i"; done
"$B/bench/qvmd-bench" "$T/s" q250 "$N"
r=$(rss)
printf '%-44s %10s KiB (%.1f MiB; goal < 15 MiB)\n' "qvmd RSS, 500 qubes, after use" "$r" "$(echo "$r / 1024" | bc -l)"
