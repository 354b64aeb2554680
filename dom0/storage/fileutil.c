/* File helpers (see fileutil.h). */
#include "dom0/storage/fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int fu_mkdir_p(const char *dir)
{
    char d[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(d))
        return -ENAMETOOLONG;
    memcpy(d, dir, n + 1);
    for (char *p = d + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(d, 0700) < 0 && errno != EEXIST)
                return -errno;
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

int fu_mkdir_parent(const char *path)
{
    char d[4096];
    char *slash;

    snprintf(d, sizeof(d), "%s", path);
    slash = strrchr(d, '/');
    if (!slash || slash == d)
        return 0;
    *slash = 0;
    return fu_mkdir_p(d);
}

int fu_sync_parent(const char *path)
{
    char d[4096];
    char *slash;
    int fd, r = 0;

    snprintf(d, sizeof(d), "%s", path);
    slash = strrchr(d, '/');
    if (!slash)
        return -EINVAL;
    slash[slash == d] = 0;
    fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        r = -errno;
    close(fd);
    return r;
}

bool fu_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int fu_make_sparse(const char *path, int64_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), r = 0;

    if (fd < 0)
        return -errno;
    if (ftruncate(fd, size) < 0 || fsync(fd) < 0)
        r = -errno;
    close(fd);
    if (r)
        unlink(path);
    return r;
}

int fu_grow(const char *path, int64_t size)
{
    struct stat st;
    int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        r = -errno;
    else if (st.st_size > size)
        r = -EINVAL;
    else if (ftruncate(fd, size) < 0 || fsync(fd) < 0)
        r = -errno;
    close(fd);
    return r;
}

/* Data ranges only (SEEK_DATA/SEEK_HOLE): a 20 GiB empty image copies in
 * no time and stays sparse. */
static int sparse_copy(int in, int out, off_t size)
{
    off_t pos = 0;

    if (ftruncate(out, size) < 0)
        return -errno;
    while (pos < size) {
        off_t data = lseek(in, pos, SEEK_DATA), hole;
        if (data < 0)
            return errno == ENXIO ? 0 : -errno;
        hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            return -errno;
        for (off_t o = data; o < hole;) {
            loff_t ri = o, ro = o;
            ssize_t n = copy_file_range(in, &ri, out, &ro, (size_t)(hole - o), 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return n < 0 ? -errno : -EIO;
            o += n;
        }
        pos = hole;
    }
    return 0;
}

int fu_clone_file(const char *src, const char *dst, bool allow_copy)
{
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
    struct stat st;

    if (in < 0)
        return -errno;
    if (fstat(in, &st) < 0) {
        r = -errno;
        goto done;
    }
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        r = -errno;
        goto done;
    }
    if (ioctl(out, FICLONE, in) < 0) {
        int why = errno;
        /* the filesystem cannot share extents (or src is elsewhere) */
        bool no_reflink = why == EOPNOTSUPP || why == ENOTTY || why == EXDEV || why == EINVAL;
        if (!no_reflink)
            r = -why;
        else if (!allow_copy)
            r = -EOPNOTSUPP;
        else
            r = sparse_copy(in, out, st.st_size);
    }
    if (!r && fsync(out) < 0)
        r = -errno;
done:
    if (out >= 0)
        close(out);
    close(in);
    if (r && out >= 0)
        unlink(dst);
    return r;
}

int fu_reflink_probe(const char *dir)
{
    char a[4096], b[4096];
    char block[4096];
    int fa, fb = -1, r = 0;

    memset(block, 0x5a, sizeof(block));
    if ((size_t)snprintf(a, sizeof(a), "%s/.reflink-probe-XXXXXX", dir) >= sizeof(a))
        return -ENAMETOOLONG;
    snprintf(b, sizeof(b), "%s/.reflink-probe-XXXXXX", dir);
    fa = mkstemp(a);
    if (fa < 0)
        return -errno;
    if (write(fa, block, sizeof(block)) != (ssize_t)sizeof(block) || fsync(fa) < 0) {
        r = -errno;
        goto done;
    }
    fb = mkstemp(b);
    if (fb < 0) {
        r = -errno;
        goto done;
    }
    if (ioctl(fb, FICLONE, fa) < 0)
        r = errno == ENOTTY || errno == EXDEV || errno == EINVAL ? -EOPNOTSUPP : -errno;
done:
    close(fa);
    unlink(a);
    if (fb >= 0) {
        close(fb);
        unlink(b);
    }
    return r;
}
