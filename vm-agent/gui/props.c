/* gui-agent: pure conversions from X properties to protocol bodies. */
#include "vm-agent/gui/props.h"

#include <X11/cursorfont.h>
#include <string.h>

size_t props_title_len(const uint8_t *s, size_t n)
{
    size_t len = n > GUI_TITLE_MAX ? GUI_TITLE_MAX : n;

    /* cut before the lead byte of a character the limit splits */
    if (len < n)
        while (len > 0 && (s[len] & 0xc0) == 0x80)
            len--;
    return len;
}

static uint32_t clamp(int v, uint32_t max)
{
    return v < 0 ? 0 : (uint32_t)v > max ? max : (uint32_t)v;
}

void props_hints(const XSizeHints *sh, struct gui_hints *g)
{
    memset(g, 0, sizeof(*g));
    /* the protocol's flags are X's XSizeHints bits */
    g->flags = (uint32_t)sh->flags & GUI_HINT_KNOWN;
    g->min_width = clamp(sh->min_width, GUI_MAX_WIDTH);
    g->min_height = clamp(sh->min_height, GUI_MAX_HEIGHT);
    g->max_width = clamp(sh->max_width, GUI_MAX_WIDTH);
    g->max_height = clamp(sh->max_height, GUI_MAX_HEIGHT);
    g->width_inc = clamp(sh->width_inc, GUI_MAX_WIDTH);
    g->height_inc = clamp(sh->height_inc, GUI_MAX_HEIGHT);
    g->base_width = clamp(sh->base_width, GUI_MAX_WIDTH);
    g->base_height = clamp(sh->base_height, GUI_MAX_HEIGHT);
    if ((g->flags & GUI_HINT_MIN_SIZE) && (g->flags & GUI_HINT_MAX_SIZE) &&
        (g->min_width > g->max_width || g->min_height > g->max_height))
        g->flags &= ~GUI_HINT_MAX_SIZE; /* contradictory: keep the minimum */
}

uint32_t props_cursor_for_name(const char *name)
{
    static const struct {
        const char *name;
        unsigned glyph;
    } glyphs[] = {{"xterm", XC_xterm},
                  {"text", XC_xterm},
                  {"hand2", XC_hand2},
                  {"hand1", XC_hand1},
                  {"pointer", XC_hand2},
                  {"watch", XC_watch},
                  {"wait", XC_watch},
                  {"crosshair", XC_crosshair},
                  {"fleur", XC_fleur},
                  {"move", XC_fleur},
                  {"sb_h_double_arrow", XC_sb_h_double_arrow},
                  {"sb_v_double_arrow", XC_sb_v_double_arrow},
                  {"left_side", XC_left_side},
                  {"right_side", XC_right_side},
                  {"top_side", XC_top_side},
                  {"bottom_side", XC_bottom_side},
                  {"top_left_corner", XC_top_left_corner},
                  {"top_right_corner", XC_top_right_corner},
                  {"bottom_left_corner", XC_bottom_left_corner},
                  {"bottom_right_corner", XC_bottom_right_corner},
                  {"question_arrow", XC_question_arrow}};

    for (size_t i = 0; name && i < sizeof(glyphs) / sizeof(glyphs[0]); i++)
        if (!strcmp(name, glyphs[i].name))
            return GUI_CURSOR_GLYPH + glyphs[i].glyph;
    return GUI_CURSOR_DEFAULT;
}

bool props_damage_clip(int x0, int y0, int x1, int y1, uint32_t width, uint32_t height,
                       struct gui_rect *out)
{
    int64_t ax = x0 < 0 ? 0 : x0, ay = y0 < 0 ? 0 : y0;
    int64_t bx = (int64_t)x1 > (int64_t)width ? (int64_t)width : x1;
    int64_t by = (int64_t)y1 > (int64_t)height ? (int64_t)height : y1;

    if (bx <= ax || by <= ay)
        return false;
    out->x = (int32_t)ax;
    out->y = (int32_t)ay;
    out->width = (uint32_t)(bx - ax);
    out->height = (uint32_t)(by - ay);
    return true;
}
