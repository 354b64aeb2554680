/* Lifecycle, the loop's side: state of each qube, the calls, jobs handed
 * to worker threads and their results, deaths the backend reports. */
#include "dom0/qvmd/daemons.h"
#include "dom0/qvmd/lc_int.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

const char *lc_power_name(enum lc_power p)
{
    static const char *const n[] = {"Halted", "Transient", "Running", "Paused", "Halting", "Dying"};
    return n[p];
}

static void emit(struct lifecycle *lc, const char *subject, const char *event, const char *k,
                 const char *v)
{
    const char *kv[3] = {k, v, NULL};
    if (lc->emit)
        lc->emit(lc->emit_ctx, subject, event, k ? kv : NULL);
}

static struct rt *find(struct lifecycle *lc, int qid)
{
    for (size_t i = 0; i < lc->nrts; i++)
        if (lc->rts[i]->qid == qid)
            return lc->rts[i];
    return NULL;
}

static struct rt *find_domid(struct lifecycle *lc, int domid)
{
    for (size_t i = 0; i < lc->nrts; i++)
        if (lc->rts[i]->domid == domid)
            return lc->rts[i];
    return NULL;
}

struct rt *lc_rt_add(struct lifecycle *lc, int qid, const char *name)
{
    struct rt *r;

    if (lc->nrts == lc->cap) {
        size_t cap = lc->cap ? lc->cap * 2 : 16;
        struct rt **n = realloc(lc->rts, cap * sizeof(*n));
        if (!n)
            return NULL;
        lc->rts = n;
        lc->cap = cap;
    }
    r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->qid = qid;
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->domid = -1;
    r->qrexec_pid = r->qdb_pid = -1;
    lc->rts[lc->nrts++] = r;
    return r;
}

static void rt_remove(struct lifecycle *lc, struct rt *r)
{
    for (size_t i = 0; i < lc->nrts; i++)
        if (lc->rts[i] == r) {
            lc->rts[i] = lc->rts[--lc->nrts];
            break;
        }
    free(r);
}

/* Everyone waiting for r to halt gets e (NULL: it halted). */
static void answer_waiters(struct lifecycle *lc, struct rt *r, const struct qerr *e)
{
    int n = r->nwaiters;

    r->nwaiters = 0;
    for (int i = 0; i < n; i++)
        lc->done(r->waiters[i].w, e);
}

static int add_waiter(struct rt *r, void *w, int timeout_s, struct qerr *e)
{
    if (r->nwaiters >= LC_MAX_WAITERS)
        return qerr_set(e, "QubesException", "too many callers waiting for %s", r->name);
    r->waiters[r->nwaiters++] =
        (struct waiter){w, timeout_s > 0 ? now_ms() + timeout_s * 1000LL : -1, timeout_s};
    return 0;
}

static void *worker(void *arg)
{
    struct job *j = arg;

    if (j->kind == JOB_START)
        lc_job_start(j);
    else
        lc_job_stop(j);
    /* a pointer is written whole to a pipe (< PIPE_BUF) */
    if (write(j->lc->done_pipe[1], &j, sizeof(j)) != sizeof(j))
        log_warn("lost a finished job");
    return NULL;
}

void lc_run_job(struct lifecycle *lc, struct job *j)
{
    pthread_t t;
    pthread_attr_t a;

    j->lc = lc;
    j->r->busy = true;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, worker, j)) {
        /* no thread: do it here, the loop waits this once */
        log_warnx("cannot start a worker thread; working in the loop");
        worker(j);
    }
    pthread_attr_destroy(&a);
}

static void stop_job(struct lifecycle *lc, struct rt *r, bool destroy)
{
    struct job *j = calloc(1, sizeof(*j));

    if (!j) {
        log_warnx("out of memory: %s's clean-up waits", r->name);
        return;
    }
    j->kind = JOB_STOP;
    j->r = r;
    j->destroy = destroy;
    r->st = LC_DYING;
    lc_run_job(lc, j);
}

