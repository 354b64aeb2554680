/* The file-copy stream parser, builders and naming rules
 * (vm-agent/filecopy/proto.c, names.c): every rule, every event, and the
 * same result however the stream is cut into chunks. */
#include "vm-agent/filecopy/names.h"
#include "vm-agent/filecopy/proto.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

/* ---- building test streams ---- */

struct sb {
    uint8_t buf[1 << 17];
    size_t len;
};

static void sb_raw(struct sb *s, const void *p, size_t n)
{
    assert_true(s->len + n <= sizeof(s->buf));
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

/* An entry with the real builder: mode (type included), name, data. */
static void sb_entry(struct sb *s, uint32_t mode, const char *name, const void *data, size_t n)
{
    struct fc_header h = {.mode = mode, .filelen = n, .mtime = 1000, .mtime_nsec = 5};
    ssize_t k = fc_build_header(s->buf + s->len, sizeof(s->buf) - s->len, &h, name);

    assert_true(k > 0);
    s->len += (size_t)k;
    sb_raw(s, data, n);
}

static void sb_file(struct sb *s, const char *name, const char *data)
{
    sb_entry(s, S_IFREG | 0644, name, data, strlen(data));
}

static void sb_dir(struct sb *s, const char *name)
{
    sb_entry(s, S_IFDIR | 0755, name, "", 0);
}

static void sb_link(struct sb *s, const char *name, const char *target)
{
    sb_entry(s, S_IFLNK | 0777, name, target, strlen(target));
}

static void sb_end(struct sb *s)
{
    uint8_t e[FC_HEADER_SIZE];

    fc_build_end(e);
    sb_raw(s, e, sizeof(e));
}

/* A header with any fields (for hostile cases), then nbytes of name. */
static void sb_header(struct sb *s, uint32_t namelen, uint32_t mode, uint64_t filelen,
                      uint32_t nsec)
{
    uint8_t h[FC_HEADER_SIZE] = {0};
    uint32_t f[8] = {namelen, mode, (uint32_t)filelen, (uint32_t)(filelen >> 32), 0, nsec, 0, 0};

    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 4; b++)
            h[i * 4 + b] = (uint8_t)(f[i] >> (8 * b));
    sb_raw(s, h, sizeof(h));
}

/* ---- running the parser ---- */

struct run {
    char trace[8192]; /* one token per event */
    uint8_t data[1 << 16];
    size_t data_len;
    int error; /* 0, or the positive errno the parser failed with */
    bool ended;
    uint32_t crc;
};

static const struct fc_limits default_lim = {.max_bytes = 1 << 20, .max_files = 100};

static void add(struct run *r, const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(r->trace);

    va_start(ap, fmt);
    vsnprintf(r->trace + n, sizeof(r->trace) - n, fmt, ap);
    va_end(ap);
}

/* Feeds buf in chunks of `chunk` bytes (0: all at once), or cut once at
 * `cut` if chunk is SIZE_MAX. */
