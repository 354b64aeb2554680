/* Asking qvmd about a qube for its GUI daemon; see start_daemon_qube.h. */
#include "dom0/tools/start_daemon_qube.h"

#include "dom0/tools/lib/admin_call.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One call; the reply's data in res (to be freed), or -1 with err set. */
static int call(const char *method, const char *arg, const char *dest, struct qadmin_result *res,
                char *err, size_t errsz)
{
    struct qadmin_req req = {method, arg, dest, NULL, 0};

    if (qadmin_call(&req, res) == 0)
        return 0;
    snprintf(err, errsz, "%s", res->msg);
    qadmin_result_free(res);
    return -1;
}

/* Copies a counted string into a fixed field; false if it does not fit. */
static bool copy_str(char *dst, size_t dstsz, struct qadmin_str s)
{
    if (s.len >= dstsz)
        return false;
    memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
    return true;
}

static void from_vm(struct sd_qube *q, const struct qadmin_vm *vm)
{
    memset(q, 0, sizeof(*q));
    snprintf(q->name, sizeof(q->name), "%s", vm->name);
    snprintf(q->klass, sizeof(q->klass), "%s", vm->klass);
    snprintf(q->state, sizeof(q->state), "%s", vm->state);
    q->xid = -1;
}

int sd_list(struct sd_qube **out, size_t *n, char *err, size_t errsz)
{
    struct qadmin_result res;
    struct qadmin_str line;
    struct qadmin_vm vm;
    size_t pos = 0, cap = 0;

    *out = NULL;
    *n = 0;
    if (call("admin.vm.List", NULL, "dom0", &res, err, errsz) < 0)
        return -1;
    while (qadmin_next_line(res.data, &pos, &line)) {
        if (qadmin_parse_vm_line(line, &vm) < 0 || strcmp(vm.name, "dom0") == 0)
            continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct sd_qube *p = realloc(*out, ncap * sizeof(*p));
            if (!p) {
                snprintf(err, errsz, "out of memory");
                free(*out);
                *out = NULL;
                *n = 0;
                qadmin_result_free(&res);
                return -1;
            }
            *out = p;
            cap = ncap;
        }
        from_vm(&(*out)[(*n)++], &vm);
    }
    qadmin_result_free(&res);
    return 0;
}

int sd_get(const char *name, struct sd_qube *q, char *err, size_t errsz)
{
    struct qadmin_result res;
    struct qadmin_str line;
    struct qadmin_vm vm;
    size_t pos = 0;
    int r = -1;

    struct qadmin_req req = {"admin.vm.List", NULL, name, NULL, 0};

    if (qadmin_call(&req, &res) < 0) {
        snprintf(err, errsz, "%s", res.msg);
        r = strcmp(res.type, "QubesVMNotFoundError") == 0 ? -2 : -1;
        qadmin_result_free(&res);
        return r;
    }
    if (qadmin_next_line(res.data, &pos, &line) && qadmin_parse_vm_line(line, &vm) == 0 &&
        strcmp(vm.name, name) == 0) {
        from_vm(q, &vm);
        r = 0;
    } else {
        snprintf(err, errsz, "%s: qvmd's admin.vm.List reply is malformed", name);
    }
    qadmin_result_free(&res);
    return r;
}

/* A decimal or 0x number of at most max from a reply, or -1. */
static long parse_num(struct qadmin_str s, int base, long max)
{
    char tmp[32], *end;
    long v;

    while (s.len && (s.p[s.len - 1] == '\n' || s.p[s.len - 1] == ' '))
        s.len--;
    if (!copy_str(tmp, sizeof(tmp), s) || !tmp[0])
        return -1;
    errno = 0;
    v = strtol(tmp, &end, base);
    return errno || *end || v < 0 || v > max ? -1 : v;
}

int sd_get_label(struct sd_qube *q, char *err, size_t errsz)
{
    struct qadmin_result res;
    struct qadmin_prop p;
    long v;

    if (call("admin.vm.property.Get", "label", q->name, &res, err, errsz) < 0)
        return -1;
    if (qadmin_parse_prop(res.data, false, &p) < 0 ||
        !copy_str(q->label, sizeof(q->label), p.value) || !q->label[0]) {
        snprintf(err, errsz, "%s: qvmd's label reply is malformed", q->name);
        qadmin_result_free(&res);
        return -1;
    }
    qadmin_result_free(&res);
    if (call("admin.label.Get", q->label, "dom0", &res, err, errsz) < 0)
        return -1;
    v = parse_num(res.data, 16, 0xffffff);
    qadmin_result_free(&res);
    if (v < 0) {
        snprintf(err, errsz, "label %s: qvmd's colour is malformed", q->label);
        return -1;
    }
    q->color = (unsigned)v;
    if (call("admin.label.Index", q->label, "dom0", &res, err, errsz) < 0)
        return -1;
    v = parse_num(res.data, 10, 1000);
    qadmin_result_free(&res);
    if (v < 0) {
        snprintf(err, errsz, "label %s: qvmd's index is malformed", q->label);
        return -1;
    }
    q->label_index = (unsigned)v;
    return 0;
}

int sd_get_xid(struct sd_qube *q, char *err, size_t errsz)
{
    struct qadmin_result res;
    struct qadmin_prop p;
    bool ok, halted;
    long v = -1;

    if (call("admin.vm.property.Get", "xid", q->name, &res, err, errsz) < 0)
        return -1;
    ok = qadmin_parse_prop(res.data, false, &p) == 0;
    halted = ok && qadmin_str_eq(p.value, "-1");
    if (ok && !halted)
        v = parse_num(p.value, 10, INT_MAX);
    qadmin_result_free(&res);
    if (halted) { /* it stopped since we looked */
        snprintf(err, errsz, "%s has no domain (not running)", q->name);
        return -1;
    }
    if (v < 0) {
        snprintf(err, errsz, "%s: qvmd's xid is malformed", q->name);
        return -1;
    }
    q->xid = (int)v;
    return 0;
}

bool sd_wants_gui(const struct sd_qube *q)
{
    struct qadmin_req req = {"admin.vm.feature.Get", "gui", q->name, NULL, 0};
    struct qadmin_result res;
    bool yes = true;

    if (strcmp(q->name, "dom0") == 0 || strcmp(q->klass, "AdminVM") == 0)
        return false;
    /* qvmd's rule (dom0/qvmd/start_plan.c, what the qube's agent is told
     * through /qubes-gui-enabled): the qube's own feature, off only when
     * set to ""; absent or any other value is on, as for Qubes' features */
    if (qadmin_call(&req, &res) == 0)
        yes = res.data.len != 0;
    qadmin_result_free(&res);
    return yes;
}

bool sd_state_runs(const char *state)
{
    return strcmp(state, "Running") == 0 || strcmp(state, "Paused") == 0;
}
