/* qvm-template install and info FILE; see template_install.h.
 *
 * The file is read once, front to back (it may be a pipe, and a root
 * image is gigabytes): template.conf is checked before anything changes;
 * root.img streams straight into the import target qvmd prepares
 * (internal.vm.volume.ImportBegin), hashed on the way; the kernel goes
 * into a temporary directory. Only when every checksum matched is the
 * import committed and the kernel directory renamed into place; until
 * then a failure (or Ctrl-C) removes the half-made qube and the
 * temporary directory, so a refused install leaves nothing behind. */
#include "dom0/tools/template_install.h"

#include "dom0/tools/lib/cli.h"
#include "dom0/tools/template_conf.h"
#include "dom0/tools/template_file.h"
#include "dom0/tools/template_kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct progress {
    bool on;
    const char *qube, *member;
    int last; /* the percentage last shown, -1 none */
};

static int show_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct progress *p = ctx;
    int pct = total ? (int)(done * 100 / total) : 100;

    if (interrupted)
        return -1;
    if (!p->on || pct == p->last)
        return 0;
    p->last = pct;
    fprintf(stderr, "\r%s: %-9s %3d%% (%llu of %llu MiB)", p->qube, p->member, pct,
            (unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
    if (done == total)
        fputc('\n', stderr);
    return 0;
}

/* Opens file and reads its template.conf into c. NULL (printed) on failure. */
static struct tfile *open_conf(const char *file, struct tconf *c)
{
    static char buf[TCONF_SIZE_MAX];
    char err[512];
    struct tfile *tf = tfile_open(file, err, sizeof(err));
    uint64_t size;
    size_t len;

    if (!tf) {
        cli_err("%s: %s", file, err);
        return NULL;
    }
    if (tfile_next(tf, "template.conf", &size) < 0 ||
        tfile_read_all(tf, buf, sizeof(buf), &len) < 0) {
        cli_err("%s: %s", file, tfile_error(tf));
        tfile_close(tf);
        return NULL;
    }
    if (tconf_parse(buf, len, c, err, sizeof(err)) < 0) {
        cli_err("%s: template.conf: %s", file, err);
        tfile_close(tf);
        return NULL;
    }
    return tf;
}

/* 1 if the qube exists, 0 if not, -1 (printed) if qvmd could not say. */
static int qube_exists(const char *name)
{
    struct qadmin_result res;
    struct qadmin_str line;
    struct qadmin_vm vm;
    size_t pos = 0;
    int found = 0;

    if (cli_call("admin.vm.List", NULL, "dom0", NULL, &res) < 0)
        return -1;
    while (qadmin_next_line(res.data, &pos, &line))
        if (qadmin_parse_vm_line(line, &vm) == 0 && !strcmp(vm.name, name))
            found = 1;
    qadmin_result_free(&res);
    return found;
}

/* A feature's value (printable) into out, "" when the qube has none. */
static void feature_of(const char *qube, const char *feature, char *out, size_t outsz)
{
    struct qadmin_req req = {"admin.vm.feature.Get", feature, qube, NULL, 0};
    struct qadmin_result res;

    out[0] = 0;
    if (qadmin_call(&req, &res) == 0 && res.data.len < outsz) {
        memcpy(out, res.data.p, res.data.len);
        out[res.data.len] = 0;
        for (char *p = out; *p; p++)
            if (*p < 0x20 || *p > 0x7e)
                *p = '?';
    }
    qadmin_result_free(&res);
}

/* Feature values are printable ASCII (qvmd's rule): each non-ASCII
 * character of the UTF-8 description becomes one '?'. */
static void ascii_of(const char *utf8, char *out, size_t outsz)
{
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)utf8; *p && o + 1 < outsz; p++) {
        if (*p < 0x80)
            out[o++] = (char)*p;
        else if ((*p & 0xc0) != 0x80)
            out[o++] = '?';
    }
    out[o] = 0;
}

/* What an install made so far, for the rollback. */
struct made {
    const char *qube;
    bool created, importing;
    char tmp[4200]; /* the temporary kernel directory, "" none */
};

/* Quiet calls: the rollback reports only its own failures. */
static int quiet_call(const char *method, const char *arg, const char *dest, const char *payload)
{
    struct qadmin_req req = {method, arg, dest, payload, payload ? strlen(payload) : 0};
    struct qadmin_result res;
    int r = qadmin_call(&req, &res);

    if (r < 0)
        cli_err("rollback: %s", res.msg);
    qadmin_result_free(&res);
    return r;
}

