/* qfile-agent: the sending end of qubes.Filecopy (VM side).
 *
 *   qfile-agent [--ignore-symlinks] FILE...
 *
 * Run by qvm-copy as qrexec-client-vm's LOCAL_PROG: stdout goes to the
 * receiving qube's qfile-unpacker, stdin brings back its result header.
 * Each FILE is sent under its base name (a folder with everything in it),
 * then the end marker; then the result is read and its CRC compared with
 * ours. Exit status 0 only when the receiver reported success with the
 * same CRC; otherwise one line on stderr says what failed, and 1.
 *
 * Symlinks: a FILE that is a symlink is followed (its target is sent under
 * the link's name), as Qubes does; inside folders symlinks are sent as
 * symlinks when the receiver would accept them (names.h), otherwise
 * skipped with a warning; --ignore-symlinks skips them all. Devices, FIFOs
 * and sockets inside folders are skipped with a warning.
 *
 * Environment: PROGRESS_TYPE (console, gui, none), FILECOPY_TOTAL_SIZE
 * (bytes, for the progress bar), QFILE_PROGRAM_NAME (the name errors are
 * printed under), QFILE_AGENT_STATUS_FILE (written "ok" on success, for
 * qvm-move). */
#include "lib/io.h"
#include "lib/log.h"
#include "vm-agent/filecopy/names.h"
#include "vm-agent/filecopy/progress.h"
#include "vm-agent/filecopy/proto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUT_SIZE (1u << 20)

static const char *prog = "qfile-agent";
static bool ignore_symlinks;
static uint8_t *out;
static size_t out_len;
static uint32_t crc;
static bool receiver_gone; /* a write found the stream closed */
static struct fc_progress progress;

static void errmsg(const char *what, const char *path, int err)
{
    fprintf(stderr, "%s: %s%s%s%s%s\n", prog, what, path ? " " : "", path ? path : "",
            err ? ": " : "", err ? strerror(err) : "");
}

/* Sends the buffered bytes. A closed stream (the receiver stopped, most
 * likely to report an error) is remembered, not reported here. */
static int flush(void)
{
    int r;

    if (out_len == 0 || receiver_gone)
        return receiver_gone ? -EPIPE : 0;
    crc = fc_crc32(crc, out, out_len);
    r = io_write_full(1, out, out_len);
    fc_progress_add(&progress, out_len);
    out_len = 0;
    if (r == -EPIPE || r == -ECONNRESET)
        receiver_gone = true;
    return r;
}

static int send_header(const struct stat *st, uint64_t len, const char *name)
{
    struct fc_header h = {.mode = (uint32_t)st->st_mode,
                          .filelen = len,
                          .atime = (uint32_t)st->st_atim.tv_sec,
                          .atime_nsec = (uint32_t)st->st_atim.tv_nsec,
                          .mtime = (uint32_t)st->st_mtim.tv_sec,
                          .mtime_nsec = (uint32_t)st->st_mtim.tv_nsec};
    ssize_t n;
    int r;

    if (OUT_SIZE - out_len < FC_HEADER_SIZE + strlen(name) + 1 && (r = flush()) < 0)
        return r;
    n = fc_build_header(out + out_len, OUT_SIZE - out_len, &h, name);
    if (n < 0)
        return (int)n;
    out_len += (size_t)n;
    return 0;
}

/* top: a FILE from the command line, whose symlink is followed */
static int send_file(const char *path, const char *name, const struct stat *st0, bool top)
{
    struct stat st;
    uint64_t left;
    ssize_t n;
    int fd, r;

    fd = open(path, O_RDONLY | O_CLOEXEC | (top ? 0 : O_NOFOLLOW));
    if (fd < 0 || fstat(fd, &st) < 0) {
        r = errno;
        errmsg("cannot read", path, r);
        if (fd >= 0)
            close(fd);
        return -r;
    }
    if (!S_ISREG(st.st_mode) || st.st_ino != st0->st_ino || st.st_dev != st0->st_dev) {
        close(fd);
        errmsg("changed while being copied:", path, 0);
        return -EAGAIN;
    }
    if (st.st_size >= OUT_SIZE)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    r = send_header(&st, (uint64_t)st.st_size, name);
    for (left = (uint64_t)st.st_size; r == 0 && left > 0;) {
        if (out_len == OUT_SIZE && (r = flush()) < 0)
            break;
        size_t want = OUT_SIZE - out_len < left ? OUT_SIZE - out_len : (size_t)left;
        n = read(fd, out + out_len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = n < 0 ? -errno : -EAGAIN;
            errmsg(n < 0 ? "cannot read" : "shrank while being copied:", path, n < 0 ? -r : 0);
            break;
        }
        out_len += (size_t)n;
        left -= (uint64_t)n;
    }
    close(fd);
    return r;
}

