/* The GUI wire protocol between a qube's gui-agent and dom0's gui-daemon.
 * Bulkhead's own (docs/gui-protocol.md), version 1.0. Used on both sides of
 * the trust line: the daemon parses what the agent sends (hostile) and the
 * agent parses what the daemon sends.
 *
 * Transport: a vchan; the agent is the server on port GUI_VCHAN_PORT, the
 * daemon connects. Every message is a 12-byte header {u32 type; u32 window;
 * u32 len} and len bytes of body, all little-endian. Bodies are fixed-size
 * or bounded (GUI_BUFFER, GUI_TITLE, GUI_CLIPBOARD_DATA). The first message
 * each way is GUI_HELLO; the daemon then sends GUI_SCREEN.
 *
 * For each type there is one pure parse function: it checks the exact or
 * bounded length against the bytes received and every field it can check
 * without state (ranges, enums, sizes computed in 64 bits), and fills a
 * struct. What depends on state (does the window exist, is a damage rectangle
 * inside the window's current buffer) the receiver checks with the helpers
 * at the end. Nothing here allocates, logs or keeps state.
 *
 * Body structs are made of 32-bit fields only (no padding): on the
 * little-endian machines Bulkhead runs on, their memory layout is the wire
 * layout, so a sender fills the struct and calls gui_msg_put(). */
#ifndef BULKHEAD_GUI_PROTO_H
#define BULKHEAD_GUI_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the GUI protocol's structs are its wire layout only on little-endian machines"
#endif

#define GUI_PROTO_MAJOR   1
#define GUI_PROTO_MINOR   1 /* 1.1: frame slots (GUI_FRAME, GUI_FRAME_DONE) */
#define GUI_PROTO_VERSION ((uint32_t)GUI_PROTO_MAJOR << 16 | GUI_PROTO_MINOR)
#define GUI_VCHAN_PORT    6000
/* Ring size asked for each direction: a few hundred messages in flight. */
#define GUI_VCHAN_RING 65536

#define GUI_HDR_SIZE 12

/* Limits. Window (and buffer) sizes are those Qubes uses; a qube's screen
 * is never larger. */
#define GUI_MAX_WIDTH        16384
#define GUI_MAX_HEIGHT       6144
#define GUI_MAX_COORD        32767 /* |x|, |y| of a window on the qube's screen */
#define GUI_PAGE_SIZE        4096
#define GUI_MAX_BUFFER_PAGES ((uint32_t)GUI_MAX_WIDTH * GUI_MAX_HEIGHT * 4 / GUI_PAGE_SIZE)
#define GUI_TITLE_MAX        255 /* bytes of a title, no NUL on the wire */
#define GUI_CLASS_FIELD      64  /* res_class and res_name: NUL-terminated, NUL-padded */
/* Clipboard: each side announces its limit in GUI_HELLO (between MIN and
 * HARD_MAX); data longer than the smaller one is a protocol error. */
#define GUI_CLIPBOARD_MIN      256
#define GUI_CLIPBOARD_DEFAULT  64000
#define GUI_CLIPBOARD_HARD_MAX 256000

enum gui_msg_type {
    /* either way */
    GUI_HELLO = 1,
    GUI_CONFIGURE = 2,      /* agent: the window's geometry; daemon: the user moved or resized it */
    GUI_CLIPBOARD_DATA = 3, /* agent: answer to GUI_CLIPBOARD_REQ; daemon: a paste */
    /* agent -> daemon */
    GUI_CREATE = 16,
    GUI_DESTROY = 17,
    GUI_MAP = 18,
    GUI_UNMAP = 19,
    GUI_TITLE = 20,
    GUI_CLASS = 21,
    GUI_HINTS = 22,
    GUI_FLAGS = 23,
    GUI_CURSOR = 24,
    GUI_BUFFER = 25,
    GUI_DAMAGE = 26,
    GUI_FRAME = 27, /* 1.1: a rectangle changed in one slot of the buffer; answered by
                       GUI_FRAME_DONE */
    /* daemon -> agent */
    GUI_SCREEN = 48,
    GUI_KEY = 49,
    GUI_BUTTON = 50,
    GUI_MOTION = 51,
    GUI_CROSSING = 52,
    GUI_FOCUS = 53,
    GUI_KEYMAP = 54,
    GUI_CLOSE = 55,         /* the user asked to close the window */
    GUI_CLIPBOARD_REQ = 56, /* the user pressed the copy shortcut in this window */
    GUI_BUFFER_ACK = 57,    /* the daemon took the window's oldest unacknowledged
                               GUI_BUFFER: the agent may free every buffer of the
                               window sent before that one */
    GUI_FRAME_DONE = 58,    /* 1.1: the daemon no longer reads the slot of that
                               GUI_FRAME */
};

