/* A template file read in one pass with libarchive; see template_file.h. */
#include "dom0/tools/template_file.h"

#include "dom0/tools/template_hash.h"
#include "lib/log.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reading in large blocks keeps the per-call cost of libarchive and the
 * decompressor small next to hashing and writing. */
#define READ_BLOCK (1u << 20)
/* Zero detection goes by this granularity in a file (a page, a file
 * system block: finer finds few more holes, coarser misses some). On a
 * block device (an LVM thin volume) a chunk that gets any data is
 * provisioned whole, and its unwritten rest reads as zeros only if the
 * pool zeroes new chunks (LVM's default, thin_pool_zero=1): skipping only
 * whole 64 KiB runs, LVM's default and smallest thin chunk, needs that
 * only in pools made with larger chunks and without zeroing. */
#define ZERO_CHUNK_FILE 4096u
#define ZERO_CHUNK_BLK  65536u
/* Runs of data are gathered up to this before one pwrite. */
#define WRITE_MAX (1u << 20)

struct tfile {
    struct archive *a;
    struct archive_entry *entry;
    char err[512];
    uint64_t written;
    /* the pending run of data, to be written at wbuf_off */
    unsigned char *wbuf;
    size_t wlen;
    uint64_t wbuf_off;
    size_t zero_chunk;
};

