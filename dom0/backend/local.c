/* The local backend: qubes as process trees in Linux namespaces (dom0,
 * trusted). For development and tests on machines without Xen; it is NOT a
 * security boundary (docs/backends.md).
 *
 * A qube's "domid" is a small number handed out lowest-free from 1 under a
 * lock file, and its state file <state_dir>/<domid> names the init's pid and
 * start time, so a fresh process finds the same qubes. Deaths are seen
 * through pidfds (they work for processes that are not our children, as
 * after a qvmd restart) gathered in one epoll set, which is the event fd. */
#include "dom0/backend/backend_int.h"
#include "dom0/backend/local_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LOCAL_DOMS  1024
#define DEFAULT_STATE   "/run/bulkhead/local"
#define DEFAULT_VCHAN   "/var/run/vchan"
#define DEFAULT_INIT    "/usr/lib/bulkhead/bulkhead-local-init"
#define FREEZE_WAIT_MS  10000
#define RELEASE_WAIT_MS 10000

struct watched {
    int domid;
    struct lstate st;
    int pidfd;
};

struct local {
    struct backend base;
    pthread_mutex_t mu;
    char state_dir[PATH_MAX], vchan_dir[PATH_MAX], init[PATH_MAX];
    char cgroup_base[PATH_MAX]; /* "" when cgroup v2 is not usable */
    int epfd;
    struct watched *w;
    int nw;
};

static int pidfd_open_(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int pidfd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int write_file(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, s, strlen(s));
    int e = errno;
    close(fd);
    return n == (ssize_t)strlen(s) ? 0 : -(n < 0 ? e : EIO);
}

/* A small file has the line want, e.g. "frozen 1" in cgroup.events. */
static bool file_has_line(const char *path, const char *want)
{
    char buf[512];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (!strcmp(line, want))
            return true;
    return false;
}

/* Where qube cgroups go: a child of our own cgroup v2 group (no controllers
 * are needed for the freezer, so this works inside a systemd service too). */
static void find_cgroup_base(struct local *l)
{
    char line[PATH_MAX + 256], mnt[PATH_MAX] = "", own[PATH_MAX] = "";
    l->cgroup_base[0] = 0;
    /* Lets the tests exercise the signal fallback on a machine with cgroup v2. */
    if (getenv("BULKHEAD_LOCAL_NO_CGROUP"))
        return;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    while (f && fgets(line, sizeof(line), f)) {
        char *sep = strstr(line, " - cgroup2 ");
        char point[PATH_MAX];
        if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1) {
            snprintf(mnt, sizeof(mnt), "%s", point);
            break;
        }
    }
    if (f)
        fclose(f);
    f = fopen("/proc/self/cgroup", "re");
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "0::", 3)) {
            line[strcspn(line, "\n")] = 0;
            if (snprintf(own, sizeof(own), "%s", line + 3) >= (int)sizeof(own))
                own[0] = 0;
        }
    if (f)
        fclose(f);
    if (!mnt[0])
        return;
    char probe[PATH_MAX];
    if (snprintf(l->cgroup_base, sizeof(l->cgroup_base), "%s%s", mnt,
                 strcmp(own, "/") ? own : "") >= (int)sizeof(l->cgroup_base) ||
        snprintf(probe, sizeof(probe), "%s/cgroup.procs", l->cgroup_base) >= (int)sizeof(probe) ||
        access(probe, W_OK) < 0)
        l->cgroup_base[0] = 0;
}

static int lock_state(struct local *l)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/.lock", l->state_dir) >= (int)sizeof(path))
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    return fd;
}

static void unlock_state(int fd)
{
    if (fd >= 0)
        close(fd); /* drops the flock */
}

static struct watched *find_watched(struct local *l, int domid)
{
    for (int i = 0; i < l->nw; i++)
        if (l->w[i].domid == domid)
            return &l->w[i];
    return NULL;
}

/* Watches a live domain (caller holds mu). 0 or -errno. */
static int watch(struct local *l, int domid, const struct lstate *st)
{
    if (find_watched(l, domid))
        return 0;
    if (l->nw == MAX_LOCAL_DOMS)
        return -ENOSPC;
    int fd = pidfd_open_(st->pid);
    if (fd < 0)
        return -errno;
    /* The pid may have been reused between the check and the open. */
    if (!lstate_alive(st)) {
        close(fd);
        return -ESRCH;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)domid};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    l->w[l->nw++] = (struct watched){.domid = domid, .st = *st, .pidfd = fd};
    return 0;
}

