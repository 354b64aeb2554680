/* Local backend: start a qube's init in fresh namespaces (dom0, trusted).
 *
 * The child of clone() is PID 1 of a new PID namespace, with its own mount,
 * UTS, IPC and network namespaces. Its root is a tmpfs holding bind mounts of
 * the host's top-level directories (so the host's programs run), an empty
 * /proc for the init to mount, a private /run (with the socket vchan
 * directory bound in when it lives under /run) and
 * /run/bulkhead/disks/<vdev> bound to each disk (read-only binds for
 * read-only disks). A tmpfs root gives the qube places the host does not
 * have (/rw) without writing to the host's file systems.
 *
 * The child then blocks on a FIFO (the gate) until backend_unpause() writes
 * to it; only then does it exec the init. Everything the child needs is
 * computed before clone(): the parent may have threads, so the child only
 * makes system calls. */
#include "dom0/backend/backend_int.h"
#include "dom0/backend/local_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TOP 128

struct top_entry {
    char src[PATH_MAX], dst[PATH_MAX];
    char link[PATH_MAX]; /* symlink target */
    unsigned char type;  /* DT_DIR, DT_LNK, DT_REG */
    bool empty;          /* make the directory only (proc, run) */
};

struct child {
    const struct lspawn *a;
    int status_fd;
    struct top_entry *top;
    int ntop;
    char run[PATH_MAX];                    /* <newroot>/run */
    char disk_dir[PATH_MAX];               /* <newroot>/run/bulkhead/disks */
    char disk_dst[BE_MAX_DISKS][PATH_MAX]; /* <disk_dir>/<vdev> */
    char vchan_dst[PATH_MAX];              /* "" unless vchan_dir is under /run */
    char **argv, **envp;
};

/* Status to the parent: 'R' when waiting at the gate, or 'E', an errno and
 * the step that failed. */
static void child_fail(struct child *c, const char *step)
{
    char msg[128];
    int e = errno;
    size_t n = strlen(step);
    if (n > sizeof(msg) - 1 - sizeof(e))
        n = sizeof(msg) - 1 - sizeof(e);
    msg[0] = 'E';
    memcpy(msg + 1, &e, sizeof(e));
    memcpy(msg + 1 + sizeof(e), step, n);
    ssize_t w = write(c->status_fd, msg, 1 + sizeof(e) + n);
    (void)w;
    _exit(126);
}

/* mkdir -p inside the child (plain string work and system calls only). */
static int child_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int bind_file(const char *src, const char *dst, bool ro)
{
    int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    close(fd);
    if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
        return -1;
    if (ro && mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
        return -1;
    return 0;
}

/* Closes every descriptor but the three the child needs: the parent's
 * (qvmd's sockets, the state lock) must not stay open in a qube that waits
 * at its gate, perhaps long after the parent is gone. */
static void close_others(int a, int b, int c)
{
    int keep[3] = {a, b, c};
    for (int i = 0; i < 3; i++) /* sort three */
        for (int j = i + 1; j < 3; j++)
            if (keep[j] < keep[i]) {
                int t = keep[i];
                keep[i] = keep[j];
                keep[j] = t;
            }
    unsigned lo = 3;
    for (int i = 0; i < 3; i++) {
        if (keep[i] < (int)lo)
            continue;
        if ((unsigned)keep[i] > lo)
            syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0);
        lo = (unsigned)keep[i] + 1;
    }
    syscall(SYS_close_range, lo, ~0U, 0);
}

static void on_term_at_gate(int sig)
{
    (void)sig;
    _exit(0);
}

