/* The v5 policy parser: every token in every column, every action and
 * parameter rule, the service and argument columns, the file-name rules
 * and order across files and folders, !include, !include-dir,
 * !include-service, !compat-4.0, and the exact FILE:LINE error messages.
 * Files come from memory (a struct v5_files over a table). */
#include "qrexec/policy/v5.h"
#include "qrexec/policy/v5_line.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- an in-memory file system ---- */

/* path -> text; a text of NULL marks an (empty) folder. */
struct mem_file {
    const char *path, *text;
};
struct mem_fs {
    const struct mem_file *f;
    size_t n;
};

static int mem_read(void *ctx, const char *path, char **text, size_t *len)
{
    struct mem_fs *fs = ctx;
    size_t pl = strlen(path);

    for (size_t i = 0; i < fs->n; i++) {
        if (!strcmp(fs->f[i].path, path)) {
            if (!fs->f[i].text)
                return -EISDIR;
            *text = strdup(fs->f[i].text);
            *len = strlen(fs->f[i].text);
            return *text ? 0 : -ENOMEM;
        }
        if (!strncmp(fs->f[i].path, path, pl) && fs->f[i].path[pl] == '/')
            return -EISDIR;
    }
    return -ENOENT;
}

/* The direct children of dir: file names and the first part of deeper
 * paths (folders), each once. */
static int mem_list(void *ctx, const char *dir, char ***names, size_t *count)
{
    struct mem_fs *fs = ctx;
    size_t dl = strlen(dir), n = 0;
    bool exists = false;
    char **list = calloc(fs->n + 1, sizeof(*list));

    assert_non_null(list);
    for (size_t i = 0; i < fs->n; i++) {
        const char *p = fs->f[i].path, *rest, *slash;
        size_t len;
        bool dup = false;

        if (!strcmp(p, dir) && !fs->f[i].text)
            exists = true;
        if (strncmp(p, dir, dl) || p[dl] != '/')
            continue;
        exists = true;
        rest = p + dl + 1;
        slash = strchr(rest, '/');
        len = slash ? (size_t)(slash - rest) : strlen(rest);
        for (size_t j = 0; j < n; j++)
            dup |= strlen(list[j]) == len && !strncmp(list[j], rest, len);
        if (!dup && len)
            list[n++] = strndup(rest, len);
    }
    if (!exists) {
        free(list);
        return -ENOENT;
    }
    *names = list;
    *count = n;
    return 0;
}

#define FS(...)                                                                                    \
    static const struct mem_file files_[] = {__VA_ARGS__};                                         \
    struct mem_fs fs_ = {files_, sizeof(files_) / sizeof(files_[0])};                              \
    struct v5_files files = {mem_read, mem_list, &fs_}

static const char *const etc_run[] = {"/etc/qubes/policy.d", "/run/qubes/policy.d"};

static char warned[V5_ERROR_MAX];
static void record_warning(void *ctx, const char *msg)
{
    (void)ctx;
    snprintf(warned, sizeof(warned), "%s", msg);
}

/* Loads from the two standard folders; returns the rc, fills p and err. */
static int load(const struct v5_files *files, struct v5_policy *p, char *err)
{
    struct v5_load_options o = {record_warning, NULL, NULL};
    warned[0] = '\0';
    return v5_load_with(files, etc_run, 2, &o, p, err);
}

/* The normalized lines of a policy joined by '\n'. */
static void table(const struct v5_policy *p, char *out, size_t outsz)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < p->count; i++) {
        char line[2 * V5_LINE_MAX];
        assert_int_equal(v5_format_rule(&p->rules[i], line, sizeof(line)), 0);
        len += (size_t)snprintf(out + len, outsz - len, "%s\n", line);
        assert_true(len < outsz);
    }
}

/* Parses text as one file; 0 or -EINVAL, err filled. */
static int parse1(const char *text, struct v5_policy *p, char *err)
{
    FS({"/x", ""});
    memset(p, 0, sizeof(*p));
    return v5_parse_file(&files, "t.policy", "/etc/qubes/policy.d", text, strlen(text), p, err);
}

/* One line must parse, and print back as want (NULL: as written). */
static void ok_line(const char *text, const char *want)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX], out[4096], line[V5_LINE_MAX + 2];

    if (parse1(text, &p, err) != 0)
        fail_msg("'%s' should parse: %s", text, err);
    assert_int_equal(p.count, 1);
    table(&p, out, sizeof(out));
    snprintf(line, sizeof(line), "%s\n", want ? want : text);
    assert_string_equal(out, line);
    v5_policy_free(&p);
}