/* Forgets a domain that is gone: reaps it if it was our child, removes its
 * files (caller holds mu). */
static void unwatch(struct local *l, struct watched *w)
{
    siginfo_t si;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->pidfd, NULL);
    /* Fails with ECHILD when another process started it: nothing to reap. */
    waitid((idtype_t)3 /* P_PIDFD */, (id_t)w->pidfd, &si, WEXITED | WNOHANG);
    close(w->pidfd);
    int lk = lock_state(l);
    lstate_remove(l->state_dir, w->domid, &w->st);
    unlock_state(lk);
    *w = l->w[--l->nw];
}

/* The state of a live domain, or -1 with err; also watches it. */
static int get_live(struct local *l, int domid, struct lstate *st, char *err, size_t errsz)
{
    struct watched *w = find_watched(l, domid);
    if (w) {
        *st = w->st;
        if (lstate_alive(st))
            return 0;
        return be_err(err, errsz, "domain %d is gone", domid);
    }
    if (lstate_read(l->state_dir, domid, st) < 0 || !lstate_alive(st))
        return be_err(err, errsz, "no domain %d", domid);
    watch(l, domid, st);
    return 0;
}

static struct backend *local_open(const struct be_opts *o, char *err, size_t errsz)
{
    struct local *l = calloc(1, sizeof(*l));
    if (!l) {
        be_err(err, errsz, "out of memory");
        return NULL;
    }
    l->base.ops = &be_local_ops;
    l->epfd = -1;
    pthread_mutex_init(&l->mu, NULL);
    const char *sd = o->state_dir && *o->state_dir ? o->state_dir : DEFAULT_STATE;
    const char *vd = o->vchan_dir && *o->vchan_dir ? o->vchan_dir : getenv("VCHAN_SOCKET_DIR");
    const char *in = o->local_init && *o->local_init ? o->local_init : DEFAULT_INIT;
    if (!vd || !*vd)
        vd = DEFAULT_VCHAN;
    if (mkdir_p(sd) < 0 || mkdir_p(vd) < 0) {
        be_err(err, errsz, "cannot create %s or %s: %s", sd, vd, strerror(errno));
        goto fail;
    }
    /* Any process of a qube may serve a data link (qrexec-client-vm runs
     * as the qube's user), as any may share pages on Xen: sticky and open
     * to all, like /tmp (the local backend is no security boundary). */
    if (chmod(vd, 01777) < 0) {
        be_err(err, errsz, "cannot open %s to the qubes' users: %s", vd, strerror(errno));
        goto fail;
    }
    /* Absolute, resolved paths: the qube sees them from another root. */
    if (!realpath(sd, l->state_dir) || !realpath(vd, l->vchan_dir)) {
        be_err(err, errsz, "cannot resolve %s or %s: %s", sd, vd, strerror(errno));
        goto fail;
    }
    if (!realpath(in, l->init) || access(l->init, X_OK) < 0) {
        be_err(err, errsz, "the local init %s is not an executable: %s", in, strerror(errno));
        goto fail;
    }
    l->w = calloc(MAX_LOCAL_DOMS, sizeof(*l->w));
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!l->w || l->epfd < 0) {
        be_err(err, errsz, "cannot set up the death watch: %s", strerror(errno));
        goto fail;
    }
    find_cgroup_base(l);
    /* Watch what runs already (qvmd restarted), so deaths are reported. */
    struct be_dom *tmp = calloc(MAX_LOCAL_DOMS, sizeof(*tmp));
    int n = tmp ? be_local_ops.list(&l->base, tmp, MAX_LOCAL_DOMS, err, errsz)
                : be_err(err, errsz, "out of memory");
    free(tmp);
    if (n < 0)
        goto fail;
    return &l->base;
fail:
    if (l->epfd >= 0)
        close(l->epfd);
    free(l->w);
    pthread_mutex_destroy(&l->mu);
    free(l);
    return NULL;
}

