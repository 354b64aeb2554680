#!/bin/bash
# Integration: hostile file-copy streams against the real qfile-unpacker,
# run both as root (chroot, then the test user) and as the test user
# (descriptor-relative, no symlinks followed). Streams are written by
# tests/tools/filecopy-craft; each run asserts the error code the result
# header carries, and that nothing changed outside
# ~/QubesIncoming/<source>/ (the test user's whole home, and a bait folder
# that symlinks point at, listed before and after).
set -u
export LC_ALL=C # names with any bytes pass through sed and sort
cd "$(dirname "$0")/../.."
B=$(realpath "${BULKHEAD_BUILD:-build/release}/bin")
. tests/integration/lib/tap.sh
. tests/integration/lib/testuser.sh
TU=bhfilecopy-test TG=bhfilecopy-grp # its own: other suites remove theirs
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (a test user, chroot, tmpfs)"; exit 0; }
T=$(mktemp -d /tmp/bulkhead-filecopy-attacks.XXXXXX)
MNT=
cleanup() {
    [ -z "$MNT" ] || umount "$MNT"
    rm -rf "$T"
    testuser_cleanup
}
trap cleanup EXIT
testuser_setup || { echo "1..0 # SKIP cannot create user $TU"; exit 0; }
chmod 755 "$T"
mkdir -p "$T/outside"
chmod 777 "$T/outside" # the user could write there: only confinement stops it
echo bait > "$T/outside/bait"
IN=$TU_HOME/QubesIncoming/work
LEGAL_EOF=31415926 EINVAL=22 EEXIST=17 EDQUOT=122 ENOSPC=28 ENAMETOOLONG=36 ENOTDIR=20

craft() { "$B/filecopy-craft" "$@"; }
# everything under the user's home and the bait folder but the target
snap() {
    find "$TU_HOME" "$T/outside" -path "$IN" -prune -o -printf '%p %y %s %m %U\n' | sort
}
reset_incoming() {
    rm -rf "$TU_HOME/QubesIncoming"
    "${AS_TU[@]}" mkdir -p -m 0700 "$TU_HOME/QubesIncoming" "$IN"
}
# unpack MODE [VAR=VALUE...] < STREAM > RESULT
unpack() {
    local mode=$1
    shift
    if [ "$mode" = root ]; then
        # LeakSanitizer needs /proc, which the chroot does not have
        env ASAN_OPTIONS=detect_leaks=0 QREXEC_REMOTE_DOMAIN=work QFILE_UNPACKER_USER="$TU" "$@" "$B/qfile-unpacker"
    else
        "${AS_TU[@]}" QREXEC_REMOTE_DOMAIN=work "$@" "$B/qfile-unpacker"
    fi
}
# run_case MODE DESCRIPTION [VAR=VALUE...]: crafts the stream, unpacks it;
# sets GOT (the decoded result), CODE (its error), RC (exit status), and
# SAME (1 if nothing outside the target changed)
run_case() {
    local mode=$1 desc=$2 before
    shift 2
    printf '%s\n' "$desc" | craft stream > "$T/stream"
    before=$(snap)
    unpack "$mode" "$@" < "$T/stream" > "$T/result" 2>> "$T/err"
    RC=$?
    GOT=$(craft result < "$T/result")
    CODE=$(sed -n 's/^error=\([0-9]*\) .*/\1/p' <<< "$GOT")
    SAME=0
    [ "$before" = "$(snap)" ] && SAME=1
}
no_partials() { [ -z "$(find "$IN" -name '.*.part*' 2> /dev/null)" ]; }
# attack WHAT WANT DESCRIPTION [VAR=VALUE...]: both modes, fresh target
attack() {
    local what=$1 want=$2 desc=$3 mode
    shift 3
    for mode in user root; do
        reset_incoming
        run_case "$mode" "$desc" "$@"
        t "$mode: $what: error $want reported, exit 1, nothing outside" \
            test "$CODE" = "$want" -a "$RC" = 1 -a "$SAME" = 1
        [ "$CODE" = "$want" ] || echo "# got $(printf %q "$GOT"), exit $RC"
    done
}

echo "1..89"
for mode in user root; do
    reset_incoming
    run_case "$mode" "$(printf 'dir d\nfile d/a 640 1000\ndir d/s\nlink d/s/l ../a\ndir d/s\ndir d\nend')"
    t "$mode: a well-formed stream: error 0, exit 0, files in place" \
        test "$CODE" = 0 -a "$RC" = 0 -a "$(stat -c %s "$IN/d/a")" = 1000 -a \
        "$(readlink "$IN/d/s/l")" = ../a
    t "$mode: the result's CRC is the CRC of the whole stream" \
        test "${GOT#*crc=}" = "$(craft crc < "$T/stream") name="
    t "$mode: files belong to the user, mode kept, mtime kept" \
        test "$(stat -c '%U %a %Y' "$IN/d/a")" = "$TU 640 1000000000"
