/* File-copy naming rules (see names.h). Everything here is pure. */
#include "vm-agent/filecopy/names.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s (n bytes left); returns its length and
 * the code point in *cp, or 0 if it is not the shortest valid form of a
 * code point up to U+10FFFF. */
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
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
    if (c < min || c > 0x10ffff)
        return 0;
    *cp = c;
    return len;
}

/* Code points that have no place in a file name a person reads: controls,
 * and those that make text display differently from its bytes. */
static bool cp_unsafe(uint32_t c)
{
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return true; /* C0, DEL, C1 */
    if (c >= 0xd800 && c <= 0xdfff)
        return true; /* surrogates are not characters */
    if ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)
        return true; /* noncharacters */
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        return true; /* bidi embeddings, overrides and isolates */
    return c == 0xfeff;
}

bool fc_text_ok(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, k;
    uint32_t cp;

    while (i < len) {
        k = utf8_decode(p + i, len - i, &cp);
        if (k == 0 || cp_unsafe(cp))
            return false;
        i += k;
    }
    return true;
}

int fc_name_check(const char *s, size_t len, bool allow_all_names)
{
    size_t i = 0, start;

    if (len == 0 || s[0] == '/' || memchr(s, '\0', len))
        return -EINVAL;
    while (i <= len) {
        start = i;
        while (i < len && s[i] != '/')
            i++;
        /* the component is s[start..i) */
        if (i == start)
            return -EINVAL; /* empty: "a//b" or a trailing '/' */
        if ((i - start == 1 && s[start] == '.') ||
            (i - start == 2 && s[start] == '.' && s[start + 1] == '.'))
            return -EINVAL;
        if (i - start > FC_NAME_MAX)
            return -ENAMETOOLONG;
        i++; /* past the '/' (or the end) */
    }
    if (!allow_all_names && !fc_text_ok(s, len))
        return -EINVAL;
    return 0;
}

int fc_symlink_check(const char *name, size_t name_len, const char *target, size_t len,
                     bool allow_all_names)
{
    size_t i = 0, start, depth = 0;
    bool descended = false;

    /* depth: how many folders hold the link ("a/b/l": 2) */
    for (i = 0; i < name_len; i++)
        depth += name[i] == '/';
    if (len == 0 || target[0] == '/' || memchr(target, '\0', len))
        return -EINVAL;
    if (!allow_all_names && !fc_text_ok(target, len))
        return -EINVAL;
    i = 0;
    while (i <= len) {
        start = i;
        while (i < len && target[i] != '/')
            i++;
        if (i == start)
            return -EINVAL;
        if (i - start == 2 && target[start] == '.' && target[start + 1] == '.') {
            /* ".." only before any name: through a symlink in the tree,
             * "x/.." is not where it reads, so only leading ones can be
             * counted; and never up to or past the top-level folder */
            if (descended || depth <= 1)
                return -EINVAL;
            depth--;
        } else if (!(i - start == 1 && target[start] == '.')) {
            if (i - start > FC_NAME_MAX)
                return -EINVAL;
            descended = true;
        }
        i++;
    }
    /* a top-level link (depth 0) can only point beside itself, outside
     * the folder it would have to stay in */
    return depth >= 1 ? 0 : -EINVAL;
}
