/* qrexec-fake-agent: plays a (possibly hostile) VM agent toward a real
 * qrexec-daemon, for the malformed-input tests.
 *
 *   qrexec-fake-agent VERSION MSG...
 *
 * Offers the control vchan on port 512 to domain 0 (own domid from
 * $VCHAN_DOMAIN), does the HELLO handshake offering VERSION, sends each
 * MSG, then reports what comes back until the daemon closes the link or
 * 3 s pass. A MSG is TYPE:HEXBODY (the header is built with the body's
 * real length), or TYPE/LEN:HEXBODY to lie about the length. Output lines:
 * "VERSION n", "GOT type len", and "CLOSED" or "STILL_OPEN". */
#include "lib/vchan.h"
#include "qrexec/common/msgio.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
    size_t n = 0;

    while (s[0] && s[1] && n < max) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static uint8_t body[QREXEC_MAX_BODY + 16];

int main(int argc, char **argv)
{
    struct vchan *v;
    uint32_t version;
    struct timespec t0, t;

    if (argc < 2)
        return 2;
    v = vchan_server_init(0, QREXEC_VCHAN_BASE_PORT, 4096, 4096);
    if (!v || qrexec_vchan_handshake(v, true, (uint32_t)atoi(argv[1]), 2,
                                     QREXEC_LINK_DAEMON_TO_AGENT, &version) < 0) {
        puts("HANDSHAKE_FAILED");
        return 1;
    }
    printf("VERSION %u\n", version);
    fflush(stdout);
    for (int i = 2; i < argc; i++) {
        uint8_t hdr[QREXEC_HDR_SIZE];
        char *colon = strchr(argv[i], ':'), *slash = strchr(argv[i], '/');
        uint32_t type = (uint32_t)strtoul(argv[i], NULL, 0);
        size_t n = colon ? unhex(colon + 1, body, sizeof(body)) : 0;
        uint32_t len = slash && (!colon || slash < colon) ? (uint32_t)strtoul(slash + 1, NULL, 0)
                                                         : (uint32_t)n;
        qrexec_put_hdr(hdr, type, len);
        if (vchan_write(v, hdr, sizeof(hdr)) < 0 || (n && vchan_write(v, body, n) < 0))
            break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd p = {.fd = vchan_fd(v), .events = POLLIN};
        struct qrexec_hdr h;

        while (vchan_data_ready(v) >= QREXEC_HDR_SIZE &&
               qrexec_vchan_recv(v, QREXEC_LINK_DAEMON_TO_AGENT, version, &h, body,
                                 sizeof(body)) == 0) {
            printf("GOT 0x%x %u\n", h.type, h.len);
            fflush(stdout);
        }
        if (vchan_is_open(v) == VCHAN_CLOSED) {
            puts("CLOSED");
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec >= 3) {
            puts("STILL_OPEN");
            break;
        }
        if (poll(&p, 1, 200) > 0)
            vchan_wait(v);
    }
    vchan_close(v);
    return 0;
}