/* One line must fail with exactly "t.policy:1: " + why. */
static void bad_line(const char *text, const char *why)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX], want[V5_ERROR_MAX];

    if (parse1(text, &p, err) == 0)
        fail_msg("'%s' should not parse", text);
    assert_int_equal(p.count, 0);
    assert_null(p.rules); /* a failed parse into an empty table leaves nothing to free */
    snprintf(want, sizeof(want), "t.policy:1: %s", why);
    assert_string_equal(err, want);
}

/* ---- tokens ---- */

struct tok_case {
    const char *text;
    /* valid in: source, target, target=, default_target= */
    bool in[4];
    enum v5_token_kind kind;
    const char *value;
};

static const struct tok_case tok_cases[] = {
    {"*", {1, 1, 0, 0}, V5_TOK_ANY, ""},
    {"work", {1, 1, 1, 1}, V5_TOK_NAME, "work"},
    {"sys-net.2_a", {1, 1, 1, 1}, V5_TOK_NAME, "sys-net.2_a"},
    {"@adminvm", {1, 1, 1, 1}, V5_TOK_ADMINVM, ""},
    {"dom0", {1, 1, 1, 1}, V5_TOK_ADMINVM, ""},
    {"@anyvm", {1, 1, 0, 0}, V5_TOK_ANYVM, ""},
    {"@default", {0, 1, 0, 0}, V5_TOK_DEFAULT, ""},
    {"@dispvm", {0, 1, 1, 1}, V5_TOK_DISPVM, ""},
    {"@dispvm:work", {1, 1, 1, 1}, V5_TOK_DISPVM_VM, "work"},
    {"@dispvm:@tag:t-1", {1, 1, 0, 0}, V5_TOK_DISPVM_TAG, "t-1"},
    {"@tag:created-by-dom0", {1, 1, 0, 0}, V5_TOK_TAG, "created-by-dom0"},
    {"@type:AppVM", {1, 1, 0, 0}, V5_TOK_TYPE, "AppVM"},
    {"uuid:0123abcd-0000-1111-2222-3333AAAAffff",
     {1, 1, 1, 1},
     V5_TOK_UUID,
     "0123abcd-0000-1111-2222-3333aaaaffff"},
    /* never valid */
    {"$anyvm", {0, 0, 0, 0}, 0, NULL},
    {"$adminvm", {0, 0, 0, 0}, 0, NULL},
    {"@dispvm:$tag:x", {0, 0, 0, 0}, 0, NULL},
    {"@dispvm:", {0, 0, 0, 0}, 0, NULL},
    {"@dispvm:dom0", {0, 0, 0, 0}, 0, NULL},
    {"@dispvm:@tag:", {0, 0, 0, 0}, 0, NULL},
    {"@dispvm:@tag:a/b", {0, 0, 0, 0}, 0, NULL},
    {"@tag:", {0, 0, 0, 0}, 0, NULL},
    {"@tag:a:b", {0, 0, 0, 0}, 0, NULL},
    {"@type:", {0, 0, 0, 0}, 0, NULL},
    {"@type:1VM", {0, 0, 0, 0}, 0, NULL},
    {"uuid:", {0, 0, 0, 0}, 0, NULL},
    {"uuid:0123abcd-0000-1111-2222-3333aaaaffffx", {0, 0, 0, 0}, 0, NULL},
    {"uuid:g123abcd-0000-1111-2222-3333aaaaffff", {0, 0, 0, 0}, 0, NULL},
    {"@uuid:0123abcd-0000-1111-2222-3333aaaaffff", {0, 0, 0, 0}, 0, NULL},
    {"@something", {0, 0, 0, 0}, 0, NULL},
    {"@anyvm:x", {0, 0, 0, 0}, 0, NULL},
    {"1work", {0, 0, 0, 0}, 0, NULL},
    {"none", {0, 0, 0, 0}, 0, NULL},
    {"default", {0, 0, 0, 0}, 0, NULL},
    {"Domain-0", {0, 0, 0, 0}, 0, NULL},
    {"vm-dm", {0, 0, 0, 0}, 0, NULL},
    {"a/b", {0, 0, 0, 0}, 0, NULL},
    {"abcdefghijabcdefghijabcdefghij12", {0, 0, 0, 0}, 0, NULL}, /* 32 characters */
    {"#x", {0, 0, 0, 0}, 0, NULL},
};

static void test_tokens_by_column(void **state)
{
    char why[V5_WHY_MAX];
    (void)state;

    for (size_t i = 0; i < sizeof(tok_cases) / sizeof(tok_cases[0]); i++) {
        const struct tok_case *c = &tok_cases[i];
        for (int col = 0; col < 4; col++) {
            struct v5_token t;
            int r = v5_parse_token(c->text, (enum v5_column)col, &t, why);
            if (c->in[col] != (r == 0))
                fail_msg("token '%s' in column %d: got %d (%s)", c->text, col, r, why);
            if (r == 0) {
                assert_int_equal(t.kind, c->kind);
                assert_string_equal(t.value, c->value);
            }
        }
    }
}

