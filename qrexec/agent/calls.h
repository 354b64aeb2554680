/* The calls dom0 asked this agent to run, while they run (VM side). A call
 * is either handed straight to its user's qrexec-fork-server from the
 * agent's loop (watched through that connection: no process of the
 * agent's for it, which saves a fork per call) or carried out by a
 * per-call process (session.h). When one ends, dom0 is told its data port
 * is free (CONNECTION_TERMINATED). */
#ifndef BULKHEAD_QREXEC_AGENT_CALLS_H
#define BULKHEAD_QREXEC_AGENT_CALLS_H

#include "lib/vchan.h"
#include "qrexec/agent/exec.h"
#include "qrexec/proto/qrexec_proto.h"

#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stddef.h>

/* Starts the call of an EXEC_CMDLINE / JUST_EXEC (params checked by
 * qrexec_parse_exec_params). A call that cannot start is logged; its
 * caller in dom0 sees the data link never come. */
void agent_calls_start(const struct agent_config *cfg, uint32_t type,
                       const struct qrexec_exec_params *p, const sigset_t *blocked);

/* Adds the fork server connections to watch to fds (room for max);
 * returns how many. */
size_t agent_calls_pollfds(struct pollfd *fds, size_t max);

/* After poll(): acts on those of fds (as agent_calls_pollfds filled them)
 * that are ready, and reaps ended per-call processes (reap: the SIGCHLD
 * signalfd fired). <0 when the control link to dom0 broke. v may be NULL
 * (no dom0 to tell: the link is being set up again). */
int agent_calls_handle(struct vchan *v, const struct agent_config *cfg, const sigset_t *blocked,
                       const struct pollfd *fds, size_t n, bool reap);

#endif
