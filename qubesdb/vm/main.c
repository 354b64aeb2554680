/* qubesdb-vm-daemon [--socket PATH] [--ro-socket PATH] [--domain ID]
 * [--daemonize]: the qube's end of QubesDB.
 *
 * A proxy, not a copy: it connects to dom0's qubesdb-daemon (vchan client,
 * port 111), serves local clients on a Unix socket, sends their commands on
 * to dom0 in the order they came, and hands each reply to the client that
 * asked (replies come back in order, so a FIFO of who asked is enough).
 * Watch notifications go to every local client watching a matching path;
 * dom0 sees one watch per distinct path, however many clients share it.
 * Keeping no copy means nothing to keep in step and one source of truth;
 * the cost is a vchan round trip per read, which is what Qubes tools
 * expect from a local daemon anyway (they are not in hot loops).
 *
 * Trust: dom0's messages go through the protocol parser and the reply
 * state machine (qdb_reply_step); anything unexpected ends the daemon,
 * non-zero. Local clients are parsed the same way; a malformed one is
 * dropped alone. Sockets to clients are non-blocking with bounded output
 * buffers, so a client that stops reading is dropped instead of stalling
 * the others. When dom0's side closes the daemon exits 1 (systemd restarts
 * it and it connects again). Clients of the read-only socket may not write
 * or remove: answered ERROR here, dom0 never sees the attempt. */
#include "lib/buf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/vchan.h"
#include "qubesdb/client/qdb_client.h"
#include "qubesdb/proto/qdb_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define MAX_WATCHES 64 /* per client, as dom0 allows per connection */
/* A client that lets this much of its replies pile up is not reading. */
#define CLIENT_OUT_MAX (4u << 20)
/* Commands on their way to dom0, answered in order. Clients are read only
 * while the queue is less than half full, and each command read adds at
 * most one entry; clients leaving add one UNWATCH per watch they held, at
 * most MAX_CLIENTS * MAX_WATCHES in all, which the other half holds. */
#define QUEUE_LEN        (2 * MAX_CLIENTS * (MAX_WATCHES + 1))
#define UPSTREAM_OUT_MAX ((size_t)QUEUE_LEN * QDB_MAX_MSG)

struct client {
    bool used, busy; /* busy: a command of its own awaits dom0's reply */
    bool ro;         /* connected to the read-only socket */
    int fd;
    unsigned gen; /* tells a reused slot from the client that asked */
    uint8_t in[QDB_MAX_MSG];
    size_t have;
    struct buf out;
    char watches[MAX_WATCHES][QDB_MAX_PATH];
    size_t nwatches;
};

/* A command sent to dom0. client -1: the daemon's own (an unwatch after a
 * client left), whose reply is read and dropped. */
struct pending {
    int client;
    unsigned gen;
    uint8_t type;
    char path[QDB_MAX_PATH];
};

static struct client clients[MAX_CLIENTS];
static struct pending queue[QUEUE_LEN];
static size_t q_head, q_count;

static struct vchan *dom0;
static uint8_t up_in[QDB_MAX_MSG];
static size_t up_have;
static struct buf up_out;

static int build(uint8_t *out, size_t outsz, uint8_t type, const char *path, const void *data,
                 uint32_t len)
{
    ssize_t n = qdb_build(out, outsz, type, path, data, len);
    if (n < 0)
        fatalx("cannot build a %s message for %s", qdb_type_name(type), path);
    return (int)n;
}

static void drop(struct client *c, const char *why);

static void to_client(struct client *c, const void *msg, size_t len)
{
    ssize_t n = 0;

    if (!c->used)
        return;
    /* straight to the socket when nothing is queued: the common case */
    if (c->out.len == 0) {
        n = send(c->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            drop(c, "write failed");
            return;
        }
        if (n < 0)
            n = 0;
    }
    if ((size_t)n < len && buf_append(&c->out, (const uint8_t *)msg + n, len - (size_t)n) < 0)
        drop(c, "not reading its replies");
}

static void reply_local(struct client *c, uint8_t type, const char *path)
{
    uint8_t out[QDB_HDR_SIZE];
    to_client(c, out, (size_t)build(out, sizeof(out), type, path, NULL, 0));
}

static void flush_upstream(void)
{
    while (up_out.len) {
        ssize_t n = vchan_write_nb(dom0, up_out.data, up_out.len);
        if (n < 0)
            fatalx("dom0 closed the channel");
        if (n == 0)
            return;
        buf_consume(&up_out, (size_t)n);
    }
}

