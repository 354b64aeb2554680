/* The bulkheadshm module <-> gui-agent socket messages
 * (vm-agent/xorg/xorg_shm_proto.c): the socket's name from a display, and
 * the checks both ends apply to what arrives. */
#include "lib/shm.h"
#include "vm-agent/xorg/xorg_shm_proto.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void socket_names(void **state)
{
    char n[108];
    size_t len;

    (void)state;
    len = xorg_shm_socket_name(":0", n, sizeof(n));
    assert_int_equal(len, strlen("bulkhead-xorg-shm:0") + 1);
    assert_int_equal(n[0], 0); /* abstract */
    assert_memory_equal(n + 1, "bulkhead-xorg-shm:0", len - 1);
    len = xorg_shm_socket_name("unix:101.0", n, sizeof(n));
    assert_memory_equal(n + 1, "bulkhead-xorg-shm:101", len - 1);
    assert_int_equal(xorg_shm_socket_name("localhost:7", n, sizeof(n)),
                     strlen("bulkhead-xorg-shm:7") + 1);
    /* no number, junk after it, too large, no room */
    assert_int_equal(xorg_shm_socket_name(":", n, sizeof(n)), 0);
    assert_int_equal(xorg_shm_socket_name("0", n, sizeof(n)), 0);
    assert_int_equal(xorg_shm_socket_name(":1x", n, sizeof(n)), 0);
    assert_int_equal(xorg_shm_socket_name(":99999999999999999999", n, sizeof(n)), 0);
    assert_int_equal(xorg_shm_socket_name(NULL, n, sizeof(n)), 0);
    assert_int_equal(xorg_shm_socket_name(":0", n, 8), 0);
}

static void requests(void **state)
{
    struct xorg_shm_request rq = {.magic = XORG_SHM_MAGIC,
                                  .op = XORG_SHM_WINDOW,
                                  .window = 0x400001,
                                  .kind = SHM_MEMFD,
                                  .slots = 1};
    struct xorg_shm_request out, bad;
    char big[sizeof(rq) + 1] = {0};

    (void)state;
    assert_int_equal(xorg_shm_parse_request(&rq, sizeof(rq), &out), 0);
    assert_int_equal(out.window, 0x400001);
    rq.kind = SHM_GRANT, rq.domid = 0xffff, rq.slots = XORG_SHM_SLOTS;
    assert_int_equal(xorg_shm_parse_request(&rq, sizeof(rq), &out), 0);
    assert_int_equal(xorg_shm_parse_request(&rq, sizeof(rq) - 1, &out), -EINVAL);
    memcpy(big, &rq, sizeof(rq));
    assert_int_equal(xorg_shm_parse_request(big, sizeof(big), &out), -EINVAL);
    bad = rq, bad.magic ^= 1;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad = rq, bad.kind = 3;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad = rq, bad.domid = 0x10000;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad = rq, bad.window = 0;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    /* WINDOW: 1 or 2 slots, no serial */
    bad = rq, bad.slots = 0;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad = rq, bad.slots = XORG_SHM_SLOTS + 1;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad = rq, bad.serial = 3;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    /* LOCK: a serial, no slot; RELEASE: a serial and a slot that exists */
    bad = rq, bad.op = XORG_SHM_LOCK, bad.slots = 0, bad.serial = 3;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), 0);
    bad.slots = 1;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad.slots = 0, bad.serial = 0;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad = rq, bad.op = XORG_SHM_RELEASE, bad.slots = 1, bad.serial = 3;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), 0);
    bad.slots = XORG_SHM_SLOTS;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad.slots = 0, bad.serial = 0;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    /* flags: XORG_SHM_AUTO on WINDOW only; no other bits; pad 0 */
    bad = rq, bad.flags = XORG_SHM_AUTO;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), 0);
    bad.flags = 2;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad = rq, bad.pad = 1;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad = rq, bad.op = XORG_SHM_LOCK, bad.slots = 0, bad.serial = 3, bad.flags = XORG_SHM_AUTO;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    /* FRAME is the module's, never asked */
    bad = rq, bad.op = XORG_SHM_FRAME, bad.slots = 0, bad.serial = 3;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad = rq, bad.op = 0;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
    bad.op = 4;
    assert_int_equal(xorg_shm_parse_request(&bad, sizeof(bad), &out), -EINVAL);
}

static struct xorg_shm_reply good_memfd(void)
{
    struct xorg_shm_reply r = {.magic = XORG_SHM_MAGIC,
                               .op = XORG_SHM_WINDOW,
                               .slots = 1,
                               .kind = SHM_MEMFD,
                               .width = 200,
                               .height = 150,
                               .stride = 800,
                               .depth = 24,
                               .nrefs = 1,
                               .bytes = 120 * 1024,
                               .serial = 7};
    return r;
}

