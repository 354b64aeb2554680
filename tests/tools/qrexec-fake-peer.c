/* qrexec-fake-peer: plays one end of a qrexec control link, possibly
 * hostile, toward a real program, for the malformed-input tests.
 *
 *   qrexec-fake-peer agent VERSION MSG...       (toward a qrexec-daemon)
 *   qrexec-fake-peer daemon DOMID VERSION MSG... (toward a qrexec-agent)
 *
 * As "agent" it offers the control vchan on port 512 to domain 0; as
 * "daemon" it connects to DOMID's agent there (own domid from
 * $VCHAN_DOMAIN). It does the HELLO handshake offering VERSION, sends each
 * MSG, then reports what comes back until the other side closes the link or
 * 3 s pass. A MSG is TYPE:HEXBODY (the header is built with the body's
 * real length), or TYPE/LEN:HEXBODY to lie about the length. Output lines:
 * "VERSION n", "GOT type len HEXBODY" (the first 48 bytes of the body),
 * and "CLOSED" or "STILL_OPEN". */
#include "lib/vchan.h"
#include "qrexec/common/msgio.h"

#include <poll.h>
#include <stdbool.h>
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
    bool as_agent = argc >= 3 && !strcmp(argv[1], "agent");
    /* what the other side sends, and is checked against */
    enum qrexec_link in_link = as_agent ? QREXEC_LINK_DAEMON_TO_AGENT : QREXEC_LINK_AGENT_TO_DAEMON;
    int first;

    if (as_agent) {
        v = vchan_server_init(0, QREXEC_VCHAN_BASE_PORT, 4096, 4096);
        first = 3;
    } else if (argc >= 4 && !strcmp(argv[1], "daemon")) {
        v = vchan_client_init(atoi(argv[2]), QREXEC_VCHAN_BASE_PORT, 10000);
        first = 4;
    } else {
        return 2;
    }
    if (!v || qrexec_vchan_handshake(v, as_agent, (uint32_t)atoi(argv[first - 1]), 2, in_link,
                                     &version) < 0) {
        puts("HANDSHAKE_FAILED");
        return 1;
    }
    printf("VERSION %u\n", version);
    fflush(stdout);
    for (int i = first; i < argc; i++) {
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
               qrexec_vchan_recv(v, in_link, version, &h, body, sizeof(body)) == 0) {
            printf("GOT 0x%x %u ", h.type, h.len);
            for (uint32_t i = 0; i < h.len && i < 48; i++)
                printf("%02x", body[i]);
            printf("\n");
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
