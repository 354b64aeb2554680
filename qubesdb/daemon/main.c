/* qubesdb-daemon [--socket-dir DIR] DOMID NAME: one qube's configuration
 * database in dom0.
 *
 * Serves the qube (vchan server on port 111, peer DOMID) and dom0 clients
 * (DIR/qubesdb.NAME.sock; DIR/qubesdb.NAME.ro.sock for read-only ones). Single-threaded poll loop;
 * every connection has its own input buffer filled without blocking, so a VM that sends half a
 * message stalls nothing. A VM message that fails the parser ends only the
 * VM connection; the daemon then offers the channel again. What goes to the
 * VM is queued and sent as the ring takes it, never waited for: a VM that
 * stops reading must not stall dom0's clients (qvmd writing its keys), so
 * past VM_OUT_MAX queued bytes its connection is ended instead. */
#include "lib/buf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/vchan.h"
#include "qubesdb/daemon/store.h"
#include "qubesdb/proto/qdb_proto.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENTS 32
#define MAX_WATCHES 64
/* More than the largest reply (a MULTIREAD of a full store, about 13 MB):
 * a VM that lets this much pile up is not reading. */
#define VM_OUT_MAX (16u << 20)

struct conn {
    bool used, is_vm, ro; /* ro: a client of the read-only socket */
    int fd;               /* dom0 client socket; -1 for the VM */
    struct vchan *vc;     /* the VM channel */
    struct buf out;       /* VM: bytes its ring has not taken yet */
    uint8_t in[QDB_MAX_MSG];
    size_t have;
    char watches[MAX_WATCHES][QDB_MAX_PATH];
    size_t nwatches;
};

static struct qdb_store store;
static struct conn vm;
static struct conn clients[MAX_CLIENTS];
static int domid;

/* What the VM may change: only these subtrees, which Qubes reserves for
 * requests from the qube (feature requests, tools the qube reports).
 * Everything else the VM sends that changes state (WRITE, RM) is refused
 * with ERROR: the rest of the database is dom0's word about the qube. */
static const char *const vm_writable[] = {"/features-request/", "/qubes-tools/"};

static bool vm_may_change(const char *path)
{
    for (size_t i = 0; i < sizeof(vm_writable) / sizeof(vm_writable[0]); i++) {
        size_t l = strlen(vm_writable[i]);
        if (strncmp(path, vm_writable[i], l) == 0)
            return true;
    }
    return false;
}

static void drop(struct conn *c, const char *why);

/* Hands the VM what its ring takes now. 0, or -EPIPE if it is gone. */
static int vm_flush(struct conn *c)
{
    while (c->out.len) {
        ssize_t n = vchan_write_nb(c->vc, c->out.data, c->out.len);
        if (n < 0)
            return (int)n;
        if (n == 0)
            break;
        buf_consume(&c->out, (size_t)n);
    }
    return 0;
}

static int send_msg(struct conn *c, uint8_t type, const char *path, const void *data, uint32_t len)
{
    static uint8_t out[QDB_MAX_MSG];
    ssize_t n = qdb_build(out, sizeof(out), type, path, data, len);
    int r;

    if (n < 0)
        return (int)n;
    if (c->is_vm) {
        /* -EMSGSIZE past VM_OUT_MAX: the caller ends the connection */
        r = buf_append(&c->out, out, (size_t)n);
        return r < 0 ? r : vm_flush(c);
    }
    r = io_write_full(c->fd, out, (size_t)n);
    return r < 0 ? r : 0;
}

static void notify_conn(struct conn *c, const char *path)
{
    if (!c->used)
        return;
    for (size_t i = 0; i < c->nwatches; i++)
        if (qdb_watch_matches(c->watches[i], path)) {
            if (send_msg(c, QDB_RESP_WATCH, path, NULL, 0) < 0)
                drop(c, "watch notification failed");
            return;
        }
}

static void notify(const char *path, void *arg)
{
    (void)arg;
    notify_conn(&vm, path);
    for (int i = 0; i < MAX_CLIENTS; i++)
        notify_conn(&clients[i], path);
}

static int reply_range(struct conn *c, uint8_t type, const char *prefix)
{
    size_t first, end;

    qdb_store_prefix(&store, prefix, &first, &end);
    for (size_t i = first; i < end; i++) {
        const struct qdb_entry *e = &store.e[i];
        int r = type == QDB_RESP_LIST ? send_msg(c, type, e->path, NULL, 0)
                                      : send_msg(c, type, e->path, e->data, e->len);
        if (r < 0)
            return r;
    }
    return send_msg(c, type, "", NULL, 0); /* end of the list */
}

