# Sourced by tests that need a user besides root (in CI they run as root).
# testuser_setup: makes user $TU, with a supplementary group $TG, unless
# they exist, and sets TU_UID, TU_GID, TU_HOME and AS_TU (below).
# testuser_cleanup removes
# only what testuser_setup made.
TU=bhqrexec-test
TG=bhqrexec-grp
TU_MADE= TG_MADE=
testuser_setup() {
    if ! getent group "$TG" > /dev/null; then
        groupadd "$TG" || return 1
        TG_MADE=1
    fi
    if ! getent passwd "$TU" > /dev/null; then
        useradd --create-home --shell /bin/sh --user-group -G "$TG" "$TU" || return 1
        TU_MADE=1
    fi
    id -Gn "$TU" | grep -qw "$TG" || usermod -aG "$TG" "$TU" || return 1
    TU_UID=$(id -u "$TU") TU_GID=$(id -g "$TU")
    TU_HOME=$(getent passwd "$TU" | cut -d: -f6)
    testuser_cmd
}
testuser_cleanup() {
    # -f: a service of the tests' may still be ending
    [ -z "$TU_MADE" ] || userdel -r -f "$TU" 2> /dev/null
    [ -z "$TG_MADE" ] || groupdel "$TG" 2> /dev/null
    return 0
}
# "${AS_TU[@]}" CMD...: runs CMD as $TU, with its groups and a login's
# variables. An array, not a function, so that (exec "${AS_TU[@]}" CMD) &
# leaves CMD's own process id in $! (setpriv and env exec it), for kill.
testuser_cmd() {
    AS_TU=(setpriv --reuid="$TU_UID" --regid="$TU_GID" --init-groups
           env HOME="$TU_HOME" USER="$TU" LOGNAME="$TU")
}
