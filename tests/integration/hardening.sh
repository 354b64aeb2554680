#!/bin/bash
# Every program the build produces for a Debian system is hardened as
# docs/building-and-testing.md says: PIE, full RELRO (BIND_NOW) and the
# stack protector. (FORTIFY_SOURCE leaves no mark in a program that happens
# to call no fortifiable function, so it is not checked here.)
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}
progs=$(find "$B/bin" "$B/tests/unit" "$B/bench" -type f -perm -u+x ! -name '*.o' ! -name '*.d' 2>/dev/null | sort)
n=0
[ -n "$progs" ] || { echo "1..1"; echo "not ok 1 - no programs found under $B"; exit 1; }
echo "1..$(( $(wc -w <<<"$progs") ))"
for p in $progs; do
    n=$((n + 1))
    why=""
    readelf -h "$p" | grep -q 'Type:.*DYN' || why="$why not-PIE"
    readelf -l "$p" | grep -q GNU_RELRO || why="$why no-RELRO"
    readelf -d "$p" | grep -qE 'FLAGS.*BIND_NOW' || why="$why no-BIND_NOW"
    nm -D "$p" 2>/dev/null | grep -q __stack_chk_fail || why="$why no-stack-protector"
    if [ -z "$why" ]; then echo "ok $n - $p is hardened"; else echo "not ok $n - $p:$why"; fi
done