static int handle(struct conn *c, const struct qdb_msg *m, const uint8_t *data)
{
    const struct qdb_entry *e;
    size_t i;

    switch (m->type) {
    case QDB_CMD_READ:
        e = qdb_store_get(&store, m->path);
        return e ? send_msg(c, QDB_RESP_READ, m->path, e->data, e->len)
                 : send_msg(c, QDB_RESP_ERROR_NOENT, m->path, NULL, 0);
    case QDB_CMD_WRITE:
        if (c->ro)
            return send_msg(c, QDB_RESP_ERROR, m->path, NULL, 0);
        if (c->is_vm && !vm_may_change(m->path)) {
            log_warnx("domain %d: write to %s refused", domid, m->path);
            return send_msg(c, QDB_RESP_ERROR, m->path, NULL, 0);
        }
        if (qdb_store_set(&store, m->path, data, m->data_len) < 0)
            return send_msg(c, QDB_RESP_ERROR, m->path, NULL, 0);
        notify(m->path, NULL);
        return send_msg(c, QDB_RESP_OK, m->path, NULL, 0);
    case QDB_CMD_RM:
        if (c->ro)
            return send_msg(c, QDB_RESP_ERROR, m->path, NULL, 0);
        if (c->is_vm && !vm_may_change(m->path)) {
            log_warnx("domain %d: removal of %s refused", domid, m->path);
            return send_msg(c, QDB_RESP_ERROR, m->path, NULL, 0);
        }
        if (qdb_store_rm(&store, m->path, notify, NULL) == 0)
            return send_msg(c, QDB_RESP_ERROR_NOENT, m->path, NULL, 0);
        return send_msg(c, QDB_RESP_OK, m->path, NULL, 0);
    case QDB_CMD_LIST:
        return reply_range(c, QDB_RESP_LIST, m->path);
    case QDB_CMD_MULTIREAD:
        return reply_range(c, QDB_RESP_MULTIREAD, m->path);
    case QDB_CMD_WATCH:
        for (i = 0; i < c->nwatches; i++)
            if (strcmp(c->watches[i], m->path) == 0)
                return send_msg(c, QDB_RESP_OK, m->path, NULL, 0);
        if (c->nwatches >= MAX_WATCHES)
            return send_msg(c, QDB_RESP_ERROR, m->path, NULL, 0);
        memcpy(c->watches[c->nwatches++], m->path, m->path_len + 1);
        return send_msg(c, QDB_RESP_OK, m->path, NULL, 0);
    case QDB_CMD_UNWATCH:
        for (i = 0; i < c->nwatches; i++)
            if (strcmp(c->watches[i], m->path) == 0) {
                memcpy(c->watches[i], c->watches[--c->nwatches], QDB_MAX_PATH);
                return send_msg(c, QDB_RESP_OK, m->path, NULL, 0);
            }
        return send_msg(c, QDB_RESP_ERROR_NOENT, m->path, NULL, 0);
    }
    return -EBADMSG; /* not reached: the parser admits commands only */
}

static void drop(struct conn *c, const char *why)
{
    if (!c->used)
        return;
    if (c->is_vm) {
        log_warnx("domain %d: connection ended: %s", domid, why);
        vchan_close(c->vc);
        c->vc = NULL;
        buf_fini(&c->out);
    } else {
        log_debug("client connection ended: %s", why);
        close(c->fd);
    }
    c->used = false;
}

/* Handles every whole message in c->in; drops c on a malformed one. */
static void process(struct conn *c)
{
    for (;;) {
        struct qdb_msg m;
        size_t total;

        if (c->have < QDB_HDR_SIZE)
            return;
        if (qdb_parse_cmd(c->in, QDB_HDR_SIZE, &m) != 0) {
            char shown[4 * QDB_HDR_SIZE + 4];
            log_printable(shown, sizeof(shown), c->in, QDB_HDR_SIZE);
            log_warnx("%s sent a malformed message: %s", c->is_vm ? "the VM" : "a dom0 client",
                      shown);
            drop(c, "malformed message");
            return;
        }
        total = QDB_HDR_SIZE + m.data_len;
        if (c->have < total)
            return;
        if (handle(c, &m, c->in + QDB_HDR_SIZE) < 0) {
            drop(c, "cannot reply (gone, or not reading)");
            return;
        }
        memmove(c->in, c->in + total, c->have - total);
        c->have -= total;
    }
}

