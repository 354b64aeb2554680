/* The v5 policy parser (dom0): policy folders, files, lines, directives.
 * See v5.h and docs/policy.md. Pure: everything it reads comes through a
 * struct v5_files, so the same code serves the programs (real files) and
 * the tests (memory). Fail closed: the first error stops the load, the
 * policy is emptied, and err names FILE:LINE and what is wrong.
 *
 * The syntax of one line (tokens, parameters) lives in v5_line.c. */
#include "qrexec/policy/v5.h"
#include "qrexec/policy/v5_line.h"

#include "lib/text.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One load: where files come from, where rules go, the include stack. */
struct pctx {
    const struct v5_files *files;
    struct v5_policy *out;
    char *err;
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
    const char *compat_dir;
    const char *base; /* the policy folder relative includes start from */
    const char *stack[V5_INCLUDE_DEPTH];
    int depth;
};

/* How the lines of a file are read. */
enum syntax {
    SYN_V5,     /* SERVICE ARG SOURCE TARGET ACTION [k=v...], directives */
    SYN_OLD,    /* SOURCE TARGET ACTION[,k=v...] for a fixed service (!include-service) */
    SYN_LEGACY, /* the same from an R4.0 file (!compat-4.0): $ tokens allowed */
};

static int ctx_fail(struct pctx *c, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* err is "FILE:LINE: what" (or "FILE: what" for line 0), one printable
 * line whatever bytes the names carry. */
static int ctx_fail(struct pctx *c, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (line > 0)
        n = snprintf(c->err, V5_ERROR_MAX, "%s:%d: ", file, line);
    else
        n = snprintf(c->err, V5_ERROR_MAX, "%s: ", file);
    if (n < 0 || n >= V5_ERROR_MAX)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(c->err + n, V5_ERROR_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    v5_printable(c->err);
    return -EINVAL;
}

static void ctx_warn(struct pctx *c, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void ctx_warn(struct pctx *c, const char *file, int line, const char *fmt, ...)
{
    char msg[V5_ERROR_MAX];
    va_list ap;
    int n;

    if (!c->warn)
        return;
    n = snprintf(msg, sizeof(msg), "%s:%d: ", file, line);
    if (n < 0 || n >= (int)sizeof(msg))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    v5_printable(msg);
    c->warn(c->warn_ctx, msg);
}

/* A new slot at the end of the table, zeroed, or NULL when the table may
 * not grow (bounded) or memory runs out. */
static struct v5_rule *add_rule(struct v5_policy *p)
{
    if (p->count >= V5_RULES_MAX)
        return NULL;
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct v5_rule *grown;

        if (cap > V5_RULES_MAX)
            cap = V5_RULES_MAX;
        grown = realloc(p->rules, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        p->rules = grown;
        p->cap = cap;
    }
    memset(&p->rules[p->count], 0, sizeof(p->rules[0]));
    return &p->rules[p->count++];
}

static int parse_text(struct pctx *c, const char *file, const char *text, size_t len,
                      enum syntax syn, const struct v5_rule *svc);

/* The policy-folder file-name rules. 1: read it, 0: ignore it, -1: invalid. */
static int policy_name_kind(const char *name)
{
    static const char suffix[] = ".policy";
    size_t n = strlen(name), sn = sizeof(suffix) - 1;

    if (name[0] == '.' || n < sn || strcmp(name + n - sn, suffix))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || ch == '_' || ch == '.' ||
              ch == '-'))
            return -1;
    }
    return 1;
}

