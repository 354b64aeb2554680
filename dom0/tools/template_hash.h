/* SHA-256 of a stream in a thread of its own: hashing a template's root
 * (gigabytes, holes included) is the slowest step of an install, and on
 * a second core it runs beside decompression, zero detection and writing
 * instead of after them. The caller hands over data (copied into a small
 * ring, so the caller's buffer is free again at once) and runs of zeros
 * (a count, nothing copied). */
#ifndef BULKHEAD_DOM0_TEMPLATE_HASH_H
#define BULKHEAD_DOM0_TEMPLATE_HASH_H

#include <stddef.h>
#include <stdint.h>

struct thash;

/* Starts the thread. NULL if that failed. */
struct thash *thash_start(void);
/* Queues n bytes of data / n zero bytes (waits while the ring is full). */
void thash_data(struct thash *h, const void *p, size_t n);
void thash_zeros(struct thash *h, uint64_t n);
/* Waits for the thread, puts the digest in out (NULL: drop it) and frees
 * h. 0, or -1 if the hash could not be computed. Accepts NULL. */
int thash_finish(struct thash *h, uint8_t out[32]);

#endif