static void local_close(struct backend *b)
{
    struct local *l = (struct local *)b;
    /* The qubes keep running: closing the backend is not stopping them. */
    for (int i = 0; i < l->nw; i++)
        close(l->w[i].pidfd);
    close(l->epfd);
    free(l->w);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

/* The lowest domid no live qube holds and no unreaped one of ours (caller
 * holds mu and the state lock). Files of qubes that ended while nobody
 * watched them are removed on the way. */
static int alloc_domid(struct local *l)
{
    for (int cand = 1; cand <= MAX_LOCAL_DOMS; cand++) {
        struct lstate st;
        if (find_watched(l, cand))
            continue;
        int e = lstate_read(l->state_dir, cand, &st);
        if (e == 0 && lstate_alive(&st))
            continue;
        if (e == 0)
            lstate_remove(l->state_dir, cand, &st);
        return cand;
    }
    return -ENOSPC;
}

static int local_create_paused(struct backend *b, const struct be_spec *s, int *domid, char *err,
                               size_t errsz)
{
    struct local *l = (struct local *)b;
    char gate[PATH_MAX], root[PATH_MAX], logp[PATH_MAX];
    int rc = -1, logfd = -1, d;
    pid_t pid = 0;

    if (!s->name[0] || strchr(s->name, '/'))
        return be_err(err, errsz, "bad qube name");
    if (s->ndisks < 0 || s->ndisks > BE_MAX_DISKS)
        return be_err(err, errsz, "bad disk count %d", s->ndisks);
    for (int i = 0; i < s->ndisks; i++)
        if (access(s->disks[i].target, s->disks[i].rw ? R_OK | W_OK : R_OK) < 0)
            return be_err(err, errsz, "disk %s: %s: %s", s->disks[i].vdev, s->disks[i].target,
                          strerror(errno));
    pthread_mutex_lock(&l->mu);
    int lk = lock_state(l);
    if (lk < 0) {
        be_err(err, errsz, "cannot lock %s: %s", l->state_dir, strerror(errno));
        goto out;
    }
    d = alloc_domid(l);
    if (d < 0) {
        be_err(err, errsz, "no free domid (%d qubes run)", MAX_LOCAL_DOMS);
        goto out;
    }
    int len = s->console_log[0]
                  ? snprintf(logp, sizeof(logp), "%s", s->console_log)
                  : snprintf(logp, sizeof(logp), "%s/guest-%s.log", l->state_dir, s->name);
    if (len < 0 || len >= (int)sizeof(logp)) {
        be_err(err, errsz, "console log path too long");
        goto out;
    }
    logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (logfd < 0) {
        be_err(err, errsz, "console log %s: %s", logp, strerror(errno));
        goto out;
    }
    lstate_path(gate, sizeof(gate), l->state_dir, d, "gate");
    lstate_path(root, sizeof(root), l->state_dir, d, "root");
    unlink(gate);
    if (mkfifo(gate, 0600) < 0 || (mkdir(root, 0700) < 0 && errno != EEXIST)) {
        be_err(err, errsz, "%s: %s", gate, strerror(errno));
        goto out;
    }
    struct lspawn a = {.spec = s,
                       .domid = d,
                       .init = l->init,
                       .vchan_dir = l->vchan_dir,
                       .gate = gate,
                       .newroot = root,
                       .log_fd = logfd};
    if (lspawn_start(&a, &pid, err, errsz) < 0) {
        unlink(gate);
        rmdir(root);
        goto out;
    }
    struct lstate st = {.pid = pid};
    snprintf(st.name, sizeof(st.name), "%s", s->name);
    lstate_proc_start(pid, &st.start);
    for (int i = 0; i < s->ndisks; i++)
        if (s->disks[i].rw)
            snprintf(st.disks[st.ndisks++], sizeof(st.disks[0]), "%s", s->disks[i].target);
    if (l->cgroup_base[0]) {
        char procs[PATH_MAX + 32], pidstr[32];
        if (snprintf(st.cgroup, sizeof(st.cgroup), "%s/bulkhead-qube-%d", l->cgroup_base,
                     (int)pid) >= (int)sizeof(st.cgroup))
            st.cgroup[0] = 0;
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", st.cgroup);
        snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
        /* Without its own group the qube still runs; pause then uses signals. */
        if (!st.cgroup[0] || mkdir(st.cgroup, 0755) < 0 || write_file(procs, pidstr) < 0) {
            rmdir(st.cgroup);
            st.cgroup[0] = 0;
        }
    }
    int e = lstate_write(l->state_dir, d, &st);
    if (e == 0)
        e = watch(l, d, &st);
    if (e < 0) {
        be_err(err, errsz, "recording domain %d: %s", d, strerror(-e));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        lstate_remove(l->state_dir, d, &st);
        goto out;
    }
    *domid = d;
    rc = 0;
out:
    if (logfd >= 0)
        close(logfd);
    unlock_state(lk);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

/* SIGSTOP/SIGCONT to every process in the init's PID namespace: the pause
 * without a cgroup freezer. */
static int signal_namespace(const struct lstate *st, int sig)
{
    char path[64], ns[64], other[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)st->pid);
    ssize_t n = readlink(path, ns, sizeof(ns) - 1);
    if (n < 0)
        return -errno;
    ns[n] = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return -errno;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        if (snprintf(path, sizeof(path), "/proc/%s/ns/pid", e->d_name) >= (int)sizeof(path))
            continue;
        n = readlink(path, other, sizeof(other) - 1);
        if (n < 0)
            continue;
        other[n] = 0;
        if (!strcmp(ns, other))
            kill(atoi(e->d_name), sig);
    }
    closedir(d);
    return 0;
}