static int cmp_names(const void *a, const void *b)
{
    /* strcmp orders bytes as unsigned char: the C locale's order */
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

static int join_path(char *dst, const char *dir, const char *name)
{
    size_t dn = strlen(dir);
    int n;

    while (dn > 1 && dir[dn - 1] == '/')
        dn--;
    n = snprintf(dst, V5_PATH_MAX, "%.*s/%s", (int)dn, dir, name);
    return (n < 0 || n >= V5_PATH_MAX) ? -ENAMETOOLONG : 0;
}

/* Reads and parses one file in place. from/line: who asked (for the
 * error when it cannot be read). */
static int include_file(struct pctx *c, const char *path, enum syntax syn,
                        const struct v5_rule *svc, const char *from, int line)
{
    char *text = NULL;
    size_t len = 0;
    int r;

    for (int i = 0; i < c->depth; i++)
        if (!strcmp(c->stack[i], path))
            return ctx_fail(c, from, line, "%s is already being read (include cycle)", path);
    if (c->depth >= V5_INCLUDE_DEPTH)
        return ctx_fail(c, from, line, "includes nested deeper than %d", V5_INCLUDE_DEPTH);
    r = c->files->read(c->files->ctx, path, &text, &len);
    if (r < 0) {
        free(text);
        return ctx_fail(c, from, line, "cannot read %s: %s", path, strerror(-r));
    }
    c->stack[c->depth++] = path;
    r = parse_text(c, path, text, len, syn, svc);
    c->depth--;
    free(text);
    return r;
}

/* Every policy file of a folder, in C-locale order. A missing folder is
 * skipped at the top level (from == NULL) and an error for !include-dir. */
static int load_dir(struct pctx *c, const char *dir, const char *from, int line)
{
    char **names = NULL, path[V5_PATH_MAX];
    size_t count = 0, used = 0;
    int r;

    r = c->files->list(c->files->ctx, dir, &names, &count);
    if (r < 0) {
        if (r == -ENOENT && !from)
            return 0;
        if (!from)
            return ctx_fail(c, dir, 0, "cannot list the folder: %s", strerror(-r));
        return ctx_fail(c, from, line, "cannot list %s: %s", dir, strerror(-r));
    }
    if (count) /* an empty folder lists nothing, and qsort(NULL, 0) is undefined */
        qsort(names, count, sizeof(*names), cmp_names);
    for (size_t i = 0; i < count && r == 0; i++) {
        int kind = policy_name_kind(names[i]);

        if (kind == 0)
            continue;
        if (join_path(path, dir, names[i]) < 0) {
            r = ctx_fail(c, dir, 0, "a file name makes a path longer than %d", V5_PATH_MAX - 1);
        } else if (kind < 0) {
            r = ctx_fail(c, path, 0, "invalid file name (only 0-9 a-z _ . - are allowed)");
        } else {
            used++;
            r = include_file(c, path, SYN_V5, NULL, from ? from : dir, line);
        }
    }
    free_names(names, count);
    if (r == 0 && from && used == 0)
        ctx_warn(c, from, line, "!include-dir %s: no policy files there", dir);
    return r;
}

/* An R4.0 file name: SERVICE or SERVICE+ARG. 1: read, 0: skip (editor
 * and package-manager leftovers, hidden files), -1: invalid. */
static int compat_name_kind(const char *name, struct v5_rule *svc)
{
    static const char *const skip[] = {"~",    ".rpmnew",   ".rpmsave",  ".rpmorig",
                                       ".swp", ".dpkg-old", ".dpkg-new", ".dpkg-dist"};
    struct qrexec_service_name sn;
    size_t n = strlen(name);

    if (name[0] == '.')
        return 0;
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
        size_t k = strlen(skip[i]);
        if (n >= k && !strcmp(name + n - k, skip[i]))
            return 0;
    }
    if (qrexec_split_service(name, &sn) < 0 || sn.name_len >= V5_NAME_MAX ||
        sn.arg_len >= V5_NAME_MAX)
        return -1;
    memset(svc, 0, sizeof(*svc));
    memcpy(svc->service, sn.name, sn.name_len);
    memcpy(svc->arg, sn.arg, sn.arg_len);
    svc->any_arg = !sn.has_arg; /* SERVICE alone answered every argument */
    return 1;
}

/* !compat-4.0: the R4.0 per-service files, in place. A SERVICE+ARG file
 * was used instead of SERVICE's for that argument, so those come first
 * and end with an implicit deny (line 0): a call never falls from one to
 * the other, as it never did in R4.0. */
