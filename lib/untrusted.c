#include "lib/untrusted.h"

#include <errno.h>
#include <string.h>

void umsg_init(struct umsg *m, const void *untrusted_data, size_t received)
{
    m->untrusted_data = untrusted_data;
    m->received = untrusted_data ? received : 0;
    m->off = 0;
    m->failed = false;
}

size_t umsg_remaining(const struct umsg *m)
{
    return m->failed ? 0 : m->received - m->off;
}

const uint8_t *umsg_bytes(struct umsg *m, size_t n)
{
    const uint8_t *p;

    if (m->failed || n > m->received - m->off) {
        m->failed = true;
        return NULL;
    }
    p = m->untrusted_data + m->off;
    m->off += n;
    return p;
}

int umsg_u32(struct umsg *m, uint32_t *untrusted_out)
{
    const uint8_t *p = umsg_bytes(m, 4);

    if (!p)
        return -EBADMSG;
    *untrusted_out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24;
    return 0;
}

int umsg_u16(struct umsg *m, uint16_t *untrusted_out)
{
    const uint8_t *p = umsg_bytes(m, 2);

    if (!p)
        return -EBADMSG;
    *untrusted_out = (uint16_t)(p[0] | p[1] << 8);
    return 0;
}

int umsg_u8(struct umsg *m, uint8_t *untrusted_out)
{
    const uint8_t *p = umsg_bytes(m, 1);

    if (!p)
        return -EBADMSG;
    *untrusted_out = p[0];
    return 0;
}

const char *umsg_fixed_string(struct umsg *m, size_t field_size, bool strict_padding, size_t *len)
{
    const uint8_t *p = umsg_bytes(m, field_size);
    const uint8_t *nul;
    size_t i;

    if (!p)
        return NULL;
    nul = memchr(p, '\0', field_size);
    if (!nul) {
        m->failed = true;
        return NULL;
    }
    if (strict_padding) {
        for (i = (size_t)(nul - p); i < field_size; i++) {
            if (p[i] != '\0') {
                m->failed = true;
                return NULL;
            }
        }
    }
    if (len)
        *len = (size_t)(nul - p);
    return (const char *)p;
}

const char *umsg_tail_string(struct umsg *m, size_t max_len, size_t *len)
{
    size_t n = umsg_remaining(m);
    const uint8_t *p;

    /* at least the NUL; at most max_len characters before it */
    if (n == 0 || n - 1 > max_len) {
        m->failed = true;
        return NULL;
    }
    p = umsg_bytes(m, n);
    if (!p || p[n - 1] != '\0' || memchr(p, '\0', n - 1)) {
        m->failed = true;
        return NULL;
    }
    if (len)
        *len = n - 1;
    return (const char *)p;
}

int umsg_end(const struct umsg *m)
{
    return (m->failed || m->off != m->received) ? -EBADMSG : 0;
}

int untrusted_size_exact(size_t got, size_t want)
{
    return got == want ? 0 : -EBADMSG;
}

bool untrusted_chars_ok(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            continue;
        if (c == '\0' || !extra || !strchr(extra, c))
            return false;
    }
    return true;
}