static void test_token_messages(void **state)
{
    (void)state;
    bad_line("s * $anyvm work allow",
             "source '$anyvm': the $ prefix is no longer supported, write @anyvm");
    bad_line("s * work $dispvm allow",
             "target '$dispvm': the $ prefix is no longer supported, write @dispvm");
    bad_line("s * @default work allow", "source: @default is only valid in the target column");
    bad_line("s * @dispvm work allow",
             "source: @dispvm is only valid as a target (use @dispvm:VM)");
    bad_line("s * work work allow target=@anyvm",
             "target=: @anyvm is only valid in the source and target columns");
    bad_line("s * work work allow target=*",
             "target=: * is only valid in the source and target columns");
    bad_line("s * work work ask default_target=@tag:x",
             "default_target=: @tag: is only valid in the source and target columns");
    bad_line("s * work work allow target=@default",
             "target=: @default is only valid in the target column");
    bad_line("s * @bogus work allow", "source '@bogus': unknown keyword");
    bad_line("s * work 9x allow", "target '9x': not a valid qube name or token");
    bad_line("s * work uuid:123 allow", "target 'uuid:123': invalid UUID");
    bad_line("s * @tag:a.b work deny", "source '@tag:a.b': invalid tag");
    bad_line("s * @type:App-VM work deny", "source '@type:App-VM': invalid qube class");
    bad_line("s * @dispvm:dom0 work deny", "source '@dispvm:dom0': not a qube name after @dispvm:");
    /* keywords and names in full lines, printed normalized */
    ok_line("s * dom0 dom0 allow target=dom0", "s * @adminvm @adminvm allow target=@adminvm");
    ok_line("s * @dispvm:@tag:x @dispvm:@tag:y deny", NULL);
    ok_line("s * uuid:0123ABCD-0000-1111-2222-3333aaaaffff @dispvm ask "
            "default_target=uuid:00000000-0000-0000-0000-000000000000",
            "s * uuid:0123abcd-0000-1111-2222-3333aaaaffff @dispvm ask "
            "default_target=uuid:00000000-0000-0000-0000-000000000000");
}

/* ---- service and argument ---- */

static void test_service_and_argument(void **state)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX];
    (void)state;

    ok_line("qubes.Filecopy * @anyvm @anyvm deny", NULL);
    ok_line("* * @anyvm @anyvm deny", NULL);
    ok_line("qubes.StartApp +firefox+private work work allow", NULL);
    ok_line("a-b_c.D +x.y_z-1 work work allow", NULL);
    /* "+" alone: the empty argument, not "any" */
    assert_int_equal(parse1("svc + work work allow", &p, err), 0);
    assert_false(p.rules[0].any_arg);
    assert_false(p.rules[0].any_service);
    assert_string_equal(p.rules[0].arg, "");
    assert_string_equal(p.rules[0].service, "svc");
    v5_policy_free(&p);
    assert_int_equal(parse1("svc * work work allow", &p, err), 0);
    assert_true(p.rules[0].any_arg);
    v5_policy_free(&p);

    bad_line("* +x @anyvm @anyvm deny", "a * service needs a * argument");
    bad_line("* + @anyvm @anyvm deny", "a * service needs a * argument");
    bad_line("svc+arg * work work allow",
             "service 'svc+arg': not a service name (A-Z a-z 0-9 _ . -) or *");
    bad_line("sv/c * work work allow",
             "service 'sv/c': not a service name (A-Z a-z 0-9 _ . -) or *");
    bad_line("svc arg work work allow", "argument 'arg': must be +ARG, + (empty) or *");
    bad_line("svc +a/b work work allow", "argument '+a/b': must be +ARG, + (empty) or *");
    bad_line("svc +* work work allow", "argument '+*': must be +ARG, + (empty) or *");
    /* V5_NAME_MAX bounds both */
    bad_line("s0123456789012345678901234567890123456789012345678901234567890123 * a b deny",
             /* the quote stops at 64 characters */
             "service 's012345678901234567890123456789012345678901234567890123456789012': "
             "not a service name (A-Z a-z 0-9 _ . -) or *");
    ok_line("s +012345678901234567890123456789012345678901234567890123456789012 a b deny", NULL);
    bad_line("s +0123456789012345678901234567890123456789012345678901234567890123 a b deny",
             "argument '+012345678901234567890123456789012345678901234567890123456789012': "
             "must be +ARG, + (empty) or *");
}

