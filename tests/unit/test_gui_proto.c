/* The GUI wire protocol's pure parsers, builder and sanitizer
 * (gui-daemon/proto/gui_proto.h): every bound just inside and just outside,
 * the wrong sender, the window-id rules, sizes whose products overflow 32
 * bits, and hostile text. */
#include "gui-daemon/proto/gui_proto.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static uint8_t hdr_buf[GUI_HDR_SIZE];

static int hdr(uint32_t type, uint32_t window, uint32_t len, enum gui_sender from,
               uint32_t clip_max, struct gui_hdr *out)
{
    uint32_t h[3] = {type, window, len};

    memcpy(hdr_buf, h, sizeof(h));
    return gui_parse_hdr(hdr_buf, from, clip_max, out);
}

#define CLIP GUI_CLIPBOARD_DEFAULT

/* Each fixed type: its exact length passes, one less and one more fail. */
static void test_hdr_fixed_lengths(void **state)
{
    static const struct {
        uint32_t type, size;
        enum gui_sender from;
        bool window;
    } t[] = {
        {GUI_HELLO, GUI_HELLO_SIZE, GUI_FROM_AGENT, false},
        {GUI_HELLO, GUI_HELLO_SIZE, GUI_FROM_DAEMON, false},
        {GUI_CONFIGURE, GUI_CONFIGURE_SIZE, GUI_FROM_AGENT, true},
        {GUI_CONFIGURE, GUI_CONFIGURE_SIZE, GUI_FROM_DAEMON, true},
        {GUI_CREATE, GUI_CREATE_SIZE, GUI_FROM_AGENT, true},
        {GUI_DESTROY, 0, GUI_FROM_AGENT, true},
        {GUI_MAP, GUI_MAP_SIZE, GUI_FROM_AGENT, true},
        {GUI_UNMAP, 0, GUI_FROM_AGENT, true},
        {GUI_CLASS, GUI_CLASS_SIZE, GUI_FROM_AGENT, true},
        {GUI_HINTS, GUI_HINTS_SIZE, GUI_FROM_AGENT, true},
        {GUI_FLAGS, GUI_FLAGS_SIZE, GUI_FROM_AGENT, true},
        {GUI_CURSOR, GUI_CURSOR_SIZE, GUI_FROM_AGENT, true},
        {GUI_DAMAGE, GUI_RECT_SIZE, GUI_FROM_AGENT, true},
        {GUI_FRAME, GUI_FRAME_SIZE, GUI_FROM_AGENT, true},
        {GUI_FRAME_DONE, GUI_FRAME_DONE_SIZE, GUI_FROM_DAEMON, true},
        {GUI_SCREEN, GUI_SCREEN_SIZE, GUI_FROM_DAEMON, false},
        {GUI_KEY, GUI_KEY_SIZE, GUI_FROM_DAEMON, true},
        {GUI_BUTTON, GUI_BUTTON_SIZE, GUI_FROM_DAEMON, true},
        {GUI_MOTION, GUI_MOTION_SIZE, GUI_FROM_DAEMON, true},
        {GUI_CROSSING, GUI_CROSSING_SIZE, GUI_FROM_DAEMON, true},
        {GUI_FOCUS, GUI_FOCUS_SIZE, GUI_FROM_DAEMON, true},
        {GUI_KEYMAP, GUI_KEYMAP_SIZE, GUI_FROM_DAEMON, true},
        {GUI_CLOSE, 0, GUI_FROM_DAEMON, true},
        {GUI_CLIPBOARD_REQ, 0, GUI_FROM_DAEMON, true},
        {GUI_BUFFER_ACK, 0, GUI_FROM_DAEMON, true},
    };
    struct gui_hdr h;
    (void)state;

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint32_t w = t[i].window ? 0x1200007 : 0;

        assert_int_equal(hdr(t[i].type, w, t[i].size, t[i].from, CLIP, &h), 0);
        assert_int_equal(h.type, t[i].type);
        assert_int_equal(h.window, w);
        assert_int_equal(h.len, t[i].size);
        assert_non_null(gui_msg_name(t[i].type));
        if (t[i].size)
            assert_int_equal(hdr(t[i].type, w, t[i].size - 1, t[i].from, CLIP, &h), -EBADMSG);
        assert_int_equal(hdr(t[i].type, w, t[i].size + 1, t[i].from, CLIP, &h), -EBADMSG);
        assert_int_equal(hdr(t[i].type, w, UINT32_MAX, t[i].from, CLIP, &h), -EBADMSG);
        /* the window-id rule: present where the type has one, else absent */
        assert_int_equal(hdr(t[i].type, t[i].window ? 0 : 5, t[i].size, t[i].from, CLIP, &h),
                         -EBADMSG);
    }
}

