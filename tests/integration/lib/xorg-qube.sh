# Sourced by GUI tests and benchmarks that run a qube's X server as a
# template does: Xorg with the dummy driver (vm-agent/init/20-bulkhead-dummy.conf,
# which loads the bulkheadshm module), here from the build tree. Needs root
# (Xorg opens no devices with this configuration, but refuses -config
# outside /etc for others), T (a temporary folder) and B, and lib/gui.sh
# (sourced here if it was not). gui-screen.sh runs dom0's X server this way
# too: unlike Xvfb, the dummy driver changes its screen size with RandR (the
# module only offers a socket nobody asks there).
declare -F gui_x_wait > /dev/null || . tests/integration/lib/gui.sh

# xorg_qube_usable BUILD: Xorg, its dummy driver and our module are there
xorg_qube_usable() {
    [ "$(id -u)" = 0 ] && command -v Xorg > /dev/null &&
        [ -e "$(pkg-config --variable=moduledir xorg-server 2> /dev/null ||
            echo /usr/lib/xorg/modules)/drivers/dummy_drv.so" ] &&
        [ -e "$1/xorg/modules/extensions/libbulkheadshm.so" ]
}

# xorg_qube_test NAME [COMMAND...]: the start of a test whose qube runs
# this Xorg and whose agent and daemon talk over the socket vchan in T: a
# TAP skip (exit 0) unless Xorg is usable and each COMMAND installed, then
# gui_test_start, gui_traps, and the socket vchan's environment
xorg_qube_test() {
    xorg_qube_usable "${BULKHEAD_BUILD:-build/release}" || {
        echo "1..0 # SKIP needs root, Xorg, the dummy driver and the build's xorg/modules (bulkheadshm)"
        exit 0
    }
    gui_test_start "$@"
    gui_traps
    export VCHAN_SOCKET_DIR=$T BULKHEAD_VCHAN=socket BULKHEAD_CLIPBOARD_DIR=$T
}

# xorg_qube_start NAME BUILD: an Xorg on a free display (-displayfd), the
# template's configuration with the build's modules first; sets X_<NAME>
# (":N") and XPID_<NAME>; log in $T/NAME.xorg.log
xorg_qube_start() {
    local name=$1 build sysdir
    build=$(realpath "$2")
    sysdir=$(pkg-config --variable=moduledir xorg-server 2> /dev/null || echo /usr/lib/xorg/modules)
    {
        cat vm-agent/init/20-bulkhead-dummy.conf
        printf 'Section "Files"\n    ModulePath "%s"\n    ModulePath "%s"\nEndSection\n' \
            "$build/xorg/modules" "$sysdir"
    } > "$T/$name.xorg.conf"
    rm -f "$T/$name.display"
    Xorg -config "$T/$name.xorg.conf" -noreset -nolisten tcp -displayfd 3 \
        -logfile "$T/$name.xorg.log" 3> "$T/$name.display" > /dev/null 2>&1 &
    gui_x_wait "$name" $! "$T/$name.xorg.log"
}
