/* Admin API: admin.vm.Start, Shutdown, Kill, Pause, Unpause, CurrentState
 * (docs/admin-api.md). Start, Kill and a Shutdown that waits are answered
 * when the lifecycle is done with them (api_call.pending). */
#include "dom0/qvmd/api.h"
#include "dom0/qvmd/lifecycle.h"

#include <stdio.h>
#include <string.h>

static int no_arg(struct api_call *a)
{
    if (a->rq->arg[0])
        return qerr_set(&a->e, "QubesValueError", "%s takes no argument", a->rq->method);
    return 0;
}

static int need_lc(struct api_call *a)
{
    if (!a->c->lc)
        return qerr_set(&a->e, "QubesException", "qvmd runs without lifecycle");
    return 0;
}

static int shutdown_call(struct api_call *a)
{
    const char *arg = a->rq->arg;
    bool force = false, wait = false;
    int r;

    if (!strcmp(arg, "force") || !strcmp(arg, "force+wait"))
        force = true;
    if (!strcmp(arg, "wait") || !strcmp(arg, "force+wait"))
        wait = true;
    if (arg[0] && !force && !wait)
        return qerr_set(&a->e, "QubesValueError",
                        "admin.vm.Shutdown takes \"\", force, wait or force+wait");
    r = lc_shutdown(a->c->lc, &a->vm, force, wait, a->c->waiter, &a->e);
    if (r == 0)
        a->pending = true;
    return r < 0 ? -1 : 0;
}

int api_lifecycle_method(struct api_call *a, bool *handled)
{
    const char *m = a->rq->method;
    char st[160];

    *handled = true;
    if (!strcmp(m, "admin.vm.Start")) {
        if (no_arg(a) < 0 || need_lc(a) < 0 || lc_start(a->c->lc, &a->vm, a->c->waiter, &a->e) < 0)
            return -1;
        a->pending = true;
        return 0;
    }
    if (!strcmp(m, "admin.vm.Shutdown"))
        return need_lc(a) < 0 ? -1 : shutdown_call(a);
    if (!strcmp(m, "admin.vm.Kill")) {
        if (no_arg(a) < 0 || need_lc(a) < 0 || lc_kill(a->c->lc, &a->vm, a->c->waiter, &a->e) < 0)
            return -1;
        a->pending = true;
        return 0;
    }
    if (!strcmp(m, "admin.vm.Pause"))
        return no_arg(a) < 0 || need_lc(a) < 0 ? -1 : lc_pause(a->c->lc, &a->vm, &a->e);
    if (!strcmp(m, "admin.vm.Unpause"))
        return no_arg(a) < 0 || need_lc(a) < 0 ? -1 : lc_unpause(a->c->lc, &a->vm, &a->e);
    if (!strcmp(m, "admin.vm.CurrentState")) {
        if (no_arg(a) < 0)
            return -1;
        if (!a->c->lc)
            snprintf(st, sizeof(st), "mem=0 mem_static_max=0 cputime=0 power_state=%s",
                     a->vm.cls == VC_ADMIN ? "Running" : "Halted");
        else
            lc_current_state(a->c->lc, &a->vm, st, sizeof(st));
        return api_out(a, "%s", st) < 0 ? -1 : 0;
    }
    if (!strcmp(m, "admin.vm.Suspend") || !strcmp(m, "admin.vm.Resume"))
        return qerr_set(&a->e, "QubesNotImplementedError", "%s is not supported", m);
    *handled = false;
    return 0;
}
