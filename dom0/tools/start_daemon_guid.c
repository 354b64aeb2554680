/* GUI daemons and their pid files; see start_daemon_guid.h. */
#include "dom0/tools/start_daemon_guid.h"

#include "qrexec/proto/qrexec_names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PID_PREFIX "guid."
#define PID_SUFFIX ".pid"

/* The daemons this process started, so it can reap them and know whose
 * they were; a small table (one entry per running qube). */
#define CHILDREN_MAX 1024
static struct {
    pid_t pid;
    char name[QADMIN_NAME_MAX];
} children[CHILDREN_MAX];

const char *guid_dir(void)
{
    static char dir[PATH_MAX];
    const char *rt = getenv("XDG_RUNTIME_DIR");

    /* the session's runtime folder; root outside a login session (a
     * dom0 without logind, the system tests) has none: /run/bulkhead */
    if (rt && *rt) {
        snprintf(dir, sizeof(dir), "%s/bulkhead", rt);
    } else if (getuid() == 0) {
        if (mkdir("/run/bulkhead", 0755) < 0 && errno != EEXIST)
            return NULL;
        snprintf(dir, sizeof(dir), "/run/bulkhead/guid");
    } else {
        snprintf(dir, sizeof(dir), "/run/user/%u/bulkhead", (unsigned)getuid());
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return NULL;
    return dir;
}

static bool pid_path(const char *name, char *path, size_t sz)
{
    const char *dir = guid_dir();

    return dir && (size_t)snprintf(path, sz, "%s/" PID_PREFIX "%s" PID_SUFFIX, dir, name) < sz;
}

/* Whether process pid is a GUI daemon for name: its command line has the
 * words "-N NAME" (a pid reused by something else is not ours to kill). */
static bool is_daemon_of(pid_t pid, const char *name)
{
    char path[64], buf[4096];
    ssize_t len;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (len <= 0)
        return false;
    buf[len] = '\0';
    for (const char *p = buf; p < buf + len; p += strlen(p) + 1)
        if (strcmp(p, "-N") == 0 && p + 3 < buf + len && strcmp(p + 3, name) == 0)
            return true;
    return false;
}

/* A process that is a zombie has exited: it no longer draws anything. */
static bool is_zombie(pid_t pid)
{
    char path[64], buf[512], *p;
    ssize_t len;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true;
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (len <= 0)
        return true;
    buf[len] = '\0';
    p = strrchr(buf, ')');
    return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

static pid_t read_pid(const char *path)
{
    char buf[32], *end;
    ssize_t len;
    long v;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0)
        return 0;
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (len <= 0)
        return 0;
    buf[len] = '\0';
    errno = 0;
    v = strtol(buf, &end, 10);
    if (errno || (*end && *end != '\n') || v <= 1 || v > INT_MAX)
        return 0;
    return (pid_t)v;
}

pid_t guid_running(const char *name)
{
    char path[PATH_MAX];
    pid_t pid;

    if (!pid_path(name, path, sizeof(path)))
        return 0;
    pid = read_pid(path);
    if (pid > 0 && !is_zombie(pid) && is_daemon_of(pid, name))
        return pid;
    unlink(path);
    return 0;
}

static void remember(pid_t pid, const char *name)
{
    for (size_t i = 0; i < CHILDREN_MAX; i++)
        if (children[i].pid == 0) {
            children[i].pid = pid;
            snprintf(children[i].name, sizeof(children[i].name), "%s", name);
            return;
        }
}

/* Forgets a child; its name copied to name if it was ours. */
static bool forget(pid_t pid, char *name, size_t namesz)
{
    for (size_t i = 0; i < CHILDREN_MAX; i++)
        if (children[i].pid == pid) {
            if (name)
                snprintf(name, namesz, "%s", children[i].name);
            children[i].pid = 0;
            return true;
        }
    return false;
}

pid_t guid_start(const char *prog, const struct sd_qube *q, char *err, size_t errsz)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8], xid[16], color[16], index[16], line[32];
    int fd, sync[2];
    pid_t pid;
    ssize_t got;

    if (!pid_path(q->name, path, sizeof(path))) {
        snprintf(err, errsz, "no folder for pid files: %s", strerror(errno));
        return -1;
    }
    snprintf(xid, sizeof(xid), "%d", q->xid);
    snprintf(color, sizeof(color), "0x%06x", q->color & 0xffffffu);
    snprintf(index, sizeof(index), "%u", q->label_index);
    /* the child tells us through a close-on-exec pipe whether exec worked */
    if (pipe2(sync, O_CLOEXEC) < 0) {
        snprintf(err, errsz, "pipe: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errsz, "fork: %s", strerror(errno));
        close(sync[0]);
        close(sync[1]);
        return -1;
    }
    if (pid == 0) {
        int e, nul = open("/dev/null", O_RDWR);
        close(sync[0]);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            if (nul > 2)
                close(nul);
        }
        setsid(); /* a Ctrl+C in our terminal is not the daemon's */
        signal(SIGPIPE, SIG_DFL);
        /* --foreground: the pid we record and reap is the daemon itself */
        execlp(prog, prog, "-d", xid, "-N", q->name, "-c", color, "-l", index, "--foreground",
               (char *)NULL);
        e = errno;
        if (write(sync[1], &e, sizeof(e)) < 0)
            _exit(127);
        _exit(127);
    }
    close(sync[1]);
    {
        int e = 0;
        do
            got = read(sync[0], &e, sizeof(e));
        while (got < 0 && errno == EINTR);
        close(sync[0]);
        if (got == (ssize_t)sizeof(e)) {
            waitpid(pid, NULL, 0);
            snprintf(err, errsz, "cannot run %s: %s", prog, strerror(e));
            return -1;
        }
    }
    remember(pid, q->name);
    /* written whole under another name, then renamed: a reader never sees
     * half a pid */
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    snprintf(line, sizeof(line), "%d\n", (int)pid);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line) || close(fd) < 0 ||
        rename(tmp, path) < 0) {
        snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        /* a daemon we cannot find again is one we must not leave behind */
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        forget(pid, NULL, 0);
        return -1;
    }
    return pid;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Whether pid is gone, reaping it if it is our child. */
