/* Backend dispatch by kind (dom0, trusted). */
#include "dom0/backend/backend_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int be_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return -1;
}

struct backend *backend_open(const char *kind, const struct be_opts *o, char *err, size_t errsz)
{
    static const struct be_opts none;
    const struct be_ops *ops = NULL;
    if (kind && !strcmp(kind, "local"))
        ops = &be_local_ops;
    else if (kind && !strcmp(kind, "xen"))
        ops = &be_xen_ops;
    if (!ops) {
        be_err(err, errsz, "unknown backend kind '%s' (xen or local)", kind ? kind : "");
        return NULL;
    }
    return ops->open(o ? o : &none, err, errsz);
}

void backend_close(struct backend *b)
{
    if (b)
        b->ops->close(b);
}

const char *backend_name(const struct backend *b)
{
    return b->ops->name;
}

int backend_create_paused(struct backend *b, const struct be_spec *s, int *domid, char *err,
                          size_t errsz)
{
    return b->ops->create_paused(b, s, domid, err, errsz);
}

int backend_unpause(struct backend *b, int domid, char *err, size_t errsz)
{
    return b->ops->unpause(b, domid, err, errsz);
}

int backend_pause(struct backend *b, int domid, char *err, size_t errsz)
{
    return b->ops->pause(b, domid, err, errsz);
}

int backend_shutdown(struct backend *b, int domid, char *err, size_t errsz)
{
    return b->ops->shutdown(b, domid, err, errsz);
}

int backend_destroy(struct backend *b, int domid, char *err, size_t errsz)
{
    return b->ops->destroy(b, domid, err, errsz);
}

int backend_list(struct backend *b, struct be_dom *out, int max, char *err, size_t errsz)
{
    return b->ops->list(b, out, max, err, errsz);
}

int backend_event_fd(struct backend *b)
{
    return b->ops->event_fd(b);
}

int backend_reap(struct backend *b, int *domids, int max)
{
    return b->ops->reap(b, domids, max);
}
