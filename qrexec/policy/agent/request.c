/* Parsing and checking policy.Ask / policy.Notify requests; see request.h.
 * (dom0.) json-c does the JSON grammar; every value it yields is then
 * checked here by the qrexec naming rules before it is copied out. */
#include "qrexec/policy/agent/request.h"
#include "lib/untrusted.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Nesting deeper than this is never sent by the daemon (its objects are two
 * levels deep); a low limit keeps json-c's recursion small. */
#define JSON_MAX_DEPTH 4

static const struct {
    const char *name;
    unsigned rgb;
} labels[] = {
    [AGENT_LABEL_NONE] = {"", 0},
    [AGENT_LABEL_RED] = {"red", 0xcc0000},
    [AGENT_LABEL_ORANGE] = {"orange", 0xf57900},
    [AGENT_LABEL_YELLOW] = {"yellow", 0xedd400},
    [AGENT_LABEL_GREEN] = {"green", 0x73d216},
    [AGENT_LABEL_GRAY] = {"gray", 0x555555},
    [AGENT_LABEL_BLUE] = {"blue", 0x3465a4},
    [AGENT_LABEL_PURPLE] = {"purple", 0x75507b},
    [AGENT_LABEL_BLACK] = {"black", 0x000000},
};

static int fail(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;

    if (err && errsz) {
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

const char *agent_label_name(enum agent_label l)
{
    return (unsigned)l <= AGENT_LABEL_BLACK ? labels[l].name : "";
}

unsigned agent_label_rgb(enum agent_label l)
{
    return (unsigned)l <= AGENT_LABEL_BLACK ? labels[l].rgb : 0;
}

const char *agent_resolution_name(enum agent_resolution r)
{
    return r == AGENT_RES_ALLOW ? "allow" : r == AGENT_RES_DENY ? "deny" : "fail";
}

enum agent_label agent_label_from_icon(const char *icon)
{
    const char *dash = strrchr(icon, '-');
    const char *colour = icon;

    /* "appvm-red": the kind before the dash is lower-case letters only */
    if (dash) {
        if (dash == icon)
            return AGENT_LABEL_NONE;
        for (const char *p = icon; p < dash; p++)
            if (*p < 'a' || *p > 'z')
                return AGENT_LABEL_NONE;
        colour = dash + 1;
    }
    for (int l = AGENT_LABEL_RED; l <= AGENT_LABEL_BLACK; l++)
        if (!strcmp(colour, labels[l].name))
            return (enum agent_label)l;
    return AGENT_LABEL_NONE;
}

/* A qube as a source: a name, or dom0 under either spelling. */
static bool valid_source(const char *s)
{
    enum qrexec_target_kind k = qrexec_classify_target(s, NULL);
    return k == QREXEC_TARGET_NAME || k == QREXEC_TARGET_ADMINVM;
}

/* A target the user may pick: a qube, dom0, or a new disposable of a named
 * template (the daemon resolves @default, @dispvm and uuid: before asking). */
static bool valid_target(const char *s)
{
    enum qrexec_target_kind k = qrexec_classify_target(s, NULL);
    return k == QREXEC_TARGET_NAME || k == QREXEC_TARGET_ADMINVM || k == QREXEC_TARGET_DISPVM_VM;
}

static bool valid_service(const char *s)
{
    struct qrexec_service_name sn;
    return qrexec_split_service(s, &sn) == 0 && !sn.has_arg;
}

/* "+" and then argument characters, as qrexec allows after a service. */
static bool valid_argument(const char *s)
{
    return s[0] == '+' && untrusted_chars_ok(s + 1, strlen(s + 1), "_.-+");
}

/* The string member key of obj, copied into dst when it fits and has no
 * NUL inside; a missing or non-string member is an error. */
static int get_string(struct json_object *obj, const char *key, char *dst, size_t dstsz, char *err,
                      size_t errsz)
{
    struct json_object *v;
    size_t n;

    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return fail(err, errsz, "\"%s\" missing or not a string", key);
    n = (size_t)json_object_get_string_len(v);
    if (n >= dstsz || memchr(json_object_get_string(v), 0, n))
        return fail(err, errsz, "\"%s\" too long or has a NUL", key);
    memcpy(dst, json_object_get_string(v), n + 1);
    return 0;
}

static int parse_common(struct json_object *obj, struct agent_request *out, char *err, size_t errsz)
{
    if (get_string(obj, "source", out->source, sizeof(out->source), err, errsz) < 0 ||
        get_string(obj, "service", out->service, sizeof(out->service), err, errsz) < 0 ||
        get_string(obj, "argument", out->argument, sizeof(out->argument), err, errsz) < 0)
        return -EINVAL;
    if (!valid_source(out->source))
        return fail(err, errsz, "invalid source");
    if (!valid_service(out->service))
        return fail(err, errsz, "invalid service name");
    if (!valid_argument(out->argument))
        return fail(err, errsz, "invalid argument (must start with '+')");
    return 0;
}

static int parse_targets(struct json_object *obj, struct agent_request *out, char *err,
                         size_t errsz)
{
    struct json_object *arr;
    size_t n;

    if (!json_object_object_get_ex(obj, "targets", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return fail(err, errsz, "\"targets\" missing or not an array");
    n = json_object_array_length(arr);
    if (n == 0 || n > AGENT_MAX_TARGETS)
        return fail(err, errsz, "\"targets\" must have 1 to %d entries", AGENT_MAX_TARGETS);
    for (size_t i = 0; i < n; i++) {
        struct json_object *t = json_object_array_get_idx(arr, i);
        size_t len;

        if (!json_object_is_type(t, json_type_string))
            return fail(err, errsz, "target %zu is not a string", i);
        len = (size_t)json_object_get_string_len(t);
        if (len >= AGENT_NAME_MAX || memchr(json_object_get_string(t), 0, len))
            return fail(err, errsz, "target %zu too long or has a NUL", i);
        memcpy(out->targets[i], json_object_get_string(t), len + 1);
        if (!valid_target(out->targets[i]))
            return fail(err, errsz, "target %zu is not a qube, dom0 or @dispvm:NAME", i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(out->targets[j], out->targets[i]))
                return fail(err, errsz, "target %zu is listed twice", i);
    }
    out->target_count = n;
    return 0;
}

/* icons: {qube: icon name}. Optional; entries for qubes not in the request
 * are ignored, and an unknown icon only means no colour. */
static int parse_icons(struct json_object *obj, struct agent_request *out, char *err, size_t errsz)
{
    struct json_object *icons;
    size_t count = 0;

    if (!json_object_object_get_ex(obj, "icons", &icons))
        return 0;
    if (!json_object_is_type(icons, json_type_object))
        return fail(err, errsz, "\"icons\" is not an object");
    json_object_object_foreach(icons, key, val)
    {
        enum agent_label l;
        size_t len;

        if (++count > AGENT_MAX_TARGETS + 1)
            return fail(err, errsz, "\"icons\" has too many entries");
        if (!json_object_is_type(val, json_type_string))
            return fail(err, errsz, "an icon is not a string");
        len = (size_t)json_object_get_string_len(val);
        if (len >= AGENT_ICON_NAME_MAX || memchr(json_object_get_string(val), 0, len))
            continue;
        l = agent_label_from_icon(json_object_get_string(val));
        if (!strcmp(key, out->source))
            out->source_label = l;
        for (size_t i = 0; i < out->target_count; i++)
            if (!strcmp(key, out->targets[i]))
                out->target_labels[i] = l;
    }
    return 0;
}

static int parse_ask(struct json_object *obj, struct agent_request *out, char *err, size_t errsz)
{
    char def[AGENT_NAME_MAX];

    if (parse_targets(obj, out, err, errsz) < 0)
        return -EINVAL;
    if (get_string(obj, "default_target", def, sizeof(def), err, errsz) < 0)
        return -EINVAL;
    /* a default that is not on offer preselects nothing: the user picks */
    out->default_index = -1;
    for (size_t i = 0; def[0] && i < out->target_count; i++)
        if (!strcmp(def, out->targets[i]))
            out->default_index = (int)i;
    return parse_icons(obj, out, err, errsz);
}

static int parse_notify(struct json_object *obj, struct agent_request *out, char *err, size_t errsz)
{
    char res[8];

    if (get_string(obj, "resolution", res, sizeof(res), err, errsz) < 0)
        return -EINVAL;
    if (!strcmp(res, "allow"))
        out->resolution = AGENT_RES_ALLOW;
    else if (!strcmp(res, "deny"))
        out->resolution = AGENT_RES_DENY;
    else if (!strcmp(res, "fail"))
        out->resolution = AGENT_RES_FAIL;
    else
        return fail(err, errsz, "\"resolution\" is not allow, deny or fail");
    if (get_string(obj, "target", out->target, sizeof(out->target), err, errsz) < 0)
        return -EINVAL;
    /* a denied call may name what the caller asked for: @default, @dispvm */
    if (qrexec_classify_target(out->target, NULL) == QREXEC_TARGET_INVALID)
        return fail(err, errsz, "invalid target");
    return 0;
}

int agent_parse_request(enum agent_kind kind, const char *untrusted, size_t len,
                        struct agent_request *out, char *err, size_t errsz)
{
    struct json_tokener *tok;
    struct json_object *obj;
    int rc;

    memset(out, 0, sizeof(*out));
    out->kind = kind;
    out->default_index = -1;
    if (len > AGENT_MAX_REQUEST)
        return fail(err, errsz, "request larger than %d bytes", AGENT_MAX_REQUEST);
    tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (!tok)
        return fail(err, errsz, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, untrusted, (int)len);
    /* one complete value, and nothing after it but white space */
    if (!obj || json_tokener_get_error(tok) != json_tokener_success) {
        rc = fail(err, errsz, "not valid JSON");
    } else {
        size_t used = json_tokener_get_parse_end(tok);
        while (used < len && untrusted[used] && strchr(" \t\r\n", untrusted[used]))
            used++;
        if (used != len)
            rc = fail(err, errsz, "data after the JSON object");
        else if (!json_object_is_type(obj, json_type_object))
            rc = fail(err, errsz, "not a JSON object");
        else if ((rc = parse_common(obj, out, err, errsz)) == 0)
            rc = kind == AGENT_ASK ? parse_ask(obj, out, err, errsz)
                                   : parse_notify(obj, out, err, errsz);
    }
    json_object_put(obj);
    json_tokener_free(tok);
    if (rc < 0) {
        enum agent_kind k = out->kind;
        memset(out, 0, sizeof(*out));
        out->kind = k;
        out->default_index = -1;
    }
    return rc;
}

int agent_parse_descriptor(const char *untrusted, size_t len, enum agent_kind *kind, char *err,
                           size_t errsz)
{
    char desc[AGENT_MAX_DESC], *space, *plus;

    if (len == 0 || len >= sizeof(desc) || memchr(untrusted, 0, len))
        return fail(err, errsz, "service descriptor empty, too long or has a NUL");
    memcpy(desc, untrusted, len);
    desc[len] = 0;
    space = strchr(desc, ' ');
    if (!space || strchr(space + 1, ' '))
        return fail(err, errsz, "service descriptor is not \"SERVICE[+ARG] SOURCE\"");
    *space = 0;
    if (qrexec_classify_target(space + 1, NULL) != QREXEC_TARGET_ADMINVM)
        return fail(err, errsz, "caller is not dom0");
    plus = strchr(desc, '+');
    if (plus) {
        if (!untrusted_chars_ok(plus + 1, strlen(plus + 1), "_.-+"))
            return fail(err, errsz, "invalid service argument");
        *plus = 0;
    }
    if (!strcmp(desc, "policy.Ask"))
        *kind = AGENT_ASK;
    else if (!strcmp(desc, "policy.Notify"))
        *kind = AGENT_NOTIFY;
    else
        return fail(err, errsz, "not policy.Ask or policy.Notify");
    return 0;
}
