/* QubesDB client library (see qdb_client.h). Blocking I/O on one Unix
 * socket; the daemon's answers go through the protocol's pure parsers. */
#include "qubesdb/client/qdb_client.h"
#include "lib/io.h"
#include "qubesdb/proto/qdb_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Notifications kept while commands run. A key already queued is not queued
 * twice (a watcher re-reads the key anyway); past the limit the oldest is
 * dropped, so a client that never reads its watches stays bounded. */
#define QDB_EVENTS_MAX 256
/* More keys than a daemon holds (4096): a reply longer than this is hostile. */
#define QDB_LIST_MAX 65536

struct qdb_client {
    int fd;
    int broken; /* 0, or the error that made the stream unusable */
    char events[QDB_EVENTS_MAX][QDB_MAX_PATH];
    size_t ev_head, ev_count;
    uint8_t data[QDB_MAX_DATA + 1]; /* the value of the last message, NUL-terminated */
    size_t data_len;
};

struct qdb_client *qdb_open(const char *socket_path)
{
    struct qdb_client *c = calloc(1, sizeof(*c));
    int fd;

    if (c == NULL)
        return NULL;
    fd = io_unix_connect(socket_path);
    if (fd < 0) {
        free(c);
        errno = -fd;
        return NULL;
    }
    c->fd = fd;
    return c;
}

void qdb_close(struct qdb_client *c)
{
    if (c == NULL)
        return;
    close(c->fd);
    free(c);
}

static void queue_event(struct qdb_client *c, const struct qdb_msg *m)
{
    for (size_t i = 0; i < c->ev_count; i++)
        if (strcmp(c->events[(c->ev_head + i) % QDB_EVENTS_MAX], m->path) == 0)
            return;
    if (c->ev_count == QDB_EVENTS_MAX) {
        c->ev_head = (c->ev_head + 1) % QDB_EVENTS_MAX;
        c->ev_count--;
    }
    memcpy(c->events[(c->ev_head + c->ev_count) % QDB_EVENTS_MAX], m->path, m->path_len + 1);
    c->ev_count++;
}

/* One message: header checked by the parser, value into c->data. */
static int recv_msg(struct qdb_client *c, struct qdb_msg *m)
{
    uint8_t untrusted_hdr[QDB_HDR_SIZE];
    int r;

    if (c->broken)
        return c->broken;
    r = io_read_full(c->fd, untrusted_hdr, sizeof(untrusted_hdr));
    if (r == 0)
        r = qdb_parse_resp(untrusted_hdr, sizeof(untrusted_hdr), m);
    if (r == 0)
        r = io_read_full(c->fd, c->data, m->data_len);
    if (r < 0) {
        /* a half-read message leaves the stream out of step for good */
        c->broken = r == -ECONNRESET ? -EPIPE : r;
        return c->broken;
    }
    c->data[m->data_len] = 0;
    c->data_len = m->data_len;
    return 0;
}

/* Sends one command and reads its reply: entries of a LIST or MULTIREAD go
 * to entry() (which may be NULL; once it returns non-zero it is not called
 * again, and keeps its result in arg), notifications to the queue. Returns
 * the final message's type, or a negative errno. */
static int transact(struct qdb_client *c, uint8_t type, const char *path, const void *val,
                    size_t len, int (*entry)(struct qdb_client *c, const struct qdb_msg *m, void *),
                    void *arg)
{
    uint8_t out[QDB_MAX_MSG];
    struct qdb_msg m;
    ssize_t n;
    int r, entry_r = 0;

    if (c->broken)
        return c->broken;
    if (len > QDB_MAX_DATA || strlen(path) == 0)
        return -EINVAL;
    n = qdb_build(out, sizeof(out), type, path, val, (uint32_t)len);
    if (n < 0)
        return (int)n;
    r = io_write_full(c->fd, out, (size_t)n);
    if (r < 0) {
        /* a daemon that went away: -EPIPE, whichever way the socket says it */
        c->broken = r == -ECONNRESET ? -EPIPE : r;
        return c->broken;
    }
    for (;;) {
        r = recv_msg(c, &m);
        if (r < 0)
            return r;
        r = qdb_reply_step(type, path, &m);
        if (r < 0) {
            c->broken = -EBADMSG;
            return -EBADMSG;
        }
        if (r == QDB_REPLY_EVENT) {
            queue_event(c, &m);
        } else if (r == QDB_REPLY_MORE) {
            /* after an entry() failure, keep reading to stay in step */
            if (entry_r == 0 && entry)
                entry_r = entry(c, &m, arg);
        } else {
            return m.type;
        }
    }
}