/* Dom0's timezone as a zone name, from /etc/timezone or the link. */
static void timezone_name(char *out, size_t sz)
{
    char buf[256];
    ssize_t n;
    FILE *f = fopen("/etc/timezone", "re");

    out[0] = 0;
    if (f) {
        if (fgets(buf, sizeof(buf), f)) {
            buf[strcspn(buf, "\n")] = 0;
            if (strlen(buf) < sz) /* a zone name that does not fit is left out */
                memcpy(out, buf, strlen(buf) + 1);
        }
        fclose(f);
        if (out[0])
            return;
    }
    n = readlink("/etc/localtime", buf, sizeof(buf) - 1);
    if (n > 0) {
        char *z;
        buf[n] = 0;
        z = strstr(buf, "zoneinfo/");
        if (z && strlen(z + 9) < sz)
            memcpy(out, z + 9, strlen(z + 9) + 1);
    }
}

int lc_keys_for(struct lifecycle *lc, const struct vm_info *vm, struct start_props *p,
                struct buf *keys, struct qerr *e)
{
    unsigned char seed[64];
    char tz[128];

    (void)lc;
    if (plan_read_props(lc->store, vm, p, e) < 0)
        return -1;
    if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        return qerr_set(e, "QubesException", "no random bytes for the qube's seed");
    timezone_name(tz, sizeof(tz));
    buf_init(keys, 256 * 1024);
    if (plan_qdb_keys(p, tz, seed, keys) < 0) {
        buf_fini(keys);
        return qerr_set(e, "QubesException", "QubesDB keys too large");
    }
    return 0;
}

static void read_default_kernelopts(struct job *j, const char *dir)
{
    char path[4096];
    FILE *f;

    if (!j->props.kernel[0])
        return;
    snprintf(path, sizeof(path), "%s/%s/default-kernelopts-nopci.txt", dir, j->props.kernel);
    f = fopen(path, "re");
    if (!f)
        return;
    if (fgets(j->default_kernelopts, sizeof(j->default_kernelopts), f)) {
        j->default_kernelopts[strcspn(j->default_kernelopts, "\n")] = 0;
        j->have_default_kernelopts = true;
    }
    fclose(f);
}

int lc_start(struct lifecycle *lc, const struct vm_info *vm, void *waiter, struct qerr *e)
{
    struct rt *r = find(lc, vm->qid);
    struct job *j;

    if (vm->cls == VC_ADMIN)
        return qerr_set(e, "QubesVMNotHaltedError", "dom0 is always running");
    if (r)
        return qerr_set(e, "QubesVMNotHaltedError", "%s is already %s", vm->name,
                        r->st == LC_PAUSED ? "running (paused)" : "running");
    if (!lc->be)
        return qerr_set(e, "QubesVMError", "Start failed at step backend: %s", lc->be_err);
    j = calloc(1, sizeof(*j));
    if (!j)
        return qerr_set(e, "QubesException", "out of memory");
    j->kind = JOB_START;
    if (lc_keys_for(lc, vm, &j->props, &j->qdb_keys, e) < 0) {
        free(j);
        return -1;
    }
    read_default_kernelopts(j, lc->o.kernels_dir);
    r = lc_rt_add(lc, vm->qid, vm->name);
    if (!r) {
        buf_fini(&j->qdb_keys);
        free(j);
        return qerr_set(e, "QubesException", "out of memory");
    }
    snprintf(r->uuid, sizeof(r->uuid), "%s", vm->uuid);
    if (storage_plan(lc->store, vm, &r->plan, e) < 0) {
        rt_remove(lc, r);
        buf_fini(&j->qdb_keys);
        free(j);
        return -1;
    }
    r->memory = j->props.memory;
    r->maxmem = j->props.maxmem > j->props.memory ? j->props.maxmem : j->props.memory;
    r->st = LC_TRANSIENT;
    r->start_waiter = waiter;
    j->r = r;
    emit(lc, vm->name, "domain-pre-start", NULL, NULL);
    lc_run_job(lc, j);
    return 0;
}

