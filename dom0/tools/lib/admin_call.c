/* Admin API calls over qvmd's Unix socket; see admin_call.h. */
#include "dom0/tools/lib/admin_call.h"

#include "lib/buf.h"
#include "lib/io.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char *qadmin_socket(void)
{
    const char *s = getenv(QADMIN_SOCKET_ENV);

    return s && *s ? s : QADMIN_SOCKET;
}

static void fail(struct qadmin_result *res, int err, const char *what)
{
    res->status = err;
    snprintf(res->msg, sizeof(res->msg), "%s %s: %s", what, qadmin_socket(), strerror(-err));
}

/* Connects and sends the whole request: "METHOD+ARG dom0 name DEST\0",
 * the payload, then the half-close that tells qvmd the request is over.
 * The fd, or a negative errno (res says why). */
static int send_request(const struct qadmin_req *req, struct qadmin_result *res)
{
    char hdr[512];
    int n = snprintf(hdr, sizeof(hdr), "%s+%s dom0 name %s", req->method, req->arg ? req->arg : "",
                     req->dest);
    int fd, r;

    if (n < 0 || (size_t)n >= sizeof(hdr)) {
        fail(res, -ENAMETOOLONG, "request too long for");
        return -ENAMETOOLONG;
    }
    fd = io_unix_connect(qadmin_socket());
    if (fd < 0) {
        fail(res, fd, "cannot connect to qvmd at");
        return fd;
    }
    r = io_write_full(fd, hdr, (size_t)n + 1);
    if (r == 0 && req->payload_len)
        r = io_write_full(fd, req->payload, req->payload_len);
    if (r == 0 && shutdown(fd, SHUT_WR) < 0)
        r = -errno;
    if (r < 0) {
        close(fd);
        fail(res, r, "cannot send to qvmd at");
        return r;
    }
    return fd;
}

/* Takes ownership of the bytes read and decides the status. */
static void finish(struct qadmin_result *res, struct buf *b)
{
    res->buf = (char *)b->data;
    res->len = b->len;
    b->data = NULL;
    if (!res->buf)
        res->buf = calloc(1, 1);
    if (!res->buf) {
        fail(res, -ENOMEM, "out of memory reading from");
        return;
    }
    res->buf[res->len] = '\0'; /* buf_reserve kept room for it */
    if (qadmin_parse_reply(res->buf, res->len, &res->kind, &res->data) < 0) {
        res->status = -EPROTO;
        snprintf(res->msg, sizeof(res->msg), "qvmd sent a malformed reply (%zu bytes)", res->len);
    } else if (res->kind == QADMIN_EXCEPTION) {
        res->status = -EREMOTEIO;
        qadmin_format_exception(res->data, res->type, sizeof(res->type), res->msg,
                                sizeof(res->msg));
    } else {
        res->status = 0;
    }
}

/* Reads what is there; 1 at EOF, 0 for more later, or a negative errno. */
static int read_some(int fd, struct buf *b)
{
    /* +1 keeps room for the terminating NUL finish() writes */
    uint8_t *p = buf_reserve(b, 65536 + 1);
    ssize_t got;

    if (!p)
        return -errno;
    got = read(fd, p, 65536);
    if (got < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : -errno;
    if (got == 0)
        return 1;
    buf_commit(b, (size_t)got);
    return 0;
}

int qadmin_open(const struct qadmin_req *req, struct qadmin_result *res)
{
    memset(res, 0, sizeof(*res));
    return send_request(req, res);
}

int qadmin_call(const struct qadmin_req *req, struct qadmin_result *res)
{
    return qadmin_call_many(req, res, 1);
}

int qadmin_call_many(const struct qadmin_req *req, struct qadmin_result *res, size_t n)
{
    struct pollfd pfd[QADMIN_BATCH_WINDOW];
    struct buf bufs[QADMIN_BATCH_WINDOW];
    size_t slot_of[QADMIN_BATCH_WINDOW]; /* which request each slot serves */
    size_t next = 0, open = 0, done = 0;
    int first = 0;

    memset(res, 0, n * sizeof(*res));
    while (done < n) {
        /* keep the window full */
        while (next < n && open < QADMIN_BATCH_WINDOW) {
            int fd = send_request(&req[next], &res[next]);
            if (fd < 0) {
                done++;
                next++;
                continue;
            }
            pfd[open] = (struct pollfd){.fd = fd, .events = POLLIN};
            buf_init(&bufs[open], QADMIN_REPLY_MAX + 1);
            slot_of[open++] = next++;
        }
        if (open == 0)
            continue;
        if (poll(pfd, open, -1) < 0) {
            if (errno == EINTR)
                continue;
            /* cannot wait: fail what is still open */
            for (size_t i = 0; i < open; i++)
                pfd[i].revents = POLLERR;
        }
        for (size_t i = 0; i < open;) {
            int r = 0;
            if (pfd[i].revents & POLLNVAL)
                r = -EBADF;
            else if (pfd[i].revents)
                r = read_some(pfd[i].fd, &bufs[i]);
            if (r == 0) {
                i++;
                continue;
            }
            if (r > 0)
                finish(&res[slot_of[i]], &bufs[i]);
            else
                fail(&res[slot_of[i]], r, "cannot read the reply from qvmd at");
            close(pfd[i].fd);
            buf_fini(&bufs[i]);
            done++;
            /* the last open slot takes this one's place */
            open--;
            pfd[i] = pfd[open];
            bufs[i] = bufs[open];
            slot_of[i] = slot_of[open];
        }
    }
    for (size_t i = 0; i < n; i++)
        if (res[i].status && !first)
            first = res[i].status;
    return first;
}

void qadmin_result_free(struct qadmin_result *res)
{
    free(res->buf);
    res->buf = NULL;
    res->len = 0;
}
