/* The syntax of one v5 policy line; see v5_line.h. (dom0.) */
#include "qrexec/policy/v5_line.h"

#include "lib/untrusted.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int why_fail(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int why_fail(char *why, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, V5_WHY_MAX, fmt, ap);
    va_end(ap);
    v5_printable(why);
    return -EINVAL;
}

void v5_printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

bool v5_valid_path(const char *p)
{
    return *p && untrusted_chars_ok(p, strlen(p), "_.+-/");
}

int v5_split_fields(char *line, char **f, int *n, char why[V5_WHY_MAX])
{
    char *s = line;

    *n = 0;
    for (char *q = line; *q; q++)
        if ((unsigned char)*q < 0x20 && *q != '\t')
            return why_fail(why, "control character 0x%02x in the line", (unsigned char)*q);
    /* a comment is no fields, however many words it has */
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '#')
        return 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            return 0;
        if (*n == V5_FIELDS_MAX)
            return why_fail(why, "more than %d fields", V5_FIELDS_MAX);
        f[(*n)++] = s;
        while (*s && *s != ' ' && *s != '\t')
            s++;
        if (*s)
            *s++ = '\0';
    }
}

static const char *column_name(enum v5_column col)
{
    switch (col) {
    case V5_COL_SOURCE:
        return "source";
    case V5_COL_TARGET:
        return "target";
    case V5_COL_REDIRECT:
        return "target=";
    case V5_COL_DEFAULT_TARGET:
        break;
    }
    return "default_target=";
}

/* Tags as qubes carry them: letters, digits, _ and -. */
static bool valid_tag(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < V5_NAME_MAX && untrusted_chars_ok(s, n, "_-");
}

/* A qube class name: a letter, then letters, digits and _. */
static bool valid_type(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < V5_NAME_MAX &&
           ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) &&
           untrusted_chars_ok(s, n, "_");
}

static bool valid_user(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < V5_NAME_MAX && s[0] != '-' && s[0] != '.' &&
           untrusted_chars_ok(s, n, "_.-");
}

/* A qube a @dispvm: token may name: a real name, never dom0. */
static bool valid_dispvm_base(const char *s)
{
    return qrexec_valid_vm_name(s) && strcmp(s, "dom0") != 0;
}

int v5_parse_token(const char *s, enum v5_column col, struct v5_token *t, char why[V5_WHY_MAX])
{
    const char *cn = column_name(col);
    bool src = col == V5_COL_SOURCE, tgt = col == V5_COL_TARGET;
    bool column = src || tgt; /* source or target, not a parameter */

    memset(t, 0, sizeof(*t));
    if (s[0] == '$')
        return why_fail(why, "%s '%.64s': the $ prefix is no longer supported, write @%.63s", cn, s,
                        s + 1);
    if (!strcmp(s, "*")) {
        if (!column)
            return why_fail(why, "%s: * is only valid in the source and target columns", cn);
        t->kind = V5_TOK_ANY;
    } else if (!strcmp(s, "@adminvm") || !strcmp(s, "dom0")) {
        t->kind = V5_TOK_ADMINVM;
    } else if (!strcmp(s, "@anyvm")) {
        if (!column)
            return why_fail(why, "%s: @anyvm is only valid in the source and target columns", cn);
        t->kind = V5_TOK_ANYVM;
    } else if (!strcmp(s, "@default")) {
        if (!tgt)
            return why_fail(why, "%s: @default is only valid in the target column", cn);
        t->kind = V5_TOK_DEFAULT;
    } else if (!strcmp(s, "@dispvm")) {
        if (src)
            return why_fail(why, "source: @dispvm is only valid as a target (use @dispvm:VM)");
        t->kind = V5_TOK_DISPVM;
    } else if (!strncmp(s, "@dispvm:@tag:", 13)) {
        if (!column)
            return why_fail(why, "%s: @dispvm:@tag: is only valid in the source and target columns",
                            cn);
        if (!valid_tag(s + 13))
            return why_fail(why, "%s '%.64s': invalid tag", cn, s);
        t->kind = V5_TOK_DISPVM_TAG;
        strcpy(t->value, s + 13);
    } else if (!strncmp(s, "@dispvm:", 8)) {
        if (!valid_dispvm_base(s + 8))
            return why_fail(why, "%s '%.64s': not a qube name after @dispvm:", cn, s);
        t->kind = V5_TOK_DISPVM_VM;
        strcpy(t->value, s + 8);
    } else if (!strncmp(s, "@tag:", 5) || !strncmp(s, "@type:", 6)) {
        bool tag = s[2] == 'a';
        const char *v = s + (tag ? 5 : 6);

        if (!column)
            return why_fail(why, "%s: %s is only valid in the source and target columns", cn,
                            tag ? "@tag:" : "@type:");
        if (tag ? !valid_tag(v) : !valid_type(v))
            return why_fail(why, "%s '%.64s': invalid %s", cn, s, tag ? "tag" : "qube class");
        t->kind = tag ? V5_TOK_TAG : V5_TOK_TYPE;
        strcpy(t->value, v);
    } else if (!strncmp(s, "uuid:", 5)) {
        if (!qrexec_valid_uuid(s + 5))
            return why_fail(why, "%s '%.64s': invalid UUID", cn, s);
        t->kind = V5_TOK_UUID;
        /* one spelling, so equal UUIDs compare equal as strings */
        for (int i = 0; s[5 + i]; i++)
            t->value[i] = (char)((s[5 + i] >= 'A' && s[5 + i] <= 'F') ? s[5 + i] + 32 : s[5 + i]);
    } else if (s[0] == '@') {
        return why_fail(why, "%s '%.64s': unknown keyword", cn, s);
    } else if (s[0] == '#') {
        return why_fail(why, "%s '%.64s': comments must be on their own line", cn, s);
    } else {
        if (!qrexec_valid_vm_name(s))
            return why_fail(why, "%s '%.64s': not a valid qube name or token", cn, s);
        t->kind = V5_TOK_NAME;
        strcpy(t->value, s);
    }
    return 0;
}

