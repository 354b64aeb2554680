/* libFuzzer target: the per-service rpc-config parser on arbitrary bytes. */
#include "qrexec/common/rpc_config.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rpc_config c;
    char err[128];

    if (rpc_config_parse((const char *)data, size, &c, err, sizeof(err)) == 0)
        assert(strlen(c.force_user) < sizeof(c.force_user));
    return 0;
}
