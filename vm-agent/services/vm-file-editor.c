/* vm-file-editor (VM): the body of qubes.OpenInVM. Another qube sends a
 * file: its base name on the first line, then its content. We write it in
 * a fresh private directory, open it with xdg-open (or mimeopen), wait for
 * the viewer or editor to exit and, if the file changed, send the new
 * content back on stdout, so the caller gets the edits. Then the directory
 * goes, whatever the program left in it.
 *
 * The name is hostile: svc_file_name_or_default() lets through only a
 * plain name (no '/', no controls, valid UTF-8, not "." or ".."), and puts
 * a safe default in its place otherwise, so the file lands inside our
 * directory whatever was sent. The content is bounded (--max-size).
 *
 * Exit: 0 done; 1 refused or failed (nothing opened); the opener's status
 * if it failed (changes are still sent back). */
#include "lib/io.h"
#include "lib/log.h"
#include "vm-agent/services/fileutil.h"
#include "vm-agent/services/validate.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdnoreturn.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_MAX_SIZE (512ULL << 20)
#define CHUNK            65536

static char tmpdir[PATH_MAX];

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st, (void)f;
    if (type == FTW_DP)
        return rmdir(path) < 0 ? -1 : 0;
    return unlink(path) < 0 ? -1 : 0;
}

static void cleanup(void)
{
    if (tmpdir[0] && nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
        fprintf(stderr, "vm-file-editor: cannot remove %s: %s\n", tmpdir, strerror(errno));
    tmpdir[0] = '\0';
}

static noreturn void fail(const char *what)
{
    fprintf(stderr, "vm-file-editor: %s\n", what);
    cleanup();
    exit(1);
}

/* The first line, without its '\n', into line (at most SVC_FILE_NAME_MAX
 * bytes). Byte by byte: the content that follows stays in the pipe. */
static ssize_t read_name_line(char *line)
{
    size_t n = 0;
    char c;

    for (;;) {
        ssize_t r = read(0, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1; /* EOF before the end of the name line */
        if (c == '\n')
            return (ssize_t)n;
        if (n == SVC_FILE_NAME_MAX)
            return -1;
        line[n++] = c;
    }
}

/* Where the private directory goes: the user's runtime directory if it
 * is one, else $TMPDIR, else /tmp. */
static const char *temp_base(void)
{
    const char *c[] = {getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR")};
    struct stat st;

    for (size_t i = 0; i < 2; i++)
        if (c[i] && c[i][0] == '/' && stat(c[i], &st) == 0 && S_ISDIR(st.st_mode) &&
            access(c[i], W_OK) == 0)
            return c[i];
    return "/tmp";
}

/* A nameless copy of the content, to compare with afterwards. */
static int orig_copy(void)
{
    char path[sizeof(tmpdir) + 16];
    int fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    if (fd >= 0)
        return fd;
    snprintf(path, sizeof(path), "%s/.orig-XXXXXX", tmpdir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* Copies stdin into both files, at most max bytes. */
static void receive(int fd, int copy, unsigned long long max)
{
    static char buf[CHUNK];
    unsigned long long total = 0;
    ssize_t r;

    while ((r = read(0, buf, sizeof(buf))) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            fail("reading the file from the caller failed");
        total += (unsigned long long)r;
        if (total > max)
            fail("refused: the file is larger than the limit");
        if (io_write_full(fd, buf, (size_t)r) < 0 || io_write_full(copy, buf, (size_t)r) < 0)
            fail("cannot write the file");
    }
}

/* Runs the opener on path and waits for it. Its status, or 127. */
static int open_and_wait(const char *path)
{
    int st;
    pid_t pid = fork();

    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(2, 1); /* our stdout carries the edited file, nothing else */
        execlp("xdg-open", "xdg-open", path, (char *)NULL);
        execlp("mimeopen", "mimeopen", "-n", path, (char *)NULL);
        fprintf(stderr, "vm-file-editor: neither xdg-open nor mimeopen can be run\n");
        _exit(127);
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 127;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"max-size", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'}, {0}};
    char untrusted_name[SVC_FILE_NAME_MAX + 1], name[SVC_FILE_NAME_MAX + 1];
    char path[sizeof(tmpdir) + SVC_FILE_NAME_MAX + 2];
    unsigned long long max = DEFAULT_MAX_SIZE;
    char *end;
    int o;

    while ((o = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
        switch (o) {
        case 'm':
            errno = 0;
            max = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-') {
                fprintf(stderr, "vm-file-editor: bad --max-size\n");
                return 2;
            }
            break;
        case 'h':
            printf("usage: vm-file-editor [--max-size BYTES] < NAME-LINE CONTENT\n"
                   "Opens the file sent on stdin; sends it back if it was changed.\n");
            return 0;
        default:
            return 2;
        }
    }
    ssize_t n = read_name_line(untrusted_name);
    if (n < 0)
        fail("refused: no file name line (at most 255 bytes, then a newline)");
    /* sanitize start */
    if (!svc_file_name_or_default(untrusted_name, (size_t)n, name, sizeof(name)))
        fprintf(stderr, "vm-file-editor: unusable file name \"%s\"; using \"%s\"\n",
                LOG_UNTRUSTED(untrusted_name, (size_t)n), name);
    /* sanitize end */

    if ((size_t)snprintf(tmpdir, sizeof(tmpdir), "%s/qubes-open-XXXXXX", temp_base()) >=
            sizeof(tmpdir) ||
        !mkdtemp(tmpdir)) { /* mode 0700 */
        tmpdir[0] = '\0';
        fail("cannot make a private directory");
    }
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    int copy = orig_copy();
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (copy < 0 || fd < 0)
        fail("cannot create the file");
    receive(fd, copy, max);
    close(fd);

    int status = open_and_wait(path);
    if (status)
        fprintf(stderr, "vm-file-editor: the program that opened the file ended with status %d\n",
                status);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && files_differ(fd, copy) && copy_fd(fd, 1) < 0)
        fail("cannot send the edited file back");
    cleanup();
    return status;
}
