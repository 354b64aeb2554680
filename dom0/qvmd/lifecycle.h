/* Starting, stopping, pausing and killing qubes (issue 6). (dom0, trusted.)
 *
 * The Admin API loop must never wait for a qube: a start takes seconds
 * (storage snapshots, building the domain, the guest booting until its
 * qrexec agent connects). So each start and each clean-up after a qube
 * stopped runs in a worker thread that gets, up front, everything it needs
 * (read from the store in the loop's thread; workers never touch the store)
 * and reports back through a pipe the loop polls. The loop then records
 * the new state, emits the events and answers the caller that waited.
 *
 * What runs is remembered in state files (one per running qube, under
 * state_dir), so a restarted qvmd finds its qubes, their daemons and
 * their started volumes again. */
#ifndef BULKHEAD_QVMD_LIFECYCLE_H
#define BULKHEAD_QVMD_LIFECYCLE_H

#include "dom0/qvmd/api.h"
#include "dom0/qvmd/store.h"

#include <poll.h>
#include <stdbool.h>

enum lc_power { LC_HALTED, LC_TRANSIENT, LC_RUNNING, LC_PAUSED, LC_HALTING, LC_DYING };

struct lc_opts {
    const char *backend;       /* "xen", "local", or "none" (lifecycle refused) */
    const char *run_dir;       /* the daemons' sockets (/run/qubes) */
    const char *state_dir;     /* what is running (/run/bulkhead/qvmd) */
    const char *kernels_dir;   /* /var/lib/bulkhead/vm-kernels */
    const char *qrexec_daemon; /* programs qvmd starts for each qube */
    const char *qubesdb_daemon;
    const char *local_state_dir; /* the local backend's */
    const char *vchan_dir;
    const char *local_init;
};

struct lifecycle;

/* Called when a pending call ends: e NULL for success. */
typedef void (*lc_done_fn)(void *waiter, const struct qerr *e);

/* Opens the backend (a failure is remembered: every start then says why)
 * and finds the qubes that still run. Never fails for lack of a
 * hypervisor, so the database part of qvmd works everywhere. */
struct lifecycle *lc_open(struct store *s, const struct lc_opts *o, api_emit_fn emit,
                          void *emit_ctx, lc_done_fn done);
/* Leaves the qubes running (a restarted qvmd finds them). */
void lc_close(struct lifecycle *lc);

/* 0: the call is pending (done() gets waiter later), -1 with e at once. */
int lc_start(struct lifecycle *lc, const struct vm_info *vm, void *waiter, struct qerr *e);
/* Pending only with wait; 1: done at once. */
int lc_shutdown(struct lifecycle *lc, const struct vm_info *vm, bool force, bool wait, void *waiter,
                struct qerr *e);
int lc_kill(struct lifecycle *lc, const struct vm_info *vm, void *waiter, struct qerr *e);
int lc_pause(struct lifecycle *lc, const struct vm_info *vm, struct qerr *e);
int lc_unpause(struct lifecycle *lc, const struct vm_info *vm, struct qerr *e);
/* The caller went away: never call done() for it. */
void lc_forget(struct lifecycle *lc, void *waiter);

enum lc_power lc_state(struct lifecycle *lc, int qid);
const char *lc_power_name(enum lc_power p); /* "Running", ... as Qubes spells them */
/* mem=KiB mem_static_max=KiB cputime=ns power_state=STATE */
int lc_current_state(struct lifecycle *lc, const struct vm_info *vm, char *out, size_t outsz);
/* The domain id of a running qube, -1 otherwise. */
int lc_domid(struct lifecycle *lc, int qid);

/* The loop's part: descriptors to poll, what to do when they fire, and
 * the next deadline (ms on CLOCK_MONOTONIC, -1 for none). */
int lc_pollfds(struct lifecycle *lc, struct pollfd *p, int max);
void lc_dispatch(struct lifecycle *lc);
long long lc_next_deadline(struct lifecycle *lc);

#endif
