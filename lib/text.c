#include "lib/text.h"

#include <errno.h>
#include <string.h>

int text_next_line(const char *text, size_t len, size_t *pos, char *buf, size_t bufsz)
{
    const char *start = text + *pos, *nl;
    size_t n;

    if (*pos >= len)
        return 0;
    nl = memchr(start, '\n', len - *pos);
    n = nl ? (size_t)(nl - start) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n >= bufsz || memchr(start, '\0', n))
        return -EINVAL;
    memcpy(buf, start, n);
    buf[n] = '\0';
    return 1;
}
