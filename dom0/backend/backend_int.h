/* Internal to dom0/backend/: the table each backend kind fills in. */
#ifndef BULKHEAD_DOM0_BACKEND_INT_H
#define BULKHEAD_DOM0_BACKEND_INT_H

#include "dom0/backend/backend.h"

struct be_ops {
    const char *name;
    struct backend *(*open)(const struct be_opts *o, char *err, size_t errsz);
    void (*close)(struct backend *b);
    int (*create_paused)(struct backend *b, const struct be_spec *s, int *domid, char *err,
                         size_t errsz);
    int (*unpause)(struct backend *b, int domid, char *err, size_t errsz);
    int (*pause)(struct backend *b, int domid, char *err, size_t errsz);
    int (*shutdown)(struct backend *b, int domid, char *err, size_t errsz);
    int (*destroy)(struct backend *b, int domid, char *err, size_t errsz);
    int (*list)(struct backend *b, struct be_dom *out, int max, char *err, size_t errsz);
    int (*event_fd)(struct backend *b);
    int (*reap)(struct backend *b, int *domids, int max);
};

/* Every backend's private struct starts with this. */
struct backend {
    const struct be_ops *ops;
};

extern const struct be_ops be_local_ops;
extern const struct be_ops be_xen_ops;

/* snprintf into err (if any); returns -1 so callers can "return be_err(...)". */
int be_err(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
