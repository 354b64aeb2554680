/* qfile-unpacker: the receiving end of qubes.Filecopy (VM side).
 *
 *   qfile-unpacker [--allow-all-names] [--max-bytes=N] [--max-files=N]
 *                  [--user=NAME] [--verbose]
 *
 * Reads a file-copy stream (proto.h) on stdin from the qube named by
 * $QREXEC_REMOTE_DOMAIN and unpacks it into ~/QubesIncoming/<source>/,
 * confined there: as root it chroots into that folder and becomes the
 * user; as a user every operation is relative to the folder's descriptor
 * and refuses symlinks (unpack.c). On stdout it answers with the result
 * header: 0 or the errno-style code of the first failure, the CRC-32 of
 * what it read, and the name of the last entry. It stops at the first
 * failure; a partial file is removed, never left under its final name.
 *
 * Exit status: 0 when everything arrived, 1 when the copy failed (the
 * result header says why), 2 for bad usage. */
#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/proto/qrexec_names.h"
#include "vm-agent/filecopy/proto.h"
#include "vm-agent/filecopy/unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_FAILED  1
#define EXIT_USAGE   2
#define READ_SIZE    (1u << 20)
#define DEFAULT_USER "user"

static struct fc_parser parser;
static struct fc_unpack unpacker;
static bool verbose;

