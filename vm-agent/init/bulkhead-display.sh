# shellcheck shell=sh
# /etc/profile.d/bulkhead-display.sh: login shells of a qube with its own
# X server (bulkhead-xorg.service) get DISPLAY, as the user's services do.
if [ -z "${DISPLAY:-}" ] && [ -e /run/qubes/session-ready ]; then
    DISPLAY=:0
    export DISPLAY
fi