/* ---- actions and parameters ---- */

static void test_actions_and_parameters(void **state)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX];
    (void)state;

    ok_line("s * a b allow target=c user=root notify=yes autostart=no", NULL);
    ok_line("s * a b ask target=c default_target=d user=u1 notify=no autostart=yes", NULL);
    ok_line("s * a b deny notify=no", NULL);
    /* printed in the fixed order whatever the written one */
    ok_line("s * a b ask autostart=no user=u notify=yes default_target=@dispvm target=@dispvm:x",
            "s * a b ask target=@dispvm:x default_target=@dispvm user=u notify=yes autostart=no");
    /* tabs and runs of spaces separate like one space */
    ok_line("s\t*  a \t b   deny  ", "s * a b deny");

    assert_int_equal(parse1("s * a b allow", &p, err), 0);
    assert_int_equal(p.rules[0].action, V5_ALLOW);
    assert_int_equal(p.rules[0].notify, V5_UNSET);
    assert_int_equal(p.rules[0].autostart, V5_UNSET);
    assert_false(p.rules[0].has_redirect);
    assert_false(p.rules[0].has_default_target);
    assert_string_equal(p.rules[0].user, "");
    assert_string_equal(p.rules[0].file, "t.policy");
    assert_int_equal(p.rules[0].line, 1);
    v5_policy_free(&p);
    assert_int_equal(parse1("s * a b ask notify=no autostart=yes", &p, err), 0);
    assert_int_equal(p.rules[0].action, V5_ASK);
    assert_int_equal(p.rules[0].notify, 0);
    assert_int_equal(p.rules[0].autostart, 1);
    v5_policy_free(&p);

    bad_line("s * a b permit", "action 'permit': must be allow, deny or ask");
    bad_line("s * a b", "expected SERVICE ARGUMENT SOURCE TARGET ACTION [PARAMETERS]");
    bad_line("s * a b Allow", "action 'Allow': must be allow, deny or ask");
    bad_line("s * a b deny target=c", "target= is not valid for deny");
    bad_line("s * a b deny user=u", "user= is not valid for deny");
    bad_line("s * a b deny autostart=no", "autostart= is not valid for deny");
    bad_line("s * a b deny default_target=c", "default_target= is not valid for deny");
    bad_line("s * a b allow default_target=c", "default_target= is not valid for allow");
    bad_line("s * a b allow target=c target=d", "target= given twice");
    bad_line("s * a b ask notify=yes notify=yes", "notify= given twice");
    bad_line("s * a b allow color=red", "unknown parameter 'color='");
    bad_line("s * a b allow user", "'user': parameters are key=value");
    bad_line("s * a b allow user=", "user= needs a value");
    bad_line("s * a b allow user=a/b", "user=a/b: not a user name");
    bad_line("s * a b allow user=-x", "user=-x: not a user name");
    bad_line("s * a b allow notify=true", "notify=true: must be yes or no");
    bad_line("s * a b allow autostart=1", "autostart=1: must be yes or no");
    bad_line("s * a b allow,user=x", "action 'allow,user=x': must be allow, deny or ask");
    /* @default needs a real destination on allow; ask may leave it open */
    bad_line("s * a @default allow", "allow for target @default needs target=");
    ok_line("s * a @default allow target=b", NULL);
    ok_line("s * a @default ask", NULL);
    ok_line("s * a @default deny", NULL);
    /* comments: whole lines only */
    bad_line("s * a b deny # why", "'#': comments must be on their own line");
    bad_line("s * a b deny #why", "'#why': comments must be on their own line");
    bad_line("s * a #b deny", "target '#b': comments must be on their own line");
    assert_int_equal(parse1("# s * a b deny\n   # indented\n\n \t \n", &p, err), 0);
    assert_int_equal(p.count, 0);
    v5_policy_free(&p);
}

