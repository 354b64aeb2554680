/* Admin API: qubes (List, Create, Remove, Clone) and properties of qubes
 * (admin.vm.property.*) and of the system (admin.property.*). */
#include "dom0/qvmd/api.h"
#include "dom0/qvmd/lifecycle.h"
#include "dom0/qvmd/store_storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int need_dom0(struct api_call *a)
{
    if (!a->rq->dest_dom0)
        return qerr_set(&a->e, "QubesException", "%s must be called on dom0", a->rq->method);
    return 0;
}

static int need_empty_arg(struct api_call *a)
{
    if (a->rq->arg[0])
        return qerr_set(&a->e, "QubesValueError", "%s takes no argument", a->rq->method);
    return 0;
}

static int list_line(void *ctx, const struct vm_info *vm)
{
    struct api_call *a = ctx;
    /* dom0 always runs */
    return api_out(a, "%s class=%s state=%s\n", vm->name, vm_class_name(vm->cls),
                   vm->cls == VC_ADMIN ? "Running"
                   : a->c->lc          ? lc_power_name(lc_state(a->c->lc, vm->qid))
                                       : "Halted") < 0;
}

static int vm_list(struct api_call *a)
{
    if (need_empty_arg(a) < 0)
        return -1;
    if (!a->rq->dest_dom0)
        return list_line(a, &a->vm) ? -1 : 0;
    store_vm_list(a->c->store, list_line, a);
    return 0;
}

/* Payload "name=NAME label=LABEL" (keys in any order, each once); with
 * in_pool (CreateInPool) also "pool=POOL" and "pool:VOLUME=POOL". */
static int vm_create(struct api_call *a, const char *cls_name, bool in_pool)
{
    char name[64] = "", label[32] = "", *save = NULL, *tok;
    char pools[VOL_COUNT + 1][64] = {{0}};
    const char *per[VOL_COUNT];
    char *p = strdup(a->payload);
    int cls = vm_class_parse(cls_name), r;

    if (!p)
        return qerr_set(&a->e, "QubesException", "out of memory");
    if (need_dom0(a) < 0)
        goto bad;
    if (cls < 0 || cls == VC_ADMIN) {
        qerr_set(&a->e, "QubesValueError", "cannot create a qube of class %s", cls_name);
        goto bad;
    }
    for (tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (in_pool && !strncmp(tok, "pool", 4) && (tok[4] == '=' || tok[4] == ':')) {
            int k = VOL_COUNT;
            const char *eq = strchr(tok, '=');
            if (tok[4] == ':')
                for (k = 0; k < VOL_COUNT; k++)
                    if (eq && (size_t)(eq - tok - 5) == strlen(vol_rules(VC_APP)[k].volume) &&
                        !strncmp(tok + 5, vol_rules(VC_APP)[k].volume, (size_t)(eq - tok - 5)))
                        break;
            if (!eq || !eq[1] || strlen(eq + 1) >= sizeof(pools[0]) ||
                (tok[4] == ':' && k == VOL_COUNT)) {
                qerr_set(&a->e, "QubesValueError",
                         "pool choices are pool=POOL or pool:VOLUME=POOL (root, private, "
                         "volatile, kernel)");
                goto bad;
            }
            strcpy(pools[k], eq + 1);
            continue;
        }
        char *dst = !strncmp(tok, "name=", 5) ? name : !strncmp(tok, "label=", 6) ? label : NULL;
        size_t dsz = dst == name ? sizeof(name) : sizeof(label);
        const char *v = strchr(tok, '=');
        if (!dst || dst[0] || !v || strlen(v + 1) >= dsz || !v[1]) {
            qerr_set(&a->e, "QubesValueError", "payload must be name=NAME label=LABEL");
            goto bad;
        }
        strcpy(dst, v + 1);
    }
    if (!name[0] || !label[0]) {
        qerr_set(&a->e, "QubesValueError", "payload must be name=NAME label=LABEL");
        goto bad;
    }
    free(p);
    for (int k = 0; k < VOL_COUNT; k++)
        per[k] = pools[k];
    store_set_create_pools(a->c->store, pools[VOL_COUNT], per);
    r = store_vm_create(a->c->store, (enum vm_class)cls, name, label, a->rq->arg, &a->e);
    store_set_create_pools(a->c->store, NULL, NULL);
    if (r < 0)
        return -1;
    if (!a->rq->source_dom0) {
        /* who made a qube is kept as a tag, as Qubes does */
        char tag[64];
        struct vm_info vm;
        snprintf(tag, sizeof(tag), "created-by-%s", a->rq->source);
        if (store_vm_find(a->c->store, name, &vm) == 0)
            store_tag_set(a->c->store, vm.qid, tag, &a->e);
    }
    api_emit(a, "", "domain-add", "vm", name, NULL);
    return 0;
bad:
    free(p);
    return -1;
}

static int vm_remove(struct api_call *a)
{
    if (a->c->lc && lc_state(a->c->lc, a->vm.qid) != LC_HALTED)
        return qerr_set(&a->e, "QubesVMNotHaltedError", "%s is running; shut it down first",
                        a->vm.name);
    if (need_empty_arg(a) < 0 || store_vm_remove(a->c->store, a->vm.name, &a->e) < 0)
        return -1;
    api_emit(a, "", "domain-delete", "vm", a->vm.name, NULL);
    return 0;
}

