/* What qrexec-policy-daemon, qrexec-policy-exec and qrexec-policy-explain
 * share: loading the policy and qube list, turning a call into a decision
 * (asking the user, notifying), and the reply text of the policy-daemon
 * line protocol (spec section 1). One code path for all of them. (dom0.) */
#ifndef BULKHEAD_QREXEC_POLICY_DECIDE_H
#define BULKHEAD_QREXEC_POLICY_DECIDE_H

#include "qrexec/policy/v5.h"

#include <stdbool.h>
#include <stddef.h>

#define DECIDE_SYSTEM_FILE "/var/lib/bulkhead/qubes.list"
#define DECIDE_MAX_DIRS    16
#define DECIDE_REPLY_MAX   1024

/* A loaded policy with its index, and the qubes it is evaluated against. */
struct engine {
    struct v5_policy policy;
    struct v5_index *index;
    struct v5_system sys;
};

/* The policy from dirs (0, or -EINVAL with "FILE:LINE: why" in err). */
int engine_load_policy(struct engine *e, const char *const dirs[], size_t ndirs,
                       char err[V5_ERROR_MAX]);
/* The qube list from a file; a file that does not exist gives dom0 alone. */
int engine_load_system(struct engine *e, const char *file, char err[V5_ERROR_MAX]);
void engine_free(struct engine *e);

/* Splits SERVICE[+ARG] into the request's parts (buffers of V5_NAME_MAX).
 * 0 or -EINVAL. Pure. */
int decide_split_service(const char *service_and_arg, char *service, char *arg);

struct decide_opts {
    const char *agent_socket; /* NULL: AGENT_DEFAULT_SOCKET */
    int ask_timeout_ms;
    bool assume_yes_for_ask; /* ask counts as allow of the default target */
    bool just_evaluate;      /* never ask or notify; an ask is a deny */
};

/* Turns an evaluated decision into a final one: an ask is put to the
 * user (or settled by the options), notifications are sent. rc is what
 * v5_evaluate returned. d->rule is not used (it may be gone: the daemon
 * reloads meanwhile). Sets *would_ask when an ask was answered deny only
 * because of just_evaluate. */
void decide_settle(const struct v5_request *req, int rc, struct v5_decision *d,
                   const struct decide_opts *o, bool *would_ask);

/* The reply's key=value lines for a settled decision. Pure. Returns the
 * length, or -ENOSPC. */
int decide_reply(const struct v5_decision *d, const char *requested_target, bool would_ask,
                 char *out, size_t outsz);

#endif
