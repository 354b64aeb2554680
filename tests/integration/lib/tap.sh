# Sourced by integration scripts: one TAP line per check.
# t DESCRIPTION COMMAND...: "ok N - DESCRIPTION" if COMMAND succeeds.
n=0
t() { local d=$1; shift; n=$((n + 1)); if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fi; }
