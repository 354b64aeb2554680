#!/bin/bash
# Every man page in docs/man renders without a warning, and every long
# option a program's --help lists is documented in its page.
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
pages=(docs/man/*.[1-8])
echo "1..${#pages[@]}"
n=0
for p in "${pages[@]}"; do
    n=$((n + 1)); prog=$(basename "${p%.*}"); why=""
    out=$(groff -man -Tutf8 -ww "$p" 2>&1 >/dev/null) || why="groff failed"
    [ -n "$out" ] && why="groff warns: $out"
    if [ -x "$B/$prog" ]; then
        for opt in $("$B/$prog" --help 2>&1 | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
            grep -q -- "$(sed 's/-/\\\\-/g' <<<"$opt")" "$p" || why="$why; $opt undocumented"
        done
    fi
    if [ -z "$why" ]; then echo "ok $n - $p"; else echo "not ok $n - $p:$why"; fi
done
