/* File-copy naming rules (see names.h). Everything here is pure. */
#include "vm-agent/filecopy/names.h"
#include "lib/text.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

bool fc_text_ok(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, k;
    uint32_t cp;

    while (i < len) {
        k = text_utf8_decode(p + i, len - i, &cp);
        if (k == 0 || text_cp_unsafe(cp))
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
