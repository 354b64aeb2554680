/* The GUI protocol's parsers, builder and text sanitizer (gui_proto.h).
 * Everything here is pure. */
#include "gui-daemon/proto/gui_proto.h"
#include "lib/text.h"

#include <errno.h>
#include <string.h>

_Static_assert(sizeof(struct gui_hello) == GUI_HELLO_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_create) == GUI_CREATE_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_map) == GUI_MAP_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_configure) == GUI_CONFIGURE_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_class) == GUI_CLASS_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_hints) == GUI_HINTS_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_flags) == GUI_FLAGS_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_cursor) == GUI_CURSOR_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_rect) == GUI_RECT_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_screen) == GUI_SCREEN_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_key) == GUI_KEY_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_button) == GUI_BUTTON_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_motion) == GUI_MOTION_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_crossing) == GUI_CROSSING_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_focus) == GUI_FOCUS_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_keymap) == GUI_KEYMAP_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_frame) == GUI_FRAME_SIZE, "wire layout");
_Static_assert(sizeof(struct gui_frame_done) == GUI_FRAME_DONE_SIZE, "wire layout");

/* What the header check needs to know about each type. */
struct type_rule {
    uint32_t type;
    const char *name;
    unsigned senders;  /* bit 1 << enum gui_sender */
    bool has_window;   /* window id must be nonzero (else must be 0) */
    uint32_t min, max; /* body length bounds */
};

#define AGENT    (1u << GUI_FROM_AGENT)
#define DAEMON   (1u << GUI_FROM_DAEMON)
#define FIXED(n) (n), (n)

static const struct type_rule rules[] = {
    {GUI_HELLO, "GUI_HELLO", AGENT | DAEMON, false, FIXED(GUI_HELLO_SIZE)},
    {GUI_CONFIGURE, "GUI_CONFIGURE", AGENT | DAEMON, true, FIXED(GUI_CONFIGURE_SIZE)},
    /* the upper bound is the announced limit, applied in gui_parse_hdr */
    {GUI_CLIPBOARD_DATA, "GUI_CLIPBOARD_DATA", AGENT | DAEMON, false, 0, GUI_CLIPBOARD_HARD_MAX},
    {GUI_CREATE, "GUI_CREATE", AGENT, true, FIXED(GUI_CREATE_SIZE)},
    {GUI_DESTROY, "GUI_DESTROY", AGENT, true, FIXED(0)},
    {GUI_MAP, "GUI_MAP", AGENT, true, FIXED(GUI_MAP_SIZE)},
    {GUI_UNMAP, "GUI_UNMAP", AGENT, true, FIXED(0)},
    {GUI_TITLE, "GUI_TITLE", AGENT, true, 0, GUI_TITLE_MAX},
    {GUI_CLASS, "GUI_CLASS", AGENT, true, FIXED(GUI_CLASS_SIZE)},
    {GUI_HINTS, "GUI_HINTS", AGENT, true, FIXED(GUI_HINTS_SIZE)},
    {GUI_FLAGS, "GUI_FLAGS", AGENT, true, FIXED(GUI_FLAGS_SIZE)},
    {GUI_CURSOR, "GUI_CURSOR", AGENT, true, FIXED(GUI_CURSOR_SIZE)},
    {GUI_BUFFER, "GUI_BUFFER", AGENT, true, GUI_BUFFER_FIXED + 4, GUI_MAX_BODY},
    {GUI_DAMAGE, "GUI_DAMAGE", AGENT, true, FIXED(GUI_RECT_SIZE)},
    {GUI_FRAME, "GUI_FRAME", AGENT, true, FIXED(GUI_FRAME_SIZE)},
    {GUI_SCREEN, "GUI_SCREEN", DAEMON, false, FIXED(GUI_SCREEN_SIZE)},
    {GUI_KEY, "GUI_KEY", DAEMON, true, FIXED(GUI_KEY_SIZE)},
    {GUI_BUTTON, "GUI_BUTTON", DAEMON, true, FIXED(GUI_BUTTON_SIZE)},
    {GUI_MOTION, "GUI_MOTION", DAEMON, true, FIXED(GUI_MOTION_SIZE)},
    {GUI_CROSSING, "GUI_CROSSING", DAEMON, true, FIXED(GUI_CROSSING_SIZE)},
    {GUI_FOCUS, "GUI_FOCUS", DAEMON, true, FIXED(GUI_FOCUS_SIZE)},
    {GUI_KEYMAP, "GUI_KEYMAP", DAEMON, true, FIXED(GUI_KEYMAP_SIZE)},
    {GUI_CLOSE, "GUI_CLOSE", DAEMON, true, FIXED(0)},
    {GUI_CLIPBOARD_REQ, "GUI_CLIPBOARD_REQ", DAEMON, true, FIXED(0)},
    {GUI_BUFFER_ACK, "GUI_BUFFER_ACK", DAEMON, true, FIXED(0)},
    {GUI_FRAME_DONE, "GUI_FRAME_DONE", DAEMON, true, FIXED(GUI_FRAME_DONE_SIZE)},
};

