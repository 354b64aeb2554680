/* A growable byte buffer with a hard upper bound: whatever a peer sends, a
 * struct buf never grows past the max it was given. */
#ifndef BULKHEAD_LIB_BUF_H
#define BULKHEAD_LIB_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data;
    size_t len; /* bytes held, starting at data */
    size_t cap; /* bytes allocated */
    size_t max; /* cap never exceeds this */
};

void buf_init(struct buf *b, size_t max);
void buf_fini(struct buf *b);
/* 0, -EMSGSIZE if len + n would exceed max, or -ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Makes room for n more bytes and returns where they go (commit with
 * buf_commit), or NULL with errno EMSGSIZE/ENOMEM. */
uint8_t *buf_reserve(struct buf *b, size_t n);
void buf_commit(struct buf *b, size_t n);
/* Drops the first n bytes (n > len drops all). */
void buf_consume(struct buf *b, size_t n);
void buf_clear(struct buf *b);

#endif