static int child_main(void *arg)
{
    struct child *c = arg;
    const struct lspawn *a = c->a;
    const struct be_spec *s = a->spec;

    /* Signal state survives exec: a blocked or ignored signal in the
     * creator (qvmd blocks some for its signalfd, ignores SIGPIPE) must not
     * become the init's, or SIGTERM would never end it. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    setsid();
    /* A PID 1 ignores signals it has no handler for; let a shutdown of a
     * qube that was never unpaused end it. exec resets this. */
    signal(SIGTERM, on_term_at_gate);
    /* O_RDWR: the gate has a reader from now on, so the unpausing process
     * can open it without blocking, even before we read. */
    int gate = open(a->gate, O_RDWR | O_CLOEXEC);
    if (gate < 0)
        child_fail(c, "open gate");
    close_others(gate, c->status_fd, a->log_fd);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        child_fail(c, "make mounts private");
    if (mount("tmpfs", a->newroot, "tmpfs", MS_NOSUID, "mode=0755") < 0)
        child_fail(c, "mount root tmpfs");
    for (int i = 0; i < c->ntop; i++) {
        struct top_entry *t = &c->top[i];
        if (t->type == DT_LNK) {
            if (symlink(t->link, t->dst) < 0)
                child_fail(c, t->dst);
        } else if (t->type == DT_DIR) {
            if (mkdir(t->dst, 0755) < 0)
                child_fail(c, t->dst);
            if (!t->empty && mount(t->src, t->dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                child_fail(c, t->dst);
        } else if (bind_file(t->src, t->dst, false) < 0) {
            child_fail(c, t->dst);
        }
    }
    if (child_mkdir_p(c->run) < 0 || mount("tmpfs", c->run, "tmpfs", MS_NOSUID, "mode=0755") < 0)
        child_fail(c, "mount /run");
    if (child_mkdir_p(c->disk_dir) < 0)
        child_fail(c, "mkdir /run/bulkhead/disks");
    for (int i = 0; i < s->ndisks; i++)
        if (bind_file(s->disks[i].target, c->disk_dst[i], !s->disks[i].rw) < 0)
            child_fail(c, s->disks[i].target);
    if (c->vchan_dst[0] && (child_mkdir_p(c->vchan_dst) < 0 ||
                            mount(a->vchan_dir, c->vchan_dst, NULL, MS_BIND, NULL) < 0))
        child_fail(c, "bind vchan dir");
    /* The well-known pivot_root(".", ".") form: the old root ends up on top
     * of the new one and is detached at once, so no directory is needed. */
    if (chdir(a->newroot) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
        umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        child_fail(c, "pivot_root");
    /* If the state dir was under a bound directory, a copy of the root
     * mount sits there too; it is no use to the qube. */
    umount2(a->newroot, MNT_DETACH);
    if (sethostname(s->name, strlen(s->name)) < 0)
        child_fail(c, "sethostname");
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(a->log_fd, 1) < 0 || dup2(a->log_fd, 2) < 0)
        child_fail(c, "console");
    ssize_t w = write(c->status_fd, "R", 1);
    (void)w;
    char go;
    ssize_t r;
    do
        r = read(gate, &go, 1);
    while (r < 0 && errno == EINTR);
    if (r != 1)
        _exit(126);
    /* The TERM handler stays until exec resets it: a shutdown that comes
     * now still ends the qube cleanly. (Between exec and the init's own
     * handler, a PID 1 drops SIGTERM; the caller's shutdown timeout and
     * destroy cover that window.) */
    execve(a->init, c->argv, c->envp);
    static const char msg[] = "bulkhead local backend: cannot run the init\n";
    w = write(2, msg, sizeof(msg) - 1);
    _exit(127);
}

/* The host's top-level entries as the child will recreate them. */
static int list_top(struct child *c, char *err, size_t errsz)
{
    DIR *d = opendir("/");
    if (!d)
        return be_err(err, errsz, "cannot list /: %s", strerror(errno));
    struct dirent *e;
    c->ntop = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (c->ntop == MAX_TOP) {
            closedir(d);
            return be_err(err, errsz, "too many entries in /");
        }
        struct top_entry *t = &c->top[c->ntop];
        struct stat st;
        snprintf(t->src, sizeof(t->src), "/%s", e->d_name);
        if (lstat(t->src, &st) < 0)
            continue;
        if (snprintf(t->dst, sizeof(t->dst), "%s/%s", c->a->newroot, e->d_name) >=
            (int)sizeof(t->dst))
            continue;
        t->empty = !strcmp(e->d_name, "proc") || !strcmp(e->d_name, "run");
        if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(t->src, t->link, sizeof(t->link) - 1);
            if (n < 0)
                continue;
            t->link[n] = 0;
            t->type = DT_LNK;
        } else if (S_ISDIR(st.st_mode)) {
            t->type = DT_DIR;
        } else if (S_ISREG(st.st_mode)) {
            t->type = DT_REG;
        } else {
            continue;
        }
        c->ntop++;
    }
    closedir(d);
    return 0;
}

