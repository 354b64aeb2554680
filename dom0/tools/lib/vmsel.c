/* Choosing the qubes a lifecycle command acts on; see vmsel.h. */
#include "dom0/tools/lib/vmsel.h"

#include "dom0/tools/lib/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void vmsel_option(struct vmsel *s, int opt, const char *arg)
{
    if (opt == VMSEL_OPT_ALL) {
        s->all = true;
        return;
    }
    cli_check_vm_name(arg);
    if (s->nexclude == VMSEL_EXCLUDE_MAX)
        cli_usage("too many --exclude options (%d at most)", VMSEL_EXCLUDE_MAX);
    s->exclude[s->nexclude++] = arg;
}

bool vmsel_is(const struct qadmin_vm *vm, const char *state)
{
    return strcasecmp(vm->state, state) == 0;
}

bool vmsel_is_down(const struct qadmin_vm *vm)
{
    return vmsel_is(vm, "Halted") || vmsel_is(vm, "NA");
}

/* Every qube of one admin.vm.List, in its order (by name). */
static int list_all(struct qadmin_vm **out, size_t *n)
{
    struct qadmin_result list;
    struct qadmin_str line;
    size_t pos = 0, cap = 0;

    *out = NULL;
    *n = 0;
    if (cli_call("admin.vm.List", NULL, "dom0", NULL, &list) < 0)
        return -1;
    while (qadmin_next_line(list.data, &pos, &line)) {
        struct qadmin_vm vm;
        if (qadmin_parse_vm_line(line, &vm) < 0)
            continue; /* a line we cannot use names no qube we could act on */
        if (*n == cap) {
            struct qadmin_vm *p = realloc(*out, (cap = cap ? cap * 2 : 64) * sizeof(**out));
            if (!p) {
                cli_err("out of memory");
                qadmin_result_free(&list);
                return -1;
            }
            *out = p;
        }
        (*out)[(*n)++] = vm;
    }
    qadmin_result_free(&list);
    return 0;
}

static const struct qadmin_vm *find(const struct qadmin_vm *all, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].name, name) == 0)
            return &all[i];
    return NULL;
}

/* Asks qvmd about a name it did not list, so that the user reads qvmd's
 * own message (QubesVMNotFoundError); a qube created since the list is
 * taken as it is now. 0 with *vm filled, or -1 (printed). */
static int ask_one(const char *name, struct qadmin_vm *vm)
{
    struct qadmin_result r;
    struct qadmin_str line;
    size_t pos = 0;
    int ok = -1;

    if (cli_call("admin.vm.List", NULL, name, NULL, &r) < 0)
        return -1;
    while (ok < 0 && qadmin_next_line(r.data, &pos, &line))
        if (qadmin_parse_vm_line(line, vm) == 0 && strcmp(vm->name, name) == 0)
            ok = 0;
    if (ok < 0)
        cli_err("no such qube: %s", name);
    qadmin_result_free(&r);
    return ok;
}

static bool state_in(const struct qadmin_vm *vm, const char *const *states)
{
    if (!states)
        return true;
    for (; *states; states++)
        if (vmsel_is(vm, *states))
            return true;
    return false;
}

static bool excluded(const struct vmsel *s, const char *name)
{
    for (size_t i = 0; i < s->nexclude; i++)
        if (strcmp(s->exclude[i], name) == 0)
            return true;
    return false;
}

int vmsel_resolve(const struct vmsel *s, char *const *names, size_t n, const char *const *states,
                  struct vmsel_list *out)
{
    struct qadmin_vm *all, *sel;
    size_t nall, nsel = 0;
    int rc = 0;

    out->vm = NULL;
    out->n = 0;
    if (s->nexclude && !s->all)
        cli_usage("--exclude works only with --all");
    if (s->all && n)
        cli_usage("either --all or qube names, not both");
    if (!s->all && !n)
        cli_usage("expected at least one QUBE or --all (see %s --help)", cli_prog);
    for (size_t i = 0; i < n; i++)
        cli_check_vm_name(names[i]);
    if (list_all(&all, &nall) < 0)
        return -1;
    sel = calloc((s->all ? nall : n) + 1, sizeof(*sel));
    if (!sel) {
        cli_err("out of memory");
        free(all);
        return -1;
    }
    if (s->all) {
        for (size_t i = 0; i < s->nexclude; i++)
            if (!find(all, nall, s->exclude[i])) {
                cli_err("no such qube: %s (in --exclude)", s->exclude[i]);
                rc = -1;
            }
        for (size_t i = 0; i < nall; i++)
            if (strcmp(all[i].klass, "AdminVM") != 0 && strcmp(all[i].name, "dom0") != 0 &&
                !excluded(s, all[i].name) && state_in(&all[i], states))
                sel[nsel++] = all[i];
    } else {
        for (size_t i = 0; i < n; i++) {
            const struct qadmin_vm *vm = find(all, nall, names[i]);
            bool dup = false;
            for (size_t j = 0; j < nsel; j++)
                dup = dup || strcmp(sel[j].name, names[i]) == 0;
            if (dup)
                continue;
            if (vm)
                sel[nsel++] = *vm;
            else if (ask_one(names[i], &sel[nsel]) == 0)
                nsel++;
            else
                rc = -1;
        }
    }
    free(all);
    if (rc < 0) {
        free(sel);
        return -1;
    }
    out->vm = sel;
    out->n = nsel;
    return 0;
}

int vmsel_refresh(struct vmsel_list *l)
{
    struct qadmin_vm *all;
    size_t nall;

    if (list_all(&all, &nall) < 0)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        const struct qadmin_vm *vm = find(all, nall, l->vm[i].name);
        snprintf(l->vm[i].state, sizeof(l->vm[i].state), "%s", vm ? vm->state : "NA");
    }
    free(all);
    return 0;
}

void vmsel_free(struct vmsel_list *l)
{
    free(l->vm);
    l->vm = NULL;
    l->n = 0;
}
