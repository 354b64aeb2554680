/* gui-daemon's sanitize rules (gui-daemon/sanitize.h): frames stay on the
 * screen whatever the position, override-redirect windows may not cover
 * the screen, size hints are bounded and get the frame, titles and classes
 * carry the qube's name and nothing unprintable. And the frame rules
 * (frames.c): one put in flight per window, a GUI_FRAME answered exactly
 * once and only when no put in flight or held reads its slot. */
#include "gui-daemon/daemon.h"
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

/* --- frames.c: one put in flight per window, and when frames are answered */

/* What draw.c does for a GUI_FRAME: record it, put now or hold, then send
 * what is due. async: MIT-SHM completions; reads: not the copy path. */
static uint32_t frame(struct gui_frames *f, uint32_t seq, uint32_t slot, bool async, bool reads,
                      struct gui_frame_done *due)
{
    uint32_t s;

    assert_int_equal(frames_add(f, seq, slot), 0);
    if (frames_request(f, slot, 0, 0, 10, 10, &s)) {
        assert_int_equal(s, slot);
        frames_sent(f, s, async, reads);
    }
    return frames_due(f, due);
}

/* A completion: the held box (if any) put from its slot, then what is due. */
static uint32_t completion(struct gui_frames *f, bool reads, struct gui_frame_done *due,
                           uint32_t *put_slot)
{
    uint32_t s, x1, y1, x2, y2;

    *put_slot = GUI_NO_SLOT;
    if (frames_completed(f, &s, &x1, &y1, &x2, &y2)) {
        uint32_t s2;
        assert_true(frames_request(f, s, x1, y1, x2 - x1, y2 - y1, &s2));
        assert_int_equal(s2, s);
        frames_sent(f, s, true, reads);
        *put_slot = s;
    }
    return frames_due(f, due);
}

#define DUE(i, seq_, slot_)                                                                        \
    do {                                                                                           \
        assert_int_equal(due[i].seq, seq_);                                                        \
        assert_int_equal(due[i].slot, slot_);                                                      \
    } while (0)

/* The start both double-buffered cases share: frame 1 of slot 0 is put,
 * unanswered while the X server reads slot 0; frame 2 of slot 1 waits for
 * that put. */
static void put_one_hold_one(struct gui_frames *f, struct gui_frame_done *due)
{
    assert_int_equal(frame(f, 1, 0, true, true, due), 0);
    assert_int_equal(frame(f, 2, 1, true, true, due), 0);
}

static void test_frames_double_buffered(void **state)
{
    struct gui_frames f = {0};
    struct gui_frame_done due[GUI_FRAMES_MAX];
    uint32_t put;

    (void)state;
    put_one_hold_one(&f, due);
    /* the put completes: slot 0 is free (frame 1 answered), slot 1 is put */
    assert_int_equal(completion(&f, true, due, &put), 1);
    DUE(0, 1, 0);
    assert_int_equal(put, 1);
    assert_int_equal(f.shown_slot, 1);
    /* and then frame 2 is answered */
    assert_int_equal(completion(&f, true, due, &put), 1);
    DUE(0, 2, 1);
    assert_int_equal(put, GUI_NO_SLOT);
    assert_int_equal(f.n, 0);
}

static void test_frames_held_replaced(void **state)
{
    struct gui_frames f = {0};
    struct gui_frame_done due[GUI_FRAMES_MAX];
    uint32_t put;

    (void)state;
    put_one_hold_one(&f, due);
    /* a newer frame from slot 0 replaces the held one of slot 1: nobody
     * will read slot 1, so frame 2 is answered at once */
    assert_int_equal(frame(&f, 3, 0, true, true, due), 1);
    DUE(0, 2, 1);
    /* the put of frame 1 completes, the held box comes from slot 0 again:
     * frame 1 waits for that put too */
    assert_int_equal(completion(&f, true, due, &put), 0);
    assert_int_equal(put, 0);
    assert_int_equal(completion(&f, true, due, &put), 2);
    DUE(0, 1, 0);
    DUE(1, 3, 0);
}