static char **make_env(const struct lspawn *a)
{
    extern char **environ;
    static const char *const ours[] = {"VCHAN_DOMAIN=", "VCHAN_SOCKET_DIR=", "BULKHEAD_VCHAN=",
                                       "BULKHEAD_QUBE_NAME=", "BULKHEAD_QUBE_UUID="};
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    char **env = calloc(n + 6, sizeof(char *));
    if (!env)
        return NULL;
    size_t k = 0;
    for (char **e = environ; e && *e; e++) {
        bool skip = false;
        for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
            skip |= !strncmp(*e, ours[i], strlen(ours[i]));
        if (!skip)
            env[k++] = strdup(*e);
    }
    if (asprintf(&env[k++], "VCHAN_DOMAIN=%d", a->domid) < 0 ||
        asprintf(&env[k++], "VCHAN_SOCKET_DIR=%s", a->vchan_dir) < 0 ||
        asprintf(&env[k++], "BULKHEAD_VCHAN=socket") < 0 ||
        asprintf(&env[k++], "BULKHEAD_QUBE_NAME=%s", a->spec->name) < 0 ||
        asprintf(&env[k++], "BULKHEAD_QUBE_UUID=%s", a->spec->uuid) < 0)
        env[k - 1] = NULL;
    return env;
}

static void free_env(char **env)
{
    for (char **e = env; e && *e; e++)
        free(*e);
    free(env);
}

int lspawn_start(const struct lspawn *a, pid_t *pid, char *err, size_t errsz)
{
    const struct be_spec *s = a->spec;
    struct child *c = calloc(1, sizeof(*c));
    int rc = -1, sp[2] = {-1, -1};
    void *stack = MAP_FAILED;
    const size_t stack_size = 256 * 1024;
    char *argv[2] = {(char *)a->init, NULL};

    if (!c)
        return be_err(err, errsz, "out of memory");
    c->a = a;
    c->top = calloc(MAX_TOP, sizeof(*c->top));
    c->argv = argv;
    c->envp = make_env(a);
    if (!c->top || !c->envp) {
        be_err(err, errsz, "out of memory");
        goto out;
    }
    if (list_top(c, err, errsz) < 0)
        goto out;
    if (snprintf(c->run, sizeof(c->run), "%s/run", a->newroot) >= (int)sizeof(c->run) ||
        snprintf(c->disk_dir, sizeof(c->disk_dir), "%s/bulkhead/disks", c->run) >=
            (int)sizeof(c->disk_dir)) {
        be_err(err, errsz, "state directory path too long");
        goto out;
    }
    for (int i = 0; i < s->ndisks; i++) {
        const char *v = s->disks[i].vdev;
        if (!v[0] || strchr(v, '/') || v[0] == '.') {
            be_err(err, errsz, "bad disk name '%s'", v);
            goto out;
        }
        if (snprintf(c->disk_dst[i], sizeof(c->disk_dst[i]), "%s/%s", c->disk_dir, v) >=
            (int)sizeof(c->disk_dst[i])) {
            be_err(err, errsz, "state directory path too long");
            goto out;
        }
    }
    if (!strncmp(a->vchan_dir, "/run/", 5))
        snprintf(c->vchan_dst, sizeof(c->vchan_dst), "%s%s", a->newroot, a->vchan_dir);
    if (pipe2(sp, O_CLOEXEC) < 0) {
        be_err(err, errsz, "pipe: %s", strerror(errno));
        goto out;
    }
    c->status_fd = sp[1];
    stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                 -1, 0);
    if (stack == MAP_FAILED) {
        be_err(err, errsz, "mmap: %s", strerror(errno));
        goto out;
    }
    int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD;
    pid_t p = clone(child_main, (char *)stack + stack_size, flags, c);
    if (p < 0) {
        be_err(err, errsz, "clone: %s", strerror(errno));
        goto out;
    }
    close(sp[1]);
    sp[1] = -1;
    char msg[128];
    ssize_t n;
    do
        n = read(sp[0], msg, sizeof(msg) - 1);
    while (n < 0 && errno == EINTR);
    if (n == 1 && msg[0] == 'R') {
        *pid = p;
        rc = 0;
        goto out;
    }
    if (n > (ssize_t)(1 + sizeof(int)) && msg[0] == 'E') {
        int e;
        memcpy(&e, msg + 1, sizeof(e));
        msg[n] = 0;
        be_err(err, errsz, "setting up the namespace: %s: %s", msg + 1 + sizeof(e), strerror(e));
    } else {
        be_err(err, errsz, "the namespace's first process ended during set-up");
    }
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
out:
    if (stack != MAP_FAILED)
        munmap(stack, stack_size);
    if (sp[0] >= 0)
        close(sp[0]);
    if (sp[1] >= 0)
        close(sp[1]);
    free_env(c->envp);
    free(c->top);
    free(c);
    return rc;
}