static void replies(void **state)
{
    struct xorg_shm_reply r = good_memfd(), out, bad;

    (void)state;
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), 1, &out), 0);
    assert_int_equal(out.serial, 7);
    /* a memfd comes with exactly its descriptor */
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), 0, &out), -EINVAL);
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), 2, &out), -EINVAL);
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r) - 1, 1, &out), -EINVAL);
    /* grants: the allocation and the references' memfd, one ref a page */
    r.kind = SHM_GRANT, r.nrefs = 30;
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), 2, &out), 0);
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), 1, &out), -EINVAL);
    r.nrefs = 29;
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), 2, &out), -EINVAL);
    /* two slots: a descriptor each (and the references' memfd for grants) */
    r.nrefs = 30, r.slots = 2;
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), 3, &out), 0);
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), 2, &out), -EINVAL);
    r.slots = XORG_SHM_SLOTS;
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), XORG_SHM_SLOTS + 1, &out), 0);
    r.slots = XORG_SHM_SLOTS + 1;
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), XORG_SHM_SLOTS + 2, &out), -EINVAL);
    r.slots = 0;
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), 1, &out), -EINVAL);
    bad = good_memfd(), bad.slots = 2;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 2, &out), 0);
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad.slot = 1; /* only LOCK names a slot */
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 2, &out), -EINVAL);
    /* LOCK: the slot locked, no descriptors, a serial */
    memset(&bad, 0, sizeof(bad));
    bad.magic = XORG_SHM_MAGIC, bad.op = XORG_SHM_LOCK, bad.slot = 1, bad.serial = 9;
    bad.window = 0x400001;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 0, &out), 0);
    assert_int_equal(out.slot, 1);
    /* FRAME (unasked): like a LOCK answer, and it names its window */
    bad.op = XORG_SHM_FRAME, bad.draws = 5;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 0, &out), 0);
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad.window = 0;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 0, &out), -EINVAL);
    bad.window = 0x400001, bad.op = XORG_SHM_LOCK;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad.slot = XORG_SHM_SLOTS;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 0, &out), -EINVAL);
    bad.slot = 0, bad.serial = 0;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 0, &out), -EINVAL);
    bad.op = XORG_SHM_RELEASE, bad.serial = 9; /* never answered */
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 0, &out), -EINVAL);
    /* geometry that does not fit the memory, or is not x8r8g8b8 rows */
    bad = good_memfd(), bad.bytes = 116 * 1024;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad = good_memfd(), bad.bytes = 120 * 1024 + 1;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad = good_memfd(), bad.stride = 796;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad = good_memfd(), bad.stride = 802;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad = good_memfd(), bad.stride = 16385 * 4, bad.bytes = 16385 * 4 * 150 + 1024;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    /* a bordered window: its pixmap's longer rows */
    r = good_memfd(), r.stride = 808;
    assert_int_equal(xorg_shm_parse_reply(&r, sizeof(r), 1, &out), 0);
    bad = good_memfd(), bad.depth = 16;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad = good_memfd(), bad.width = 0;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad = good_memfd(), bad.width = 16385, bad.stride = 16385 * 4, bad.bytes = 1ull << 32;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad = good_memfd(), bad.kind = 0;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    /* an error status: negative, alone */
    memset(&bad, 0, sizeof(bad));
    bad.magic = XORG_SHM_MAGIC, bad.status = -ENODATA;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 0, &out), 0);
    assert_int_equal(out.status, -ENODATA);
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 1, &out), -EINVAL);
    bad.status = 5;
    assert_int_equal(xorg_shm_parse_reply(&bad, sizeof(bad), 0, &out), -EINVAL);
}

/* A bordered window's pixels start a page, its pixmap's lead before it. */
static void layouts(void **state)
{
    struct xorg_shm_layout l;

    (void)state;
    /* no border: the pixmap is the window */
    assert_int_equal(xorg_shm_layout(200, 150, 0, &l), 0);
    assert_int_equal(l.width, 200);
    assert_int_equal(l.stride, 800);
    assert_int_equal(l.lead, 0);
    assert_int_equal(l.lead_map, 0);
    assert_int_equal(l.shared_bytes, 120 * 1024);
    assert_int_equal(l.told_bytes, 120 * 1024);
    /* xterm's 1-pixel border: 202x152 pixmap, the window at (1, 1) */
    assert_int_equal(xorg_shm_layout(202, 152, 1, &l), 0);
    assert_int_equal(l.width, 200);
    assert_int_equal(l.height, 150);
    assert_int_equal(l.stride, 808);
    assert_int_equal(l.lead, 812);
    assert_int_equal(l.lead_map, 4096);
    /* the window's rows at the pixmap's stride, whole pages */
    assert_int_equal(l.told_bytes, 30 * 4096);
    /* ... and the rest of the pixmap after them (bottom border) */
    assert_true(l.shared_bytes >= (size_t)808 * 152 - 812);
    assert_true(l.told_bytes <= l.shared_bytes);
    /* a wide border spans pages before the window */
    assert_int_equal(xorg_shm_layout(1000, 1000, 10, &l), 0);
    assert_int_equal(l.lead, 10 * 4000 + 40);
    assert_int_equal(l.lead_map, 10 * 4096);
    assert_true(l.told_bytes <= l.shared_bytes);
    /* nothing inside the border, or more than the protocol's largest */
    assert_int_equal(xorg_shm_layout(2, 2, 1, &l), -EINVAL);
    assert_int_equal(xorg_shm_layout(0, 10, 0, &l), -EINVAL);
    assert_int_equal(xorg_shm_layout(16385, 10, 0, &l), -EINVAL);
    assert_int_equal(xorg_shm_layout(100, 6145, 0, &l), -EINVAL);
    assert_int_equal(xorg_shm_layout(100, 6146, 1, &l), 0);
    assert_int_equal(xorg_shm_layout(10, 10, 0x80000000u, &l), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(socket_names),
        cmocka_unit_test(requests),
        cmocka_unit_test(replies),
        cmocka_unit_test(layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
