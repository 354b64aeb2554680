/* The policy daemon's side of the ask and notify dialogs: the policy.Ask
 * and policy.Notify socket services of dom0 (spec section 2, "How ask
 * works"), reached on the policy agent socket. The request is the service
 * descriptor ("policy.Ask dom0" and a NUL) and a JSON object; policy.Ask
 * answers "allow:TARGET" or "deny". Anything else, or nothing, is deny.
 * (dom0.) */
#ifndef BULKHEAD_QREXEC_POLICY_AGENT_H
#define BULKHEAD_QREXEC_POLICY_AGENT_H

#include "qrexec/policy/v5.h"

#include <stddef.h>

#define AGENT_DEFAULT_SOCKET "/run/qubes/policy-agent.sock"
#define AGENT_ANSWER_MAX     256

/* The bytes of a policy.Ask request (descriptor, NUL, JSON), malloc'd, in
 * *len; NULL when out of memory. arg has no '+'. Pure. */
char *agent_ask_request(const char *source, const char *service, const char *arg,
                        const char (*targets)[V5_NAME_MAX], size_t ntargets,
                        const char *default_target, size_t *len);
/* The same for policy.Notify; resolution is allow, deny or fail. Pure. */
char *agent_notify_request(const char *resolution, const char *service, const char *arg,
                           const char *source, const char *target, size_t *len);
/* An answer to policy.Ask: 1 and the chosen target in out for
 * "allow:TARGET" with TARGET one of those offered, else 0 (deny). A
 * trailing newline is accepted. Pure. */
int agent_parse_answer(const char *answer, size_t len, const char (*targets)[V5_NAME_MAX],
                       size_t ntargets, char out[V5_NAME_MAX]);

/* Asks the user through the agent at sock; waits at most timeout_ms for
 * the answer. 1 (allow, target in out) or 0 (deny, for every failure). */
int agent_ask(const char *sock, const struct v5_request *req, const struct v5_decision *d,
              int timeout_ms, char out[V5_NAME_MAX]);
/* Tells the agent; never waits for it and never fails the call. */
void agent_notify(const char *sock, const char *resolution, const struct v5_request *req,
                  const char *target);

#endif