static void run_stream(struct run *r, const uint8_t *buf, size_t len, size_t chunk, size_t cut,
                       const struct fc_limits *lim)
{
    static struct fc_parser p;
    size_t off = 0, end, used;
    int ev;

    memset(r, 0, sizeof(*r));
    fc_parser_init(&p, lim ? lim : &default_lim);
    while (!r->error && !r->ended) {
        if (chunk == SIZE_MAX)
            end = off < cut ? cut : len;
        else
            end = chunk && off + chunk < len ? off + chunk : len;
        do {
            ev = fc_parser_feed(&p, buf + off, end - off, &used);
            assert_true(used <= end - off);
            off += used;
            switch (ev) {
            case FC_EV_FILE_BEGIN:
                add(r, "F:%s:%llu:%o ", p.entry.name, (unsigned long long)p.entry.size,
                    p.entry.perm);
                break;
            case FC_EV_DATA:
                assert_true(r->data_len + p.ev_len <= sizeof(r->data));
                memcpy(r->data + r->data_len, p.ev_data, p.ev_len);
                r->data_len += p.ev_len;
                break;
            case FC_EV_FILE_END:
                add(r, "f ");
                break;
            case FC_EV_DIR_OPEN:
                add(r, "D:%s ", p.entry.name);
                break;
            case FC_EV_DIR_CLOSE:
                add(r, "d:%s ", p.entry.name);
                break;
            case FC_EV_SYMLINK:
                add(r, "L:%s>%s ", p.entry.name, p.entry.target);
                break;
            case FC_EV_END:
                add(r, "E");
                r->ended = true;
                break;
            default:
                if (ev < 0)
                    r->error = -ev;
            }
        } while (ev != FC_EV_NEED_MORE && ev >= 0 && ev != FC_EV_END);
        if (off == len && !r->ended && !r->error)
            break; /* the stream ran out */
    }
    if (r->ended && off < len) {
        /* whatever follows the end marker */
        ev = fc_parser_feed(&p, buf + off, len - off, &used);
        if (ev < 0)
            r->error = -ev;
    }
    r->crc = p.crc;
}

static int parse_error(struct sb *s, const struct fc_limits *lim)
{
    struct run r;

    run_stream(&r, s->buf, s->len, 0, 0, lim);
    return r.error;
}

static struct sb *good_stream(void)
{
    static struct sb s;

    s.len = 0;
    sb_dir(&s, "top");
    sb_file(&s, "top/a.txt", "hello");
    sb_dir(&s, "top/sub");
    sb_file(&s, "top/sub/empty", "");
    sb_link(&s, "top/sub/l", "../a.txt");
    sb_dir(&s, "top/sub"); /* closes it */
    sb_entry(&s, S_IFREG | 04755,
             "top/\xc3\xbcn\xc3\xaf"
             "c\xc3\xb8"
             "d\xc3\xa9",
             "xyz", 3);
    sb_dir(&s, "top");
    sb_file(&s, "second", "2");
    sb_end(&s);
    return &s;
}

static const char good_trace[] = "D:top F:top/a.txt:5:644 f D:top/sub F:top/sub/empty:0:644 f "
                                 "L:top/sub/l>../a.txt d:top/sub "
                                 "F:top/\xc3\xbcn\xc3\xaf"
                                 "c\xc3\xb8"
                                 "d\xc3\xa9:3:4755 f d:top "
                                 "F:second:1:644 f E";

static void test_good_stream_events(void **state)
{
    struct sb *s = good_stream();
    struct run r;
    (void)state;

    run_stream(&r, s->buf, s->len, 0, 0, NULL);
    assert_int_equal(r.error, 0);
    assert_string_equal(r.trace, good_trace);
    assert_int_equal(r.data_len, 9);
    assert_memory_equal(r.data, "helloxyz2", 9);
    /* the CRC covers every byte, end marker included */
    assert_int_equal(r.crc, fc_crc32(0, s->buf, s->len));
}

static void test_every_chunking_gives_the_same_result(void **state)
{
    struct sb *s = good_stream();
    struct run r;
    (void)state;

    for (size_t cut = 0; cut <= s->len; cut++) {
        run_stream(&r, s->buf, s->len, SIZE_MAX, cut, NULL);
        assert_int_equal(r.error, 0);
        assert_string_equal(r.trace, good_trace);
        assert_memory_equal(r.data, "helloxyz2", 9);
        assert_int_equal(r.crc, fc_crc32(0, s->buf, s->len));
    }
    for (size_t chunk = 1; chunk <= 64; chunk++) {
        run_stream(&r, s->buf, s->len, chunk, 0, NULL);
        assert_int_equal(r.error, 0);
        assert_string_equal(r.trace, good_trace);
    }
}

static void test_truncated_stream_never_ends(void **state)
{
    struct sb *s = good_stream();
    struct run r;
    (void)state;

    for (size_t len = 0; len < s->len; len++) {
        run_stream(&r, s->buf, len, 7, 0, NULL);
        assert_int_equal(r.error, 0);
        assert_false(r.ended);
    }
}

