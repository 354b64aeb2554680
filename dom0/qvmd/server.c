/* The Admin API server: one poll() loop over non-blocking sockets.
 *
 * Why poll and not a library: qvmd's connections are short (one request,
 * one reply) plus a few long event streams, a few hundred at most; a poll
 * loop over per-client bounded buffers is about 300 lines, has no
 * dependency, and every wait in it is visible. No call here ever blocks on
 * a client: reads and writes are non-blocking, each client's buffers are
 * bounded, a client slower than its deadline is dropped, and an event
 * subscriber that does not read is dropped once its queue is full. The
 * store is SQLite on a local disk, so a call is served to completion in
 * the loop (a few tens of microseconds); a call from a VM first waits for
 * the policy daemon, also without blocking the loop. */
#include "dom0/qvmd/server.h"

#include "dom0/qvmd/api.h"
#include "dom0/qvmd/lifecycle.h"
#include "dom0/qvmd/request.h"
#include "lib/buf.h"
#include "lib/io.h"
#include "lib/log.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS    1024
#define READ_LIMIT_MS  30000 /* a whole request must arrive within this */
#define WRITE_LIMIT_MS 30000
#define POLICY_MS      5000
#define EVENT_QUEUE    (1024 * 1024) /* a subscriber further behind is dropped */

/* C_PENDING: the call is with the lifecycle (a start, a kill, a shutdown
 * that waits); its done callback moves the client to C_WRITE. */
enum cstate { C_READ, C_POLICY, C_PENDING, C_WRITE, C_EVENTS };

struct client {
    int fd, policy_fd;
    enum cstate st;
    struct buf in, out, pol;
    size_t out_off;
    long long deadline;
    struct admin_request rq;
    bool have_rq;
    bool rd_eof; /* the client half-closed: stop polling for input */
    size_t hdr_len;
};

static struct client *clients[MAX_CLIENTS];
static size_t nclients, max_clients = MAX_CLIENTS;
static volatile sig_atomic_t stopping;
static const struct server_opts *opts;
static struct api_ctx actx;
static struct lifecycle *lc;

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void drop(size_t i)
{
    struct client *c = clients[i];

    if (c->st == C_PENDING && lc)
        lc_forget(lc, c);
    close(c->fd);
    if (c->policy_fd >= 0)
        close(c->policy_fd);
    buf_fini(&c->in);
    buf_fini(&c->out);
    buf_fini(&c->pol);
    free(c);
    clients[i] = clients[--nclients];
}

/* Events go to every subscriber of dom0 (all) or of the subject qube. */
static void emit(void *ctx, const char *subject, const char *event, const char *const *kv)
{
    (void)ctx;
    for (size_t i = 0; i < nclients; i++) {
        struct client *c = clients[i];
        size_t before = c->out.len;
        if (c->st != C_EVENTS || (!c->rq.dest_dom0 && strcmp(c->rq.dest, subject)))
            continue;
        api_event_frame(&c->out, subject, event, kv);
        if (c->out.len - before < strlen(subject) + strlen(event) + 5) {
            /* the queue is full: this subscriber stopped reading */
            log_info("dropping an event subscriber that fell behind");
            c->out.len = before;
            shutdown(c->fd, SHUT_RDWR);
            c->deadline = 0; /* the loop drops it */
        }
    }
}

static void reply_exception(struct client *c, const char *type, const char *msg)
{
    api_exception(&c->out, type, msg);
    c->st = C_WRITE;
    c->deadline = now_ms() + WRITE_LIMIT_MS;
}

static void serve(struct client *c)
{
    int ev;

    actx.waiter = c;
    ev = api_handle(&actx, &c->rq, (const char *)c->in.data + c->hdr_len, c->in.len - c->hdr_len,
                    &c->out);
    if (ev == 2) {
        /* no reply yet and no limit: a start may take qrexec_timeout */
        buf_clear(&c->out);
        c->st = C_PENDING;
        c->deadline = -1;
        return;
    }
    c->st = ev ? C_EVENTS : C_WRITE;
    c->deadline = ev ? -1 : now_ms() + WRITE_LIMIT_MS;
}

