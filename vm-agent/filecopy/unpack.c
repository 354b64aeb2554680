/* The receiver's file-system side (see unpack.h). Names arrive here only
 * after the parser checked them: relative, no "." or ".." components, no
 * empty ones. Confinement still does not rest on that: every lookup is
 * beneath root_fd and refuses symlinks. */
#include "vm-agent/filecopy/unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FALLOCATE_MIN (1u << 20)

void fc_unpack_init(struct fc_unpack *u, int root_fd)
{
    memset(u, 0, sizeof(*u));
    u->root_fd = root_fd;
    u->parent_fd = root_fd;
    u->file_fd = -1;
}

/* tmp names the partial file from its creation until it is renamed (or
 * removed): a signal at any point in between finds it */
void fc_unpack_remove_partial(struct fc_unpack *u)
{
    if (u->tmp[0])
        unlinkat(u->parent_fd, u->tmp, 0);
}

void fc_unpack_fini(struct fc_unpack *u)
{
    if (u->file_fd >= 0)
        close(u->file_fd);
    u->file_fd = -1;
    fc_unpack_remove_partial(u);
    u->tmp[0] = '\0';
    if (u->parent_fd != u->root_fd)
        close(u->parent_fd);
    u->parent_fd = u->root_fd;
}

/* Opens path (a checked relative folder path) beneath root without
 * following any symlink: openat2 where the kernel has it, else one
 * component at a time with O_NOFOLLOW. */
static int open_beneath(int root, const char *path)
{
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve =
                               RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    char comp[FC_NAME_MAX + 1];
    const char *p = path, *slash;
    int fd, next;
    long r;

    r = syscall(SYS_openat2, root, path, &how, sizeof(how));
    if (r >= 0)
        return (int)r;
    if (errno != ENOSYS && errno != EPERM)
        return -errno;
    fd = root;
    while (*p) {
        slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n > FC_NAME_MAX)
            return -ENAMETOOLONG;
        memcpy(comp, p, n);
        comp[n] = '\0';
        next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            next = -errno;
        if (fd != root)
            close(fd);
        if (next < 0)
            return next;
        fd = next;
        p += n + (slash ? 1 : 0);
    }
    return fd == root ? openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC) : fd;
}

/* Points parent_fd at the folder holding name and returns the last
 * component. The folder of the previous entry is kept open, so a folder of
 * many files costs one lookup. */
static int enter(struct fc_unpack *u, const struct fc_entry *e, const char **base)
{
    const char *slash = memrchr(e->name, '/', e->name_len);
    size_t plen = slash ? (size_t)(slash - e->name) : 0;
    int fd;

    *base = slash ? slash + 1 : e->name;
    if (plen == u->parent_len && memcmp(u->parent, e->name, plen) == 0)
        return 0;
    if (u->parent_fd != u->root_fd)
        close(u->parent_fd);
    u->parent_fd = u->root_fd;
    u->parent_len = 0;
    if (plen == 0)
        return 0;
    memcpy(u->parent, e->name, plen);
    u->parent[plen] = '\0';
    fd = open_beneath(u->root_fd, u->parent);
    if (fd < 0)
        return fd;
    u->parent_fd = fd;
    u->parent_len = plen;
    return 0;
}

/* What the receiver keeps of a mode: no set-id bits, and the owner can
 * always read and write (and enter folders) what arrived. */
static mode_t keep_mode(uint32_t perm, bool dir)
{
    return (mode_t)((perm & 07777 & ~(uint32_t)(S_ISUID | S_ISGID)) | (dir ? 0700 : 0600));
}

static void entry_times(const struct fc_header *h, struct timespec ts[2])
{
    ts[0].tv_sec = h->atime;
    ts[0].tv_nsec = h->atime_nsec;
    ts[1].tv_sec = h->mtime;
    ts[1].tv_nsec = h->mtime_nsec;
}