static void test_hdr_direction_and_unknown(void **state)
{
    static const uint32_t agent_only[] = {GUI_CREATE, GUI_DESTROY, GUI_MAP,    GUI_UNMAP,
                                          GUI_TITLE,  GUI_CLASS,   GUI_HINTS,  GUI_FLAGS,
                                          GUI_CURSOR, GUI_BUFFER,  GUI_DAMAGE, GUI_FRAME};
    static const uint32_t daemon_only[] = {
        GUI_SCREEN, GUI_KEY,   GUI_BUTTON,        GUI_MOTION,     GUI_CROSSING,  GUI_FOCUS,
        GUI_KEYMAP, GUI_CLOSE, GUI_CLIPBOARD_REQ, GUI_BUFFER_ACK, GUI_FRAME_DONE};
    struct gui_hdr h;
    (void)state;

    /* the daemon never takes what only it sends, and the other way round
     * (the length is irrelevant: direction is checked first) */
    for (size_t i = 0; i < sizeof(agent_only) / sizeof(agent_only[0]); i++)
        assert_int_equal(hdr(agent_only[i], 1, 0, GUI_FROM_DAEMON, CLIP, &h), -EBADMSG);
    for (size_t i = 0; i < sizeof(daemon_only) / sizeof(daemon_only[0]); i++)
        assert_int_equal(hdr(daemon_only[i], 1, 0, GUI_FROM_AGENT, CLIP, &h), -EBADMSG);
    /* unknown types, including neighbours of known ones */
    for (uint32_t t = 0; t < 256; t++) {
        if (gui_msg_name(t))
            continue;
        assert_int_equal(hdr(t, 0, 0, GUI_FROM_AGENT, CLIP, &h), -EBADMSG);
        assert_int_equal(hdr(t, 1, 0, GUI_FROM_DAEMON, CLIP, &h), -EBADMSG);
    }
    assert_int_equal(hdr(UINT32_MAX, 1, 0, GUI_FROM_AGENT, CLIP, &h), -EBADMSG);
    assert_null(gui_msg_name(0));
    assert_string_equal(gui_msg_name(GUI_BUFFER), "GUI_BUFFER");
}

static void test_hdr_bounded_lengths(void **state)
{
    struct gui_hdr h;
    (void)state;

    /* title: 0..GUI_TITLE_MAX */
    assert_int_equal(hdr(GUI_TITLE, 9, 0, GUI_FROM_AGENT, CLIP, &h), 0);
    assert_int_equal(hdr(GUI_TITLE, 9, GUI_TITLE_MAX, GUI_FROM_AGENT, CLIP, &h), 0);
    assert_int_equal(hdr(GUI_TITLE, 9, GUI_TITLE_MAX + 1, GUI_FROM_AGENT, CLIP, &h), -EBADMSG);
    /* buffer: one ref at least, up to a full-size buffer of grant refs */
    assert_int_equal(hdr(GUI_BUFFER, 9, GUI_BUFFER_FIXED + 3, GUI_FROM_AGENT, CLIP, &h), -EBADMSG);
    assert_int_equal(hdr(GUI_BUFFER, 9, GUI_BUFFER_FIXED + 4, GUI_FROM_AGENT, CLIP, &h), 0);
    assert_int_equal(hdr(GUI_BUFFER, 9, (uint32_t)GUI_MAX_BODY, GUI_FROM_AGENT, CLIP, &h), 0);
    assert_int_equal(hdr(GUI_BUFFER, 9, (uint32_t)GUI_MAX_BODY + 1, GUI_FROM_AGENT, CLIP, &h),
                     -EBADMSG);
    /* clipboard: up to the limit this side announced, both directions,
     * never past the hard maximum, window 0 */
    assert_int_equal(hdr(GUI_CLIPBOARD_DATA, 0, 0, GUI_FROM_AGENT, 256, &h), 0);
    assert_int_equal(hdr(GUI_CLIPBOARD_DATA, 0, 256, GUI_FROM_AGENT, 256, &h), 0);
    assert_int_equal(hdr(GUI_CLIPBOARD_DATA, 0, 257, GUI_FROM_AGENT, 256, &h), -EBADMSG);
    assert_int_equal(hdr(GUI_CLIPBOARD_DATA, 0, 1000, GUI_FROM_DAEMON, 1000, &h), 0);
    assert_int_equal(hdr(GUI_CLIPBOARD_DATA, 0, 1001, GUI_FROM_DAEMON, 1000, &h), -EBADMSG);
    assert_int_equal(
        hdr(GUI_CLIPBOARD_DATA, 0, GUI_CLIPBOARD_HARD_MAX, GUI_FROM_AGENT, UINT32_MAX, &h), 0);
    assert_int_equal(
        hdr(GUI_CLIPBOARD_DATA, 0, GUI_CLIPBOARD_HARD_MAX + 1, GUI_FROM_AGENT, UINT32_MAX, &h),
        -EBADMSG);
    assert_int_equal(hdr(GUI_CLIPBOARD_DATA, 3, 10, GUI_FROM_AGENT, CLIP, &h), -EBADMSG);
}

static void test_hello(void **state)
{
    struct gui_hello in = {GUI_PROTO_VERSION, GUI_BUF_MEMFD, GUI_CLIPBOARD_DEFAULT}, out;
    (void)state;

    assert_int_equal(gui_parse_hello(&in, sizeof(in), &out), 0);
    assert_int_equal(out.version, GUI_PROTO_VERSION);
    assert_int_equal(gui_parse_hello(&in, sizeof(in) - 1, &out), -EBADMSG);
    assert_int_equal(gui_parse_hello(&in, sizeof(in) + 1, &out), -EBADMSG);
    in.buffer_kinds = GUI_BUF_GRANT | GUI_BUF_MEMFD;
    assert_int_equal(gui_parse_hello(&in, sizeof(in), &out), 0);
    in.buffer_kinds = 0;
    assert_int_equal(gui_parse_hello(&in, sizeof(in), &out), -EBADMSG);
    in.buffer_kinds = 4;
    assert_int_equal(gui_parse_hello(&in, sizeof(in), &out), -EBADMSG);
    in.buffer_kinds = GUI_BUF_GRANT;
    in.clipboard_max = GUI_CLIPBOARD_MIN;
    assert_int_equal(gui_parse_hello(&in, sizeof(in), &out), 0);
    in.clipboard_max = GUI_CLIPBOARD_MIN - 1;
    assert_int_equal(gui_parse_hello(&in, sizeof(in), &out), -EBADMSG);
    in.clipboard_max = GUI_CLIPBOARD_HARD_MAX;
    assert_int_equal(gui_parse_hello(&in, sizeof(in), &out), 0);
    in.clipboard_max = GUI_CLIPBOARD_HARD_MAX + 1;
    assert_int_equal(gui_parse_hello(&in, sizeof(in), &out), -EBADMSG);
}

