/* libFuzzer target for the lvs report parser (dom0/storage/lvm_cmd.c):
 * arbitrary bytes as lvm's output. ASan catches any read outside it; the
 * asserts check the parser's promises about every row it passes on. */
#include "dom0/storage/lvm_cmd.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(void *ctx, const struct lvs_row *r)
{
    (void)ctx;
    assert(r->lv[0] && r->vg[0] && r->attr[0]);
    assert(strlen(r->lv) < sizeof(r->lv) && strlen(r->pool) < sizeof(r->pool));
    assert(r->size >= 0 && r->used >= 0 && r->used <= r->size);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lvs_parse((const char *)data, size, check, NULL);
    return 0;
}