/* The lifecycle finished a pending call. */
static void call_done(void *waiter, const struct qerr *e)
{
    static const uint8_t ok[2] = {0x30, 0};
    struct client *c = waiter;

    buf_clear(&c->out);
    if (e)
        api_exception(&c->out, e->type, e->msg);
    else
        buf_append(&c->out, ok, 2);
    c->st = C_WRITE;
    c->deadline = now_ms() + WRITE_LIMIT_MS;
}

/* A call through qrexec: ask the policy daemon, without waiting here. */
static void ask_policy(struct client *c)
{
    char req[512];
    int fd, n;

    n = snprintf(req, sizeof(req),
                 "domain_id=0\nsource=%s\nintended_target=%s\nservice_and_arg=%s+%s\n"
                 "process_ident=%d\njust_evaluate=yes\n\n",
                 c->rq.source, c->rq.dest_dom0 ? "@adminvm" : c->rq.dest, c->rq.method, c->rq.arg,
                 (int)getpid());
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", opts->policy_socket);
        /* a Unix socket connects at once or not at all (EAGAIN: backlog
         * full), and the request fits in the socket buffer */
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || write(fd, req, (size_t)n) != n) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        log_warnx("policy daemon at %s unreachable: refusing %s from %s", opts->policy_socket,
                  c->rq.method, c->rq.source);
        reply_exception(c, "PermissionDenied", "policy daemon unreachable");
        return;
    }
    shutdown(fd, SHUT_WR);
    c->policy_fd = fd;
    buf_init(&c->pol, 4096);
    c->st = C_POLICY;
    c->deadline = now_ms() + POLICY_MS;
}

