/* vchan over Xen: libxenvchan (grant-shared rings plus an event channel).
 *
 * The xenstore layout is the one Qubes OS uses, so Qubes agents and daemons
 * can be on the other end: the server publishes under its own
 * data/vchan/<client>/<port>, and the client looks there.
 *
 * libxenvchan cannot see a peer domain that died without closing (its ring
 * flags just stop changing), so every blocking wait here wakes up at least
 * every XEN_LIVENESS_MS and, in dom0, asks xenstore whether the peer still
 * exists. A VM's peer is dom0, which does not die under it. */
#include "lib/vchan_backend.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxenvchan.h>
#include <xenevtchn.h>
#include <xenstore.h>

#define XEN_LIVENESS_MS 1000
#define XEN_PATH_MAX    128

struct vchan_xen {
    struct vchan base;
    struct libxenvchan *x;
    struct xs_handle *xs; /* open only where liveness can be checked */
    int peer;
    bool dead; /* the peer domain is gone */
    long long last_check_ms;
};

static struct vchan_xen *to_xen(struct vchan *v)
{
    return (struct vchan_xen *)v;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int xs_own_domid(struct xs_handle *xs)
{
    unsigned int len = 0;
    char *s = xs_read(xs, XBT_NULL, "domid", &len);
    char *end;
    long d;

    if (!s)
        return -ENOENT;
    errno = 0;
    d = strtol(s, &end, 10);
    if (errno || end == s || *end || d < 0 || d > INT_MAX)
        d = -EINVAL;
    free(s);
    return (int)d;
}

static int xen_own_domid(void)
{
    struct xs_handle *xs = xs_open(0);
    int d;

    if (!xs)
        return -errno;
    d = xs_own_domid(xs);
    xs_close(xs);
    return d;
}

/* A domain's xenstore home exists from creation until the toolstack
 * destroys it. (xs_is_domain_introduced() answered "no" for running guests
 * under Debian's Xen 4.17, so it is not used.) Only ENOENT means gone. */
static bool xen_domain_exists(struct xs_handle *xs, int domid)
{
    char key[64];
    unsigned int len;
    char *val;

    snprintf(key, sizeof(key), "/local/domain/%d/domid", domid);
    val = xs_read(xs, XBT_NULL, key, &len);
    if (val) {
        free(val);
        return true;
    }
    return errno != ENOENT;
}

static bool xen_peer_alive(struct vchan_xen *v)
{
    long long t;

    if (v->dead)
        return false;
    if (!v->xs)
        return true;
    t = now_ms();
    if (t - v->last_check_ms < XEN_LIVENESS_MS / 2)
        return true;
    v->last_check_ms = t;
    if (!xen_domain_exists(v->xs, v->peer))
        v->dead = true;
    return !v->dead;
}

/* Once its client is there, a server's xenstore entry has done its job.
 * It is removed now, and libxenvchan_close() is kept from removing it later:
 * by then the same path may belong to the next channel on this port (qrexec
 * hands a port out again as soon as a call ends), and removing that one
 * would strand or, worse, misdirect the next client. */
static void xen_server_forget_path(struct vchan_xen *xv)
{
    struct xs_handle *xs;

    if (!xv->x->is_server || !xv->x->xs_path || libxenvchan_is_open(xv->x) != 1)
        return;
    xs = xv->xs ? xv->xs : xs_open(0);
    if (xs) {
        xs_rm(xs, XBT_NULL, xv->x->xs_path);
        if (xs != xv->xs)
            xs_close(xs);
    }
    free(xv->x->xs_path);
    xv->x->xs_path = NULL;
}

/* Waits for the next event (or a liveness check). 0, or -EPIPE if the peer
 * domain is gone. One event channel signals both directions, so reads and
 * writes wait alike. */
static int xen_block(struct vchan *vc, bool for_write)
{
    struct vchan_xen *v = to_xen(vc);
    struct pollfd p = {.fd = libxenvchan_fd_for_select(v->x), .events = POLLIN};
    int r = poll(&p, 1, XEN_LIVENESS_MS);

    (void)for_write;

    if (r > 0) {
        if (libxenvchan_wait(v->x) < 0)
            return -EPIPE;
        xen_server_forget_path(v);
        return 0;
    }
    if (r < 0 && errno != EINTR)
        return -errno;
    return xen_peer_alive(v) ? 0 : -EPIPE;
}

static ssize_t xen_read_nb(struct vchan *v, void *buf, size_t len)
{
    struct vchan_xen *xv = to_xen(v);
    int n;

    if (len > INT_MAX)
        len = INT_MAX;
    xen_server_forget_path(xv);
    xv->x->blocking = 0;
    n = libxenvchan_read(xv->x, buf, len);
    if (n < 0 || (n == 0 && xv->dead))
        return -EPIPE;
    return n;
}

static ssize_t xen_write_nb(struct vchan *v, const void *buf, size_t len)
{
    struct vchan_xen *xv = to_xen(v);
    int n;

    if (xv->dead)
        return -EPIPE;
    if (len > INT_MAX)
        len = INT_MAX;
    xen_server_forget_path(xv);
    xv->x->blocking = 0;
    n = libxenvchan_write(xv->x, buf, len);
    return n < 0 ? -EPIPE : n;
}

static int xen_fd(const struct vchan *v)
{
    return libxenvchan_fd_for_select(((const struct vchan_xen *)v)->x);
}

static int xen_wait(struct vchan *v)
{
    if (libxenvchan_wait(to_xen(v)->x) < 0)
        return -EIO;
    xen_server_forget_path(to_xen(v));
    return 0;
}

static size_t xen_data_ready(struct vchan *v)
{
    int n = libxenvchan_data_ready(to_xen(v)->x);

    return n > 0 ? (size_t)n : 0;
}

static size_t xen_buffer_space(struct vchan *v)
{
    struct vchan_xen *xv = to_xen(v);
    int n;

    if (xv->dead)
        return 0;
    n = libxenvchan_buffer_space(xv->x);
    return n > 0 ? (size_t)n : 0;
}

static enum vchan_state xen_is_open(struct vchan *v)
{
    struct vchan_xen *xv = to_xen(v);
    int st;