static void vm_offer(void)
{
    memset(&vm, 0, sizeof(vm));
    vm.is_vm = true;
    vm.fd = -1;
    vm.vc = vchan_server_init(domid, QDB_VCHAN_PORT, 65536, 65536);
    if (vm.vc == NULL)
        fatal("vchan server for domain %d", domid);
    buf_init(&vm.out, VM_OUT_MAX);
    vm.used = true;
}

static void vm_event(void)
{
    ssize_t n;

    if (vchan_wait(vm.vc) < 0) {
        drop(&vm, "channel error");
        return;
    }
    if (vm_flush(&vm) < 0) {
        drop(&vm, "closed by the VM");
        return;
    }
    for (;;) {
        n = vchan_read_nb(vm.vc, vm.in + vm.have, sizeof(vm.in) - vm.have);
        if (n < 0) {
            drop(&vm, "closed by the VM");
            return;
        }
        if (n == 0)
            break;
        vm.have += (size_t)n;
        process(&vm);
        if (!vm.used)
            return;
    }
    if (vchan_is_open(vm.vc) == VCHAN_CLOSED)
        drop(&vm, "closed by the VM");
}

static void client_event(struct conn *c)
{
    ssize_t n = read(c->fd, c->in + c->have, sizeof(c->in) - c->have);

    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        drop(c, "closed");
        return;
    }
    c->have += (size_t)n;
    process(c);
}

static void accept_client(int lfd, bool ro)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (!clients[i].used) {
            memset(&clients[i], 0, sizeof(clients[i]));
            clients[i].used = true;
            clients[i].fd = fd;
            clients[i].ro = ro;
            /* replies are written blocking: dom0 clients are trusted to read */
            io_set_nonblock(fd, 0);
            return;
        }
    log_warnx("too many clients, refusing one");
    close(fd);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: qubesdb-daemon [--socket-dir DIR] DOMID NAME\n"
               "  --socket-dir DIR  directory of qubesdb.NAME.sock and qubesdb.NAME.ro.sock\n"
               "                    (default /var/run/qubes)\n"
               "  --help            this text\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket-dir", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *dir = "/var/run/qubes";
    char path[256], ro_path[256], *end;
    int o, lfd, ro_fd;

    log_init("qubesdb-daemon");
    while ((o = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
        if (o == 'd')
            dir = optarg;
        else if (o == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return 2;
    }
    errno = 0;
    long d = strtol(argv[optind], &end, 10);
    if (errno || *end || end == argv[optind] || d < 0 || d > 0x7fef) {
        fprintf(stderr, "qubesdb-daemon: bad domain id\n");
        return 2;
    }
    domid = (int)d;
    if (snprintf(path, sizeof(path), "%s/qubesdb.%s.sock", dir, argv[optind + 1]) >=
            (int)sizeof(path) ||
        snprintf(ro_path, sizeof(ro_path), "%s/qubesdb.%s.ro.sock", dir, argv[optind + 1]) >=
            (int)sizeof(ro_path) ||
        strchr(argv[optind + 1], '/')) {
        fprintf(stderr, "qubesdb-daemon: bad name or directory\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* the read-only socket first: a client that sees the main one may
     * expect both */
    ro_fd = io_unix_listen(ro_path, 16);
    if (ro_fd < 0) {
        errno = -ro_fd;
        fatal("listen on %s", ro_path);
    }
    lfd = io_unix_listen(path, 16);
    if (lfd < 0) {
        errno = -lfd;
        fatal("listen on %s", path);
    }
    vm_offer();
    log_info("serving domain %d on port %d and %s", domid, QDB_VCHAN_PORT, path);
    for (;;) {
        struct pollfd p[MAX_CLIENTS + 3];
        int idx[MAX_CLIENTS];
        nfds_t n = 0;

        if (!vm.used)
            vm_offer(); /* the VM may reconnect */
        p[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        p[n++] = (struct pollfd){.fd = vchan_fd(vm.vc), .events = POLLIN};
        p[n++] = (struct pollfd){.fd = ro_fd, .events = POLLIN};
        for (int i = 0; i < MAX_CLIENTS; i++)
            if (clients[i].used) {
                idx[n - 3] = i;
                p[n++] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
            }
        if (poll(p, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            fatal("poll");
        }
        if (p[1].revents)
            vm_event();
        for (nfds_t i = 3; i < n; i++)
            if (p[i].revents && clients[idx[i - 3]].used)
                client_event(&clients[idx[i - 3]]);
        if (p[0].revents & POLLIN)
            accept_client(lfd, false);
        if (p[2].revents & POLLIN)
            accept_client(ro_fd, true);
    }
}