/* Who sent a message: a type is valid only from its sender(s). */
enum gui_sender { GUI_FROM_AGENT, GUI_FROM_DAEMON };

struct gui_hdr {
    uint32_t type;
    uint32_t window; /* the agent's X window id; 0 for messages about no window */
    uint32_t len;    /* body bytes that follow */
};

/* GUI_HELLO: first message each way, window 0. */
#define GUI_BUF_GRANT 1u /* Xen grant references (gntalloc -> gntdev) */
#define GUI_BUF_MEMFD 2u /* a sealed memfd (local backend) */
struct gui_hello {
    uint32_t version;       /* major << 16 | minor */
    uint32_t buffer_kinds;  /* GUI_BUF_* the sender can use */
    uint32_t clipboard_max; /* largest clipboard the sender accepts */
};

/* GUI_CREATE: a new top-level window (parent must be 0: no subwindows). */
struct gui_create {
    int32_t x, y;
    uint32_t width, height;
    uint32_t parent;
    uint32_t override_redirect; /* 0 or 1 */
};

/* GUI_MAP: the window is shown. */
struct gui_map {
    uint32_t transient_for; /* another window of the qube, or 0 */
    uint32_t override_redirect;
};

/* GUI_CONFIGURE */
struct gui_configure {
    int32_t x, y;
    uint32_t width, height;
    uint32_t override_redirect;
};

/* GUI_TITLE: 0..GUI_TITLE_MAX bytes, UTF-8 meant; the receiver sanitizes. */
struct gui_title {
    const char *untrusted_text; /* inside the received body; not NUL-terminated */
    size_t len;
};

/* GUI_CLASS (WM_CLASS) */
struct gui_class {
    char res_class[GUI_CLASS_FIELD];
    char res_name[GUI_CLASS_FIELD];
};

/* GUI_HINTS: WM_NORMAL_HINTS; flags are X's XSizeHints bits. */
#define GUI_HINT_USPOSITION 1u
#define GUI_HINT_PPOSITION  4u
#define GUI_HINT_MIN_SIZE   16u
#define GUI_HINT_MAX_SIZE   32u
#define GUI_HINT_RESIZE_INC 64u
#define GUI_HINT_BASE_SIZE  256u
#define GUI_HINT_KNOWN                                                                             \
    (GUI_HINT_USPOSITION | GUI_HINT_PPOSITION | GUI_HINT_MIN_SIZE | GUI_HINT_MAX_SIZE |            \
     GUI_HINT_RESIZE_INC | GUI_HINT_BASE_SIZE)
struct gui_hints {
    uint32_t flags;
    uint32_t min_width, min_height;
    uint32_t max_width, max_height;
    uint32_t width_inc, height_inc;
    uint32_t base_width, base_height;
};

/* GUI_FLAGS: window state changes. */
#define GUI_FLAG_FULLSCREEN 1u
#define GUI_FLAG_URGENT     2u /* demands attention */
#define GUI_FLAG_MINIMIZE   4u
#define GUI_FLAG_KNOWN      (GUI_FLAG_FULLSCREEN | GUI_FLAG_URGENT | GUI_FLAG_MINIMIZE)
struct gui_flags {
    uint32_t set;
    uint32_t unset;
};

/* GUI_CURSOR: 0 is the default pointer, else GUI_CURSOR_GLYPH + an X
 * cursor-font glyph (XC_*, even numbers below GUI_CURSOR_GLYPH_END). */
#define GUI_CURSOR_DEFAULT   0u
#define GUI_CURSOR_GLYPH     0x100u
#define GUI_CURSOR_GLYPH_END 154u /* XC_num_glyphs */
struct gui_cursor {
    uint32_t cursor;
};

