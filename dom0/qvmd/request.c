/* Parsing the Admin API header; see request.h. */
#include "dom0/qvmd/request.h"

#include "lib/untrusted.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

size_t admin_header_end(const char *buf, size_t len)
{
    const char *z = memchr(buf, 0, len);
    return z ? (size_t)(z - buf) + 1 : 0;
}

static int bad(char *err, size_t errsz, const char *why)
{
    snprintf(err, errsz, "%s", why);
    return -EINVAL;
}

/* Copies the counted field into dst if it fits. */
static bool field(char *dst, size_t dstsz, const char *p, size_t n)
{
    if (n >= dstsz)
        return false;
    memcpy(dst, p, n);
    dst[n] = 0;
    return true;
}

static bool is_dom0(const char *s)
{
    return !strcmp(s, "dom0") || !strcmp(s, "@adminvm");
}

int admin_parse_header(const char *hdr, size_t len, struct admin_request *out, char *err,
                       size_t errsz)
{
    const char *f[5];
    size_t fl[5], nf = 0, i = 0;
    const char *plus;
    char type[16];

    memset(out, 0, sizeof(*out));
    if (len == 0 || len >= ADMIN_HEADER_MAX)
        return bad(err, errsz, "empty or overlong header");
    /* fields separated by single spaces; no empty field */
    while (i < len) {
        size_t start = i;
        while (i < len && hdr[i] != ' ')
            i++;
        if (i == start || nf == 5)
            return bad(err, errsz, "header must be METHOD+ARG SOURCE [name|keyword DEST]");
        f[nf] = hdr + start;
        fl[nf++] = i - start;
        if (i < len && ++i == len)
            return bad(err, errsz, "trailing space in header");
    }
    if (nf != 2 && nf != 4)
        return bad(err, errsz, "header must be METHOD+ARG SOURCE [name|keyword DEST]");
    plus = memchr(f[0], '+', fl[0]);
    if (!plus)
        return bad(err, errsz, "no '+' after the method");
    if (!field(out->method, sizeof(out->method), f[0], (size_t)(plus - f[0])) ||
        !field(out->arg, sizeof(out->arg), plus + 1, fl[0] - (size_t)(plus - f[0]) - 1))
        return bad(err, errsz, "method or argument too long");
    if (!out->method[0] || !untrusted_chars_ok(out->method, strlen(out->method), "_.") ||
        !untrusted_chars_ok(out->arg, strlen(out->arg), "_.+-"))
        return bad(err, errsz, "bad characters in method or argument");
    if (!field(out->source, sizeof(out->source), f[1], fl[1]))
        return bad(err, errsz, "bad source");
    if (is_dom0(out->source)) {
        out->source_dom0 = true;
        strcpy(out->source, "dom0");
    } else if (!qrexec_valid_vm_name(out->source)) {
        return bad(err, errsz, "bad source");
    }
    if (nf == 2) {
        out->dest_dom0 = true;
        strcpy(out->dest, "dom0");
        return 0;
    }
    if (!field(type, sizeof(type), f[2], fl[2]) ||
        !field(out->dest, sizeof(out->dest), f[3], fl[3]))
        return bad(err, errsz, "bad destination");
    if (!strcmp(type, "keyword")) {
        if (strcmp(out->dest, "adminvm") && strcmp(out->dest, "@adminvm"))
            return bad(err, errsz, "unknown destination keyword");
        out->dest_dom0 = true;
    } else if (!strcmp(type, "name")) {
        if (is_dom0(out->dest))
            out->dest_dom0 = true;
        else if (!qrexec_valid_vm_name(out->dest))
            return bad(err, errsz, "bad destination name");
    } else {
        return bad(err, errsz, "destination type must be name or keyword");
    }
    if (out->dest_dom0)
        strcpy(out->dest, "dom0");
    return 0;
}
