/* A subscription to qvmd's admin.Events, read as the events arrive: what
 * qvm-shutdown --wait waits on instead of asking for states in a loop. */
#ifndef BULKHEAD_DOM0_EVENTS_H
#define BULKHEAD_DOM0_EVENTS_H

#include "dom0/tools/lib/admin_reply.h"
#include "lib/buf.h"

#include <stddef.h>

/* Events are small; a frame larger than this ends the subscription. */
#define QADMIN_EVENT_MAX (256u << 10)

struct qadmin_events {
    int fd;
    struct buf b;
    size_t taken; /* bytes of the event last returned, dropped on the next call */
};

/* Subscribes to the events of dest ("dom0": every qube's) and returns once
 * qvmd confirmed the subscription (connection-established), so that
 * nothing that happens afterwards is missed. 0, or a negative errno with
 * msg saying why (qvmd's message if it refused). */
int qadmin_events_open(struct qadmin_events *e, const char *dest, char *msg, size_t msgsz);

/* The next event, waiting up to timeout_ms (-1: as long as it takes). 1
 * with *ev pointing into e's buffer (valid until the next call), 0 if
 * none came in time, or a negative errno once the stream ended
 * (-ECONNRESET) or broke (-EPROTO: a malformed or oversized frame). */
int qadmin_events_next(struct qadmin_events *e, int timeout_ms, struct qadmin_event *ev);

void qadmin_events_close(struct qadmin_events *e);

#endif
