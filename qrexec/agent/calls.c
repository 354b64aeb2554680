/* Calls under way; see calls.h. (VM side.) */
#include "qrexec/agent/calls.h"

#include "lib/log.h"
#include "qrexec/agent/session.h"
#include "qrexec/fork-server/request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct running_call {
    bool used;
    pid_t pid;     /* a per-call process, or 0 */
    int fd;        /* a fork server connection, or -1 */
    bool accepted; /* the fork server answered that the call has its process */
    uint32_t type, domain, port;
    char *cmdline; /* kept while a fork server may still refuse the call */
    size_t cmdline_len;
};

static struct running_call calls[QREXEC_MAX_CLIENTS];

static struct running_call *free_slot(void)
{
    for (size_t i = 0; i < QREXEC_MAX_CLIENTS; i++)
        if (!calls[i].used)
            return &calls[i];
    return NULL;
}

/* The per-call process: a fork of the agent that never returns. It does
 * not try a fork server (that happened, or could not, before). */
static pid_t run_in_process(const struct agent_config *cfg, uint32_t type, uint32_t domain,
                            uint32_t port, const char *cmdline, size_t len, const sigset_t *blocked)
{
    pid_t pid = fork();

    if (pid == 0) {
        struct agent_config own = *cfg;
        own.fork_server_socket = NULL;
        sigprocmask(SIG_UNBLOCK, blocked, NULL);
        agent_run_exec(&own, type, domain, port, cmdline, len);
    }
    if (pid < 0)
        log_warn("cannot start the call on port %u", port);
    return pid;
}

/* The user's fork server, from this loop; -1 if it is not to be had. */
static int hand_over(const struct agent_config *cfg, uint32_t type,
                     const struct qrexec_exec_params *p)
{
    struct agent_call call;
    uid_t uid;

    if (!cfg->fork_server_socket)
        return -1;
    /* a call that fails here is left to the per-call process, which
     * answers it with the right exit code */
    if (agent_call_prepare(cfg, type, p->connect_domain, p->connect_port, p->cmdline,
                           p->cmdline_len, &call) < 0 ||
        agent_call_uid(&call, &uid) < 0)
        return -1;
    return agent_delegate_send(cfg, &call, uid);
}

void agent_calls_start(const struct agent_config *cfg, uint32_t type,
                       const struct qrexec_exec_params *p, const sigset_t *blocked)
{
    struct running_call *c = free_slot();
    int fd;

    if (!c) {
        log_warnx("more than %d calls at once; not starting the one on port %u", QREXEC_MAX_CLIENTS,
                  p->connect_port);
        return;
    }
    *c = (struct running_call){
        .used = true, .fd = -1, .type = type, .domain = p->connect_domain, .port = p->connect_port};
    fd = hand_over(cfg, type, p);
    if (fd >= 0) {
        c->cmdline = malloc(p->cmdline_len);
        if (c->cmdline) {
            memcpy(c->cmdline, p->cmdline, p->cmdline_len);
            c->cmdline_len = p->cmdline_len;
            c->fd = fd;
            return;
        }
        close(fd); /* cannot keep it for a fallback: run it ourselves */
    }
    c->pid = run_in_process(cfg, type, p->connect_domain, p->connect_port, p->cmdline,
                            p->cmdline_len, blocked);
    if (c->pid <= 0)
        c->used = false;
}

size_t agent_calls_pollfds(struct pollfd *fds, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < QREXEC_MAX_CLIENTS && n < max; i++)
        if (calls[i].used && calls[i].fd >= 0)
            fds[n++] = (struct pollfd){.fd = calls[i].fd, .events = POLLIN};
    return n;
}

static int ended(struct vchan *v, struct running_call *c)
{
    uint8_t m[QREXEC_HDR_SIZE + 8];
    ssize_t n = qrexec_build_terminated(m, sizeof(m), c->domain, c->port);

    if (c->fd >= 0)
        close(c->fd);
    free(c->cmdline);
    *c = (struct running_call){.fd = -1};
    if (v && n > 0 && vchan_write(v, m, (size_t)n) < 0)
        return -EPIPE;
    return 0;
}

/* The fork server said something, or hung up. */
static int from_fork_server(struct vchan *v, const struct agent_config *cfg,
                            const sigset_t *blocked, struct running_call *c)
{
    uint8_t answer;
    ssize_t n = read(c->fd, &answer, 1);

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n == 1 && !c->accepted && answer == FORKREQ_ACCEPTED) {
        c->accepted = true;
        free(c->cmdline); /* the fork server has the call now */
        c->cmdline = NULL;
        return 0;
    }
    if (n == 1 && c->accepted)
        return 0; /* nothing more is expected; only the close counts */
    if (!c->accepted) {
        /* refused (or it died): nothing ran, so the call runs here */
        log_warnx("fork server refused the call on port %u; running it here", c->port);
        close(c->fd);
        c->fd = -1;
        c->pid =
            run_in_process(cfg, c->type, c->domain, c->port, c->cmdline, c->cmdline_len, blocked);
        free(c->cmdline);
        c->cmdline = NULL;
        if (c->pid > 0)
            return 0;
    }
    return ended(v, c);
}

int agent_calls_handle(struct vchan *v, const struct agent_config *cfg, const sigset_t *blocked,
                       const struct pollfd *fds, size_t n, bool reap)
{
    pid_t pid;

    for (size_t k = 0; k < n; k++) {
        if (!fds[k].revents)
            continue;
        for (size_t i = 0; i < QREXEC_MAX_CLIENTS; i++)
            if (calls[i].used && calls[i].fd == fds[k].fd &&
                from_fork_server(v, cfg, blocked, &calls[i]) < 0)
                return -EPIPE;
    }
    while (reap && (pid = waitpid(-1, NULL, WNOHANG)) > 0)
        for (size_t i = 0; i < QREXEC_MAX_CLIENTS; i++)
            if (calls[i].used && calls[i].pid == pid && ended(v, &calls[i]) < 0)
                return -EPIPE;
    return 0;
}