static void test_crc_matches_zlib_values(void **state)
{
    (void)state;
    /* the standard check value of CRC-32 */
    assert_int_equal(fc_crc32(0, "123456789", 9), 0xcbf43926);
    assert_int_equal(fc_crc32(fc_crc32(0, "1234", 4), "56789", 5), 0xcbf43926);
    assert_int_equal(fc_crc32(0, "", 0), 0);
}

static void test_name_rules(void **state)
{
    static const struct {
        const char *name;
        int want;     /* strict */
        int want_all; /* allow-all-names */
    } cases[] = {
        {"a", 0, 0},
        {"a/b/c.txt", 0, 0},
        {"\xc3\xbc\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", 0, 0}, /* ue, CJK, emoji */
        {".hidden", 0, 0},
        {"a..b", 0, 0},
        {"...", 0, 0},
        {"", -EINVAL, -EINVAL},
        {"/etc/passwd", -EINVAL, -EINVAL},
        {"..", -EINVAL, -EINVAL},
        {"a/../../b", -EINVAL, -EINVAL},
        {"a/..", -EINVAL, -EINVAL},
        {".", -EINVAL, -EINVAL},
        {"a/./b", -EINVAL, -EINVAL},
        {"a//b", -EINVAL, -EINVAL},
        {"a/", -EINVAL, -EINVAL},
        {"a\nb", -EINVAL, 0},
        {"a\x1b[31m", -EINVAL, 0},
        {"a\x7f", -EINVAL, 0},
        {"a\xc2\x85", -EINVAL, 0},         /* C1 NEL */
        {"a\xff", -EINVAL, 0},             /* not UTF-8 */
        {"a\x80", -EINVAL, 0},             /* lone continuation */
        {"a\xc0\xaf", -EINVAL, 0},         /* overlong '/' */
        {"a\xe0\x80\xaf", -EINVAL, 0},     /* overlong */
        {"a\xed\xa0\x80", -EINVAL, 0},     /* surrogate */
        {"a\xf4\x90\x80\x80", -EINVAL, 0}, /* past U+10FFFF */
        {"a\xe2\x80\xae", -EINVAL, 0},     /* RLO */
        {"a\xe2\x80\xaa", -EINVAL, 0},     /* LRE */
        {"a\xe2\x81\xa6", -EINVAL, 0},     /* LRI */
        {"a\xe2\x81\xa9", -EINVAL, 0},     /* PDI */
        {"\xef\xbb\xbf"
         "a",
         -EINVAL, 0},                      /* BOM */
        {"a\xef\xbf\xbe", -EINVAL, 0},     /* U+FFFE */
        {"a\xef\xb7\x90", -EINVAL, 0},     /* U+FDD0 */
        {"a\xf0\x9f\xbf\xbf", -EINVAL, 0}, /* U+1FFFF */
        {"a\xe2\x80", -EINVAL, 0},         /* cut short */
    };
    char longc[300];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].name);
        if (fc_name_check(cases[i].name, n, false) != cases[i].want ||
            fc_name_check(cases[i].name, n, true) != cases[i].want_all)
            fail_msg("case %zu (%s): %d/%d", i, cases[i].name,
                     fc_name_check(cases[i].name, n, false), fc_name_check(cases[i].name, n, true));
    }
    assert_int_equal(fc_name_check("a\0b", 3, true), -EINVAL);
    memset(longc, 'x', sizeof(longc));
    assert_int_equal(fc_name_check(longc, FC_NAME_MAX, false), 0);
    assert_int_equal(fc_name_check(longc, FC_NAME_MAX + 1, false), -ENAMETOOLONG);
}

