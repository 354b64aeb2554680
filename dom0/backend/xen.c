/* The xen backend: qubes as Xen domains through libxl (dom0, trusted).
 *
 * libxl is used directly (no libvirt): create paused, unpause, pause,
 * shutdown, destroy, list. Deaths are watched with libxl domain-death
 * events, run by one thread of ours through libxl_osevent_beforepoll/
 * afterpoll (so that closing the backend can wake and stop it); the thread
 * turns them into domids on a pipe, the event fd. Because every domain is
 * configured with on_poweroff/reboot/crash = destroy and libxl leaves that
 * to the toolstack, the thread destroys a domain that shut down itself.
 *
 * The guest console: xenconsoled started with --log=guest writes
 * /var/log/xen/console/guest-<name>.log; when be_spec.console_log is set,
 * it is made a symlink to that file. */
#include "dom0/backend/backend_int.h"
#include "dom0/backend/xen_config.h"

#include <errno.h>
#include <fcntl.h>
#include <libxl_utils.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <xentoollog.h>

#include "lib/log.h"

#define MAX_XEN_DOMS 1024
#define MAX_GONE     1024
#define CONSOLE_DIR  "/var/log/xen/console"

/* libxl's messages into lib/log (daemons log through it). */
struct xlog {
    xentoollog_logger vtable;
};

struct xdom {
    int domid;
    libxl_evgen_domain_death *gen;
};

struct xen {
    struct backend base;
    struct xlog logger;
    libxl_ctx *ctx;
    bool hide_rdtscp;
    pthread_mutex_t mu;
    struct xdom doms[MAX_XEN_DOMS];
    int ndoms;
    int gone[MAX_GONE];
    int ngone;
    int evpipe[2]; /* [0] is the event fd */
    int wake[2];   /* wakes the event thread at close */
    bool stop;
    pthread_t thread;
    bool thread_started;
};

static void xlog_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
                          const char *context, const char *format, va_list al)
{
    (void)lg;
    char msg[1024];
    vsnprintf(msg, sizeof(msg), format, al);
    const char *ctx = context ? context : "libxl";
    const char *e = errnoval >= 0 ? strerror(errnoval) : NULL;
    if (level >= XTL_WARN)
        log_warnx("%s: %s%s%s", ctx, msg, e ? ": " : "", e ? e : "");
    else if (level >= XTL_INFO)
        log_info("%s: %s", ctx, msg);
    else
        log_debug("%s: %s", ctx, msg);
}

static void xlog_progress(xentoollog_logger *lg, const char *context, const char *doing_what,
                          int percent, unsigned long done, unsigned long total)
{
    (void)lg;
    (void)done;
    (void)total;
    log_debug("%s: %s %d%%", context ? context : "libxl", doing_what, percent);
}

static void xlog_destroy(xentoollog_logger *lg)
{
    (void)lg; /* embedded in struct xen */
}

static const char *xl_err(int rc)
{
    /* libxl's error codes are small negative numbers; name the usual ones. */
    switch (rc) {
    case ERROR_NOMEM:
        return "out of memory";
    case ERROR_INVAL:
        return "invalid argument";
    case ERROR_DOMAIN_NOTFOUND:
        return "no such domain";
    case ERROR_NOPARAVIRT:
        return "the guest has no PV drivers to ask";
    default:
        return "libxl error (see the log)";
    }
}

/* Watches domid's death (caller holds mu). */
static void watch(struct xen *x, int domid)
{
    for (int i = 0; i < x->ndoms; i++)
        if (x->doms[i].domid == domid)
            return;
    if (x->ndoms == MAX_XEN_DOMS)
        return;
    libxl_evgen_domain_death *gen = NULL;
    if (libxl_evenable_domain_death(x->ctx, (uint32_t)domid, (libxl_ev_user)domid, &gen) == 0)
        x->doms[x->ndoms++] = (struct xdom){.domid = domid, .gen = gen};
}

/* Stops watching domid; true if it was watched (caller holds mu). */
static bool unwatch(struct xen *x, int domid)
{
    for (int i = 0; i < x->ndoms; i++)
        if (x->doms[i].domid == domid) {
            libxl_evdisable_domain_death(x->ctx, x->doms[i].gen);
            x->doms[i] = x->doms[--x->ndoms];
            return true;
        }
    return false;
}

