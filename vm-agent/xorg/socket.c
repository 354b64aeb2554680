/* bulkheadshm: the socket where the gui-agent asks where a window's pixels
 * are (xorg_shm_proto.h). Served from the X server's main loop
 * (SetNotifyFd): every call is non-blocking; a peer that does not take
 * our answer at once is dropped. Only the X server's own uid, root and
 * $BULKHEAD_XORG_SHM_UID may ask: the answer hands out window contents. */
#include <xorg-server.h>

#include <os.h>
#include <opaque.h>

#include "vm-agent/xorg/bulkheadshm.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Agents at once: one per display in practice; more are refused. */
#define MAX_PEERS 8

static int listen_fd = -1;
static long extra_uid = -1;
static int peers[MAX_PEERS];
static uint64_t peer_conn[MAX_PEERS], next_conn = 1; /* a descriptor number is reused */
static unsigned npeers;

static void drop(int fd)
{
    for (unsigned i = 0; i < npeers; i++)
        if (peers[i] == fd) {
            npeers--;
            peers[i] = peers[npeers], peer_conn[i] = peer_conn[npeers];
        }
    RemoveNotifyFd(fd);
    close(fd);
}

/* A sealed memfd holding the grant references we tell, every slot's: more than one
 * message takes. */
static int refs_fd(const struct bhs_buf *b)
{
    int fd = memfd_create("bulkheadshm-refs", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    size_t len = (size_t)b->nrefs * sizeof(uint32_t);

    if (fd < 0)
        return -1;
    for (unsigned i = 0; i < b->nslots; i++)
        if (write(fd, b->slot[i].shm.refs, len) != (ssize_t)len) {
            close(fd);
            return -1;
        }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The WINDOW reply's fields and descriptors; the count, or -1. */
static int window_reply(const struct bhs_buf *b, struct xorg_shm_reply *rp, int *fds)
{
    int n = 0;

    rp->kind = b->slot[0].shm.kind;
    rp->slots = b->nslots;
    rp->nrefs = b->nrefs, rp->bytes = b->bytes;
    for (unsigned i = 0; i < b->nslots; i++) {
        rp->index[i] = b->slot[i].shm.index;
        fds[n++] = b->slot[i].shm.fd;
    }
    if (rp->kind == SHM_GRANT && (fds[n++] = refs_fd(b)) < 0)
        return -1;
    return n;
}

/* The agent asking for a window's slots is the one told of its frames. */
static void remember_agent(struct bhs_buf *b, int fd, const struct xorg_shm_request *rq)
{
    uint64_t conn = 0;

    for (unsigned i = 0; i < npeers; i++)
        if (peers[i] == fd)
            conn = peer_conn[i];
    /* a new agent: whatever an earlier one locked is free; the same agent
     * asking again keeps its frames' locks (it releases them itself) */
    if (conn != b->agent_conn) {
        b->locked = 0;
        memset(b->locks, 0, sizeof(b->locks));
    }
    b->agent_conn = conn;
    b->agent_fd = fd;
    b->window = rq->window;
    b->auto_frames = (rq->flags & XORG_SHM_AUTO) && b->nslots > 1;
}

static void answer(int fd, const struct xorg_shm_request *rq, int status)
{
    struct xorg_shm_reply rp = {
        .magic = XORG_SHM_MAGIC, .status = status, .op = rq->op, .window = rq->window};
    struct bhs_buf *b = NULL;
    int fds[XORG_SHM_SLOTS + 1], nfds = 0, own = -1;
    union {
        char buf[CMSG_SPACE(sizeof(fds))];
        struct cmsghdr align;
    } cm;
    struct iovec iov = {&rp, sizeof(rp)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

    if (!status)
        rp.status = status = bhs_window_buffer(rq, &b);
    if (!status && rq->op == XORG_SHM_RELEASE) {
        bhs_slots_release(b, rq->slots);
        return; /* not answered */
    }
    if (status && rq->op == XORG_SHM_RELEASE)
        return; /* a pixmap gone meanwhile: nothing to release */
    if (!status) {
        rp.width = b->width, rp.height = b->height, rp.stride = b->stride, rp.depth = b->depth;
        rp.serial = b->serial;
        if (rq->op == XORG_SHM_LOCK) {
            rp.slot = b->nslots > 1 ? bhs_slots_lock(b) : 0;
            rp.draws = b->draws;
        } else if ((nfds = window_reply(b, &rp, fds)) >= 0) {
            remember_agent(b, fd, rq);
        }
        if (nfds < 0) {
            memset(&rp, 0, sizeof(rp));
            rp.magic = XORG_SHM_MAGIC, rp.op = rq->op, rp.window = rq->window;
            rp.status = -ENODATA;
            nfds = 0;
        } else if (nfds > 0 && rp.kind == SHM_GRANT) {
            own = fds[nfds - 1]; /* the refs memfd is ours to close */
        }
    }
    if (nfds) {
        memset(&cm, 0, sizeof(cm));
        m.msg_control = cm.buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    if (sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(rp))
        drop(fd);
    if (own >= 0)
        close(own);
}

static void on_client(int fd, int ready, void *data)
{
    char buf[sizeof(struct xorg_shm_request) + 1];
    struct xorg_shm_request rq;
    ssize_t n;

    (void)ready, (void)data;
    n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0)
        return drop(fd);
    memset(&rq, 0, sizeof(rq));
    answer(fd, &rq, xorg_shm_parse_request(buf, (size_t)n, &rq));
}

int bhs_socket_push(const struct bhs_buf *b, unsigned slot)
{
    struct xorg_shm_reply rp = {.magic = XORG_SHM_MAGIC,
                                .op = XORG_SHM_FRAME,
                                .window = b->window,
                                .slot = slot,
                                .serial = b->serial,
                                .draws = b->draws};

    for (unsigned i = 0; i < npeers; i++)
        if (peers[i] == b->agent_fd && peer_conn[i] == b->agent_conn)
            return send(b->agent_fd, &rp, sizeof(rp), MSG_DONTWAIT | MSG_NOSIGNAL) ==
                           (ssize_t)sizeof(rp)
                       ? 0
                       : -1;
    return -1;
}

void bhs_socket_service(void)
{
    static CARD32 last;
    CARD32 now = GetTimeInMillis();

    /* the main loop serves us between clients, but a client drawing flat
     * out keeps the server for a whole time slice (milliseconds): its
     * drawing requests give us a turn, at most once a millisecond */
    if (now == last)
        return;
    last = now;
    for (unsigned i = 0; i < npeers; i++) {
        int fd = peers[i];
        /* at most a few each: a peer must not keep the server either */
        for (int k = 0; k < 4 && i < npeers && peers[i] == fd; k++) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            if (poll(&p, 1, 0) != 1)
                break;
            on_client(fd, X_NOTIFY_READ, NULL);
        }
    }
}

static void on_listen(int fd, int ready, void *data)
{
    struct ucred cr;
    socklen_t len = sizeof(cr);
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    (void)ready, (void)data;
    if (c < 0)
        return;
    if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
        (cr.uid != geteuid() && cr.uid != 0 && (long)cr.uid != extra_uid)) {
        LogMessage(X_WARNING, "bulkheadshm: refused a peer of uid %ld\n", (long)cr.uid);
        close(c);
        return;
    }
    if (npeers == MAX_PEERS || !SetNotifyFd(c, on_client, X_NOTIFY_READ, NULL)) {
        LogMessage(X_WARNING, "bulkheadshm: refused a peer: %u connected already\n", npeers);
        close(c);
        return;
    }
    peer_conn[npeers] = next_conn++;
    peers[npeers++] = c;
}

void bhs_socket_start(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char disp[32];
    const char *u = getenv("BULKHEAD_XORG_SHM_UID");
    size_t n;

    if (listen_fd >= 0)
        return;
    if (u && *u)
        extra_uid = strtol(u, NULL, 10);
    snprintf(disp, sizeof(disp), ":%s", display ? display : "");
    n = xorg_shm_socket_name(disp, sa.sun_path, sizeof(sa.sun_path));
    listen_fd = n ? socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
    if (listen_fd < 0 ||
        bind(listen_fd, (struct sockaddr *)&sa,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0 ||
        listen(listen_fd, 8) < 0 || !SetNotifyFd(listen_fd, on_listen, X_NOTIFY_READ, NULL)) {
        LogMessage(X_ERROR, "bulkheadshm: no socket for display %s (%s): the agent copies\n", disp,
                   strerror(errno));
        if (listen_fd >= 0)
            close(listen_fd);
        listen_fd = -1;
        return;
    }
    LogMessage(X_INFO, "bulkheadshm: agent socket @%s\n", sa.sun_path + 1);
}