static void test_symlink_rules(void **state)
{
    static const struct {
        const char *name, *target;
        int want;
    } cases[] = {
        {"top/l", "x", 0},
        {"top/l", "sub/x", 0},
        {"top/l", ".", 0},
        {"top/l", "./x", 0},
        {"top/a/b/l", "../../x", 0},
        {"top/a/l", "..", 0},
        {"top/a/b/l", "../x/./y", 0},
        {"l", "x", -EINVAL},      /* top level: outside the copy's folder */
        {"top/l", "..", -EINVAL}, /* the folder holding the copy */
        {"top/l", "../x", -EINVAL},
        {"top/a/l", "../..", -EINVAL},
        {"top/a/l", "../../top/x", -EINVAL},
        {"top/a/l", "/etc/passwd", -EINVAL},
        {"top/a/l", "/", -EINVAL},
        {"top/a/b/l", "x/../..", -EINVAL}, /* ".." after a name */
        {"top/a/b/l", "x/..", -EINVAL},
        {"top/a/l", "", -EINVAL},
        {"top/a/l", "x//y", -EINVAL},
        {"top/a/l", "x/", -EINVAL},
        {"top/a/l", "x\ny", -EINVAL},
        {"top/a/l", "\xe2\x80\xae", -EINVAL},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = fc_symlink_check(cases[i].name, strlen(cases[i].name), cases[i].target,
                                   strlen(cases[i].target), false);
        if (got != cases[i].want)
            fail_msg("case %zu (%s -> %s): %d", i, cases[i].name, cases[i].target, got);
    }
    assert_int_equal(fc_symlink_check("top/l", 5, "x\xff", 2, true), 0);
    assert_int_equal(fc_symlink_check("top/l", 5, "../x", 4, true), -EINVAL);
}

static void test_mode_types(void **state)
{
    static const uint32_t bad[] = {S_IFCHR | 0644,  S_IFBLK | 0644, S_IFIFO | 0644,
                                   S_IFSOCK | 0644, 0644,           0170000 | 0644};
    struct sb s;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s.len = 0;
        sb_entry(&s, bad[i], "dev", "", 0);
        sb_end(&s);
        assert_int_equal(parse_error(&s, NULL), EINVAL);
    }
}

static void test_header_rules(void **state)
{
    struct sb s;
    (void)state;

    /* name too long for MAX_PATH_LENGTH */
    s.len = 0;
    sb_header(&s, FC_MAX_PATH_LENGTH + 1, S_IFREG | 0644, 0, 0);
    assert_int_equal(parse_error(&s, NULL), ENAMETOOLONG);
    s.len = 0;
    sb_header(&s, UINT32_MAX, S_IFREG | 0644, 0, 0);
    assert_int_equal(parse_error(&s, NULL), ENAMETOOLONG);
    /* no NUL at the end of the name */
    s.len = 0;
    sb_header(&s, 3, S_IFREG | 0644, 0, 0);
    sb_raw(&s, "abc", 3);
    sb_end(&s);
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* a NUL inside it */
    s.len = 0;
    sb_header(&s, 4, S_IFREG | 0644, 0, 0);
    sb_raw(&s, "a\0b", 4);
    sb_end(&s);
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* nanoseconds past a second */
    s.len = 0;
    sb_header(&s, 2, S_IFREG | 0644, 0, 1000000000);
    sb_raw(&s, "a", 2);
    sb_end(&s);
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* a folder with data */
    s.len = 0;
    sb_entry(&s, S_IFDIR | 0755, "d", "x", 1);
    sb_end(&s);
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* symlinks: no target, a target too long, a NUL in the target */
    s.len = 0;
    sb_dir(&s, "d");
    sb_entry(&s, S_IFLNK | 0777, "d/l", "", 0);
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    s.len = 0;
    sb_dir(&s, "d");
    sb_header(&s, 4, S_IFLNK | 0777, FC_MAX_PATH_LENGTH, 0);
    sb_raw(&s, "d/l", 4);
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    s.len = 0;
    sb_dir(&s, "d");
    sb_entry(&s, S_IFLNK | 0777, "d/l", "x\0y", 3);
    sb_end(&s);
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    s.len = 0;
    sb_dir(&s, "d");
    sb_link(&s, "d/l", "/etc/shadow");
    sb_end(&s);
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    s.len = 0;
    sb_link(&s, "l", "x");
    sb_end(&s);
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* bad names through the parser */
    s.len = 0;
    sb_file(&s, "../x", "");
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    s.len = 0;
    sb_file(&s, "/tmp/x", "");
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    s.len = 0;
    sb_file(&s, "x\x1b", "");
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* ... accepted with allow-all-names */
    {
        struct fc_limits all = default_lim;
        all.allow_all_names = true;
        sb_end(&s);
        assert_int_equal(parse_error(&s, &all), 0);
    }
}