static void report_gone(struct xen *x, int domid)
{
    pthread_mutex_lock(&x->mu);
    if (x->ngone < MAX_GONE)
        x->gone[x->ngone++] = domid;
    pthread_mutex_unlock(&x->mu);
    char c = 1;
    ssize_t n = write(x->evpipe[1], &c, 1); /* a full pipe is already readable */
    (void)n;
}

static void handle_event(struct xen *x, const libxl_event *ev)
{
    if (ev->type != LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN && ev->type != LIBXL_EVENT_TYPE_DOMAIN_DEATH)
        return;
    int domid = (int)ev->domid;
    pthread_mutex_lock(&x->mu);
    /* Not watched any more: backend_destroy() took it, or already reported. */
    bool ours = unwatch(x, domid);
    pthread_mutex_unlock(&x->mu);
    if (!ours)
        return;
    if (ev->type == LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN) {
        log_info("domain %d shut down (reason %d); destroying it", domid,
                 ev->u.domain_shutdown.shutdown_reason);
        int rc = libxl_domain_destroy(x->ctx, (uint32_t)domid, NULL);
        if (rc)
            log_warnx("destroying domain %d after its shutdown: %s", domid, xl_err(rc));
    }
    report_gone(x, domid);
}

static void *event_thread(void *arg)
{
    struct xen *x = arg;
    struct pollfd *fds = NULL;
    int cap = 0;

    for (;;) {
        struct timeval now;
        int nfds, timeout = -1, rc;
        gettimeofday(&now, NULL);
        for (;;) {
            nfds = cap - 1 > 0 ? cap - 1 : 0;
            rc = libxl_osevent_beforepoll(x->ctx, &nfds, cap ? fds + 1 : NULL, &timeout, now);
            if (rc != ERROR_BUFFERFULL && cap)
                break;
            struct pollfd *n = realloc(fds, (size_t)(nfds + 1) * sizeof(*fds));
            if (!n) {
                log_warnx("libxl event thread: out of memory; deaths are no longer seen");
                free(fds);
                return NULL;
            }
            fds = n;
            cap = nfds + 1;
        }
        fds[0] = (struct pollfd){.fd = x->wake[0], .events = POLLIN};
        if (poll(fds, (nfds_t)nfds + 1, timeout) < 0 && errno != EINTR)
            log_warn("libxl event thread: poll");
        pthread_mutex_lock(&x->mu);
        bool stop = x->stop;
        pthread_mutex_unlock(&x->mu);
        if (stop)
            break;
        gettimeofday(&now, NULL);
        libxl_osevent_afterpoll(x->ctx, nfds, fds + 1, now);
        libxl_event *ev;
        while (libxl_event_check(x->ctx, &ev, LIBXL_EVENTMASK_ALL, NULL, NULL) == 0) {
            handle_event(x, ev);
            libxl_event_free(x->ctx, ev);
        }
    }
    free(fds);
    return NULL;
}

static void xen_close(struct backend *b);

static struct backend *xen_open(const struct be_opts *o, char *err, size_t errsz)
{
    if (access("/dev/xen/privcmd", F_OK) < 0 && access("/proc/xen/privcmd", F_OK) < 0) {
        be_err(err, errsz, "no Xen here (no /dev/xen/privcmd): not running as a Xen dom0");
        return NULL;
    }
    struct xen *x = calloc(1, sizeof(*x));
    if (!x) {
        be_err(err, errsz, "out of memory");
        return NULL;
    }
    x->base.ops = &be_xen_ops;
    x->hide_rdtscp = !o->xen_keep_rdtscp;
    x->evpipe[0] = x->evpipe[1] = x->wake[0] = x->wake[1] = -1;
    pthread_mutex_init(&x->mu, NULL);
    x->logger.vtable.vmessage = xlog_vmessage;
    x->logger.vtable.progress = xlog_progress;
    x->logger.vtable.destroy = xlog_destroy;
    int rc = libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0, &x->logger.vtable);
    if (rc) {
        be_err(err, errsz, "libxl_ctx_alloc failed (%d): is xenstored running?", rc);
        x->ctx = NULL;
        xen_close(&x->base);
        return NULL;
    }
    /* libxl forks hotplug scripts (disks). By default it would reap every
     * child of the process, qvmd's own daemons too; this mode makes it
     * reap only its own, and qvmd reaps its children by pid (waitpid on
     * the pid or a pidfd) without a SIGCHLD handler of its own. */
    static const libxl_childproc_hooks hooks = {
        .chldowner = libxl_sigchld_owner_libxl_always_selective_reap};
    libxl_childproc_setmode(x->ctx, &hooks, NULL);
    if (pipe2(x->evpipe, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(x->wake, O_CLOEXEC) < 0) {
        be_err(err, errsz, "pipe: %s", strerror(errno));
        xen_close(&x->base);
        return NULL;
    }
    /* Watch what runs already (qvmd restarted), so deaths are reported. */
    struct be_dom *tmp = calloc(MAX_XEN_DOMS, sizeof(*tmp));
    if (!tmp || be_xen_ops.list(&x->base, tmp, MAX_XEN_DOMS, err, errsz) < 0) {
        free(tmp);
        xen_close(&x->base);
        return NULL;
    }
    free(tmp);
    if (pthread_create(&x->thread, NULL, event_thread, x) != 0) {
        be_err(err, errsz, "cannot start the libxl event thread");
        xen_close(&x->base);
        return NULL;
    }
    x->thread_started = true;
    return &x->base;
}