static int fail(struct tfile *tf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct tfile *tf, const char *fmt, ...)
{
    char raw[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    /* libarchive's messages may quote member names from the file */
    log_printable(tf->err, sizeof(tf->err), raw, strlen(raw));
    return -1;
}

static const char *aerr(struct tfile *tf)
{
    const char *s = archive_error_string(tf->a);
    return s ? s : "malformed archive";
}

struct tfile *tfile_open(const char *path, char *err, size_t errsz)
{
    struct tfile *tf = calloc(1, sizeof(*tf));
    int r;

    if (!tf || !(tf->wbuf = malloc(WRITE_MAX)) || !(tf->a = archive_read_new())) {
        snprintf(err, errsz, "out of memory");
        tfile_close(tf);
        return NULL;
    }
    /* tar (pax, ustar, GNU) and zstd only: the less libarchive is asked
     * to parse, the less of it faces a file from anywhere */
    r = archive_read_support_filter_zstd(tf->a);
    if (r != ARCHIVE_OK || archive_read_support_filter_none(tf->a) != ARCHIVE_OK ||
        archive_read_support_format_tar(tf->a) != ARCHIVE_OK) {
        /* ARCHIVE_WARN: zstd through an external program; not wanted */
        snprintf(err, errsz, "libarchive lacks built-in zstd or tar support");
        tfile_close(tf);
        return NULL;
    }
    if (archive_read_open_filename(tf->a, strcmp(path, "-") ? path : NULL, READ_BLOCK) !=
        ARCHIVE_OK) {
        const char *s = archive_error_string(tf->a);
        log_printable(err, errsz, s ? s : "cannot open", strlen(s ? s : "cannot open"));
        tfile_close(tf);
        return NULL;
    }
    return tf;
}

void tfile_close(struct tfile *tf)
{
    if (!tf)
        return;
    if (tf->a)
        archive_read_free(tf->a);
    free(tf->wbuf);
    free(tf);
}

const char *tfile_error(const struct tfile *tf)
{
    return tf->err;
}

uint64_t tfile_written(const struct tfile *tf)
{
    return tf->written;
}

static bool member_is(const char *untrusted_name, const char *want)
{
    if (!strncmp(untrusted_name, "./", 2))
        untrusted_name += 2;
    return !strcmp(untrusted_name, want);
}

int tfile_next(struct tfile *tf, const char *want, uint64_t *size)
{
    const char *untrusted_name;
    int r = archive_read_next_header(tf->a, &tf->entry);

    if (r == ARCHIVE_EOF)
        return fail(tf, "the file ends before %s (truncated?)", want);
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return fail(tf, "reading the header of %s: %s", want, aerr(tf));
    untrusted_name = archive_entry_pathname(tf->entry);
    if (!untrusted_name || !member_is(untrusted_name, want))
        return fail(tf, "expected the member %s, found %s", want,
                    untrusted_name ? untrusted_name : "a member without a name");
    /* sanitize start */
    if (archive_entry_filetype(tf->entry) != AE_IFREG || archive_entry_hardlink(tf->entry) ||
        archive_entry_symlink(tf->entry))
        return fail(tf, "%s is not a regular file", want);
    if (!archive_entry_size_is_set(tf->entry) || archive_entry_size(tf->entry) < 0)
        return fail(tf, "%s has no size", want);
    *size = (uint64_t)archive_entry_size(tf->entry);
    /* sanitize end */
    return 0;
}

int tfile_read_all(struct tfile *tf, char *buf, size_t max, size_t *len)
{
    size_t got = 0;

    for (;;) {
        la_ssize_t n = archive_read_data(tf->a, buf + got, max - got);
        if (n < 0)
            return fail(tf, "reading %s: %s", archive_entry_pathname(tf->entry), aerr(tf));
        if (n == 0)
            break;
        got += (size_t)n;
        if (got == max) {
            char c;
            if (archive_read_data(tf->a, &c, 1) != 0)
                return fail(tf, "%s is larger than %zu bytes", archive_entry_pathname(tf->entry),
                            max);
            break;
        }
    }
    *len = got;
    return 0;
}

static bool all_zero(const unsigned char *p, size_t n)
{
    return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

static int flush(struct tfile *tf, int fd)
{
    size_t done = 0;

    while (done < tf->wlen) {
        ssize_t w = pwrite(fd, tf->wbuf + done, tf->wlen - done, (off_t)(tf->wbuf_off + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return fail(tf, "writing: %s", w < 0 ? strerror(errno) : "no progress");
        done += (size_t)w;
    }
    /* start the writeback of what was just written, so that it runs
     * while the next blocks are hashed instead of all in the final
     * fdatasync (a 4 GiB root with 1.2 GiB of data: 5.9 -> 4.9 s); only a
     * hint, errors come there */
    sync_file_range(fd, (off_t)tf->wbuf_off, (off_t)tf->wlen, SYNC_FILE_RANGE_WRITE);
    tf->written += tf->wlen;
    tf->wlen = 0;
    return 0;
}

/* Queues data for off (continuing the pending run, or after flushing it). */
static int queue(struct tfile *tf, int fd, const unsigned char *p, size_t n, uint64_t off)
{
    while (n) {
        size_t k;
        if (tf->wlen && (tf->wbuf_off + tf->wlen != off || tf->wlen == WRITE_MAX) &&
            flush(tf, fd) < 0)
            return -1;
        if (!tf->wlen)
            tf->wbuf_off = off;
        k = WRITE_MAX - tf->wlen < n ? WRITE_MAX - tf->wlen : n;
        memcpy(tf->wbuf + tf->wlen, p, k);
        tf->wlen += k;
        p += k, n -= k, off += k;
    }
    return 0;
}

/* Writes a block that starts at off, chunk by chunk (aligned to the
 * file's offsets), leaving the all-zero chunks out. */
static int put_block(struct tfile *tf, int fd, const unsigned char *p, size_t n, uint64_t off)
{
    while (n) {
        size_t k = tf->zero_chunk - (size_t)(off % tf->zero_chunk);
        if (k > n)
            k = n;
        if (!all_zero(p, k) && queue(tf, fd, p, k, off) < 0)
            return -1;
        p += k, n -= k, off += k;
    }
    return 0;
}

/* Sets the zero granularity for fd, and extends a short regular file. */
static int prepare(struct tfile *tf, int fd, uint64_t size)
{
    struct stat st;

    tf->zero_chunk = ZERO_CHUNK_FILE;
    if (fd < 0 || fstat(fd, &st) < 0)
        return 0;
    if (!S_ISREG(st.st_mode))
        tf->zero_chunk = ZERO_CHUNK_BLK;
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size >= size)
        return 0;
    if (ftruncate(fd, (off_t)size) < 0)
        return fail(tf, "extending to %llu bytes: %s", (unsigned long long)size, strerror(errno));
    return 0;
}

int tfile_copy(struct tfile *tf, int fd, uint64_t size, uint8_t sha256[32],
               tfile_progress_fn *progress, void *ctx)
{
    const char *name = archive_entry_pathname(tf->entry);
    struct thash *h = thash_start();
    uint64_t pos = 0;
    int rc = -1;

    tf->written = 0;
    tf->wlen = 0;
    if (!h)
        return fail(tf, "cannot start hashing (out of memory or threads)");
    if (prepare(tf, fd, size) < 0)
        goto out;
    for (;;) {
        const void *untrusted_buf;
        size_t n;
        la_int64_t untrusted_off;
        int r = archive_read_data_block(tf->a, &untrusted_buf, &n, &untrusted_off);

        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            fail(tf, "reading %s: %s", name, aerr(tf));
            goto out;
        }
        /* sanitize start: blocks come in order, inside the member */
        if (untrusted_off < 0 || (uint64_t)untrusted_off < pos || (uint64_t)untrusted_off > size ||
            n > size - (uint64_t)untrusted_off) {
            fail(tf, "%s: a data block outside the member (malformed sparse map?)", name);
            goto out;
        }
        /* sanitize end */
        thash_zeros(h, (uint64_t)untrusted_off - pos); /* a hole */
        thash_data(h, untrusted_buf, n);
        if (fd >= 0 && put_block(tf, fd, untrusted_buf, n, (uint64_t)untrusted_off) < 0)
            goto out;
        pos = (uint64_t)untrusted_off + n;
        if (progress && progress(ctx, pos, size) < 0) {
            fail(tf, "interrupted");
            goto out;
        }
    }
    thash_zeros(h, size - pos); /* a hole at the end */
    if (fd >= 0 && (flush(tf, fd) < 0))
        goto out;
    if (fd >= 0 && fdatasync(fd) < 0 && errno != EINVAL) {
        fail(tf, "%s: fdatasync: %s", name, strerror(errno));
        goto out;
    }
    rc = thash_finish(h, sha256);
    h = NULL;
    if (rc < 0) {
        fail(tf, "SHA-256 failed");
        goto out;
    }
    if (progress && progress(ctx, size, size) < 0) {
        fail(tf, "interrupted");
        rc = -1;
    }
out:
    thash_finish(h, NULL);
    return rc;
}

int tfile_end(struct tfile *tf)
{
    int r = archive_read_next_header(tf->a, &tf->entry);

    if (r == ARCHIVE_EOF)
        return 0;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return fail(tf, "after initramfs: %s", aerr(tf));
    return fail(tf, "unexpected member %s after initramfs", archive_entry_pathname(tf->entry));
}
