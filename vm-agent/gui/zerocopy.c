/* gui-agent: the "zero" path. When the qube's X server runs the
 * bulkheadshm module (vm-agent/xorg/, docs/xorg-module.md), each window's
 * Composite pixmap already lives in memory shared with the GUI domain;
 * we ask the module, over its socket, for the window's memory and send
 * that as the GUI_BUFFER. Nothing is copied in the qube: the X server
 * draws the app's pixels straight into what dom0 reads.
 *
 * The module answers in the X server's main loop, so a question costs a
 * round trip like an X request; we ask only when a window gets a buffer
 * (mapped, resized), never per frame. */
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

/* One question; 0 and the answer's descriptors, or a negative status
 * (the module's, or -EPIPE when the socket is no good any more). */
static int ask(struct agent *a, Window id, struct xorg_shm_reply *rp, int fds[2], unsigned *nfds)
{
    struct xorg_shm_request rq = {.magic = XORG_SHM_MAGIC,
                                  .window = (uint32_t)id,
                                  .kind = a->buf_kind,
                                  .domid = (uint32_t)a->gui_domid};
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
    if (send(a->zero_fd, &rq, sizeof(rq), MSG_NOSIGNAL) != (ssize_t)sizeof(rq))
        return -EPIPE;
    if (poll(&p, 1, ZERO_ANSWER_MS) != 1)
        return -EPIPE;
    n = recvmsg(a->zero_fd, &m, MSG_CMSG_CLOEXEC);
    if (n <= 0)
        return -EPIPE;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (*nfds < 2)
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
    return rp->status;
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
    struct xorg_shm_reply rp;
    int fds[2];
    unsigned nfds;
    int r;

    if (a->zero_fd < 0)
        return -ENOTCONN;
    r = ask(a, w->id, &rp, fds, &nfds);
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
    if (rp.kind != a->buf_kind) {
        close_fds(fds, nfds);
        return -EXDEV;
    }
    if (rp.serial == cur_serial) {
        close_fds(fds, nfds); /* the daemon has this memory already */
        return 1;
    }
    memset(&b->shm, 0, sizeof(b->shm));
    b->shm.refs = malloc((size_t)rp.nrefs * sizeof(uint32_t));
    if (!b->shm.refs || (rp.kind == SHM_GRANT && read_refs(fds[1], b->shm.refs, rp.nrefs) < 0)) {
        free(b->shm.refs);
        b->shm.refs = NULL;
        close_fds(fds, nfds);
        return -ENOMEM;
    }
    if (nfds == 2)
        close(fds[1]);
    b->shm.kind = (enum shm_kind)rp.kind;
    b->shm.addr = NULL; /* the X server draws; we never touch the pixels */
    b->shm.bytes = rp.bytes;
    b->shm.nrefs = rp.nrefs;
    b->shm.fd = fds[0];
    b->shm.index = rp.index;
    /* memfd: dom0 opens our descriptor through /proc/<our pid>/fd/<n>;
     * holding it keeps the memory even after X frees the pixmap */
    if (rp.kind == SHM_MEMFD)
        b->shm.refs[0] = (uint32_t)fds[0];
    b->width = rp.width, b->height = rp.height, b->stride = rp.stride;
    b->zero = true;
    b->serial = rp.serial;
    if (!a->zero_used) {
        a->zero_used = true;
        log_info("window copies: window 0x%lx is the X server's own shared pixmap: "
                 "zero copies (bulkheadshm)",
                 w->id);
    }
    return 0;
}
