/* libFuzzer: gui-daemon's sanitize step (gui-daemon/sanitize.h) on what the
 * protocol parsers let through. The first bytes pick a parsed CREATE,
 * HINTS, TITLE or CLASS body; the invariants are what dom0's X server relies
 * on: frames on screen, override-redirect never covering the screen, hints
 * bounded, titles and classes printable with the qube's name first. */
#include "gui-daemon/proto/gui_proto.h"
#include "gui-daemon/sanitize.h"

#include <stdlib.h>
#include <string.h>

#define SW 1920u
#define SH 1080u

static void check_printable(const char *s, size_t n, bool utf8)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || (!utf8 && (unsigned char)s[i] >= 0x80))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t what = data[0] % 4;
    data++;
    size--;
    if (what == 0) {
        struct gui_create c;
        int32_t fx, fy;
        if (gui_parse_create(data, size, &c))
            return 0;
        gui_frame_pos(c.x, c.y, c.width, c.height, SW, SH, &fx, &fy);
        if (fx < 0 || fy < 0 || (uint32_t)fx >= SW || (uint32_t)fy >= SH)
            abort();
        if ((uint64_t)fx + c.width + 2 * GUI_FRAME_WIDTH > SW && fx != 0)
            abort();
        if ((uint64_t)fy + c.height + 2 * GUI_FRAME_WIDTH > SH && fy != 0)
            abort();
        if (gui_override_ok(c.width, c.height, SW, SH) &&
            (uint64_t)c.width * c.height * 10 > (uint64_t)SW * SH * 9)
            abort();
    } else if (what == 1) {
        struct gui_hints h;
        uint32_t out[GUI_SIZE_HINTS_LEN];
        if (gui_parse_hints(data, size, &h))
            return 0;
        gui_size_hints(&h, out);
        if (out[0] & ~(uint32_t)GUI_HINT_KNOWN || out[1] || out[2] || out[3] || out[4])
            abort();
        if (out[5] > GUI_MAX_WIDTH + 4 || out[6] > GUI_MAX_HEIGHT + 4 ||
            out[7] > GUI_MAX_WIDTH + 4 || out[8] > GUI_MAX_HEIGHT + 4)
            abort();
    } else if (what == 2) {
        struct gui_title t;
        char out[GUI_TITLE_MAX * 4 + 64];
        bool utf8 = size && (data[0] & 1);
        if (gui_parse_title(data, size, &t))
            return 0;
        size_t n = gui_title_value("work", t.untrusted_text, t.len, utf8, out, sizeof(out));
        if (n >= sizeof(out) || strlen(out) != n || strncmp(out, "[work] ", 7))
            abort();
        check_printable(out, n, utf8);
    } else {
        struct gui_class c;
        char out[2 * (GUI_CLASS_FIELD + 40)];
        if (gui_parse_class(data, size, &c))
            return 0;
        size_t n = gui_class_value("work", c.res_class, out, sizeof(out));
        if (n == 0 || n % 2 || out[n / 2 - 1] || out[n - 1] || memcmp(out, out + n / 2, n / 2) ||
            strncmp(out, "work:", 5))
            abort();
        check_printable(out, n / 2 - 1, false);
    }
    return 0;
}
