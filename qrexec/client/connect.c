/* Answering a VM's waiting call from dom0 (qrexec-client -c): the form in
 * which dom0's policy tools connect a call they allowed. See call.h.
 * (dom0: everything here comes from dom0's own tools, but names still pass
 * the naming rules, since they become socket paths and command lines.) */
#include "qrexec/client/call.h"
#include "qrexec/client/call_private.h"

#include "lib/io.h"
#include "qrexec/common/msgio.h"
#include "qrexec/common/service_run.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The highest domain id a running domain can have (DOMID_FIRST_RESERVED
 * is 0x7ff0). */
#define DOMID_MAX 0x7fef

static bool request_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("_.- ", c));
}

int qrexec_call_parse_waiting(const char *s, struct qrexec_call_waiting *out)
{
    const char *c1 = strchr(s, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    size_t id_len, src_len;
    unsigned long domid = 0;

    memset(out, 0, sizeof(*out));
    if (!c1 || !c2 || strchr(c2 + 1, ','))
        return -EINVAL;
    id_len = (size_t)(c1 - s);
    src_len = (size_t)(c2 - c1 - 1);
    if (id_len == 0 || id_len >= sizeof(out->request_id) || src_len >= sizeof(out->source))
        return -EINVAL;
    for (size_t i = 0; i < id_len; i++)
        if (!request_id_char(s[i]))
            return -EINVAL;
    memcpy(out->request_id, s, id_len);
    memcpy(out->source, c1 + 1, src_len);
    if (!qrexec_valid_vm_name(out->source))
        return -EINVAL;
    if (!qrexec_call_parse_uint(c2 + 1, DOMID_MAX, &domid) || domid == 0)
        return -EINVAL;
    out->source_id = (uint32_t)domid;
    return 0;
}

int qrexec_call_connect(const struct qrexec_dom0_call *c, const struct qrexec_call_waiting *w,
                        bool wait, struct qrexec_call_status *st)
{
    uint8_t msg[QREXEC_HDR_SIZE + QREXEC_EXEC_PARAMS_SIZE + QREXEC_REQUEST_ID_SIZE];
    struct qrexec_exec_params p;
    uint32_t version;
    ssize_t n;
    int fd, sfd, r;

    st->exit_code = QREXEC_EXIT_PROBLEM;
    /* the target's agent will connect to the caller, which serves the link */
    fd = call_daemon_request(c->socket_dir, c->domain, QREXEC_MSG_EXEC_CMDLINE, w->source_id,
                             c->cmdline, &p, st);
    if (fd < 0)
        return fd;
    st->step = QREXEC_CALL_STEP_NOTIFY;
    sfd = call_connect_daemon(c->socket_dir, w->source);
    r = sfd;
    if (sfd >= 0)
        r = qrexec_fd_handshake(sfd, false, QREXEC_CLIENT_PROTOCOL_VERSION,
                                QREXEC_MIN_CLIENT_VERSION, QREXEC_LINK_DAEMON_TO_CLIENT, &version);
    if (r >= 0) {
        n = qrexec_build_service_connect(msg, sizeof(msg), p.connect_domain, p.connect_port,
                                         w->request_id);
        r = n < 0 ? (int)n : io_write_full(sfd, msg, (size_t)n);
    }
    if (sfd >= 0)
        close(sfd);
    if (r >= 0 && wait) {
        /* -W: until the target's daemon lets go of the call */
        uint8_t sink[256];
        ssize_t got;
        do
            got = read(fd, sink, sizeof(sink));
        while (got > 0 || (got < 0 && errno == EINTR));
    }
    close(fd);
    if (r < 0)
        return r;
    st->exit_code = 0;
    return 0;
}

/* A call to dom0 as policy tools write it: [USER:]COMMAND, where COMMAND
 * is the dom0 form (with how the target was asked for), or the VM form
 * with its user (asked for by the name dom0). */
static int parse_dom0_call(const char *cmdline, struct qrexec_cmdline *out)
{
    const char *colon = strchr(cmdline, ':');

    if (qrexec_parse_dom0_cmdline(cmdline, strlen(cmdline), out) == 0)
        return 0;
    if (colon && qrexec_parse_dom0_cmdline(colon + 1, strlen(colon + 1), out) == 0)
        return 0;
    if (qrexec_parse_vm_cmdline(cmdline, strlen(cmdline), out) == 0 && out->rpc)
        return 0;
    return -EINVAL;
}

bool qrexec_call_dom0_cmdline_ok(const char *cmdline)
{
    struct qrexec_cmdline c;

    return parse_dom0_call(cmdline, &c) == 0;
}

/* Asks the caller's daemon for a data port for this call (SERVICE_CONNECT
 * with port 0). Returns the daemon connection, kept open for as long as
 * the call lasts so that the daemon can tell when it ends, or a negative
 * errno. */
static int ask_port(const char *dir, const struct qrexec_call_waiting *w, uint32_t *port)
{
    uint8_t msg[QREXEC_HDR_SIZE + QREXEC_EXEC_PARAMS_SIZE + QREXEC_REQUEST_ID_SIZE];
    struct qrexec_service_connect sc;
    struct qrexec_hdr h;
    uint32_t version;
    ssize_t n;
    int fd = call_connect_daemon(dir, w->source), r;

    if (fd < 0)
        return fd;
    r = qrexec_fd_handshake(fd, false, QREXEC_CLIENT_PROTOCOL_VERSION, QREXEC_MIN_CLIENT_VERSION,
                            QREXEC_LINK_DAEMON_TO_CLIENT, &version);
    n = r < 0 ? r : qrexec_build_service_connect(msg, sizeof(msg), 0, 0, w->request_id);
    r = n < 0 ? (int)n : io_write_full(fd, msg, (size_t)n);
    if (r == 0)
        r = qrexec_fd_recv(fd, QREXEC_LINK_DAEMON_TO_CLIENT, version, &h, msg, sizeof(msg));
    if (r == 0 && (h.type != QREXEC_MSG_SERVICE_CONNECT ||
                   qrexec_parse_service_connect(msg, h.len, &sc) < 0 ||
                   strcmp(sc.request_id, w->request_id) || sc.connect_port == 0))
        r = -EPROTO;
    if (r < 0) {
        close(fd);
        return r;
    }
    *port = sc.connect_port;
    return fd;
}

int qrexec_call_serve_dom0(const struct qrexec_dom0_call *c, const struct qrexec_call_waiting *w,
                           struct qrexec_call_status *st)
{
    char service[256], source[64], target[64];
    struct qrexec_requested_target t;
    struct qrexec_cmdline cl;
    struct vchan *v;
    uint32_t port, version;
    bool keyword;
    int fd, r;

    st->exit_code = QREXEC_EXIT_PROBLEM;
    if (parse_dom0_call(c->cmdline, &cl) < 0) {
        st->step = QREXEC_CALL_STEP_REQUEST;
        return -EINVAL;
    }
    qrexec_copy_field(service, sizeof(service), cl.service, cl.service_len);
    qrexec_copy_field(source, sizeof(source), cl.source, cl.source_len);
    qrexec_copy_field(target, sizeof(target), cl.target ? cl.target : "dom0",
                      cl.target ? cl.target_len : 4);
    keyword = cl.target_type && cl.target_type_len == 7;
    /* the same description of the target as in calls the daemon serves */
    if (keyword && target[0] != '@') {
        memmove(target + 1, target, strnlen(target, sizeof(target) - 2) + 1);
        target[0] = '@';
    }
    qrexec_describe_target(target, &t);

    st->step = QREXEC_CALL_STEP_NOTIFY;
    fd = ask_port(c->socket_dir, w, &port);
    if (fd < 0)
        return fd;
    /* the caller serves the data link; dom0 connects to it */
    st->step = QREXEC_CALL_STEP_LINK;
    v = vchan_client_init((int)w->source_id, (int)port, c->timeout_ms > 0 ? c->timeout_ms : -1);
    if (!v) {
        r = -errno;
        close(fd);
        return r;
    }
    r = qrexec_vchan_handshake(v, false, QREXEC_PROTOCOL_VERSION, QREXEC_PROTOCOL_V2,
                               QREXEC_LINK_DATA, &version);
    if (r < 0) {
        vchan_close(v);
        close(fd);
        return r;
    }
    qrexec_serve_rpc(v, version, getenv("QREXEC_SERVICE_PATH"), service, source, &t, t.env, NULL);
}