static void test_parents_must_be_open(void **state)
{
    struct sb s;
    (void)state;

    /* never sent */
    s.len = 0;
    sb_file(&s, "d/x", "");
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* sent, then closed */
    s.len = 0;
    sb_dir(&s, "d");
    sb_dir(&s, "d");
    sb_file(&s, "d/x", "");
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* a sibling folder ends the one before it */
    s.len = 0;
    sb_dir(&s, "a");
    sb_dir(&s, "a/b");
    sb_dir(&s, "a/c");
    sb_file(&s, "a/b/x", "");
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* a file of the same name is not a folder */
    s.len = 0;
    sb_file(&s, "f", "");
    sb_file(&s, "f/x", "");
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* a prefix of a folder's name is not that folder */
    s.len = 0;
    sb_dir(&s, "ab");
    sb_file(&s, "a/x", "");
    assert_int_equal(parse_error(&s, NULL), EINVAL);
    /* ... but every open folder on the way may hold the next entry */
    s.len = 0;
    sb_dir(&s, "a");
    sb_dir(&s, "a/b");
    sb_dir(&s, "a/b/c");
    sb_file(&s, "a/x", "");
    sb_file(&s, "y", "");
    sb_end(&s);
    assert_int_equal(parse_error(&s, NULL), 0);
}

static void test_limits(void **state)
{
    struct fc_limits lim = {.max_bytes = 10, .max_files = 3};
    struct sb s;
    (void)state;

    s.len = 0;
    sb_file(&s, "a", "12345");
    sb_file(&s, "b", "12345");
    sb_end(&s);
    assert_int_equal(parse_error(&s, &lim), 0);
    s.len = 0;
    sb_file(&s, "a", "12345");
    sb_file(&s, "b", "123456");
    assert_int_equal(parse_error(&s, &lim), EDQUOT);
    /* a huge declared size fails at its header, before any data */
    s.len = 0;
    sb_header(&s, 2, S_IFREG | 0644, UINT64_MAX, 0);
    sb_raw(&s, "a", 2);
    assert_int_equal(parse_error(&s, &lim), EDQUOT);
    lim.max_bytes = UINT64_MAX;
    assert_int_equal(parse_error(&s, &lim), 0); /* still waiting for its data */
    /* files: the folder counts once, not when it is closed */
    s.len = 0;
    sb_dir(&s, "d");
    sb_file(&s, "d/a", "");
    sb_dir(&s, "d");
    sb_file(&s, "b", "");
    sb_end(&s);
    assert_int_equal(parse_error(&s, &lim), 0);
    s.len = 0;
    sb_dir(&s, "d");
    sb_file(&s, "d/a", "");
    sb_file(&s, "d/b", "");
    sb_file(&s, "d/c", "");
    assert_int_equal(parse_error(&s, &lim), EDQUOT);
}

static void test_after_end_and_sticky_failure(void **state)
{
    static struct fc_parser p;
    struct sb s;
    size_t used;
    (void)state;

    s.len = 0;
    sb_end(&s);
    sb_raw(&s, "x", 1);
    assert_int_equal(parse_error(&s, NULL), EINVAL);

    fc_parser_init(&p, &default_lim);
    s.len = 0;
    sb_file(&s, "../x", "");
    assert_int_equal(fc_parser_feed(&p, s.buf, s.len, &used), -EINVAL);
    assert_string_equal(fc_parser_last_name(&p), "../x");
    s.len = 0;
    sb_file(&s, "ok", "");
    assert_int_equal(fc_parser_feed(&p, s.buf, s.len, &used), -EINVAL);
    assert_int_equal(used, 0);
}

