/* The domains tray's list of qubes; see tray_model.h. */
#include "dom0/tray/tray_model.h"

#include <stdlib.h>
#include <string.h>

int tray_model_refresh(struct tray_model *m, char *err, size_t errsz)
{
    struct sd_qube *l;
    size_t n;

    if (sd_list(&l, &n, err, errsz) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (sd_get_label(&l[i], err, errsz) < 0) {
            /* shown grey rather than not at all */
            snprintf(l[i].label, sizeof(l[i].label), "?");
            l[i].color = 0x555555;
        }
    free(m->q);
    m->q = l;
    m->n = n;
    return 0;
}

static struct sd_qube *find(const struct tray_model *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->q[i].name, name) == 0)
            return &m->q[i];
    return NULL;
}

const struct sd_qube *tray_model_find(const struct tray_model *m, const char *name)
{
    return find(m, name);
}

static bool set_state(struct sd_qube *q, const char *state)
{
    if (strcmp(q->state, state) == 0)
        return false;
    snprintf(q->state, sizeof(q->state), "%s", state);
    return true;
}

bool tray_model_apply(struct tray_model *m, const struct qadmin_event *ev)
{
    /* the state each power event leaves a qube in (docs/lifecycle.md) */
    static const struct {
        const char *event, *state;
    } power[] = {
        {"domain-pre-start", "Transient"},     {"domain-start", "Running"},
        {"domain-start-failed", "Halted"},     {"domain-paused", "Paused"},
        {"domain-unpaused", "Running"},        {"domain-pre-shutdown", "Halting"},
        {"domain-shutdown", "Halted"},         {"domain-stopped", "Halted"},
        {"domain-shutdown-failed", "Running"},
    };
    char name[QADMIN_NAME_MAX], err[256];
    struct sd_qube *q;

    if (qadmin_str_eq(ev->name, "domain-add") || qadmin_str_eq(ev->name, "domain-delete") ||
        qadmin_str_eq(ev->name, "connection-established"))
        return tray_model_refresh(m, err, sizeof(err)) == 0;
    if (ev->subject.len == 0 || ev->subject.len >= sizeof(name))
        return false;
    memcpy(name, ev->subject.p, ev->subject.len);
    name[ev->subject.len] = '\0';
    if (!(q = find(m, name)))
        return false;
    for (size_t i = 0; i < sizeof(power) / sizeof(power[0]); i++)
        if (qadmin_str_eq(ev->name, power[i].event))
            return set_state(q, power[i].state);
    if (qadmin_str_eq(ev->name, "property-set:label") ||
        qadmin_str_eq(ev->name, "property-reset:label")) {
        struct sd_qube copy = *q;
        if (sd_get_label(&copy, err, sizeof(err)) < 0)
            return false;
        *q = copy;
        return true;
    }
    return false;
}

void tray_model_dump(const struct tray_model *m, FILE *f)
{
    for (size_t i = 0; i < m->n; i++)
        fprintf(f, "%s %s 0x%06x %s\n", m->q[i].name, m->q[i].state, m->q[i].color, m->q[i].label);
    fflush(f);
}

void tray_model_free(struct tray_model *m)
{
    free(m->q);
    m->q = NULL;
    m->n = 0;
}