/* The usual meaning of a one-message reply. */
static int status(int type)
{
    switch (type) {
    case QDB_RESP_ERROR_NOENT:
        return -ENOENT;
    case QDB_RESP_ERROR:
        return -EACCES;
    default:
        return type < 0 ? type : 0;
    }
}

int qdb_read(struct qdb_client *c, const char *path, char **val, size_t *len)
{
    int r = transact(c, QDB_CMD_READ, path, NULL, 0, NULL, NULL);
    char *v;

    if (r != QDB_RESP_READ)
        return status(r);
    /* the value is still in c->data (a READ reply is one message) */
    v = malloc(c->data_len + 1);
    if (v == NULL)
        return -ENOMEM;
    memcpy(v, c->data, c->data_len + 1);
    *val = v;
    if (len)
        *len = c->data_len;
    return 0;
}

int qdb_write(struct qdb_client *c, const char *path, const void *val, size_t len)
{
    return status(transact(c, QDB_CMD_WRITE, path, val, len, NULL, NULL));
}

int qdb_rm(struct qdb_client *c, const char *path)
{
    return status(transact(c, QDB_CMD_RM, path, NULL, 0, NULL, NULL));
}

int qdb_watch(struct qdb_client *c, const char *path)
{
    return status(transact(c, QDB_CMD_WATCH, path, NULL, 0, NULL, NULL));
}

int qdb_unwatch(struct qdb_client *c, const char *path)
{
    return status(transact(c, QDB_CMD_UNWATCH, path, NULL, 0, NULL, NULL));
}

struct list_acc {
    char **paths;
    size_t n, cap;
    int err;
};

static int list_entry(struct qdb_client *c, const struct qdb_msg *m, void *arg)
{
    struct list_acc *a = arg;

    (void)c;
    if (a->n == a->cap) {
        size_t ncap = a->cap ? 2 * a->cap : 16;
        char **p;
        if (ncap > QDB_LIST_MAX)
            return a->err = -E2BIG;
        p = realloc(a->paths, ncap * sizeof(*p));
        if (p == NULL)
            return a->err = -ENOMEM;
        a->paths = p;
        a->cap = ncap;
    }
    a->paths[a->n] = strdup(m->path);
    if (a->paths[a->n] == NULL)
        return a->err = -ENOMEM;
    a->n++;
    return 0;
}

void qdb_free_list(char **paths, size_t n)
{
    for (size_t i = 0; i < n && paths; i++)
        free(paths[i]);
    free(paths);
}

int qdb_list(struct qdb_client *c, const char *prefix, char ***paths, size_t *n)
{
    struct list_acc a = {0};
    int r = transact(c, QDB_CMD_LIST, prefix, NULL, 0, list_entry, &a);

    if (r != QDB_RESP_LIST || a.err) {
        qdb_free_list(a.paths, a.n);
        return a.err ? a.err : status(r);
    }
    *paths = a.paths;
    *n = a.n;
    return 0;
}

struct multiread_cb {
    int (*cb)(void *ctx, const char *path, const char *val, size_t len);
    void *ctx;
    int result;
};

static int multiread_entry(struct qdb_client *c, const struct qdb_msg *m, void *arg)
{
    struct multiread_cb *mc = arg;
    return mc->result = mc->cb(mc->ctx, m->path, (const char *)c->data, c->data_len);
}

int qdb_multiread(struct qdb_client *c, const char *prefix,
                  int (*cb)(void *ctx, const char *path, const char *val, size_t len), void *ctx)
{
    struct multiread_cb mc = {cb, ctx, 0};
    int r = transact(c, QDB_CMD_MULTIREAD, prefix, NULL, 0, multiread_entry, &mc);

    if (r == QDB_RESP_MULTIREAD)
        return mc.result;
    return status(r);
}

int qdb_watch_fd(struct qdb_client *c)
{
    return c->fd;
}

size_t qdb_watch_pending(const struct qdb_client *c)
{
    return c->ev_count;
}

int qdb_read_watch(struct qdb_client *c, char *path, size_t pathsz)
{
    const char *p;
    struct qdb_msg m;
    int r;

    if (c->ev_count == 0) {
        r = recv_msg(c, &m);
        if (r < 0)
            return r;
        if (qdb_reply_step(QDB_REPLY_NONE, "", &m) != QDB_REPLY_EVENT) {
            c->broken = -EBADMSG; /* an answer to no question */
            return -EBADMSG;
        }
        queue_event(c, &m);
    }
    p = c->events[c->ev_head];
    if (strlen(p) >= pathsz)
        return -ENAMETOOLONG;
    strcpy(path, p);
    c->ev_head = (c->ev_head + 1) % QDB_EVENTS_MAX;
    c->ev_count--;
    return 0;
}
