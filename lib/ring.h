/* A single-threaded byte ring with a power-of-two capacity. Its free and
 * used regions are exposed as (at most two) iovecs so one readv()/writev()
 * moves as much as fits in one system call. */
#ifndef BULKHEAD_LIB_RING_H
#define BULKHEAD_LIB_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct ring {
    uint8_t *data;
    size_t cap;  /* a power of two */
    size_t head; /* total bytes ever consumed; position = head & (cap-1) */
    size_t tail; /* total bytes ever produced */
};

/* cap is rounded up to a power of two. 0 or -ENOMEM. */
int ring_init(struct ring *r, size_t cap);
void ring_fini(struct ring *r);

static inline size_t ring_used(const struct ring *r)
{
    return r->tail - r->head;
}

static inline size_t ring_free(const struct ring *r)
{
    return r->cap - ring_used(r);
}

/* Copies up to n bytes in/out; returns how many moved. */
size_t ring_put(struct ring *r, const void *src, size_t n);
size_t ring_get(struct ring *r, void *dst, size_t n);
/* The free space as iovecs (returns how many, 0..2); then ring_produced(). */
int ring_free_iov(const struct ring *r, struct iovec iov[2]);
void ring_produced(struct ring *r, size_t n);
/* The held bytes as iovecs (0..2); then ring_consumed(). */
int ring_used_iov(const struct ring *r, struct iovec iov[2]);
void ring_consumed(struct ring *r, size_t n);

#endif