static int load_compat(struct pctx *c, const char *from, int line)
{
    char **names = NULL, path[V5_PATH_MAX];
    size_t count = 0;
    int r;

    r = c->files->list(c->files->ctx, c->compat_dir, &names, &count);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return ctx_fail(c, from, line, "!compat-4.0: cannot list %s: %s", c->compat_dir,
                        strerror(-r));
    if (count) /* an empty folder lists nothing, and qsort(NULL, 0) is undefined */
        qsort(names, count, sizeof(*names), cmp_names);
    for (int pass = 0; pass < 2 && r == 0; pass++) {
        for (size_t i = 0; i < count && r == 0; i++) {
            struct v5_rule svc, *deny;
            int kind = compat_name_kind(names[i], &svc);
            char *text = NULL;
            size_t len = 0;

            if (kind == 0 || (kind > 0 && svc.any_arg != (pass == 1)))
                continue;
            if (join_path(path, c->compat_dir, names[i]) < 0) {
                r = ctx_fail(c, from, line, "!compat-4.0: a path longer than %d", V5_PATH_MAX - 1);
                break;
            }
            if (kind < 0) {
                r = ctx_fail(c, path, 0, "invalid R4.0 policy file name (SERVICE or SERVICE+ARG)");
                break;
            }
            r = c->files->read(c->files->ctx, path, &text, &len);
            free(text);
            if (r == -EISDIR) { /* e.g. the include/ folder of R4.0 */
                r = 0;
                continue;
            }
            r = include_file(c, path, SYN_LEGACY, &svc, from, line);
            if (r == 0 && !svc.any_arg) {
                if (!(deny = add_rule(c->out)))
                    return ctx_fail(c, path, 0, "too many rules (at most %d)", V5_RULES_MAX);
                *deny = svc;
                deny->source.kind = V5_TOK_ANY;
                deny->target.kind = V5_TOK_ANY;
                deny->action = V5_DENY;
                deny->notify = deny->autostart = V5_UNSET;
                snprintf(deny->file, sizeof(deny->file), "%s", path);
            }
        }
    }
    free_names(names, count);
    return r;
}

/* A path in a directive: relative ones start at the policy folder. */
static int directive_path(struct pctx *c, const char *file, int line, const char *p,
                          char dst[V5_PATH_MAX])
{
    if (!v5_valid_path(p))
        return ctx_fail(c, file, line, "invalid path '%s' (allowed: A-Z a-z 0-9 _ . + - /)", p);
    if (p[0] == '/') {
        if (strlen(p) >= V5_PATH_MAX)
            return ctx_fail(c, file, line, "path longer than %d", V5_PATH_MAX - 1);
        strcpy(dst, p);
        return 0;
    }
    if (join_path(dst, c->base, p) < 0)
        return ctx_fail(c, file, line, "path longer than %d", V5_PATH_MAX - 1);
    return 0;
}

static int directive(struct pctx *c, const char *file, int line, char **f, int n)
{
    char path[V5_PATH_MAX];
    char why[V5_WHY_MAX];
    struct v5_rule svc;
    int r;

    if (!strcmp(f[0], "!include") || !strcmp(f[0], "!include-dir")) {
        if (n != 2)
            return ctx_fail(c, file, line, "%s takes one path", f[0]);
        if ((r = directive_path(c, file, line, f[1], path)) < 0)
            return r;
        if (!strcmp(f[0], "!include"))
            return include_file(c, path, SYN_V5, NULL, file, line);
        return load_dir(c, path, file, line);
    }
    if (!strcmp(f[0], "!include-service")) {
        if (n != 4)
            return ctx_fail(c, file, line, "!include-service takes SERVICE|* +ARG|* FILE");
        memset(&svc, 0, sizeof(svc));
        if (v5_parse_service(f[1], f[2], &svc, why) < 0)
            return ctx_fail(c, file, line, "%s", why);
        if ((r = directive_path(c, file, line, f[3], path)) < 0)
            return r;
        return include_file(c, path, SYN_OLD, &svc, file, line);
    }
    if (!strcmp(f[0], "!compat-4.0")) {
        if (n != 1)
            return ctx_fail(c, file, line, "!compat-4.0 takes nothing");
        return load_compat(c, file, line);
    }
    return ctx_fail(c, file, line, "unknown directive '%s'", f[0]);
}

