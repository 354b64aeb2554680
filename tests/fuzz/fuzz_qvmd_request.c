/* libFuzzer: arbitrary bytes as an Admin API request header. Whatever
 * parses must hold only the characters the rules allow, and the parser
 * must never read past the bytes given. */
#include "dom0/qvmd/request.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct admin_request rq;
    char err[128];
    /* an exact-size copy so ASan sees any over-read */
    char *p = malloc(size ? size : 1);
    size_t end;

    if (!p)
        return 0;
    memcpy(p, data, size);
    end = admin_header_end(p, size);
    if (admin_parse_header(p, end ? end - 1 : size, &rq, err, sizeof(err)) == 0) {
        if (strchr(rq.method, ' ') || strchr(rq.arg, ' ') || !rq.source[0] || !rq.dest[0] ||
            (rq.dest_dom0 && strcmp(rq.dest, "dom0")))
            abort();
    }
    free(p);
    return 0;
}