done

attack "a name with .." $EINVAL "file ../escape 644 4
end"
attack "a .. inside a path" $EINVAL "dir a
file a/../../escape 644 4
end"
attack "an absolute name" $EINVAL "file $T/outside/abs 644 4
end"
attack "a symlink to an absolute path" $EINVAL "dir d
link d/l $T/outside
end"
attack "a symlink climbing out" $EINVAL "dir d
link d/l ../../../../../etc
end"
attack "a symlink climbing out through a name" $EINVAL "dir d
dir d/s
link d/s/l x/../../..
end"
attack "a symlink at the top level" $EINVAL "link l x
end"
attack "a file written through a symlink the stream made" $EINVAL "dir d
dir d/s
dir d/s
link d/l s
file d/l/x 644 3
end"
attack "a character device" $EINVAL "node dev 020644
end"
attack "a block device" $EINVAL "node dev 060644
end"
attack "a FIFO" $EINVAL "node fifo 010644
end"
attack "a socket" $EINVAL "node sock 0140644
end"
attack "a newline in a name" $EINVAL "file a%0ab 644 1
end"
attack "an escape sequence in a name" $EINVAL "file a%1b[2J 644 1
end"
attack "invalid UTF-8 in a name" $EINVAL "file a%ff%fe 644 1
end"
attack "a right-to-left override in a name" $EINVAL "file txt.%e2%80%aeexe 644 1
end"
attack "a name without its NUL" $EINVAL "raw 3 0100644 0 abc
end"
attack "a component longer than 255 bytes" $ENAMETOOLONG "file $(printf 'x%.0s' $(seq 300)) 644 1
end"
attack "a declared size of 2^64-1" $EDQUOT "file big 644 18446744073709551615 0"
attack "a size over --max-bytes" $EDQUOT "file big 644 2000 0" QFILE_UNPACKER_MAX_BYTES=1000
attack "more files than --max-files" $EDQUOT "$(for i in 1 2 3 4 5; do echo "file f$i 644 1"; done)
end" QFILE_UNPACKER_MAX_FILES=3
t "... the files past the limit are not there" test ! -e "$IN/f4" -a -e "$IN/f3"
attack "a parent never sent" $EINVAL "file nodir/x 644 1
end"

# a second entry with the same name (there is no hard-link type: the only
# way to reach an existing file is its name)
attack "the same file name twice" $EEXIST "file a 644 3
file a 644 5
end"
t "... the first one's content stays" test "$(stat -c %s "$IN/a")" = 3
attack "a file over a folder of the stream" $EEXIST "dir d
dir d
file d 644 1
end"

attack "a folder over a symlink the stream made, then a file through it" $EEXIST "dir d
dir d/s
dir d/s
link d/l s
dir d/l
file d/l/x 644 3
end"
attack "a folder over a file of the stream" $EEXIST "file x 644 1
dir x
file x/y 644 1
end"

# what was in QubesIncoming before: a user (or an earlier copy) may have
# left symlinks; they are never followed
for mode in user root; do
    reset_incoming
    "${AS_TU[@]}" ln -s "$T/outside" "$IN/pre"
    run_case "$mode" "dir pre
file pre/x 644 3
end"
    t "$mode: a folder over an existing symlink to outside: refused ($EEXIST), nothing outside" \
        test "$CODE" = $EEXIST -a "$SAME" = 1 -a ! -e "$T/outside/x"
    reset_incoming
    "${AS_TU[@]}" ln -s "$T/outside/f" "$IN/f"
    run_case "$mode" "file f 644 3
end"
    t "$mode: a file over an existing dangling symlink: refused ($EEXIST), nothing outside" \
        test "$CODE" = $EEXIST -a "$SAME" = 1 -a ! -e "$T/outside/f"
    reset_incoming
    "${AS_TU[@]}" mkdir "$IN/d"
    "${AS_TU[@]}" ln -s "$T/outside" "$IN/d/s"
    run_case "$mode" "dir d
