/* Asking policy; see policy.h. (dom0.) */
#include "qrexec/daemon/policy.h"

#include "lib/io.h"
#include "lib/log.h"
#include "lib/untrusted.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static bool valid_target(const char *s)
{
    return qrexec_classify_target(s, NULL) != QREXEC_TARGET_INVALID &&
           qrexec_classify_target(s, NULL) != QREXEC_TARGET_DEFAULT;
}

int policy_parse_reply(const char *text, size_t len, struct policy_reply *out)
{
    int results = 0;
    size_t pos = 0;

    memset(out, 0, sizeof(*out));
    out->autostart = true;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - text - pos) : len - pos;
        const char *line = text + pos, *eq = memchr(line, '=', n);
        char val[POLICY_FIELD_MAX];
        size_t klen, vlen;

        pos += n + (nl ? 1 : 0);
        if (n == 0)
            continue;
        if (!eq || memchr(line, '\0', n))
            return -EINVAL;
        klen = (size_t)(eq - line);
        vlen = n - klen - 1;
        if (vlen >= sizeof(val))
            return -EINVAL;
        memcpy(val, eq + 1, vlen);
        val[vlen] = '\0';
#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(line, k, klen))
        if (KEY("result")) {
            if (results++ || (strcmp(val, "allow") && strcmp(val, "deny")))
                return -EINVAL;
            out->allow = !strcmp(val, "allow");
        } else if (KEY("target")) {
            if (!valid_target(val))
                return -EINVAL;
            memcpy(out->target, val, vlen + 1);
        } else if (KEY("user")) {
            if (!untrusted_chars_ok(val, vlen, "_.-") || vlen == 0)
                return -EINVAL;
            memcpy(out->user, val, vlen + 1);
        } else if (KEY("autostart")) {
            out->autostart = !strcmp(val, "True") || !strcmp(val, "yes");
        } else if (KEY("would_ask")) {
            out->would_ask = !strcmp(val, "yes");
        }
#undef KEY
    }
    if (results != 1 || (out->allow && !out->target[0]))
        return -EINVAL;
    return 0;
}

/* Reads until EOF into buf; returns the length or a negative errno. */
static ssize_t read_all(int fd, char *buf, size_t max)
{
    size_t n = 0;

    while (n < max) {
        ssize_t r = read(fd, buf + n, max - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return (ssize_t)n;
        n += (size_t)r;
    }
    return -EMSGSIZE;
}

static bool relayed(const struct policy_query *q)
{
    return q->requested_source && *q->requested_source;
}

static int ask_socket(const struct policy_query *q, char *reply, size_t max)
{
    const char *path = q->socket_path ? q->socket_path : POLICY_DEFAULT_SOCKET;
    char req[1024];
    int fd = io_unix_connect(path), n;
    ssize_t got;

    if (fd < 0)
        return fd;
    n = snprintf(req, sizeof(req),
                 "domain_id=%u\nsource=%s\nintended_target=%s\nservice_and_arg=%s\n"
                 "process_ident=%s\n%s%s%s%s\n",
                 q->domain_id, q->source, q->target, q->service_and_arg, q->request_id,
                 relayed(q) ? "requested_source=" : "", relayed(q) ? q->requested_source : "",
                 relayed(q) ? "\n" : "", q->just_evaluate ? "just_evaluate=yes\n" : "");
    if (n < 0 || (size_t)n >= sizeof(req) || io_write_full(fd, req, (size_t)n) < 0) {
        close(fd);
        return -EIO;
    }
    got = read_all(fd, reply, max);
    close(fd);
    return (int)got;
}

static int ask_program(const struct policy_query *q, char *reply, size_t max)
{
    const char *prog = q->program ? q->program : POLICY_DEFAULT_PROGRAM;
    int p[2], st;
    ssize_t got;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        dup2(p[1], 1);
        execl(prog, prog, "--", q->source, q->target, q->service_and_arg, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    got = read_all(p[0], reply, max);
    close(p[0]);
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -EACCES; /* a policy program that failed decided nothing */
    return (int)got;
}

int policy_ask(const struct policy_query *q, struct policy_reply *out)
{
    char reply[POLICY_REPLY_MAX];
    int n = ask_socket(q, reply, sizeof(reply));

    /* the program's command line has no place for a relayed call's
     * source: deciding without it would decide the wrong call */
    if ((n == -ENOENT || n == -ECONNREFUSED) && !relayed(q) && !q->just_evaluate)
        n = ask_program(q, reply, sizeof(reply));
    if (n < 0 || policy_parse_reply(reply, (size_t)n, out) < 0) {
        memset(out, 0, sizeof(*out));
        return n < 0 ? n : -EINVAL;
    }
    return 0;
}
