/* The v5 evaluator on hand-built tables (no parser involved) and the qube
 * list parser: every token and parameter, redirects, @default, autostart,
 * tags, types, uuids, disposables, ordering, ask candidates, and the index
 * giving the same answers as a plain scan. */
#include "qrexec/policy/v5.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A token from its policy spelling (the tests' own tiny reader). */
static struct v5_token tok(const char *s)
{
    struct v5_token t = {0};
    static const struct {
        const char *prefix;
        enum v5_token_kind kind;
    } pre[] = {{"@dispvm:@tag:", V5_TOK_DISPVM_TAG},
               {"@dispvm:", V5_TOK_DISPVM_VM},
               {"@tag:", V5_TOK_TAG},
               {"@type:", V5_TOK_TYPE},
               {"uuid:", V5_TOK_UUID}};

    if (!strcmp(s, "*"))
        t.kind = V5_TOK_ANY;
    else if (!strcmp(s, "@adminvm") || !strcmp(s, "dom0"))
        t.kind = V5_TOK_ADMINVM;
    else if (!strcmp(s, "@anyvm"))
        t.kind = V5_TOK_ANYVM;
    else if (!strcmp(s, "@default"))
        t.kind = V5_TOK_DEFAULT;
    else if (!strcmp(s, "@dispvm"))
        t.kind = V5_TOK_DISPVM;
    else {
        t.kind = V5_TOK_NAME;
        for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
            if (!strncmp(s, pre[i].prefix, strlen(pre[i].prefix))) {
                t.kind = pre[i].kind;
                s += strlen(pre[i].prefix);
                break;
            }
        snprintf(t.value, sizeof(t.value), "%s", s);
    }
    return t;
}

/* Appends "SERVICE ARG SOURCE TARGET ACTION [k=v ...]" (arg "*", "+" or
 * "+X") to the table, as rule number `line` of file "t.policy". */
static void add(struct v5_policy *p, const char *line)
{
    char buf[512], *save = NULL, *w[16];
    int n = 0;
    struct v5_rule *r;

    snprintf(buf, sizeof(buf), "%s", line);
    for (char *x = strtok_r(buf, " ", &save); x && n < 16; x = strtok_r(NULL, " ", &save))
        w[n++] = x;
    assert_true(n >= 5);
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->rules = realloc(p->rules, p->cap * sizeof(*p->rules));
        assert_non_null(p->rules);
    }
    r = &p->rules[p->count++];
    memset(r, 0, sizeof(*r));
    r->any_service = !strcmp(w[0], "*");
    snprintf(r->service, sizeof(r->service), "%s", r->any_service ? "" : w[0]);
    r->any_arg = !strcmp(w[1], "*");
    snprintf(r->arg, sizeof(r->arg), "%s", r->any_arg ? "" : w[1] + 1);
    r->source = tok(w[2]);
    r->target = tok(w[3]);
    r->action = !strcmp(w[4], "allow") ? V5_ALLOW : !strcmp(w[4], "deny") ? V5_DENY : V5_ASK;
    r->notify = r->autostart = V5_UNSET;
    for (int i = 5; i < n; i++) {
        char *v = strchr(w[i], '=') + 1;
        if (!strncmp(w[i], "target=", 7))
            r->has_redirect = true, r->redirect = tok(v);
        else if (!strncmp(w[i], "default_target=", 15))
            r->has_default_target = true, r->default_target = tok(v);
        else if (!strncmp(w[i], "user=", 5))
            snprintf(r->user, sizeof(r->user), "%s", v);
        else if (!strncmp(w[i], "notify=", 7))
            r->notify = !strcmp(v, "yes");
        else if (!strncmp(w[i], "autostart=", 10))
            r->autostart = !strcmp(v, "yes");
    }
    snprintf(r->file, sizeof(r->file), "t.policy");
    r->line = (int)p->count;
}

