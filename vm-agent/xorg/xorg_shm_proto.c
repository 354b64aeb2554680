/* The module <-> agent socket messages (xorg_shm_proto.h): naming and
 * checks, pure, shared by both ends and unit-tested. */
#include "vm-agent/xorg/xorg_shm_proto.h"

#include "lib/shm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Each at most this: a 16384 x 6144 window (the protocol's largest). */
#define XORG_SHM_MAX_BYTES  ((uint64_t)16384 * 6144 * 4)
#define XORG_SHM_MAX_STRIDE (16384 * 4)

static size_t whole_pages(size_t n)
{
    return (n + SHM_PAGE_SIZE - 1) / SHM_PAGE_SIZE * SHM_PAGE_SIZE;
}

int xorg_shm_layout(uint32_t pw, uint32_t ph, uint32_t bw, struct xorg_shm_layout *out)
{
    struct xorg_shm_layout l;

    /* in 64 bits: nothing here can wrap */
    if ((uint64_t)bw * 2 >= pw || (uint64_t)bw * 2 >= ph || pw - 2 * bw > 16384 ||
        ph - 2 * bw > 6144 || pw > XORG_SHM_MAX_STRIDE / 4)
        return -EINVAL;
    l.width = pw - 2 * bw, l.height = ph - 2 * bw, l.stride = pw * 4;
    l.lead = (size_t)bw * l.stride + (size_t)bw * 4;
    l.lead_map = whole_pages(l.lead);
    /* from the window's first pixel to the pixmap's end */
    l.shared_bytes = whole_pages((size_t)l.stride * ph - l.lead);
    l.told_bytes = whole_pages((size_t)l.stride * l.height);
    *out = l;
    return 0;
}

size_t xorg_shm_socket_name(const char *display, char *out, size_t outlen)
{
    const char *p = display ? strrchr(display, ':') : NULL;
    unsigned long n = 0;
    int len;

    if (!p || p[1] < '0' || p[1] > '9')
        return 0;
    for (p++; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (unsigned long)(*p - '0');
        if (n > 65535)
            return 0;
    }
    if (*p && *p != '.')
        return 0;
    /* the leading NUL puts it in the abstract namespace */
    len = snprintf(out, outlen, "%cbulkhead-xorg-shm:%lu", 0, n);
    if (len < 0 || (size_t)len >= outlen)
        return 0;
    return (size_t)len;
}

int xorg_shm_parse_request(const void *buf, size_t len, struct xorg_shm_request *out)
{
    struct xorg_shm_request r;

    if (len != sizeof(r))
        return -EINVAL;
    memcpy(&r, buf, sizeof(r));
    if (r.magic != XORG_SHM_MAGIC || (r.kind != SHM_MEMFD && r.kind != SHM_GRANT) ||
        r.domid > 0xffff || r.window == 0)
        return -EINVAL;
    if (r.pad || (r.op != XORG_SHM_WINDOW && r.flags))
        return -EINVAL;
    switch (r.op) {
    case XORG_SHM_WINDOW:
        if (r.slots < 1 || r.slots > XORG_SHM_SLOTS || r.serial || (r.flags & ~XORG_SHM_AUTO))
            return -EINVAL;
        break;
    case XORG_SHM_LOCK:
        if (r.slots || !r.serial)
            return -EINVAL;
        break;
    case XORG_SHM_RELEASE:
        if (r.slots >= XORG_SHM_SLOTS || !r.serial)
            return -EINVAL;
        break;
    default:
        return -EINVAL;
    }
    *out = r;
    return 0;
}

/* A WINDOW reply's geometry and descriptors. */
static int check_window(const struct xorg_shm_reply *r, unsigned nfds)
{
    /* a bordered window's rows are its pixmap's, longer than its width */
    if (r->width == 0 || r->height == 0 || r->width > 16384 || r->height > 6144 ||
        (r->depth != 24 && r->depth != 32) || r->stride % 4 || r->stride < r->width * 4 ||
        r->stride > XORG_SHM_MAX_STRIDE)
        return -EINVAL;
    if (r->bytes % SHM_PAGE_SIZE || r->bytes > XORG_SHM_MAX_BYTES ||
        r->bytes < (uint64_t)r->stride * r->height)
        return -EINVAL;
    if (r->slots < 1 || r->slots > XORG_SHM_SLOTS || r->slot)
        return -EINVAL;
    if (r->kind == SHM_MEMFD)
        return r->nrefs == 1 && nfds == r->slots ? 0 : -EINVAL;
    if (r->kind == SHM_GRANT)
        return r->nrefs == r->bytes / SHM_PAGE_SIZE && nfds == r->slots + 1 ? 0 : -EINVAL;
    return -EINVAL;
}

int xorg_shm_parse_reply(const void *buf, size_t len, unsigned nfds, struct xorg_shm_reply *out)
{
    struct xorg_shm_reply r;

    if (len != sizeof(r))
        return -EINVAL;
    memcpy(&r, buf, sizeof(r));
    if (r.magic != XORG_SHM_MAGIC)
        return -EINVAL;
    if (r.status != 0) {
        if (r.status > 0 || nfds != 0)
            return -EINVAL;
        *out = r;
        return 0;
    }
    if (r.op == XORG_SHM_LOCK || r.op == XORG_SHM_FRAME) {
        if (nfds || r.slot >= XORG_SHM_SLOTS || !r.serial || !r.window)
            return -EINVAL;
    } else if (r.op != XORG_SHM_WINDOW || check_window(&r, nfds) < 0) {
        return -EINVAL;
    }
    *out = r;
    return 0;
}
