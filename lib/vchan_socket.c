/* vchan over a Unix stream socket (the ecosystem's test transport).
 *
 * Speed: the socket is non-blocking and every transfer moves as much as one
 * readv()/sendmsg() can take. Reads go straight into the caller's buffer
 * with the rest of the call's readv landing in a receive ring, so many small
 * reads cost one system call; writes go straight to the socket and only
 * what the socket cannot take now waits in a send ring. Both rings are at
 * least VCHAN_SOCKET_RING bytes, so vchan_buffer_space() promises at least
 * that much, as a Xen ring would.
 *
 * Events: vchan_fd() is an epoll descriptor that watches the listening
 * socket (until the client arrives) and then the connection: readable
 * interest while the receive ring has room, writable interest while the
 * send ring holds bytes. Once the peer is gone it stays readable, so a
 * caller blocked in poll() always wakes up to see the channel closed. */
#include "lib/io.h"
#include "lib/ring.h"
#include "lib/vchan_backend.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define VCHAN_SOCKET_RING   (128 * 1024)
#define VCHAN_SOCKET_SNDBUF (512 * 1024)

struct vchan_sock {
    struct vchan base;
    int epfd;
    int listen_fd; /* server before its client arrived, else -1 */
    int fd;        /* the connection, -1 before it exists */
    char *path;    /* server: socket file to remove once connected or closed */
    struct ring rx, tx;
    bool peer_closed;  /* the peer is gone: nothing more can be sent */
    bool rx_eof;       /* the stream ended: nothing more will arrive */
    uint32_t interest; /* epoll interest currently set on fd */
};

static struct vchan_sock *to_sock(struct vchan *v)
{
    return (struct vchan_sock *)v;
}

static int sock_own_domid(void)
{
    const char *s = getenv("VCHAN_DOMAIN");
    char *end;
    long d;

    if (!s || !*s)
        return 0;
    errno = 0;
    d = strtol(s, &end, 10);
    if (errno || *end || d < 0 || d > INT_MAX)
        return -EINVAL;
    return (int)d;
}

static int sock_path(struct sockaddr_un *sa, int server, int client, int port)
{
    const char *dir = getenv("VCHAN_SOCKET_DIR");
    int n;

    if (!dir || !*dir)
        dir = "/var/run/vchan";
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/vchan.%d.%d.%d.sock", dir, server, client,
                 port);
    if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
        return -ENAMETOOLONG;
    return 0;
}

static void sock_update_interest(struct vchan_sock *s)
{
    struct epoll_event ev = {0};
    uint32_t want = 0;

    if (s->fd < 0)
        return;
    if (s->peer_closed) {
        want = EPOLLIN | EPOLLOUT; /* level-triggered: keeps waking pollers */
    } else {
        if (!s->rx_eof && ring_free(&s->rx) > 0)
            want |= EPOLLIN;
        if (ring_used(&s->tx) > 0)
            want |= EPOLLOUT;
    }
    if (want == s->interest)
        return;
    ev.events = want;
    ev.data.fd = s->fd;
    if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->fd, &ev) == 0)
        s->interest = want;
}

static void sock_mark_closed(struct vchan_sock *s)
{
    s->peer_closed = true;
    /* nobody is left to deliver queued bytes to */
    s->tx.head = s->tx.tail = 0;
}

static int sock_attach(struct vchan_sock *s, int fd)
{
    struct epoll_event ev = {0};
    int sz = VCHAN_SOCKET_SNDBUF;

    /* a bigger socket buffer means fewer wake-ups per MiB; the kernel may
     * cap it at net.core.wmem_max, which is fine */
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
    s->fd = fd;
    s->interest = EPOLLIN;
    sock_update_interest(s);
    return 0;
}

