/* The ask and notify requests to the policy agent; see agent.h. (dom0.) */
#include "qrexec/policy/agent.h"

#include "lib/io.h"
#include "lib/log.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* descriptor + NUL + the object's text, in one buffer */
static char *with_descriptor(const char *desc, json_object *o, size_t *len)
{
    const char *js = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
    size_t dl = strlen(desc) + 1, jl;
    char *out;

    if (!js) {
        json_object_put(o);
        return NULL;
    }
    jl = strlen(js);
    out = malloc(dl + jl);
    if (out) {
        memcpy(out, desc, dl);
        memcpy(out + dl, js, jl);
        *len = dl + jl;
    }
    json_object_put(o);
    return out;
}

static void put_str(json_object *o, const char *key, const char *val)
{
    json_object_object_add(o, key, json_object_new_string(val));
}

static void put_arg(json_object *o, const char *arg)
{
    char buf[V5_NAME_MAX + 1];

    /* the agent's argument always carries its '+', even when empty */
    snprintf(buf, sizeof(buf), "+%s", arg ? arg : "");
    put_str(o, "argument", buf);
}

char *agent_ask_request(const char *source, const char *service, const char *arg,
                        const char (*targets)[V5_NAME_MAX], size_t ntargets,
                        const char *default_target, size_t *len)
{
    json_object *o = json_object_new_object(), *list = json_object_new_array();

    if (!o || !list) {
        json_object_put(o);
        json_object_put(list);
        return NULL;
    }
    put_str(o, "source", source);
    put_str(o, "service", service);
    put_arg(o, arg);
    for (size_t i = 0; i < ntargets; i++)
        json_object_array_add(list, json_object_new_string(targets[i]));
    json_object_object_add(o, "targets", list);
    put_str(o, "default_target", default_target ? default_target : "");
    /* labels are not in the qube list yet: the agent shows its default */
    json_object_object_add(o, "icons", json_object_new_object());
    return with_descriptor("policy.Ask dom0", o, len);
}

char *agent_notify_request(const char *resolution, const char *service, const char *arg,
                           const char *source, const char *target, size_t *len)
{
    json_object *o = json_object_new_object();

    if (!o)
        return NULL;
    put_str(o, "resolution", resolution);
    put_str(o, "service", service);
    put_arg(o, arg);
    put_str(o, "source", source);
    put_str(o, "target", target ? target : "");
    return with_descriptor("policy.Notify dom0", o, len);
}

int agent_parse_answer(const char *answer, size_t len, const char (*targets)[V5_NAME_MAX],
                       size_t ntargets, char out[V5_NAME_MAX])
{
    size_t tl;

    out[0] = '\0';
    if (len > 0 && answer[len - 1] == '\n')
        len--;
    if (len <= 6 || memcmp(answer, "allow:", 6) || memchr(answer, '\0', len))
        return 0;
    tl = len - 6;
    /* only what was offered: the agent runs with the user's rights, not
     * dom0 policy's, and may not widen the choice */
    for (size_t i = 0; i < ntargets; i++)
        if (strlen(targets[i]) == tl && !memcmp(targets[i], answer + 6, tl)) {
            memcpy(out, targets[i], tl + 1);
            return 1;
        }
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int agent_ask(const char *sock, const struct v5_request *req, const struct v5_decision *d,
              int timeout_ms, char out[V5_NAME_MAX])
{
    char answer[AGENT_ANSWER_MAX];
    size_t len, got = 0;
    char *msg = agent_ask_request(req->source, req->service, req->arg, d->ask_targets, d->ask_count,
                                  d->default_target, &len);
    long long deadline = now_ms() + timeout_ms;
    int fd = msg ? io_unix_connect(sock) : -ENOMEM, rc = 0;

    out[0] = '\0';
    if (fd < 0) {
        log_warnx("ask %s from %s: no policy agent at %s (%s): deny", req->service, req->source,
                  sock, strerror(-fd));
        free(msg);
        return 0;
    }
    if (io_write_full(fd, msg, len) < 0 || shutdown(fd, SHUT_WR) < 0)
        goto out;
    while (got < sizeof(answer)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        long long left = deadline - now_ms();
        ssize_t r;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            log_warnx("ask %s from %s: no answer in time: deny", req->service, req->source);
            goto out;
        }
        r = read(fd, answer + got, sizeof(answer) - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    rc = got < sizeof(answer) && agent_parse_answer(answer, got, d->ask_targets, d->ask_count, out);
    if (!rc && got)
        log_warnx("ask %s from %s: the answer is deny or not one of the offered targets",
                  req->service, req->source);
out:
    close(fd);
    free(msg);
    return rc;
}

void agent_notify(const char *sock, const char *resolution, const struct v5_request *req,
                  const char *target)
{
    size_t len;
    char *msg = agent_notify_request(resolution, req->service, req->arg, req->source, target, &len);
    int fd = msg ? io_unix_connect(sock) : -1;

    /* a notification fits the socket buffer: a non-blocking send either
     * goes at once or is dropped, and the call never waits for a GUI */
    if (fd >= 0) {
        if (send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
            log_debug("notify: %s", strerror(errno));
        close(fd);
    }
    free(msg);
}
