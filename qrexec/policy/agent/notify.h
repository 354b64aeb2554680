/* policy.Notify as a desktop notification (dom0). */
#ifndef BULKHEAD_POLICY_AGENT_NOTIFY_H
#define BULKHEAD_POLICY_AGENT_NOTIFY_H

#include "qrexec/policy/agent/request.h"

#include <stddef.h>

/* "Denied: SOURCE -> TARGET: SERVICE+ARG" (or Allowed / Failed). */
void agent_notify_text(const struct agent_request *req, char *out, size_t outsz);

/* Sends the notification without waiting for the notification daemon; when
 * there is no session bus or no daemon, the failure is logged, nothing
 * else happens. */
void agent_notify_send(const struct agent_request *req);

#endif
