/* qopen-in-vm [--view-only] FILE (VM): the caller's side of qubes.OpenInVM,
 * run by qvm-open-in-vm as qrexec-client-vm's LOCAL_PROG: our stdout goes
 * to the service, our stdin comes from it. Sends FILE's base name on one
 * line and its content; then, unless --view-only, reads back what the
 * other qube sends (the edited file, or nothing if it was not changed) and
 * puts it in place of FILE atomically (a temporary file beside it, then
 * rename), only if it is not empty and differs from FILE.
 *
 * What comes back is bytes from another qube: bounded (--max-size), never
 * interpreted, and written only over the file the user chose. */
#include "lib/io.h"
#include "vm-agent/services/fileutil.h"
#include "vm-agent/services/validate.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAX_SIZE (512ULL << 20)
#define CHUNK            65536

static void usage(FILE *f)
{
    fprintf(f, "usage: qopen-in-vm [--view-only] [--max-size BYTES] FILE\n"
               "Sends FILE to qubes.OpenInVM on stdout; writes the edited copy back.\n");
}

/* Reads the other qube's reply into a new temporary file beside path.
 * Returns its fd (its name in tmp), -1 on error, or -2 if it was empty. */
static int receive_reply(const char *path, char *tmp, size_t tmpsz, unsigned long long max)
{
    static char buf[CHUNK];
    unsigned long long total = 0;
    char *d = strdup(path), *b = strdup(path);
    ssize_t r;
    int fd;

    if (!d || !b)
        return -1;
    snprintf(tmp, tmpsz, "%s/.%s.XXXXXX", dirname(d), basename(b));
    free(d);
    free(b);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "qopen-in-vm: cannot create a file beside %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((r = read(0, buf, sizeof(buf))) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (total += (unsigned long long)r) > max ||
            io_write_full(fd, buf, (size_t)r) < 0) {
            fprintf(stderr, "qopen-in-vm: %s\n",
                    r < 0         ? "reading the edited file failed"
                    : total > max ? "the edited file is larger than the limit; not saved"
                                  : "cannot write the edited file");
            close(fd);
            unlink(tmp);
            return -1;
        }
    }
    if (total == 0) {
        close(fd);
        unlink(tmp);
        return -2;
    }
    return fd;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"view-only", no_argument, NULL, 'v'},
                                         {"max-size", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    unsigned long long max = DEFAULT_MAX_SIZE;
    bool view_only = false;
    char tmp[PATH_MAX], *end;
    struct stat st;
    int o;

    while ((o = getopt_long(argc, argv, "vm:h", opts, NULL)) != -1) {
        switch (o) {
        case 'v':
            view_only = true;
            break;
        case 'm':
            errno = 0;
            max = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-') {
                fprintf(stderr, "qopen-in-vm: bad --max-size\n");
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "qopen-in-vm: %s: %s\n", path,
                fd < 0 ? strerror(errno) : "not a regular file");
        return 1;
    }
    /* the name line: our own file's name, but still only a name the
     * service accepts (a newline in it would end the line early) */
    char *pc = strdup(path), name[SVC_FILE_NAME_MAX + 1];
    if (!pc)
        return 1;
    const char *base = basename(pc);
    svc_file_name_or_default(base, strlen(base), name, sizeof(name));
    free(pc);
    size_t nl = strlen(name);
    name[nl] = '\n';
    if (io_write_full(1, name, nl + 1) < 0 || copy_fd(fd, 1) < 0) {
        fprintf(stderr, "qopen-in-vm: sending %s failed\n", path);
        return 1;
    }
    close(1); /* end of file for the service */
    if (view_only)
        return 0;

    int in = receive_reply(path, tmp, sizeof(tmp), max);
    if (in == -2)
        return 0; /* not changed */
    if (in < 0)
        return 1;
    if (!files_differ(in, fd)) {
        unlink(tmp);
        return 0;
    }
    if (fchmod(in, st.st_mode & 07777) < 0 || fsync(in) < 0 || rename(tmp, path) < 0) {
        fprintf(stderr, "qopen-in-vm: cannot put the edited file in place of %s: %s\n", path,
                strerror(errno));
        unlink(tmp);
        return 1;
    }
    fprintf(stderr, "qopen-in-vm: %s was changed in the other qube; saved\n", path);
    return 0;
}
