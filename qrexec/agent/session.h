/* As whom, and how, qrexec-agent runs a call (VM side):
 *
 *  - the agent not root: as itself (the call's user is ignored), through a
 *    fork server only when one was named (--fork-server-socket);
 *  - as root: through the fork server of the call's user when its socket
 *    exists, runs as that user and takes the request (handed over from the
 *    agent's own loop, calls.c: no process of the agent's per call);
 *    otherwise, in a per-call process, in a PAM
 *    login session (service "qrexec") opened for the user, the process
 *    switching to the user only after the data link is connected, and the
 *    session closed as root when the call is over. Built without PAM
 *    (BULKHEAD_NO_PAM: static guest programs), the user switch alone. */
#ifndef BULKHEAD_QREXEC_AGENT_SESSION_H
#define BULKHEAD_QREXEC_AGENT_SESSION_H

#include "qrexec/agent/exec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>

/* The per-call process: never returns. cmdline was checked by
 * qrexec_parse_exec_params(). */
noreturn void agent_run_exec(const struct agent_config *cfg, uint32_t type, uint32_t connect_domain,
                             uint32_t connect_port, const char *cmdline, size_t cmdline_len);

/* Whether this build opens PAM sessions. */
bool agent_session_has_pam(void);

/* Who a prepared call runs as: ourselves when not root, else the user it
 * names. 0, or -ENOENT when there is no such user. */
int agent_call_uid(const struct agent_call *call, uid_t *uid);

/* Sends the call to the fork server at cfg->fork_server_socket (for
 * call->user), which must run as uid, without waiting for it. Returns the
 * connection, on which the fork server answers FORKREQ_ACCEPTED once the
 * call has its own process, and which closes when the call is over; or -1
 * when there is no usable fork server (the call runs in a per-call process
 * instead). (delegate.c) */
int agent_delegate_send(const struct agent_config *cfg, const struct agent_call *call, uid_t uid);

#endif
