/* Whole-message I/O and the HELLO handshake over vchans and sockets. The
 * two transports differ only in their read/write calls, so each operation
 * is written once against a tiny transport table. */
#include "qrexec/common/msgio.h"

#include "lib/io.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <time.h>

struct transport {
    int (*read)(void *ctx, void *buf, size_t n);
    int (*write)(void *ctx, const void *buf, size_t n);
    void *ctx;
};

static int t_vchan_read(void *ctx, void *buf, size_t n)
{
    return vchan_read(ctx, buf, n);
}

static int t_vchan_write(void *ctx, const void *buf, size_t n)
{
    return vchan_write(ctx, buf, n);
}

static int t_fd_read(void *ctx, void *buf, size_t n)
{
    return io_read_full(*(int *)ctx, buf, n);
}

static int t_fd_write(void *ctx, const void *buf, size_t n)
{
    return io_write_full(*(int *)ctx, buf, n);
}

static int send_msg(const struct transport *t, uint32_t type, const void *body, size_t len)
{
    uint8_t hdr[QREXEC_HDR_SIZE];
    int r;

    if (len > UINT32_MAX)
        return -EMSGSIZE;
    qrexec_put_hdr(hdr, type, (uint32_t)len);
    r = t->write(t->ctx, hdr, sizeof(hdr));
    if (r == 0 && len)
        r = t->write(t->ctx, body, len);
    return r;
}

static int recv_msg(const struct transport *t, enum qrexec_link link, uint32_t version,
                    struct qrexec_hdr *hdr, void *body, size_t bodysz)
{
    uint8_t raw[QREXEC_HDR_SIZE];
    int r = t->read(t->ctx, raw, sizeof(raw));

    if (r < 0)
        return r;
    qrexec_parse_hdr(raw, sizeof(raw), hdr);
    r = qrexec_check_hdr(hdr, link, version);
    if (r < 0)
        return r;
    if (hdr->len > bodysz)
        return -EMSGSIZE;
    return hdr->len ? t->read(t->ctx, body, hdr->len) : 0;
}

static int handshake(const struct transport *t, bool server, uint32_t ours, uint32_t min_version,
                     enum qrexec_link link, uint32_t *version)
{
    uint8_t ver[4] = {(uint8_t)ours, (uint8_t)(ours >> 8), (uint8_t)(ours >> 16),
                      (uint8_t)(ours >> 24)};
    uint8_t body[4];
    struct qrexec_hdr h;
    uint32_t theirs;
    int r;

    if (server && (r = send_msg(t, QREXEC_MSG_HELLO, ver, 4)) < 0)
        return r;
    /* any version may arrive here; HELLO's own rules do not depend on it */
    r = recv_msg(t, link, QREXEC_PROTOCOL_V2, &h, body, sizeof(body));
    if (r < 0)
        return r;
    if (h.type != QREXEC_MSG_HELLO || qrexec_parse_hello(body, h.len, &theirs) < 0)
        return -EPROTO;
    r = qrexec_negotiate(ours, theirs, min_version, version);
    if (r < 0)
        return r;
    if (!server && (r = send_msg(t, QREXEC_MSG_HELLO, ver, 4)) < 0)
        return r;
    return 0;
}

#define VCHAN_T(v)                                                                                 \
    {                                                                                              \
        t_vchan_read, t_vchan_write, (v)                                                           \
    }
#define FD_T(fdp)                                                                                  \
    {                                                                                              \
        t_fd_read, t_fd_write, (fdp)                                                               \
    }

int qrexec_vchan_send(struct vchan *v, uint32_t type, const void *body, size_t len)
{
    const struct transport t = VCHAN_T(v);
    return send_msg(&t, type, body, len);
}

int qrexec_vchan_send_framed(struct vchan *v, uint32_t type, uint8_t *frame, size_t len)
{
    if (len > UINT32_MAX - QREXEC_HDR_SIZE)
        return -EMSGSIZE;
    qrexec_put_hdr(frame, type, (uint32_t)len);
    return vchan_write(v, frame, QREXEC_HDR_SIZE + len);
}

int qrexec_fd_send(int fd, uint32_t type, const void *body, size_t len)
{
    const struct transport t = FD_T(&fd);
    return send_msg(&t, type, body, len);
}

int qrexec_vchan_recv(struct vchan *v, enum qrexec_link link, uint32_t version,
                      struct qrexec_hdr *hdr, void *body, size_t bodysz)
{
    const struct transport t = VCHAN_T(v);
    return recv_msg(&t, link, version, hdr, body, bodysz);
}

int qrexec_fd_recv(int fd, enum qrexec_link link, uint32_t version, struct qrexec_hdr *hdr,
                   void *body, size_t bodysz)
{
    const struct transport t = FD_T(&fd);
    return recv_msg(&t, link, version, hdr, body, bodysz);
}

int qrexec_vchan_handshake(struct vchan *v, bool server, uint32_t ours, uint32_t min_version,
                           enum qrexec_link link, uint32_t *version)
{
    const struct transport t = VCHAN_T(v);
    return handshake(&t, server, ours, min_version, link, version);
}

int qrexec_fd_handshake(int fd, bool server, uint32_t ours, uint32_t min_version,
                        enum qrexec_link link, uint32_t *version)
{
    const struct transport t = FD_T(&fd);
    return handshake(&t, server, ours, min_version, link, version);
}

int qrexec_wait_connected(struct vchan *v, int timeout_ms)
{
    struct timespec t0, t;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (vchan_is_open(v) == VCHAN_WAITING) {
        struct pollfd p = {.fd = vchan_fd(v), .events = POLLIN};
        long left;

        clock_gettime(CLOCK_MONOTONIC, &t);
        left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000L + (t.tv_nsec - t0.tv_nsec) / 1000000L);
        if (left <= 0)
            return -ETIMEDOUT;
        if (poll(&p, 1, (int)left) > 0)
            vchan_wait(v);
    }
    return vchan_is_open(v) == VCHAN_CONNECTED ? 0 : -EPIPE;
}