static void start_done(struct lifecycle *lc, struct job *j)
{
    struct rt *r = j->r;
    void *w = r->start_waiter;

    r->start_waiter = NULL;
    if (j->rc == 0 && !r->abort) {
        r->domid = j->domid;
        r->qrexec_pid = j->qrexec_pid;
        r->qdb_pid = j->qdb_pid;
        r->st = LC_RUNNING;
        if (lc_state_save(lc, r) < 0)
            log_warnx("cannot save the state of %s; a restarted qvmd will not find it", r->name);
        /* the phases, for whoever wants to know where a start's time goes */
        log_info("%s started as domain %d: storage %lld ms, domain %lld ms, qubesdb %lld ms, "
                 "unpause %lld ms, boot to agent %lld ms",
                 r->name, r->domid, j->ms[0], j->ms[1], j->ms[2], j->ms[3], j->ms[4]);
        emit(lc, r->name, "domain-start", "start_guid", "False");
        if (w)
            lc->done(w, NULL);
        /* a death seen while the start finished is handled below */
        return;
    }
    if (j->rc == 0) { /* started, but killed or dead meanwhile: undo */
        r->domid = j->domid;
        r->qrexec_pid = j->qrexec_pid;
        r->qdb_pid = j->qdb_pid;
        qerr_set(&j->e, "QubesVMError", "%s", "killed or ended while starting");
        j->step = "qrexec";
        if (w) {
            char msg[600];
            struct qerr e2;
            snprintf(msg, sizeof(msg), "Start failed at step %s: %s", j->step, j->e.msg);
            qerr_set(&e2, "QubesVMError", "%s", msg);
            lc->done(w, &e2);
        }
        emit(lc, r->name, "domain-start-failed", "reason", j->e.msg);
        stop_job(lc, r, true);
        return;
    }
    {
        char msg[600];
        struct qerr e2;
        snprintf(msg, sizeof(msg), "Start failed at step %s: %s", j->step, j->e.msg);
        log_warnx("%s: %s", r->name, msg);
        qerr_set(&e2, j->e.type ? j->e.type : "QubesVMError", "%s", msg);
        emit(lc, r->name, "domain-start-failed", "reason", msg);
        if (w)
            lc->done(w, &e2);
    }
    answer_waiters(lc, r, NULL); /* a kill during the start: it is gone */
    rt_remove(lc, r);
}

static void stop_done(struct lifecycle *lc, struct job *j)
{
    struct rt *r = j->r;

    if (j->rc < 0) {
        /* keep the entry (Dying) so nothing reuses what was not freed */
        log_warnx("%s: clean-up failed at %s: %s", r->name, j->step, j->e.msg);
        emit(lc, r->name, "domain-shutdown-failed", "reason", j->e.msg);
        answer_waiters(lc, r, &j->e);
        r->st = LC_DYING;
        return;
    }
    log_info("%s stopped", r->name);
    lc_state_remove(lc, r->name);
    emit(lc, r->name, "domain-shutdown", NULL, NULL);
    emit(lc, r->name, "domain-stopped", NULL, NULL);
    answer_waiters(lc, r, NULL);
    rt_remove(lc, r);
}

int lc_shutdown(struct lifecycle *lc, const struct vm_info *vm, bool force, bool wait, void *waiter,
                struct qerr *e)
{
    struct rt *r = find(lc, vm->qid);
    char err[256];
    int timeout;

    (void)force; /* nothing depends on a qube yet (no netvm): force changes nothing */
    if (vm->cls == VC_ADMIN)
        return qerr_set(e, "QubesVMError", "dom0 cannot be shut down through qvmd");
    if (!r)
        return qerr_set(e, "QubesVMNotStartedError", "%s is not running", vm->name);
    if (r->st == LC_TRANSIENT)
        return qerr_set(e, "QubesVMError", "%s is still starting; use kill to stop it", vm->name);
    if (r->st == LC_PAUSED || r->st == LC_RUNNING) {
        if (r->st == LC_PAUSED && backend_unpause(lc->be, r->domid, err, sizeof(err)) < 0)
            return qerr_set(e, "QubesVMError", "unpausing %s to shut it down: %s", vm->name, err);
        emit(lc, vm->name, "domain-pre-shutdown", NULL, NULL);
        if (backend_shutdown(lc->be, r->domid, err, sizeof(err)) < 0)
            return qerr_set(e, "QubesVMError", "shutting down %s: %s", vm->name, err);
        r->st = LC_HALTING;
    }
    if (!wait)
        return 1;
    {
        char v[32];
        bool d;
        const struct prop_def *def;
        timeout = store_prop_get(lc->store, vm, "shutdown_timeout", v, sizeof(v), &d, &def, e) < 0
                      ? 60
                      : atoi(v);
    }
    return add_waiter(r, waiter, timeout, e);
}