static void rollback(struct made *m)
{
    if (m->importing)
        quiet_call("internal.vm.volume.ImportEnd", "root", m->qube, "fail");
    if (m->created && quiet_call("admin.vm.Remove", NULL, m->qube, NULL) < 0)
        cli_err("%s was created but could not be removed again (qvm-remove it)", m->qube);
    if (m->tmp[0])
        tkernel_remove(m->tmp);
}

/* Streams the current member into fd (or only hashes it, fd < 0) and
 * checks its size and digest against template.conf. */
static int take_member(struct tfile *tf, const char *file, const char *member, uint64_t want_size,
                       const uint8_t want[32], int fd, struct progress *p)
{
    uint8_t got[32];
    uint64_t size;

    p->member = member;
    p->last = -1;
    if (tfile_next(tf, member, &size) < 0) {
        cli_err("%s: %s", file, tfile_error(tf));
        return -1;
    }
    if (want_size != UINT64_MAX && size != want_size) {
        cli_err("%s: %s is %llu bytes, template.conf says root_size=%llu", file, member,
                (unsigned long long)size, (unsigned long long)want_size);
        return -1;
    }
    if (tfile_copy(tf, fd, size, got, show_progress, p) < 0) {
        if (p->on && p->last >= 0)
            fputc('\n', stderr);
        cli_err("%s: %s", file, tfile_error(tf));
        return -1;
    }
    if (memcmp(got, want, 32)) {
        char g[65], w[65];
        tconf_hex(got, g);
        tconf_hex(want, w);
        cli_err("%s: %s: checksum mismatch (sha256 %s, template.conf says %s): the file is "
                "damaged or was altered",
                file, member, g, w);
        return -1;
    }
    return 0;
}

static int set_features(const char *qube, const struct tconf *c)
{
    char desc[TCONF_DESCRIPTION_MAX + 1], now[32];
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    ascii_of(c->description, desc, sizeof(desc));
    if (cli_do("admin.vm.property.Set", "kernel", qube, c->kernel_version) < 0 ||
        cli_do("admin.vm.property.Set", "default_user", qube, c->default_user) < 0 ||
        cli_do("admin.vm.feature.Set", "template-name", qube, c->name) < 0 ||
        cli_do("admin.vm.feature.Set", "template-version", qube, c->version) < 0 ||
        cli_do("admin.vm.feature.Set", "template-description", qube, desc) < 0 ||
        cli_do("admin.vm.feature.Set", "template-installtime", qube, now) < 0 ||
        (c->built[0] && cli_do("admin.vm.feature.Set", "template-buildtime", qube, c->built) < 0))
        return -1;
    return 0;
}

/* Everything after template.conf; returns with m saying what to undo. */
static int install_body(const struct tinstall_opts *o, struct tfile *tf, const struct tconf *c,
                        const char *qube, const char *kdir, bool reuse, struct made *m)
{
    struct progress p = {isatty(2) && !o->quiet, qube, "", -1};
    struct qadmin_result res;
    char method[64], payload[200], size[32], path[4200];
    int fd, r;

    snprintf(method, sizeof(method), "admin.vm.%s.TemplateVM", o->pool ? "CreateInPool" : "Create");
    snprintf(payload, sizeof(payload), "name=%s label=%s%s%s", qube, c->label,
             o->pool ? " pool=" : "", o->pool ? o->pool : "");
    if (cli_do(method, "", "dom0", payload) < 0)
        return -1;
    m->created = true;
    snprintf(size, sizeof(size), "%llu", (unsigned long long)c->root_size);
    if (cli_call("internal.vm.volume.ImportBegin", "root", qube, size, &res) < 0)
        return -1;
    m->importing = true;
    snprintf(path, sizeof(path), "%.*s", (int)res.data.len, res.data.p);
    qadmin_result_free(&res);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_err("%s: %s", path, strerror(errno));
        return -1;
    }
    r = take_member(tf, o->file, "root.img", c->root_size, c->root_sha256, fd, &p);
    close(fd);
    if (r < 0)
        return -1;
    if (!reuse && tkernel_tmp(kdir, m->tmp, sizeof(m->tmp)) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        const char *member = i ? "initramfs" : "vmlinuz";
        char f[4300];
        fd = -1;
        if (!reuse) {
            snprintf(f, sizeof(f), "%s/%s", m->tmp, member);
            fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd < 0) {
                cli_err("%s: %s", f, strerror(errno));
                return -1;
            }
        }
        r = take_member(tf, o->file, member, UINT64_MAX,
                        i ? c->initramfs_sha256 : c->vmlinuz_sha256, fd, &p);
        if (fd >= 0)
            close(fd);
        if (r < 0)
            return -1;
    }
    if (tfile_end(tf) < 0) {
        cli_err("%s: %s", o->file, tfile_error(tf));
        return -1;
    }
    if (interrupted) {
        cli_err("interrupted");
        return -1;
    }
    /* every checksum matched: make it real */
    if (cli_do("internal.vm.volume.ImportEnd", "root", qube, "ok") < 0)
        return -1;
    m->importing = false;
    if (!reuse) {
        if (tkernel_commit(m->tmp, kdir, c->kernel_version) < 0)
            return -1;
        m->tmp[0] = 0;
    }
    if (set_features(qube, c) < 0) {
        /* the rollback removes the qube; the kernel directory goes too
         * when this install made it (nothing else can use it yet) */
        if (!reuse)
            tkernel_remove_version(kdir, c->kernel_version);
        return -1;
    }
    return 0;
}

