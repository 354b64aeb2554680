/* libFuzzer target for the qubes.GetAppmenus output parser
 * (dom0/tools/appmenus_parse.c): arbitrary bytes as a qube's output. Every
 * application kept must obey the rules again checked here: a safe id, a
 * non-empty name, every value valid UTF-8 without unsafe characters and
 * within its bound, categories of safe words only. */
#include "dom0/tools/appmenus_parse.h"

#include "lib/text.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_value(const char *v)
{
    size_t n = strlen(v), i = 0;

    assert(n <= APPMENUS_VALUE_MAX);
    assert(n == 0 || (v[0] != ' ' && v[n - 1] != ' '));
    while (i < n) {
        uint32_t cp;
        size_t l = text_utf8_decode((const uint8_t *)v + i, n - i, &cp);
        assert(l > 0);
        assert(!text_cp_unsafe(cp) && cp != 0x2028 && cp != 0x2029);
        i += l;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct appmenus_app apps[64];
    struct appmenus_stats st;
    size_t n = appmenus_parse((const char *)data, size, apps, 64, &st);

    assert(n <= 64);
    assert(st.skipped <= st.lines && st.lines <= APPMENUS_MAX_LINES);
    for (size_t i = 0; i < n; i++) {
        const struct appmenus_app *a = &apps[i];
        assert(appmenus_id_ok(a->id, strlen(a->id)));
        assert(strchr(a->id, '/') == NULL);
        assert(a->name[0] && !a->no_display);
        check_value(a->name);
        check_value(a->generic_name);
        check_value(a->comment);
        for (const char *c = a->categories; *c; c++)
            assert(*c == ';' || *c == '_' || *c == '-' || (*c >= '0' && *c <= '9') ||
                   (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'));
        for (size_t j = 0; j < i; j++)
            assert(strcmp(apps[j].id, a->id) != 0);
    }
    return 0;
}
