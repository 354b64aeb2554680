/* admin.Events subscriptions; see events.h. */
#include "dom0/tools/lib/events.h"

#include "dom0/tools/lib/admin_call.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Reads what is there into e->b: 1 at EOF, 0 read something, or -errno. */
static int fill(struct qadmin_events *e)
{
    uint8_t *p = buf_reserve(&e->b, 4096);
    ssize_t got;

    if (!p)
        return -EPROTO; /* a frame beyond QADMIN_EVENT_MAX */
    got = read(e->fd, p, 4096);
    if (got < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : -errno;
    if (got == 0)
        return 1;
    buf_commit(&e->b, (size_t)got);
    return 0;
}

int qadmin_events_open(struct qadmin_events *e, const char *dest, char *msg, size_t msgsz)
{
    struct qadmin_req req = {"admin.Events", NULL, dest, NULL, 0};
    struct qadmin_result res;
    struct qadmin_event ev;
    int r;

    memset(e, 0, sizeof(*e));
    buf_init(&e->b, QADMIN_EVENT_MAX);
    e->fd = qadmin_open(&req, &res);
    if (e->fd < 0) {
        snprintf(msg, msgsz, "%s", res.msg);
        r = e->fd;
        qadmin_events_close(e);
        return r;
    }
    for (;;) {
        /* an exception is read to its end (qvmd closes after it) */
        bool refused = e->b.len && e->b.data[0] == QADMIN_EXCEPTION;
        long took = refused ? 0 : qadmin_parse_event((const char *)e->b.data, e->b.len, &ev);
        if (took > 0 && qadmin_str_eq(ev.name, "connection-established")) {
            buf_consume(&e->b, (size_t)took);
            return 0;
        }
        if (took != 0)
            break; /* malformed, or another event first: not qvmd's stream */
        r = fill(e);
        if (r == 1) {
            /* qvmd answered and closed: a refusal */
            enum qadmin_kind kind;
            struct qadmin_str data;
            char type[64];
            if (qadmin_parse_reply((const char *)e->b.data, e->b.len, &kind, &data) == 0 &&
                kind == QADMIN_EXCEPTION) {
                qadmin_format_exception(data, type, sizeof(type), msg, msgsz);
                qadmin_events_close(e);
                return -EREMOTEIO;
            }
            break;
        }
        if (r < 0) {
            snprintf(msg, msgsz, "cannot read events from qvmd at %s: %s", qadmin_socket(),
                     strerror(-r));
            qadmin_events_close(e);
            return r;
        }
    }
    snprintf(msg, msgsz, "qvmd at %s sent no event stream", qadmin_socket());
    qadmin_events_close(e);
    return -EPROTO;
}

int qadmin_events_next(struct qadmin_events *e, int timeout_ms, struct qadmin_event *ev)
{
    buf_consume(&e->b, e->taken);
    e->taken = 0;
    for (;;) {
        struct pollfd pfd = {.fd = e->fd, .events = POLLIN};
        long took = qadmin_parse_event((const char *)e->b.data, e->b.len, ev);
        int r;
        if (took > 0) {
            e->taken = (size_t)took;
            return 1;
        }
        if (took < 0)
            return -EPROTO;
        r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno != EINTR)
            return -errno;
        if (r == 0)
            return 0;
        if (r < 0)
            continue;
        r = fill(e);
        if (r == 1)
            return -ECONNRESET;
        if (r < 0)
            return r;
    }
}

void qadmin_events_close(struct qadmin_events *e)
{
    if (e->fd >= 0)
        close(e->fd);
    e->fd = -1;
    buf_fini(&e->b);
}