static void xen_close(struct backend *b)
{
    struct xen *x = (struct xen *)b;
    if (x->thread_started) {
        pthread_mutex_lock(&x->mu);
        x->stop = true;
        pthread_mutex_unlock(&x->mu);
        ssize_t n = write(x->wake[1], "x", 1);
        (void)n;
        pthread_join(x->thread, NULL);
    }
    if (x->ctx) {
        /* The domains keep running: closing the backend is not stopping them. */
        while (x->ndoms)
            unwatch(x, x->doms[0].domid);
        libxl_ctx_free(x->ctx);
    }
    for (int i = 0; i < 2; i++) {
        if (x->evpipe[i] >= 0)
            close(x->evpipe[i]);
        if (x->wake[i] >= 0)
            close(x->wake[i]);
    }
    pthread_mutex_destroy(&x->mu);
    free(x);
}

static void link_console_log(const struct be_spec *s)
{
    char target[256];
    if (!s->console_log[0] || snprintf(target, sizeof(target), CONSOLE_DIR "/guest-%s.log",
                                       s->name) >= (int)sizeof(target))
        return;
    /* Best effort: the log itself is xenconsoled's; this is a pointer to it. */
    unlink(s->console_log);
    if (symlink(target, s->console_log) < 0)
        log_warn("console log link %s", s->console_log);
}

/* PVH is an HVM container: without VT-x/AMD-V (e.g. Xen under QEMU's
 * emulation with a CPU model lacking them) libxl only says "invalid
 * argument" and logs "neither hap nor shadow paging available". */
static int check_pvh(struct xen *x, const struct be_spec *s, char *err, size_t errsz)
{
    libxl_physinfo pi;
    int rc = 0;

    if (!strcmp(s->virt_mode, "pv"))
        return 0;
    libxl_physinfo_init(&pi);
    if (libxl_get_physinfo(x->ctx, &pi) == 0 && !pi.cap_hvm)
        rc = be_err(err, errsz,
                    "virt_mode %s needs hardware virtualization, which this Xen does not "
                    "offer (no VT-x/AMD-V); use virt_mode pv",
                    s->virt_mode[0] ? s->virt_mode : "pvh");
    libxl_physinfo_dispose(&pi);
    return rc;
}

static int xen_create_paused(struct backend *b, const struct be_spec *s, int *domid, char *err,
                             size_t errsz)
{
    struct xen *x = (struct xen *)b;
    libxl_domain_config dc;
    libxl_domain_config_init(&dc);
    int rc = check_pvh(x, s, err, errsz);
    if (rc == 0)
        rc = xen_config_from_spec(s, x->hide_rdtscp, &dc, err, errsz);
    if (rc == 0) {
        uint32_t id = INVALID_DOMID;
        /* Leaves the domain paused: the caller sets up qubesdb first. */
        int xr = libxl_domain_create_new(x->ctx, &dc, &id, NULL, NULL);
        if (xr) {
            rc = be_err(err, errsz, "libxl_domain_create_new: %s", xl_err(xr));
        } else {
            pthread_mutex_lock(&x->mu);
            watch(x, (int)id);
            pthread_mutex_unlock(&x->mu);
            link_console_log(s);
            *domid = (int)id;
        }
    }
    libxl_domain_config_dispose(&dc);
    return rc;
}

