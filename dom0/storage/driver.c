/* The driver registry and the error helper shared by the drivers. */
#include "dom0/storage/driver.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct storage_driver *storage_driver_find(const char *name)
{
    static const struct storage_driver *const all[] = {&drv_file_reflink, &drv_lvm_thin,
                                                       &drv_linux_kernel};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcmp(all[i]->name, name))
            return all[i];
    return NULL;
}

int serr(struct qerr *e, int err, const char *fmt, ...)
{
    va_list ap;

    e->type = "StoragePoolException";
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return -err;
}
