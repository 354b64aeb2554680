/* Asking dom0's policy about a call (dom0): first qrexec-policy-daemon on
 * its socket (line protocol), then, if nothing answers there, the policy
 * program (PROG -- SOURCE TARGET SERVICE+ARG). Anything unclear is deny. */
#ifndef BULKHEAD_QREXEC_DAEMON_POLICY_H
#define BULKHEAD_QREXEC_DAEMON_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#define POLICY_DEFAULT_SOCKET  "/run/qubes/policy.sock"
#define POLICY_DEFAULT_PROGRAM "/usr/bin/qrexec-policy-exec"
#define POLICY_FIELD_MAX       64
#define POLICY_REPLY_MAX       4096

struct policy_reply {
    bool allow;
    char target[POLICY_FIELD_MAX]; /* a qube name, @adminvm or @dispvm... */
    char user[POLICY_FIELD_MAX];   /* "" for the default user */
    bool autostart;
    bool would_ask; /* deny only because just_evaluate was asked and the policy says ask */
};

/* The reply's key=value lines: result=allow|deny once, target= required
 * for allow, user= and autostart= optional, unknown keys ignored. Pure.
 * 0 or -EINVAL (which callers treat as deny). */
int policy_parse_reply(const char *text, size_t len, struct policy_reply *out);

struct policy_query {
    unsigned domain_id;
    const char *source, *target, *service_and_arg, *request_id;
    const char *requested_source; /* NULL or "": the source itself */
    const char *socket_path;      /* NULL: the default */
    const char *program;          /* NULL: the default */
    bool just_evaluate;           /* decide without asking the user (socket only) */
};
/* Blocks until policy answered; meant for a process of its own. */
int policy_ask(const struct policy_query *q, struct policy_reply *out);

#endif
