/* The v5 policy evaluator (v5.h; semantics: the interop spec, section 2).
 * The first rule matching service, argument, source and intended target
 * decides; its action is then applied: a redirect, autostart, the ask
 * candidates. Pure: the same table, qube list and request always give
 * the same decision. (dom0.) */
#include "qrexec/policy/v5.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DOM0_UUID "00000000-0000-0000-0000-000000000000"

/* ---- the index: service name -> the rules that can match it ---- */

struct bucket {
    const char *service; /* NULL: an empty slot */
    uint32_t *rules;
    size_t count, cap;
};

struct v5_index {
    struct bucket *slots; /* open addressing, size a power of two */
    size_t mask;
    struct bucket wild; /* the "*" rules alone: for services no rule names */
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: short keys, no attacker-chosen table */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct bucket *slot_for(const struct v5_index *ix, const char *service)
{
    for (size_t i = hash_str(service) & ix->mask;; i = (i + 1) & ix->mask)
        if (!ix->slots[i].service || !strcmp(ix->slots[i].service, service))
            return &ix->slots[i];
}

static int bucket_add(struct bucket *b, uint32_t rule)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        uint32_t *grown = realloc(b->rules, cap * sizeof(*grown));
        if (!grown)
            return -ENOMEM;
        b->rules = grown;
        b->cap = cap;
    }
    b->rules[b->count++] = rule;
    return 0;
}

void v5_index_free(struct v5_index *ix)
{
    if (!ix)
        return;
    for (size_t i = 0; i <= ix->mask; i++)
        free(ix->slots[i].rules);
    free(ix->slots);
    free(ix->wild.rules);
    free(ix);
}

int v5_index_build(const struct v5_policy *p, struct v5_index **out)
{
    struct v5_index *ix = calloc(1, sizeof(*ix));
    size_t size = 16;

    *out = NULL;
    if (!ix)
        return -ENOMEM;
    while (size < 2 * p->count + 16)
        size *= 2;
    ix->mask = size - 1;
    ix->slots = calloc(size, sizeof(*ix->slots));
    if (!ix->slots)
        goto nomem;
    /* first the buckets, so that every one gets the "*" rules that come
     * before its first rule too; then the rules, in table order */
    for (size_t i = 0; i < p->count; i++)
        if (!p->rules[i].any_service)
            slot_for(ix, p->rules[i].service)->service = p->rules[i].service;
    for (size_t i = 0; i < p->count; i++) {
        if (!p->rules[i].any_service) {
            if (bucket_add(slot_for(ix, p->rules[i].service), (uint32_t)i) < 0)
                goto nomem;
            continue;
        }
        if (bucket_add(&ix->wild, (uint32_t)i) < 0)
            goto nomem;
        for (size_t s = 0; s <= ix->mask; s++)
            if (ix->slots[s].service && bucket_add(&ix->slots[s], (uint32_t)i) < 0)
                goto nomem;
    }
    *out = ix;
    return 0;
nomem:
    v5_index_free(ix);
    return -ENOMEM;
}

/* ---- the qubes ---- */

const struct v5_qube *v5_system_find(const struct v5_system *sys, const char *name)
{
    if (!strcmp(name, "@adminvm"))
        name = "dom0";
    for (size_t i = 0; i < sys->count; i++)
        if (!strcmp(sys->qubes[i].name, name))
            return &sys->qubes[i];
    return NULL;
}

static const struct v5_qube *find_uuid(const struct v5_system *sys, const char *uuid)
{
    for (size_t i = 0; i < sys->count; i++)
        if (!strcasecmp(sys->qubes[i].uuid, uuid))
            return &sys->qubes[i];
    return NULL;
}

static bool is_dom0(const struct v5_qube *q)
{
    return !strcmp(q->name, "dom0");
}

static bool has_tag(const struct v5_qube *q, const char *tag)
{
    for (size_t i = 0; i < q->ntags; i++)
        if (!strcmp(q->tags[i], tag))
            return true;
    return false;
}

/* The template a new disposable would come from, if it may. */
static const struct v5_qube *dispvm_template(const struct v5_system *sys, const char *name)
{
    const struct v5_qube *t = name[0] ? v5_system_find(sys, name) : NULL;
    return t && t->template_for_dispvms ? t : NULL;
}

/* ---- matching ---- */

/* What a call is to: not yet decided (@default), a qube, or a new
 * disposable of a template (tmpl NULL: the source has no usable
 * default_dispvm); keyword: asked for as plain @dispvm. */
