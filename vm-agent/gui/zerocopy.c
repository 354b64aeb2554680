/* gui-agent: the "zero" path. When the qube's X server runs the
 * bulkheadshm module (vm-agent/xorg/, docs/xorg-module.md), each window's
 * Composite pixmap already lives in memory shared with the GUI domain;
 * we ask the module, over its socket, for the window's memory and send
 * that as the GUI_BUFFER. Nothing is copied in the qube: the X server
 * draws the app's pixels straight into what dom0 reads.
 *
 * The module answers in the X server's main loop, so a question costs a
 * round trip like an X request; we wait for one only when a window gets a
 * buffer (mapped, resized). The per-frame LOCK (frames.c) is not waited
 * for: its answer is read from the main loop (zero_read). */
#include "vm-agent/gui/agent.h"

#include "lib/log.h"
#include "vm-agent/xorg/xorg_shm_proto.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The module answers from the X server's loop: a bound, not a measure */
#define ZERO_ANSWER_MS 5000

void zero_init(struct agent *a)
{
    const char *slots = getenv("BULKHEAD_GUI_AGENT_SLOTS");

    a->zero_slots = slots && slots[0] >= '1' && slots[0] <= '0' + XORG_SHM_SLOTS && !slots[1]
                        ? (unsigned)(slots[0] - '0')
                        : XORG_SHM_SLOTS;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = xorg_shm_socket_name(DisplayString(a->dpy), sa.sun_path, sizeof(sa.sun_path));

    a->zero_fd = -1;
    if (!n)
        return;
    a->zero_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (a->zero_fd >= 0 && connect(a->zero_fd, (struct sockaddr *)&sa,
                                   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) == 0)
        return;
    if (a->zero_fd >= 0)
        close(a->zero_fd);
    a->zero_fd = -1;
}

static void zero_off(struct agent *a, const char *why)
{
    log_warnx("window copies: the X server's bulkheadshm module %s; from now on the %s path", why,
              buffers_path_name(a->path));
    close(a->zero_fd);
    a->zero_fd = -1;
}

static void close_fds(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        close(fds[i]);
}

/* One answer: 0 and it (with its descriptors), -EAGAIN if none came
 * (wait: up to ZERO_ANSWER_MS), or -EPIPE when the socket is no good. */
static int receive(struct agent *a, struct xorg_shm_reply *rp, int fds[XORG_SHM_SLOTS + 1],
                   unsigned *nfds, bool wait)
{
    char buf[sizeof(*rp) + 1];
    union {
        char c[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } cm;
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.c, .msg_controllen = sizeof(cm.c)};
    struct pollfd p = {.fd = a->zero_fd, .events = POLLIN};
    ssize_t n;

    *nfds = 0;
    if (poll(&p, 1, wait ? ZERO_ANSWER_MS : 0) != 1)
        return wait ? -EPIPE : -EAGAIN;
    n = recvmsg(a->zero_fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && errno == EAGAIN && !wait)
        return -EAGAIN;
    if (n <= 0)
        return -EPIPE;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (*nfds < XORG_SHM_SLOTS + 1)
                fds[(*nfds)++] = fd;
            else
                close(fd);
        }
    }
    if ((m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
        xorg_shm_parse_reply(buf, (size_t)n, *nfds, rp) < 0) {
        close_fds(fds, *nfds);
        *nfds = 0;
        return -EPIPE;
    }
    return 0;
}

static int unasked(struct agent *a, const struct xorg_shm_reply *rp);

/* One question, waited for; 0 and the answer's descriptors, or a negative
 * status (the module's, or -EPIPE when the socket is no good any more).
 * Answers to LOCKs asked before come first: they are handled on the way. */
static int ask(struct agent *a, const struct xorg_shm_request *rq, struct xorg_shm_reply *rp,
               int fds[XORG_SHM_SLOTS + 1], unsigned *nfds)
{
    if (send(a->zero_fd, rq, sizeof(*rq), MSG_NOSIGNAL) != (ssize_t)sizeof(*rq))
        return -EPIPE;
    for (;;) {
        if (receive(a, rp, fds, nfds, true) < 0)
            return -EPIPE;
        if (rp->op == rq->op)
            break;
        if (unasked(a, rp) < 0) {
            close_fds(fds, *nfds);
            return -EPIPE;
        }
    }
    return rp->status;
}

static struct xorg_shm_request request(struct agent *a, uint32_t op, Window id)
{
    struct xorg_shm_request rq = {.magic = XORG_SHM_MAGIC,
                                  .op = op,
                                  .window = (uint32_t)id,
                                  .kind = a->buf_kind,
                                  .domid = (uint32_t)a->gui_domid};
    return rq;
}

