/* libFuzzer target for template.conf's parser (dom0/tools/template_conf.c):
 * arbitrary bytes as the file. What parses must obey every rule (checked
 * again here) and print to a canonical text that parses back to the same
 * metadata; what is refused must leave the output zeroed and one
 * printable line of error. */
#include "dom0/tools/template_conf.h"

#include "qrexec/proto/qrexec_names.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool zeroed(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[TCONF_SIZE_MAX];
    struct tconf c, c2;
    char err[256];
    size_t n;

    if (tconf_parse((const char *)data, size, &c, err, sizeof(err)) < 0) {
        assert(zeroed(&c, sizeof(c)));
        assert(strlen(err) > 0 && strlen(err) < sizeof(err));
        for (const char *p = err; *p; p++)
            assert(*p >= 0x20 && *p < 0x7f);
        return 0;
    }
    assert(qrexec_valid_vm_name(c.name));
    assert(tconf_kernel_version_ok(c.kernel_version, strlen(c.kernel_version)));
    assert(!strstr(c.kernel_version, "/") && !strstr(c.kernel_version, ".."));
    assert(c.root_size >= TCONF_ROOT_MIN && c.root_size <= TCONF_ROOT_MAX);
    assert(c.root_size % 512 == 0);
    assert(strlen(c.version) >= 1 && strlen(c.label) >= 3 && strlen(c.default_user) >= 1);
    n = tconf_format(&c, out, sizeof(out));
    assert(n < sizeof(out));
    assert(tconf_parse(out, n, &c2, err, sizeof(err)) == 0);
    assert(memcmp(&c, &c2, sizeof(c)) == 0);
    return 0;
}
