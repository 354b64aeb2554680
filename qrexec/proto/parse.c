/* Pure parsers for qrexec messages (both sides of the trust line). Each one
 * checks the body it was given, exactly, and fails with -EBADMSG. */
#include "lib/untrusted.h"
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <string.h>

int qrexec_parse_hdr(const void *buf, size_t len, struct qrexec_hdr *out)
{
    struct umsg m;

    umsg_init(&m, buf, len);
    umsg_u32(&m, &out->type);
    umsg_u32(&m, &out->len);
    return umsg_end(&m);
}

size_t qrexec_max_chunk(uint32_t version)
{
    return version >= QREXEC_PROTOCOL_V3 ? QREXEC_MAX_DATA_CHUNK_V3 : QREXEC_MAX_DATA_CHUNK_V2;
}

int qrexec_negotiate(uint32_t ours, uint32_t theirs, uint32_t min_version, uint32_t *out)
{
    uint32_t v = theirs < ours ? theirs : ours;

    if (v < min_version)
        return -EPROTONOSUPPORT;
    *out = v;
    return 0;
}

/* Who may send each type, and its body size bounds. */
struct msg_rule {
    uint32_t type;
    unsigned links; /* bit per enum qrexec_link */
    uint32_t min_version;
    size_t min_len, max_len; /* max_len 0: the data chunk of the version */
};

#define L(x) (1u << (x))
#define CONTROL_FROM_DOM0 (L(QREXEC_LINK_DAEMON_TO_AGENT))
#define FROM_CLIENT (L(QREXEC_LINK_CLIENT_TO_DAEMON))
#define TO_CLIENT (L(QREXEC_LINK_DAEMON_TO_CLIENT))
#define FROM_AGENT (L(QREXEC_LINK_AGENT_TO_DAEMON))
#define DATA (L(QREXEC_LINK_DATA))
#define ANY_LINK (CONTROL_FROM_DOM0 | FROM_CLIENT | TO_CLIENT | FROM_AGENT | DATA)
#define EXEC_MIN (QREXEC_EXEC_PARAMS_SIZE + 1)
#define EXEC_MAX (QREXEC_EXEC_PARAMS_SIZE + QREXEC_MAX_CMD_LEN)

static const struct msg_rule msg_rules[] = {
    {QREXEC_MSG_HELLO, ANY_LINK, 0, 4, 4},
    {QREXEC_MSG_DATA_STDIN, DATA, 0, 0, 0},
    {QREXEC_MSG_DATA_STDOUT, DATA, 0, 0, 0},
    {QREXEC_MSG_DATA_STDERR, DATA, 0, 0, 0},
    {QREXEC_MSG_DATA_EXIT_CODE, DATA, 0, 4, 4},
    {QREXEC_MSG_EXEC_CMDLINE, CONTROL_FROM_DOM0 | FROM_CLIENT | TO_CLIENT, 0, EXEC_MIN, EXEC_MAX},
    {QREXEC_MSG_JUST_EXEC, CONTROL_FROM_DOM0 | FROM_CLIENT | TO_CLIENT, 0, EXEC_MIN, EXEC_MAX},
    {QREXEC_MSG_SERVICE_CONNECT, CONTROL_FROM_DOM0 | FROM_CLIENT | TO_CLIENT, 0,
     QREXEC_EXEC_PARAMS_SIZE + QREXEC_REQUEST_ID_SIZE,
     QREXEC_EXEC_PARAMS_SIZE + QREXEC_REQUEST_ID_SIZE},
    {QREXEC_MSG_SERVICE_REFUSED, CONTROL_FROM_DOM0, 0, QREXEC_REQUEST_ID_SIZE,
     QREXEC_REQUEST_ID_SIZE},
    {QREXEC_MSG_TRIGGER_SERVICE, FROM_AGENT, 0, QREXEC_TRIGGER_V2_SIZE, QREXEC_TRIGGER_V2_SIZE},
    {QREXEC_MSG_CONNECTION_TERMINATED, FROM_AGENT, 0, 8, 8},
    {QREXEC_MSG_TRIGGER_SERVICE3, FROM_AGENT, QREXEC_PROTOCOL_V3, QREXEC_TRIGGER3_FIXED + 1,
     QREXEC_TRIGGER3_FIXED + QREXEC_MAX_SERVICE_NAME_LEN},
    {QREXEC_MSG_TRIGGER_SERVICE4, FROM_AGENT, QREXEC_PROTOCOL_V4, QREXEC_TRIGGER4_FIXED + 1,
     QREXEC_TRIGGER4_FIXED + QREXEC_MAX_SERVICE_NAME_LEN},
};

int qrexec_check_hdr(const struct qrexec_hdr *h, enum qrexec_link link, uint32_t version)
{
    for (size_t i = 0; i < sizeof(msg_rules) / sizeof(msg_rules[0]); i++) {
        const struct msg_rule *r = &msg_rules[i];
        size_t max;

        if (r->type != h->type)
            continue;
        if (!(r->links & L(link)) || version < r->min_version)
            return -EPROTO;
        /* the V2 trigger belongs to V2 links only */
        if (h->type == QREXEC_MSG_TRIGGER_SERVICE && version != QREXEC_PROTOCOL_V2)
            return -EPROTO;
        max = r->max_len ? r->max_len : qrexec_max_chunk(version);
        if (h->len < r->min_len || h->len > max)
            return -EMSGSIZE;
        return 0;
    }
    return -EPROTO;
}

