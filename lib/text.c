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

size_t text_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint32_t c = s[0], min;
    size_t len, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xe0) == 0xc0) {
        len = 2, c &= 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, c &= 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

bool text_cp_unsafe(uint32_t c)
{
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return true; /* C0, DEL, C1 */
    if ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)
        return true; /* noncharacters */
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        return true; /* bidi embeddings, overrides and isolates */
    return c == 0xfeff;
}
