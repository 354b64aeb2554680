/* Shared memory between domains (shm.h): Xen grants or sealed memfds.
 *
 * GRANT: each export opens its own /dev/xen/gntalloc descriptor, so its one
 * allocation sits at mmap offset 0 of that descriptor and another process
 * handed the descriptor (the qube's X server, through MIT-SHM fd passing)
 * maps the same pages with an ordinary mmap at offset 0. Grants are
 * read-only: dom0 never writes into a qube's buffer. Each import opens its
 * own /dev/xen/gntdev, so closing it can only ever release that import.
 *
 * MEMFD: see the checks in memfd_import(); they are what make a mapping of
 * memory a hostile peer controls safe to read.
 *
 * Which kind a machine uses is lib/shm_kind.c: this file needs only libc and
 * the kernel's headers, so the qube's Xorg module (vm-agent/xorg/) links it
 * too. */
#include "lib/shm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xen/sys/gntalloc.h>
#include <xen/sys/gntdev.h>

#define GNTALLOC_DEV       "/dev/xen/gntalloc"
#define GNTDEV_DEV         "/dev/xen/gntdev"
#define MEMFD_SEALS_NEEDED (F_SEAL_SHRINK | F_SEAL_GROW)

static bool whole_pages(size_t bytes)
{
    return bytes > 0 && bytes % SHM_PAGE_SIZE == 0 && bytes / SHM_PAGE_SIZE <= UINT32_MAX;
}

static void export_clear(struct shm_export *e)
{
    memset(e, 0, sizeof(*e));
    e->fd = -1;
    e->addr = NULL;
}

static int memfd_export(struct shm_export *e, size_t bytes)
{
    int fd = memfd_create("bulkhead-shm", MFD_ALLOW_SEALING | MFD_CLOEXEC), r;
    void *addr;

    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)bytes) < 0)
        goto fail;
    addr = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED)
        goto fail;
    /* sealed before anyone else can see it: the size never changes again */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        r = -errno;
        munmap(addr, bytes);
        close(fd);
        return r;
    }
    e->refs = malloc(sizeof(*e->refs));
    if (!e->refs) {
        munmap(addr, bytes);
        close(fd);
        return -ENOMEM;
    }
    e->refs[0] = (uint32_t)fd;
    e->nrefs = 1;
    e->fd = fd;
    e->addr = addr;
    return 0;
fail:
    r = errno ? -errno : -EIO;
    close(fd);
    return r;
}

static int grant_export(struct shm_export *e, int peer_domid, size_t bytes)
{
    uint32_t pages = (uint32_t)(bytes / SHM_PAGE_SIZE);
    size_t argsz = sizeof(struct ioctl_gntalloc_alloc_gref) + (size_t)pages * sizeof(uint32_t);
    struct ioctl_gntalloc_alloc_gref *arg;
    int fd, r;
    void *addr;

    if (peer_domid < 0 || peer_domid > UINT16_MAX)
        return -EINVAL;
    arg = calloc(1, argsz);
    e->refs = malloc((size_t)pages * sizeof(*e->refs));
    if (!arg || !e->refs) {
        free(arg);
        free(e->refs);
        e->refs = NULL;
        return -ENOMEM;
    }
    fd = open(GNTALLOC_DEV, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        r = -errno;
        goto fail_mem;
    }
    arg->domid = (uint16_t)peer_domid;
    arg->flags = 0; /* read-only for the peer */
    arg->count = pages;
    if (ioctl(fd, IOCTL_GNTALLOC_ALLOC_GREF, arg) < 0) {
        r = -errno;
        goto fail_fd;
    }
    addr = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)arg->index);
    if (addr == MAP_FAILED) {
        r = -errno;
        goto fail_fd; /* closing the descriptor releases the grants */
    }
    memcpy(e->refs, arg->gref_ids, (size_t)pages * sizeof(uint32_t));
    e->nrefs = pages;
    e->index = arg->index;
    e->fd = fd;
    e->addr = addr;
    free(arg);
    return 0;
fail_fd:
    close(fd);
fail_mem:
    free(arg);
    free(e->refs);
    e->refs = NULL;
    return r;
}

int shm_export_create(struct shm_export *e, enum shm_kind kind, int peer_domid, size_t bytes)
{
    int r;

    export_clear(e);
    if (!whole_pages(bytes))
        return -EINVAL;
    e->kind = kind;
    e->bytes = bytes;
    if (kind == SHM_MEMFD)
        r = memfd_export(e, bytes);
    else if (kind == SHM_GRANT)
        r = grant_export(e, peer_domid, bytes);
    else
        r = -EINVAL;
    if (r < 0)
        export_clear(e);
    return r;
}

