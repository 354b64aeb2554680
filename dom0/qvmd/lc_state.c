/* What runs, on disk: one file per running qube under state_dir (a tmpfs,
 * /run), so that a qvmd restarted while qubes run finds them, their
 * daemons and their started volumes again. The file is this qvmd's own
 * struct, tagged with its size and a magic number: a file from another
 * build is ignored with a warning rather than misread. */
#include "dom0/qvmd/daemons.h"
#include "dom0/qvmd/lc_int.h"
#include "lib/io.h"
#include "lib/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAGIC 0x42484c43u /* "BHLC" */

struct saved {
    uint32_t magic, size;
    int qid, domid;
    char name[32], uuid[37];
    pid_t qrexec_pid, qdb_pid;
    int paused, memory, maxmem;
    struct vm_storage plan;
};

static void path_of(const struct lifecycle *lc, const char *name, char *out, size_t sz)
{
    snprintf(out, sz, "%s/%s.state", lc->o.state_dir, name);
}

int lc_state_save(struct lifecycle *lc, const struct rt *r)
{
    struct saved sv;
    char path[4096], tmp[4200];
    int fd, rc;

    memset(&sv, 0, sizeof(sv)); /* no stray bytes from the stack in the file */
    sv.magic = STATE_MAGIC;
    sv.size = sizeof(sv);
    sv.qid = r->qid;
    sv.domid = r->domid;
    memcpy(sv.name, r->name, sizeof(sv.name));
    memcpy(sv.uuid, r->uuid, sizeof(sv.uuid));
    sv.qrexec_pid = r->qrexec_pid;
    sv.qdb_pid = r->qdb_pid;
    sv.paused = r->st == LC_PAUSED;
    sv.memory = r->memory;
    sv.maxmem = r->maxmem;
    sv.plan = r->plan;
    mkdir(lc->o.state_dir, 0700);
    path_of(lc, r->name, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    rc = io_write_full(fd, &sv, sizeof(sv));
    close(fd);
    if (rc < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        return rc < 0 ? rc : -errno;
    }
    return 0;
}

void lc_state_remove(struct lifecycle *lc, const char *name)
{
    char path[4096];

    path_of(lc, name, path, sizeof(path));
    unlink(path);
}

static int load(const char *path, struct saved *sv)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = io_read_full(fd, sv, sizeof(*sv));
    close(fd);
    if (rc < 0 || sv->magic != STATE_MAGIC || sv->size != sizeof(*sv))
        return -1;
    sv->name[sizeof(sv->name) - 1] = 0;
    sv->uuid[sizeof(sv->uuid) - 1] = 0;
    return 0;
}

/* A qube found running: its daemons are checked and, for QubesDB,
 * started again (qrexec needs the agent to reconnect, which it does not:
 * that is logged). */
static void adopt(struct lifecycle *lc, const struct saved *sv, const struct be_dom *d)
{
    struct rt *r = lc_rt_add(lc, sv->qid, sv->name);
    struct vm_info vm;
    char err[512];

    if (!r)
        return;
    r->domid = d->domid;
    memcpy(r->uuid, sv->uuid, sizeof(r->uuid));
    r->qrexec_pid = sv->qrexec_pid;
    r->qdb_pid = sv->qdb_pid;
    r->memory = sv->memory;
    r->maxmem = sv->maxmem;
    r->plan = sv->plan;
    r->st = d->state == BE_PAUSED ? LC_PAUSED : LC_RUNNING;
    if (!daemon_alive(r->qdb_pid, lc->o.qubesdb_daemon) &&
        store_vm_find(lc->store, r->name, &vm) == 0) {
        struct start_props p;
        struct buf keys;
        struct qerr e;
        if (lc_keys_for(lc, &vm, &p, &keys, &e) == 0) {
            r->qdb_pid = lc_qubesdb_up(&lc->o, r->name, r->domid, &keys, err, sizeof(err));
            if (r->qdb_pid < 0)
                log_warnx("%s: restarting its qubesdb-daemon: %s", r->name, err);
            buf_fini(&keys);
        }
    }
    if (!daemon_alive(r->qrexec_pid, lc->o.qrexec_daemon)) {
        log_warnx("%s runs without its qrexec-daemon; qrexec calls to it fail until it restarts",
                  r->name);
        r->qrexec_pid = -1;
    }
    lc_state_save(lc, r);
    log_info("found %s running as domain %d", r->name, r->domid);
}

/* Its domain ended while qvmd was away: stop its daemons and volumes. */
static void clean_up(struct lifecycle *lc, const struct saved *sv, int domid)
{
    struct rt *r = lc_rt_add(lc, sv->qid, sv->name);
    struct job *j;

    if (!r)
        return;
    r->domid = domid; /* >= 0: still there, shutting down: destroy it */
    r->qrexec_pid = sv->qrexec_pid;
    r->qdb_pid = sv->qdb_pid;
    r->plan = sv->plan;
    r->st = LC_DYING;
    if (!daemon_alive(r->qrexec_pid, lc->o.qrexec_daemon))
        r->qrexec_pid = -1;
    if (!daemon_alive(r->qdb_pid, lc->o.qubesdb_daemon))
        r->qdb_pid = -1;
    j = calloc(1, sizeof(*j));
    if (!j)
        return;
    j->kind = JOB_STOP;
    j->r = r;
    j->destroy = domid >= 0;
    log_info("%s ended while qvmd was not running; cleaning up", r->name);
    lc_run_job(lc, j);
}

void lc_rediscover(struct lifecycle *lc)
{
    struct be_dom doms[256];
    char err[256], path[4096];
    int n = backend_list(lc->be, doms, 256, err, sizeof(err));
    DIR *dir;
    struct dirent *de;

    if (n < 0) {
        log_warnx("cannot list the running domains: %s", err);
        return;
    }
    dir = opendir(lc->o.state_dir);
    if (!dir)
        return;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        struct saved sv;
        struct vm_info vm;
        int k;
        if (len < 7 || strcmp(de->d_name + len - 6, ".state"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", lc->o.state_dir, de->d_name);
        if (load(path, &sv) < 0) {
            log_warnx("ignoring %s: not a state file of this qvmd", path);
            continue;
        }
        if (store_vm_find(lc->store, sv.name, &vm) < 0 || vm.qid != sv.qid) {
            log_warnx("%s: no such qube any more; ignoring its state file", sv.name);
            continue;
        }
        for (k = 0; k < n; k++)
            if (doms[k].domid == sv.domid && !strcmp(doms[k].name, sv.name))
                break;
        if (k < n && doms[k].state != BE_GONE && doms[k].state != BE_SHUTTING_DOWN)
            adopt(lc, &sv, &doms[k]);
        else
            clean_up(lc, &sv, k < n && doms[k].state != BE_GONE ? doms[k].domid : -1);
    }
    closedir(dir);
}
