/* Which qubes a lifecycle command acts on: the names on its command line,
 * or --all (every qube but dom0, optionally only those in some states)
 * minus --exclude. One admin.vm.List gives every qube's state, so a
 * command knows before its first change whether a name is unknown (qvmd's
 * own QubesVMNotFoundError message) and what state each qube is in. */
#ifndef BULKHEAD_DOM0_VMSEL_H
#define BULKHEAD_DOM0_VMSEL_H

#include "dom0/tools/lib/admin_reply.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* getopt_long codes of --all and --exclude; put VMSEL_OPTIONS in the
 * command's option table and hand those codes to vmsel_option(). */
enum { VMSEL_OPT_ALL = 0x1000, VMSEL_OPT_EXCLUDE };
/* clang-format off */
#define VMSEL_OPTIONS {"all", no_argument, NULL, VMSEL_OPT_ALL}, \
                      {"exclude", required_argument, NULL, VMSEL_OPT_EXCLUDE}
/* clang-format on */

#define VMSEL_EXCLUDE_MAX 256
struct vmsel {
    bool all;
    const char *exclude[VMSEL_EXCLUDE_MAX];
    size_t nexclude;
};

/* Takes --all or --exclude NAME (exits 2 on a bad name or too many). */
void vmsel_option(struct vmsel *s, int opt, const char *arg);

struct vmsel_list {
    struct qadmin_vm *vm;
    size_t n;
};

/* The qubes to act on. Without --all: names[0..n) in that order (each
 * once), every one checked to exist; an unknown one is reported with
 * qvmd's message. With --all (names must then be empty): every qube but
 * dom0 whose state is one of states (NULL: any), by name, minus the
 * excluded ones (each of which must exist). --exclude without --all and
 * --all with names are usage errors (exit 2). 0, or -1 once every problem
 * was printed (nothing should then be done). */
int vmsel_resolve(const struct vmsel *s, char *const *names, size_t n, const char *const *states,
                  struct vmsel_list *out);

/* Refreshes each listed qube's state from one admin.vm.List; a qube that
 * is gone meanwhile gets the state "NA". 0, or -1 (printed). */
int vmsel_refresh(struct vmsel_list *l);

void vmsel_free(struct vmsel_list *l);

/* State checks on admin.vm.List's words. */
bool vmsel_is(const struct qadmin_vm *vm, const char *state);
/* Halted, or gone ("NA"): nothing left to shut down. */
bool vmsel_is_down(const struct qadmin_vm *vm);

#endif
