/* Calls from the VM to other qubes (dom0). Each is decided and set up in
 * a process of its own, so neither a slow policy (a person answering an
 * ask dialog) nor a slow target daemon ever stalls this daemon's loop; the
 * process reports back over a pipe and the daemon answers the agent. */
#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/common/msgio.h"
#include "qrexec/common/service_run.h"
#include "qrexec/daemon/daemon.h"
#include "qrexec/daemon/policy.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a resolving process reports. */
struct call_result {
    uint32_t allow;   /* 1 allow, 0 deny */
    uint32_t to_dom0; /* allowed, to a service in dom0 */
    uint32_t domain, port;
};

/* Asks the target's daemon to run the service, with its data link to
 * connect to us (the source VM). Returns the target's (domain, port). */
static int connect_target(const struct daemon *d, const char *target, const char *cmdline,
                          struct call_result *res)
{
    static uint8_t buf[QREXEC_HDR_SIZE + QREXEC_EXEC_PARAMS_SIZE + QREXEC_MAX_CMD_LEN];
    char path[PATH_MAX];
    struct timeval tv = {.tv_sec = DAEMON_CLIENT_TIMEOUT_S};
    struct qrexec_exec_params p;
    struct qrexec_hdr h;
    uint32_t version;
    ssize_t n;
    int fd, r;

    n = snprintf(path, sizeof(path), "%s/qrexec.%s", d->socket_dir, target);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    fd = io_unix_connect(path);
    if (fd < 0)
        return fd;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    r = qrexec_fd_handshake(fd, false, QREXEC_CLIENT_PROTOCOL_VERSION, QREXEC_MIN_CLIENT_VERSION,
                            QREXEC_LINK_DAEMON_TO_CLIENT, &version);
    n = r < 0 ? r
              : qrexec_build_exec(buf, sizeof(buf), QREXEC_MSG_EXEC_CMDLINE, d->domid, 0, cmdline);
    if (n >= 0)
        r = io_write_full(fd, buf, (size_t)n);
    if (n >= 0 && r >= 0)
        r = qrexec_fd_recv(fd, QREXEC_LINK_DAEMON_TO_CLIENT, version, &h, buf, sizeof(buf));
    close(fd);
    if (n < 0)
        return (int)n;
    if (r < 0)
        return r;
    if (h.type != QREXEC_MSG_EXEC_CMDLINE || qrexec_parse_exec_params(buf, h.len, &p) < 0)
        return -EPROTO;
    res->domain = p.connect_domain;
    res->port = p.connect_port;
    return 0;
}

/* The resolving process: policy, then the target. Runs in a child. */
static struct call_result resolve(const struct daemon *d, const char *target, const char *service,
                                  const char *requested_source, const char *request_id)
{
    struct policy_query q = {.domain_id = d->domid,
                             .source = d->name,
                             .target = target,
                             .service_and_arg = service,
                             .request_id = request_id,
                             .requested_source = requested_source,
                             .socket_path = d->policy_socket,
                             .program = d->policy_program};
    struct call_result res = {0};
    struct policy_reply pr;
    char cmdline[QREXEC_MAX_CMD_LEN];
    int r;

    r = policy_ask(&q, &pr);
    if (r < 0 || !pr.allow) {
        log_info("call %s from %s to %s denied by policy%s", service, d->name, target,
                 r < 0 ? " (no usable answer)" : "");
        return res;
    }
    if (qrexec_classify_target(pr.target, NULL) == QREXEC_TARGET_ADMINVM) {
        res.allow = res.to_dom0 = 1;
        log_info("call %s from %s to dom0 allowed", service, d->name);
        return res;
    }
    if (qrexec_classify_target(pr.target, NULL) != QREXEC_TARGET_NAME ||
        !strcmp(pr.target, d->name)) {
        log_warnx("call %s from %s to %s: target %s is not supported yet", service, d->name, target,
                  pr.target);
        return res;
    }
    snprintf(cmdline, sizeof(cmdline), "%s:QUBESRPC %s %s", pr.user[0] ? pr.user : "DEFAULT",
             service, d->name);
    r = connect_target(d, pr.target, cmdline, &res);
    if (r < 0) {
        log_warnx("call %s from %s: %s is not reachable (%s)", service, d->name, pr.target,
                  r == -ENOENT ? "not running" : strerror(-r));
        return (struct call_result){0};
    }
    res.allow = 1;
    log_info("call %s from %s to %s allowed (port %u)", service, d->name, pr.target, res.port);
    return res;
}