int v5_parse_service(const char *svc, const char *arg, struct v5_rule *r, char why[V5_WHY_MAX])
{
    struct qrexec_service_name sn;
    size_t n;

    if (!strcmp(svc, "*")) {
        r->any_service = true;
    } else {
        if (qrexec_split_service(svc, &sn) < 0 || sn.has_arg || sn.name_len >= V5_NAME_MAX)
            return why_fail(why, "service '%.64s': not a service name (A-Z a-z 0-9 _ . -) or *",
                            svc);
        strcpy(r->service, svc);
    }
    if (!strcmp(arg, "*")) {
        r->any_arg = true;
    } else {
        n = strlen(arg);
        if (arg[0] != '+' || n > V5_NAME_MAX || !untrusted_chars_ok(arg + 1, n - 1, "_.+-"))
            return why_fail(why, "argument '%.64s': must be +ARG, + (empty) or *", arg);
        if (r->any_service)
            return why_fail(why, "a * service needs a * argument");
        memcpy(r->arg, arg + 1, n); /* with its NUL */
    }
    return 0;
}

enum { P_TARGET = 1, P_DEFAULT_TARGET = 2, P_USER = 4, P_NOTIFY = 8, P_AUTOSTART = 16 };

static int yes_no(const char *k, const char *v, int *out, char *why)
{
    if (!strcmp(v, "yes"))
        *out = 1;
    else if (!strcmp(v, "no"))
        *out = 0;
    else
        return why_fail(why, "%s=%.64s: must be yes or no", k, v);
    return 0;
}

/* One k=v (kv is modified) into r, given which were seen and which the
 * action takes. */