static void test_result_header(void **state)
{
    uint8_t buf[FC_RESULT_SIZE + FC_RESULT_EXT_SIZE + 64];
    char name[64], small[4];
    uint32_t code;
    uint64_t crc;
    ssize_t n;
    (void)state;

    n = fc_build_result(buf, sizeof(buf), 17, 0xdeadbeef, "d/x");
    assert_int_equal(n, FC_RESULT_SIZE + FC_RESULT_EXT_SIZE + 3);
    assert_int_equal(fc_parse_result(buf, (size_t)n, &code, &crc), 0);
    assert_int_equal(code, 17);
    assert_int_equal(crc, 0xdeadbeef);
    assert_int_equal(
        fc_parse_result_ext(buf + FC_RESULT_SIZE, (size_t)n - FC_RESULT_SIZE, name, sizeof(name)),
        FC_RESULT_EXT_SIZE + 3);
    assert_string_equal(name, "d/x");
    /* cut short: not yet whole */
    assert_int_equal(fc_parse_result_ext(buf + FC_RESULT_SIZE, 5, name, sizeof(name)), 0);
    assert_int_equal(fc_parse_result(buf, FC_RESULT_SIZE - 1, &code, &crc), -EBADMSG);
    /* a name longer than the caller's room is cut, still terminated */
    assert_int_equal(
        fc_parse_result_ext(buf + FC_RESULT_SIZE, (size_t)n - FC_RESULT_SIZE, small, sizeof(small)),
        FC_RESULT_EXT_SIZE + 3);
    assert_string_equal(small, "d/x");
    assert_int_equal(
        fc_parse_result_ext(buf + FC_RESULT_SIZE, (size_t)n - FC_RESULT_SIZE, small, 3),
        FC_RESULT_EXT_SIZE + 3);
    assert_string_equal(small, "d/");
    /* a length past MAX_PATH_LENGTH */
    buf[FC_RESULT_SIZE + 2] = 0xff;
    assert_int_equal(
        fc_parse_result_ext(buf + FC_RESULT_SIZE, (size_t)n - FC_RESULT_SIZE, name, sizeof(name)),
        -EBADMSG);
    /* no name */
    n = fc_build_result(buf, sizeof(buf), 0, 1, NULL);
    assert_int_equal(n, FC_RESULT_SIZE + FC_RESULT_EXT_SIZE);
    assert_int_equal(fc_build_result(buf, FC_RESULT_SIZE, 0, 1, NULL), -ENAMETOOLONG);
}

static void test_builder_layout(void **state)
{
    struct fc_header h = {.mode = S_IFREG | 0600,
                          .filelen = 0x0102030405060708ull,
                          .atime = 1,
                          .atime_nsec = 2,
                          .mtime = 3,
                          .mtime_nsec = 4};
    static const uint8_t want[] = {3, 0, 0, 0, 0x80, 0x81, 0, 0, 8, 7, 6, 5, 4, 3, 2,   1,   1, 0,
                                   0, 0, 2, 0, 0,    0,    3, 0, 0, 0, 4, 0, 0, 0, 'a', 'b', 0};
    uint8_t buf[64];
    (void)state;

    assert_int_equal(fc_build_header(buf, sizeof(buf), &h, "ab"), sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(fc_build_header(buf, sizeof(want) - 1, &h, "ab"), -ENAMETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_stream_events),
        cmocka_unit_test(test_every_chunking_gives_the_same_result),
        cmocka_unit_test(test_truncated_stream_never_ends),
        cmocka_unit_test(test_crc_matches_zlib_values),
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test(test_symlink_rules),
        cmocka_unit_test(test_mode_types),
        cmocka_unit_test(test_header_rules),
        cmocka_unit_test(test_parents_must_be_open),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_after_end_and_sticky_failure),
        cmocka_unit_test(test_result_header),
        cmocka_unit_test(test_builder_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
