/* What the domains tray shows: every qube but dom0 with its state and its
 * label colour, kept current from qvmd's admin.Events. Reads qvmd through
 * dom0/tools/start_daemon_qube.c, as qvm-start-daemon does; no GTK here. */
#ifndef BULKHEAD_DOM0_TRAY_MODEL_H
#define BULKHEAD_DOM0_TRAY_MODEL_H

#include "dom0/tools/lib/admin_reply.h"
#include "dom0/tools/start_daemon_qube.h"

#include <stdbool.h>
#include <stdio.h>

struct tray_model {
    struct sd_qube *q; /* by name */
    size_t n;
};

/* Reads every qube and its label from qvmd. 0, or -1 with err set (the
 * model is then left as it was). */
int tray_model_refresh(struct tray_model *m, char *err, size_t errsz);

/* Brings the model in line with one event: a power-state event changes
 * that qube's state, a label change its colour, a qube added or removed
 * reloads the list. true if anything shown changed. */
bool tray_model_apply(struct tray_model *m, const struct qadmin_event *ev);

/* The qube named name, or NULL. */
const struct sd_qube *tray_model_find(const struct tray_model *m, const char *name);

/* One line per qube: "NAME STATE 0xRRGGBB LABEL" (what --dump prints). */
void tray_model_dump(const struct tray_model *m, FILE *f);

void tray_model_free(struct tray_model *m);

#endif
