/* Builders for qrexec messages: header and body into a caller's buffer,
 * little-endian, fixed string fields zero-padded (the parsers on the other
 * side may insist on clean padding). */
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <string.h>

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void qrexec_put_hdr(void *out, uint32_t type, uint32_t len)
{
    put_u32(out, type);
    put_u32((uint8_t *)out + 4, len);
}

/* Room for a header and body_len bytes; the body's start, or NULL. */
static uint8_t *begin(void *out, size_t outsz, uint32_t type, size_t body_len)
{
    if (body_len > UINT32_MAX || outsz < QREXEC_HDR_SIZE || outsz - QREXEC_HDR_SIZE < body_len)
        return NULL;
    qrexec_put_hdr(out, type, (uint32_t)body_len);
    return (uint8_t *)out + QREXEC_HDR_SIZE;
}

/* A string into a fixed field: must fit with its NUL; the rest is zeroed. */
static int put_fixed(uint8_t *field, size_t size, const char *s)
{
    size_t n = strlen(s);

    if (n >= size)
        return -EINVAL;
    memset(field, 0, size);
    memcpy(field, s, n);
    return 0;
}

static ssize_t total(size_t body_len)
{
    return (ssize_t)(QREXEC_HDR_SIZE + body_len);
}

ssize_t qrexec_build_hello(void *out, size_t outsz, uint32_t version)
{
    uint8_t *b = begin(out, outsz, QREXEC_MSG_HELLO, 4);

    if (!b)
        return -ENOSPC;
    put_u32(b, version);
    return total(4);
}

ssize_t qrexec_build_exec(void *out, size_t outsz, uint32_t type, uint32_t connect_domain,
                          uint32_t connect_port, const char *cmdline)
{
    size_t n = strlen(cmdline) + 1;
    uint8_t *b;

    if (type != QREXEC_MSG_EXEC_CMDLINE && type != QREXEC_MSG_JUST_EXEC)
        return -EINVAL;
    if (n > QREXEC_MAX_CMD_LEN)
        return -EINVAL;
    b = begin(out, outsz, type, QREXEC_EXEC_PARAMS_SIZE + n);
    if (!b)
        return -ENOSPC;
    put_u32(b, connect_domain);
    put_u32(b + 4, connect_port);
    memcpy(b + 8, cmdline, n);
    return total(QREXEC_EXEC_PARAMS_SIZE + n);
}

ssize_t qrexec_build_service_connect(void *out, size_t outsz, uint32_t connect_domain,
                                     uint32_t connect_port, const char *request_id)
{
    const size_t body = QREXEC_EXEC_PARAMS_SIZE + QREXEC_REQUEST_ID_SIZE;
    uint8_t *b = begin(out, outsz, QREXEC_MSG_SERVICE_CONNECT, body);

    if (!b)
        return -ENOSPC;
    put_u32(b, connect_domain);
    put_u32(b + 4, connect_port);
    if (put_fixed(b + 8, QREXEC_REQUEST_ID_SIZE, request_id) < 0)
        return -EINVAL;
    return total(body);
}

ssize_t qrexec_build_service_refused(void *out, size_t outsz, const char *request_id)
{
    uint8_t *b = begin(out, outsz, QREXEC_MSG_SERVICE_REFUSED, QREXEC_REQUEST_ID_SIZE);

    if (!b)
        return -ENOSPC;
    if (put_fixed(b, QREXEC_REQUEST_ID_SIZE, request_id) < 0)
        return -EINVAL;
    return total(QREXEC_REQUEST_ID_SIZE);
}

ssize_t qrexec_build_trigger_v2(void *out, size_t outsz, const char *service, const char *target,
                                const char *request_id)
{
    uint8_t *b = begin(out, outsz, QREXEC_MSG_TRIGGER_SERVICE, QREXEC_TRIGGER_V2_SIZE);

    if (!b)
        return -ENOSPC;
    if (put_fixed(b, QREXEC_TRIGGER_V2_SERVICE_SIZE, service) < 0 ||
        put_fixed(b + 64, QREXEC_TRIGGER_V2_TARGET_SIZE, target) < 0 ||
        put_fixed(b + 96, QREXEC_REQUEST_ID_SIZE, request_id) < 0)
        return -EINVAL;
    return total(QREXEC_TRIGGER_V2_SIZE);
}

/* V3 and V4 share the layout but for V4's leading source field. */
static ssize_t build_trigger(void *out, size_t outsz, uint32_t type, const char *source,
                             const char *service, const char *target, const char *request_id)
{
    size_t fixed = source ? QREXEC_TRIGGER4_FIXED : QREXEC_TRIGGER3_FIXED;
    size_t n = strlen(service) + 1;
    uint8_t *b;

    if (n > QREXEC_MAX_SERVICE_NAME_LEN)
        return -EINVAL;
    b = begin(out, outsz, type, fixed + n);
    if (!b)
        return -ENOSPC;
    if (source) {
        if (put_fixed(b, QREXEC_DOMAIN_NAME_SIZE, source) < 0)
            return -EINVAL;
        b += QREXEC_DOMAIN_NAME_SIZE;
    }
    if (put_fixed(b, QREXEC_DOMAIN_NAME_SIZE, target) < 0 ||
        put_fixed(b + 64, QREXEC_REQUEST_ID_SIZE, request_id) < 0)
        return -EINVAL;
    memcpy(b + 96, service, n);
    return total(fixed + n);
}

ssize_t qrexec_build_trigger3(void *out, size_t outsz, const char *service, const char *target,
                              const char *request_id)
{
    return build_trigger(out, outsz, QREXEC_MSG_TRIGGER_SERVICE3, NULL, service, target,
                         request_id);
}

ssize_t qrexec_build_trigger4(void *out, size_t outsz, const char *service, const char *source,
                              const char *target, const char *request_id)
{
    return build_trigger(out, outsz, QREXEC_MSG_TRIGGER_SERVICE4, source, service, target,
                         request_id);
}

ssize_t qrexec_build_terminated(void *out, size_t outsz, uint32_t domain, uint32_t port)
{
    uint8_t *b = begin(out, outsz, QREXEC_MSG_CONNECTION_TERMINATED, 8);

    if (!b)
        return -ENOSPC;
    put_u32(b, domain);
    put_u32(b + 4, port);
    return total(8);
}

ssize_t qrexec_build_data(void *out, size_t outsz, uint32_t type, const void *data, size_t len)
{
    uint8_t *b;

    if (type != QREXEC_MSG_DATA_STDIN && type != QREXEC_MSG_DATA_STDOUT &&
        type != QREXEC_MSG_DATA_STDERR)
        return -EINVAL;
    if (len > QREXEC_MAX_DATA_CHUNK_V3)
        return -EINVAL;
    b = begin(out, outsz, type, len);
    if (!b)
        return -ENOSPC;
    if (len)
        memcpy(b, data, len);
    return total(len);
}

ssize_t qrexec_build_exit_code(void *out, size_t outsz, int32_t code)
{
    uint8_t *b = begin(out, outsz, QREXEC_MSG_DATA_EXIT_CODE, 4);

    if (!b)
        return -ENOSPC;
    put_u32(b, (uint32_t)code);
    return total(4);
}