static void usage(FILE *f)
{
    fprintf(
        f, "usage: qfile-unpacker [--allow-all-names] [--max-bytes=N] [--max-files=N]\n"
           "                      [--user=NAME] [--verbose]\n"
           "Unpacks a qubes.Filecopy stream from stdin into ~/QubesIncoming/$QREXEC_REMOTE_DOMAIN\n"
           "and writes the result header to stdout.\n"
           "  --allow-all-names  accept any bytes in names (path rules still apply)\n"
           "  --max-bytes=N      most file data accepted (default 1 TiB; env "
           "QFILE_UNPACKER_MAX_BYTES)\n"
           "  --max-files=N      most entries accepted (default 1000000; env "
           "QFILE_UNPACKER_MAX_FILES)\n"
           "  --user=NAME        as root: whose QubesIncoming (default user; env "
           "QFILE_UNPACKER_USER)\n"
           "  --verbose          say on stderr why a copy failed\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static void on_signal(int sig)
{
    fc_unpack_remove_partial(&unpacker);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Opens (making it, mode 0700) the folder name inside dirfd, refusing a
 * symlink in its place. */
static int open_sub(int dirfd, const char *name)
{
    int fd;

    if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
        return -errno;
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ELOOP)
        return -ENOTDIR; /* a symlink: never followed, whatever it points at */
    return fd < 0 ? -errno : fd;
}

/* ~/QubesIncoming/<source> of pw, made and opened as whoever we are. */
static int open_incoming(const struct passwd *pw, const char *source)
{
    int home, inc, fd;

    home = open(pw->pw_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (home < 0)
        return -errno;
    inc = open_sub(home, "QubesIncoming");
    close(home);
    if (inc < 0)
        return inc;
    fd = open_sub(inc, source);
    close(inc);
    return fd;
}

/* As root: make the folders as the user (so nothing in the user's home is
 * done with root's rights), chroot into the target, then become the user
 * for good. */
static int confine_as_root(const char *user, const char *source, int *root_fd)
{
    struct passwd *pw = getpwnam(user);
    int fd;

    if (!pw)
        return -ENOENT;
    if (initgroups(user, pw->pw_gid) < 0 || setegid(pw->pw_gid) < 0 || seteuid(pw->pw_uid) < 0)
        return -errno;
    fd = open_incoming(pw, source);
    if (seteuid(0) < 0 || setegid(0) < 0)
        return -errno;
    if (fd < 0)
        return fd;
    if (fchdir(fd) < 0 || chroot(".") < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
        setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        abort(); /* the drop did not hold */
    *root_fd = fd;
    return 0;
}

static int confine_as_user(const char *source, int *root_fd)
{
    struct passwd *pw = getpwuid(getuid());
    int fd;

    if (!pw)
        return -ENOENT;
    fd = open_incoming(pw, source);
    if (fd < 0)
        return fd;
    *root_fd = fd;
    return 0;
}

/* Acts on one parser event; 0 or a negative errno. */
static int handle(int ev)
{
    const struct fc_entry *e = &parser.entry;

    switch (ev) {
    case FC_EV_FILE_BEGIN:
        return fc_unpack_file_begin(&unpacker, e);
    case FC_EV_DATA:
        return fc_unpack_write(&unpacker, parser.ev_data, parser.ev_len);
    case FC_EV_FILE_END:
        return fc_unpack_file_end(&unpacker);
    case FC_EV_DIR_OPEN:
        return fc_unpack_dir_open(&unpacker, e);
    case FC_EV_DIR_CLOSE:
        return fc_unpack_dir_close(&unpacker, e);
    case FC_EV_SYMLINK:
        return fc_unpack_symlink(&unpacker, e);
    default:
        return 0;
    }
}

/* Reads and unpacks until the end marker or the first failure: 0 or an
 * errno-style code for the result header. */
static int unpack_stream(void)
{
    uint8_t *buf = malloc(READ_SIZE);
    size_t off, used;
    ssize_t n;
    int ev, r;

    if (!buf)
        return ENOMEM;
    for (;;) {
        n = read(0, buf, READ_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = errno;
            break;
        }
        if (n == 0) {
            r = FC_LEGAL_EOF; /* the sender went away before the end marker */
            break;
        }
        off = 0;
        do {
            ev = fc_parser_feed(&parser, buf + off, (size_t)n - off, &used);
            off += used;
            r = ev < 0 ? -ev : -handle(ev);
        } while (r == 0 && ev != FC_EV_NEED_MORE && ev != FC_EV_END);
        if (r != 0 || ev == FC_EV_END)
            break;
    }
    free(buf);
    return r;
}

static int send_result(int code)
{
    static uint8_t out[FC_RESULT_SIZE + FC_RESULT_EXT_SIZE + FC_MAX_PATH_LENGTH];
    ssize_t n = fc_build_result(out, sizeof(out), (uint32_t)code, parser.crc,
                                code ? fc_parser_last_name(&parser) : NULL);

    return n < 0 ? (int)n : io_write_full(1, out, (size_t)n);
}

int main(int argc, char **argv)
{
    enum { OPT_ALL = 256, OPT_BYTES, OPT_FILES, OPT_USER, OPT_VERBOSE };
    static const struct option opts[] = {{"allow-all-names", no_argument, NULL, OPT_ALL},
                                         {"max-bytes", required_argument, NULL, OPT_BYTES},
                                         {"max-files", required_argument, NULL, OPT_FILES},
                                         {"user", required_argument, NULL, OPT_USER},
                                         {"verbose", no_argument, NULL, OPT_VERBOSE},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct fc_limits lim = {.max_bytes = FC_DEFAULT_MAX_BYTES, .max_files = FC_DEFAULT_MAX_FILES};
    const char *user = getenv("QFILE_UNPACKER_USER"), *source;
    const char *env_bytes = getenv("QFILE_UNPACKER_MAX_BYTES");
    const char *env_files = getenv("QFILE_UNPACKER_MAX_FILES");
    struct sigaction sa = {.sa_handler = on_signal};
    int c, root_fd = -1, code;

    log_init("qfile-unpacker");
    if ((env_bytes && !parse_u64(env_bytes, &lim.max_bytes)) ||
        (env_files && !parse_u64(env_files, &lim.max_files))) {
        fprintf(stderr, "qfile-unpacker: QFILE_UNPACKER_MAX_* must be a number\n");
        return EXIT_USAGE;
    }
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ALL:
            lim.allow_all_names = true;
            break;
        case OPT_BYTES:
        case OPT_FILES:
            if (!parse_u64(optarg, c == OPT_BYTES ? &lim.max_bytes : &lim.max_files)) {
                fprintf(stderr, "qfile-unpacker: --max-bytes/--max-files take a number\n");
                return EXIT_USAGE;
            }
            break;
        case OPT_USER:
            user = optarg;
            break;
        case OPT_VERBOSE:
            verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    /* modes are exactly what unpack.c asks for (see keep_mode) */
    umask(0);
    fc_parser_init(&parser, &lim);
    fc_unpack_init(&unpacker, -1);

    /* sanitize start: the source's name becomes a folder name */
    source = getenv("QREXEC_REMOTE_DOMAIN");
    if (!source || strlen(source) >= FC_VMNAME_SIZE || !qrexec_valid_vm_name(source)) {
        code = EINVAL;
        if (verbose)
            log_warnx("QREXEC_REMOTE_DOMAIN is not a qube name");
        send_result(code);
        return EXIT_FAILED;
    }
    /* sanitize end */
    code = geteuid() == 0 ? -confine_as_root(user ? user : DEFAULT_USER, source, &root_fd)
                          : -confine_as_user(source, &root_fd);
    if (code == 0) {
        fc_unpack_init(&unpacker, root_fd);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        code = unpack_stream();
        fc_unpack_fini(&unpacker);
    }
    if (code && verbose)
        log_warnx(
            "copy from %s failed: %s (%s)", source,
            code == FC_LEGAL_EOF ? "the stream ended early" : strerror(code),
            LOG_UNTRUSTED(fc_parser_last_name(&parser), strlen(fc_parser_last_name(&parser))));
    if (send_result(code) < 0 && code == 0)
        return EXIT_FAILED;
    return code ? EXIT_FAILED : 0;
}
