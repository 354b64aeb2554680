/* The qrexec data phase; see pump.h.
 *
 * One poll() loop. Received bytes for a local fd go through a bounded
 * buffer written without blocking, so a local process that is slow to read
 * its stdin never stops us from draining its stdout (the deadlock a naive
 * pump has). While that buffer holds more than one chunk we stop taking
 * messages from the link, which pushes back on the sender. */
#include "qrexec/common/pump.h"

#include "lib/buf.h"
#include "lib/io.h"
#include "qrexec/common/msgio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct pump_state {
    struct qrexec_pump *p;
    uint8_t *chunk; /* received message bodies */
    uint8_t *frame; /* a header's room, then local data to send */
    size_t chunk_max;
    struct buf pending; /* received, not yet written to out_fd */
    bool out_eof;       /* the peer ended our out_fd's stream */
    int pidfd;
    int status;    /* service: exit status once known, else -1 */
    int out_flags; /* out_fd's file status flags, restored at the end */
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int exit_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 255;
}

/* Writes what is pending to out_fd without blocking. */
static void flush_out(struct pump_state *s)
{
    struct qrexec_pump *p = s->p;

    while (s->pending.len > 0 && p->out_fd >= 0) {
        ssize_t w = write(p->out_fd, s->pending.data, s->pending.len);
        if (w > 0) {
            buf_consume(&s->pending, (size_t)w);
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && errno == EAGAIN) {
            return;
        } else {
            /* the local reader went away: nothing more can be delivered */
            buf_clear(&s->pending);
            close_fd(&p->out_fd);
        }
    }
    if (s->pending.len == 0 && s->out_eof && p->out_fd >= 0) {
        /* a socket service sees EOF only if its write side is shut down */
        shutdown(p->out_fd, SHUT_WR);
        close_fd(&p->out_fd);
    }
}

