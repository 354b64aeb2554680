/* The interim simple policy; see simple.h. (dom0.) */
#include "qrexec/policy/simple.h"

#include "lib/text.h"
#include "lib/untrusted.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_adminvm(const char *s)
{
    return !strcmp(s, "@adminvm") || !strcmp(s, "dom0");
}

static bool valid_vm_token(const char *s, bool target_column)
{
    return !strcmp(s, "*") || !strcmp(s, "@anyvm") || is_adminvm(s) ||
           (target_column && !strcmp(s, "@default")) || qrexec_valid_vm_name(s);
}

static int fail(char *err, size_t errsz, int line, const char *what)
{
    snprintf(err, errsz, "line %d: %s", line, what);
    return -EINVAL;
}

/* One non-comment line into r. */
static int parse_line(char *s, int line, struct simple_rule *r, char *err, size_t errsz)
{
    char *tok[8], *save = NULL;
    int n = 0;
    struct qrexec_service_name sn;

    for (char *t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == 8 || strlen(t) >= SIMPLE_TOKEN_MAX)
            return fail(err, errsz, line, "too many or too long fields");
        tok[n++] = t;
    }
    if (n < 5)
        return fail(err, errsz, line, "expected SERVICE ARG SOURCE TARGET ACTION");
    memset(r, 0, sizeof(*r));
    r->line = line;
    if (strcmp(tok[0], "*") && (qrexec_split_service(tok[0], &sn) < 0 || sn.has_arg))
        return fail(err, errsz, line, "invalid service name");
    if (strcmp(tok[1], "*") &&
        (tok[1][0] != '+' || !untrusted_chars_ok(tok[1] + 1, strlen(tok[1] + 1), "_.-+")))
        return fail(err, errsz, line, "invalid argument (use +ARG, + or *)");
    if (!strcmp(tok[0], "*") && strcmp(tok[1], "*"))
        return fail(err, errsz, line, "a * service needs a * argument");
    if (!valid_vm_token(tok[2], false) || !valid_vm_token(tok[3], true))
        return fail(err, errsz, line, "invalid source or target");
    if (strcmp(tok[4], "allow") && strcmp(tok[4], "deny"))
        return fail(err, errsz, line, "action must be allow or deny");
    r->allow = !strcmp(tok[4], "allow");
    for (int i = 5; i < n; i++) {
        if (!r->allow)
            return fail(err, errsz, line, "deny takes no parameters");
        if (!strncmp(tok[i], "target=", 7) && qrexec_valid_vm_name(tok[i] + 7))
            snprintf(r->redirect, sizeof(r->redirect), "%s", tok[i] + 7);
        else if (!strncmp(tok[i], "target=", 7) && is_adminvm(tok[i] + 7))
            snprintf(r->redirect, sizeof(r->redirect), "@adminvm");
        else if (!strncmp(tok[i], "user=", 5) && tok[i][5])
            snprintf(r->user, sizeof(r->user), "%s", tok[i] + 5);
        else
            return fail(err, errsz, line, "unknown or invalid parameter");
    }
    if (r->allow && !strcmp(tok[3], "@default") && !r->redirect[0])
        return fail(err, errsz, line, "allow for @default needs target=");
    snprintf(r->service, sizeof(r->service), "%s", tok[0]);
    snprintf(r->arg, sizeof(r->arg), "%s", tok[1]);
    snprintf(r->source, sizeof(r->source), "%s", tok[2]);
    snprintf(r->target, sizeof(r->target), "%s", tok[3]);
    return 0;
}

int simple_policy_parse(const char *text, size_t len, struct simple_policy *out, char *err,
                        size_t errsz)
{
    char buf[512];
    size_t pos = 0;
    int line = 0, r;

    memset(out, 0, sizeof(*out));
    while ((r = text_next_line(text, len, &pos, buf, sizeof(buf))) != 0) {
        char *s = buf;
        struct simple_rule *grown;

        line++;
        if (r < 0) {
            simple_policy_free(out);
            return fail(err, errsz, line, "line too long or contains NUL");
        }
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            continue;
        grown = realloc(out->rules, (out->count + 1) * sizeof(*out->rules));
        if (!grown) {
            simple_policy_free(out);
            return fail(err, errsz, line, "out of memory");
        }
        out->rules = grown;
        if (parse_line(s, line, &out->rules[out->count], err, errsz) < 0) {
            simple_policy_free(out);
            return -EINVAL;
        }
        out->count++;
    }
    return 0;
}

void simple_policy_free(struct simple_policy *p)
{
    free(p->rules);
    p->rules = NULL;
    p->count = 0;
}

static bool match_vm(const char *pattern, const char *name)
{
    if (!strcmp(pattern, "*"))
        return true;
    if (is_adminvm(pattern))
        return is_adminvm(name);
    if (!strcmp(pattern, "@anyvm"))
        return !is_adminvm(name); /* includes @default */
    return !strcmp(pattern, name);
}

void simple_policy_eval(const struct simple_policy *p, const char *source, const char *target,
                        const char *service_and_arg, struct simple_decision *out)
{
    const char *plus = strchr(service_and_arg, '+');
    size_t name_len = plus ? (size_t)(plus - service_and_arg) : strlen(service_and_arg);
    const char *arg = plus ? plus : "+";

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < p->count; i++) {
        const struct simple_rule *r = &p->rules[i];
        if (strcmp(r->service, "*") &&
            (strlen(r->service) != name_len || strncmp(r->service, service_and_arg, name_len)))
            continue;
        if (strcmp(r->arg, "*") && strcmp(r->arg, arg))
            continue;
        if (!match_vm(r->source, source) || !match_vm(r->target, target))
            continue;
        out->line = r->line;
        out->allow = r->allow;
        if (r->allow) {
            snprintf(out->target, sizeof(out->target), "%s", r->redirect[0] ? r->redirect : target);
            snprintf(out->user, sizeof(out->user), "%s", r->user);
            /* a call can only go to a real target */
            if (!strcmp(out->target, "@default"))
                out->allow = false;
        }
        return;
    }
}