int daemon_start_call(struct daemon *d, const char *target, const char *service,
                      const char *requested_source, const char *request_id)
{
    struct pending_call *c = NULL;
    int p[2];
    pid_t pid;

    for (size_t i = 0; i < DAEMON_MAX_PENDING; i++)
        if (d->pending[i].fd < 0) {
            c = &d->pending[i];
            break;
        }
    if (!c || pipe2(p, O_CLOEXEC) < 0)
        return -EAGAIN; /* refused at once: a VM cannot pile up deciders */
    pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -EAGAIN;
    }
    if (pid == 0) {
        struct call_result res;
        close(p[0]);
        res = resolve(d, target, service, requested_source, request_id);
        (void)!write(p[1], &res, sizeof(res));
        _exit(0);
    }
    close(p[1]);
    c->fd = p[0];
    c->pid = pid;
    memcpy(c->request_id, request_id, sizeof(c->request_id));
    c->service = strdup(service);
    snprintf(c->target, sizeof(c->target), "%s", target);
    return 0;
}

/* Serves a call to dom0 in this (child) process: connects to the calling
 * VM's data link and runs the service from dom0's service directories
 * ($QREXEC_SERVICE_PATH or the default), as the daemon's user. */
static noreturn void serve_in_dom0(const struct daemon *d, uint32_t port, const char *service,
                                   const char *asked)
{
    struct vchan *v = vchan_client_init((int)d->domid, (int)port, 10000);
    struct qrexec_requested_target t;
    uint32_t version;

    if (!v || qrexec_vchan_handshake(v, false, QREXEC_PROTOCOL_VERSION, QREXEC_PROTOCOL_V2,
                                     QREXEC_LINK_DATA, &version) < 0) {
        log_warnx("call %s from %s: no data link", service, d->name);
        _exit(1);
    }
    qrexec_describe_target(asked[0] ? asked : "@default", &t);
    qrexec_serve_rpc(v, version, getenv("QREXEC_SERVICE_PATH"), service, d->name, &t, t.env, NULL);
}

/* Starts serving an allowed call to dom0; returns its port, or <0. */
static int start_dom0_call(struct daemon *d, const struct pending_call *c)
{
    struct dom0_call *slot = NULL;
    int p[2], port;
    pid_t pid;

    for (size_t i = 0; i < DAEMON_MAX_PENDING; i++)
        if (d->dom0_calls[i].fd < 0) {
            slot = &d->dom0_calls[i];
            break;
        }
    if (!slot || !c->service)
        return -EAGAIN;
    port = port_alloc(&d->ports, PORT_ANY, DOM0_CALL_PEER);
    if (port < 0)
        return port;
    if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
        port_free(&d->ports, (uint32_t)port, DOM0_CALL_PEER);
        return -EAGAIN;
    }
    if (pid == 0) {
        close(p[0]);
        serve_in_dom0(d, (uint32_t)port, c->service, c->target);
    }
    close(p[1]);
    *slot = (struct dom0_call){.fd = p[0], .pid = pid, .port = (uint32_t)port};
    return port;
}

void daemon_end_dom0_call(struct daemon *d, struct dom0_call *c)
{
    close(c->fd);
    c->fd = -1;
    if (c->pid > 0)
        waitpid(c->pid, NULL, 0);
    port_free(&d->ports, c->port, DOM0_CALL_PEER);
}

int daemon_finish_call(struct daemon *d, struct pending_call *c)
{
    struct call_result res = {0};
    uint8_t msg[QREXEC_HDR_SIZE + QREXEC_EXEC_PARAMS_SIZE + QREXEC_REQUEST_ID_SIZE];
    ssize_t n;

    if (io_read_full(c->fd, &res, sizeof(res)) < 0)
        res.allow = 0; /* the resolver died: deny */
    close(c->fd);
    c->fd = -1;
    waitpid(c->pid, NULL, 0);
    if (res.allow && res.to_dom0) {
        int port = start_dom0_call(d, c);
        res.allow = port > 0;
        res.domain = 0;
        res.port = port > 0 ? (uint32_t)port : 0;
    }
    free(c->service);
    c->service = NULL;
    if (res.allow)
        n = qrexec_build_service_connect(msg, sizeof(msg), res.domain, res.port, c->request_id);
    else
        n = qrexec_build_service_refused(msg, sizeof(msg), c->request_id);
    return n < 0 ? (int)n : vchan_write(d->agent, msg, (size_t)n);
}