static void test_line_limits(void **state)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX], big[V5_LINE_MAX + 64];
    (void)state;

    bad_line("s * a b deny\r", "control character 0x0d in the line");
    bad_line("s * a\x01 b deny", "control character 0x01 in the line");
    bad_line("s * a b deny notify=no notify=no notify=no notify=no notify=no notify=no notify=no "
             "notify=no notify=no notify=no notify=no notify=no",
             "more than 16 fields");
    /* a comment line may have any number of words */
    memset(&p, 0, sizeof(p));
    assert_int_equal(v5_parse_file(NULL, "t.policy", "/",
                                   "  # one two three four five six seven eight nine ten eleven "
                                   "twelve thirteen fourteen fifteen sixteen seventeen\n",
                                   strlen("  # one two three four five six seven eight nine ten "
                                          "eleven twelve thirteen fourteen fifteen sixteen "
                                          "seventeen\n"),
                                   &p, err),
                     0);
    assert_int_equal(p.count, 0);
    v5_policy_free(&p);
    /* high bytes never reach the message as they are */
    bad_line("s * a\xc3\xa9 b deny", "source 'a?"
                                     "?': not a valid qube name or token");
    memset(big, 'a', sizeof(big));
    big[sizeof(big) - 1] = '\0';
    bad_line(big, "line longer than 1024 bytes or with a NUL byte");
    memset(&p, 0, sizeof(p));
    assert_int_equal(v5_parse_file(NULL, "t.policy", "/", "#\n\0y", 4, &p, err), -EINVAL);
    assert_string_equal(err, "t.policy:2: line longer than 1024 bytes or with a NUL byte");
    /* the error names the right line; nothing of the file is kept */
    memset(&p, 0, sizeof(p));
    assert_int_equal(parse1("s * a b deny\n\n# c\ns * a b nope\n", &p, err), -EINVAL);
    assert_string_equal(err, "t.policy:4: action 'nope': must be allow, deny or ask");
    assert_int_equal(p.count, 0);
    /* no final newline is fine */
    assert_int_equal(parse1("s * a b deny", &p, err), 0);
    assert_int_equal(p.count, 1);
    v5_policy_free(&p);
}

/* ---- files and folders ---- */

static void test_order_and_names(void **state)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX], out[4096];
    FS({"/etc/qubes/policy.d/50-b.policy", "b * a b deny\n"},
       {"/etc/qubes/policy.d/10-a.policy", "a1 * a b deny\na2 * a b deny\n"},
       {"/etc/qubes/policy.d/50-B.txt", "ignored, not .policy\n"},
       {"/etc/qubes/policy.d/.hidden.policy", "ignored, hidden\n"},
       {"/etc/qubes/policy.d/README", "ignored\n"},
       {"/etc/qubes/policy.d/50-a_b.policy", "ab * a b deny\n"},
       {"/etc/qubes/policy.d/50-a.b.policy", "a.b * a b deny\n"},
       {"/etc/qubes/policy.d/50-a-b.policy", "a-b * a b deny\n"},
       {"/run/qubes/policy.d/00-run.policy", "run * a b deny\n"});
    (void)state;

    assert_int_equal(load(&files, &p, err), 0);
    table(&p, out, sizeof(out));
    /* C-locale byte order: '-' < '.' < '_'; /etc before /run whatever the names */
    assert_string_equal(out, "a1 * a b deny\na2 * a b deny\na-b * a b deny\na.b * a b deny\n"
                             "ab * a b deny\nb * a b deny\nrun * a b deny\n");
    assert_string_equal(p.rules[0].file, "/etc/qubes/policy.d/10-a.policy");
    assert_int_equal(p.rules[1].line, 2);
    assert_string_equal(p.rules[6].file, "/run/qubes/policy.d/00-run.policy");
    v5_policy_free(&p);
}

