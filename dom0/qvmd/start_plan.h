/* What a start needs, as data: the qube's settings read from the store,
 * the domain description for the backend and the QubesDB keys, built by
 * pure functions so their rules are unit-tested without a hypervisor.
 * (dom0, trusted.) */
#ifndef BULKHEAD_QVMD_START_PLAN_H
#define BULKHEAD_QVMD_START_PLAN_H

#include "dom0/backend/backend.h"
#include "dom0/qvmd/props.h"
#include "dom0/qvmd/store.h"
#include "lib/buf.h"

#define PLAN_MAX_SERVICES 64

struct start_props {
    int qid;
    char name[32], uuid[37];
    enum vm_class cls;
    char template_name[32]; /* "" when none */
    char virt_mode[8], kernel[256], kernelopts[1024], default_user[64];
    int memory, maxmem, vcpus, qrexec_timeout, shutdown_timeout;
    bool template_for_dispvms;
    bool gui; /* feature "gui": on unless set to "" (a qube without windows) */
    int nservices; /* /qubes-service/NAME = 1|0, from service.NAME features */
    struct {
        char name[64];
        bool on;
    } services[PLAN_MAX_SERVICES];
};

/* Reads the settings of vm from the store (loop thread). */
int plan_read_props(struct store *s, const struct vm_info *vm, struct start_props *p,
                    struct qerr *e);

/* The domain: kernel, initramfs and command line from kernels_dir/KERNEL/
 * (default_kernelopts: the directory's default-kernelopts-nopci.txt, NULL
 * if absent), memory, vcpus, the disks given (vdevs[i], paths[i], rw[i],
 * empty paths skipped). A backend that runs no kernel of its own (local)
 * passes need_kernel false. 0 or -1 with err. */
int plan_domain(const struct start_props *p, bool need_kernel, const char *kernels_dir,
                const char *default_kernelopts, int ndisks, const char *const *vdevs,
                const char *const *paths, const bool *rw, struct be_spec *out, char *err,
                size_t errsz);

/* The QubesDB keys as "key\0value\0" pairs in out. timezone: dom0's
 * ("" if unknown); seed: 64 random bytes. */
int plan_qdb_keys(const struct start_props *p, const char *timezone, const unsigned char seed[64],
                  struct buf *out);

#endif
