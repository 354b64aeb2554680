/* Admin API dispatch, reply frames and events; the methods themselves are
 * in api_vm.c and api_misc.c. */
#include "dom0/qvmd/api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_exception(struct buf *out, const char *type, const char *msg)
{
    static const uint8_t tag[2] = {0x32, 0};

    buf_clear(out);
    buf_append(out, tag, 2);
    buf_append(out, type, strlen(type) + 1);
    buf_append(out, "", 1); /* no traceback */
    /* the message is a format string to clients: '%' must be doubled */
    for (const char *p = msg; *p; p++)
        buf_append(out, *p == '%' ? "%%" : p, *p == '%' ? 2 : 1);
    buf_append(out, "", 1);
}

void api_event_frame(struct buf *out, const char *subject, const char *event, const char *const *kv)
{
    static const uint8_t tag[2] = {0x31, 0};

    buf_append(out, tag, 2);
    buf_append(out, subject, strlen(subject) + 1);
    buf_append(out, event, strlen(event) + 1);
    for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
        buf_append(out, kv[i], strlen(kv[i]) + 1);
        buf_append(out, kv[i + 1], strlen(kv[i + 1]) + 1);
    }
    buf_append(out, "", 1);
}

int api_out(struct api_call *a, const char *fmt, ...)
{
    char small[512], *p = small;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n >= sizeof(small)) {
        p = malloc((size_t)n + 1);
        if (!p)
            return -1;
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    n = buf_append(a->out, p, (size_t)n);
    if (n < 0)
        a->overflow = true;
    if (p != small)
        free(p);
    return n;
}

/* api_emit(a, subject, event, KEY, VALUE, ..., NULL) */
void api_emit(struct api_call *a, const char *subject, const char *event, ...)
{
    const char *kv[16];
    size_t n = 0;
    va_list ap;

    if (!a->c->emit)
        return;
    va_start(ap, event);
    while (n < 15 && (kv[n] = va_arg(ap, const char *)))
        n++;
    va_end(ap);
    kv[n] = NULL;
    a->c->emit(a->c->emit_ctx, subject, event, kv);
}

int api_handle(struct api_ctx *c, const struct admin_request *rq, const char *payload, size_t plen,
               struct buf *out)
{
    static const uint8_t ok[2] = {0x30, 0};
    struct api_call a = {.c = c, .rq = rq, .plen = plen, .out = out};
    char *pl = malloc(plen + 1);
    bool handled = false;
    int r = -1;

    buf_clear(out);
    if (!pl) {
        api_exception(out, "QubesException", "out of memory");
        return 0;
    }
    memcpy(pl, payload, plen);
    pl[plen] = 0;
    a.payload = pl;
    /* an image (admin.vm.volume.Import*) is the only binary payload */
    if (strlen(pl) != plen && strncmp(rq->method, "admin.vm.volume.Import", 22)) {
        qerr_set(&a.e, "QubesValueError", "payload holds a NUL byte");
        goto done;
    }
    if (store_vm_find(c->store, rq->dest, &a.vm) < 0) {
        qerr_set(&a.e, "QubesVMNotFoundError", "no such qube: %s", rq->dest);
        goto done;
    }
    if (!strcmp(rq->method, "admin.Events")) {
        /* the subscription itself; the server keeps the connection */
        api_event_frame(out, "", "connection-established", NULL);
        free(pl);
        return 1;
    }
    buf_append(out, ok, 2);
    r = api_vm_method(&a, &handled);
    if (!handled)
        r = api_misc_method(&a, &handled);
    if (!handled)
        r = api_lifecycle_method(&a, &handled);
    if (!handled)
        r = api_storage_method(&a, &handled);
    if (!handled)
        r = qerr_set(&a.e, "QubesException", "unknown method %s", rq->method);
done:
    if (r < 0)
        api_exception(out, a.e.type, a.e.msg);
    if (a.overflow) /* a reply that did not fit */
        api_exception(out, "QubesException", "reply too large");
    free(pl);
    return r >= 0 && a.pending ? 2 : 0;
}