static int set_frozen(const struct lstate *st, bool frozen, char *err, size_t errsz)
{
    char path[PATH_MAX + 32];
    if (!st->cgroup[0]) {
        int e = signal_namespace(st, frozen ? SIGSTOP : SIGCONT);
        return e < 0 ? be_err(err, errsz, "signalling the qube: %s", strerror(-e)) : 0;
    }
    snprintf(path, sizeof(path), "%s/cgroup.freeze", st->cgroup);
    int e = write_file(path, frozen ? "1" : "0");
    if (e < 0)
        return be_err(err, errsz, "%s: %s", path, strerror(-e));
    /* Freezing completes asynchronously; "paused" should mean stopped. */
    snprintf(path, sizeof(path), "%s/cgroup.events", st->cgroup);
    for (int ms = 0; ms < FREEZE_WAIT_MS; ms += 10) {
        if (file_has_line(path, frozen ? "frozen 1" : "frozen 0"))
            return 0;
        sleep_ms(10);
    }
    return be_err(err, errsz, "the qube's cgroup did not %s", frozen ? "freeze" : "thaw");
}

static int local_unpause(struct backend *b, int domid, char *err, size_t errsz)
{
    struct local *l = (struct local *)b;
    struct lstate st;
    char gate[PATH_MAX];
    pthread_mutex_lock(&l->mu);
    int rc = get_live(l, domid, &st, err, errsz);
    if (rc == 0) {
        lstate_path(gate, sizeof(gate), l->state_dir, domid, "gate");
        int fd = open(gate, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            /* First unpause: let the init start. */
            ssize_t n = write(fd, "G", 1);
            close(fd);
            if (n != 1)
                rc = be_err(err, errsz, "cannot open the gate of domain %d", domid);
            else
                unlink(gate);
        } else if (errno != ENOENT) {
            rc = be_err(err, errsz, "%s: %s", gate, strerror(errno));
        } else {
            rc = set_frozen(&st, false, err, errsz);
        }
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static int local_pause(struct backend *b, int domid, char *err, size_t errsz)
{
    struct local *l = (struct local *)b;
    struct lstate st;
    char gate[PATH_MAX];
    pthread_mutex_lock(&l->mu);
    int rc = get_live(l, domid, &st, err, errsz);
    lstate_path(gate, sizeof(gate), l->state_dir, domid, "gate");
    if (rc == 0 && access(gate, F_OK) < 0) /* still at the gate: paused already */
        rc = set_frozen(&st, true, err, errsz);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static int local_shutdown(struct backend *b, int domid, char *err, size_t errsz)
{
    struct local *l = (struct local *)b;
    struct lstate st;
    char mark[PATH_MAX];
    pthread_mutex_lock(&l->mu);
    int rc = get_live(l, domid, &st, err, errsz);
    if (rc == 0) {
        struct watched *w = find_watched(l, domid);
        if (!w || pidfd_signal(w->pidfd, SIGTERM) < 0)
            rc = be_err(err, errsz, "cannot signal domain %d: %s", domid, strerror(errno));
        lstate_path(mark, sizeof(mark), l->state_dir, domid, "shutdown");
        int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

/* True while a loop device is still backed by path (a qube's rw image). */
static bool loop_busy(const char *path)
{
    char p[128], buf[4200];
    for (int i = 0; i < 256; i++) {
        snprintf(p, sizeof(p), "/sys/block/loop%d/loop/backing_file", i);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        if (!strcmp(buf, path))
            return true;
    }
    return false;
}

static int local_destroy(struct backend *b, int domid, char *err, size_t errsz)
{
    struct local *l = (struct local *)b;
    struct lstate st;
    pthread_mutex_lock(&l->mu);
    int rc = get_live(l, domid, &st, err, errsz);
    struct watched *w = find_watched(l, domid);
    if (rc < 0 && w) {
        /* It ended before we got here: gone is what destroy promises, and
         * reap will not report it again. */
        unwatch(l, w);
        pthread_mutex_unlock(&l->mu);
        return 0;
    }
    if (rc < 0 || !w) {
        rc = rc < 0 ? rc : be_err(err, errsz, "domain %d is not watched", domid);
        pthread_mutex_unlock(&l->mu);
        return rc;
    }
    /* SIGKILL to a PID namespace's init kills every process in it. */
    if (pidfd_signal(w->pidfd, SIGKILL) < 0 && errno != ESRCH) {
        rc = be_err(err, errsz, "cannot kill domain %d: %s", domid, strerror(errno));
        pthread_mutex_unlock(&l->mu);
        return rc;
    }
    struct pollfd pfd = {.fd = w->pidfd, .events = POLLIN};
    while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
        ;
    /* The qube's mounts go with its last process; wait for the loop devices
     * on its images to be released, so that the next start of the same
     * qube never has the file system mounted twice. */
    for (int i = 0; i < st.ndisks; i++)
        for (int ms = 0; ms < RELEASE_WAIT_MS && loop_busy(st.disks[i]); ms += 20)
            sleep_ms(20);
    unwatch(l, w);
    pthread_mutex_unlock(&l->mu);
    return 0;
}

static enum be_state state_of(struct local *l, int domid, const struct lstate *st)
{
    char path[PATH_MAX + 32];
    lstate_path(path, sizeof(path), l->state_dir, domid, "shutdown");
    if (access(path, F_OK) == 0)
        return BE_SHUTTING_DOWN;
    lstate_path(path, sizeof(path), l->state_dir, domid, "gate");
    if (access(path, F_OK) == 0)
        return BE_PAUSED;
    if (st->cgroup[0]) {
        snprintf(path, sizeof(path), "%s/cgroup.freeze", st->cgroup);
        return file_has_line(path, "1") ? BE_PAUSED : BE_RUNNING;
    }
    char stat[64], buf[512];
    snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)st->pid);
    int fd = open(stat, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return BE_GONE;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'T' ? BE_PAUSED : BE_RUNNING;
}

static int local_list(struct backend *b, struct be_dom *out, int max, char *err, size_t errsz)
{
    struct local *l = (struct local *)b;
    int ids[MAX_LOCAL_DOMS], k = 0;
    pthread_mutex_lock(&l->mu);
    int n = lstate_scan(l->state_dir, ids, MAX_LOCAL_DOMS);
    if (n < 0) {
        pthread_mutex_unlock(&l->mu);
        return be_err(err, errsz, "cannot read %s: %s", l->state_dir, strerror(-n));
    }
    for (int i = 0; i < n && k < max; i++) {
        struct lstate st;
        if (lstate_read(l->state_dir, ids[i], &st) < 0 || !lstate_alive(&st))
            continue;
        watch(l, ids[i], &st);
        out[k].domid = ids[i];
        snprintf(out[k].name, sizeof(out[k].name), "%s", st.name);
        out[k].state = state_of(l, ids[i], &st);
        k++;
    }
    pthread_mutex_unlock(&l->mu);
    return k;
}

static int local_event_fd(struct backend *b)
{
    return ((struct local *)b)->epfd;
}

static int local_reap(struct backend *b, int *domids, int max)
{
    struct local *l = (struct local *)b;
    struct epoll_event ev[64];
    int k = 0;
    if (max > 64)
        max = 64;
    pthread_mutex_lock(&l->mu);
    int n = max > 0 ? epoll_wait(l->epfd, ev, max, 0) : 0;
    for (int i = 0; i < n; i++) {
        struct watched *w = find_watched(l, (int)ev[i].data.u32);
        if (!w)
            continue;
        domids[k++] = w->domid;
        unwatch(l, w);
    }
    pthread_mutex_unlock(&l->mu);
    return k;
}

const struct be_ops be_local_ops = {
    .name = "local",
    .open = local_open,
    .close = local_close,
    .create_paused = local_create_paused,
    .unpause = local_unpause,
    .pause = local_pause,
    .shutdown = local_shutdown,
    .destroy = local_destroy,
    .list = local_list,
    .event_fd = local_event_fd,
    .reap = local_reap,
};
