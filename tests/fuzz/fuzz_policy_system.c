/* libFuzzer target: the qube list parser (v5_parse_system) on arbitrary
 * bytes; whatever it accepts must hold its invariants. */
#include "qrexec/policy/v5.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct v5_system s;
    char err[V5_ERROR_MAX];
    bool dom0 = false;

    if (v5_parse_system((const char *)data, size, &s, err) < 0) {
        assert(s.count == 0 && err[0]);
        return 0;
    }
    for (size_t i = 0; i < s.count; i++) {
        assert(strlen(s.qubes[i].name) > 0 && s.qubes[i].klass[0]);
        dom0 |= !strcmp(s.qubes[i].name, "dom0");
        assert(!strcmp(s.qubes[i].name, "dom0") == !strcmp(s.qubes[i].klass, "AdminVM"));
    }
    assert(dom0);
    v5_system_free(&s);
    return 0;
}
