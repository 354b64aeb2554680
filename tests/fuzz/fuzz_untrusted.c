/* libFuzzer target for lib/untrusted.c: a little message format that uses
 * every accessor, driven by arbitrary bytes. ASan catches any read outside
 * what was received; the asserts check the accessor's promises. */
#include "lib/untrusted.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct umsg m;
    uint32_t untrusted_type = 0;
    uint16_t untrusted_n = 0;
    uint8_t untrusted_flag = 0;
    size_t len = 0;
    const char *s;

    umsg_init(&m, data, size);
    umsg_u32(&m, &untrusted_type);
    umsg_u16(&m, &untrusted_n);
    umsg_u8(&m, &untrusted_flag);
    switch (untrusted_type & 3) {
    case 0:
        s = umsg_fixed_string(&m, 32, untrusted_flag & 1, &len);
        if (s)
            assert(len < 32 && strlen(s) == len);
        break;
    case 1:
        s = umsg_tail_string(&m, untrusted_n, &len);
        if (s) {
            assert(len <= untrusted_n && strlen(s) == len);
            untrusted_chars_ok(s, len, "._-+@:");
        }
        break;
    case 2:
        umsg_bytes(&m, untrusted_n);
        break;
    default:
        while (umsg_remaining(&m) >= 4)
            umsg_u32(&m, &untrusted_type);
        break;
    }
    if (umsg_end(&m) == 0)
        assert(umsg_remaining(&m) == 0);
    return 0;
}
