/* A hashing thread fed through a ring of slots; see template_hash.h. */
#include "dom0/tools/template_hash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Eight slots of 1 MiB: enough to ride over the jitter of either side,
 * small enough to stay in cache-friendly reach. */
#define SLOTS     8
#define SLOT_SIZE (1u << 20)

struct slot {
    size_t len;     /* bytes of data in buf */
    uint64_t zeros; /* or a run of zeros */
    unsigned char *buf;
};

struct thash {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct slot slot[SLOTS];
    unsigned head, tail; /* filled slots are [tail, head) (mod SLOTS, counted) */
    bool done, failed;
    EVP_MD_CTX *md;
};

static const unsigned char zeros[64 * 1024];

static void *run(void *arg)
{
    struct thash *h = arg;

    for (;;) {
        struct slot *s;
        pthread_mutex_lock(&h->lock);
        while (h->tail == h->head && !h->done)
            pthread_cond_wait(&h->changed, &h->lock);
        if (h->tail == h->head) { /* done and drained */
            pthread_mutex_unlock(&h->lock);
            return NULL;
        }
        s = &h->slot[h->tail % SLOTS];
        pthread_mutex_unlock(&h->lock);
        /* the slot is ours until tail moves past it */
        if (s->len && !EVP_DigestUpdate(h->md, s->buf, s->len))
            h->failed = true;
        for (uint64_t n = s->zeros; n;) {
            size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);
            if (!EVP_DigestUpdate(h->md, zeros, k))
                h->failed = true;
            n -= k;
        }
        pthread_mutex_lock(&h->lock);
        h->tail++;
        pthread_cond_broadcast(&h->changed);
        pthread_mutex_unlock(&h->lock);
    }
}

static void free_h(struct thash *h)
{
    for (int i = 0; i < SLOTS; i++)
        free(h->slot[i].buf);
    EVP_MD_CTX_free(h->md);
    free(h);
}

struct thash *thash_start(void)
{
    struct thash *h = calloc(1, sizeof(*h));

    if (!h)
        return NULL;
    for (int i = 0; i < SLOTS; i++)
        if (!(h->slot[i].buf = malloc(SLOT_SIZE))) {
            free_h(h);
            return NULL;
        }
    h->md = EVP_MD_CTX_new();
    if (!h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL)) {
        free_h(h);
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->changed, NULL);
    if (pthread_create(&h->thread, NULL, run, h) != 0) {
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->changed);
        free_h(h);
        return NULL;
    }
    return h;
}

/* The next free slot (waiting for one), to fill and then publish. */
static struct slot *next_free(struct thash *h)
{
    struct slot *s;

    pthread_mutex_lock(&h->lock);
    while (h->head - h->tail == SLOTS)
        pthread_cond_wait(&h->changed, &h->lock);
    s = &h->slot[h->head % SLOTS];
    pthread_mutex_unlock(&h->lock);
    return s;
}

static void publish(struct thash *h)
{
    pthread_mutex_lock(&h->lock);
    h->head++;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
}

void thash_data(struct thash *h, const void *p, size_t n)
{
    const unsigned char *b = p;

    while (n) {
        struct slot *s = next_free(h);
        size_t k = n < SLOT_SIZE ? n : SLOT_SIZE;
        memcpy(s->buf, b, k);
        s->len = k;
        s->zeros = 0;
        publish(h);
        b += k, n -= k;
    }
}

void thash_zeros(struct thash *h, uint64_t n)
{
    struct slot *s;

    if (!n)
        return;
    s = next_free(h);
    s->len = 0;
    s->zeros = n;
    publish(h);
}

int thash_finish(struct thash *h, uint8_t out[32])
{
    int r;

    if (!h)
        return -1;
    pthread_mutex_lock(&h->lock);
    h->done = true;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    r = h->failed ? -1 : 0;
    if (!r && out && !EVP_DigestFinal_ex(h->md, out, NULL))
        r = -1;
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->changed);
    free_h(h);
    return r;
}