/* GUI_BUFFER: the window's pixels from now on. 32-bit pixels (x8r8g8b8),
 * rows of stride bytes; the buffer holds stride * height bytes, rounded up
 * to whole pages. GRANT: one grant reference per page, shared with the
 * daemon's domain. MEMFD: a descriptor number in the agent's process, a
 * memfd sealed against shrinking and growing.
 * Since 1.1 a buffer may have up to GUI_MAX_SLOTS slots, each a whole copy
 * of that memory (nrefs = slots * the references of one): the qube draws
 * into one while dom0 reads another and a third waits, finished, for dom0
 * (GUI_FRAME). GUI_DAMAGE is slot 0. */
#define GUI_BUFFER_FIXED 20 /* kind, width, height, stride, nrefs */
#define GUI_MAX_SLOTS    3
struct gui_buffer {
    uint32_t kind; /* GUI_BUF_GRANT or GUI_BUF_MEMFD */
    uint32_t width, height, stride;
    uint32_t nrefs;
    uint32_t slots;         /* nrefs / refs_per_slot (computed) */
    uint32_t refs_per_slot; /* GRANT: the pages; MEMFD: 1 (computed) */
    uint64_t bytes;         /* of one slot: stride * height, rounded up to pages (computed) */
    const uint8_t *untrusted_refs; /* nrefs little-endian u32, inside the body */
};
/* GUI_DAMAGE: this rectangle of the buffer changed. */
struct gui_rect {
    int32_t x, y;
    uint32_t width, height;
};

/* GUI_FRAME (1.1): rect changed in slot `slot` of the window's buffer and
 * that slot now holds the whole window as it is; the qube leaves the slot
 * alone until the daemon answers GUI_FRAME_DONE with the same seq and slot.
 * The agent has at most GUI_FRAMES_OUT frames per window outstanding. */
#define GUI_FRAMES_OUT 2
struct gui_frame {
    uint32_t seq; /* the agent's count, echoed back */
    uint32_t slot;
    struct gui_rect rect;
};
/* GUI_FRAME_DONE (1.1) */
struct gui_frame_done {
    uint32_t seq, slot;
};
/* GUI_SCREEN: dom0's screen; the agent resizes the qube's screen to it. */
struct gui_screen {
    uint32_t width, height, depth;
};

/* GUI_KEY: type is X's KeyPress (2) or KeyRelease (3); x, y in the window. */
struct gui_key {
    uint32_t type;
    int32_t x, y;
    uint32_t state, keycode;
};

/* GUI_BUTTON: ButtonPress (4) or ButtonRelease (5); buttons 1..15. */
struct gui_button {
    uint32_t type;
    int32_t x, y;
    uint32_t state, button;
};

/* GUI_MOTION */
struct gui_motion {
    int32_t x, y;
    uint32_t state, is_hint;
};

/* GUI_CROSSING: EnterNotify (7) or LeaveNotify (8). */
struct gui_crossing {
    uint32_t type;
    int32_t x, y;
    uint32_t state, mode, detail, focus;
};

/* GUI_FOCUS: FocusIn (9) or FocusOut (10). */
struct gui_focus {
    uint32_t type, mode, detail;
};

/* GUI_KEYMAP: the 256 keys' state bits (KeymapNotify). */
struct gui_keymap {
    uint8_t keys[32];
};

/* GUI_CLIPBOARD_DATA */
struct gui_clipboard {
    const uint8_t *untrusted_data; /* inside the body */
    size_t len;
};

/* Sizes of the fixed bodies, pinned. */
#define GUI_HELLO_SIZE      12
#define GUI_CREATE_SIZE     24
#define GUI_MAP_SIZE        8
#define GUI_CONFIGURE_SIZE  20
#define GUI_CLASS_SIZE      128
#define GUI_HINTS_SIZE      36
#define GUI_FLAGS_SIZE      8
#define GUI_CURSOR_SIZE     4
#define GUI_RECT_SIZE       16
#define GUI_SCREEN_SIZE     12
#define GUI_KEY_SIZE        20
#define GUI_BUTTON_SIZE     20
#define GUI_MOTION_SIZE     16
#define GUI_CROSSING_SIZE   28
#define GUI_FOCUS_SIZE      12
#define GUI_KEYMAP_SIZE     32
#define GUI_FRAME_SIZE      24
#define GUI_FRAME_DONE_SIZE 8

