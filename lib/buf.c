#include "lib/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void buf_fini(struct buf *b)
{
    free(b->data);
    buf_init(b, b->max);
}

uint8_t *buf_reserve(struct buf *b, size_t n)
{
    size_t want, cap;
    uint8_t *p;

    if (n > b->max || b->len > b->max - n) {
        errno = EMSGSIZE;
        return NULL;
    }
    want = b->len + n;
    if (want > b->cap) {
        cap = b->cap ? b->cap : 256;
        while (cap < want)
            cap = cap > b->max / 2 ? b->max : cap * 2;
        if (cap > b->max)
            cap = b->max;
        p = realloc(b->data, cap);
        if (!p) {
            errno = ENOMEM;
            return NULL;
        }
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
    b->len += n;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    uint8_t *dst;

    if (n == 0)
        return 0;
    dst = buf_reserve(b, n);
    if (!dst)
        return -errno;
    memcpy(dst, p, n);
    b->len += n;
    return 0;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void buf_clear(struct buf *b)
{
    b->len = 0;
}