struct target {
    enum { TG_DEFAULT, TG_QUBE, TG_DISPVM } kind;
    const struct v5_qube *q;
    bool keyword;
};

static bool match_source(const struct v5_token *t, const struct v5_system *sys,
                         const struct v5_qube *src)
{
    const struct v5_qube *tmpl;

    switch (t->kind) {
    case V5_TOK_ANY:
        return true;
    case V5_TOK_NAME:
        return !strcmp(src->name, t->value);
    case V5_TOK_ADMINVM:
        return is_dom0(src);
    case V5_TOK_ANYVM:
        return !is_dom0(src);
    case V5_TOK_TAG:
        return has_tag(src, t->value);
    case V5_TOK_TYPE:
        return !strcmp(src->klass, t->value);
    case V5_TOK_UUID:
        return !strcasecmp(src->uuid, t->value);
    /* a disposable's default_dispvm names the template it was made from
     * (the qube list's convention: v5_qube has no template field) */
    case V5_TOK_DISPVM_VM:
        return !strcmp(src->klass, "DispVM") && !strcmp(src->default_dispvm, t->value);
    case V5_TOK_DISPVM_TAG:
        tmpl = strcmp(src->klass, "DispVM") ? NULL : dispvm_template(sys, src->default_dispvm);
        return tmpl && has_tag(tmpl, t->value);
    default:
        return false;
    }
}

static bool match_target(const struct v5_token *t, const struct target *tg)
{
    bool qube = tg->kind == TG_QUBE, disp = tg->kind == TG_DISPVM && tg->q;

    switch (t->kind) {
    case V5_TOK_ANY:
        return true;
    case V5_TOK_NAME:
        return qube && !strcmp(tg->q->name, t->value);
    case V5_TOK_ADMINVM:
        return qube && is_dom0(tg->q);
    case V5_TOK_ANYVM:
        return !(qube && is_dom0(tg->q));
    case V5_TOK_DEFAULT:
        return tg->kind == TG_DEFAULT;
    case V5_TOK_DISPVM:
        return tg->kind == TG_DISPVM && tg->keyword;
    case V5_TOK_DISPVM_VM:
        return disp && !strcmp(tg->q->name, t->value);
    case V5_TOK_DISPVM_TAG:
        return disp && has_tag(tg->q, t->value);
    case V5_TOK_TAG:
        return qube && has_tag(tg->q, t->value);
    case V5_TOK_TYPE:
        return qube && !strcmp(tg->q->klass, t->value);
    case V5_TOK_UUID:
        return qube && (!strcasecmp(tg->q->uuid, t->value) ||
                        (is_dom0(tg->q) && !strcmp(t->value, DOM0_UUID)));
    }
    return false;
}

struct call {
    const struct v5_policy *p;
    const struct v5_index *ix;
    const struct v5_system *sys;
    const struct v5_qube *src;
    const char *service, *arg;
};

static bool rule_matches(const struct call *c, const struct v5_rule *r, const struct target *tg)
{
    if (!r->any_service &&
        (strcmp(r->service, c->service) || (!r->any_arg && strcmp(r->arg, c->arg))))
        return false;
    return match_source(&r->source, c->sys, c->src) && match_target(&r->target, tg);
}

static const struct v5_rule *first_match(const struct call *c, const struct target *tg)
{
    const struct bucket *b;

    if (!c->ix) {
        for (size_t i = 0; i < c->p->count; i++)
            if (rule_matches(c, &c->p->rules[i], tg))
                return &c->p->rules[i];
        return NULL;
    }
    b = slot_for(c->ix, c->service);
    if (!b->service)
        b = &c->ix->wild;
    for (size_t i = 0; i < b->count; i++)
        if (rule_matches(c, &c->p->rules[b->rules[i]], tg))
            return &c->p->rules[b->rules[i]];
    return NULL;
}

/* ---- naming where a call goes ---- */

/* The reply's name for a target: a qube's name, @adminvm, or
 * @dispvm:TEMPLATE; false if there is no such place (@default, or a
 * disposable without a template). running: whether it needs no start. */
static bool target_name(const struct target *tg, char out[V5_NAME_MAX], bool *running)
{
    if (tg->kind == TG_DEFAULT || !tg->q)
        return false;
    if (tg->kind == TG_DISPVM) {
        snprintf(out, V5_NAME_MAX, "@dispvm:%s", tg->q->name);
        *running = true; /* a new disposable: autostart=no does not apply */
    } else {
        snprintf(out, V5_NAME_MAX, "%s", is_dom0(tg->q) ? "@adminvm" : tg->q->name);
        *running = tg->q->running;
    }
    return true;
}

