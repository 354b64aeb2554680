/* dom0 clients (qrexec-client) on the daemon's socket: HELLO, one request,
 * the answer with the data port, and the request passed on to the agent.
 * (dom0: clients are trusted, but requests are still checked, since they
 * are forwarded to a VM.)
 *
 * Requests: EXEC_CMDLINE / JUST_EXEC (run something in the VM), and
 * SERVICE_CONNECT (qrexec-client -c: connect a call this VM triggered,
 * either to the target's data port given in the message, or, with port 0,
 * to the client itself serving the call in dom0). */
#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/common/msgio.h"
#include "qrexec/daemon/daemon.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static uint8_t body[QREXEC_MAX_BODY];
static char cmd[QREXEC_MAX_CMD_LEN + 64];

/* "DEFAULT:rest" becomes "<default user>:rest" when the daemon knows the
 * VM's default user. */
static int rewrite_user(const struct daemon *d, const struct qrexec_exec_params *p)
{
    static const char dflt[] = "DEFAULT:";
    int n;

    if (d->default_user && !strncmp(p->cmdline, dflt, sizeof(dflt) - 1))
        n = snprintf(cmd, sizeof(cmd), "%s:%s", d->default_user, p->cmdline + sizeof(dflt) - 1);
    else
        n = snprintf(cmd, sizeof(cmd), "%s", p->cmdline);
    return (n < 0 || (size_t)n >= QREXEC_MAX_CMD_LEN) ? -ENAMETOOLONG : 0;
}

static int handle_exec(struct daemon *d, int fd, const struct qrexec_hdr *h)
{
    struct qrexec_exec_params p;
    struct qrexec_cmdline c;
    uint8_t reply[QREXEC_HDR_SIZE + QREXEC_EXEC_PARAMS_SIZE + 1];
    uint8_t *fwd = body; /* the request is parsed already: reuse its buffer */
    ssize_t n;
    int port;

    if (qrexec_parse_exec_params(body, h->len, &p) < 0 ||
        qrexec_parse_vm_cmdline(p.cmdline, p.cmdline_len, &c) < 0 || rewrite_user(d, &p) < 0) {
        log_warnx("refusing a malformed request from a dom0 client");
        return 0;
    }
    /* connect_domain 0: a dom0 client; otherwise the calling VM, whose
     * client will serve the data link (the split keeps the two daemons of a
     * pair from picking the same port) */
    port = port_alloc(&d->ports, port_parity_for(d->domid, p.connect_domain), p.connect_domain);
    if (port < 0) {
        log_warnx("all %d data ports of %s are busy", QREXEC_MAX_CLIENTS, d->name);
        return 0;
    }
    /* the client serves the data link for the VM on this port */
    n = qrexec_build_exec(reply, sizeof(reply), h->type, d->domid, (uint32_t)port, "");
    if (n < 0 || io_write_full(fd, reply, (size_t)n) < 0) {
        port_free(&d->ports, (uint32_t)port, p.connect_domain);
        return 0;
    }
    n = qrexec_build_exec(fwd, sizeof(body), h->type, p.connect_domain, (uint32_t)port, cmd);
    if (n < 0)
        return 0;
    return vchan_write(d->agent, fwd, (size_t)n);
}

/* Connects the VM's pending call REQID. 1 when the client's socket stays
 * open (it serves the call, and its port is freed when it closes). */
static int handle_service_connect(struct daemon *d, int fd, const struct qrexec_hdr *h, int *keep)
{
    struct qrexec_service_connect sc;
    uint8_t msg[QREXEC_HDR_SIZE + QREXEC_EXEC_PARAMS_SIZE + QREXEC_REQUEST_ID_SIZE];
    struct dom0_call *slot = NULL;
    ssize_t n;
    int port;

    if (qrexec_parse_service_connect(body, h->len, &sc) < 0) {
        log_warnx("refusing a malformed SERVICE_CONNECT from a dom0 client");
        return 0;
    }
    if (sc.connect_port != 0) { /* another VM serves it: pass it on */
        n = qrexec_build_service_connect(msg, sizeof(msg), sc.connect_domain, sc.connect_port,
                                         sc.request_id);
        return n < 0 ? 0 : vchan_write(d->agent, msg, (size_t)n);
    }
    for (size_t i = 0; i < DAEMON_MAX_PENDING && !slot; i++)
        if (d->dom0_calls[i].fd < 0)
            slot = &d->dom0_calls[i];
    port = slot ? port_alloc(&d->ports, PORT_ANY, DOM0_CALL_PEER) : -EBUSY;
    if (port < 0) {
        log_warnx("no data port for a call from %s to dom0", d->name);
        return 0;
    }
    /* the VM's client serves the link to dom0; the dom0 client connects */
    n = qrexec_build_service_connect(msg, sizeof(msg), d->domid, (uint32_t)port, sc.request_id);
    if (n < 0 || io_write_full(fd, msg, (size_t)n) < 0) {
        port_free(&d->ports, (uint32_t)port, DOM0_CALL_PEER);
        return 0;
    }
    *slot = (struct dom0_call){.fd = fd, .pid = 0, .port = (uint32_t)port};
    *keep = 1;
    n = qrexec_build_service_connect(msg, sizeof(msg), 0, (uint32_t)port, sc.request_id);
    return n < 0 ? 0 : vchan_write(d->agent, msg, (size_t)n);
}

int daemon_serve_client(struct daemon *d)
{
    struct timeval tv = {.tv_sec = DAEMON_CLIENT_TIMEOUT_S};
    struct qrexec_hdr h;
    uint32_t version;
    int fd, r = 0, keep = 0;

    fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (qrexec_fd_handshake(fd, true, QREXEC_CLIENT_PROTOCOL_VERSION, QREXEC_MIN_CLIENT_VERSION,
                            QREXEC_LINK_CLIENT_TO_DAEMON, &version) < 0 ||
        qrexec_fd_recv(fd, QREXEC_LINK_CLIENT_TO_DAEMON, version, &h, body, sizeof(body)) < 0) {
        log_warnx("a dom0 client did not complete its request");
        close(fd);
        return 0;
    }
    switch (h.type) {
    case QREXEC_MSG_EXEC_CMDLINE:
    case QREXEC_MSG_JUST_EXEC:
        r = handle_exec(d, fd, &h);
        break;
    case QREXEC_MSG_SERVICE_CONNECT:
        r = handle_service_connect(d, fd, &h, &keep);
        break;
    default:
        log_warnx("dom0 client request type 0x%x is not supported", h.type);
        break;
    }
    if (!keep)
        close(fd);
    return r;
}