static void test_version_agree(void **state)
{
    (void)state;
    assert_int_equal(gui_version_agree(0x10000, 0x10000), 0x10000);
    assert_int_equal(gui_version_agree(0x10000, 0x10003), 0x10000);
    assert_int_equal(gui_version_agree(0x10005, 0x10002), 0x10002);
    assert_int_equal(gui_version_agree(0x10000, 0x20000), 0);
    assert_int_equal(gui_version_agree(0x10000, 0x00001), 0);
}

/* Window sizes and positions shared by CREATE and CONFIGURE. */
static void test_create_and_configure(void **state)
{
    struct gui_create c = {10, 20, 640, 480, 0, 0}, co;
    struct gui_configure g = {-5, -7, 300, 200, 1}, go;
    (void)state;

    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), 0);
    assert_int_equal(co.width, 640);
    assert_int_equal(gui_parse_create(&c, sizeof(c) - 1, &co), -EBADMSG);
    c.width = GUI_MAX_WIDTH, c.height = GUI_MAX_HEIGHT;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), 0);
    c.width = GUI_MAX_WIDTH + 1;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), -EBADMSG);
    c.width = 1, c.height = GUI_MAX_HEIGHT + 1;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), -EBADMSG);
    c.height = 0;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), -EBADMSG);
    c.height = 1, c.width = 0;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), -EBADMSG);
    c.width = 1, c.x = GUI_MAX_COORD, c.y = -GUI_MAX_COORD;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), 0);
    c.x = GUI_MAX_COORD + 1;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), -EBADMSG);
    c.x = 0, c.y = -GUI_MAX_COORD - 1;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), -EBADMSG);
    c.y = INT32_MIN;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), -EBADMSG);
    c.y = 0, c.parent = 0x400001;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), -EBADMSG);
    c.parent = 0, c.override_redirect = 1;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), 0);
    c.override_redirect = 2;
    assert_int_equal(gui_parse_create(&c, sizeof(c), &co), -EBADMSG);

    assert_int_equal(gui_parse_configure(&g, sizeof(g), &go), 0);
    assert_int_equal(go.x, -5);
    assert_int_equal(gui_parse_configure(&g, sizeof(g) + 1, &go), -EBADMSG);
    g.override_redirect = 2;
    assert_int_equal(gui_parse_configure(&g, sizeof(g), &go), -EBADMSG);
    g.override_redirect = 0, g.width = 0;
    assert_int_equal(gui_parse_configure(&g, sizeof(g), &go), -EBADMSG);
    g.width = GUI_MAX_WIDTH, g.height = GUI_MAX_HEIGHT + 1;
    assert_int_equal(gui_parse_configure(&g, sizeof(g), &go), -EBADMSG);
    g.height = 1, g.x = -GUI_MAX_COORD - 1;
    assert_int_equal(gui_parse_configure(&g, sizeof(g), &go), -EBADMSG);
}

static void test_map_flags_cursor(void **state)
{
    struct gui_map m = {0x400003, 1}, mo;
    struct gui_flags f = {GUI_FLAG_FULLSCREEN, GUI_FLAG_URGENT}, fo;
    struct gui_cursor c = {GUI_CURSOR_DEFAULT}, co;
    (void)state;

    assert_int_equal(gui_parse_map(&m, sizeof(m), &mo), 0);
    assert_int_equal(mo.transient_for, 0x400003);
    m.override_redirect = 2;
    assert_int_equal(gui_parse_map(&m, sizeof(m), &mo), -EBADMSG);
    assert_int_equal(gui_parse_map(&m, sizeof(m) - 4, &mo), -EBADMSG);

    assert_int_equal(gui_parse_flags(&f, sizeof(f), &fo), 0);
    f.set = GUI_FLAG_KNOWN, f.unset = 0;
    assert_int_equal(gui_parse_flags(&f, sizeof(f), &fo), 0);
    f.set = 8; /* an unknown flag */
    assert_int_equal(gui_parse_flags(&f, sizeof(f), &fo), -EBADMSG);
    f.set = 0, f.unset = 0x80000000u;
    assert_int_equal(gui_parse_flags(&f, sizeof(f), &fo), -EBADMSG);
    f.set = f.unset = GUI_FLAG_MINIMIZE; /* set and unset at once */
    assert_int_equal(gui_parse_flags(&f, sizeof(f), &fo), -EBADMSG);

    assert_int_equal(gui_parse_cursor(&c, sizeof(c), &co), 0);
    c.cursor = GUI_CURSOR_GLYPH; /* XC_X_cursor, glyph 0 */
    assert_int_equal(gui_parse_cursor(&c, sizeof(c), &co), 0);
    c.cursor = GUI_CURSOR_GLYPH + GUI_CURSOR_GLYPH_END - 2;
    assert_int_equal(gui_parse_cursor(&c, sizeof(c), &co), 0);
    c.cursor = GUI_CURSOR_GLYPH + GUI_CURSOR_GLYPH_END;
    assert_int_equal(gui_parse_cursor(&c, sizeof(c), &co), -EBADMSG);
    c.cursor = GUI_CURSOR_GLYPH + 3; /* odd: a mask glyph */
    assert_int_equal(gui_parse_cursor(&c, sizeof(c), &co), -EBADMSG);
    c.cursor = 1;
    assert_int_equal(gui_parse_cursor(&c, sizeof(c), &co), -EBADMSG);
    c.cursor = GUI_CURSOR_GLYPH - 1;
    assert_int_equal(gui_parse_cursor(&c, sizeof(c), &co), -EBADMSG);
    c.cursor = UINT32_MAX;
    assert_int_equal(gui_parse_cursor(&c, sizeof(c), &co), -EBADMSG);
}