static const char SYSTEM[] =
    "# the test machine\n"
    "dom0 class=AdminVM\n"
    "work class=AppVM uuid=11111111-2222-3333-4444-555555555555 tags=office,mail running=yes "
    "default_dispvm=dvm\n"
    "personal class=AppVM tags=home running=yes\n"
    "vault class=AppVM running=no\n"
    "sys-net class=AppVM tags=net running=yes\n"
    "dvm class=AppVM tags=office template_for_dispvms=yes\n"
    "dvm2 class=AppVM template_for_dispvms=yes\n"
    "disp123 class=DispVM default_dispvm=dvm running=yes\n"
    "debian class=TemplateVM\n";

static struct v5_system sys_load(void)
{
    struct v5_system s;
    char err[V5_ERROR_MAX];

    assert_int_equal(v5_parse_system(SYSTEM, strlen(SYSTEM), &s, err), 0);
    return s;
}

/* Evaluates with and without the index and checks both agree. */
static int eval(const struct v5_policy *p, const struct v5_system *s, const char *src,
                const char *tgt, const char *svc, const char *arg, struct v5_decision *d)
{
    struct v5_request rq = {.source = src, .target = tgt, .service = svc, .arg = arg};
    struct v5_decision d2;
    struct v5_index *ix;
    int rc, rc2;

    rc = v5_evaluate(p, s, &rq, d);
    assert_int_equal(v5_index_build(p, &ix), 0);
    rc2 = v5_evaluate_indexed(p, ix, s, &rq, &d2);
    assert_int_equal(rc, rc2);
    assert_int_equal(d->action, d2.action);
    assert_ptr_equal(d->rule, d2.rule);
    assert_string_equal(d->target, d2.target);
    assert_int_equal(d->ask_count, d2.ask_count);
    v5_decision_free(&d2);
    v5_index_free(ix);
    return rc;
}

#define EXPECT(p, s, src, tgt, svc, arg, act_, target_, line_)                                     \
    do {                                                                                           \
        struct v5_decision d_;                                                                     \
        assert_int_equal(eval(p, s, src, tgt, svc, arg, &d_), 0);                                  \
        assert_int_equal(d_.action, act_);                                                         \
        assert_string_equal(d_.target, target_);                                                   \
        if (line_)                                                                                 \
            assert_int_equal(d_.rule->line, line_);                                                \
        else                                                                                       \
            assert_null(d_.rule);                                                                  \
        v5_decision_free(&d_);                                                                     \
    } while (0)

