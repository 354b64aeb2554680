# shellcheck shell=sh
# functions.sh: what the bring-up scripts of a qube share (sourced, POSIX sh).
#
# Environment overrides, for tests (tests/integration/vm-bringup.sh) and
# for debugging; a qube sets none of them:
#   BULKHEAD_ROOT         prefix of every path the scripts write or mount on
#                         (/etc, /run, /rw, /home, /usr/local); default none
#   BULKHEAD_ZONEINFO     the time zone database (default /usr/share/zoneinfo)
#   BULKHEAD_PRIVATE_DEV  the private volume (default /dev/xvdb)
#   BULKHEAD_VOLATILE_DEV the volatile volume (default /dev/xvdc)
#   BULKHEAD_SWAP_KIB     how much of the volatile volume becomes swap
#                         (default 1048576, 1 GiB)
#   BULKHEAD_X_DISPLAY    the qube's X display number (default 0)
#   QUBESDB_SOCKET        read by the qubesdb-* commands themselves
# shellcheck disable=SC2034 # used by the scripts that source this
R=${BULKHEAD_ROOT:-}
# shellcheck disable=SC2034
ZONEINFO=${BULKHEAD_ZONEINFO:-/usr/share/zoneinfo}

# log MESSAGE: one line on stderr (the journal), prefixed by the script
log() { echo "${0##*/}: $*" >&2; }

# qdb KEY: the key's value, raw; empty (and status 1) when it is missing
qdb() { qubesdb-read -r -q "$1" 2> /dev/null; }

# valid_name STRING: a name that is safe as one path component: the
# characters A-Z a-z 0-9 _ . -, 1 to 64 of them, not "." or ".."; keys and
# values come from dom0, but a mistake there must not reach outside the
# folder the name is used in
valid_name() {
    case $1 in
    '' | . | .. | *[!A-Za-z0-9_.-]*) return 1 ;;
    esac
    [ ${#1} -le 64 ]
}

# valid_hostname STRING: a qube name (qrexec_valid_vm_name's characters:
# a letter, then letters, digits, _ . -), at most 63 bytes as a host name
valid_hostname() {
    case $1 in
    [A-Za-z]*) ;;
    *) return 1 ;;
    esac
    valid_name "$1" && [ ${#1} -le 63 ]
}

# default_user: the qube's user, from /default-user, "user" when that is
# missing, not a valid name, or not an account here
default_user() {
    u=$(qdb /default-user) || u=
    if [ -n "$u" ] && valid_name "$u" && getent passwd "$u" > /dev/null; then
        echo "$u"
    else
        echo user
    fi
}

# blank DEVICE: the first MiB reads as zeros (a volume never formatted)
blank() { cmp -s -n 1048576 "$1" /dev/zero; }

# mount_ext4 DEVICE DIR: through a loop device when DEVICE is a regular
# file (tests use loop files)
mount_ext4() {
    if [ -b "$1" ]; then
        mount -t ext4 "$1" "$2"
    else
        mount -t ext4 -o loop "$1" "$2"
    fi
}