dir d/s
file d/s/x 644 3
end"
    t "$mode: a path through an existing symlink: refused ($EEXIST), nothing outside" \
        test "$CODE" = $EEXIST -a "$SAME" = 1 -a ! -e "$T/outside/x"
    rm -rf "$TU_HOME/QubesIncoming"
    "${AS_TU[@]}" mkdir -m 0700 "$TU_HOME/QubesIncoming"
    "${AS_TU[@]}" ln -s "$T/outside" "$IN"
    printf 'file x 644 3\nend\n' | craft stream > "$T/stream"
    before=$(find "$T/outside" | sort)
    unpack "$mode" < "$T/stream" > "$T/result" 2> /dev/null
    GOT=$(craft result < "$T/result")
    t "$mode: QubesIncoming/work itself a symlink to outside: refused ($ENOTDIR), nothing there" \
        test "${GOT%% *}" = "error=$ENOTDIR" -a "$before" = "$(find "$T/outside" | sort)"
done

for mode in user root; do
    reset_incoming
    run_case "$mode" "file part 644 100000 50000"
    t "$mode: a stream cut inside a file: error LEGAL_EOF, names the file" \
        test "$GOT" = "error=$LEGAL_EOF crc=$(craft crc < "$T/stream") name=part" -a "$SAME" = 1
    t "$mode: ... no file under its name, no partial file left" \
        bash -c "[ ! -e '$IN/part' ] && [ -z \"\$(ls -A '$IN')\" ]"
    reset_incoming
    run_case "$mode" "dir d
file d/whole 644 10
file d/cut 644 10 4"
    t "$mode: a stream cut later: the complete file stays, the cut one is gone" \
        test "$CODE" = $LEGAL_EOF -a -e "$IN/d/whole" -a ! -e "$IN/d/cut"
    t "$mode: ... and no partial" no_partials
    reset_incoming
    run_case "$mode" "file a 644 1
end" QREXEC_REMOTE_DOMAIN=../x
    t "$mode: a source that is not a qube name: $EINVAL, nothing made" \
        test "$CODE" = $EINVAL -a "$SAME" = 1 -a ! -e "$TU_HOME/QubesIncoming/x"
done

# killed mid-file (SIGTERM): the partial file goes. The writer keeps the
# stream open, so it is the signal, not an end of input, that stops it.
for mode in user root; do
    reset_incoming
    rm -f "$T/fifo"
    mkfifo "$T/fifo"
    # exec: $! is the unpacker itself (setpriv and env exec it too)
    if [ $mode = root ]; then
        (exec env ASAN_OPTIONS=detect_leaks=0 QREXEC_REMOTE_DOMAIN=work QFILE_UNPACKER_USER="$TU" \
            "$B/qfile-unpacker") < "$T/fifo" > /dev/null 2>> "$T/err" &
    else
        (exec "${AS_TU[@]}" QREXEC_REMOTE_DOMAIN=work "$B/qfile-unpacker") \
            < "$T/fifo" > /dev/null 2>> "$T/err" &
    fi
    pid=$!
    exec 3> "$T/fifo"
    printf 'file slow 644 1000000 5000\n' | craft stream >&3
    for i in $(seq 100); do [ -n "$(find "$IN" -name '.slow.part*')" ] && break; sleep 0.05; done
    had=$(find "$IN" -name '.slow.part*' | wc -l)
    kill -TERM $pid
    wait $pid
    rc=$?
    left=$(ls -A "$IN")
    exec 3>&-
    t "$mode: SIGTERM in the middle of a file: it dies of it, the partial file (seen: $had) is gone" \
        test "$had" = 1 -a "$rc" = 143 -a -z "$left"
done

# a full disk: a 2 MiB tmpfs as the user's home
mount -t tmpfs -o size=2m,mode=0755 fcfull "$TU_HOME" && MNT=$TU_HOME
chown "$TU:" "$TU_HOME"
for mode in user root; do
    reset_incoming
    run_case "$mode" "file big 644 5000000
end"
    t "$mode: full disk, one big file: error ENOSPC, no partial" \
        test "$CODE" = $ENOSPC -a "$SAME" = 1 -a ! -e "$IN/big"
    t "$mode: ... no partial file" no_partials
    reset_incoming
    run_case "$mode" "$(for i in 1 2 3 4 5 6; do echo "file s$i 644 700000"; done)
end"
    t "$mode: full disk, file by file: error ENOSPC naming the file that did not fit" \
        bash -c "[[ '$GOT' == 'error=$ENOSPC '*' name=s'[2-6] ]]"
    t "$mode: ... no partial file" no_partials
done
umount "$MNT" && MNT=

t "no sanitizer reports" bash -c "! grep -q Sanitizer '$T/err'"