static void test_title(void **state)
{
    char body[GUI_TITLE_MAX + 1];
    struct gui_title t;
    (void)state;

    memset(body, 'a', sizeof(body));
    assert_int_equal(gui_parse_title(body, 0, &t), 0);
    assert_int_equal(t.len, 0);
    assert_int_equal(gui_parse_title(NULL, 0, &t), 0);
    assert_int_equal(gui_parse_title(body, GUI_TITLE_MAX, &t), 0);
    assert_ptr_equal(t.untrusted_text, body);
    assert_int_equal(t.len, GUI_TITLE_MAX);
    assert_int_equal(gui_parse_title(body, GUI_TITLE_MAX + 1, &t), -EBADMSG);
    assert_int_equal(gui_parse_title(NULL, 3, &t), -EBADMSG);
}

static void test_class(void **state)
{
    struct gui_class c, o;
    (void)state;

    memset(&c, 0, sizeof(c));
    strcpy(c.res_class, "Firefox");
    strcpy(c.res_name, "Navigator");
    assert_int_equal(gui_parse_class(&c, sizeof(c), &o), 0);
    assert_string_equal(o.res_class, "Firefox");
    assert_int_equal(gui_parse_class(&c, sizeof(c) - 1, &o), -EBADMSG);
    /* 63 bytes and a NUL: fits */
    memset(c.res_class, 'x', GUI_CLASS_FIELD - 1);
    assert_int_equal(gui_parse_class(&c, sizeof(c), &o), 0);
    /* no NUL at all */
    memset(c.res_class, 'x', GUI_CLASS_FIELD);
    assert_int_equal(gui_parse_class(&c, sizeof(c), &o), -EBADMSG);
    /* bytes after the NUL (hidden data) */
    memset(c.res_class, 0, GUI_CLASS_FIELD);
    c.res_class[0] = 'a';
    c.res_class[GUI_CLASS_FIELD - 1] = 'z';
    assert_int_equal(gui_parse_class(&c, sizeof(c), &o), -EBADMSG);
    c.res_class[GUI_CLASS_FIELD - 1] = 0;
    memset(c.res_name, 'n', GUI_CLASS_FIELD);
    assert_int_equal(gui_parse_class(&c, sizeof(c), &o), -EBADMSG);
    /* empty fields are fine */
    memset(&c, 0, sizeof(c));
    assert_int_equal(gui_parse_class(&c, sizeof(c), &o), 0);
}

static void test_hints(void **state)
{
    struct gui_hints h, o;
    (void)state;

    memset(&h, 0, sizeof(h));
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), 0);
    assert_int_equal(gui_parse_hints(&h, sizeof(h) - 1, &o), -EBADMSG);
    h.flags = 2; /* USSize: not one we know */
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), -EBADMSG);
    /* unflagged fields are not looked at */
    h.flags = 0, h.min_width = UINT32_MAX, h.max_height = UINT32_MAX;
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), 0);
    memset(&h, 0, sizeof(h));
    h.flags = GUI_HINT_MIN_SIZE | GUI_HINT_MAX_SIZE;
    h.min_width = 10, h.min_height = 10, h.max_width = GUI_MAX_WIDTH, h.max_height = GUI_MAX_HEIGHT;
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), 0);
    h.max_width = GUI_MAX_WIDTH + 1;
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), -EBADMSG);
    h.max_width = 9; /* min above max */
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), -EBADMSG);
    h.max_width = 10;
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), 0);
    h.flags = GUI_HINT_MIN_SIZE, h.min_height = GUI_MAX_HEIGHT + 1;
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), -EBADMSG);
    memset(&h, 0, sizeof(h));
    h.flags = GUI_HINT_RESIZE_INC | GUI_HINT_BASE_SIZE;
    h.width_inc = GUI_MAX_WIDTH, h.height_inc = GUI_MAX_HEIGHT;
    h.base_width = GUI_MAX_WIDTH, h.base_height = GUI_MAX_HEIGHT;
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), 0);
    h.height_inc = GUI_MAX_HEIGHT + 1;
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), -EBADMSG);
    h.height_inc = 1, h.base_width = GUI_MAX_WIDTH + 1;
    assert_int_equal(gui_parse_hints(&h, sizeof(h), &o), -EBADMSG);
}

/* A GUI_BUFFER body: fixed part and refs, as an agent would send it. */
static size_t buffer_body(uint8_t *out, uint32_t kind, uint32_t w, uint32_t h, uint32_t stride,
                          uint32_t nrefs)
{
    uint32_t f[5] = {kind, w, h, stride, nrefs};

    memcpy(out, f, sizeof(f));
    for (uint32_t i = 0; i < nrefs; i++) {
        uint32_t ref = 100 + i;
        memcpy(out + GUI_BUFFER_FIXED + 4 * (size_t)i, &ref, 4);
    }
    return GUI_BUFFER_FIXED + 4 * (size_t)nrefs;
}