static int parse_param(char *kv, unsigned allowed, unsigned *seen, struct v5_rule *r, char *why)
{
    static const struct {
        const char *name;
        unsigned bit;
    } params[] = {{"target", P_TARGET},
                  {"default_target", P_DEFAULT_TARGET},
                  {"user", P_USER},
                  {"notify", P_NOTIFY},
                  {"autostart", P_AUTOSTART}};
    static const char *const actions[] = {"allow", "deny", "ask"};
    char *v = strchr(kv, '=');
    unsigned bit = 0;

    if (kv[0] == '#')
        return why_fail(why, "'%.64s': comments must be on their own line", kv);
    if (!v)
        return why_fail(why, "'%.64s': parameters are key=value", kv);
    *v++ = '\0';
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
        if (!strcmp(kv, params[i].name))
            bit = params[i].bit;
    if (!bit)
        return why_fail(why, "unknown parameter '%.64s='", kv);
    if (!(allowed & bit))
        return why_fail(why, "%s= is not valid for %s", kv, actions[r->action]);
    if (*seen & bit)
        return why_fail(why, "%s= given twice", kv);
    *seen |= bit;
    if (!*v)
        return why_fail(why, "%s= needs a value", kv);
    switch (bit) {
    case P_TARGET:
        r->has_redirect = true;
        return v5_parse_token(v, V5_COL_REDIRECT, &r->redirect, why);
    case P_DEFAULT_TARGET:
        r->has_default_target = true;
        return v5_parse_token(v, V5_COL_DEFAULT_TARGET, &r->default_target, why);
    case P_USER:
        if (!valid_user(v))
            return why_fail(why, "user=%.64s: not a user name", v);
        strcpy(r->user, v);
        return 0;
    case P_NOTIFY:
        return yes_no(kv, v, &r->notify, why);
    default:
        return yes_no(kv, v, &r->autostart, why);
    }
}

/* The columns every syntax shares: source, target, action, parameters. */
static int parse_common(char *src, char *tgt, char *action, char **params, int np,
                        struct v5_rule *r, char *why)
{
    unsigned allowed, seen = 0;
    int e;

    if ((e = v5_parse_token(src, V5_COL_SOURCE, &r->source, why)) < 0 ||
        (e = v5_parse_token(tgt, V5_COL_TARGET, &r->target, why)) < 0)
        return e;
    if (!strcmp(action, "allow")) {
        r->action = V5_ALLOW;
        allowed = P_TARGET | P_USER | P_NOTIFY | P_AUTOSTART;
    } else if (!strcmp(action, "ask")) {
        r->action = V5_ASK;
        allowed = P_TARGET | P_DEFAULT_TARGET | P_USER | P_NOTIFY | P_AUTOSTART;
    } else if (!strcmp(action, "deny")) {
        r->action = V5_DENY;
        allowed = P_NOTIFY;
    } else {
        return why_fail(why, "action '%.64s': must be allow, deny or ask", action);
    }
    r->notify = r->autostart = V5_UNSET;
    for (int i = 0; i < np; i++)
        if ((e = parse_param(params[i], allowed, &seen, r, why)) < 0)
            return e;
    /* a call to @default must go somewhere real */
    if (r->action == V5_ALLOW && r->target.kind == V5_TOK_DEFAULT && !r->has_redirect)
        return why_fail(why, "allow for target @default needs target=");
    return 0;
}

int v5_parse_rule_fields(char **f, int n, struct v5_rule *r, char why[V5_WHY_MAX])
{
    int e;

    memset(r, 0, sizeof(*r));
    if (n < 5)
        return why_fail(why, "expected SERVICE ARGUMENT SOURCE TARGET ACTION [PARAMETERS]");
    if ((e = v5_parse_service(f[0], f[1], r, why)) < 0)
        return e;
    return parse_common(f[2], f[3], f[4], f + 5, n - 5, r, why);
}

int v5_parse_old_fields(char **f, int n, bool legacy, const struct v5_rule *svc, struct v5_rule *r,
                        char why[V5_WHY_MAX])
{
    char *params[V5_FIELDS_MAX], *action, *comma;
    int np = 0;

    memset(r, 0, sizeof(*r));
    r->any_service = svc->any_service;
    r->any_arg = svc->any_arg;
    strcpy(r->service, svc->service);
    strcpy(r->arg, svc->arg);
    if (n != 3)
        return why_fail(why, "expected SOURCE TARGET ACTION[,key=value...]");
    if (legacy) /* R4.0 wrote $anyvm, $tag:x, $dispvm:$tag:x: the same words */
        for (int i = 0; i < n; i++)
            for (char *p = f[i]; (p = strchr(p, '$'));)
                *p = '@';
    action = f[2];
    for (char *p = action; (comma = strchr(p, ',')); p = comma + 1) {
        *comma = '\0';
        if (np == V5_FIELDS_MAX)
            return why_fail(why, "too many parameters");
        params[np++] = comma + 1;
    }
    return parse_common(f[0], f[1], action, params, np, r, why);
}