static int send_symlink(const char *path, const char *name, const struct stat *st)
{
    char target[FC_MAX_PATH_LENGTH];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    int r;

    if (n < 0) {
        r = errno;
        errmsg("cannot read symlink", path, r);
        return -r;
    }
    if (fc_symlink_check(name, strlen(name), target, (size_t)n, false) < 0) {
        target[n] = '\0';
        fprintf(stderr, "%s: skipping symlink %s -> %s: it points outside the copied folder\n",
                prog, path, target);
        return 0;
    }
    if ((r = send_header(st, (uint64_t)n, name)) < 0)
        return r;
    if (OUT_SIZE - out_len < (size_t)n && (r = flush()) < 0)
        return r;
    memcpy(out + out_len, target, (size_t)n);
    out_len += (size_t)n;
    return 0;
}

static int send_entry(char *path, size_t plen, char *name, size_t nlen, bool top);

/* A folder: its header, everything in it, its header again (so the
 * receiver sets its times once the contents stopped changing them). */
static int send_dir(char *path, size_t plen, char *name, size_t nlen, const struct stat *st)
{
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t count = 0, cap = 0, i, k;
    int r = send_header(st, 0, name);

    if (r < 0)
        return r;
    d = opendir(path);
    if (!d) {
        r = errno;
        errmsg("cannot open folder", path, r);
        return -r;
    }
    /* read the names first, so only one folder is open at any depth */
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (count == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));
            if (!nn) {
                r = -ENOMEM;
                break;
            }
            names = nn;
        }
        if (!(names[count] = strdup(de->d_name))) {
            r = -ENOMEM;
            break;
        }
        count++;
    }
    closedir(d);
    for (i = 0; r == 0 && i < count; i++) {
        k = strlen(names[i]);
        if (plen + 1 + k >= PATH_MAX || nlen + 1 + k >= FC_MAX_PATH_LENGTH) {
            errmsg("path too long:", path, 0);
            r = -ENAMETOOLONG;
            break;
        }
        path[plen] = '/';
        memcpy(path + plen + 1, names[i], k + 1);
        name[nlen] = '/';
        memcpy(name + nlen + 1, names[i], k + 1);
        r = send_entry(path, plen + 1 + k, name, nlen + 1 + k, false);
        path[plen] = '\0';
        name[nlen] = '\0';
    }
    for (i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return r < 0 ? r : send_header(st, 0, name);
}

static int send_entry(char *path, size_t plen, char *name, size_t nlen, bool top)
{
    struct stat st;
    int r;

    if ((top ? stat(path, &st) : lstat(path, &st)) < 0) {
        r = errno;
        errmsg("cannot read", path, r);
        return -r;
    }
    if (S_ISLNK(st.st_mode) && ignore_symlinks)
        return 0;
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
        if (top) {
            errmsg("not a file or folder:", path, 0);
            return -EINVAL;
        }
        fprintf(stderr, "%s: skipping %s: not a file, folder or symlink\n", prog, path);
        return 0;
    }
    if ((r = fc_name_check(name, nlen, false)) < 0) {
        errmsg("the receiving qube would refuse the name of", path, 0);
        return r;
    }
    if (S_ISDIR(st.st_mode))
        return send_dir(path, plen, name, nlen, &st);
    if (S_ISLNK(st.st_mode))
        return send_symlink(path, name, &st);
    return send_file(path, name, &st, top);
}

/* FILE as given on the command line: sent under its base name. */
static int send_arg(const char *arg)
{
    static char path[PATH_MAX], name[FC_MAX_PATH_LENGTH];
    char *real = NULL;
    const char *base;
    size_t len = strlen(arg);
    int r;

    if (len == 0 || len >= sizeof(path)) {
        errmsg("bad file name:", arg, 0);
        return -EINVAL;
    }
    memcpy(path, arg, len + 1);
    while (len > 1 && path[len - 1] == '/')
        path[--len] = '\0';
    base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!strcmp(base, ".") || !strcmp(base, "..") || !*base) {
        real = realpath(path, NULL);
        base = real && strrchr(real, '/') ? strrchr(real, '/') + 1 : "";
        if (!*base) {
            free(real);
            errmsg("cannot copy", arg, 0);
            return -EINVAL;
        }
    }
    snprintf(name, sizeof(name), "%s", base);
    free(real);
    r = send_entry(path, len, name, strlen(name), true);
    return r;
}

