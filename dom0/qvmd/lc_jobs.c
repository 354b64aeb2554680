/* What the worker threads do: the start sequence with its roll-back, and
 * the clean-up after a qube ended. No store here: a job carries what it
 * needs (see lc_int.h). */
#include "dom0/qvmd/daemons.h"
#include "dom0/qvmd/lc_int.h"
#include "qubesdb/client/qdb_client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUBESDB_READY_MS 10000

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int fail(struct job *j, const char *step, const char *why)
{
    j->step = step;
    qerr_set(&j->e, "QubesVMError", "%s", why);
    return -1;
}

static int fill_qubesdb(const char *sock, const struct buf *keys, char *err, size_t errsz)
{
    struct qdb_client *c = qdb_open(sock);
    const char *p = (const char *)keys->data, *end = p + keys->len;
    int r = 0;

    if (!c) {
        snprintf(err, errsz, "cannot connect to %s: %s", sock, strerror(errno));
        return -1;
    }
    while (p < end && !r) {
        const char *k = p, *v = k + strlen(k) + 1;
        p = v + strlen(v) + 1;
        r = qdb_write(c, k, v, strlen(v));
        if (r < 0)
            snprintf(err, errsz, "writing %s: %s", k, strerror(-r));
    }
    qdb_close(c);
    return r < 0 ? -1 : 0;
}

pid_t lc_qubesdb_up(const struct lc_opts *o, const char *name, int domid, const struct buf *keys,
                    char *err, size_t errsz)
{
    char id[16], sock[4096];
    const char *argv[] = {o->qubesdb_daemon, "--socket-dir", o->run_dir, id, name, NULL};
    pid_t pid;

    snprintf(id, sizeof(id), "%d", domid);
    snprintf(sock, sizeof(sock), "%s/qubesdb.%s.sock", o->run_dir, name);
    unlink(sock); /* a stale one would look ready */
    pid = daemon_spawn(argv, NULL, err, errsz);
    if (pid < 0)
        return -1;
    if (daemon_wait_socket(pid, "qubesdb-daemon", sock, true, QUBESDB_READY_MS, NULL, err, errsz) <
            0 ||
        fill_qubesdb(sock, keys, err, errsz) < 0) {
        daemon_stop(pid);
        return -1;
    }
    return pid;
}

static pid_t qrexec_up(struct job *j, char *err, size_t errsz)
{
    const struct lc_opts *o = &j->lc->o;
    char id[16], sock[4096], tmo[48];
    const char *argv[] = {
        o->qrexec_daemon, "-q", "-D",          "--socket-dir",        o->run_dir, "-u",
        j->props.uuid,    id,   j->props.name, j->props.default_user, NULL};
    const char *extra[] = {tmo, NULL};
    pid_t pid;

    snprintf(id, sizeof(id), "%d", j->domid);
    snprintf(tmo, sizeof(tmo), "QREXEC_STARTUP_TIMEOUT=%d", j->props.qrexec_timeout);
    /* the name link appears last, once the daemon listens; stale ones
     * from an earlier run would look ready */
    snprintf(sock, sizeof(sock), "%s/qrexec.%d", o->run_dir, j->domid);
    unlink(sock);
    snprintf(sock, sizeof(sock), "%s/qrexec.%s", o->run_dir, j->props.name);
    unlink(sock);
    pid = daemon_spawn(argv, extra, err, errsz);
    if (pid < 0)
        return -1;
    /* the daemon listens only once the agent in the qube connected: its
     * socket appearing is the qube being ready */
    if (daemon_wait_socket(pid, "the qube's qrexec agent", sock, false,
                           j->props.qrexec_timeout * 1000 + 2000, &j->r->abort, err, errsz) < 0) {
        daemon_stop(pid);
        return -1;
    }
    return pid;
}

