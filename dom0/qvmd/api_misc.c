/* Admin API: features, tags, notes, labels and classes (pools: api_storage.c). */
#include "dom0/qvmd/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int need_arg(struct api_call *a)
{
    if (!a->rq->arg[0])
        return qerr_set(&a->e, "QubesValueError", "%s needs an argument", a->rq->method);
    return 0;
}

static int no_arg(struct api_call *a)
{
    if (a->rq->arg[0])
        return qerr_set(&a->e, "QubesValueError", "%s takes no argument", a->rq->method);
    return 0;
}

static int feature_line(void *ctx, const char *k, const char *v)
{
    (void)v;
    return api_out(ctx, "%s\n", k) < 0;
}

/* A feature of the qube, or where the ecosystem looks next when the qube
 * has none: its template (CheckWithTemplate), the qube that gives it
 * network, and that one's (CheckWithNetvm), dom0 (CheckWithAdminVM), or the
 * template then dom0. 0 with the value, -1 when no one has it, -2 for an
 * unknown method. */
static int feature_lookup(struct api_call *a, const char *op, char *v, size_t vsz)
{
    struct store *s = a->c->store;
    const char *k = a->rq->arg;
    struct vm_info vm = a->vm;

    if (!strcmp(op, "Get"))
        return store_feature_get(s, vm.qid, k, v, vsz) < 0 ? -1 : 0;
    if (!strcmp(op, "CheckWithTemplate"))
        return store_feature_with_template(s, &vm, k, v, vsz) < 0 ? -1 : 0;
    if (!strcmp(op, "CheckWithAdminVM"))
        return store_feature_get(s, vm.qid, k, v, vsz) >= 0 ||
                       store_feature_get(s, 0, k, v, vsz) >= 0
                   ? 0
                   : -1;
    if (!strcmp(op, "CheckWithTemplateAndAdminVM"))
        return store_feature_with_template(s, &vm, k, v, vsz) >= 0 ||
                       store_feature_get(s, 0, k, v, vsz) >= 0
                   ? 0
                   : -1;
    if (strcmp(op, "CheckWithNetvm"))
        return -2;
    /* netvm chains have no loops (the store refuses them); the bound is a
     * second guard */
    for (int hops = 0; hops < 16; hops++) {
        char net[64];
        bool dflt;
        struct qerr e;
        if (store_feature_get(s, vm.qid, k, v, vsz) >= 0)
            return 0;
        if (store_prop_get(s, &vm, "netvm", net, sizeof(net), &dflt, NULL, &e) < 0 || !net[0] ||
            store_vm_find(s, net, &vm) < 0)
            return -1;
    }
    return -1;
}

static int feature(struct api_call *a, const char *op)
{
    struct store *s = a->c->store;
    const char *k = a->rq->arg;
    char v[1100], old[1100], ev[192];
    bool had;
    int r;

    if (!strcmp(op, "List"))
        return no_arg(a) < 0 ? -1 : (store_feature_list(s, a->vm.qid, feature_line, a), 0);
    if (need_arg(a) < 0)
        return -1;
    if (!strcmp(op, "Get") || !strncmp(op, "CheckWith", 9)) {
        r = feature_lookup(a, op, v, sizeof(v));
        if (r == -2)
            return qerr_set(&a->e, "QubesException", "unknown method %s", a->rq->method);
        if (r < 0)
            return qerr_set(&a->e, "QubesFeatureNotFoundError", "%s has no feature %s", a->vm.name,
                            k);
        return api_out(a, "%s", v) < 0 ? -1 : 0;
    }
    if (!strcmp(op, "Set")) {
        r = store_feature_set(s, a->vm.qid, k, a->payload, old, sizeof(old), &had, &a->e);
        if (r < 0)
            return -1;
        snprintf(ev, sizeof(ev), "feature-set:%s", k);
        if (had)
            api_emit(a, a->vm.name, ev, "feature", k, "value", a->payload, "oldvalue", old, NULL);
        else
            api_emit(a, a->vm.name, ev, "feature", k, "value", a->payload, NULL);
        return 0;
    }
    if (!strcmp(op, "Remove")) {
        if (store_feature_remove(s, a->vm.qid, k, &a->e) < 0)
            return -1;
        snprintf(ev, sizeof(ev), "feature-delete:%s", k);
        api_emit(a, a->vm.name, ev, "feature", k, NULL);
        return 0;
    }
    return qerr_set(&a->e, "QubesException", "unknown method %s", a->rq->method);
}

