/* The Admin API methods over the store: one call in, one reply frame out
 * (0x30 OK or 0x32 exception), events through a callback. No I/O here, so
 * conformance of each method can be reached by tests either way. (dom0.) */
#ifndef BULKHEAD_QVMD_API_H
#define BULKHEAD_QVMD_API_H

#include "dom0/qvmd/request.h"
#include "dom0/qvmd/store.h"
#include "lib/buf.h"

/* kv: NULL-terminated KEY, VALUE pairs. subject: a qube name, or "" for
 * the system (global properties, qubes added or removed). */
typedef void (*api_emit_fn)(void *ctx, const char *subject, const char *event,
                            const char *const *kv);

struct lifecycle;

struct api_ctx {
    struct store *store;
    api_emit_fn emit;
    void *emit_ctx;
    struct lifecycle *lc; /* NULL: no lifecycle (unit tests) */
    void *waiter;         /* the caller, for calls answered later */
};

/* Handles one call; payload is what came after the header (not
 * NUL-terminated). Returns 1 for admin.Events (the connection then
 * streams events; out holds the connection-established frame), 2 when
 * the reply comes later (a start, a shutdown that waits: the lifecycle's
 * done callback gets c->waiter), else 0 with the whole reply in out. */
int api_handle(struct api_ctx *c, const struct admin_request *rq, const char *payload, size_t plen,
               struct buf *out);

/* Frames, for the server and the tests. */
void api_exception(struct buf *out, const char *type, const char *msg);
void api_event_frame(struct buf *out, const char *subject, const char *event,
                     const char *const *kv);

/* The handlers of api_vm.c and api_misc.c: 0 with data in out (without the
 * 0x30 0x00 prefix), or -1 with e. */
struct api_call {
    struct api_ctx *c;
    const struct admin_request *rq;
    const char *payload; /* NUL-terminated copy */
    size_t plen;
    struct vm_info vm; /* the destination, when it is a qube (dom0 included) */
    struct buf *out;
    struct qerr e;
    bool overflow; /* the reply did not fit in out */
    bool pending;  /* answered later (see api_handle) */
};
int api_vm_method(struct api_call *a, bool *handled);
int api_misc_method(struct api_call *a, bool *handled);
int api_lifecycle_method(struct api_call *a, bool *handled);
int api_storage_method(struct api_call *a, bool *handled); /* api_storage.c */
int api_out(struct api_call *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void api_emit(struct api_call *a, const char *subject, const char *event, ...);

#endif
