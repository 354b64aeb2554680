/* What qvm-start-daemon (and the domains tray) needs to know about a qube
 * to run its GUI daemon, asked from qvmd: its state, its domain id, its
 * label (name, index and colour, from admin.label.*: qvmd owns the label
 * table, nobody here repeats it) and whether it should have a GUI. */
#ifndef BULKHEAD_DOM0_START_DAEMON_QUBE_H
#define BULKHEAD_DOM0_START_DAEMON_QUBE_H

#include "dom0/tools/lib/admin_reply.h"

#include <stdbool.h>
#include <stddef.h>

struct sd_qube {
    char name[QADMIN_NAME_MAX];
    char klass[QADMIN_WORD_MAX];
    char state[QADMIN_WORD_MAX];
    char label[QADMIN_WORD_MAX];
    unsigned label_index; /* 1..8 */
    unsigned color;       /* 0xRRGGBB */
    int xid;              /* -1 when not running */
};

/* Every qube but dom0 (admin.vm.List), by name; *out is malloc'ed. 0, or
 * -1 with err set. */
int sd_list(struct sd_qube **out, size_t *n, char *err, size_t errsz);

/* One qube's name, class and state (admin.vm.List of that qube). 0, -2 if
 * qvmd does not know the qube, or -1 (qvmd unreachable...), err set. */
int sd_get(const char *name, struct sd_qube *q, char *err, size_t errsz);

/* Fills q's label, label_index and color. 0, or -1 with err set. */
int sd_get_label(struct sd_qube *q, char *err, size_t errsz);

/* Fills q->xid, the qube's domain id: its `xid` property (-1, a qube that
 * stopped meanwhile, is an error). 0, or -1 with err set. */
int sd_get_xid(struct sd_qube *q, char *err, size_t errsz);

/* Whether the qube should have a GUI: never dom0; otherwise as qvmd tells
 * the qube's agent: on unless the qube's own `gui` feature is set to "". */
bool sd_wants_gui(const struct sd_qube *q);

/* Whether the state is one where the qube's GUI can run (Running or
 * Paused: a paused qube keeps its windows). */
bool sd_state_runs(const char *state);

#endif