static int parse_text(struct pctx *c, const char *file, const char *text, size_t len,
                      enum syntax syn, const struct v5_rule *svc)
{
    char buf[V5_LINE_MAX + 1], *f[V5_FIELDS_MAX], why[V5_WHY_MAX];
    size_t pos = 0;
    int line = 0, r;

    while ((r = text_next_line(text, len, &pos, buf, sizeof(buf))) != 0) {
        struct v5_rule *rule;
        int n;

        line++;
        if (r < 0)
            return ctx_fail(c, file, line, "line longer than %d bytes or with a NUL byte",
                            V5_LINE_MAX);
        if (v5_split_fields(buf, f, &n, why) < 0)
            return ctx_fail(c, file, line, "%s", why);
        if (n == 0 || f[0][0] == '#')
            continue;
        if (f[0][0] == '!') {
            if (syn != SYN_V5)
                return ctx_fail(c, file, line, "directives are not allowed in this file");
            if ((r = directive(c, file, line, f, n)) < 0)
                return r;
            continue;
        }
        if (!(rule = add_rule(c->out)))
            return ctx_fail(c, file, line, "too many rules (at most %d) or out of memory",
                            V5_RULES_MAX);
        if (syn == SYN_V5)
            r = v5_parse_rule_fields(f, n, rule, why);
        else
            r = v5_parse_old_fields(f, n, syn == SYN_LEGACY, svc, rule, why);
        if (r < 0) {
            c->out->count--;
            return ctx_fail(c, file, line, "%s", why);
        }
        snprintf(rule->file, sizeof(rule->file), "%s", file);
        rule->line = line;
    }
    return 0;
}

static void ctx_init(struct pctx *c, const struct v5_files *files,
                     const struct v5_load_options *opts, struct v5_policy *out, char *err)
{
    memset(c, 0, sizeof(*c));
    c->files = files;
    c->out = out;
    c->err = err;
    c->compat_dir = V5_COMPAT_DIR;
    if (opts) {
        c->warn = opts->warn;
        c->warn_ctx = opts->warn_ctx;
        if (opts->compat_dir)
            c->compat_dir = opts->compat_dir;
    }
}

int v5_load_with(const struct v5_files *files, const char *const dirs[], size_t ndirs,
                 const struct v5_load_options *opts, struct v5_policy *out, char err[V5_ERROR_MAX])
{
    struct pctx c;

    memset(out, 0, sizeof(*out));
    err[0] = '\0';
    ctx_init(&c, files, opts, out, err);
    for (size_t i = 0; i < ndirs; i++) {
        c.base = dirs[i];
        if (load_dir(&c, dirs[i], NULL, 0) < 0) {
            v5_policy_free(out);
            return -EINVAL;
        }
    }
    return 0;
}

int v5_load(const struct v5_files *files, const char *const dirs[], size_t ndirs,
            struct v5_policy *out, char err[V5_ERROR_MAX])
{
    return v5_load_with(files, dirs, ndirs, NULL, out, err);
}

int v5_parse_file(const struct v5_files *files, const char *file, const char *base,
                  const char *text, size_t len, struct v5_policy *out, char err[V5_ERROR_MAX])
{
    struct pctx c;
    size_t before = out->count;
    int r;

    err[0] = '\0';
    ctx_init(&c, files, NULL, out, err);
    c.base = base;
    c.stack[c.depth++] = file;
    r = parse_text(&c, file, text, len, SYN_V5, NULL);
    if (r < 0 && before == 0)
        v5_policy_free(out); /* nothing for the caller to free after a failure */
    else if (r < 0)
        out->count = before; /* what this file added goes; the rest stays */
    return r;
}

void v5_policy_free(struct v5_policy *p)
{
    free(p->rules);
    memset(p, 0, sizeof(*p));
}