static int tag_line(void *ctx, const char *t)
{
    return api_out(ctx, "%s\n", t) < 0;
}

static int tag(struct api_call *a, const char *op)
{
    struct store *s = a->c->store;
    const char *t = a->rq->arg;
    char ev[192];
    int r;

    if (!strcmp(op, "List"))
        return no_arg(a) < 0 ? -1 : (store_tag_list(s, a->vm.qid, tag_line, a), 0);
    if (need_arg(a) < 0)
        return -1;
    if (!strcmp(op, "Get"))
        return api_out(a, "%d", store_tag_has(s, a->vm.qid, t) > 0) < 0 ? -1 : 0;
    if (!strcmp(op, "Set")) {
        r = store_tag_set(s, a->vm.qid, t, &a->e);
        if (r < 0)
            return -1;
        snprintf(ev, sizeof(ev), "tag-add:%s", t);
        if (r > 0)
            api_emit(a, a->vm.name, ev, "tag", t, NULL);
        return 0;
    }
    if (!strcmp(op, "Remove")) {
        if (store_tag_remove(s, a->vm.qid, t, &a->e) < 0)
            return -1;
        snprintf(ev, sizeof(ev), "tag-delete:%s", t);
        api_emit(a, a->vm.name, ev, "tag", t, NULL);
        return 0;
    }
    return qerr_set(&a->e, "QubesException", "unknown method %s", a->rq->method);
}

static int notes(struct api_call *a, const char *op)
{
    char *text;

    if (no_arg(a) < 0)
        return -1;
    if (!strcmp(op, "Get")) {
        if (store_notes_get(a->c->store, a->vm.qid, &text) < 0)
            return qerr_set(&a->e, "QubesException", "cannot read notes");
        int r = api_out(a, "%s", text);
        free(text);
        return r < 0 ? -1 : 0;
    }
    if (!strcmp(op, "Set"))
        return store_notes_set(a->c->store, a->vm.qid, a->payload, a->plen, &a->e);
    return qerr_set(&a->e, "QubesException", "unknown method %s", a->rq->method);
}

static int label(struct api_call *a, const char *op)
{
    const struct label_def *l;

    if (!a->rq->dest_dom0)
        return qerr_set(&a->e, "QubesException", "%s must be called on dom0", a->rq->method);
    if (!strcmp(op, "List")) {
        if (no_arg(a) < 0)
            return -1;
        for (size_t i = 0; i < 8; i++)
            api_out(a, "%s\n", labels[i].name);
        return 0;
    }
    if (!strcmp(op, "Create") || !strcmp(op, "Remove"))
        return qerr_set(&a->e, "QubesValueError",
                        "labels are the eight standard ones; %s is not supported", a->rq->method);
    if (strcmp(op, "Get") && strcmp(op, "Index"))
        return qerr_set(&a->e, "QubesException", "unknown method %s", a->rq->method);
    l = label_find(a->rq->arg);
    if (!l)
        return qerr_set(&a->e, "QubesLabelNotFoundError", "no such label: %s", a->rq->arg);
    return !strcmp(op, "Get") ? api_out(a, "0x%06x", l->color) : api_out(a, "%d", l->index);
}

int api_misc_method(struct api_call *a, bool *handled)
{
    const char *m = a->rq->method;

    *handled = true;
    if (!strncmp(m, "admin.vm.feature.", 17))
        return feature(a, m + 17);
    if (!strncmp(m, "admin.vm.tag.", 13))
        return tag(a, m + 13);
    if (!strncmp(m, "admin.vm.notes.", 15))
        return notes(a, m + 15);
    if (!strncmp(m, "admin.label.", 12))
        return label(a, m + 12);
    if (!strcmp(m, "admin.vmclass.List")) {
        if (no_arg(a) < 0)
            return -1;
        for (int c = 0; c < VC_COUNT; c++)
            api_out(a, "%s\n", vm_class_name((enum vm_class)c));
        return 0;
    }
    *handled = false;
    return 0;
}