static void test_frames_box_and_expose(void **state)
{
    struct gui_frames f = {0};
    uint32_t s, x1, y1, x2, y2;

    (void)state;
    /* idle: an expose puts from the slot shown last (0 at first) */
    assert_true(frames_request(&f, GUI_EXPOSE_SLOT, 0, 0, 5, 5, &s));
    assert_int_equal(s, 0);
    frames_sent(&f, 1, true, true); /* say a frame of slot 1 went out */
    /* busy: an expose is held from the slot shown (1)... */
    assert_false(frames_request(&f, GUI_EXPOSE_SLOT, 10, 20, 5, 5, &s));
    assert_int_equal(f.held_slot, 1);
    /* ...a damage (slot 0) merges into the box and takes its slot... */
    assert_false(frames_request(&f, 0, 2, 30, 4, 10, &s));
    assert_int_equal(f.held_slot, 0);
    /* ...an expose after it keeps the slot */
    assert_false(frames_request(&f, GUI_EXPOSE_SLOT, 0, 0, 1, 1, &s));
    assert_true(frames_completed(&f, &s, &x1, &y1, &x2, &y2));
    assert_int_equal(s, 0);
    assert_int_equal(x1, 0);
    assert_int_equal(y1, 0);
    assert_int_equal(x2, 15);
    assert_int_equal(y2, 40);
    assert_false(f.busy);
    assert_false(frames_completed(&f, &s, &x1, &y1, &x2, &y2));
}

static void test_frames_sync_and_copy(void **state)
{
    struct gui_frames f = {0};
    struct gui_frame_done due[GUI_FRAMES_MAX];
    uint32_t put;

    (void)state;
    /* no completion events: answered once the put is sent */
    assert_int_equal(frame(&f, 1, 1, false, false, due), 1);
    DUE(0, 1, 1);
    assert_false(f.busy);
    /* the copy path: the slot was copied when the put was sent */
    assert_int_equal(frame(&f, 2, 0, true, false, due), 1);
    DUE(0, 2, 0);
    assert_true(f.busy);
    /* a frame held behind it waits for its own put (the copy happens then) */
    assert_int_equal(frame(&f, 3, 1, true, false, due), 0);
    assert_int_equal(completion(&f, false, due, &put), 1);
    assert_int_equal(put, 1);
    DUE(0, 3, 1);
}

static void test_frames_limits_and_new_buffer(void **state)
{
    struct gui_frames f = {0};
    struct gui_frame_done due[GUI_FRAMES_MAX];
    uint32_t s, x1, y1, x2, y2;

    (void)state;
    /* an agent that keeps sending frames of the slot being read */
    for (uint32_t i = 0; i < GUI_FRAMES_MAX; i++)
        assert_int_equal(frame(&f, i, 0, true, true, due), 0);
    assert_int_equal(frames_add(&f, 99, 0), -1);
    assert_int_equal(f.n, GUI_FRAMES_MAX);
    /* a new buffer: its frames and held box forgotten, unanswered */
    frames_new_buffer(&f, 1);
    assert_int_equal(f.n, 0);
    assert_false(f.held);
    assert_int_equal(f.shown_slot, 0);
    /* the put in flight reads the old buffer: frames of the new one held
     * behind it are answered after their own put only */
    assert_int_equal(frame(&f, 7, 1, true, true, due), 0);
    assert_true(frames_completed(&f, &s, &x1, &y1, &x2, &y2));
    assert_int_equal(s, 1);
    assert_int_equal(frames_due(&f, due), 1);
    DUE(0, 7, 1);
}

/* The copy path: two puts in flight (each from its own copy segment), a
 * third frame held until the first completes; each answered once copied. */
static void test_frames_copy_depth(void **state)
{
    struct gui_frames f = {0};
    struct gui_frame_done due[GUI_FRAMES_MAX];
    uint32_t put;

    (void)state;
    frames_new_buffer(&f, GUI_COPY_DEPTH);
    assert_int_equal(frame(&f, 1, 0, true, false, due), 1);
    DUE(0, 1, 0);
    assert_int_equal(frame(&f, 2, 1, true, false, due), 1);
    DUE(0, 2, 1);
    assert_int_equal(f.busy, 2);
    /* a third waits: its slot is copied only when its put goes out */
    assert_int_equal(frame(&f, 3, 2, true, false, due), 0);
    assert_true(f.held);
    assert_int_equal(completion(&f, false, due, &put), 1);
    assert_int_equal(put, 2);
    DUE(0, 3, 2);
    assert_int_equal(f.busy, 2);
    /* a new buffer that puts from its slots directly waits for both puts
     * of the old one to complete */
    frames_new_buffer(&f, 1);
    assert_int_equal(frame(&f, 4, 1, true, true, due), 0);
    assert_int_equal(completion(&f, true, due, &put), 0);
    assert_int_equal(put, GUI_NO_SLOT);
    assert_int_equal(completion(&f, true, due, &put), 0);
    assert_int_equal(put, 1);
    assert_int_equal(f.busy_slot, 1);
    assert_int_equal(completion(&f, true, due, &put), 1);
    DUE(0, 4, 1);
    assert_int_equal(f.busy, 0);
}

