/* libFuzzer target: a byte stream as one side of the GUI channel would
 * receive it, cut into messages by gui_parse_hdr and handed to the body
 * parser of each type, as gui-daemon (and gui-agent) do. The first input
 * byte picks the sender (bit 0: daemon, else agent) and the receiver's
 * clipboard limit. Text goes through the sanitizer both ways; what parses
 * must keep the invariants the receivers rely on. */
#include "gui-daemon/proto/gui_proto.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool text_ok(const char *s, size_t n, bool utf8)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];

        if (c < 0x20 || c == 0x7f || (!utf8 && c >= 0x80))
            return false;
    }
    return s[n] == 0;
}

static void check_text(const char *t, size_t len)
{
    char out[GUI_TITLE_MAX + 1];

    for (int utf8 = 0; utf8 < 2; utf8++) {
        size_t n = gui_sanitize_text(t, len, utf8, out, sizeof(out));
        assert(n < sizeof(out) && text_ok(out, n, utf8));
    }
    /* tiny caps: always terminated, never past the cap */
    for (size_t cap = 1; cap < 5; cap++) {
        size_t n = gui_sanitize_text(t, len, true, out, cap);
        assert(n < cap && out[n] == 0);
    }
}

/* The last buffer seen (any window): damage is checked against it. */
static uint32_t buf_w, buf_h;

static void body(const struct gui_hdr *h, const uint8_t *b, uint32_t clip_max)
{
    union {
        struct gui_hello hello;
        struct gui_create create;
        struct gui_map map;
        struct gui_configure configure;
        struct gui_title title;
        struct gui_class klass;
        struct gui_hints hints;
        struct gui_flags flags;
        struct gui_cursor cursor;
        struct gui_buffer buffer;
        struct gui_rect rect;
        struct gui_screen screen;
        struct gui_key key;
        struct gui_button button;
        struct gui_motion motion;
        struct gui_crossing crossing;
        struct gui_focus focus;
        struct gui_keymap keymap;
        struct gui_clipboard clip;
        struct gui_frame frame;
        struct gui_frame_done frame_done;
    } u;

    switch (h->type) {
    case GUI_HELLO:
        if (gui_parse_hello(b, h->len, &u.hello) == 0)
            assert(u.hello.clipboard_max >= GUI_CLIPBOARD_MIN);
        break;
    case GUI_CREATE:
        if (gui_parse_create(b, h->len, &u.create) == 0)
            assert(u.create.width <= GUI_MAX_WIDTH && u.create.parent == 0);
        break;
    case GUI_MAP:
        (void)gui_parse_map(b, h->len, &u.map);
        break;
    case GUI_CONFIGURE:
        if (gui_parse_configure(b, h->len, &u.configure) == 0)
            assert(u.configure.height >= 1 && u.configure.height <= GUI_MAX_HEIGHT);
        break;
    case GUI_TITLE:
        if (gui_parse_title(b, h->len, &u.title) == 0)
            check_text(u.title.untrusted_text, u.title.len);
        break;
    case GUI_CLASS:
        if (gui_parse_class(b, h->len, &u.klass) == 0) {
            check_text(u.klass.res_class, strlen(u.klass.res_class));
            check_text(u.klass.res_name, strlen(u.klass.res_name));
        }
        break;
    case GUI_HINTS:
        (void)gui_parse_hints(b, h->len, &u.hints);
        break;
    case GUI_FLAGS:
        (void)gui_parse_flags(b, h->len, &u.flags);
        break;
    case GUI_CURSOR:
        (void)gui_parse_cursor(b, h->len, &u.cursor);
        break;
    case GUI_BUFFER:
        if (gui_parse_buffer(b, h->len, &u.buffer) == 0) {
            assert(u.buffer.bytes >= (uint64_t)u.buffer.stride * u.buffer.height);
            assert(u.buffer.bytes % GUI_PAGE_SIZE == 0);
            assert(u.buffer.bytes / GUI_PAGE_SIZE <= GUI_MAX_BUFFER_PAGES);
            assert((uint64_t)u.buffer.width * 4 <= u.buffer.stride);
            assert(u.buffer.slots >= 1 && u.buffer.slots <= GUI_MAX_SLOTS);
            assert((uint64_t)u.buffer.slots * u.buffer.refs_per_slot == u.buffer.nrefs);
            for (uint32_t i = 0; i < u.buffer.nrefs; i++)
                (void)gui_buffer_ref(&u.buffer, i);
            buf_w = u.buffer.width;
            buf_h = u.buffer.height;
        }
        break;
    case GUI_DAMAGE:
        if (gui_parse_damage(b, h->len, &u.rect) == 0 && gui_rect_inside(&u.rect, buf_w, buf_h))
            assert((uint64_t)u.rect.x + u.rect.width <= buf_w &&
                   (uint64_t)u.rect.y + u.rect.height <= buf_h);
        break;
    case GUI_FRAME:
        if (gui_parse_frame(b, h->len, &u.frame) == 0)
            assert(u.frame.slot < GUI_MAX_SLOTS && u.frame.rect.x >= 0 && u.frame.rect.width >= 1);
        break;
    case GUI_FRAME_DONE:
        if (gui_parse_frame_done(b, h->len, &u.frame_done) == 0)
            assert(u.frame_done.slot < GUI_MAX_SLOTS);
        break;
    case GUI_SCREEN:
        (void)gui_parse_screen(b, h->len, &u.screen);
        break;
    case GUI_KEY:
        if (gui_parse_key(b, h->len, &u.key) == 0)
            assert(u.key.keycode >= 8 && u.key.keycode <= 255);
        break;
    case GUI_BUTTON:
        (void)gui_parse_button(b, h->len, &u.button);
        break;
    case GUI_MOTION:
        (void)gui_parse_motion(b, h->len, &u.motion);
        break;
    case GUI_CROSSING:
        (void)gui_parse_crossing(b, h->len, &u.crossing);
        break;
    case GUI_FOCUS:
        (void)gui_parse_focus(b, h->len, &u.focus);
        break;
    case GUI_KEYMAP:
        (void)gui_parse_keymap(b, h->len, &u.keymap);
        break;
    case GUI_CLIPBOARD_DATA:
        if (gui_parse_clipboard(b, h->len, clip_max, &u.clip) == 0)
            assert(u.clip.len <= clip_max);
        break;
    default:
        /* bodiless types: the header said len 0 */
        assert(h->len == 0);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum gui_sender from;
    uint32_t clip_max;
    size_t pos = 1;

    if (size < 1)
        return 0;
    from = (data[0] & 1) ? GUI_FROM_DAEMON : GUI_FROM_AGENT;
    clip_max = (data[0] & 2) ? GUI_CLIPBOARD_MIN : GUI_CLIPBOARD_DEFAULT;
    buf_w = buf_h = 0;
    while (size - pos >= GUI_HDR_SIZE) {
        struct gui_hdr h;

        /* a bad header ends the channel, as it does in the daemon */
        if (gui_parse_hdr(data + pos, from, clip_max, &h) < 0)
            break;
        assert(gui_msg_name(h.type) != NULL);
        pos += GUI_HDR_SIZE;
        if (size - pos < h.len)
            break;
        body(&h, data + pos, clip_max);
        pos += h.len;
    }
    return 0;
}