static void policy_readable(struct client *c)
{
    uint8_t *p = buf_reserve(&c->pol, 512);
    ssize_t r = p ? read(c->policy_fd, p, 512) : -1;
    bool allow;

    if (r > 0) {
        buf_commit(&c->pol, (size_t)r);
        return;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    /* the whole reply is in: allowed only on an exact "result=allow" line */
    buf_append(&c->pol, "", 1);
    allow = !strncmp((char *)c->pol.data, "result=allow\n", 13) ||
            strstr((char *)c->pol.data, "\nresult=allow\n");
    close(c->policy_fd);
    c->policy_fd = -1;
    if (allow)
        serve(c);
    else
        reply_exception(c, "PermissionDenied", "refused by policy");
}

static void got_request(struct client *c)
{
    if (!c->have_rq) {
        reply_exception(c, "QubesException", "malformed request: no header");
        return;
    }
    if (!c->rq.source_dom0)
        ask_policy(c);
    else
        serve(c);
}

static void readable_once(struct client *c, ssize_t *got);

/* Reads what is there (up to a few chunks) in C_READ, once otherwise. */
static void readable(struct client *c)
{
    ssize_t got;

    for (int i = 0; i < 8; i++) {
        readable_once(c, &got);
        if (c->st != C_READ || got <= 0)
            return;
    }
}

static void readable_once(struct client *c, ssize_t *got)
{
    uint8_t *p;
    ssize_t r;

    *got = 0;
    if (c->st == C_EVENTS || c->st == C_WRITE) {
        /* nothing more is expected: read to notice a hang-up */
        char sink[256];
        r = read(c->fd, sink, sizeof(sink));
        /* a subscriber may half-close after its header (as callers of
         * other methods do); a dead one shows when an event is sent */
        if (r == 0)
            c->rd_eof = true;
        return;
    }
    p = buf_reserve(&c->in, 4096);
    if (!p) {
        reply_exception(c, "QubesException", "request too large");
        return;
    }
    r = read(c->fd, p, 4096);
    *got = r;
    if (r < 0) {
        if (errno != EAGAIN && errno != EINTR)
            c->deadline = 0;
        return;
    }
    buf_commit(&c->in, (size_t)r);
    if (!c->have_rq) {
        size_t end = admin_header_end((const char *)c->in.data, c->in.len);
        char err[128];
        if (!end && c->in.len >= ADMIN_HEADER_MAX) {
            reply_exception(c, "QubesException", "malformed request: header too long");
            return;
        }
        if (end) {
            if (admin_parse_header((const char *)c->in.data, end - 1, &c->rq, err, sizeof(err)) <
                0) {
                char msg[200];
                snprintf(msg, sizeof(msg), "malformed request: %s", err);
                reply_exception(c, "QubesException", msg);
                return;
            }
            c->have_rq = true;
            c->hdr_len = end;
            /* a subscription needs no payload: start without the half-close */
            if (!strcmp(c->rq.method, "admin.Events")) {
                got_request(c);
                return;
            }
        }
    }
    if (r == 0)
        got_request(c);
}

static void writable(struct client *c)
{
    ssize_t r;

    if (c->out_off < c->out.len) {
        r = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (r < 0) {
            if (errno != EAGAIN && errno != EINTR)
                c->deadline = 0;
            return;
        }
        c->out_off += (size_t)r;
    }
    if (c->out_off == c->out.len) {
        buf_clear(&c->out);
        c->out_off = 0;
        if (c->st == C_WRITE)
            c->deadline = 0; /* done: the loop closes it */
    }
}

/* false when there is nothing more to accept */
static bool accept_one(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    struct client *c;

    if (fd < 0)
        return false;
    if (nclients >= max_clients || !(c = calloc(1, sizeof(*c)))) {
        close(fd); /* full: the client sees EOF rather than a hang */
        return true;
    }
    c->fd = fd;
    c->policy_fd = -1;
    buf_init(&c->in, ADMIN_HEADER_MAX + ADMIN_PAYLOAD_MAX);
    buf_init(&c->out, EVENT_QUEUE);
    buf_init(&c->pol, 4096);
    c->deadline = now_ms() + READ_LIMIT_MS;
    clients[nclients++] = c;
    /* most clients have sent their whole request by now: serve it at once
     * rather than after another trip through poll() */
    readable(c);
    if (c->st == C_WRITE)
        writable(c);
    return true;
}

/* The socket: mode 0660 and group qubes when that group exists (the
 * qvm-* users), otherwise 0600 for root alone. */
static int make_socket(const char *path)
{
    struct group *g = getgrnam("qubes");
    int fd = io_unix_listen(path, 128);

    if (fd < 0)
        return fd;
    if (g && chown(path, (uid_t)-1, g->gr_gid) == 0)
        chmod(path, 0660);
    else
        chmod(path, 0600);
    io_set_nonblock(fd, 1);
    return fd;
}

int server_run(struct store *s, const struct server_opts *o)
{
    static struct pollfd pfd[2 * MAX_CLIENTS + 8];
    struct sigaction sa = {.sa_handler = on_signal};
    int lfd;

    /* find the running qubes (and restart their dead daemons) before the
     * socket exists: whoever connects sees qvmd's whole state */
    if (o->lc) {
        lc = lc_open(s, o->lc, emit, NULL, call_done);
        actx.lc = lc;
    }
    lfd = make_socket(o->socket_path);
    if (lfd < 0) {
        log_warnx("cannot listen on %s: %s", o->socket_path, strerror(-lfd));
        lc_close(lc);
        lc = NULL;
        return -1;
    }
    /* each client may hold two descriptors (its socket and a policy
     * query): fit the client limit to the descriptor limit, so accept()
     * never fails with EMFILE (which would leave the listener readable
     * and the loop spinning) */
    {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
            if (rl.rlim_cur < 2 * MAX_CLIENTS + 64 && rl.rlim_max > rl.rlim_cur) {
                rl.rlim_cur =
                    rl.rlim_max < 2 * MAX_CLIENTS + 64 ? rl.rlim_max : 2 * MAX_CLIENTS + 64;
                setrlimit(RLIMIT_NOFILE, &rl);
            }
            if (rl.rlim_cur < 2 * MAX_CLIENTS + 64)
                max_clients = rl.rlim_cur > 96 ? (rl.rlim_cur - 64) / 2 : 16;
        }
    }
    opts = o;
    actx.store = s;
    actx.emit = emit;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    log_info("listening on %s", o->socket_path);
    while (!stopping) {
        long long now = now_ms(), next = now + 60000;
        size_t n = 0, lc_first, cidx[2 * MAX_CLIENTS + 1];
        int r;

        /* drop what is finished or late */
        for (size_t i = nclients; i-- > 0;) {
            struct client *c = clients[i];
            if (c->deadline >= 0 && c->deadline <= now) {
                if (c->st == C_POLICY && c->deadline > 0) {
                    close(c->policy_fd);
                    c->policy_fd = -1;
                    reply_exception(c, "PermissionDenied", "policy daemon did not answer");
                    continue;
                }
                drop(i);
            }
        }
        pfd[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        for (size_t i = 0; i < nclients; i++) {
            struct client *c = clients[i];
            short evs = c->st == C_READ || (c->st == C_EVENTS && !c->rd_eof) ? POLLIN : 0;
            if (c->out_off < c->out.len || c->st == C_WRITE)
                evs |= POLLOUT;
            if (evs) {
                cidx[n] = i;
                pfd[n++] = (struct pollfd){.fd = c->fd, .events = evs};
            }
            if (c->st == C_PENDING) {
                /* only POLLHUP: the caller closed (a half-close is normal) */
                cidx[n] = i;
                pfd[n++] = (struct pollfd){.fd = c->fd, .events = 0};
            }
            if (c->st == C_POLICY) {
                cidx[n] = i | ((size_t)1 << 31);
                pfd[n++] = (struct pollfd){.fd = c->policy_fd, .events = POLLIN};
            }
            if (c->deadline >= 0 && c->deadline < next)
                next = c->deadline;
        }
        lc_first = n;
        if (lc) {
            long long d = lc_next_deadline(lc);
            n += (size_t)lc_pollfds(lc, pfd + n, 4);
            if (d >= 0 && d < next)
                next = d;
        }
        r = poll(pfd, n, (int)(next > now ? next - now : 0));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            log_warn("poll");
            break;
        }
        /* clients first (indices are stable until drop, done above) */
        for (size_t k = 1; k < lc_first; k++) {
            size_t i = cidx[k] & ~((size_t)1 << 31);
            struct client *c = clients[i];
            if (!pfd[k].revents)
                continue;
            if (cidx[k] >> 31) {
                if (c->st == C_POLICY)
                    policy_readable(c);
                continue;
            }
            if (c->st == C_PENDING) {
                if (pfd[k].revents & (POLLHUP | POLLERR)) {
                    lc_forget(lc, c);
                    c->st = C_WRITE;
                    c->deadline = 0; /* dropped next round */
                }
                continue;
            }
            if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
                readable(c);
            if (pfd[k].revents & POLLOUT || c->st == C_WRITE)
                writable(c);
        }
        if (pfd[0].revents & POLLIN)
            for (int i = 0; i < 64 && accept_one(lfd); i++)
                ;
        if (lc) {
            bool fired = false;
            long long d = lc_next_deadline(lc);
            for (size_t k = lc_first; k < n; k++)
                fired |= pfd[k].revents != 0;
            if (fired || (d >= 0 && d <= now_ms()))
                lc_dispatch(lc);
        }
    }
    for (size_t i = nclients; i-- > 0;)
        drop(i);
    lc_close(lc);
    lc = NULL;
    close(lfd);
    unlink(o->socket_path);
    return 0;
}