static bool gone(pid_t pid)
{
    pid_t r = waitpid(pid, NULL, WNOHANG);

    if (r == pid) {
        forget(pid, NULL, 0);
        return true;
    }
    if (r < 0 && errno == ECHILD) /* not ours: init reaps it */
        return kill(pid, 0) < 0 || is_zombie(pid);
    return false;
}

pid_t guid_stop(const char *name)
{
    char path[PATH_MAX];
    pid_t pid = guid_running(name);

    if (pid <= 0)
        return 0;
    kill(pid, SIGTERM);
    /* a daemon gets 5 s to take its windows down before SIGKILL */
    for (int i = 0; i < 50 && !gone(pid); i++)
        sleep_ms(100);
    if (!gone(pid)) {
        kill(pid, SIGKILL);
        while (!gone(pid))
            sleep_ms(20);
    }
    if (pid_path(name, path, sizeof(path)) && read_pid(path) == pid)
        unlink(path);
    return pid;
}

void guid_reap(void (*done)(const char *name, pid_t pid, int status))
{
    char name[QADMIN_NAME_MAX], path[PATH_MAX];
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (!forget(pid, name, sizeof(name)))
            continue;
        if (pid_path(name, path, sizeof(path)) && read_pid(path) == pid)
            unlink(path);
        if (done)
            done(name, pid, status);
    }
}

void guid_each(void (*fn)(const char *name, void *ctx), void *ctx)
{
    const char *dir = guid_dir();
    struct dirent **ents;
    int n = dir ? scandir(dir, &ents, NULL, alphasort) : -1;
    size_t pl = strlen(PID_PREFIX), sl = strlen(PID_SUFFIX);

    for (int i = 0; i < n; i++) {
        const char *f = ents[i]->d_name;
        size_t len = strlen(f);
        char name[QADMIN_NAME_MAX];
        if (len > pl + sl && len - pl - sl < sizeof(name) && !strncmp(f, PID_PREFIX, pl) &&
            !strcmp(f + len - sl, PID_SUFFIX)) {
            memcpy(name, f + pl, len - pl - sl);
            name[len - pl - sl] = '\0';
            if (qrexec_valid_vm_name(name))
                fn(name, ctx);
        }
        free(ents[i]);
    }
    if (n >= 0)
        free(ents);
}