int fc_unpack_file_begin(struct fc_unpack *u, const struct fc_entry *e)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    const char *base;
    static unsigned int seed;
    char tmp[FC_NAME_MAX + 1], sfx[7];
    int r, tries, fd = -1;

    r = enter(u, e, &base);
    if (r < 0)
        return r;
    /* a big file whose name is taken fails now, not after all its data
     * (the rename at the end never replaces anything either way) */
    if (e->size >= FALLOCATE_MIN &&
        fstatat(u->parent_fd, base, &(struct stat){0}, AT_SYMLINK_NOFOLLOW) == 0)
        return -EEXIST;
    if (!seed)
        seed = (unsigned int)getpid() * 2654435761u | 1;
    for (tries = 0; tries < 100; tries++) {
        for (int i = 0; i < 6; i++) {
            seed = seed * 1103515245u + 12345u + (unsigned int)tries;
            sfx[i] = digits[(seed >> 16) % 36];
        }
        sfx[6] = '\0';
        /* ".NAME.partXXXXXX", NAME cut to fit a component */
        snprintf(tmp, sizeof(tmp), ".%.*s.part%s", FC_NAME_MAX - 12, base, sfx);
        /* created with its final mode (the receiver's umask is 0): one
         * fchmod less per file */
        fd = openat(u->parent_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    keep_mode(e->perm, false));
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0)
        return -errno;
    /* only a name we created is ever removed (the signal handler reads it) */
    memcpy(u->tmp, tmp, sizeof(tmp));
    u->file_fd = fd;
    u->base = base;
    u->hdr = e->hdr;
    /* room for the whole file now: a full disk shows before any data */
    if (e->size >= FALLOCATE_MIN && fallocate(u->file_fd, 0, 0, (off_t)e->size) < 0 &&
        (errno == ENOSPC || errno == EDQUOT || errno == EFBIG)) {
        r = -errno;
        fc_unpack_fini(u);
        return r;
    }
    return 0;
}

int fc_unpack_write(struct fc_unpack *u, const void *data, size_t len)
{
    const uint8_t *p = data;
    ssize_t n;

    while (len > 0) {
        n = write(u->file_fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fc_unpack_file_end(struct fc_unpack *u)
{
    struct timespec ts[2];
    int fd = u->file_fd, r = 0;

    entry_times(&u->hdr, ts);
    if (futimens(fd, ts) < 0)
        r = -errno;
    /* close reports a write the file system could not complete */
    if (close(fd) < 0 && r == 0)
        r = -errno;
    u->file_fd = -1;
    if (r == 0 && renameat2(u->parent_fd, u->tmp, u->parent_fd, u->base, RENAME_NOREPLACE) < 0) {
        r = -errno;
        if (r == -EINVAL) { /* no RENAME_NOREPLACE here: link never replaces either */
            r = linkat(u->parent_fd, u->tmp, u->parent_fd, u->base, 0) < 0 ? -errno : 0;
            if (r == 0)
                unlinkat(u->parent_fd, u->tmp, 0);
        }
    }
    if (r < 0)
        unlinkat(u->parent_fd, u->tmp, 0);
    u->tmp[0] = '\0';
    return r;
}

/* Opens an existing folder entry itself (not a symlink in its place). */
static int open_dir_entry(struct fc_unpack *u, const char *base)
{
    int fd = openat(u->parent_fd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int fc_unpack_dir_open(struct fc_unpack *u, const struct fc_entry *e)
{
    const char *base;
    int r = enter(u, e, &base), fd;

    if (r < 0)
        return r;
    /* a folder of the same name from an earlier copy is merged into */
    if (mkdirat(u->parent_fd, base, 0700) < 0 && errno != EEXIST)
        return -errno;
    fd = open_dir_entry(u, base);
    if (fd == -ENOTDIR || fd == -ELOOP)
        return -EEXIST; /* a file or a symlink has that name: never followed */
    if (fd < 0)
        return fd;
    r = fchmod(fd, keep_mode(e->perm, true)) < 0 ? -errno : 0;
    close(fd);
    return r;
}

int fc_unpack_dir_close(struct fc_unpack *u, const struct fc_entry *e)
{
    struct timespec ts[2];
    const char *base;
    int r = enter(u, e, &base), fd;

    if (r < 0)
        return r;
    fd = open_dir_entry(u, base);
    if (fd < 0)
        return fd;
    entry_times(&e->hdr, ts);
    r = fchmod(fd, keep_mode(e->perm, true)) < 0 || futimens(fd, ts) < 0 ? -errno : 0;
    close(fd);
    return r;
}

int fc_unpack_symlink(struct fc_unpack *u, const struct fc_entry *e)
{
    struct timespec ts[2];
    const char *base;
    int r = enter(u, e, &base);

    if (r < 0)
        return r;
    if (symlinkat(e->target, u->parent_fd, base) < 0)
        return -errno;
    entry_times(&e->hdr, ts);
    /* times of the link itself; a file system without them is no error */
    utimensat(u->parent_fd, base, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
}
