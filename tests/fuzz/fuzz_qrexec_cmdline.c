/* libFuzzer target: the qrexec naming rules on arbitrary text: command
 * lines (VM and dom0 forms), the daemon's sanitizers, the policy split of a
 * descriptor, qube names and targets. */
#include "qrexec/proto/qrexec_names.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool in_set(char c, const char *extra)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr(extra, c));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1), out[256];
    struct qrexec_cmdline c;
    struct qrexec_service_name sn;
    const char *detail;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    if (qrexec_parse_vm_cmdline(s, size, &c) == 0 && c.rpc) {
        assert(c.service + c.service_len <= s + size);
        assert(c.source + c.source_len <= s + size);
        assert(c.service_len > 0 && c.source_len > 0);
    }
    if (qrexec_parse_dom0_cmdline(s, size, &c) == 0)
        assert(c.target + c.target_len == s + size);

    /* a sanitized name holds only allowed bytes, whatever came in */
    if (qrexec_sanitize_service(out, sizeof(out), (const char *)data, size) == 0) {
        assert(strlen(out) == size);
        for (size_t i = 0; i < size; i++)
            assert(in_set(out[i], "_.-+"));
        if (qrexec_split_service(out, &sn) == 0)
            assert(sn.name_len > 0 && sn.name[sn.name_len] == (sn.has_arg ? '+' : '\0'));
    }
    if (qrexec_sanitize_target(out, sizeof(out), (const char *)data, size) == 0) {
        for (size_t i = 0; i < size; i++)
            assert(in_set(out[i], "_.-@:"));
        qrexec_classify_target(out, &detail);
    }
    if (qrexec_valid_vm_name(s))
        assert(strlen(s) <= 31);
    free(s);
    return 0;
}