int lc_kill(struct lifecycle *lc, const struct vm_info *vm, void *waiter, struct qerr *e)
{
    struct rt *r = find(lc, vm->qid);

    if (vm->cls == VC_ADMIN)
        return qerr_set(e, "QubesVMError", "dom0 cannot be killed");
    if (!r)
        return qerr_set(e, "QubesVMNotStartedError", "%s is not running", vm->name);
    if (add_waiter(r, waiter, 0, e) < 0)
        return -1;
    if (r->st == LC_TRANSIENT)
        r->abort = 1; /* the start rolls itself back */
    else if (r->st != LC_DYING && !r->busy)
        stop_job(lc, r, true);
    return 0;
}

int lc_pause(struct lifecycle *lc, const struct vm_info *vm, struct qerr *e)
{
    struct rt *r = find(lc, vm->qid);
    char err[256];

    if (!r || r->st != LC_RUNNING)
        return qerr_set(e, "QubesVMNotRunningError", "%s is not running%s", vm->name,
                        r && r->st == LC_PAUSED ? " (already paused)" : "");
    if (backend_pause(lc->be, r->domid, err, sizeof(err)) < 0)
        return qerr_set(e, "QubesVMError", "pausing %s: %s", vm->name, err);
    r->st = LC_PAUSED;
    lc_state_save(lc, r);
    emit(lc, vm->name, "domain-paused", NULL, NULL);
    return 0;
}

int lc_unpause(struct lifecycle *lc, const struct vm_info *vm, struct qerr *e)
{
    struct rt *r = find(lc, vm->qid);
    char err[256];

    if (!r || r->st != LC_PAUSED)
        return qerr_set(e, "QubesVMNotPausedError", "%s is not paused", vm->name);
    if (backend_unpause(lc->be, r->domid, err, sizeof(err)) < 0)
        return qerr_set(e, "QubesVMError", "unpausing %s: %s", vm->name, err);
    r->st = LC_RUNNING;
    lc_state_save(lc, r);
    emit(lc, vm->name, "domain-unpaused", NULL, NULL);
    return 0;
}

void lc_forget(struct lifecycle *lc, void *waiter)
{
    for (size_t i = 0; i < lc->nrts; i++) {
        struct rt *r = lc->rts[i];
        if (r->start_waiter == waiter)
            r->start_waiter = NULL;
        for (int k = 0; k < r->nwaiters; k++)
            if (r->waiters[k].w == waiter)
                r->waiters[k--] = r->waiters[--r->nwaiters];
    }
}

enum lc_power lc_state(struct lifecycle *lc, int qid)
{
    struct rt *r = find(lc, qid);
    return r ? r->st : LC_HALTED;
}

int lc_domid(struct lifecycle *lc, int qid)
{
    struct rt *r = find(lc, qid);
    return r && r->st != LC_TRANSIENT ? r->domid : -1;
}

int lc_current_state(struct lifecycle *lc, const struct vm_info *vm, char *out, size_t outsz)
{
    struct rt *r = find(lc, vm->qid);
    long long mem = r ? r->memory * 1024LL : 0, max = r ? r->maxmem * 1024LL : 0;

    if (vm->cls == VC_ADMIN)
        return snprintf(out, outsz, "mem=0 mem_static_max=0 cputime=0 power_state=Running");
    return snprintf(out, outsz, "mem=%lld mem_static_max=%lld cputime=0 power_state=%s", mem, max,
                    lc_power_name(r ? r->st : LC_HALTED));
}

int lc_pollfds(struct lifecycle *lc, struct pollfd *p, int max)
{
    int n = 0;

    if (max < 2)
        return 0;
    p[n++] = (struct pollfd){.fd = lc->done_pipe[0], .events = POLLIN};
    if (lc->be && backend_event_fd(lc->be) >= 0)
        p[n++] = (struct pollfd){.fd = backend_event_fd(lc->be), .events = POLLIN};
    return n;
}

