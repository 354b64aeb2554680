/* qvmd's Admin API, as far as qrexec-client -k needs it; see admin.h.
 * (dom0: qvmd is trusted, but its reply is still made printable before it
 * reaches a terminal.) */
#include "qrexec/client/admin.h"

#include "lib/io.h"
#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REPLY_MAX 65536

const char *qrexec_admin_socket(void)
{
    const char *s = getenv(QREXEC_QVMD_SOCKET_ENV);

    return s && *s ? s : QREXEC_QVMD_SOCKET;
}

/* The field of a NUL-separated reply at *pos, or NULL past the end. */
static const char *next_field(const char *buf, size_t len, size_t *pos)
{
    const char *f = buf + *pos;
    const char *nul;

    if (*pos >= len)
        return NULL;
    nul = memchr(f, '\0', len - *pos);
    *pos = nul ? (size_t)(nul - buf) + 1 : len;
    return f;
}

/* An exception: "2\0TYPE\0TRACEBACK\0FORMAT\0ARG\0...", the message being
 * FORMAT with each %s (or %r, %d) replaced by the next ARG. buf has a NUL
 * beyond len, so every field ends. */
static void describe_exception(const char *buf, size_t len, char *why, size_t whysz)
{
    char text[1024];
    size_t pos = 2, n = 0;
    const char *type = next_field(buf, len, &pos), *fmt;

    next_field(buf, len, &pos); /* the traceback, for qvmd's own log */
    fmt = next_field(buf, len, &pos);
    n = (size_t)snprintf(text, sizeof(text), "%s: ", type && *type ? type : "error");
    for (const char *f = fmt; f && *f && n < sizeof(text) - 1; f++) {
        const char *arg;
        if (f[0] == '%' && f[1] == '%') {
            text[n++] = '%';
            f++;
        } else if (f[0] == '%' && f[1] && strchr("srd", f[1]) &&
                   (arg = next_field(buf, len, &pos))) {
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", arg);
            f++;
        } else {
            text[n++] = *f;
        }
    }
    if (n >= sizeof(text))
        n = sizeof(text) - 1;
    log_printable(why, whysz, text, n);
}

int qrexec_admin_kill(const char *socket_path, const char *domain, char *why, size_t whysz)
{
    char req[256];
    char *reply;
    size_t len = 0;
    /* the Admin API header of a dom0 tool: method+arg, source, how the
     * destination is named, destination (spec section 5) */
    int n = snprintf(req, sizeof(req), "admin.vm.Kill+ dom0 name %s", domain);
    int fd, r;

    if (whysz)
        why[0] = '\0';
    if (n < 0 || (size_t)n >= sizeof(req))
        return -ENAMETOOLONG;
    fd = io_unix_connect(socket_path);
    if (fd < 0)
        return fd;
    /* the request ends with its NUL; the half-close says nothing follows */
    r = io_write_full(fd, req, (size_t)n + 1);
    if (r == 0 && shutdown(fd, SHUT_WR) < 0)
        r = -errno;
    reply = malloc(REPLY_MAX + 1); /* + a NUL, so every field ends */
    if (r == 0 && !reply)
        r = -ENOMEM;
    while (r == 0 && len < REPLY_MAX) {
        ssize_t got = read(fd, reply + len, REPLY_MAX - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            r = -errno;
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    if (reply)
        reply[len] = '\0';
    if (r == 0 && (len == 0 || (reply[0] != '0' && reply[0] != '2')))
        r = -EPROTO;
    if (r == 0 && reply[0] == '2') {
        describe_exception(reply, len, why, whysz);
        r = -EREMOTEIO;
    }
    free(reply);
    return r;
}