/* Random sequences of frames, damage, exposes, completions and new
 * buffers (direct or copy path), against a model kept here: every frame is
 * answered once (or forgotten with its buffer), never while a put in
 * flight reads its slot, no more puts in flight than the buffer's depth
 * (counting an older buffer's), and a held box is put from the slot of the
 * newest frame or damage as soon as one fewer is in flight. */
static void test_frames_random(void **state)
{
    struct gui_frames f = {0};
    struct gui_frame_done due[GUI_FRAMES_MAX];
    static uint8_t status[200000]; /* by seq: 0 never sent, 1 waiting, 2 answered, 3 forgotten */
    uint32_t seq = 0, rnd = 12345, reading = GUI_NO_SLOT, newest = GUI_NO_SLOT, n, s;
    uint32_t x1, y1, x2, y2, inflight = 0, depth = 1;
    bool copy = false;

    (void)state;
#define RND() (rnd = rnd * 1103515245u + 12345u, (rnd >> 16) & 0x7fff)
    for (int step = 0; step < 150000; step++) {
        uint32_t op = RND() % 16;
        bool put = false;
        uint32_t put_slot = 0;

        if (op < 8 && f.n < GUI_FRAMES_MAX && seq < sizeof(status)) { /* a frame */
            s = RND() % 2;
            assert_int_equal(frames_add(&f, seq, s), 0);
            status[seq++] = 1;
            if (frames_request(&f, s, 0, 0, 1, 1, &put_slot))
                put = true;
            else
                newest = s;
            assert_int_equal(put_slot, put ? s : put_slot);
        } else if (op < 10) { /* damage */
            if (frames_request(&f, 0, 0, 0, 1, 1, &put_slot))
                put = true;
            else
                newest = 0;
        } else if (op < 11) { /* expose */
            uint32_t shown = f.shown_slot;
            put = frames_request(&f, GUI_EXPOSE_SLOT, 0, 0, 1, 1, &put_slot);
            if (put)
                assert_int_equal(put_slot, shown);
            else if (newest == GUI_NO_SLOT)
                newest = shown;
        } else if (op < 15 && inflight) { /* completion of the oldest put */
            inflight--;
            reading = GUI_NO_SLOT; /* a put that reads a slot is alone */
            bool release = newest != GUI_NO_SLOT && inflight < depth;
            assert_int_equal(frames_completed(&f, &s, &x1, &y1, &x2, &y2), release);
            if (release) {
                assert_int_equal(s, newest);
                put = true;
                put_slot = s;
                newest = GUI_NO_SLOT;
            }
        } else if (op == 15 && RND() % 8 == 0) { /* a new buffer (copy path or not) */
            copy = RND() % 2;
            depth = copy ? GUI_COPY_DEPTH : 1;
            frames_new_buffer(&f, depth);
            for (uint32_t i = 0; i < seq; i++)
                if (status[i] == 1)
                    status[i] = 3;
            reading = GUI_NO_SLOT; /* the old buffer's */
            newest = GUI_NO_SLOT;
        }
        if (put) {
            bool async = RND() % 8 != 0;
            assert_true(inflight < depth);
            assert_true(copy || inflight == 0);
            frames_sent(&f, put_slot, async, !copy);
            inflight += async;
            reading = async && !copy ? put_slot : GUI_NO_SLOT;
        }
        assert_int_equal(f.busy, inflight);
        n = frames_due(&f, due);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(status[due[i].seq], 1);
            status[due[i].seq] = 2;
            assert_int_not_equal(due[i].slot, reading);
            assert_int_not_equal(due[i].slot, newest); /* the held box's slot */
        }
    }
    /* drained: everything still waiting is answered */
    while (f.busy) {
        if (frames_completed(&f, &s, &x1, &y1, &x2, &y2))
            frames_sent(&f, s, true, true);
        n = frames_due(&f, due);
        for (uint32_t i = 0; i < n; i++)
            status[due[i].seq] = 2;
    }
    n = frames_due(&f, due);
    for (uint32_t i = 0; i < n; i++)
        status[due[i].seq] = 2;
    for (uint32_t i = 0; i < seq; i++)
        assert_true(status[i] == 2 || status[i] == 3);
    assert_true(seq > 1000);
#undef RND
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_pos),
        cmocka_unit_test(test_override_redirect),
        cmocka_unit_test(test_size_hints),
        cmocka_unit_test(test_title),
        cmocka_unit_test(test_class),
        cmocka_unit_test(test_frames_double_buffered),
        cmocka_unit_test(test_frames_held_replaced),
        cmocka_unit_test(test_frames_box_and_expose),
        cmocka_unit_test(test_frames_sync_and_copy),
        cmocka_unit_test(test_frames_limits_and_new_buffer),
        cmocka_unit_test(test_frames_copy_depth),
        cmocka_unit_test(test_frames_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
