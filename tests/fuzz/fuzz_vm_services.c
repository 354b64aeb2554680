/* libFuzzer target: the everyday RPC services' checks
 * (vm-agent/services/validate.c). The first byte picks the check, the rest
 * is its input; whatever passes must satisfy the check's promise. */
#include "vm-agent/services/validate.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[SVC_FILE_NAME_MAX + 1];
    int64_t t;
    size_t n;

    if (size == 0)
        return 0;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 5) {
    case 0:
        if (svc_parse_date(s, len, &t) == 0)
            assert(t >= 946684800 && (len == SVC_DATE_LEN || len == SVC_DATE_LEN + 1));
        break;
    case 1:
        if (svc_check_url(s, len, &n) == 0) {
            assert(n > 0 && n <= len && n <= SVC_URL_MAX);
            assert(!memchr(s, '\n', n) && !memchr(s, ' ', n) && s[0] != '-');
        }
        break;
    case 2:
        if (svc_check_app_name(s, len) == 0)
            assert(!memchr(s, '/', len) && s[0] != '.' && len <= SVC_APP_NAME_MAX);
        break;
    case 3:
        if (svc_file_name_or_default(s, len, name, sizeof(name))) {
            assert(strlen(name) == len && !strchr(name, '/'));
            assert(strcmp(name, ".") && strcmp(name, ".."));
            assert(svc_utf8_ok(name, len));
        } else {
            assert(strcmp(name, SVC_DEFAULT_FILE_NAME) == 0);
        }
        break;
    default:
        (void)svc_utf8_ok(s, len);
        break;
    }
    return 0;
}
