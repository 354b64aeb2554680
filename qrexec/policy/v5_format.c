/* The normalized line of a v5 rule; see v5.h. (dom0.) It is what
 * qrexec-policy-check --print shows and what the golden tests compare, so
 * one rule has exactly one spelling: "dom0" becomes @adminvm, UUIDs are
 * lower case (the parser does that), parameters come in a fixed order. */
#include "qrexec/policy/v5.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends to out; remembers overflow in *full instead of failing at once,
 * so the caller checks once. */
static void put(char *out, size_t outsz, size_t *len, bool *full, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void put(char *out, size_t outsz, size_t *len, bool *full, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*full)
        return;
    va_start(ap, fmt);
    n = vsnprintf(out + *len, outsz - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= outsz - *len) {
        *full = true;
        return;
    }
    *len += (size_t)n;
}

/* The token's text: a keyword, or a prefix before the value. */
static int token_parts(const struct v5_token *t, const char **prefix, const char **value)
{
    *value = t->value;
    switch (t->kind) {
    case V5_TOK_ANY:
        *prefix = "*", *value = "";
        break;
    case V5_TOK_NAME:
        *prefix = "";
        break;
    case V5_TOK_ADMINVM:
        *prefix = "@adminvm", *value = "";
        break;
    case V5_TOK_ANYVM:
        *prefix = "@anyvm", *value = "";
        break;
    case V5_TOK_DEFAULT:
        *prefix = "@default", *value = "";
        break;
    case V5_TOK_DISPVM:
        *prefix = "@dispvm", *value = "";
        break;
    case V5_TOK_DISPVM_VM:
        *prefix = "@dispvm:";
        break;
    case V5_TOK_DISPVM_TAG:
        *prefix = "@dispvm:@tag:";
        break;
    case V5_TOK_TAG:
        *prefix = "@tag:";
        break;
    case V5_TOK_TYPE:
        *prefix = "@type:";
        break;
    case V5_TOK_UUID:
        *prefix = "uuid:";
        break;
    default:
        return -EINVAL;
    }
    return 0;
}

int v5_format_rule(const struct v5_rule *r, char *out, size_t outsz)
{
    static const char *const actions[] = {"allow", "deny", "ask"};
    const struct v5_token *toks[2] = {&r->source, &r->target};
    const char *pre, *val;
    size_t len = 0;
    bool full = false;

    if (outsz == 0)
        return -ENOSPC;
    out[0] = '\0';
    if ((unsigned)r->action > V5_ASK)
        return -EINVAL;
    if (r->any_service)
        put(out, outsz, &len, &full, "* *");
    else if (r->any_arg)
        put(out, outsz, &len, &full, "%s *", r->service);
    else
        put(out, outsz, &len, &full, "%s +%s", r->service, r->arg);
    for (int i = 0; i < 2; i++) {
        if (token_parts(toks[i], &pre, &val) < 0)
            return -EINVAL;
        put(out, outsz, &len, &full, " %s%s", pre, val);
    }
    put(out, outsz, &len, &full, " %s", actions[r->action]);
    if (r->has_redirect) {
        if (token_parts(&r->redirect, &pre, &val) < 0)
            return -EINVAL;
        put(out, outsz, &len, &full, " target=%s%s", pre, val);
    }
    if (r->has_default_target) {
        if (token_parts(&r->default_target, &pre, &val) < 0)
            return -EINVAL;
        put(out, outsz, &len, &full, " default_target=%s%s", pre, val);
    }
    if (r->user[0])
        put(out, outsz, &len, &full, " user=%s", r->user);
    if (r->notify != V5_UNSET)
        put(out, outsz, &len, &full, " notify=%s", r->notify ? "yes" : "no");
    if (r->autostart != V5_UNSET)
        put(out, outsz, &len, &full, " autostart=%s", r->autostart ? "yes" : "no");
    return full ? -ENOSPC : 0;
}