static void test_buffer_memfd(void **state)
{
    uint8_t b[GUI_BUFFER_FIXED + 4 * (GUI_MAX_SLOTS + 1)];
    struct gui_buffer o;
    size_t n;
    (void)state;

    n = buffer_body(b, GUI_BUF_MEMFD, 100, 50, 400, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), 0);
    assert_int_equal(o.kind, GUI_BUF_MEMFD);
    assert_int_equal(o.bytes, 20480); /* 400 * 50 = 20000, rounded up to 5 pages */
    assert_int_equal(gui_buffer_ref(&o, 0), 100);
    assert_int_equal(gui_buffer_ref(&o, 1), 0); /* past the end: 0, no read */
    assert_int_equal(gui_parse_buffer(b, n - 1, &o), -EBADMSG);
    assert_int_equal(gui_parse_buffer(b, n + 4, &o), -EBADMSG);
    assert_int_equal(gui_parse_buffer(b, GUI_BUFFER_FIXED - 1, &o), -EBADMSG);
    assert_int_equal(gui_parse_buffer(NULL, n, &o), -EBADMSG);
    assert_int_equal(o.slots, 1);
    /* a memfd is one reference per slot, at most GUI_MAX_SLOTS of them */
    n = buffer_body(b, GUI_BUF_MEMFD, 100, 50, 400, 2);
    assert_int_equal(gui_parse_buffer(b, n, &o), 0);
    assert_int_equal(o.slots, 2);
    assert_int_equal(o.refs_per_slot, 1);
    n = buffer_body(b, GUI_BUF_MEMFD, 100, 50, 400, GUI_MAX_SLOTS + 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_MEMFD, 100, 50, 400, 0);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    /* unknown kinds */
    n = buffer_body(b, 0, 100, 50, 400, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, 3, 100, 50, 400, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    /* stride: at least width * 4, a multiple of 4, bounded */
    n = buffer_body(b, GUI_BUF_MEMFD, 100, 50, 399, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_MEMFD, 100, 50, 396, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_MEMFD, 100, 50, 404, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), 0);
    n = buffer_body(b, GUI_BUF_MEMFD, 100, 50, GUI_MAX_WIDTH * 4, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), 0);
    n = buffer_body(b, GUI_BUF_MEMFD, 100, 50, GUI_MAX_WIDTH * 4 + 4, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    /* sizes */
    n = buffer_body(b, GUI_BUF_MEMFD, 0, 50, 400, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_MEMFD, 100, 0, 400, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_MEMFD, GUI_MAX_WIDTH, GUI_MAX_HEIGHT, GUI_MAX_WIDTH * 4, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), 0);
    assert_true(o.bytes == (uint64_t)GUI_MAX_BUFFER_PAGES * GUI_PAGE_SIZE);
    n = buffer_body(b, GUI_BUF_MEMFD, GUI_MAX_WIDTH + 1, 1, (GUI_MAX_WIDTH + 1) * 4, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_MEMFD, 1, GUI_MAX_HEIGHT + 1, 4, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
}

/* Values whose 32-bit products wrap to something small: with width 0x40000001
 * width * 4 is 4 in 32 bits; stride * height can wrap too. */
