#include "lib/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ring_init(struct ring *r, size_t cap)
{
    size_t c = 1;

    while (c < cap)
        c <<= 1;
    r->data = malloc(c);
    if (!r->data)
        return -ENOMEM;
    r->cap = c;
    r->head = r->tail = 0;
    return 0;
}

void ring_fini(struct ring *r)
{
    free(r->data);
    r->data = NULL;
    r->cap = r->head = r->tail = 0;
}

/* Splits the region [start, start+len) of the circular buffer in two. */
static int ring_span(const struct ring *r, size_t start, size_t len, struct iovec iov[2])
{
    size_t pos = start & (r->cap - 1);
    size_t first = r->cap - pos;

    if (len == 0)
        return 0;
    iov[0].iov_base = r->data + pos;
    if (len <= first) {
        iov[0].iov_len = len;
        return 1;
    }
    iov[0].iov_len = first;
    iov[1].iov_base = r->data;
    iov[1].iov_len = len - first;
    return 2;
}

int ring_free_iov(const struct ring *r, struct iovec iov[2])
{
    return ring_span(r, r->tail, ring_free(r), iov);
}

int ring_used_iov(const struct ring *r, struct iovec iov[2])
{
    return ring_span(r, r->head, ring_used(r), iov);
}

void ring_produced(struct ring *r, size_t n)
{
    r->tail += n;
}

void ring_consumed(struct ring *r, size_t n)
{
    r->head += n;
    /* an empty ring restarts at offset 0, so the next fill is one span */
    if (r->head == r->tail)
        r->head = r->tail = 0;
}

size_t ring_put(struct ring *r, const void *src, size_t n)
{
    struct iovec iov[2];
    int cnt = ring_free_iov(r, iov);
    size_t done = 0;

    for (int i = 0; i < cnt && done < n; i++) {
        size_t k = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;
        memcpy(iov[i].iov_base, (const uint8_t *)src + done, k);
        done += k;
    }
    ring_produced(r, done);
    return done;
}

size_t ring_get(struct ring *r, void *dst, size_t n)
{
    struct iovec iov[2];
    int cnt = ring_used_iov(r, iov);
    size_t done = 0;

    for (int i = 0; i < cnt && done < n; i++) {
        size_t k = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;
        memcpy((uint8_t *)dst + done, iov[i].iov_base, k);
        done += k;
    }
    ring_consumed(r, done);
    return done;
}
