/* The file-copy stream: push parser and builders (see proto.h). */
#include "vm-agent/filecopy/proto.h"

#include "lib/untrusted.h"
#include "vm-agent/filecopy/names.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <isa-l/crc.h>

uint32_t fc_crc32(uint32_t crc, const void *buf, size_t len)
{
    /* ISA-L's folding CRC (PCLMULQDQ where the CPU has it): the same
     * CRC-32 and chaining as zlib's crc32(), some 30 times faster */
    return crc32_gzip_refl(crc, buf, len);
}

void fc_parser_init(struct fc_parser *p, const struct fc_limits *lim)
{
    memset(p, 0, sizeof(*p));
    p->lim = *lim;
    p->state = FC_S_HEADER;
}

const char *fc_parser_last_name(const struct fc_parser *p)
{
    return p->entry.name ? p->entry.name : "";
}

static int fail(struct fc_parser *p, int err)
{
    p->state = FC_S_FAILED;
    p->error = err;
    return -err;
}

/* Moves up to want - p->got bytes of buf[*off..len) into dst + p->got; true
 * once all want bytes are there. */
static bool gather(struct fc_parser *p, void *dst, size_t want, const uint8_t *buf, size_t len,
                   size_t *off)
{
    size_t n = want - p->got;

    if (n > len - *off)
        n = len - *off;
    memcpy((uint8_t *)dst + p->got, buf + *off, n);
    p->crc = fc_crc32(p->crc, buf + *off, n);
    *off += n;
    p->got += n;
    return p->got == want;
}

/* True if name[0..n) is a folder still open: the open path itself or one
 * of the folders on the way to it. n == 0 is the transfer's root. */
static bool is_open(const struct fc_parser *p, const char *name, size_t n)
{
    return n == 0 || (n <= p->open_len && memcmp(p->open_dir, name, n) == 0 &&
                      (n == p->open_len || p->open_dir[n] == '/'));
}

/* An entry may only appear inside a folder still open; folders deeper
 * than its own are over (their contents are complete). */
static int enter_parent(struct fc_parser *p, const char *name, size_t len)
{
    const char *slash = memrchr(name, '/', len);
    size_t plen = slash ? (size_t)(slash - name) : 0;

    if (!is_open(p, name, plen))
        return -EINVAL;
    p->open_len = plen;
    return 0;
}

static int count_entry(struct fc_parser *p)
{
    if (p->files >= p->lim.max_files)
        return -EDQUOT;
    p->files++;
    return 0;
}

static void decode_header(struct fc_parser *p)
{
    struct umsg m;
    uint32_t lo, hi;

    umsg_init(&m, p->hdr_buf, sizeof(p->hdr_buf));
    umsg_u32(&m, &p->hdr.namelen);
    umsg_u32(&m, &p->hdr.mode);
    umsg_u32(&m, &lo);
    umsg_u32(&m, &hi);
    p->hdr.filelen = (uint64_t)hi << 32 | lo;
    umsg_u32(&m, &p->hdr.atime);
    umsg_u32(&m, &p->hdr.atime_nsec);
    umsg_u32(&m, &p->hdr.mtime);
    umsg_u32(&m, &p->hdr.mtime_nsec);
}

