/* Internal to the local backend (dom0/backend/local*.c): state files and the
 * namespace spawner. */
#ifndef BULKHEAD_DOM0_BACKEND_LOCAL_INT_H
#define BULKHEAD_DOM0_BACKEND_LOCAL_INT_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "dom0/backend/backend.h"

/* What <state_dir>/<domid> holds, so that any process can find a qube. */
struct lstate {
    char name[32];
    pid_t pid;                      /* the init, in the host's PID namespace */
    unsigned long long start;       /* its start time (clock ticks after boot) */
    char cgroup[PATH_MAX];          /* its cgroup v2 directory, "" = none */
    char disks[BE_MAX_DISKS][4096]; /* image files whose loop devices must go at destroy */
    int ndisks;
};

/* Start time of pid from /proc/<pid>/stat; 0 or -errno. */
int lstate_proc_start(pid_t pid, unsigned long long *start);
/* 0 and st filled, or -errno (-ENOENT: no such domid). */
int lstate_read(const char *dir, int domid, struct lstate *st);
/* Atomically (re)writes <dir>/<domid>. 0 or -errno. */
int lstate_write(const char *dir, int domid, const struct lstate *st);
/* The init named by st still runs (same pid, same start time). */
bool lstate_alive(const struct lstate *st);
/* Removes <dir>/<domid> and its companions (gate, root dir, shutdown mark,
 * cgroup), but only if the file still names st's process. */
void lstate_remove(const char *dir, int domid, const struct lstate *st);
/* Companion paths: "<dir>/<domid>.<what>". */
int lstate_path(char *out, size_t outsz, const char *dir, int domid, const char *what);
/* Every domid with a state file, ascending; returns the count (<= max) or -errno. */
int lstate_scan(const char *dir, int *domids, int max);

/* The namespace spawner (local_spawn.c). */
struct lspawn {
    const struct be_spec *spec;
    int domid;
    const char *init;      /* program run as PID 1 */
    const char *vchan_dir; /* absolute, resolved */
    const char *gate;      /* FIFO the child waits on before exec */
    const char *newroot;   /* empty directory the qube's root tmpfs is mounted on */
    int log_fd;            /* the console log */
};
/* Clones the init into new PID, mount, UTS, IPC and network namespaces and
 * returns once it waits at the gate: 0 and *pid, or -1 with err. */
int lspawn_start(const struct lspawn *a, pid_t *pid, char *err, size_t errsz);

#endif
