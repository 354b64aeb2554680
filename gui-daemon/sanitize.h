/* The daemon's sanitize rules as pure functions: what the protocol parsers
 * let through (each value in its range), turned into what dom0's X server
 * gets. No X, no state; unit-tested in tests/unit/test_gui_daemon.c. */
#ifndef BULKHEAD_GUI_DAEMON_SANITIZE_H
#define BULKHEAD_GUI_DAEMON_SANITIZE_H

#include "gui-daemon/proto/gui_proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUI_FRAME_WIDTH 2 /* pixels of label colour around each window */

/* Where the frame window (content w x h plus the frame) of content at (x, y)
 * goes on a sw x sh screen: at (x, y) minus the frame, moved so that it lies
 * on the screen when it fits, at 0 on an axis where it does not. */
void gui_frame_pos(int32_t x, int32_t y, uint32_t w, uint32_t h, uint32_t sw, uint32_t sh,
                   int32_t *fx, int32_t *fy);

/* An override-redirect window may cover at most 90% of the screen. */
bool gui_override_ok(uint32_t w, uint32_t h, uint32_t sw, uint32_t sh);

/* WM_NORMAL_HINTS (WM_SIZE_HINTS, 18 CARD32) for the frame window: sizes
 * bounded to the protocol's maxima, the frame added, positions dropped, a
 * maximum below the minimum dropped. */
#define GUI_SIZE_HINTS_LEN 18
void gui_size_hints(const struct gui_hints *untrusted, uint32_t out[GUI_SIZE_HINTS_LEN]);

/* "[NAME] title" with the title sanitized; returns the length. */
size_t gui_title_value(const char *name, const char *untrusted, size_t len, bool allow_utf8,
                       char *out, size_t cap);

/* WM_CLASS: "NAME:class\0NAME:class\0" with the res_class sanitized
 * (printable ASCII); returns the length including both NULs, 0 if it does
 * not fit. */
size_t gui_class_value(const char *name, const char untrusted_class[GUI_CLASS_FIELD], char *out,
                       size_t cap);

#endif
