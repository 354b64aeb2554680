/* gui-daemon's sanitize rules (gui-daemon/sanitize.h): frames stay on the
 * screen whatever the position, override-redirect windows may not cover
 * the screen, size hints are bounded and get the frame, titles and classes
 * carry the qube's name and nothing unprintable. */
#include "gui-daemon/sanitize.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define SW 1024
#define SH 768

static void pos(int32_t x, int32_t y, uint32_t w, uint32_t h, int32_t ex, int32_t ey)
{
    int32_t fx, fy;

    gui_frame_pos(x, y, w, h, SW, SH, &fx, &fy);
    assert_int_equal(fx, ex);
    assert_int_equal(fy, ey);
}

static void test_frame_pos(void **state)
{
    (void)state;
    pos(100, 100, 50, 40, 98, 98);             /* inside: content minus the frame */
    pos(2, 2, 50, 40, 0, 0);                   /* exactly at the corner */
    pos(-500, -500, 60, 50, 0, 0);             /* off the top left */
    pos(5000, 5000, 60, 50, SW - 64, SH - 54); /* off the bottom right */
    pos(SW - 10, 10, 60, 50, SW - 64, 8);      /* partly off */
    pos(300, 300, SW, 100, 0, 298);            /* wider than the screen (with the frame) */
    pos(300, 300, SW - 4, 100, 0, 298);        /* exactly the screen with the frame */
    pos(-GUI_MAX_COORD, GUI_MAX_COORD, GUI_MAX_WIDTH, GUI_MAX_HEIGHT, 0, 0);
    pos(INT32_MIN, INT32_MIN, UINT32_MAX, UINT32_MAX, 0, 0); /* no wrap in the sums */
    pos(INT32_MAX, INT32_MAX, 1, 1, SW - 5, SH - 5);
}

static void test_override_redirect(void **state)
{
    (void)state;
    assert_true(gui_override_ok(200, 300, SW, SH));
    assert_true(gui_override_ok(SW, SH * 9 / 10, SW, SH)); /* 90%: allowed */
    assert_false(gui_override_ok(SW, SH * 9 / 10 + 1, SW, SH));
    assert_false(gui_override_ok(SW, SH, SW, SH));
    assert_false(gui_override_ok(GUI_MAX_WIDTH, GUI_MAX_HEIGHT, SW, SH));
    assert_false(gui_override_ok(UINT32_MAX, UINT32_MAX, SW, SH)); /* 64-bit product */
}

static void test_size_hints(void **state)
{
    struct gui_hints h = {
        GUI_HINT_MIN_SIZE | GUI_HINT_MAX_SIZE | GUI_HINT_USPOSITION, 20, 30, 100, 200, 5, 6, 7, 8};
    uint32_t out[GUI_SIZE_HINTS_LEN];

    (void)state;
    gui_size_hints(&h, out);
    assert_int_equal(out[0], GUI_HINT_MIN_SIZE | GUI_HINT_MAX_SIZE); /* no positions */
    assert_int_equal(out[5], 24);
    assert_int_equal(out[6], 34);
    assert_int_equal(out[7], 104);
    assert_int_equal(out[8], 204);
    assert_int_equal(out[9], 5);
    assert_int_equal(out[10], 6);
    assert_int_equal(out[15], 11);
    assert_int_equal(out[16], 12);
    assert_int_equal(out[1] | out[2] | out[3] | out[4] | out[17], 0);

    /* absurd sizes are bounded; a maximum below the minimum is dropped */
    h = (struct gui_hints){GUI_HINT_MIN_SIZE | GUI_HINT_MAX_SIZE,
                           UINT32_MAX,
                           UINT32_MAX,
                           10,
                           10,
                           UINT32_MAX,
                           UINT32_MAX,
                           UINT32_MAX,
                           UINT32_MAX};
    gui_size_hints(&h, out);
    assert_int_equal(out[0], GUI_HINT_MIN_SIZE);
    assert_int_equal(out[5], GUI_MAX_WIDTH + 4);
    assert_int_equal(out[6], GUI_MAX_HEIGHT + 4);
    assert_int_equal(out[9], GUI_MAX_WIDTH);
    assert_int_equal(out[16], GUI_MAX_HEIGHT + 4);
}

static void test_title(void **state)
{
    char out[GUI_TITLE_MAX * 4 + 64];
    size_t n;

    (void)state;
    n = gui_title_value("work", "hello", 5, false, out, sizeof(out));
    assert_string_equal(out, "[work] hello");
    assert_int_equal(n, strlen(out));
    gui_title_value("work",
                    "a\x01"
                    "b\x1b[31m\n",
                    9, false, out, sizeof(out));
    assert_string_equal(out, "[work] a_b_[31m_");
    /* a fake qube name inside the title stays after the real one */
    gui_title_value("work", "[vault] x", 9, false, out, sizeof(out));
    assert_string_equal(out, "[work] [vault] x");
    gui_title_value("work", "caf\xc3\xa9", 5, false, out, sizeof(out));
    assert_string_equal(out, "[work] caf__");
    gui_title_value("work", "caf\xc3\xa9", 5, true, out, sizeof(out));
    assert_string_equal(out, "[work] caf\xc3\xa9");
    /* a right-to-left override is never shown */
    gui_title_value("work",
                    "a\xe2\x80\xae"
                    "b",
                    5, true, out, sizeof(out));
    assert_string_equal(out, "[work] a_b");
    /* an embedded NUL does not cut the title short silently */
    gui_title_value("work", "a\0b", 3, false, out, sizeof(out));
    assert_string_equal(out, "[work] a_b");
    /* too small an output */
    assert_int_equal(gui_title_value("work", "x", 1, false, out, 4), 0);
}

static void test_class(void **state)
{
    char cls[GUI_CLASS_FIELD], out[2 * (GUI_CLASS_FIELD + 40)];
    size_t n;

    (void)state;
    memset(cls, 0, sizeof(cls));
    memcpy(cls, "XTerm", 5);
    n = gui_class_value("work", cls, out, sizeof(out));
    assert_int_equal(n, 2 * sizeof("work:XTerm"));
    assert_memory_equal(out, "work:XTerm\0work:XTerm\0", n);
    /* not NUL-terminated in its field, and unprintable */
    memset(cls, '\x07', sizeof(cls));
    n = gui_class_value("work", cls, out, sizeof(out));
    assert_int_equal(n, 2 * (5 + 63 + 1));
    assert_int_equal(out[5], '_');
    assert_int_equal(out[5 + 62], '_');
    assert_int_equal(out[5 + 63], '\0');
    assert_int_equal(gui_class_value("work", cls, out, 20), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_pos),  cmocka_unit_test(test_override_redirect),
        cmocka_unit_test(test_size_hints), cmocka_unit_test(test_title),
        cmocka_unit_test(test_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