/* The grant references the module put in a sealed memfd. */
static int read_refs(int fd, uint32_t *refs, uint32_t nrefs)
{
    size_t len = (size_t)nrefs * sizeof(*refs), got = 0;

    while (got < len) {
        ssize_t n = pread(fd, (char *)refs + got, len - got, (off_t)got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

int zero_buffer(struct agent *a, struct awin *w, struct abuf *b, uint64_t cur_serial)
{
    struct xorg_shm_request rq = request(a, XORG_SHM_WINDOW, w->id);
    struct xorg_shm_reply rp;
    int fds[XORG_SHM_SLOTS + 1];
    unsigned nfds, total;
    int r;

    if (a->zero_fd < 0)
        return -ENOTCONN;
    /* two copies when the daemon takes frames: dom0 reads one while the
     * X server draws into the other (vm-agent/xorg/slots.c); one when
     * BULKHEAD_GUI_AGENT_SLOTS=1 (the benchmark compares) */
    rq.slots = a->frames ? a->zero_slots : 1;
    /* and whole-window drawings locked as frames by the module itself */
    rq.flags = rq.slots > 1 ? XORG_SHM_AUTO : 0;
    r = ask(a, &rq, &rp, fds, &nfds);
    if (r == -EPIPE) {
        zero_off(a, "stopped answering");
        return r;
    }
    if (r < 0) {
        /* this pixmap only (not redirected yet, unmapped meanwhile, not
         * shareable): it is copied; the next one may be shared */
        if (!a->zero_missed) {
            a->zero_missed = true;
            log_info("window copies: window 0x%lx is not shared by the X server (%s): copied "
                     "(logged once; the X server's log says why: \"bulkheadshm:\" lines)",
                     w->id, strerror(-r));
        }
        return r;
    }
    /* a pixmap an earlier agent asked slots for keeps them: a 1.0 daemon
     * would read slot 0 only, so such a window is copied */
    if (rp.kind != a->buf_kind || (rp.slots > 1 && !a->frames)) {
        close_fds(fds, nfds);
        return -EXDEV;
    }
    if (rp.serial == cur_serial) {
        close_fds(fds, nfds); /* the daemon has this memory already */
        return 1;
    }
    total = rp.nrefs * rp.slots;
    memset(&b->shm, 0, sizeof(b->shm));
    b->shm.refs = malloc((size_t)total * sizeof(uint32_t));
    if (!b->shm.refs ||
        (rp.kind == SHM_GRANT && read_refs(fds[rp.slots], b->shm.refs, total) < 0)) {
        free(b->shm.refs);
        b->shm.refs = NULL;
        close_fds(fds, nfds);
        return -ENOMEM;
    }
    if (rp.kind == SHM_GRANT)
        close(fds[rp.slots]);
    b->shm.kind = (enum shm_kind)rp.kind;
    b->shm.addr = NULL; /* the X server draws; we never touch the pixels */
    b->shm.bytes = rp.bytes;
    b->shm.nrefs = total;
    b->shm.fd = fds[0];
    b->shm.index = rp.index[0];
    b->slots = rp.slots;
    for (unsigned i = 1; i < rp.slots; i++)
        b->slot_fds[i - 1] = fds[i];
    /* memfd: dom0 opens our descriptors through /proc/<our pid>/fd/<n>;
     * holding them keeps the memory even after X frees the pixmap */
    if (rp.kind == SHM_MEMFD)
        for (unsigned i = 0; i < rp.slots; i++)
            b->shm.refs[i] = (uint32_t)fds[i];
    b->width = rp.width, b->height = rp.height, b->stride = rp.stride;
    b->zero = true;
    b->serial = rp.serial;
    if (!a->zero_used) {
        a->zero_used = true;
        log_info("window copies: window 0x%lx is the X server's own shared pixmap: "
                 "zero copies (bulkheadshm), %u slot%s%s",
                 w->id, rp.slots, rp.slots > 1 ? "s" : "", rp.slots > 1 ? " (frames)" : "");
    }
    return 0;
}

int zero_lock(struct agent *a, Window win, uint64_t serial, uint64_t *ticket)
{
    struct xorg_shm_request rq = request(a, XORG_SHM_LOCK, win);

    if (a->zero_fd < 0 || a->nlocks == AGENT_MAX_LOCKS)
        return -1;
    rq.serial = serial;
    if (send(a->zero_fd, &rq, sizeof(rq), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(rq)) {
        zero_off(a, "stopped reading");
        return -1;
    }
    *ticket = a->next_ticket++;
    a->locks[(a->lock_head + a->nlocks++) % AGENT_MAX_LOCKS] = (struct alock){win, serial, *ticket};
    return 0;
}

/* An answer to the oldest LOCK out. */
static void lock_answered(struct agent *a, const struct xorg_shm_reply *rp)
{
    struct alock l = a->locks[a->lock_head];

    a->lock_head = (a->lock_head + 1) % AGENT_MAX_LOCKS;
    a->nlocks--;
    frames_locked(a, l.win, l.serial, l.ticket, rp);
}

/* What comes besides the answer waited for: LOCK answers (in the order
 * asked) and frames the module locked itself. */
static int unasked(struct agent *a, const struct xorg_shm_reply *rp)
{
    if (rp->op == XORG_SHM_FRAME) {
        frames_pushed(a, rp);
        return 0;
    }
    if (rp->op != XORG_SHM_LOCK || !a->nlocks)
        return -1;
    lock_answered(a, rp);
    return 0;
}

void zero_read(struct agent *a)
{
    while (a->zero_fd >= 0) {
        struct xorg_shm_reply rp;
        int fds[XORG_SHM_SLOTS + 1];
        unsigned nfds;
        int r = receive(a, &rp, fds, &nfds, false);

        if (r == -EAGAIN)
            return;
        if (r < 0 || unasked(a, &rp) < 0) {
            if (r == 0)
                close_fds(fds, nfds);
            zero_off(a, "answered what was not asked");
            return;
        }
    }
}

void zero_release(struct agent *a, Window win, uint64_t serial, uint32_t slot)
{
    struct xorg_shm_request rq = request(a, XORG_SHM_RELEASE, win);

    if (a->zero_fd < 0)
        return;
    rq.serial = serial, rq.slots = slot;
    /* not answered; a full socket means the module is stuck anyway */
    if (send(a->zero_fd, &rq, sizeof(rq), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(rq))
        zero_off(a, "stopped reading");
}
