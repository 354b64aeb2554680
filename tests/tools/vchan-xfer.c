/* vchan-xfer: moves a checksummed byte stream over lib/vchan, for the
 * integration and Xen system tests and the demo.
 *
 *   vchan-xfer server|client PEER PORT send|recv BYTES [TIMEOUT_MS]
 *
 * The sender writes a 16-byte header (length, seed; little-endian), then
 * the pattern. The receiver checks every byte against the pattern it
 * regenerates and answers with its checksum, which the sender compares with
 * its own. Each side prints one VCHAN_XFER line; exit 0 only if both sums
 * match. */
#include "lib/log.h"
#include "lib/vchan.h"
#include "tests/tools/xfer_pattern.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 65536

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int do_send(struct vchan *v, uint64_t bytes, const char *who)
{
    static uint8_t buf[CHUNK];
    struct xfer_pattern pat;
    uint64_t seed = bytes ^ 0x5eed5eed5eedULL, sum = XFER_SUM_INIT, left = bytes, remote;
    uint8_t hdr[16], reply[8];
    double t0 = now_s(), dt;
    int r;

    put_u64(hdr, bytes);
    put_u64(hdr + 8, seed);
    if ((r = vchan_write(v, hdr, sizeof(hdr))) < 0)
        goto fail;
    xfer_pattern_init(&pat, seed);
    while (left) {
        size_t n = left > CHUNK ? CHUNK : (size_t)left;
        xfer_pattern_fill(&pat, buf, n);
        sum = xfer_sum(sum, buf, n);
        if ((r = vchan_write(v, buf, n)) < 0)
            goto fail;
        left -= n;
    }
    if ((r = vchan_read(v, reply, sizeof(reply))) < 0)
        goto fail;
    dt = now_s() - t0;
    remote = get_u64(reply);
    printf("VCHAN_XFER %s sent %" PRIu64 " bytes in %.3f s (%.1f MB/s) sum=%016" PRIx64
           " peer=%016" PRIx64 " %s\n",
           who, bytes, dt, (double)bytes / 1e6 / (dt > 0 ? dt : 1e-9), sum, remote,
           sum == remote ? "OK" : "MISMATCH");
    return sum == remote ? 0 : 1;
fail:
    printf("VCHAN_XFER %s send failed: %s\n", who, strerror(-r));
    return 1;
}

static int do_recv(struct vchan *v, const char *who)
{
    static uint8_t buf[CHUNK], want[CHUNK];
    struct xfer_pattern pat;
    uint64_t bytes, left, sum = XFER_SUM_INIT, bad_at = UINT64_MAX;
    uint8_t hdr[16], reply[8];
    double t0, dt;
    int r;

    if ((r = vchan_read(v, hdr, sizeof(hdr))) < 0)
        goto fail;
    t0 = now_s();
    bytes = left = get_u64(hdr);
    xfer_pattern_init(&pat, get_u64(hdr + 8));
    while (left) {
        size_t n = left > CHUNK ? CHUNK : (size_t)left;
        if ((r = vchan_read(v, buf, n)) < 0)
            goto fail;
        xfer_pattern_fill(&pat, want, n);
        if (bad_at == UINT64_MAX && memcmp(buf, want, n) != 0) {
            size_t i = 0;
            while (buf[i] == want[i])
                i++;
            bad_at = bytes - left + i;
        }
        sum = xfer_sum(sum, buf, n);
        left -= n;
    }
    put_u64(reply, sum);
    if ((r = vchan_write(v, reply, sizeof(reply))) < 0)
        goto fail;
    dt = now_s() - t0;
    if (bad_at != UINT64_MAX)
        printf("VCHAN_XFER %s received %" PRIu64 " bytes, first wrong byte at %" PRIu64
               " MISMATCH\n",
               who, bytes, bad_at);
    else
        printf("VCHAN_XFER %s received %" PRIu64 " bytes in %.3f s (%.1f MB/s) sum=%016" PRIx64
               " OK\n",
               who, bytes, dt, (double)bytes / 1e6 / (dt > 0 ? dt : 1e-9), sum);
    return bad_at == UINT64_MAX ? 0 : 1;
fail:
    printf("VCHAN_XFER %s receive failed: %s\n", who, strerror(-r));
    return 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: vchan-xfer server|client PEER_DOMID PORT send|recv BYTES "
                    "[TIMEOUT_MS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct vchan *v;
    char who[64];
    int server, sending, peer, port, timeout = 60000, rc;
    uint64_t bytes;

    log_init(argv[0]);
    if (argc < 6 || argc > 7)
        usage();
    server = !strcmp(argv[1], "server");
    if (!server && strcmp(argv[1], "client"))
        usage();
    sending = !strcmp(argv[4], "send");
    if (!sending && strcmp(argv[4], "recv"))
        usage();
    peer = atoi(argv[2]);
    port = atoi(argv[3]);
    bytes = strtoull(argv[5], NULL, 0);
    if (argc == 7)
        timeout = atoi(argv[6]);

    if (server)
        v = vchan_server_init(peer, port, CHUNK, CHUNK);
    else
        v = vchan_client_init(peer, port, timeout);
    if (!v) {
        printf("VCHAN_XFER %s init failed (peer %d, port %d): %s\n", argv[1], peer, port,
               strerror(errno));
        return 1;
    }
    snprintf(who, sizeof(who), "%s/%s(dom%d<->dom%d:%d)", vchan_backend_name(v), argv[1],
             vchan_own_domid(), peer, port);
    fflush(stdout);
    rc = sending ? do_send(v, bytes, who) : do_recv(v, who);
    fflush(stdout);
    vchan_close(v);
    return rc;
}
