/* Parsing a policy daemon request; see request.h. (dom0.) */
#include "qrexec/policy/request.h"

#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, errsz, __VA_ARGS__);                                                         \
        return -EINVAL;                                                                            \
    } while (0)

size_t policy_request_end(const char *text, size_t len)
{
    if (len >= 1 && text[0] == '\n')
        return 1;
    for (size_t i = 1; i < len; i++)
        if (text[i] == '\n' && text[i - 1] == '\n')
            return i + 1;
    return 0;
}

static bool valid_source(const char *s)
{
    return qrexec_valid_vm_name(s) || !strcmp(s, "dom0");
}

static bool valid_target(const char *s)
{
    return qrexec_classify_target(s, NULL) != QREXEC_TARGET_INVALID;
}

static bool valid_service(const char *s)
{
    struct qrexec_service_name sn;

    return qrexec_split_service(s, &sn) == 0;
}

static bool valid_ident(const char *s)
{
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e)
            return false;
    return true;
}

int policy_parse_request(const char *text, size_t len, struct policy_request *out, char *err,
                         size_t errsz)
{
    enum { F_DOMID, F_SOURCE, F_TARGET, F_SERVICE, F_IDENT, F_REQSRC, F_YES, F_EVAL, F_N };
    static const char *const keys[F_N] = {"domain_id",          "source",        "intended_target",
                                          "service_and_arg",    "process_ident", "requested_source",
                                          "assume_yes_for_ask", "just_evaluate"};
    bool seen[F_N] = {false};
    size_t pos = 0;

    memset(out, 0, sizeof(*out));
    if (len == 0 || policy_request_end(text, len) != len)
        FAIL("the request does not end with one empty line");
    while (pos < len - 1) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t n = (size_t)(nl - line), klen;
        const char *eq = memchr(line, '=', n);
        char val[POLICY_REQ_FIELD_MAX];
        int k;

        pos += n + 1;
        if (n == 0)
            FAIL("an empty line before the end");
        if (!eq || memchr(line, '\0', n))
            FAIL("a line that is not key=value");
        klen = (size_t)(eq - line);
        for (k = 0; k < F_N; k++)
            if (strlen(keys[k]) == klen && !memcmp(line, keys[k], klen))
                break;
        if (k == F_N)
            FAIL("unknown key %.*s", (int)(klen < 40 ? klen : 40), line);
        if (seen[k])
            FAIL("%s given twice", keys[k]);
        seen[k] = true;
        if (n - klen - 1 >= sizeof(val))
            FAIL("%s is too long", keys[k]);
        memcpy(val, eq + 1, n - klen - 1);
        val[n - klen - 1] = '\0';
        switch (k) {
        case F_DOMID: {
            char *end;
            unsigned long v = strtoul(val, &end, 10);
            if (!*val || *end || val[0] == '-' || v > 0x7fff || (val[0] == '0' && val[1]))
                FAIL("bad domain_id");
            out->domain_id = (unsigned)v;
            break;
        }
        case F_SOURCE:
            if (!valid_source(val))
                FAIL("bad source");
            memcpy(out->source, val, sizeof(val));
            break;
        case F_REQSRC:
            if (!valid_source(val))
                FAIL("bad requested_source");
            memcpy(out->requested_source, val, sizeof(val));
            break;
        case F_TARGET:
            if (!valid_target(val))
                FAIL("bad intended_target");
            memcpy(out->intended_target, val, sizeof(val));
            break;
        case F_SERVICE:
            if (!valid_service(val))
                FAIL("bad service_and_arg");
            memcpy(out->service_and_arg, val, sizeof(val));
            break;
        case F_IDENT:
            if (!*val || !valid_ident(val))
                FAIL("bad process_ident");
            memcpy(out->process_ident, val, sizeof(val));
            break;
        case F_YES:
        case F_EVAL:
            if (strcmp(val, "yes"))
                FAIL("%s must be yes", keys[k]);
            if (k == F_YES)
                out->assume_yes_for_ask = true;
            else
                out->just_evaluate = true;
            break;
        }
    }
    for (int k = 0; k <= F_IDENT; k++)
        if (!seen[k])
            FAIL("%s is missing", keys[k]);
    return 0;
}