static void send_upstream(int client, uint8_t type, const char *path, const void *data,
                          uint32_t len)
{
    uint8_t out[QDB_MAX_MSG];
    struct pending *p;
    int n = build(out, sizeof(out), type, path, data, len);

    if (q_count == QUEUE_LEN || buf_append(&up_out, out, (size_t)n) < 0)
        fatalx("the queue to dom0 overflowed"); /* cannot happen: see QUEUE_LEN */
    p = &queue[(q_head + q_count++) % QUEUE_LEN];
    p->client = client;
    p->gen = client >= 0 ? clients[client].gen : 0;
    p->type = type;
    memcpy(p->path, path, strlen(path) + 1);
    if (client >= 0)
        clients[client].busy = true;
    flush_upstream();
}

static int find_watch(const struct client *c, const char *path)
{
    for (size_t i = 0; i < c->nwatches; i++)
        if (strcmp(c->watches[i], path) == 0)
            return (int)i;
    return -1;
}

static void remove_watch(struct client *c, int i)
{
    memcpy(c->watches[i], c->watches[--c->nwatches], QDB_MAX_PATH);
}

/* True if a client other than skip watches path. */
static bool watched_elsewhere(const struct client *skip, const char *path)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].used && &clients[i] != skip && find_watch(&clients[i], path) >= 0)
            return true;
    return false;
}

static void drop(struct client *c, const char *why)
{
    if (!c->used)
        return;
    log_debug("client ended: %s", why);
    close(c->fd);
    c->used = false;
    c->busy = false;
    c->gen++; /* its pending reply, if any, is read and dropped */
    buf_fini(&c->out);
    /* dom0 keeps watching what nobody here watches any more otherwise */
    while (c->nwatches) {
        const char *p = c->watches[c->nwatches - 1];
        if (!watched_elsewhere(c, p))
            send_upstream(-1, QDB_CMD_UNWATCH, p, NULL, 0);
        c->nwatches--;
    }
}

/* A command from a local client: answered here when the watch bookkeeping
 * allows, sent on to dom0 otherwise. */
static void handle(struct client *c, const struct qdb_msg *m, const uint8_t *data)
{
    int ci = (int)(c - clients);
    int w;

    switch (m->type) {
    case QDB_CMD_WATCH:
        if (find_watch(c, m->path) >= 0) {
            reply_local(c, QDB_RESP_OK, m->path);
        } else if (c->nwatches == MAX_WATCHES) {
            reply_local(c, QDB_RESP_ERROR, m->path);
        } else {
            memcpy(c->watches[c->nwatches++], m->path, m->path_len + 1);
            if (watched_elsewhere(c, m->path))
                reply_local(c, QDB_RESP_OK, m->path);
            else
                send_upstream(ci, m->type, m->path, NULL, 0);
        }
        break;
    case QDB_CMD_UNWATCH:
        w = find_watch(c, m->path);
        if (w < 0) {
            reply_local(c, QDB_RESP_ERROR_NOENT, m->path);
            break;
        }
        remove_watch(c, w);
        if (watched_elsewhere(c, m->path))
            reply_local(c, QDB_RESP_OK, m->path);
        else
            send_upstream(ci, m->type, m->path, NULL, 0);
        break;
    case QDB_CMD_WRITE:
    case QDB_CMD_RM:
        if (c->ro) {
            reply_local(c, QDB_RESP_ERROR, m->path);
            break;
        }
        /* dom0 decides what the qube may write: no second check here */
        send_upstream(ci, m->type, m->path, data, m->data_len);
        break;
    default:
        send_upstream(ci, m->type, m->path, data, m->data_len);
    }
}

/* Handles the client's whole messages while it has no command in flight. */
static void process(struct client *c)
{
    while (c->used && !c->busy && q_count < QUEUE_LEN / 2) {
        struct qdb_msg m;
        size_t total;

        if (c->have < QDB_HDR_SIZE)
            return;
        if (qdb_parse_cmd(c->in, QDB_HDR_SIZE, &m) != 0) {
            log_warnx("a local client sent a malformed message: %s",
                      LOG_UNTRUSTED(c->in, QDB_HDR_SIZE));
            drop(c, "malformed message");
            return;
        }
        total = QDB_HDR_SIZE + m.data_len;
        if (c->have < total)
            return;
        handle(c, &m, c->in + QDB_HDR_SIZE);
        memmove(c->in, c->in + total, c->have - total);
        c->have -= total;
    }
}

