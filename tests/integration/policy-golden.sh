#!/bin/bash
# Golden tests of the v5 policy parser through qrexec-policy-check --print.
# Each tests/policy-golden/NAME/ is a policy folder (or NAME/etc and
# NAME/run for the two folders; NAME/compat for the R4.0 files of
# !compat-4.0) and NAME.ok the expected normalized table, or "error: "
# and the one-line message for a policy that must be rejected. Then: every
# good table survives the round trip (printed, loaded as a policy file,
# printed again: the same), the shipped defaults parse and round-trip, and
# the exit codes.
#
#   tests/integration/policy-golden.sh --update   rewrites the .ok files
set -u
cd "$(dirname "$0")/../.."
B=${BULKHEAD_BUILD:-build/release}/bin
G=tests/policy-golden
T=$(mktemp -d /tmp/bulkhead-policy-golden.XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/integration/lib/tap.sh

# check NAME: what the .ok file should hold for that case
check() {
    local d=$G/$1 args=() out rc
    if [ -d "$d/etc" ]; then args+=(--dir "$d/etc" --dir "$d/run"); else args+=(--dir "$d"); fi
    # never the host's R4.0 files
    if [ -d "$d/compat" ]; then args+=(--compat-dir "$d/compat"); else args+=(--compat-dir "$T/none"); fi
    out=$("$B/qrexec-policy-check" --print "${args[@]}" 2> "$T/stderr")
    rc=$?
    case $rc in
    0) [ -z "$out" ] || printf '%s\n' "$out" ;;
    1) echo "error: $(grep -v '^qrexec-policy-check: warning:' "$T/stderr" | sed 's/^qrexec-policy-check: //')" ;;
    *) echo "exit status $rc" ;;
    esac
}

# round_trip DIR: print, load the printed table as the only file, print again
round_trip() {
    local a b
    rm -rf "$T/rt" && mkdir "$T/rt"
    a=$("$B/qrexec-policy-check" --print --compat-dir "$T/none" "$@") || return 1
    printf '%s\n' "$a" > "$T/rt/50-printed.policy"
    b=$("$B/qrexec-policy-check" --print --compat-dir "$T/none" --dir "$T/rt") || return 1
    [ "$a" = "$b" ]
}

# rejected DIR: -n exits 1 (and prints only the error)
rejected() {
    "$B/qrexec-policy-check" -n --dir "$1" --compat-dir "$T/none" > "$T/n.out" 2>/dev/null
    [ $? -eq 1 ] && [ ! -s "$T/n.out" ]
}

cases=()
for ok in "$G"/*.ok; do cases+=("$(basename "$ok" .ok)"); done
if [ "${1:-}" = --update ]; then
    for c in "$G"/*/; do c=$(basename "$c"); check "$c" > "$G/$c.ok"; done
    exit 0
fi

echo "1..$(( ${#cases[@]} * 2 + 7 ))"
for c in "${cases[@]}"; do
    check "$c" > "$T/$c.out"
    t "golden: $c" diff -u "$G/$c.ok" "$T/$c.out"
    if grep -q '^error: ' "$G/$c.ok"; then
        t "golden: $c is rejected with exit status 1" rejected "$G/$c"
    elif [ -d "$G/$c/etc" ]; then
        t "round trip: $c" round_trip --dir "$G/$c/etc" --dir "$G/$c/run"
    elif [ -d "$G/$c/compat" ]; then
        t "round trip: $c" round_trip --dir "$G/$c" --compat-dir "$G/$c/compat"
    else
        t "round trip: $c" round_trip --dir "$G/$c"
    fi
done

D=qrexec/policy/defaults
t "the shipped defaults parse (-n: exit 0, no output)" \
    test -z "$("$B/qrexec-policy-check" -n --dir "$D" --compat-dir "$T/none" 2>&1)"
t "the shipped defaults survive the round trip" round_trip --dir "$D"
t "the shipped defaults have rules for file copy, admin calls and policy.Ask" \
    bash -c '"$1" --print --dir "$2" --compat-dir /nonexistent | grep -q "^qubes.Filecopy \* @anyvm @anyvm ask$" &&
             "$1" --print --dir "$2" --compat-dir /nonexistent | grep -q "^admin.vm.Start \* @adminvm @anyvm allow target=@adminvm$" &&
             "$1" --print --dir "$2" --compat-dir /nonexistent | grep -q "^policy.Ask \* @adminvm @adminvm allow$"' \
    _ "$B/qrexec-policy-check" "$D"
"$B/qrexec-policy-check" --bogus > /dev/null 2>&1
t "an unknown option exits 2" test $? -eq 2
"$B/qrexec-policy-check" -n --print > /dev/null 2>&1
t "-n with --print exits 2" test $? -eq 2
out=$("$B/qrexec-policy-check" --dir "$G/basic" --compat-dir "$T/none")
t "without -n or --print: one summary line" test "$out" = "policy ok: 8 rules"
# an empty policy folder (and an empty compat folder) is a policy with no
# rules, not an error (under UBSan this once stopped on qsort(NULL, 0))
mkdir -p "$T/empty" "$T/empty-compat"
t "an empty policy folder: 0 rules" \
    test "$("$B/qrexec-policy-check" --dir "$T/empty" --compat-dir "$T/empty-compat" 2>&1)" = "policy ok: 0 rules"
