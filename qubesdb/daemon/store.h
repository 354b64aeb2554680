/* The daemon's key/value table: sorted by path, bounded, in memory. */
#ifndef BULKHEAD_QUBESDB_STORE_H
#define BULKHEAD_QUBESDB_STORE_H

#include "qubesdb/proto/qdb_proto.h"

#include <stddef.h>
#include <stdint.h>

/* Bounded so that a VM writing under its allowed prefixes cannot grow the
 * daemon's memory without limit: 4096 entries of at most 3 KiB each. */
#define QDB_STORE_MAX 4096

struct qdb_entry {
    char path[QDB_MAX_PATH];
    uint32_t len;
    uint8_t *data;
};

struct qdb_store {
    struct qdb_entry *e;
    size_t n;
};

/* NULL if absent. */
const struct qdb_entry *qdb_store_get(const struct qdb_store *s, const char *path);
/* 0, -ENOSPC when full, -ENOMEM. */
int qdb_store_set(struct qdb_store *s, const char *path, const void *data, uint32_t len);
/* Removes path, or every key under it if it ends with '/'; calls cb for
 * each removed key. Returns how many were removed. */
size_t qdb_store_rm(struct qdb_store *s, const char *path, void (*cb)(const char *, void *),
                    void *arg);
/* The index range [*first, *end) of keys starting with prefix. */
void qdb_store_prefix(const struct qdb_store *s, const char *prefix, size_t *first, size_t *end);
void qdb_store_free(struct qdb_store *s);

#endif
