/* Which kind of shared memory (shm.h) this machine uses: the one that
 * matches the vchan transport lib/vchan picks. Apart from shm.c because it
 * needs lib/vchan, which the qube's Xorg module (linking shm.c) has not. */
#include "lib/shm.h"
#include "lib/vchan_backend.h"

#include <unistd.h>

#define GNTALLOC_DEV "/dev/xen/gntalloc"
#define GNTDEV_DEV   "/dev/xen/gntdev"

static enum shm_kind kind_for(const char *dev)
{
    if (vchan_socket_selected() || access(dev, R_OK | W_OK) != 0)
        return SHM_MEMFD;
    return SHM_GRANT;
}

enum shm_kind shm_kind_for_export(void)
{
    return kind_for(GNTALLOC_DEV);
}

enum shm_kind shm_kind_for_import(void)
{
    return kind_for(GNTDEV_DEV);
}