static void route_event(const uint8_t *msg, const char *path)
{
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = &clients[i];
        for (size_t j = 0; c->used && j < c->nwatches; j++)
            if (qdb_watch_matches(c->watches[j], path)) {
                to_client(c, msg, QDB_HDR_SIZE);
                break; /* one notification per change, as dom0 does */
            }
    }
}

/* One whole message from dom0, already parsed. */
static void from_dom0(const struct qdb_msg *m, const uint8_t *msg, size_t len)
{
    struct pending *p = q_count ? &queue[q_head] : NULL;
    int r = qdb_reply_step(p ? p->type : QDB_REPLY_NONE, p ? p->path : "", m);
    struct client *c;

    if (r < 0)
        fatalx("dom0 sent %s %s, which answers nothing asked", qdb_type_name(m->type), m->path);
    if (r == QDB_REPLY_EVENT) {
        route_event(msg, m->path);
        return;
    }
    c = p->client >= 0 ? &clients[p->client] : NULL;
    if (c && (!c->used || c->gen != p->gen))
        c = NULL; /* the client left: the reply goes nowhere */
    if (c)
        to_client(c, msg, len);
    if (r == QDB_REPLY_MORE)
        return;
    /* a watch dom0 refused is not one the client has */
    if (c && p->type == QDB_CMD_WATCH && m->type != QDB_RESP_OK) {
        int w = find_watch(c, p->path);
        if (w >= 0)
            remove_watch(c, w);
    }
    q_head = (q_head + 1) % QUEUE_LEN;
    q_count--;
    if (c && c->used) {
        c->busy = false;
        process(c);
    }
}

static void dom0_event(void)
{
    if (vchan_wait(dom0) < 0)
        fatalx("the channel to dom0 failed");
    flush_upstream();
    for (;;) {
        ssize_t n = vchan_read_nb(dom0, up_in + up_have, sizeof(up_in) - up_have);
        if (n < 0)
            fatalx("dom0 closed the channel");
        if (n == 0)
            break;
        up_have += (size_t)n;
        for (;;) {
            struct qdb_msg m;
            size_t total;
            if (up_have < QDB_HDR_SIZE)
                break;
            if (qdb_parse_resp(up_in, QDB_HDR_SIZE, &m) != 0)
                fatalx("dom0 sent a malformed message: %s", LOG_UNTRUSTED(up_in, QDB_HDR_SIZE));
            total = QDB_HDR_SIZE + m.data_len;
            if (up_have < total)
                break;
            from_dom0(&m, up_in, total);
            memmove(up_in, up_in + total, up_have - total);
            up_have -= total;
        }
    }
    if (vchan_is_open(dom0) == VCHAN_CLOSED)
        fatalx("dom0 closed the channel");
    /* room in the queue again: clients held back may go on */
    for (int i = 0; i < MAX_CLIENTS; i++)
        process(&clients[i]);
}

static void client_readable(struct client *c)
{
    ssize_t n = recv(c->fd, c->in + c->have, sizeof(c->in) - c->have, MSG_DONTWAIT);

    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        drop(c, "closed");
        return;
    }
    c->have += (size_t)n;
    process(c);
}

static void client_writable(struct client *c)
{
    ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);

    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            drop(c, "write failed");
        return;
    }
    buf_consume(&c->out, (size_t)n);
}

static void accept_client(int lfd, bool ro)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (!clients[i].used) {
            struct client *c = &clients[i];
            unsigned gen = c->gen;
            memset(c, 0, sizeof(*c));
            c->gen = gen;
            c->used = true;
            c->fd = fd;
            c->ro = ro;
            buf_init(&c->out, CLIENT_OUT_MAX);
            return;
        }
    log_warnx("too many clients, refusing one");
    close(fd);
}