/* The whole header and name are in: check them and say what comes. */
static int accept_entry(struct fc_parser *p)
{
    struct fc_header *untrusted_h = &p->hdr;
    size_t untrusted_len = untrusted_h->namelen - 1;
    struct fc_entry *e = &p->entry;
    int r;

    /* sanitize start */
    bool terminated = p->name[untrusted_len] == '\0';

    p->name[untrusted_len] = '\0'; /* so the result header can name it */
    e->name = p->name;
    if (!terminated || strlen(p->name) != untrusted_len)
        return fail(p, EINVAL);
    r = fc_name_check(p->name, untrusted_len, p->lim.allow_all_names);
    if (r < 0)
        return fail(p, -r);
    if (untrusted_h->atime_nsec >= 1000000000u || untrusted_h->mtime_nsec >= 1000000000u)
        return fail(p, EINVAL);
    memset(e, 0, sizeof(*e));
    e->name = p->name;
    e->name_len = untrusted_len;
    e->perm = untrusted_h->mode & 07777;
    e->hdr = *untrusted_h;
    switch (untrusted_h->mode & S_IFMT) {
    case S_IFREG:
        if (enter_parent(p, e->name, e->name_len) < 0)
            return fail(p, EINVAL);
        if (count_entry(p) < 0 || untrusted_h->filelen > p->lim.max_bytes - p->bytes)
            return fail(p, EDQUOT);
        e->kind = FC_FILE;
        e->size = untrusted_h->filelen;
        p->bytes += e->size;
        p->data_left = e->size;
        p->in_file = true;
        p->state = FC_S_DATA;
        return FC_EV_FILE_BEGIN;
    case S_IFDIR:
        e->kind = FC_DIR;
        if (untrusted_h->filelen != 0)
            return fail(p, EINVAL);
        p->state = FC_S_HEADER;
        if (is_open(p, e->name, e->name_len)) {
            /* sent again after its contents: close it */
            const char *slash = memrchr(e->name, '/', e->name_len);
            p->open_len = slash ? (size_t)(slash - e->name) : 0;
            return FC_EV_DIR_CLOSE;
        }
        if (enter_parent(p, e->name, e->name_len) < 0)
            return fail(p, EINVAL);
        if (count_entry(p) < 0)
            return fail(p, EDQUOT);
        memcpy(p->open_dir, e->name, e->name_len);
        p->open_len = e->name_len;
        return FC_EV_DIR_OPEN;
    case S_IFLNK:
        e->kind = FC_SYMLINK;
        if (untrusted_h->filelen == 0 || untrusted_h->filelen >= FC_MAX_PATH_LENGTH)
            return fail(p, EINVAL);
        if (enter_parent(p, e->name, e->name_len) < 0)
            return fail(p, EINVAL);
        if (count_entry(p) < 0)
            return fail(p, EDQUOT);
        p->data_left = untrusted_h->filelen;
        p->got = 0;
        p->state = FC_S_LINK;
        return FC_EV_NEED_MORE; /* not an event: the target comes first */
    default:
        /* devices, FIFOs, sockets: never */
        return fail(p, EINVAL);
    }
    /* sanitize end */
}

static int accept_link(struct fc_parser *p)
{
    size_t untrusted_len = (size_t)p->data_left;
    int r;

    /* sanitize start */
    p->target[untrusted_len] = '\0';
    if (strlen(p->target) != untrusted_len)
        return fail(p, EINVAL);
    r = fc_symlink_check(p->entry.name, p->entry.name_len, p->target, untrusted_len,
                         p->lim.allow_all_names);
    if (r < 0)
        return fail(p, -r);
    /* sanitize end */
    p->entry.target = p->target;
    p->entry.target_len = untrusted_len;
    p->data_left = 0;
    p->state = FC_S_HEADER;
    return FC_EV_SYMLINK;
}

int fc_parser_feed(struct fc_parser *p, const uint8_t *buf, size_t len, size_t *used)
{
    size_t off = 0;
    int ev = FC_EV_NEED_MORE;

    while (ev == FC_EV_NEED_MORE) {
        switch (p->state) {
        case FC_S_FAILED:
            *used = off;
            return -p->error;
        case FC_S_DONE:
            if (off < len)
                ev = fail(p, EINVAL); /* bytes after the end marker */
            goto out;
        case FC_S_HEADER:
            if (off == len)
                goto out;
            if (!gather(p, p->hdr_buf, FC_HEADER_SIZE, buf, len, &off))
                goto out;
            p->got = 0;
            decode_header(p);
            if (p->hdr.namelen == 0) {
                p->state = FC_S_DONE;
                ev = FC_EV_END;
            } else if (p->hdr.namelen > FC_MAX_PATH_LENGTH) {
                ev = fail(p, ENAMETOOLONG);
            } else {
                p->state = FC_S_NAME;
            }
            break;
        case FC_S_NAME:
            if (off == len)
                goto out;
            if (!gather(p, p->name, p->hdr.namelen, buf, len, &off))
                goto out;
            p->got = 0;
            ev = accept_entry(p);
            break;
        case FC_S_LINK:
            if (off == len)
                goto out;
            if (!gather(p, p->target, (size_t)p->data_left, buf, len, &off))
                goto out;
            p->got = 0;
            ev = accept_link(p);
            break;
        case FC_S_DATA:
            if (p->data_left == 0) {
                p->in_file = false;
                p->state = FC_S_HEADER;
                ev = FC_EV_FILE_END;
                break;
            }
            if (off == len)
                goto out;
            p->ev_len = len - off < p->data_left ? len - off : (size_t)p->data_left;
            p->ev_data = buf + off;
            p->crc = fc_crc32(p->crc, buf + off, p->ev_len);
            p->data_left -= p->ev_len;
            off += p->ev_len;
            ev = FC_EV_DATA;
            break;
        }
    }
out:
    *used = off;
    return ev;
}

