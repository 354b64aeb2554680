# Sourced by integration scripts: one TAP line per check.
# t DESCRIPTION COMMAND...: "ok N - DESCRIPTION" if COMMAND succeeds.
n=0
t() { local d=$1; shift; n=$((n + 1)); if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fi; }

# The error-message checks of the qvm-* command tests (bash):
# fails RC CMD...: exits with RC and says why in exactly one line on
# stderr, prefixed with the command's name; the line is left in $ERR
fails() {
    local want=$1 rc; shift
    ERR=$("$@" 2>&1 >/dev/null </dev/null); rc=$?
    [ "$rc" = "$want" ] && [ "$(wc -l <<< "$ERR")" = 1 ] && [[ $ERR == "$1: "?* ]] || {
        echo "# $*: rc $rc, stderr: $ERR" >&2; return 1; }
}
says() { grep -qiE -- "$1" <<< "$ERR" || { echo "# wanted /$1/ in: $ERR" >&2; return 1; }; }
