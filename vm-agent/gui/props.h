/* gui-agent: the pure pieces of turning what the qube's X server says into
 * protocol messages (titles, size hints, cursor names, damage boxes), kept
 * apart so tests/unit/test_gui_agent.c checks them without an X server.
 * What they produce always passes the protocol's own parsers. */
#ifndef BULKHEAD_GUI_AGENT_PROPS_H
#define BULKHEAD_GUI_AGENT_PROPS_H

#include "gui-daemon/proto/gui_proto.h"

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How many bytes of a title (n bytes) to send: at most GUI_TITLE_MAX, and a
 * cut never ends inside a UTF-8 sequence. */
size_t props_title_len(const uint8_t *s, size_t n);

/* WM_NORMAL_HINTS as GUI_HINTS: the known flags, every value clamped to
 * the protocol's ranges, a maximum below the minimum dropped. */
void props_hints(const XSizeHints *sh, struct gui_hints *out);

/* GUI_CURSOR's value for an Xcursor name (themes name cursors after the
 * cursor-font glyphs): the nearest glyph, or the default pointer. */
uint32_t props_cursor_for_name(const char *name);

/* A damage box x0,y0 - x1,y1 (exclusive) as a rectangle inside a
 * width x height buffer; false if nothing of it is inside. */
bool props_damage_clip(int x0, int y0, int x1, int y1, uint32_t width, uint32_t height,
                       struct gui_rect *out);

#endif