/* The header. Rejects (-EBADMSG) a type unknown or not sent by `from`, a
 * window id present where the type has none or missing where it needs one,
 * and a length outside the type's bounds (fixed types: exactly their size;
 * GUI_CLIPBOARD_DATA: at most clipboard_max, the limit this side announced).
 * After it, the receiver reads exactly hdr->len body bytes. */
int gui_parse_hdr(const void *untrusted_hdr, enum gui_sender from, uint32_t clipboard_max,
                  struct gui_hdr *out);
/* Largest body any message may have (a full GUI_BUFFER of grant refs). */
#define GUI_MAX_BODY (GUI_BUFFER_FIXED + 4 * (size_t)GUI_MAX_SLOTS * GUI_MAX_BUFFER_PAGES)

/* Bodies: len is the number of bytes received. 0 or -EBADMSG. */
int gui_parse_hello(const void *untrusted, size_t len, struct gui_hello *out);
int gui_parse_create(const void *untrusted, size_t len, struct gui_create *out);
int gui_parse_map(const void *untrusted, size_t len, struct gui_map *out);
int gui_parse_configure(const void *untrusted, size_t len, struct gui_configure *out);
int gui_parse_title(const void *untrusted, size_t len, struct gui_title *out);
int gui_parse_class(const void *untrusted, size_t len, struct gui_class *out);
int gui_parse_hints(const void *untrusted, size_t len, struct gui_hints *out);
int gui_parse_flags(const void *untrusted, size_t len, struct gui_flags *out);
int gui_parse_cursor(const void *untrusted, size_t len, struct gui_cursor *out);
int gui_parse_buffer(const void *untrusted, size_t len, struct gui_buffer *out);
int gui_parse_damage(const void *untrusted, size_t len, struct gui_rect *out);
/* GUI_FRAME: the slot is checked against GUI_MAX_SLOTS; against the
 * window's buffer by the receiver (gui_rect_inside, slot < its slots). */
int gui_parse_frame(const void *untrusted, size_t len, struct gui_frame *out);
int gui_parse_frame_done(const void *untrusted, size_t len, struct gui_frame_done *out);
int gui_parse_screen(const void *untrusted, size_t len, struct gui_screen *out);
int gui_parse_key(const void *untrusted, size_t len, struct gui_key *out);
int gui_parse_button(const void *untrusted, size_t len, struct gui_button *out);
int gui_parse_motion(const void *untrusted, size_t len, struct gui_motion *out);
int gui_parse_crossing(const void *untrusted, size_t len, struct gui_crossing *out);
int gui_parse_focus(const void *untrusted, size_t len, struct gui_focus *out);
int gui_parse_keymap(const void *untrusted, size_t len, struct gui_keymap *out);
int gui_parse_clipboard(const void *untrusted, size_t len, uint32_t clipboard_max,
                        struct gui_clipboard *out);
/* Bodies with no content (DESTROY, UNMAP, CLOSE, CLIPBOARD_REQ, BUFFER_ACK) are checked
 * by gui_parse_hdr alone. */

/* The i-th grant reference (or the memfd number) of a parsed GUI_BUFFER;
 * slot s's references are i = s * refs_per_slot ... + refs_per_slot - 1. */
uint32_t gui_buffer_ref(const struct gui_buffer *b, uint32_t i);
/* True if the rectangle lies inside a width x height buffer (64-bit sums). */
bool gui_rect_inside(const struct gui_rect *r, uint32_t width, uint32_t height);
/* The version both sides speak, or 0 if the majors differ. */
uint32_t gui_version_agree(uint32_t ours, uint32_t theirs);

/* Writes the header and body into out (GUI_HDR_SIZE + len bytes). */
size_t gui_msg_put(void *out, uint32_t type, uint32_t window, const void *body, uint32_t len);

/* Sanitize step for text a qube sent (titles, class names): copies at most
 * cap-1 bytes into out and NUL-terminates. Printable ASCII is kept; with
 * allow_utf8, well-formed UTF-8 sequences of printable characters too (no
 * C1 controls, no bidirectional overrides or isolates, no surrogates).
 * Anything else becomes '_'. Returns the length written. */
size_t gui_sanitize_text(const char *untrusted, size_t len, bool allow_utf8, char *out, size_t cap);

/* A name for logs ("GUI_CREATE"), or NULL for an unknown type. */
const char *gui_msg_name(uint32_t type);

#endif
