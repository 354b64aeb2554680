/* storage-ctl: drives the storage API of dom0/storage/storage.h on a qvmd
 * database, as qvmd's start and stop will (tests; no Xen needed).
 *
 *   storage-ctl --db PATH plan QUBE    one line per volume: vdev volume pool vid rw
 *   storage-ctl --db PATH start QUBE   starts the volumes; prints "vdev path" lines
 *   storage-ctl --db PATH stop QUBE    commits or discards them
 *
 * qvmd holds its database exclusively: stop qvmd first. Exit 0 done, 1
 * failed (one line on stderr), 2 usage. */
#include "dom0/qvmd/store.h"
#include "dom0/storage/storage.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    static char path[STORAGE_MAX_VOLS][STORAGE_PATH_MAX];
    struct vm_storage plan;
    struct qerr e = {0};
    struct store *s;
    struct vm_info vm;
    char err[512];
    int r;

    if (argc != 5 || strcmp(argv[1], "--db") ||
        (strcmp(argv[3], "plan") && strcmp(argv[3], "start") && strcmp(argv[3], "stop"))) {
        fprintf(stderr, "usage: storage-ctl --db PATH plan|start|stop QUBE\n");
        return 2;
    }
    if (store_open(argv[2], 0, &s, err, sizeof(err)) < 0) {
        fprintf(stderr, "storage-ctl: %s\n", err);
        return 1;
    }
    if (store_vm_find(s, argv[4], &vm) < 0) {
        fprintf(stderr, "storage-ctl: no such qube: %s\n", argv[4]);
        store_close(s);
        return 1;
    }
    /* the plan is made with the store open; start and stop never see it */
    r = storage_plan(s, &vm, &plan, &e);
    store_close(s);
    if (r == 0 && !strcmp(argv[3], "plan"))
        for (int i = 0; i < plan.n; i++)
            printf("%s %s %s %s %s\n", plan.v[i].vdev, plan.v[i].volume, plan.v[i].pool.name,
                   plan.v[i].vid[0] ? plan.v[i].vid : "-", plan.v[i].rw ? "rw" : "ro");
    else if (r == 0 && !strcmp(argv[3], "start")) {
        r = storage_start(&plan, path, &e);
        for (int i = 0; r == 0 && i < plan.n; i++)
            printf("%s %s\n", plan.v[i].vdev, path[i][0] ? path[i] : "-");
    } else if (r == 0)
        r = storage_stop(&plan, &e);
    if (r < 0) {
        fprintf(stderr, "storage-ctl: %s: %s\n", e.type ? e.type : "error", e.msg);
        return 1;
    }
    return 0;
}
