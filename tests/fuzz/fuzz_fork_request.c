/* libFuzzer target: the fork server's request parser (what
 * qrexec-fork-server reads from each connection) on arbitrary bytes, with
 * build-and-parse round trips of whatever it accepts. */
#include "qrexec/fork-server/request.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t again[FORKREQ_MAX_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct forkreq r, r2;
    ssize_t head = forkreq_parse_head(data, size);
    ssize_t n;

    if (forkreq_parse(data, size, &r) != 0)
        return 0;
    /* a whole request's head announces exactly its size */
    assert(head == (ssize_t)size);
    assert(r.cmdline >= (const char *)data + FORKREQ_HEAD_SIZE);
    assert(r.cmdline + r.cmdline_len + 1 == (const char *)data + size);
    assert(strlen(r.cmdline) == r.cmdline_len);
    /* what was accepted builds back to the same bytes */
    n = forkreq_build(again, sizeof(again), r.type, r.connect_domain, r.connect_port, r.cmdline);
    assert(n == (ssize_t)size && !memcmp(again, data, size));
    assert(forkreq_parse(again, (size_t)n, &r2) == 0 && r2.cmdline_len == r.cmdline_len);
    return 0;
}