static int vm_clone(struct api_call *a)
{
    if (a->rq->dest_dom0)
        return qerr_set(&a->e, "QubesValueError", "dom0 cannot be cloned");
    if (store_vm_clone(a->c->store, a->vm.name, a->rq->arg, &a->e) < 0)
        return -1;
    api_emit(a, "", "domain-add", "vm", a->rq->arg, NULL);
    return 0;
}

/* --- properties ----------------------------------------------------- */

static const struct vm_info *target(struct api_call *a, bool global)
{
    return global ? NULL : &a->vm;
}

static int cmp_def(const void *x, const void *y)
{
    return strcmp((*(const struct prop_def *const *)x)->name,
                  (*(const struct prop_def *const *)y)->name);
}

/* The properties the target has, sorted by name. */
static size_t prop_names(struct api_call *a, bool global, const struct prop_def **out)
{
    const struct prop_def *tab = global ? global_props : vm_props;
    size_t n = global ? global_props_count : vm_props_count, k = 0;

    for (size_t i = 0; i < n; i++)
        if (global || tab[i].classes & VC_BIT(a->vm.cls))
            out[k++] = &tab[i];
    qsort(out, k, sizeof(out[0]), cmp_def);
    return k;
}

static int prop_line(struct api_call *a, bool global, const char *name, bool with_name)
{
    char v[STORE_VALUE_MAX];
    const struct prop_def *def;
    bool d;

    if (store_prop_get(a->c->store, target(a, global), name, v, sizeof(v), &d, &def, &a->e) < 0)
        return -1;
    return api_out(a, "%s%sdefault=%s type=%s %s%s", with_name ? name : "", with_name ? " " : "",
                   d ? "True" : "False", prop_type_name(def->type), v, with_name ? "\n" : "");
}

static int property(struct api_call *a, const char *op, bool global)
{
    const struct prop_def *defs[64];
    const char *arg = a->rq->arg;
    char oldv[STORE_VALUE_MAX], newv[STORE_VALUE_MAX];
    const char *subject = global ? "" : a->vm.name;
    char ev[160];
    size_t n;

    if (global && need_dom0(a) < 0)
        return -1;
    if (!strcmp(op, "List") || !strcmp(op, "GetAll")) {
        if (need_empty_arg(a) < 0)
            return -1;
        n = prop_names(a, global, defs);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(op, "List") ? api_out(a, "%s\n", defs[i]->name) < 0
                                    : prop_line(a, global, defs[i]->name, true) < 0)
                return -1;
        return 0;
    }
    if (!arg[0])
        return qerr_set(&a->e, "QubesValueError", "%s needs a property name", a->rq->method);
    if (!strcmp(op, "Get"))
        return prop_line(a, global, arg, false) < 0 ? -1 : 0;
    if (!strcmp(op, "GetDefault")) {
        const struct prop_def *def;
        bool d;
        if (store_prop_get(a->c->store, target(a, global), arg, oldv, sizeof(oldv), &d, &def,
                           &a->e) < 0 ||
            store_prop_default(a->c->store, target(a, global), arg, newv, sizeof(newv), &a->e) < 0)
            return -1;
        return api_out(a, "type=%s %s", prop_type_name(def->type), newv) < 0 ? -1 : 0;
    }
    if (!strcmp(op, "Help")) {
        const struct prop_def *def;
        bool d;
        if (store_prop_get(a->c->store, target(a, global), arg, oldv, sizeof(oldv), &d, &def,
                           &a->e) < 0)
            return -1;
        return api_out(a, "%s", def->help) < 0 ? -1 : 0;
    }
    if (!strcmp(op, "Set")) {
        if (store_prop_set(a->c->store, target(a, global), arg, a->payload, oldv, newv,
                           sizeof(oldv), &a->e) < 0)
            return -1;
        snprintf(ev, sizeof(ev), "property-set:%s", arg);
        api_emit(a, subject, ev, "name", arg, "newvalue", newv, "oldvalue", oldv, NULL);
        return 0;
    }
    if (!strcmp(op, "Reset")) {
        if (a->plen)
            return qerr_set(&a->e, "QubesValueError", "Reset takes no payload");
        if (store_prop_reset(a->c->store, target(a, global), arg, oldv, sizeof(oldv), &a->e) < 0)
            return -1;
        snprintf(ev, sizeof(ev), "property-reset:%s", arg);
        api_emit(a, subject, ev, "name", arg, "oldvalue", oldv, NULL);
        return 0;
    }
    return qerr_set(&a->e, "QubesException", "unknown method %s", a->rq->method);
}

int api_vm_method(struct api_call *a, bool *handled)
{
    const char *m = a->rq->method;

    *handled = true;
    if (!strcmp(m, "admin.vm.List"))
        return vm_list(a);
    if (!strncmp(m, "admin.vm.Create.", 16))
        return vm_create(a, m + 16, false);
    if (!strncmp(m, "admin.vm.CreateInPool.", 22))
        return vm_create(a, m + 22, true);
    if (!strcmp(m, "admin.vm.Remove"))
        return vm_remove(a);
    if (!strcmp(m, "admin.vm.Clone"))
        return vm_clone(a);
    if (!strncmp(m, "admin.vm.property.", 18))
        return property(a, m + 18, false);
    if (!strncmp(m, "admin.property.", 15))
        return property(a, m + 15, true);
    *handled = false;
    return 0;
}