/* Server side: takes the client if it is there. 1 connected, 0 not yet. */
static int sock_try_accept(struct vchan_sock *s)
{
    int fd;

    if (s->listen_fd < 0)
        return 1;
    fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) ? 0 : -errno;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->listen_fd, NULL);
    close(s->listen_fd);
    s->listen_fd = -1;
    /* one connection per channel: the name is free for the next server */
    unlink(s->path);
    if (sock_attach(s, fd) < 0) {
        close(fd);
        sock_mark_closed(s);
        return -EIO;
    }
    return 1;
}

/* Moves queued send bytes to the socket without blocking. */
static void sock_flush(struct vchan_sock *s)
{
    struct iovec iov[2];
    struct msghdr mh = {0};
    ssize_t r;

    if (s->fd < 0 || ring_used(&s->tx) == 0)
        return;
    mh.msg_iov = iov;
    mh.msg_iovlen = (size_t)ring_used_iov(&s->tx, iov);
    do
        r = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r > 0)
        ring_consumed(&s->tx, (size_t)r);
    else if (r < 0 && errno != EAGAIN)
        sock_mark_closed(s);
}

/* One readv into dst (may be NULL) and then the receive ring. Returns bytes
 * that landed in dst. */
static size_t sock_fill(struct vchan_sock *s, void *dst, size_t len)
{
    struct iovec iov[3];
    int cnt = 0;
    ssize_t r;

    if (s->fd < 0 || s->rx_eof)
        return 0;
    if (dst && len) {
        iov[0].iov_base = dst;
        iov[0].iov_len = len;
        cnt = 1;
    }
    cnt += ring_free_iov(&s->rx, iov + cnt);
    if (cnt == 0)
        return 0;
    do
        r = readv(s->fd, iov, cnt);
    while (r < 0 && errno == EINTR);
    if (r == 0 || (r < 0 && errno != EAGAIN)) {
        s->rx_eof = true;
        sock_mark_closed(s);
        return 0;
    }
    if (r < 0)
        return 0;
    if (dst && len) {
        if ((size_t)r <= len)
            return (size_t)r;
        ring_produced(&s->rx, (size_t)r - len);
        return len;
    }
    ring_produced(&s->rx, (size_t)r);
    return 0;
}

static ssize_t sock_read_nb(struct vchan *v, void *buf, size_t len)
{
    struct vchan_sock *s = to_sock(v);
    size_t n;

    if (sock_try_accept(s) <= 0 && s->fd < 0)
        return 0;
    if (len == 0)
        return 0;
    if (ring_used(&s->rx) > 0)
        n = ring_get(&s->rx, buf, len);
    else
        n = sock_fill(s, buf, len);
    sock_update_interest(s);
    if (n == 0 && s->rx_eof && ring_used(&s->rx) == 0)
        return -EPIPE;
    return (ssize_t)n;
}

static ssize_t sock_write_nb(struct vchan *v, const void *buf, size_t len)
{
    struct vchan_sock *s = to_sock(v);
    size_t taken = 0;

    sock_try_accept(s);
    if (s->peer_closed)
        return -EPIPE;
    sock_flush(s);
    if (s->fd >= 0 && ring_used(&s->tx) == 0 && len > 0) {
        ssize_t r;
        do
            r = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (r < 0 && errno == EINTR);
        if (r > 0) {
            taken = (size_t)r;
        } else if (r < 0 && errno != EAGAIN) {
            sock_mark_closed(s);
            return -EPIPE;
        }
    }
    /* before the client arrives, bytes queue as they would in a Xen ring */
    taken += ring_put(&s->tx, (const uint8_t *)buf + taken, len - taken);
    sock_update_interest(s);
    return (ssize_t)taken;
}

/* Blocks until the connection exists and (events) could make progress,
 * pushing queued send bytes meanwhile. */