    if (!xen_peer_alive(xv))
        return VCHAN_CLOSED;
    xen_server_forget_path(xv);
    st = libxenvchan_is_open(xv->x);
    if (st == 2)
        return VCHAN_WAITING;
    return st ? VCHAN_CONNECTED : VCHAN_CLOSED;
}

static void xen_close(struct vchan *v)
{
    struct vchan_xen *xv = to_xen(v);

    if (xv->x)
        libxenvchan_close(xv->x);
    if (xv->xs)
        xs_close(xv->xs);
    free(xv);
}

/* Liveness checks need to see other domains in xenstore: dom0 only. */
static struct vchan_xen *xen_new(int peer, int own)
{
    struct vchan_xen *xv = calloc(1, sizeof(*xv));

    if (!xv)
        return NULL;
    xv->base.ops = &vchan_xen_ops;
    xv->peer = peer;
    if (own == 0 && peer != 0)
        xv->xs = xs_open(0);
    return xv;
}

static struct vchan *xen_server_init(int peer_domid, int port, size_t read_min, size_t write_min)
{
    char path[XEN_PATH_MAX];
    struct vchan_xen *xv;
    int own = xen_own_domid(), e;

    snprintf(path, sizeof(path), "data/vchan/%d/%d", peer_domid, port);
    xv = xen_new(peer_domid, own);
    if (!xv)
        return NULL;
    xv->x = libxenvchan_server_init(NULL, peer_domid, path, read_min, write_min);
    if (!xv->x) {
        e = errno ? errno : EIO;
        xen_close(&xv->base);
        errno = e;
        return NULL;
    }
    return &xv->base;
}

/* Waits until the server's event-channel key exists: the last key a
 * libxenvchan server writes. Plain reads with a growing pause rather than a
 * xenstore watch: a watch starts libxenstore's reader thread, which hung in
 * statically linked guest programs, and a read costs little. */
static int xen_wait_for_server(struct xs_handle *xs, const char *key, int server_domid,
                               bool can_check, int timeout_ms)
{
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    int pause_ms = 5;

    for (;;) {
        unsigned int len;
        char *val = xs_read(xs, XBT_NULL, key, &len);

        if (val) {
            free(val);
            return 0;
        }
        if (can_check && !xen_domain_exists(xs, server_domid))
            return -ESRCH;
        if (deadline >= 0 && now_ms() >= deadline)
            return -ETIMEDOUT;
        poll(NULL, 0, pause_ms);
        if (pause_ms < 100)
            pause_ms *= 2;
    }
}

static struct vchan *xen_client_init(int server_domid, int port, int timeout_ms)
{
    char path[XEN_PATH_MAX], key[XEN_PATH_MAX + 16];
    struct xs_handle *xs = xs_open(0);
    struct vchan_xen *xv;
    int own, r;

    if (!xs)
        return NULL;
    own = xs_own_domid(xs);
    if (own < 0 || own == server_domid) {
        xs_close(xs);
        errno = own < 0 ? -own : EINVAL; /* a vchan to oneself is impossible */
        return NULL;
    }
    snprintf(path, sizeof(path), "/local/domain/%d/data/vchan/%d/%d", server_domid, own, port);
    snprintf(key, sizeof(key), "%s/event-channel", path);
    r = xen_wait_for_server(xs, key, server_domid, own == 0, timeout_ms);
    xs_close(xs);
    if (r < 0) {
        errno = -r;
        return NULL;
    }
    xv = xen_new(server_domid, own);
    if (!xv)
        return NULL;
    xv->x = libxenvchan_client_init(NULL, server_domid, path);
    if (!xv->x) {
        r = errno ? errno : EIO;
        xen_close(&xv->base);
        errno = r;
        return NULL;
    }
    /* tell a server blocked in its wait that the client is here */
    xenevtchn_notify(xv->x->event, xv->x->event_port);
    return &xv->base;
}

/* Across domains there is no process to name: buffers go by grant refs. */
static int xen_peer_pid(const struct vchan *v)
{
    (void)v;
    return -ENOTSUP;
}

const struct vchan_ops vchan_xen_ops = {
    .name = "xen",
    .server_init = xen_server_init,
    .client_init = xen_client_init,
    .read_nb = xen_read_nb,
    .write_nb = xen_write_nb,
    .block = xen_block,
    .fd = xen_fd,
    .wait = xen_wait,
    .data_ready = xen_data_ready,
    .buffer_space = xen_buffer_space,
    .is_open = xen_is_open,
    .close = xen_close,
    .own_domid = xen_own_domid,
    .peer_pid = xen_peer_pid,
};
