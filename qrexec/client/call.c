/* Making qrexec calls: dom0 to a VM, and a VM to another qube; see
 * call.h. (dom0 and VMs: the same code runs on both sides, with the
 * daemon's socket in dom0 and the agent's socket in a VM.) */
#include "qrexec/client/call.h"
#include "qrexec/client/call_private.h"

#include "lib/io.h"
#include "qrexec/agent/trigger.h"
#include "qrexec/common/msgio.h"
#include "qrexec/common/pump.h"
#include "qrexec/common/spawn.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

size_t qrexec_call_ring_size(size_t asked)
{
    size_t n = QREXEC_CALL_RING_MIN;

    if (asked > QREXEC_CALL_RING_MAX)
        return 0;
    while (n < asked)
        n <<= 1;
    return n;
}

bool qrexec_call_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;

    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned long d = (unsigned long)(*s - '0');
        if (*s < '0' || *s > '9' || d > max || v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

int qrexec_call_io_stdio(struct qrexec_call_io *io, bool stdin_socket)
{
    int type = 0;
    socklen_t len = sizeof(type);

    *io = (struct qrexec_call_io){.in_fd = -1, .out_fd = -1, .err_fd = -1};
    if (stdin_socket &&
        (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM))
        return -ENOTSOCK;
    /* duplicates: the pump closes what it is given, and changes O_NONBLOCK
     * only for the time of the call */
    io->in_fd = dup(0);
    io->out_fd = dup(stdin_socket ? 0 : 1);
    io->err_fd = dup(2);
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void close_io(struct qrexec_call_io *io)
{
    close_fd(&io->in_fd);
    close_fd(&io->out_fd);
    close_fd(&io->err_fd);
}

static int fail(struct qrexec_call_status *st, enum qrexec_call_step step, int r)
{
    st->step = step;
    return r;
}

int call_connect_daemon(const char *dir, const char *name)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/qrexec.%s", dir ? dir : QREXEC_CALL_SOCKET_DIR, name);

    if (n < 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    return io_unix_connect(path);
}

int call_daemon_request(const char *dir, const char *domain, uint32_t type, uint32_t connect_domain,
                        const char *cmdline, struct qrexec_exec_params *out,
                        struct qrexec_call_status *st)
{
    uint8_t reply[64];
    size_t size = QREXEC_HDR_SIZE + QREXEC_EXEC_PARAMS_SIZE + strlen(cmdline) + 1;
    uint8_t *msg = malloc(size);
    struct qrexec_hdr h;
    uint32_t version;
    ssize_t n;
    int fd, r;

    if (!msg)
        return fail(st, QREXEC_CALL_STEP_CONNECT, -ENOMEM);
    fd = call_connect_daemon(dir, domain);
    if (fd < 0) {
        free(msg);
        return fail(st, QREXEC_CALL_STEP_CONNECT, fd);
    }
    st->step = QREXEC_CALL_STEP_REQUEST;
    r = qrexec_fd_handshake(fd, false, QREXEC_CLIENT_PROTOCOL_VERSION, QREXEC_MIN_CLIENT_VERSION,
                            QREXEC_LINK_DAEMON_TO_CLIENT, &version);
    n = r < 0 ? r : qrexec_build_exec(msg, size, type, connect_domain, 0, cmdline);
    if (n >= 0)
        r = io_write_full(fd, msg, (size_t)n);
    free(msg);
    if (n < 0)
        r = (int)n;
    /* the answer: the same type with the data link's domain and port */
    if (r == 0)
        r = qrexec_fd_recv(fd, QREXEC_LINK_DAEMON_TO_CLIENT, version, &h, reply, sizeof(reply));
    if (r == 0 && (h.type != type || qrexec_parse_exec_params(reply, h.len, out) < 0))
        r = -EPROTO;
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}

/* Sends the prefix, then EOF if there is no input at all: the remote must
 * not wait for stdin that will never come. */
static int send_prefix(struct vchan *v, uint32_t version, const struct qrexec_call_io *io)
{
    const uint8_t *p = io->prefix;
    size_t left = io->prefix ? io->prefix_len : 0, chunk = qrexec_max_chunk(version);
    int r = 0;

    while (left > 0 && r == 0) {
        size_t n = left < chunk ? left : chunk;
        r = qrexec_vchan_send(v, QREXEC_MSG_DATA_STDIN, p, n);
        p += n;
        left -= n;
    }
    if (r == 0 && io->in_fd < 0 && !io->local_argv)
        r = qrexec_vchan_send(v, QREXEC_MSG_DATA_STDIN, NULL, 0);
    return r;
}

int call_run_link(struct vchan *v, int timeout_ms, bool no_data, struct qrexec_call_io *io,
                  struct qrexec_call_status *st)
{
    struct qrexec_child child = {.pid = 0};
    struct qrexec_pump pump;
    uint32_t version;
    int r, code = QREXEC_EXIT_PROBLEM;

    st->step = QREXEC_CALL_STEP_LINK;
    st->local_status = -1;
    /* a server without a limit waits as long as an int of milliseconds lasts */
    r = qrexec_wait_connected(v, timeout_ms > 0 ? timeout_ms : INT_MAX);
    if (r == 0)
        r = qrexec_vchan_handshake(v, true, QREXEC_PROTOCOL_VERSION, QREXEC_PROTOCOL_V2,
                                   QREXEC_LINK_DATA, &version);
    if (r < 0)
        goto out;
    st->step = QREXEC_CALL_STEP_DATA;
    if (no_data)
        close_io(io); /* JUST_EXEC: only the exit code comes */
    /* a remote that needed no input may have finished and closed already:
     * its exit code is still on the way, so a send that finds the link
     * closed is not the end of the call (the pump tells) */
    else if ((r = send_prefix(v, version, io)) < 0 && r != -EPIPE)
        goto out;
    if (io->local_argv) {
        close_fd(&io->in_fd);
        close_fd(&io->out_fd);
        r = qrexec_spawn(io->local_argv, NULL, 1, &child);
        if (r < 0) {
            st->step = QREXEC_CALL_STEP_LOCAL;
            goto out;
        }
        io->in_fd = child.stdout_fd;
        io->out_fd = child.stdin_fd;
    }
    pump = (struct qrexec_pump){.v = v,
                                .version = version,
                                .service = false,
                                .in_fd = io->in_fd,
                                .in2_fd = -1,
                                .out_fd = io->out_fd,
                                .err_fd = io->err_fd,
                                .filter_stdout = io->filter_stdout,
                                .filter_stderr = io->filter_stderr};
    io->in_fd = io->out_fd = io->err_fd = -1; /* the pump closes them */
    r = qrexec_pump_run(&pump, &code);
out:
    close_io(io);
    vchan_close(v);
    /* the local program has seen EOF; let it finish with what it got */
    if (child.pid > 0) {
        int ws;
        while (waitpid(child.pid, &ws, 0) < 0 && errno == EINTR)
            ;
        st->local_status = ws;
    }
    st->exit_code = code & 0xff;
    return r;
}

/* The data link's write ring holds the whole prefix, so sending it before
 * the pump starts can never wait for the remote to read. */
static struct vchan *serve_link(uint32_t domain, uint32_t port, size_t ring,
                                const struct qrexec_call_io *io)
{
    size_t wanted = ring ? ring : QREXEC_CALL_RING_DEFAULT, write_ring;
    size_t prefix = io->prefix ? io->prefix_len : 0;

    write_ring =
        qrexec_call_ring_size(prefix + (prefix / QREXEC_MAX_DATA_CHUNK_V2 + 2) * QREXEC_HDR_SIZE);
    if (write_ring < wanted)
        write_ring = wanted;
    return vchan_server_init((int)domain, (int)port, wanted, write_ring);
}

int qrexec_call_dom0(const struct qrexec_dom0_call *c, struct qrexec_call_io *io,
                     struct qrexec_call_status *st)
{
    struct qrexec_exec_params p;
    struct vchan *v;
    int fd;

    st->exit_code = QREXEC_EXIT_PROBLEM;
    fd = call_daemon_request(c->socket_dir, c->domain,
                             c->just_exec ? QREXEC_MSG_JUST_EXEC : QREXEC_MSG_EXEC_CMDLINE, 0,
                             c->cmdline, &p, st);
    if (fd < 0) {
        close_io(io);
        return fd;
    }
    close(fd);
    v = serve_link(p.connect_domain, p.connect_port, c->ring_size, io);
    if (!v) {
        int e = errno;
        close_io(io);
        return fail(st, QREXEC_CALL_STEP_LINK, -e);
    }
    return call_run_link(v, c->timeout_ms, c->just_exec, io, st);
}

/* Asks the agent for the call: dom0's answer is where to serve the data
 * link, or a refusal (-EACCES). */
static int ask_agent(const struct qrexec_vm_call *c, struct qrexec_service_connect *out,
                     struct qrexec_call_status *st)
{
    size_t size = QREXEC_HDR_SIZE + QREXEC_MAX_BODY;
    uint8_t *msg = malloc(size);
    struct qrexec_hdr h;
    ssize_t n;
    int fd, r;

    if (!msg)
        return fail(st, QREXEC_CALL_STEP_CONNECT, -ENOMEM);
    /* the request id is the agent's to assign */
    if (c->source)
        n = qrexec_build_trigger4(msg, size, c->service, c->source, c->target, "");
    else
        n = qrexec_build_trigger3(msg, size, c->service, c->target, "");
    fd = n < 0 ? (int)n
               : io_unix_connect(c->agent_socket ? c->agent_socket : QREXEC_AGENT_DEFAULT_SOCKET);
    if (fd < 0) {
        free(msg);
        return fail(st, n < 0 ? QREXEC_CALL_STEP_REQUEST : QREXEC_CALL_STEP_CONNECT, fd);
    }
    st->step = QREXEC_CALL_STEP_REQUEST;
    r = io_write_full(fd, msg, (size_t)n);
    if (r == 0)
        r = qrexec_fd_recv(fd, QREXEC_LINK_DAEMON_TO_AGENT, QREXEC_PROTOCOL_V3, &h, msg, size);
    close(fd);
    if (r == 0 && h.type == QREXEC_MSG_SERVICE_REFUSED)
        r = -EACCES;
    else if (r == 0 && (h.type != QREXEC_MSG_SERVICE_CONNECT ||
                        qrexec_parse_service_connect(msg, h.len, out) < 0))
        r = -EPROTO;
    free(msg);
    return r;
}

int qrexec_call_vm(const struct qrexec_vm_call *c, struct qrexec_call_io *io,
                   struct qrexec_call_status *st)
{
    struct qrexec_service_connect sc;
    struct vchan *v;
    int r;

    st->exit_code = QREXEC_EXIT_PROBLEM;
    r = ask_agent(c, &sc, st);
    if (r < 0) {
        close_io(io);
        return r;
    }
    /* we serve the data link; the target's agent (or dom0) connects to us */
    v = serve_link(sc.connect_domain, sc.connect_port, c->ring_size, io);
    if (!v) {
        int e = errno;
        close_io(io);
        return fail(st, QREXEC_CALL_STEP_LINK, -e);
    }
    return call_run_link(v, c->timeout_ms, false, io, st);
}
