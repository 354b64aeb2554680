/* be_spec -> libxl_domain_config (dom0, trusted).
 *
 * What the config holds follows the Qubes domain template (the interop spec,
 * section 7): PVH by default with a dom0-supplied kernel, initramfs and
 * command line; PV when asked; memory = current, maxmem = the ceiling (the
 * same as memory when maxmem is 0); every shutdown kind destroys the domain
 * (qvmd decides what happens next); disks are raw xvdX vdevs whose backend
 * libxl picks (phy for block devices such as LVM volumes, a loop device or
 * qdisk for files); no network yet. HVM needs a device model (stubdomain)
 * that Bulkhead does not provide yet, so it is refused. */
#include "dom0/backend/xen_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom0/backend/backend_int.h"

#define MAX_VCPUS 128

static bool valid_vdev(const char *v)
{
    /* xvda..xvdz: what the guests' blkfront and the Qubes layout use. */
    return strlen(v) == 4 && !strncmp(v, "xvd", 3) && v[3] >= 'a' && v[3] <= 'z';
}

static int set_str(char **dst, const char *src, char *err, size_t errsz)
{
    *dst = strdup(src);
    return *dst ? 0 : be_err(err, errsz, "out of memory");
}

static int check_spec(const struct be_spec *s, char *err, size_t errsz)
{
    if (!s->name[0] || memchr(s->name, 0, sizeof(s->name)) == NULL)
        return be_err(err, errsz, "the domain needs a name");
    if (!strcmp(s->virt_mode, "hvm"))
        return be_err(err, errsz, "virt_mode hvm is not supported yet (no device model)");
    if (s->virt_mode[0] && strcmp(s->virt_mode, "pvh") && strcmp(s->virt_mode, "pv"))
        return be_err(err, errsz, "unknown virt_mode '%.8s'", s->virt_mode);
    if (!s->kernel[0])
        return be_err(err, errsz, "%s needs a kernel from dom0",
                      s->virt_mode[0] ? s->virt_mode : "pvh");
    if (s->memory_mib <= 0)
        return be_err(err, errsz, "memory must be positive (%d MiB)", s->memory_mib);
    if (s->maxmem_mib < 0 || (s->maxmem_mib && s->maxmem_mib < s->memory_mib))
        return be_err(err, errsz, "maxmem %d MiB is below memory %d MiB", s->maxmem_mib,
                      s->memory_mib);
    if (s->vcpus < 1 || s->vcpus > MAX_VCPUS)
        return be_err(err, errsz, "vcpus must be 1..%d (%d)", MAX_VCPUS, s->vcpus);
    if (s->ndisks < 0 || s->ndisks > BE_MAX_DISKS)
        return be_err(err, errsz, "bad disk count %d", s->ndisks);
    for (int i = 0; i < s->ndisks; i++) {
        if (!valid_vdev(s->disks[i].vdev))
            return be_err(err, errsz, "bad disk name '%.8s' (xvda..xvdz)", s->disks[i].vdev);
        if (s->disks[i].target[0] != '/')
            return be_err(err, errsz, "disk %s: the target must be an absolute path",
                          s->disks[i].vdev);
        for (int j = 0; j < i; j++)
            if (!strcmp(s->disks[i].vdev, s->disks[j].vdev))
                return be_err(err, errsz, "disk %s given twice", s->disks[i].vdev);
    }
    return 0;
}

int xen_config_from_spec(const struct be_spec *s, bool hide_rdtscp, libxl_domain_config *dc,
                         char *err, size_t errsz)
{
    if (check_spec(s, err, errsz) < 0)
        return -1;
    bool pv = !strcmp(s->virt_mode, "pv");
    libxl_domain_type type = pv ? LIBXL_DOMAIN_TYPE_PV : LIBXL_DOMAIN_TYPE_PVH;

    dc->c_info.type = type;
    if (set_str(&dc->c_info.name, s->name, err, errsz) < 0)
        return -1;
    if (s->uuid[0] && libxl_uuid_from_string(&dc->c_info.uuid, s->uuid) != 0)
        return be_err(err, errsz, "bad uuid '%.36s'", s->uuid);

    libxl_domain_build_info_init_type(&dc->b_info, type);
    int maxmem = s->maxmem_mib ? s->maxmem_mib : s->memory_mib;
    dc->b_info.target_memkb = (uint64_t)s->memory_mib * 1024;
    dc->b_info.max_memkb = (uint64_t)maxmem * 1024;
    /* avail_vcpus left empty: libxl then brings all of them online. */
    dc->b_info.max_vcpus = s->vcpus;
    if (set_str(&dc->b_info.kernel, s->kernel, err, errsz) < 0 ||
        (s->initramfs[0] && set_str(&dc->b_info.ramdisk, s->initramfs, err, errsz) < 0) ||
        (s->cmdline[0] && set_str(&dc->b_info.cmdline, s->cmdline, err, errsz) < 0))
        return -1;
    /* PVH guests hang on RDTSCP emulation under QEMU TCG (docs/xen-rig.md);
     * libxl takes the items one at a time, without xl's leading "host". */
    if (!pv && hide_rdtscp && libxl_cpuid_parse_config(&dc->b_info.cpuid, "rdtscp=0") != 0)
        return be_err(err, errsz, "libxl rejected cpuid rdtscp=0");

    dc->on_poweroff = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
    dc->on_reboot = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
    dc->on_watchdog = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
    dc->on_crash = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
    dc->on_soft_reset = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;

    if (s->ndisks) {
        /* libxl_domain_config_dispose() frees this array with free(). */
        dc->disks = calloc((size_t)s->ndisks, sizeof(*dc->disks));
        if (!dc->disks)
            return be_err(err, errsz, "out of memory");
        for (int i = 0; i < s->ndisks; i++) {
            libxl_device_disk *d = &dc->disks[i];
            libxl_device_disk_init(d);
            dc->num_disks = i + 1;
            if (set_str(&d->vdev, s->disks[i].vdev, err, errsz) < 0 ||
                set_str(&d->pdev_path, s->disks[i].target, err, errsz) < 0)
                return -1;
            d->format = LIBXL_DISK_FORMAT_RAW;
            d->backend = LIBXL_DISK_BACKEND_UNKNOWN;
            d->readwrite = s->disks[i].rw;
            d->removable = 0;
            d->is_cdrom = 0;
        }
    }
    return 0;
}
