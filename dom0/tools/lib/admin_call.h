/* Calls to qvmd's Admin API from dom0's commands: one connection per call
 * (the Admin API's framing has no request ids), and a batch form that
 * keeps many calls in flight at once so that qvm-ls over hundreds of
 * qubes costs about one round trip, not hundreds. */
#ifndef BULKHEAD_DOM0_ADMIN_CALL_H
#define BULKHEAD_DOM0_ADMIN_CALL_H

#include "dom0/tools/lib/admin_reply.h"

#include <stddef.h>

#define QADMIN_SOCKET     "/run/bulkhead/qvmd.sock"
#define QADMIN_SOCKET_ENV "BULKHEAD_QVMD_SOCKET"
/* A reply larger than this is refused (a list of thousands of qubes with
 * all their properties still fits many times over). */
#define QADMIN_REPLY_MAX (64u << 20)

/* $BULKHEAD_QVMD_SOCKET, or the default. */
const char *qadmin_socket(void);

struct qadmin_req {
    const char *method; /* "admin.vm.property.Get" */
    const char *arg;    /* the part after '+'; NULL or "" for none */
    const char *dest;   /* a qube name, "dom0" for dom0-wide calls */
    const void *payload;
    size_t payload_len;
};

struct qadmin_result {
    int status;            /* 0 OK, -EREMOTEIO exception, other -errno */
    enum qadmin_kind kind; /* valid when status is 0 or -EREMOTEIO */
    char *buf;             /* the whole reply (owned, NUL after len) */
    size_t len;
    struct qadmin_str data; /* OK: the reply's data */
    char type[64];          /* exception type, "" otherwise */
    char msg[512];          /* one printable line when status != 0 */
};

/* One call. Returns res->status. */
int qadmin_call(const struct qadmin_req *req, struct qadmin_result *res);
/* n calls, at most QADMIN_BATCH_WINDOW connections open at once; res[i]
 * for req[i]. Returns 0 if every call was OK, else the first failure's
 * status (each res[i] has its own). */
#define QADMIN_BATCH_WINDOW 64
int qadmin_call_many(const struct qadmin_req *req, struct qadmin_result *res, size_t n);
void qadmin_result_free(struct qadmin_result *res);

/* Sends one request and hands back the connection for a reply read as it
 * arrives (admin.Events, see events.h). The fd, or a negative errno with
 * res->msg saying why. */
int qadmin_open(const struct qadmin_req *req, struct qadmin_result *res);

#endif