static uint8_t *put32(uint8_t *o, uint32_t v)
{
    o[0] = (uint8_t)v;
    o[1] = (uint8_t)(v >> 8);
    o[2] = (uint8_t)(v >> 16);
    o[3] = (uint8_t)(v >> 24);
    return o + 4;
}

ssize_t fc_build_header(uint8_t *out, size_t outsz, const struct fc_header *h, const char *name)
{
    size_t n = strlen(name) + 1;
    uint8_t *o = out;

    if (n > FC_MAX_PATH_LENGTH || outsz < FC_HEADER_SIZE + n)
        return -ENAMETOOLONG;
    o = put32(o, (uint32_t)n);
    o = put32(o, h->mode);
    o = put32(o, (uint32_t)h->filelen);
    o = put32(o, (uint32_t)(h->filelen >> 32));
    o = put32(o, h->atime);
    o = put32(o, h->atime_nsec);
    o = put32(o, h->mtime);
    o = put32(o, h->mtime_nsec);
    memcpy(o, name, n);
    return (ssize_t)(FC_HEADER_SIZE + n);
}

void fc_build_end(uint8_t out[FC_HEADER_SIZE])
{
    memset(out, 0, FC_HEADER_SIZE);
}

ssize_t fc_build_result(uint8_t *out, size_t outsz, uint32_t error_code, uint32_t crc,
                        const char *last_name)
{
    size_t n = last_name ? strlen(last_name) : 0;
    uint8_t *o = out;

    if (n > FC_MAX_PATH_LENGTH || outsz < FC_RESULT_SIZE + FC_RESULT_EXT_SIZE + n)
        return -ENAMETOOLONG;
    o = put32(o, error_code);
    o = put32(o, 0);
    o = put32(o, crc);
    o = put32(o, 0);
    o = put32(o, (uint32_t)n);
    memcpy(o, last_name ? last_name : "", n);
    return (ssize_t)(FC_RESULT_SIZE + FC_RESULT_EXT_SIZE + n);
}

int fc_parse_result(const uint8_t *buf, size_t len, uint32_t *error_code, uint64_t *crc)
{
    struct umsg m;
    uint32_t pad, lo, hi;

    umsg_init(&m, buf, len < FC_RESULT_SIZE ? len : FC_RESULT_SIZE);
    umsg_u32(&m, error_code);
    umsg_u32(&m, &pad);
    umsg_u32(&m, &lo);
    umsg_u32(&m, &hi);
    if (umsg_end(&m) < 0)
        return -EBADMSG;
    *crc = (uint64_t)hi << 32 | lo;
    return 0;
}

ssize_t fc_parse_result_ext(const uint8_t *buf, size_t len, char *name, size_t namesz)
{
    struct umsg m;
    uint32_t untrusted_n;
    size_t keep;

    if (namesz == 0)
        return -EINVAL;
    umsg_init(&m, buf, len);
    if (umsg_u32(&m, &untrusted_n) < 0)
        return 0;
    if (untrusted_n > FC_MAX_PATH_LENGTH)
        return -EBADMSG;
    if (umsg_remaining(&m) < untrusted_n)
        return 0;
    keep = untrusted_n < namesz ? untrusted_n : namesz - 1;
    memcpy(name, buf + FC_RESULT_EXT_SIZE, keep);
    name[keep] = '\0';
    /* a NUL the sender put at the end (or inside) ends the name there */
    name[strnlen(name, keep)] = '\0';
    return (ssize_t)(FC_RESULT_EXT_SIZE + untrusted_n);
}
