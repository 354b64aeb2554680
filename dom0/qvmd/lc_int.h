/* lifecycle's insides, shared by lifecycle.c (the loop's side),
 * lc_jobs.c (what worker threads do) and lc_state.c (state files and
 * finding running qubes again). (dom0, trusted.) */
#ifndef BULKHEAD_QVMD_LC_INT_H
#define BULKHEAD_QVMD_LC_INT_H

#include "dom0/backend/backend.h"
#include "dom0/qvmd/lifecycle.h"
#include "dom0/qvmd/start_plan.h"
#include "dom0/storage/storage.h"

#include <stdint.h>
#include <sys/types.h>

#define LC_MAX_WAITERS 32

struct waiter {
    void *w;
    long long deadline; /* -1: none; else a shutdown --wait's limit */
    int timeout_s;
};

/* A qube that is not halted. */
struct rt {
    int qid;
    char name[32], uuid[37];
    enum lc_power st;
    int domid; /* -1 until the domain exists */
    pid_t qrexec_pid, qdb_pid;
    struct vm_storage plan;
    int memory, maxmem;
    bool busy;          /* a job runs for it */
    volatile int abort; /* the start's domain died or a kill came: stop waiting */
    int nwaiters;       /* callers waiting for it to halt */
    struct waiter waiters[LC_MAX_WAITERS];
    void *start_waiter; /* the admin.vm.Start caller */
};

enum job_kind { JOB_START, JOB_STOP };

/* Handed to a worker thread; everything it needs is in here. */
struct job {
    enum job_kind kind;
    struct lifecycle *lc;
    struct rt *r;
    /* start */
    struct start_props props;
    char default_kernelopts[1024];
    bool have_default_kernelopts;
    struct buf qdb_keys;
    /* stop */
    bool destroy;
    /* results */
    int domid;
    pid_t qrexec_pid, qdb_pid;
    const char *step;
    long long ms[5]; /* how long storage, domain, qubesdb, unpause, qrexec took */
    struct qerr e;
    int rc;
};

struct lifecycle {
    struct store *store;
    struct lc_opts o;
    struct backend *be;
    char be_err[256];
    api_emit_fn emit;
    void *emit_ctx;
    lc_done_fn done;
    int done_pipe[2]; /* workers write finished jobs' pointers */
    struct rt **rts;
    size_t nrts, cap;
};

/* lc_jobs.c: the bodies (run in worker threads). */
void lc_job_start(struct job *j);
void lc_job_stop(struct job *j);
/* Starts (and fills) qubesdb-daemon for a running domain; the pid or -1. */
pid_t lc_qubesdb_up(const struct lc_opts *o, const char *name, int domid, const struct buf *keys,
                    char *err, size_t errsz);

/* lc_state.c */
int lc_state_save(struct lifecycle *lc, const struct rt *r);
void lc_state_remove(struct lifecycle *lc, const char *name);
/* Reads the state files and the backend's domains: the qubes that still
 * run come back; those whose domain is gone get cleaned up (a stop job). */
void lc_rediscover(struct lifecycle *lc);

/* lifecycle.c, used by lc_state.c */
struct rt *lc_rt_add(struct lifecycle *lc, int qid, const char *name);
void lc_run_job(struct lifecycle *lc, struct job *j);
int lc_keys_for(struct lifecycle *lc, const struct vm_info *vm, struct start_props *p,
                struct buf *keys, struct qerr *e);

#endif
