/* The daemon's sanitize rules (sanitize.h). Pure. */
#include "gui-daemon/sanitize.h"

#include <stdio.h>
#include <string.h>

#define B GUI_FRAME_WIDTH

static int32_t clamp_axis(int32_t pos, uint32_t size, uint32_t screen)
{
    if (size >= screen || pos < 0)
        return 0;
    if ((uint32_t)pos > screen - size)
        return (int32_t)(screen - size);
    return pos;
}

void gui_frame_pos(int32_t x, int32_t y, uint32_t w, uint32_t h, uint32_t sw, uint32_t sh,
                   int32_t *fx, int32_t *fy)
{
    /* 64 bits: x - B and w + 2B cannot wrap whatever the caller passes */
    int64_t px = (int64_t)x - B, py = (int64_t)y - B;
    uint64_t fw = (uint64_t)w + 2 * B, fh = (uint64_t)h + 2 * B;

    *fx = clamp_axis(px < INT32_MIN ? -1 : (int32_t)px, fw > UINT32_MAX ? UINT32_MAX : (uint32_t)fw,
                     sw);
    *fy = clamp_axis(py < INT32_MIN ? -1 : (int32_t)py, fh > UINT32_MAX ? UINT32_MAX : (uint32_t)fh,
                     sh);
}

bool gui_override_ok(uint32_t w, uint32_t h, uint32_t sw, uint32_t sh)
{
    return (uint64_t)w * h * 10 <= (uint64_t)sw * sh * 9;
}

static uint32_t clamp_u32(uint32_t v, uint32_t max)
{
    return v > max ? max : v;
}

void gui_size_hints(const struct gui_hints *untrusted, uint32_t out[GUI_SIZE_HINTS_LEN])
{
    /* flags, x, y, width, height, min w/h, max w/h, inc w/h, min aspect
     * (2), max aspect (2), base w/h, gravity */
    memset(out, 0, GUI_SIZE_HINTS_LEN * sizeof(*out));
    out[0] = untrusted->flags &
             (GUI_HINT_MIN_SIZE | GUI_HINT_MAX_SIZE | GUI_HINT_RESIZE_INC | GUI_HINT_BASE_SIZE);
    out[5] = clamp_u32(untrusted->min_width, GUI_MAX_WIDTH) + 2 * B;
    out[6] = clamp_u32(untrusted->min_height, GUI_MAX_HEIGHT) + 2 * B;
    out[7] = clamp_u32(untrusted->max_width, GUI_MAX_WIDTH) + 2 * B;
    out[8] = clamp_u32(untrusted->max_height, GUI_MAX_HEIGHT) + 2 * B;
    out[9] = clamp_u32(untrusted->width_inc, GUI_MAX_WIDTH);
    out[10] = clamp_u32(untrusted->height_inc, GUI_MAX_HEIGHT);
    out[15] = clamp_u32(untrusted->base_width, GUI_MAX_WIDTH) + 2 * B;
    out[16] = clamp_u32(untrusted->base_height, GUI_MAX_HEIGHT) + 2 * B;
    if ((out[0] & GUI_HINT_MAX_SIZE) && (out[0] & GUI_HINT_MIN_SIZE) &&
        (out[7] < out[5] || out[8] < out[6]))
        out[0] &= ~GUI_HINT_MAX_SIZE;
}

size_t gui_title_value(const char *name, const char *untrusted, size_t len, bool allow_utf8,
                       char *out, size_t cap)
{
    int n = snprintf(out, cap, "[%s] ", name);

    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n + gui_sanitize_text(untrusted, len, allow_utf8, out + n, cap - (size_t)n);
}

size_t gui_class_value(const char *name, const char untrusted_class[GUI_CLASS_FIELD], char *out,
                       size_t cap)
{
    char clean[GUI_CLASS_FIELD];
    int n;

    gui_sanitize_text(untrusted_class, strnlen(untrusted_class, GUI_CLASS_FIELD), false, clean,
                      sizeof(clean));
    n = snprintf(out, cap, "%s:%s", name, clean);
    if (n < 0 || 2 * ((size_t)n + 1) > cap)
        return 0;
    /* res_name NUL res_class NUL, both the same */
    memcpy(out + n + 1, out, (size_t)n + 1);
    return 2 * ((size_t)n + 1);
}
