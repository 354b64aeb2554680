/* A sorted array: lookups by binary search, prefix ranges are contiguous
 * (LIST and MULTIREAD are one slice), and at QDB_STORE_MAX entries the
 * memmove on insert stays cheap. */
#include "qubesdb/daemon/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Index of the first entry >= path. */
static size_t lower_bound(const struct qdb_store *s, const char *path)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->e[mid].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct qdb_entry *qdb_store_get(const struct qdb_store *s, const char *path)
{
    size_t i = lower_bound(s, path);

    return i < s->n && strcmp(s->e[i].path, path) == 0 ? &s->e[i] : NULL;
}

int qdb_store_set(struct qdb_store *s, const char *path, const void *data, uint32_t len)
{
    size_t i = lower_bound(s, path);
    uint8_t *copy = malloc(len ? len : 1);

    if (copy == NULL)
        return -ENOMEM;
    if (len)
        memcpy(copy, data, len);
    if (i < s->n && strcmp(s->e[i].path, path) == 0) {
        free(s->e[i].data);
        s->e[i].data = copy;
        s->e[i].len = len;
        return 0;
    }
    if (s->n >= QDB_STORE_MAX) {
        free(copy);
        return -ENOSPC;
    }
    if (s->e == NULL) {
        s->e = calloc(QDB_STORE_MAX, sizeof(*s->e));
        if (s->e == NULL) {
            free(copy);
            return -ENOMEM;
        }
    }
    memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof(*s->e));
    memset(&s->e[i], 0, sizeof(s->e[i]));
    strncpy(s->e[i].path, path, QDB_MAX_PATH - 1);
    s->e[i].data = copy;
    s->e[i].len = len;
    s->n++;
    return 0;
}

void qdb_store_prefix(const struct qdb_store *s, const char *prefix, size_t *first, size_t *end)
{
    size_t plen = strlen(prefix), i = lower_bound(s, prefix);

    *first = i;
    while (i < s->n && strncmp(s->e[i].path, prefix, plen) == 0)
        i++;
    *end = i;
}

size_t qdb_store_rm(struct qdb_store *s, const char *path, void (*cb)(const char *, void *),
                    void *arg)
{
    size_t plen = strlen(path), first, end;

    if (s->n == 0)
        return 0;
    if (plen && path[plen - 1] == '/')
        qdb_store_prefix(s, path, &first, &end);
    else {
        first = lower_bound(s, path);
        end = first < s->n && strcmp(s->e[first].path, path) == 0 ? first + 1 : first;
    }
    for (size_t i = first; i < end; i++) {
        if (cb)
            cb(s->e[i].path, arg);
        free(s->e[i].data);
    }
    memmove(&s->e[first], &s->e[end], (s->n - end) * sizeof(*s->e));
    s->n -= end - first;
    return end - first;
}

void qdb_store_free(struct qdb_store *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->e[i].data);
    free(s->e);
    s->e = NULL;
    s->n = 0;
}