static const struct type_rule *rule_for(uint32_t type)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (rules[i].type == type)
            return &rules[i];
    return NULL;
}

const char *gui_msg_name(uint32_t type)
{
    const struct type_rule *r = rule_for(type);

    return r ? r->name : NULL;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int gui_parse_hdr(const void *untrusted_hdr, enum gui_sender from, uint32_t clipboard_max,
                  struct gui_hdr *out)
{
    const uint8_t *p = untrusted_hdr;
    uint32_t untrusted_type = get_u32(p), untrusted_window = get_u32(p + 4);
    uint32_t untrusted_len = get_u32(p + 8);
    const struct type_rule *r = rule_for(untrusted_type);

    if (!r || !(r->senders & (1u << from)))
        return -EBADMSG;
    if (r->has_window != (untrusted_window != 0))
        return -EBADMSG;
    if (untrusted_len < r->min || untrusted_len > r->max)
        return -EBADMSG;
    if (untrusted_type == GUI_CLIPBOARD_DATA && untrusted_len > clipboard_max)
        return -EBADMSG;
    out->type = untrusted_type;
    out->window = untrusted_window;
    out->len = untrusted_len;
    return 0;
}

/* The exact-length copy every fixed body starts with. */
static int fixed(const void *untrusted, size_t len, void *out, size_t size)
{
    if (len != size)
        return -EBADMSG;
    memcpy(out, untrusted, size);
    return 0;
}

static bool size_ok(uint32_t w, uint32_t h)
{
    return w >= 1 && w <= GUI_MAX_WIDTH && h >= 1 && h <= GUI_MAX_HEIGHT;
}

static bool coord_ok(int32_t x, int32_t y)
{
    return x >= -GUI_MAX_COORD && x <= GUI_MAX_COORD && y >= -GUI_MAX_COORD && y <= GUI_MAX_COORD;
}

int gui_parse_hello(const void *untrusted, size_t len, struct gui_hello *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if (out->buffer_kinds == 0 || (out->buffer_kinds & ~(GUI_BUF_GRANT | GUI_BUF_MEMFD)))
        return -EBADMSG;
    if (out->clipboard_max < GUI_CLIPBOARD_MIN || out->clipboard_max > GUI_CLIPBOARD_HARD_MAX)
        return -EBADMSG;
    return 0;
}

int gui_parse_create(const void *untrusted, size_t len, struct gui_create *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if (!size_ok(out->width, out->height) || !coord_ok(out->x, out->y))
        return -EBADMSG;
    if (out->parent != 0 || out->override_redirect > 1)
        return -EBADMSG;
    return 0;
}

int gui_parse_map(const void *untrusted, size_t len, struct gui_map *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    return out->override_redirect > 1 ? -EBADMSG : 0;
}

int gui_parse_configure(const void *untrusted, size_t len, struct gui_configure *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if (!size_ok(out->width, out->height) || !coord_ok(out->x, out->y))
        return -EBADMSG;
    return out->override_redirect > 1 ? -EBADMSG : 0;
}

int gui_parse_title(const void *untrusted, size_t len, struct gui_title *out)
{
    if (len > GUI_TITLE_MAX || (len && !untrusted))
        return -EBADMSG;
    out->untrusted_text = untrusted;
    out->len = len;
    return 0;
}

/* A NUL-terminated, NUL-padded field. */
static bool field_ok(const char *f, size_t size)
{
    const char *nul = memchr(f, 0, size);

    if (!nul)
        return false;
    for (const char *p = nul; p < f + size; p++)
        if (*p)
            return false;
    return true;
}

int gui_parse_class(const void *untrusted, size_t len, struct gui_class *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if (!field_ok(out->res_class, GUI_CLASS_FIELD) || !field_ok(out->res_name, GUI_CLASS_FIELD))
        return -EBADMSG;
    return 0;
}

int gui_parse_hints(const void *untrusted, size_t len, struct gui_hints *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if (out->flags & ~GUI_HINT_KNOWN)
        return -EBADMSG;
    /* only the fields a flag marks as set are checked (and used) */
    if ((out->flags & GUI_HINT_MIN_SIZE) &&
        (out->min_width > GUI_MAX_WIDTH || out->min_height > GUI_MAX_HEIGHT))
        return -EBADMSG;
    if ((out->flags & GUI_HINT_MAX_SIZE) &&
        (out->max_width > GUI_MAX_WIDTH || out->max_height > GUI_MAX_HEIGHT))
        return -EBADMSG;
    if ((out->flags & GUI_HINT_MIN_SIZE) && (out->flags & GUI_HINT_MAX_SIZE) &&
        (out->min_width > out->max_width || out->min_height > out->max_height))
        return -EBADMSG;
    if ((out->flags & GUI_HINT_RESIZE_INC) &&
        (out->width_inc > GUI_MAX_WIDTH || out->height_inc > GUI_MAX_HEIGHT))
        return -EBADMSG;
    if ((out->flags & GUI_HINT_BASE_SIZE) &&
        (out->base_width > GUI_MAX_WIDTH || out->base_height > GUI_MAX_HEIGHT))
        return -EBADMSG;
    return 0;
}

int gui_parse_flags(const void *untrusted, size_t len, struct gui_flags *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if ((out->set | out->unset) & ~GUI_FLAG_KNOWN || (out->set & out->unset))
        return -EBADMSG;
    return 0;
}

int gui_parse_cursor(const void *untrusted, size_t len, struct gui_cursor *out)
{
    uint32_t glyph;

    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if (out->cursor == GUI_CURSOR_DEFAULT)
        return 0;
    if (out->cursor < GUI_CURSOR_GLYPH)
        return -EBADMSG;
    glyph = out->cursor - GUI_CURSOR_GLYPH;
    return glyph < GUI_CURSOR_GLYPH_END && glyph % 2 == 0 ? 0 : -EBADMSG;
}

int gui_parse_buffer(const void *untrusted, size_t len, struct gui_buffer *out)
{
    const uint8_t *p = untrusted;
    uint64_t bytes, pages;

    if (len < GUI_BUFFER_FIXED || !untrusted)
        return -EBADMSG;
    out->kind = get_u32(p);
    out->width = get_u32(p + 4);
    out->height = get_u32(p + 8);
    out->stride = get_u32(p + 12);
    out->nrefs = get_u32(p + 16);
    if (out->kind != GUI_BUF_GRANT && out->kind != GUI_BUF_MEMFD)
        return -EBADMSG;
    if (!size_ok(out->width, out->height))
        return -EBADMSG;
    /* every size in 64 bits: none of these products can wrap */
    if (out->stride % 4 || (uint64_t)out->stride < (uint64_t)out->width * 4 ||
        out->stride > (uint64_t)GUI_MAX_WIDTH * 4)
        return -EBADMSG;
    bytes = (uint64_t)out->stride * out->height;
    pages = (bytes + GUI_PAGE_SIZE - 1) / GUI_PAGE_SIZE;
    if (pages > GUI_MAX_BUFFER_PAGES)
        return -EBADMSG;
    out->refs_per_slot = out->kind == GUI_BUF_GRANT ? (uint32_t)pages : 1;
    if (!out->nrefs || out->nrefs % out->refs_per_slot ||
        out->nrefs / out->refs_per_slot > GUI_MAX_SLOTS)
        return -EBADMSG;
    out->slots = out->nrefs / out->refs_per_slot;
    if ((uint64_t)len != GUI_BUFFER_FIXED + 4 * (uint64_t)out->nrefs)
        return -EBADMSG;
    out->bytes = pages * GUI_PAGE_SIZE;
    out->untrusted_refs = p + GUI_BUFFER_FIXED;
    return 0;
}

uint32_t gui_buffer_ref(const struct gui_buffer *b, uint32_t i)
{
    return i < b->nrefs ? get_u32(b->untrusted_refs + 4 * (size_t)i) : 0;
}

static bool rect_ok(const struct gui_rect *r)
{
    return r->x >= 0 && r->y >= 0 && size_ok(r->width, r->height);
}

int gui_parse_damage(const void *untrusted, size_t len, struct gui_rect *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    return rect_ok(out) ? 0 : -EBADMSG;
}

int gui_parse_frame(const void *untrusted, size_t len, struct gui_frame *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    return out->slot < GUI_MAX_SLOTS && rect_ok(&out->rect) ? 0 : -EBADMSG;
}

int gui_parse_frame_done(const void *untrusted, size_t len, struct gui_frame_done *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    return out->slot < GUI_MAX_SLOTS ? 0 : -EBADMSG;
}

bool gui_rect_inside(const struct gui_rect *r, uint32_t width, uint32_t height)
{
    return r->x >= 0 && r->y >= 0 && (uint64_t)r->x + r->width <= width &&
           (uint64_t)r->y + r->height <= height;
}

int gui_parse_screen(const void *untrusted, size_t len, struct gui_screen *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if (!size_ok(out->width, out->height) || (out->depth != 24 && out->depth != 32))
        return -EBADMSG;
    return 0;
}

/* Pointer positions may lie outside the window (a grab), not past the
 * coordinate space. */
int gui_parse_key(const void *untrusted, size_t len, struct gui_key *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if ((out->type != 2 && out->type != 3) || !coord_ok(out->x, out->y))
        return -EBADMSG;
    return out->keycode >= 8 && out->keycode <= 255 ? 0 : -EBADMSG;
}

int gui_parse_button(const void *untrusted, size_t len, struct gui_button *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if ((out->type != 4 && out->type != 5) || !coord_ok(out->x, out->y))
        return -EBADMSG;
    return out->button >= 1 && out->button <= 15 ? 0 : -EBADMSG;
}

int gui_parse_motion(const void *untrusted, size_t len, struct gui_motion *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    return coord_ok(out->x, out->y) && out->is_hint <= 1 ? 0 : -EBADMSG;
}

int gui_parse_crossing(const void *untrusted, size_t len, struct gui_crossing *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if ((out->type != 7 && out->type != 8) || !coord_ok(out->x, out->y))
        return -EBADMSG;
    /* NotifyNormal..NotifyWhileGrabbed, NotifyAncestor..NotifyNonlinearVirtual */
    return out->mode <= 3 && out->detail <= 4 && out->focus <= 1 ? 0 : -EBADMSG;
}

int gui_parse_focus(const void *untrusted, size_t len, struct gui_focus *out)
{
    if (fixed(untrusted, len, out, sizeof(*out)))
        return -EBADMSG;
    if (out->type != 9 && out->type != 10)
        return -EBADMSG;
    /* modes up to NotifyWhileGrabbed, details up to NotifyDetailNone */
    return out->mode <= 3 && out->detail <= 7 ? 0 : -EBADMSG;
}

int gui_parse_keymap(const void *untrusted, size_t len, struct gui_keymap *out)
{
    return fixed(untrusted, len, out, sizeof(*out));
}

int gui_parse_clipboard(const void *untrusted, size_t len, uint32_t clipboard_max,
                        struct gui_clipboard *out)
{
    if (len > clipboard_max || len > GUI_CLIPBOARD_HARD_MAX || (len && !untrusted))
        return -EBADMSG;
    out->untrusted_data = untrusted;
    out->len = len;
    return 0;
}

uint32_t gui_version_agree(uint32_t ours, uint32_t theirs)
{
    if (ours >> 16 != theirs >> 16)
        return 0;
    return ours < theirs ? ours : theirs;
}

size_t gui_msg_put(void *out, uint32_t type, uint32_t window, const void *body, uint32_t len)
{
    uint8_t *p = out;
    uint32_t hdr[3] = {type, window, len};

    memcpy(p, hdr, sizeof(hdr));
    if (len)
        memcpy(p + GUI_HDR_SIZE, body, len);
    return GUI_HDR_SIZE + (size_t)len;
}

size_t gui_sanitize_text(const char *untrusted, size_t len, bool allow_utf8, char *out, size_t cap)
{
    const uint8_t *p = (const uint8_t *)untrusted;
    size_t i = 0, n = 0, k;
    uint32_t cp;

    if (cap == 0)
        return 0;
    while (i < len && n + 1 < cap) {
        if (p[i] >= 0x20 && p[i] < 0x7f) {
            out[n++] = (char)p[i++];
            continue;
        }
        k = allow_utf8 ? text_utf8_decode(p + i, len - i, &cp) : 0;
        if (k > 1 && !text_cp_unsafe(cp)) {
            /* a good character that does not fit whole ends the text: it is
             * neither cut in half nor shown as a '_' it never was */
            if (n + k >= cap)
                break;
            memcpy(out + n, p + i, k);
            n += k;
            i += k;
            continue;
        }
        out[n++] = '_';
        /* one '_' for a whole bad-but-decodable sequence, else per byte */
        i += k > 1 ? k : 1;
    }
    out[n] = 0;
    return n;
}
