/* libFuzzer target: a qrexec message (header + body) as it would arrive on
 * any link at any protocol version 2 to 4. The first input byte picks link
 * and version; the rest is the message. Whatever parses must survive a
 * build-and-parse round trip unchanged. */
#include "qrexec/proto/qrexec_proto.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[QREXEC_HDR_SIZE + QREXEC_TRIGGER4_FIXED + QREXEC_MAX_SERVICE_NAME_LEN];

static void roundtrip_trigger(const struct qrexec_trigger *t, uint32_t type)
{
    struct qrexec_trigger back;
    ssize_t n;

    /* names with bytes the builder's fixed fields cannot hold are skipped */
    if (t->target_len >= 64 || t->source_len >= 64)
        return;
    if (type == QREXEC_MSG_TRIGGER_SERVICE3)
        n = qrexec_build_trigger3(out, sizeof(out), t->service, t->target, t->request_id);
    else
        n = qrexec_build_trigger4(out, sizeof(out), t->service, t->source, t->target,
                                  t->request_id);
    assert(n > 0);
    if (type == QREXEC_MSG_TRIGGER_SERVICE3)
        assert(qrexec_parse_trigger3(out + 8, (size_t)n - 8, &back) == 0);
    else
        assert(qrexec_parse_trigger4(out + 8, (size_t)n - 8, &back) == 0);
    assert(!strcmp(back.service, t->service) && !strcmp(back.target, t->target));
    assert(!strcmp(back.request_id, t->request_id) && !strcmp(back.source, t->source));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qrexec_hdr h;
    const uint8_t *body;
    size_t len;
    enum qrexec_link link;
    uint32_t version;

    if (size < 1 + QREXEC_HDR_SIZE)
        return 0;
    link = (enum qrexec_link)(data[0] % 5);
    version = 2 + (data[0] / 5) % 3;
    if (qrexec_parse_hdr(data + 1, QREXEC_HDR_SIZE, &h) < 0)
        return 0;
    body = data + 1 + QREXEC_HDR_SIZE;
    len = size - 1 - QREXEC_HDR_SIZE;
    if (qrexec_check_hdr(&h, link, version) < 0 || h.len != len)
        return 0;

    switch (h.type) {
    case QREXEC_MSG_HELLO: {
        uint32_t v;
        assert(qrexec_parse_hello(body, len, &v) == 0);
        break;
    }
    case QREXEC_MSG_EXEC_CMDLINE:
    case QREXEC_MSG_JUST_EXEC: {
        struct qrexec_exec_params p;
        if (qrexec_parse_exec_params(body, len, &p) == 0) {
            assert(strlen(p.cmdline) == p.cmdline_len);
            assert(qrexec_build_exec(out, sizeof(out), h.type, p.connect_domain,
                                     p.connect_port, p.cmdline) == (ssize_t)(len + 8));
            assert(!memcmp(out + 8, body, len));
        }
        break;
    }
    case QREXEC_MSG_SERVICE_CONNECT: {
        struct qrexec_service_connect c;
        if (qrexec_parse_service_connect(body, len, &c) == 0)
            assert(strlen(c.request_id) < 32);
        break;
    }
    case QREXEC_MSG_SERVICE_REFUSED: {
        char id[32];
        if (qrexec_parse_request_id(body, len, id) == 0) {
            assert(qrexec_build_service_refused(out, sizeof(out), id) == 40);
            assert(!memcmp(out + 8, body, 32)); /* strict padding: same bytes */
        }
        break;
    }
    case QREXEC_MSG_TRIGGER_SERVICE: {
        struct qrexec_trigger t;
        if (qrexec_parse_trigger_v2(body, len, &t) == 0)
            assert(t.service_len < 64 && t.target_len < 32);
        break;
    }
    case QREXEC_MSG_TRIGGER_SERVICE3:
    case QREXEC_MSG_TRIGGER_SERVICE4: {
        struct qrexec_trigger t;
        int r = h.type == QREXEC_MSG_TRIGGER_SERVICE3 ? qrexec_parse_trigger3(body, len, &t)
                                                      : qrexec_parse_trigger4(body, len, &t);
        if (r == 0)
            roundtrip_trigger(&t, h.type);
        break;
    }
    case QREXEC_MSG_CONNECTION_TERMINATED: {
        struct qrexec_terminated t;
        assert(qrexec_parse_terminated(body, len, &t) == 0);
        break;
    }
    case QREXEC_MSG_DATA_EXIT_CODE: {
        int32_t c;
        assert(qrexec_parse_exit_code(body, len, &c) == 0);
        break;
    }
    default:
        break;
    }
    return 0;
}