static int sock_block(struct vchan_sock *s, short events)
{
    struct pollfd p;
    int r;

    if (s->listen_fd >= 0) {
        p.fd = s->listen_fd;
        p.events = POLLIN;
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            return -errno;
        r = sock_try_accept(s);
        return r < 0 ? r : 0;
    }
    /* a closed peer may have left bytes in the socket: let readers drain */
    if (s->peer_closed)
        return s->rx_eof ? -EPIPE : 0;
    sock_flush(s);
    p.fd = s->fd;
    p.events = events;
    if (ring_used(&s->tx) > 0)
        p.events |= POLLOUT;
    if (p.events == 0)
        return 0; /* the flush above did all there was to wait for */
    if (poll(&p, 1, -1) < 0 && errno != EINTR)
        return -errno;
    if (p.revents & POLLOUT)
        sock_flush(s);
    return 0;
}

static int sock_block_op(struct vchan *v, bool for_write)
{
    return sock_block(to_sock(v), for_write ? POLLOUT : POLLIN);
}

static int sock_fd(const struct vchan *v)
{
    return ((const struct vchan_sock *)v)->epfd;
}

static int sock_wait(struct vchan *v)
{
    struct vchan_sock *s = to_sock(v);
    struct epoll_event ev[2];
    int n;

    n = epoll_wait(s->epfd, ev, 2, -1);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    if (sock_try_accept(s) <= 0 && s->fd < 0)
        return 0;
    for (int i = 0; i < n; i++) {
        if (ev[i].data.fd == s->fd && (ev[i].events & (EPOLLHUP | EPOLLERR)))
            s->peer_closed = true;
    }
    sock_flush(s);
    sock_fill(s, NULL, 0);
    if (s->peer_closed)
        sock_mark_closed(s);
    sock_update_interest(s);
    return 0;
}

static size_t sock_data_ready(struct vchan *v)
{
    struct vchan_sock *s = to_sock(v);

    sock_try_accept(s);
    sock_flush(s);
    if (ring_used(&s->rx) == 0) {
        sock_fill(s, NULL, 0);
        sock_update_interest(s);
    }
    return ring_used(&s->rx);
}

static size_t sock_buffer_space(struct vchan *v)
{
    struct vchan_sock *s = to_sock(v);

    sock_try_accept(s);
    if (s->peer_closed)
        return 0;
    sock_flush(s);
    sock_update_interest(s);
    return ring_free(&s->tx);
}

static enum vchan_state sock_is_open(struct vchan *v)
{
    struct vchan_sock *s = to_sock(v);
    struct pollfd p;

    if (sock_try_accept(s) == 0)
        return VCHAN_WAITING;
    if (s->peer_closed || s->fd < 0)
        return VCHAN_CLOSED;
    /* notice a peer that went away even if we never read or write again */
    p.fd = s->fd;
    p.events = 0;
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) {
        sock_mark_closed(s);
        sock_update_interest(s);
        return VCHAN_CLOSED;
    }
    return VCHAN_CONNECTED;
}

static void sock_free(struct vchan_sock *s)
{
    if (s->fd >= 0)
        close(s->fd);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        unlink(s->path);
    }
    if (s->epfd >= 0)
        close(s->epfd);
    ring_fini(&s->rx);
    ring_fini(&s->tx);
    free(s->path);
    free(s);
}

static void sock_close(struct vchan *v)
{
    struct vchan_sock *s = to_sock(v);

    /* linger: deliver what is queued while the peer keeps taking it */
    while (s->fd >= 0 && !s->peer_closed && ring_used(&s->tx) > 0) {
        struct pollfd p = {.fd = s->fd, .events = POLLOUT};
        size_t before = ring_used(&s->tx);

        if (poll(&p, 1, VCHAN_CLOSE_LINGER_MS) <= 0)
            break;
        sock_flush(s);
        if (ring_used(&s->tx) == before && !(p.revents & POLLOUT))
            break;
    }
    sock_free(s);
}