int qrexec_parse_hello(const void *buf, size_t len, uint32_t *version)
{
    struct umsg m;

    umsg_init(&m, buf, len);
    umsg_u32(&m, version);
    return umsg_end(&m);
}

int qrexec_parse_exec_params(const void *buf, size_t len, struct qrexec_exec_params *out)
{
    struct umsg m;

    umsg_init(&m, buf, len);
    umsg_u32(&m, &out->connect_domain);
    umsg_u32(&m, &out->connect_port);
    out->cmdline = umsg_tail_string(&m, QREXEC_MAX_CMD_LEN - 1, &out->cmdline_len);
    return umsg_end(&m);
}

static int request_id_from(struct umsg *m, char out[QREXEC_REQUEST_ID_SIZE])
{
    size_t n;
    const char *untrusted_id = umsg_fixed_string(m, QREXEC_REQUEST_ID_SIZE, true, &n);

    /* sanitize start */
    if (!untrusted_id || !untrusted_chars_ok(untrusted_id, n, "_.- "))
        return -EBADMSG;
    memcpy(out, untrusted_id, n + 1);
    /* sanitize end */
    return 0;
}

int qrexec_parse_request_id(const void *buf, size_t len, char out[QREXEC_REQUEST_ID_SIZE])
{
    struct umsg m;

    umsg_init(&m, buf, len);
    if (request_id_from(&m, out) < 0)
        return -EBADMSG;
    return umsg_end(&m);
}

int qrexec_parse_service_connect(const void *buf, size_t len, struct qrexec_service_connect *out)
{
    struct umsg m;

    umsg_init(&m, buf, len);
    umsg_u32(&m, &out->connect_domain);
    umsg_u32(&m, &out->connect_port);
    if (request_id_from(&m, out->request_id) < 0)
        return -EBADMSG;
    return umsg_end(&m);
}

static void trigger_clear(struct qrexec_trigger *out, uint32_t version)
{
    memset(out, 0, sizeof(*out));
    out->version = version;
    out->source = "";
}

int qrexec_parse_trigger_v2(const void *buf, size_t len, struct qrexec_trigger *out)
{
    struct umsg m;

    trigger_clear(out, QREXEC_PROTOCOL_V2);
    umsg_init(&m, buf, len);
    out->service =
        umsg_fixed_string(&m, QREXEC_TRIGGER_V2_SERVICE_SIZE, false, &out->service_len);
    out->target = umsg_fixed_string(&m, QREXEC_TRIGGER_V2_TARGET_SIZE, false, &out->target_len);
    if (request_id_from(&m, out->request_id) < 0)
        return -EBADMSG;
    return umsg_end(&m);
}

int qrexec_parse_trigger3(const void *buf, size_t len, struct qrexec_trigger *out)
{
    struct umsg m;

    trigger_clear(out, QREXEC_PROTOCOL_V3);
    umsg_init(&m, buf, len);
    out->target = umsg_fixed_string(&m, QREXEC_DOMAIN_NAME_SIZE, false, &out->target_len);
    if (request_id_from(&m, out->request_id) < 0)
        return -EBADMSG;
    out->service = umsg_tail_string(&m, QREXEC_MAX_SERVICE_NAME_LEN - 1, &out->service_len);
    return umsg_end(&m);
}

int qrexec_parse_trigger4(const void *buf, size_t len, struct qrexec_trigger *out)
{
    struct umsg m;

    trigger_clear(out, QREXEC_PROTOCOL_V4);
    umsg_init(&m, buf, len);
    out->source = umsg_fixed_string(&m, QREXEC_DOMAIN_NAME_SIZE, false, &out->source_len);
    out->target = umsg_fixed_string(&m, QREXEC_DOMAIN_NAME_SIZE, false, &out->target_len);
    if (request_id_from(&m, out->request_id) < 0)
        return -EBADMSG;
    out->service = umsg_tail_string(&m, QREXEC_MAX_SERVICE_NAME_LEN - 1, &out->service_len);
    if (!out->source)
        out->source = "";
    return umsg_end(&m);
}

int qrexec_parse_terminated(const void *buf, size_t len, struct qrexec_terminated *out)
{
    struct umsg m;

    umsg_init(&m, buf, len);
    umsg_u32(&m, &out->domain);
    umsg_u32(&m, &out->port);
    return umsg_end(&m);
}

int qrexec_parse_exit_code(const void *buf, size_t len, int32_t *code)
{
    struct umsg m;
    uint32_t untrusted_code = 0;
    int r;

    umsg_init(&m, buf, len);
    umsg_u32(&m, &untrusted_code);
    r = umsg_end(&m);
    if (r == 0)
        *code = (int32_t)untrusted_code; /* any value is a valid status */
    return r;
}