static void test_buffer_overflow(void **state)
{
    uint8_t b[GUI_BUFFER_FIXED + 4 * (GUI_MAX_SLOTS + 1)];
    struct gui_buffer o;
    size_t n;
    (void)state;

    n = buffer_body(b, GUI_BUF_MEMFD, 0x40000001u, 1, 4, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_MEMFD, 1, 0x40000000u, 4, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_MEMFD, 1, 1, 0x40000000u, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_MEMFD, 1, 1, 0xfffffffcu, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_MEMFD, UINT32_MAX, UINT32_MAX, UINT32_MAX - 3, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
}

static void test_buffer_grant(void **state)
{
    uint32_t pages = 2025; /* 1920 x 1080 x 4 bytes */
    size_t cap = GUI_BUFFER_FIXED + 4 * (size_t)(pages * (GUI_MAX_SLOTS + 1));
    uint8_t *b = malloc(cap);
    struct gui_buffer o;
    size_t n;
    (void)state;

    assert_non_null(b);
    n = buffer_body(b, GUI_BUF_GRANT, 1920, 1080, 7680, pages);
    assert_int_equal(gui_parse_buffer(b, n, &o), 0);
    assert_int_equal(o.nrefs, pages);
    assert_true(o.bytes == (uint64_t)pages * GUI_PAGE_SIZE);
    assert_int_equal(gui_buffer_ref(&o, 0), 100);
    assert_int_equal(gui_buffer_ref(&o, pages - 1), 100 + pages - 1);
    assert_int_equal(gui_buffer_ref(&o, pages), 0);
    /* nrefs must be the page count, and the body must carry exactly them */
    n = buffer_body(b, GUI_BUF_GRANT, 1920, 1080, 7680, pages - 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_GRANT, 1920, 1080, 7680, pages + 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_GRANT, 1920, 1080, 7680, pages);
    assert_int_equal(gui_parse_buffer(b, n - 4, &o), -EBADMSG);
    /* slots: whole multiples of the page count, up to GUI_MAX_SLOTS */
    n = buffer_body(b, GUI_BUF_GRANT, 1920, 1080, 7680, 2 * pages);
    assert_int_equal(gui_parse_buffer(b, n, &o), 0);
    assert_int_equal(o.slots, 2);
    assert_int_equal(o.refs_per_slot, pages);
    assert_true(o.bytes == (uint64_t)pages * GUI_PAGE_SIZE); /* of one slot */
    assert_int_equal(gui_buffer_ref(&o, pages), 100 + pages);
    n = buffer_body(b, GUI_BUF_GRANT, 1920, 1080, 7680, 2 * pages - 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    n = buffer_body(b, GUI_BUF_GRANT, 1920, 1080, 7680, (GUI_MAX_SLOTS + 1) * pages);
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    /* nrefs claiming far more than the body holds */
    n = buffer_body(b, GUI_BUF_GRANT, 1, 1, 4, 1);
    {
        uint32_t huge = 0x40000001u;
        memcpy(b + 16, &huge, 4);
    }
    assert_int_equal(gui_parse_buffer(b, n, &o), -EBADMSG);
    /* a single page */
    n = buffer_body(b, GUI_BUF_GRANT, 1, 1, 4, 1);
    assert_int_equal(gui_parse_buffer(b, n, &o), 0);
    assert_int_equal(o.bytes, GUI_PAGE_SIZE);
    free(b);
}

static void test_frame(void **state)
{
    struct gui_frame f = {7, 1, {0, 0, 100, 50}}, o;
    struct gui_frame_done d = {7, 1}, od;
    (void)state;

    assert_int_equal(gui_parse_frame(&f, sizeof(f), &o), 0);
    assert_int_equal(o.seq, 7);
    assert_int_equal(o.slot, 1);
    assert_int_equal(o.rect.width, 100);
    assert_int_equal(gui_parse_frame(&f, sizeof(f) - 1, &o), -EBADMSG);
    f.slot = GUI_MAX_SLOTS;
    assert_int_equal(gui_parse_frame(&f, sizeof(f), &o), -EBADMSG);
    f.slot = UINT32_MAX;
    assert_int_equal(gui_parse_frame(&f, sizeof(f), &o), -EBADMSG);
    /* the rectangle obeys GUI_DAMAGE's rules */
    f.slot = 0, f.rect.x = -1;
    assert_int_equal(gui_parse_frame(&f, sizeof(f), &o), -EBADMSG);
    f.rect.x = 0, f.rect.height = 0;
    assert_int_equal(gui_parse_frame(&f, sizeof(f), &o), -EBADMSG);
    f.rect.height = GUI_MAX_HEIGHT + 1;
    assert_int_equal(gui_parse_frame(&f, sizeof(f), &o), -EBADMSG);

    assert_int_equal(gui_parse_frame_done(&d, sizeof(d), &od), 0);
    assert_int_equal(od.seq, 7);
    assert_int_equal(gui_parse_frame_done(&d, sizeof(d) + 1, &od), -EBADMSG);
    d.slot = GUI_MAX_SLOTS;
    assert_int_equal(gui_parse_frame_done(&d, sizeof(d), &od), -EBADMSG);
}

static void test_damage(void **state)
{
    struct gui_rect r = {0, 0, 100, 50}, o;
    (void)state;

    assert_int_equal(gui_parse_damage(&r, sizeof(r), &o), 0);
    assert_int_equal(gui_parse_damage(&r, sizeof(r) - 1, &o), -EBADMSG);
    r.x = -1;
    assert_int_equal(gui_parse_damage(&r, sizeof(r), &o), -EBADMSG);
    r.x = 0, r.y = INT32_MIN;
    assert_int_equal(gui_parse_damage(&r, sizeof(r), &o), -EBADMSG);
    r.y = 0, r.width = 0;
    assert_int_equal(gui_parse_damage(&r, sizeof(r), &o), -EBADMSG);
    r.width = GUI_MAX_WIDTH + 1;
    assert_int_equal(gui_parse_damage(&r, sizeof(r), &o), -EBADMSG);

    /* inside a 100 x 50 buffer: edges exactly, one past each edge */
    r = (struct gui_rect){0, 0, 100, 50};
    assert_true(gui_rect_inside(&r, 100, 50));
    r = (struct gui_rect){99, 49, 1, 1};
    assert_true(gui_rect_inside(&r, 100, 50));
    r = (struct gui_rect){1, 0, 100, 50};
    assert_false(gui_rect_inside(&r, 100, 50));
    r = (struct gui_rect){0, 1, 100, 50};
    assert_false(gui_rect_inside(&r, 100, 50));
    r = (struct gui_rect){100, 0, 1, 1};
    assert_false(gui_rect_inside(&r, 100, 50));
    r = (struct gui_rect){-1, 0, 1, 1};
    assert_false(gui_rect_inside(&r, 100, 50));
    /* sums that wrap in 32 bits */
    r = (struct gui_rect){INT32_MAX, 0, UINT32_MAX, 1};
    assert_false(gui_rect_inside(&r, 100, 50));
    r = (struct gui_rect){0, 2, 1, UINT32_MAX - 1};
    assert_false(gui_rect_inside(&r, 100, 50));
}

static void test_screen(void **state)
{
    struct gui_screen s = {1920, 1080, 24}, o;
    (void)state;

    assert_int_equal(gui_parse_screen(&s, sizeof(s), &o), 0);
    s.depth = 32;
    assert_int_equal(gui_parse_screen(&s, sizeof(s), &o), 0);
    s.depth = 16;
    assert_int_equal(gui_parse_screen(&s, sizeof(s), &o), -EBADMSG);
    s.depth = 24, s.width = GUI_MAX_WIDTH + 1;
    assert_int_equal(gui_parse_screen(&s, sizeof(s), &o), -EBADMSG);
    s.width = 1920, s.height = 0;
    assert_int_equal(gui_parse_screen(&s, sizeof(s), &o), -EBADMSG);
    assert_int_equal(gui_parse_screen(&s, sizeof(s) + 1, &o), -EBADMSG);
}

static void test_input(void **state)
{
    struct gui_key k = {2, 5, 5, 0, 38}, ko;
    struct gui_button b = {4, -3, 7, 0, 1}, bo;
    struct gui_motion m = {GUI_MAX_COORD, -GUI_MAX_COORD, 0, 1}, mo;
    struct gui_crossing c = {7, 0, 0, 0, 3, 4, 1}, co;
    struct gui_focus f = {9, 3, 7}, fo;
    struct gui_keymap km, kmo;
    (void)state;

    assert_int_equal(gui_parse_key(&k, sizeof(k), &ko), 0);
    k.type = 3;
    assert_int_equal(gui_parse_key(&k, sizeof(k), &ko), 0);
    k.type = 4;
    assert_int_equal(gui_parse_key(&k, sizeof(k), &ko), -EBADMSG);
    k.type = 2, k.keycode = 7;
    assert_int_equal(gui_parse_key(&k, sizeof(k), &ko), -EBADMSG);
    k.keycode = 255;
    assert_int_equal(gui_parse_key(&k, sizeof(k), &ko), 0);
    k.keycode = 256;
    assert_int_equal(gui_parse_key(&k, sizeof(k), &ko), -EBADMSG);
    k.keycode = 8, k.x = GUI_MAX_COORD + 1;
    assert_int_equal(gui_parse_key(&k, sizeof(k), &ko), -EBADMSG);

    assert_int_equal(gui_parse_button(&b, sizeof(b), &bo), 0);
    b.button = 15;
    assert_int_equal(gui_parse_button(&b, sizeof(b), &bo), 0);
    b.button = 16;
    assert_int_equal(gui_parse_button(&b, sizeof(b), &bo), -EBADMSG);
    b.button = 0;
    assert_int_equal(gui_parse_button(&b, sizeof(b), &bo), -EBADMSG);
    b.button = 1, b.type = 5;
    assert_int_equal(gui_parse_button(&b, sizeof(b), &bo), 0);
    b.type = 6;
    assert_int_equal(gui_parse_button(&b, sizeof(b), &bo), -EBADMSG);

    assert_int_equal(gui_parse_motion(&m, sizeof(m), &mo), 0);
    m.is_hint = 2;
    assert_int_equal(gui_parse_motion(&m, sizeof(m), &mo), -EBADMSG);
    m.is_hint = 0, m.y = -GUI_MAX_COORD - 1;
    assert_int_equal(gui_parse_motion(&m, sizeof(m), &mo), -EBADMSG);

    assert_int_equal(gui_parse_crossing(&c, sizeof(c), &co), 0);
    c.type = 8;
    assert_int_equal(gui_parse_crossing(&c, sizeof(c), &co), 0);
    c.type = 9;
    assert_int_equal(gui_parse_crossing(&c, sizeof(c), &co), -EBADMSG);
    c.type = 7, c.mode = 4;
    assert_int_equal(gui_parse_crossing(&c, sizeof(c), &co), -EBADMSG);
    c.mode = 3, c.detail = 5;
    assert_int_equal(gui_parse_crossing(&c, sizeof(c), &co), -EBADMSG);
    c.detail = 4, c.focus = 2;
    assert_int_equal(gui_parse_crossing(&c, sizeof(c), &co), -EBADMSG);

    assert_int_equal(gui_parse_focus(&f, sizeof(f), &fo), 0);
    f.type = 10;
    assert_int_equal(gui_parse_focus(&f, sizeof(f), &fo), 0);
    f.type = 11;
    assert_int_equal(gui_parse_focus(&f, sizeof(f), &fo), -EBADMSG);
    f.type = 9, f.mode = 4;
    assert_int_equal(gui_parse_focus(&f, sizeof(f), &fo), -EBADMSG);
    f.mode = 0, f.detail = 8;
    assert_int_equal(gui_parse_focus(&f, sizeof(f), &fo), -EBADMSG);

    memset(&km, 0xff, sizeof(km));
    assert_int_equal(gui_parse_keymap(&km, sizeof(km), &kmo), 0);
    assert_int_equal(kmo.keys[31], 0xff);
    assert_int_equal(gui_parse_keymap(&km, sizeof(km) - 1, &kmo), -EBADMSG);
}

static void test_clipboard(void **state)
{
    static uint8_t data[GUI_CLIPBOARD_HARD_MAX + 1];
    struct gui_clipboard c;
    (void)state;

    assert_int_equal(gui_parse_clipboard(data, 0, 256, &c), 0);
    assert_int_equal(gui_parse_clipboard(NULL, 0, 256, &c), 0);
    assert_int_equal(gui_parse_clipboard(data, 256, 256, &c), 0);
    assert_ptr_equal(c.untrusted_data, data);
    assert_int_equal(c.len, 256);
    assert_int_equal(gui_parse_clipboard(data, 257, 256, &c), -EBADMSG);
    assert_int_equal(gui_parse_clipboard(data, GUI_CLIPBOARD_HARD_MAX, UINT32_MAX, &c), 0);
    assert_int_equal(gui_parse_clipboard(data, GUI_CLIPBOARD_HARD_MAX + 1, UINT32_MAX, &c),
                     -EBADMSG);
    assert_int_equal(gui_parse_clipboard(NULL, 1, 256, &c), -EBADMSG);
}

static void test_msg_put_round_trip(void **state)
{
    uint8_t out[GUI_HDR_SIZE + GUI_CREATE_SIZE];
    struct gui_create c = {-1, 2, 3, 4, 0, 1}, co;
    struct gui_hdr h;
    (void)state;

    assert_int_equal(gui_msg_put(out, GUI_CREATE, 0x400001, &c, sizeof(c)), sizeof(out));
    /* little-endian on the wire */
    assert_int_equal(out[0], GUI_CREATE);
    assert_int_equal(out[4], 0x01);
    assert_int_equal(out[6], 0x40);
    assert_int_equal(gui_parse_hdr(out, GUI_FROM_AGENT, CLIP, &h), 0);
    assert_int_equal(h.len, GUI_CREATE_SIZE);
    assert_int_equal(gui_parse_create(out + GUI_HDR_SIZE, h.len, &co), 0);
    assert_memory_equal(&c, &co, sizeof(c));
    assert_int_equal(gui_msg_put(out, GUI_DESTROY, 0x400001, NULL, 0), GUI_HDR_SIZE);
    assert_int_equal(gui_parse_hdr(out, GUI_FROM_AGENT, CLIP, &h), 0);
}

/* ---- the sanitizer ---- */

static const char *san(const char *in, size_t len, bool utf8, size_t cap)
{
    static char out[512];

    assert_true(cap <= sizeof(out));
    memset(out, 'Z', sizeof(out));
    size_t n = gui_sanitize_text(in, len, utf8, out, cap);
    if (cap)
        assert_int_equal(n, strlen(out));
    return out;
}

#define S(lit, utf8) san(lit, sizeof(lit) - 1, utf8, 512)

static void test_sanitize_ascii_and_controls(void **state)
{
    (void)state;
    assert_string_equal(S("Hello, world ~", false), "Hello, world ~");
    assert_string_equal(S("a\nb\tc\rd\x1b[31me\x7f", false), "a_b_c_d_[31me_");
    assert_string_equal(S("nul\0inside", false), "nul_inside");
    assert_string_equal(S("", false), "");
    /* without allow_utf8 every non-ASCII byte is one '_' */
    assert_string_equal(S("caf\xc3\xa9", false), "caf__");
    assert_string_equal(S("\xff\xfe", false), "__");
}

static void test_sanitize_utf8(void **state)
{
    (void)state;
    assert_string_equal(S("caf\xc3\xa9", true), "caf\xc3\xa9");
    assert_string_equal(S("\xe6\x97\xa5\xe6\x9c\xac", true), "\xe6\x97\xa5\xe6\x9c\xac");
    assert_string_equal(S("\xf0\x9f\x98\x80!", true), "\xf0\x9f\x98\x80!"); /* U+1F600 */
    /* C1 controls (U+0085 NEL, U+009B CSI): one '_' for the sequence */
    assert_string_equal(S("a\xc2\x85"
                          "b\xc2\x9b"
                          "c",
                          true),
                        "a_b_c");
    /* bidi overrides and isolates: RLO, LRE, PDF, RLI, PDI; BOM */
    assert_string_equal(S("x\xe2\x80\xae"
                          "y",
                          true),
                        "x_y");
    assert_string_equal(S("\xe2\x80\xaa\xe2\x80\xac", true), "__");
    assert_string_equal(S("\xe2\x81\xa7"
                          "a\xe2\x81\xa9",
                          true),
                        "_a_");
    assert_string_equal(S("\xef\xbb\xbf"
                          "t",
                          true),
                        "_t");
    /* noncharacters */
    assert_string_equal(S("\xef\xbf\xbe", true), "_");
    assert_string_equal(S("\xef\xb7\x90", true), "_"); /* U+FDD0 */
    /* invalid: lone continuation, truncated sequence, bad lead bytes */
    assert_string_equal(S("\x80"
                          "a",
                          true),
                        "_a");
    assert_string_equal(S("\xe6\x97", true), "__");
    assert_string_equal(S("\xf8\x88\x80\x80\x80", true), "_____");
    assert_string_equal(S("\xc3"
                          "A",
                          true),
                        "_A");
    /* overlong forms of '/' and NUL, and of U+20AC */
    assert_string_equal(S("\xc0\xaf", true), "__");
    assert_string_equal(S("\xc0\x80", true), "__");
    assert_string_equal(S("\xe0\x82\xac", true), "___");
    assert_string_equal(S("\xf0\x82\x82\xac", true), "____");
    /* surrogates (CESU-style) and past U+10FFFF */
    assert_string_equal(S("\xed\xa0\x80", true), "___");
    assert_string_equal(S("\xf4\x90\x80\x80", true), "____");
    /* the largest code point is fine, U+10FFFF is a noncharacter */
    assert_string_equal(S("\xf4\x8f\xbf\xbd", true), "\xf4\x8f\xbf\xbd");
    assert_string_equal(S("\xf4\x8f\xbf\xbf", true), "_");
}

static void test_sanitize_truncation(void **state)
{
    char big[300];
    (void)state;

    memset(big, 'q', sizeof(big));
    /* at most cap - 1 bytes and a NUL */
    assert_int_equal(strlen(san(big, sizeof(big), false, 256)), 255);
    assert_string_equal(san("abcdef", 6, false, 4), "abc");
    assert_string_equal(san("abc", 3, false, 4), "abc");
    assert_string_equal(san("abc", 3, false, 1), "");
    {
        char out[4] = "xyz";
        assert_int_equal(gui_sanitize_text("abc", 3, false, out, 0), 0);
        assert_string_equal(out, "xyz"); /* cap 0: nothing written */
    }
    /* a character that does not fit whole is left out, never cut in half */
    assert_string_equal(san("ab\xc3\xa9", 4, true, 4), "ab");
    assert_string_equal(san("ab\xc3\xa9", 4, true, 5), "ab\xc3\xa9");
    assert_string_equal(san("a\xe6\x97\xa5", 4, true, 4), "a");
    assert_string_equal(san("a\xe6\x97\xa5", 4, true, 5), "a\xe6\x97\xa5");
    /* a replaced (bad) sequence still takes one byte of room */
    assert_string_equal(san("ab\xe2\x80\xae", 5, true, 4), "ab_");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hdr_fixed_lengths),
        cmocka_unit_test(test_hdr_direction_and_unknown),
        cmocka_unit_test(test_hdr_bounded_lengths),
        cmocka_unit_test(test_hello),
        cmocka_unit_test(test_version_agree),
        cmocka_unit_test(test_create_and_configure),
        cmocka_unit_test(test_map_flags_cursor),
        cmocka_unit_test(test_title),
        cmocka_unit_test(test_class),
        cmocka_unit_test(test_hints),
        cmocka_unit_test(test_buffer_memfd),
        cmocka_unit_test(test_buffer_overflow),
        cmocka_unit_test(test_buffer_grant),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_screen),
        cmocka_unit_test(test_input),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_clipboard),
        cmocka_unit_test(test_msg_put_round_trip),
        cmocka_unit_test(test_sanitize_ascii_and_controls),
        cmocka_unit_test(test_sanitize_utf8),
        cmocka_unit_test(test_sanitize_truncation),
    };
    return cmocka_run_group_tests_name("gui_proto", tests, NULL, NULL);
}