static struct vchan_sock *sock_new(size_t read_min, size_t write_min)
{
    struct vchan_sock *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->base.ops = &vchan_socket_ops;
    s->fd = s->listen_fd = s->epfd = -1;
    if (ring_init(&s->rx, read_min > VCHAN_SOCKET_RING ? read_min : VCHAN_SOCKET_RING) < 0 ||
        ring_init(&s->tx, write_min > VCHAN_SOCKET_RING ? write_min : VCHAN_SOCKET_RING) < 0) {
        sock_free(s);
        errno = ENOMEM;
        return NULL;
    }
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        int e = errno;
        sock_free(s);
        errno = e;
        return NULL;
    }
    return s;
}

static struct vchan *sock_server_init(int peer_domid, int port, size_t read_min, size_t write_min)
{
    struct epoll_event ev = {.events = EPOLLIN};
    struct sockaddr_un sa;
    struct vchan_sock *s;
    int own = sock_own_domid(), r, e;

    if (own < 0) {
        errno = -own;
        return NULL;
    }
    r = sock_path(&sa, own, peer_domid, port);
    if (r < 0) {
        errno = -r;
        return NULL;
    }
    s = sock_new(read_min, write_min);
    if (!s)
        return NULL;
    s->path = strdup(sa.sun_path);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (!s->path || s->listen_fd < 0)
        goto fail;
    /* a socket file left by a server that died is stale: replace it */
    unlink(s->path);
    if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s->listen_fd, 1) < 0)
        goto fail;
    ev.data.fd = s->listen_fd;
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) < 0)
        goto fail;
    return &s->base;
fail:
    e = errno;
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        s->listen_fd = -1;
    }
    sock_free(s);
    errno = e;
    return NULL;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct vchan *sock_client_init(int server_domid, int port, int timeout_ms)
{
    struct sockaddr_un sa;
    struct vchan_sock *s;
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    int own = sock_own_domid(), fd, r, delay_us = 100;

    if (own < 0) {
        errno = -own;
        return NULL;
    }
    r = sock_path(&sa, server_domid, own, port);
    if (r < 0) {
        errno = -r;
        return NULL;
    }
    for (;;) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return NULL;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            break;
        r = errno;
        close(fd);
        /* not there yet (no file, or a stale file nobody listens on) */
        if (r != ENOENT && r != ECONNREFUSED && r != EINTR) {
            errno = r;
            return NULL;
        }
        if (deadline >= 0 && now_ms() >= deadline) {
            errno = ETIMEDOUT;
            return NULL;
        }
        /* the server is usually a moment away (qrexec starts both ends at
         * once): retry fast first, then back off to 50 ms */
        usleep((useconds_t)delay_us);
        if (delay_us < 50000)
            delay_us *= 2;
    }
    r = io_set_nonblock(fd, 1);
    s = r < 0 ? NULL : sock_new(0, 0);
    if (!s || sock_attach(s, fd) < 0) {
        r = errno;
        close(fd);
        if (s)
            sock_free(s);
        errno = r ? r : EIO;
        return NULL;
    }
    return &s->base;
}

/* The kernel's word on who is at the other end (credentials taken at
 * connect(), or at listen() for the server seen from its client), never a
 * value the peer sent. */
static int sock_peer_pid(const struct vchan *v)
{
    const struct vchan_sock *s = (const struct vchan_sock *)v;
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (s->fd < 0)
        return -ENOTCONN;
    if (getsockopt(s->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -errno;
    if (len != sizeof(cred) || cred.pid <= 0)
        return -ENOTCONN;
    return (int)cred.pid;
}

const struct vchan_ops vchan_socket_ops = {
    .name = "socket",
    .server_init = sock_server_init,
    .client_init = sock_client_init,
    .read_nb = sock_read_nb,
    .write_nb = sock_write_nb,
    .block = sock_block_op,
    .fd = sock_fd,
    .wait = sock_wait,
    .data_ready = sock_data_ready,
    .buffer_space = sock_buffer_space,
    .is_open = sock_is_open,
    .close = sock_close,
    .own_domid = sock_own_domid,
    .peer_pid = sock_peer_pid,
};
