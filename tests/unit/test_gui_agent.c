/* gui-agent's pure conversions (vm-agent/gui/props.c): what they make of
 * whatever a qube's program puts in its window properties, and that the
 * result always passes the protocol's parsers, which the daemon applies. */
#include "vm-agent/gui/props.h"

#include <X11/cursorfont.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_title_short_kept_whole(void **state)
{
    (void)state;
    assert_int_equal(props_title_len((const uint8_t *)"", 0), 0);
    assert_int_equal(props_title_len((const uint8_t *)"h\xc3\xa9", 3), 3);
}

static void test_title_cut_at_limit_before_a_split_character(void **state)
{
    uint8_t t[300];
    (void)state;

    memset(t, 'a', sizeof(t));
    assert_int_equal(props_title_len(t, sizeof(t)), GUI_TITLE_MAX);
    /* a 2-byte character at 254..255: byte 255 would be its second */
    t[254] = 0xc3, t[255] = 0xa9;
    assert_int_equal(props_title_len(t, sizeof(t)), 254);
    /* a 4-byte character at 253..256 */
    memset(t, 'a', sizeof(t));
    memcpy(t + 253, "\xf0\x9f\x98\x80", 4);
    assert_int_equal(props_title_len(t, sizeof(t)), 253);
    /* a character ending exactly at the limit is kept */
    memset(t, 'a', sizeof(t));
    t[253] = 0xc3, t[254] = 0xa9;
    assert_int_equal(props_title_len(t, sizeof(t)), GUI_TITLE_MAX);
    /* continuation bytes all the way (not UTF-8 at all): nothing */
    memset(t, 0x80, sizeof(t));
    assert_int_equal(props_title_len(t, sizeof(t)), 0);
}

static void assert_hints_parse(const struct gui_hints *g)
{
    struct gui_hints back;
    assert_int_equal(gui_parse_hints(g, sizeof(*g), &back), 0);
}

static void test_hints_known_flags_and_values(void **state)
{
    XSizeHints sh = {.flags = PMinSize | PMaxSize | PResizeInc | PBaseSize | USPosition | PAspect |
                              PWinGravity,
                     .min_width = 100,
                     .min_height = 50,
                     .max_width = 800,
                     .max_height = 600,
                     .width_inc = 8,
                     .height_inc = 16,
                     .base_width = 4,
                     .base_height = 2};
    struct gui_hints g;
    (void)state;

    props_hints(&sh, &g);
    assert_int_equal(g.flags, GUI_HINT_MIN_SIZE | GUI_HINT_MAX_SIZE | GUI_HINT_RESIZE_INC |
                                  GUI_HINT_BASE_SIZE | GUI_HINT_USPOSITION);
    assert_int_equal(g.min_width, 100);
    assert_int_equal(g.max_height, 600);
    assert_int_equal(g.height_inc, 16);
    assert_int_equal(g.base_width, 4);
    assert_hints_parse(&g);
}

static void test_hints_hostile_values_clamped(void **state)
{
    XSizeHints sh = {.flags = (long)~0UL,
                     .min_width = -5,
                     .min_height = INT_MAX,
                     .max_width = INT_MAX,
                     .max_height = INT_MIN,
                     .width_inc = INT_MAX,
                     .height_inc = -1,
                     .base_width = INT_MAX,
                     .base_height = INT_MAX};
    struct gui_hints g;
    (void)state;

    props_hints(&sh, &g);
    assert_int_equal(g.flags & ~GUI_HINT_KNOWN, 0);
    assert_int_equal(g.min_width, 0);
    assert_int_equal(g.min_height, GUI_MAX_HEIGHT);
    assert_int_equal(g.width_inc, GUI_MAX_WIDTH);
    assert_int_equal(g.height_inc, 0);
    assert_int_equal(g.base_height, GUI_MAX_HEIGHT);
    /* max height 0 below min height GUI_MAX_HEIGHT: the maximum goes */
    assert_int_equal(g.flags & GUI_HINT_MAX_SIZE, 0);
    assert_hints_parse(&g);
}

static void test_hints_max_below_min_dropped(void **state)
{
    XSizeHints sh = {.flags = PMinSize | PMaxSize,
                     .min_width = 500,
                     .min_height = 10,
                     .max_width = 100,
                     .max_height = 100};
    struct gui_hints g;
    (void)state;

    props_hints(&sh, &g);
    assert_int_equal(g.flags, GUI_HINT_MIN_SIZE);
    assert_hints_parse(&g);
}

static void test_cursor_names(void **state)
{
    struct gui_cursor back;
    const char *names[] = {"xterm", "hand2", "watch", "bottom_right_corner", "pointer"};
    (void)state;

    assert_int_equal(props_cursor_for_name("xterm"), GUI_CURSOR_GLYPH + XC_xterm);
    assert_int_equal(props_cursor_for_name("text"), GUI_CURSOR_GLYPH + XC_xterm);
    assert_int_equal(props_cursor_for_name("left_ptr"), GUI_CURSOR_DEFAULT);
    assert_int_equal(props_cursor_for_name("no-such-cursor"), GUI_CURSOR_DEFAULT);
    assert_int_equal(props_cursor_for_name(NULL), GUI_CURSOR_DEFAULT);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct gui_cursor c = {.cursor = props_cursor_for_name(names[i])};
        assert_int_equal(gui_parse_cursor(&c, sizeof(c), &back), 0);
    }
}

static void test_damage_clip(void **state)
{
    struct gui_rect r;
    (void)state;

    assert_true(props_damage_clip(10, 20, 50, 60, 100, 100, &r));
    assert_int_equal(r.x, 10);
    assert_int_equal(r.y, 20);
    assert_int_equal(r.width, 40);
    assert_int_equal(r.height, 40);
    /* negative origin, beyond the buffer (the window grew before its new
     * buffer was sent) */
    assert_true(props_damage_clip(-30, -5, 500, 400, 320, 240, &r));
    assert_int_equal(r.x, 0);
    assert_int_equal(r.y, 0);
    assert_int_equal(r.width, 320);
    assert_int_equal(r.height, 240);
    assert_true(gui_rect_inside(&r, 320, 240));
    /* wholly outside, or empty */
    assert_false(props_damage_clip(400, 0, 500, 10, 320, 240, &r));
    assert_false(props_damage_clip(10, 10, 10, 20, 320, 240, &r));
    assert_false(props_damage_clip(-20, -20, -1, -1, 320, 240, &r));
    assert_false(props_damage_clip(INT_MIN, INT_MIN, INT_MIN, INT_MIN, 320, 240, &r));
    assert_true(
        props_damage_clip(INT_MIN, INT_MIN, INT_MAX, INT_MAX, GUI_MAX_WIDTH, GUI_MAX_HEIGHT, &r));
    assert_true(gui_rect_inside(&r, GUI_MAX_WIDTH, GUI_MAX_HEIGHT));
    assert_int_equal(r.width, GUI_MAX_WIDTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_title_short_kept_whole),
        cmocka_unit_test(test_title_cut_at_limit_before_a_split_character),
        cmocka_unit_test(test_hints_known_flags_and_values),
        cmocka_unit_test(test_hints_hostile_values_clamped),
        cmocka_unit_test(test_hints_max_below_min_dropped),
        cmocka_unit_test(test_cursor_names),
        cmocka_unit_test(test_damage_clip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