static void test_system_parser(void **state)
{
    struct v5_system s;
    char err[V5_ERROR_MAX];
    const struct v5_qube *q;
    (void)state;

    s = sys_load();
    assert_int_equal(s.count, 9);
    q = v5_system_find(&s, "work");
    assert_non_null(q);
    assert_string_equal(q->klass, "AppVM");
    assert_int_equal(q->ntags, 2);
    assert_string_equal(q->tags[1], "mail");
    assert_true(q->running);
    assert_string_equal(q->default_dispvm, "dvm");
    assert_false(v5_system_find(&s, "vault")->running);
    assert_true(v5_system_find(&s, "dvm")->template_for_dispvms);
    assert_ptr_equal(v5_system_find(&s, "@adminvm"), v5_system_find(&s, "dom0"));
    v5_system_free(&s);

    /* dom0 is added when missing, with its all-zero uuid, running */
    assert_int_equal(v5_parse_system("a class=AppVM\n", 14, &s, err), 0);
    assert_int_equal(s.count, 2);
    q = v5_system_find(&s, "dom0");
    assert_string_equal(q->uuid, "00000000-0000-0000-0000-000000000000");
    assert_true(q->running);
    v5_system_free(&s);
    assert_int_equal(v5_parse_system("", 0, &s, err), 0);
    assert_int_equal(s.count, 1);
    v5_system_free(&s);

    static const struct {
        const char *text, *err;
    } bad[] = {
        {"a\n", "1: class= is missing"},
        {"# c\na class=Laptop\n", "2: unknown class Laptop"},
        {"a class=AppVM\na class=AppVM\n", "2: a or its uuid is listed twice"},
        {"a class=AppVM uuid=x\n", "1: bad uuid"},
        {"a class=AppVM colour=red\n", "1: unknown key colour"},
        {"a class=AdminVM\n", "1: only dom0 is of class AdminVM"},
        {"dom0 class=AppVM\n", "1: only dom0 is of class AdminVM"},
        {"a class=AppVM tags=x,\n", "1: bad tags"},
        {"a class=AppVM tags=x/y\n", "1: bad tags"},
        {"a class=AppVM running=maybe\n", "1: running must be yes or no"},
        {"1a class=AppVM\n", "1: bad qube name"},
        {"a class=AppVM default_dispvm=@x\n", "1: bad default_dispvm"},
        {"a class=AppVM noeq\n", "1: noeq is not key=value"},
        {"a class=AppVM\0\n", "1: line too long or contains NUL"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len = strlen(bad[i].text) + (strstr(bad[i].err, "NUL") ? 2 : 0);
        assert_int_equal(v5_parse_system(bad[i].text, len, &s, err), -EINVAL);
        assert_string_equal(err, bad[i].err);
        assert_int_equal(s.count, 0);
    }
}

static void test_names_order_args(void **state)
{
    struct v5_policy p = {0};
    struct v5_system s = sys_load();
    (void)state;

    add(&p, "test.A +x work personal deny");
    add(&p, "test.A * work personal allow user=alice");
    add(&p, "test.A + work vault allow");
    add(&p, "* * work sys-net allow");
    EXPECT(&p, &s, "work", "personal", "test.A", "x", V5_DENY, "", 1);
    EXPECT(&p, &s, "work", "personal", "test.A", "y", V5_ALLOW, "personal", 2);
    EXPECT(&p, &s, "work", "personal", "test.A", "", V5_ALLOW, "personal", 2);
    /* "+" is the empty argument only */
    EXPECT(&p, &s, "work", "vault", "test.A", "", V5_ALLOW, "vault", 3);
    EXPECT(&p, &s, "work", "vault", "test.A", "z", V5_DENY, "", 0);
    /* "*" services match whatever no earlier rule decided */
    EXPECT(&p, &s, "work", "sys-net", "other.Service", "q", V5_ALLOW, "sys-net", 4);
    EXPECT(&p, &s, "personal", "work", "test.A", "", V5_DENY, "", 0);

    struct v5_decision d;
    assert_int_equal(eval(&p, &s, "work", "personal", "test.A", "y", &d), 0);
    assert_string_equal(d.user, "alice");
    assert_true(d.autostart);
    assert_false(d.notify);
    /* nothing matched: deny, notified */
    assert_int_equal(eval(&p, &s, "personal", "work", "test.A", "", &d), 0);
    assert_true(d.notify);
    assert_non_null(strstr(d.reason, "no rule"));
    free(p.rules);
    v5_system_free(&s);
}

static void test_anyvm_adminvm(void **state)
{
    struct v5_policy p = {0};
    struct v5_system s = sys_load();
    (void)state;

    add(&p, "t.A * @anyvm @anyvm allow");
    add(&p, "t.A * @anyvm @adminvm allow");
    add(&p, "t.A * dom0 @anyvm allow");
    add(&p, "t.B * @anyvm dom0 allow");
    /* @anyvm target: every qube but dom0 */
    EXPECT(&p, &s, "work", "personal", "t.A", "", V5_ALLOW, "personal", 1);
    EXPECT(&p, &s, "work", "dom0", "t.A", "", V5_ALLOW, "@adminvm", 2);
    EXPECT(&p, &s, "work", "@adminvm", "t.A", "", V5_ALLOW, "@adminvm", 2);
    /* @anyvm source: not dom0 */
    EXPECT(&p, &s, "dom0", "work", "t.A", "", V5_ALLOW, "work", 3);
    /* "dom0" in a rule is @adminvm */
    EXPECT(&p, &s, "work", "@adminvm", "t.B", "", V5_ALLOW, "@adminvm", 4);
    free(p.rules);
    v5_system_free(&s);
}

static void test_default_target(void **state)
{
    struct v5_policy p = {0};
    struct v5_system s = sys_load();
    struct v5_decision d;
    (void)state;

    add(&p, "t.A * work @default allow target=personal");
    add(&p, "t.B * work @anyvm allow");
    add(&p, "t.C * work @default allow target=dom0");
    add(&p, "t.D * work @default allow target=uuid:11111111-2222-3333-4444-555555555555");
    EXPECT(&p, &s, "work", "@default", "t.A", "", V5_ALLOW, "personal", 1);
    EXPECT(&p, &s, "work", "", "t.A", "", V5_ALLOW, "personal", 1);
    /* @anyvm matches @default, but an allow must say where to */
    assert_int_equal(eval(&p, &s, "work", "@default", "t.B", "", &d), 0);
    assert_int_equal(d.action, V5_DENY);
    assert_int_equal(d.rule->line, 2);
    assert_non_null(strstr(d.reason, "target="));
    EXPECT(&p, &s, "work", "@default", "t.C", "", V5_ALLOW, "@adminvm", 3);
    EXPECT(&p, &s, "work", "@default", "t.D", "", V5_ALLOW, "work", 4);
    /* a named target is not @default */
    EXPECT(&p, &s, "work", "personal", "t.A", "", V5_DENY, "", 0);
    free(p.rules);
    v5_system_free(&s);
}

static void test_redirect_keeps_action(void **state)
{
    struct v5_policy p = {0};
    struct v5_system s = sys_load();
    (void)state;

    add(&p, "t.A * work personal allow target=vault");
    add(&p, "t.A * work vault deny");
    add(&p, "t.B * work personal allow target=nosuch");
    EXPECT(&p, &s, "work", "personal", "t.A", "", V5_ALLOW, "vault", 1);
    EXPECT(&p, &s, "work", "vault", "t.A", "", V5_DENY, "", 2);
    /* a redirect to a qube that does not exist decides deny */
    EXPECT(&p, &s, "work", "personal", "t.B", "", V5_DENY, "", 3);
    free(p.rules);
    v5_system_free(&s);
}

static void test_tags_types_uuid(void **state)
{
    struct v5_policy p = {0};
    struct v5_system s = sys_load();
    (void)state;

    add(&p, "t.A * @tag:office @tag:home allow");
    add(&p, "t.B * @type:AppVM @type:TemplateVM allow");
    add(&p, "t.C * uuid:11111111-2222-3333-4444-555555555555 @type:AdminVM allow");
    add(&p, "t.D * @anyvm uuid:00000000-0000-0000-0000-000000000000 allow");
    add(&p, "t.E * @type:DispVM @tag:net allow");
    add(&p, "t.U * @anyvm uuid:11111111-2222-3333-4444-555555555555 allow");
    EXPECT(&p, &s, "work", "personal", "t.A", "", V5_ALLOW, "personal", 1);
    EXPECT(&p, &s, "personal", "work", "t.A", "", V5_DENY, "", 0);
    EXPECT(&p, &s, "dvm", "personal", "t.A", "", V5_ALLOW, "personal", 1);
    EXPECT(&p, &s, "vault", "debian", "t.B", "", V5_ALLOW, "debian", 2);
    EXPECT(&p, &s, "vault", "work", "t.B", "", V5_DENY, "", 0);
    EXPECT(&p, &s, "work", "dom0", "t.C", "", V5_ALLOW, "@adminvm", 3);
    EXPECT(&p, &s, "personal", "dom0", "t.C", "", V5_DENY, "", 0);
    EXPECT(&p, &s, "personal", "dom0", "t.D", "", V5_ALLOW, "@adminvm", 4);
    EXPECT(&p, &s, "disp123", "sys-net", "t.E", "", V5_ALLOW, "sys-net", 5);
    /* a request may name its target by uuid */
    EXPECT(&p, &s, "personal", "uuid:11111111-2222-3333-4444-555555555555", "t.U", "", V5_ALLOW,
           "work", 6);
    EXPECT(&p, &s, "personal", "work", "t.U", "", V5_ALLOW, "work", 6);
    EXPECT(&p, &s, "personal", "uuid:00000000-0000-0000-0000-000000000000", "t.D", "", V5_ALLOW,
           "@adminvm", 4);
    free(p.rules);
    v5_system_free(&s);
}

static void test_unknown_qubes(void **state)
{
    struct v5_policy p = {0};
    struct v5_system s = sys_load();
    struct v5_decision d;
    (void)state;

    add(&p, "* * * * allow");
    assert_int_equal(eval(&p, &s, "ghost", "work", "t.A", "", &d), -EINVAL);
    assert_int_equal(d.action, V5_DENY);
    assert_non_null(strstr(d.reason, "ghost"));
    assert_int_equal(eval(&p, &s, "work", "ghost", "t.A", "", &d), -EINVAL);
    assert_int_equal(d.action, V5_DENY);
    assert_int_equal(
        eval(&p, &s, "work", "uuid:99999999-2222-3333-4444-555555555555", "t.A", "", &d), -EINVAL);
    assert_int_equal(eval(&p, &s, "work", "@dispvm:ghost", "t.A", "", &d), -EINVAL);
    assert_int_equal(eval(&p, &s, "work", "@weird", "t.A", "", &d), -EINVAL);
    assert_int_equal(eval(&p, &s, "work", "personal", "bad/svc", "", &d), -EINVAL);
    assert_int_equal(eval(&p, &s, "work", "personal", "t.A", "a b", &d), -EINVAL);
    free(p.rules);
    v5_system_free(&s);
}

static void test_dispvm(void **state)
{
    struct v5_policy p = {0};
    struct v5_system s = sys_load();
    (void)state;

    add(&p, "t.A * work @dispvm allow");
    add(&p, "t.A * personal @dispvm allow");
    add(&p, "t.B * @anyvm @dispvm:dvm2 allow");
    add(&p, "t.C * @anyvm @dispvm:@tag:office allow");
    add(&p, "t.D * @dispvm:dvm @anyvm allow");
    add(&p, "t.E * @anyvm @dispvm:dvm allow");
    add(&p, "t.F * work personal allow target=@dispvm");
    add(&p, "t.G * work personal allow target=@dispvm:dvm2");
    add(&p, "t.H * @dispvm:@tag:office @anyvm allow");
    /* @dispvm: a new disposable of the source's default_dispvm */
    EXPECT(&p, &s, "work", "@dispvm", "t.A", "", V5_ALLOW, "@dispvm:dvm", 1);
    /* personal has none: nowhere to go */
    EXPECT(&p, &s, "personal", "@dispvm", "t.A", "", V5_DENY, "", 2);
    EXPECT(&p, &s, "work", "@dispvm:dvm2", "t.B", "", V5_ALLOW, "@dispvm:dvm2", 3);
    EXPECT(&p, &s, "work", "@dispvm:dvm", "t.B", "", V5_DENY, "", 0);
    /* only templates for disposables */
    EXPECT(&p, &s, "work", "@dispvm:personal", "t.B", "", V5_DENY, "", 0);
    EXPECT(&p, &s, "work", "@dispvm:dvm", "t.C", "", V5_ALLOW, "@dispvm:dvm", 4);
    EXPECT(&p, &s, "work", "@dispvm", "t.C", "", V5_ALLOW, "@dispvm:dvm", 4);
    EXPECT(&p, &s, "work", "@dispvm:dvm2", "t.C", "", V5_DENY, "", 0);
    /* @dispvm:@tag:T and @tag:T are different things */
    EXPECT(&p, &s, "work", "dvm", "t.C", "", V5_DENY, "", 0);
    /* a source disposable of dvm */
    EXPECT(&p, &s, "disp123", "work", "t.D", "", V5_ALLOW, "work", 5);
    EXPECT(&p, &s, "work", "personal", "t.D", "", V5_DENY, "", 0);
    EXPECT(&p, &s, "disp123", "work", "t.H", "", V5_ALLOW, "work", 9);
    /* @dispvm:VM in the target column matches plain @dispvm of that default */
    EXPECT(&p, &s, "work", "@dispvm", "t.E", "", V5_ALLOW, "@dispvm:dvm", 6);
    EXPECT(&p, &s, "work", "personal", "t.F", "", V5_ALLOW, "@dispvm:dvm", 7);
    EXPECT(&p, &s, "work", "personal", "t.G", "", V5_ALLOW, "@dispvm:dvm2", 8);
    /* @anyvm matches the @dispvm forms */
    add(&p, "t.I * work @anyvm allow");
    EXPECT(&p, &s, "work", "@dispvm", "t.I", "", V5_ALLOW, "@dispvm:dvm", 10);
    free(p.rules);
    v5_system_free(&s);
}

static void test_autostart_notify_user(void **state)
{
    struct v5_policy p = {0};
    struct v5_system s = sys_load();
    struct v5_decision d;
    (void)state;

    add(&p, "t.A * work @anyvm allow autostart=no notify=yes user=bob");
    add(&p, "t.B * work @anyvm deny notify=no");
    add(&p, "t.C * work @anyvm allow autostart=yes");
    EXPECT(&p, &s, "work", "personal", "t.A", "", V5_ALLOW, "personal", 1);
    EXPECT(&p, &s, "work", "vault", "t.A", "", V5_DENY, "", 1);
    /* a new disposable is not "not running" */
    EXPECT(&p, &s, "work", "@dispvm", "t.A", "", V5_ALLOW, "@dispvm:dvm", 1);
    EXPECT(&p, &s, "work", "vault", "t.C", "", V5_ALLOW, "vault", 3);
    assert_int_equal(eval(&p, &s, "work", "personal", "t.A", "", &d), 0);
    assert_false(d.autostart);
    assert_true(d.notify);
    assert_string_equal(d.user, "bob");
    assert_int_equal(eval(&p, &s, "work", "vault", "t.A", "", &d), 0);
    assert_non_null(strstr(d.reason, "autostart=no"));
    assert_int_equal(eval(&p, &s, "work", "vault", "t.B", "", &d), 0);
    assert_false(d.notify);
    assert_int_equal(eval(&p, &s, "work", "vault", "t.C", "", &d), 0);
    assert_true(d.autostart);
    assert_false(d.notify);
    free(p.rules);
    v5_system_free(&s);
}

static bool offered(const struct v5_decision *d, const char *t)
{
    for (size_t i = 0; i < d->ask_count; i++)
        if (!strcmp(d->ask_targets[i], t))
            return true;
    return false;
}

static void test_ask(void **state)
{
    struct v5_policy p = {0};
    struct v5_system s = sys_load();
    struct v5_decision d;
    (void)state;

    add(&p, "t.A * work vault deny");
    add(&p, "t.A * work @tag:home allow");
    add(&p, "t.A * work @default ask default_target=personal");
    add(&p, "t.A * work sys-net ask");
    add(&p, "t.A * work @dispvm:dvm2 ask");
    add(&p, "t.A * work dom0 deny");
    add(&p, "t.A * work @anyvm deny");
    add(&p, "t.B * work @anyvm ask default_target=vault");
    add(&p, "t.C * work @default ask target=sys-net");
    add(&p, "t.D * work @anyvm ask autostart=no");
    add(&p, "t.E * work vault ask");

    assert_int_equal(eval(&p, &s, "work", "@default", "t.A", "", &d), 0);
    assert_int_equal(d.action, V5_ASK);
    assert_int_equal(d.rule->line, 3);
    /* personal (allowed by tag) and sys-net and @dispvm:dvm2 (asked);
     * not vault, dom0 or anything else (denied) */
    assert_int_equal(d.ask_count, 3);
    assert_true(offered(&d, "personal"));
    assert_true(offered(&d, "sys-net"));
    assert_true(offered(&d, "@dispvm:dvm2"));
    assert_string_equal(d.default_target, "personal");
    v5_decision_free(&d);

    /* a named target is preselected; every qube but the source offered */
    assert_int_equal(eval(&p, &s, "work", "personal", "t.B", "", &d), 0);
    assert_int_equal(d.action, V5_ASK);
    assert_false(offered(&d, "work"));
    assert_false(offered(&d, "@adminvm"));
    assert_true(offered(&d, "vault"));
    assert_true(offered(&d, "@dispvm:dvm"));
    assert_true(offered(&d, "@dispvm:dvm2"));
    assert_true(offered(&d, "debian"));
    assert_string_equal(d.default_target, "vault");
    v5_decision_free(&d);

    /* ask with target=: that one place */
    assert_int_equal(eval(&p, &s, "work", "@default", "t.C", "", &d), 0);
    assert_int_equal(d.ask_count, 1);
    assert_string_equal(d.ask_targets[0], "sys-net");
    assert_string_equal(d.default_target, "sys-net");
    v5_decision_free(&d);

    /* autostart=no leaves out what is not running; a default_target that
     * is not a candidate is not preselected */
    assert_int_equal(eval(&p, &s, "work", "vault", "t.D", "", &d), 0);
    assert_int_equal(d.action, V5_ASK);
    assert_false(offered(&d, "vault"));
    assert_true(offered(&d, "personal"));
    assert_string_equal(d.default_target, "");
    v5_decision_free(&d);

    /* nothing to offer: deny */
    add(&p, "t.F * work vault ask autostart=no");
    assert_int_equal(eval(&p, &s, "work", "vault", "t.F", "", &d), 0);
    assert_int_equal(d.action, V5_DENY);
    v5_decision_free(&d);
    free(p.rules);
    v5_system_free(&s);
}

/* The index must give what a plain scan gives, also for rules with "*"
 * services before and after named ones. */
static void test_index_order(void **state)
{
    struct v5_policy p = {0};
    struct v5_system s = sys_load();
    static const char *const svcs[] = {"a.X", "b.Y", "c.Z", "d.W"};
    static const char *const srcs[] = {"work", "personal", "@anyvm", "@tag:office", "*"};
    static const char *const tgts[] = {"vault", "@anyvm", "@type:AppVM", "sys-net", "*"};
    static const char *const acts[] = {"allow", "deny", "ask"};
    unsigned seed = 7;
    (void)state;

    for (int i = 0; i < 300; i++) {
        char line[256];
        seed = seed * 1103515245u + 12345u;
        snprintf(line, sizeof(line), "%s * %s %s %s",
                 (seed >> 8) % 7 == 0 ? "*" : svcs[(seed >> 4) % 4], srcs[(seed >> 12) % 5],
                 tgts[(seed >> 16) % 5], acts[(seed >> 20) % 3]);
        add(&p, line);
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 5; j++) {
            struct v5_decision d;
            const char *src = j % 2 ? "work" : "personal";
            eval(&p, &s, src, "sys-net", svcs[i], "", &d); /* eval() compares both */
            v5_decision_free(&d);
            eval(&p, &s, src, "vault", "e.None", "", &d);
            v5_decision_free(&d);
        }
    free(p.rules);
    v5_system_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_system_parser),         cmocka_unit_test(test_names_order_args),
        cmocka_unit_test(test_anyvm_adminvm),         cmocka_unit_test(test_default_target),
        cmocka_unit_test(test_redirect_keeps_action), cmocka_unit_test(test_tags_types_uuid),
        cmocka_unit_test(test_unknown_qubes),         cmocka_unit_test(test_dispvm),
        cmocka_unit_test(test_autostart_notify_user), cmocka_unit_test(test_ask),
        cmocka_unit_test(test_index_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