static int xen_unpause(struct backend *b, int domid, char *err, size_t errsz)
{
    struct xen *x = (struct xen *)b;
    int rc = libxl_domain_unpause(x->ctx, (uint32_t)domid, NULL);
    return rc ? be_err(err, errsz, "unpause %d: %s", domid, xl_err(rc)) : 0;
}

static int xen_pause(struct backend *b, int domid, char *err, size_t errsz)
{
    struct xen *x = (struct xen *)b;
    int rc = libxl_domain_pause(x->ctx, (uint32_t)domid, NULL);
    return rc ? be_err(err, errsz, "pause %d: %s", domid, xl_err(rc)) : 0;
}

static int xen_shutdown(struct backend *b, int domid, char *err, size_t errsz)
{
    struct xen *x = (struct xen *)b;
    /* Writes control/shutdown for the guest's PV drivers; does not wait. */
    int rc = libxl_domain_shutdown(x->ctx, (uint32_t)domid, NULL);
    return rc ? be_err(err, errsz, "shutdown %d: %s", domid, xl_err(rc)) : 0;
}

static int xen_destroy(struct backend *b, int domid, char *err, size_t errsz)
{
    struct xen *x = (struct xen *)b;
    if (domid <= 0)
        return be_err(err, errsz, "refusing to destroy domain %d", domid);
    /* Stop watching first: a destroy qvmd asked for is not reported by reap. */
    pthread_mutex_lock(&x->mu);
    bool was = unwatch(x, domid);
    pthread_mutex_unlock(&x->mu);
    int rc = libxl_domain_destroy(x->ctx, (uint32_t)domid, NULL); /* synchronous */
    if (rc) {
        if (was) {
            pthread_mutex_lock(&x->mu);
            watch(x, domid);
            pthread_mutex_unlock(&x->mu);
        }
        return be_err(err, errsz, "destroy %d: %s", domid, xl_err(rc));
    }
    return 0;
}

static int xen_list(struct backend *b, struct be_dom *out, int max, char *err, size_t errsz)
{
    struct xen *x = (struct xen *)b;
    int n = 0, k = 0;
    libxl_dominfo *info = libxl_list_domain(x->ctx, &n);
    if (!info)
        return be_err(err, errsz, "libxl_list_domain failed");
    for (int i = 0; i < n && k < max; i++) {
        if (info[i].domid == 0)
            continue;
        char *name = libxl_domid_to_name(x->ctx, info[i].domid);
        out[k].domid = (int)info[i].domid;
        snprintf(out[k].name, sizeof(out[k].name), "%s", name ? name : "");
        free(name);
        out[k].state = info[i].shutdown || info[i].dying ? BE_SHUTTING_DOWN
                       : info[i].paused                  ? BE_PAUSED
                                                         : BE_RUNNING;
        if (!info[i].dying) {
            pthread_mutex_lock(&x->mu);
            watch(x, out[k].domid);
            pthread_mutex_unlock(&x->mu);
        }
        k++;
    }
    libxl_dominfo_list_free(info, n);
    return k;
}

static int xen_event_fd(struct backend *b)
{
    return ((struct xen *)b)->evpipe[0];
}

static int xen_reap(struct backend *b, int *domids, int max)
{
    struct xen *x = (struct xen *)b;
    char buf[64];
    while (read(x->evpipe[0], buf, sizeof(buf)) > 0)
        ;
    pthread_mutex_lock(&x->mu);
    int k = x->ngone < max ? x->ngone : max;
    memcpy(domids, x->gone, (size_t)k * sizeof(int));
    memmove(x->gone, x->gone + k, (size_t)(x->ngone - k) * sizeof(int));
    x->ngone -= k;
    bool more = x->ngone > 0;
    pthread_mutex_unlock(&x->mu);
    if (more) { /* keep the fd readable for the rest */
        ssize_t n = write(x->evpipe[1], "x", 1);
        (void)n;
    }
    return k;
}

const struct be_ops be_xen_ops = {
    .name = "xen",
    .open = xen_open,
    .close = xen_close,
    .create_paused = xen_create_paused,
    .unpause = xen_unpause,
    .pause = xen_pause,
    .shutdown = xen_shutdown,
    .destroy = xen_destroy,
    .list = xen_list,
    .event_fd = xen_event_fd,
    .reap = xen_reap,
};