/* A redirect or default_target token as a target. */
static bool token_target(const struct call *c, const struct v5_token *t, struct target *tg)
{
    memset(tg, 0, sizeof(*tg));
    tg->kind = TG_QUBE;
    switch (t->kind) {
    case V5_TOK_NAME:
        tg->q = v5_system_find(c->sys, t->value);
        break;
    case V5_TOK_ADMINVM:
        tg->q = v5_system_find(c->sys, "dom0");
        break;
    case V5_TOK_UUID:
        tg->q = find_uuid(c->sys, t->value);
        break;
    case V5_TOK_DISPVM:
        tg->kind = TG_DISPVM;
        tg->keyword = true;
        tg->q = dispvm_template(c->sys, c->src->default_dispvm);
        break;
    case V5_TOK_DISPVM_VM:
        tg->kind = TG_DISPVM;
        tg->q = dispvm_template(c->sys, t->value);
        break;
    default:
        return false;
    }
    return tg->q != NULL;
}

/* Where a matched allow or ask rule sends the call: its redirect, or the
 * target asked for. */
static bool destination(const struct call *c, const struct v5_rule *r, const struct target *tg,
                        char out[V5_NAME_MAX], bool *running)
{
    struct target red;

    if (r->has_redirect)
        return token_target(c, &r->redirect, &red) && target_name(&red, out, running);
    return target_name(tg, out, running);
}

/* ---- ask candidates ---- */

static void add_candidate(struct v5_decision *d, const char *name)
{
    for (size_t i = 0; i < d->ask_count; i++)
        if (!strcmp(d->ask_targets[i], name))
            return;
    if (d->ask_count < V5_MAX_ASK_TARGETS)
        snprintf(d->ask_targets[d->ask_count++], V5_NAME_MAX, "%s", name);
}

/* Whether some place would be allowed or asked if it were the target. */
static void try_candidate(const struct call *c, const struct target *tg, struct v5_decision *d)
{
    const struct v5_rule *r = first_match(c, tg);
    char name[V5_NAME_MAX];
    bool running;

    if (!r || r->action == V5_DENY || !destination(c, r, tg, name, &running))
        return;
    if (r->autostart == 0 && !running)
        return;
    if (!strcmp(name, c->src->name))
        return; /* a call back to its own source cannot be made */
    add_candidate(d, name);
}

static void ask_candidates(const struct call *c, const struct v5_rule *r, struct v5_decision *d)
{
    struct target tg = {.kind = TG_QUBE};

    if (r->has_redirect) { /* the rule names the one place */
        char name[V5_NAME_MAX];
        bool running;
        if (destination(c, r, NULL, name, &running) && (r->autostart != 0 || running))
            add_candidate(d, name);
        return;
    }
    for (size_t i = 0; i < c->sys->count; i++) {
        tg.q = &c->sys->qubes[i];
        try_candidate(c, &tg, d);
    }
    tg.kind = TG_DISPVM;
    tg.keyword = true;
    tg.q = dispvm_template(c->sys, c->src->default_dispvm);
    if (tg.q)
        try_candidate(c, &tg, d);
    tg.keyword = false;
    for (size_t i = 0; i < c->sys->count; i++)
        if (c->sys->qubes[i].template_for_dispvms) {
            tg.q = &c->sys->qubes[i];
            try_candidate(c, &tg, d);
        }
}

/* ---- the decision ---- */

static int deny(struct v5_decision *d, int rc, const char *fmt, const char *what)
{
    d->action = V5_DENY;
    d->notify = true;
    d->target[0] = '\0';
    snprintf(d->reason, sizeof(d->reason), fmt, what);
    return rc;
}