long long lc_next_deadline(struct lifecycle *lc)
{
    long long next = -1;

    for (size_t i = 0; i < lc->nrts; i++)
        for (int k = 0; k < lc->rts[i]->nwaiters; k++) {
            long long d = lc->rts[i]->waiters[k].deadline;
            if (d >= 0 && (next < 0 || d < next))
                next = d;
        }
    return next;
}

static void deaths(struct lifecycle *lc)
{
    int ids[64], n;

    while ((n = backend_reap(lc->be, ids, 64)) > 0)
        for (int i = 0; i < n; i++) {
            struct rt *r = find_domid(lc, ids[i]);
            if (!r)
                continue;
            if (r->st == LC_TRANSIENT)
                r->abort = 1; /* the start notices and rolls back */
            else if (r->st != LC_DYING && !r->busy) {
                log_info("%s (domain %d) ended", r->name, r->domid);
                stop_job(lc, r, false);
            }
        }
}

static void timeouts(struct lifecycle *lc)
{
    long long now = now_ms();

    for (size_t i = 0; i < lc->nrts; i++) {
        struct rt *r = lc->rts[i];
        for (int k = 0; k < r->nwaiters; k++) {
            struct waiter w = r->waiters[k];
            struct qerr e;
            if (w.deadline < 0 || w.deadline > now)
                continue;
            r->waiters[k--] = r->waiters[--r->nwaiters];
            qerr_set(&e, "QubesVMShutdownTimeoutError", "%s did not shut down within %d seconds",
                     r->name, w.timeout_s);
            lc->done(w.w, &e);
        }
    }
}

void lc_dispatch(struct lifecycle *lc)
{
    struct job *j;

    while (read(lc->done_pipe[0], &j, sizeof(j)) == sizeof(j)) {
        j->r->busy = false;
        if (j->kind == JOB_START)
            start_done(lc, j);
        else
            stop_done(lc, j);
        buf_fini(&j->qdb_keys);
        free(j);
    }
    if (lc->be)
        deaths(lc);
    timeouts(lc);
}

/* The store's source of the xid property. */
static int domid_of(void *ctx, int qid)
{
    return lc_domid(ctx, qid);
}

struct lifecycle *lc_open(struct store *s, const struct lc_opts *o, api_emit_fn emit_fn,
                          void *emit_ctx, lc_done_fn done)
{
    struct lifecycle *lc = calloc(1, sizeof(*lc));
    struct be_opts bo;

    if (!lc)
        return NULL;
    lc->store = s;
    lc->o = *o;
    lc->emit = emit_fn;
    lc->emit_ctx = emit_ctx;
    lc->done = done;
    if (pipe2(lc->done_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        free(lc);
        return NULL;
    }
    bo = (struct be_opts){
        .state_dir = o->local_state_dir, .vchan_dir = o->vchan_dir, .local_init = o->local_init};
    if (!strcmp(o->backend, "none"))
        snprintf(lc->be_err, sizeof(lc->be_err), "qvmd runs without a backend (--backend none)");
    else if (!(lc->be = backend_open(o->backend, &bo, lc->be_err, sizeof(lc->be_err))))
        log_warnx("backend %s unavailable: %s; qubes cannot be started", o->backend, lc->be_err);
    else
        log_info("backend %s", backend_name(lc->be));
    if (lc->be)
        lc_rediscover(lc);
    store_set_domid_source(s, domid_of, lc);
    return lc;
}

void lc_close(struct lifecycle *lc)
{
    if (!lc)
        return;
    store_set_domid_source(lc->store, NULL, NULL);
    /* running qubes stay; jobs in flight finish on their own (their
     * threads end with the process) */
    for (size_t i = 0; i < lc->nrts; i++)
        if (!lc->rts[i]->busy) /* a worker may still use a busy one */
            free(lc->rts[i]);
    free(lc->rts);
    if (lc->be)
        backend_close(lc->be);
    close(lc->done_pipe[0]);
    close(lc->done_pipe[1]);
    free(lc);
}