static void serve(int lfd, int ro_fd)
{
    for (;;) {
        struct pollfd p[MAX_CLIENTS + 3];
        int idx[MAX_CLIENTS];
        nfds_t n = 0;

        p[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        p[n++] = (struct pollfd){.fd = vchan_fd(dom0), .events = POLLIN};
        p[n++] = (struct pollfd){.fd = ro_fd, .events = POLLIN};
        for (int i = 0; i < MAX_CLIENTS; i++)
            if (clients[i].used) {
                struct client *c = &clients[i];
                short ev =
                    (c->busy || c->have == sizeof(c->in) ? 0 : POLLIN) | (c->out.len ? POLLOUT : 0);
                idx[n - 3] = i;
                p[n++] = (struct pollfd){.fd = c->fd, .events = ev};
            }
        if (poll(p, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            fatal("poll");
        }
        if (p[1].revents)
            dom0_event();
        for (nfds_t i = 3; i < n; i++) {
            struct client *c = &clients[idx[i - 3]];
            if (!c->used || c->fd != p[i].fd)
                continue;
            if (p[i].revents & POLLOUT)
                client_writable(c);
            if (c->used && (p[i].revents & POLLIN))
                client_readable(c);
            else if (c->used && (p[i].revents & (POLLHUP | POLLERR)))
                drop(c, "hung up");
        }
        if (p[0].revents & POLLIN)
            accept_client(lfd, false);
        if (p[2].revents & POLLIN)
            accept_client(ro_fd, true);
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: qubesdb-vm-daemon [--socket PATH] [--ro-socket PATH] [--domain ID] "
            "[--daemonize]\n"
            "  --socket PATH     where local clients connect (default " QDB_VM_SOCKET ")\n"
            "  --ro-socket PATH  the same for clients that may only read (default " QDB_VM_RO_SOCKET
            ")\n"
            "  --domain ID       the domain running qubesdb-daemon (default 0, dom0)\n"
            "  --daemonize       go to the background once connected and listening\n"
            "  --help            this text\n");
}

static void make_socket_dir(const char *path)
{
    char d[108];
    char *slash;

    if (strlen(path) >= sizeof(d))
        return; /* too long for a socket anyway: listen says so */
    strcpy(d, path);
    slash = strrchr(d, '/');
    if (!slash || slash == d)
        return;
    *slash = 0;
    if (mkdir(d, 0755) < 0 && errno != EEXIST)
        return; /* listen reports what is wrong */
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'}, {"ro-socket", required_argument, NULL, 'r'},
        {"domain", required_argument, NULL, 'D'}, {"daemonize", no_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},         {0}};
    const char *sock = QDB_VM_SOCKET, *ro_sock = QDB_VM_RO_SOCKET;
    int o, lfd, ro_fd, server = 0, ready[2] = {-1, -1};
    bool background = false;
    char *end;

    log_init("qubesdb-vm-daemon");
    while ((o = getopt_long(argc, argv, "s:r:D:bh", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            sock = optarg;
            break;
        case 'r':
            ro_sock = optarg;
            break;
        case 'D': {
            errno = 0;
            long d = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || d < 0 || d > 0x7fef) {
                fprintf(stderr, "qubesdb-vm-daemon: bad domain id\n");
                return 2;
            }
            server = (int)d;
            break;
        }
        case 'b':
            background = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* The background process must be the one that connects: Xen grant
     * mappings do not survive fork(). The parent waits for "ready". */
    if (background) {
        pid_t pid;
        char ok = 0;
        if (pipe2(ready, O_CLOEXEC) < 0 || (pid = fork()) < 0)
            fatal("cannot start");
        if (pid > 0) {
            close(ready[1]);
            return read(ready[0], &ok, 1) == 1 && ok == 'R' ? 0 : 1;
        }
        close(ready[0]);
        setsid();
    }
    dom0 = vchan_client_init(server, QDB_VCHAN_PORT, -1);
    if (dom0 == NULL)
        fatal("cannot connect to qubesdb-daemon in domain %d", server);
    buf_init(&up_out, UPSTREAM_OUT_MAX);
    /* the sockets' folder (/run/qubes) may not exist yet this early in the
     * qube's boot; 0755 as the sockets themselves say who may connect */
    make_socket_dir(ro_sock);
    make_socket_dir(sock);
    /* the read-only socket first: a client that sees the main one may
     * expect both */
    ro_fd = io_unix_listen(ro_sock, 16);
    if (ro_fd < 0) {
        errno = -ro_fd;
        fatal("listen on %s", ro_sock);
    }
    lfd = io_unix_listen(sock, 16);
    if (lfd < 0) {
        errno = -lfd;
        fatal("listen on %s", sock);
    }
    /* who may connect is the directory's business (/run/qubes), as in Qubes
     * both sockets are open to every user of the qube */
    chmod(ro_sock, 0666);
    chmod(sock, 0666);
    log_info("connected to domain %d, serving %s and %s", server, sock, ro_sock);
    if (ready[1] >= 0) {
        (void)!write(ready[1], "R", 1);
        close(ready[1]);
        /* journald or the init script's log keeps stderr; stdin/stdout go */
        int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            close(nul);
        }
    }
    serve(lfd, ro_fd);
}