int tinstall_run(const struct tinstall_opts *o)
{
    struct sigaction sa = {.sa_handler = on_signal};
    struct made m = {0};
    struct tconf c;
    struct tfile *tf;
    const char *qube;
    char kdir[4096], ver[80];
    int reuse, r;

    tf = open_conf(o->file, &c);
    if (!tf)
        return CLI_FAIL;
    qube = o->name ? o->name : c.name;
    r = qube_exists(qube);
    if (r != 0) {
        if (r > 0) {
            feature_of(qube, "template-version", ver, sizeof(ver));
            if (ver[0])
                cli_err("%s is already installed (version %s); remove it first", qube, ver);
            else
                cli_err("a qube named %s already exists; remove it first or use --name", qube);
        }
        tfile_close(tf);
        return CLI_FAIL;
    }
    if (tkernel_dir(kdir, sizeof(kdir)) < 0 ||
        (reuse = tkernel_check(kdir, c.kernel_version, c.vmlinuz_sha256, c.initramfs_sha256)) < 0) {
        tfile_close(tf);
        return CLI_FAIL;
    }
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    m.qube = qube;
    r = install_body(o, tf, &c, qube, kdir, reuse == 1, &m);
    tfile_close(tf);
    if (r < 0) {
        rollback(&m);
        return CLI_FAIL;
    }
    printf("installed %s: %s version %s, kernel %s%s\n", qube, c.name, c.version, c.kernel_version,
           reuse == 1 ? " (already there)" : "");
    return CLI_OK;
}

static void put_field(const char *k, const char *v)
{
    /* UTF-8 passes (it was checked to hold no control characters) */
    printf("%-17s %s\n", k, v);
}

int tinstall_info_file(const char *file, bool verify, bool raw)
{
    struct progress p = {false, "", "", -1};
    struct tconf c;
    struct tfile *tf = open_conf(file, &c);
    char h[65], n[32];
    int r = 0;

    if (!tf)
        return CLI_FAIL;
    if (raw) {
        static char out[TCONF_SIZE_MAX];
        tconf_format(&c, out, sizeof(out));
        fputs(out, stdout);
    } else {
        put_field("name", c.name);
        put_field("version", c.version);
        put_field("description", c.description);
        put_field("built", c.built[0] ? c.built : "(not given)");
        put_field("kernel_version", c.kernel_version);
        snprintf(n, sizeof(n), "%llu", (unsigned long long)c.root_size);
        put_field("root_size", n);
        put_field("label", c.label);
        put_field("default_user", c.default_user);
        tconf_hex(c.root_sha256, h);
        put_field("root_sha256", h);
        tconf_hex(c.vmlinuz_sha256, h);
        put_field("vmlinuz_sha256", h);
        tconf_hex(c.initramfs_sha256, h);
        put_field("initramfs_sha256", h);
    }
    if (verify) {
        p.on = isatty(2);
        p.qube = c.name;
        r = take_member(tf, file, "root.img", c.root_size, c.root_sha256, -1, &p);
        r = r ?: take_member(tf, file, "vmlinuz", UINT64_MAX, c.vmlinuz_sha256, -1, &p);
        r = r ?: take_member(tf, file, "initramfs", UINT64_MAX, c.initramfs_sha256, -1, &p);
        if (!r && tfile_end(tf) < 0) {
            cli_err("%s: %s", file, tfile_error(tf));
            r = -1;
        }
        if (!r)
            printf("verified: root.img, vmlinuz and initramfs match template.conf\n");
    }
    tfile_close(tf);
    return r < 0 ? CLI_FAIL : CLI_OK;
}
