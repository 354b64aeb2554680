/* be_spec -> libxl_domain_config, the pure half of the xen backend (dom0,
 * trusted). Kept apart from xen.c so it is unit-tested without Xen. */
#ifndef BULKHEAD_DOM0_BACKEND_XEN_CONFIG_H
#define BULKHEAD_DOM0_BACKEND_XEN_CONFIG_H

#include <libxl.h>
#include <stdbool.h>
#include <stddef.h>

#include "dom0/backend/backend.h"

/* Fills dc, which the caller has set up with libxl_domain_config_init() and
 * later frees with libxl_domain_config_dispose() (also after a failure).
 * hide_rdtscp adds cpuid "rdtscp=0" to PVH guests (see be_opts).
 * 0, or -1 with a one-line reason in err. Makes no Xen calls. */
int xen_config_from_spec(const struct be_spec *s, bool hide_rdtscp, libxl_domain_config *dc,
                         char *err, size_t errsz);

#endif