void shm_export_destroy(struct shm_export *e)
{
    if (e->addr)
        munmap(e->addr, e->bytes);
    if (e->kind == SHM_GRANT && e->fd >= 0 && e->nrefs) {
        struct ioctl_gntalloc_dealloc_gref d = {.index = e->index, .count = e->nrefs};

        /* pages a peer still maps are freed by Xen once it lets go */
        (void)ioctl(e->fd, IOCTL_GNTALLOC_DEALLOC_GREF, &d);
    }
    if (e->fd >= 0)
        close(e->fd);
    free(e->refs);
    export_clear(e);
}

static void import_clear(struct shm_import *im)
{
    memset(im, 0, sizeof(*im));
    im->fd = -1;
    im->dev_fd = -1;
}

/* The peer names a descriptor in its own process; we reopen it through
 * /proc and accept only a memfd whose size can no longer change (seals
 * cannot be removed once set) and that holds at least the buffer. Opening
 * never blocks and never makes a terminal ours, should the "descriptor" be
 * a FIFO or a device. */
static int memfd_import(struct shm_import *im, pid_t peer_pid, const uint32_t *refs, uint32_t nrefs,
                        size_t bytes)
{
    char path[64];
    struct stat st;
    int fd, seals, r;
    void *addr;

    if (nrefs != 1 || peer_pid <= 0 || refs[0] > INT_MAX)
        return -EINVAL;
    snprintf(path, sizeof(path), "/proc/%d/fd/%u", (int)peer_pid, refs[0]);
    if (stat(path, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EBADF;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -errno;
    /* checked again on what we opened: the peer may have swapped it */
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        r = -EBADF;
        goto fail;
    }
    seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || (seals & MEMFD_SEALS_NEEDED) != MEMFD_SEALS_NEEDED) {
        r = -EPERM;
        goto fail;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size < bytes) {
        r = -EMSGSIZE;
        goto fail;
    }
    addr = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) {
        r = -errno;
        goto fail;
    }
    im->addr = addr;
    im->fd = fd;
    return 0;
fail:
    close(fd);
    return r;
}

static int grant_import(struct shm_import *im, int peer_domid, const uint32_t *refs, uint32_t nrefs,
                        size_t bytes)
{
    size_t argsz;
    struct ioctl_gntdev_map_grant_ref *arg;
    int fd, r;
    void *addr;

    if (peer_domid < 0 || peer_domid > UINT16_MAX || nrefs != bytes / SHM_PAGE_SIZE)
        return -EINVAL;
    argsz = sizeof(*arg) + (size_t)nrefs * sizeof(struct ioctl_gntdev_grant_ref);
    arg = calloc(1, argsz);
    if (!arg)
        return -ENOMEM;
    fd = open(GNTDEV_DEV, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        r = -errno;
        free(arg);
        return r;
    }
    arg->count = nrefs;
    for (uint32_t i = 0; i < nrefs; i++) {
        arg->refs[i].domid = (uint32_t)peer_domid;
        arg->refs[i].ref = refs[i];
    }
    if (ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, arg) < 0) {
        r = -errno;
        goto fail;
    }
    /* the grants are mapped on first touch here; a forged reference makes
     * the mmap fail, never a mapping of someone else's memory */
    addr = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, (off_t)arg->index);
    if (addr == MAP_FAILED) {
        struct ioctl_gntdev_unmap_grant_ref u = {.index = arg->index, .count = nrefs};

        r = -errno;
        (void)ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
        goto fail;
    }
    im->addr = addr;
    im->dev_fd = fd;
    im->dev_index = arg->index;
    free(arg);
    return 0;
fail:
    close(fd);
    free(arg);
    return r;
}

int shm_import_map(struct shm_import *im, enum shm_kind kind, int peer_domid, pid_t peer_pid,
                   const uint32_t *refs, uint32_t nrefs, size_t bytes)
{
    int r;

    import_clear(im);
    if (!whole_pages(bytes) || !refs || nrefs == 0)
        return -EINVAL;
    if (kind == SHM_MEMFD)
        r = memfd_import(im, peer_pid, refs, nrefs, bytes);
    else if (kind == SHM_GRANT)
        r = grant_import(im, peer_domid, refs, nrefs, bytes);
    else
        r = -EINVAL;
    if (r < 0) {
        import_clear(im);
        return r;
    }
    im->kind = kind;
    im->bytes = bytes;
    return 0;
}

void shm_import_unmap(struct shm_import *im)
{
    if (im->addr)
        munmap((void *)im->addr, im->bytes);
    if (im->dev_fd >= 0) {
        struct ioctl_gntdev_unmap_grant_ref u = {.index = im->dev_index,
                                                 .count = (uint32_t)(im->bytes / SHM_PAGE_SIZE)};

        /* after munmap, as gntdev requires */
        (void)ioctl(im->dev_fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u);
        close(im->dev_fd);
    }
    if (im->fd >= 0)
        close(im->fd);
    import_clear(im);
}
