/* libFuzzer target: the file-copy stream parser (what qfile-unpacker reads
 * from another qube) on arbitrary bytes. The first byte picks a chunk size
 * and the limits; the rest is the stream, fed once whole and once in
 * chunks. Checked: both ways give the same events, error and CRC; the CRC
 * covers exactly the bytes consumed; every entry handed out obeys the
 * naming and symlink rules; data only comes inside a file, never more
 * than it declared. The same bytes also go through the result-header
 * decoders (what qfile-agent reads back). */
#include "vm-agent/filecopy/names.h"
#include "vm-agent/filecopy/proto.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
    uint32_t trace; /* a running hash of the events */
    int error;
    size_t consumed;
    uint32_t crc;
};

static struct fc_parser parser;

static uint32_t mix(uint32_t h, uint32_t v)
{
    return (h ^ v) * 16777619u;
}

static void check_entry(const struct fc_parser *p, int ev)
{
    const struct fc_entry *e = &p->entry;

    assert(strlen(e->name) == e->name_len);
    assert(fc_name_check(e->name, e->name_len, p->lim.allow_all_names) == 0);
    if (ev == FC_EV_SYMLINK) {
        assert(strlen(e->target) == e->target_len);
        assert(fc_symlink_check(e->name, e->name_len, e->target, e->target_len,
                                p->lim.allow_all_names) == 0);
    }
}

static void run(const uint8_t *buf, size_t len, size_t chunk, const struct fc_limits *lim,
                struct outcome *o)
{
    struct fc_parser *p = &parser;
    size_t off = 0, end, used;
    uint64_t file_left = 0;
    bool in_file = false;
    int ev;

    memset(o, 0, sizeof(*o));
    fc_parser_init(p, lim);
    while (off < len || in_file) {
        end = chunk && off + chunk < len ? off + chunk : len;
        ev = fc_parser_feed(p, buf + off, end - off, &used);
        assert(used <= end - off);
        off += used;
        if (ev < 0) {
            o->error = -ev;
            break;
        }
        /* how data is split depends on the chunks: not part of the trace */
        if (ev != FC_EV_DATA && ev != FC_EV_NEED_MORE)
            o->trace = mix(o->trace, (uint32_t)ev);
        switch (ev) {
        case FC_EV_FILE_BEGIN:
            assert(!in_file);
            check_entry(p, ev);
            in_file = true;
            file_left = p->entry.size;
            o->trace = mix(o->trace, (uint32_t)p->entry.name_len);
            break;
        case FC_EV_DATA:
            assert(in_file && p->ev_len > 0 && p->ev_len <= file_left);
            file_left -= p->ev_len;
            break;
        case FC_EV_FILE_END:
            assert(in_file && file_left == 0);
            in_file = false;
            break;
        case FC_EV_DIR_OPEN:
        case FC_EV_DIR_CLOSE:
        case FC_EV_SYMLINK:
            assert(!in_file);
            check_entry(p, ev);
            o->trace = mix(o->trace, (uint32_t)p->entry.name_len);
            break;
        case FC_EV_END:
            assert(!in_file);
            break;
        case FC_EV_NEED_MORE:
            break;
        }
        if (ev == FC_EV_END || (ev == FC_EV_NEED_MORE && off == len))
            break;
    }
    o->consumed = off;
    o->crc = p->crc;
    assert(p->files <= lim->max_files && p->bytes <= lim->max_bytes);
    /* the CRC covers exactly what was consumed */
    assert(o->crc == fc_crc32(0, buf, off));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fc_limits lim = {.max_bytes = 4096, .max_files = 16};
    struct outcome whole, cut;
    size_t chunk;
    char name[64];
    uint32_t code;
    uint64_t crc;
    ssize_t n;

    if (size < 1)
        return 0;
    chunk = (data[0] & 31) + 1;
    lim.allow_all_names = data[0] & 32;
    if (data[0] & 64)
        lim.max_bytes = UINT64_MAX;
    data++, size--;
    if (fc_parse_result(data, size, &code, &crc) == 0 && size > FC_RESULT_SIZE) {
        n = fc_parse_result_ext(data + FC_RESULT_SIZE, size - FC_RESULT_SIZE, name, sizeof(name));
        assert(n <= (ssize_t)(size - FC_RESULT_SIZE));
        assert(n <= 0 || strlen(name) < sizeof(name));
    }
    run(data, size, 0, &lim, &whole);
    run(data, size, chunk, &lim, &cut);
    assert(whole.error == cut.error && whole.trace == cut.trace);
    /* a failure is found at the same byte either way; a success consumes
     * the same bytes */
    assert(whole.consumed == cut.consumed && whole.crc == cut.crc);
    return 0;
}