void lc_job_start(struct job *j)
{
    const struct lc_opts *o = &j->lc->o;
    struct backend *be = j->lc->be;
    char paths[STORAGE_MAX_VOLS][4096], err[512];
    const char *vdevs[STORAGE_MAX_VOLS], *pp[STORAGE_MAX_VOLS];
    bool rw[STORAGE_MAX_VOLS];
    struct be_spec spec;
    bool storage_up = false;

    j->domid = -1;
    j->qrexec_pid = j->qdb_pid = -1;
    j->rc = -1;
    long long t = now_ms();

    memset(paths, 0, sizeof(paths));
    if (storage_start(&j->r->plan, paths, &j->e) < 0) {
        j->step = "storage";
        goto out;
    }
    storage_up = true;
    j->ms[0] = now_ms() - t;
    t = now_ms();
    for (int i = 0; i < j->r->plan.n; i++) {
        vdevs[i] = j->r->plan.v[i].vdev;
        pp[i] = paths[i];
        rw[i] = j->r->plan.v[i].rw;
    }
    if (plan_domain(&j->props, strcmp(backend_name(be), "local") != 0, o->kernels_dir,
                    j->have_default_kernelopts ? j->default_kernelopts : NULL, j->r->plan.n, vdevs,
                    pp, rw, &spec, err, sizeof(err)) < 0) {
        fail(j, "domain", err);
        goto out;
    }
    if (backend_create_paused(be, &spec, &j->domid, err, sizeof(err)) < 0) {
        j->domid = -1;
        fail(j, "domain", err);
        goto out;
    }
    j->r->domid = j->domid; /* the loop matches deaths against it */
    j->ms[1] = now_ms() - t;
    t = now_ms();
    if (j->r->abort) {
        fail(j, "domain", "killed while starting");
        goto out;
    }
    j->qdb_pid = lc_qubesdb_up(o, j->props.name, j->domid, &j->qdb_keys, err, sizeof(err));
    if (j->qdb_pid < 0) {
        fail(j, "qubesdb", err);
        goto out;
    }
    j->ms[2] = now_ms() - t;
    t = now_ms();
    if (backend_unpause(be, j->domid, err, sizeof(err)) < 0) {
        fail(j, "unpause", err);
        goto out;
    }
    j->ms[3] = now_ms() - t;
    t = now_ms();
    j->qrexec_pid = qrexec_up(j, err, sizeof(err));
    if (j->qrexec_pid < 0) {
        fail(j, "qrexec", j->r->abort ? "killed or ended while starting" : err);
        goto out;
    }
    j->ms[4] = now_ms() - t;
    j->rc = 0;
    return;
out:
    /* undo in reverse order: nothing of the failed start stays */
    if (j->qrexec_pid > 0)
        daemon_stop(j->qrexec_pid);
    if (j->qdb_pid > 0)
        daemon_stop(j->qdb_pid);
    j->qrexec_pid = j->qdb_pid = -1;
    if (j->domid >= 0 && backend_destroy(be, j->domid, err, sizeof(err)) < 0)
        snprintf(j->e.msg + strlen(j->e.msg), sizeof(j->e.msg) - strlen(j->e.msg),
                 "; destroying the domain failed too: %s", err);
    /* a start that failed keeps nothing: no revision of a private volume
     * the qube barely saw */
    if (storage_up)
        storage_discard(&j->r->plan);
}

void lc_job_stop(struct job *j)
{
    char err[512];

    j->rc = 0;
    if (j->destroy && j->r->domid >= 0 &&
        backend_destroy(j->lc->be, j->r->domid, err, sizeof(err)) < 0) {
        j->step = "destroy";
        qerr_set(&j->e, "QubesVMError", "%s", err);
        j->rc = -1;
        return;
    }
    daemon_stop(j->r->qrexec_pid);
    daemon_stop(j->r->qdb_pid);
    if (storage_stop(&j->r->plan, &j->e) < 0) {
        j->step = "storage";
        j->rc = -1;
    }
}
