/* Shared by the dom0 commands that call into qubes: see qube_call.h. */
#include "dom0/tools/lib/qube_call.h"

#include "dom0/tools/lib/cli.h"
#include "dom0/tools/lib/vmsel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOCKET_DIR_ENV           "BULKHEAD_QREXEC_SOCKET_DIR"
#define DEFAULT_QREXEC_TIMEOUT_S 60

const char *qube_call_socket_dir(void)
{
    const char *d = getenv(SOCKET_DIR_ENV);

    return d && *d ? d : QREXEC_CALL_SOCKET_DIR;
}

int qube_call_timeout_ms(const char *vm)
{
    struct qadmin_req req = {"admin.vm.property.Get", "qrexec_timeout", vm, NULL, 0};
    struct qadmin_result res;
    struct qadmin_prop p;
    long v = 0;

    if (qadmin_call(&req, &res) == 0 && qadmin_parse_prop(res.data, false, &p) == 0 &&
        p.value.len > 0 && p.value.len < 8) {
        char num[8];
        memcpy(num, p.value.p, p.value.len);
        num[p.value.len] = 0;
        v = strtol(num, NULL, 10);
    }
    qadmin_result_free(&res);
    return (int)(v > 0 ? v : DEFAULT_QREXEC_TIMEOUT_S) * 1000;
}

int qube_call_ensure_running(const struct qadmin_vm *vm, bool autostart, int verbose)
{
    struct qadmin_req req = {"admin.vm.Start", NULL, vm->name, NULL, 0};
    struct qadmin_result res;
    int r;

    if (vmsel_is(vm, "Running"))
        return 0;
    if (vmsel_is(vm, "Paused")) {
        cli_err("%s is paused (qvm-unpause it first)", vm->name);
        return -1;
    }
    if (!autostart) {
        cli_err("%s is not running (state %s) and --no-autostart was given", vm->name, vm->state);
        return -1;
    }
    if (verbose > 0)
        fprintf(stderr, "Starting %s\n", vm->name);
    r = qadmin_call(&req, &res);
    /* started meanwhile by someone else: just as good */
    if (r == -EREMOTEIO && !strcmp(res.type, "QubesVMNotHaltedError"))
        r = 0;
    if (r < 0)
        cli_err("%s: %s", vm->name, res.msg);
    qadmin_result_free(&res);
    return r < 0 ? -1 : 1;
}

void qube_call_report(const char *vm, const char *socket_dir, const struct qrexec_call_status *st,
                      int r)
{
    const char *e = strerror(-r);

    switch (st->step) {
    case QREXEC_CALL_STEP_CONNECT:
        cli_err("%s: cannot reach its qrexec daemon in %s: %s", vm, socket_dir, e);
        break;
    case QREXEC_CALL_STEP_REQUEST:
        cli_err("%s: its qrexec daemon refused the call: %s", vm, e);
        break;
    case QREXEC_CALL_STEP_LINK:
        cli_err("%s: the qube did not connect the data link: %s", vm, e);
        break;
    case QREXEC_CALL_STEP_LOCAL:
        cli_err("%s: cannot run the local command: %s", vm, e);
        break;
    default:
        cli_err("%s: the call ended early: %s", vm, e);
        break;
    }
}
