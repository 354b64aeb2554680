/* The deterministic byte pattern and checksum that transfer tests and
 * benchmarks use: a sender generates it from a seed, a receiver checks it
 * without keeping a copy. Chunked use must cut at multiples of 8 bytes
 * (except the last chunk). Not a cryptographic hash. */
#ifndef BULKHEAD_TESTS_XFER_PATTERN_H
#define BULKHEAD_TESTS_XFER_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct xfer_pattern {
    uint64_t state;
};

static inline void xfer_pattern_init(struct xfer_pattern *p, uint64_t seed)
{
    p->state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

/* xorshift64*: one 64-bit word per step */
static inline void xfer_pattern_fill(struct xfer_pattern *p, uint8_t *buf, size_t len)
{
    uint64_t x = p->state, w;
    size_t i;

    for (i = 0; i + 8 <= len; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        w = x * 0x2545f4914f6cdd1dULL;
        memcpy(buf + i, &w, 8);
    }
    if (i < len) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        w = x * 0x2545f4914f6cdd1dULL;
        memcpy(buf + i, &w, len - i);
    }
    p->state = x;
}

#define XFER_SUM_INIT 0xcbf29ce484222325ULL

/* word-at-a-time multiply-xor, position dependent through the state */
static inline uint64_t xfer_sum(uint64_t h, const uint8_t *buf, size_t len)
{
    uint64_t w;
    size_t i;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, buf + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    if (i < len) {
        w = 0;
        memcpy(&w, buf + i, len - i);
        h = (h ^ w ^ (uint64_t)(len - i) << 56) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    return h;
}

#endif
