/* shm: memory one domain shares with another (window buffers of the GUI).
 *
 * Two kinds, one API:
 *  - SHM_GRANT (Xen): the exporting domain allocates pages with gntalloc,
 *    granted to the peer domain; the importer maps them with gntdev from the
 *    grant references. A revoked or forged reference maps nothing.
 *  - SHM_MEMFD (local backend, tests): the exporter creates a memfd of the
 *    size, sealed against shrinking and growing; its reference is the
 *    descriptor number in the exporter's process, which the importer opens
 *    through /proc/<peer pid>/fd/<n> (the peer pid from vchan_peer_pid(), the
 *    kernel's word, never the peer's). The importer refuses anything that is
 *    not a memfd carrying those seals, or is smaller than claimed: the seals
 *    are what keep a mapping from faulting (SIGBUS) when the peer truncates.
 *
 * Exporter (VM side):
 *     struct shm_export e;
 *     shm_export_create(&e, kind, peer_domid, bytes);  e.addr, e.refs, e.nrefs
 *     ... send kind, e.nrefs, e.refs ...
 *     shm_export_destroy(&e);
 * Importer (dom0 side):
 *     struct shm_import im;
 *     shm_import_map(&im, kind, peer_domid, peer_pid, refs, nrefs, bytes);
 *     im.addr (read-only mapping), im.fd (memfd: a descriptor another
 *     process, e.g. the X server through MIT-SHM, may map; -1 for grants)
 *     shm_import_unmap(&im);
 *
 * Sizes are whole pages (SHM_PAGE_SIZE); functions return 0 or a negative
 * errno and leave the struct empty on failure. */
#ifndef BULKHEAD_LIB_SHM_H
#define BULKHEAD_LIB_SHM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SHM_PAGE_SIZE 4096

enum shm_kind {
    SHM_GRANT = 1,
    SHM_MEMFD = 2,
};

struct shm_export {
    enum shm_kind kind;
    void *addr;     /* read-write mapping of the whole buffer */
    size_t bytes;   /* whole pages */
    uint32_t nrefs; /* GRANT: bytes / SHM_PAGE_SIZE; MEMFD: 1 */
    uint32_t *refs; /* GRANT: grant references; MEMFD: refs[0] = fd */
    /* MEMFD: the memfd, which an X server can also attach (MIT-SHM fd
     * passing). GRANT: the gntalloc descriptor (allocation at offset 0);
     * X servers refuse to attach it (ShmAttachFd wants a nonzero st_size,
     * a device has none): draw into a memfd of your own and copy. */
    int fd;
    uint64_t index; /* GRANT: gntalloc's mmap offset for this allocation */
};

struct shm_import {
    enum shm_kind kind;
    const void *addr; /* read-only mapping */
    size_t bytes;
    int fd; /* MEMFD: our own descriptor of the peer's memfd; GRANT: -1 */
    /* private to lib/shm.c (GRANT: the gntdev descriptor and mmap offset) */
    int dev_fd;
    uint64_t dev_index;
};

/* The kind this machine uses: SHM_GRANT when lib/vchan would pick its Xen
 * backend (BULKHEAD_VCHAN, VCHAN_SOCKET_DIR: see vchan.h) and
 * /dev/xen/gntalloc (exporter) or /dev/xen/gntdev (importer) exists, else
 * SHM_MEMFD. */
enum shm_kind shm_kind_for_export(void);
enum shm_kind shm_kind_for_import(void);

int shm_export_create(struct shm_export *e, enum shm_kind kind, int peer_domid, size_t bytes);
void shm_export_destroy(struct shm_export *e);

/* refs/nrefs as the peer sent them (already checked by the protocol parser
 * for count against bytes); bytes a whole number of pages. */
int shm_import_map(struct shm_import *im, enum shm_kind kind, int peer_domid, pid_t peer_pid,
                   const uint32_t *refs, uint32_t nrefs, size_t bytes);
void shm_import_unmap(struct shm_import *im);

#endif