void qrexec_filter_bytes(uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (!((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r'))
            buf[i] = '_';
    }
}

/* One message from the link. 1: the call ended (client got the exit
 * code), 0: go on, <0: error. */
static int handle_message(struct pump_state *s, int *exit_code)
{
    struct qrexec_pump *p = s->p;
    struct qrexec_hdr h;
    int r = qrexec_vchan_recv(p->v, QREXEC_LINK_DATA, p->version, &h, s->chunk, s->chunk_max);

    if (r < 0)
        return r;
    switch (h.type) {
    case QREXEC_MSG_DATA_STDIN:
    case QREXEC_MSG_DATA_STDOUT:
        /* each role receives exactly one of the two streams */
        if ((h.type == QREXEC_MSG_DATA_STDIN) != p->service || s->out_eof)
            return -EPROTO;
        if (!p->service && p->filter_stdout)
            qrexec_filter_bytes(s->chunk, h.len);
        if (h.len == 0) {
            s->out_eof = true;
        } else if (p->out_fd >= 0) {
            size_t done = 0;
            /* nothing queued: straight from the chunk, saving a copy */
            if (s->pending.len == 0) {
                ssize_t w = write(p->out_fd, s->chunk, h.len);
                done = w > 0 ? (size_t)w : 0;
            }
            if (done < h.len && buf_append(&s->pending, s->chunk + done, h.len - done) < 0)
                return -ENOMEM;
        }
        flush_out(s);
        return 0;
    case QREXEC_MSG_DATA_STDERR:
        if (p->service)
            return -EPROTO;
        if (p->filter_stderr)
            qrexec_filter_bytes(s->chunk, h.len);
        if (p->err_fd >= 0 && h.len > 0 && io_write_full(p->err_fd, s->chunk, h.len) < 0)
            close_fd(&p->err_fd);
        return 0;
    case QREXEC_MSG_DATA_EXIT_CODE:
        if (p->service)
            return -EPROTO;
        qrexec_parse_exit_code(s->chunk, h.len, exit_code);
        return 1;
    default:
        return -EPROTO;
    }
}

/* Reads what a local fd has and sends it; EOF of in_fd is sent as an empty
 * message. */
static int forward_local(struct pump_state *s, int *fd, uint32_t type, bool send_eof)
{
    struct qrexec_pump *p = s->p;
    size_t space = vchan_buffer_space(p->v), n = s->chunk_max;
    ssize_t r;

    if (space <= QREXEC_HDR_SIZE)
        return 0;
    if (n > space - QREXEC_HDR_SIZE)
        n = space - QREXEC_HDR_SIZE;
    do
        r = read(*fd, s->frame + QREXEC_HDR_SIZE, n);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno == EAGAIN)
        return 0;
    if (r <= 0) {
        close_fd(fd);
        return send_eof ? qrexec_vchan_send(p->v, type, NULL, 0) : 0;
    }
    return qrexec_vchan_send_framed(p->v, type, s->frame, (size_t)r);
}

static int service_finish(struct pump_state *s)
{
    uint8_t code[4];
    int st = s->status < 0 ? 0 : s->status; /* ended early by rpc-config */

    code[0] = (uint8_t)st;
    code[1] = (uint8_t)(st >> 8);
    code[2] = (uint8_t)(st >> 16);
    code[3] = (uint8_t)(st >> 24);
    return qrexec_vchan_send(s->p->v, QREXEC_MSG_DATA_EXIT_CODE, code, sizeof(code));
}

/* The service side's call is over: the process exited and its output is
 * drained, or rpc-config ends it at the service's or the caller's EOF. */
static bool service_done(const struct pump_state *s)
{
    const struct qrexec_pump *p = s->p;

    if (!p->service)
        return false;
    if (p->in_fd < 0 && p->in2_fd < 0 && s->status >= 0)
        return true;
    if (p->exit_on_service_eof && p->in_fd < 0)
        return true;
    return p->exit_on_client_eof && s->out_eof && s->pending.len == 0;
}

static int pump_loop(struct pump_state *s, int *exit_code)
{
    struct qrexec_pump *p = s->p;
    uint32_t in_type = p->service ? QREXEC_MSG_DATA_STDOUT : QREXEC_MSG_DATA_STDIN;

    for (;;) {
        struct pollfd fds[5];
        int nfds = 0, r, i_v, i_in = -1, i_in2 = -1, i_out = -1, i_pid = -1;
        bool can_send;

        /* take messages while local output keeps up */
        while (s->pending.len <= s->chunk_max && vchan_data_ready(p->v) >= QREXEC_HDR_SIZE) {
            r = handle_message(s, exit_code);
            if (r != 0)
                return r;
        }
        if (service_done(s))
            return service_finish(s);
        if (vchan_is_open(p->v) == VCHAN_CLOSED && vchan_data_ready(p->v) < QREXEC_HDR_SIZE)
            return -EPIPE;

        can_send = vchan_buffer_space(p->v) > QREXEC_HDR_SIZE;
        i_v = nfds;
        fds[nfds++] = (struct pollfd){.fd = vchan_fd(p->v), .events = POLLIN};
        if (p->in_fd >= 0 && can_send) {
            i_in = nfds;
            fds[nfds++] = (struct pollfd){.fd = p->in_fd, .events = POLLIN};
        }
        if (p->in2_fd >= 0 && can_send) {
            i_in2 = nfds;
            fds[nfds++] = (struct pollfd){.fd = p->in2_fd, .events = POLLIN};
        }
        if (s->pending.len > 0 && p->out_fd >= 0) {
            i_out = nfds;
            fds[nfds++] = (struct pollfd){.fd = p->out_fd, .events = POLLOUT};
        }
        if (s->pidfd >= 0 && s->status < 0) {
            i_pid = nfds;
            fds[nfds++] = (struct pollfd){.fd = s->pidfd, .events = POLLIN};
        }
        if (poll(fds, (nfds_t)nfds, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (fds[i_v].revents && vchan_wait(p->v) < 0)
            return -EPIPE;
        if (i_out >= 0 && fds[i_out].revents)
            flush_out(s);
        /* a peer that stopped reading may still have sent the rest of the
         * call (its exit code above all): stop sending, keep receiving */
        if (i_in >= 0 && fds[i_in].revents &&
            (r = forward_local(s, &p->in_fd, in_type, true)) < 0) {
            if (r != -EPIPE)
                return r;
            close_fd(&p->in_fd);
        }
        if (i_in2 >= 0 && fds[i_in2].revents &&
            (r = forward_local(s, &p->in2_fd, QREXEC_MSG_DATA_STDERR, false)) < 0) {
            if (r != -EPIPE)
                return r;
            close_fd(&p->in2_fd);
        }
        if (i_pid >= 0 && fds[i_pid].revents) {
            int st;
            if (waitpid(p->pid, &st, 0) == p->pid)
                s->status = exit_status(st);
        }
    }
}

int qrexec_pump_run(struct qrexec_pump *p, int *exit_code)
{
    struct pump_state s = {.p = p, .pidfd = -1, .status = -1};
    int r, dummy;

    if (!exit_code)
        exit_code = &dummy;
    s.chunk_max = qrexec_max_chunk(p->version);
    s.chunk = malloc(s.chunk_max);
    s.frame = malloc(QREXEC_HDR_SIZE + s.chunk_max);
    buf_init(&s.pending, 2 * s.chunk_max + 1);
    /* O_NONBLOCK belongs to the open file, which a terminal shares with
     * the shell: it is put back as it was at the end */
    if (p->out_fd >= 0) {
        s.out_flags = fcntl(p->out_fd, F_GETFL);
        io_set_nonblock(p->out_fd, 1);
    }
    /* a service without a process (a socket service) ends with status 0 */
    if (p->service && p->pid <= 0)
        s.status = 0;
    if (p->service && p->pid > 0)
        s.pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    if (!s.chunk || !s.frame)
        r = -ENOMEM;
    else if (p->service && p->pid > 0 && s.pidfd < 0)
        r = -ECHILD;
    else
        r = pump_loop(&s, exit_code);
    if (r == 1)
        r = 0;
    /* what the peer sent before the end is delivered, whatever it takes */
    if (p->out_fd >= 0) {
        if (s.out_flags >= 0)
            fcntl(p->out_fd, F_SETFL, s.out_flags);
        if (s.pending.len > 0)
            io_write_full(p->out_fd, s.pending.data, s.pending.len);
    }
    close_fd(&p->in_fd);
    close_fd(&p->in2_fd);
    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
    if (s.pidfd >= 0)
        close(s.pidfd);
    buf_fini(&s.pending);
    free(s.chunk);
    free(s.frame);
    return r;
}