static void test_bad_names_and_missing_folders(void **state)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX];
    (void)state;
    {
        FS({"/etc/qubes/policy.d/30-User.policy", "s * a b deny\n"},
           {"/etc/qubes/policy.d/10-a.policy", "s * a b deny\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/30-User.policy: invalid file name (only "
                                 "0-9 a-z _ . - are allowed)");
        assert_int_equal(p.count, 0);
        assert_null(p.rules);
    }
    {
        FS({"/etc/qubes/policy.d/a b.policy", "s * a b deny\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/a b.policy: invalid file name (only 0-9 "
                                 "a-z _ . - are allowed)");
    }
    {
        /* neither folder: an empty policy, which denies everything */
        FS({"/elsewhere", "x"});
        assert_int_equal(load(&files, &p, err), 0);
        assert_int_equal(p.count, 0);
        v5_policy_free(&p);
    }
    {
        /* an error in a later folder rejects the earlier one's rules too */
        FS({"/etc/qubes/policy.d/10-a.policy", "s * a b deny\n"},
           {"/run/qubes/policy.d/10-a.policy", "s * a b deny\nbroken\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/run/qubes/policy.d/10-a.policy:2: expected SERVICE ARGUMENT "
                                 "SOURCE TARGET ACTION [PARAMETERS]");
        assert_int_equal(p.count, 0);
    }
}

static void test_include(void **state)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX], out[4096];
    (void)state;
    {
        FS({"/etc/qubes/policy.d/10-a.policy",
            "first * a b deny\n!include include/x\n!include /opt/abs\nlast * a b deny\n"},
           {"/etc/qubes/policy.d/include/x", "x1 * a b deny\n!include include/y\n"},
           {"/etc/qubes/policy.d/include/y", "y1 * a b deny\n"}, {"/opt/abs", "abs * a b deny\n"});
        assert_int_equal(load(&files, &p, err), 0);
        table(&p, out, sizeof(out));
        assert_string_equal(out, "first * a b deny\nx1 * a b deny\ny1 * a b deny\n"
                                 "abs * a b deny\nlast * a b deny\n");
        assert_string_equal(p.rules[1].file, "/etc/qubes/policy.d/include/x");
        assert_int_equal(p.rules[4].line, 4);
        v5_policy_free(&p);
    }
    {
        FS({"/etc/qubes/policy.d/10-a.policy", "s * a b deny\n!include nothere\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/10-a.policy:2: cannot read "
                                 "/etc/qubes/policy.d/nothere: No such file or directory");
    }
    {
        FS({"/etc/qubes/policy.d/10-a.policy", "!include inc/a\n"},
           {"/etc/qubes/policy.d/inc/a", "!include inc/b\n"},
           {"/etc/qubes/policy.d/inc/b", "\n!include inc/a\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/inc/b:2: /etc/qubes/policy.d/inc/a is "
                                 "already being read (include cycle)");
    }
    {
        /* a chain of distinct files ends at the depth bound */
        FS({"/etc/qubes/policy.d/10-a.policy", "!include d1\n"},
           {"/etc/qubes/policy.d/d1", "!include d2\n"}, {"/etc/qubes/policy.d/d2", "!include d3\n"},
           {"/etc/qubes/policy.d/d3", "!include d4\n"}, {"/etc/qubes/policy.d/d4", "!include d5\n"},
           {"/etc/qubes/policy.d/d5", "!include d6\n"}, {"/etc/qubes/policy.d/d6", "!include d7\n"},
           {"/etc/qubes/policy.d/d7", "!include d8\n"}, {"/etc/qubes/policy.d/d8", "!include d9\n"},
           {"/etc/qubes/policy.d/d9", "!include d10\n"},
           {"/etc/qubes/policy.d/d10", "!include d11\n"},
           {"/etc/qubes/policy.d/d11", "!include d12\n"},
           {"/etc/qubes/policy.d/d12", "!include d13\n"},
           {"/etc/qubes/policy.d/d13", "!include d14\n"},
           {"/etc/qubes/policy.d/d14", "!include d15\n"},
           {"/etc/qubes/policy.d/d15", "!include d16\n"},
           {"/etc/qubes/policy.d/d16", "!include d17\n"},
           {"/etc/qubes/policy.d/d17", "!include d18\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/d15:1: includes nested deeper than 16");
    }
    {
        FS({"/etc/qubes/policy.d/10-a.policy", "!include\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/10-a.policy:1: !include takes one path");
    }
    {
        FS({"/etc/qubes/policy.d/10-a.policy", "!include a b\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/10-a.policy:1: !include takes one path");
    }
    {
        FS({"/etc/qubes/policy.d/10-a.policy", "!include a*b\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/10-a.policy:1: invalid path 'a*b' "
                                 "(allowed: A-Z a-z 0-9 _ . + - /)");
    }
    {
        FS({"/etc/qubes/policy.d/10-a.policy", "!frobnicate x\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err,
                            "/etc/qubes/policy.d/10-a.policy:1: unknown directive '!frobnicate'");
    }
}

static void test_include_dir(void **state)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX], out[4096];
    (void)state;
    {
        FS({"/etc/qubes/policy.d/10-a.policy", "!include-dir extra\nend * a b deny\n"},
           {"/etc/qubes/policy.d/extra/b.policy", "b * a b deny\n"},
           {"/etc/qubes/policy.d/extra/a.policy", "a * a b deny\n"},
           {"/etc/qubes/policy.d/extra/notes.txt", "ignored\n"});
        assert_int_equal(load(&files, &p, err), 0);
        table(&p, out, sizeof(out));
        assert_string_equal(out, "a * a b deny\nb * a b deny\nend * a b deny\n");
        assert_string_equal(warned, "");
        v5_policy_free(&p);
    }
    {
        FS({"/etc/qubes/policy.d/10-a.policy", "!include-dir extra\n"},
           {"/etc/qubes/policy.d/extra", NULL});
        assert_int_equal(load(&files, &p, err), 0);
        assert_int_equal(p.count, 0);
        assert_string_equal(warned, "/etc/qubes/policy.d/10-a.policy:1: !include-dir "
                                    "/etc/qubes/policy.d/extra: no policy files there");
        v5_policy_free(&p);
    }
    {
        FS({"/etc/qubes/policy.d/10-a.policy", "!include-dir extra\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/10-a.policy:1: cannot list "
                                 "/etc/qubes/policy.d/extra: No such file or directory");
    }
    {
        FS({"/etc/qubes/policy.d/10-a.policy", "!include-dir extra\n"},
           {"/etc/qubes/policy.d/extra/X.policy", "b * a b deny\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/extra/X.policy: invalid file name (only "
                                 "0-9 a-z _ . - are allowed)");
    }
}

static void test_include_service(void **state)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX], out[4096];
    (void)state;
    {
        FS({"/etc/qubes/policy.d/90-admin.policy",
            "!include-service admin.vm.List * include/admin-ro\n"
            "!include-service admin.vm.Start +x include/admin-ro\n"
            "!include-service * * include/all\n"},
           {"/etc/qubes/policy.d/include/admin-ro",
            "# old syntax\n@adminvm @tag:x allow,target=dom0,user=root\n"
            "@anyvm @anyvm deny\n"},
           {"/etc/qubes/policy.d/include/all", "@anyvm @default ask,default_target=work\n"});
        assert_int_equal(load(&files, &p, err), 0);
        table(&p, out, sizeof(out));
        assert_string_equal(out, "admin.vm.List * @adminvm @tag:x allow target=@adminvm user=root\n"
                                 "admin.vm.List * @anyvm @anyvm deny\n"
                                 "admin.vm.Start +x @adminvm @tag:x allow target=@adminvm "
                                 "user=root\n"
                                 "admin.vm.Start +x @anyvm @anyvm deny\n"
                                 "* * @anyvm @default ask default_target=work\n");
        assert_string_equal(p.rules[0].file, "/etc/qubes/policy.d/include/admin-ro");
        assert_int_equal(p.rules[0].line, 2);
        v5_policy_free(&p);
    }
    {
        FS({"/etc/qubes/policy.d/90-admin.policy", "!include-service * +x include/x\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/90-admin.policy:1: a * service needs a * "
                                 "argument");
    }
    {
        FS({"/etc/qubes/policy.d/90-admin.policy", "!include-service a * inc\n"},
           {"/etc/qubes/policy.d/inc", "@anyvm @anyvm allow user=x\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/inc:1: expected SOURCE TARGET "
                                 "ACTION[,key=value...]");
    }
    {
        FS({"/etc/qubes/policy.d/90-admin.policy", "!include-service a * inc\n"},
           {"/etc/qubes/policy.d/inc", "$anyvm @anyvm deny\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/inc:1: source '$anyvm': the $ prefix is "
                                 "no longer supported, write @anyvm");
    }
    {
        FS({"/etc/qubes/policy.d/90-admin.policy", "!include-service a * inc\n"},
           {"/etc/qubes/policy.d/inc", "!include other\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/inc:1: directives are not allowed in this "
                                 "file");
    }
    {
        FS({"/etc/qubes/policy.d/90-admin.policy", "!include-service a * inc\n"},
           {"/etc/qubes/policy.d/inc", "a @default allow\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/inc:1: allow for target @default needs "
                                 "target=");
    }
    {
        FS({"/etc/qubes/policy.d/90-admin.policy", "!include-service a inc\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/90-admin.policy:1: !include-service takes "
                                 "SERVICE|* +ARG|* FILE");
    }
}

static void test_compat(void **state)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX], out[4096];
    (void)state;
    {
        FS({"/etc/qubes/policy.d/35-compat.policy", "!compat-4.0\n"},
           {"/etc/qubes/policy.d/90-default.policy", "* * @anyvm @anyvm deny\n"},
           {"/etc/qubes-rpc/policy/qubes.Filecopy", "$anyvm $anyvm ask\n"},
           {"/etc/qubes-rpc/policy/qubes.Filecopy+x",
            "work $dispvm:$tag:t allow\n$tag:a $default ask,default_target=$dispvm\n"},
           {"/etc/qubes-rpc/policy/qubes.Filecopy~", "junk\n"},
           {"/etc/qubes-rpc/policy/qubes.Filecopy.rpmnew", "junk\n"},
           {"/etc/qubes-rpc/policy/.swp", "junk\n"},
           {"/etc/qubes-rpc/policy/include/admin-local-ro", "junk\n"});
        assert_int_equal(load(&files, &p, err), 0);
        table(&p, out, sizeof(out));
        /* the argument's file first, closed by its implicit deny */
        assert_string_equal(out, "qubes.Filecopy +x work @dispvm:@tag:t allow\n"
                                 "qubes.Filecopy +x @tag:a @default ask default_target=@dispvm\n"
                                 "qubes.Filecopy +x * * deny\n"
                                 "qubes.Filecopy * @anyvm @anyvm ask\n"
                                 "* * @anyvm @anyvm deny\n");
        assert_string_equal(p.rules[2].file, "/etc/qubes-rpc/policy/qubes.Filecopy+x");
        assert_int_equal(p.rules[2].line, 0);
        assert_string_equal(p.rules[3].file, "/etc/qubes-rpc/policy/qubes.Filecopy");
        v5_policy_free(&p);
    }
    {
        /* no R4.0 folder: nothing to add */
        FS({"/etc/qubes/policy.d/35-compat.policy", "!compat-4.0\n"});
        assert_int_equal(load(&files, &p, err), 0);
        assert_int_equal(p.count, 0);
        v5_policy_free(&p);
    }
    {
        FS({"/etc/qubes/policy.d/35-compat.policy", "!compat-4.0\n"},
           {"/etc/qubes-rpc/policy/bad name", "@anyvm @anyvm deny\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes-rpc/policy/bad name: invalid R4.0 policy file name "
                                 "(SERVICE or SERVICE+ARG)");
    }
    {
        FS({"/etc/qubes/policy.d/35-compat.policy", "!compat-4.0\n"},
           {"/etc/qubes-rpc/policy/x", "@anyvm @anyvm allow,frob=1\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes-rpc/policy/x:1: unknown parameter 'frob='");
    }
    {
        FS({"/etc/qubes/policy.d/35-compat.policy", "!compat-4.0 now\n"});
        assert_int_equal(load(&files, &p, err), -EINVAL);
        assert_string_equal(err, "/etc/qubes/policy.d/35-compat.policy:1: !compat-4.0 takes "
                                 "nothing");
    }
    {
        /* the folder can be moved (tests, qrexec-policy-check) */
        struct v5_load_options o = {NULL, NULL, "/compat"};
        FS({"/p/35-compat.policy", "!compat-4.0\n"}, {"/compat/a", "@anyvm @anyvm deny\n"});
        const char *dirs[] = {"/p"};
        assert_int_equal(v5_load_with(&files, dirs, 1, &o, &p, err), 0);
        assert_int_equal(p.count, 1);
        v5_policy_free(&p);
    }
}

/* v5_parse_file on error keeps what was there before, drops its own. */
static void test_parse_file_appends(void **state)
{
    struct v5_policy p;
    char err[V5_ERROR_MAX];
    const char *good = "a * x y deny\n", *bad = "b * x y deny\nc * x y nope\n";
    (void)state;

    memset(&p, 0, sizeof(p));
    assert_int_equal(v5_parse_file(NULL, "1", "/", good, strlen(good), &p, err), 0);
    assert_int_equal(v5_parse_file(NULL, "2", "/", bad, strlen(bad), &p, err), -EINVAL);
    assert_string_equal(err, "2:2: action 'nope': must be allow, deny or ask");
    assert_int_equal(p.count, 1);
    assert_int_equal(v5_parse_file(NULL, "3", "/", good, strlen(good), &p, err), 0);
    assert_int_equal(p.count, 2);
    v5_policy_free(&p);
}

/* Every rule above survives format -> parse -> format. */
static void test_format_round_trip(void **state)
{
    static const char *const lines[] = {
        "* * * * deny",
        "s + @anyvm @default ask target=@dispvm default_target=@dispvm:x user=u notify=no "
        "autostart=yes",
        "s +a.b @tag:t @type:TemplateVM allow target=uuid:00000000-0000-0000-0000-000000000000",
        "s * @dispvm:@tag:t @dispvm:w allow target=w notify=yes",
        "s * dom0 @adminvm deny notify=yes",
    };
    char err[V5_ERROR_MAX], a[4096], b[4096], small[8];
    (void)state;

    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct v5_policy p, q;
        assert_int_equal(parse1(lines[i], &p, err), 0);
        table(&p, a, sizeof(a));
        assert_int_equal(parse1(a, &q, err), 0);
        table(&q, b, sizeof(b));
        assert_string_equal(a, b);
        assert_int_equal(v5_format_rule(&p.rules[0], small, sizeof(small)), -ENOSPC);
        assert_int_equal(strlen(small), sizeof(small) - 1);
        v5_policy_free(&p);
        v5_policy_free(&q);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_by_column),
        cmocka_unit_test(test_token_messages),
        cmocka_unit_test(test_service_and_argument),
        cmocka_unit_test(test_actions_and_parameters),
        cmocka_unit_test(test_line_limits),
        cmocka_unit_test(test_order_and_names),
        cmocka_unit_test(test_bad_names_and_missing_folders),
        cmocka_unit_test(test_include),
        cmocka_unit_test(test_include_dir),
        cmocka_unit_test(test_include_service),
        cmocka_unit_test(test_compat),
        cmocka_unit_test(test_parse_file_appends),
        cmocka_unit_test(test_format_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
