/* The qube list file the evaluator reads until qvmd's Admin API can be
 * asked (v5.h, v5_parse_system). The file is written by dom0 tooling, but
 * it still decides what policy means, so it is parsed strictly: one bad
 * line rejects the whole list, as a bad policy file does. (dom0.) */
#include "qrexec/policy/v5.h"

#include "lib/text.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOM0_UUID "00000000-0000-0000-0000-000000000000"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, V5_ERROR_MAX, __VA_ARGS__);                                                  \
        goto fail;                                                                                 \
    } while (0)

static bool valid_class(const char *c)
{
    static const char *const classes[] = {"AdminVM", "TemplateVM", "AppVM", "DispVM",
                                          "StandaloneVM"};
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
        if (!strcmp(c, classes[i]))
            return true;
    return false;
}

/* Tags follow the policy's token charset, so that every tag can be named
 * in a rule (@tag:T) and nothing else sneaks into a log line. */
static bool valid_tag(const char *t, size_t n)
{
    if (n == 0 || n >= V5_NAME_MAX - 1)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static int yes_no(const char *v, bool *out)
{
    if (!strcmp(v, "yes"))
        *out = true;
    else if (!strcmp(v, "no"))
        *out = false;
    else
        return -1;
    return 0;
}

static int add_tags(struct v5_qube *q, const char *list)
{
    const char *p = list;

    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char **grown;

        if (!valid_tag(p, n))
            return -1;
        grown = realloc(q->tags, (q->ntags + 1) * sizeof(*q->tags));
        if (!grown)
            return -1;
        q->tags = grown;
        q->tags[q->ntags] = strndup(p, n);
        if (!q->tags[q->ntags])
            return -1;
        q->ntags++;
        p += n + (comma ? 1 : 0);
        if (comma && !*p)
            return -1; /* a trailing comma: an empty tag */
    }
    return 0;
}

static void qube_free(struct v5_qube *q)
{
    for (size_t i = 0; i < q->ntags; i++)
        free(q->tags[i]);
    free(q->tags);
    q->tags = NULL;
    q->ntags = 0;
}

/* One line: NAME then key=value words. */
static int parse_line(char *line, struct v5_qube *q, char err[V5_ERROR_MAX], int lineno)
{
    char *save = NULL, *w = strtok_r(line, " \t", &save);
    bool seen_class = false;

    memset(q, 0, sizeof(*q));
    if (!qrexec_valid_vm_name(w) && strcmp(w, "dom0"))
        FAIL("%d: bad qube name", lineno);
    snprintf(q->name, sizeof(q->name), "%s", w);
    while ((w = strtok_r(NULL, " \t", &save))) {
        char *eq = strchr(w, '='), *v;

        if (!eq)
            FAIL("%d: %s is not key=value", lineno, w);
        *eq = '\0';
        v = eq + 1;
        if (!strcmp(w, "class")) {
            if (!valid_class(v))
                FAIL("%d: unknown class %s", lineno, v);
            snprintf(q->klass, sizeof(q->klass), "%s", v);
            seen_class = true;
        } else if (!strcmp(w, "uuid")) {
            if (!qrexec_valid_uuid(v))
                FAIL("%d: bad uuid", lineno);
            for (size_t i = 0; v[i]; i++) /* compared as text: one spelling */
                q->uuid[i] = (char)((v[i] >= 'A' && v[i] <= 'F') ? v[i] - 'A' + 'a' : v[i]);
        } else if (!strcmp(w, "tags")) {
            if (q->ntags || add_tags(q, v) < 0)
                FAIL("%d: bad tags", lineno);
        } else if (!strcmp(w, "running")) {
            if (yes_no(v, &q->running) < 0)
                FAIL("%d: running must be yes or no", lineno);
        } else if (!strcmp(w, "default_dispvm")) {
            if (!qrexec_valid_vm_name(v))
                FAIL("%d: bad default_dispvm", lineno);
            snprintf(q->default_dispvm, sizeof(q->default_dispvm), "%s", v);
        } else if (!strcmp(w, "template_for_dispvms")) {
            if (yes_no(v, &q->template_for_dispvms) < 0)
                FAIL("%d: template_for_dispvms must be yes or no", lineno);
        } else {
            FAIL("%d: unknown key %.40s", lineno, w);
        }
    }
    if (!seen_class)
        FAIL("%d: class= is missing", lineno);
    /* dom0 is the admin qube and nothing else is: a list that says
     * otherwise would let @adminvm rules match a VM */
    if (!strcmp(q->name, "dom0") != !strcmp(q->klass, "AdminVM"))
        FAIL("%d: only dom0 is of class AdminVM", lineno);
    if (!strcmp(q->name, "dom0")) {
        if (q->uuid[0] && strcmp(q->uuid, DOM0_UUID))
            FAIL("%d: dom0's uuid is all zeros", lineno);
        snprintf(q->uuid, sizeof(q->uuid), "%s", DOM0_UUID);
        q->running = true;
    }
    return 0;
fail:
    qube_free(q);
    return -EINVAL;
}

int v5_parse_system(const char *text, size_t len, struct v5_system *out, char err[V5_ERROR_MAX])
{
    struct v5_system s = {0};
    size_t pos = 0;
    int lineno = 0, r;
    char line[1024];
    bool have_dom0 = false;

    err[0] = '\0';
    memset(out, 0, sizeof(*out));
    while ((r = text_next_line(text, len, &pos, line, sizeof(line))) != 0) {
        struct v5_qube q, *grown;
        char *p = line;

        lineno++;
        if (r < 0)
            FAIL("%d: line too long or contains NUL", lineno);
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        if (parse_line(p, &q, err, lineno) < 0)
            goto fail;
        for (size_t i = 0; i < s.count; i++)
            if (!strcmp(s.qubes[i].name, q.name) ||
                (q.uuid[0] && !strcmp(s.qubes[i].uuid, q.uuid))) {
                qube_free(&q);
                FAIL("%d: %s or its uuid is listed twice", lineno, q.name);
            }
        grown = realloc(s.qubes, (s.count + 1) * sizeof(*s.qubes));
        if (!grown) {
            qube_free(&q);
            FAIL("%d: out of memory", lineno);
        }
        s.qubes = grown;
        s.qubes[s.count++] = q;
        have_dom0 |= !strcmp(q.name, "dom0");
    }
    if (!have_dom0) {
        struct v5_qube *grown = realloc(s.qubes, (s.count + 1) * sizeof(*s.qubes));
        if (!grown)
            FAIL("out of memory");
        s.qubes = grown;
        memset(&s.qubes[s.count], 0, sizeof(s.qubes[0]));
        snprintf(s.qubes[s.count].name, sizeof(s.qubes[0].name), "dom0");
        snprintf(s.qubes[s.count].klass, sizeof(s.qubes[0].klass), "AdminVM");
        snprintf(s.qubes[s.count].uuid, sizeof(s.qubes[0].uuid), DOM0_UUID);
        s.qubes[s.count].running = true;
        s.count++;
    }
    *out = s;
    return 0;
fail:
    v5_system_free(&s);
    return -EINVAL;
}

void v5_system_free(struct v5_system *s)
{
    for (size_t i = 0; i < s->count; i++)
        qube_free(&s->qubes[i]);
    free(s->qubes);
    s->qubes = NULL;
    s->count = 0;
}
