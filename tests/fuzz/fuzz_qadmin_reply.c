/* libFuzzer target for the Admin API client's reply parsers
 * (dom0/tools/lib/admin_reply.c): arbitrary bytes as a whole reply, fed
 * through every parser the qvm-* commands use on one. ASan catches any
 * read outside the reply; the asserts check the parsers' promises. */
#include "dom0/tools/lib/admin_reply.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    enum qadmin_kind kind;
    struct qadmin_str d, line;
    char type[64], msg[512];
    size_t pos = 0;

    if (qadmin_parse_reply(buf, size, &kind, &d) < 0)
        return 0;
    assert(d.p >= buf && d.p + d.len <= buf + size);
    switch (kind) {
    case QADMIN_EXCEPTION:
        qadmin_format_exception(d, type, sizeof(type), msg, sizeof(msg));
        assert(strlen(type) < sizeof(type) && strlen(msg) < sizeof(msg));
        break;
    case QADMIN_EVENT:
        for (;;) {
            struct qadmin_event ev;
            long n = qadmin_parse_event(d.p, d.len, &ev);
            if (n <= 0)
                break;
            assert((size_t)n <= d.len && ev.nkv <= QADMIN_EVENT_KV_MAX);
            d.p += n;
            d.len -= (size_t)n;
        }
        break;
    case QADMIN_OK:
        while (qadmin_next_line(d, &pos, &line)) {
            struct qadmin_vm vm;
            struct qadmin_prop p;
            assert(line.p >= d.p && line.p + line.len <= d.p + d.len);
            if (qadmin_parse_vm_line(line, &vm) == 0)
                assert(strlen(vm.name) > 0 && vm.klass[0] && vm.state[0]);
            if (qadmin_parse_prop(line, true, &p) == 0)
                assert(p.value.p + p.value.len == line.p + line.len);
            qadmin_parse_prop(line, false, &p);
        }
        break;
    }
    return 0;
}
