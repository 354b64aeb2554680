/* Loading, settling and replying; see decide.h. (dom0.) */
#include "qrexec/policy/decide.h"

#include "lib/log.h"
#include "qrexec/policy/agent.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYSTEM_FILE_MAX (1 << 20)

int engine_load_policy(struct engine *e, const char *const dirs[], size_t ndirs,
                       char err[V5_ERROR_MAX])
{
    struct v5_policy p = {0};
    struct v5_index *ix;

    if (v5_load(&v5_files_system, dirs, ndirs, &p, err) < 0)
        return -EINVAL;
    if (v5_index_build(&p, &ix) < 0) {
        v5_policy_free(&p);
        snprintf(err, V5_ERROR_MAX, "out of memory indexing the policy");
        return -ENOMEM;
    }
    v5_index_free(e->index);
    v5_policy_free(&e->policy);
    e->policy = p;
    e->index = ix;
    return 0;
}

int engine_load_system(struct engine *e, const char *file, char err[V5_ERROR_MAX])
{
    struct v5_system s;
    char *text = malloc(SYSTEM_FILE_MAX);
    ssize_t n = 0, r = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC), rc;

    if (!text) {
        if (fd >= 0)
            close(fd);
        snprintf(err, V5_ERROR_MAX, "out of memory");
        return -ENOMEM;
    }
    if (fd < 0 && errno != ENOENT) {
        snprintf(err, V5_ERROR_MAX, "%s: %s", file, strerror(errno));
        free(text);
        return -EIO;
    }
    while (fd >= 0 && (r = read(fd, text + n, SYSTEM_FILE_MAX - (size_t)n)) > 0)
        n += r;
    if (fd >= 0)
        close(fd);
    if (r < 0 || n == SYSTEM_FILE_MAX) {
        snprintf(err, V5_ERROR_MAX, "%s: unreadable or larger than 1 MiB", file);
        free(text);
        return -EIO;
    }
    rc = v5_parse_system(text, (size_t)n, &s, err);
    free(text);
    if (rc < 0) {
        char line[V5_ERROR_MAX];
        snprintf(line, sizeof(line), "%s", err);
        if (snprintf(err, V5_ERROR_MAX, "%s:%s", file, line) >= V5_ERROR_MAX)
            err[V5_ERROR_MAX - 2] = '~'; /* cut: say so */
        return rc;
    }
    v5_system_free(&e->sys);
    e->sys = s;
    return 0;
}

void engine_free(struct engine *e)
{
    v5_index_free(e->index);
    e->index = NULL;
    v5_policy_free(&e->policy);
    v5_system_free(&e->sys);
}

int decide_split_service(const char *service_and_arg, char *service, char *arg)
{
    struct qrexec_service_name sn;

    if (qrexec_split_service(service_and_arg, &sn) < 0 || sn.name_len >= V5_NAME_MAX ||
        sn.arg_len >= V5_NAME_MAX)
        return -EINVAL;
    memcpy(service, sn.name, sn.name_len);
    service[sn.name_len] = '\0';
    memcpy(arg, sn.arg, sn.arg_len);
    arg[sn.arg_len] = '\0';
    return 0;
}

static void to_deny(struct v5_decision *d, const char *why)
{
    d->action = V5_DENY;
    d->target[0] = '\0';
    snprintf(d->reason, sizeof(d->reason), "%s", why);
}

void decide_settle(const struct v5_request *req, int rc, struct v5_decision *d,
                   const struct decide_opts *o, bool *would_ask)
{
    const char *sock = o->agent_socket ? o->agent_socket : AGENT_DEFAULT_SOCKET;
    bool user_said = false;

    *would_ask = false;
    if (d->action == V5_ASK) {
        char chosen[V5_NAME_MAX];

        if (o->just_evaluate) {
            *would_ask = true;
            to_deny(d, "the policy would ask the user (just_evaluate)");
            d->notify = false;
        } else if (o->assume_yes_for_ask) {
            if (d->default_target[0]) {
                d->action = V5_ALLOW;
                snprintf(d->target, sizeof(d->target), "%s", d->default_target);
            } else {
                to_deny(d, "ask with assume_yes_for_ask, but no default target");
            }
        } else if (agent_ask(sock, req, d, o->ask_timeout_ms, chosen)) {
            d->action = V5_ALLOW;
            snprintf(d->target, sizeof(d->target), "%s", chosen);
        } else {
            to_deny(d, "the user (or nobody) did not allow it");
            user_said = true;
        }
    }
    if (o->just_evaluate)
        return;
    /* the user who just clicked deny needs no notification of it */
    if (d->action == V5_DENY && d->notify && !user_said)
        agent_notify(sock, rc < 0 ? "fail" : "deny", req, req->target);
    else if (d->action == V5_ALLOW && d->notify)
        agent_notify(sock, "allow", req, d->target);
}

int decide_reply(const struct v5_decision *d, const char *requested_target, bool would_ask,
                 char *out, size_t outsz)
{
    int n;

    if (d->action != V5_ALLOW)
        n = snprintf(out, outsz, "result=deny\n%s", would_ask ? "would_ask=yes\n" : "");
    else
        n = snprintf(out, outsz,
                     "result=allow\ntarget=%s\nautostart=%s\n%s%s%srequested_target=%s\n",
                     d->target, d->autostart ? "True" : "False", d->user[0] ? "user=" : "", d->user,
                     d->user[0] ? "\n" : "", requested_target);
    return n < 0 || (size_t)n >= outsz ? -ENOSPC : n;
}
