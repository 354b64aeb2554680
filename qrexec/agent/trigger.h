/* Calls this VM makes (VM side): qrexec-client-vm asks the agent on a
 * local socket; the agent passes the call to dom0 and hands dom0's answer
 * (where to serve the data link, or a refusal) back to the caller.
 *
 * The local protocol reuses qrexec messages: the caller sends
 * TRIGGER_SERVICE3, or TRIGGER_SERVICE4 to call on behalf of another
 * qube (passed on only to a version 4 dom0); its request id field is
 * ignored: the agent assigns one. It receives SERVICE_CONNECT or
 * SERVICE_REFUSED, then the agent closes the socket. */
#ifndef BULKHEAD_QREXEC_AGENT_TRIGGER_H
#define BULKHEAD_QREXEC_AGENT_TRIGGER_H

#include "lib/vchan.h"

#include <stdint.h>

#define QREXEC_AGENT_DEFAULT_SOCKET "/var/run/qubes/qrexec-agent"

/* Listens on path (any local user may make calls). fd or negative errno. */
int trigger_listen(const char *path);
/* Takes one caller's request and passes it to dom0 (v NULL: no dom0 link,
 * refuse at once). <0 only if the dom0 link broke. */
int trigger_accept(int listen_fd, struct vchan *v, uint32_t version);
/* dom0 answered request_id: hands the answer (a whole message) to the
 * caller, if it is still there. */
void trigger_answer(const char *request_id, const void *msg, size_t len);
/* The dom0 link went away: every waiting caller is refused. */
void trigger_refuse_all(void);

#endif