/* Reads the receiver's answer; 0 if it reported success with our CRC. */
static int read_result(void)
{
    uint8_t hdr[FC_RESULT_SIZE], ext[FC_RESULT_EXT_SIZE];
    static uint8_t name_buf[FC_RESULT_EXT_SIZE + FC_MAX_PATH_LENGTH];
    char last[FC_MAX_PATH_LENGTH], shown[512];
    uint32_t code, n;
    uint64_t their_crc;
    const char *why;

    if (io_read_full(0, hdr, sizeof(hdr)) < 0 ||
        fc_parse_result(hdr, sizeof(hdr), &code, &their_crc) < 0) {
        fprintf(stderr, "%s: the receiving qube sent no result: the copy failed\n", prog);
        return -EPROTO;
    }
    last[0] = '\0';
    if (io_read_full(0, ext, sizeof(ext)) == 0) {
        memcpy(name_buf, ext, sizeof(ext));
        n = (uint32_t)ext[0] | (uint32_t)ext[1] << 8 | (uint32_t)ext[2] << 16 |
            (uint32_t)ext[3] << 24;
        if (n <= FC_MAX_PATH_LENGTH && io_read_full(0, name_buf + sizeof(ext), n) == 0)
            fc_parse_result_ext(name_buf, sizeof(ext) + n, last, sizeof(last));
    }
    /* the name comes from the other qube: show it printable only */
    log_printable(shown, sizeof(shown), last, strlen(last));
    if (code != 0) {
        switch (code) {
        case FC_LEGAL_EOF:
            why = "the stream ended early";
            break;
        case EDQUOT:
            why = "a size or file-count limit was reached";
            break;
        case EINVAL:
            why = "Invalid argument (a name, file type or symlink it does not accept)";
            break;
        default:
            why = code < 4096 ? strerror((int)code) : "unknown error";
        }
        fprintf(stderr, "%s: the receiving qube reported: %s%s%s%s\n", prog, why,
                last[0] ? " (file: " : "", shown, last[0] ? ")" : "");
        return -EIO;
    }
    if (their_crc != crc) {
        fprintf(stderr, "%s: the data was damaged on the way (CRC mismatch)\n", prog);
        return -EIO;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"ignore-symlinks", no_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *status = getenv("QFILE_AGENT_STATUS_FILE");
    int c, i, r = 0;

    if (getenv("QFILE_PROGRAM_NAME") && *getenv("QFILE_PROGRAM_NAME"))
        prog = getenv("QFILE_PROGRAM_NAME");
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            ignore_symlinks = true;
            break;
        case 'h':
            printf("usage: qfile-agent [--ignore-symlinks] FILE...\n"
                   "Sends FILEs as a qubes.Filecopy stream on stdout; reads the result on stdin.\n"
                   "  --ignore-symlinks  do not send symlinks found inside folders\n");
            return 0;
        default:
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: qfile-agent [--ignore-symlinks] FILE...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    out = malloc(OUT_SIZE);
    if (!out)
        return 1;
    /* a bigger pipe means fewer, larger writes (best effort) */
    fcntl(1, F_SETPIPE_SZ, OUT_SIZE);
    fc_progress_start(&progress, getenv("PROGRESS_TYPE"), getenv("FILECOPY_TOTAL_SIZE"));
    for (i = optind; r == 0 && i < argc; i++)
        r = send_arg(argv[i]);
    if (r == 0) {
        if (OUT_SIZE - out_len < FC_HEADER_SIZE)
            r = flush();
        if (r == 0) {
            fc_build_end(out + out_len);
            out_len += FC_HEADER_SIZE;
            r = flush();
        }
    }
    if (r == 0 || receiver_gone) {
        /* the receiver's answer also explains a stream it cut short */
        r = read_result();
    } else {
        /* a local failure (already reported): the stream ends early, which
         * makes the receiver drop its partial file */
        close(1);
    }
    fc_progress_end(&progress, r == 0);
    if (r == 0 && status) {
        FILE *f = fopen(status, "w");
        if (f) {
            fputs("ok\n", f);
            fclose(f);
        }
    }
    free(out);
    return r == 0 ? 0 : 1;
}
