/* The fork server's request; see request.h. (VM side.) */
#include "qrexec/fork-server/request.h"

#include "lib/untrusted.h"
#include "qrexec/proto/qrexec_names.h"
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static bool type_ok(uint32_t t)
{
    return t == QREXEC_MSG_EXEC_CMDLINE || t == QREXEC_MSG_JUST_EXEC;
}

/* Reads the head's fields; the same checks for the head alone and for a
 * whole request. */
static int parse_head(struct umsg *m, struct forkreq *out, uint32_t *size)
{
    uint32_t untrusted_magic = 0, untrusted_type = 0, untrusted_domain = 0, untrusted_port = 0,
             untrusted_size = 0;

    umsg_u32(m, &untrusted_magic);
    umsg_u32(m, &untrusted_type);
    umsg_u32(m, &untrusted_domain);
    umsg_u32(m, &untrusted_port);
    umsg_u32(m, &untrusted_size);
    /* sanitize start */
    if (m->failed || untrusted_magic != FORKREQ_MAGIC || !type_ok(untrusted_type) ||
        untrusted_domain > INT32_MAX || untrusted_port > INT32_MAX || untrusted_size < 1 ||
        untrusted_size > FORKREQ_MAX_SIZE - FORKREQ_HEAD_SIZE)
        return -EBADMSG;
    out->type = untrusted_type;
    out->connect_domain = untrusted_domain;
    out->connect_port = untrusted_port;
    *size = untrusted_size;
    /* sanitize end */
    return 0;
}

ssize_t forkreq_parse_head(const void *buf, size_t len)
{
    struct forkreq r;
    struct umsg m;
    uint32_t size;

    umsg_init(&m, buf, len < FORKREQ_HEAD_SIZE ? len : FORKREQ_HEAD_SIZE);
    if (parse_head(&m, &r, &size) < 0)
        return -EBADMSG;
    return (ssize_t)(FORKREQ_HEAD_SIZE + size);
}

int forkreq_parse(const void *buf, size_t len, struct forkreq *out)
{
    struct qrexec_cmdline c;
    struct umsg m;
    uint32_t size;
    const char *untrusted_cmdline;
    size_t n = 0;

    memset(out, 0, sizeof(*out));
    umsg_init(&m, buf, len);
    if (parse_head(&m, out, &size) < 0 || umsg_remaining(&m) != size)
        return -EBADMSG;
    untrusted_cmdline = umsg_tail_string(&m, size - 1, &n);
    /* sanitize start: the command line must be one the agent would run */
    if (!untrusted_cmdline || umsg_end(&m) < 0 ||
        qrexec_parse_vm_cmdline(untrusted_cmdline, n, &c) < 0) {
        memset(out, 0, sizeof(*out));
        return -EBADMSG;
    }
    out->cmdline = untrusted_cmdline;
    out->cmdline_len = n;
    /* sanitize end */
    return 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

ssize_t forkreq_build(void *out, size_t outsz, uint32_t type, uint32_t connect_domain,
                      uint32_t connect_port, const char *cmdline)
{
    struct qrexec_cmdline c;
    size_t n = cmdline ? strlen(cmdline) : 0, total = FORKREQ_HEAD_SIZE + n + 1;
    uint8_t *b = out;

    if (!cmdline || !type_ok(type) || connect_domain > INT32_MAX || connect_port > INT32_MAX ||
        total > FORKREQ_MAX_SIZE || qrexec_parse_vm_cmdline(cmdline, n, &c) < 0)
        return -EINVAL;
    if (total > outsz)
        return -ENOSPC;
    put_u32(b, FORKREQ_MAGIC);
    put_u32(b + 4, type);
    put_u32(b + 8, connect_domain);
    put_u32(b + 12, connect_port);
    put_u32(b + 16, (uint32_t)(n + 1));
    memcpy(b + FORKREQ_HEAD_SIZE, cmdline, n + 1);
    return (ssize_t)total;
}

int forkreq_socket_path(char *out, size_t outsz, const char *pattern, const char *user)
{
    size_t ulen = strlen(user), o = 0;

    /* the name becomes part of a path: no '/', and nothing that names a
     * directory */
    if (ulen == 0 || !untrusted_chars_ok(user, ulen, "_.-") || !strcmp(user, ".") ||
        !strcmp(user, ".."))
        return -EINVAL;
    for (const char *p = pattern; *p; p++) {
        const char *add = p;
        size_t alen = 1;

        if (*p == '%') {
            if (p[1] == 's')
                add = user, alen = ulen;
            else if (p[1] != '%')
                return -EINVAL;
            p++;
        }
        if (outsz - o <= alen)
            return -ENAMETOOLONG;
        memcpy(out + o, add, alen);
        o += alen;
    }
    if (o >= outsz)
        return -ENAMETOOLONG;
    out[o] = '\0';
    return 0;
}