static bool valid_word(const char *s, bool empty_ok)
{
    if (!*s)
        return empty_ok;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

/* The intended target of a request; -EINVAL for a qube that does not
 * exist or a malformed one, 1 for a real target that cannot be used. */
static int intended(const struct call *c, const char *t, struct target *tg)
{
    memset(tg, 0, sizeof(*tg));
    if (!*t || !strcmp(t, "@default")) {
        tg->kind = TG_DEFAULT;
        return 0;
    }
    tg->kind = TG_QUBE;
    if (!strcmp(t, "@adminvm") || !strcmp(t, "dom0")) {
        tg->q = v5_system_find(c->sys, "dom0");
    } else if (!strcmp(t, "@dispvm")) {
        tg->kind = TG_DISPVM;
        tg->keyword = true;
        tg->q = dispvm_template(c->sys, c->src->default_dispvm);
        return 0; /* only rules for plain @dispvm can match; allow then fails */
    } else if (!strncmp(t, "@dispvm:", 8)) {
        tg->kind = TG_DISPVM;
        tg->q = v5_system_find(c->sys, t + 8);
        if (!tg->q)
            return -EINVAL;
        return tg->q->template_for_dispvms ? 0 : 1;
    } else if (!strncmp(t, "uuid:", 5)) {
        tg->q = find_uuid(c->sys, t + 5);
    } else if (t[0] != '@') {
        tg->q = v5_system_find(c->sys, t);
    }
    return tg->q ? 0 : -EINVAL;
}

int v5_evaluate_indexed(const struct v5_policy *p, const struct v5_index *ix,
                        const struct v5_system *sys, const struct v5_request *req,
                        struct v5_decision *out)
{
    struct call c = {.p = p, .ix = ix, .sys = sys, .service = req->service, .arg = req->arg};
    const struct v5_rule *r;
    struct target tg;
    bool running = true;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!valid_word(req->service, false) || !valid_word(req->arg ? req->arg : "", true) ||
        strlen(req->service) >= V5_NAME_MAX)
        return deny(out, -EINVAL, "malformed service %s", req->service);
    if (!req->arg)
        c.arg = "";
    c.src = v5_system_find(sys, !strcmp(req->source, "@adminvm") ? "dom0" : req->source);
    if (!c.src)
        return deny(out, -EINVAL, "no qube %s (source)", req->source);
    rc = intended(&c, req->target ? req->target : "", &tg);
    if (rc < 0)
        return deny(out, -EINVAL, "no qube %s (target)", req->target);
    if (rc > 0)
        return deny(out, 0, "%s is not a template for disposables", req->target);
    r = first_match(&c, &tg);
    out->rule = r;
    if (!r)
        return deny(out, 0, "no rule matches%s", "");
    out->action = r->action;
    snprintf(out->user, sizeof(out->user), "%s", r->user);
    out->autostart = r->autostart != 0;
    out->notify = r->action == V5_DENY ? r->notify != 0 : r->notify == 1;
    if (r->action == V5_DENY) {
        snprintf(out->reason, sizeof(out->reason), "denied by %s:%d", r->file, r->line);
        return 0;
    }
    if (r->action == V5_ALLOW) {
        if (!destination(&c, r, &tg, out->target, &running))
            return deny(out, 0, "allowed, but %s names no qube to call (no target=)",
                        req->target && *req->target ? req->target : "@default");
        if (!out->autostart && !running)
            return deny(out, 0, "%s is not running and the rule says autostart=no", out->target);
        return 0;
    }
    /* ask: the user picks among the places some rule would let the call go */
    out->ask_targets = calloc(V5_MAX_ASK_TARGETS, sizeof(*out->ask_targets));
    if (!out->ask_targets)
        return deny(out, -ENOMEM, "out of memory%s", "");
    ask_candidates(&c, r, out);
    if (out->ask_count == 0) {
        v5_decision_free(out);
        return deny(out, 0, "ask, but no target could be offered%s", "");
    }
    {
        char pre[V5_NAME_MAX] = "";
        struct target dt;
        if (r->has_redirect)
            destination(&c, r, &tg, pre, &running);
        else if (r->has_default_target && token_target(&c, &r->default_target, &dt))
            target_name(&dt, pre, &running);
        else if (tg.kind != TG_DEFAULT)
            target_name(&tg, pre, &running);
        for (size_t i = 0; i < out->ask_count; i++)
            if (!strcmp(out->ask_targets[i], pre))
                snprintf(out->default_target, sizeof(out->default_target), "%s", pre);
    }
    snprintf(out->target, sizeof(out->target), "%s", out->default_target);
    return 0;
}

int v5_evaluate(const struct v5_policy *p, const struct v5_system *sys,
                const struct v5_request *req, struct v5_decision *out)
{
    return v5_evaluate_indexed(p, NULL, sys, req, out);
}

void v5_decision_free(struct v5_decision *d)
{
    free(d->ask_targets);
    d->ask_targets = NULL;
    d->ask_count = 0;
}
