/* dom0/backend/backend.h — hypervisor backends (dom0, trusted).
 *
 * One interface over two ways of running a qube: "xen" (real domains through
 * libxl) and "local" (process trees in Linux namespaces, for development and
 * tests; NOT a security boundary, see docs/backends.md). */
#ifndef BULKHEAD_DOM0_BACKEND_H
#define BULKHEAD_DOM0_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

enum be_state { BE_RUNNING, BE_PAUSED, BE_SHUTTING_DOWN, BE_GONE };
#define BE_MAX_DISKS 8
struct be_disk {
    char vdev[8];      /* "xvda" */
    char target[4096]; /* image file or block device */
    bool rw;
};
struct be_spec {
    char name[32];
    char uuid[37];
    int qid;
    char virt_mode[8]; /* "pvh" | "pv" | "hvm" (hvm is refused for now) */
    char kernel[4096], initramfs[4096], cmdline[2048]; /* already resolved by the caller */
    int memory_mib, maxmem_mib, vcpus;
    struct be_disk disks[BE_MAX_DISKS];
    int ndisks;
    char console_log[4096]; /* where the guest console goes ("" = default) */
};
struct be_dom {
    char name[32];
    int domid;
    enum be_state state;
};
struct be_opts {            /* paths; NULL/"" = production defaults */
    const char *state_dir;  /* local: /run/bulkhead/local */
    const char *vchan_dir;  /* local: the socket vchan dir (VCHAN_SOCKET_DIR) */
    const char *local_init; /* local: the program run as the qube's init */
    /* xen: keep RDTSCP visible to PVH guests. By default it is hidden
     * (cpuid rdtscp=0) because PVH guests hang on its emulation under QEMU
     * TCG, where the system tests run; on real hardware hiding it costs
     * little (guests fall back to rdtsc). */
    bool xen_keep_rdtscp;
};
struct backend;
/* kind "xen" or "local". NULL with err on failure (e.g. no Xen: say so). */
struct backend *backend_open(const char *kind, const struct be_opts *o, char *err, size_t errsz);
void backend_close(struct backend *b);
const char *backend_name(const struct backend *b);
/* All return 0 or -1 with a one-line reason in err. Thread-safe: the start sequence calls
   create_paused/unpause/destroy from a worker thread while the main thread may call others. */
int backend_create_paused(struct backend *b, const struct be_spec *s, int *domid, char *err,
                          size_t errsz);
int backend_unpause(struct backend *b, int domid, char *err, size_t errsz);
int backend_pause(struct backend *b, int domid, char *err, size_t errsz);
int backend_shutdown(struct backend *b, int domid, char *err,
                     size_t errsz); /* asks; returns at once */
int backend_destroy(struct backend *b, int domid, char *err, size_t errsz); /* waits until gone */
/* Every domain but dom0: up to max, returns the count (or -1). Used to find running qubes
   again after qvmd restarts, so it must work from a fresh process. Opening a backend also
   starts watching every domain found then. */
int backend_list(struct backend *b, struct be_dom *out, int max, char *err, size_t errsz);
/* Readable when some domain died or shut down (also one destroyed outside qvmd, e.g. xl
   destroy / kill -9 of the local init); then backend_reap() returns the domids that are gone.
   A domain ended through backend_destroy() is not reported again by backend_reap() (destroy
   already said it is gone, and the local backend may hand its domid out again at once). */
int backend_event_fd(struct backend *b);
int backend_reap(struct backend *b, int *domids, int max);

#endif
